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

#include "catalog.h"
#include "chameleon.h"
#include "log_partition.h"
#include "replay_internal.h"
#include "replication.h"
#include "source_conf.h"
#include "source_state.h"
#include "verify_hook.h"
#include "worker_util.h"

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
 * Whether an error is about one value PostgreSQL cannot hold (a data
 * exception: out of range, invalid for its type or encoding, too long; a
 * value beyond a program limit), which the initial copy would have put in
 * discarded_rows, rather than about the table.
 */
static bool
value_error(const ErrorData *edata)
{
	return ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_DATA_EXCEPTION ||
		edata->sqlerrcode == ERRCODE_PROGRAM_LIMIT_EXCEEDED;
}

/* Puts the row of a logged event in discarded_rows (in the round's transaction). */
static void
discard_row(const ReplayEvent *ev, const char *reason)
{
	bool		use_after = ev->kind != 'D';
	ArrayType  *names = use_after ? ev->after_names : ev->before_names;
	ArrayType  *values = use_after ? ev->after_values : ev->before_values;

	CAT_RUN("INSERT INTO chameleon.discarded_row (source_id, schema_name, table_name, reason, row_data)"
			" SELECT s.source_id, coalesce(t.schema_name, $2), coalesce(t.table_name, $3), $4,"
			"        jsonb_object(coalesce($5, '{}'), coalesce($6, '{}'))"
			"   FROM chameleon.source s LEFT JOIN chameleon.replica_table t"
			"     ON t.source_id = s.source_id AND t.source_schema = $2 AND t.source_table = $3"
			"  WHERE s.source_id = $1",
			cat_int4(state.source_id), cat_text(ev->schema), cat_text(ev->table),
			cat_text(psprintf("event " INT64_FORMAT ": %s", ev->event_id, reason)),
			cat_datum(TEXTARRAYOID, PointerGetDatum(names), names == NULL),
			cat_datum(TEXTARRAYOID, PointerGetDatum(values), values == NULL));
	ereport(WARNING,
			(errmsg("a row of MySQL table \"%s.%s\" could not be applied and went to chameleon.discarded_rows",
					ev->schema, ev->table),
			 errdetail("%s", reason)));
}

/*
 * on_error_replay = continue: disables the failing table (or, when no
 * table is to blame, only records the error), in the round's transaction.
 * Returns false when there was no table to disable.
 */
static bool
disable_table(const ChameleonFailure *f, int64 event_id)
{
	char	   *reason = psprintf("event " INT64_FORMAT ": %s", event_id, f->message);

	if (chameleon_state_disable_table(state.source_id, state.source_name, f, reason))
	{
		ereport(WARNING,
				(errmsg("table \"%s.%s\" disabled: %s", f->schema, f->table, f->message),
				 errhint("Copy it again with chameleon.sync_tables('%s', '{disabled}') once the cause is fixed.",
						 state.source_name)));
		return true;
	}
	ereport(WARNING,
			(errmsg("skipped event " INT64_FORMAT ": %s", event_id, f->message)));
	return false;
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
		state.ctx.event_id = ev->event_id;
		state.ctx.event = ev;
		replay_ctx_set(&state, ev->schema, ev->table, NULL, NULL);
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
				{
					ReplayRowFate fate = replay_hold_row_fate(&state, ev);

					if (fate == REPLAY_ROW_APPLY && replay_apply_row(&state, ev))
						(*rows)++;
					else if (fate != REPLAY_ROW_HELD)
						(*skipped)++;

					/*
					 * MySQL changed the referencing rows whatever became of
					 * this one here; a held row's actions come with it.
					 */
					if (fate != REPLAY_ROW_HELD)
						replay_fk_after_change(&state, ev);
				}
				break;
			case 'Q':
				if (!skip_it && replay_apply_ddl(&state, ev, REPLAY_DDL_STREAM))
					(*ddl)++;
				break;
			case 'C':
				replay_hold_txn_end(&state, ev);
				MemoryContextSwitchTo(round_cxt);
				r->file = ev->binlog_file ? pstrdup(ev->binlog_file) : r->file;
				r->pos = ev->binlog_file ? ev->binlog_pos : r->pos;
				r->gtid = ev->gtid ? pstrdup(ev->gtid) : r->gtid;
				state.ctx.event_id = 0;
				state.ctx.event = NULL;
				replay_ctx_set(&state, NULL, NULL, NULL, NULL);
				return ev->event_id;
			default:
				ereport(LOG,
						(errmsg("skipped event " INT64_FORMAT " of unknown kind \"%c\"",
								ev->event_id, ev->kind)));
				break;
		}
		MemoryContextSwitchTo(round_cxt);
	}
}

