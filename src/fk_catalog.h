/*-------------------------------------------------------------------------
 *
 * fk_catalog.h
 *	  A source's MySQL foreign keys in chameleon.foreign_key: read from the
 *	  CREATE TABLE statements of the initial copy, kept current by the
 *	  replicated DDL (fk_catalog.c).  The replay performs their actions
 *	  (replay_fk.c); detach_replica() creates them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_FK_CATALOG_H
#define CHAMELEON_FK_CATALOG_H

#include "postgres.h"

#include "ddl/cddl.h"

/*
 * The foreign keys of a parsed CREATE TABLE of schema.table as the JSON
 * array chameleon.table_progress.fk_defs holds (the rows the table gets in
 * chameleon.foreign_key when it is swapped in).
 */
extern char *chameleon_fk_defs_json(const cddl_stmt *create, const char *schema);

/*
 * Follows one replicated DDL statement in chameleon.foreign_key (in the
 * replay's transaction): CREATE TABLE, ALTER TABLE ... ADD / DROP FOREIGN
 * KEY, column and table renames, DROP TABLE.  defschema is the statement's
 * default MySQL schema.
 */
extern void chameleon_fk_follow_ddl(int32 source_id, const cddl_stmt *s,
									const char *defschema);

#endif							/* CHAMELEON_FK_CATALOG_H */
