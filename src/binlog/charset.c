/*-------------------------------------------------------------------------
 *
 * charset.c
 *	  Conversion of MySQL/MariaDB character data to UTF-8 for PostgreSQL,
 *	  keyed by collation id: utf8mb3/utf8mb4 (validated), latin1 (MySQL's
 *	  latin1 is really Windows-1252), ascii, ucs2, utf16, utf16le, utf32.
 *	  NUL characters are removed (PostgreSQL text cannot hold them).
 *
 * Collations of other charsets are validated as UTF-8, which is right for
 * pure ASCII data and fails loudly (CBL_ERR_ENCODING) otherwise, so that a
 * value is never silently mangled.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

typedef enum cs_family
{
	CS_UNKNOWN,
	CS_UTF8,					/* utf8mb3 and utf8mb4 */
	CS_LATIN1,
	CS_ASCII,
	CS_BINARY,
	CS_UCS2,
	CS_UTF16,
	CS_UTF16LE,
	CS_UTF32
} cs_family;

/* Charset family of a collation id. */
static cs_family
family_of(uint32_t cs)
{
	/* MariaDB NOPAD collations are the PAD ones plus 1024 */
	if (cs >= 1024 && cs < 2048)
		cs -= 1024;
	/* MariaDB 10.10+ UCA 14.0.0 collations, by charset block */
	if (cs >= 2048 && cs < 2304)
		return CS_UTF8;
	if (cs >= 2304 && cs < 2560)
		return CS_UTF8;
	if (cs >= 2560 && cs < 2816)
		return CS_UCS2;
	if (cs >= 2816 && cs < 3072)
		return CS_UTF16;
	if (cs >= 3072 && cs < 3328)
		return CS_UTF32;
	switch (cs)
	{
		case 5:
		case 8:
		case 15:
		case 31:
		case 47:
		case 48:
		case 49:
		case 94:
			return CS_LATIN1;
		case 11:
		case 65:
			return CS_ASCII;
		case 63:
			return CS_BINARY;
		case 33:
		case 45:
		case 46:
		case 76:
		case 83:
		case 223:
		case 253:
			return CS_UTF8;
		case 35:
		case 90:
		case 159:
		case 358:
			return CS_UCS2;
		case 54:
		case 55:
			return CS_UTF16;
		case 56:
		case 62:
			return CS_UTF16LE;
		case 60:
		case 61:
			return CS_UTF32;
		default:
			break;
	}
	if ((cs >= 192 && cs <= 215) || (cs >= 224 && cs <= 247) ||
		(cs >= 255 && cs <= 323) || (cs >= 576 && cs <= 579) ||
		(cs >= 608 && cs <= 611))
		return CS_UTF8;
	if ((cs >= 128 && cs <= 151) || (cs >= 640 && cs <= 643))
		return CS_UCS2;
	if ((cs >= 101 && cs <= 124) || (cs >= 672 && cs <= 675))
		return CS_UTF16;
	if ((cs >= 160 && cs <= 183) || (cs >= 736 && cs <= 739))
		return CS_UTF32;
	return CS_UNKNOWN;
}

/* Name of a charset family for a collation id. */
const char *
cbl_charset_name(uint32_t cs)
{
	switch (family_of(cs))
	{
		case CS_UTF8:
			return "utf8mb4";
		case CS_LATIN1:
			return "latin1";
		case CS_ASCII:
			return "ascii";
		case CS_BINARY:
			return "binary";
		case CS_UCS2:
			return "ucs2";
		case CS_UTF16:
			return "utf16";
		case CS_UTF16LE:
			return "utf16le";
		case CS_UTF32:
			return "utf32";
		default:
			return "unknown";
	}
}

/* Windows-1252 code points for 0x80..0x9F (MySQL's latin1) */
static const uint16_t cp1252_hi[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178
};

/* Append one code point as UTF-8 (NUL dropped). */
static void
put_cp(cbl_buf *out, uint32_t c)
{
	char		t[4];

	if (c == 0)
		return;
	if (c < 0x80)
		cbl_buf_putc(out, (char) c);
	else if (c < 0x800)
	{
		t[0] = (char) (0xC0 | (c >> 6));
		t[1] = (char) (0x80 | (c & 0x3F));
		cbl_buf_append(out, t, 2);
	}
	else if (c < 0x10000)
	{
		t[0] = (char) (0xE0 | (c >> 12));
		t[1] = (char) (0x80 | ((c >> 6) & 0x3F));
		t[2] = (char) (0x80 | (c & 0x3F));
		cbl_buf_append(out, t, 3);
	}
	else
	{
		t[0] = (char) (0xF0 | (c >> 18));
		t[1] = (char) (0x80 | ((c >> 12) & 0x3F));
		t[2] = (char) (0x80 | ((c >> 6) & 0x3F));
		t[3] = (char) (0x80 | (c & 0x3F));
		cbl_buf_append(out, t, 4);
	}
}

