/*-------------------------------------------------------------------------
 *
 * replay.c
 *	  The replay worker of a source: applies the change log
 *	  (chameleon.log_event, written by the reader) to the target tables.
 *
 *	  Each round takes the whole source transactions (up to a 'C' event)
 *	  after replay_event_id, several of them up to replay_max_rows events,
 *	  or a single bigger one alone, and applies them in event_id order in
 *	  ONE PostgreSQL transaction, which also moves the replay position,
 *	  adds to the counters and marks the log batches replayed: a
 *	  PostgreSQL reader never sees half of a MySQL transaction, and a crash
 *	  loses or repeats nothing.  After the commit, the log partitions the
 *	  replay has passed are dropped whole (log_partition.c).  The commit is
 *	  asynchronous: the log and the changes live in the same database, so
 *	  a lost commit loses both together and is simply replayed again.
 *
 *	  Each source transaction runs in a subtransaction.  When it fails,
 *	  on_error_replay decides: "continue" rolls it back, disables the table
 *	  of the failing event (error_log, NOTIFY) and applies it again without
 *	  that table; "exit" rolls back the whole PostgreSQL transaction, puts
 *	  the source in state "error" and exits with code 0 (the launcher does
 *	  not restart it).  Errors that are not about a table (out of memory,
 *	  cancel, serialization) end the worker with code 1: the launcher
 *	  restarts it and the round is replayed from the committed position.
 *
 *	  Idle, the worker copies the reader's position into the replay
 *	  position once everything read is applied (so wait_caught_up can
 *	  compare it with the server's), and sleeps on its latch.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "chameleon.h"
#include "log_partition.h"
#include "replay.h"
#include "replication.h"
#include "source_conf.h"
#include "worker_util.h"

/* advisory lock class of "one replay worker per source" */
#define CHAMELEON_REPLAY_LOCK_CLASS 0x43485250

/* longest sleep when idle, whatever sleep_loop says (lag stays low) */
#define REPLAY_MAX_NAP_MS 100

/* a source transaction redone this many times is given up on */
#define REPLAY_MAX_REDO 1000

/* What one round learnt and changed. */
typedef struct ReplayRound
{
	int64		start;			/* replay_event_id before the round */
	int64		end;			/* last 'C' event of the round */
	int64		rows;			/* counters */
	int64		ddl;
	int64		skipped;
	char	   *file;			/* position of the last 'C' */
	int64		pos;
	char	   *gtid;
} ReplayRound;

static ReplayState state;
static ReplayCursor cursor;
static MemoryContext round_cxt = NULL;
static MemoryContext event_cxt = NULL;

/* Text of an int64 (palloc'd). */
static char *
i64(int64 v)
{
	return psprintf(INT64_FORMAT, v);
}

/* A one-row query with an int4 source id; the first row, or NULL. */
static HeapTuple
source_row(const char *sql, TupleDesc *desc)
{
	Datum		args[1] = {Int32GetDatum(state.source_id)};
	Oid			types[1] = {INT4OID};
	int			rc = SPI_execute_with_args(sql, 1, types, args, NULL, false, 1);

	if (rc < 0)
		elog(ERROR, "SPI failed (%s): %s", SPI_result_code_string(rc), sql);
	if (SPI_processed == 0)
		return NULL;
	*desc = SPI_tuptable->tupdesc;
	return SPI_tuptable->vals[0];
}

/* An int64 column of a row, or dflt when NULL. */
static int64
col_i64(HeapTuple tup, TupleDesc desc, int col, int64 dflt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? dflt : DatumGetInt64(d);
}

/*
 * The last 'C' event of the next round: the last one within
 * replay_max_rows events after start, else the first one (a big source
 * transaction is applied alone).  0 when no source transaction is complete.
 */
