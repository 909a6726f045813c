/*-------------------------------------------------------------------------
 *
 * names.h
 *	  The names of the objects chameleon creates for a source: its change
 *	  log and the log's range partitions, its loading schemas, and the
 *	  names its worker processes report.  Each is built by one function
 *	  (names.c), also exposed to SQL for the install script.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_NAMES_H
#define CHAMELEON_NAMES_H

#include "postgres.h"

/* The source's change log table in schema chameleon: "log_event_<id>". */
extern char *chameleon_log_table_name(int32 source_id);

/* A range partition of it: "log_event_<id>_<first event id>". */
extern char *chameleon_log_range_name(int32 source_id, int64 first_event_id);

/* The n-th loading schema of a source's copy: "_chameleon_load_<id>_<n>". */
extern char *chameleon_loading_schema_name(int32 source_id, int n);

/* The LIKE pattern that matches every loading schema of a source. */
extern char *chameleon_loading_schema_pattern(int32 source_id);

/*
 * Whether a schema name is PostgreSQL's or chameleon's (pg_*,
 * information_schema, chameleon): never a target, nor a pgsql source.
 */
extern bool chameleon_schema_reserved(const char *name);

#endif							/* CHAMELEON_NAMES_H */
