/*-------------------------------------------------------------------------
 *
 * ddl_corpus.c
 *	  Runs every DDL statement of the MariaDB test suite through the
 *	  translator and counts the outcomes (issue 4, proof 4).
 *
 * Usage: ddl_corpus [-v] [DIR]   (default /usr/share/mysql/mysql-test)
 *
 * Walks DIR for *.test files, splits them into statements the way
 * mysqltest does (";" or the current "delimiter", mysqltest commands and
 * comments skipped), keeps those whose first word is CREATE, ALTER, DROP,
 * RENAME or TRUNCATE, and for each one records whether it was translated,
 * classified as having no PostgreSQL meaning, or rejected with an error.
 *
 * Every parsed statement also goes through the table layout model
 * (cddl_layout_changes) against a catalogue of the tables the same file
 * created before: it counts the statements applied, those naming a table
 * the file did not create (or whose history an earlier refusal made
 * unknown), and those refused with an error.
 *
 * Many test statements are deliberately invalid or use mysqltest
 * variables, so rejections are expected; a crash is the only failure, and
 * then the process dies.  -v prints every rejected statement.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cddl_layout.h"

#define MAX_TABLES 512

typedef struct counts
{
	long		files;
	long		statements;
	long		translated;
	long		classified;
	long		rejected;
	long		pg_statements;
	long		layout_applied;
	long		layout_unknown;
	long		layout_refused;
} counts;

/* The layouts of the tables created so far in one .test file. */
typedef struct catalogue
{
	cddl_layout *t[MAX_TABLES];
	int			n;
} catalogue;

static bool verbose = false;
static catalogue cat;

/* Index of table name (any schema) in the catalogue, or -1. */
static int
cat_find(const char *name)
{
	int			i;

	for (i = 0; name && i < cat.n; i++)
	{
		if (strcmp(cat.t[i]->name, name) == 0)
			return i;
	}
	return -1;
}

/* The lookup callback of the layout options. */
static const cddl_layout *
cat_lookup(void *ctx, const char *schema, const char *name)
{
	int			i = cat_find(name);

	(void) ctx;
	(void) schema;
	return i >= 0 ? cat.t[i] : NULL;
}

/* Forgets entry i. */
static void
cat_forget(int i)
{
	if (i < 0)
		return;
	cddl_layout_free(cat.t[i]);
	cat.t[i] = cat.t[--cat.n];
}

/* Keeps a copy of layout l (replacing a table of the same name). */
static void
cat_keep(const cddl_layout *l, const char *name)
{
	cddl_layout *c = cddl_layout_copy(l);

	if (c == NULL || !cddl_layout_set_name(c, NULL, name))
	{
		cddl_layout_free(c);
		return;
	}
	cat_forget(cat_find(name));
	if (cat.n < MAX_TABLES)
		cat.t[cat.n++] = c;
	else
		cddl_layout_free(c);
}

/* Runs one statement through the layout model and counts the outcome. */
static void
run_layout(cddl_doc *doc, const cddl_stmt *st, counts *c)
{
	cddl_layout_options o;
	cddl_error	err;
	cddl_table_change *ch;
	int			i;

	memset(&o, 0, sizeof(o));
	o.schema = "test";
	o.lookup = cat_lookup;
	ch = cddl_layout_changes(doc, st, &o, &err);
	if (ch == NULL)
	{
		if (!err.set)
			return;
		if (strstr(err.message, "is not known") != NULL)
			c->layout_unknown++;
		else
		{
			c->layout_refused++;
			if (verbose)
				printf("LAYOUT REFUSED: %s at %zu (%s): %.*s\n", err.message,
					   err.position, err.token, (int) (st->end - st->start > 300 ? 300 :
													   st->end - st->start),
					   doc->input + st->start);
		}
		/* the table's history is unknown from here */
		cat_forget(cat_find(st->table.name));
		return;
	}
	c->layout_applied++;
	for (; ch; ch = ch->next)
	{
		i = cat_find(ch->table.name);
		switch (ch->op)
		{
			case CDDL_TABLE_CREATE:
				if (i < 0 || !ch->if_not_exists)
					cat_keep(ch->layout, ch->table.name);
				break;
			case CDDL_TABLE_ALTER:
				cat_forget(i);
				cat_keep(ch->layout, ch->new_name.name);
				break;
			case CDDL_TABLE_RENAME:
				if (i >= 0)
				{
					cddl_layout *l = cat.t[i];

					cat.t[i] = cat.t[--cat.n];
					cat_keep(l, ch->new_name.name);
					cddl_layout_free(l);
				}
				break;
			case CDDL_TABLE_DROP:
				cat_forget(i);
				break;
			case CDDL_TABLE_TRUNCATE:
				break;
		}
		/* touch what a reader would use */
		if (ch->layout)
		{
			size_t		k;
			cddl_binlog_column b;

			(void) cddl_layout_sql(ch->layout);
			for (k = 0; k < ch->layout->ncolumns; k++)
				(void) cddl_layout_binlog(ch->layout, k, &b);
		}
	}
}

