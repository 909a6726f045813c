/*-------------------------------------------------------------------------
 *
 * test_values.c
 *	  Unit tests of cell decoding and PostgreSQL text formatting: integers
 *	  of every width and signedness, DECIMAL, FLOAT/DOUBLE, BIT, YEAR,
 *	  temporal types (old and new formats, negative TIME, zero dates),
 *	  charsets, BINARY padding, ENUM/SET, binary JSON, JSON diffs and
 *	  GEOMETRY.  Byte images follow the server's documented encodings.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl.h"
#include "tap.h"

#include <stdlib.h>

static cbl_buf out;

/* Decode bytes as a cell of column c and format it. */
static int
fmt_cell(const cbl_column *c, const uint8_t *p, size_t len, cbl_value *v,
		 unsigned flags)
{
	cbl_error	err;
	size_t		used;

	out.len = 0;
	if (cbl_decode_cell(c, p, len, v, &used, &err) < 0)
	{
		printf("# decode error: %s\n", err.msg);
		return -1;
	}
	if (used != len)
	{
		printf("# used %zu of %zu bytes\n", used, len);
		return -1;
	}
	if (cbl_value_to_text(v, c, &out, flags, &err) < 0)
	{
		printf("# format error: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Check that bytes decode to the expected text. */
static void
check(const cbl_column *c, const uint8_t *p, size_t len, const char *want,
	  const char *name)
{
	cbl_value	v;

	if (fmt_cell(c, p, len, &v, CBL_FMT_BYTEA_HEX | CBL_FMT_GEOM_HEX) < 0)
	{
		ok(0, name);
		return;
	}
	is_str(out.data, out.len, want, name);
}

/* A column of the given type. */
static cbl_column
col(uint8_t type)
{
	cbl_column	c;

	memset(&c, 0, sizeof(c));
	c.type = type;
	c.binlog_type = type;
	return c;
}

/* MySQL my_time_packed_to_binary for TIME2. */
static size_t
pack_time2(uint8_t *dst, int neg, unsigned h, unsigned m, unsigned s,
		   unsigned usec, int fsp)
{
	int64_t		hms = ((int64_t) h << 12) | (m << 6) | s;
	int64_t		nr = (hms << 24) + usec;
	int64_t		ip,
				fp;
	uint64_t	u;

	if (neg)
		nr = -nr;
	ip = nr >= 0 ? nr / (1 << 24) : -((-nr + (1 << 24) - 1) / (1 << 24));	/* floor */
	fp = nr % (1 << 24);
	if (fsp == 0)
	{
		u = (uint64_t) (ip + 0x800000);
		dst[0] = (uint8_t) (u >> 16);
		dst[1] = (uint8_t) (u >> 8);
		dst[2] = (uint8_t) u;
		return 3;
	}
	if (fsp <= 2)
	{
		u = (uint64_t) (ip + 0x800000);
		dst[0] = (uint8_t) (u >> 16);
		dst[1] = (uint8_t) (u >> 8);
		dst[2] = (uint8_t) u;
		dst[3] = (uint8_t) (int8_t) (fp / 10000);
		return 4;
	}
	if (fsp <= 4)
	{
		int16_t		f = (int16_t) (fp / 100);

		u = (uint64_t) (ip + 0x800000);
		dst[0] = (uint8_t) (u >> 16);
		dst[1] = (uint8_t) (u >> 8);
		dst[2] = (uint8_t) u;
		dst[3] = (uint8_t) ((uint16_t) f >> 8);
		dst[4] = (uint8_t) f;
		return 5;
	}
	u = (uint64_t) (nr + 0x800000000000LL);
	for (int i = 0; i < 6; i++)
		dst[i] = (uint8_t) (u >> (8 * (5 - i)));
	return 6;
}

/* Integer types. */
static void
test_integers(void)
{
	cbl_column	c;
	const uint8_t ff[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t min64[8] = {0, 0, 0, 0, 0, 0, 0, 0x80};
	const uint8_t min24[3] = {0, 0, 0x80};
	const uint8_t max32[4] = {0xff, 0xff, 0xff, 0x7f};

	c = col(CBL_T_TINY);
	check(&c, ff, 1, "-1", "TINYINT -1");
	c.is_unsigned = true;
	check(&c, ff, 1, "255", "TINYINT UNSIGNED 255");
	c = col(CBL_T_SHORT);
	check(&c, ff, 2, "-1", "SMALLINT -1");
	c.is_unsigned = true;
	check(&c, ff, 2, "65535", "SMALLINT UNSIGNED 65535");
	c = col(CBL_T_INT24);
	check(&c, min24, 3, "-8388608", "MEDIUMINT min");
	c.is_unsigned = true;
	check(&c, ff, 3, "16777215", "MEDIUMINT UNSIGNED max");
	c = col(CBL_T_LONG);
	check(&c, max32, 4, "2147483647", "INT max");
	check(&c, ff, 4, "-1", "INT -1");
	c.is_unsigned = true;
	check(&c, ff, 4, "4294967295", "INT UNSIGNED max");
	c = col(CBL_T_LONGLONG);
	check(&c, min64, 8, "-9223372036854775808", "BIGINT min");
	c.is_unsigned = true;
	check(&c, ff, 8, "18446744073709551615", "BIGINT UNSIGNED max");
}

/* DECIMAL. */
static void
test_decimal(void)
{
	cbl_column	c = col(CBL_T_NEWDECIMAL);
	const uint8_t pos[] = {0x81, 0x0D, 0xFB, 0x38, 0xD2, 0x04, 0xD2};
	uint8_t		neg[sizeof(pos)];
	uint8_t		zero[30];
	uint8_t		big[30];

	c.precision = 14;
	c.scale = 4;
	check(&c, pos, sizeof(pos), "1234567890.1234", "DECIMAL(14,4) positive");
	for (size_t i = 0; i < sizeof(pos); i++)
		neg[i] = (uint8_t) ~pos[i];
	check(&c, neg, sizeof(neg), "-1234567890.1234", "DECIMAL(14,4) negative");

	c.precision = 65;
	c.scale = 30;
	ok(cbl_decimal_bin_size(65, 30) == 30, "DECIMAL(65,30) is 30 bytes");
	memset(zero, 0, sizeof(zero));
	zero[0] = 0x80;
	check(&c, zero, 30, "0.000000000000000000000000000000", "DECIMAL(65,30) zero");
	/* 35 nines . 30 nines: groups of 999999999 and 99999999 */
	memset(big, 0, sizeof(big));
	{
		int			o = 0;
		uint32_t	g8 = 99999999,
					g9 = 999999999,
					g3 = 999;

		big[o++] = (uint8_t) (g8 >> 24);
		big[o++] = (uint8_t) (g8 >> 16);
		big[o++] = (uint8_t) (g8 >> 8);
		big[o++] = (uint8_t) g8;
		for (int k = 0; k < 6; k++)
		{
			big[o++] = (uint8_t) (g9 >> 24);
			big[o++] = (uint8_t) (g9 >> 16);
			big[o++] = (uint8_t) (g9 >> 8);
			big[o++] = (uint8_t) g9;
		}
		big[o++] = (uint8_t) (g3 >> 8);
		big[o++] = (uint8_t) g3;
		big[0] |= 0x80;
	}
	{
		char		want[67];

		memset(want, '9', 66);
		want[35] = '.';
		want[66] = '\0';
		check(&c, big, 30, want, "DECIMAL(65,30) max (35.30 nines)");
	}
	c.precision = 5;
	c.scale = 2;
	{
		/* -0.50: positive form 80 00 32, negated */
		const uint8_t v[3] = {0x7f, 0xff, 0xcd};

		check(&c, v, 3, "-0.50", "DECIMAL(5,2) -0.50");
	}
}

/* FLOAT, DOUBLE, BIT, YEAR. */
static void
test_numbers(void)
{
	cbl_column	c;
	uint8_t		b[8];
	float		f = 0.1f;
	double		d;
	uint32_t	fb;
	uint64_t	db;

	c = col(CBL_T_FLOAT);
	memcpy(&fb, &f, 4);
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t) (fb >> (8 * i));
	check(&c, b, 4, "0.1", "FLOAT 0.1 shortest");
	f = 3.4028235e38f;
	memcpy(&fb, &f, 4);
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t) (fb >> (8 * i));
	check(&c, b, 4, "3.4028235e+38", "FLOAT max");

	c = col(CBL_T_DOUBLE);
	d = 0.1;
	memcpy(&db, &d, 8);
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t) (db >> (8 * i));
	check(&c, b, 8, "0.1", "DOUBLE 0.1 shortest");
	d = 1.0 / 3.0;
	memcpy(&db, &d, 8);
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t) (db >> (8 * i));
	check(&c, b, 8, "0.3333333333333333", "DOUBLE 1/3 round-trips");
	d = -0.0;
	memcpy(&db, &d, 8);
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t) (db >> (8 * i));
	check(&c, b, 8, "-0", "DOUBLE -0");
	d = 1e300;
	memcpy(&db, &d, 8);
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t) (db >> (8 * i));
	check(&c, b, 8, "1e+300", "DOUBLE 1e300");

	c = col(CBL_T_BIT);
	c.bits = 10;
	b[0] = 0x02;
	b[1] = 0xA5;
	check(&c, b, 2, "1010100101", "BIT(10)");
	c.bits = 1;
	b[0] = 1;
	check(&c, b, 1, "1", "BIT(1)");
	c.bits = 64;
	memset(b, 0xff, 8);
	check(&c, b, 8, "1111111111111111111111111111111111111111111111111111111111111111",
		  "BIT(64) all ones");

	c = col(CBL_T_YEAR);
	b[0] = 0;
	check(&c, b, 1, "0", "YEAR 0 stays 0");
	b[0] = 125;
	check(&c, b, 1, "2025", "YEAR 2025");
	b[0] = 255;
	check(&c, b, 1, "2155", "YEAR 2155");
}

