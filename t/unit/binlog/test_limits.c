/*-------------------------------------------------------------------------
 *
 * test_limits.c
 *	  Unit tests for the decoder's resource bounds: hostile bytes must fail
 *	  fast with a clean error instead of stalling or bloating the caller.
 *
 *	  - binary JSON whose entries point at shared bytes (a self-referencing
 *		11-byte array, a chain of arrays whose two entries share one child,
 *		one string or key named by thousands of entries) is rejected in
 *		well under 50 ms, by cbl_json_binary_to_text and by the
 *		PARTIAL_UPDATE_ROWS diff applier, while documents laid out as MySQL
 *		writes them (deep nesting, wide objects, diffs) decode exactly;
 *	  - the walks of JSON diff paths are bounded (k diffs into an array of n
 *		elements cost k*n steps);
 *	  - MariaDB zlib-compressed events and MySQL zstd TRANSACTION_PAYLOADs
 *		whose claimed size exceeds cbl_decoder_set_max_payload(), whose
 *		claim no compressed stream of that size could honour, or whose
 *		stream produces more or less than it claims, fail with an error and
 *		the byte offset; payloads under the limit decode;
 *	  - a rows event whose column bitmap selects no column cannot make
 *		cbl_rows_next() return the same empty row forever.
 *
 *	  Run with a directory argument, it also writes these hostile inputs
 *	  there (the fuzzer's seeds in t/fuzz/seeds/binlog/).
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include "cbl.h"
#include "tap.h"

#include <stdlib.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

/* A hostile input must be rejected in less than this (milliseconds). */
#define FAST_MS 50.0

static const char *seed_dir = NULL;

/* Milliseconds on a monotonic clock. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

/* Write one hostile input as a fuzzer seed when a seed directory is given. */
static void
write_seed(const char *name, const uint8_t *p, size_t len)
{
	char		path[1024];
	FILE	   *f;

	if (seed_dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, len, f) != len)
		printf("# could not write seed %s\n", path);
	if (f)
		fclose(f);
}

/*
 * Write a JSON diff case as a fuzzer seed in binlog_fuzz.c's layout: the
 * document's length in two bytes, the document, the diff vector.
 */
static void
write_diff_seed(const char *name, const uint8_t *doc, size_t doclen,
				const uint8_t *diff, size_t difflen)
{
	uint8_t    *p = malloc(2 + doclen + difflen);

	p[0] = (uint8_t) doclen;
	p[1] = (uint8_t) (doclen >> 8);
	memcpy(p + 2, doc, doclen);
	if (difflen)
		memcpy(p + 2 + doclen, diff, difflen);
	write_seed(name, p, 2 + doclen + difflen);
	free(p);
}

/* Store a little-endian unsigned of n bytes. */
static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* ---------------------------------------------------------------------
 * Binary JSON
 * ---------------------------------------------------------------------
 */

/*
 * Arrays nested depth levels deep, each with two entries pointing at the
 * same child right after its entry table: 10 bytes a level, 2^depth paths.
 */
static size_t
build_chain(uint8_t *doc, int depth)
{
	size_t		len = 1 + 10 * (size_t) depth + 4;

	doc[0] = 0x02;				/* small array */
	for (int i = 0; i < depth; i++)
	{
		uint8_t    *p = doc + 1 + 10 * i;

		put_le(p, 2, 2);
		put_le(p + 2, len - 1 - 10 * (size_t) i, 2);
		p[4] = 0x02;
		put_le(p + 5, 10, 2);
		p[7] = 0x02;
		put_le(p + 8, 10, 2);
	}
	/* the innermost array is empty */
	put_le(doc + 1 + 10 * depth, 0, 2);
	put_le(doc + 1 + 10 * depth + 2, 4, 2);
	return len;
}

/* An array of n entries that all point at one string of slen bytes. */
static size_t
build_shared_string(uint8_t *doc, uint32_t n, uint32_t slen)
{
	size_t		ee = 4 + 3 * (size_t) n;
	size_t		size = ee + 2 + slen;

	doc[0] = 0x02;
	put_le(doc + 1, n, 2);
	put_le(doc + 3, size, 2);
	for (uint32_t i = 0; i < n; i++)
	{
		doc[1 + 4 + 3 * i] = 0x0c;
		put_le(doc + 1 + 4 + 3 * i + 1, ee, 2);
	}
	doc[1 + ee] = (uint8_t) (0x80 | (slen & 0x7f));	/* varlen, 2 bytes */
	doc[1 + ee + 1] = (uint8_t) (slen >> 7);
	memset(doc + 1 + ee + 2, 'a', slen);
	return 1 + size;
}

