/*-------------------------------------------------------------------------
 *
 * stream.h
 *	  The binlog network client: connects to a MySQL or MariaDB server with
 *	  libmariadb, registers as a replica and hands over the binlog events the
 *	  server sends, one raw event (header and body, exactly as in a binlog
 *	  file after the magic) at a time.  Decoding is the decoder's job.
 *
 *	  Pure C11 and libmariadb; no PostgreSQL headers.  Waiting for the next
 *	  event is bounded by wait_ms (the call returns CBL_STREAM_IDLE and the
 *	  connection stays), and the server is asked for heartbeats more often
 *	  than read_timeout: the connection counts as lost only when no byte at
 *	  all (not even a heartbeat) arrived for read_timeout seconds.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CBL_STREAM_H
#define CBL_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where and how to connect, and where to start reading. */
typedef struct CblStreamConfig
{
	const char *host;			/* default 127.0.0.1 */
	unsigned int port;			/* default 3306 */
	const char *user;
	const char *password;		/* may be NULL */
	const char *charset;		/* default utf8mb4 */
	unsigned int connect_timeout;	/* seconds, default 10 */
	/* seconds without any byte before the connection counts as lost */
	unsigned int read_timeout;	/* default 30 */

	/*
	 * Longest wait of one cbl_stream_next() for an event to begin, in
	 * milliseconds; then it returns CBL_STREAM_IDLE (0: wait up to
	 * read_timeout).  A signal ends the wait early, also with IDLE.
	 */
	unsigned int wait_ms;

	/*
	 * Seconds one network read may block once an event has begun to
	 * arrive, and for the answers of the setup queries (default and most:
	 * read_timeout).  libmariadb drops the connection when it expires.
	 */
	unsigned int packet_timeout;
	/* heartbeat period asked of the server, in milliseconds (default 1000) */
	unsigned int heartbeat_ms;
	const char *ssl_mode;		/* disabled, preferred, required, verify_ca,
								 * verify_identity; NULL: library default */
	const char *ssl_ca;
	const char *ssl_cert;
	const char *ssl_key;
	uint32_t	server_id;		/* our replica server id, must be non-zero */
	/* start position: a file and offset, or a GTID set */
	const char *start_file;		/* NULL or "": the server's first binlog */
	uint64_t	start_pos;		/* default 4 */
	const char *start_gtid;		/* MariaDB "0-1-100,1-2-7"; MySQL
								 * "uuid:1-5:7,uuid2:1-3" */
	bool		non_blocking;	/* stop at the end of the last binlog */

	/*
	 * Authentication plugins the server may ask for, comma-separated
	 * (libmariadb's restricted_auth); NULL: any.  Also makes
	 * mysql_native_password the first one tried.
	 */
	const char *allowed_auth;

	/*
	 * Called instead of poll() while the stream is being opened (connect,
	 * TLS, authentication, session setup, dump request): wait for fd to be
	 * readable (is_read) or writable; return 1 when it is, 0 on timeout,
	 * -1 to give up (the open then fails).  NULL: libmariadb's own wait.
	 * Reading events afterwards relies on read_timeout and heartbeats.
	 */
	int			(*open_io_wait) (int fd, char is_read, int timeout_ms);
} CblStreamConfig;

/* What cbl_stream_next() produced. */
typedef enum CblStreamStatus
{
	CBL_STREAM_EVENT = 0,		/* *event holds one event */
	CBL_STREAM_END,				/* end of the binlogs (non_blocking only) */
	CBL_STREAM_ERROR,			/* see cbl_stream_error() */
	CBL_STREAM_IDLE				/* nothing within wait_ms (or a signal): call
								 * again */
} CblStreamStatus;

typedef struct CblStream CblStream;

/*
 * Connects, sets the session up for replication, registers and asks for
 * the dump.  Returns NULL on failure with a message in errbuf (never the
 * password); *server_errno gets the MySQL error number when there is one.
 */
extern CblStream *cbl_stream_open(const CblStreamConfig *config,
								  char *errbuf, size_t errlen,
								  unsigned int *server_errno);

/*
 * Reads the next event.  The pointer stays valid until the next call.
 * Waits at most wait_ms for an event to begin (then CBL_STREAM_IDLE); a
 * silent server still sends heartbeat events every heartbeat_ms.  When no
 * byte arrived for read_timeout seconds: CBL_STREAM_ERROR.
 */
extern CblStreamStatus cbl_stream_next(CblStream *stream,
									   const uint8_t **event, size_t *len);

/*
 * Changes read_timeout of an open stream (seconds, at least 1); the time
 * since the last byte counts against the new value at once.
 */
extern void cbl_stream_set_read_timeout(CblStream *stream, unsigned int seconds);

/* The last error's message (the server's text verbatim) and number. */
extern const char *cbl_stream_error(const CblStream *stream);
extern unsigned int cbl_stream_errno(const CblStream *stream);

/* True when the last error was read_timeout seconds without any byte. */
extern bool cbl_stream_timed_out(const CblStream *stream);

/* True when the server is MariaDB (GTIDs domain-server-seqno). */
extern bool cbl_stream_is_mariadb(const CblStream *stream);

/* The server's binlog_checksum setting was CRC32 (events carry 4 bytes). */
extern bool cbl_stream_has_checksum(const CblStream *stream);

/* Closes the connection and frees the stream (NULL is allowed). */
extern void cbl_stream_close(CblStream *stream);

#endif							/* CBL_STREAM_H */
