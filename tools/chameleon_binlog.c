/*-------------------------------------------------------------------------
 *
 * chameleon_binlog.c
 *	  Command-line decoder for MySQL/MariaDB binary logs (SPEC section 6).
 *
 *	  chameleon_binlog [--max-payload BYTES] FILE...
 *	  chameleon_binlog --host H --port P --user U --password-file F
 *					   (--start FILE:POS | --start-gtid GTID)
 *					   [--max-payload BYTES]
 *
 * --max-payload bounds what one compressed event or TRANSACTION_PAYLOAD
 * may unpack to (default 1 GiB; K, M and G suffixes are binary units).
 *
 * Prints one JSON object per line: every event, and every row change with
 * its values as the PostgreSQL text they would be stored as.  It uses the
 * same decoder library (src/binlog) as the reader worker.  Corrupt input
 * ends with a message naming the byte offset and exit status 1; usage
 * errors exit with 2.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include "../src/binlog/cbl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef CBL_HAVE_STREAM
#include "chameleon_binlog_live.h"
#endif

#define OUT_FLUSH_AT (1 << 20)

/* Output sink: JSON lines accumulated and written in large blocks. */
typedef struct cli_out
{
	cbl_buf		buf;
	cbl_buf		scratch;
	bool		failed;
} cli_out;

/* Write the buffered output to stdout. */
static void
out_flush(cli_out *o)
{
	if (o->buf.len > 0 && !o->failed)
	{
		if (fwrite(o->buf.data, 1, o->buf.len, stdout) != o->buf.len)
			o->failed = true;
	}
	o->buf.len = 0;
}

/* End the current line and flush when the buffer is large. */
static void
out_line(cli_out *o)
{
	cbl_buf_putc(&o->buf, '\n');
	if (o->buf.len >= OUT_FLUSH_AT)
		out_flush(o);
}

/*
 * Decode every event the decoder produces for one pushed raw event, print
 * events and rows.  Returns 0 or -1 with err set.
 */
