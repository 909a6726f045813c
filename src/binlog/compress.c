/*-------------------------------------------------------------------------
 *
 * compress.c
 *	  Decompression of MariaDB compressed events (zlib, types 165-171) and
 *	  MySQL TRANSACTION_PAYLOAD events (zstd).
 *
 * MariaDB's compressed block starts with one byte whose low three bits
 * give the size of a big-endian uncompressed-length field, followed by a
 * zlib stream.  Output sizes are bounded so a hostile length cannot make
 * us allocate without limit.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

/* MySQL/MariaDB cap events at 1 GiB; nothing inside one can be larger. */
#define CBL_MAX_UNCOMPRESSED ((size_t) 1 << 30)

/* Grow a byte buffer to at least n bytes. */
static int
grow(uint8_t **buf, size_t *cap, size_t n, uint64_t off, cbl_error *err)
{
	uint8_t    *nb;

	if (n <= *cap)
		return 0;
	nb = realloc(*buf, n);
	if (nb == NULL)
		return cbl_seterr(err, CBL_ERR_NOMEM, off,
						  "out of memory decompressing %zu bytes", n);
	*buf = nb;
	*cap = n;
	return 0;
}

/* Uncompress a MariaDB compressed block into the decoder's buffer. */
int
cbl_maria_uncompress(cbl_decoder *d, const uint8_t *p, size_t len,
					 uint64_t off, const uint8_t **out, size_t *outlen,
					 cbl_error *err)
{
	int			lenlen;
	uint64_t	ulen;
	uLongf		dlen;
	int			rc;

	if (len < 1)
		return cbl_seterr(err, CBL_ERR_TRUNCATED, off, "empty compressed block");
	lenlen = p[0] & 0x07;
	if (lenlen < 1 || lenlen > 4 || len < (size_t) lenlen + 1)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "bad compressed block header 0x%02x", p[0]);
	ulen = cbl_beN(p + 1, lenlen);
	if (ulen > CBL_MAX_UNCOMPRESSED)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "compressed block claims %llu bytes",
						  (unsigned long long) ulen);
	/* +1 so that an empty result still has a valid pointer */
	if (grow(&d->unz, &d->unz_cap, (size_t) ulen + 1, off, err) < 0)
		return -1;
	dlen = (uLongf) ulen;
	rc = uncompress(d->unz, &dlen, p + 1 + lenlen, (uLong) (len - 1 - lenlen));
	if (rc != Z_OK || dlen != ulen)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "zlib error %d in compressed event (got %lu of %llu bytes)",
						  rc, (unsigned long) dlen, (unsigned long long) ulen);
	*out = d->unz;
	*outlen = (size_t) ulen;
	return 0;
}

/* Uncompress a zstd TRANSACTION_PAYLOAD into d->payload. */
int
cbl_zstd_uncompress(cbl_decoder *d, const uint8_t *p, size_t len,
					uint64_t expected, uint64_t off, cbl_error *err)
{
	unsigned long long fsize = ZSTD_getFrameContentSize(p, len);
	size_t		want;
	size_t		got;

	if (fsize == ZSTD_CONTENTSIZE_ERROR)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "TRANSACTION_PAYLOAD is not a zstd frame");
	if (fsize == ZSTD_CONTENTSIZE_UNKNOWN)
		fsize = expected;
	if (expected != 0 && fsize != expected)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "TRANSACTION_PAYLOAD size %llu, zstd frame says %llu",
						  (unsigned long long) expected, fsize);
	if (fsize > CBL_MAX_UNCOMPRESSED)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "TRANSACTION_PAYLOAD claims %llu bytes", fsize);
	want = (size_t) fsize;
	if (grow(&d->payload, &d->payload_cap, want + 1, off, err) < 0)
		return -1;
	got = ZSTD_decompress(d->payload, want, p, len);
	if (ZSTD_isError(got) || got != want)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "zstd error in TRANSACTION_PAYLOAD: %s",
						  ZSTD_isError(got) ? ZSTD_getErrorName(got) : "size mismatch");
	d->payload_len = got;
	return 0;
}