/* An object of n members whose key entries all point at one long key. */
static size_t
build_shared_key(uint8_t *doc, uint32_t n, uint32_t klen)
{
	size_t		ee = 4 + 7 * (size_t) n;
	size_t		size = ee + klen;

	doc[0] = 0x00;				/* small object */
	put_le(doc + 1, n, 2);
	put_le(doc + 3, size, 2);
	for (uint32_t i = 0; i < n; i++)
	{
		put_le(doc + 1 + 4 + 4 * i, ee, 2);
		put_le(doc + 1 + 4 + 4 * i + 2, klen, 2);
		doc[1 + 4 + 4 * n + 3 * i] = 0x04;	/* inlined null */
		put_le(doc + 1 + 4 + 4 * n + 3 * i + 1, 0, 2);
	}
	memset(doc + 1 + ee, 'k', klen);
	return 1 + size;
}

/*
 * depth arrays nested as MySQL writes [[[...[42]...]]]: each holds one
 * entry whose child starts right after it; the innermost inlines 42.
 */
static size_t
build_nested(uint8_t *doc, int depth)
{
	size_t		len = 1 + 7 * (size_t) depth;

	doc[0] = 0x02;
	for (int i = 0; i < depth; i++)
	{
		uint8_t    *p = doc + 1 + 7 * i;

		put_le(p, 1, 2);
		put_le(p + 2, len - 1 - 7 * (size_t) i, 2);
		if (i < depth - 1)
		{
			p[4] = 0x02;
			put_le(p + 5, 7, 2);
		}
		else
		{
			p[4] = 0x05;		/* inlined int16 */
			put_le(p + 5, 42, 2);
		}
	}
	return len;
}

/*
 * An object {"k000": "v000", ...} of n members laid out as MySQL's
 * serializer does: entries, then keys, then values; also its text.
 */
static size_t
build_wide(uint8_t *doc, uint32_t n, cbl_buf *text)
{
	size_t		ee = 4 + 7 * (size_t) n;
	size_t		size = ee + 4 * (size_t) n + 5 * (size_t) n;
	char		k[8];

	doc[0] = 0x00;
	put_le(doc + 1, n, 2);
	put_le(doc + 3, size, 2);
	cbl_buf_putc(text, '{');
	for (uint32_t i = 0; i < n; i++)
	{
		size_t		ko = ee + 4 * (size_t) i;
		size_t		vo = ee + 4 * (size_t) n + 5 * (size_t) i;

		put_le(doc + 1 + 4 + 4 * i, ko, 2);
		put_le(doc + 1 + 4 + 4 * i + 2, 4, 2);
		doc[1 + 4 + 4 * n + 3 * i] = 0x0c;
		put_le(doc + 1 + 4 + 4 * n + 3 * i + 1, vo, 2);
		snprintf(k, sizeof(k), "k%03u", i);
		memcpy(doc + 1 + ko, k, 4);
		doc[1 + vo] = 4;
		snprintf(k, sizeof(k), "v%03u", i);
		memcpy(doc + 1 + vo + 1, k, 4);
		cbl_buf_printf(text, "%s\"k%03u\": \"v%03u\"", i ? ", " : "", i, i);
	}
	cbl_buf_putc(text, '}');
	return 1 + size;
}

/* Decode hostile JSON: must fail, fast, with little output. */
static void
check_json_rejected(const uint8_t *doc, size_t len, const char *name)
{
	cbl_buf		out;
	cbl_error	err;
	double		t0,
				ms;
	int			rc;
	char		label[160];

	cbl_buf_init(&out);
	memset(&err, 0, sizeof(err));
	t0 = now_ms();
	rc = cbl_json_binary_to_text(doc, len, &out, &err);
	ms = now_ms() - t0;
	snprintf(label, sizeof(label), "%s: rejected as corrupt", name);
	ok(rc < 0 && err.code == CBL_ERR_CORRUPT, label);
	printf("# %s: %.3f ms, %zu output bytes, \"%s\"\n", name, ms, out.len, err.msg);
	snprintf(label, sizeof(label), "%s: rejected in under %.0f ms", name, FAST_MS);
	ok(ms < FAST_MS, label);
	snprintf(label, sizeof(label), "%s: output stays within 16x the input", name);
	ok(out.len <= 16 * len + 64, label);
	cbl_buf_free(&out);

	/* the same document as the before image of a partial update */
	cbl_buf_init(&out);
	t0 = now_ms();
	rc = cbl_json_apply_diff(doc, len, NULL, 0, &out, &err);
	ms = now_ms() - t0;
	snprintf(label, sizeof(label), "%s: diff applier rejects it in under %.0f ms",
			 name, FAST_MS);
	ok(rc < 0 && err.code == CBL_ERR_CORRUPT && ms < FAST_MS, label);
	cbl_buf_free(&out);
}

