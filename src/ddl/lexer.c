/*-------------------------------------------------------------------------
 *
 * lexer.c
 *	  MySQL/MariaDB lexer for the DDL translator.
 *
 * Turns the input bytes into an array of tokens: bare words, `quoted`
 * identifiers (doubled backquotes, any UTF-8), strings in both quotes with
 * backslash escapes and _charset introducers, X'..'/0x.. and b'..'/0b..
 * literals, numbers, operators, @variables and ';'.  Comments (#, "-- ",
 * C style) are skipped; the content of executable comments (/ *! ... * /
 * and / *M! ... * /) is lexed as ordinary text because the server ran it.
 * Every read is bounded by the explicit input length: the input need not
 * be NUL-terminated and may contain any byte.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ddl_internal.h"

typedef struct lexer
{
	cddl_arena *arena;
	const char *in;
	size_t		len;
	size_t		i;
	int			exec_depth;		/* open executable comments */
	cddl_tokens *out;
	size_t		cap;
	cddl_error *err;
} lexer;

/* Fills err (if not already set) with a message, position and token text. */
void
cddl_set_error(cddl_error *err, const char *in, size_t inlen, size_t pos,
			   size_t toklen, const char *fmt,...)
{
	va_list		ap;
	size_t		n;

	if (err == NULL || err->set)
		return;
	err->set = true;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	if (pos > inlen)
		pos = inlen;
	err->position = pos;
	n = toklen;
	if (n > inlen - pos)
		n = inlen - pos;
	if (n > sizeof(err->token) - 1)
	{
		n = sizeof(err->token) - 1;
		/* do not cut a UTF-8 character in two */
		while (n > 0 && (((unsigned char) in[pos + n]) & 0xC0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(err->token, in + pos, n);
	err->token[n] = '\0';
	/* a NUL inside the token would cut it short; that is harmless */
}

/* True for bytes that may appear in an unquoted MySQL identifier. */
static bool
is_ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
}

/* True for ASCII digits. */
static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* True for hexadecimal digits. */
static bool
is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* True for whitespace as MySQL understands it. */
static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

/* Appends a token; false when out of memory. */
static bool
add_token(lexer *lx, cddl_tok_type type, size_t start, size_t len, char *value)
{
	cddl_token *t;

	if (lx->out->n == lx->cap)
	{
		size_t		ncap = lx->cap ? lx->cap * 2 : 64;
		cddl_token *nt;

		if (ncap > ((size_t) 1 << 24))
		{
			cddl_set_error(lx->err, lx->in, lx->len, start, len,
						   "statement has too many tokens");
			return false;
		}
		nt = cddl_alloc(lx->arena, ncap * sizeof(cddl_token));
		if (nt == NULL)
		{
			cddl_set_error(lx->err, lx->in, lx->len, start, 0, "out of memory");
			return false;
		}
		if (lx->out->n > 0)
			memcpy(nt, lx->out->tok, lx->out->n * sizeof(cddl_token));
		lx->out->tok = nt;
		lx->cap = ncap;
	}
	t = &lx->out->tok[lx->out->n++];
	t->type = type;
	t->start = start;
	t->len = len;
	t->value = value;
	t->double_quoted = false;
	return true;
}

/* Copies raw text into the arena for a token value. */
static char *
raw_value(lexer *lx, size_t start, size_t len)
{
	char	   *v = cddl_strndup(lx->arena, lx->in + start, len);

	if (v == NULL)
		cddl_set_error(lx->err, lx->in, lx->len, start, 0, "out of memory");
	return v;
}

/*
 * Lexes a quoted string or identifier starting at lx->i (the opening
 * quote).  Backslash escapes apply to strings only; a doubled quote stands
 * for itself.  NUL bytes are dropped from the decoded value because
 * PostgreSQL text cannot hold them.
 */
static char *
lex_quoted(lexer *lx, char q, bool escapes, size_t *endp)
{
	size_t		start = lx->i;
	size_t		i = start + 1;
	char	   *v;
	size_t		n = 0;

	/* the decoded value is never longer than the raw text */
	v = NULL;
	for (;;)
	{
		if (i >= lx->len)
		{
			cddl_set_error(lx->err, lx->in, lx->len, start, 1,
						   q == '`' ? "unterminated quoted identifier" :
						   "unterminated quoted string");
			return NULL;
		}
		if (lx->in[i] == q)
		{
			if (i + 1 < lx->len && lx->in[i + 1] == q)
			{
				i += 2;
				continue;
			}
			break;
		}
		if (escapes && lx->in[i] == '\\' && i + 1 < lx->len)
			i++;
		i++;
	}
	*endp = i + 1;
	v = cddl_alloc(lx->arena, i - start + 1);
	if (v == NULL)
	{
		cddl_set_error(lx->err, lx->in, lx->len, start, 0, "out of memory");
		return NULL;
	}
	for (size_t j = start + 1; j < i; j++)
	{
		char		c = lx->in[j];

		if (c == q)
		{
			/* doubled quote: keep one */
			j++;
		}
		else if (escapes && c == '\\' && j + 1 < i)
		{
			j++;
			c = lx->in[j];
			switch (c)
			{
				case 'n':
					c = '\n';
					break;
				case 't':
					c = '\t';
					break;
				case 'r':
					c = '\r';
					break;
				case 'b':
					c = '\b';
					break;
				case 'Z':
					c = 26;
					break;
				case '0':
					c = '\0';
					break;
				case '%':
				case '_':
					/* MySQL keeps the backslash for LIKE wildcards */
					v[n++] = '\\';
					break;
				default:
					break;
			}
		}
		if (c != '\0')
			v[n++] = c;
	}
	v[n] = '\0';
	return v;
}

/* Lexes X'..' or B'..' whose opening quote is at lx->i; hex selects the digit set. */
static bool
lex_hexbit_string(lexer *lx, size_t start, bool hex)
{
	size_t		i = lx->i + 1;
	char	   *v;

	while (i < lx->len && lx->in[i] != '\'')
	{
		unsigned char c = (unsigned char) lx->in[i];

		if (hex ? !is_hex(c) : (c != '0' && c != '1'))
		{
			cddl_set_error(lx->err, lx->in, lx->len, i, 1,
						   hex ? "invalid hexadecimal literal" : "invalid bit literal");
			return false;
		}
		i++;
	}
	if (i >= lx->len)
	{
		cddl_set_error(lx->err, lx->in, lx->len, start, i - start,
					   "unterminated literal");
		return false;
	}
	v = raw_value(lx, lx->i + 1, i - lx->i - 1);
	if (v == NULL)
		return false;
	lx->i = i + 1;
	return add_token(lx, hex ? TOK_HEX : TOK_BIT, start, lx->i - start, v);
}

/* Lexes a word (identifier or keyword), possibly a literal prefix. */
static bool
lex_word(lexer *lx)
{
	size_t		start = lx->i;
	size_t		i = start;
	size_t		wlen;
	char	   *v;

	while (i < lx->len && is_ident_char((unsigned char) lx->in[i]))
		i++;
	wlen = i - start;

	/* X'..', B'..', N'..' and _charset'..' */
	if (i < lx->len && lx->in[i] == '\'')
	{
		char		c0 = lx->in[start];

		if (wlen == 1 && (c0 == 'x' || c0 == 'X'))
		{
			lx->i = i;
			return lex_hexbit_string(lx, start, true);
		}
		if (wlen == 1 && (c0 == 'b' || c0 == 'B'))
		{
			lx->i = i;
			return lex_hexbit_string(lx, start, false);
		}
	}
	if (i < lx->len && (lx->in[i] == '\'' || lx->in[i] == '"') &&
		((wlen == 1 && (lx->in[start] == 'n' || lx->in[start] == 'N')) ||
		 (wlen > 1 && lx->in[start] == '_')))
	{
		size_t		end;
		char		q = lx->in[i];

		lx->i = i;
		v = lex_quoted(lx, q, true, &end);
		if (v == NULL)
			return false;
		lx->i = end;
		if (!add_token(lx, TOK_STRING, start, end - start, v))
			return false;
		lx->out->tok[lx->out->n - 1].double_quoted = (q == '"');
		return true;
	}

	v = raw_value(lx, start, wlen);
	if (v == NULL)
		return false;
	lx->i = i;
	return add_token(lx, TOK_WORD, start, wlen, v);
}

/* Lexes a number, or a word that starts with digits (MySQL allows 1abc). */
static bool
lex_number(lexer *lx)
{
	size_t		start = lx->i;
	size_t		i = start;
	char	   *v;

	/* 0x1F and 0b101 */
	if (lx->in[i] == '0' && i + 2 < lx->len + 1 && i + 1 < lx->len &&
		(lx->in[i + 1] == 'x' || lx->in[i + 1] == 'b'))
	{
		bool		hex = lx->in[i + 1] == 'x';
		size_t		j = i + 2;

		while (j < lx->len && (hex ? is_hex((unsigned char) lx->in[j]) :
							   (lx->in[j] == '0' || lx->in[j] == '1')))
			j++;
		if (j > i + 2 && (j >= lx->len || !is_ident_char((unsigned char) lx->in[j])))
		{
			v = raw_value(lx, i + 2, j - i - 2);
			if (v == NULL)
				return false;
			lx->i = j;
			return add_token(lx, hex ? TOK_HEX : TOK_BIT, start, j - start, v);
		}
	}

	while (i < lx->len && is_digit((unsigned char) lx->in[i]))
		i++;
	if (i < lx->len && lx->in[i] == '.')
	{
		i++;
		while (i < lx->len && is_digit((unsigned char) lx->in[i]))
			i++;
	}
	if (i < lx->len && (lx->in[i] == 'e' || lx->in[i] == 'E'))
	{
		size_t		j = i + 1;

		if (j < lx->len && (lx->in[j] == '+' || lx->in[j] == '-'))
			j++;
		if (j < lx->len && is_digit((unsigned char) lx->in[j]))
		{
			while (j < lx->len && is_digit((unsigned char) lx->in[j]))
				j++;
			i = j;
		}
	}
	/* digits glued to letters form an identifier such as 1st_col */
	if (i < lx->len && is_ident_char((unsigned char) lx->in[i]) &&
		lx->in[start] != '.')
	{
		bool		has_dot = memchr(lx->in + start, '.', i - start) != NULL;

		if (!has_dot)
			return lex_word(lx);
	}
	v = raw_value(lx, start, i - start);
	if (v == NULL)
		return false;
	lx->i = i;
	return add_token(lx, TOK_NUMBER, start, i - start, v);
}

/* Skips whitespace and comments; false on an unterminated comment. */
static bool
skip_space(lexer *lx)
{
	while (lx->i < lx->len)
	{
		unsigned char c = (unsigned char) lx->in[lx->i];

		if (is_space(c))
		{
			lx->i++;
			continue;
		}
		if (c == '#' ||
			(c == '-' && lx->i + 1 < lx->len && lx->in[lx->i + 1] == '-' &&
			 (lx->i + 2 >= lx->len ||
			  (unsigned char) lx->in[lx->i + 2] <= ' ')))
		{
			while (lx->i < lx->len && lx->in[lx->i] != '\n')
				lx->i++;
			continue;
		}
		if (c == '/' && lx->i + 1 < lx->len && lx->in[lx->i + 1] == '*')
		{
			size_t		start = lx->i;
			size_t		j = lx->i + 2;

			/* executable comment: drop the marker, lex the content */
			if (j < lx->len && lx->in[j] == '!')
			{
				j++;
				goto exec;
			}
			if (j + 1 < lx->len && (lx->in[j] == 'M' || lx->in[j] == 'm') &&
				lx->in[j + 1] == '!')
			{
				j += 2;
				goto exec;
			}
			/* ordinary comment */
			while (j + 1 < lx->len && !(lx->in[j] == '*' && lx->in[j + 1] == '/'))
				j++;
			if (j + 1 >= lx->len)
			{
				cddl_set_error(lx->err, lx->in, lx->len, start, 2,
							   "unterminated comment");
				return false;
			}
			lx->i = j + 2;
			continue;
exec:
			{
				int			digits = 0;

				while (j < lx->len && digits < 6 && is_digit((unsigned char) lx->in[j]))
				{
					j++;
					digits++;
				}
				if (lx->exec_depth >= CDDL_MAX_DEPTH)
				{
					cddl_set_error(lx->err, lx->in, lx->len, start, 3,
								   "executable comments nested too deeply");
					return false;
				}
				lx->exec_depth++;
				lx->i = j;
				continue;
			}
		}
		if (c == '*' && lx->exec_depth > 0 && lx->i + 1 < lx->len &&
			lx->in[lx->i + 1] == '/')
		{
			lx->exec_depth--;
			lx->i += 2;
			continue;
		}
		break;
	}
	return true;
}

/* Lexes in[0..len) into out; false with err set on a lexical error. */
bool
cddl_lex(cddl_arena *a, const char *in, size_t len, cddl_tokens *out,
		 cddl_error *err)
{
	lexer		lx;

	memset(&lx, 0, sizeof(lx));
	lx.arena = a;
	lx.in = in;
	lx.len = len;
	lx.out = out;
	lx.err = err;
	out->tok = NULL;
	out->n = 0;

	for (;;)
	{
		unsigned char c;
		size_t		start;

		if (!skip_space(&lx))
			return false;
		if (lx.i >= lx.len)
			break;
		start = lx.i;
		c = (unsigned char) in[lx.i];

		if (c == '`' || c == '\'' || c == '"')
		{
			size_t		end;
			char	   *v = lex_quoted(&lx, (char) c, c != '`', &end);

			if (v == NULL)
				return false;
			lx.i = end;
			if (!add_token(&lx, c == '`' ? TOK_QIDENT : TOK_STRING, start,
						   end - start, v))
				return false;
			out->tok[out->n - 1].double_quoted = (c == '"');
			continue;
		}
		if (is_digit(c) ||
			(c == '.' && lx.i + 1 < lx.len && is_digit((unsigned char) in[lx.i + 1]) &&
			 !(out->n > 0 && (out->tok[out->n - 1].type == TOK_WORD ||
							  out->tok[out->n - 1].type == TOK_QIDENT) &&
			   out->tok[out->n - 1].start + out->tok[out->n - 1].len == start)))
		{
			if (!lex_number(&lx))
				return false;
			continue;
		}
		if (is_ident_char(c))
		{
			if (!lex_word(&lx))
				return false;
			continue;
		}
		if (c == '@')
		{
			size_t		i = lx.i + 1;

			if (i < lx.len && in[i] == '@')
				i++;
			if (i < lx.len && (in[i] == '\'' || in[i] == '"' || in[i] == '`'))
			{
				size_t		end;

				lx.i = i;
				if (lex_quoted(&lx, in[i], in[i] != '`', &end) == NULL)
					return false;
				i = end;
			}
			else
			{
				while (i < lx.len && (is_ident_char((unsigned char) in[i]) ||
									  in[i] == '.'))
					i++;
			}
			lx.i = i;
			if (!add_token(&lx, TOK_VARIABLE, start, i - start,
						   raw_value(&lx, start, i - start)) ||
				out->tok[out->n - 1].value == NULL)
				return false;
			continue;
		}
		if (c == ';')
		{
			lx.i++;
			if (!add_token(&lx, TOK_SEMI, start, 1, NULL))
				return false;
			continue;
		}
		if (c == '\0')
		{
			cddl_set_error(err, in, len, start, 1, "unexpected NUL byte");
			return false;
		}
		/* operators: keep two- and three-character ones together */
		{
			static const char *const ops[] = {
				"<=>", "->>", "<=", ">=", "<>", "!=", ":=", "||", "&&", "<<",
				">>", "->"
			};
			size_t		k;
			size_t		oplen = 0;

			for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			{
				size_t		l = strlen(ops[k]);

				if (lx.len - lx.i >= l && memcmp(in + lx.i, ops[k], l) == 0)
				{
					oplen = l;
					break;
				}
			}
			if (oplen > 0)
			{
				char	   *v = raw_value(&lx, start, oplen);

				if (v == NULL)
					return false;
				lx.i += oplen;
				if (!add_token(&lx, TOK_OP, start, oplen, v))
					return false;
				continue;
			}
		}
		{
			char	   *v = raw_value(&lx, start, 1);

			if (v == NULL)
				return false;
			lx.i++;
			if (!add_token(&lx, TOK_PUNCT, start, 1, v))
				return false;
		}
	}
	if (lx.exec_depth > 0)
	{
		cddl_set_error(err, in, len, len, 0, "unterminated executable comment");
		return false;
	}
	return add_token(&lx, TOK_END, len, 0, NULL);
}
