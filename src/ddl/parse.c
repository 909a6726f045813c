/*-------------------------------------------------------------------------
 *
 * parse.c
 *	  Statement splitting, dispatch and shared parser helpers.
 *
 * cddl_parse() lexes the whole input once, then parses one statement per
 * ';'-separated range with a recursive-descent parser.  The helpers here
 * (keyword tests, identifiers, balanced skipping) are used by the
 * per-family parsers in parse_create.c, parse_alter.c and parse_misc.c.
 * A statement whose first word is not CREATE/ALTER/DROP/RENAME/TRUNCATE is
 * classified as having no PostgreSQL meaning without being parsed.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl_internal.h"

/* Token at the current position plus ahead, never past the statement end. */
const cddl_token *
cddl_peek(cddl_parser *p, size_t ahead)
{
	size_t		i = p->pos + ahead;

	if (i > p->limit || i < p->pos)
		i = p->limit;
	return &p->tok[i];
}

/* True if t is the bare word kw (case-insensitive). */
bool
cddl_is_kw(const cddl_token *t, const char *kw)
{
	return t->type == TOK_WORD && cddl_name_eq(t->value, kw);
}

/* True if the current token is the bare word kw. */
bool
cddl_at_kw(cddl_parser *p, const char *kw)
{
	return cddl_is_kw(cddl_peek(p, 0), kw);
}

/* True if at the end of the statement. */
bool
cddl_at_end(cddl_parser *p)
{
	return p->pos >= p->limit;
}

/* Consumes the current token. */
static void
advance(cddl_parser *p)
{
	if (p->pos < p->limit)
		p->pos++;
}

/* Consumes kw if it is the current token. */
bool
cddl_accept_kw(cddl_parser *p, const char *kw)
{
	if (cddl_at_kw(p, kw))
	{
		advance(p);
		return true;
	}
	return false;
}

/* Records a syntax error at the current token; always returns false. */
bool
cddl_fail(cddl_parser *p, const char *fmt,...)
{
	const cddl_token *t = cddl_peek(p, 0);
	char		msg[200];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t->type == TOK_END)
		cddl_set_error(p->err, p->in, p->inlen, t->start, 0,
					   "%s at end of input", msg);
	else
		cddl_set_error(p->err, p->in, p->inlen, t->start, t->len,
					   "%s at or near \"%.*s\"", msg,
					   (int) (t->len > 40 ? 40 : t->len), p->in + t->start);
	return false;
}

/* Records an out-of-memory error; always returns false. */
bool
cddl_oom(cddl_parser *p)
{
	cddl_set_error(p->err, p->in, p->inlen, cddl_peek(p, 0)->start, 0,
				   "out of memory");
	return false;
}

/* Consumes kw or fails. */
bool
cddl_expect_kw(cddl_parser *p, const char *kw)
{
	if (cddl_accept_kw(p, kw))
		return true;
	return cddl_fail(p, "syntax error, expected %s", kw);
}

/* True if the current token is the punctuation c. */
bool
cddl_at_punct(cddl_parser *p, char c)
{
	const cddl_token *t = cddl_peek(p, 0);

	return t->type == TOK_PUNCT && t->value[0] == c;
}

/* Consumes punctuation c if current. */
bool
cddl_accept_punct(cddl_parser *p, char c)
{
	if (cddl_at_punct(p, c))
	{
		advance(p);
		return true;
	}
	return false;
}

/* Consumes punctuation c or fails. */
bool
cddl_expect_punct(cddl_parser *p, char c)
{
	if (cddl_accept_punct(p, c))
		return true;
	return cddl_fail(p, "syntax error, expected \"%c\"", c);
}

/*
 * Parses an identifier: a bare word, a `quoted` identifier, or a
 * "double-quoted" one (ANSI_QUOTES).  Empty identifiers are refused
 * because PostgreSQL cannot represent them.
 */
char *
cddl_parse_ident(cddl_parser *p, const char *what)
{
	const cddl_token *t = cddl_peek(p, 0);

	if (t->type == TOK_WORD || t->type == TOK_QIDENT ||
		(t->type == TOK_STRING && t->double_quoted))
	{
		if (t->value[0] == '\0')
		{
			cddl_fail(p, "empty %s", what);
			return NULL;
		}
		advance(p);
		return t->value;
	}
	cddl_fail(p, "syntax error, expected %s", what);
	return NULL;
}

/* Parses name or schema.name. */
bool
cddl_parse_name(cddl_parser *p, cddl_name *name, const char *what)
{
	char	   *a = cddl_parse_ident(p, what);

	if (a == NULL)
		return false;
	name->schema = NULL;
	name->name = a;
	if (cddl_at_punct(p, '.'))
	{
		advance(p);
		name->schema = a;
		name->name = cddl_parse_ident(p, what);
		if (name->name == NULL)
			return false;
	}
	return true;
}

