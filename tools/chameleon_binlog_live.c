/*-------------------------------------------------------------------------
 *
 * chameleon_binlog_live.c
 *	  Live mode of chameleon_binlog (see chameleon_binlog_live.h): the
 *	  binlog network client feeding the decoder, with errors reported the
 *	  way the server words them.
 *
 *	  CHAMELEON_BINLOG_FOLLOW=1 in the environment keeps waiting for new
 *	  events at the end of the last binlog (like mysqlbinlog --stop-never);
 *	  by default the dump stops there.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/binlog/stream.h"
#include "chameleon_binlog_live.h"

/* events written by the server itself (fake ROTATE) carry this flag */
#define LOG_EVENT_ARTIFICIAL_F	0x0020

/* Reads the first line of a password file into buf; false on error. */
static bool
read_password(const char *path, char *buf, size_t len)
{
	FILE	   *f = fopen(path, "r");
	size_t		n;

	if (f == NULL)
	{
		fprintf(stderr, "chameleon_binlog: could not open password file \"%s\": %s\n",
				path, strerror(errno));
		return false;
	}
	if (fgets(buf, (int) len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return true;
}

/* Reads a little-endian 32-bit value. */
static uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* See chameleon_binlog_live.h. */
int
cbl_stream_cli_run(const char *host, int port, const char *user,
				   const char *password_file, const char *start_file,
				   unsigned long long start_pos, const char *start_gtid,
				   unsigned server_id, cbl_decoder *d,
				   cbl_live_event_fn fn, void *arg)
{
	CblStreamConfig config;
	CblStream  *stream;
	char		password[1024] = "";
	char		errbuf[1024];
	unsigned int server_errno = 0;
	const char *follow = getenv("CHAMELEON_BINLOG_FOLLOW");
	int			status = 0;

	if (password_file != NULL && !read_password(password_file, password, sizeof(password)))
		return 1;
	if (port <= 0 || port > 65535)
	{
		fprintf(stderr, "chameleon_binlog: invalid port %d\n", port);
		return 2;
	}

	memset(&config, 0, sizeof(config));
	config.host = host;
	config.port = (unsigned int) port;
	config.user = user;
	config.password = password;
	config.connect_timeout = 10;
	config.read_timeout = 30;
	config.heartbeat_ms = 1000;
	/* a replica id of our own, unlikely to collide with a real replica */
	config.server_id = server_id ? server_id : 1000000000u + (unsigned) getpid();
	config.start_file = start_file;
	config.start_pos = start_pos;
	config.start_gtid = start_gtid;
	config.non_blocking = !(follow != NULL && strcmp(follow, "1") == 0);

	stream = cbl_stream_open(&config, errbuf, sizeof(errbuf), &server_errno);
	memset(password, 0, sizeof(password));
	if (stream == NULL)
	{
		if (server_errno)
			fprintf(stderr, "chameleon_binlog: %s (MySQL error %u)\n", errbuf, server_errno);
		else
			fprintf(stderr, "chameleon_binlog: %s\n", errbuf);
		return 1;
	}
	cbl_decoder_set_checksum_alg(d, cbl_stream_has_checksum(stream) ? 1 : 0);

	for (;;)
	{
		const uint8_t *ev;
		size_t		len;
		uint64_t	pos = 0;
		cbl_error	err;
		CblStreamStatus rc = cbl_stream_next(stream, &ev, &len);

		if (rc == CBL_STREAM_END)
			break;
		if (rc == CBL_STREAM_IDLE)
			continue;
		if (rc == CBL_STREAM_ERROR)
		{
			if (cbl_stream_errno(stream))
				fprintf(stderr, "chameleon_binlog: %s (MySQL error %u)\n",
						cbl_stream_error(stream), cbl_stream_errno(stream));
			else
				fprintf(stderr, "chameleon_binlog: %s\n", cbl_stream_error(stream));
			status = 1;
			break;
		}
		/* the event's start: its end position (header) minus its length */
		if (len >= 19)
		{
			uint32_t	next = get_le32(ev + 13);
			uint16_t	flags = (uint16_t) (ev[17] | (ev[18] << 8));

			if (!(flags & LOG_EVENT_ARTIFICIAL_F) && next >= len)
				pos = next - len;
		}
		memset(&err, 0, sizeof(err));
		if (fn(arg, ev, len, pos, &err) < 0)
		{
			fprintf(stderr, "chameleon_binlog: error at byte offset %llu: %s\n",
					(unsigned long long) err.offset, err.msg);
			status = 1;
			break;
		}
	}
	cbl_stream_close(stream);
	return status;
}
