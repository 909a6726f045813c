/*-------------------------------------------------------------------------
 *
 * parse_column.c
 *	  Parsing of column definitions, data types and defaults, shared by
 *	  CREATE TABLE and ALTER TABLE (key definitions are in parse_key.c).
 *
 * Column attributes may come in any order, as MySQL allows; attributes
 * without PostgreSQL meaning (COLUMN_FORMAT, STORAGE, ...) are recognised
 * and skipped so that statements copied from SHOW CREATE TABLE of any
 * server version parse.  A geometry column's SRID (MySQL 8 "SRID n",
 * MariaDB "REF_SYSTEM_ID=n") is kept in its type.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "ddl_internal.h"

/* Skips an optional "=" (column options allow it). */
static void
skip_eq(cddl_parser *p)
{
	cddl_accept_punct(p, '=');
}

/* The SRID of a SRID / REF_SYSTEM_ID option value; 0 when not a number. */
static long
parse_srid(const char *v)
{
	long		n = 0;

	if (v == NULL || *v == '\0')
		return 0;
	for (; *v; v++)
	{
		if (*v < '0' || *v > '9' || n > 0xFFFFFFFFL)
			return 0;
		n = n * 10 + (*v - '0');
	}
	return n > 0xFFFFFFFFL ? 0 : n;
}

/* Parses the charset name after CHARACTER SET / CHARSET. */
static char *
parse_charset_name(cddl_parser *p)
{
	const cddl_token *t;

	skip_eq(p);
	t = cddl_peek(p, 0);
	if (t->type == TOK_WORD || t->type == TOK_QIDENT || t->type == TOK_STRING)
	{
		p->pos++;
		return t->value;
	}
	cddl_fail(p, "syntax error, expected a character set name");
	return NULL;
}

/* Parses the charset/collation modifiers that may follow a string type. */
static bool
parse_type_charset(cddl_parser *p, cddl_type *type)
{
	for (;;)
	{
		if (cddl_at_kw(p, "CHARACTER") && cddl_is_kw(cddl_peek(p, 1), "SET"))
		{
			p->pos += 2;
			if ((type->charset = parse_charset_name(p)) == NULL)
				return false;
		}
		else if (cddl_at_kw(p, "CHARSET") || (cddl_at_kw(p, "CHAR") &&
											  cddl_is_kw(cddl_peek(p, 1), "SET")))
		{
			p->pos += cddl_at_kw(p, "CHARSET") ? 1 : 2;
			if ((type->charset = parse_charset_name(p)) == NULL)
				return false;
		}
		else if (cddl_at_kw(p, "COLLATE"))
		{
			p->pos++;
			if ((type->collation = parse_charset_name(p)) == NULL)
				return false;
		}
		else if (cddl_accept_kw(p, "BINARY"))
		{
			/* BINARY here means the charset's binary collation only */
			type->binary_collation = true;
			continue;
		}
		else if (cddl_accept_kw(p, "ASCII"))
		{
			if (type->charset == NULL)
				type->charset = "latin1";
			continue;
		}
		else if (cddl_accept_kw(p, "UNICODE"))
		{
			if (type->charset == NULL)
				type->charset = "ucs2";
			continue;
		}
		else if (cddl_accept_kw(p, "BYTE"))
		{
			/* CHAR(n) BYTE is BINARY(n) */
			type->charset = "binary";
			type->binary_charset = true;
			continue;
		}
		else
			break;
		if (type->charset && (strcmp(type->charset, "binary") == 0 ||
							  strcmp(type->charset, "BINARY") == 0))
			type->binary_charset = true;
	}
	return true;
}

