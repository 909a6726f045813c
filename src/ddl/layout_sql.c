/*-------------------------------------------------------------------------
 *
 * layout_sql.c
 *	  A table layout as text (canonical CREATE TABLE, information_schema
 *	  COLUMN_TYPE) and as the binlog sees it (TABLE_MAP types and
 *	  metadata).
 *
 * The canonical CREATE TABLE is what the schema history stores: readable
 * by a DBA, valid MySQL, and read back by cddl_layout_from_sql() into an
 * identical layout.  It spells out everything a default could change:
 * every string column's CHARACTER SET and COLLATE, NULL or NOT NULL, the
 * engine and the table's default charset.  Hidden columns are not written:
 * they follow from WITH SYSTEM VERSIONING and the long unique keys.
 * Defaults, comments, checks and foreign keys are not part of a layout.
 *
 * TABLE_MAP facts (MariaDB 10.11 binlogs, decoded by hand): CHAR, BINARY,
 * ENUM, SET, INET4, INET6 and UUID are type 254 (STRING) with the real type
 * and byte length in the metadata; VARCHAR and VARBINARY 15, or 141 when
 * COMPRESSED (with one more byte of length); TEXT and BLOB types 252 (140
 * when COMPRESSED), hidden long unique hashes 8, NOT NULL; MariaDB's JSON
 * too (it is LONGTEXT); DATETIME/TIMESTAMP/TIME 18/17/19 with the fraction
 * digits as metadata (the default mysql56_temporal_format).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ddl_internal.h"

/* Appends a label or expression quoted as MySQL prints it. */
static void
put_quoted(cddl_buf *b, const char *s)
{
	cddl_buf_putc(b, '\'');
	for (; *s; s++)
	{
		if (*s == '\'' || *s == '\\')
			cddl_buf_putc(b, *s);
		cddl_buf_putc(b, *s);
	}
	cddl_buf_putc(b, '\'');
}

/* Appends an identifier in backquotes. */
static void
put_ident(cddl_buf *b, const char *s)
{
	cddl_buf_putc(b, '`');
	for (; *s; s++)
	{
		if (*s == '`')
			cddl_buf_putc(b, '`');
		cddl_buf_putc(b, *s);
	}
	cddl_buf_putc(b, '`');
}

/* Appends a word as is when it is a plain identifier, else in backquotes. */
static void
put_word(cddl_buf *b, const char *s)
{
	const char *c;

	for (c = s; *c; c++)
	{
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '_'))
			break;
	}
	if (*c == '\0' && c != s)
		cddl_buf_puts(b, s);
	else
		put_ident(b, s);
}

/* Appends a type as information_schema.COLUMNS.COLUMN_TYPE shows it. */
static void
put_type(cddl_buf *b, const cddl_type *t)
{
	cddl_buf_puts(b, t->name);
	if (t->base == CDDL_T_ENUM || t->base == CDDL_T_SET)
	{
		const cddl_strlist *v;

		cddl_buf_putc(b, '(');
		for (v = t->values; v; v = v->next)
		{
			put_quoted(b, v->value);
			if (v->next)
				cddl_buf_putc(b, ',');
		}
		cddl_buf_putc(b, ')');
	}
	else if (t->length >= 0 && t->scale >= 0)
		cddl_buf_printf(b, "(%ld,%ld)", t->length, t->scale);
	else if (t->length >= 0)
		cddl_buf_printf(b, "(%ld)", t->length);
	if (t->is_unsigned)
		cddl_buf_puts(b, " unsigned");
	if (t->zerofill)
		cddl_buf_puts(b, " zerofill");
}

/* The COLUMN_TYPE text of a normalised type, in arena (NULL: no memory). */
char *
lay_column_type(cddl_arena *arena, const cddl_type *type)
{
	cddl_buf	b;
	char	   *r = NULL;

	cddl_buf_init(&b);
	put_type(&b, type);
	if (!b.failed && b.data)
		r = cddl_strdup(arena, b.data);
	cddl_buf_free(&b);
	return r;
}

/* Appends one column definition (exprs: with its generation expression). */
static void
put_column(cddl_buf *b, const cddl_layout_column *c, bool exprs)
{
	cddl_buf_puts(b, "  ");
	put_ident(b, c->name);
	cddl_buf_putc(b, ' ');
	put_type(b, &c->type);
	if (c->compressed)
		cddl_buf_puts(b, " /*M!100301 COMPRESSED*/");
	if (c->type.charset != NULL)
		cddl_buf_printf(b, " CHARACTER SET %s COLLATE %s", c->type.charset,
						c->type.collation ? c->type.collation : c->type.charset);
	if (c->generated != CDDL_GEN_NONE)
	{
		cddl_buf_printf(b, " GENERATED ALWAYS AS (%s) %s",
						exprs && c->generation_expr ? c->generation_expr : "NULL",
						c->generated == CDDL_GEN_STORED ? "STORED" : "VIRTUAL");
		if (!c->nullable)
			cddl_buf_puts(b, " NOT NULL");
	}
	else if (c->row_start || c->row_end)
		cddl_buf_printf(b, " GENERATED ALWAYS AS ROW %s", c->row_start ? "START" : "END");
	else
		cddl_buf_puts(b, c->nullable ? " NULL" : " NOT NULL");
	if (c->invisible)
		cddl_buf_puts(b, " INVISIBLE");
}

