/*-------------------------------------------------------------------------
 *
 * source_conf.h
 *	  A source's settings as the C code uses them: one struct holding every
 *	  configuration key of SPEC section 3, loaded in one place
 *	  (source_conf.c) from the catalogue, with the defaults of config.c's
 *	  key table, and reloaded by the workers when the catalogue says the
 *	  source changed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_SOURCE_CONF_H
#define CHAMELEON_SOURCE_CONF_H

#include "postgres.h"

#include "nodes/pg_list.h"

#include "ddl/cddl.h"

typedef struct ChameleonSourceConf
{
	int32		source_id;
	char	   *name;
	Oid			owner;			/* the role whose privileges the source has */
	bool		owner_is_superuser; /* as the owner was when this was loaded */
	bool		owner_reads_files;	/* superuser or pg_read_server_files */
	char	   *type;			/* "mysql" or "pgsql" */
	bool		is_pgsql;

	/* db_conn */
	char	   *host;
	int			port;
	char	   *user;
	char	   *password;		/* from chameleon.source_secret; never printed */
	char	   *password_file;	/* a file on this server holding it, or NULL */
	char	   *charset;
	int			connect_timeout;	/* seconds */
	char	   *ssl_mode;		/* NULL when not set */
	char	   *ssl_ca;
	char	   *ssl_cert;
	char	   *ssl_key;
	char	   *database;		/* pgsql sources */

	/* what is replicated */
	List	   *map_mysql;		/* schema_mappings: parallel lists of */
	List	   *map_pg;			/* char *, MySQL name -> PostgreSQL name */
	List	   *limit_tables;	/* "schema.table" (MySQL names) */
	List	   *skip_tables;
	List	   *skip_insert;	/* skip_events: "schema" or "schema.table" */
	List	   *skip_update;
	List	   *skip_delete;
	List	   *grant_select_to;	/* role names */
	cddl_type_override *overrides;	/* type_override, the translator's form */
	size_t		noverrides;
	cddl_fillfactor *fillfactors;	/* fillfactor, the translator's form */
	size_t		nfillfactors;

	/* how */
	char	   *lock_timeout;	/* a GUC time value, e.g. "120s" */
	uint32		server_id;		/* my_server_id, or one derived from the id */
	int			replica_batch_size;
	int			replay_max_rows;
	int64		batch_retention_ms;
	int64		copy_max_memory;	/* bytes */
	char	   *copy_mode;		/* "direct" or "file" */
	char	   *out_dir;
	int			sleep_loop;		/* seconds */
	bool		on_error_replay_exit;	/* on_error_replay = exit */
	bool		on_error_read_exit; /* on_error_read = exit */
	int64		auto_maintenance_ms;	/* -1: disabled */
	bool		gtid_enable;
	bool		keep_existing_schema;
	int			verify_chunk_rows;	/* verify_tables(): rows per chunk */
	int			verify_pause_ms;	/* and the pause between chunks */
	int			net_read_timeout;	/* seconds without data: connection lost */
} ChameleonSourceConf;

/*
 * Reads a source's settings into the caller's memory context (needs a
 * transaction).  ERROR 42704 when the source does not exist.
 */
extern ChameleonSourceConf *chameleon_conf_load(int32 source_id);

/*
 * A worker's settings of its source: loaded on the first call, then again
 * only after a change of chameleon.source or chameleon.source_secret was
 * committed (a relcache invalidation the catalogue's triggers send, as
 * pg_cron does for its jobs).  Needs a transaction.  *reloaded (if not
 * NULL) tells whether this call read the catalogue.  The result stays
 * valid until a later call reloads it.
 */
extern ChameleonSourceConf *chameleon_conf_current(int32 source_id, bool *reloaded);

/* The PostgreSQL schema a MySQL schema maps to, or NULL. */
extern const char *chameleon_map_schema(const ChameleonSourceConf *conf,
										const char *mysql_schema);

/* Whether a filter list names "schema.table" (MySQL names). */
extern bool chameleon_list_has_table(const List *list, const char *schema,
									 const char *table);

/* Whether a skip_events list names the schema or "schema.table". */
extern bool chameleon_list_has_schema_or_table(const List *list, const char *schema,
											   const char *table);

/* Whether limit_tables/skip_tables let schema.table be replicated. */
extern bool chameleon_table_selected(const ChameleonSourceConf *conf,
									 const char *schema, const char *table);

#endif							/* CHAMELEON_SOURCE_CONF_H */
