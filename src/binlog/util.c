/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Small building blocks of the binlog decoder: the growable output
 *	  buffer, error reporting, variable-length integer readers, the per-row
 *	  scratch arena and text helpers (integers, base64, JSON escaping).
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Initialise an empty buffer (no allocation until first append). */
void
cbl_buf_init(cbl_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = false;
}

/* Release a buffer's memory. */
void
cbl_buf_free(cbl_buf *b)
{
	free(b->data);
	cbl_buf_init(b);
}

/* Make room for extra more bytes (plus a NUL); false when out of memory. */
bool
cbl_buf_reserve(cbl_buf *b, size_t extra)
{
	size_t		need;
	size_t		ncap;
	char	   *nd;

	if (b->oom)
		return false;
	if (extra > SIZE_MAX / 2 - b->len)
	{
		b->oom = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	nd = realloc(b->data, ncap);
	if (nd == NULL)
	{
		b->oom = true;
		return false;
	}
	b->data = nd;
	b->cap = ncap;
	return true;
}

/* Append n bytes. */
void
cbl_buf_append(cbl_buf *b, const void *p, size_t n)
{
	if (n == 0 || !cbl_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Append one character. */
void
cbl_buf_putc(cbl_buf *b, char c)
{
	if (b->len + 1 < b->cap || cbl_buf_reserve(b, 1))
	{
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
	}
}

/* Append a NUL-terminated string. */
void
cbl_buf_puts(cbl_buf *b, const char *s)
{
	cbl_buf_append(b, s, strlen(s));
}

/* Append printf-formatted text. */
void
cbl_buf_printf(cbl_buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (!cbl_buf_reserve(b, 64))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n >= b->cap - b->len)
	{
		if (!cbl_buf_reserve(b, (size_t) n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t) n;
}

/* Append an unsigned decimal integer. */
void
cbl_buf_u64(cbl_buf *b, uint64_t v)
{
	char		tmp[24];
	int			i = (int) sizeof(tmp);

	do
	{
		tmp[--i] = (char) ('0' + v % 10);
		v /= 10;
	} while (v);
	cbl_buf_append(b, tmp + i, sizeof(tmp) - (size_t) i);
}

/* Append a signed decimal integer (INT64_MIN included). */
void
cbl_buf_i64(cbl_buf *b, int64_t v)
{
	if (v < 0)
	{
		cbl_buf_putc(b, '-');
		cbl_buf_u64(b, (uint64_t) 0 - (uint64_t) v);
	}
	else
		cbl_buf_u64(b, (uint64_t) v);
}

/* Fill err and return -1 (so callers can "return cbl_seterr(...)"). */
int
cbl_seterr_impl(cbl_error *err, cbl_errcode code, uint64_t off, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return -1;
	err->code = code;
	err->offset = off;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Read a length-encoded integer (1, 3, 4 or 9 bytes). */
int
cbl_rd_lenenc(cbl_rd *r, uint64_t *out, cbl_error *err, const char *what)
{
	uint8_t		c;

	CBL_NEED(r, 1, err, what);
	c = *r->p;
	if (c < 0xfb)
	{
		*out = c;
		r->p++;
		return 0;
	}
	if (c == 0xfc)
	{
		CBL_NEED(r, 3, err, what);
		*out = cbl_le16(r->p + 1);
		r->p += 3;
		return 0;
	}
	if (c == 0xfd)
	{
		CBL_NEED(r, 4, err, what);
		*out = cbl_le24(r->p + 1);
		r->p += 4;
		return 0;
	}
	if (c == 0xfe)
	{
		CBL_NEED(r, 9, err, what);
		*out = cbl_le64(r->p + 1);
		r->p += 9;
		return 0;
	}
	return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(r),
					  "invalid length-encoded integer 0x%02x in %s", c, what);
}

/*
 * Read a varuint of MySQL's serialization library: the number of trailing
 * one bits of the first byte tells how many more bytes follow; the value
 * is the little-endian whole shifted right by the byte count.
 */
int
cbl_rd_varuint(cbl_rd *r, uint64_t *out, cbl_error *err, const char *what)
{
	uint8_t		first;
	int			n = 1;
	uint64_t	v;

	CBL_NEED(r, 1, err, what);
	first = *r->p;
	while (n < 9 && ((first >> (n - 1)) & 1))
		n++;
	CBL_NEED(r, n, err, what);
	if (n == 9)
		v = cbl_le64(r->p + 1);
	else
		v = cbl_leN(r->p, n) >> n;
	r->p += n;
	*out = v;
	return 0;
}

/* Allocate n bytes from the arena (8-aligned); NULL when out of memory. */
void *
cbl_arena_alloc(cbl_arena *a, size_t n)
{
	cbl_arena_block *b = a->head;
	void	   *res;

	n = (n + 7) & ~(size_t) 7;
	if (b == NULL || b->cap - b->used < n)
	{
		size_t		cap = n > 65536 ? n : 65536;

		b = malloc(sizeof(cbl_arena_block) + cap);
		if (b == NULL)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	res = b->data + b->used;
	b->used += n;
	return res;
}

/* Forget everything allocated; keep one standard block for reuse. */
void
cbl_arena_reset(cbl_arena *a)
{
	cbl_arena_block *b = a->head;

	if (b == NULL)
		return;
	/* keep the oldest block if it is the standard size, free the rest */
	while (b->next)
	{
		cbl_arena_block *n = b->next;

		free(b);
		b = n;
	}
	if (b->cap > 65536)
	{
		free(b);
		a->head = NULL;
		return;
	}
	b->used = 0;
	a->head = b;
}

/* Free all arena memory. */
void
cbl_arena_free(cbl_arena *a)
{
	cbl_arena_block *b = a->head;

	while (b)
	{
		cbl_arena_block *n = b->next;

		free(b);
		b = n;
	}
	a->head = NULL;
}

/* Append the standard base64 encoding of p. */
void
cbl_base64(cbl_buf *out, const uint8_t *p, size_t len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		i;

	for (i = 0; i + 2 < len; i += 3)
	{
		uint32_t	v = ((uint32_t) p[i] << 16) | ((uint32_t) p[i + 1] << 8) | p[i + 2];
		char		q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};

		cbl_buf_append(out, q, 4);
	}
	if (len - i == 1)
	{
		uint32_t	v = (uint32_t) p[i] << 16;
		char		q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], '=', '='};

		cbl_buf_append(out, q, 4);
	}
	else if (len - i == 2)
	{
		uint32_t	v = ((uint32_t) p[i] << 16) | ((uint32_t) p[i + 1] << 8);
		char		q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], '='};

		cbl_buf_append(out, q, 4);
	}
}

