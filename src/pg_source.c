/*-------------------------------------------------------------------------
 *
 * pg_source.c
 *	  init_replica() and copy_schema() for sources of type "pgsql": the
 *	  tables of another PostgreSQL database, read through libpq in one
 *	  REPEATABLE READ snapshot, created here from what the source's
 *	  catalogue says (pg_source_ddl.c) and streamed with COPY ... TO STDOUT
 *	  straight into COPY FROM in this server, as pg_chameleon does.  There
 *	  is no change stream for this source type.
 *
 *	  The source server is not trusted.  Nothing it sends is executed as
 *	  SQL (pg_source_ddl.c rebuilds every statement from names, local type
 *	  OIDs and constants), every wait for it is on the process latch too
 *	  (libpq in non-blocking mode), so stop and terminate requests act at
 *	  once, and the notices it sends are not copied into the log.  As
 *	  postgres_fdw's password_required: for an owner that is not a
 *	  superuser the connection must carry a password and the server must
 *	  have asked for it, so that this server's own trust, peer or
 *	  certificate authentication is never lent to the owner.
 *
 *	  The data of a table is copied in bounded local transactions (a
 *	  commit every PG_SOURCE_XACT_ROWS rows or PG_SOURCE_XACT_BYTES bytes)
 *	  rather than one per table; the loading schema is dropped anyway if
 *	  the copy fails.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "commands/copy.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "catalog.h"
#include "ddl/cddl.h"
#include "names.h"
#include "pg_source.h"
#include "pg_source_internal.h"
#include "source_password.h"
#include "worker_util.h"

/* a local transaction of the copy ends after this many rows or bytes */
#define PG_SOURCE_XACT_ROWS		100000
#define PG_SOURCE_XACT_BYTES	(64 * 1024 * 1024)

static PGconn *src_conn = NULL;

/* the COPY data the callback hands out: one row of the source at a time */
static char *copy_row = NULL;
static int	copy_row_len = 0;
static int	copy_row_pos = 0;
static bool copy_ended = false;
static uint64 batch_rows = 0;
static uint64 batch_bytes = 0;

/* Closes the source connection at exit. */
static void
pg_source_close(int code, Datum arg)
{
	if (src_conn != NULL)
	{
		PQfinish(src_conn);
		src_conn = NULL;
	}
}

/* Raises the source connection's error. */
static void
pg_source_error(const char *what) pg_attribute_noreturn();
static void
pg_source_error(const char *what)
{
	char	   *msg = pchomp(PQerrorMessage(src_conn));

	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("PostgreSQL source error while %s: %s", what, msg)));
}

/* Notices of the source server: kept out of the log (it writes them). */
static void
src_notice(void *arg, const char *message)
{
	ereport(DEBUG1,
			(errmsg_internal("notice from the PostgreSQL source: %.200s", message)));
}

/*
 * Waits until the source's socket is ready for io (WL_SOCKET_* flags), the
 * latch is set or the deadline (0: none) passes; acts on interrupts.
 * Returns the events that happened.
 */
static int
src_wait(PGconn *conn, int io, TimestampTz deadline, const char *doing)
{
	long		timeout = -1;
	int			rc;

	if (deadline != 0)
	{
		timeout = (long) TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (timeout <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					 errmsg("timeout while %s", doing),
					 errhint("Check that the server is reachable, or raise db_conn.connect_timeout.")));
	}
	rc = WaitLatchOrSocket(MyLatch,
						   WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | io |
						   (deadline != 0 ? WL_TIMEOUT : 0),
						   PQsocket(conn), timeout, PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
		ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
	return rc;
}

/* Waits until libpq has a whole result to hand out. */
static void
src_wait_result(PGconn *conn, const char *doing)
{
	while (PQisBusy(conn))
	{
		src_wait(conn, WL_SOCKET_READABLE, 0, doing);
		if (!PQconsumeInput(conn))
			pg_source_error(doing);
	}
}

