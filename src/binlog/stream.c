/*-------------------------------------------------------------------------
 *
 * stream.c
 *	  The binlog network client (see stream.h).  libmariadb makes the
 *	  connection (TCP, TLS, authentication); the replication protocol is
 *	  ours: session variables, COM_REGISTER_SLAVE, COM_BINLOG_DUMP (or
 *	  COM_BINLOG_DUMP_GTID for MySQL GTID starts), then one packet per
 *	  event, each an OK byte followed by the event.
 *
 *	  libmariadb reads no option file here (no MYSQL_READ_DEFAULT_*), is
 *	  told to refuse LOAD DATA LOCAL INFILE requests, and is limited to the
 *	  caller's authentication plugins (allowed_auth).
 *
 *	  Waiting.  Between events the stream polls the socket itself, in
 *	  slices of wait_ms, after checking libmariadb's read-ahead cache (a
 *	  whole event may wait there while the socket has nothing more): a
 *	  wait that ends without data returns CBL_STREAM_IDLE and keeps the
 *	  connection, so the caller can check its interrupts however long the
 *	  server is silent; only read_timeout seconds without any byte make the
 *	  connection lost.  Once an event has begun, libmariadb reads the rest
 *	  with its own per-read timeout (packet_timeout), which drops the
 *	  connection when it expires: a server that stops in the middle of an
 *	  event is lost after packet_timeout.  Over TLS, plaintext the TLS
 *	  library holds beyond the read-ahead cache is not seen: such an event
 *	  is read when the next bytes (at the latest the next heartbeat) come.
 *
 *	  Facts this relies on: without @master_binlog_checksum the server
 *	  refuses the dump (error 1236) when binlogs carry checksums; without
 *	  @mariadb_slave_capability = 4 MariaDB turns GTID events into fake
 *	  BEGIN queries; @master_heartbeat_period is in nanoseconds.
 *
 *-------------------------------------------------------------------------
 */
/* strcasecmp and POSIX types under -std=c11 (PostgreSQL's build sets it too) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysql.h>
#include <ma_pvio.h>

#include "stream.h"

/* protocol command numbers (enum_server_command) */
#define CMD_BINLOG_DUMP			18
#define CMD_REGISTER_SLAVE		21
#define CMD_BINLOG_DUMP_GTID	30

/* COM_BINLOG_DUMP(_GTID) flags */
#define DUMP_NON_BLOCK			0x0001
#define DUMP_THROUGH_GTID		0x0004

/* the longest single poll() (read_timeout may be a year of milliseconds) */
#define POLL_MAX_MS				3600000

/* the value mysql_net_read_packet() returns on error */
#define READ_ERROR				((unsigned long) (unsigned int) ~0U)

struct CblStream
{
	MYSQL	   *mysql;
	bool		mariadb;
	bool		checksum;
	bool		timed_out;		/* the last error: read_timeout expired */
	unsigned int read_timeout;	/* seconds without any byte: lost */
	unsigned int wait_ms;		/* longest wait of one cbl_stream_next */
	uint64_t	last_data_ms;	/* when the last packet arrived (monotonic) */
	unsigned int err_no;
	char		error[1024];
};

/* Milliseconds of the monotonic clock. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Stores a little-endian 16-bit value. */
static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

/* Stores a little-endian 32-bit value. */
static void
put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t) v);
	put_le16(p + 2, (uint16_t) (v >> 16));
}

/* Stores a little-endian 64-bit value. */
static void
put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t) v);
	put_le32(p + 4, (uint32_t) (v >> 32));
}

/* Records the connection's last error, prefixed with what we were doing. */
static void
set_mysql_error(CblStream *s, const char *doing)
{
	s->err_no = mysql_errno(s->mysql);
	snprintf(s->error, sizeof(s->error), "%s: %s", doing, mysql_error(s->mysql));
}

/* Runs a statement and discards any result; false on error. */
static bool
run_sql(CblStream *s, const char *sql, const char *doing)
{
	MYSQL_RES  *res;

	if (mysql_real_query(s->mysql, sql, (unsigned long) strlen(sql)) != 0)
	{
		set_mysql_error(s, doing);
		return false;
	}
	res = mysql_store_result(s->mysql);
	if (res != NULL)
		mysql_free_result(res);
	else if (mysql_field_count(s->mysql) != 0)
	{
		set_mysql_error(s, doing);
		return false;
	}
	return true;
}

