/*-------------------------------------------------------------------------
 *
 * layout_keys.c
 *	  The indexes of a table layout: names, primary key, MariaDB long
 *	  unique keys and the indexes foreign keys create.
 *
 * A layout keeps its indexes for three reasons: the primary key makes its
 * columns NOT NULL; on MariaDB a UNIQUE key too long for the engine (or on
 * a BLOB/TEXT column without a prefix, or written USING HASH) becomes a
 * "long unique" key whose hash is a hidden BIGINT column at the end of
 * every row event; and DROP INDEX must know which key it drops.  Facts
 * checked on MariaDB 10.11:
 * - an unnamed key is named after its first column, with _2, _3... when
 *   the name is taken; a foreign key creates an index named after the
 *   index name, else the constraint name, else its first column, unless
 *   a key already starts with its columns; adding a key that starts with
 *   its columns later drops it (and frees its name);
 * - a UNIQUE key whose parts take more than 3,072 bytes (InnoDB; 1,000 for
 *   MyISAM) is a long unique key (USING HASH in SHOW CREATE TABLE), and is
 *   computed again by every later ALTER (even a USING HASH written on a
 *   short key only lasts until then); Aria refuses such keys and MEMORY's
 *   USING HASH is its own index, neither adds a column;
 * - dropping a column removes it from non-unique keys (a key left without
 *   parts goes), and is an error when the column is in a unique key with
 *   other columns.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl_internal.h"

/* Index of the key named name (case-insensitive), or -1. */
static int
find_key(const lay_build *b, const char *name)
{
	size_t		i;

	for (i = 0; i < b->nkeys; i++)
	{
		if (cddl_name_eq(b->keys[i].name, name))
			return (int) i;
	}
	return -1;
}

/* Appends a key to the draft. */
static bool
append_key(lay_build *b, const cddl_layout_key *k)
{
	if (b->nkeys == b->capkeys)
	{
		size_t		cap = b->capkeys ? b->capkeys * 2 : 8;
		cddl_layout_key *n = cddl_alloc(b->scratch, cap * sizeof(cddl_layout_key));

		if (n == NULL)
			return lay_oom(b);
		if (b->nkeys)
			memcpy(n, b->keys, b->nkeys * sizeof(cddl_layout_key));
		b->keys = n;
		b->capkeys = cap;
	}
	b->keys[b->nkeys++] = *k;
	return true;
}

/* A free key name based on base: base, base_2, base_3... */
static char *
auto_name(lay_build *b, const char *base)
{
	char	   *name;
	size_t		n = strlen(base) + 16;
	int			i;

	if (find_key(b, base) < 0 && !cddl_name_eq(base, "PRIMARY"))
		return (char *) base;
	name = cddl_alloc(b->scratch, n);
	if (name == NULL)
		return NULL;
	for (i = 2;; i++)
	{
		snprintf(name, n, "%s_%d", base, i);
		if (find_key(b, name) < 0)
			return name;
	}
}

/* Copies parsed key parts into layout parts, checking the columns exist. */
static bool
copy_parts(lay_build *b, const cddl_key_part *parts, cddl_layout_key *k,
		   size_t pos)
{
	const cddl_key_part *p;
	size_t		n = 0;

	for (p = parts; p; p = p->next)
		n++;
	k->parts = cddl_alloc(b->scratch, (n + 1) * sizeof(cddl_layout_key_part));
	if (k->parts == NULL)
		return lay_oom(b);
	k->nparts = 0;
	for (p = parts; p; p = p->next)
	{
		cddl_layout_key_part *d;

		/* "period WITHOUT OVERLAPS" names a period, not a column */
		if (p->without_overlaps)
			continue;
		d = &k->parts[k->nparts++];
		d->prefix = p->prefix;
		d->descending = p->descending;
		d->expr = p->expr && lay_expr_ok(p->expr) ? p->expr : NULL;
		if (p->column == NULL && d->expr == NULL)
			d->expr = "NULL";
		if (p->column != NULL)
		{
			int			i = lay_find_col(b, p->column);

			if (i < 0)
				return lay_fail(b, pos, p->column,
								"key column \"%s\" does not exist", p->column);
			d->column = b->cols[i].c.name;
		}
	}
	/* MariaDB refuses a key that is only a period; so does the layout */
	if (k->nparts == 0)
		return lay_fail(b, pos, NULL, "a key has no column besides its period");
	return true;
}