/*
 * Applies every source transaction of (r->start, r->end] in one
 * subtransaction: the way of a round without failure, which is nearly
 * every round (a subtransaction per source transaction costs an XID and
 * its bookkeeping for every few rows).  False, with nothing of the round
 * applied, when something failed: the round is then applied carefully.
 * Errors that are not about a table (shutdown, cancel) go on up.
 */
static bool
apply_round_fast(ReplayRound *r)
{
	ReplayRound saved = *r;
	ResourceOwner oldowner = CurrentResourceOwner;
	int64		txn_start = r->start;
	int64		rows = 0;
	int64		ddl = 0;
	int64		skipped = 0;
	volatile bool ok = true;

	replay_cursor_seek(&cursor, r->start, r->end);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(round_cxt);
	PG_TRY();
	{
		while (txn_start < r->end)
		{
			int64		ddl_before = ddl;

			txn_start = apply_transaction(r, NULL, 0, &rows, &ddl, &skipped);
			/* after DDL the round ends: see apply_round_careful */
			if (ddl > ddl_before)
				r->end = txn_start;
		}
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(round_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		replay_hold_txn_abort();
		replay_tables_invalidate();
		if (!table_error(edata))
			ReThrowError(edata);
		ereport(DEBUG1,
				(errmsg_internal("round (" INT64_FORMAT ", " INT64_FORMAT "] applied again transaction by transaction: %s",
								 saved.start, saved.end, edata->message)));
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(round_cxt);
	CurrentResourceOwner = oldowner;
	if (!ok)
	{
		*r = saved;
		replay_tables_load(&state);
		state.ctx.event_id = 0;
		state.ctx.event = NULL;
		replay_ctx_set(&state, NULL, NULL, NULL, NULL);
		return false;
	}
	r->rows += rows;
	r->ddl += ddl;
	r->skipped += skipped;
	return true;
}

/* Appends event_id to the events a redo leaves out. */
static int64 *
skip_add(int64 *skip, int *nskip, int64 event_id)
{
	skip = skip ? repalloc(skip, sizeof(int64) * (*nskip + 1)) : palloc(sizeof(int64));
	skip[(*nskip)++] = event_id;
	return skip;
}

/*
 * Applies every source transaction of (r->start, r->end], each in a
 * subtransaction, handling failures per on_error_replay.
 */
static void
apply_round_careful(ReplayRound *r)
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
				int64		event_id = state.ctx.event_id ? state.ctx.event_id : txn_start;
				ChameleonFailure f;

				f.schema = state.ctx.schema ? pstrdup(state.ctx.schema) : NULL;
				f.table = state.ctx.table ? pstrdup(state.ctx.table) : NULL;
				f.sql = state.ctx.sql ? pstrdup(state.ctx.sql) : NULL;
				f.message = error_text(edata);

				/* the cache may hold what the rolled-back statements did */
				replay_tables_invalidate();
				if (!table_error(edata))
					ReThrowError(edata);
				if (++attempts > REPLAY_MAX_REDO)
					chameleon_state_stop_on_error(state.source_id, state.source_name, &f);
				/*
				 * The row's own value: the context still names the event's
				 * table (the same pointer), not a table a foreign-key action
				 * of the row was changing; that table is disabled instead.
				 */
				if (value_error(edata) && state.ctx.event != NULL &&
					state.ctx.event->event_id == event_id &&
					(state.ctx.event->kind == 'I' || state.ctx.event->kind == 'U' ||
					 state.ctx.event->kind == 'D') &&
					state.ctx.table == state.ctx.event->table)
				{
					/*
					 * A value PostgreSQL cannot hold: the row goes to
					 * discarded_rows, as in the initial copy, and the rest of
					 * the transaction applies; the table stays enabled.
					 */
					discard_row(state.ctx.event, f.message);
					skip = skip_add(skip, &nskip, event_id);
				}
				else if (state.conf->on_error_replay_exit)
					chameleon_state_stop_on_error(state.source_id, state.source_name, &f);
				else if (!disable_table(&f, event_id))
				{
					/* nothing to disable: leave this event out of the redo */
					skip = skip_add(skip, &nskip, event_id);
				}
				replay_tables_load(&state);
				replay_cursor_seek(&cursor, txn_start, r->end);
				FreeErrorData(edata);
			}
		}
	}
}

