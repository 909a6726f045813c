/*-------------------------------------------------------------------------
 *
 * quote.c
 *	  Quoting of PostgreSQL identifiers and literals, derived names.
 *
 * cddl_quote_ident() follows PostgreSQL's quote_identifier(): an
 * identifier is left bare only when it is made of lower-case letters,
 * digits and underscores, does not start with a digit and is not a
 * non-unreserved keyword.  Everything else is double-quoted with embedded
 * double quotes doubled, which makes any MySQL name (even one containing
 * quotes and semicolons) a single safe PostgreSQL identifier.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl_internal.h"

/* bsearch comparator over the keyword list. */
static int
kw_cmp(const void *key, const void *elem)
{
	return strcmp((const char *) key, *(const char *const *) elem);
}

/* True if ident needs double quotes in PostgreSQL. */
static bool
needs_quotes(const char *ident)
{
	const char *c;

	if (ident[0] == '\0')
		return true;
	if (!((ident[0] >= 'a' && ident[0] <= 'z') || ident[0] == '_'))
		return true;
	for (c = ident; *c; c++)
	{
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return true;
	}
	return bsearch(ident, cddl_pg_keywords, cddl_pg_nkeywords,
				   sizeof(const char *), kw_cmp) != NULL;
}

/* Appends ident quoted like quote_identifier(). */
void
cddl_quote_ident(cddl_buf *b, const char *ident)
{
	const char *c;

	if (!needs_quotes(ident))
	{
		cddl_buf_puts(b, ident);
		return;
	}
	cddl_buf_putc(b, '"');
	for (c = ident; *c; c++)
	{
		if (*c == '"')
			cddl_buf_putc(b, '"');
		cddl_buf_putc(b, *c);
	}
	cddl_buf_putc(b, '"');
}

/* Appends schema.name, both quoted (schema omitted when NULL). */
void
cddl_quote_qualified(cddl_buf *b, const char *schema, const char *name)
{
	if (schema != NULL)
	{
		cddl_quote_ident(b, schema);
		cddl_buf_putc(b, '.');
	}
	cddl_quote_ident(b, name);
}

/*
 * Appends s as a string literal like quote_literal(): the E'' form with
 * doubled backslashes when it contains a backslash, so the result means
 * the same whatever standard_conforming_strings says.
 */
void
cddl_quote_literal(cddl_buf *b, const char *s)
{
	const char *c;

	if (strchr(s, '\\') != NULL)
		cddl_buf_putc(b, 'E');
	cddl_buf_putc(b, '\'');
	for (c = s; *c; c++)
	{
		if (*c == '\'' || *c == '\\')
			cddl_buf_putc(b, *c);
		cddl_buf_putc(b, *c);
	}
	cddl_buf_putc(b, '\'');
}

/* FNV-1a hash of a string, for short stable suffixes. */
uint32_t
cddl_hash(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s; s++)
	{
		h ^= (unsigned char) *s;
		h *= 16777619u;
	}
	return h;
}

/* Longest prefix length <= len of s that does not split a UTF-8 character. */
static size_t
utf8_clip(const char *s, size_t len)
{
	while (len > 0 && (((unsigned char) s[len]) & 0xC0) == 0x80)
		len--;
	return len;
}

/*
 * Builds "a_b<suffix>" (b and suffix optional) into buf.  When longer than
 * a PostgreSQL identifier it is cut and made unique with a hash of the
 * full name, so that distinct long names stay distinct instead of being
 * silently truncated to the same 63 bytes by PostgreSQL.
 */
void
cddl_derived_name(char *buf, size_t bufsize, const char *a, const char *b,
				  const char *suffix)
{
	char		full[1024];
	size_t		len;

	snprintf(full, sizeof(full), "%s%s%s%s", a, b ? "_" : "", b ? b : "",
			 suffix ? suffix : "");
	len = strlen(full);
	if (len > CDDL_NAMEDATALEN)
	{
		char		tail[16];
		size_t		keep;

		snprintf(tail, sizeof(tail), "_%08x", (unsigned) cddl_hash(full));
		keep = utf8_clip(full, CDDL_NAMEDATALEN - strlen(tail));
		memcpy(full + keep, tail, strlen(tail) + 1);
	}
	snprintf(buf, bufsize, "%s", full);
}

/* Public wrapper: writes the quoted identifier into a fixed buffer. */
void
cddl_quote_ident_buf(const char *ident, char *buf, size_t bufsize)
{
	cddl_buf	b;

	if (bufsize == 0)
		return;
	cddl_buf_init(&b);
	cddl_quote_ident(&b, ident);
	snprintf(buf, bufsize, "%s", b.failed || b.data == NULL ? "" : b.data);
	cddl_buf_free(&b);
}

/* Public: name of the enum type made for table.column. */
void
cddl_enum_type_name(const char *table, const char *column, char *buf,
					size_t bufsize)
{
	cddl_derived_name(buf, bufsize, table, column, NULL);
}