/* Parses "(ident, ident...)". */
bool
cddl_parse_ident_list(cddl_parser *p, cddl_strlist **out)
{
	cddl_strlist **tail = out;

	*out = NULL;
	if (!cddl_expect_punct(p, '('))
		return false;
	do
	{
		cddl_strlist *s = cddl_alloc(p->arena, sizeof(cddl_strlist));

		if (s == NULL)
			return cddl_oom(p);
		s->value = cddl_parse_ident(p, "column name");
		if (s->value == NULL)
			return false;
		*tail = s;
		tail = &s->next;
	} while (cddl_accept_punct(p, ','));
	return cddl_expect_punct(p, ')');
}

/* Source text of tokens [from_tok, to_tok) as an arena string. */
char *
cddl_text_between(cddl_parser *p, size_t from_tok, size_t to_tok)
{
	size_t		s,
				e;
	char	   *r;

	if (to_tok <= from_tok)
		r = cddl_strdup(p->arena, "");
	else
	{
		s = p->tok[from_tok].start;
		e = p->tok[to_tok - 1].start + p->tok[to_tok - 1].len;
		r = cddl_strndup(p->arena, p->in + s, e - s);
	}
	if (r == NULL)
		cddl_oom(p);
	return r;
}

/*
 * Skips a parenthesised group starting at the current "(" and returns the
 * source text between the parentheses (NULL on error).
 */
char *
cddl_skip_balanced(cddl_parser *p)
{
	int			depth = 0;
	size_t		first;

	if (!cddl_expect_punct(p, '('))
		return NULL;
	first = p->pos;
	depth = 1;
	while (!cddl_at_end(p))
	{
		if (cddl_at_punct(p, '('))
			depth++;
		else if (cddl_at_punct(p, ')'))
		{
			if (--depth == 0)
			{
				size_t		last = p->pos;

				advance(p);
				return cddl_text_between(p, first, last);
			}
		}
		advance(p);
	}
	cddl_fail(p, "syntax error, unbalanced parentheses");
	return NULL;
}

/*
 * Skips an expression up to a top-level ',' or ')' or the end of the
 * statement, and returns its source text.
 */
char *
cddl_skip_expr(cddl_parser *p)
{
	size_t		first = p->pos;
	int			depth = 0;

	while (!cddl_at_end(p))
	{
		if (cddl_at_punct(p, '('))
			depth++;
		else if (cddl_at_punct(p, ')'))
		{
			if (depth == 0)
				break;
			depth--;
		}
		else if (cddl_at_punct(p, ',') && depth == 0)
			break;
		advance(p);
	}
	if (depth != 0)
	{
		cddl_fail(p, "syntax error, unbalanced parentheses");
		return NULL;
	}
	return cddl_text_between(p, first, p->pos);
}

/* Moves to the end of the statement (used for recognised, unparsed tails). */
bool
cddl_skip_to_end(cddl_parser *p)
{
	p->pos = p->limit;
	return true;
}

/* Parses a non-negative integer literal. */
bool
cddl_parse_long(cddl_parser *p, long *out)
{
	const cddl_token *t = cddl_peek(p, 0);
	long		v = 0;
	const char *c;

	if (t->type != TOK_NUMBER)
		return cddl_fail(p, "syntax error, expected a number");
	for (c = t->value; *c; c++)
	{
		if (*c < '0' || *c > '9')
			return cddl_fail(p, "syntax error, expected an integer");
		if (v > 100000000L)
			return cddl_fail(p, "number out of range");
		v = v * 10 + (*c - '0');
	}
	*out = v;
	advance(p);
	return true;
}

/*
 * Parses the value of a table or index option: a word, string, number,
 * or parenthesised list.  *value receives its text (may be NULL).
 */
bool
cddl_parse_option_value(cddl_parser *p, char **value)
{
	const cddl_token *t = cddl_peek(p, 0);

	if (value)
		*value = NULL;
	if (cddl_at_punct(p, '('))
	{
		char	   *v = cddl_skip_balanced(p);

		if (value)
			*value = v;
		return v != NULL;
	}
	if (t->type == TOK_PUNCT && (t->value[0] == '-' || t->value[0] == '+'))
	{
		advance(p);
		t = cddl_peek(p, 0);
	}
	if (t->type == TOK_WORD || t->type == TOK_QIDENT || t->type == TOK_STRING ||
		t->type == TOK_NUMBER || t->type == TOK_HEX || t->type == TOK_BIT)
	{
		if (value)
			*value = t->value;
		advance(p);
		return true;
	}
	return cddl_fail(p, "syntax error, expected an option value");
}

