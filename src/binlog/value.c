/*-------------------------------------------------------------------------
 *
 * value.c
 *	  Decoding of one packed cell of a row image into a typed cbl_value,
 *	  for every MySQL/MariaDB column type that can appear in a row event.
 *
 * Nothing is converted to text here and nothing is allocated: strings,
 * blobs, decimals and JSON point into the event buffer.  The caller passes
 * the bytes left in the image, and every length is checked against them.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

/* Offsets of the packed TIME2/DATETIME2 formats */
#define TIMEF_INT_OFS 0x800000LL
#define TIMEF_OFS 0x800000000000LL
#define DATETIMEF_INT_OFS 0x8000000000LL

/* Fail unless n bytes are available for a cell. */
#define CELL_NEED(n, what) \
	do { \
		if (len < (size_t) (n)) \
			return cbl_seterr(err, CBL_ERR_TRUNCATED, 0, \
							  "truncated %s value: need %zu bytes, %zu left", \
							  (what), (size_t) (n), len); \
	} while (0)

/* Set calendar fields and the zero-date flag of a DATE/DATETIME value. */
static void
set_date(cbl_value *out, unsigned y, unsigned m, unsigned d)
{
	out->v.t.year = (uint16_t) y;
	out->v.t.month = (uint8_t) m;
	out->v.t.day = (uint8_t) d;
	/* PostgreSQL has no year 0, month 0 or day 0: the caller stores NULL */
	if (y == 0 || m == 0 || d == 0)
		out->flags |= CBL_VF_ZERO_DATE;
}

/* Unpack MySQL's "packed time" integer (TIME2 and JSON opaque TIME). */
void
cbl_unpack_time_packed(int64_t packed, cbl_temporal *t)
{
	uint64_t	u;
	uint64_t	hms;

	memset(t, 0, sizeof(*t));
	if (packed < 0)
	{
		t->neg = true;
		u = (uint64_t) 0 - (uint64_t) packed;
	}
	else
		u = (uint64_t) packed;
	hms = u >> 24;
	t->usec = (uint32_t) (u % (1 << 24));
	t->hour = (uint32_t) ((hms >> 12) % (1 << 10));
	t->minute = (uint8_t) ((hms >> 6) % (1 << 6));
	t->second = (uint8_t) (hms % (1 << 6));
}

/* Unpack MySQL's "packed datetime" integer (DATETIME2, JSON opaque). */
void
cbl_unpack_datetime_packed(int64_t packed, cbl_temporal *t)
{
	uint64_t	u = packed < 0 ? (uint64_t) 0 - (uint64_t) packed : (uint64_t) packed;
	uint64_t	ymdhms = u >> 24;
	uint64_t	ymd = ymdhms >> 17;
	uint64_t	ym = ymd >> 5;
	uint64_t	hms = ymdhms % (1 << 17);

	memset(t, 0, sizeof(*t));
	t->usec = (uint32_t) (u % (1 << 24));
	t->day = (uint8_t) (ymd % (1 << 5));
	t->month = (uint8_t) (ym % 13);
	t->year = (uint16_t) (ym / 13);
	t->second = (uint8_t) (hms % (1 << 6));
	t->minute = (uint8_t) ((hms >> 6) % (1 << 6));
	t->hour = (uint32_t) (hms >> 12);
}

/*
 * Read the fractional part of TIME2/DATETIME2/TIMESTAMP2 (fsp digits in
 * (fsp+1)/2 big-endian bytes) as microseconds.
 */
static uint32_t
read_frac(const uint8_t *p, int fsp)
{
	switch (fsp)
	{
		case 1:
		case 2:
			return (uint32_t) p[0] * 10000;
		case 3:
		case 4:
			return (uint32_t) cbl_beN(p, 2) * 100;
		case 5:
		case 6:
			return (uint32_t) cbl_beN(p, 3);
		default:
			return 0;
	}
}

