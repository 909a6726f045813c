/*-------------------------------------------------------------------------
 *
 * verify_hold.c
 *	  How verify_tables() compares a chunk of MySQL rows with PostgreSQL
 *	  rows at exactly the same point of the binlog stream while the source
 *	  keeps replicating: both sides of a hold on the replay worker, passed
 *	  through the source's shared-memory slot (ChameleonSlot.verify_*).
 *
 *	  For each chunk the verify worker
 *
 *	  1. freezes the replay: it asks, and waits until the replay has seen
 *	     the request at the start of a round.  From then on the replay
 *	     starts no round, so its committed position P0 stays put; P0 is a
 *	     point MySQL had already written.
 *	  2. opens a MySQL snapshot whose binlog position S is known: MariaDB
 *	     reports it inside the snapshot (binlog_snapshot_file/position,
 *	     no lock); MySQL 8 has no such report, so, as the initial copy
 *	     does, FLUSH TABLES WITH READ LOCK stops every commit while the
 *	     snapshot starts and SHOW MASTER STATUS reads the position, then
 *	     UNLOCK TABLES: the snapshot holds exactly the transactions up to S.
 *	     S is a transaction boundary and S >= P0.
 *	  3. lets the replay advance to S: from its next round on, the replay
 *	     applies only whole source transactions whose end ('C' event,
 *	     positions compared with chameleon_binlog_pos_cmp) is at or before
 *	     S (replay_verify_clip), then idles, held.
 *	  4. reads the MySQL chunk from the snapshot meanwhile.
 *	  5. waits until PostgreSQL holds exactly the state at S: the reader's
 *	     committed read position is at or past S (every transaction ending
 *	     at or before S is in the change log) and the first logged
 *	     transaction end after the replay's committed event is past S
 *	     (every one of them is applied).  Nothing after S is applied: the
 *	     replay was frozen before S was taken, then clipped to S.
 *	  6. reads the PostgreSQL chunk (and repairs it) in a transaction that
 *	     starts after that, and
 *	  7. releases the replay.
 *
 *	  Both sides then hold the same transactions, so a change in flight is
 *	  never a difference and a difference is always real.  Replicated
 *	  tables whose rows the replay keeps aside (being synced, or not yet
 *	  past their copy point) are refused by the caller, which checks them
 *	  in the snapshot of its read.
 *
 *	  Chunks follow each other without a new freeze: once this chunk's
 *	  MySQL rows are read (step 4), the next chunk's snapshot S' is opened
 *	  at once, since the replay, clipped to S, cannot pass S <= S'; the
 *	  replay advances to S' once this chunk's PostgreSQL side is read (step
 *	  7 becomes step 3 of the next chunk).  The reader and the replay thus
 *	  head for S' while this chunk waits and is compared, so that the
 *	  verify seldom waits for them twice, and the replay is never more than
 *	  about two chunks behind.  With verify_pause the replay is released
 *	  during each pause and frozen again after it.
 *
 *	  The replay never waits for the verify: a held replay skips its round
 *	  and sleeps on its latch like an idle one, holding no lock and no
 *	  transaction, so SIGTERM and stop_replica stop it as promptly as ever.
 *	  A request counts only while its verify worker is alive (its pid has a
 *	  PGPROC), and the worker withdraws it when it exits, so a verify that
 *	  dies never leaves the replay held.  A replay that restarts reads the
 *	  request again from the slot.  The verify gives up, with an error,
 *	  when the source stops running under it or the replay does not get
 *	  there within VERIFY_HOLD_TIMEOUT_MS.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "catalog.h"
#include "chameleon.h"
#include "names.h"
#include "position.h"
#include "verify.h"
#include "worker_util.h"

/* how long the verify waits for the replay to freeze or to reach S */
#define VERIFY_HOLD_TIMEOUT_MS	(10 * 60 * 1000)

/* ------------------------------------------------------------------
 * The replay's side
 * ------------------------------------------------------------------
 */

