/*-------------------------------------------------------------------------
 *
 * mysql_client.c
 *	  Client connections to a MySQL/MariaDB source through libmariadb, for
 *	  the initial copy and metadata queries.  Every call that can block is
 *	  bounded by connect/read/write timeouts, so a silent server cannot
 *	  keep a worker from reaching CHECK_FOR_INTERRUPTS for long.  The copy's
 *	  connections read with the source's net_read_timeout (and set it as
 *	  the session's net_read_timeout on the server, as pg_chameleon does).
 *
 *	  Error messages name the server and user, never the password.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/ipc.h"

#include "mysql_client.h"

/* seconds a single network write of the copy's connections may block */
#define CHAMELEON_MYSQL_WRITE_TIMEOUT 600

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
 * Connects for the given purpose ("initial copy"...), reads bounded by
 * the source's net_read_timeout; ERROR on failure.
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
	MYSQL	   *conn = mysql_init(NULL);
	unsigned int ctimeout = (unsigned int) (conf->connect_timeout > 0 ? conf->connect_timeout : 10);
	unsigned int rtimeout = read_timeout;
	unsigned int wtimeout = write_timeout;
	my_bool		off = 0;

	if (conn == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while connecting to MySQL")));
	mysql_optionsv(conn, MYSQL_OPT_CONNECT_TIMEOUT, &ctimeout);
	mysql_optionsv(conn, MYSQL_OPT_READ_TIMEOUT, &rtimeout);
	mysql_optionsv(conn, MYSQL_OPT_WRITE_TIMEOUT, &wtimeout);
	mysql_optionsv(conn, MYSQL_SET_CHARSET_NAME, conf->charset ? conf->charset : "utf8mb4");
	mysql_optionsv(conn, MYSQL_OPT_LOCAL_INFILE, &off);
	mysql_optionsv(conn, MYSQL_READ_DEFAULT_GROUP, "chameleon-no-such-group");
	set_ssl_options(conn, conf);

	if (mysql_real_connect(conn, conf->host, conf->user, conf->password, NULL,
						   (unsigned int) conf->port, NULL, 0) == NULL)
	{
		char	   *msg = pstrdup(mysql_error(conn));
		unsigned int code = mysql_errno(conn);

		mysql_close(conn);
		ereport(ERROR,
				(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 errmsg("could not connect to MySQL server %s:%d as \"%s\" for the %s of source \"%s\": %s",
						conf->host, conf->port, conf->user ? conf->user : "",
						purpose, conf->name, msg),
				 errdetail("MySQL error %u.", code),
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
