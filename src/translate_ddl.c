/*-------------------------------------------------------------------------
 *
 * translate_ddl.c
 *	  SQL-callable chameleon.translate_ddl(): the PostgreSQL statements
 *	  chameleon would run for one MySQL DDL statement.
 *
 *	  chameleon.translate_ddl(statement text, schema_name text DEFAULT 'public')
 *	  chameleon.translate_ddl(statement text, schema_name text,
 *							  mysql_schema text, type_override jsonb)
 *
 * Both forms use the same C function (chameleon_translate_ddl); the
 * second one takes the MySQL schema the statement runs in and a
 * type_override mapping shaped like the configuration key (SPEC section 3):
 * {"tinyint(1)": {"override_to": "boolean", "override_tables": ["*"]}}.
 *
 * The work is done by the pure-C library in src/ddl (cddl.h), which
 * allocates with malloc: its document is freed on every path, including
 * errors, before control leaves this file.  No rows: the statement has no
 * PostgreSQL meaning.  Cannot parse: ERROR 42601 naming the token, with
 * the byte position.  What the translation dropped (zero-date defaults,
 * ON UPDATE, CHECK...) and the foreign keys kept aside are reported as
 * NOTICEs.  Geometry columns become PostGIS geometry(Type,SRID) when the
 * postgis extension is installed in the current database, else bytea, as
 * a table chameleon created here now would have them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "ddl/cddl.h"
#include "geometry.h"
#include "translate_ddl.h"

PG_FUNCTION_INFO_V1(chameleon_translate_ddl);

/* A palloc'd copy of a jsonb string value. */
static char *
jsonb_string(JsonbValue *v, const char *what)
{
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("type_override: \"%s\" must be a string", what),
				 errhint("Use {\"tinyint(1)\": {\"override_to\": \"boolean\", \"override_tables\": [\"*\"]}}.")));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * Turns a type_override jsonb object into an array of cddl_type_override
 * (palloc'd); *n receives the count.
 */
cddl_type_override *
chameleon_parse_type_overrides(Jsonb *jb, size_t *n)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	cddl_type_override *ov;
	size_t		cap = 8;
	char	   *key = NULL;

	*n = 0;
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("type_override must be a JSON object"),
				 errhint("Use {\"tinyint(1)\": {\"override_to\": \"boolean\", \"override_tables\": [\"*\"]}}.")));
	ov = palloc0(sizeof(cddl_type_override) * cap);
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		JsonbValue *to;
		JsonbValue *tables;
		const char **names;
		size_t		ntables = 0;

		if (tok == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (tok != WJB_VALUE || key == NULL)
			continue;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("type_override: the value of \"%s\" must be an object", key),
					 errhint("Give \"override_to\" and \"override_tables\".")));
		to = getKeyJsonValueFromContainer(v.val.binary.data, "override_to",
										  strlen("override_to"), NULL);
		if (to == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("type_override: \"%s\" has no \"override_to\"", key),
					 errhint("Name the PostgreSQL type in \"override_to\".")));
		tables = getKeyJsonValueFromContainer(v.val.binary.data, "override_tables",
											  strlen("override_tables"), NULL);
		names = palloc0(sizeof(char *) * 1);
		if (tables != NULL)
		{
			JsonbIterator *it2;
			JsonbValue	e;
			size_t		tcap = 1;

			if (tables->type != jbvBinary || !JsonContainerIsArray(tables->val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("type_override: \"override_tables\" of \"%s\" must be an array", key),
						 errhint("Use [\"*\"] or [\"schema.table\", ...].")));
			it2 = JsonbIteratorInit(tables->val.binary.data);
			while ((tok = JsonbIteratorNext(&it2, &e, true)) != WJB_DONE)
			{
				if (tok != WJB_ELEM)
					continue;
				if (ntables == tcap)
				{
					tcap *= 2;
					names = repalloc(names, sizeof(char *) * tcap);
				}
				names[ntables++] = jsonb_string(&e, "override_tables");
			}
		}
		if (*n == cap)
		{
			cap *= 2;
			ov = repalloc(ov, sizeof(cddl_type_override) * cap);
		}
		ov[*n].mysql_type = key;
		ov[*n].pg_type = jsonb_string(to, "override_to");
		ov[*n].tables = names;
		ov[*n].ntables = ntables;
		(*n)++;
		key = NULL;
	}
	return ov;
}

/*
 * chameleon.translate_ddl(): returns the PostgreSQL statements for the MySQL
 * statement(s) given, in the target schema.
 */
Datum
chameleon_translate_ddl(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *schema = text_to_cstring(PG_GETARG_TEXT_PP(1));
	cddl_options opts;
	cddl_error	err;
	cddl_doc   *volatile doc = NULL;
	List	   *volatile stmts = NIL;
	List	   *volatile notes = NIL;
	volatile bool failed = false;
	ListCell   *lc;

	memset(&opts, 0, sizeof(opts));
	memset(&err, 0, sizeof(err));
	opts.target_schema = schema;
	/* geometry: as a table created in this database now would have it */
	opts.postgis = chameleon_postgis_installed();
	if (PG_NARGS() >= 3 && !PG_ARGISNULL(2))
		opts.mysql_schema = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (PG_NARGS() >= 4 && !PG_ARGISNULL(3))
	{
		size_t		n;

		opts.overrides = chameleon_parse_type_overrides(PG_GETARG_JSONB_P(3), &n);
		opts.noverrides = n;
	}

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);	/* SETOF text: no composite type */

	/* the library's memory is malloc'd: free it whatever happens */
	PG_TRY();
	{
		doc = cddl_parse(sql, strlen(sql), &err);
		if (doc == NULL)
			failed = true;
		else
		{
			const cddl_stmt *st;

			for (st = doc->stmts; st && !failed; st = st->next)
			{
				cddl_output out;
				const cddl_sql *s;

				if (!cddl_translate(doc, st, &opts, &out, &err))
				{
					failed = true;
					break;
				}
				for (s = out.statements; s; s = s->next)
					stmts = lappend(stmts, pstrdup(s->text));
				for (s = out.notes; s; s = s->next)
					notes = lappend(notes, pstrdup(s->text));
				for (s = out.foreign_keys; s; s = s->next)
					notes = lappend(notes,
									psprintf("foreign key kept aside for detach_replica: %s",
											 s->text));
			}
		}
	}
	PG_FINALLY();
	{
		cddl_doc_free(doc);
	}
	PG_END_TRY();

	if (failed)
	{
		int			charpos;

		/* the library counts bytes; PostgreSQL cursors count characters */
		charpos = pg_mbstrlen_with_len(sql, (int) Min(err.position, strlen(sql))) + 1;
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("cannot translate MySQL statement: %s", err.message),
				 errdetail("The error is at byte %zu of the statement, at token \"%s\".",
						   err.position, err.token),
				 errhint("Only MySQL DDL (CREATE/ALTER/DROP/RENAME/TRUNCATE TABLE, CREATE/DROP INDEX) is translated; check the statement's syntax."),
				 internalerrposition(charpos),
				 internalerrquery(sql)));
	}

	foreach(lc, notes)
		ereport(NOTICE,
				(errmsg("%s", (char *) lfirst(lc))));

	foreach(lc, stmts)
	{
		Datum		values[1];
		bool		nulls[1] = {false};

		values[0] = CStringGetTextDatum((char *) lfirst(lc));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
