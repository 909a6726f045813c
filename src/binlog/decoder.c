/*-------------------------------------------------------------------------
 *
 * decoder.c
 *	  Event framing: the common header, FORMAT_DESCRIPTION (post-header
 *	  lengths and checksum algorithm), CRC32 verification, and the
 *	  push/next iteration that also walks the events inside a MySQL
 *	  TRANSACTION_PAYLOAD.
 *
 * The decoder never trusts a length field: every one is checked against
 * the bytes actually present before use.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#define CBL_V4_HEADER_LEN 19

/* Post-header lengths of a v4 server, used until a FORMAT_DESCRIPTION says
 * otherwise (and for types an old FORMAT_DESCRIPTION does not list). */
static void
set_default_post_headers(cbl_decoder *d)
{
	uint8_t    *ph = d->post_header;

	memset(ph, 0, sizeof(d->post_header));
	ph[CBL_EV_START_V3] = 56;
	ph[CBL_EV_QUERY] = 13;
	ph[CBL_EV_ROTATE] = 8;
	ph[CBL_EV_LOAD] = 18;
	ph[CBL_EV_CREATE_FILE] = 4;
	ph[CBL_EV_APPEND_BLOCK] = 4;
	ph[CBL_EV_EXEC_LOAD] = 4;
	ph[CBL_EV_DELETE_FILE] = 4;
	ph[CBL_EV_NEW_LOAD] = 18;
	ph[CBL_EV_FORMAT_DESCRIPTION] = 84;
	ph[CBL_EV_BEGIN_LOAD_QUERY] = 4;
	ph[CBL_EV_EXECUTE_LOAD_QUERY] = 26;
	ph[CBL_EV_TABLE_MAP] = 8;
	ph[CBL_EV_PRE_GA_WRITE_ROWS] = 8;
	ph[CBL_EV_PRE_GA_UPDATE_ROWS] = 8;
	ph[CBL_EV_PRE_GA_DELETE_ROWS] = 8;
	ph[CBL_EV_WRITE_ROWS_V1] = 8;
	ph[CBL_EV_UPDATE_ROWS_V1] = 8;
	ph[CBL_EV_DELETE_ROWS_V1] = 8;
	ph[CBL_EV_INCIDENT] = 2;
	ph[CBL_EV_WRITE_ROWS] = 10;
	ph[CBL_EV_UPDATE_ROWS] = 10;
	ph[CBL_EV_DELETE_ROWS] = 10;
	ph[CBL_EV_GTID] = 42;
	ph[CBL_EV_ANONYMOUS_GTID] = 42;
	ph[CBL_EV_TRANSACTION_CONTEXT] = 18;
	ph[CBL_EV_VIEW_CHANGE] = 52;
	ph[CBL_EV_PARTIAL_UPDATE_ROWS] = 10;
	ph[CBL_EV_MARIA_BINLOG_CHECKPOINT] = 4;
	ph[CBL_EV_MARIA_GTID] = 19;
	ph[CBL_EV_MARIA_GTID_LIST] = 4;
	ph[CBL_EV_MARIA_QUERY_COMPRESSED] = 13;
	ph[CBL_EV_MARIA_WRITE_ROWS_COMPRESSED_V1] = 8;
	ph[CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED_V1] = 8;
	ph[CBL_EV_MARIA_DELETE_ROWS_COMPRESSED_V1] = 8;
	ph[CBL_EV_MARIA_WRITE_ROWS_COMPRESSED] = 10;
	ph[CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED] = 10;
	ph[CBL_EV_MARIA_DELETE_ROWS_COMPRESSED] = 10;
}

/* Post-header lengths of binlog v1/v2/v3 (MySQL 3.23 / 4.x, no FDE). */
static void
set_v3_post_headers(cbl_decoder *d, int version)
{
	uint8_t    *ph = d->post_header;

	memset(ph, 0, sizeof(d->post_header));
	ph[CBL_EV_START_V3] = 56;
	ph[CBL_EV_QUERY] = 11;
	ph[CBL_EV_ROTATE] = version == 1 ? 0 : 8;
	ph[CBL_EV_LOAD] = 18;
	ph[CBL_EV_CREATE_FILE] = 22;
	ph[CBL_EV_APPEND_BLOCK] = 4;
	ph[CBL_EV_EXEC_LOAD] = 4;
	ph[CBL_EV_DELETE_FILE] = 4;
	ph[CBL_EV_NEW_LOAD] = 18;
}

