/*-------------------------------------------------------------------------
 *
 * wkb.c
 *	  Checks MySQL geometry values: a 4-byte little-endian SRID followed by
 *	  OGC Well-Known Binary, as MySQL and MariaDB store them, send them in
 *	  a result set and write them to the binary log.
 *
 *	  The check walks the whole WKB with a bounded reader, so that a value
 *	  that passes can be handed to PostGIS as it is: every byte-order byte
 *	  is 0 (big endian) or 1 (little endian) and is honoured for the words
 *	  that follow it, every type is one of the seven two-dimensional OGC
 *	  types, the parts of a MULTI* type are of its single type, every count
 *	  fits in the bytes left, collections nest at most CBL_WKB_MAX_DEPTH
 *	  deep, and nothing follows the geometry.  Coordinates are not looked
 *	  at (PostGIS takes any double).  Empty geometries (a count of 0) are
 *	  valid.  Failures are CBL_ERR_TRUNCATED or CBL_ERR_CORRUPT with the
 *	  byte offset inside the value.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

/* OGC WKB geometry types (two-dimensional) */
enum
{
	WKB_POINT = 1, WKB_LINESTRING, WKB_POLYGON, WKB_MULTIPOINT,
	WKB_MULTILINESTRING, WKB_MULTIPOLYGON, WKB_GEOMETRYCOLLECTION
};

/* smallest WKB geometry: byte order, type, one count */
#define WKB_MIN_BYTES	9

/* The OGC name of a WKB type, for messages. */
const char *
cbl_wkb_type_name(uint32_t type)
{
	static const char *const names[] = {
		"Geometry", "Point", "LineString", "Polygon", "MultiPoint",
		"MultiLineString", "MultiPolygon", "GeometryCollection"
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

/* Reads a 32-bit word in the given byte order (length checked by caller). */
static uint32_t
wkb_u32(const uint8_t *p, bool little)
{
	return little ? cbl_le32(p) :
		((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
		((uint32_t) p[2] << 8) | (uint32_t) p[3];
}

/* Reads a count word; fails when n items of unit bytes cannot fit. */
static int
wkb_count(cbl_rd *r, bool little, size_t unit, const char *what,
		  uint32_t *n, cbl_error *err)
{
	uint64_t	off = cbl_rd_off(r);

	CBL_NEED(r, 4, err, "WKB count");
	*n = wkb_u32(r->p, little);
	r->p += 4;
	if ((uint64_t) *n * unit > cbl_rd_left(r))
		return cbl_seterr(err, CBL_ERR_TRUNCATED, off,
						  "WKB %s count %u at byte %llu needs at least %llu bytes, %zu left",
						  what, *n, (unsigned long long) off,
						  (unsigned long long) ((uint64_t) *n * unit), cbl_rd_left(r));
	return 0;
}

/* Skips n points of two doubles. */
static int
wkb_points(cbl_rd *r, uint32_t n, cbl_error *err)
{
	CBL_NEED(r, (size_t) n * 16, err, "WKB points");
	r->p += (size_t) n * 16;
	return 0;
}

/*
 * Walks one WKB geometry at r, whose type must be want (0: any) and which
 * sits at nesting depth depth; *type receives its type.
 */
static int
wkb_geometry(cbl_rd *r, uint32_t want, int depth, uint32_t *type, cbl_error *err)
{
	uint64_t	off = cbl_rd_off(r);
	bool		little;
	uint32_t	n;
	uint32_t	part;

	if (depth > CBL_WKB_MAX_DEPTH)
		return cbl_seterr(err, CBL_ERR_LIMIT, off,
						  "WKB geometry at byte %llu nests more than %d collections deep",
						  (unsigned long long) off, CBL_WKB_MAX_DEPTH);
	CBL_NEED(r, 5, err, "WKB header");
	if (r->p[0] > 1)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "invalid WKB byte order %u at byte %llu (0 or 1 expected)",
						  r->p[0], (unsigned long long) off);
	little = r->p[0] == 1;
	*type = wkb_u32(r->p + 1, little);
	r->p += 5;
	if (*type < WKB_POINT || *type > WKB_GEOMETRYCOLLECTION)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off + 1,
						  "unsupported WKB geometry type %u at byte %llu (MySQL geometry is two-dimensional, types 1 to 7)",
						  *type, (unsigned long long) off + 1);
	if (want != 0 && *type != want)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off + 1,
						  "WKB %s at byte %llu inside a collection of %ss",
						  cbl_wkb_type_name(*type), (unsigned long long) off + 1,
						  cbl_wkb_type_name(want));
	switch (*type)
	{
		case WKB_POINT:
			return wkb_points(r, 1, err);
		case WKB_LINESTRING:
			if (wkb_count(r, little, 16, "point", &n, err) < 0)
				return -1;
			return wkb_points(r, n, err);
		case WKB_POLYGON:
			if (wkb_count(r, little, 4, "ring", &n, err) < 0)
				return -1;
			for (uint32_t i = 0; i < n; i++)
			{
				uint32_t	np;

				if (wkb_count(r, little, 16, "point", &np, err) < 0 ||
					wkb_points(r, np, err) < 0)
					return -1;
			}
			return 0;
		default:
			/* MULTI* hold their single type; a collection holds any */
			if (wkb_count(r, little, WKB_MIN_BYTES, "part", &n, err) < 0)
				return -1;
			for (uint32_t i = 0; i < n; i++)
				if (wkb_geometry(r, *type == WKB_GEOMETRYCOLLECTION ? 0 : *type - 3,
								 depth + 1, &part, err) < 0)
					return -1;
			return 0;
	}
}

/*
 * Checks the WKB at p (len bytes), whose first byte is at byte base of the
 * value; *type receives the outer type.
 */
static int
wkb_check_at(const uint8_t *p, size_t len, uint64_t base, uint32_t *type,
			 cbl_error *err)
{
	cbl_rd		r;

	cbl_rd_init(&r, p, len, base);
	if (wkb_geometry(&r, 0, 0, type, err) < 0)
		return -1;
	if (cbl_rd_left(&r) > 0)
		return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(&r),
						  "%zu bytes after the end of the WKB geometry at byte %llu",
						  cbl_rd_left(&r), (unsigned long long) cbl_rd_off(&r));
	return 0;
}

/* Checks a WKB geometry (no SRID); 0, or -1 with err. */
int
cbl_wkb_check(const uint8_t *p, size_t len, uint32_t *type, cbl_error *err)
{
	uint32_t	t;

	return wkb_check_at(p, len, 0, type ? type : &t, err);
}

/* Checks a MySQL geometry value (SRID + WKB); 0, or -1 with err. */
int
cbl_geometry_check(const uint8_t *p, size_t len, uint32_t *srid, uint32_t *type,
				   cbl_error *err)
{
	uint32_t	t;

	if (len < 4)
		return cbl_seterr(err, CBL_ERR_TRUNCATED, 0,
						  "GEOMETRY value of %zu bytes is too short for its SRID", len);
	if (srid)
		*srid = cbl_le32(p);
	return wkb_check_at(p + 4, len - 4, 4, type ? type : &t, err);
}