/* Sends what libpq buffered for the server, interruptibly. */
static void
src_flush(PGconn *conn, const char *doing)
{
	for (;;)
	{
		int			r = PQflush(conn);

		if (r == 0)
			return;
		if (r < 0)
			pg_source_error(doing);
		if (src_wait(conn, WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE, 0, doing) &
			WL_SOCKET_READABLE)
		{
			if (!PQconsumeInput(conn))
				pg_source_error(doing);
		}
	}
}

/*
 * Collects the results of the command sent last: returns the first error,
 * a COPY OUT (the caller reads the data), or else the last result.
 */
static PGresult *
src_results(PGconn *conn, const char *doing)
{
	PGresult   *keep = NULL;

	for (;;)
	{
		PGresult   *res;
		ExecStatusType st;

		src_wait_result(conn, doing);
		res = PQgetResult(conn);
		if (res == NULL)
			break;
		st = PQresultStatus(res);
		if (st == PGRES_COPY_OUT)
		{
			if (keep != NULL)
				PQclear(keep);
			return res;
		}
		if (keep != NULL && PQresultStatus(keep) == PGRES_FATAL_ERROR)
			PQclear(res);
		else
		{
			if (keep != NULL)
				PQclear(keep);
			keep = res;
		}
	}
	return keep;
}

/* See pg_source_internal.h. */
PGresult *
pg_source_query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res;
	ExecStatusType st;

	CHECK_FOR_INTERRUPTS();
	/* without parameters, the simple protocol: several statements may go */
	if (!(nparams == 0 ? PQsendQuery(conn, sql) :
		  PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0)))
		pg_source_error(sql);
	src_flush(conn, sql);
	res = src_results(conn, sql);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
	{
		char	   *msg = pchomp(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));

		if (res != NULL)
			PQclear(res);
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("PostgreSQL source error while running %s: %s", sql, msg)));
	}
	return res;
}

/* libpq's sslmode for SPEC's ssl_mode (NULL: libpq's default). */
static const char *
libpq_sslmode(const char *mode)
{
	static const char *const map[][2] = {
		{"disabled", "disable"},
		{"preferred", "prefer"},
		{"required", "require"},
		{"verify_ca", "verify-ca"},
		{"verify_identity", "verify-full"},
	};

	if (mode == NULL)
		return NULL;
	for (size_t i = 0; i < lengthof(map); i++)
		if (strcmp(mode, map[i][0]) == 0)
			return map[i][1];
	elog(ERROR, "unknown ssl_mode \"%s\"", mode);
	return NULL;
}

/* Refuses a connection for an owner that is not a superuser without a password. */
static void
check_password_given(const ChameleonSourceConf *conf)
{
	if (!conf->owner_is_superuser && !chameleon_source_has_password(conf))
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("source \"%s\" of type pgsql needs a password", conf->name),
				 errdetail("Its owner is not a superuser: chameleon connects to a PostgreSQL server for it only with a password the server asks for."),
				 errhint("Give the password with chameleon.alter_source(), or have a superuser own the source.")));
}