/* DATE, DATETIME, TIMESTAMP, TIME in old and new formats. */
static void
test_temporal(void)
{
	cbl_column	c;
	uint8_t		b[8];
	cbl_value	v;
	uint64_t	u;
	size_t		n;

	c = col(CBL_T_DATE);
	u = (2020u << 9) | (2u << 5) | 29u;
	b[0] = (uint8_t) u;
	b[1] = (uint8_t) (u >> 8);
	b[2] = (uint8_t) (u >> 16);
	check(&c, b, 3, "2020-02-29", "DATE");
	memset(b, 0, 3);
	ok(fmt_cell(&c, b, 3, &v, 0) == 0 && (v.flags & CBL_VF_ZERO_DATE), "DATE 0000-00-00 flagged zero");

	c = col(CBL_T_DATETIME2);
	c.fsp = 0;
	u = ((((2012ull * 13 + 3) << 5) | 18) << 17) | (11u << 12) | (30u << 6) | 45u;
	u += 0x8000000000ull;
	for (int i = 0; i < 5; i++)
		b[i] = (uint8_t) (u >> (8 * (4 - i)));
	check(&c, b, 5, "2012-03-18 11:30:45", "DATETIME(0)");
	c.fsp = 6;
	b[5] = 0x01;
	b[6] = 0xE2;
	b[7] = 0x40;				/* 123456 */
	check(&c, b, 8, "2012-03-18 11:30:45.123456", "DATETIME(6)");
	u = 0x8000000000ull;
	for (int i = 0; i < 5; i++)
		b[i] = (uint8_t) (u >> (8 * (4 - i)));
	c.fsp = 0;
	ok(fmt_cell(&c, b, 5, &v, 0) == 0 && (v.flags & CBL_VF_ZERO_DATE) &&
	   out.len == 19 && memcmp(out.data, "0000-00-00 00:00:00", 19) == 0,
	   "DATETIME zero flagged, text 0000-00-00 00:00:00");

	c = col(CBL_T_DATETIME);
	u = 20120318113045ull;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t) (u >> (8 * i));
	check(&c, b, 8, "2012-03-18 11:30:45", "old DATETIME");

	c = col(CBL_T_TIMESTAMP2);
	c.fsp = 3;
	u = 1700000000u;
	b[0] = (uint8_t) (u >> 24);
	b[1] = (uint8_t) (u >> 16);
	b[2] = (uint8_t) (u >> 8);
	b[3] = (uint8_t) u;
	b[4] = 1230 >> 8;
	b[5] = 1230 & 0xff;
	check(&c, b, 6, "2023-11-14 22:13:20.123+00", "TIMESTAMP(3) as UTC instant");
	memset(b, 0, 6);
	ok(fmt_cell(&c, b, 6, &v, 0) == 0 && (v.flags & CBL_VF_ZERO_DATE), "TIMESTAMP 0 flagged zero");

	c = col(CBL_T_TIMESTAMP);
	u = 2147483647u;
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t) (u >> (8 * i));
	check(&c, b, 4, "2038-01-19 03:14:07+00", "old TIMESTAMP max");

	c = col(CBL_T_TIME2);
	for (int fsp = 0; fsp <= 6; fsp++)
	{
		static const char *want_neg[7] = {
			"-12:34:56", "-12:34:56.5", "-12:34:56.50", "-12:34:56.500",
			"-12:34:56.5000", "-12:34:56.50000", "-12:34:56.500000"
		};
		char		name[64];

		c.fsp = (uint8_t) fsp;
		n = pack_time2(b, 1, 12, 34, 56, fsp ? 500000 : 0, fsp);
		snprintf(name, sizeof(name), "negative TIME(%d)", fsp);
		check(&c, b, n, want_neg[fsp], name);
	}
	c.fsp = 6;
	n = pack_time2(b, 1, 838, 59, 59, 0, 6);
	check(&c, b, n, "-838:59:59.000000", "TIME(6) minimum");
	n = pack_time2(b, 1, 0, 0, 0, 1, 6);
	check(&c, b, n, "-00:00:00.000001", "TIME(6) -1 microsecond");
	c.fsp = 0;
	n = pack_time2(b, 0, 100, 0, 1, 0, 0);
	check(&c, b, n, "100:00:01", "TIME > 24h");

	c = col(CBL_T_TIME);
	{
		int32_t		t = -(12 * 10000 + 34 * 100 + 56);
		uint32_t	tu = (uint32_t) t;

		b[0] = (uint8_t) tu;
		b[1] = (uint8_t) (tu >> 8);
		b[2] = (uint8_t) (tu >> 16);
		check(&c, b, 3, "-12:34:56", "old TIME negative");
	}
}

