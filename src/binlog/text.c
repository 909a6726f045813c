/*-------------------------------------------------------------------------
 *
 * text.c
 *	  The one place that turns a typed cbl_value into the PostgreSQL text
 *	  of SPEC section 5's type table.  The binlog reader and the initial
 *	  copy both call cbl_value_to_text(), so a value is identical whichever
 *	  path brought it.
 *
 * Choices worth knowing:
 *	 - FLOAT/DOUBLE: the fewest digits that read back to the same bits, in
 *	   PostgreSQL 12+'s layout (plain for exponents -4..14, 1e+20 beyond;
 *	   -4..5 for FLOAT), NaN/Infinity spelled PostgreSQL's way;
 *	 - BIT(n): a bit string of exactly n characters;
 *	 - BINARY(n): bytes re-padded with zero bytes to n;
 *	 - ENUM/SET without labels (no metadata, no hook): the number;
 *	 - GEOMETRY: MySQL stores a 4-byte little-endian SRID then WKB.  With
 *	   CBL_FMT_GEOM_SRID we print "SRID=n;<WKB hex>" and with
 *	   CBL_FMT_GEOM_HEX hex EWKB (SRID folded into the type word), both of
 *	   which PostGIS's geometry input accepts, after checking the whole
 *	   WKB (wkb.c); otherwise the bytes are the WKB alone, treated as
 *	   bytea (SPEC: bytea when PostGIS is absent).
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char hexdig[] = "0123456789abcdef";

/*
 * Append the shortest text that reads back to the same value, laid out as
 * PostgreSQL prints floats: plain notation for decimal exponents in
 * [-4, maxexp), exponent notation outside ("1e+20").  maxdigits is 17 for
 * double, 9 for float; is_float selects the strtof round-trip check.
 */
