/*-------------------------------------------------------------------------
 *
 * target_ops.c
 *	  Operations on replicated tables beyond their creation (target_ops.h).
 *	  They read pg_catalog, which anyone may, and change the objects with
 *	  statements run as the current identity, so that acting as a source's
 *	  owner they need the same privileges the owner's own SQL would.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "names.h"
#include "target_ops.h"
#include "worker_util.h"

/* The text values of the first column of the last result, in a List. */
static List *
result_texts(int col)
{
	List	   *out = NIL;

	for (uint64 i = 0; i < SPI_processed; i++)
		out = lappend(out, cat_get_text(i, col));
	return out;
}

/* The quoted schema-qualified name of a relation. */
static char *
qualified_rel(Oid relid)
{
	char	   *name = get_rel_name(relid);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return chameleon_qualified(get_namespace_name(get_rel_namespace(relid)), name);
}

/* See target_ops.h. */
void
chameleon_drop_date_not_null(Oid relid)
{
	char	   *rel = qualified_rel(relid);
	List	   *cols;
	ListCell   *lc;

	TARGET_RUN("SELECT a.attname FROM pg_catalog.pg_attribute a"
			   " WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull"
			   "   AND a.atttypid IN ('pg_catalog.date'::pg_catalog.regtype,"
			   "                      'pg_catalog.timestamp'::pg_catalog.regtype,"
			   "                      'pg_catalog.timestamptz'::pg_catalog.regtype)"
			   " ORDER BY a.attnum",
			   cat_datum(OIDOID, ObjectIdGetDatum(relid), false));
	cols = result_texts(1);
	foreach(lc, cols)
		chameleon_target_exec(psprintf("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", rel,
									   quote_identifier((char *) lfirst(lc))));
}

/* See target_ops.h. */
void
chameleon_move_enum_types(Oid relid, const char *target)
{
	List	   *types;
	List	   *names;
	ListCell   *lt;
	ListCell   *ln;

	TARGET_RUN("SELECT DISTINCT pg_catalog.format('%I.%I', n.nspname, t.typname), t.typname"
			   "  FROM pg_catalog.pg_attribute a"
			   "  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
			   "  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
			   "  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
			   " WHERE a.attrelid = $1 AND t.typtype = 'e' AND t.typnamespace = c.relnamespace",
			   cat_datum(OIDOID, ObjectIdGetDatum(relid), false));
	types = result_texts(1);
	names = result_texts(2);
	forboth(lt, types, ln, names)
	{
		chameleon_target_exec(psprintf("DROP TYPE IF EXISTS %s.%s", quote_identifier(target),
									   quote_identifier((char *) lfirst(ln))));
		chameleon_target_exec(psprintf("ALTER TYPE %s SET SCHEMA %s", (char *) lfirst(lt),
									   quote_identifier(target)));
	}
}

/* See target_ops.h. */
void
chameleon_set_sequences(Oid relid)
{
	char	   *rel = qualified_rel(relid);
	List	   *cols;
	List	   *seqs;
	ListCell   *lc;
	ListCell   *ls;

	TARGET_RUN("SELECT a.attname, pg_catalog.pg_get_serial_sequence($2, a.attname)"
			   "  FROM pg_catalog.pg_attribute a"
			   " WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped"
			   "   AND pg_catalog.pg_get_serial_sequence($2, a.attname) IS NOT NULL",
			   cat_datum(OIDOID, ObjectIdGetDatum(relid), false), cat_text(rel));
	cols = result_texts(1);
	seqs = result_texts(2);
	forboth(lc, cols, ls, seqs)
	{
		char	   *max;

		chameleon_target_exec(psprintf("SELECT max(%s)::pg_catalog.int8 FROM %s",
									   quote_identifier((char *) lfirst(lc)), rel));
		max = cat_get_text(0, 1);
		if (max != NULL)
			TARGET_RUN("SELECT pg_catalog.setval($1::pg_catalog.regclass, $2)",
					   cat_text((char *) lfirst(ls)), cat_int8(pg_strtoint64(max)));
	}
}

/* See target_ops.h. */
void
chameleon_empty_table(Oid relid)
{
	char	   *rel = qualified_rel(relid);

	TARGET_RUN("SELECT 1 FROM pg_catalog.pg_constraint WHERE confrelid = $1",
			   cat_datum(OIDOID, ObjectIdGetDatum(relid), false));
	/* TRUNCATE is refused on a table other tables' foreign keys reference */
	chameleon_target_exec(psprintf(SPI_processed > 0 ? "DELETE FROM %s" : "TRUNCATE %s", rel));
}

/* See target_ops.h. */
void
chameleon_drop_loading_schemas(int32 source_id)
{
	List	   *schemas;
	ListCell   *lc;

	TARGET_RUN("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE $1",
			   cat_text(chameleon_loading_schema_pattern(source_id)));
	schemas = result_texts(1);
	foreach(lc, schemas)
		chameleon_target_exec(psprintf("DROP SCHEMA %s CASCADE",
									   quote_identifier((char *) lfirst(lc))));
}