/* Binary JSON: hostile documents fail fast, real ones decode exactly. */
static void
test_json(void)
{
	/* [ *0, *0 ]: both entries point back at the array itself */
	static const uint8_t selfref[11] = {
		0x02, 0x02, 0x00, 0x0a, 0x00, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00
	};
	uint8_t    *doc = malloc(70000);
	uint8_t    *diff = malloc(4096);
	size_t		len,
				dlen;
	cbl_buf		out,
				want;
	cbl_error	err;
	double		t0,
				ms;

	check_json_rejected(selfref, sizeof(selfref), "11-byte self-referencing array");
	write_seed("json-selfref-11", selfref, sizeof(selfref));

	len = build_chain(doc, 140);
	check_json_rejected(doc, len, "140 arrays sharing one child (2^140 paths)");
	write_seed("json-chain-140", doc, len);

	len = build_shared_string(doc, 2000, 8000);
	check_json_rejected(doc, len, "2000 entries naming one 8000-byte string");
	write_seed("json-shared-string", doc, len);

	len = build_shared_key(doc, 1000, 8000);
	check_json_rejected(doc, len, "1000 members sharing one 8000-byte key");
	write_seed("json-shared-key", doc, len);

	/* the chain as a diff value that replaces the whole document */
	{
		static const uint8_t small[] = {0x04, 0x00};	/* null */

		len = build_chain(doc, 140);
		dlen = 0;
		diff[dlen++] = 0x00;	/* REPLACE */
		diff[dlen++] = 1;
		diff[dlen++] = '$';
		diff[dlen++] = 0xfc;
		put_le(diff + dlen, len, 2);
		dlen += 2;
		memcpy(diff + dlen, doc, len);
		dlen += len;
		cbl_buf_init(&out);
		t0 = now_ms();
		ok(cbl_json_apply_diff(small, sizeof(small), diff, dlen, &out, &err) < 0 &&
		   err.code == CBL_ERR_CORRUPT && now_ms() - t0 < FAST_MS,
		   "JSON diff whose value is the 2^140-path chain fails fast");
		write_diff_seed("diff-value-chain", small, sizeof(small), diff, dlen);
		write_diff_seed("diff-doc-selfref", selfref, sizeof(selfref), diff, 3);
		cbl_buf_free(&out);
	}

	/* 100 levels, MySQL's own depth limit, as MySQL writes them */
	len = build_nested(doc, 100);
	cbl_buf_init(&out);
	cbl_buf_init(&want);
	for (int i = 0; i < 100; i++)
		cbl_buf_putc(&want, '[');
	cbl_buf_puts(&want, "42");
	for (int i = 0; i < 100; i++)
		cbl_buf_putc(&want, ']');
	ok(cbl_json_binary_to_text(doc, len, &out, &err) == 0, "100 nested arrays decode");
	is_str(out.data, out.len, want.data, "100 nested arrays: exact text");
	out.len = 0;
	ok(cbl_json_apply_diff(doc, len, NULL, 0, &out, &err) == 0 &&
	   out.len == want.len && memcmp(out.data, want.data, want.len) == 0,
	   "100 nested arrays through the diff applier: exact text");
	cbl_buf_free(&out);
	cbl_buf_free(&want);

	/* a wide object: every byte read exactly once, well inside the budget */
	cbl_buf_init(&out);
	cbl_buf_init(&want);
	len = build_wide(doc, 1000, &want);
	t0 = now_ms();
	ok(cbl_json_binary_to_text(doc, len, &out, &err) == 0,
	   "object of 1000 members decodes");
	ms = now_ms() - t0;
	ok(out.len == want.len && memcmp(out.data, want.data, want.len) == 0,
	   "object of 1000 members: exact text");
	printf("# 1000-member object (%zu bytes) in %.3f ms\n", len, ms);

	/* diff: REPLACE $.k005, INSERT $."a \"q\"" (quoted, escaped key) */
	dlen = 0;
	diff[dlen++] = 0x00;
	diff[dlen++] = 6;
	memcpy(diff + dlen, "$.k005", 6);
	dlen += 6;
	diff[dlen++] = 4;
	memcpy(diff + dlen, "\x0c\x02zz", 4);
	dlen += 4;
	diff[dlen++] = 0x01;
	diff[dlen++] = 11;
	memcpy(diff + dlen, "$.\"a \\\"q\\\"\"", 11);
	dlen += 11;
	diff[dlen++] = 3;
	memcpy(diff + dlen, "\x05\x01\x00", 3);
	dlen += 3;
	out.len = 0;
	ok(cbl_json_apply_diff(doc, len, diff, dlen, &out, &err) == 0,
	   "diff on the 1000-member object applies");
	{
		const char *k5 = "\"k005\": \"zz\", \"k006\"";
		const char *end = ", \"a \\\"q\\\"\": 1}";

		/* "v005" became "zz"; the five-byte key sorts after the others */
		ok(out.data && strstr(out.data, k5) != NULL &&
		   out.len > strlen(end) &&
		   strcmp(out.data + out.len - strlen(end), end) == 0 &&
		   out.len == want.len - 2 + strlen(end) - 1,
		   "diff result: member replaced, quoted key inserted last");
	}
	cbl_buf_free(&out);
	cbl_buf_free(&want);
	free(doc);
	free(diff);
}

