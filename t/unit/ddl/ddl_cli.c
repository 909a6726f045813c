/*-------------------------------------------------------------------------
 *
 * ddl_cli.c
 *	  Command-line front end of the DDL translator, for tests and humans.
 *
 * Usage: cddl_translate [-s schema] [-m mysql_schema] [-o type=pgtype]...
 *        [-g] [-k] < script.sql
 * Reads a MySQL script on standard input and prints, for each statement,
 * the PostgreSQL statements each followed by ";" and a newline.  Notes go
 * to standard error prefixed with "NOTE: ", kept-aside foreign keys to
 * standard output prefixed with "-- FK: ".  With -k (defer_keys, the
 * initial copy's mode) the post-data statements follow a "-- POST-DATA"
 * line.  A parse error prints
 * "ERROR: message at byte N (token)" on standard error and exits with 1.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cddl.h"

#define MAX_OVERRIDES 32

int
main(int argc, char **argv)
{
	cddl_options opts;
	cddl_type_override ov[MAX_OVERRIDES];
	static const char *const all[] = {"*"};
	size_t		nov = 0;
	char	   *in = NULL;
	size_t		len = 0,
				cap = 0;
	size_t		n;
	cddl_error	err;
	cddl_doc   *doc;
	const cddl_stmt *st;
	int			i;
	int			rc = 0;

	memset(&opts, 0, sizeof(opts));
	opts.target_schema = "public";
	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			opts.target_schema = argv[++i];
		else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
			opts.mysql_schema = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc && nov < MAX_OVERRIDES)
		{
			char	   *eq = strchr(argv[++i], '=');

			if (eq == NULL)
				continue;
			*eq = '\0';
			ov[nov].mysql_type = argv[i];
			ov[nov].pg_type = eq + 1;
			ov[nov].tables = all;
			ov[nov].ntables = 1;
			nov++;
		}
		else if (strcmp(argv[i], "-g") == 0)
			opts.postgis = true;
		else if (strcmp(argv[i], "-k") == 0)
			opts.defer_keys = true;
		else
		{
			fprintf(stderr, "usage: %s [-s schema] [-m mysql_schema] [-o type=pgtype]... [-g] [-k] < script\n", argv[0]);
			return 2;
		}
	}
	opts.overrides = ov;
	opts.noverrides = nov;

	for (;;)
	{
		if (len + 4096 > cap)
		{
			char	   *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(in, cap);
			if (nb == NULL)
			{
				free(in);
				fprintf(stderr, "ERROR: out of memory\n");
				return 1;
			}
			in = nb;
		}
		n = fread(in + len, 1, cap - len, stdin);
		if (n == 0)
			break;
		len += n;
	}

	doc = cddl_parse(in, len, &err);
	if (doc == NULL)
	{
		fprintf(stderr, "ERROR: %s at byte %zu (%s)\n", err.message, err.position, err.token);
		free(in);
		return 1;
	}
	for (st = doc->stmts; st; st = st->next)
	{
		cddl_output out;
		const cddl_sql *s;

		if (!cddl_translate(doc, st, &opts, &out, &err))
		{
			fprintf(stderr, "ERROR: %s at byte %zu (%s)\n", err.message, err.position, err.token);
			rc = 1;
			continue;
		}
		for (s = out.statements; s; s = s->next)
			printf("%s;\n", s->text);
		if (out.post_data)
			printf("-- POST-DATA\n");
		for (s = out.post_data; s; s = s->next)
			printf("%s;\n", s->text);
		for (s = out.foreign_keys; s; s = s->next)
			printf("-- FK: %s;\n", s->text);
		for (s = out.notes; s; s = s->next)
			fprintf(stderr, "NOTE: %s\n", s->text);
	}
	cddl_doc_free(doc);
	free(in);
	return rc;
}