/* Allocate a decoder with v4 defaults. */
cbl_decoder *
cbl_decoder_new(void)
{
	cbl_decoder *d = calloc(1, sizeof(cbl_decoder));

	if (d == NULL)
		return NULL;
	d->header_len = CBL_V4_HEADER_LEN;
	d->binlog_version = 4;
	d->verify_checksum = true;
	d->max_payload = CBL_DEFAULT_MAX_PAYLOAD;
	set_default_post_headers(d);
	cbl_buf_init(&d->tmp);
	return d;
}

/* Free a decoder and everything it owns. */
void
cbl_decoder_free(cbl_decoder *d)
{
	if (d == NULL)
		return;
	cbl_clear_tables(d);
	free(d->tables);
	free(d->payload);
	free(d->unz);
	free(d->before);
	free(d->after);
	cbl_arena_free(&d->arena);
	cbl_buf_free(&d->tmp);
	free(d);
}

/* Install the TABLE_MAP hook. */
void
cbl_decoder_set_tablemap_hook(cbl_decoder *d, cbl_tablemap_hook fn, void *arg)
{
	d->hook = fn;
	d->hook_arg = arg;
}

/* Select file mode (see cbl.h). */
void
cbl_decoder_set_file_mode(cbl_decoder *d, bool file_mode)
{
	d->file_mode = file_mode;
}

/* Enable or disable CRC32 verification. */
void
cbl_decoder_set_verify_checksum(cbl_decoder *d, bool verify)
{
	d->verify_checksum = verify;
}

/* Bound what one event may unpack to (0: the default). */
void
cbl_decoder_set_max_payload(cbl_decoder *d, size_t bytes)
{
	d->max_payload = bytes == 0 ? CBL_DEFAULT_MAX_PAYLOAD : bytes;
}

/* Set the checksum algorithm before a FORMAT_DESCRIPTION arrives. */
void
cbl_decoder_set_checksum_alg(cbl_decoder *d, int alg)
{
	d->checksum_alg = alg == 1 ? 1 : 0;
}

/* Current checksum algorithm (0 none, 1 CRC32). */
int
cbl_decoder_checksum_alg(const cbl_decoder *d)
{
	return d->checksum_alg;
}

/* GTID of the current transaction. */
const char *
cbl_decoder_gtid(const cbl_decoder *d)
{
	return d->gtid;
}

/* Whether a START_ENCRYPTION event was seen. */
bool
cbl_decoder_encrypted(const cbl_decoder *d)
{
	return d->encrypted;
}

/* Frame the next event of an in-memory binlog file. */
int
cbl_frame_next(const uint8_t *buf, size_t len, size_t off, bool encrypted,
			   size_t *ev_len, cbl_error *err)
{
	uint32_t	elen;

	if (off >= len)
		return 0;
	if (len - off < 13)
		return cbl_seterr(err, CBL_ERR_TRUNCATED, off,
						  "truncated event header at offset %zu: %zu bytes left",
						  off, len - off);
	/*
	 * MariaDB encrypts everything but the length field of an event: it
	 * stays in clear at offset 9 (the ciphertext that belongs there is
	 * moved to the first four bytes), so framing is the same either way.
	 */
	(void) encrypted;
	elen = cbl_le32(buf + off + 9);
	if (elen < 13)
		return cbl_seterr(err, CBL_ERR_CORRUPT, off,
						  "impossible event length %u at offset %zu", elen, off);
	if (elen > len - off)
		return cbl_seterr(err, CBL_ERR_TRUNCATED, off,
						  "truncated event at offset %zu: length %u but only %zu bytes left",
						  off, elen, len - off);
	*ev_len = elen;
	return 1;
}

