/*-------------------------------------------------------------------------
 *
 * ddl_fuzz.c
 *	  libFuzzer target over the DDL translator: lexer, parser, writer.
 *
 * The input bytes are a MySQL script (not NUL-terminated, any bytes).
 * Every parsed statement is translated twice, with default options and
 * with overrides/PostGIS/deferred keys, so that all writer paths run.
 * The input is also parsed as a bare column type.  AddressSanitizer and
 * UndefinedBehaviorSanitizer report any out-of-bounds read or UB.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cddl.h"

/* Schema mapping used by the second pass: "skip" is not replicated. */
static const char *
map_schema(void *ctx, const char *mysql_schema)
{
	(void) ctx;
	if (strcmp(mysql_schema, "skip") == 0)
		return NULL;
	return mysql_schema;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one input through every entry point of the library. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const all[] = {"*"};
	static const cddl_type_override ov[] = {
		{"tinyint(1)", "boolean", all, 1},
		{"int(11)", "bigint", all, 1}
	};
	cddl_options o1;
	cddl_options o2;
	cddl_error	err;
	cddl_doc   *doc;
	cddl_type	t;
	const cddl_stmt *st;

	memset(&o1, 0, sizeof(o1));
	o1.target_schema = "public";
	memset(&o2, 0, sizeof(o2));
	o2.target_schema = "Target Schema";
	o2.mysql_schema = "db";
	o2.map_schema = map_schema;
	o2.overrides = ov;
	o2.noverrides = 2;
	o2.postgis = true;
	o2.defer_keys = true;

	doc = cddl_parse((const char *) data, size, &err);
	if (doc != NULL)
	{
		for (st = doc->stmts; st; st = st->next)
		{
			cddl_output out;
			const cddl_sql *s;

			if (cddl_translate(doc, st, &o1, &out, &err))
			{
				/* touch every output string */
				for (s = out.statements; s; s = s->next)
					(void) strlen(s->text);
				for (s = out.foreign_keys; s; s = s->next)
					(void) strlen(s->text);
				for (s = out.notes; s; s = s->next)
					(void) strlen(s->text);
			}
			if (cddl_translate(doc, st, &o2, &out, &err))
			{
				for (s = out.post_data; s; s = s->next)
					(void) strlen(s->text);
			}
		}
		cddl_doc_free(doc);
	}
	{
		/* the initial copy's entry point */
		cddl_output out;
		const cddl_sql *s;

		doc = cddl_translate_table((const char *) data, size, &o2, &out, &err);
		if (doc != NULL)
		{
			for (s = out.statements; s; s = s->next)
				(void) strlen(s->text);
			for (s = out.post_data; s; s = s->next)
				(void) strlen(s->text);
			cddl_doc_free(doc);
		}
	}
	doc = cddl_parse_type((const char *) data, size, &t, &err);
	if (doc != NULL)
	{
		char		buf[300];

		(void) cddl_pg_type(&t, &o2, "db", "t", "c", buf, sizeof(buf));
		cddl_doc_free(doc);
	}
	return 0;
}