/* Applies a round: at once, or transaction by transaction after a failure. */
static void
apply_round(ReplayRound *r)
{
	if (!apply_round_fast(r))
		apply_round_careful(r);
}

/* Records the round's position, counters and replayed batches (in its transaction). */
static void
finish_round(const ReplayRound *r)
{
	CAT_RUN("UPDATE chameleon.source SET replay_event_id = $2,"
			"       replay_file = coalesce($3, replay_file),"
			"       replay_pos = coalesce($4, replay_pos),"
			"       replay_gtid = coalesce($5, replay_gtid),"
			"       last_replay = now(),"
			"       replayed_rows = replayed_rows + $6,"
			"       replayed_ddl = replayed_ddl + $7,"
			"       skipped_rows = skipped_rows + $8,"
			"       replay_pending_since = (SELECT coalesce(e.event_time, now())"
			"                                 FROM chameleon.log_event e"
			"                                WHERE e.source_id = $1 AND e.event_id > $2"
			"                                ORDER BY e.event_id LIMIT 1)"
			" WHERE source_id = $1",
			cat_int4(state.source_id), cat_int8(r->end), cat_text(r->file),
			cat_datum(INT8OID, Int64GetDatum(r->pos), r->file == NULL),
			cat_text(r->gtid), cat_int8(r->rows), cat_int8(r->ddl), cat_int8(r->skipped));
	CAT_RUN("UPDATE chameleon.log_batch SET replayed_at = clock_timestamp()"
			" WHERE source_id = $1 AND replayed_at IS NULL AND last_event_id <= $2",
			cat_int4(state.source_id), cat_int8(r->end));
	/* the applied events stay: their partition is dropped whole later */
}

/*
 * Marks the tables whose consistency point the replay has passed as
 * consistent, and the source once all its enabled tables are.
 */
static void
mark_consistent(void)
{
	CAT_RUN("UPDATE chameleon.replica_table t SET consistent = true"
			"  FROM chameleon.source s"
			" WHERE t.source_id = $1 AND s.source_id = t.source_id AND NOT t.consistent"
			"   AND s.replay_file IS NOT NULL"
			"   AND (t.snapshot_file IS NULL"
			"        OR chameleon._binlog_pos_cmp(t.snapshot_file, t.snapshot_pos,"
			"                                     s.replay_file, s.replay_pos) <= 0)"
			"   AND NOT t.syncing AND NOT EXISTS (SELECT 1 FROM chameleon.log_held h"
			"        WHERE h.source_id = t.source_id AND h.source_schema = t.source_schema"
			"          AND h.source_table = t.source_table)",
			cat_int4(state.source_id));
	CAT_RUN("UPDATE chameleon.source s SET consistent = true"
			" WHERE s.source_id = $1 AND NOT s.consistent AND s.replay_file IS NOT NULL"
			"   AND NOT EXISTS (SELECT 1 FROM chameleon.replica_table t"
			"                    WHERE t.source_id = s.source_id AND t.enabled AND NOT t.consistent)",
			cat_int4(state.source_id));
}

/*
 * Nothing complete to apply: once every event read is applied, the
 * replay position catches up with the read position; the lag is the age
 * of the oldest pending event.
 */
