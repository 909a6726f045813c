/*-------------------------------------------------------------------------
 *
 * test_events.c
 *	  Unit tests of event framing and decoding over a synthetic binlog
 *	  built here byte by byte: FORMAT_DESCRIPTION with CRC32, TABLE_MAP
 *	  with optional metadata (signedness, names, charset), WRITE_ROWS_V1,
 *	  UPDATE_ROWS_V2 with MINIMAL images, MariaDB GTID, QUERY with status
 *	  variables, XID; then corrupted and truncated copies, which must fail
 *	  with the right byte offset.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl.h"
#include "tap.h"

#include <stdlib.h>
#include <zlib.h>

static uint8_t file[4096];
static size_t flen;
static size_t pos_gtid,
			pos_gtid_next,
			pos_rows,
			pos_update,
			pos_xid;
static int	quiet = 0;

/* Append an event with header and CRC32 to the file. */
static size_t
add_event(uint8_t type, const uint8_t *body, size_t blen)
{
	size_t		start = flen;
	uint32_t	len = (uint32_t) (19 + blen + 4);
	uint32_t	next = (uint32_t) (start + len);
	uLong		crc;

	memset(file + flen, 0, 19);
	file[flen + 0] = 0x10;		/* timestamp */
	file[flen + 4] = type;
	file[flen + 5] = 1;			/* server id 1 */
	for (int i = 0; i < 4; i++)
	{
		file[flen + 9 + i] = (uint8_t) (len >> (8 * i));
		file[flen + 13 + i] = (uint8_t) (next >> (8 * i));
	}
	memcpy(file + flen + 19, body, blen);
	crc = crc32(0L, file + start, (uInt) (19 + blen));
	for (int i = 0; i < 4; i++)
		file[flen + 19 + blen + i] = (uint8_t) (crc >> (8 * i));
	flen += len;
	return start;
}

/* Build the synthetic binlog. */
static void
build(void)
{
	uint8_t		b[512];
	size_t		n;

	memcpy(file, "\xfe" "bin", 4);
	flen = 4;

	/* FORMAT_DESCRIPTION: v4, "10.11.19-MariaDB", header 19, 171 types */
	memset(b, 0, sizeof(b));
	b[0] = 4;
	memcpy(b + 2, "10.11.19-MariaDB-log", 20);
	n = 2 + 50 + 4;
	b[n++] = 19;
	{
		uint8_t		ph[171];

		memset(ph, 0, sizeof(ph));
		ph[2 - 1] = 13;			/* QUERY */
		ph[4 - 1] = 8;			/* ROTATE */
		ph[15 - 1] = 84;
		ph[19 - 1] = 8;			/* TABLE_MAP */
		ph[23 - 1] = ph[24 - 1] = ph[25 - 1] = 8;
		ph[30 - 1] = ph[31 - 1] = ph[32 - 1] = 10;
		ph[162 - 1] = 19;		/* MariaDB GTID */
		memcpy(b + n, ph, sizeof(ph));
		n += sizeof(ph);
	}
	b[n++] = 1;					/* CRC32 */
	/* the FDE's own checksum is appended by add_event */
	add_event(15, b, n);

	/* MariaDB GTID 0-1-42, not standalone */
	memset(b, 0, 19);
	b[0] = 42;
	pos_gtid = add_event(162, b, 19);
	pos_gtid_next = flen;

	/* QUERY "BEGIN" with Q_FLAGS2, Q_HRNOW (128) and Q_XID (129) */
	n = 0;
	memset(b, 0, 13);
	b[8] = 2;					/* db length */
	b[11] = 4 + 1 + 3 + 1 + 8 + 1;	/* status vars length */
	n = 13;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 0;					/* Q_FLAGS2 */
	b[n++] = 128;
	b[n++] = 1;
	b[n++] = 2;
	b[n++] = 3;
	b[n++] = 129;
	for (int i = 0; i < 8; i++)
		b[n++] = (uint8_t) (i == 0 ? 77 : 0);
	memcpy(b + n, "db\0BEGIN", 8);
	n += 8;
	add_event(2, b, n);

	/* TABLE_MAP id 33: db.t (id INT UNSIGNED, name VARCHAR(20), amt DECIMAL(14,4)) */
	n = 0;
	b[n++] = 33;
	for (int i = 0; i < 5; i++)
		b[n++] = 0;
	b[n++] = 1;
	b[n++] = 0;					/* flags */
	memcpy(b + n, "\x02" "db\0\x01" "t\0", 7);
	n += 7;
	b[n++] = 3;					/* columns */
	b[n++] = 3;
	b[n++] = 15;
	b[n++] = 246;
	b[n++] = 4;					/* metadata length */
	b[n++] = 20;
	b[n++] = 0;
	b[n++] = 14;
	b[n++] = 4;
	b[n++] = 0x06;				/* nullable: name, amt */
	b[n++] = 1;					/* SIGNEDNESS */
	b[n++] = 1;
	b[n++] = 0x80;				/* first numeric (id) unsigned */
	b[n++] = 2;					/* DEFAULT_CHARSET utf8mb4 */
	b[n++] = 1;
	b[n++] = 45;
	b[n++] = 4;					/* COLUMN_NAME */
	b[n++] = 12;
	memcpy(b + n, "\x02id\x04name\x03" "amt", 12);
	n += 12;
	add_event(19, b, n);

	/* WRITE_ROWS_V1: two rows */
	n = 0;
	b[n++] = 33;
	for (int i = 0; i < 5; i++)
		b[n++] = 0;
	b[n++] = 0;
	b[n++] = 0;					/* flags */
	b[n++] = 3;
	b[n++] = 0x07;
	b[n++] = 0x00;				/* nulls */
	b[n++] = 0xff;
	b[n++] = 0xff;
	b[n++] = 0xff;
	b[n++] = 0xff;
	b[n++] = 3;
	memcpy(b + n, "h\xc3\xa9", 3);
	n += 3;
	memcpy(b + n, "\x81\x0D\xFB\x38\xD2\x04\xD2", 7);
	n += 7;
	b[n++] = 0x06;				/* name, amt NULL */
	b[n++] = 7;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 0;
	pos_rows = add_event(23, b, n);

	/* UPDATE_ROWS_V2, MINIMAL: before {id}, after {name}; STMT_END */
	n = 0;
	b[n++] = 33;
	for (int i = 0; i < 5; i++)
		b[n++] = 0;
	b[n++] = 1;
	b[n++] = 0;					/* STMT_END_F */
	b[n++] = 2;
	b[n++] = 0;					/* extra data length 2: none */
	b[n++] = 3;
	b[n++] = 0x01;
	b[n++] = 0x02;
	b[n++] = 0x00;
	b[n++] = 7;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 0x00;
	b[n++] = 1;
	b[n++] = 'x';
	pos_update = add_event(31, b, n);

	/* XID 77 */
	memset(b, 0, 8);
	b[0] = 77;
	pos_xid = add_event(16, b, 8);
}