/* Strings, charsets, BINARY padding, BLOB, ENUM, SET. */
static void
test_strings(void)
{
	cbl_column	c;
	cbl_value	v;
	uint8_t		b[64];
	cbl_str		labels[3] = {{"x", 1}, {"y", 1}, {"zz", 2}};
	cbl_error	err;

	c = col(CBL_T_VARCHAR);
	c.max_len = 40;
	c.charset = 8;				/* latin1_swedish_ci */
	memcpy(b, "\x05" "caf\xe9\x80", 6);
	check(&c, b, 6, "caf\xc3\xa9\xe2\x82\xac", "latin1 (cp1252) to UTF-8");
	/* runs of ASCII are copied whole: around NUL, high bytes, at both ends */
	memcpy(b, "\x0b" "ab\0cd\xff" "ef\x9f\x01g", 12);
	check(&c, b, 12, "abcd\xc3\xbf" "ef\xc5\xb8\x01g", "latin1 runs of ASCII between NUL and high bytes");
	memcpy(b, "\x03" "\xe9\0\xe9", 4);
	check(&c, b, 4, "\xc3\xa9\xc3\xa9", "latin1 without ASCII");
	c.charset = 45;
	memcpy(b, "\x06" "a\0b\xf0\x9f\x98", 7);
	b[7] = 0x80;
	b[0] = 7;
	check(&c, b, 8, "ab\xf0\x9f\x98\x80", "utf8mb4 emoji, NUL removed");
	memcpy(b, "\x02\xc3\x28", 3);
	out.len = 0;
	{
		size_t		used;

		ok(cbl_decode_cell(&c, b, 3, &v, &used, &err) == 0 &&
		   cbl_value_to_text(&v, &c, &out, 0, &err) < 0 && err.code == CBL_ERR_ENCODING,
		   "invalid UTF-8 is an encoding error, not mangled");
	}
	c.max_len = 300;			/* two length bytes */
	b[0] = 3;
	b[1] = 0;
	memcpy(b + 2, "abc", 3);
	check(&c, b, 5, "abc", "VARCHAR with 2-byte length");

	c = col(CBL_T_STRING);
	c.max_len = 4;
	c.charset = CBL_CHARSET_BINARY;
	memcpy(b, "\x02" "ab", 3);
	check(&c, b, 3, "\\x61620000", "BINARY(4) re-padded with zero bytes");
	ok(fmt_cell(&c, b, 3, &v, 0) == 0 && out.len == 4 && out.data[3] == 0,
	   "BINARY(4) raw bytes padded");

	c = col(CBL_T_BLOB);
	c.len_bytes = 2;
	c.charset = CBL_CHARSET_BINARY;
	memcpy(b, "\x03\x00\x00\xff\x10", 5);
	check(&c, b, 5, "\\x00ff10", "BLOB as bytea hex");
	c.charset = 33;
	memcpy(b, "\x02\x00hi", 4);
	check(&c, b, 4, "hi", "TEXT utf8mb3");

	c = col(CBL_T_ENUM);
	c.len_bytes = 1;
	c.nlabels = 3;
	c.labels = labels;
	b[0] = 3;
	check(&c, b, 1, "zz", "ENUM label");
	b[0] = 0;
	check(&c, b, 1, "", "ENUM invalid value 0 is ''");
	c.nlabels = 0;
	b[0] = 2;
	check(&c, b, 1, "2", "ENUM without labels prints the index");

	c = col(CBL_T_SET);
	c.len_bytes = 1;
	c.nlabels = 3;
	c.labels = labels;
	b[0] = 5;
	check(&c, b, 1, "x,zz", "SET comma list");
	b[0] = 0;
	check(&c, b, 1, "", "empty SET is empty string");
}