/* Parses "('a','b',...)" of ENUM/SET. */
static bool
parse_labels(cddl_parser *p, cddl_type *type)
{
	cddl_strlist **tail = &type->values;

	if (!cddl_expect_punct(p, '('))
		return false;
	do
	{
		const cddl_token *t = cddl_peek(p, 0);
		cddl_strlist *s;

		/* _charset introducer separated by a space */
		if (t->type == TOK_WORD && t->value[0] == '_' &&
			cddl_peek(p, 1)->type == TOK_STRING)
		{
			p->pos++;
			t = cddl_peek(p, 0);
		}
		if (t->type != TOK_STRING)
			return cddl_fail(p, "syntax error, expected a quoted value");
		s = cddl_alloc(p->arena, sizeof(cddl_strlist));
		if (s == NULL)
			return cddl_oom(p);
		s->value = t->value;
		p->pos++;
		*tail = s;
		tail = &s->next;
	} while (cddl_accept_punct(p, ','));
	return cddl_expect_punct(p, ')');
}

/* Parses a MySQL data type with its length, scale and modifiers. */
bool
cddl_parse_data_type(cddl_parser *p, cddl_type *type)
{
	const cddl_token *t = cddl_peek(p, 0);

	memset(type, 0, sizeof(*type));
	type->length = -1;
	type->scale = -1;
	if (t->type != TOK_WORD)
		return cddl_fail(p, "syntax error, expected a data type");
	/* mariadb_schema.DATE: the MariaDB (not Oracle-mode) meaning of a type */
	if (cddl_is_kw(t, "MARIADB_SCHEMA") && cddl_peek(p, 1)->type == TOK_PUNCT &&
		cddl_peek(p, 1)->value[0] == '.' && cddl_peek(p, 2)->type == TOK_WORD)
	{
		p->pos += 2;
		t = cddl_peek(p, 0);
	}

	/* multi-word types first */
	if (cddl_at_kw(p, "NATIONAL"))
	{
		p->pos++;
		t = cddl_peek(p, 0);
		type->national = true;
	}
	if (cddl_is_kw(t, "NCHAR") || cddl_is_kw(t, "NVARCHAR"))
		type->national = true;
	if (cddl_at_kw(p, "LONG"))
	{
		p->pos++;
		if (cddl_accept_kw(p, "VARBINARY"))
		{
			type->base = CDDL_T_MEDIUMBLOB;
			type->name = "mediumblob";
		}
		else
		{
			if (cddl_at_kw(p, "CHAR") && cddl_is_kw(cddl_peek(p, 1), "VARYING"))
				p->pos += 2;
			else
				(void) cddl_accept_kw(p, "VARCHAR");
			type->base = CDDL_T_MEDIUMTEXT;
			type->name = "mediumtext";
		}
		type->length = -1;
		type->scale = -1;
	}
	else
	{
		if (t->type != TOK_WORD || !cddl_lookup_type(t->value, type))
			return cddl_fail(p, "unknown data type");
		p->pos++;
		if (type->base == CDDL_T_DOUBLE && cddl_accept_kw(p, "PRECISION"))
			type->name = "double";
		if ((type->base == CDDL_T_CHAR) && cddl_accept_kw(p, "VARYING"))
		{
			type->base = CDDL_T_VARCHAR;
			type->name = "varchar";
		}
		if (type->base == CDDL_T_CHAR && cddl_at_kw(p, "BYTE"))
		{
			p->pos++;
			type->base = CDDL_T_BINARY;
			type->name = "binary";
		}
	}
	if (cddl_is_kw(t, "SERIAL"))
		type->is_unsigned = true;

	if (type->base == CDDL_T_ENUM || type->base == CDDL_T_SET)
	{
		if (!parse_labels(p, type))
			return false;
	}
	else if (cddl_at_punct(p, '('))
	{
		p->pos++;
		if (!cddl_parse_long(p, &type->length))
			return false;
		if (cddl_accept_punct(p, ','))
		{
			if (!cddl_parse_long(p, &type->scale))
				return false;
		}
		if (!cddl_expect_punct(p, ')'))
			return false;
	}

	for (;;)
	{
		if (cddl_accept_kw(p, "UNSIGNED"))
			type->is_unsigned = true;
		else if (cddl_accept_kw(p, "SIGNED"))
			continue;
		else if (cddl_accept_kw(p, "ZEROFILL"))
		{
			type->zerofill = true;
			type->is_unsigned = true;
		}
		else
			break;
	}
	if (!parse_type_charset(p, type))
		return false;
	if (!cddl_build_column_type(p->arena, type))
		return cddl_oom(p);
	return true;
}

