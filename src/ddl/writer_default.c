/*-------------------------------------------------------------------------
 *
 * writer_default.c
 *	  The writer's column defaults: a MySQL DEFAULT clause as a PostgreSQL
 *	  one for the column's translated type (numbers, strings, bytea and
 *	  bit literals, zero dates, CURRENT_TIMESTAMP and the other functions
 *	  MySQL allows there).  Every literal goes through cddl_quote_literal().
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl_internal.h"

/* True if the PostgreSQL type name is one of the integer types. */
bool
cddl_is_integer_type(const char *t)
{
	return strcmp(t, "smallint") == 0 || strcmp(t, "integer") == 0 ||
		strcmp(t, "bigint") == 0 || strcmp(t, "int") == 0 ||
		strcmp(t, "int2") == 0 || strcmp(t, "int4") == 0 ||
		strcmp(t, "int8") == 0;
}

/* Classes of target types that decide how a default literal is written. */
typedef enum
{
	TC_NUMERIC, TC_BOOL, TC_BIT, TC_BYTEA, TC_TEMPORAL, TC_TEXT, TC_UNKNOWN
} type_class;

/* Classifies a PostgreSQL type name (NULL: unknown, as in SET DEFAULT). */
static type_class
classify(const char *t)
{
	if (t == NULL)
		return TC_UNKNOWN;
	if (cddl_is_integer_type(t) || strncmp(t, "numeric", 7) == 0 ||
		strcmp(t, "real") == 0 || strcmp(t, "double precision") == 0)
		return TC_NUMERIC;
	if (strcmp(t, "boolean") == 0 || strcmp(t, "bool") == 0)
		return TC_BOOL;
	if (strncmp(t, "bit", 3) == 0)
		return TC_BIT;
	if (strcmp(t, "bytea") == 0)
		return TC_BYTEA;
	if (strncmp(t, "timestamp", 9) == 0 || strcmp(t, "date") == 0 ||
		strncmp(t, "time", 4) == 0)
		return TC_TEMPORAL;
	return TC_TEXT;
}

/* Appends the bytes of s as a bytea hex literal. */
static void
put_bytea_literal(cddl_buf *b, const char *s, bool is_hex)
{
	static const char hx[] = "0123456789abcdef";

	/* E'' so that the backslash means the same whatever the settings */
	cddl_buf_puts(b, "E'\\\\x");
	if (is_hex)
	{
		size_t		n = strlen(s);

		if (n % 2)
			cddl_buf_putc(b, '0');
		for (; *s; s++)
			cddl_buf_putc(b, (*s >= 'A' && *s <= 'F') ? (char) (*s + 32) : *s);
	}
	else
	{
		for (; *s; s++)
		{
			cddl_buf_putc(b, hx[((unsigned char) *s) >> 4]);
			cddl_buf_putc(b, hx[((unsigned char) *s) & 15]);
		}
	}
	cddl_buf_puts(b, "'::bytea");
}

/* Value of a string of digits in the given base; false on overflow/garbage. */
static bool
digits_value(const char *s, int base, unsigned long long *out)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		int			d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		if (d >= base || v > (~0ULL - (unsigned) d) / (unsigned) base)
			return false;
		v = v * (unsigned) base + (unsigned) d;
	}
	*out = v;
	return true;
}

/* Length n of a "bit(n)" type name (1 if absent). */
static long
bit_length(const char *t)
{
	const char *p = strchr(t, '(');

	return p ? strtol(p + 1, NULL, 10) : 1;
}

/* Appends B'...' for value v padded/cut to n bits. */
static void
put_bits(cddl_buf *b, unsigned long long v, long n)
{
	long		i;

	if (n < 1 || n > 64)
		n = 64;
	cddl_buf_puts(b, "B'");
	for (i = n - 1; i >= 0; i--)
		cddl_buf_putc(b, (v >> i) & 1 ? '1' : '0');
	cddl_buf_putc(b, '\'');
}

/* True if a date/datetime literal has a zero year, month or day. */
static bool
is_zero_date(const char *s)
{
	int			y,
				m,
				d;

	if (sscanf(s, "%d-%d-%d", &y, &m, &d) == 3)
		return y == 0 || m == 0 || d == 0;
	return strncmp(s, "0000", 4) == 0;
}

/* Translates a known default function; NULL if not translatable. */
static const char *
default_function(const char *expr, type_class tc)
{
	char		s[64];

	cddl_squeeze(expr, s, sizeof(s));
	if (strcmp(s, "curdate()") == 0 || strcmp(s, "current_date") == 0 ||
		strcmp(s, "current_date()") == 0 || strcmp(s, "(curdate())") == 0 ||
		strcmp(s, "(current_date)") == 0 || strcmp(s, "(current_date())") == 0)
		return "CURRENT_DATE";
	if (strcmp(s, "curtime()") == 0 || strcmp(s, "current_time") == 0 ||
		strcmp(s, "current_time()") == 0 || strcmp(s, "(curtime())") == 0)
		return "LOCALTIME";
	if (strcmp(s, "uuid()") == 0 || strcmp(s, "(uuid())") == 0)
		return tc == TC_TEXT ? "(gen_random_uuid())::text" : "gen_random_uuid()";
	if (strcmp(s, "utc_timestamp()") == 0 || strcmp(s, "utc_timestamp") == 0)
		return "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')";
	return NULL;
}

/*
 * Appends " DEFAULT <expr>" for a MySQL default on a column of PostgreSQL
 * type pgtype (NULL when unknown).  Zero dates and expressions without a
 * PostgreSQL equivalent are dropped with a note.  Returns true if a
 * DEFAULT was written.
 */