/*
 * k REPLACE diffs of the last element of an array of n inlined nulls:
 * each walks the whole array, k*n steps in all.
 */
static int
apply_tail_diffs(uint32_t n, uint32_t k, cbl_error *err)
{
	size_t		size = 4 + 3 * (size_t) n;
	uint8_t    *doc = malloc(1 + size);
	uint8_t    *diff = malloc((size_t) k * 16);
	char		path[16];
	int			pl = snprintf(path, sizeof(path), "$[%u]", n - 1);
	size_t		dl = 0;
	cbl_buf		out;
	int			rc;

	doc[0] = 0x02;
	put_le(doc + 1, n, 2);
	put_le(doc + 3, size, 2);
	for (uint32_t i = 0; i < n; i++)
	{
		doc[5 + 3 * i] = 0x04;
		put_le(doc + 5 + 3 * i + 1, 0, 2);
	}
	for (uint32_t j = 0; j < k; j++)
	{
		diff[dl++] = 0x00;
		diff[dl++] = (uint8_t) pl;
		memcpy(diff + dl, path, (size_t) pl);
		dl += (size_t) pl;
		diff[dl++] = 2;
		diff[dl++] = 0x04;
		diff[dl++] = 0x01;		/* true */
	}
	if (k > 1000)
		write_diff_seed("diff-walk", doc, 1 + size, diff, dl);
	cbl_buf_init(&out);
	rc = cbl_json_apply_diff(doc, 1 + size, diff, dl, &out, err);
	if (rc == 0 && (out.len < 5 || memcmp(out.data + out.len - 5, "true]", 5) != 0))
		rc = 1;
	cbl_buf_free(&out);
	free(doc);
	free(diff);
	return rc;
}

/* Diff paths: their walks are bounded, real statements stay inside. */
static void
test_diff_walk(void)
{
	cbl_error	err;

	ok(apply_tail_diffs(20000, 600, &err) == 0,
	   "600 diffs at the end of a 20000-element array apply");
	ok(apply_tail_diffs(20000, 5000, &err) < 0 && err.code == CBL_ERR_CORRUPT &&
	   strstr(err.msg, "walk past") != NULL,
	   "5000 diffs at the end of a 20000-element array exceed the walk budget");
}

/* ---------------------------------------------------------------------
 * Binlog files: events with header and CRC32
 * ---------------------------------------------------------------------
 */
typedef struct file_img
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
} file_img;

/* Append an event with header and CRC32; returns its offset. */
static size_t
add_event(file_img *f, uint8_t type, const uint8_t *body, size_t blen)
{
	size_t		start = f->len;
	uint32_t	len = (uint32_t) (19 + blen + 4);
	uLong		crc;
	uint8_t    *e;

	if (f->len + len > f->cap)
	{
		f->cap = (f->len + len) * 2;
		f->data = realloc(f->data, f->cap);
	}
	e = f->data + start;
	memset(e, 0, 19);
	e[0] = 0x10;
	e[4] = type;
	e[5] = 1;
	put_le(e + 9, len, 4);
	put_le(e + 13, start + len, 4);
	memcpy(e + 19, body, blen);
	crc = crc32(0L, e, (uInt) (19 + blen));
	put_le(e + 19 + blen, crc, 4);
	f->len += len;
	return start;
}

