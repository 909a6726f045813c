/*-------------------------------------------------------------------------
 *
 * names.c
 *	  Builds the names of the objects chameleon creates for a source (see
 *	  names.h), in C and, through chameleon._log_table_name(),
 *	  chameleon._log_range_name() and chameleon._loading_schema_pattern(),
 *	  for the install script.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "names.h"

PG_FUNCTION_INFO_V1(chameleon_sql_log_table_name);
PG_FUNCTION_INFO_V1(chameleon_sql_log_range_name);
PG_FUNCTION_INFO_V1(chameleon_sql_loading_schema_pattern);

/* See names.h. */
char *
chameleon_log_table_name(int32 source_id)
{
	return psprintf("log_event_%d", source_id);
}

/* See names.h. */
char *
chameleon_log_range_name(int32 source_id, int64 first_event_id)
{
	return psprintf("log_event_%d_" INT64_FORMAT, source_id, first_event_id);
}

/* See names.h. */
char *
chameleon_loading_schema_name(int32 source_id, int n)
{
	return psprintf("_chameleon_load_%d_%d", source_id, n);
}

/* See names.h: underscores escaped, they are LIKE wildcards. */
char *
chameleon_loading_schema_pattern(int32 source_id)
{
	return psprintf("\\_chameleon\\_load\\_%d\\_%%", source_id);
}

/* chameleon._log_table_name(source_id) returns text. */
Datum
chameleon_sql_log_table_name(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(chameleon_log_table_name(PG_GETARG_INT32(0))));
}

/* chameleon._log_range_name(source_id, first_event_id) returns text. */
Datum
chameleon_sql_log_range_name(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(chameleon_log_range_name(PG_GETARG_INT32(0),
															   PG_GETARG_INT64(1))));
}

/* chameleon._loading_schema_pattern(source_id) returns text. */
Datum
chameleon_sql_loading_schema_pattern(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(chameleon_loading_schema_pattern(PG_GETARG_INT32(0))));
}

/* See names.h. */
bool
chameleon_schema_reserved(const char *name)
{
	return strncmp(name, "pg_", 3) == 0 || strcmp(name, "information_schema") == 0 ||
		strcmp(name, "chameleon") == 0;
}
