/*-------------------------------------------------------------------------
 *
 * layout_type.c
 *	  Column types and charsets of a table layout, normalised the way the
 *	  server stores them.
 *
 * Checked on MariaDB 10.11 against information_schema.COLUMNS:
 * - display widths default by signedness (int(11), int(10) unsigned),
 *   ZEROFILL implies UNSIGNED, FLOAT(p) is DOUBLE when p > 24, TIME(0) is
 *   TIME, TEXT(n)/BLOB(n) become the smallest type holding n characters
 *   (bytes), CHARACTER SET binary turns CHAR/VARCHAR/TEXT into BINARY/
 *   VARBINARY/BLOB, a VARCHAR longer than 65,532 bytes becomes a TEXT
 *   type (the statement succeeded, so the session was not strict), ENUM
 *   and SET labels lose trailing spaces, NCHAR is utf8mb3, JSON is
 *   LONGTEXT utf8mb4_bin on MariaDB.  MySQL 8.0 (not checked here) shows
 *   no display width but tinyint(1) and ZEROFILL ones, and no year(4).
 * - a column's CHARACTER SET alone gives that charset's default collation
 *   (not the table's collation); COLLATE alone gives its charset; the
 *   BINARY attribute gives the charset's _bin collation; no clause gives
 *   the table's default charset and collation.
 * - PRIMARY KEY, AUTO_INCREMENT and AS ROW START/END make a column NOT
 *   NULL; TIMESTAMP does too when explicit_defaults_for_timestamp is OFF.
 * - CONVERT TO CHARACTER SET keeps an old TEXT column's length in
 *   characters: TEXT latin1 becomes MEDIUMTEXT utf8mb4, TINYTEXT utf8mb4
 *   stays TINYTEXT in latin1 (its 63 characters fit), and a VARCHAR that
 *   outgrows 65,532 bytes becomes a TEXT type.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ddl_internal.h"

/* The name SHOW CREATE TABLE prints for a storage engine. */
const char *
lay_engine_name(const char *engine)
{
	static const char *const known[] = {
		"InnoDB", "MyISAM", "Aria", "MEMORY", "CSV", "ARCHIVE", "BLACKHOLE",
		"MRG_MyISAM", "FEDERATED", "CONNECT", "ROCKSDB", "SEQUENCE", "S3",
		"SPIDER", "ColumnStore", "Mroonga", "OQGRAPH", "SPHINX", "NDBCLUSTER"
	};
	size_t		i;

	if (engine == NULL)
		return "InnoDB";
	if (cddl_name_eq(engine, "HEAP"))
		return "MEMORY";
	if (cddl_name_eq(engine, "MERGE") || cddl_name_eq(engine, "MRG_MYISAM"))
		return "MRG_MyISAM";
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
	{
		if (cddl_name_eq(engine, known[i]))
			return known[i];
	}
	return engine;
}

/*
 * Resolves a table-level charset and collation (either may be NULL) into
 * *cs and *coll.  With neither, *cs and *coll are left alone.  CHARACTER
 * SET DEFAULT is the schema's; COLLATE DEFAULT the charset's default.
 */
bool
lay_table_charset(lay_build *b, const char *charset, const char *collation,
				  size_t pos, const char **cs, const char **coll)
{
	const char *c = NULL;

	if (charset != NULL && cddl_name_eq(charset, "DEFAULT"))
	{
		const char *scs,
				   *scoll;

		if (!lay_schema_charset(b, b->schema, &scs, &scoll))
			return false;
		*cs = scs;
		*coll = scoll;
		charset = NULL;
		if (collation == NULL)
			return true;
		c = scs;
	}
	if (collation != NULL && cddl_name_eq(collation, "DEFAULT"))
	{
		if (charset != NULL && (c = cddl_charset_canonical(charset)) == NULL)
			return lay_fail(b, pos, charset, "unknown character set \"%s\"", charset);
		*cs = c ? c : *cs;
		*coll = cddl_charset_default_collation(*cs, b->flavour);
		return true;
	}
	if (charset != NULL)
	{
		c = cddl_charset_canonical(charset);
		if (c == NULL)
			return lay_fail(b, pos, charset, "unknown character set \"%s\"", charset);
	}
	if (collation != NULL)
	{
		const cddl_collation_row *r =
			cddl_collation_resolve(collation, c ? c : *cs, b->flavour);

		if (r == NULL)
			return lay_fail(b, pos, collation, "unknown collation \"%s\"", collation);
		if (c != NULL && !cddl_name_eq(c, r->charset))
			return lay_fail(b, pos, collation,
							"collation \"%s\" is not valid for character set \"%s\"",
							collation, c);
		*cs = r->charset;
		*coll = r->name;
	}
	else if (c != NULL)
	{
		*cs = c;
		*coll = cddl_charset_default_collation(c, b->flavour);
	}
	return true;
}