/* Start a file: magic and a MariaDB FORMAT_DESCRIPTION with CRC32. */
static void
file_start(file_img *f)
{
	uint8_t		b[512];
	size_t		n;
	uint8_t		ph[171];

	f->cap = 1 << 16;
	f->data = malloc(f->cap);
	memcpy(f->data, "\xfe" "bin", 4);
	f->len = 4;
	memset(b, 0, sizeof(b));
	b[0] = 4;
	memcpy(b + 2, "10.11.19-MariaDB-log", 20);
	n = 2 + 50 + 4;
	b[n++] = 19;
	memset(ph, 0, sizeof(ph));
	ph[2 - 1] = 13;				/* QUERY */
	ph[15 - 1] = 84;
	ph[19 - 1] = 8;				/* TABLE_MAP */
	ph[23 - 1] = 8;				/* WRITE_ROWS_V1 */
	ph[165 - 1] = 13;			/* QUERY_COMPRESSED */
	memcpy(b + n, ph, sizeof(ph));
	n += sizeof(ph);
	b[n++] = 1;					/* CRC32 */
	add_event(f, 15, b, n);
}

typedef struct outcome
{
	int			status;			/* 0 decoded, -1 error */
	cbl_error	err;
	int			queries;
	size_t		query_len;
	char		query_head[16];
	int			xids;
	int			rows;
	double		ms;
} outcome;

/* Decode a file image with the given max payload (0: leave the default). */
static void
decode(const file_img *f, size_t max_payload, outcome *o)
{
	cbl_decoder *d = cbl_decoder_new();
	size_t		off = 4;
	double		t0 = now_ms();

	memset(o, 0, sizeof(*o));
	cbl_decoder_set_file_mode(d, true);
	if (max_payload)
		cbl_decoder_set_max_payload(d, max_payload);
	for (;;)
	{
		size_t		elen;
		int			rc = cbl_frame_next(f->data, f->len, off, false, &elen, &o->err);
		cbl_event	ev;

		if (rc == 0)
			break;
		if (rc < 0 || cbl_decoder_push(d, f->data + off, elen, off, &o->err) < 0)
			goto fail;
		off += elen;
		while ((rc = cbl_decoder_next(d, &ev, &o->err)) > 0)
		{
			cbl_row		row;
			int			k = 0;

			if (ev.type == CBL_EV_QUERY || ev.type == CBL_EV_MARIA_QUERY_COMPRESSED)
			{
				o->queries++;
				o->query_len = ev.u.query.query.len;
				memcpy(o->query_head, ev.u.query.query.ptr,
					   o->query_len < 15 ? o->query_len : 15);
			}
			if (ev.type == CBL_EV_XID)
				o->xids++;
			if (!cbl_event_is_rows(ev.type))
				continue;
			/* capped, so that a regression fails instead of hanging */
			while (k++ < 1000 && (rc = cbl_rows_next(d, &ev, &row, &o->err)) > 0)
				o->rows++;
			if (rc < 0)
				goto fail;
		}
		if (rc < 0)
			goto fail;
	}
	o->ms = now_ms() - t0;
	cbl_decoder_free(d);
	return;
fail:
	o->ms = now_ms() - t0;
	o->status = -1;
	printf("# error at offset %llu: %s (%.3f ms)\n",
		   (unsigned long long) o->err.offset, o->err.msg, o->ms);
	cbl_decoder_free(d);
}

/* ---------------------------------------------------------------------
 * MariaDB compressed events (zlib)
 * ---------------------------------------------------------------------
 */

/*
 * A QUERY_COMPRESSED event whose block claims `claim` bytes and holds the
 * zlib stream of text; *block_off receives the block's file offset.
 */
static void
add_compressed_query(file_img *f, const char *text, size_t textlen,
					 uint32_t claim, size_t *block_off)
{
	uLongf		zlen = compressBound((uLong) textlen);
	uint8_t    *b = malloc(13 + 3 + 5 + zlen);
	size_t		n = 0;
	size_t		pos;

	memset(b, 0, 13);
	b[8] = 2;					/* db length */
	n = 13;
	memcpy(b + n, "db", 3);
	n += 3;
	b[n++] = 0x80 | 4;			/* compressed, 4-byte length */
	b[n++] = (uint8_t) (claim >> 24);
	b[n++] = (uint8_t) (claim >> 16);
	b[n++] = (uint8_t) (claim >> 8);
	b[n++] = (uint8_t) claim;
	compress2(b + n, &zlen, (const Bytef *) text, (uLong) textlen, 9);
	n += zlen;
	pos = add_event(f, CBL_EV_MARIA_QUERY_COMPRESSED, b, n);
	*block_off = pos + 19 + 13 + 3;
	free(b);
}

