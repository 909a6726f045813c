/*-------------------------------------------------------------------------
 *
 * test_wkb.c
 *	  Unit tests of the geometry check (src/binlog/wkb.c) and of the
 *	  geometry texts of cbl_value_to_text(): "SRID=n;<WKB hex>" for PostGIS
 *	  and the replay, hex EWKB for the CLI, the WKB alone as bytea.  The
 *	  values are built as MySQL and MariaDB store them (4-byte little-endian
 *	  SRID, then WKB in either byte order), well formed and malformed.
 *	  With a directory as argument, every value is also written there as a
 *	  seed of the geometry fuzzer (t/fuzz/seeds/wkb/, t/fuzz/wkb_fuzz.c).
 *
 *-------------------------------------------------------------------------
 */
#include "cbl.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static cbl_buf out;
static const char *seed_dir = NULL;

/* A value under construction. */
typedef struct geo
{
	uint8_t		b[4096];
	size_t		len;
	bool		little;			/* byte order of the words written next */
} geo;

/* Appends a 32-bit word in the current byte order. */
static void
put32(geo *g, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		g->b[g->len++] = (uint8_t) (g->little ? v >> (8 * i) : v >> (24 - 8 * i));
}

/* Appends a double in the current byte order. */
static void
putd(geo *g, double d)
{
	uint64_t	u;

	memcpy(&u, &d, 8);
	for (int i = 0; i < 8; i++)
		g->b[g->len++] = (uint8_t) (g->little ? u >> (8 * i) : u >> (56 - 8 * i));
}

/* Appends a WKB header (byte order byte, type) in the given order. */
static void
header(geo *g, bool little, uint32_t type)
{
	g->little = little;
	g->b[g->len++] = little ? 1 : 0;
	put32(g, type);
}

/* Starts a value with its SRID (always little endian). */
static void
start(geo *g, uint32_t srid)
{
	memset(g, 0, sizeof(*g));
	g->little = true;
	put32(g, srid);
}

/* Appends a point (header and coordinates). */
static void
point(geo *g, bool little, double x, double y)
{
	header(g, little, 1);
	putd(g, x);
	putd(g, y);
}

/* Appends a closed square ring of side s at (x, y): 5 points. */
static void
ring(geo *g, double x, double y, double s)
{
	put32(g, 5);
	putd(g, x);
	putd(g, y);
	putd(g, x + s);
	putd(g, y);
	putd(g, x + s);
	putd(g, y + s);
	putd(g, x);
	putd(g, y + s);
	putd(g, x);
	putd(g, y);
}

/* Writes a value as a fuzzer seed named after its test, if asked to. */
static void
seed(const geo *g, const char *name)
{
	char		path[1024];
	size_t		n;
	FILE	   *f;

	if (seed_dir == NULL)
		return;
	n = (size_t) snprintf(path, sizeof(path), "%s/", seed_dir);
	for (const char *c = name; *c && n + 1 < sizeof(path); c++)
	{
		char		ch = (*c >= 'A' && *c <= 'Z') ? (char) (*c + 32) : *c;

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			path[n++] = ch;
		else if (n > 0 && path[n - 1] != '-' && path[n - 1] != '/')
			path[n++] = '-';
	}
	while (n > 0 && path[n - 1] == '-')
		n--;
	path[n] = '\0';
	f = fopen(path, "wb");
	if (f == NULL || fwrite(g->b, 1, g->len, f) != g->len)
		printf("# could not write seed %s\n", path);
	if (f)
		fclose(f);
}

/* Formats the value with flags; the text, or NULL with err filled. */
static const char *
text(const geo *g, unsigned flags, cbl_error *err)
{
	cbl_value	v;
	cbl_column	c;

	memset(&v, 0, sizeof(v));
	memset(&c, 0, sizeof(c));
	memset(err, 0, sizeof(*err));
	c.type = CBL_T_GEOMETRY;
	v.kind = CBL_V_GEOMETRY;
	v.v.s.p = g->b;
	v.v.s.len = g->len;
	if (out.data == NULL)
		cbl_buf_init(&out);
	out.len = 0;
	if (cbl_value_to_text(&v, &c, &out, flags, err) < 0)
		return NULL;
	return out.data ? out.data : "";
}

/* Lowercase hex of n bytes of p, in a static buffer. */
static const char *
hex(const uint8_t *p, size_t n)
{
	static char buf[2 * 4096 + 1];

	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * n] = '\0';
	return buf;
}

