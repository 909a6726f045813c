/*-------------------------------------------------------------------------
 *
 * caught_up.c
 *	  chameleon.wait_caught_up(): reads the MySQL server's current binlog
 *	  position (and, with gtid_enable on MariaDB, its GTID position) at
 *	  call time and waits until the source's replay position has reached
 *	  it (everything up to that point applied), or a timeout.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "catalog.h"
#include "mysql_client.h"
#include "position.h"
#include "source_conf.h"

PG_FUNCTION_INFO_V1(chameleon_sql_wait_caught_up);

/*
 * Whether MariaDB GTID position "have" (domain-server-seqno, comma
 * separated) has reached "want" in every domain of want.
 */
static bool
gtid_reached(const char *have, const char *want)
{
	char	   *w = pstrdup(want);

	for (char *tok = strtok(w, ", "); tok != NULL; tok = strtok(NULL, ", "))
	{
		unsigned long domain;
		unsigned long long seq;
		bool		found = false;
		const char *p = have;

		if (sscanf(tok, "%lu-%*u-%llu", &domain, &seq) != 2)
			return false;
		while (p != NULL && *p != '\0')
		{
			unsigned long d;
			unsigned long long s;

			while (*p == ',' || *p == ' ')
				p++;
			if (sscanf(p, "%lu-%*u-%llu", &d, &s) == 2 && d == domain)
			{
				found = true;
				if (s < seq)
					return false;
			}
			p = strchr(p, ',');
		}
		if (!found)
			return false;
	}
	return true;
}

/*
 * The server's current binlog position (SHOW MASTER STATUS) and, for
 * MariaDB, its GTID position.
 */
static void
server_position(const ChameleonSourceConf *conf, char **file, int64 *pos, char **gtid)
{
	MYSQL	   *conn = chameleon_mysql_connect_timeout(conf, "wait_caught_up", 30);
	MYSQL_RES  *res = NULL;
	MYSQL_ROW	row;

	*gtid = NULL;
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
		mysql_free_result(res);
		res = NULL;
		/* MariaDB only: MySQL has no such variable, and then no GTID */
		if (mysql_query(conn, "SELECT @@GLOBAL.gtid_binlog_pos") == 0 &&
			(res = mysql_store_result(conn)) != NULL &&
			(row = mysql_fetch_row(res)) != NULL && row[0] != NULL && row[0][0] != '\0')
			*gtid = pstrdup(row[0]);
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
	char	   *target_gtid;
	bool		by_gtid;
	TimestampTz deadline;

	conf = chameleon_conf_load(source_id);
	server_position(conf, &target_file, &target_pos, &target_gtid);
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);

	/*
	 * With gtid_enable the source may have moved to another server of the
	 * topology, whose file names and positions mean nothing to the recorded
	 * ones: compare GTIDs then (MariaDB).
	 */
	by_gtid = target_gtid != NULL && conf->gtid_enable;

	for (;;)
	{
		bool		done = false;

		CHECK_FOR_INTERRUPTS();
		SPI_connect();
		/* each statement takes a new snapshot (READ COMMITTED) */
		if (CAT_RUN("SELECT replay_file, replay_pos, replay_gtid FROM chameleon.source"
					" WHERE source_id = $1", cat_int4(source_id)) == 1)
		{
			char	   *file = cat_get_text(0, 1);
			char	   *gtid = cat_get_text(0, 3);

			if (by_gtid)
				done = (gtid != NULL && gtid_reached(gtid, target_gtid));
			else
				done = (file != NULL && !cat_isnull(0, 2) &&
						chameleon_binlog_pos_cmp(file, cat_get_int8(0, 2, 0),
												 target_file, target_pos) >= 0);
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
