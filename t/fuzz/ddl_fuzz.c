/*-------------------------------------------------------------------------
 *
 * ddl_fuzz.c
 *	  libFuzzer target over the DDL translator: lexer, parser, writer.
 *
 * The input bytes are a MySQL script (not NUL-terminated, any bytes).
 * Every parsed statement is translated twice, with default options and
 * with overrides/PostGIS/deferred keys, so that all writer paths run, and
 * goes through the table layout model (every table it names has a fixed
 * layout, so ALTERs apply); each layout it makes must survive the round
 * trip through its canonical text, else the target traps.  The input is
 * also parsed as a bare column type and read as a SHOW CREATE TABLE seed.
 * AddressSanitizer and UndefinedBehaviorSanitizer report any
 * out-of-bounds read or UB.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cddl_layout.h"

/* Schema mapping used by the second pass: "skip" is not replicated. */
static const char *
map_schema(void *ctx, const char *mysql_schema)
{
	(void) ctx;
	if (strcmp(mysql_schema, "skip") == 0)
		return NULL;
	return mysql_schema;
}

/* Every table looked up has this layout (ctx). */
static const cddl_layout *
lookup(void *ctx, const char *schema, const char *table)
{
	(void) schema;
	(void) table;
	return ctx;
}

/* The canonical text of l must read back into the same layout. */
static void
check_round_trip(cddl_layout *l, const cddl_layout_options *o)
{
	const char *text = cddl_layout_sql(l);
	cddl_layout *back;
	cddl_error	err;
	size_t		i;
	cddl_binlog_column b;

	if (text == NULL)
		return;					/* out of memory */
	for (i = 0; i < l->ncolumns; i++)
		(void) cddl_layout_binlog(l, i, &b);
	back = cddl_layout_from_sql(text, strlen(text), o, &err);
	if (back == NULL || !cddl_layout_equal(l, back))
		__builtin_trap();
	cddl_layout_free(back);
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

	static const char base_sql[] =
		"CREATE TABLE t (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, a varchar(10), "
		"b text CHARACTER SET latin1, c enum('x','y'), d blob, UNIQUE KEY ud (d), "
		"KEY ka (a)) WITH SYSTEM VERSIONING";
	cddl_layout_options lo;
	cddl_layout *base;

	memset(&lo, 0, sizeof(lo));
	lo.schema = "db";
	base = cddl_layout_from_sql(base_sql, sizeof(base_sql) - 1, &lo, &err);
	lo.lookup = lookup;
	lo.lookup_ctx = base;

	doc = cddl_parse((const char *) data, size, &err);
	if (doc != NULL)
	{
		for (st = doc->stmts; st; st = st->next)
		{
			cddl_table_change *ch;

			for (ch = cddl_layout_changes(doc, st, &lo, &err); ch; ch = ch->next)
			{
				if (ch->layout)
					check_round_trip(ch->layout, &lo);
			}
		}
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
	{
		/* the reader's seeding entry point */
		cddl_layout *l = cddl_layout_from_sql((const char *) data, size, &lo, &err);

		if (l != NULL)
			check_round_trip(l, &lo);
		cddl_layout_free(l);
	}
	cddl_layout_free(base);
	doc = cddl_parse_type((const char *) data, size, &t, &err);
	if (doc != NULL)
	{
		char		buf[300];

		(void) cddl_pg_type(&t, &o2, "db", "t", "c", buf, sizeof(buf));
		cddl_doc_free(doc);
	}
	return 0;
}