/* Human-readable statement kind. */
const char *
cddl_stmt_kind_name(cddl_stmt_kind kind)
{
	switch (kind)
	{
		case CDDL_STMT_IGNORED:
			return "ignored";
		case CDDL_STMT_CREATE_TABLE:
			return "CREATE TABLE";
		case CDDL_STMT_CREATE_TABLE_LIKE:
			return "CREATE TABLE LIKE";
		case CDDL_STMT_CREATE_TABLE_SELECT:
			return "CREATE TABLE SELECT";
		case CDDL_STMT_DROP_TABLE:
			return "DROP TABLE";
		case CDDL_STMT_RENAME_TABLE:
			return "RENAME TABLE";
		case CDDL_STMT_ALTER_TABLE:
			return "ALTER TABLE";
		case CDDL_STMT_CREATE_INDEX:
			return "CREATE INDEX";
		case CDDL_STMT_DROP_INDEX:
			return "DROP INDEX";
		case CDDL_STMT_TRUNCATE:
			return "TRUNCATE";
	}
	return "unknown";
}

/* Parses the statement in tokens [p->pos, p->limit) into st. */
static bool
parse_statement(cddl_parser *p, cddl_stmt *st)
{
	const cddl_token *t = cddl_peek(p, 0);

	st->kind = CDDL_STMT_IGNORED;
	if (t->type != TOK_WORD)
		return cddl_fail(p, "syntax error");
	if (cddl_accept_kw(p, "CREATE"))
		return cddl_parse_create(p, st);
	if (cddl_accept_kw(p, "ALTER"))
		return cddl_parse_alter(p, st);
	if (cddl_accept_kw(p, "DROP"))
		return cddl_parse_drop(p, st);
	if (cddl_accept_kw(p, "RENAME"))
		return cddl_parse_rename(p, st);
	if (cddl_accept_kw(p, "TRUNCATE"))
		return cddl_parse_truncate(p, st);
	st->ignored_what = "statement other than CREATE/ALTER/DROP/RENAME/TRUNCATE";
	return cddl_skip_to_end(p);
}

/* Parses every statement of sql[0..len); NULL on error (err set). */
cddl_doc *
cddl_parse(const char *sql, size_t len, cddl_error *err)
{
	cddl_arena *arena;
	cddl_doc   *doc;
	cddl_tokens toks;
	cddl_parser p;
	cddl_stmt **tail;
	size_t		i;
	cddl_error	dummy;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (sql == NULL)
		len = 0;

	arena = cddl_arena_create();
	if (arena == NULL)
	{
		cddl_set_error(err, "", 0, 0, 0, "out of memory");
		return NULL;
	}
	doc = cddl_alloc(arena, sizeof(cddl_doc));
	if (doc == NULL)
	{
		cddl_arena_destroy(arena);
		cddl_set_error(err, "", 0, 0, 0, "out of memory");
		return NULL;
	}
	doc->arena = arena;
	doc->input = sql ? sql : "";
	doc->input_len = len;
	tail = &doc->stmts;

	if (!cddl_lex(arena, doc->input, len, &toks, err))
	{
		cddl_arena_destroy(arena);
		return NULL;
	}

	memset(&p, 0, sizeof(p));
	p.arena = arena;
	p.in = doc->input;
	p.inlen = len;
	p.tok = toks.tok;
	p.ntok = toks.n;
	p.err = err;

	i = 0;
	while (i < toks.n && toks.tok[i].type != TOK_END)
	{
		size_t		end = i;
		cddl_stmt  *st;

		if (toks.tok[i].type == TOK_SEMI)
		{
			i++;
			continue;
		}
		while (toks.tok[end].type != TOK_SEMI && toks.tok[end].type != TOK_END)
			end++;

		st = cddl_alloc(arena, sizeof(cddl_stmt));
		if (st == NULL)
		{
			cddl_set_error(err, p.in, len, toks.tok[i].start, 0, "out of memory");
			cddl_arena_destroy(arena);
			return NULL;
		}
		p.pos = i;
		p.limit = end;
		p.depth = 0;
		st->start = toks.tok[i].start;
		if (!parse_statement(&p, st))
		{
			cddl_arena_destroy(arena);
			return NULL;
		}
		if (!cddl_at_end(&p))
		{
			cddl_fail(&p, "syntax error, unexpected token");
			cddl_arena_destroy(arena);
			return NULL;
		}
		/* a compound statement may have swallowed the rest of the input */
		end = p.limit;
		st->end = toks.tok[end].start;
		*tail = st;
		tail = &st->next;
		doc->nstmts++;
		i = end;
	}
	return doc;
}

/* Frees a document and everything allocated in it. */
void
cddl_doc_free(cddl_doc *doc)
{
	if (doc != NULL)
		cddl_arena_destroy(doc->arena);
}