/* True for the TEXT types. */
bool
lay_is_text_type(cddl_base_type t)
{
	return t == CDDL_T_TINYTEXT || t == CDDL_T_TEXT || t == CDDL_T_MEDIUMTEXT ||
		t == CDDL_T_LONGTEXT;
}

/* True for the types that have a character set. */
bool
lay_is_string_type(cddl_base_type t)
{
	return t == CDDL_T_CHAR || t == CDDL_T_VARCHAR || lay_is_text_type(t) ||
		t == CDDL_T_ENUM || t == CDDL_T_SET;
}

/* Most bytes a TEXT/BLOB type holds. */
static unsigned long long
lob_max_bytes(cddl_base_type t)
{
	switch (t)
	{
		case CDDL_T_TINYTEXT:
		case CDDL_T_TINYBLOB:
			return 255;
		case CDDL_T_TEXT:
		case CDDL_T_BLOB:
			return 65535;
		case CDDL_T_MEDIUMTEXT:
		case CDDL_T_MEDIUMBLOB:
			return 16777215;
		default:
			return 4294967295ULL;
	}
}

/* Sets type to the smallest TEXT (or BLOB) type holding bytes bytes. */
static void
set_lob_type(cddl_type *type, unsigned long long bytes, bool binary)
{
	static const cddl_base_type texts[] = {CDDL_T_TINYTEXT, CDDL_T_TEXT,
	CDDL_T_MEDIUMTEXT, CDDL_T_LONGTEXT};
	static const cddl_base_type blobs[] = {CDDL_T_TINYBLOB, CDDL_T_BLOB,
	CDDL_T_MEDIUMBLOB, CDDL_T_LONGBLOB};
	static const char *const tnames[] = {"tinytext", "text", "mediumtext", "longtext"};
	static const char *const bnames[] = {"tinyblob", "blob", "mediumblob", "longblob"};
	int			i = bytes <= 255 ? 0 : bytes <= 65535 ? 1 : bytes <= 16777215 ? 2 : 3;

	type->base = binary ? blobs[i] : texts[i];
	type->name = binary ? bnames[i] : tnames[i];
	type->length = -1;
	type->scale = -1;
}

/* The display width the server gives an integer type without one. */
static long
default_width(cddl_base_type t, bool is_unsigned)
{
	switch (t)
	{
		case CDDL_T_TINYINT:
			return is_unsigned ? 3 : 4;
		case CDDL_T_SMALLINT:
			return is_unsigned ? 5 : 6;
		case CDDL_T_MEDIUMINT:
			return is_unsigned ? 8 : 9;
		case CDDL_T_INT:
			return is_unsigned ? 10 : 11;
		default:
			return 20;
	}
}

/* ENUM/SET labels without trailing spaces (the server strips them). */
static bool
trim_labels(lay_build *b, cddl_type *t)
{
	cddl_strlist *out = NULL,
			  **tail = &out;
	const cddl_strlist *v;

	for (v = t->values; v; v = v->next)
	{
		cddl_strlist *n = cddl_alloc(b->scratch, sizeof(cddl_strlist));
		size_t		len = strlen(v->value);

		if (n == NULL)
			return lay_oom(b);
		while (len > 0 && v->value[len - 1] == ' ')
			len--;
		n->value = cddl_strndup(b->scratch, v->value, len);
		if (n->value == NULL)
			return lay_oom(b);
		*tail = n;
		tail = &n->next;
	}
	t->values = out;
	return true;
}