typedef struct result
{
	int			nevents;
	int			nrows;
	int			status;
	uint64_t	err_offset;
	cbl_errcode err_code;
	cbl_buf		json;
} result;

/* Decode a file image, collecting JSON lines. */
static void
decode(const uint8_t *buf, size_t len, result *res)
{
	cbl_decoder *d = cbl_decoder_new();
	cbl_buf		scratch;
	cbl_error	err;
	size_t		off = 4;

	memset(res, 0, sizeof(*res));
	cbl_buf_init(&res->json);
	cbl_buf_init(&scratch);
	cbl_decoder_set_file_mode(d, true);
	for (;;)
	{
		size_t		elen;
		int			rc = cbl_frame_next(buf, len, off, false, &elen, &err);
		cbl_event	ev;

		if (rc == 0)
			break;
		if (rc < 0 || cbl_decoder_push(d, buf + off, elen, off, &err) < 0)
			goto fail;
		off += elen;
		while ((rc = cbl_decoder_next(d, &ev, &err)) > 0)
		{
			cbl_row		row;

			res->nevents++;
			cbl_json_event(&ev, &res->json, &err);
			cbl_buf_putc(&res->json, '\n');
			if (ev.type != 23 && ev.type != 31)
				continue;
			while ((rc = cbl_rows_next(d, &ev, &row, &err)) > 0)
			{
				res->nrows++;
				cbl_json_row(&ev, &row, cbl_decoder_gtid(d), &res->json, &scratch, &err);
				cbl_buf_putc(&res->json, '\n');
			}
			if (rc < 0)
				goto fail;
		}
		if (rc < 0)
			goto fail;
	}
	cbl_buf_free(&scratch);
	cbl_decoder_free(d);
	return;
fail:
	res->status = -1;
	res->err_offset = err.offset;
	res->err_code = err.code;
	if (!quiet)
		printf("# error: %s (offset %llu)\n", err.msg, (unsigned long long) err.offset);
	cbl_buf_free(&scratch);
	cbl_decoder_free(d);
}

/* Does the output contain this line? */
static int
has_line(const result *r, const char *line)
{
	size_t		l = strlen(line);

	for (size_t i = 0; r->json.data && i + l <= r->json.len; i++)
		if ((i == 0 || r->json.data[i - 1] == '\n') && memcmp(r->json.data + i, line, l) == 0 &&
			(i + l == r->json.len || r->json.data[i + l] == '\n'))
			return 1;
	printf("# missing line: %s\n# output:\n%s", line, r->json.data ? r->json.data : "");
	return 0;
}