static int64
round_end(int64 start, int64 max_rows)
{
	Datum		args[3];
	Oid			types[3] = {INT4OID, INT8OID, INT8OID};
	bool		isnull;
	Datum		d;
	int			rc;

	args[0] = Int32GetDatum(state.source_id);
	args[1] = Int64GetDatum(start);
	args[2] = Int64GetDatum(max_rows);
	rc = SPI_execute_with_args("SELECT max(event_id) FROM chameleon.log_event"
							   " WHERE source_id = $1 AND event_id > $2 AND event_id <= $2 + $3"
							   " AND event_kind = 'C'", 3, types, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the change log failed: %s", SPI_result_code_string(rc));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		return DatumGetInt64(d);
	rc = SPI_execute_with_args("SELECT event_id FROM chameleon.log_event"
							   " WHERE source_id = $1 AND event_id > $2 AND event_kind = 'C'"
							   " ORDER BY event_id LIMIT 1", 2, types, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the change log failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return 0;
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Whether an error is about the data or definition of a table (handled
 * per on_error_replay) rather than about the process or the server.
 */
static bool
table_error(const ErrorData *edata)
{
	int			cls = ERRCODE_TO_CATEGORY(edata->sqlerrcode);

	return !(cls == ERRCODE_TO_CATEGORY(ERRCODE_INSUFFICIENT_RESOURCES) ||
			 cls == ERRCODE_TO_CATEGORY(ERRCODE_OPERATOR_INTERVENTION) ||
			 cls == ERRCODE_TO_CATEGORY(ERRCODE_SYSTEM_ERROR) ||
			 cls == ERRCODE_TO_CATEGORY(ERRCODE_INTERNAL_ERROR) ||
			 cls == ERRCODE_TO_CATEGORY(ERRCODE_TRANSACTION_ROLLBACK) ||
			 cls == ERRCODE_TO_CATEGORY(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE) ||
			 edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE);
}

/* The message of an error with its detail, for error_log and last_error. */
static char *
error_text(const ErrorData *edata)
{
	if (edata->detail)
		return psprintf("%s (%s)", edata->message, edata->detail);
	return pstrdup(edata->message);
}

/*
 * on_error_replay = continue: disables the failing table (or, when no
 * table is to blame, only records the error), in the round's transaction.
 * Returns false when there was no table to disable.
 */
static bool
disable_table(const char *schema, const char *table, const char *sql,
			  const char *message, int64 event_id)
{
	char		idbuf[16];
	const char *args[6];
	char	   *detail;
	uint64		n = 0;

	snprintf(idbuf, sizeof(idbuf), "%d", state.source_id);
	args[0] = idbuf;
	args[1] = schema;
	args[2] = table;
	args[3] = psprintf("event " INT64_FORMAT ": %s", event_id, message);
	args[4] = sql;
	args[5] = message;
	if (schema != NULL && table != NULL)
		n = chameleon_spi_exec_args("UPDATE chameleon.replica_table SET enabled = false, disabled_reason = $4"
									" WHERE source_id = $1::integer AND source_schema = $2 AND source_table = $3"
									" AND enabled", 4, args);
	chameleon_spi_exec_args("INSERT INTO chameleon.error_log (source_id, schema_name, table_name, sql_text, error_message)"
							" SELECT $1::integer, coalesce(t.schema_name, $2), coalesce(t.table_name, $3), $5, $6"
							"   FROM (SELECT 1) d LEFT JOIN chameleon.replica_table t"
							"     ON t.source_id = $1::integer AND t.source_schema = $2 AND t.source_table = $3",
							6, args);
	if (n > 0)
	{
		detail = psprintf("%s.%s: %s", schema, table, message);
		chameleon_notify(state.source_name, "table disabled", detail);
		ereport(WARNING,
				(errmsg("chameleon replay %s: table \"%s.%s\" disabled: %s",
						state.source_name, schema, table, message),
				 errhint("Copy it again with chameleon.sync_tables('%s', '{disabled}') once the cause is fixed.",
						 state.source_name)));
		return true;
	}
	ereport(WARNING,
			(errmsg("chameleon replay %s: skipped event " INT64_FORMAT ": %s",
					state.source_name, event_id, message)));
	return false;
}

/*
 * on_error_replay = exit (or an error that cannot be handled by disabling
 * a table): nothing of the round stays; the source enters "error".
 */
static void pg_attribute_noreturn()
fail_and_exit(const char *schema, const char *table, const char *sql, const char *message)
{
	char		idbuf[16];
	const char *args[5];

	AbortOutOfAnyTransaction();
	MemoryContextSwitchTo(TopMemoryContext);
	chameleon_xact_begin("chameleon replay: record failure");
	snprintf(idbuf, sizeof(idbuf), "%d", state.source_id);
	args[0] = idbuf;
	args[1] = message;
	args[2] = schema;
	args[3] = table;
	args[4] = sql;
	chameleon_spi_exec_args("UPDATE chameleon.source SET status = 'error', last_error = $2,"
							" status_changed_at = now() WHERE source_id = $1::integer", 2, args);
	chameleon_spi_exec_args("INSERT INTO chameleon.error_log (source_id, schema_name, table_name, sql_text, error_message)"
							" SELECT $1::integer, coalesce(t.schema_name, $3), coalesce(t.table_name, $4), $5, $2"
							"   FROM (SELECT 1) d LEFT JOIN chameleon.replica_table t"
							"     ON t.source_id = $1::integer AND t.source_schema = $3 AND t.source_table = $4",
							5, args);
	chameleon_notify(state.source_name, "error", message);
	chameleon_xact_commit();
	ereport(LOG,
			(errmsg("chameleon replay %s: stopped on error (on_error_replay = exit): %s",
					state.source_name, message)));
	proc_exit(0);
}

/*
 * Applies the events of one source transaction, from the cursor's
 * position up to its 'C' event; returns the 'C' event's id.
 */
static int64
apply_transaction(ReplayRound *r, const int64 *skip, int nskip,
				  int64 *rows, int64 *ddl, int64 *skipped)
{
	for (;;)
	{
		ReplayEvent *ev;
		bool		skip_it = false;

		CHECK_FOR_INTERRUPTS();
		ev = replay_cursor_next(&cursor);
		if (ev == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the change log of source \"%s\" ends inside a transaction at event " INT64_FORMAT,
							state.source_name, cursor.pos)));
		state.cur_event = ev;
		state.cur_schema = ev->schema;
		state.cur_table = ev->table;
		state.cur_sql = NULL;
		for (int i = 0; i < nskip; i++)
			if (skip[i] == ev->event_id)
				skip_it = true;

		MemoryContextReset(event_cxt);
		MemoryContextSwitchTo(event_cxt);
		switch (ev->kind)
		{
			case 'I':
			case 'U':
			case 'D':
				if (skip_it)
					(*skipped)++;
				else
					switch (replay_hold_row_fate(&state, ev))
					{
						case REPLAY_ROW_APPLY:
							if (replay_apply_row(&state, ev))
								(*rows)++;
							else
								(*skipped)++;
							break;
						case REPLAY_ROW_SKIP:
							(*skipped)++;
							break;
						case REPLAY_ROW_HELD:
							break;
					}
				break;
			case 'Q':
				if (!skip_it && replay_apply_ddl(&state, ev))
					(*ddl)++;
				break;
			case 'C':
				replay_hold_txn_end(&state, ev);
				MemoryContextSwitchTo(round_cxt);
				r->file = ev->binlog_file ? pstrdup(ev->binlog_file) : r->file;
				r->pos = ev->binlog_file ? ev->binlog_pos : r->pos;
				r->gtid = ev->gtid ? pstrdup(ev->gtid) : r->gtid;
				state.cur_event = NULL;
				return ev->event_id;
			default:
				ereport(LOG,
						(errmsg("chameleon replay %s: skipped event " INT64_FORMAT " of unknown kind \"%c\"",
								state.source_name, ev->event_id, ev->kind)));
				break;
		}
		MemoryContextSwitchTo(round_cxt);
	}
}

/*
 * Applies every source transaction of (r->start, r->end], each in a
 * subtransaction, handling failures per on_error_replay.
 */
static void
apply_round(ReplayRound *r)
{
	int64		txn_start = r->start;

	replay_cursor_seek(&cursor, r->start, r->end);
	while (txn_start < r->end)
	{
		int64	   *skip = NULL;
		int			nskip = 0;
		int			attempts = 0;

		for (;;)
		{
			ResourceOwner oldowner = CurrentResourceOwner;
			int64		rows = 0;
			int64		ddl = 0;
			int64		skipped = 0;
			volatile int64 txn_end = 0;
			ErrorData  *volatile edata = NULL;

			BeginInternalSubTransaction(NULL);
			MemoryContextSwitchTo(round_cxt);
			PG_TRY();
			{
				txn_end = apply_transaction(r, skip, nskip, &rows, &ddl, &skipped);
				ReleaseCurrentSubTransaction();
			}
			PG_CATCH();
			{
				MemoryContextSwitchTo(round_cxt);
				edata = CopyErrorData();
				FlushErrorState();
				RollbackAndReleaseCurrentSubTransaction();
				replay_hold_txn_abort();
			}
			PG_END_TRY();
			MemoryContextSwitchTo(round_cxt);
			CurrentResourceOwner = oldowner;

			if (edata == NULL)
			{
				r->rows += rows;
				r->ddl += ddl;
				r->skipped += skipped;
				txn_start = txn_end;

				/*
				 * After DDL the round ends (commits): an enum label added
				 * by ALTER TYPE ... ADD VALUE cannot be used before its
				 * transaction commits, and later plans see the new tables.
				 */
				if (ddl > 0)
					r->end = txn_end;
				break;
			}

			/* what failed: copy it before the cursor moves */
			{
				int64		event_id = state.cur_event ? state.cur_event->event_id : txn_start;
				char	   *schema = state.cur_schema ? pstrdup(state.cur_schema) : NULL;
				char	   *table = state.cur_table ? pstrdup(state.cur_table) : NULL;
				char	   *sql = state.cur_sql ? pstrdup(state.cur_sql)
					: (state.cur_event && state.cur_event->query ? pstrdup(state.cur_event->query) : NULL);
				char	   *message = error_text(edata);

				/* the cache may hold what the rolled-back statements did */
				replay_tables_invalidate();
				if (!table_error(edata))
					ReThrowError(edata);
				if (state.exit_on_error || ++attempts > REPLAY_MAX_REDO)
					fail_and_exit(schema, table, sql, message);
				if (!disable_table(schema, table, sql, message, event_id))
				{
					/* nothing to disable: leave this event out of the redo */
					skip = skip ? repalloc(skip, sizeof(int64) * (nskip + 1))
						: palloc(sizeof(int64));
					skip[nskip++] = event_id;
				}
				replay_tables_load(&state);
				replay_cursor_seek(&cursor, txn_start, r->end);
				FreeErrorData(edata);
			}
		}
	}
}

/* Records the round's position, counters and replayed batches (in its transaction). */
static void
finish_round(const ReplayRound *r)
{
	char		idbuf[16];
	const char *args[8];

	snprintf(idbuf, sizeof(idbuf), "%d", state.source_id);
	args[0] = idbuf;
	args[1] = i64(r->end);
	args[2] = r->file;
	args[3] = r->file ? i64(r->pos) : NULL;
	args[4] = r->gtid;
	args[5] = i64(r->rows);
	args[6] = i64(r->ddl);
	args[7] = i64(r->skipped);
	chameleon_spi_exec_args("UPDATE chameleon.source SET replay_event_id = $2::bigint,"
							" replay_file = coalesce($3, replay_file),"
							" replay_pos = coalesce($4::bigint, replay_pos),"
							" replay_gtid = coalesce($5, replay_gtid),"
							" last_replay = now(),"
							" replayed_rows = replayed_rows + $6::bigint,"
							" replayed_ddl = replayed_ddl + $7::bigint,"
							" skipped_rows = skipped_rows + $8::bigint,"
							" replay_pending_since = (SELECT coalesce(e.event_time, now()) FROM chameleon.log_event e"
							"   WHERE e.source_id = $1::integer AND e.event_id > $2::bigint"
							"   ORDER BY e.event_id LIMIT 1)"
							" WHERE source_id = $1::integer", 8, args);
	chameleon_spi_exec_args("UPDATE chameleon.log_batch SET replayed_at = clock_timestamp()"
							" WHERE source_id = $1::integer AND replayed_at IS NULL"
							" AND last_event_id <= $2::bigint", 2, args);
	/* the applied events stay: their partition is dropped whole later */
}

/*
 * Marks the tables whose consistency point the replay has passed as
 * consistent, and the source once all its enabled tables are.
 */
static void
mark_consistent(void)
{
	char		idbuf[16];
	const char *args[1];

	snprintf(idbuf, sizeof(idbuf), "%d", state.source_id);
	args[0] = idbuf;
	chameleon_spi_exec_args("UPDATE chameleon.replica_table t SET consistent = true"
							"  FROM chameleon.source s"
							" WHERE t.source_id = $1::integer AND s.source_id = t.source_id AND NOT t.consistent"
							"   AND s.replay_file IS NOT NULL"
							"   AND (t.snapshot_file IS NULL OR (t.snapshot_file, t.snapshot_pos) <= (s.replay_file, s.replay_pos))"
							"   AND NOT t.syncing AND NOT EXISTS (SELECT 1 FROM chameleon.log_held h"
							"        WHERE h.source_id = t.source_id AND h.source_schema = t.source_schema"
							"          AND h.source_table = t.source_table)",
							1, args);
	chameleon_spi_exec_args("UPDATE chameleon.source s SET consistent = true"
							" WHERE s.source_id = $1::integer AND NOT s.consistent AND s.replay_file IS NOT NULL"
							"   AND NOT EXISTS (SELECT 1 FROM chameleon.replica_table t"
							"                    WHERE t.source_id = s.source_id AND t.enabled AND NOT t.consistent)",
							1, args);
}

/*
 * Nothing complete to apply: once every event read is applied, the
 * replay position catches up with the read position; the lag is the age
 * of the oldest pending event.
 */
static void
idle_round(void)
{
	char		idbuf[16];
	const char *args[1];

	snprintf(idbuf, sizeof(idbuf), "%d", state.source_id);
	args[0] = idbuf;
	if (chameleon_spi_exec_args("UPDATE chameleon.source SET replay_file = read_file, replay_pos = read_pos,"
								" replay_gtid = coalesce(read_gtid, replay_gtid), replay_pending_since = NULL"
								" WHERE source_id = $1::integer AND read_file IS NOT NULL"
								"   AND read_event_id <= replay_event_id"
								"   AND NOT EXISTS (SELECT 1 FROM chameleon.log_event e"
								"                    WHERE e.source_id = $1::integer AND e.event_id > replay_event_id)"
								"   AND (replay_file IS DISTINCT FROM read_file OR replay_pos IS DISTINCT FROM read_pos"
								"        OR replay_pending_since IS NOT NULL)", 1, args) > 0)
		mark_consistent();
	/* a transaction still being read is pending already */
	chameleon_spi_exec_args("UPDATE chameleon.source s SET replay_pending_since = e.t"
							"  FROM (SELECT coalesce(event_time, now()) AS t FROM chameleon.log_event"
							"         WHERE source_id = $1::integer"
							"           AND event_id > (SELECT replay_event_id FROM chameleon.source WHERE source_id = $1::integer)"
							"         ORDER BY event_id LIMIT 1) e"
							" WHERE s.source_id = $1::integer AND s.replay_pending_since IS NULL", 1, args);
}

/* Whether rows are held for tables being synced (see replay_hold.c). */
static bool
held_rows_exist(void)
{
	TupleDesc	desc;

	return source_row("SELECT 1 FROM chameleon.log_held WHERE source_id = $1 LIMIT 1", &desc) != NULL;
}

/*
 * Applies the held rows of the tables whose sync has ended (in the
 * round's transaction, before anything newer), each table in a
 * subtransaction handled per on_error_replay.
 */
static void
release_held(void)
{
	List	   *tables = replay_hold_released(&state);
	ListCell   *lc;
	int64		total = 0;

	foreach(lc, tables)
	{
		char	  **pair = (char **) lfirst(lc);

		for (int attempt = 0;; attempt++)
		{
			ResourceOwner oldowner = CurrentResourceOwner;
			MemoryContext cxt = CurrentMemoryContext;
			volatile int64 n = 0;
			ErrorData  *volatile edata = NULL;
			char	   *message;

			BeginInternalSubTransaction(NULL);
			MemoryContextSwitchTo(cxt);
			PG_TRY();
			{
				n = replay_hold_apply(&state, pair[0], pair[1]);
				ReleaseCurrentSubTransaction();
			}
			PG_CATCH();
			{
				MemoryContextSwitchTo(cxt);
				edata = CopyErrorData();
				FlushErrorState();
				RollbackAndReleaseCurrentSubTransaction();
			}
			PG_END_TRY();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = oldowner;
			if (edata == NULL)
			{
				total += n;
				break;
			}
			message = error_text(edata);
			replay_tables_invalidate();
			if (!table_error(edata))
				ReThrowError(edata);
			/* a disabled table's held rows are dropped on the next attempt */
			if (state.exit_on_error || attempt > 0)
				fail_and_exit(pair[0], pair[1], state.cur_sql, message);
			(void) disable_table(pair[0], pair[1], state.cur_sql, message, 0);
			replay_tables_load(&state);
			FreeErrorData(edata);
		}
	}
	if (total > 0)
	{
		char		idbuf[16];
		const char *args[2];

		snprintf(idbuf, sizeof(idbuf), "%d", state.source_id);
		args[0] = idbuf;
		args[1] = i64(total);
		chameleon_spi_exec_args("UPDATE chameleon.source SET replayed_rows = replayed_rows + $2::bigint,"
								" last_replay = now() WHERE source_id = $1::integer", 2, args);
	}
	mark_consistent();
}

/* One round: a PostgreSQL transaction.  True when something was applied. */
static bool
replay_round(int *nap_ms)
{
	ReplayRound r;
	HeapTuple	tup;
	TupleDesc	desc;
	int64		max_rows;
	char	   *on_error;
	bool		held;

	MemoryContextReset(round_cxt);
	MemoryContextSwitchTo(round_cxt);
	memset(&r, 0, sizeof(r));

	chameleon_xact_begin("chameleon replay: round");
	tup = source_row("SELECT replay_event_id,"
					 " coalesce((config->>'replay_max_rows')::bigint, 10000),"
					 " coalesce((config->>'sleep_loop')::bigint, 1),"
					 " coalesce(config->>'on_error_replay', 'continue')"
					 " FROM chameleon.source WHERE source_id = $1", &desc);
	if (tup == NULL)
	{
		chameleon_xact_commit();
		ereport(LOG,
				(errmsg("chameleon replay: source %d no longer exists; exiting", state.source_id)));
		proc_exit(0);
	}
	r.start = col_i64(tup, desc, 1, 0);
	max_rows = Max(col_i64(tup, desc, 2, 10000), 1);
	*nap_ms = (int) Min(col_i64(tup, desc, 3, 1) * 1000, REPLAY_MAX_NAP_MS);
	on_error = SPI_getvalue(tup, desc, 4);
	state.exit_on_error = (on_error != NULL && strcmp(on_error, "exit") == 0);

	r.end = round_end(r.start, max_rows);
	held = held_rows_exist();
	if (r.end == 0 && !held)
	{
		idle_round();
		chameleon_xact_commit();
		chameleon_log_maintain(state.source_id, state.source_name, r.start);
		return false;
	}

	state.conf = chameleon_load_source_conf(state.source_id);
	replay_tables_load(&state);
	replay_hold_load(&state);
	if (held)
		release_held();
	if (r.end == 0)
	{
		idle_round();
		chameleon_xact_commit();
		return false;
	}
	pgstat_report_activity(STATE_RUNNING, "chameleon replay: applying");
	apply_round(&r);
	finish_round(&r);
	mark_consistent();
	chameleon_xact_commit();
	chameleon_log_maintain(state.source_id, state.source_name, r.end);
	ereport(DEBUG1,
			(errmsg("chameleon replay %s: applied events " INT64_FORMAT " to " INT64_FORMAT
					" (" INT64_FORMAT " rows, " INT64_FORMAT " DDL, " INT64_FORMAT " skipped)",
					state.source_name, r.start + 1, r.end, r.rows, r.ddl, r.skipped)));
	return true;
}

/* Takes the per-source lock, waiting while another replay worker holds it. */
static void
lock_source(void)
{
	for (;;)
	{
		bool		locked;

		chameleon_xact_begin("chameleon replay: lock source");
		locked = DatumGetBool(DirectFunctionCall2(pg_try_advisory_lock_int4,
												  Int32GetDatum(CHAMELEON_REPLAY_LOCK_CLASS),
												  Int32GetDatum(state.source_id)));
		chameleon_xact_commit();
		if (locked)
			return;
		ereport(LOG,
				(errmsg("chameleon replay %s: another replay worker of the source is running; waiting",
						state.source_name)));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Entry point of the replay worker; main_arg is the source id. */
void
chameleon_replay_main(Datum main_arg)
{
	char	   *name;

	state.source_id = DatumGetInt32(main_arg);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(chameleon_database, NULL, 0);

	round_cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay round",
									  ALLOCSET_DEFAULT_SIZES);
	event_cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay event",
									  ALLOCSET_DEFAULT_SIZES);
	replay_cursor_init(&cursor, state.source_id);

	MemoryContextSwitchTo(TopMemoryContext);
	chameleon_xact_begin("chameleon replay: start");
	{
		char	   *q = psprintf("SELECT source_name FROM chameleon.source WHERE source_id = %d",
								 state.source_id);

		name = chameleon_spi_value(q);
	}
	chameleon_xact_commit();
	if (name == NULL)
	{
		ereport(LOG,
				(errmsg("chameleon replay: source %d does not exist; exiting", state.source_id)));
		proc_exit(0);
	}
	state.source_name = MemoryContextStrdup(TopMemoryContext, name);
	pgstat_report_appname(psprintf("chameleon replay %s", state.source_name));

	/* a crash that loses the last commits keeps their log partitions too */
	SetConfigOption("synchronous_commit", "off", PGC_USERSET, PGC_S_OVERRIDE);

	lock_source();
	ereport(LOG,
			(errmsg("chameleon replay %s: started", state.source_name)));

	for (;;)
	{
		int			nap_ms = REPLAY_MAX_NAP_MS;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (replay_round(&nap_ms))
			continue;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(nap_ms, 10), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