/* Parse "X.Y.Z..." into X*65536+Y*256+Z. */
static uint32_t
version_product(const char *v)
{
	unsigned	a = 0,
				b = 0,
				c = 0;

	if (sscanf(v, "%u.%u.%u", &a, &b, &c) < 1)
		return 0;
	return (a & 0xff) * 65536 + (b & 0xff) * 256 + (c & 0xff);
}

/* FORMAT_DESCRIPTION or START_V3: sets header and post-header lengths. */
static int
parse_fde(cbl_decoder *d, cbl_event *ev, const uint8_t *raw, size_t len,
		  cbl_error *err)
{
	cbl_rd		r;
	uint64_t	v;
	const uint8_t *sv;
	uint8_t		hl;
	size_t		nph;
	bool		has_alg;

	cbl_rd_init(&r, raw + d->header_len, len - d->header_len,
				ev->pos + d->header_len);
	if (cbl_rd_uint(&r, 2, &v, err, "FORMAT_DESCRIPTION version") < 0 ||
		cbl_rd_bytes(&r, 50, &sv, err, "FORMAT_DESCRIPTION server version") < 0 ||
		cbl_rd_skip(&r, 4, err, "FORMAT_DESCRIPTION timestamp") < 0)
		return -1;
	ev->u.fde.binlog_version = (uint16_t) v;
	memcpy(ev->u.fde.server_version, sv, 50);
	ev->u.fde.server_version[50] = '\0';
	d->binlog_version = (uint16_t) v;
	d->mariadb = strstr(ev->u.fde.server_version, "MariaDB") != NULL;

	if (ev->type == CBL_EV_START_V3)
	{
		/* v2 was written by MySQL 4.0.0 and 4.0.1: laid out like v3 */
		if (v < 1 || v > 3)
			return cbl_seterr(err, CBL_ERR_UNSUPPORTED, ev->pos,
							  "START_EVENT_V3 with binlog version %u", (unsigned) v);
		set_v3_post_headers(d, (int) v);
		d->header_len = v == 1 ? 13 : 19;
		d->checksum_alg = 0;
		ev->u.fde.header_len = d->header_len;
		d->have_fde = true;
		return 0;
	}

	if (cbl_rd_u8(&r, &hl, err, "FORMAT_DESCRIPTION header length") < 0)
		return -1;
	if (hl < 19)
		return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(&r) - 1,
						  "FORMAT_DESCRIPTION header length %u < 19", hl);
	ev->u.fde.header_len = hl;

	/*
	 * Servers that know checksums (MySQL 5.6.1+, MariaDB 5.3+) append the
	 * algorithm byte and a 4-byte checksum slot to the FDE, whatever the
	 * algorithm.
	 */
	{
		uint32_t	prod = version_product(ev->u.fde.server_version);

		has_alg = d->mariadb ? prod >= 0x050300 : prod >= 0x050601;
	}
	nph = cbl_rd_left(&r);
	if (has_alg)
	{
		if (nph < 5)
			return cbl_seterr(err, CBL_ERR_TRUNCATED, cbl_rd_off(&r),
							  "FORMAT_DESCRIPTION too short for checksum algorithm");
		nph -= 5;
		ev->u.fde.checksum_alg = r.p[nph];
		if (ev->u.fde.checksum_alg != 0 && ev->u.fde.checksum_alg != 1 &&
			ev->u.fde.checksum_alg != 0xff)
			return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(&r) + nph,
							  "unknown checksum algorithm %u", ev->u.fde.checksum_alg);
	}
	else
		ev->u.fde.checksum_alg = 0;

	set_default_post_headers(d);
	for (size_t i = 0; i < nph && i + 1 < sizeof(d->post_header); i++)
		d->post_header[i + 1] = r.p[i];
	d->header_len = hl;
	d->checksum_alg = ev->u.fde.checksum_alg == 1 ? 1 : 0;
	d->have_fde = true;
	return 0;
}