/*
 * Append the body of a JSON string literal for UTF-8 bytes (no quotes).
 * Control characters become escapes; everything else is copied, so the
 * input must already be valid UTF-8.
 */
void
cbl_json_escape(cbl_buf *out, const uint8_t *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t		start = 0;

	/* an empty field may have no buffer at all (p == NULL) */
	if (len == 0 || !cbl_buf_reserve(out, len + 2))
		return;
	for (size_t i = 0; i < len; i++)
	{
		uint8_t		c = p[i];
		const char *esc = NULL;
		char		ubuf[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		switch (c)
		{
			case '"':
				esc = "\\\"";
				break;
			case '\\':
				esc = "\\\\";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '\t':
				esc = "\\t";
				break;
			case '\b':
				esc = "\\b";
				break;
			case '\f':
				esc = "\\f";
				break;
			default:
				ubuf[0] = '\\';
				ubuf[1] = 'u';
				ubuf[2] = '0';
				ubuf[3] = '0';
				ubuf[4] = hex[c >> 4];
				ubuf[5] = hex[c & 15];
				ubuf[6] = '\0';
				esc = ubuf;
				break;
		}
		cbl_buf_append(out, p + start, i - start);
		cbl_buf_puts(out, esc);
		start = i + 1;
	}
	cbl_buf_append(out, p + start, len - start);
}

/* Append a quoted JSON string literal. */
void
cbl_json_string(cbl_buf *out, const char *p, size_t len)
{
	cbl_buf_putc(out, '"');
	cbl_json_escape(out, (const uint8_t *) p, len);
	cbl_buf_putc(out, '"');
}