static void
format_shortest(double d, int maxdigits, int maxexp, bool is_float, cbl_buf *out)
{
	char		tmp[64];
	int			lo = 1,
				hi = maxdigits;
	int			e;
	const char *ep;

	if (isnan(d))
	{
		cbl_buf_puts(out, "NaN");
		return;
	}
	if (isinf(d))
	{
		cbl_buf_puts(out, d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	/* round-tripping is monotonic in the digit count: binary search */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		bool		same;

		snprintf(tmp, sizeof(tmp), "%.*e", mid - 1, d);
		same = is_float ? strtof(tmp, NULL) == (float) d : strtod(tmp, NULL) == d;
		if (same)
			hi = mid;
		else
			lo = mid + 1;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", lo - 1, d);
	ep = strchr(tmp, 'e');
	e = ep ? atoi(ep + 1) : 0;
	if (d != 0 && e >= -4 && e < maxexp)
	{
		/* same significant digits, positional notation */
		int			decimals = lo - 1 - e;

		snprintf(tmp, sizeof(tmp), "%.*f", decimals > 0 ? decimals : 0, d);
	}
	else if (d == 0)
		snprintf(tmp, sizeof(tmp), "%s", signbit(d) ? "-0" : "0");
	else
	{
		/* C prints e+20 / e-05 like PostgreSQL; %.0e has no bare ".0" */
		snprintf(tmp, sizeof(tmp), "%.*e", lo - 1, d);
	}
	cbl_buf_puts(out, tmp);
}

/* Append shortest round-trip text of a double. */
void
cbl_format_double(double d, cbl_buf *out)
{
	format_shortest(d, 17, 15, false, out);
}

/* Append shortest round-trip text of a float. */
void
cbl_format_float(float f, cbl_buf *out)
{
	format_shortest((double) f, 9, 6, true, out);
}

/* Append bytes as lowercase hex. */
static void
put_hex(cbl_buf *out, const uint8_t *p, size_t n)
{
	char	   *dst;

	if (n == 0 || n > SIZE_MAX / 2 || !cbl_buf_reserve(out, n * 2))
		return;
	dst = out->data + out->len;
	for (size_t i = 0; i < n; i++)
	{
		dst[2 * i] = hexdig[p[i] >> 4];
		dst[2 * i + 1] = hexdig[p[i] & 15];
	}
	out->len += n * 2;
	out->data[out->len] = '\0';
}

/* Append n zero bytes, as hex or raw. */
static void
put_zeros(cbl_buf *out, size_t n, bool hex)
{
	for (size_t i = 0; i < n; i++)
	{
		if (hex)
			cbl_buf_append(out, "00", 2);
		else
			cbl_buf_putc(out, '\0');
	}
}

/* Is the value a bytea in PostgreSQL? */
bool
cbl_value_is_bytea(const cbl_value *v, unsigned flags)
{
	switch (v->kind)
	{
		case CBL_V_BYTES:
		case CBL_V_VECTOR:
			return true;
		case CBL_V_GEOMETRY:
			return (flags & (CBL_FMT_GEOM_HEX | CBL_FMT_GEOM_SRID)) == 0;
		default:
			return false;
	}
}

/* GEOMETRY as hex EWKB: SRID moved into the WKB header. */
static int
put_ewkb_hex(cbl_buf *out, const uint8_t *p, size_t len, cbl_error *err)
{
	uint32_t	srid;
	uint32_t	type;
	bool		le;
	uint8_t		hdr[9];

	if (cbl_geometry_check(p, len, &srid, NULL, err) < 0)
		return -1;
	le = p[4] == 1;
	type = le ? cbl_le32(p + 5) : (uint32_t) cbl_beN(p + 5, 4);
	if (srid == 0)
	{
		put_hex(out, p + 4, len - 4);
		return 0;
	}
	type |= 0x20000000;			/* EWKB: SRID present */
	hdr[0] = p[4];
	for (int i = 0; i < 4; i++)
	{
		hdr[1 + i] = le ? (uint8_t) (type >> (8 * i)) : (uint8_t) (type >> (24 - 8 * i));
		hdr[5 + i] = le ? (uint8_t) (srid >> (8 * i)) : (uint8_t) (srid >> (24 - 8 * i));
	}
	put_hex(out, hdr, 9);
	put_hex(out, p + 9, len - 9);
	return 0;
}

/*
 * GEOMETRY as "SRID=n;<WKB hex>": PostGIS's geometry input reads it (the
 * WKB in its own byte order, the SRID kept, 0 included), and the text
 * tells a geometry from any bytea text ("\x...").
 */
static int
put_srid_hex(cbl_buf *out, const uint8_t *p, size_t len, cbl_error *err)
{
	uint32_t	srid;

	if (cbl_geometry_check(p, len, &srid, NULL, err) < 0)
		return -1;
	cbl_buf_puts(out, "SRID=");
	cbl_buf_u64(out, srid);
	cbl_buf_putc(out, ';');
	put_hex(out, p + 4, len - 4);
	return 0;
}

/* Append the PostgreSQL text form of a value. */
int
cbl_value_to_text(const cbl_value *v, const cbl_column *col, cbl_buf *out,
				  unsigned flags, cbl_error *err)
{
	bool		hex = (flags & CBL_FMT_BYTEA_HEX) != 0;

	switch (v->kind)
	{
		case CBL_V_ABSENT:
		case CBL_V_NULL:
			return 0;
		case CBL_V_INT:
		case CBL_V_YEAR:
			cbl_buf_i64(out, v->v.i);
			return 0;
		case CBL_V_UINT:
			cbl_buf_u64(out, v->v.u);
			return 0;
		case CBL_V_FLOAT:
			cbl_format_float(v->v.f, out);
			return 0;
		case CBL_V_DOUBLE:
			cbl_format_double(v->v.d, out);
			return 0;
		case CBL_V_DECIMAL:
			if (cbl_decimal_to_text(v->v.s.p, v->v.s.len, col->precision,
									col->scale, out) < 0)
				return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
								  "invalid packed DECIMAL(%u,%u)", col->precision,
								  col->scale);
			return 0;
		case CBL_V_DECIMAL_TEXT:
			cbl_buf_append(out, v->v.s.p, v->v.s.len);
			return 0;
		case CBL_V_BIT:
			{
				int			n = col->bits ? col->bits : 64;
				char		tmp[64];

				if (n > 64)
					n = 64;
				for (int i = 0; i < n; i++)
					tmp[i] = (char) ('0' + ((v->v.u >> (n - 1 - i)) & 1));
				cbl_buf_append(out, tmp, (size_t) n);
			}
			return 0;
		case CBL_V_DATE:
		case CBL_V_DATETIME:
		case CBL_V_TIMESTAMP:
		case CBL_V_TIME:
			cbl_format_temporal(v, out);
			return 0;
		case CBL_V_STRING:
			return cbl_charset_to_utf8(col->charset, v->v.s.p, v->v.s.len, out, err);
		case CBL_V_JSON_TEXT:
			cbl_buf_append(out, v->v.s.p, v->v.s.len);
			return 0;
		case CBL_V_BYTES:
		case CBL_V_VECTOR:
			{
				size_t		pad = 0;

				if ((v->flags & CBL_VF_PAD_ZERO) && col->max_len > v->v.s.len)
					pad = col->max_len - v->v.s.len;
				if (hex)
				{
					cbl_buf_append(out, "\\x", 2);
					put_hex(out, v->v.s.p, v->v.s.len);
				}
				else
					cbl_buf_append(out, v->v.s.p, v->v.s.len);
				put_zeros(out, pad, hex);
			}
			return 0;
		case CBL_V_GEOMETRY:
			if (flags & CBL_FMT_GEOM_SRID)
				return put_srid_hex(out, v->v.s.p, v->v.s.len, err);
			if (flags & CBL_FMT_GEOM_HEX)
				return put_ewkb_hex(out, v->v.s.p, v->v.s.len, err);
			if (v->v.s.len < 4)
				return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "GEOMETRY value too short");
			if (hex)
			{
				cbl_buf_append(out, "\\x", 2);
				put_hex(out, v->v.s.p + 4, v->v.s.len - 4);
			}
			else
				cbl_buf_append(out, v->v.s.p + 4, v->v.s.len - 4);
			return 0;
		case CBL_V_ENUM:
			if (col->nlabels == 0)
			{
				cbl_buf_u64(out, v->v.u);
				return 0;
			}
			if (v->v.u == 0)
				return 0;		/* MySQL's invalid-value enum '' */
			if (v->v.u > col->nlabels)
				return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
								  "ENUM index %llu but only %u labels",
								  (unsigned long long) v->v.u, col->nlabels);
			return cbl_charset_to_utf8(col->charset, (const uint8_t *) col->labels[v->v.u - 1].ptr,
									   col->labels[v->v.u - 1].len, out, err);
		case CBL_V_SET:
			{
				bool		first = true;

				if (col->nlabels == 0)
				{
					cbl_buf_u64(out, v->v.u);
					return 0;
				}
				if (col->nlabels < 64 && (v->v.u >> col->nlabels) != 0)
					return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
									  "SET value 0x%llx has bits beyond its %u labels",
									  (unsigned long long) v->v.u, col->nlabels);
				for (uint32_t i = 0; i < col->nlabels && i < 64; i++)
				{
					if (!((v->v.u >> i) & 1))
						continue;
					if (!first)
						cbl_buf_putc(out, ',');
					first = false;
					if (cbl_charset_to_utf8(col->charset, (const uint8_t *) col->labels[i].ptr,
											col->labels[i].len, out, err) < 0)
						return -1;
				}
			}
			return 0;
		case CBL_V_JSON_BINARY:
			return cbl_json_binary_to_text(v->v.s.p, v->v.s.len, out, err);
		default:
			return cbl_seterr(err, CBL_ERR_UNSUPPORTED, 0, "unknown value kind %d", v->kind);
	}
}