/*
 * Normalises a parsed type into the form the server stores, for a column
 * of charset cs (NULL for non-string types, "binary" for binary strings).
 */
static bool
normalise_type(lay_build *b, const cddl_type *in, const char *cs, size_t pos,
			   const char *colname, cddl_type *out)
{
	bool		mysql = b->flavour == CDDL_MYSQL;
	bool		bin = cs != NULL && strcmp(cs, "binary") == 0;
	long		maxlen = cs ? cddl_charset_maxlen(cs) : 1;

	*out = *in;
	out->charset = NULL;
	out->collation = NULL;
	out->column_type = NULL;
	out->binary_charset = false;
	out->binary_collation = false;
	out->national = false;
	if (maxlen <= 0)
		maxlen = 1;
	switch (in->base)
	{
		case CDDL_T_TINYINT:
		case CDDL_T_SMALLINT:
		case CDDL_T_MEDIUMINT:
		case CDDL_T_INT:
		case CDDL_T_BIGINT:
			if (mysql && !out->zerofill &&
				!(out->base == CDDL_T_TINYINT && out->length == 1))
				out->length = -1;	/* MySQL 8.0.19+ shows no width */
			else if (out->length < 0)
				out->length = default_width(out->base, out->is_unsigned);
			out->scale = -1;
			break;
		case CDDL_T_DECIMAL:
			if (out->length < 0)
				out->length = 10;
			if (out->scale < 0)
				out->scale = 0;
			break;
		case CDDL_T_FLOAT:
			if (out->scale < 0)
			{
				if (out->length > 24)
				{
					out->base = CDDL_T_DOUBLE;
					out->name = "double";
				}
				out->length = -1;
			}
			break;
		case CDDL_T_DOUBLE:
			out->name = "double";
			if (out->scale < 0)
				out->length = -1;
			break;
		case CDDL_T_BIT:
			if (out->length < 0)
				out->length = 1;
			break;
		case CDDL_T_YEAR:
			if (mysql)
				out->length = -1;
			else if (out->length < 0)
				out->length = 4;
			break;
		case CDDL_T_DATETIME:
		case CDDL_T_TIMESTAMP:
		case CDDL_T_TIME:
			if (out->length == 0)
				out->length = -1;
			if (out->length > 6)
				return lay_fail(b, pos, colname, "fractional seconds precision %ld of column \"%s\" is above 6",
								out->length, colname);
			break;
		case CDDL_T_CHAR:
		case CDDL_T_BINARY:
			if (out->length < 0)
				out->length = 1;
			if (bin || out->base == CDDL_T_BINARY)
			{
				out->base = CDDL_T_BINARY;
				out->name = "binary";
			}
			break;
		case CDDL_T_VARCHAR:
		case CDDL_T_VARBINARY:
			if (out->length < 0)
				return lay_fail(b, pos, colname, "column \"%s\" needs a length", colname);
			if (bin || out->base == CDDL_T_VARBINARY)
			{
				bin = true;
				out->base = CDDL_T_VARBINARY;
				out->name = "varbinary";
			}
			/* too long for VARCHAR: a non-strict session made it a TEXT */
			if ((unsigned long long) out->length * (bin ? 1 : maxlen) > 65532)
				set_lob_type(out, (unsigned long long) out->length * (bin ? 1 : maxlen), bin);
			break;
		case CDDL_T_TINYTEXT:
		case CDDL_T_TEXT:
		case CDDL_T_MEDIUMTEXT:
		case CDDL_T_LONGTEXT:
			if (out->length >= 0)
				set_lob_type(out, (unsigned long long) out->length * maxlen, bin);
			else
				set_lob_type(out, lob_max_bytes(out->base), bin);
			break;
		case CDDL_T_TINYBLOB:
		case CDDL_T_BLOB:
		case CDDL_T_MEDIUMBLOB:
		case CDDL_T_LONGBLOB:
			if (out->length >= 0)
				set_lob_type(out, (unsigned long long) out->length, true);
			else
				set_lob_type(out, lob_max_bytes(out->base), true);
			break;
		case CDDL_T_ENUM:
		case CDDL_T_SET:
			if (!trim_labels(b, out))
				return false;
			out->length = -1;
			out->scale = -1;
			break;
		case CDDL_T_JSON:
			if (!mysql)
				set_lob_type(out, lob_max_bytes(CDDL_T_LONGTEXT), false);
			break;
		case CDDL_T_DATE:
		case CDDL_T_GEOMETRY:
		case CDDL_T_INET4:
		case CDDL_T_INET6:
		case CDDL_T_UUID:
			out->length = -1;
			out->scale = -1;
			break;
	}
	if (lay_is_string_type(out->base) && cs != NULL)
		out->charset = (char *) cs;
	return true;
}