/* Runs one statement through parse + translate and counts the outcome. */
static void
run_statement(const char *sql, size_t len, counts *c)
{
	cddl_error	err;
	cddl_doc   *doc;
	const cddl_stmt *st;
	bool		translated = false;
	bool		rejected = false;
	cddl_options opts;

	memset(&opts, 0, sizeof(opts));
	opts.target_schema = "public";
	c->statements++;
	doc = cddl_parse(sql, len, &err);
	if (doc == NULL)
		rejected = true;
	else
	{
		for (st = doc->stmts; st; st = st->next)
		{
			cddl_output out;

			if (!cddl_translate(doc, st, &opts, &out, &err))
			{
				rejected = true;
				break;
			}
			if (st->kind != CDDL_STMT_IGNORED && out.nstatements > 0)
			{
				translated = true;
				c->pg_statements += (long) out.nstatements;
			}
		}
		for (st = doc->stmts; st; st = st->next)
			run_layout(doc, st, c);
		cddl_doc_free(doc);
	}
	if (rejected)
	{
		c->rejected++;
		if (verbose)
			printf("REJECTED: %s at %zu (%s): %.*s\n", err.message, err.position,
				   err.token, (int) (len > 300 ? 300 : len), sql);
	}
	else if (translated)
		c->translated++;
	else
		c->classified++;
}

/* True if the statement's first word is one of the DDL verbs. */
static bool
is_ddl(const char *s)
{
	static const char *const verbs[] = {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE"};
	size_t		i;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
	{
		size_t		n = strlen(verbs[i]);

		if (strncasecmp(s, verbs[i], n) == 0 &&
			(s[n] == ' ' || s[n] == '\t' || s[n] == '\n' || s[n] == '\r' || s[n] == '/'))
			return true;
	}
	return false;
}

/* Splits a mysqltest file into statements and runs the DDL ones. */
static void
run_file(const char *path, counts *c)
{
	FILE	   *f = fopen(path, "r");
	char		delim[16] = ";";
	char	   *stmt = NULL;
	size_t		slen = 0,
				scap = 0;
	char	   *line = NULL;
	size_t		lcap = 0;
	ssize_t		n;

	if (f == NULL)
		return;
	c->files++;
	while (cat.n > 0)
		cat_forget(0);
	while ((n = getline(&line, &lcap, f)) >= 0)
	{
		char	   *l = line;
		size_t		ll;
		size_t		dl = strlen(delim);

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		while (*l == ' ' || *l == '\t')
			l++;
		/* mysqltest comments and commands, and block braces */
		if (slen == 0 && (*l == '#' || strncmp(l, "--", 2) == 0 || *l == '\0' ||
						  strcmp(l, "}") == 0 || strcmp(l, "{") == 0))
			continue;
		if (slen == 0 && strncasecmp(l, "delimiter ", 10) == 0)
		{
			char	   *d = l + 10;
			size_t		k;

			while (*d == ' ')
				d++;
			k = strlen(d);
			/* "delimiter |;" ends with the old delimiter */
			if (k > dl && strcmp(d + k - dl, delim) == 0)
				k -= dl;
			while (k > 0 && (d[k - 1] == ' ' || d[k - 1] == '\t'))
				k--;
			if (k > 0 && k < sizeof(delim))
			{
				memcpy(delim, d, k);
				delim[k] = '\0';
			}
			continue;
		}
		ll = strlen(l);
		if (slen + ll + 2 > scap)
		{
			char	   *nb;

			scap = (slen + ll + 2) * 2;
			nb = realloc(stmt, scap);
			if (nb == NULL)
				break;
			stmt = nb;
		}
		if (slen > 0)
			stmt[slen++] = '\n';
		memcpy(stmt + slen, l, ll);
		slen += ll;
		stmt[slen] = '\0';
		/* statement complete when the line ends with the delimiter */
		{
			size_t		e = slen;

			while (e > 0 && (stmt[e - 1] == ' ' || stmt[e - 1] == '\t'))
				e--;
			if (e >= dl && strncmp(stmt + e - dl, delim, dl) == 0)
			{
				stmt[e - dl] = '\0';
				if (is_ddl(stmt))
					run_statement(stmt, e - dl, c);
				slen = 0;
			}
		}
	}
	free(line);
	free(stmt);
	fclose(f);
}

/* Recursively visits dir and runs every *.test file. */
static void
walk(const char *dir, counts *c)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
	{
		char		path[4096];
		struct stat sb;
		size_t		n = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int) sizeof(path))
			continue;
		if (lstat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			walk(path, c);
		else if (S_ISREG(sb.st_mode) && n > 5 && strcmp(e->d_name + n - 5, ".test") == 0)
			run_file(path, c);
	}
	closedir(d);
}

int
main(int argc, char **argv)
{
	const char *dir = "/usr/share/mysql/mysql-test";
	counts		c;
	int			i;

	memset(&c, 0, sizeof(c));
	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else
			dir = argv[i];
	}
	walk(dir, &c);
	while (cat.n > 0)
		cat_forget(0);
	printf("ddl-corpus: %ld files, %ld DDL statements: %ld translated, %ld classified "
		   "(no PostgreSQL meaning), %ld rejected with an error; %ld PostgreSQL statements\n",
		   c.files, c.statements, c.translated, c.classified, c.rejected, c.pg_statements);
	printf("ddl-corpus: table layouts: %ld statements applied, %ld on a table of unknown "
		   "layout, %ld refused with an error\n",
		   c.layout_applied, c.layout_unknown, c.layout_refused);
	return 0;
}
