/*-------------------------------------------------------------------------
 *
 * strbuf.c
 *	  Growable string buffer used to write PostgreSQL statements.
 *
 * A failed allocation marks the buffer as failed and turns later appends
 * into no-ops, so writers check once at the end instead of after every
 * append.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl_internal.h"

/* Initialises an empty buffer. */
void
cddl_buf_init(cddl_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = false;
}

/* Releases the buffer's memory. */
void
cddl_buf_free(cddl_buf *b)
{
	free(b->data);
	cddl_buf_init(b);
}

/* Makes room for n more bytes plus a terminating NUL. */
static bool
buf_reserve(cddl_buf *b, size_t n)
{
	size_t		need;
	size_t		cap;
	char	   *d;

	if (b->failed)
		return false;
	if (n > ((size_t) 1 << 30) || b->len > ((size_t) 1 << 30))
	{
		b->failed = true;
		return false;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 128;
	while (cap < need)
		cap *= 2;
	d = realloc(b->data, cap);
	if (d == NULL)
	{
		b->failed = true;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

/* Appends n bytes. */
void
cddl_buf_putn(cddl_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Appends a NUL-terminated string. */
void
cddl_buf_puts(cddl_buf *b, const char *s)
{
	cddl_buf_putn(b, s, strlen(s));
}

/* Appends one character. */
void
cddl_buf_putc(cddl_buf *b, char c)
{
	cddl_buf_putn(b, &c, 1);
}

/* Appends printf-formatted text. */
void
cddl_buf_printf(cddl_buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;
	char		small[256];

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
	{
		b->failed = true;
		return;
	}
	if ((size_t) n < sizeof(small))
	{
		cddl_buf_putn(b, small, (size_t) n);
		return;
	}
	if (!buf_reserve(b, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}