/* True if the first columns of key k are exactly cols[0..n). */
static bool
key_starts_with(const cddl_layout_key *k, const cddl_layout_key_part *cols,
				size_t n)
{
	size_t		i;

	if (k->nparts < n)
		return false;
	for (i = 0; i < n; i++)
	{
		if (k->parts[i].column == NULL || cols[i].column == NULL ||
			!cddl_name_eq(k->parts[i].column, cols[i].column))
			return false;
	}
	return true;
}

/* The index a foreign key creates, unless a key already serves it. */
static bool
add_fk_index(lay_build *b, const cddl_key *fk, size_t pos)
{
	cddl_layout_key k;
	size_t		i;

	memset(&k, 0, sizeof(k));
	k.kind = CDDL_KEY_INDEX;
	if (!copy_parts(b, fk->parts, &k, pos))
		return false;
	for (i = 0; i < b->nkeys; i++)
	{
		if (key_starts_with(&b->keys[i], k.parts, k.nparts))
			return true;
	}
	if (fk->name != NULL)
		k.name = fk->name;
	else if (fk->constraint_name != NULL)
		k.name = fk->constraint_name;
	else if (k.nparts > 0 && k.parts[0].column != NULL)
		k.name = k.parts[0].column;
	else
		return true;
	k.name = auto_name(b, k.name);
	if (k.name == NULL)
		return lay_oom(b);
	k.generated = true;
	return append_key(b, &k);
}

/*
 * Drops the indexes made for foreign keys that key k makes useless (their
 * columns start k), as the server does when k is added.
 */
static void
drop_generated(lay_build *b, const cddl_layout_key *k)
{
	size_t		i = 0;

	while (i < b->nkeys)
	{
		if (b->keys[i].generated &&
			key_starts_with(k, b->keys[i].parts, b->keys[i].nparts))
		{
			memmove(&b->keys[i], &b->keys[i + 1],
					(b->nkeys - i - 1) * sizeof(cddl_layout_key));
			b->nkeys--;
		}
		else
			i++;
	}
}

/*
 * Adds a key of CREATE TABLE, ALTER TABLE ADD or CREATE INDEX.  Foreign
 * keys add the index they need (see add_fk_index) in a second pass, after
 * every other key of the statement, so that a key declared after them can
 * serve them; checks and periods add nothing.
 */
bool
lay_add_key(lay_build *b, const cddl_key *src, bool fk_pass, size_t pos)
{
	cddl_layout_key k;

	if (fk_pass != (src->kind == CDDL_KEY_FOREIGN))
		return true;
	switch (src->kind)
	{
		case CDDL_KEY_FOREIGN:
			return add_fk_index(b, src, pos);
		case CDDL_KEY_CHECK:
		case CDDL_KEY_PERIOD:
			return true;
		default:
			break;
	}
	memset(&k, 0, sizeof(k));
	k.kind = src->kind;
	k.hash_explicit = src->using_hash && src->kind == CDDL_KEY_UNIQUE;
	if (!copy_parts(b, src->parts, &k, pos))
		return false;
	drop_generated(b, &k);
	if (k.kind == CDDL_KEY_PRIMARY)
	{
		if (find_key(b, "PRIMARY") >= 0)
		{
			if (src->if_not_exists)
				return true;
			return lay_fail(b, pos, "PRIMARY", "multiple primary keys defined");
		}
		k.name = "PRIMARY";
	}
	else if (src->name != NULL)
	{
		if (find_key(b, src->name) >= 0)
		{
			if (src->if_not_exists)
				return true;
			return lay_fail(b, pos, src->name, "duplicate key name \"%s\"", src->name);
		}
		k.name = src->name;
	}
	else
	{
		k.name = auto_name(b, k.nparts > 0 && k.parts[0].column ?
						   k.parts[0].column : "functional_index");
		if (k.name == NULL)
			return lay_oom(b);
	}
	return append_key(b, &k);
}