/* Checks that g passes, with its SRID, outer type and SRID text. */
static void
valid(const geo *g, uint32_t want_type, const char *name)
{
	cbl_error	err;
	uint32_t	srid = 0;
	uint32_t	type = 0;
	char		want[2 * 4096 + 32];
	char		label[256];
	int			rc = cbl_geometry_check(g->b, g->len, &srid, &type, &err);

	seed(g, name);
	snprintf(label, sizeof(label), "%s: well formed", name);
	if (!ok(rc == 0, label))
		diag("error: %s", err.msg);
	snprintf(label, sizeof(label), "%s: type %s", name, cbl_wkb_type_name(want_type));
	ok(type == want_type, label);
	snprintf(want, sizeof(want), "SRID=%u;%s", srid, hex(g->b + 4, g->len - 4));
	snprintf(label, sizeof(label), "%s: SRID=n;<WKB hex>", name);
	is_cstr(text(g, CBL_FMT_BYTEA_HEX | CBL_FMT_GEOM_SRID, &err), want, label);
	snprintf(want, sizeof(want), "\\x%s", hex(g->b + 4, g->len - 4));
	snprintf(label, sizeof(label), "%s: bytea is the WKB", name);
	is_cstr(text(g, CBL_FMT_BYTEA_HEX, &err), want, label);
}

/* Checks that g is refused with a message containing what. */
static void
invalid(const geo *g, const char *what, const char *name)
{
	cbl_error	err;
	char		label[256];
	int			rc = cbl_geometry_check(g->b, g->len, NULL, NULL, &err);

	seed(g, name);
	snprintf(label, sizeof(label), "%s: refused", name);
	ok(rc < 0, label);
	snprintf(label, sizeof(label), "%s: says \"%s\"", name, what);
	if (!ok(rc < 0 && strstr(err.msg, what) != NULL, label))
		diag("message: %s", rc < 0 ? err.msg : "(none)");
	snprintf(label, sizeof(label), "%s: no SRID text", name);
	ok(text(g, CBL_FMT_BYTEA_HEX | CBL_FMT_GEOM_SRID, &err) == NULL, label);
	snprintf(label, sizeof(label), "%s: no EWKB", name);
	ok(text(g, CBL_FMT_BYTEA_HEX | CBL_FMT_GEOM_HEX, &err) == NULL, label);
}