static void
idle_round(void)
{
	(void) CAT_RUN("UPDATE chameleon.source SET replay_file = read_file, replay_pos = read_pos,"
				"       replay_gtid = coalesce(read_gtid, replay_gtid), replay_pending_since = NULL"
				" WHERE source_id = $1 AND read_file IS NOT NULL"
				"   AND read_event_id <= replay_event_id"
				"   AND NOT EXISTS (SELECT 1 FROM chameleon.log_event e"
				"                    WHERE e.source_id = $1 AND e.event_id > replay_event_id)"
				"   AND (replay_file IS DISTINCT FROM read_file OR replay_pos IS DISTINCT FROM read_pos"
				"        OR replay_pending_since IS NOT NULL)",
				cat_int4(state.source_id));
	/* also when nothing moved: a copy with no change after it is consistent */
	mark_consistent();
	/* a transaction still being read is pending already */
	CAT_RUN("UPDATE chameleon.source s SET replay_pending_since = e.t"
			"  FROM (SELECT coalesce(event_time, now()) AS t FROM chameleon.log_event"
			"         WHERE source_id = $1"
			"           AND event_id > (SELECT replay_event_id FROM chameleon.source"
			"                            WHERE source_id = $1)"
			"         ORDER BY event_id LIMIT 1) e"
			" WHERE s.source_id = $1 AND s.replay_pending_since IS NULL",
			cat_int4(state.source_id));
}

/* Whether rows are held for tables being synced (see replay_hold.c). */
static bool
held_rows_exist(void)
{
	return CAT_RUN("SELECT 1 FROM chameleon.log_held WHERE source_id = $1 LIMIT 1",
				   cat_int4(state.source_id)) > 0;
}

/*
 * Applies the held rows of the tables whose sync has ended (in the
 * round's transaction, before anything newer), each table in a
 * subtransaction handled per on_error_replay.  Returns true when a held
 * DDL statement ran: the round must then commit before anything else.
 */
static bool
release_held(void)
{
	List	   *tables = replay_hold_released(&state);
	ListCell   *lc;
	int64		total = 0;
	int64		total_ddl = 0;

	foreach(lc, tables)
	{
		char	  **pair = (char **) lfirst(lc);

		for (int attempt = 0;; attempt++)
		{
			ResourceOwner oldowner = CurrentResourceOwner;
			MemoryContext cxt = CurrentMemoryContext;
			volatile int64 n = 0;
			int64		ddl = 0;
			ErrorData  *volatile edata = NULL;
			ChameleonFailure f;

			BeginInternalSubTransaction(NULL);
			MemoryContextSwitchTo(cxt);
			PG_TRY();
			{
				n = replay_hold_apply(&state, pair[0], pair[1], &ddl);
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
				total_ddl += ddl;
				break;
			}
			f.schema = pair[0];
			f.table = pair[1];
			f.sql = state.ctx.sql ? pstrdup(state.ctx.sql) : NULL;
			f.message = error_text(edata);
			state.ctx.event_id = 0;
			replay_ctx_set(&state, NULL, NULL, NULL, NULL);
			replay_tables_invalidate();
			if (!table_error(edata))
				ReThrowError(edata);
			/* a disabled table's held rows are dropped on the next attempt */
			if (state.conf->on_error_replay_exit || attempt > 0)
				chameleon_state_stop_on_error(state.source_id, state.source_name, &f);
			(void) disable_table(&f, 0);
			replay_tables_load(&state);
			FreeErrorData(edata);
		}
	}
	if (total > 0 || total_ddl > 0)
		CAT_RUN("UPDATE chameleon.source SET replayed_rows = replayed_rows + $2,"
				"       replayed_ddl = replayed_ddl + $3, last_replay = now()"
				" WHERE source_id = $1",
				cat_int4(state.source_id), cat_int8(total), cat_int8(total_ddl));
	/* otherwise the round goes on and marks them at its end */
	if (total_ddl > 0)
		mark_consistent();
	return total_ddl > 0;
}