/* MariaDB zlib: limit honoured before allocating, lying streams rejected. */
static void
test_zlib(void)
{
	size_t		tlen = 20009;
	char	   *text = malloc(tlen);
	file_img	f;
	outcome		o;
	size_t		blk;

	memcpy(text, "SELECT '", 8);
	memset(text + 8, 'x', tlen - 9);
	text[tlen - 1] = '\'';

	file_start(&f);
	add_compressed_query(&f, text, tlen, (uint32_t) tlen, &blk);
	decode(&f, 0, &o);
	ok(o.status == 0 && o.queries == 1 && o.query_len == tlen &&
	   memcmp(o.query_head, "SELECT 'xxxxxxx", 15) == 0,
	   "zlib: compressed QUERY under the default limit decodes");
	decode(&f, 20009, &o);
	ok(o.status == 0 && o.query_len == tlen,
	   "zlib: a payload exactly at the limit decodes");
	decode(&f, 20008, &o);
	ok(o.status < 0 && o.err.code == CBL_ERR_LIMIT && o.err.offset == blk,
	   "zlib: a claim one byte over the limit fails with CBL_ERR_LIMIT at the block's offset");
	write_seed("maria-zlib-query.bin", f.data, f.len);
	free(f.data);

	/* the stream inflates to more than the header claims */
	file_start(&f);
	add_compressed_query(&f, text, tlen, 100, &blk);
	decode(&f, 0, &o);
	ok(o.status < 0 && o.err.code == CBL_ERR_CORRUPT && o.err.offset == blk,
	   "zlib: a stream longer than its claim fails cleanly");
	write_seed("maria-zlib-overlong.bin", f.data, f.len);
	free(f.data);

	/* ... or to less */
	file_start(&f);
	add_compressed_query(&f, text, tlen, 30000, &blk);
	decode(&f, 0, &o);
	ok(o.status < 0 && o.err.code == CBL_ERR_CORRUPT && o.err.offset == blk,
	   "zlib: a stream shorter than its claim fails cleanly");
	free(f.data);

	/* a tiny stream claiming almost 1 GiB: impossible for deflate */
	file_start(&f);
	add_compressed_query(&f, "BEGIN", 5, (1u << 30) - 1, &blk);
	decode(&f, 0, &o);
	ok(o.status < 0 && o.err.code == CBL_ERR_CORRUPT && o.ms < FAST_MS,
	   "zlib: a few compressed bytes claiming 1 GiB fail fast, nothing allocated");
	write_seed("maria-zlib-claims-1g.bin", f.data, f.len);
	free(f.data);

	/* 4 GiB: over the default limit */
	file_start(&f);
	add_compressed_query(&f, "BEGIN", 5, 0xffffffffu, &blk);
	decode(&f, 0, &o);
	ok(o.status < 0 && o.err.code == CBL_ERR_LIMIT && o.err.offset == blk,
	   "zlib: a 4 GiB claim is over the default 1 GiB limit");
	free(f.data);
	free(text);
}

/* ---------------------------------------------------------------------
 * MySQL TRANSACTION_PAYLOAD (zstd)
 * ---------------------------------------------------------------------
 */

/* Append a payload header field: type, length, length-encoded value. */
static size_t
put_field(uint8_t *p, uint8_t type, uint64_t v)
{
	size_t		n = 0;

	p[n++] = type;
	if (v < 251)
	{
		p[n++] = 1;
		p[n++] = (uint8_t) v;
	}
	else if (v < 65536)
	{
		p[n++] = 3;
		p[n++] = 0xfc;
		put_le(p + n, v, 2);
		n += 2;
	}
	else
	{
		p[n++] = 9;
		p[n++] = 0xfe;
		put_le(p + n, v, 8);
		n += 8;
	}
	return n;
}

/* nx XID events back to back, as inside a payload (no checksums). */
static uint8_t *
make_xids(int nx, size_t *len)
{
	uint8_t    *p = calloc((size_t) nx, 27);

	for (int i = 0; i < nx; i++)
	{
		uint8_t    *e = p + 27 * i;

		e[4] = CBL_EV_XID;
		e[5] = 1;
		e[9] = 27;
		put_le(e + 19, (uint64_t) i + 1, 8);
	}
	*len = 27 * (size_t) nx;
	return p;
}