/* Verify the CRC32 trailer of an event (FDE: computed without IN_USE flag). */
static int
verify_crc(const uint8_t *raw, size_t len, uint64_t pos, int type, cbl_error *err)
{
	uLong		crc;
	uint32_t	want = cbl_le32(raw + len - 4);

	crc = crc32(0L, Z_NULL, 0);
	if (type == CBL_EV_FORMAT_DESCRIPTION && len > 18 && (raw[17] & 1))
	{
		uint8_t		hdr[19];

		memcpy(hdr, raw, 19);
		hdr[17] &= (uint8_t) ~1;
		crc = crc32(crc, hdr, 19);
		crc = crc32(crc, raw + 19, (uInt) (len - 4 - 19));
	}
	else
	{
		size_t		left = len - 4;
		const uint8_t *p = raw;

		while (left > 0)
		{
			uInt		n = left > 0x40000000 ? 0x40000000 : (uInt) left;

			crc = crc32(crc, p, n);
			p += n;
			left -= n;
		}
	}
	if ((uint32_t) crc != want)
		return cbl_seterr(err, CBL_ERR_CHECKSUM, pos,
						  "checksum mismatch in event at offset %llu (type %d): stored %08x, computed %08x",
						  (unsigned long long) pos, type, want, (uint32_t) crc);
	return 0;
}

/* Decode one raw event (header included) into ev. */
int
cbl_decode_event(cbl_decoder *d, const uint8_t *raw, size_t len, uint64_t pos,
				 bool in_payload, cbl_event *ev, cbl_error *err)
{
	size_t		hl = d->header_len;
	size_t		body_end;
	bool		has_crc;
	cbl_rd		r;

	memset(ev, 0, sizeof(*ev));	/* every parser relies on zeroed fields */
	ev->pos = pos;
	ev->in_payload = in_payload;

	if (d->encrypted && !in_payload)
	{
		/* length in clear at offset 9; the rest is ciphertext */
		if (len < 13)
			return cbl_seterr(err, CBL_ERR_TRUNCATED, pos, "truncated encrypted event");
		ev->type = CBL_EV_ENCRYPTED;
		ev->event_len = cbl_le32(raw + 9);
		ev->next_pos = 0;
		ev->skipped = true;
		return 0;
	}

	/*
	 * A binlog v1 file (MySQL 3.23) starts with a START event whose header
	 * is 13 bytes: 13 + 56 = 69 bytes in all, against 75 for v3.
	 */
	if (!d->have_fde && !in_payload && len == 69 && raw[4] == CBL_EV_START_V3)
	{
		d->header_len = 13;
		hl = 13;
	}

	if (len < 13 || len < hl)
		return cbl_seterr(err, CBL_ERR_TRUNCATED, pos,
						  "truncated event header at offset %llu: %zu bytes",
						  (unsigned long long) pos, len);
	ev->timestamp = cbl_le32(raw);
	ev->type = raw[4];
	ev->server_id = cbl_le32(raw + 5);
	ev->event_len = cbl_le32(raw + 9);
	if (hl >= 19)
	{
		ev->next_pos = cbl_le32(raw + 13);
		ev->flags = cbl_le16(raw + 17);
	}
	if (ev->event_len != len)
		return cbl_seterr(err, CBL_ERR_CORRUPT, pos,
						  "event at offset %llu: length field %u does not match %zu bytes",
						  (unsigned long long) pos, ev->event_len, len);

	/* the FDE and START_V3 define the format of everything after them */
	if (ev->type == CBL_EV_FORMAT_DESCRIPTION || ev->type == CBL_EV_START_V3)
	{
		if (parse_fde(d, ev, raw, len, err) < 0)
			return -1;
		hl = d->header_len;
		has_crc = ev->type == CBL_EV_FORMAT_DESCRIPTION &&
			ev->u.fde.checksum_alg == 1 && !in_payload;
		if (has_crc && d->verify_checksum && verify_crc(raw, len, pos, ev->type, err) < 0)
			return -1;
		ev->body = raw + hl;
		ev->body_len = len - hl - (has_crc ? 4 : 0);
		return 0;
	}

	has_crc = d->checksum_alg == 1 && !in_payload;
	if (has_crc)
	{
		if (len < hl + 4)
			return cbl_seterr(err, CBL_ERR_TRUNCATED, pos,
							  "event at offset %llu too short for its checksum",
							  (unsigned long long) pos);
		if (d->verify_checksum && verify_crc(raw, len, pos, ev->type, err) < 0)
			return -1;
	}
	body_end = len - (has_crc ? 4 : 0);
	ev->body = raw + hl;
	ev->body_len = body_end - hl;
	cbl_rd_init(&r, ev->body, ev->body_len, pos + hl);

	if (ev->type == CBL_EV_TABLE_MAP)
		return cbl_parse_table_map(d, ev, &r, err);
	if (cbl_event_is_rows(ev->type))
		return cbl_parse_rows(d, ev, &r, err);
	return cbl_parse_misc_event(d, ev, &r, err);
}