/* the position the replay may apply up to, while a verify holds it */
static bool gate_limited = false;
static uint32 gate_request = 0;
static char gate_file[CHAMELEON_VERIFY_FILE_LEN];
static int64 gate_pos = 0;

/* the last clip, reused while nothing changes (a held replay retries) */
static uint32 clip_request = 0;
static int64 clip_start = -1;
static int64 clip_end = -1;
static int64 clip_result = 0;

/* the clip's statements, on the source's own log partition */
static char *clip_end_sql = NULL;
static char *clip_back_sql = NULL;

/*
 * Called by the replay before each round, outside any transaction: true
 * when a verify holds it frozen (no round now).  Acknowledges the request
 * it acted on, and remembers the position a verify lets it advance to.
 */
bool
replay_verify_gate(int32 source_id)
{
	ChameleonSlot *slot;
	pid_t		pid = 0;
	uint32		request = 0;
	uint32		seen = 0;
	bool		advance = false;
	PGPROC	   *proc;

	gate_limited = false;
	if (ChameleonState == NULL)
		return false;
	LWLockAcquire(ChameleonState->lock, LW_SHARED);
	slot = chameleon_find_slot(source_id);
	if (slot != NULL && slot->verify_pid != 0)
	{
		pid = slot->verify_pid;
		request = slot->verify_request;
		seen = slot->verify_seen;
		advance = slot->verify_advance;
		strlcpy(gate_file, slot->verify_file, sizeof(gate_file));
		gate_pos = slot->verify_pos;
	}
	LWLockRelease(ChameleonState->lock);
	if (pid == 0)
		return false;

	/* a verify that died holds nothing */
	proc = BackendPidGetProc(pid);
	if (proc == NULL)
		return false;

	if (seen != request)
	{
		LWLockAcquire(ChameleonState->lock, LW_EXCLUSIVE);
		slot = chameleon_find_slot(source_id);
		if (slot != NULL && slot->verify_request == request)
			slot->verify_seen = request;
		LWLockRelease(ChameleonState->lock);
		SetLatch(&proc->procLatch);
	}
	if (!advance)
		return true;
	gate_limited = true;
	gate_request = request;
	return false;
}

/* Builds the clip's statements once (they name the source's partition). */
static void
clip_prepare(int32 source_id)
{
	const char *log;

	if (clip_end_sql != NULL)
		return;
	log = quote_identifier(chameleon_log_table_name(source_id));
	clip_end_sql = MemoryContextStrdup(TopMemoryContext,
									   psprintf("SELECT chameleon._binlog_pos_cmp(binlog_file, binlog_pos, $3, $4) <= 0"
												"  FROM chameleon.%s WHERE source_id = $1 AND event_id = $2",
												log));
	clip_back_sql = MemoryContextStrdup(TopMemoryContext,
										psprintf("SELECT event_id FROM chameleon.%s"
												 " WHERE source_id = $1 AND event_id > $2 AND event_id < $3"
												 "   AND event_kind = 'C'"
												 "   AND chameleon._binlog_pos_cmp(binlog_file, binlog_pos, $4, $5) <= 0"
												 " ORDER BY event_id DESC LIMIT 1",
												 log));
}

/*
 * Called by the replay with the last 'C' event of the round it is about
 * to apply (0: none), in the round's transaction: while a verify lets it
 * advance to a position, the last 'C' event of (start, end] that ends at
 * or before it (0: none).  Transaction ends grow with event ids, so the
 * round keeps a prefix of its transactions.
 */
int64
replay_verify_clip(int32 source_id, int64 start, int64 end)
{
	if (!gate_limited || end == 0)
		return end;
	if (clip_request == gate_request && clip_start == start && clip_end == end)
		return clip_result;

	clip_prepare(source_id);
	if (chameleon_cat_run(clip_end_sql, 4,
						  (const CatArg[]) {cat_int4(source_id), cat_int8(end),
						  cat_text(gate_file), cat_int8(gate_pos)}) > 0 &&
		cat_get_bool(0, 1, false))
		clip_result = end;
	else if (chameleon_cat_run(clip_back_sql, 5,
							   (const CatArg[]) {cat_int4(source_id), cat_int8(start),
							   cat_int8(end), cat_text(gate_file), cat_int8(gate_pos)}) > 0)
		clip_result = cat_get_int8(0, 1, 0);
	else
		clip_result = 0;
	clip_request = gate_request;
	clip_start = start;
	clip_end = end;
	return clip_result;
}

