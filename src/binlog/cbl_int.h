/*-------------------------------------------------------------------------
 *
 * cbl_int.h
 *	  Private helpers shared by the binlog decoder's source files: bounded
 *	  little/big-endian readers, error setters and the decoder struct.
 *
 * Every read from input goes through a cbl_rd, which carries the bytes
 * left and the absolute offset, so that a failed length check can report
 * exactly where the input went wrong.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CBL_INT_H
#define CBL_INT_H

#include "cbl.h"

#include <string.h>

/* event header flags */
#define CBL_LOG_EVENT_IGNORABLE_F 0x80
#define CBL_STMT_END_F 0x0001

/* a bounded reader over a byte range */
typedef struct cbl_rd
{
	const uint8_t *p;
	const uint8_t *end;
	uint64_t	base;			/* absolute offset of the range's first byte */
	const uint8_t *start;
} cbl_rd;

/* Set up a reader over [p, p+len) whose first byte is at absolute base. */
static inline void
cbl_rd_init(cbl_rd *r, const uint8_t *p, size_t len, uint64_t base)
{
	r->p = p;
	r->end = p + len;
	r->base = base;
	r->start = p;
}

/* Bytes left. */
static inline size_t
cbl_rd_left(const cbl_rd *r)
{
	return (size_t) (r->end - r->p);
}

/* Absolute offset of the next byte. */
static inline uint64_t
cbl_rd_off(const cbl_rd *r)
{
	return r->base + (uint64_t) (r->p - r->start);
}

extern int	cbl_seterr_impl(cbl_error *err, cbl_errcode code, uint64_t off,
							const char *fmt,...) __attribute__((format(printf, 4, 5)));

/*
 * Fill an error and yield -1.  A macro, so that the compiler sees the -1
 * at every "return cbl_seterr(...)" and knows the failure path never
 * falls through to code reading the unset output.
 */
#define cbl_seterr(...) (cbl_seterr_impl(__VA_ARGS__) ? -1 : -1)

/* Fail with "truncated" unless n bytes are left. */
#define CBL_NEED(r, n, err, what) \
	do { \
		if (cbl_rd_left(r) < (size_t) (n)) \
			return cbl_seterr((err), CBL_ERR_TRUNCATED, cbl_rd_off(r), \
							  "truncated %s: need %zu bytes, %zu left", \
							  (what), (size_t) (n), cbl_rd_left(r)); \
	} while (0)

/* unaligned little-endian loads (callers checked the length) */
static inline uint16_t
cbl_le16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

static inline uint32_t
cbl_le24(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16);
}

static inline uint32_t
cbl_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static inline uint64_t
cbl_le48(const uint8_t *p)
{
	return (uint64_t) cbl_le32(p) | ((uint64_t) cbl_le16(p + 4) << 32);
}

static inline uint64_t
cbl_le64(const uint8_t *p)
{
	return (uint64_t) cbl_le32(p) | ((uint64_t) cbl_le32(p + 4) << 32);
}