/* Appends one key definition. */
static void
put_key(cddl_buf *b, const cddl_layout_key *k, bool exprs)
{
	size_t		i;

	switch (k->kind)
	{
		case CDDL_KEY_PRIMARY:
			cddl_buf_puts(b, "  PRIMARY KEY (");
			break;
		case CDDL_KEY_UNIQUE:
			cddl_buf_puts(b, "  UNIQUE KEY ");
			break;
		case CDDL_KEY_FULLTEXT:
			cddl_buf_puts(b, "  FULLTEXT KEY ");
			break;
		case CDDL_KEY_SPATIAL:
			cddl_buf_puts(b, "  SPATIAL KEY ");
			break;
		default:
			cddl_buf_puts(b, "  KEY ");
			break;
	}
	if (k->kind != CDDL_KEY_PRIMARY)
	{
		put_ident(b, k->name);
		cddl_buf_puts(b, " (");
	}
	for (i = 0; i < k->nparts; i++)
	{
		const cddl_layout_key_part *p = &k->parts[i];

		if (i > 0)
			cddl_buf_putc(b, ',');
		if (p->column)
			put_ident(b, p->column);
		else
			cddl_buf_printf(b, "(%s)", exprs && p->expr ? p->expr : "NULL");
		if (p->prefix >= 0)
			cddl_buf_printf(b, "(%ld)", p->prefix);
		if (p->descending)
			cddl_buf_puts(b, " DESC");
	}
	cddl_buf_putc(b, ')');
	if (k->long_unique)
		cddl_buf_puts(b, " USING HASH");
}

/*
 * Writes the canonical CREATE TABLE of a layout into b; without exprs, the
 * generation and key expressions are NULL (they do not make a layout).
 */
static void
write_sql(cddl_buf *out, const cddl_layout *l, bool exprs)
{
	size_t		i;
	const char *sep = "";
	const char *start = NULL,
			   *end = NULL;

	cddl_buf_puts(out, "CREATE TABLE ");
	if (l->schema)
	{
		put_ident(out, l->schema);
		cddl_buf_putc(out, '.');
	}
	put_ident(out, l->name ? l->name : "");
	cddl_buf_puts(out, " (\n");
	for (i = 0; i < l->ncolumns; i++)
	{
		const cddl_layout_column *c = &l->columns[i];

		if (c->hidden != CDDL_HIDDEN_NONE)
			continue;
		cddl_buf_puts(out, sep);
		put_column(out, c, exprs);
		sep = ",\n";
		if (c->row_start)
			start = c->name;
		if (c->row_end)
			end = c->name;
	}
	for (i = 0; i < l->nkeys; i++)
	{
		cddl_buf_puts(out, sep);
		put_key(out, &l->keys[i], exprs);
		sep = ",\n";
	}
	if (start && end)
	{
		cddl_buf_puts(out, sep);
		cddl_buf_puts(out, "  PERIOD FOR SYSTEM_TIME (");
		put_ident(out, start);
		cddl_buf_puts(out, ", ");
		put_ident(out, end);
		cddl_buf_putc(out, ')');
	}
	cddl_buf_puts(out, "\n) ENGINE=");
	put_word(out, l->engine ? l->engine : "InnoDB");
	if (l->charset)
		cddl_buf_printf(out, " DEFAULT CHARSET=%s COLLATE=%s", l->charset,
						l->collation ? l->collation : l->charset);
	if (l->system_versioned)
		cddl_buf_puts(out, " WITH SYSTEM VERSIONING");
}

/* The canonical CREATE TABLE text of a layout (cached in the layout). */
const char *
cddl_layout_sql(cddl_layout *l)
{
	cddl_buf	b;

	if (l == NULL)
		return NULL;
	if (l->sql != NULL)
		return l->sql;
	cddl_buf_init(&b);
	write_sql(&b, l, true);
	if (!b.failed && b.data)
		l->sql = cddl_strdup(l->arena, b.data);
	cddl_buf_free(&b);
	return l->sql;
}

/*
 * True if two layouts are identical: the same canonical text but for the
 * spelling of expressions (MariaDB prints `a` * 2 for a*2), and flavour.
 */
bool
cddl_layout_equal(const cddl_layout *a, const cddl_layout *b)
{
	cddl_buf	x,
				y;
	bool		same;

	if (a == NULL || b == NULL)
		return false;
	cddl_buf_init(&x);
	cddl_buf_init(&y);
	write_sql(&x, a, false);
	write_sql(&y, b, false);
	same = !x.failed && !y.failed && x.data && y.data &&
		a->flavour == b->flavour && strcmp(x.data, y.data) == 0;
	cddl_buf_free(&x);
	cddl_buf_free(&y);
	return same;
}

