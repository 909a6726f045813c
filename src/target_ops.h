/*-------------------------------------------------------------------------
 *
 * target_ops.h
 *	  What the copy, the replay and detach_replica() do to a replicated
 *	  table beyond creating it: zero-date columns made nullable, enum types
 *	  moved with their table, sequences set past the data, a table emptied
 *	  for a reload in place, loading schemas dropped.  All run as the
 *	  current identity (the source's owner, owner.h): they need exactly the
 *	  privileges the same SQL would.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_TARGET_OPS_H
#define CHAMELEON_TARGET_OPS_H

#include "postgres.h"

/* NOT NULL dropped from date/timestamp columns (zero dates become NULL). */
extern void chameleon_drop_date_not_null(Oid relid);

/* The enum types of relid's columns moved from its schema into target. */
extern void chameleon_move_enum_types(Oid relid, const char *target);

/* Every identity/serial sequence of relid set past its column's maximum. */
extern void chameleon_set_sequences(Oid relid);

/* relid emptied: TRUNCATE, or DELETE when foreign keys reference it. */
extern void chameleon_empty_table(Oid relid);

/* Every loading schema of a source dropped (leftovers of failed jobs too). */
extern void chameleon_drop_loading_schemas(int32 source_id);

#endif							/* CHAMELEON_TARGET_OPS_H */
