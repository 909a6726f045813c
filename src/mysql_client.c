/*-------------------------------------------------------------------------
 *
 * mysql_client.c
 *	  Client connections to a MySQL/MariaDB source through libmariadb, for
 *	  the initial copy and metadata queries.  The copy's connections read
 *	  with the source's net_read_timeout (and set it as the session's
 *	  net_read_timeout on the server, as pg_chameleon does).
 *
 *	  Waiting.  Every wait of libmariadb for its socket (connect, TLS,
 *	  authentication, queries, row fetches, also those the callers make
 *	  with the library directly) goes through chameleon_mysql_io_wait
 *	  (MARIADB_OPT_IO_WAIT), which waits on the process latch as well: a
 *	  stop_replica, pg_terminate_backend or pg_cancel_backend ends the wait
 *	  at once, the library call fails, and the error path reaches
 *	  CHECK_FOR_INTERRUPTS before anything else.  A server that accepts
 *	  and never answers cannot hold a worker for longer than that.
 *
 *	  What the server may make us do.  No option file is read (no
 *	  MYSQL_READ_DEFAULT_FILE/GROUP: libmariadb would read [client] groups
 *	  of /etc/mysql and ~/.my.cnf of the server's OS account), LOAD DATA
 *	  LOCAL INFILE requests are refused, and unless TLS is required the
 *	  only authentication plugins allowed are those that never hand the
 *	  password to the server (mysql_native_password, client_ed25519):
 *	  mysql_clear_password and dialog send it in clear, and
 *	  caching_sha2_password / sha256_password without TLS encrypt it with
 *	  an RSA key the server itself sends.  An empty password is passed as
 *	  "", never NULL, so libmariadb does not take MYSQL_PWD from the
 *	  server's environment.
 *
 *	  Error messages name the server and user, never the password.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/procsignal.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "mysql_client.h"
#include "source_password.h"

/*
 * Seconds a single network write may wait for the server before the
 * connection counts as lost (reads: the source's net_read_timeout); waits
 * are interruptible anyway.
 */
#define CHAMELEON_MYSQL_WRITE_TIMEOUT 600

/* authentication plugins allowed on a connection that may not be TLS */
#define CHAMELEON_MYSQL_SAFE_AUTH "mysql_native_password,client_ed25519"

/* libmariadb's error for an authentication plugin outside the allowed list */
#ifndef CR_PLUGIN_NOT_ALLOWED
#define CR_PLUGIN_NOT_ALLOWED 5010
#endif

/*
 * Whether a pending interrupt would end the current call: termination or
 * cancellation, when CHECK_FOR_INTERRUPTS would act on it now.
 */
static bool
interrupt_ends_call(void)
{
	if (InterruptHoldoffCount != 0 || CritSectionCount != 0)
		return false;
	return ProcDiePending || (QueryCancelPending && QueryCancelHoldoffCount == 0);
}

/* See mysql_client.h. */
int
chameleon_mysql_io_wait(int fd, char is_read, int timeout_ms)
{
	TimestampTz deadline = 0;

	if (timeout_ms > 0)
		deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	for (;;)
	{
		long		left = -1;
		int			rc;
		int			events;

		/* DROP DATABASE and the like wait for every backend to absorb this */
		if (ProcSignalBarrierPending)
			ProcessProcSignalBarrier();
		if (interrupt_ends_call())
		{
			errno = EINTR;
			return -1;
		}
		if (timeout_ms > 0)
		{
			left = (long) TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
			if (left <= 0)
			{
				errno = ETIMEDOUT;
				return 0;
			}
		}
		events = WL_LATCH_SET | WL_POSTMASTER_DEATH |
			(is_read ? WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE) |
			(left >= 0 ? WL_TIMEOUT : 0);
		rc = WaitLatchOrSocket(MyLatch, events, fd, left, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
		if (rc & WL_POSTMASTER_DEATH)
		{
			errno = EINTR;
			return -1;
		}
		if (rc & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE))
			return 1;
	}
}

/* See mysql_client.h. */
const char *
chameleon_mysql_allowed_auth(const ChameleonSourceConf *conf)
{
	const char *mode = conf->ssl_mode;

	if (mode != NULL &&
		(strcmp(mode, "required") == 0 || strcmp(mode, "verify_ca") == 0 ||
		 strcmp(mode, "verify_identity") == 0))
		return NULL;
	return CHAMELEON_MYSQL_SAFE_AUTH;
}

