/*-------------------------------------------------------------------------
 *
 * layout_cli.c
 *	  Command-line front end of the table layout model, for tests and
 *	  humans.
 *
 * Usage: cddl_layout [-m] [-s schema] [-c charset] [-C collation] [-S]
 *        < input
 *
 * Without -S the input is a MySQL script.  Each statement is applied to a
 * catalogue of layouts (cddl_layout_changes), and after each one the
 * program prints "== N" and every table it knows, sorted by name:
 *
 *	TABLE schema.name
 *	COL pos<TAB>name<TAB>column_type<TAB>charset<TAB>collation<TAB>YES|NO
 *	BINLOG type:metadata-hex:Y|N ...	(every column, hidden ones too)
 *	SQL canonical CREATE TABLE, newlines as \n
 *
 * COL lines are what information_schema.COLUMNS says (ORDINAL_POSITION,
 * COLUMN_NAME, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME,
 * IS_NULLABLE; NULL for none); BINLOG is what TABLE_MAP should say (type
 * byte, metadata bytes, nullable).  A statement the model cannot apply
 * prints "ERROR message at byte N (token)" and its tables are forgotten.
 *
 * With -S the input is a list of SHOW CREATE TABLE texts separated by
 * lines "-- next"; each is read as a seed and printed the same way after
 * "== N".  -m: MySQL rules (default MariaDB); -s: the default schema
 * (default "test"); -c/-C: its charset and collation.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cddl_layout.h"

#define MAX_TABLES 256

typedef struct catalogue
{
	cddl_layout *t[MAX_TABLES];
	int			n;
} catalogue;

/* True if two possibly NULL strings are equal. */
static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Index of schema.name in the catalogue, or -1. */
static int
find(const catalogue *cat, const char *schema, const char *name)
{
	int			i;

	for (i = 0; i < cat->n; i++)
	{
		if (same(cat->t[i]->schema, schema) && same(cat->t[i]->name, name))
			return i;
	}
	return -1;
}

/* The lookup callback of the options. */
static const cddl_layout *
lookup(void *ctx, const char *schema, const char *name)
{
	catalogue  *cat = ctx;
	int			i = find(cat, schema, name);

	return i >= 0 ? cat->t[i] : NULL;
}

/* Removes entry i of the catalogue. */
static void
forget(catalogue *cat, int i)
{
	if (i < 0)
		return;
	cddl_layout_free(cat->t[i]);
	cat->t[i] = cat->t[--cat->n];
}

/* Stores layout l (owned) as schema.name, replacing an entry. */
static void
keep(catalogue *cat, cddl_layout *l)
{
	int			i;

	if (l == NULL)
		return;
	i = find(cat, l->schema, l->name);
	if (i >= 0)
		forget(cat, i);
	if (cat->n < MAX_TABLES)
		cat->t[cat->n++] = l;
	else
		cddl_layout_free(l);
}

/* Prints the TABLE_MAP view of a column: type:metadata:nullable. */
static void
print_binlog(const cddl_layout *l, size_t i)
{
	cddl_binlog_column b;
	unsigned char m[2];
	int			n = 0;
	int			k;

	if (!cddl_layout_binlog(l, i, &b))
		return;
	switch (b.type)
	{
		case 4:
		case 5:
			m[n++] = b.type == 4 ? 4 : 8;
			break;
		case 15:
		case 141:
			m[n++] = b.max_len & 0xff;
			m[n++] = (b.max_len >> 8) & 0xff;
			break;
		case 140:
		case 252:
		case 245:
		case 255:
			m[n++] = b.len_bytes;
			break;
		case 246:
			m[n++] = b.precision;
			m[n++] = b.scale;
			break;
		case 16:
			m[n++] = b.bits % 8;
			m[n++] = b.bits / 8;
			break;
		case 254:
			if (b.real_type == 247 || b.real_type == 248)
			{
				m[n++] = b.real_type;
				m[n++] = b.len_bytes;
			}
			else
			{
				m[n++] = 254 ^ ((b.max_len & 0x300) >> 4);
				m[n++] = b.max_len & 0xff;
			}
			break;
		case 17:
		case 18:
		case 19:
			m[n++] = b.fsp;
			break;
		default:
			break;
	}
	printf(" %u:", b.type);
	for (k = 0; k < n; k++)
		printf("%02x", m[k]);
	printf(":%s", b.nullable ? "Y" : "N");
}

/* Prints one table in the format of the header comment. */
static void
print_table(cddl_layout *l)
{
	size_t		i;
	int			pos = 0;
	const char *sql;

	printf("TABLE %s.%s\n", l->schema ? l->schema : "", l->name);
	for (i = 0; i < l->ncolumns; i++)
	{
		const cddl_layout_column *c = &l->columns[i];

		if (c->hidden != CDDL_HIDDEN_NONE)
			continue;
		printf("COL %d\t%s\t%s%s\t%s\t%s\t%s\n", ++pos, c->name,
			   c->type.column_type, c->compressed ? " /*M!100301 COMPRESSED*/" : "",
			   c->type.charset ? c->type.charset : "NULL",
			   c->type.collation ? c->type.collation : "NULL",
			   c->nullable ? "YES" : "NO");
	}
	printf("BINLOG");
	for (i = 0; i < l->ncolumns; i++)
		print_binlog(l, i);
	printf("\nSQL ");
	sql = cddl_layout_sql(l);
	for (; sql && *sql; sql++)
	{
		if (*sql == '\n')
			printf("\\n");
		else
			putchar(*sql);
	}
	printf("\n");
}