/* True for every kind of row event (v0/v1/v2, partial, MariaDB compressed). */
bool
cbl_event_is_rows(int type)
{
	switch (type)
	{
		case CBL_EV_PRE_GA_WRITE_ROWS:
		case CBL_EV_PRE_GA_UPDATE_ROWS:
		case CBL_EV_PRE_GA_DELETE_ROWS:
		case CBL_EV_WRITE_ROWS_V1:
		case CBL_EV_UPDATE_ROWS_V1:
		case CBL_EV_DELETE_ROWS_V1:
		case CBL_EV_WRITE_ROWS:
		case CBL_EV_UPDATE_ROWS:
		case CBL_EV_DELETE_ROWS:
		case CBL_EV_PARTIAL_UPDATE_ROWS:
		case CBL_EV_MARIA_WRITE_ROWS_COMPRESSED_V1:
		case CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED_V1:
		case CBL_EV_MARIA_DELETE_ROWS_COMPRESSED_V1:
		case CBL_EV_MARIA_WRITE_ROWS_COMPRESSED:
		case CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED:
		case CBL_EV_MARIA_DELETE_ROWS_COMPRESSED:
			return true;
		default:
			return false;
	}
}

/* Accept one raw event for decoding by cbl_decoder_next(). */
int
cbl_decoder_push(cbl_decoder *d, const uint8_t *ev, size_t len, uint64_t pos,
				 cbl_error *err)
{
	if (d->raw_pending || d->in_payload)
		return cbl_seterr(err, CBL_ERR_CORRUPT, pos,
						  "previous event at offset %llu not fully consumed",
						  (unsigned long long) d->raw_pos);
	d->raw = ev;
	d->raw_len = len;
	d->raw_pos = pos;
	d->raw_pending = true;
	return 0;
}

/* Next event from the pushed raw event or the payload being walked. */
int
cbl_decoder_next(cbl_decoder *d, cbl_event *ev, cbl_error *err)
{
	if (d->raw_pending)
	{
		d->raw_pending = false;
		if (cbl_decode_event(d, d->raw, d->raw_len, d->raw_pos, false, ev, err) < 0)
			return -1;
		if (ev->type == CBL_EV_TRANSACTION_PAYLOAD && d->payload_len > 0)
		{
			d->in_payload = true;
			d->payload_off = 0;
			d->payload_pos = d->raw_pos;
		}
		return 1;
	}
	if (d->in_payload)
	{
		size_t		left = d->payload_len - d->payload_off;
		const uint8_t *p = d->payload + d->payload_off;
		uint32_t	elen;

		if (left == 0)
		{
			d->in_payload = false;
			return 0;
		}
		if (left < 19)
		{
			d->in_payload = false;
			return cbl_seterr(err, CBL_ERR_TRUNCATED, d->payload_pos,
							  "truncated event inside TRANSACTION_PAYLOAD at offset %llu (payload byte %zu)",
							  (unsigned long long) d->payload_pos, d->payload_off);
		}
		elen = cbl_le32(p + 9);
		if (elen < 19 || elen > left)
		{
			d->in_payload = false;
			return cbl_seterr(err, CBL_ERR_CORRUPT, d->payload_pos,
							  "bad event length %u inside TRANSACTION_PAYLOAD at offset %llu (payload byte %zu)",
							  elen, (unsigned long long) d->payload_pos, d->payload_off);
		}
		d->payload_off += elen;
		if (cbl_decode_event(d, p, elen, d->payload_pos, true, ev, err) < 0)
		{
			d->in_payload = false;
			return -1;
		}
		return 1;
	}
	return 0;
}