/* Connects to the source database with the source's db_conn, interruptibly. */
static void
pg_source_connect(const ChameleonSourceConf *conf)
{
	const char *keys[20];
	const char *vals[20];
	char		port[16];
	char	   *password;
	int			n = 0;
	const char *sslmode = libpq_sslmode(conf->ssl_mode);
	TimestampTz deadline;
	PostgresPollingStatusType status = PGRES_POLLING_WRITING;

	check_password_given(conf);
	password = chameleon_source_password(conf);
	snprintf(port, sizeof(port), "%d", conf->port);
	keys[n] = "host", vals[n++] = conf->host;
	keys[n] = "port", vals[n++] = port;
	keys[n] = "user", vals[n++] = conf->user;
	keys[n] = "password", vals[n++] = password;
	keys[n] = "dbname", vals[n++] = conf->database ? conf->database : "postgres";
	keys[n] = "application_name", vals[n++] = "chameleon";
	/* names and data arrive in this database's encoding */
	keys[n] = "client_encoding", vals[n++] = GetDatabaseEncodingName();
	/* a peer that vanished without a word is noticed within minutes */
	keys[n] = "keepalives_idle", vals[n++] = "60";
	keys[n] = "keepalives_interval", vals[n++] = "10";
	keys[n] = "keepalives_count", vals[n++] = "6";
	if (sslmode != NULL)
		keys[n] = "sslmode", vals[n++] = sslmode;
	if (conf->ssl_ca)
		keys[n] = "sslrootcert", vals[n++] = conf->ssl_ca;
	if (conf->ssl_cert)
		keys[n] = "sslcert", vals[n++] = conf->ssl_cert;
	if (conf->ssl_key)
		keys[n] = "sslkey", vals[n++] = conf->ssl_key;
	keys[n] = NULL, vals[n] = NULL;

	src_conn = PQconnectStartParams(keys, vals, 0);
	chameleon_source_password_free(password);
	if (src_conn == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while connecting to the PostgreSQL source")));
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   (conf->connect_timeout > 0 ? conf->connect_timeout : 10) * 1000);
	while (PQstatus(src_conn) != CONNECTION_BAD &&
		   status != PGRES_POLLING_OK && status != PGRES_POLLING_FAILED)
	{
		int			io = status == PGRES_POLLING_READING ? WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE;

		if (src_wait(src_conn, io, deadline, "connecting to the PostgreSQL source") & io)
			status = PQconnectPoll(src_conn);
	}
	if (PQstatus(src_conn) != CONNECTION_OK)
		ereport(ERROR,
				(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 errmsg("could not connect to PostgreSQL server %s:%d as \"%s\" for the initial copy of source \"%s\": %s",
						conf->host, conf->port, conf->user ? conf->user : "",
						conf->name, pchomp(PQerrorMessage(src_conn))),
				 errhint("Check db_conn (host, port, user, password, database) with chameleon.alter_source().")));
	PQsetNoticeProcessor(src_conn, src_notice, NULL);
	if (!conf->owner_is_superuser && !PQconnectionUsedPassword(src_conn))
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("the PostgreSQL server of source \"%s\" did not ask for the password", conf->name),
				 errdetail("The owner of the source is not a superuser, and a connection that needs no password (trust, peer or certificate authentication) is not used for it."),
				 errhint("Make the server ask this user for a password (md5 or scram-sha-256 in pg_hba.conf).")));
	if (PQsetnonblocking(src_conn, 1) != 0)
		pg_source_error("switching to non-blocking mode");
	/* values printed as this server reads them */
	PQclear(pg_source_query(src_conn,
							"SET datestyle = ISO; SET intervalstyle = postgres;"
							" SET extra_float_digits = 3; SET search_path = pg_catalog",
							0, NULL));
}

/*
 * COPY FROM's data source: the rows of the source's COPY TO STDOUT, one
 * CopyData message (one whole row) at a time.  Ends the current batch
 * (returns 0, end of data for this CopyFrom) at a row boundary once it is
 * large enough; copy_ended tells the true end.
 */
static int
src_copy_cb(void *outbuf, int minread, int maxread)
{
	int			n;

	while (copy_row_pos >= copy_row_len)
	{
		int			len;

		if (copy_row != NULL)
			PQfreemem(copy_row);
		copy_row = NULL;
		copy_row_len = copy_row_pos = 0;
		if (copy_ended || batch_rows >= PG_SOURCE_XACT_ROWS ||
			batch_bytes >= PG_SOURCE_XACT_BYTES)
			return 0;
		len = PQgetCopyData(src_conn, &copy_row, 1);
		if (len > 0)
		{
			copy_row_len = len;
			batch_rows++;
			batch_bytes += len;
			break;
		}
		if (len == 0)
		{
			src_wait(src_conn, WL_SOCKET_READABLE, 0, "reading COPY data");
			if (!PQconsumeInput(src_conn))
				pg_source_error("reading COPY data");
			continue;
		}
		if (len == -1)
		{
			copy_ended = true;
			return 0;
		}
		pg_source_error("reading COPY data");
	}
	n = Min(maxread, copy_row_len - copy_row_pos);
	memcpy(outbuf, copy_row + copy_row_pos, n);
	copy_row_pos += n;
	return n;
}