/* True if the word names a function whose result is "now". */
static bool
is_now_word(const cddl_token *t)
{
	return cddl_is_kw(t, "CURRENT_TIMESTAMP") || cddl_is_kw(t, "NOW") ||
		cddl_is_kw(t, "LOCALTIME") || cddl_is_kw(t, "LOCALTIMESTAMP") ||
		cddl_is_kw(t, "SYSDATE");
}

/*
 * Parses "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP(n)", "NOW()"... into def;
 * false without consuming anything when the current token is not one.
 */
static bool
parse_now(cddl_parser *p, cddl_default *def)
{
	if (!is_now_word(cddl_peek(p, 0)))
		return false;
	p->pos++;
	def->kind = CDDL_DEF_CURRENT_TIMESTAMP;
	def->precision = -1;
	def->text = "CURRENT_TIMESTAMP";
	if (cddl_at_punct(p, '('))
	{
		const cddl_token *t = cddl_peek(p, 1);

		if (t->type == TOK_NUMBER && cddl_peek(p, 2)->type == TOK_PUNCT &&
			cddl_peek(p, 2)->value[0] == ')')
		{
			def->precision = t->value[0] - '0';
			if (t->value[1] != '\0' || def->precision > 6)
				def->precision = 6;
			p->pos += 3;
		}
		else if (cddl_peek(p, 1)->type == TOK_PUNCT && cddl_peek(p, 1)->value[0] == ')')
			p->pos += 2;
	}
	return true;
}

/* Parses one operand of a default expression (a primary). */
static bool
skip_primary(cddl_parser *p)
{
	const cddl_token *t = cddl_peek(p, 0);

	if (++p->depth > CDDL_MAX_DEPTH)
		return cddl_fail(p, "expression nested too deeply");
	while (t->type == TOK_PUNCT && (t->value[0] == '-' || t->value[0] == '+' ||
									t->value[0] == '~' || t->value[0] == '!'))
	{
		p->pos++;
		t = cddl_peek(p, 0);
	}
	if (cddl_at_punct(p, '('))
	{
		if (cddl_skip_balanced(p) == NULL)
			return false;
	}
	else if ((cddl_is_kw(t, "NEXT") || cddl_is_kw(t, "PREVIOUS")) &&
			 cddl_is_kw(cddl_peek(p, 1), "VALUE") &&
			 cddl_is_kw(cddl_peek(p, 2), "FOR"))
	{
		/* NEXT VALUE FOR seq (MariaDB sequences) */
		cddl_name	seq;

		p->pos += 3;
		if (!cddl_parse_name(p, &seq, "sequence name"))
			return false;
	}
	else if (t->type == TOK_WORD || t->type == TOK_QIDENT)
	{
		const cddl_token *n;

		p->pos++;
		n = cddl_peek(p, 0);
		/* _charset 'literal', _charset 0x.. */
		if (t->type == TOK_WORD && t->value[0] == '_' &&
			(n->type == TOK_STRING || n->type == TOK_HEX || n->type == TOK_BIT))
			p->pos++;
		else
		{
			/* schema.table.column */
			while (cddl_at_punct(p, '.'))
			{
				p->pos++;
				if (cddl_parse_ident(p, "identifier") == NULL)
					return false;
			}
		}
		if (cddl_at_punct(p, '(') && cddl_skip_balanced(p) == NULL)
			return false;
	}
	else if (t->type == TOK_STRING || t->type == TOK_NUMBER ||
			 t->type == TOK_HEX || t->type == TOK_BIT || t->type == TOK_VARIABLE)
		p->pos++;
	else
		return cddl_fail(p, "syntax error in default value");
	p->depth--;
	return true;
}