/* Orders layouts by schema and name. */
static int
by_name(const void *a, const void *b)
{
	const cddl_layout *x = *(cddl_layout *const *) a;
	const cddl_layout *y = *(cddl_layout *const *) b;
	int			r = strcmp(x->schema ? x->schema : "", y->schema ? y->schema : "");

	return r ? r : strcmp(x->name, y->name);
}

/* Prints an error. */
static void
print_error(const cddl_error *err)
{
	printf("ERROR %s at byte %zu (%s)\n", err->message, err->position, err->token);
}

/* Applies the changes of one statement to the catalogue. */
static void
apply(catalogue *cat, cddl_doc *doc, const cddl_stmt *st,
	  const cddl_layout_options *o)
{
	cddl_error	err;
	cddl_table_change *c = cddl_layout_changes(doc, st, o, &err);

	if (c == NULL && err.set)
	{
		print_error(&err);
		/* the history of the statement's table is unknown from here */
		forget(cat, find(cat, st->table.schema ? st->table.schema : o->schema,
						 st->table.name));
		return;
	}
	for (; c; c = c->next)
	{
		int			i = find(cat, c->table.schema, c->table.name);

		switch (c->op)
		{
			case CDDL_TABLE_CREATE:
				if (i >= 0 && c->if_not_exists)
					break;
				keep(cat, cddl_layout_copy(c->layout));
				break;
			case CDDL_TABLE_ALTER:
				forget(cat, i);
				keep(cat, cddl_layout_copy(c->layout));
				break;
			case CDDL_TABLE_RENAME:
				if (i >= 0)
				{
					cddl_layout *l = cat->t[i];

					cat->t[i] = cat->t[--cat->n];
					if (!cddl_layout_set_name(l, c->new_name.schema, c->new_name.name))
						cddl_layout_free(l);
					else
						keep(cat, l);
				}
				break;
			case CDDL_TABLE_DROP:
				forget(cat, i);
				break;
			case CDDL_TABLE_TRUNCATE:
				break;
		}
	}
}

/* Reads all of standard input into a malloc'd buffer. */
static char *
read_all(size_t *len)
{
	char	   *in = NULL;
	size_t		cap = 0,
				n;

	*len = 0;
	for (;;)
	{
		if (*len + 4096 > cap)
		{
			char	   *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(in, cap);
			if (nb == NULL)
			{
				free(in);
				return NULL;
			}
			in = nb;
		}
		n = fread(in + *len, 1, cap - *len - 1, stdin);
		if (n == 0)
			break;
		*len += n;
	}
	in[*len] = '\0';
	return in;
}

/* -S: reads each SHOW CREATE TABLE text and prints its layout. */
static void
seeds(char *in, const cddl_layout_options *o)
{
	char	   *p = in;
	int			n = 0;

	while (p != NULL && *p)
	{
		char	   *next = strstr(p, "\n-- next\n");
		cddl_error	err;
		cddl_layout *l;

		if (next)
		{
			*next = '\0';
			next += strlen("\n-- next\n");
		}
		printf("== %d\n", ++n);
		l = cddl_layout_from_sql(p, strlen(p), o, &err);
		if (l == NULL)
			print_error(&err);
		else
			print_table(l);
		cddl_layout_free(l);
		p = next;
	}
}

int
main(int argc, char **argv)
{
	cddl_layout_options o;
	catalogue	cat;
	bool		seed = false;
	char	   *in;
	size_t		len;
	cddl_error	err;
	cddl_doc   *doc;
	const cddl_stmt *st;
	int			i,
				n = 0;

	memset(&o, 0, sizeof(o));
	memset(&cat, 0, sizeof(cat));
	o.schema = "test";
	o.lookup = lookup;
	o.lookup_ctx = &cat;
	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "-m") == 0)
			o.flavour = CDDL_MYSQL;
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			o.schema = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			o.schema_charset = argv[++i];
		else if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			o.schema_collation = argv[++i];
		else if (strcmp(argv[i], "-S") == 0)
			seed = true;
		else
		{
			fprintf(stderr, "usage: %s [-m] [-s schema] [-c charset] [-C collation] [-S] < input\n",
					argv[0]);
			return 2;
		}
	}
	in = read_all(&len);
	if (in == NULL)
	{
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	if (seed)
	{
		seeds(in, &o);
		free(in);
		return 0;
	}
	doc = cddl_parse(in, len, &err);
	if (doc == NULL)
	{
		print_error(&err);
		free(in);
		return 1;
	}
	for (st = doc->stmts; st; st = st->next)
	{
		printf("== %d\n", ++n);
		apply(&cat, doc, st, &o);
		qsort(cat.t, (size_t) cat.n, sizeof(cat.t[0]), by_name);
		for (i = 0; i < cat.n; i++)
			print_table(cat.t[i]);
	}
	cddl_doc_free(doc);
	while (cat.n > 0)
		forget(&cat, 0);
	free(in);
	return 0;
}
