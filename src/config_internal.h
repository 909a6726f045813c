/*-------------------------------------------------------------------------
 *
 * config_internal.h
 *	  What the files of configuration parsing share: the table of
 *	  configuration keys (config.c, the one place defaults are written) and
 *	  the walk that validates a loaded YAML document against it
 *	  (config_walk.c, config_fillfactor.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_CONFIG_INTERNAL_H
#define CHAMELEON_CONFIG_INTERNAL_H

#include "postgres.h"

#include <yaml.h>

#include "lib/stringinfo.h"

/* how deep and how wide a document may be (aliases can multiply nodes) */
#define CONFIG_MAX_NODES	100000

/* most keys of one key table (config.c checks its tables fit) */
#define CONFIG_MAX_KEYS		64

typedef enum ConfigKind
{
	CK_STRING,					/* any scalar */
	CK_PASSWORD,				/* a scalar never shown in messages */
	CK_PATH,					/* an absolute path on the server */
	CK_INT,						/* integer within [min, max] */
	CK_BOOL,					/* YAML 1.1 booleans */
	CK_ENUM,					/* one of choices */
	CK_ROLELIST,				/* list of role names */
	CK_TABLELIST,				/* list of "schema.table" */
	CK_DURATION,				/* a time in the lock_timeout format */
	CK_INTERVAL,				/* an interval, checked by the SQL layer */
	CK_INTERVAL_OR_DISABLED,	/* an interval or "disabled" */
	CK_SIZE,					/* a memory size such as 300M */
	CK_DB_CONN,					/* the connection mapping */
	CK_SCHEMA_MAP,				/* MySQL schema -> PostgreSQL schema */
	CK_SKIP_EVENTS,				/* insert/update/delete -> list */
	CK_TYPE_OVERRIDE,			/* MySQL type -> override mapping */
	CK_FILLFACTOR				/* percent -> {tables: [...]} */
} ConfigKind;

typedef struct ConfigKey
{
	const char *name;
	ConfigKind	kind;
	const char *defval;			/* JSON text of the default, or NULL */
	bool		required;
	int64		min;
	int64		max;
	const char *const *choices; /* NULL-terminated, for CK_ENUM */
	bool		live;			/* may change while the source runs */
} ConfigKey;

/*
 * The global keys of a pg_chameleon configuration file that load_config
 * applies to every source (NULL when absent): the source's own entries
 * win over them.
 */
typedef struct ConfigGlobals
{
	yaml_node_t *type_override;
	yaml_node_t *fillfactor;
} ConfigGlobals;

/* State of one validation run over one loaded document. */
typedef struct ConfigWalk
{
	yaml_document_t *doc;
	StringInfo	out;
	int			visited;		/* nodes seen, against alias bombs */
	bool		partial;
} ConfigWalk;

/* the keys of a source block and of db_conn, in output order (config.c) */
extern const ConfigKey config_source_keys[];
extern const ConfigKey config_db_conn_keys[];

/* config_walk.c */
extern void config_walk_source(ConfigWalk *w, yaml_node_t *node, const char *prefix,
							   const ConfigGlobals *globals);
extern void config_walk_schema_map(ConfigWalk *w, const ConfigKey *key,
								   yaml_node_t *node, const char *path,
								   const char *source_type);
extern void config_count_node(ConfigWalk *w, yaml_node_t *node);
extern char *config_need_scalar(const ConfigKey *key, yaml_node_t *node,
								const char *path, const char *expected);
extern char *config_join_path(const char *prefix, const char *name);
extern bool config_is_null_node(yaml_node_t *node);
extern void config_bad_value(const ConfigKey *key, yaml_node_t *node, const char *path,
							 const char *expected) pg_attribute_noreturn();

/* Writes a list of names; tables: each schema.table, schema_or_table: either. */
extern void config_walk_string_list(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
									const char *path, bool tables, bool schema_or_table);

/*
 * config_override.c: writes type_override; entries of the global block
 * (load_config) are added after the source's own, which win on the same
 * MySQL type.
 */
extern void config_walk_type_override(ConfigWalk *w, const ConfigKey *key,
									  yaml_node_t *node, const char *path,
									  yaml_node_t *global);

/* config_fillfactor.c */
extern void config_walk_fillfactor(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
								   const char *path, yaml_node_t *global);

#endif							/* CHAMELEON_CONFIG_INTERNAL_H */