/* Binary JSON, JSON diff, GEOMETRY. */
static void
test_json_geometry(void)
{
	static const uint8_t doc[] = {
		0x00,
		0x02, 0x00, 0x20, 0x00,
		0x12, 0x00, 0x01, 0x00, 0x13, 0x00, 0x01, 0x00,
		0x05, 0x01, 0x00, 0x02, 0x14, 0x00,
		'a', 'b',
		0x02, 0x00, 0x0c, 0x00, 0x04, 0x01, 0x00, 0x0c, 0x0a, 0x00, 0x01, 'x'
	};
	static const uint8_t diff[] = {
		0x00, 3, '$', '.', 'a', 3, 0x05, 0x02, 0x00,
		0x01, 3, '$', '.', 'c', 3, 0x0c, 0x01, 'y',
		0x02, 6, '$', '.', 'b', '[', '0', ']'
	};
	uint8_t		opq[12];
	cbl_error	err;
	uint64_t	packed;

	out.len = 0;
	ok(cbl_json_binary_to_text(doc, sizeof(doc), &out, &err) == 0, "binary JSON decodes");
	is_str(out.data, out.len, "{\"a\": 1, \"b\": [true, \"x\"]}", "binary JSON text");

	out.len = 0;
	ok(cbl_json_apply_diff(doc, sizeof(doc), diff, sizeof(diff), &out, &err) == 0,
	   "JSON diff applies");
	is_str(out.data, out.len, "{\"a\": 2, \"b\": [\"x\"], \"c\": \"y\"}",
		   "JSON diff REPLACE/INSERT/REMOVE result");

	out.len = 0;
	ok(cbl_json_binary_to_text(doc, 10, &out, &err) < 0, "truncated binary JSON is an error");

	/* opaque DATE 2012-03-18 */
	packed = ((((2012ull * 13 + 3) << 5) | 18) << 17) << 24;
	opq[0] = 0x0f;
	opq[1] = CBL_T_DATE;
	opq[2] = 8;
	for (int i = 0; i < 8; i++)
		opq[3 + i] = (uint8_t) (packed >> (8 * i));
	out.len = 0;
	ok(cbl_json_binary_to_text(opq, 11, &out, &err) == 0, "opaque DATE decodes");
	is_str(out.data, out.len, "\"2012-03-18\"", "opaque DATE text");

	{
		static const uint8_t dbl[] = {0x0b, 0, 0, 0, 0, 0, 0, 0x08, 0x40};	/* 3.0 */

		out.len = 0;
		cbl_json_binary_to_text(dbl, sizeof(dbl), &out, &err);
		is_str(out.data, out.len, "3.0", "JSON double keeps .0");
	}

	{
		cbl_column	c = col(CBL_T_GEOMETRY);
		uint8_t		g[4 + 4 + 21];
		double		x = 1.0,
					y = 2.0;
		uint64_t	xb,
					yb;

		c.len_bytes = 4;
		g[0] = 25;
		g[1] = g[2] = g[3] = 0;
		g[4] = 0xe6;
		g[5] = 0x10;
		g[6] = g[7] = 0;		/* SRID 4326 */
		g[8] = 1;
		g[9] = 1;
		g[10] = g[11] = g[12] = 0;	/* little-endian point */
		memcpy(&xb, &x, 8);
		memcpy(&yb, &y, 8);
		for (int i = 0; i < 8; i++)
		{
			g[13 + i] = (uint8_t) (xb >> (8 * i));
			g[21 + i] = (uint8_t) (yb >> (8 * i));
		}
		check(&c, g, sizeof(g),
			  "0101000020e6100000000000000000f03f0000000000000040",
			  "GEOMETRY point SRID 4326 as hex EWKB");
	}
}

/* Entry point. */
int
main(void)
{
	cbl_buf_init(&out);
	test_integers();
	test_decimal();
	test_numbers();
	test_temporal();
	test_strings();
	test_json_geometry();
	cbl_buf_free(&out);
	return done_testing();
}
