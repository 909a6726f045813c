/*-------------------------------------------------------------------------
 *
 * mysql_client.h
 *	  The extension's MySQL/MariaDB client connections (libmariadb): connect
 *	  with a source's db_conn settings, run statements, quote names, all
 *	  failures reported with ereport and never with the password.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_MYSQL_CLIENT_H
#define CHAMELEON_MYSQL_CLIENT_H

#include "source_conf.h"

/*
 * libmariadb's ma_list.h declares list_length(), list_free()... which
 * PostgreSQL's pg_list.h defines differently: rename them while mysql.h
 * is read.  Include mysql.h through this header only.
 */
#define list_add ma_list_add
#define list_delete ma_list_delete
#define list_free ma_list_free
#define list_length ma_list_length
#define list_cons ma_list_cons
#define list_reverse ma_list_reverse
#define list_walk ma_list_walk
#include <mysql.h>
#undef list_add
#undef list_delete
#undef list_free
#undef list_length
#undef list_cons
#undef list_reverse
#undef list_walk

/*
 * libmariadb's socket wait (MARIADB_OPT_IO_WAIT): waits for fd on the
 * process latch too; returns 1 when ready, 0 on timeout (timeout_ms <= 0:
 * none), -1 when an interrupt (termination, cancel) or postmaster death
 * ends the call, so that the library call fails and the caller reaches
 * CHECK_FOR_INTERRUPTS.  Never raises an error itself.
 */
extern int	chameleon_mysql_io_wait(int fd, char is_read, int timeout_ms);

/*
 * The authentication plugins a connection with these settings may use
 * (MARIADB_OPT_RESTRICTED_AUTH), or NULL for any: without required TLS
 * only those that never hand the password to the server.
 */
extern const char *chameleon_mysql_allowed_auth(const ChameleonSourceConf *conf);

/*
 * Connects for the given purpose ("initial copy"...), network reads
 * bounded by the source's net_read_timeout; ERROR on failure.
 */
extern MYSQL *chameleon_mysql_connect(const ChameleonSourceConf *conf,
									  const char *purpose);

/* The same with network reads and writes bounded by io_timeout seconds. */
extern MYSQL *chameleon_mysql_connect_timeout(const ChameleonSourceConf *conf,
											  const char *purpose,
											  unsigned int io_timeout);

/* Closes *connp (if open) when the process exits. */
extern void chameleon_mysql_close_at_exit(MYSQL **connp);

/* Runs a statement that returns no rows; ERROR on failure. */
extern void chameleon_mysql_exec(MYSQL *conn, const char *sql);

/* Runs a query and stores its whole (small) result; ERROR on failure. */
extern MYSQL_RES *chameleon_mysql_query(MYSQL *conn, const char *sql);

/* Runs a query whose rows are streamed with mysql_fetch_row; ERROR on failure. */
extern MYSQL_RES *chameleon_mysql_stream(MYSQL *conn, const char *sql);

/* Raises the connection's current error as a PostgreSQL ERROR. */
extern void chameleon_mysql_error(MYSQL *conn, const char *what) pg_attribute_noreturn();

/* `name` quoted as a MySQL identifier (palloc'd). */
extern char *chameleon_mysql_ident(const char *name);

/* 'text' quoted as a MySQL string literal (palloc'd). */
extern char *chameleon_mysql_literal(MYSQL *conn, const char *text);

#endif							/* CHAMELEON_MYSQL_CLIENT_H */