/* Adds the keys a column definition declares: PRIMARY KEY, UNIQUE, REFERENCES. */
bool
lay_add_column_keys(lay_build *b, const cddl_column *def, bool fk_pass,
					size_t pos)
{
	cddl_key	k;
	cddl_key_part part;

	memset(&k, 0, sizeof(k));
	memset(&part, 0, sizeof(part));
	part.column = def->name;
	part.prefix = -1;
	k.parts = &part;
	if (def->primary_key)
	{
		k.kind = CDDL_KEY_PRIMARY;
		if (!lay_add_key(b, &k, fk_pass, pos))
			return false;
	}
	if (def->unique_key)
	{
		k.kind = CDDL_KEY_UNIQUE;
		if (!lay_add_key(b, &k, fk_pass, pos))
			return false;
	}
	if (def->references != NULL &&
		!lay_add_key(b, def->references, fk_pass, pos))
		return false;
	return true;
}

/*
 * DROP INDEX / DROP KEY / DROP PRIMARY KEY (name "PRIMARY") / DROP
 * CONSTRAINT (unique_only: only a unique key goes, another constraint
 * kind has no index of its own).
 */
bool
lay_drop_key(lay_build *b, const char *name, bool if_exists, bool unique_only,
			 size_t pos)
{
	int			i = find_key(b, name);

	if (i >= 0 && unique_only && b->keys[i].kind != CDDL_KEY_UNIQUE &&
		b->keys[i].kind != CDDL_KEY_PRIMARY)
		i = -1;
	if (i < 0)
	{
		if (if_exists || unique_only)
			return true;
		return lay_fail(b, pos, name, "cannot drop index \"%s\": it does not exist", name);
	}
	memmove(&b->keys[i], &b->keys[i + 1], (b->nkeys - (size_t) i - 1) * sizeof(cddl_layout_key));
	b->nkeys--;
	return true;
}

/* RENAME INDEX/KEY from TO to. */
bool
lay_rename_key(lay_build *b, const char *from, const char *to, bool if_exists,
			   size_t pos)
{
	int			i = find_key(b, from);

	if (i < 0)
	{
		if (if_exists)
			return true;
		return lay_fail(b, pos, from, "key \"%s\" does not exist", from);
	}
	if (find_key(b, to) >= 0 && !cddl_name_eq(from, to))
		return lay_fail(b, pos, to, "duplicate key name \"%s\"", to);
	b->keys[i].name = (char *) to;
	return true;
}

/* Bytes of the fixed-size types in a key (the engine's storage size). */
static unsigned long long
fixed_bytes(const cddl_type *t)
{
	static const int dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
	long		p,
				s;
	size_t		n = 0;
	const cddl_strlist *v;

	switch (t->base)
	{
		case CDDL_T_TINYINT:
		case CDDL_T_YEAR:
			return 1;
		case CDDL_T_SMALLINT:
			return 2;
		case CDDL_T_MEDIUMINT:
		case CDDL_T_DATE:
			return 3;
		case CDDL_T_INT:
		case CDDL_T_FLOAT:
		case CDDL_T_INET4:
			return 4;
		case CDDL_T_BIGINT:
		case CDDL_T_DOUBLE:
			return 8;
		case CDDL_T_DECIMAL:
			p = t->length > 0 ? t->length : 10;
			s = t->scale > 0 ? t->scale : 0;
			return (unsigned long long) ((p - s) / 9 * 4 + dig2bytes[(p - s) % 9] +
										 s / 9 * 4 + dig2bytes[s % 9]);
		case CDDL_T_BIT:
			return (unsigned long long) ((t->length > 0 ? t->length : 1) + 7) / 8;
		case CDDL_T_TIME:
			return 3 + (unsigned long long) ((t->length > 0 ? t->length : 0) + 1) / 2;
		case CDDL_T_DATETIME:
			return 5 + (unsigned long long) ((t->length > 0 ? t->length : 0) + 1) / 2;
		case CDDL_T_TIMESTAMP:
			return 4 + (unsigned long long) ((t->length > 0 ? t->length : 0) + 1) / 2;
		case CDDL_T_INET6:
		case CDDL_T_UUID:
			return 16;
		case CDDL_T_ENUM:
		case CDDL_T_SET:
			for (v = t->values; v; v = v->next)
				n++;
			if (t->base == CDDL_T_ENUM)
				return n > 255 ? 2 : 1;
			n = (n + 7) / 8;
			return n > 4 ? 8 : n;
		default:
			return 0;
	}
}

/*
 * Bytes a key part takes in the index; *unbounded when it is a BLOB/TEXT
 * column without a prefix (only a long unique key can hold it).
 */