/* ------------------------------------------------------------------
 * The verify's side
 * ------------------------------------------------------------------
 */

/* the source this worker holds the replay of, if any */
static int32 hold_source = 0;
static bool hold_active = false;
static bool exit_callback_set = false;

/* the wait for S, on the source's own log partition */
static char *reach_sql = NULL;

/* Writes this worker's request into the slot and wakes the replay. */
static uint32
hold_set(bool active, bool advance, const char *file, int64 pos)
{
	ChameleonSlot *slot;
	uint32		request = 0;

	LWLockAcquire(ChameleonState->lock, LW_EXCLUSIVE);
	slot = chameleon_find_slot(hold_source);
	if (slot != NULL && (active || slot->verify_pid == MyProcPid))
	{
		slot->verify_pid = active ? MyProcPid : 0;
		slot->verify_advance = advance;
		strlcpy(slot->verify_file, file ? file : "", sizeof(slot->verify_file));
		slot->verify_pos = pos;
		request = ++slot->verify_request;
	}
	LWLockRelease(ChameleonState->lock);
	hold_active = active && slot != NULL;
	if (slot == NULL && active)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("source %d has no place in chameleon's shared memory", hold_source),
				 errhint("Sources beyond chameleon.max_sources are not replicated; raise it and restart PostgreSQL.")));
	chameleon_wake_replay(hold_source);
	return request;
}

/* before_shmem_exit callback: a verify that exits holds nothing. */
static void
hold_exit(int code, Datum arg)
{
	if (hold_active && ChameleonState != NULL)
		(void) hold_set(false, false, NULL, 0);
}

/* Prepares the hold of run's source (once per worker). */
void
verify_hold_init(VerifyRun *run)
{
	chameleon_require_shmem();
	hold_source = run->source_id;
	if (!exit_callback_set)
	{
		before_shmem_exit(hold_exit, (Datum) 0);
		exit_callback_set = true;
	}
	reach_sql = MemoryContextStrdup(TopMemoryContext,
									psprintf("SELECT s.status, s.desired_state, s.read_file, s.read_pos,"
											 "       e.binlog_file, e.binlog_pos"
											 "  FROM chameleon.source s"
											 "  LEFT JOIN LATERAL (SELECT l.binlog_file, l.binlog_pos"
											 "                       FROM chameleon.%s l"
											 "                      WHERE l.source_id = s.source_id"
											 "                        AND l.event_id > s.replay_event_id"
											 "                        AND l.event_kind = 'C'"
											 "                      ORDER BY l.event_id LIMIT 1) e ON true"
											 " WHERE s.source_id = $1",
											 quote_identifier(chameleon_log_table_name(run->source_id))));
}

/* Raises the error that ends a run whose source no longer runs. */
static void
stopped_error(VerifyRun *run, const char *status, const char *desired)
{
	ereport(ERROR,
			(errcode(VERIFY_STOPPED_ERRCODE),
			 errmsg("source \"%s\" stopped during the verify (state \"%s\", %s)",
					run->source_name, status,
					strcmp(desired, "running") == 0 ? "meant to run" : "stopped by stop_replica()"),
			 errhint("Run chameleon.verify_tables() again once the source runs.")));
}

/* ERROR unless a source's state and desired state are "running". */
static void
check_state(VerifyRun *run, const char *status, const char *desired)
{
	if (strcmp(status, "running") != 0 || strcmp(desired, "running") != 0)
		stopped_error(run, status, desired);
}

/*
 * ERROR unless the source still runs (state and desired state "running").
 * Outside any transaction.
 */