/* True if the current token is a binary operator inside an expression. */
static bool
at_operator(cddl_parser *p)
{
	const cddl_token *t = cddl_peek(p, 0);

	if (t->type == TOK_OP)
		return true;
	if (t->type == TOK_PUNCT)
		return strchr("+-*/%|&^<>=", t->value[0]) != NULL;
	return cddl_is_kw(t, "DIV") || cddl_is_kw(t, "MOD");
}

/*
 * Parses a DEFAULT value.  Literals and "now" are decoded; anything else
 * (function calls, parenthesised expressions) is kept as CDDL_DEF_EXPR
 * with its source text so that the translator can decide.
 */
bool
cddl_parse_default(cddl_parser *p, cddl_default *def)
{
	size_t		first = p->pos;
	const cddl_token *t = cddl_peek(p, 0);
	bool		neg = false;

	memset(def, 0, sizeof(*def));
	def->precision = -1;

	/* MariaDB prints DEFAULT (expr) for expressions, but literals may be
	 * parenthesised too: unwrap one level of (literal) */
	if (cddl_at_punct(p, '(') && cddl_peek(p, 2)->type == TOK_PUNCT &&
		cddl_peek(p, 2)->value[0] == ')' &&
		(cddl_peek(p, 1)->type == TOK_STRING || cddl_peek(p, 1)->type == TOK_NUMBER))
	{
		p->pos++;
		if (!cddl_parse_default(p, def))
			return false;
		return cddl_expect_punct(p, ')');
	}

	if (parse_now(p, def))
		goto done;
	if (t->type == TOK_WORD && t->value[0] == '_' && cddl_peek(p, 1)->type == TOK_STRING)
	{
		p->pos++;
		t = cddl_peek(p, 0);
	}
	if (cddl_at_kw(p, "NULL"))
	{
		p->pos++;
		def->kind = CDDL_DEF_NULL;
		goto done;
	}
	if (cddl_at_kw(p, "TRUE") || cddl_at_kw(p, "FALSE"))
	{
		def->kind = CDDL_DEF_BOOL;
		def->text = cddl_at_kw(p, "TRUE") ? "1" : "0";
		p->pos++;
		goto done;
	}
	while (t->type == TOK_PUNCT && (t->value[0] == '-' || t->value[0] == '+'))
	{
		if (t->value[0] == '-')
			neg = !neg;
		p->pos++;
		t = cddl_peek(p, 0);
	}
	if (t->type == TOK_NUMBER && p->pos - first <= 2)
	{
		char	   *v;

		v = cddl_alloc(p->arena, strlen(t->value) + 2);
		if (v == NULL)
			return cddl_oom(p);
		snprintf(v, strlen(t->value) + 2, "%s%s", neg ? "-" : "", t->value);
		def->kind = CDDL_DEF_NUMBER;
		def->text = v;
		p->pos++;
		goto done;
	}
	if (!neg && p->pos == first)
	{
		if (t->type == TOK_STRING)
		{
			def->kind = CDDL_DEF_STRING;
			def->text = t->value;
			p->pos++;
			/* adjacent literals concatenate in MySQL */
			while (cddl_peek(p, 0)->type == TOK_STRING)
			{
				const char *more = cddl_peek(p, 0)->value;
				size_t		n = strlen(def->text) + strlen(more) + 1;
				char	   *v = cddl_alloc(p->arena, n);

				if (v == NULL)
					return cddl_oom(p);
				snprintf(v, n, "%s%s", def->text, more);
				def->text = v;
				p->pos++;
			}
			goto done;
		}
		if (t->type == TOK_HEX || t->type == TOK_BIT)
		{
			def->kind = t->type == TOK_HEX ? CDDL_DEF_HEX : CDDL_DEF_BIT;
			def->text = t->value;
			p->pos++;
			goto done;
		}
	}

	/* general expression */
	p->pos = first;
	if (!skip_primary(p))
		return false;
	while (at_operator(p))
	{
		p->pos++;
		if (!skip_primary(p))
			return false;
	}
	def->kind = CDDL_DEF_EXPR;
	def->text = cddl_text_between(p, first, p->pos);
	if (def->text == NULL)
		return false;
	return true;

done:
	/* a literal followed by an operator is an expression after all */
	if (at_operator(p))
	{
		while (at_operator(p))
		{
			p->pos++;
			if (!skip_primary(p))
				return false;
		}
		def->kind = CDDL_DEF_EXPR;
		def->text = cddl_text_between(p, first, p->pos);
		if (def->text == NULL)
			return false;
	}
	return true;
}