static unsigned long long
part_bytes(const lay_build *b, const cddl_layout_key_part *p, bool *unbounded)
{
	int			i = p->column ? lay_find_col(b, p->column) : -1;
	const cddl_type *t;
	unsigned long long maxlen = 1;
	unsigned long long len;

	if (i < 0)
		return 0;
	t = &b->cols[i].c.type;
	if (t->charset != NULL && cddl_charset_maxlen(t->charset) > 0)
		maxlen = (unsigned long long) cddl_charset_maxlen(t->charset);
	switch (t->base)
	{
		case CDDL_T_TINYTEXT:
		case CDDL_T_TEXT:
		case CDDL_T_MEDIUMTEXT:
		case CDDL_T_LONGTEXT:
		case CDDL_T_TINYBLOB:
		case CDDL_T_BLOB:
		case CDDL_T_MEDIUMBLOB:
		case CDDL_T_LONGBLOB:
		case CDDL_T_JSON:
		case CDDL_T_GEOMETRY:
			if (p->prefix < 0)
			{
				*unbounded = true;
				return 0;
			}
			return (unsigned long long) p->prefix * maxlen;
		case CDDL_T_CHAR:
		case CDDL_T_VARCHAR:
		case CDDL_T_BINARY:
		case CDDL_T_VARBINARY:
			len = (unsigned long long) (t->length > 0 ? t->length : 0);
			if (p->prefix >= 0 && (unsigned long long) p->prefix < len)
				len = (unsigned long long) p->prefix;
			return len * maxlen;
		default:
			return fixed_bytes(t);
	}
}

/* True if a MariaDB UNIQUE key is a long unique key (hidden hash column). */
static bool
is_long_unique(const lay_build *b, const cddl_layout_key *k, bool *computed)
{
	const char *engine = lay_engine_name(b->engine ? b->engine :
										 b->opts->default_engine);
	unsigned long long total = 0;
	unsigned long long limit = 3072;
	bool		unbounded = false;
	size_t		i;

	*computed = false;
	if (b->flavour != CDDL_MARIADB || k->kind != CDDL_KEY_UNIQUE ||
		strcmp(engine, "MEMORY") == 0)
		return false;
	for (i = 0; i < k->nparts; i++)
		total += part_bytes(b, &k->parts[i], &unbounded);
	if (strcmp(engine, "MyISAM") == 0)
		limit = 1000;
	/* Aria refuses a too long key instead of hashing it */
	*computed = unbounded || (total > limit && strcmp(engine, "Aria") != 0);
	return *computed || k->hash_explicit;
}

/* Orders keys: PRIMARY first, then by name. */
static int
key_order(const void *pa, const void *pb)
{
	const cddl_layout_key *a = pa;
	const cddl_layout_key *b = pb;
	const char *x,
			   *y;

	if (a->kind == CDDL_KEY_PRIMARY || b->kind == CDDL_KEY_PRIMARY)
		return (b->kind == CDDL_KEY_PRIMARY) - (a->kind == CDDL_KEY_PRIMARY);
	for (x = a->name, y = b->name;; x++, y++)
	{
		int			cx = (unsigned char) *x;
		int			cy = (unsigned char) *y;

		if (cx >= 'A' && cx <= 'Z')
			cx += 'a' - 'A';
		if (cy >= 'A' && cy <= 'Z')
			cy += 'a' - 'A';
		if (cx != cy || cx == 0)
			return cx != cy ? cx - cy : strcmp(a->name, b->name);
	}
}

/*
 * Final pass over the keys: primary key columns become NOT NULL, long
 * unique keys are decided, keys get their canonical order.
 */
bool
lay_finish_keys(lay_build *b)
{
	size_t		i,
				j;

	for (i = 0; i < b->nkeys; i++)
	{
		cddl_layout_key *k = &b->keys[i];
		bool		computed;

		if (k->kind == CDDL_KEY_PRIMARY)
		{
			for (j = 0; j < k->nparts; j++)
			{
				int			c = k->parts[j].column ? lay_find_col(b, k->parts[j].column) : -1;

				if (c >= 0)
					b->cols[c].c.nullable = false;
			}
		}
		k->long_unique = is_long_unique(b, k, &computed);
		/* canonical: USING HASH counts as written only where it decides */
		if (computed)
			k->hash_explicit = false;
	}
	if (b->nkeys > 1)
		qsort(b->keys, b->nkeys, sizeof(cddl_layout_key), key_order);
	return true;
}