/* Maps SPEC's ssl_mode to libmariadb options. */
static void
set_ssl_options(MYSQL *conn, const ChameleonSourceConf *conf)
{
	my_bool		on = 1;
	my_bool		off = 0;
	const char *mode = conf->ssl_mode;

	if (conf->ssl_ca || conf->ssl_cert || conf->ssl_key)
		mysql_ssl_set(conn, conf->ssl_key, conf->ssl_cert, conf->ssl_ca, NULL, NULL);
	if (mode == NULL || strcmp(mode, "disabled") == 0)
		return;
	if (strcmp(mode, "preferred") == 0)
		return;
	mysql_optionsv(conn, MYSQL_OPT_SSL_ENFORCE, &on);
	if (strcmp(mode, "verify_ca") == 0 || strcmp(mode, "verify_identity") == 0)
		mysql_optionsv(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
	else
		mysql_optionsv(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
}

static MYSQL *connect_with(const ChameleonSourceConf *conf, const char *purpose,
							unsigned int read_timeout, unsigned int write_timeout);

/*
 * Connects for the given purpose ("initial copy"...), network reads
 * bounded by the source's net_read_timeout, which is also set as the
 * session's on the server (as pg_chameleon does); ERROR on failure.
 */
MYSQL *
chameleon_mysql_connect(const ChameleonSourceConf *conf, const char *purpose)
{
	unsigned int timeout = (unsigned int) (conf->net_read_timeout > 0 ? conf->net_read_timeout : 600);
	MYSQL	   *conn = connect_with(conf, purpose, timeout, CHAMELEON_MYSQL_WRITE_TIMEOUT);
	char		sql[64];

	snprintf(sql, sizeof(sql), "SET SESSION net_read_timeout = %u", timeout);
	if (mysql_real_query(conn, sql, strlen(sql)) != 0)
	{
		char	   *msg = pstrdup(mysql_error(conn));
		unsigned int code = mysql_errno(conn);

		mysql_close(conn);
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("MySQL error %u while running %s: %s", code, sql, msg),
				 errhint("Check net_read_timeout in the configuration of source \"%s\".",
						 conf->name)));
	}
	return conn;
}

/*
 * Sets every option of a new connection: timeouts, the interruptible wait,
 * character set, TLS, and what the server may not make us do.
 */
static void
set_options(MYSQL *conn, const ChameleonSourceConf *conf, unsigned int read_timeout,
			unsigned int write_timeout)
{
	unsigned int ctimeout = (unsigned int) (conf->connect_timeout > 0 ? conf->connect_timeout : 10);
	unsigned int rtimeout = read_timeout;
	unsigned int wtimeout = write_timeout;
	/* libmariadb reads this option as an unsigned int, not a my_bool */
	unsigned int no_local_infile = 0;
	const char *allowed_auth = chameleon_mysql_allowed_auth(conf);

	mysql_optionsv(conn, MYSQL_OPT_CONNECT_TIMEOUT, &ctimeout);
	mysql_optionsv(conn, MYSQL_OPT_READ_TIMEOUT, &rtimeout);
	mysql_optionsv(conn, MYSQL_OPT_WRITE_TIMEOUT, &wtimeout);
	mysql_optionsv(conn, MARIADB_OPT_IO_WAIT, chameleon_mysql_io_wait);
	mysql_optionsv(conn, MYSQL_SET_CHARSET_NAME, conf->charset ? conf->charset : "utf8mb4");
	mysql_optionsv(conn, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
	if (allowed_auth != NULL)
	{
		mysql_optionsv(conn, MARIADB_OPT_RESTRICTED_AUTH, allowed_auth);
		/* a MySQL 8 greeting names caching_sha2_password: start safe */
		mysql_optionsv(conn, MYSQL_DEFAULT_AUTH, "mysql_native_password");
	}
	set_ssl_options(conn, conf);
}

/*
 * Connects with network reads and writes bounded by io_timeout seconds (a
 * worker that must stop within seconds uses a short one).
 */
MYSQL *
chameleon_mysql_connect_timeout(const ChameleonSourceConf *conf, const char *purpose,
								unsigned int io_timeout)
{
	return connect_with(conf, purpose, io_timeout, io_timeout);
}

/* Connects with these read and write timeouts (seconds); ERROR on failure. */
static MYSQL *
connect_with(const ChameleonSourceConf *conf, const char *purpose,
			 unsigned int read_timeout, unsigned int write_timeout)
{
	MYSQL	   *conn;
	char	   *password;
	MYSQL	   *ok;

	/* before the connection exists: an error here leaks nothing */
	password = chameleon_source_password(conf);
	conn = mysql_init(NULL);
	if (conn == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while connecting to MySQL")));
	set_options(conn, conf, read_timeout, write_timeout);

	ok = mysql_real_connect(conn, conf->host, conf->user ? conf->user : "",
							password, NULL, (unsigned int) conf->port, NULL, 0);
	chameleon_source_password_free(password);
	if (ok == NULL)
	{
		char	   *msg = pstrdup(mysql_error(conn));
		unsigned int code = mysql_errno(conn);

		mysql_close(conn);
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
				(errcode(code == CR_PLUGIN_NOT_ALLOWED ? ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION
						 : ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 errmsg("could not connect to MySQL server %s:%d as \"%s\" for the %s of source \"%s\": %s",
						conf->host, conf->port, conf->user ? conf->user : "",
						purpose, conf->name, msg),
				 errdetail("MySQL error %u.", code),
				 code == CR_PLUGIN_NOT_ALLOWED ?
				 errhint("The server asked for an authentication method that hands the password to the server (mysql_clear_password, dialog, or caching_sha2_password/sha256_password without TLS); chameleon uses those only over TLS: set db_conn.ssl_mode to required, verify_ca or verify_identity, or give the MySQL user mysql_native_password or ed25519.") :
				 errhint("Check db_conn (host, port, user, password) with chameleon.alter_source(), and that the server is reachable.")));
	}
	return conn;
}

/* Raises the connection's current error as a PostgreSQL ERROR. */
void
chameleon_mysql_error(MYSQL *conn, const char *what)
{
	unsigned int code = mysql_errno(conn);
	const char *hint = NULL;

	/* a stop or cancel made the library give up: act on it, not on this */
	CHECK_FOR_INTERRUPTS();
	if (code == 1227 || code == 1044 || code == 1142 || code == 1045)
		hint = "Grant the MySQL user SELECT, RELOAD, REPLICATION CLIENT and REPLICATION SLAVE.";
	else if (code == 2006 || code == 2013)
		hint = "The MySQL server went away; the call can be run again once it is back.";
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("MySQL error %u while running %s: %s", code, what, mysql_error(conn)),
			 hint ? errhint("%s", hint) : 0));
}

