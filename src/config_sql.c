/*-------------------------------------------------------------------------
 *
 * config_sql.c
 *	  SQL-callable entry points around configuration parsing, used by the
 *	  management functions of the install script: parse one source block,
 *	  read a pg_chameleon configuration file from the server's disk.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "config.h"

/* a configuration file larger than this is certainly not one */
#define CONFIG_FILE_MAX_BYTES	(16 * 1024 * 1024)

PG_FUNCTION_INFO_V1(chameleon_sql_parse_config);
PG_FUNCTION_INFO_V1(chameleon_sql_parse_config_file);
PG_FUNCTION_INFO_V1(chameleon_sql_parse_schema_mappings);
PG_FUNCTION_INFO_V1(chameleon_sql_config_live_keys);

/* Converts JSON text built by config.c into a jsonb datum. */
static Datum
json_text_to_jsonb(const char *json)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}

/*
 * chameleon._parse_config(config text, partial boolean) returns jsonb:
 * the validated, normalised form of one source block.
 */
Datum
chameleon_sql_parse_config(PG_FUNCTION_ARGS)
{
	char	   *conf = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		partial = PG_GETARG_BOOL(1);

	PG_RETURN_DATUM(json_text_to_jsonb(chameleon_parse_source_config(conf, partial)));
}

/*
 * chameleon._parse_schema_mappings(schema_mappings text) returns jsonb:
 * a validated MySQL schema -> PostgreSQL schema mapping.
 */
Datum
chameleon_sql_parse_schema_mappings(PG_FUNCTION_ARGS)
{
	char	   *conf = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_DATUM(json_text_to_jsonb(chameleon_parse_schema_mappings(conf)));
}

/* Reads a whole configuration file into a palloc'd, NUL-terminated string. */
static char *
read_config_file(const char *path)
{
	FILE	   *file;
	struct stat st;
	char	   *buf;
	size_t		nread;

	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration file path \"%s\" is not absolute", path),
				 errhint("The file is read by the PostgreSQL server process: give its absolute path.")));

	file = AllocateFile(path, PG_BINARY_R);
	if (file == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open configuration file \"%s\": %m", path),
				 errhint("The file is read by the PostgreSQL server process, which must be able to read it.")));
	if (fstat(fileno(file), &st) != 0 || !S_ISREG(st.st_mode))
	{
		FreeFile(file);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration file \"%s\" is not a regular file", path),
				 errhint("Give the path of a pg_chameleon configuration file.")));
	}
	if (st.st_size > CONFIG_FILE_MAX_BYTES)
	{
		FreeFile(file);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("configuration file \"%s\" is too large", path),
				 errdetail("It has %lld bytes; the limit is %d.",
						   (long long) st.st_size, CONFIG_FILE_MAX_BYTES),
				 errhint("Give the path of a pg_chameleon configuration file.")));
	}

	buf = palloc(st.st_size + 1);
	nread = fread(buf, 1, st.st_size, file);
	if (ferror(file))
	{
		FreeFile(file);
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read configuration file \"%s\": %m", path)));
	}
	FreeFile(file);
	buf[nread] = '\0';
	if (strlen(buf) != nread)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration file \"%s\" contains a NUL byte", path),
				 errhint("Give the path of a text file.")));
	return buf;
}

/*
 * chameleon._parse_config_file(path text) returns table(source_name text,
 * config jsonb): every source block of a pg_chameleon configuration file.
 *
 * The function runs inside the SECURITY DEFINER load_config, so the
 * privilege to read server files is checked against the caller outside
 * it (GetOuterUserId), not against the extension's owner.
 */
Datum
chameleon_sql_parse_config_file(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *conf;
	List	   *names;
	List	   *configs;
	ListCell   *ln;
	ListCell   *lc;

	if (!has_privs_of_role(GetOuterUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read configuration file \"%s\"", path),
				 errdetail("Only superusers and members of pg_read_server_files may read files on the server."),
				 errhint("Call add_source() with the configuration text instead.")));

	conf = read_config_file(path);
	chameleon_parse_config_file(conf, path, &names, &configs);

	InitMaterializedSRF(fcinfo, 0);
	forboth(ln, names, lc, configs)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum((char *) lfirst(ln));
		values[1] = json_text_to_jsonb((char *) lfirst(lc));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * chameleon._config_live_keys() returns text[]: the configuration keys
 * alter_source() may change while the source runs (config.c's table).
 */
Datum
chameleon_sql_config_live_keys(PG_FUNCTION_ARGS)
{
	List	   *keys = chameleon_config_live_keys();
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(keys), 1));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, keys)
		elems[n++] = CStringGetTextDatum((const char *) lfirst(lc));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}