/* Decode a TIME2 cell into a packed-time integer. */
static int64_t
time2_packed(const uint8_t *p, int fsp)
{
	int64_t		intpart;
	int64_t		frac;

	switch (fsp)
	{
		case 1:
		case 2:
			intpart = (int64_t) cbl_beN(p, 3) - TIMEF_INT_OFS;
			frac = p[3];
			if (intpart < 0 && frac)
			{
				/* negative values store the fraction as a complement */
				intpart++;
				frac -= 0x100;
			}
			return intpart * (1 << 24) + frac * 10000;
		case 3:
		case 4:
			intpart = (int64_t) cbl_beN(p, 3) - TIMEF_INT_OFS;
			frac = (int64_t) cbl_beN(p + 3, 2);
			if (intpart < 0 && frac)
			{
				intpart++;
				frac -= 0x10000;
			}
			return intpart * (1 << 24) + frac * 100;
		case 5:
		case 6:
			return (int64_t) cbl_beN(p, 6) - TIMEF_OFS;
		default:
			intpart = (int64_t) cbl_beN(p, 3) - TIMEF_INT_OFS;
			return intpart * (1 << 24);
	}
}

/* Decode one cell; see cbl.h. */
int
cbl_decode_cell(const cbl_column *col, const uint8_t *p, size_t len,
				cbl_value *out, size_t *used, cbl_error *err)
{
	size_t		n = 0;
	uint64_t	u;

	out->flags = 0;
	out->fsp = 0;
	switch (col->type)
	{
		case CBL_T_TINY:
			CELL_NEED(1, "TINYINT");
			n = 1;
			if (col->is_unsigned)
			{
				out->kind = CBL_V_UINT;
				out->v.u = p[0];
			}
			else
			{
				out->kind = CBL_V_INT;
				out->v.i = (int8_t) p[0];
			}
			break;
		case CBL_T_SHORT:
			CELL_NEED(2, "SMALLINT");
			n = 2;
			u = cbl_le16(p);
			if (col->is_unsigned)
			{
				out->kind = CBL_V_UINT;
				out->v.u = u;
			}
			else
			{
				out->kind = CBL_V_INT;
				out->v.i = (int16_t) u;
			}
			break;
		case CBL_T_INT24:
			CELL_NEED(3, "MEDIUMINT");
			n = 3;
			u = cbl_le24(p);
			if (col->is_unsigned)
			{
				out->kind = CBL_V_UINT;
				out->v.u = u;
			}
			else
			{
				out->kind = CBL_V_INT;
				out->v.i = (u & 0x800000) ? (int64_t) u - 0x1000000 : (int64_t) u;
			}
			break;
		case CBL_T_LONG:
			CELL_NEED(4, "INT");
			n = 4;
			u = cbl_le32(p);
			if (col->is_unsigned)
			{
				out->kind = CBL_V_UINT;
				out->v.u = u;
			}
			else
			{
				out->kind = CBL_V_INT;
				out->v.i = (int32_t) (uint32_t) u;
			}
			break;
		case CBL_T_LONGLONG:
			CELL_NEED(8, "BIGINT");
			n = 8;
			u = cbl_le64(p);
			if (col->is_unsigned)
			{
				out->kind = CBL_V_UINT;
				out->v.u = u;
			}
			else
			{
				out->kind = CBL_V_INT;
				out->v.i = (int64_t) u;
			}
			break;
		case CBL_T_FLOAT:
			{
				uint32_t	bits;

				CELL_NEED(4, "FLOAT");
				n = 4;
				bits = cbl_le32(p);
				out->kind = CBL_V_FLOAT;
				memcpy(&out->v.f, &bits, 4);
			}
			break;
		case CBL_T_DOUBLE:
			{
				uint64_t	bits;

				CELL_NEED(8, "DOUBLE");
				n = 8;
				bits = cbl_le64(p);
				out->kind = CBL_V_DOUBLE;
				memcpy(&out->v.d, &bits, 8);
			}
			break;
		case CBL_T_NEWDECIMAL:
			{
				int			sz = cbl_decimal_bin_size(col->precision, col->scale);

				if (sz <= 0)
					return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
									  "bad DECIMAL(%u,%u) metadata",
									  col->precision, col->scale);
				CELL_NEED(sz, "DECIMAL");
				n = (size_t) sz;
				out->kind = CBL_V_DECIMAL;
				out->v.s.p = p;
				out->v.s.len = n;
			}
			break;
		case CBL_T_YEAR:
			CELL_NEED(1, "YEAR");
			n = 1;
			out->kind = CBL_V_YEAR;
			out->v.i = p[0] ? 1900 + p[0] : 0;
			break;
		case CBL_T_DATE:
		case CBL_T_NEWDATE:
			CELL_NEED(3, "DATE");
			n = 3;
			u = cbl_le24(p);
			memset(&out->v.t, 0, sizeof(out->v.t));
			out->kind = CBL_V_DATE;
			set_date(out, (unsigned) (u >> 9), (unsigned) ((u >> 5) & 15),
					 (unsigned) (u & 31));
			break;
		case CBL_T_TIME:
			{
				int64_t		s;

				CELL_NEED(3, "TIME");
				n = 3;
				u = cbl_le24(p);
				s = (u & 0x800000) ? (int64_t) u - 0x1000000 : (int64_t) u;
				memset(&out->v.t, 0, sizeof(out->v.t));
				out->kind = CBL_V_TIME;
				if (s < 0)
				{
					out->v.t.neg = true;
					s = -s;
				}
				out->v.t.hour = (uint32_t) (s / 10000);
				out->v.t.minute = (uint8_t) (s / 100 % 100);
				out->v.t.second = (uint8_t) (s % 100);
			}
			break;
		case CBL_T_TIME2:
			{
				int			fsp = col->fsp > 6 ? 6 : col->fsp;

				n = 3 + (size_t) (fsp + 1) / 2;
				CELL_NEED(n, "TIME");
				out->kind = CBL_V_TIME;
				cbl_unpack_time_packed(time2_packed(p, fsp), &out->v.t);
				out->fsp = (uint8_t) fsp;
			}
			break;
		case CBL_T_DATETIME:
			{
				uint64_t	date,
							tm;

				CELL_NEED(8, "DATETIME");
				n = 8;
				u = cbl_le64(p);
				date = u / 1000000;
				tm = u % 1000000;
				memset(&out->v.t, 0, sizeof(out->v.t));
				out->kind = CBL_V_DATETIME;
				set_date(out, (unsigned) (date / 10000 % 10000),
						 (unsigned) (date / 100 % 100), (unsigned) (date % 100));
				out->v.t.hour = (uint32_t) (tm / 10000);
				out->v.t.minute = (uint8_t) (tm / 100 % 100);
				out->v.t.second = (uint8_t) (tm % 100);
			}
			break;
		case CBL_T_DATETIME2:
			{
				int			fsp = col->fsp > 6 ? 6 : col->fsp;
				int64_t		intpart;
				cbl_temporal t;

				n = 5 + (size_t) (fsp + 1) / 2;
				CELL_NEED(n, "DATETIME");
				intpart = (int64_t) cbl_beN(p, 5) - DATETIMEF_INT_OFS;
				if (intpart < 0)
					intpart = -intpart;
				/* intpart < 2^39, so the shift cannot overflow */
				cbl_unpack_datetime_packed((int64_t) ((uint64_t) intpart << 24), &t);
				t.usec = read_frac(p + 5, fsp);
				out->kind = CBL_V_DATETIME;
				out->v.t = t;
				out->fsp = (uint8_t) fsp;
				set_date(out, t.year, t.month, t.day);
			}
			break;
		case CBL_T_TIMESTAMP:
			CELL_NEED(4, "TIMESTAMP");
			n = 4;
			memset(&out->v.t, 0, sizeof(out->v.t));
			out->kind = CBL_V_TIMESTAMP;
			out->v.t.epoch = cbl_le32(p);
			if (out->v.t.epoch == 0)
				out->flags |= CBL_VF_ZERO_DATE;
			break;
		case CBL_T_TIMESTAMP2:
			{
				int			fsp = col->fsp > 6 ? 6 : col->fsp;

				n = 4 + (size_t) (fsp + 1) / 2;
				CELL_NEED(n, "TIMESTAMP");
				memset(&out->v.t, 0, sizeof(out->v.t));
				out->kind = CBL_V_TIMESTAMP;
				out->v.t.epoch = (int64_t) cbl_beN(p, 4);
				out->v.t.usec = read_frac(p + 4, fsp);
				out->fsp = (uint8_t) fsp;
				/* 0 is the zero timestamp: the range starts at 1 second */
				if (out->v.t.epoch == 0 && out->v.t.usec == 0)
					out->flags |= CBL_VF_ZERO_DATE;
			}
			break;
		case CBL_T_BIT:
			{
				int			nb = col->bits ? (col->bits + 7) / 8 : 0;

				if (nb == 0 || nb > 8)
					return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
									  "bad BIT metadata 0x%04x", col->meta);
				CELL_NEED(nb, "BIT");
				n = (size_t) nb;
				out->kind = CBL_V_BIT;
				out->v.u = cbl_beN(p, nb);
			}
			break;
		case CBL_T_VARCHAR:
		case CBL_T_VAR_STRING:
		case CBL_T_STRING:
			{
				int			lb = col->max_len > 255 ? 2 : 1;
				size_t		sl;

				CELL_NEED(lb, "string length");
				sl = lb == 2 ? cbl_le16(p) : p[0];
				CELL_NEED(lb + sl, "string");
				n = lb + sl;
				out->v.s.p = p + lb;
				out->v.s.len = sl;
				if (col->charset == CBL_CHARSET_BINARY)
				{
					out->kind = CBL_V_BYTES;
					/* the server strips trailing zero bytes of BINARY(n) */
					if (col->type == CBL_T_STRING && sl < col->max_len)
						out->flags |= CBL_VF_PAD_ZERO;
				}
				else
					out->kind = CBL_V_STRING;
			}
			break;
		case CBL_T_ENUM:
		case CBL_T_SET:
			{
				int			lb = col->len_bytes;

				if (lb < 1 || lb > 8 || (col->type == CBL_T_ENUM && lb > 2))
					return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
									  "bad ENUM/SET pack length %d", lb);
				CELL_NEED(lb, "ENUM/SET");
				n = (size_t) lb;
				out->kind = col->type == CBL_T_ENUM ? CBL_V_ENUM : CBL_V_SET;
				out->v.u = cbl_leN(p, lb);
			}
			break;
		case CBL_T_BLOB:
		case CBL_T_JSON:
		case CBL_T_GEOMETRY:
		case CBL_T_VECTOR:
			{
				int			lb = col->len_bytes;
				uint64_t	bl;

				if (lb < 1 || lb > 4)
					return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
									  "bad BLOB length size %d", lb);
				CELL_NEED(lb, "BLOB length");
				bl = cbl_leN(p, lb);
				if (bl > len - (size_t) lb)
					return cbl_seterr(err, CBL_ERR_TRUNCATED, 0,
									  "truncated BLOB value: length %llu, %zu bytes left",
									  (unsigned long long) bl, len - (size_t) lb);
				n = (size_t) lb + (size_t) bl;
				out->v.s.p = p + lb;
				out->v.s.len = (size_t) bl;
				if (col->type == CBL_T_JSON)
					out->kind = CBL_V_JSON_BINARY;
				else if (col->type == CBL_T_GEOMETRY)
					out->kind = CBL_V_GEOMETRY;
				else if (col->type == CBL_T_VECTOR)
					out->kind = CBL_V_VECTOR;
				else if (col->charset == CBL_CHARSET_BINARY ||
						 col->charset == CBL_CHARSET_UNKNOWN)
					out->kind = CBL_V_BYTES;	/* unknown: keep the bytes */
				else
					out->kind = CBL_V_STRING;
			}
			break;
		case CBL_T_NULL:
			out->kind = CBL_V_NULL;
			n = 0;
			break;
		default:
			return cbl_seterr(err, CBL_ERR_UNSUPPORTED, 0,
							  "unsupported column type %u in row image", col->type);
	}
	*used = n;
	return 0;
}