bool
cddl_write_default(cddl_writer *w, cddl_buf *b, const cddl_default *def,
				   const char *pgtype, const cddl_column *col)
{
	type_class	tc = classify(pgtype);
	const char *cname = col ? col->name : "?";
	unsigned long long v = 0;

	switch (def->kind)
	{
		case CDDL_DEF_NONE:
		case CDDL_DEF_NULL:
			return false;
		case CDDL_DEF_CURRENT_TIMESTAMP:
			if (tc != TC_TEMPORAL && tc != TC_TEXT && tc != TC_UNKNOWN)
			{
				cddl_note(w, "column \"%s\": DEFAULT CURRENT_TIMESTAMP dropped: not a date/time column", cname);
				return false;
			}
			if (pgtype && strcmp(pgtype, "date") == 0)
				cddl_buf_puts(b, " DEFAULT CURRENT_DATE");
			else
				cddl_buf_puts(b, " DEFAULT CURRENT_TIMESTAMP");
			return true;
		case CDDL_DEF_BOOL:
			if (tc == TC_BOOL)
				cddl_buf_printf(b, " DEFAULT %s", def->text[0] == '1' ? "true" : "false");
			else if (tc == TC_NUMERIC)
				cddl_buf_printf(b, " DEFAULT %s", def->text);
			else
			{
				cddl_buf_puts(b, " DEFAULT ");
				cddl_quote_literal(b, def->text);
			}
			return true;
		case CDDL_DEF_NUMBER:
			if (tc == TC_BOOL)
			{
				cddl_buf_printf(b, " DEFAULT %s", strtod(def->text, NULL) != 0 ? "true" : "false");
				return true;
			}
			if (tc == TC_BIT && digits_value(def->text, 10, &v))
			{
				cddl_buf_puts(b, " DEFAULT ");
				put_bits(b, v, bit_length(pgtype));
				return true;
			}
			if (tc == TC_TEMPORAL && strtod(def->text, NULL) == 0)
			{
				cddl_note(w, "column \"%s\": DEFAULT %s dropped: zero date", cname, def->text);
				return false;
			}
			if (tc == TC_BYTEA)
			{
				cddl_buf_puts(b, " DEFAULT ");
				put_bytea_literal(b, def->text, false);
				return true;
			}
			if (tc == TC_NUMERIC)
			{
				/* negative numbers are parenthesised so casts bind right */
				if (def->text[0] == '-')
					cddl_buf_printf(b, " DEFAULT (%s)", def->text);
				else
					cddl_buf_printf(b, " DEFAULT %s", def->text);
				return true;
			}
			cddl_buf_puts(b, " DEFAULT ");
			cddl_quote_literal(b, def->text);
			return true;
		case CDDL_DEF_STRING:
			if (tc == TC_TEMPORAL && pgtype && strncmp(pgtype, "time ", 5) != 0 &&
				strcmp(pgtype, "time") != 0 && is_zero_date(def->text))
			{
				cddl_note(w, "column \"%s\": DEFAULT '%s' dropped: zero date", cname, def->text);
				return false;
			}
			if (tc == TC_UNKNOWN && is_zero_date(def->text) &&
				strchr(def->text, '-') != NULL)
			{
				cddl_note(w, "column \"%s\": DEFAULT '%s' dropped: zero date", cname, def->text);
				return false;
			}
			if (tc == TC_BYTEA)
			{
				cddl_buf_puts(b, " DEFAULT ");
				put_bytea_literal(b, def->text, false);
				return true;
			}
			if (tc == TC_BIT)
			{
				cddl_note(w, "column \"%s\": string DEFAULT on a bit column dropped", cname);
				return false;
			}
			if (tc == TC_NUMERIC && def->text[0] == '\0')
			{
				cddl_note(w, "column \"%s\": empty string DEFAULT on a numeric column dropped", cname);
				return false;
			}
			if (pgtype && strcmp(pgtype, "jsonb") == 0 && def->text[0] == '\0')
			{
				cddl_note(w, "column \"%s\": empty string DEFAULT on a json column dropped", cname);
				return false;
			}
			cddl_buf_puts(b, " DEFAULT ");
			cddl_quote_literal(b, def->text);
			return true;
		case CDDL_DEF_HEX:
		case CDDL_DEF_BIT:
			if (tc == TC_BYTEA && def->kind == CDDL_DEF_HEX)
			{
				cddl_buf_puts(b, " DEFAULT ");
				put_bytea_literal(b, def->text, true);
				return true;
			}
			if (digits_value(def->text, def->kind == CDDL_DEF_HEX ? 16 : 2, &v))
			{
				if (tc == TC_BIT)
				{
					cddl_buf_puts(b, " DEFAULT ");
					put_bits(b, v, bit_length(pgtype));
					return true;
				}
				if (tc == TC_NUMERIC || tc == TC_UNKNOWN)
				{
					cddl_buf_printf(b, " DEFAULT %llu", v);
					return true;
				}
				if (tc == TC_BOOL)
				{
					cddl_buf_printf(b, " DEFAULT %s", v ? "true" : "false");
					return true;
				}
			}
			cddl_note(w, "column \"%s\": binary DEFAULT dropped: no equivalent for this type", cname);
			return false;
		case CDDL_DEF_EXPR:
			{
				const char *f = default_function(def->text, tc);

				if (f != NULL)
				{
					cddl_buf_printf(b, " DEFAULT %s", f);
					return true;
				}
				cddl_note(w, "column \"%s\": DEFAULT %s dropped: expression not translated",
						  cname, def->text);
				return false;
			}
	}
	return false;
}
