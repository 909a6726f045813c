/*-------------------------------------------------------------------------
 *
 * source_conf.c
 *	  Reads a replication source's configuration from the catalogue into a
 *	  ChameleonSourceConf for the workers, and answers the questions the
 *	  workers ask of it (schema mapping, table filters, sizes).
 *
 *	  The configuration was validated and normalised by add_source(), so
 *	  every key is present with its default; the password comes from
 *	  chameleon.source_secret, which workers (superuser) may read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "source_conf.h"

#define NCONF_COLS 27

static const char *const conf_query =
"SELECT s.source_name, s.source_type, s.status,"
"       c->'db_conn'->>'host', (c->'db_conn'->>'port')::int,"
"       c->'db_conn'->>'user', sec.password, c->'db_conn'->>'charset',"
"       (c->'db_conn'->>'connect_timeout')::int, c->'db_conn'->>'ssl_mode',"
"       c->'db_conn'->>'ssl_ca', c->'db_conn'->>'ssl_cert',"
"       c->'db_conn'->>'ssl_key', c->'db_conn'->>'database',"
"       ARRAY(SELECT key FROM jsonb_each_text(c->'schema_mappings') ORDER BY key),"
"       ARRAY(SELECT value FROM jsonb_each_text(c->'schema_mappings') ORDER BY key),"
"       ARRAY(SELECT jsonb_array_elements_text(coalesce(c->'limit_tables', '[]'))),"
"       ARRAY(SELECT jsonb_array_elements_text(coalesce(c->'skip_tables', '[]'))),"
"       ARRAY(SELECT jsonb_array_elements_text(coalesce(c->'grant_select_to', '[]'))),"
"       coalesce(c->'type_override', '{}')::text, c->>'lock_timeout',"
"       c->>'copy_max_memory', coalesce((c->>'keep_existing_schema')::boolean, false),"
"       c->>'copy_mode', c->>'out_dir', s.source_id, 0"
"  FROM chameleon.source s"
"  LEFT JOIN chameleon.source_secret sec USING (source_id),"
"       LATERAL (SELECT s.config AS c) cfg"
" WHERE s.source_id = $1";

/* Returns column i (1-based) of the current SPI row as a palloc'd string. */
static char *
get_text(HeapTuple tup, TupleDesc desc, int i)
{
	char	   *v = SPI_getvalue(tup, desc, i);

	return v;
}

/* Turns a text[] column into a List of palloc'd strings. */
static List *
get_text_list(HeapTuple tup, TupleDesc desc, int i)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, i, &isnull);
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *out = NIL;

	if (isnull)
		return NIL;
	arr = DatumGetArrayTypeP(d);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int k = 0; k < n; k++)
		if (!nulls[k])
			out = lappend(out, TextDatumGetCString(elems[k]));
	return out;
}

/*
 * Reads a source's configuration, in the caller's memory context.  Needs a
 * transaction; connects to SPI itself (nested use is fine).
 */