/* Reads the first column of the first row of a query into out. */
static bool
query_value(CblStream *s, const char *sql, char *out, size_t outlen,
			const char *doing)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;

	if (mysql_real_query(s->mysql, sql, (unsigned long) strlen(sql)) != 0 ||
		(res = mysql_store_result(s->mysql)) == NULL)
	{
		set_mysql_error(s, doing);
		return false;
	}
	row = mysql_fetch_row(res);
	if (row == NULL || row[0] == NULL)
		out[0] = '\0';
	else
		snprintf(out, outlen, "%s", row[0]);
	mysql_free_result(res);
	return true;
}

/* Applies the TLS settings of the configuration; false on a bad mode. */
static bool
apply_ssl(CblStream *s, const CblStreamConfig *c)
{
	my_bool		yes = 1;

	if (c->ssl_mode == NULL || strcmp(c->ssl_mode, "disabled") == 0)
		return true;
	if (c->ssl_ca || c->ssl_cert || c->ssl_key)
		mysql_ssl_set(s->mysql, c->ssl_key, c->ssl_cert, c->ssl_ca, NULL, NULL);
	if (strcmp(c->ssl_mode, "preferred") == 0)
		return true;
	if (strcmp(c->ssl_mode, "required") == 0 ||
		strcmp(c->ssl_mode, "verify_ca") == 0 ||
		strcmp(c->ssl_mode, "verify_identity") == 0)
	{
		mysql_optionsv(s->mysql, MYSQL_OPT_SSL_ENFORCE, &yes);
		if (strcmp(c->ssl_mode, "verify_identity") == 0 ||
			strcmp(c->ssl_mode, "verify_ca") == 0)
			mysql_optionsv(s->mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
		return true;
	}
	snprintf(s->error, sizeof(s->error), "unknown ssl_mode \"%s\"", c->ssl_mode);
	return false;
}

/* Parses 32 hex digits (dashes allowed between) into 16 bytes. */
static int
parse_uuid(const char *text, uint8_t out[16])
{
	int			n = 0;
	const char *p = text;

	while (n < 32 && *p)
	{
		int			v;

		if (*p == '-')
		{
			p++;
			continue;
		}
		if (!isxdigit((unsigned char) *p))
			return -1;
		v = isdigit((unsigned char) *p) ? *p - '0' : (tolower((unsigned char) *p) - 'a' + 10);
		if (n % 2 == 0)
			out[n / 2] = (uint8_t) (v << 4);
		else
			out[n / 2] |= (uint8_t) v;
		n++;
		p++;
	}
	return n == 32 ? (int) (p - text) : -1;
}

/*
 * Encodes a MySQL GTID set ("uuid:1-5:7,uuid2:1-3") in the binary form of
 * COM_BINLOG_DUMP_GTID: sid count, then per sid its 16 bytes, interval
 * count and [start, end) pairs.  Returns a malloc'd buffer or NULL.
 */
static uint8_t *
encode_mysql_gtid_set(const char *text, size_t *len, char *err, size_t errlen)
{
	size_t		cap = 8 + strlen(text) * 16 + 64;
	uint8_t    *buf = calloc(1, cap);
	size_t		pos = 8;
	uint64_t	nsids = 0;
	const char *p = text;

	if (buf == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (*p)
	{
		uint8_t		uuid[16];
		int			used;
		size_t		count_pos;
		uint64_t	nint = 0;

		while (*p == ' ' || *p == ',' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		used = parse_uuid(p, uuid);
		if (used < 0 || p[used] != ':')
		{
			snprintf(err, errlen, "invalid GTID set near \"%.40s\"", p);
			free(buf);
			return NULL;
		}
		p += used;
		if (pos + 24 > cap)
			goto overflow;
		memcpy(buf + pos, uuid, 16);
		count_pos = pos + 16;
		pos += 24;
		while (*p == ':')
		{
			unsigned long long start;
			unsigned long long end;
			char	   *endp;

			p++;
			if (!isdigit((unsigned char) *p))
			{
				snprintf(err, errlen, "invalid GTID interval near \"%.40s\" (tagged GTIDs are not supported)", p);
				free(buf);
				return NULL;
			}
			start = strtoull(p, &endp, 10);
			end = start;
			p = endp;
			if (*p == '-')
			{
				end = strtoull(p + 1, &endp, 10);
				if (endp == p + 1 || end < start)
				{
					snprintf(err, errlen, "invalid GTID interval near \"%.40s\"", p);
					free(buf);
					return NULL;
				}
				p = endp;
			}
			if (pos + 16 > cap)
				goto overflow;
			put_le64(buf + pos, start);
			put_le64(buf + pos + 8, end + 1);
			pos += 16;
			nint++;
		}
		put_le64(buf + count_pos, nint);
		nsids++;
	}
	put_le64(buf, nsids);
	*len = pos;
	return buf;

overflow:
	snprintf(err, errlen, "GTID set too long");
	free(buf);
	return NULL;
}

/* Registers us as a replica with our server id (COM_REGISTER_SLAVE). */
static bool
register_replica(CblStream *s, const CblStreamConfig *c)
{
	uint8_t		buf[18];

	/* server id, empty host, user and password, port 0, rank 0, master 0 */
	memset(buf, 0, sizeof(buf));
	put_le32(buf, c->server_id);
	if (s->mysql->methods->db_command(s->mysql,
									  (enum enum_server_command) CMD_REGISTER_SLAVE,
									  (const char *) buf, sizeof(buf), 0, NULL) != 0)
	{
		set_mysql_error(s, "registering as a replica");
		return false;
	}
	return true;
}

/* Sends COM_BINLOG_DUMP or COM_BINLOG_DUMP_GTID; events follow. */
static bool
request_dump(CblStream *s, const CblStreamConfig *c)
{
	uint16_t	flags = c->non_blocking ? DUMP_NON_BLOCK : 0;
	const char *file = c->start_file ? c->start_file : "";
	uint64_t	pos = c->start_pos ? c->start_pos : 4;
	uint8_t    *buf;
	size_t		len;
	int			rc;
	enum enum_server_command cmd;

	if (c->start_gtid && c->start_gtid[0] && !s->mariadb)
	{
		size_t		gtid_len;
		uint8_t    *gtid = encode_mysql_gtid_set(c->start_gtid, &gtid_len,
												 s->error, sizeof(s->error));

		if (gtid == NULL)
			return false;
		len = 2 + 4 + 4 + 0 + 8 + 4 + gtid_len;
		buf = malloc(len);
		if (buf == NULL)
		{
			free(gtid);
			snprintf(s->error, sizeof(s->error), "out of memory");
			return false;
		}
		put_le16(buf, (uint16_t) (flags | DUMP_THROUGH_GTID));
		put_le32(buf + 2, c->server_id);
		put_le32(buf + 6, 0);	/* no file name: the GTID set decides */
		put_le64(buf + 10, 4);
		put_le32(buf + 18, (uint32_t) gtid_len);
		memcpy(buf + 22, gtid, gtid_len);
		free(gtid);
		cmd = (enum enum_server_command) CMD_BINLOG_DUMP_GTID;
	}
	else
	{
		size_t		flen = strlen(file);

		if (c->start_gtid && c->start_gtid[0])
		{
			/* MariaDB: @slave_connect_state decides, the file is ignored */
			flen = 0;
			pos = 4;
		}
		if (pos > UINT32_MAX)
		{
			snprintf(s->error, sizeof(s->error),
					 "binlog position %llu does not fit COM_BINLOG_DUMP",
					 (unsigned long long) pos);
			return false;
		}
		len = 4 + 2 + 4 + flen;
		buf = malloc(len);
		if (buf == NULL)
		{
			snprintf(s->error, sizeof(s->error), "out of memory");
			return false;
		}
		put_le32(buf, (uint32_t) pos);
		put_le16(buf + 4, flags);
		put_le32(buf + 6, c->server_id);
		memcpy(buf + 10, file, flen);
		cmd = (enum enum_server_command) CMD_BINLOG_DUMP;
	}

	/* skip_check: the answer is the event stream, read by cbl_stream_next */
	rc = s->mysql->methods->db_command(s->mysql, cmd, (const char *) buf, len, 1, NULL);
	free(buf);
	if (rc != 0)
	{
		set_mysql_error(s, "requesting the binlog dump");
		return false;
	}
	return true;
}

/* Sets the session variables the dump needs. */
static bool
setup_session(CblStream *s, const CblStreamConfig *c)
{
	char		value[256];
	char		sql[1024];
	unsigned long long period_ns;

	s->mariadb = strstr(mysql_get_server_info(s->mysql), "MariaDB") != NULL;

	if (!query_value(s, "SELECT @@global.binlog_checksum", value, sizeof(value),
					 "reading binlog_checksum"))
		return false;
	s->checksum = value[0] != '\0' && strcasecmp(value, "NONE") != 0;
	if (!run_sql(s, "SET @master_binlog_checksum = @@global.binlog_checksum, "
				 "@source_binlog_checksum = @@global.binlog_checksum",
				 "announcing checksum support"))
		return false;

	period_ns = (unsigned long long) (c->heartbeat_ms ? c->heartbeat_ms : 1000) * 1000000ULL;
	snprintf(sql, sizeof(sql), "SET @master_heartbeat_period = %llu", period_ns);
	if (!run_sql(s, sql, "setting the heartbeat period"))
		return false;

	if (s->mariadb)
	{
		if (!run_sql(s, "SET @mariadb_slave_capability = 4",
					 "announcing GTID support"))
			return false;
		if (c->start_gtid && c->start_gtid[0])
		{
			char		escaped[512];
			size_t		glen = strlen(c->start_gtid);

			if (glen * 2 + 1 > sizeof(escaped))
			{
				snprintf(s->error, sizeof(s->error), "GTID position too long");
				return false;
			}
			mysql_real_escape_string(s->mysql, escaped, c->start_gtid, (unsigned long) glen);
			snprintf(sql, sizeof(sql),
					 "SET @slave_connect_state = '%s', @slave_gtid_strict_mode = 0, "
					 "@slave_gtid_ignore_duplicates = 0", escaped);
			if (!run_sql(s, sql, "setting the GTID start position"))
				return false;
		}
	}
	return true;
}

/* See stream.h. */
CblStream *
cbl_stream_open(const CblStreamConfig *c, char *errbuf, size_t errlen,
				unsigned int *server_errno)
{
	CblStream  *s;
	unsigned int connect_timeout = c->connect_timeout ? c->connect_timeout : 10;
	unsigned int read_timeout = c->read_timeout ? c->read_timeout : 30;
	unsigned int packet_timeout = c->packet_timeout && c->packet_timeout < read_timeout
		? c->packet_timeout : read_timeout;
	unsigned long max_packet = 1024UL * 1024 * 1024;
	unsigned int no_local_infile = 0;

	if (server_errno)
		*server_errno = 0;
	if (c->user == NULL || c->user[0] == '\0' || c->server_id == 0)
	{
		snprintf(errbuf, errlen, "a user and a non-zero server id are required");
		return NULL;
	}
	s = calloc(1, sizeof(CblStream));
	if (s == NULL || (s->mysql = mysql_init(NULL)) == NULL)
	{
		free(s);
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	s->read_timeout = read_timeout;
	s->wait_ms = c->wait_ms;
	mysql_optionsv(s->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
	mysql_optionsv(s->mysql, MYSQL_OPT_READ_TIMEOUT, &packet_timeout);
	mysql_optionsv(s->mysql, MYSQL_OPT_WRITE_TIMEOUT, &packet_timeout);
	mysql_optionsv(s->mysql, MYSQL_SET_CHARSET_NAME, c->charset ? c->charset : "utf8mb4");
	mysql_optionsv(s->mysql, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
	/* libmariadb reads this option as an unsigned int */
	mysql_optionsv(s->mysql, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
	if (c->allowed_auth != NULL)
	{
		mysql_optionsv(s->mysql, MARIADB_OPT_RESTRICTED_AUTH, c->allowed_auth);
		mysql_optionsv(s->mysql, MYSQL_DEFAULT_AUTH, "mysql_native_password");
	}
	if (c->open_io_wait != NULL)
		mysql_optionsv(s->mysql, MARIADB_OPT_IO_WAIT, c->open_io_wait);

	if (!apply_ssl(s, c))
		goto fail;
	/* "" and not NULL: libmariadb would take NULL from MYSQL_PWD */
	if (mysql_real_connect(s->mysql, c->host ? c->host : "127.0.0.1", c->user,
						   c->password ? c->password : "", NULL,
						   c->port ? c->port : 3306, NULL, 0) == NULL)
	{
		set_mysql_error(s, "connecting");
		goto fail;
	}
	if (!setup_session(s, c) || !register_replica(s, c) || !request_dump(s, c))
		goto fail;
	if (c->open_io_wait != NULL)
		mysql_optionsv(s->mysql, MARIADB_OPT_IO_WAIT, (void *) NULL);
	s->last_data_ms = now_ms();
	return s;

fail:
	snprintf(errbuf, errlen, "%s", s->error);
	if (server_errno)
		*server_errno = s->err_no;
	cbl_stream_close(s);
	return NULL;
}

/* Whether libmariadb holds bytes it read ahead (an event may be there). */
static bool
stream_buffered(const CblStream *s)
{
	const MARIADB_PVIO *pvio = s->mysql->net.pvio;

	return pvio != NULL && pvio->cache != NULL &&
		pvio->cache_pos < pvio->cache + pvio->cache_size;
}

/* Records that nothing came for read_timeout seconds. */
static void
set_timed_out(CblStream *s)
{
	s->err_no = 0;
	s->timed_out = true;
	snprintf(s->error, sizeof(s->error),
			 "reading the binlog stream: nothing received from the server for %u s",
			 s->read_timeout);
}

/*
 * Waits for the next event to begin: 1 when there is something to read,
 * 0 when wait_ms passed (or a signal came) first, -1 when the connection
 * is lost (read_timeout without any byte, or poll failed).
 */
static int
wait_for_data(CblStream *s)
{
	int			fd;

	if (stream_buffered(s))
		return 1;
	fd = (int) mysql_get_socket(s->mysql);
	for (;;)
	{
		uint64_t	limit = (uint64_t) s->read_timeout * 1000;
		uint64_t	idle = now_ms() - s->last_data_ms;
		uint64_t	slice;
		struct pollfd p;
		int			rc;

		if (idle >= limit)
		{
			set_timed_out(s);
			return -1;
		}
		slice = limit - idle;
		if (s->wait_ms > 0 && s->wait_ms < slice)
			slice = s->wait_ms;
		if (slice > POLL_MAX_MS)
			slice = POLL_MAX_MS;
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		rc = poll(&p, 1, (int) slice);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
		{
			s->err_no = 0;
			snprintf(s->error, sizeof(s->error), "waiting for the binlog stream: %s",
					 strerror(errno));
			return -1;
		}
		if (s->wait_ms > 0)
		{
			if (now_ms() - s->last_data_ms >= limit)
			{
				set_timed_out(s);
				return -1;
			}
			return 0;
		}
	}
}

/* See stream.h. */
void
cbl_stream_set_read_timeout(CblStream *s, unsigned int seconds)
{
	if (s != NULL && seconds > 0)
		s->read_timeout = seconds;
}

/* See stream.h. */
bool
cbl_stream_timed_out(const CblStream *s)
{
	return s->timed_out;
}

/* See stream.h. */
CblStreamStatus
cbl_stream_next(CblStream *s, const uint8_t **event, size_t *len)
{
	unsigned long n;
	const uint8_t *pkt;
	int			ready;

	s->timed_out = false;
	ready = wait_for_data(s);
	if (ready < 0)
		return CBL_STREAM_ERROR;
	if (ready == 0)
		return CBL_STREAM_IDLE;
	n = mysql_net_read_packet(s->mysql);
	if (n == READ_ERROR || n == 0)
	{
		set_mysql_error(s, "reading the binlog stream");
		return CBL_STREAM_ERROR;
	}
	s->last_data_ms = now_ms();
	pkt = s->mysql->net.read_pos;
	if (pkt[0] == 0xFE && n < 9)
		return CBL_STREAM_END;
	if (pkt[0] == 0xFF)
	{
		/* normally reported by the library already; decode it if not */
		s->err_no = n >= 3 ? (unsigned int) (pkt[1] | (pkt[2] << 8)) : 0;
		if (n > 9 && pkt[3] == '#')
			snprintf(s->error, sizeof(s->error), "reading the binlog stream: %.*s",
					 (int) (n - 9), (const char *) pkt + 9);
		else
			snprintf(s->error, sizeof(s->error), "reading the binlog stream: %.*s",
					 (int) (n > 3 ? n - 3 : 0), (const char *) pkt + 3);
		return CBL_STREAM_ERROR;
	}
	if (pkt[0] != 0x00)
	{
		s->err_no = 0;
		snprintf(s->error, sizeof(s->error),
				 "reading the binlog stream: unexpected packet header 0x%02x", pkt[0]);
		return CBL_STREAM_ERROR;
	}
	*event = pkt + 1;
	*len = n - 1;
	return CBL_STREAM_EVENT;
}

/* See stream.h. */
const char *
cbl_stream_error(const CblStream *s)
{
	return s->error;
}

/* See stream.h. */
unsigned int
cbl_stream_errno(const CblStream *s)
{
	return s->err_no;
}

/* See stream.h. */
bool
cbl_stream_is_mariadb(const CblStream *s)
{
	return s->mariadb;
}

/* See stream.h. */
bool
cbl_stream_has_checksum(const CblStream *s)
{
	return s->checksum;
}

/* See stream.h. */
void
cbl_stream_close(CblStream *s)
{
	if (s == NULL)
		return;
	if (s->mysql)
		mysql_close(s->mysql);
	free(s);
}
