/*-------------------------------------------------------------------------
 *
 * wkb_fuzz.c
 *	  libFuzzer target over the geometry check (src/binlog/wkb.c): the
 *	  input is a MySQL geometry value (4-byte SRID + WKB) as the network
 *	  delivers it.  It is checked, checked again as WKB alone, and
 *	  formatted in every geometry form of cbl_value_to_text(); a value that
 *	  passes the check must format as "SRID=n;<hex>" of exactly its WKB
 *	  bytes and as hex EWKB, and a value that fails must fail to format in
 *	  both, so that nothing malformed can reach PostGIS.
 *
 *	  Built and run by `make fuzz-wkb` (src/binlog/binlog.mk), seeded with
 *	  t/fuzz/seeds/wkb/ (written by t/unit/binlog/test_wkb.c).
 *
 *-------------------------------------------------------------------------
 */
#include "cbl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Formats data as a GEOMETRY value with flags into out; the result code. */
static int
format(const uint8_t *data, size_t size, unsigned flags, cbl_buf *out)
{
	cbl_value	v;
	cbl_column	c;
	cbl_error	err;

	memset(&v, 0, sizeof(v));
	memset(&c, 0, sizeof(c));
	c.type = CBL_T_GEOMETRY;
	v.kind = CBL_V_GEOMETRY;
	v.v.s.p = data;
	v.v.s.len = size;
	out->len = 0;
	return cbl_value_to_text(&v, &c, out, flags, &err);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cbl_buf		out;
	cbl_error	err;
	uint32_t	srid = 0;
	uint32_t	type = 0;
	int			rc = cbl_geometry_check(data, size, &srid, &type, &err);
	char		head[32];
	int			hlen;

	if (rc == 0 && (type < 1 || type > 7))
		abort();
	if (size >= 4)
		(void) cbl_wkb_check(data + 4, size - 4, NULL, &err);

	cbl_buf_init(&out);
	if ((format(data, size, CBL_FMT_GEOM_SRID, &out) == 0) != (rc == 0))
		abort();
	if (rc == 0 && !out.oom)
	{
		hlen = snprintf(head, sizeof(head), "SRID=%u;", srid);
		if (out.len != (size_t) hlen + 2 * (size - 4) || memcmp(out.data, head, hlen) != 0)
			abort();
	}
	if ((format(data, size, CBL_FMT_GEOM_HEX, &out) == 0) != (rc == 0))
		abort();
	(void) format(data, size, CBL_FMT_BYTEA_HEX, &out);
	(void) format(data, size, 0, &out);
	cbl_buf_free(&out);
	return 0;
}
