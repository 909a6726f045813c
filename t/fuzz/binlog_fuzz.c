/*-------------------------------------------------------------------------
 *
 * binlog_fuzz.c
 *	  libFuzzer target over the whole binlog decoder: the input is treated
 *	  as a binlog file (magic optional), every event is framed, decoded,
 *	  printed as JSON, and every row value is formatted; the whole input
 *	  also drives the JSON-binary printer, and the JSON diff applier with
 *	  the input split in three: a 2-byte little-endian document length,
 *	  the before document, the diff vector.
 *
 *	  Built and run by `make fuzz-binlog` (src/binlog/binlog.mk), seeded
 *	  with fixture binlogs and the hostile inputs of t/fuzz/seeds/binlog/
 *	  (written by t/unit/binlog/test_limits.c).
 *
 *-------------------------------------------------------------------------
 */
#include "cbl.h"

#include <string.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode data as a binlog file, formatting everything. */
static void
fuzz_file(const uint8_t *data, size_t size, bool checksums)
{
	cbl_decoder *d = cbl_decoder_new();
	cbl_buf		out,
				scratch;
	cbl_error	err;
	size_t		off = 0;

	if (d == NULL)
		return;
	cbl_decoder_set_file_mode(d, true);
	/* the fuzzer cannot forge CRC32s, so also explore without checking */
	cbl_decoder_set_verify_checksum(d, checksums);
	/* exercise the limit, and keep decompression bombs small */
	cbl_decoder_set_max_payload(d, 16 << 20);
	cbl_buf_init(&out);
	cbl_buf_init(&scratch);
	if (size >= 4 && memcmp(data, CBL_BINLOG_MAGIC, 4) == 0)
		off = 4;
	for (int n = 0; n < 10000; n++)
	{
		size_t		elen;
		cbl_event	ev;
		int			rc;

		if (cbl_frame_next(data, size, off, cbl_decoder_encrypted(d), &elen, &err) <= 0)
			break;
		if (cbl_decoder_push(d, data + off, elen, off, &err) < 0)
			break;
		off += elen;
		while ((rc = cbl_decoder_next(d, &ev, &err)) > 0)
		{
			cbl_row		row;

			out.len = 0;
			cbl_json_event(&ev, &out, &err);
			if (ev.skipped)
				continue;
			if (!cbl_event_is_rows(ev.type))
				continue;
			for (int k = 0; k < 100000 && cbl_rows_next(d, &ev, &row, &err) > 0; k++)
			{
				out.len = 0;
				cbl_json_row(&ev, &row, cbl_decoder_gtid(d), &out, &scratch, &err);
				for (uint32_t i = 0; i < row.ncols; i++)
				{
					const cbl_column *c = &ev.u.rows.table->cols[i];

					scratch.len = 0;
					if (row.after)
						cbl_value_to_text(&row.after[i], c, &scratch, 0, &err);
					/* as the reader logs them: geometry checked, SRID kept */
					scratch.len = 0;
					if (row.after)
						cbl_value_to_text(&row.after[i], c, &scratch,
										  CBL_FMT_BYTEA_HEX | CBL_FMT_GEOM_SRID, &err);
				}
			}
		}
		if (rc < 0)
		{
			/* drain a half-walked payload so the next push is accepted */
			cbl_event	ev2;

			while (cbl_decoder_next(d, &ev2, &err) > 0)
				;
		}
	}
	cbl_buf_free(&out);
	cbl_buf_free(&scratch);
	cbl_decoder_free(d);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cbl_buf		out;
	cbl_error	err;

	fuzz_file(data, size, true);
	fuzz_file(data, size, false);

	/* JSON binary and diff paths on raw bytes */
	cbl_buf_init(&out);
	cbl_json_binary_to_text(data, size, &out, &err);
	if (size > 2)
	{
		size_t		doclen = ((size_t) data[0] | ((size_t) data[1] << 8)) % (size - 1);

		out.len = 0;
		cbl_json_apply_diff(data + 2, doclen, data + 2 + doclen,
							size - 2 - doclen, &out, &err);
	}
	cbl_buf_free(&out);
	return 0;
}
