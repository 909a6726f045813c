/*-------------------------------------------------------------------------
 *
 * source_conf.h
 *	  A replication source's configuration as the workers use it: read from
 *	  chameleon.source (normalised jsonb) and chameleon.source_secret.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_SOURCE_CONF_H
#define CHAMELEON_SOURCE_CONF_H

#include "postgres.h"

#include "nodes/pg_list.h"

typedef struct ChameleonSourceConf
{
	int32		source_id;
	char	   *name;
	char	   *type;			/* "mysql" or "pgsql" */
	char	   *status;
	/* db_conn */
	char	   *host;
	int			port;
	char	   *user;
	char	   *password;		/* never printed */
	char	   *charset;
	int			connect_timeout;
	char	   *ssl_mode;
	char	   *ssl_ca;
	char	   *ssl_cert;
	char	   *ssl_key;
	char	   *database;		/* pgsql sources */
	/* schema_mappings: parallel lists of char *, MySQL name -> PG name */
	List	   *map_mysql;
	List	   *map_pg;
	List	   *limit_tables;	/* "schema.table" (MySQL names) */
	List	   *skip_tables;
	List	   *grant_select_to;
	char	   *type_override_json; /* the type_override object as JSON text */
	char	   *lock_timeout;
	int64		copy_max_memory;	/* bytes */
	bool		keep_existing_schema;
	char	   *copy_mode;
	char	   *out_dir;
} ChameleonSourceConf;

/* Reads a source's configuration in the caller's context (needs a transaction). */
extern ChameleonSourceConf *chameleon_load_source_conf(int32 source_id);

/* The PostgreSQL schema a MySQL schema maps to, or NULL. */
extern const char *chameleon_map_schema(const ChameleonSourceConf *conf,
										const char *mysql_schema);

/* Whether limit_tables/skip_tables let schema.table be replicated. */
extern bool chameleon_list_has_table(const List *list, const char *schema,
									 const char *table);
extern bool chameleon_table_selected(const ChameleonSourceConf *conf,
									 const char *schema, const char *table);

/* Parses a size such as "300M" or "1GB" into bytes (-1 if invalid). */
extern int64 chameleon_parse_size(const char *text);

#endif							/* CHAMELEON_SOURCE_CONF_H */
