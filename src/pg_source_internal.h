/*-------------------------------------------------------------------------
 *
 * pg_source_internal.h
 *	  What the files of the pgsql source type share: the interruptible
 *	  queries on the source server (pg_source.c) and the description of a
 *	  source table turned into local DDL (pg_source_ddl.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_PG_SOURCE_INTERNAL_H
#define CHAMELEON_PG_SOURCE_INTERNAL_H

#include "postgres.h"

#include "libpq-fe.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

/* A table of the source, as its catalogue describes it (text as received). */
typedef struct PgSourceTable PgSourceTable;

/*
 * Runs a query on the source and returns its last result, waiting on the
 * process latch (interruptible); ERROR unless the result is TUPLES_OK or
 * COMMAND_OK.  Without parameters the text may hold several statements.
 * The caller PQclear()s the result.
 */
extern PGresult *pg_source_query(PGconn *conn, const char *sql,
								 int nparams, const char *const *params);

/*
 * Reads what the source's catalogue says about one table: its columns
 * (names, types by schema and name, typmods, NOT NULL, identity, default
 * expressions) and its indexes (columns by number, options, access
 * method, opclasses).  Only network work: no local transaction needed.
 */
extern PgSourceTable *pg_source_fetch_table(PGconn *conn, const char *source_name,
											const char *sschema, const char *stable);

/*
 * Builds, from a fetched table and the local catalogue only, the CREATE
 * TABLE of its loading table (create) and the statements that add its
 * keys and indexes after the data (post, C strings); columns gets the
 * names of the columns to copy.  Needs a transaction.  Types that do not
 * exist here are an ERROR naming the table and column; defaults that are
 * not constants and indexes on expressions or with a WHERE clause are left
 * out with a WARNING naming them.
 */
extern void pg_source_table_ddl(PgSourceTable *table, const char *load,
								StringInfo create, List **post, List **columns);

/*
 * Checks a name received from the source before it is used here: valid in
 * the database encoding and shorter than NAMEDATALEN.  what says what it
 * names ("table", "column"...), for the message.
 */
extern void pg_source_check_name(const char *name, const char *what,
								 const char *source_name);

#endif							/* CHAMELEON_PG_SOURCE_INTERNAL_H */