/* Length of the valid UTF-8 sequence at p (0 if invalid). */
static int
utf8_seq_len(const uint8_t *p, size_t left)
{
	uint8_t		c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return left >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF)
	{
		if (left < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0;			/* overlong */
		if (c == 0xED && p[1] >= 0xA0)
			return 0;			/* surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		if (left < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
			(p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0;
		if (c == 0xF4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/* Copy valid UTF-8, dropping NULs; fail at the first invalid byte. */
static int
copy_utf8(const uint8_t *p, size_t len, cbl_buf *out, uint32_t cs, cbl_error *err)
{
	size_t		i = 0,
				start = 0;

	if (!cbl_buf_reserve(out, len))
		return cbl_seterr(err, CBL_ERR_NOMEM, 0, "out of memory");
	while (i < len)
	{
		int			n;

		if (p[i] >= 0x20 && p[i] < 0x80)
		{
			i++;
			continue;
		}
		if (p[i] == 0)
		{
			cbl_buf_append(out, p + start, i - start);
			i++;
			start = i;
			continue;
		}
		n = utf8_seq_len(p + i, len - i);
		if (n == 0)
			return cbl_seterr(err, CBL_ERR_ENCODING, 0,
							  "invalid %s byte sequence 0x%02x at byte %zu of a %zu-byte value",
							  cbl_charset_name(cs), p[i], i, len);
		i += (size_t) n;
	}
	cbl_buf_append(out, p + start, len - start);
	return 0;
}

/*
 * True when printable ASCII bytes (0x20-0x7e) stand for themselves in
 * collation cs, so that an all-ASCII value needs no conversion.
 */
bool
cbl_charset_ascii_compatible(uint32_t cs)
{
	switch (family_of(cs))
	{
		case CS_UCS2:
		case CS_UTF16:
		case CS_UTF16LE:
		case CS_UTF32:
			return false;
		default:
			return true;
	}
}

/* Convert text in collation cs to UTF-8 without NULs. */
int
cbl_charset_to_utf8(uint32_t cs, const uint8_t *p, size_t len, cbl_buf *out,
					cbl_error *err)
{
	cs_family	f = family_of(cs);

	switch (f)
	{
		case CS_LATIN1:
			for (size_t i = 0; i < len;)
			{
				size_t		run = i;
				uint8_t		c;

				/* a run of ASCII but NUL is itself: one copy (most text) */
				while (run < len && (uint8_t) (p[run] - 1) < 0x7F)
					run++;
				if (run > i)
				{
					cbl_buf_append(out, p + i, run - i);
					i = run;
					continue;
				}
				c = p[i++];
				if (c >= 0x80 && c < 0xA0)
					put_cp(out, cp1252_hi[c - 0x80]);
				else
					put_cp(out, c);
			}
			return 0;
		case CS_ASCII:
			for (size_t i = 0; i < len; i++)
				if (p[i] >= 0x80)
					return cbl_seterr(err, CBL_ERR_ENCODING, 0,
									  "non-ASCII byte 0x%02x in an ascii value", p[i]);
			return copy_utf8(p, len, out, cs, err);
		case CS_UCS2:
		case CS_UTF16:
		case CS_UTF16LE:
			if (len % 2)
				return cbl_seterr(err, CBL_ERR_ENCODING, 0,
								  "odd length %zu for a %s value", len, cbl_charset_name(cs));
			for (size_t i = 0; i < len; i += 2)
			{
				uint32_t	c = f == CS_UTF16LE ? cbl_le16(p + i) : (uint32_t) cbl_beN(p + i, 2);

				if (f != CS_UCS2 && c >= 0xD800 && c <= 0xDBFF)
				{
					uint32_t	lo;

					if (i + 4 > len)
						return cbl_seterr(err, CBL_ERR_ENCODING, 0, "truncated surrogate pair");
					lo = f == CS_UTF16LE ? cbl_le16(p + i + 2) : (uint32_t) cbl_beN(p + i + 2, 2);
					if (lo < 0xDC00 || lo > 0xDFFF)
						return cbl_seterr(err, CBL_ERR_ENCODING, 0, "bad surrogate pair");
					c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
					i += 2;
				}
				else if (c >= 0xD800 && c <= 0xDFFF)
					return cbl_seterr(err, CBL_ERR_ENCODING, 0, "lone surrogate 0x%04x", c);
				put_cp(out, c);
			}
			return 0;
		case CS_UTF32:
			if (len % 4)
				return cbl_seterr(err, CBL_ERR_ENCODING, 0,
								  "length %zu not a multiple of 4 for utf32", len);
			for (size_t i = 0; i < len; i += 4)
			{
				uint32_t	c = (uint32_t) cbl_beN(p + i, 4);

				if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
					return cbl_seterr(err, CBL_ERR_ENCODING, 0, "bad utf32 code point 0x%x", c);
				put_cp(out, c);
			}
			return 0;
		case CS_BINARY:
		case CS_UTF8:
		case CS_UNKNOWN:
		default:
			return copy_utf8(p, len, out, cs, err);
	}
}