/*
 * A TRANSACTION_PAYLOAD event holding data (already compressed or not) and
 * claiming `claim` uncompressed bytes; *data_off receives the data's
 * offset in the file.
 */
static void
add_payload(file_img *f, const uint8_t *data, size_t dlen, uint64_t compression,
			uint64_t claim, size_t *data_off)
{
	uint8_t    *b = malloc(64 + dlen);
	size_t		n = 0;
	size_t		pos;

	n += put_field(b + n, 1, dlen);
	n += put_field(b + n, 2, compression);
	n += put_field(b + n, 3, claim);
	b[n++] = 0;
	memcpy(b + n, data, dlen);
	pos = add_event(f, CBL_EV_TRANSACTION_PAYLOAD, b, n + dlen);
	*data_off = pos + 19 + n;
	free(b);
}

/*
 * Rewrite the Frame_Content_Size of a zstd frame to v (same field width);
 * returns 0, or -1 when the frame has no such field.
 */
static int
patch_fcs(uint8_t *z, size_t zlen, uint64_t v)
{
	static const int did_size[4] = {0, 1, 2, 4};
	uint8_t		fhd = z[4];
	int			fcs_flag = fhd >> 6;
	int			single = (fhd >> 5) & 1;
	size_t		pos = 5 + (single ? 0 : 1) + (size_t) did_size[fhd & 3];
	int			width = fcs_flag == 0 ? (single ? 1 : 0) : 1 << fcs_flag;

	if (width == 0 || pos + (size_t) width > zlen)
		return -1;
	put_le(z + pos, width == 2 ? v - 256 : v, width);
	return ZSTD_getFrameContentSize(z, zlen) == v ? 0 : -1;
}

/* MySQL zstd payloads: limit, impossible claims and lying frames. */
static void
test_zstd(void)
{
	size_t		rawlen,
				zcap,
				zlen,
				off;
	uint8_t    *raw = make_xids(1000, &rawlen);
	uint8_t    *z;
	file_img	f;
	outcome		o;

	zcap = ZSTD_compressBound(rawlen);
	z = malloc(zcap);
	zlen = ZSTD_compress(z, zcap, raw, rawlen, 3);
	ok(!ZSTD_isError(zlen), "zstd: test payload compressed");

	file_start(&f);
	add_payload(&f, z, zlen, 0, rawlen, &off);
	decode(&f, 0, &o);
	ok(o.status == 0 && o.xids == 1000,
	   "zstd: 1000 events in a TRANSACTION_PAYLOAD under the limit decode");
	decode(&f, rawlen, &o);
	ok(o.status == 0 && o.xids == 1000, "zstd: a payload exactly at the limit decodes");
	decode(&f, 1000, &o);
	ok(o.status < 0 && o.err.code == CBL_ERR_LIMIT && o.err.offset == off,
	   "zstd: a payload over the limit fails with CBL_ERR_LIMIT at the data's offset");
	write_seed("mysql-zstd-payload.bin", f.data, f.len);
	free(f.data);

	/*
	 * The event claims 2 GiB, more than the default limit.  A claim of 16
	 * MiB or more takes a 9-byte field, which the decoder used to skip as
	 * unknown, leaving frames without a content size undecodable.
	 */
	file_start(&f);
	add_payload(&f, z, zlen, 0, (uint64_t) 2 << 30, &off);
	decode(&f, 0, &o);
	ok(o.status < 0 && o.err.code == CBL_ERR_LIMIT && o.err.offset == off,
	   "zstd: a 2 GiB claim fails against the default limit");
	free(f.data);

	/* a frame whose header claims less than it holds */
	{
		uint8_t    *zz = malloc(zlen);

		memcpy(zz, z, zlen);
		ok(patch_fcs(zz, zlen, rawlen / 2) == 0, "zstd: frame content size patched down");
		file_start(&f);
		add_payload(&f, zz, zlen, 0, rawlen / 2, &off);
		decode(&f, 0, &o);
		ok(o.status < 0 && o.err.code == CBL_ERR_CORRUPT && o.err.offset == off,
		   "zstd: a frame holding more than its content size fails cleanly");
		write_seed("mysql-zstd-frame-lies-short.bin", f.data, f.len);
		free(f.data);

		/* ... and one claiming more */
		memcpy(zz, z, zlen);
		ok(patch_fcs(zz, zlen, rawlen + 5000) == 0, "zstd: frame content size patched up");
		file_start(&f);
		add_payload(&f, zz, zlen, 0, rawlen + 5000, &off);
		decode(&f, 0, &o);
		ok(o.status < 0 && o.err.code == CBL_ERR_CORRUPT && o.err.offset == off,
		   "zstd: a frame holding less than its content size fails cleanly");
		free(zz);
		free(f.data);
	}

	/* a frame without a content size: only the event's claim bounds it */
	{
		ZSTD_CCtx  *cc = ZSTD_createCCtx();
		ZSTD_inBuffer in = {raw, rawlen, 0};
		ZSTD_outBuffer ob = {z, zcap, 0};
		size_t		left;

		ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
		left = ZSTD_compressStream2(cc, &ob, &in, ZSTD_e_end);
		ZSTD_freeCCtx(cc);
		ok(left == 0 && ZSTD_getFrameContentSize(z, ob.pos) == ZSTD_CONTENTSIZE_UNKNOWN,
		   "zstd: frame without content size made");
		file_start(&f);
		add_payload(&f, z, ob.pos, 0, rawlen, &off);
		decode(&f, 0, &o);
		ok(o.status == 0 && o.xids == 1000,
		   "zstd: frame without content size decodes with a true claim");
		free(f.data);

		file_start(&f);
		add_payload(&f, z, ob.pos, 0, rawlen - 27, &off);
		decode(&f, 0, &o);
		ok(o.status < 0 && o.err.code == CBL_ERR_CORRUPT,
		   "zstd: event claiming less than the frame holds fails cleanly");
		write_seed("mysql-zstd-claim-short.bin", f.data, f.len);
		free(f.data);

		/* a ~100-byte frame claiming 512 MiB: no zstd frame can */
		file_start(&f);
		add_payload(&f, z, ob.pos, 0, (uint64_t) 512 << 20, &off);
		decode(&f, 0, &o);
		ok(o.status < 0 && o.err.code == CBL_ERR_CORRUPT && o.ms < FAST_MS,
		   "zstd: a small frame claiming 512 MiB fails fast, nothing allocated");
		write_seed("mysql-zstd-claims-512m.bin", f.data, f.len);
		free(f.data);
	}

	/* uncompressed payloads obey the same limit */
	file_start(&f);
	add_payload(&f, raw, 27 * 10, 255, 27 * 10, &off);
	decode(&f, 27 * 10, &o);
	ok(o.status == 0 && o.xids == 10, "uncompressed payload at the limit decodes");
	decode(&f, 27 * 10 - 1, &o);
	ok(o.status < 0 && o.err.code == CBL_ERR_LIMIT,
	   "uncompressed payload over the limit fails with CBL_ERR_LIMIT");
	free(f.data);
	free(z);
	free(raw);
}