/* Entry point. */
int
main(void)
{
	result		r;
	uint8_t    *copy;
	size_t		rows_ev;
	char		line[512];

	build();
	decode(file, flen, &r);
	ok(r.status == 0, "synthetic binlog decodes");
	ok(r.nevents == 7, "seven events");
	ok(r.nrows == 3, "three row changes");
	snprintf(line, sizeof(line),
			 "{\"type\":\"MARIADB_GTID\",\"pos\":%zu,\"next_pos\":%zu,\"gtid\":\"0-1-42\"}",
			 pos_gtid, pos_gtid_next);
	ok(has_line(&r, line), "GTID event line");
	snprintf(line, sizeof(line),
			 "{\"op\":\"insert\",\"schema\":\"db\",\"table\":\"t\",\"gtid\":\"0-1-42\",\"pos\":%zu,"
			 "\"before\":null,\"after\":{\"id\":\"4294967295\",\"name\":\"h\xc3\xa9\",\"amt\":\"1234567890.1234\"}}",
			 pos_rows);
	ok(has_line(&r, line), "insert row with unsigned, utf8mb4 and decimal values");
	snprintf(line, sizeof(line),
			 "{\"op\":\"insert\",\"schema\":\"db\",\"table\":\"t\",\"gtid\":\"0-1-42\",\"pos\":%zu,"
			 "\"before\":null,\"after\":{\"id\":\"7\",\"name\":null,\"amt\":null}}", pos_rows);
	ok(has_line(&r, line), "insert row with NULLs");
	snprintf(line, sizeof(line),
			 "{\"op\":\"update\",\"schema\":\"db\",\"table\":\"t\",\"gtid\":\"0-1-42\",\"pos\":%zu,"
			 "\"before\":{\"id\":\"7\"},\"after\":{\"name\":\"x\"}}", pos_update);
	ok(has_line(&r, line), "MINIMAL update: absent columns left out, not null");
	ok(r.json.data && strstr(r.json.data, "\"query\":\"BEGIN\",\"xid\":77") != NULL,
	   "QUERY with MariaDB status variables");
	snprintf(line, sizeof(line), "{\"type\":\"XID\",\"pos\":%zu,\"next_pos\":%zu,\"xid\":77}",
			 pos_xid, flen);
	ok(has_line(&r, line), "XID event line");
	cbl_buf_free(&r.json);

	/* a flipped byte in the rows event: checksum error at that event */
	rows_ev = pos_rows;
	copy = malloc(flen);
	memcpy(copy, file, flen);
	copy[rows_ev + 25] ^= 0x40;
	decode(copy, flen, &r);
	ok(r.status < 0 && r.err_code == CBL_ERR_CHECKSUM && r.err_offset == rows_ev,
	   "corrupt byte: checksum error at the event's offset");
	cbl_buf_free(&r.json);

	/* truncated file: error at the start of the cut event */
	decode(file, flen - 5, &r);
	ok(r.status < 0 && r.err_code == CBL_ERR_TRUNCATED && r.err_offset == pos_xid,
	   "truncated file: error at the offset of the cut event");
	cbl_buf_free(&r.json);

	/* without checksum verification a corrupt length inside is still caught */
	memcpy(copy, file, flen);
	copy[rows_ev + 19 + 8] = 0xfc;	/* column count becomes a 3-byte lenenc */
	decode(copy, flen, &r);
	ok(r.status < 0, "corrupt rows event rejected");
	cbl_buf_free(&r.json);

	/* every truncation of every event fails cleanly or decodes */
	quiet = 1;
	for (size_t cut = 4; cut < flen; cut++)
	{
		decode(file, cut, &r);
		cbl_buf_free(&r.json);
		if (r.status == 0 && cut != 4)
		{
			/* only cuts at event boundaries may succeed */
			int			boundary = 0;
			size_t		off = 4;

			while (off < flen)
			{
				if (off == cut)
					boundary = 1;
				off += (size_t) file[off + 9] | ((size_t) file[off + 10] << 8);
			}
			if (!boundary)
			{
				ok(0, "cut inside an event must fail");
				break;
			}
		}
	}
	ok(1, "all truncations handled without crashing");
	free(copy);
	quiet = 0;

	/*
	 * MySQL TRANSACTION_PAYLOAD: header fields are (type, length, value)
	 * with a length-encoded value (compression 255 = none is fc ff 00),
	 * then the events, which carry no checksum.
	 */
	{
		uint8_t		b[64];
		size_t		n = 0,
					ppos;
		static const uint8_t hdr[] = {2, 3, 0xfc, 0xff, 0x00, 3, 1, 27, 1, 1, 27, 0};

		memcpy(b, hdr, sizeof(hdr));
		n = sizeof(hdr);
		memset(b + n, 0, 19);
		b[n + 4] = CBL_EV_XID;
		b[n + 5] = 1;
		b[n + 9] = 27;
		b[n + 19] = 99;			/* xid 99 */
		n += 27;
		ppos = add_event(CBL_EV_TRANSACTION_PAYLOAD, b, n);
		decode(file, flen, &r);
		ok(r.status == 0, "TRANSACTION_PAYLOAD with length-encoded header values decodes");
		snprintf(line, sizeof(line),
				 "{\"type\":\"XID\",\"pos\":%zu,\"next_pos\":0,\"in_payload\":true,\"xid\":99}",
				 ppos);
		ok(r.status == 0 && has_line(&r, line), "event inside the payload decoded");
		cbl_buf_free(&r.json);
	}
	return done_testing();
}