/* Runs a statement that returns no rows; ERROR on failure. */
void
chameleon_mysql_exec(MYSQL *conn, const char *sql)
{
	CHECK_FOR_INTERRUPTS();
	if (mysql_real_query(conn, sql, strlen(sql)) != 0)
		chameleon_mysql_error(conn, sql);
	/* discard any result (SHOW ... used as a statement) */
	{
		MYSQL_RES  *res = mysql_store_result(conn);

		if (res)
			mysql_free_result(res);
	}
}

/* Runs a query and stores its whole (small) result; ERROR on failure. */
MYSQL_RES *
chameleon_mysql_query(MYSQL *conn, const char *sql)
{
	MYSQL_RES  *res;

	CHECK_FOR_INTERRUPTS();
	if (mysql_real_query(conn, sql, strlen(sql)) != 0)
		chameleon_mysql_error(conn, sql);
	res = mysql_store_result(conn);
	if (res == NULL)
		chameleon_mysql_error(conn, sql);
	return res;
}

/* Runs a query whose rows are streamed with mysql_fetch_row; ERROR on failure. */
MYSQL_RES *
chameleon_mysql_stream(MYSQL *conn, const char *sql)
{
	MYSQL_RES  *res;

	CHECK_FOR_INTERRUPTS();
	if (mysql_real_query(conn, sql, strlen(sql)) != 0)
		chameleon_mysql_error(conn, sql);
	res = mysql_use_result(conn);
	if (res == NULL)
		chameleon_mysql_error(conn, sql);
	return res;
}

/* `name` quoted as a MySQL identifier (palloc'd). */
char *
chameleon_mysql_ident(const char *name)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '`');
	for (const char *p = name; *p; p++)
	{
		if (*p == '`')
			appendStringInfoChar(&buf, '`');
		appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '`');
	return buf.data;
}

/* 'text' quoted as a MySQL string literal (palloc'd). */
char *
chameleon_mysql_literal(MYSQL *conn, const char *text)
{
	size_t		len = strlen(text);
	char	   *out = palloc(len * 2 + 3);
	unsigned long n;

	out[0] = '\'';
	n = mysql_real_escape_string(conn, out + 1, text, (unsigned long) len);
	out[n + 1] = '\'';
	out[n + 2] = '\0';
	return out;
}

/* before_shmem_exit callback: closes the connection *arg points to, if open. */
static void
close_at_exit_cb(int code, Datum arg)
{
	MYSQL	  **connp = (MYSQL **) DatumGetPointer(arg);

	if (*connp != NULL)
	{
		mysql_close(*connp);
		*connp = NULL;
	}
}

/*
 * Makes sure the connection kept in *connp (a static of the caller) is
 * closed when the process exits, whatever ends it: MySQL then sees a clean
 * quit rather than an aborted connection.
 */
void
chameleon_mysql_close_at_exit(MYSQL **connp)
{
	before_shmem_exit(close_at_exit_cb, PointerGetDatum(connp));
}
