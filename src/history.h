/*-------------------------------------------------------------------------
 *
 * history.h
 *	  The schema history of a source (chameleon.table_layout): each MySQL
 *	  table's column layout from a binlog position on.  The initial copy
 *	  seeds it at each table's snapshot; the reader moves it forward with
 *	  the DDL of the stream (reader_history.c) and decodes rows with it when
 *	  the binlog leaves column metadata out.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_HISTORY_H
#define CHAMELEON_HISTORY_H

#include "postgres.h"

#include "ddl/cddl_layout.h"
#include "mysql_client.h"

/* The flavour word stored with a layout, and back. */
#define HISTORY_FLAVOUR_NAME(f)	((f) == CDDL_MYSQL ? "mysql" : "mariadb")
#define HISTORY_FLAVOUR(name)	(strcmp((name), "mysql") == 0 ? CDDL_MYSQL : CDDL_MARIADB)

/* Which server's rules apply to the tables of a connection. */
extern cddl_flavour chameleon_history_flavour(MYSQL *conn);

/*
 * The default charset and collation of a MySQL schema (palloc'd), false
 * when the schema does not exist.
 */
extern bool chameleon_history_schema_defaults(MYSQL *conn, const char *schema,
											  char **charset, char **collation);

/*
 * The canonical layout text of a table from its SHOW CREATE TABLE, or NULL
 * with *why set when the model cannot read it.  schema_charset and
 * schema_collation are the MySQL schema's defaults.
 */
extern char *chameleon_history_canonical(const char *show_create, const char *schema,
										 const char *schema_charset,
										 const char *schema_collation,
										 cddl_flavour flavour, char **why);

/*
 * The canonical layout text of schema.table as the server defines it now
 * (SHOW CREATE TABLE), or NULL with *why set.
 */
extern char *chameleon_history_read(MYSQL *conn, const char *schema, const char *table,
									cddl_flavour flavour, char **why);

/*
 * Records the layout of schema.table from position (file, pos) on (in a
 * transaction); layout NULL means the table is gone or its layout unknown
 * (why).  An entry at the same position is replaced by a new row, so that
 * a running reader sees it as new.
 */
extern void chameleon_history_store(int32 source_id, const char *schema,
									const char *table, const char *file, int64 pos,
									cddl_flavour flavour, const char *layout,
									const char *why);

#endif							/* CHAMELEON_HISTORY_H */
