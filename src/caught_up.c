/*-------------------------------------------------------------------------
 *
 * caught_up.c
 *	  chameleon.wait_caught_up(): reads the MySQL server's current binlog
 *	  position at call time and waits until the source's replay position
 *	  has reached it (everything up to that point applied), or a timeout.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "mysql_client.h"
#include "source_conf.h"

PG_FUNCTION_INFO_V1(chameleon_sql_wait_caught_up);

/* Compares binlog coordinates: <0, 0, >0. */
static int
position_cmp(const char *file_a, int64 pos_a, const char *file_b, int64 pos_b)
{
	int			c = strcmp(file_a, file_b);

	if (c != 0)
		return c;
	return (pos_a > pos_b) - (pos_a < pos_b);
}

/* The server's current binlog position (SHOW MASTER STATUS). */
static void
server_position(const ChameleonSourceConf *conf, char **file, int64 *pos)
{
	MYSQL	   *conn = chameleon_mysql_connect(conf, "wait_caught_up");
	MYSQL_RES  *res = NULL;
	MYSQL_ROW	row;

	PG_TRY();
	{
		res = chameleon_mysql_query(conn, "SHOW MASTER STATUS");
		row = mysql_fetch_row(res);
		if (row == NULL || row[0] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("MySQL server %s:%d reports no binary log position", conf->host, conf->port),
					 errhint("Enable log_bin and grant the user REPLICATION CLIENT.")));
		*file = pstrdup(row[0]);
		*pos = strtoll(row[1], NULL, 10);
	}
	PG_FINALLY();
	{
		if (res)
			mysql_free_result(res);
		mysql_close(conn);
	}
	PG_END_TRY();
}

/*
 * chameleon._wait_caught_up(source_id, timeout_ms) returns boolean: true
 * once replay_file/replay_pos reach the server's position read at call
 * time.
 */
Datum
chameleon_sql_wait_caught_up(PG_FUNCTION_ARGS)
{
	int32		source_id = PG_GETARG_INT32(0);
	int64		timeout_ms = PG_GETARG_INT64(1);
	ChameleonSourceConf *conf;
	char	   *target_file;
	int64		target_pos;
	TimestampTz deadline;
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1] = {Int32GetDatum(source_id)};

	conf = chameleon_load_source_conf(source_id);
	server_position(conf, &target_file, &target_pos);
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);

	for (;;)
	{
		bool		done = false;

		CHECK_FOR_INTERRUPTS();
		SPI_connect();
		/* read-write: a new snapshot each time (READ COMMITTED) */
		if (SPI_execute_with_args("SELECT replay_file, replay_pos FROM chameleon.source WHERE source_id = $1",
								  1, argtypes, args, NULL, false, 1) == SPI_OK_SELECT &&
			SPI_processed == 1)
		{
			char	   *file = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			char	   *pos = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

			done = (file != NULL && pos != NULL &&
					position_cmp(file, strtoll(pos, NULL, 10), target_file, target_pos) >= 0);
		}
		SPI_finish();
		if (done)
			PG_RETURN_BOOL(true);
		if (GetCurrentTimestamp() >= deadline)
			PG_RETURN_BOOL(false);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