/* Parses "(expr) [VIRTUAL|STORED|PERSISTENT]" after AS / GENERATED ALWAYS AS. */
static bool
parse_generated(cddl_parser *p, cddl_column *c)
{
	c->generated = true;
	c->generation_expr = cddl_skip_balanced(p);
	if (c->generation_expr == NULL)
		return false;
	if (cddl_accept_kw(p, "STORED") || cddl_accept_kw(p, "PERSISTENT"))
		c->generated_stored = true;
	else
		(void) cddl_accept_kw(p, "VIRTUAL");
	return true;
}

/* Parses the attributes of a column after its type. */
static bool
parse_column_attributes(cddl_parser *p, cddl_column *c)
{
	char	   *fk_name = NULL; /* CONSTRAINT name of an inline REFERENCES */

	for (;;)
	{
		const cddl_token *t = cddl_peek(p, 0);

		if (cddl_at_end(p) || cddl_at_punct(p, ',') || cddl_at_punct(p, ')'))
			return true;
		if (cddl_at_kw(p, "NOT") && cddl_is_kw(cddl_peek(p, 1), "NULL"))
		{
			p->pos += 2;
			c->not_null = true;
			c->null_given = false;
		}
		else if (cddl_accept_kw(p, "NULL"))
		{
			c->null_given = true;
			c->not_null = false;
		}
		else if (cddl_accept_kw(p, "DEFAULT"))
		{
			if (!cddl_parse_default(p, &c->def))
				return false;
		}
		else if (cddl_at_kw(p, "ON") && cddl_is_kw(cddl_peek(p, 1), "UPDATE"))
		{
			cddl_default d;

			p->pos += 2;
			if (!cddl_parse_default(p, &d))
				return false;
			c->on_update_now = (d.kind == CDDL_DEF_CURRENT_TIMESTAMP);
		}
		else if (cddl_accept_kw(p, "AUTO_INCREMENT"))
			c->auto_increment = true;
		else if (cddl_at_kw(p, "SERIAL") && cddl_is_kw(cddl_peek(p, 1), "DEFAULT") &&
				 cddl_is_kw(cddl_peek(p, 2), "VALUE"))
		{
			p->pos += 3;
			c->auto_increment = true;
			c->not_null = true;
			c->unique_key = true;
		}
		else if (cddl_accept_kw(p, "PRIMARY"))
		{
			if (!cddl_expect_kw(p, "KEY"))
				return false;
			c->primary_key = true;
			c->not_null = true;
		}
		else if (cddl_accept_kw(p, "KEY"))
		{
			/* KEY alone in a column definition means PRIMARY KEY */
			c->primary_key = true;
			c->not_null = true;
		}
		else if (cddl_accept_kw(p, "UNIQUE"))
		{
			(void) cddl_accept_kw(p, "KEY");
			c->unique_key = true;
		}
		else if (cddl_accept_kw(p, "COMMENT"))
		{
			t = cddl_peek(p, 0);
			if (t->type != TOK_STRING)
				return cddl_fail(p, "syntax error, expected a comment string");
			c->comment = t->value;
			p->pos++;
		}
		else if (cddl_at_kw(p, "COLLATE") || cddl_at_kw(p, "CHARACTER") ||
				 cddl_at_kw(p, "CHARSET") || cddl_at_kw(p, "BINARY") ||
				 cddl_at_kw(p, "ASCII") || cddl_at_kw(p, "UNICODE"))
		{
			size_t		before = p->pos;

			if (!parse_type_charset(p, &c->type))
				return false;
			if (p->pos == before)
				return cddl_fail(p, "syntax error in column definition");
		}
		else if (cddl_at_kw(p, "SRID") || cddl_at_kw(p, "REF_SYSTEM_ID"))
		{
			/* MySQL 8 "SRID n", MariaDB "REF_SYSTEM_ID=n": the column's SRS */
			char	   *v;

			p->pos++;
			skip_eq(p);
			if (!cddl_parse_option_value(p, &v))
				return false;
			c->type.srid = parse_srid(v);
		}
		else if (cddl_accept_kw(p, "COLUMN_FORMAT") || cddl_accept_kw(p, "STORAGE") ||
				 cddl_accept_kw(p, "ENGINE_ATTRIBUTE") ||
				 cddl_accept_kw(p, "SECONDARY_ENGINE_ATTRIBUTE"))
		{
			skip_eq(p);
			if (!cddl_parse_option_value(p, NULL))
				return false;
		}
		else if (cddl_accept_kw(p, "COMPRESSED"))
		{
			c->compressed = true;
			if (cddl_accept_punct(p, '=') && !cddl_parse_option_value(p, NULL))
				return false;
		}
		else if (cddl_accept_kw(p, "INVISIBLE"))
			c->invisible = true;
		else if (cddl_accept_kw(p, "VISIBLE"))
			c->invisible = false;
		else if (cddl_at_kw(p, "GENERATED"))
		{
			p->pos++;
			if (!cddl_expect_kw(p, "ALWAYS"))
				return false;
			if (cddl_at_kw(p, "AS") && (cddl_is_kw(cddl_peek(p, 1), "ROW") ||
										cddl_is_kw(cddl_peek(p, 1), "IDENTITY")))
			{
				/* AS ROW START/END (system versioning): always NOT NULL */
				if (cddl_is_kw(cddl_peek(p, 1), "ROW"))
					c->not_null = true;
				p->pos += 2;
				if (cddl_accept_kw(p, "START"))
					c->row_start = true;
				else if (cddl_accept_kw(p, "END"))
					c->row_end = true;
				continue;
			}
			if (!cddl_expect_kw(p, "AS") || !parse_generated(p, c))
				return false;
		}
		else if (cddl_at_kw(p, "AS") && cddl_peek(p, 1)->type == TOK_PUNCT &&
				 cddl_peek(p, 1)->value[0] == '(')
		{
			p->pos++;
			if (!parse_generated(p, c))
				return false;
		}
		else if (cddl_at_kw(p, "AS") && cddl_is_kw(cddl_peek(p, 1), "ROW") &&
				 (cddl_is_kw(cddl_peek(p, 2), "START") ||
				  cddl_is_kw(cddl_peek(p, 2), "END")))
		{
			/* system versioning: a plain column here */
			c->row_start = cddl_is_kw(cddl_peek(p, 2), "START");
			c->row_end = !c->row_start;
			p->pos += 3;
			c->not_null = true;
		}
		else if (cddl_at_kw(p, "CONSTRAINT") &&
				 (cddl_is_kw(cddl_peek(p, 2), "REFERENCES") ||
				  cddl_is_kw(cddl_peek(p, 1), "REFERENCES")))
		{
			/* CONSTRAINT [name] REFERENCES ...: an inline foreign key */
			p->pos++;
			if (!cddl_at_kw(p, "REFERENCES"))
			{
				fk_name = cddl_parse_ident(p, "constraint name");
				if (fk_name == NULL)
					return false;
			}
		}
		else if (cddl_at_kw(p, "CONSTRAINT") || cddl_at_kw(p, "CHECK"))
		{
			if (cddl_accept_kw(p, "CONSTRAINT") && !cddl_at_kw(p, "CHECK"))
			{
				if (cddl_parse_ident(p, "constraint name") == NULL)
					return false;
			}
			if (!cddl_expect_kw(p, "CHECK"))
				return false;
			c->check_expr = cddl_skip_balanced(p);
			if (c->check_expr == NULL)
				return false;
			if (cddl_at_kw(p, "NOT") && cddl_is_kw(cddl_peek(p, 1), "ENFORCED"))
				p->pos += 2;
			else
				(void) cddl_accept_kw(p, "ENFORCED");
		}
		else if (cddl_at_kw(p, "REFERENCES"))
		{
			/*
			 * Inline REFERENCES: MySQL ignores them, MariaDB (10.5+) creates
			 * a foreign key.  Kept on the column; CREATE TABLE turns it into
			 * a foreign key definition (kept aside like any other).
			 */
			cddl_key   *k = cddl_alloc(p->arena, sizeof(cddl_key));
			cddl_key_part *kp = cddl_alloc(p->arena, sizeof(cddl_key_part));

			if (k == NULL || kp == NULL)
				return cddl_oom(p);
			if (!cddl_parse_references(p, k))
				return false;
			kp->column = c->name;
			kp->prefix = -1;
			k->kind = CDDL_KEY_FOREIGN;
			k->constraint_name = fk_name;
			fk_name = NULL;
			k->parts = kp;
			c->references = k;
		}
		else if ((cddl_at_kw(p, "WITH") || cddl_at_kw(p, "WITHOUT")) &&
				 cddl_is_kw(cddl_peek(p, 1), "SYSTEM"))
		{
			c->system_versioning = cddl_at_kw(p, "WITH");
			p->pos += 2;
			if (!cddl_expect_kw(p, "VERSIONING"))
				return false;
		}
		else if (cddl_at_kw(p, "FIRST") || cddl_at_kw(p, "AFTER"))
			return true;		/* ALTER TABLE position: the caller's business */
		else if ((cddl_at_kw(p, "REMOVE") && cddl_is_kw(cddl_peek(p, 1), "PARTITIONING")) ||
				 (cddl_at_kw(p, "PARTITION") && cddl_is_kw(cddl_peek(p, 1), "BY")))
			return true;		/* ALTER TABLE ... ADD c int REMOVE PARTITIONING */
		else if ((t->type == TOK_WORD || t->type == TOK_QIDENT) &&
				 cddl_peek(p, 1)->type == TOK_PUNCT &&
				 cddl_peek(p, 1)->value[0] == '=')
		{
			/* engine-defined attribute (MariaDB): name=value, `name`=value */
			p->pos += 2;
			if (!cddl_parse_option_value(p, NULL))
				return false;
		}
		else
			return cddl_fail(p, "syntax error in column definition");
	}
}

/* Parses "name type attributes". */
cddl_column *
cddl_parse_column_def(cddl_parser *p)
{
	cddl_column *c = cddl_alloc(p->arena, sizeof(cddl_column));
	size_t		type_tok;

	if (c == NULL)
	{
		cddl_oom(p);
		return NULL;
	}
	c->position = cddl_peek(p, 0)->start;
	c->def.precision = -1;
	c->name = cddl_parse_ident(p, "column name");
	if (c->name == NULL)
		return NULL;
	type_tok = p->pos;
	if (!cddl_parse_data_type(p, &c->type))
		return NULL;
	if (cddl_is_kw(&p->tok[type_tok], "SERIAL"))
	{
		/* SERIAL = BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE */
		c->not_null = true;
		c->auto_increment = true;
		c->unique_key = true;
	}
	if (!parse_column_attributes(p, c))
		return NULL;
	/* type attributes (charset) may have been updated: refresh column_type */
	if (!cddl_build_column_type(p->arena, &c->type))
	{
		cddl_oom(p);
		return NULL;
	}
	return c;
}
