/*-------------------------------------------------------------------------
 *
 * binlog_decode_lib.c
 *	  Benchmark driver for bench/binlog_decode.sh: decodes binlog files with
 *	  the src/binlog library alone, formatting every value of every row
 *	  image into its PostgreSQL text (what the reader worker does), without
 *	  printing JSON.  Prints the number of events, row changes and row
 *	  images on stdout; exit status 1 on a decoding error.
 *
 *	  binlog_decode_lib FILE...
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include "cbl.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct counts
{
	unsigned long long events;
	unsigned long long changes;
	unsigned long long images;
	unsigned long long bytes;	/* text produced, to keep the work honest */
} counts;

/* Format every present value of one image. */
static int
format_image(const cbl_table *t, const cbl_value *vals, uint32_t ncols,
			 cbl_buf *out, counts *c, cbl_error *err)
{
	for (uint32_t i = 0; i < ncols; i++)
	{
		if (vals[i].kind == CBL_V_ABSENT || vals[i].kind == CBL_V_NULL)
			continue;
		out->len = 0;
		if (cbl_value_to_text(&vals[i], &t->cols[i], out, CBL_FMT_BYTEA_HEX, err) < 0)
			return -1;
		c->bytes += out->len;
	}
	c->images++;
	return 0;
}

/* Decode one file; returns 0 or -1 with err set. */
static int
decode_file(const char *path, counts *c, cbl_buf *out, cbl_error *err)
{
	int			fd = open(path, O_RDONLY);
	struct stat st;
	const uint8_t *buf;
	size_t		len,
				off = 4;
	cbl_decoder *d;
	int			rc = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < 4)
	{
		snprintf(err->msg, sizeof(err->msg), "cannot read %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	len = (size_t) st.st_size;
	buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (buf == MAP_FAILED)
	{
		snprintf(err->msg, sizeof(err->msg), "cannot map %s", path);
		return -1;
	}
	d = cbl_decoder_new();
	if (d == NULL)
	{
		munmap((void *) buf, len);
		return -1;
	}
	cbl_decoder_set_file_mode(d, true);
	for (;;)
	{
		size_t		elen;
		cbl_event	ev;
		int			r = cbl_frame_next(buf, len, off, cbl_decoder_encrypted(d), &elen, err);

		if (r == 0)
			break;
		if (r < 0 || cbl_decoder_push(d, buf + off, elen, off, err) < 0)
		{
			rc = -1;
			break;
		}
		while ((r = cbl_decoder_next(d, &ev, err)) > 0)
		{
			cbl_row		row;
			int			rr;

			c->events++;
			if (ev.skipped ||
				!(ev.type == CBL_EV_WRITE_ROWS || ev.type == CBL_EV_UPDATE_ROWS ||
				  ev.type == CBL_EV_DELETE_ROWS || ev.type == CBL_EV_WRITE_ROWS_V1 ||
				  ev.type == CBL_EV_UPDATE_ROWS_V1 || ev.type == CBL_EV_DELETE_ROWS_V1 ||
				  (ev.type >= CBL_EV_MARIA_WRITE_ROWS_COMPRESSED_V1 &&
				   ev.type <= CBL_EV_MARIA_DELETE_ROWS_COMPRESSED)) ||
				ev.u.rows.table == NULL)
				continue;
			while ((rr = cbl_rows_next(d, &ev, &row, err)) > 0)
			{
				c->changes++;
				if ((row.before &&
					 format_image(ev.u.rows.table, row.before, row.ncols, out, c, err) < 0) ||
					(row.after &&
					 format_image(ev.u.rows.table, row.after, row.ncols, out, c, err) < 0))
				{
					rr = -1;
					break;
				}
			}
			if (rr < 0)
			{
				r = -1;
				break;
			}
		}
		if (r < 0)
		{
			rc = -1;
			break;
		}
		off += elen;
	}
	cbl_decoder_free(d);
	munmap((void *) buf, len);
	return rc;
}

/* Entry point: decode every file named, print the counts. */
int
main(int argc, char **argv)
{
	counts		c;
	cbl_buf		out;
	cbl_error	err;

	memset(&c, 0, sizeof(c));
	memset(&err, 0, sizeof(err));
	cbl_buf_init(&out);
	for (int i = 1; i < argc; i++)
	{
		if (decode_file(argv[i], &c, &out, &err) < 0)
		{
			fprintf(stderr, "binlog_decode_lib: %s: error at byte offset %llu: %s\n",
					argv[i], (unsigned long long) err.offset, err.msg);
			cbl_buf_free(&out);
			return 1;
		}
	}
	cbl_buf_free(&out);
	printf("events %llu\nchanges %llu\nimages %llu\ntext_bytes %llu\n",
		   c.events, c.changes, c.images, c.bytes);
	return 0;
}
