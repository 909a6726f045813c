/*-------------------------------------------------------------------------
 *
 * compress.c
 *	  Decompression of MariaDB compressed events (zlib, types 165-171) and
 *	  MySQL TRANSACTION_PAYLOAD events (zstd).
 *
 * MariaDB's compressed block starts with one byte whose low three bits
 * give the size of a big-endian uncompressed-length field, followed by a
 * zlib stream.  MySQL's TRANSACTION_PAYLOAD carries a zstd frame and its
 * uncompressed size.  A few bytes can claim (or inflate to) a gigabyte,
 * so the output is bounded by the decoder's max_payload setting
 * (cbl_decoder_set_max_payload): the claimed size is checked, against
 * that limit and against what the compressed bytes could possibly hold,
 * before anything is allocated, and decompression is given exactly that
 * much room, so a stream that produces more than it claimed fails instead
 * of growing the buffer.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

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

/*
 * Most output one input byte can encode: deflate's longest match (258
 * bytes) coded in one bit plus a one-bit distance gives 1032:1; a zstd RLE
 * block turns four bytes (3-byte header + the byte) into at most 128 KiB.
 */
#define ZLIB_MAX_RATIO 1032
#define ZSTD_MAX_RATIO 32768

/*
 * Refuse content that claims more than max_payload bytes, or more than
 * srclen compressed bytes could possibly hold, before anything is
 * allocated for it.
 */
static int
check_claim(const cbl_decoder *d, uint64_t claimed, size_t srclen,
			uint64_t ratio, const char *what, uint64_t off, cbl_error *err)
{
	if (claimed > d->max_payload)
		return cbl_seterr(err, CBL_ERR_LIMIT, off,
						  "%s claims %llu uncompressed bytes, more than the limit of %zu",
						  what, (unsigned long long) claimed, d->max_payload);
	/* 64: room for the headers of tiny streams */
	if (claimed / ratio > (uint64_t) srclen + 64)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "%s claims %llu uncompressed bytes from %zu compressed bytes",
						  what, (unsigned long long) claimed, srclen);
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
	if (check_claim(d, ulen, len - 1 - lenlen, ZLIB_MAX_RATIO,
					"compressed event", off, err) < 0)
		return -1;
	/* +1 so that an empty result still has a valid pointer */
	if (grow(&d->unz, &d->unz_cap, (size_t) ulen + 1, off, err) < 0)
		return -1;

	/*
	 * uncompress() writes at most dlen bytes: a stream that inflates to
	 * more than it claimed stops with Z_BUF_ERROR, one that yields less
	 * leaves dlen short.  Both are errors.
	 */
	dlen = (uLongf) ulen;
	rc = uncompress(d->unz, &dlen, p + 1 + lenlen, (uLong) (len - 1 - lenlen));
	if (rc == Z_BUF_ERROR && dlen == ulen)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "compressed event inflates to more than the %llu bytes it claims",
						  (unsigned long long) ulen);
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
	unsigned long long fsize;
	size_t		want;
	size_t		got;

	/* the event's own claim first: it alone may already be too large */
	if (check_claim(d, expected, len, ZSTD_MAX_RATIO, "TRANSACTION_PAYLOAD",
					off, err) < 0)
		return -1;
	fsize = ZSTD_getFrameContentSize(p, len);
	if (fsize == ZSTD_CONTENTSIZE_ERROR)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "TRANSACTION_PAYLOAD is not a zstd frame");
	if (fsize == ZSTD_CONTENTSIZE_UNKNOWN)
		fsize = expected;
	if (expected != 0 && fsize != expected)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "TRANSACTION_PAYLOAD size %llu, zstd frame says %llu",
						  (unsigned long long) expected, fsize);
	if (check_claim(d, fsize, len, ZSTD_MAX_RATIO,
					"TRANSACTION_PAYLOAD zstd frame", off, err) < 0)
		return -1;
	want = (size_t) fsize;
	if (grow(&d->payload, &d->payload_cap, want + 1, off, err) < 0)
		return -1;

	/*
	 * ZSTD_decompress() never writes past want bytes: frames (there may be
	 * several) that hold more fail with dstSize_tooSmall, and a frame
	 * whose header lies about its content size fails its own check; fewer
	 * bytes than claimed is a size mismatch.
	 */
	got = ZSTD_decompress(d->payload, want, p, len);
	if (ZSTD_isError(got) && ZSTD_getErrorCode(got) == ZSTD_error_dstSize_tooSmall)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "TRANSACTION_PAYLOAD decompresses to more than the %zu bytes it claims",
						  want);
	if (ZSTD_isError(got) || got != want)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "zstd error in TRANSACTION_PAYLOAD: %s",
						  ZSTD_isError(got) ? ZSTD_getErrorName(got) : "size mismatch");
	d->payload_len = got;
	return 0;
}