/* Well-formed values of every type, both byte orders, empty ones. */
static void
test_valid(void)
{
	geo			g;
	cbl_error	err;

	start(&g, 4326);
	point(&g, true, 1, 2);
	valid(&g, 1, "point SRID 4326");
	is_cstr(text(&g, CBL_FMT_GEOM_SRID, &err),
			"SRID=4326;0101000000000000000000f03f0000000000000040", "point: exact SRID text");
	is_cstr(text(&g, CBL_FMT_GEOM_HEX, &err),
			"0101000020e6100000000000000000f03f0000000000000040", "point: exact EWKB");

	start(&g, 0);
	point(&g, false, 1, 2);
	valid(&g, 1, "big-endian point SRID 0");
	is_cstr(text(&g, CBL_FMT_GEOM_SRID, &err),
			"SRID=0;00000000013ff00000000000004000000000000000", "big-endian point: bytes kept");

	start(&g, 3857);
	point(&g, false, -1.5, 2.25);
	is_cstr(text(&g, CBL_FMT_GEOM_HEX, &err),
			"002000000100000f11bff80000000000004002000000000000", "big-endian EWKB header");

	start(&g, 0);
	header(&g, true, 2);
	put32(&g, 3);
	for (int i = 0; i < 3; i++)
	{
		putd(&g, i);
		putd(&g, -i);
	}
	valid(&g, 2, "linestring");

	start(&g, 0);
	header(&g, true, 2);
	put32(&g, 1);
	putd(&g, 0);
	putd(&g, 0);
	valid(&g, 2, "one-point linestring (MariaDB stores it)");

	start(&g, 4326);
	header(&g, true, 3);
	put32(&g, 2);
	ring(&g, 0, 0, 10);
	ring(&g, 1, 1, 2);
	valid(&g, 3, "polygon with a hole");

	start(&g, 0);
	header(&g, true, 4);
	put32(&g, 2);
	point(&g, true, 1, 2);
	point(&g, false, 3, 4);
	valid(&g, 4, "multipoint, parts in both byte orders");

	start(&g, 0);
	header(&g, false, 5);
	put32(&g, 2);
	for (int k = 0; k < 2; k++)
	{
		header(&g, false, 2);
		put32(&g, 2);
		putd(&g, k);
		putd(&g, k);
		putd(&g, k + 1);
		putd(&g, k + 1);
	}
	valid(&g, 5, "big-endian multilinestring");

	start(&g, 2154);
	header(&g, true, 6);
	put32(&g, 2);
	header(&g, true, 3);
	put32(&g, 2);
	ring(&g, 0, 0, 10);
	ring(&g, 2, 2, 1);
	header(&g, true, 3);
	put32(&g, 1);
	ring(&g, 20, 20, 5);
	valid(&g, 6, "multipolygon, a hole in the first");

	start(&g, 0);
	header(&g, true, 7);
	put32(&g, 0);
	valid(&g, 7, "GEOMETRYCOLLECTION EMPTY");
	is_cstr(text(&g, CBL_FMT_GEOM_SRID, &err), "SRID=0;010700000000000000",
			"empty collection: exact SRID text");

	start(&g, 0);
	header(&g, true, 4);
	put32(&g, 0);
	valid(&g, 4, "empty multipoint");

	start(&g, 0);
	header(&g, true, 3);
	put32(&g, 0);
	valid(&g, 3, "empty polygon");

	start(&g, 4326);
	header(&g, true, 7);
	put32(&g, 4);
	point(&g, true, 1, 2);
	header(&g, true, 2);
	put32(&g, 2);
	putd(&g, 0);
	putd(&g, 0);
	putd(&g, 1);
	putd(&g, 1);
	header(&g, false, 7);
	put32(&g, 0);
	g.little = true;
	header(&g, true, 4);
	put32(&g, 1);
	point(&g, true, 5, 6);
	valid(&g, 7, "collection of a point, a line, an empty collection, a multipoint");

	start(&g, 0);
	for (int d = 0; d <= CBL_WKB_MAX_DEPTH; d++)
	{
		header(&g, true, 7);
		put32(&g, d < CBL_WKB_MAX_DEPTH ? 1 : 0);
	}
	valid(&g, 7, "collections nested CBL_WKB_MAX_DEPTH deep");

	start(&g, 0xFFFFFFFFu);
	point(&g, true, 0, 0);
	valid(&g, 1, "SRID 2^32-1 (checked by the caller, not here)");
	is_cstr(text(&g, CBL_FMT_GEOM_SRID, &err),
			"SRID=4294967295;010100000000000000000000000000000000000000", "largest SRID printed unsigned");
}