/* One round: a PostgreSQL transaction.  True when something was applied. */
static bool
replay_round(int *nap_ms)
{
	ReplayRound r;
	bool		held;

	/* verify_tables() may hold the replay at a binlog position */
	if (replay_verify_gate(state.source_id))
		return false;
	MemoryContextReset(round_cxt);
	MemoryContextSwitchTo(round_cxt);
	memset(&r, 0, sizeof(r));

	chameleon_xact_begin("chameleon replay: round");
	if (CAT_RUN("SELECT replay_event_id FROM chameleon.source WHERE source_id = $1",
				cat_int4(state.source_id)) == 0)
	{
		chameleon_xact_commit();
		ereport(LOG,
				(errmsg("source %d no longer exists; the replay exits", state.source_id)));
		proc_exit(0);
	}
	r.start = cat_get_int8(0, 1, 0);
	state.conf = chameleon_conf_current(state.source_id, NULL);
	state.source_name = state.conf->name;
	*nap_ms = Min(state.conf->sleep_loop * 1000, REPLAY_MAX_NAP_MS);

	r.end = replay_cursor_round_end(&cursor, r.start, Max(state.conf->replay_max_rows, 1));
	r.end = replay_verify_clip(state.source_id, r.start, r.end);
	held = held_rows_exist();
	if (r.end == 0 && !held)
	{
		idle_round();
		chameleon_xact_commit();
		chameleon_log_maintain(state.source_id, state.source_name, r.start,
							   state.conf->auto_maintenance_ms);
		return false;
	}

	/*
	 * The tables' states are read once per round, at a view taken now
	 * (catalog.h): a sync's swap committed during the round changes
	 * nothing of it.  A sync waits for the round under way when it began
	 * (chameleon_state_round_lock) before it takes its snapshots.
	 */
	chameleon_state_round_lock(state.source_id, false);
	chameleon_cat_view_begin();
	replay_tables_load(&state);
	replay_hold_load(&state);
	if (held && release_held())
	{
		/* a held DDL statement ran: committed before the rows after it */
		chameleon_xact_commit();
		return true;
	}
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
	chameleon_log_maintain(state.source_id, state.source_name, r.end,
						   state.conf->auto_maintenance_ms);
	ereport(DEBUG1,
			(errmsg("applied events " INT64_FORMAT " to " INT64_FORMAT
					" (" INT64_FORMAT " rows, " INT64_FORMAT " DDL, " INT64_FORMAT " skipped)",
					r.start + 1, r.end, r.rows, r.ddl, r.skipped)));
	return true;
}

/*
 * Error context of the replay: every message says which source, event,
 * table and operation it is about.
 */
static void
replay_error_callback(void *arg)
{
	const ReplayErrorContext *c = &state.ctx;

	if (c->event_id == 0)
		errcontext("replaying source \"%s\"", state.source_name);
	else if (c->table == NULL)
		errcontext("replaying source \"%s\", event " INT64_FORMAT,
				   state.source_name, c->event_id);
	else
		errcontext("replaying source \"%s\", event " INT64_FORMAT ", table %s.%s%s%s",
				   state.source_name, c->event_id, c->schema, c->table,
				   c->op ? ", " : "", c->op ? c->op : "");
}

/* Entry point of the replay worker. */
void
chameleon_replay_main(Datum main_arg)
{
	ChameleonWorkerArgs args = chameleon_worker_begin();
	ErrorContextCallback errcallback;

	state.source_id = args.source_id;
	state.source_name = psprintf("%d", state.source_id);
	round_cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay round",
									  ALLOCSET_DEFAULT_SIZES);
	event_cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay event",
									  ALLOCSET_DEFAULT_SIZES);
	replay_cursor_init(&cursor, state.source_id);

	errcallback.callback = replay_error_callback;
	errcallback.arg = NULL;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	MemoryContextSwitchTo(TopMemoryContext);
	chameleon_xact_begin("chameleon replay: start");
	state.conf = chameleon_conf_current(state.source_id, NULL);
	state.source_name = state.conf->name;
	chameleon_xact_commit();
	pgstat_report_appname(psprintf("chameleon replay %s", state.source_name));
	chameleon_worker_attach(CHAMELEON_WORKER_REPLAY, state.source_id);

	/* a crash that loses the last commits keeps their log partitions too */
	SetConfigOption("synchronous_commit", "off", PGC_USERSET, PGC_S_OVERRIDE);

	(void) chameleon_state_lock(CHAMELEON_LOCK_REPLAY, state.source_id, state.source_name, true);
	ereport(LOG, (errmsg("replay of source \"%s\" started", state.source_name)));

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