/* Loads one batch of COPY data into the loading table (in a transaction). */
static uint64
copy_batch(const char *load, const char *stable, List *attnames)
{
	Relation	rel;
	ParseState *pstate;
	CopyFromState cstate;
	uint64		n;

	rel = table_openrv(makeRangeVar(pstrdup(load), pstrdup(stable), -1), RowExclusiveLock);
	pstate = make_parsestate(NULL);
	(void) addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, NULL, false, false);
	batch_rows = batch_bytes = 0;
	cstate = BeginCopyFrom(pstate, rel, NULL, NULL, false, src_copy_cb, attnames, NIL);
	n = CopyFrom(cstate);
	EndCopyFrom(cstate);
	table_close(rel, NoLock);
	return n;
}

/*
 * Streams one source table into its loading table, committing every
 * batch and counting the rows in table_progress.  Returns the row count.
 */
static uint64
copy_table(int32 source_id, const char *target, const char *sschema,
		   const char *stable, const char *load, List *columns)
{
	StringInfoData sql;
	ListCell   *lc;
	List	   *attnames = NIL;
	PGresult   *res;
	uint64		total = 0;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "COPY (SELECT ");
	foreach(lc, columns)
	{
		if (lc != list_head(columns))
			appendStringInfoString(&sql, ", ");
		appendStringInfoString(&sql, quote_identifier((char *) lfirst(lc)));
		attnames = lappend(attnames, makeString((char *) lfirst(lc)));
	}
	appendStringInfo(&sql, " FROM %s) TO STDOUT", chameleon_qualified(sschema, stable));
	if (!PQsendQuery(src_conn, sql.data))
		pg_source_error(sql.data);
	src_flush(src_conn, sql.data);
	res = src_results(src_conn, sql.data);
	if (res == NULL || PQresultStatus(res) != PGRES_COPY_OUT)
	{
		if (res != NULL)
			PQclear(res);
		pg_source_error(sql.data);
	}
	PQclear(res);

	copy_row = NULL;
	copy_row_len = copy_row_pos = 0;
	copy_ended = false;
	while (!copy_ended)
	{
		uint64		n;

		chameleon_xact_begin("chameleon: copy a PostgreSQL table");
		n = copy_batch(load, stable, attnames);
		total += n;
		CAT_RUN("UPDATE chameleon.table_progress SET rows_copied = $4"
				" WHERE source_id = $1 AND schema_name = $2 AND table_name = $3",
				cat_int4(source_id), cat_text(target), cat_text(stable),
				cat_int8((int64) total));
		chameleon_xact_commit();
	}

	/* the end of COPY OUT */
	res = src_results(src_conn, "finishing COPY");
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		if (res != NULL)
			PQclear(res);
		pg_source_error("finishing COPY");
	}
	PQclear(res);
	return total;
}