/* Number of ENUM or SET labels. */
static size_t
nlabels(const cddl_type *t)
{
	size_t		n = 0;
	const cddl_strlist *v;

	for (v = t->values; v; v = v->next)
		n++;
	return n;
}

/* What the TABLE_MAP of the layout's table says about column i. */
bool
cddl_layout_binlog(const cddl_layout *l, size_t i, cddl_binlog_column *out)
{
	const cddl_layout_column *c;
	const cddl_type *t;
	uint32_t	maxlen = 1;
	size_t		n;

	if (l == NULL || i >= l->ncolumns || out == NULL)
		return false;
	c = &l->columns[i];
	t = &c->type;
	memset(out, 0, sizeof(*out));
	out->nullable = c->nullable;
	out->is_unsigned = t->is_unsigned;
	if (t->charset != NULL)
	{
		maxlen = (uint32_t) cddl_charset_maxlen(t->charset);
		out->collation_id = (uint32_t) cddl_collation_id(t->collation ? t->collation :
														 t->charset, l->flavour);
	}
	switch (t->base)
	{
		case CDDL_T_TINYINT:
			out->type = 1;
			break;
		case CDDL_T_SMALLINT:
			out->type = 2;
			break;
		case CDDL_T_MEDIUMINT:
			out->type = 9;
			break;
		case CDDL_T_INT:
			out->type = 3;
			break;
		case CDDL_T_BIGINT:
			out->type = 8;
			break;
		case CDDL_T_FLOAT:
			out->type = 4;
			break;
		case CDDL_T_DOUBLE:
			out->type = 5;
			break;
		case CDDL_T_DECIMAL:
			out->type = 246;
			out->precision = (uint8_t) t->length;
			out->scale = (uint8_t) t->scale;
			break;
		case CDDL_T_BIT:
			out->type = 16;
			out->bits = (uint16_t) t->length;
			break;
		case CDDL_T_YEAR:
			out->type = 13;
			break;
		case CDDL_T_DATE:
			out->type = 10;
			break;
		case CDDL_T_DATETIME:
			out->type = 18;
			out->fsp = (uint8_t) c->fsp;
			break;
		case CDDL_T_TIMESTAMP:
			out->type = 17;
			out->fsp = (uint8_t) c->fsp;
			break;
		case CDDL_T_TIME:
			out->type = 19;
			out->fsp = (uint8_t) c->fsp;
			break;
		case CDDL_T_CHAR:
			out->type = 254;
			out->max_len = (uint32_t) t->length * maxlen;
			break;
		case CDDL_T_BINARY:
			out->type = 254;
			out->max_len = (uint32_t) t->length;
			out->collation_id = 63;
			break;
		case CDDL_T_VARCHAR:
			out->type = c->compressed ? 141 : 15;
			/* a compressed value carries a one-byte header */
			out->max_len = (uint32_t) t->length * maxlen + (c->compressed ? 1 : 0);
			break;
		case CDDL_T_VARBINARY:
			out->type = c->compressed ? 141 : 15;
			out->max_len = (uint32_t) t->length + (c->compressed ? 1 : 0);
			out->collation_id = 63;
			break;
		case CDDL_T_TINYTEXT:
		case CDDL_T_TINYBLOB:
		case CDDL_T_TEXT:
		case CDDL_T_BLOB:
		case CDDL_T_MEDIUMTEXT:
		case CDDL_T_MEDIUMBLOB:
		case CDDL_T_LONGTEXT:
		case CDDL_T_LONGBLOB:
			out->type = c->compressed ? 140 : 252;
			out->len_bytes = t->base == CDDL_T_TINYTEXT || t->base == CDDL_T_TINYBLOB ? 1 :
				t->base == CDDL_T_TEXT || t->base == CDDL_T_BLOB ? 2 :
				t->base == CDDL_T_MEDIUMTEXT || t->base == CDDL_T_MEDIUMBLOB ? 3 : 4;
			if (t->charset == NULL)
				out->collation_id = 63;
			break;
		case CDDL_T_ENUM:
			out->type = 254;
			n = nlabels(t);
			out->len_bytes = n > 255 ? 2 : 1;
			break;
		case CDDL_T_SET:
			out->type = 254;
			n = (nlabels(t) + 7) / 8;
			out->len_bytes = (uint8_t) (n > 4 ? 8 : n);
			break;
		case CDDL_T_JSON:
			out->type = 245;
			out->len_bytes = 4;
			break;
		case CDDL_T_GEOMETRY:
			out->type = 255;
			out->len_bytes = 4;
			break;
		case CDDL_T_INET4:
			out->type = 254;
			out->max_len = 4;
			break;
		case CDDL_T_INET6:
		case CDDL_T_UUID:
			out->type = 254;
			out->max_len = 16;
			break;
	}
	out->real_type = t->base == CDDL_T_ENUM ? 247 : t->base == CDDL_T_SET ? 248 :
		out->type;
	return true;
}