void
verify_check_running(VerifyRun *run)
{
	chameleon_xact_begin("chameleon verify: source state");
	if (CAT_RUN("SELECT status, desired_state FROM chameleon.source WHERE source_id = $1",
				cat_int4(run->source_id)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source \"%s\" was dropped during the verify", run->source_name)));
	check_state(run, cat_get_text(0, 1), cat_get_text(0, 2));
	chameleon_xact_commit();
}

/* Raises the error of a hold that did not come within the timeout. */
static void
check_timeout(VerifyRun *run, TimestampTz start, const char *what)
{
	if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), VERIFY_HOLD_TIMEOUT_MS))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the replay of source \"%s\" did not %s within %d s",
						run->source_name, what, VERIFY_HOLD_TIMEOUT_MS / 1000),
				 errhint("Check chameleon.show_status and the server log: the reader or the replay may be stuck or far behind.")));
}

/*
 * Step 1: asks the replay to apply nothing more and waits until it has
 * acknowledged that at a round boundary.
 */
static void
hold_freeze(VerifyRun *run)
{
	uint32		request = hold_set(true, false, NULL, 0);
	TimestampTz start = GetCurrentTimestamp();
	TimestampTz checked = start;

	pgstat_report_activity(STATE_RUNNING, "chameleon verify: waiting for the replay to hold");
	for (;;)
	{
		ChameleonSlot *slot;
		bool		seen;

		LWLockAcquire(ChameleonState->lock, LW_SHARED);
		slot = chameleon_find_slot(run->source_id);
		seen = slot != NULL && slot->verify_seen == request;
		LWLockRelease(ChameleonState->lock);
		if (seen)
			return;
		if (TimestampDifferenceExceeds(checked, GetCurrentTimestamp(), 250))
		{
			verify_check_running(run);
			checked = GetCurrentTimestamp();
		}
		check_timeout(run, start, "hold");
		chameleon_nap(50, PG_WAIT_EXTENSION);
	}
}

/*
 * Step 2: ends the MySQL snapshot open on the connection, if any, opens a
 * new one and reads its binlog position into file/pos (see the file
 * header for MySQL 8).
 */
static void
open_snapshot(VerifyRun *run, char *file, int64 *pos)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	bool		found = false;

	/* a query sent ahead in the snapshot that ends is of no use */
	verify_mysql_drain(run);
	if (run->snap_open)
		chameleon_mysql_exec(run->conn, "COMMIT");
	run->snap_open = false;
	if (run->mariadb_snapshot)
	{
		chameleon_mysql_exec(run->conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
		res = chameleon_mysql_query(run->conn, "SHOW STATUS LIKE 'binlog_snapshot_%'");
		while ((row = mysql_fetch_row(res)) != NULL)
		{
			if (strcmp(row[0], "Binlog_snapshot_file") == 0 && row[1] && row[1][0])
			{
				if (strlen(row[1]) >= VERIFY_FILE_LEN)
					ereport(ERROR,
							(errcode(ERRCODE_NAME_TOO_LONG),
							 errmsg("binlog file name \"%s\" is too long", row[1])));
				strlcpy(file, row[1], VERIFY_FILE_LEN);
				found = true;
			}
			else if (strcmp(row[0], "Binlog_snapshot_position") == 0 && row[1])
				*pos = strtoll(row[1], NULL, 10);
		}
		mysql_free_result(res);
		run->snap_open = true;
		if (found)
			return;
		/* not MariaDB after all: from now on, the locked way */
		chameleon_mysql_exec(run->conn, "ROLLBACK");
		run->snap_open = false;
		run->mariadb_snapshot = false;
	}

	/*
	 * MySQL 8: no commit can happen between the start of the snapshot and
	 * the reading of the position while the global read lock is held, so
	 * the snapshot holds exactly the transactions before that position.
	 * The lock lasts two statements.
	 */
	chameleon_mysql_exec(run->conn, "FLUSH TABLES WITH READ LOCK");
	PG_TRY();
	{
		chameleon_mysql_exec(run->conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
		run->snap_open = true;
		if (mysql_query(run->conn, "SHOW MASTER STATUS") != 0)
			res = chameleon_mysql_query(run->conn, "SHOW BINARY LOG STATUS");	/* 8.4 */
		else
			res = mysql_store_result(run->conn);
		row = res ? mysql_fetch_row(res) : NULL;
		if (row != NULL && row[0] != NULL && strlen(row[0]) < VERIFY_FILE_LEN)
		{
			strlcpy(file, row[0], VERIFY_FILE_LEN);
			*pos = strtoll(row[1], NULL, 10);
			found = true;
		}
		if (res)
			mysql_free_result(res);
	}
	PG_FINALLY();
	{
		(void) mysql_query(run->conn, "UNLOCK TABLES");
	}
	PG_END_TRY();
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the MySQL server of source \"%s\" reports no binary log position",
						run->source_name),
				 errhint("Enable log_bin on the server and grant the user REPLICATION CLIENT (and RELOAD on MySQL).")));
}