/* little-endian unsigned of n (0..8) bytes */
static inline uint64_t
cbl_leN(const uint8_t *p, int n)
{
	uint64_t	v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* big-endian unsigned of n (0..8) bytes */
static inline uint64_t
cbl_beN(const uint8_t *p, int n)
{
	uint64_t	v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Read n raw bytes. */
static inline int
cbl_rd_bytes(cbl_rd *r, size_t n, const uint8_t **out, cbl_error *err,
			 const char *what)
{
	CBL_NEED(r, n, err, what);
	*out = r->p;
	r->p += n;
	return 0;
}

/* Read a little-endian unsigned of n bytes. */
static inline int
cbl_rd_uint(cbl_rd *r, int n, uint64_t *out, cbl_error *err, const char *what)
{
	CBL_NEED(r, n, err, what);
	*out = cbl_leN(r->p, n);
	r->p += n;
	return 0;
}

/* Read one byte. */
static inline int
cbl_rd_u8(cbl_rd *r, uint8_t *out, cbl_error *err, const char *what)
{
	CBL_NEED(r, 1, err, what);
	*out = *r->p++;
	return 0;
}

/* Read a MySQL length-encoded integer. */
extern int	cbl_rd_lenenc(cbl_rd *r, uint64_t *out, cbl_error *err,
						  const char *what);

/* Read a MySQL 8 serialization-library variable-length unsigned integer. */
extern int	cbl_rd_varuint(cbl_rd *r, uint64_t *out, cbl_error *err,
						   const char *what);

/* Skip n bytes. */
static inline int
cbl_rd_skip(cbl_rd *r, size_t n, cbl_error *err, const char *what)
{
	CBL_NEED(r, n, err, what);
	r->p += n;
	return 0;
}

/* bit i of a column bitmap (LSB first, as in row events) */
static inline bool
cbl_bit(const uint8_t *bm, uint32_t i)
{
	return (bm[i >> 3] >> (i & 7)) & 1;
}

/* ---------------------------------------------------------------------
 * Scratch arena: chained blocks, reset per row (pointers stay valid until
 * reset because blocks never move).
 * ---------------------------------------------------------------------
 */
typedef struct cbl_arena_block
{
	struct cbl_arena_block *next;
	size_t		used;
	size_t		cap;
	uint8_t		data[];
} cbl_arena_block;

typedef struct cbl_arena
{
	cbl_arena_block *head;
} cbl_arena;

extern void *cbl_arena_alloc(cbl_arena *a, size_t n);
extern void cbl_arena_reset(cbl_arena *a);
extern void cbl_arena_free(cbl_arena *a);

/* ---------------------------------------------------------------------
 * Decoder internals
 * ---------------------------------------------------------------------
 */
#define CBL_MAX_TABLES_KEPT 4096

struct cbl_decoder
{
	/* format state from FORMAT_DESCRIPTION / START_V3 */
	uint8_t		header_len;		/* 19, or 13 for binlog v1 */
	uint16_t	binlog_version;
	uint8_t		checksum_alg;	/* 0 off, 1 crc32 */
	bool		have_fde;
	uint8_t		post_header[256];	/* post-header length per type */
	bool		mariadb;
	bool		verify_checksum;
	bool		encrypted;		/* START_ENCRYPTION seen (file mode) */
	bool		file_mode;		/* reading a file, not a network stream */

	/* table maps */
	cbl_table **tables;
	uint32_t	ntables;
	uint32_t	tables_cap;
	bool		clear_tables_on_map;	/* a statement ended */
	cbl_tablemap_hook hook;
	void	   *hook_arg;

	/* current pushed event and payload iteration */
	const uint8_t *raw;
	size_t		raw_len;
	uint64_t	raw_pos;
	bool		raw_pending;
	uint8_t    *payload;		/* decompressed TRANSACTION_PAYLOAD */
	size_t		payload_len;
	size_t		payload_cap;
	size_t		payload_off;
	bool		in_payload;
	uint64_t	payload_pos;

	/* decompression buffer for MariaDB compressed events */
	uint8_t    *unz;
	size_t		unz_cap;
	size_t		max_payload;	/* cbl_decoder_set_max_payload() */

	/* row decoding scratch */
	cbl_value  *before;
	cbl_value  *after;
	uint32_t	vals_cap;
	cbl_arena	arena;
	cbl_buf		tmp;

	char		gtid[160];
};

extern int	cbl_decode_event(cbl_decoder *d, const uint8_t *raw, size_t len,
							 uint64_t pos, bool in_payload, cbl_event *ev,
							 cbl_error *err);
extern int	cbl_parse_table_map(cbl_decoder *d, cbl_event *ev, cbl_rd *r,
								cbl_error *err);
extern int	cbl_parse_rows(cbl_decoder *d, cbl_event *ev, cbl_rd *r,
						   cbl_error *err);
extern int	cbl_parse_misc_event(cbl_decoder *d, cbl_event *ev, cbl_rd *r,
								 cbl_error *err);
extern cbl_table *cbl_find_table(cbl_decoder *d, uint64_t id);
extern void cbl_free_table(cbl_table *t);
extern void cbl_clear_tables(cbl_decoder *d);

/* zlib (MariaDB compressed events) into d->unz; returns length or -1 */
extern int	cbl_maria_uncompress(cbl_decoder *d, const uint8_t *p, size_t len,
								 uint64_t off, const uint8_t **out,
								 size_t *outlen, cbl_error *err);
/* zstd (TRANSACTION_PAYLOAD) into d->payload */
extern int	cbl_zstd_uncompress(cbl_decoder *d, const uint8_t *p, size_t len,
								uint64_t expected, uint64_t off, cbl_error *err);

/* temporal helpers */
extern void cbl_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);
extern void cbl_format_temporal(const cbl_value *v, cbl_buf *out);
extern void cbl_unpack_time_packed(int64_t packed, cbl_temporal *t);
extern void cbl_unpack_datetime_packed(int64_t packed, cbl_temporal *t);

/* JSON string escaping for a UTF-8 byte range */
extern void cbl_json_escape(cbl_buf *out, const uint8_t *p, size_t len);

/* base64 encoding */
extern void cbl_base64(cbl_buf *out, const uint8_t *p, size_t len);

/* append unsigned / signed integers quickly */
extern void cbl_buf_u64(cbl_buf *b, uint64_t v);
extern void cbl_buf_i64(cbl_buf *b, int64_t v);

/* Printable ASCII means itself in this collation (no UTF-16/32). */
extern bool cbl_charset_ascii_compatible(uint32_t cs);

#endif							/* CBL_INT_H */