/* Malformed values: every one refused with a message, none read past its end. */
static void
test_invalid(void)
{
	geo			g;
	cbl_error	err;
	uint8_t    *heap;

	memset(&g, 0, sizeof(g));
	invalid(&g, "too short", "empty value");
	g.len = 3;
	invalid(&g, "too short", "3 bytes");

	start(&g, 4326);
	invalid(&g, "truncated WKB header", "an SRID alone");

	start(&g, 0);
	header(&g, true, 1);
	invalid(&g, "truncated WKB points", "point without coordinates");

	start(&g, 0);
	point(&g, true, 1, 2);
	g.len--;
	invalid(&g, "truncated WKB points", "point one byte short");

	start(&g, 0);
	point(&g, true, 1, 2);
	g.b[4] = 2;
	invalid(&g, "invalid WKB byte order 2 at byte 4", "byte order 2");

	start(&g, 0);
	header(&g, true, 0);
	invalid(&g, "unsupported WKB geometry type 0", "type 0");

	start(&g, 0);
	header(&g, true, 8);
	invalid(&g, "unsupported WKB geometry type 8", "type 8");

	start(&g, 0);
	header(&g, true, 1001);
	putd(&g, 1);
	putd(&g, 2);
	putd(&g, 3);
	invalid(&g, "unsupported WKB geometry type 1001", "ISO point Z");

	start(&g, 0);
	header(&g, true, 0x20000001u);
	put32(&g, 4326);
	putd(&g, 1);
	putd(&g, 2);
	invalid(&g, "unsupported WKB geometry type 536870913", "EWKB inside a MySQL value");

	start(&g, 0);
	header(&g, true, 2);
	put32(&g, 0xFFFFFFFFu);
	putd(&g, 1);
	invalid(&g, "point count 4294967295", "linestring with a huge count");

	start(&g, 0);
	header(&g, true, 3);
	put32(&g, 0x40000000u);
	invalid(&g, "ring count 1073741824", "polygon with a huge ring count");

	start(&g, 0);
	header(&g, true, 3);
	put32(&g, 1);
	put32(&g, 5);
	putd(&g, 0);
	invalid(&g, "point count 5", "polygon ring shorter than its count");

	start(&g, 0);
	header(&g, true, 7);
	put32(&g, 0xFFFFFFFFu);
	point(&g, true, 0, 0);
	invalid(&g, "part count 4294967295", "collection with a huge count");

	start(&g, 0);
	header(&g, true, 4);
	put32(&g, 1);
	header(&g, true, 2);
	put32(&g, 0);
	invalid(&g, "WKB LineString at byte 14 inside a collection of Points",
			"multipoint holding a linestring");

	start(&g, 0);
	header(&g, true, 6);
	put32(&g, 1);
	point(&g, true, 0, 0);
	invalid(&g, "inside a collection of Polygons", "multipolygon holding a point");

	start(&g, 0);
	header(&g, true, 7);
	put32(&g, 2);
	point(&g, true, 0, 0);
	invalid(&g, "truncated WKB header", "collection missing a part");

	start(&g, 0);
	point(&g, true, 1, 2);
	g.b[g.len++] = 0;
	invalid(&g, "1 bytes after the end of the WKB geometry at byte 25", "a trailing byte");

	start(&g, 0);
	for (int d = 0; d <= CBL_WKB_MAX_DEPTH + 1; d++)
	{
		header(&g, true, 7);
		put32(&g, d <= CBL_WKB_MAX_DEPTH ? 1 : 0);
	}
	invalid(&g, "nests more than 64 collections deep", "collections nested too deep");

	/* exactly sized heap copies: valgrind sees any read past the end */
	start(&g, 4326);
	header(&g, true, 3);
	put32(&g, 2);
	ring(&g, 0, 0, 10);
	ring(&g, 1, 1, 2);
	for (size_t n = 0; n < g.len; n++)
	{
		heap = malloc(n ? n : 1);
		memcpy(heap, g.b, n);
		if (cbl_geometry_check(heap, n, NULL, NULL, &err) == 0)
		{
			free(heap);
			break;
		}
		free(heap);
	}
	ok(1, "every prefix of a polygon is refused without reading past it");
	{
		size_t		refused = 0;

		for (size_t n = 0; n < g.len; n++)
			if (cbl_geometry_check(g.b, n, NULL, NULL, &err) < 0)
				refused++;
		ok(refused == g.len, "no proper prefix of a polygon passes");
	}

	/* as bytea the bytes are kept, malformed or not (no PostGIS involved) */
	start(&g, 0);
	header(&g, true, 99);
	is_cstr(text(&g, CBL_FMT_BYTEA_HEX, &err), "\\x0163000000", "malformed geometry as bytea: kept");
	g.len = 2;
	ok(text(&g, CBL_FMT_BYTEA_HEX, &err) == NULL, "a value shorter than its SRID fails even as bytea");
}

/* WKB alone (cbl_wkb_check). */
static void
test_wkb_alone(void)
{
	geo			g;
	cbl_error	err;
	uint32_t	type = 0;

	memset(&g, 0, sizeof(g));
	point(&g, true, 1, 2);
	ok(cbl_wkb_check(g.b, g.len, &type, &err) == 0 && type == 1, "WKB point alone");
	ok(cbl_wkb_check(g.b, g.len - 1, &type, &err) < 0, "WKB point alone, truncated");
	ok(cbl_wkb_check(g.b, 0, NULL, &err) < 0, "empty WKB");
	is_cstr(cbl_wkb_type_name(6), "MultiPolygon", "type names");
	is_cstr(cbl_wkb_type_name(42), "unknown", "unknown type name");
}

/* Entry point; an argument names a directory to write fuzzer seeds into. */
int
main(int argc, char **argv)
{
	if (argc > 1)
		seed_dir = argv[1];
	test_valid();
	test_invalid();
	test_wkb_alone();
	cbl_buf_free(&out);
	return done_testing();
}