/* Creates, fills and indexes the loading table of one source table. */
static void
copy_one_table(const ChameleonSourceConf *conf, int32 source_id, bool with_data,
			   const char *sschema, const char *target, const char *load,
			   const char *stable, int64 estimate)
{
	PgSourceTable *desc = pg_source_fetch_table(src_conn, conf->name, sschema, stable);
	StringInfoData create;
	List	   *post = NIL;
	List	   *columns = NIL;
	uint64		rows = 0;
	ListCell   *lc;
	cddl_options fill;
	int			fillfactor;

	/* the table's fillfactor, as for a MySQL source's (source, then global) */
	memset(&fill, 0, sizeof(fill));
	fill.fillfactors = conf->fillfactors;
	fill.nfillfactors = conf->nfillfactors;
	fillfactor = cddl_fillfactor_for(&fill, sschema, stable);

	initStringInfo(&create);
	chameleon_xact_begin("chameleon: create a PostgreSQL table");
	pg_source_table_ddl(desc, load, &create, &post, &columns);
	if (fillfactor > 0)
		appendStringInfo(&create, " WITH (fillfactor = %d)", fillfactor);
	chameleon_target_exec(psprintf("CREATE SCHEMA IF NOT EXISTS %s", quote_identifier(load)));
	chameleon_target_exec(create.data);
	CAT_RUN("INSERT INTO chameleon.table_progress (source_id, schema_name, table_name,"
			"       source_schema, source_table, load_schema, rows_estimated, rows_copied,"
			"       with_data, state, started)"
			" VALUES ($1, $2, $3, $4, $3, $5, $6, 0, $7, 'copying', clock_timestamp())",
			cat_int4(source_id), cat_text(target), cat_text(stable), cat_text(sschema),
			cat_text(load), cat_int8(estimate), cat_bool(with_data));
	chameleon_xact_commit();

	if (with_data)
		rows = copy_table(source_id, target, sschema, stable, load, columns);

	chameleon_xact_begin("chameleon: index a PostgreSQL table");
	foreach(lc, post)
		chameleon_target_exec((char *) lfirst(lc));
	CAT_RUN("UPDATE chameleon.table_progress SET state = 'swapping', rows_copied = $4,"
			"       finished = clock_timestamp()"
			" WHERE source_id = $1 AND schema_name = $2 AND table_name = $3",
			cat_int4(source_id), cat_text(target), cat_text(stable), cat_int8((int64) rows));
	chameleon_xact_commit();
}

/*
 * Refuses, at copy time too, a source schema of PostgreSQL or chameleon
 * (update_schema_mappings() does not go through the configuration checks
 * of add_source()).
 */
static void
check_source_schema(const ChameleonSourceConf *conf, const char *sschema)
{
	if (chameleon_schema_reserved(sschema))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("schema \"%s\" cannot be copied from a pgsql source (source \"%s\")",
						sschema, conf->name),
				 errhint("Map only schemas that hold your own tables.")));
}

/*
 * Runs init_replica (with_data) or copy_schema for a pgsql source: every
 * table ends in chameleon.table_progress ready to be swapped in.
 */
void
chameleon_pg_source_copy(const ChameleonSourceConf *conf, int32 source_id, bool with_data)
{
	ListCell   *a;
	ListCell   *b;
	int			nschema = 0;
	PGresult   *res;

	before_shmem_exit(pg_source_close, (Datum) 0);
	foreach(a, conf->map_mysql)
		check_source_schema(conf, (const char *) lfirst(a));
	pg_source_connect(conf);
	PQclear(pg_source_query(src_conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL));

	forboth(a, conf->map_mysql, b, conf->map_pg)
	{
		const char *sschema = (const char *) lfirst(a);
		const char *target = (const char *) lfirst(b);
		char	   *load = chameleon_loading_schema_name(source_id, ++nschema);
		const char *params[1] = {sschema};

		res = pg_source_query(src_conn, "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = $1",
							  1, params);
		if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "0") == 0)
		{
			PQclear(res);
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"%s\" of source \"%s\" does not exist", sschema, conf->name),
					 errhint("Correct schema_mappings with chameleon.alter_source().")));
		}
		PQclear(res);
		res = pg_source_query(src_conn,
							  "SELECT c.relname, greatest(c.reltuples, 0)::bigint"
							  "  FROM pg_catalog.pg_class c"
							  "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
							  " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
							  " ORDER BY c.relname", 1, params);
		for (int i = 0; i < PQntuples(res); i++)
		{
			char	   *stable = pstrdup(PQgetvalue(res, i, 0));
			int64		estimate = pg_strtoint64(PQgetvalue(res, i, 1));

			pg_source_check_name(stable, "table", conf->name);
			if (!chameleon_table_selected(conf, sschema, stable))
				continue;
			copy_one_table(conf, source_id, with_data, sschema, target, load, stable, estimate);
		}
		PQclear(res);
	}
	PQclear(pg_source_query(src_conn, "COMMIT", 0, NULL));
	PQfinish(src_conn);
	src_conn = NULL;
}