/* The effective charset and collation of a string column definition. */
static bool
column_charset(lay_build *b, const cddl_column *def, const char **cs,
			   const char **coll)
{
	const cddl_type *t = &def->type;
	const char *given = NULL;

	if (b->convert_charset != NULL)
	{
		/* CONVERT TO applies to every string column, even a new one */
		*cs = b->convert_charset;
		*coll = b->convert_collation;
		return true;
	}
	if (t->charset != NULL)
	{
		given = cddl_charset_canonical(t->charset);
		if (given == NULL)
			return lay_fail(b, def->position, t->charset,
							"unknown character set \"%s\"", t->charset);
	}
	else if (t->national)
		given = "utf8mb3";
	else if (t->base == CDDL_T_JSON && t->collation == NULL)
	{
		*cs = "utf8mb4";
		*coll = "utf8mb4_bin";
		return true;
	}
	if (t->collation != NULL && cddl_name_eq(t->collation, "DEFAULT"))
	{
		/* COLLATE DEFAULT: the charset's default, even the table's charset */
		*cs = given ? given : b->charset;
		*coll = cddl_charset_default_collation(*cs, b->flavour);
		return *coll != NULL || lay_fail(b, def->position, def->name,
										 "no collation known for character set \"%s\"", *cs);
	}
	if (t->collation != NULL)
	{
		const cddl_collation_row *r =
			cddl_collation_resolve(t->collation, given ? given : b->charset,
								   b->flavour);

		if (r == NULL)
			return lay_fail(b, def->position, t->collation,
							"unknown collation \"%s\"", t->collation);
		if (given != NULL && !cddl_name_eq(given, r->charset))
			return lay_fail(b, def->position, t->collation,
							"collation \"%s\" is not valid for character set \"%s\"",
							t->collation, given);
		*cs = r->charset;
		*coll = r->name;
		return true;
	}
	*cs = given ? given : b->charset;
	if (t->binary_collation)
		*coll = cddl_charset_bin_collation(*cs, b->flavour);
	else
		*coll = given ? cddl_charset_default_collation(given, b->flavour) :
			b->collation;
	if (*coll == NULL)
		return lay_fail(b, def->position, def->name,
						"no collation known for character set \"%s\"", *cs);
	return true;
}

/*
 * True if a generation expression can be written back as "AS (expr)" and
 * read again: it lexes, its parentheses balance, it has no ";".  Text cut
 * short by a NUL byte inside a quoted name is not.
 */
bool
lay_expr_ok(const char *expr)
{
	cddl_arena *a = cddl_arena_create();
	cddl_tokens toks;
	cddl_error	err;
	size_t		i;
	int			depth = 0;
	bool		good;

	if (a == NULL)
		return false;
	memset(&err, 0, sizeof(err));
	good = cddl_lex(a, expr, strlen(expr), &toks, &err);
	for (i = 0; good && i < toks.n; i++)
	{
		const cddl_token *t = &toks.tok[i];

		if (t->type == TOK_SEMI)
			good = false;
		else if (t->type == TOK_PUNCT && t->value[0] == '(')
			depth++;
		else if (t->type == TOK_PUNCT && t->value[0] == ')')
			good = --depth >= 0;
	}
	cddl_arena_destroy(a);
	return good && depth == 0;
}