ChameleonSourceConf *
chameleon_load_source_conf(int32 source_id)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1] = {Int32GetDatum(source_id)};
	ChameleonSourceConf *conf;
	HeapTuple	tup;
	TupleDesc	desc;
	char	   *v;
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext oldcxt;

	SPI_connect();
	if (SPI_execute_with_args(conf_query, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the configuration of source %d", source_id);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source with id %d does not exist", source_id),
				 errhint("It may have been dropped while the worker started.")));

	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	oldcxt = MemoryContextSwitchTo(callercxt);
	conf = palloc0(sizeof(ChameleonSourceConf));

	conf->source_id = source_id;
	conf->name = get_text(tup, desc, 1);
	conf->type = get_text(tup, desc, 2);
	conf->status = get_text(tup, desc, 3);
	conf->host = get_text(tup, desc, 4);
	v = get_text(tup, desc, 5);
	conf->port = v ? atoi(v) : 3306;
	conf->user = get_text(tup, desc, 6);
	conf->password = get_text(tup, desc, 7);
	conf->charset = get_text(tup, desc, 8);
	v = get_text(tup, desc, 9);
	conf->connect_timeout = v ? atoi(v) : 10;
	conf->ssl_mode = get_text(tup, desc, 10);
	conf->ssl_ca = get_text(tup, desc, 11);
	conf->ssl_cert = get_text(tup, desc, 12);
	conf->ssl_key = get_text(tup, desc, 13);
	conf->database = get_text(tup, desc, 14);
	conf->map_mysql = get_text_list(tup, desc, 15);
	conf->map_pg = get_text_list(tup, desc, 16);
	conf->limit_tables = get_text_list(tup, desc, 17);
	conf->skip_tables = get_text_list(tup, desc, 18);
	conf->grant_select_to = get_text_list(tup, desc, 19);
	conf->type_override_json = get_text(tup, desc, 20);
	conf->lock_timeout = get_text(tup, desc, 21);
	v = get_text(tup, desc, 22);
	conf->copy_max_memory = v ? chameleon_parse_size(v) : -1;
	if (conf->copy_max_memory <= 0)
		conf->copy_max_memory = (int64) 300 * 1024 * 1024;
	v = get_text(tup, desc, 23);
	conf->keep_existing_schema = (v != NULL && v[0] == 't');
	conf->copy_mode = get_text(tup, desc, 24);
	conf->out_dir = get_text(tup, desc, 25);
	if (conf->host == NULL)
		conf->host = pstrdup("127.0.0.1");
	if (conf->charset == NULL)
		conf->charset = pstrdup("utf8mb4");
	if (conf->lock_timeout == NULL)
		conf->lock_timeout = pstrdup("120s");

	MemoryContextSwitchTo(oldcxt);
	SPI_finish();
	return conf;
}

/* The PostgreSQL schema a MySQL schema maps to, or NULL. */
const char *
chameleon_map_schema(const ChameleonSourceConf *conf, const char *mysql_schema)
{
	ListCell   *a;
	ListCell   *b;

	forboth(a, conf->map_mysql, b, conf->map_pg)
	{
		if (strcmp((char *) lfirst(a), mysql_schema) == 0)
			return (const char *) lfirst(b);
	}
	return NULL;
}

/* Whether a filter list names "schema.table" (MySQL names). */
bool
chameleon_list_has_table(const List *list, const char *schema, const char *table)
{
	ListCell   *lc;
	size_t		slen = strlen(schema);

	foreach(lc, list)
	{
		const char *item = (const char *) lfirst(lc);

		if (strncmp(item, schema, slen) == 0 && item[slen] == '.' &&
			strcmp(item + slen + 1, table) == 0)
			return true;
	}
	return false;
}

/* Whether limit_tables/skip_tables let schema.table be replicated. */
bool
chameleon_table_selected(const ChameleonSourceConf *conf, const char *schema,
						 const char *table)
{
	if (conf->limit_tables != NIL)
	{
		bool		schema_limited = false;
		ListCell   *lc;
		size_t		slen = strlen(schema);

		/* limit_tables restricts only the schemas it names */
		foreach(lc, conf->limit_tables)
		{
			const char *item = (const char *) lfirst(lc);

			if (strncmp(item, schema, slen) == 0 && item[slen] == '.')
				schema_limited = true;
		}
		if (schema_limited && !chameleon_list_has_table(conf->limit_tables, schema, table))
			return false;
	}
	return !chameleon_list_has_table(conf->skip_tables, schema, table);
}

/* Parses a size such as "300M" or "1GB" into bytes (-1 if invalid). */
int64
chameleon_parse_size(const char *text)
{
	char	   *end;
	double		v = strtod(text, &end);
	int64		unit = 1;

	if (end == text || v < 0)
		return -1;
	while (*end == ' ')
		end++;
	switch (toupper((unsigned char) *end))
	{
		case '\0':
		case 'B':
			unit = 1;
			break;
		case 'K':
			unit = 1024;
			break;
		case 'M':
			unit = 1024 * 1024;
			break;
		case 'G':
			unit = (int64) 1024 * 1024 * 1024;
			break;
		case 'T':
			unit = (int64) 1024 * 1024 * 1024 * 1024;
			break;
		default:
			return -1;
	}
	return (int64) (v * (double) unit);
}