static int
emit_pushed(cbl_decoder *d, cli_out *o, cbl_error *err)
{
	cbl_event	ev;
	int			rc;

	while ((rc = cbl_decoder_next(d, &ev, err)) > 0)
	{
		if (cbl_json_event(&ev, &o->buf, err) < 0)
			return -1;
		out_line(o);
		if (ev.skipped)
			continue;
		if (cbl_event_is_rows(ev.type))
		{
			cbl_row		row;
			int			r;

			while ((r = cbl_rows_next(d, &ev, &row, err)) > 0)
			{
				if (cbl_json_row(&ev, &row, cbl_decoder_gtid(d), &o->buf,
								 &o->scratch, err) < 0)
					return -1;
				out_line(o);
			}
			if (r < 0)
				return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

/* Report a decoding error of a file, with a hint for the payload limit. */
static void
report_error(const char *path, const cbl_error *err)
{
	fprintf(stderr, "chameleon_binlog: %s: error at byte offset %llu: %s\n",
			path, (unsigned long long) err->offset, err->msg);
	if (err->code == CBL_ERR_LIMIT)
		fprintf(stderr, "chameleon_binlog: hint: a larger --max-payload lets it through\n");
}

/* Decode one binlog file. Returns the exit status. */
static int
run_file(const char *path, size_t max_payload, cli_out *o)
{
	int			fd;
	struct stat st;
	const uint8_t *buf;
	size_t		len,
				off = 4;
	cbl_decoder *d;
	cbl_error	err;
	int			status = 0;
	size_t		encrypted_events = 0;
	size_t		start_encryption = 0,
				first_encrypted = 0;

	memset(&err, 0, sizeof(err));
	fd = open(path, O_RDONLY);
	if (fd < 0)
	{
		fprintf(stderr, "chameleon_binlog: could not open \"%s\": %s\n", path, strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) < 0)
	{
		fprintf(stderr, "chameleon_binlog: could not stat \"%s\": %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	len = (size_t) st.st_size;
	if (len < 4)
	{
		fprintf(stderr, "chameleon_binlog: %s: error at byte offset 0: file too short for a binlog (%zu bytes)\n",
				path, len);
		close(fd);
		return 1;
	}
	buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (buf == MAP_FAILED)
	{
		fprintf(stderr, "chameleon_binlog: could not map \"%s\": %s\n", path, strerror(errno));
		return 1;
	}
	if (memcmp(buf, CBL_BINLOG_MAGIC, 4) != 0)
	{
		fprintf(stderr, "chameleon_binlog: %s: error at byte offset 0: not a binlog file (bad magic number)\n",
				path);
		munmap((void *) buf, len);
		return 1;
	}

	d = cbl_decoder_new();
	if (d == NULL)
	{
		fprintf(stderr, "chameleon_binlog: out of memory\n");
		munmap((void *) buf, len);
		return 1;
	}
	cbl_decoder_set_file_mode(d, true);
	cbl_decoder_set_max_payload(d, max_payload);

	for (;;)
	{
		size_t		elen;
		int			rc = cbl_frame_next(buf, len, off, cbl_decoder_encrypted(d), &elen, &err);

		if (rc == 0)
			break;
		if (rc < 0 ||
			cbl_decoder_push(d, buf + off, elen, off, &err) < 0 ||
			emit_pushed(d, o, &err) < 0)
		{
			status = 1;
			break;
		}
		if (cbl_decoder_encrypted(d))
		{
			if (encrypted_events == 0)
				start_encryption = off;
			else if (encrypted_events == 1)
				first_encrypted = off;
			encrypted_events++;
		}
		off += elen;
	}
	out_flush(o);
	if (status != 0)
		report_error(path, &err);
	else if (encrypted_events > 1)
	{
		/* ciphertext cannot be decoded without the server's key: say so */
		fprintf(stderr, "chameleon_binlog: %s: error at byte offset %llu: the binlog is encrypted after START_ENCRYPTION at offset %llu; %zu events could not be decoded (files are read without the key: decode encrypted binlogs through the server with --host)\n",
				path, (unsigned long long) first_encrypted,
				(unsigned long long) start_encryption, encrypted_events - 1);
		status = 1;
	}
	cbl_decoder_free(d);
	munmap((void *) buf, len);
	return status;
}

/* Options of the live mode. */
typedef struct live_opts
{
	const char *host;
	int			port;
	const char *user;
	const char *password_file;
	const char *start_file;
	unsigned long long start_pos;
	const char *start_gtid;
	unsigned	server_id;
	size_t		max_payload;	/* 0: the decoder's default */
} live_opts;

/*
 * ------------------------------------------------------------------------
 * LIVE MODE (the network side lives in tools/chameleon_binlog_live.c on
 * top of src/binlog/stream.[ch], owned by the protocol engineer).
 *
 * cbl_stream_cli_run() connects with libmariadb, registers as a replica and
 * dumps from start_file:start_pos (or the GTID), handing each raw event to
 * live_event(), which pushes it into the decoder exactly as file mode does
 * above; emit_pushed() prints it.  Built only when the make fragment finds
 * src/binlog/stream.c and defines CBL_HAVE_STREAM.
 * ------------------------------------------------------------------------
 */
#ifdef CBL_HAVE_STREAM
typedef struct live_ctx
{
	cbl_decoder *d;
	cli_out    *o;
} live_ctx;

/* Called by the stream client for every raw event received. */
static int
live_event(void *arg, const uint8_t *ev, size_t len, uint64_t pos,
		   cbl_error *err)
{
	live_ctx   *c = arg;

	if (cbl_decoder_push(c->d, ev, len, pos, err) < 0 ||
		emit_pushed(c->d, c->o, err) < 0)
		return -1;
	out_flush(c->o);			/* live output should not lag */
	return fflush(stdout) == 0 ? 0 : -1;
}
#endif

static int
run_live(const live_opts *lo, cli_out *o)
{
#ifdef CBL_HAVE_STREAM
	live_ctx	c;
	int			rc;

	c.d = cbl_decoder_new();
	c.o = o;
	if (c.d == NULL)
		return 1;
	cbl_decoder_set_max_payload(c.d, lo->max_payload);
	/* proposed seam: the stream client calls live_event per raw event */
	rc = cbl_stream_cli_run(lo->host, lo->port, lo->user, lo->password_file,
							lo->start_file, lo->start_pos, lo->start_gtid,
							lo->server_id, c.d, live_event, &c);
	cbl_decoder_free(c.d);
	return rc;
#else
	(void) lo;
	(void) o;
	fprintf(stderr, "chameleon_binlog: live mode is not available in this build (no stream client)\n");
	return 2;
#endif
}

/* Print usage and return exit status 2. */
static int
usage(void)
{
	fprintf(stderr,
			"usage: chameleon_binlog [--max-payload BYTES] FILE...\n"
			"       chameleon_binlog --host H [--port P] --user U --password-file F\n"
			"                        (--start FILE:POS | --start-gtid GTID) [--server-id N]\n"
			"                        [--max-payload BYTES]\n"
			"--max-payload: largest uncompressed event content (default 1G; K/M/G suffixes)\n");
	return 2;
}

/* Parse a byte count with an optional K, M or G suffix; 0 when invalid. */
static size_t
parse_bytes(const char *v)
{
	char	   *end;
	unsigned long long n;
	int			shift = 0;

	if (v == NULL || *v < '0' || *v > '9')
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end != '\0' || n > (SIZE_MAX >> shift))
		return 0;
	return (size_t) n << shift;
}

/* Entry point: parse arguments and run file or live mode. */
int
main(int argc, char **argv)
{
	live_opts	lo;
	bool		live = false;
	int			nfiles = 0;
	int			nopts = 0;
	int			status = 0;
	cli_out		o;
	static char iobuf[1 << 16];

	memset(&lo, 0, sizeof(lo));
	lo.port = 3306;
	lo.server_id = 0;
	setvbuf(stdout, iobuf, _IOFBF, sizeof(iobuf));

	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];

#define NEXT_ARG() (i + 1 < argc ? argv[++i] : NULL)
		if (strcmp(a, "--host") == 0)
		{
			if ((lo.host = NEXT_ARG()) == NULL)
				return usage();
			live = true;
		}
		else if (strcmp(a, "--port") == 0)
		{
			const char *v = NEXT_ARG();

			if (v == NULL)
				return usage();
			lo.port = atoi(v);
		}
		else if (strcmp(a, "--user") == 0)
		{
			if ((lo.user = NEXT_ARG()) == NULL)
				return usage();
		}
		else if (strcmp(a, "--password-file") == 0)
		{
			if ((lo.password_file = NEXT_ARG()) == NULL)
				return usage();
		}
		else if (strcmp(a, "--start") == 0)
		{
			const char *v = NEXT_ARG();
			const char *colon;
			static char file[512];

			if (v == NULL || (colon = strrchr(v, ':')) == NULL ||
				(size_t) (colon - v) >= sizeof(file))
				return usage();
			memcpy(file, v, (size_t) (colon - v));
			file[colon - v] = '\0';
			lo.start_file = file;
			lo.start_pos = strtoull(colon + 1, NULL, 10);
		}
		else if (strcmp(a, "--start-gtid") == 0)
		{
			if ((lo.start_gtid = NEXT_ARG()) == NULL)
				return usage();
		}
		else if (strcmp(a, "--server-id") == 0)
		{
			const char *v = NEXT_ARG();

			if (v == NULL)
				return usage();
			lo.server_id = (unsigned) strtoul(v, NULL, 10);
		}
		else if (strcmp(a, "--max-payload") == 0)
		{
			/* valid in both modes: not counted as a live option */
			if ((lo.max_payload = parse_bytes(NEXT_ARG())) == 0)
				return usage();
			continue;
		}
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			usage();
			return 0;
		}
		else if (a[0] == '-' && a[1] == '-')
			return usage();
		else
			nfiles++;
		if (a[0] == '-' && a[1] == '-')
			nopts++;
#undef NEXT_ARG
	}
	/* options belong to live mode; file mode takes only file names */
	if (!live && nopts > 0)
		return usage();

	cbl_buf_init(&o.buf);
	cbl_buf_init(&o.scratch);
	o.failed = false;

	if (live)
	{
		if (nfiles > 0 || lo.user == NULL ||
			(lo.start_file == NULL && lo.start_gtid == NULL))
			return usage();
		status = run_live(&lo, &o);
	}
	else
	{
		if (nfiles == 0)
			return usage();
		for (int i = 1; i < argc && status == 0; i++)
		{
			/* the only option file mode takes, checked above */
			if (strcmp(argv[i], "--max-payload") == 0)
			{
				i++;
				continue;
			}
			status = run_file(argv[i], lo.max_payload, &o);
		}
	}
	out_flush(&o);
	if (fflush(stdout) != 0 || o.failed)
	{
		fprintf(stderr, "chameleon_binlog: error writing output\n");
		if (status == 0)
			status = 1;
	}
	cbl_buf_free(&o.buf);
	cbl_buf_free(&o.scratch);
	return status;
}