/* Turns a column definition into a working column of the table. */
bool
lay_resolve_column(lay_build *b, const cddl_column *def, lay_col *out)
{
	const char *cs = NULL;
	const char *coll = NULL;
	cddl_base_type base = def->type.base;
	cddl_layout_column *c = &out->c;

	memset(out, 0, sizeof(*out));
	out->fresh = true;
	out->def = def;
	c->name = def->name;
	if (lay_is_string_type(base) ||
		(base == CDDL_T_JSON && b->flavour == CDDL_MARIADB))
	{
		if (!column_charset(b, def, &cs, &coll))
			return false;
	}
	if (!normalise_type(b, &def->type, cs, def->position, def->name, &c->type))
		return false;
	if (c->type.charset != NULL)
		c->type.collation = (char *) coll;
	if (c->type.base == CDDL_T_TIME || c->type.base == CDDL_T_DATETIME ||
		c->type.base == CDDL_T_TIMESTAMP)
		c->fsp = c->type.length > 0 ? (int) c->type.length : 0;
	c->nullable = !(def->not_null || def->primary_key || def->auto_increment ||
					def->row_start || def->row_end);
	if (base == CDDL_T_TIMESTAMP && b->opts->timestamp_not_null &&
		!def->null_given && !def->generated)
		c->nullable = false;
	c->invisible = def->invisible;
	c->in_row_image = true;
	if (def->generated)
	{
		c->generated = def->generated_stored ? CDDL_GEN_STORED : CDDL_GEN_VIRTUAL;
		/* the expression is for readers only: never let it spoil the text */
		c->generation_expr = def->generation_expr && lay_expr_ok(def->generation_expr) ?
			def->generation_expr : "NULL";
		c->nullable = !def->not_null;
	}
	c->row_start = def->row_start;
	c->row_end = def->row_end;
	c->compressed = def->compressed;
	return true;
}

/*
 * CONVERT TO CHARACTER SET on a column the statement does not redefine:
 * the new charset, and a TEXT type (or a VARCHAR too long for it) grows to
 * keep its length in characters, as the server does: TEXT in latin1 is
 * MEDIUMTEXT in utf8mb4, TINYTEXT in utf8mb4 stays TINYTEXT in latin1.
 */
bool
lay_convert_column(lay_build *b, lay_col *c)
{
	cddl_type  *t = &c->c.type;
	const char *cs = b->convert_charset;
	bool		bin = strcmp(cs, "binary") == 0;
	long		oldmax,
				newmax = cddl_charset_maxlen(cs);

	if (!lay_is_string_type(t->base) || t->charset == NULL)
		return true;
	oldmax = cddl_charset_maxlen(t->charset);
	if (oldmax <= 0)
		oldmax = 1;
	if (newmax <= 0)
		newmax = 1;
	if (lay_is_text_type(t->base))
		set_lob_type(t, lob_max_bytes(t->base) / (unsigned long long) oldmax *
					 (unsigned long long) newmax, bin);
	else if (t->base == CDDL_T_VARCHAR)
	{
		if (bin)
		{
			t->base = CDDL_T_VARBINARY;
			t->name = "varbinary";
		}
		if ((unsigned long long) t->length * (unsigned long long) newmax > 65532)
			set_lob_type(t, (unsigned long long) t->length * (unsigned long long) newmax, bin);
	}
	else if (t->base == CDDL_T_CHAR && bin)
	{
		t->base = CDDL_T_BINARY;
		t->name = "binary";
	}
	if (lay_is_string_type(t->base))
	{
		t->charset = (char *) cs;
		t->collation = (char *) b->convert_collation;
	}
	else
	{
		t->charset = NULL;
		t->collation = NULL;
	}
	return true;
}

/* The default charset and collation of a schema (for new tables). */
bool
lay_schema_charset(lay_build *b, const char *schema, const char **cs,
				   const char **coll)
{
	const cddl_layout_options *o = b->opts;
	const char *c = NULL;
	const char *l = NULL;

	if (o->schema_charset_of == NULL ||
		!o->schema_charset_of(o->lookup_ctx, schema, &c, &l))
	{
		c = o->schema_charset;
		l = o->schema_collation;
	}
	*cs = "utf8mb4";
	*coll = cddl_charset_default_collation("utf8mb4", b->flavour);
	return lay_table_charset(b, c, l, 0, cs, coll);
}