/* ---------------------------------------------------------------------
 * Rows
 * ---------------------------------------------------------------------
 */

/* A rows event whose bitmap selects no column cannot loop forever. */
static void
test_empty_rows(void)
{
	file_img	f;
	outcome		o;
	uint8_t		b[64];
	size_t		n = 0;

	file_start(&f);
	/* TABLE_MAP id 7: d.t (a INT) */
	b[n++] = 7;
	memset(b + n, 0, 5);
	n += 5;
	b[n++] = 0;
	b[n++] = 0;
	memcpy(b + n, "\x01" "d\0\x01" "t\0", 6);
	n += 6;
	b[n++] = 1;
	b[n++] = CBL_T_LONG;
	b[n++] = 0;					/* no metadata */
	b[n++] = 0x01;				/* nullable */
	add_event(&f, CBL_EV_TABLE_MAP, b, n);

	/* WRITE_ROWS_V1 with an empty column bitmap and bytes after it */
	n = 0;
	b[n++] = 7;
	memset(b + n, 0, 5);
	n += 5;
	b[n++] = 1;
	b[n++] = 0;					/* STMT_END_F */
	b[n++] = 1;					/* one column */
	b[n++] = 0x00;				/* ... not present */
	memcpy(b + n, "\x00\x2a\x00\x00\x00", 5);
	n += 5;
	add_event(&f, CBL_EV_WRITE_ROWS_V1, b, n);
	decode(&f, 0, &o);
	ok(o.status < 0 && o.err.code == CBL_ERR_CORRUPT && o.rows == 0,
	   "rows event with empty row images fails instead of repeating forever");
	write_seed("rows-empty-image.bin", f.data, f.len);
	free(f.data);
}

/* Entry point; an argument names a directory to write fuzzer seeds into. */
int
main(int argc, char **argv)
{
	if (argc > 1)
		seed_dir = argv[1];
	test_json();
	test_diff_walk();
	test_zlib();
	test_zstd();
	test_empty_rows();
	return done_testing();
}