/*
 * Steps 1 to 3: opens the chunk's MySQL snapshot (at run->snap_file:
 * snap_pos) while the replay cannot pass it, and lets the replay advance
 * to it.  The replay is frozen first, unless a verify_hold_prefetch()
 * opened the snapshot already or the replay is held at an earlier chunk's
 * position (then it cannot pass the new one either).  Outside any
 * transaction.
 */
void
verify_hold_begin(VerifyRun *run)
{
	if (run->next_ready && hold_active)
	{
		strlcpy(run->snap_file, run->next_file, sizeof(run->snap_file));
		run->snap_pos = run->next_pos;
	}
	else
	{
		if (!hold_active)
			hold_freeze(run);
		open_snapshot(run, run->snap_file, &run->snap_pos);
	}
	run->next_ready = false;
	(void) hold_set(true, true, run->snap_file, run->snap_pos);
}

/*
 * While the replay is clipped to this chunk's position (after
 * verify_hold_begin, before the release): opens the next chunk's snapshot
 * now, so that the reader and the replay head for it while this chunk is
 * compared.  The current snapshot ends: call once this chunk needs no
 * more MySQL reads.
 */
void
verify_hold_prefetch(VerifyRun *run)
{
	if (!hold_active)
		return;
	open_snapshot(run, run->next_file, &run->next_pos);
	run->next_ready = true;
}

/*
 * Step 5: waits until PostgreSQL holds exactly the source's state at the
 * snapshot's position.  Outside any transaction.
 */
void
verify_hold_reach(VerifyRun *run)
{
	TimestampTz start = GetCurrentTimestamp();

	pgstat_report_activity(STATE_RUNNING, "chameleon verify: waiting for the replay to reach the snapshot");
	for (;;)
	{
		bool		reached;
		char	   *read_file;
		char	   *next_file;

		chameleon_xact_begin("chameleon verify: replay position");
		if (CAT_RUN(reach_sql, cat_int4(run->source_id)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("source \"%s\" was dropped during the verify", run->source_name)));
		check_state(run, cat_get_text(0, 1), cat_get_text(0, 2));
		read_file = cat_get_text(0, 3);
		next_file = cat_get_text(0, 5);
		/* every transaction up to S logged, and every logged one applied */
		reached = read_file != NULL &&
			chameleon_binlog_pos_cmp(read_file, cat_get_int8(0, 4, 0),
									 run->snap_file, run->snap_pos) >= 0 &&
			(next_file == NULL ||
			 chameleon_binlog_pos_cmp(next_file, cat_get_int8(0, 6, 0),
									  run->snap_file, run->snap_pos) > 0);
		chameleon_xact_commit();
		if (reached)
			return;
		check_timeout(run, start, "reach the position of the verify's snapshot");
		chameleon_nap(10, PG_WAIT_EXTENSION);
	}
}

/*
 * Step 7: the replay goes on (a prefetched snapshot is no longer of use).
 * Anywhere, also after an error.
 */
void
verify_hold_release(VerifyRun *run)
{
	run->next_ready = false;
	if (hold_active)
		(void) hold_set(false, false, NULL, 0);
}
