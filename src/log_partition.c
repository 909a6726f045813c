/*-------------------------------------------------------------------------
 *
 * log_partition.c
 *	  The change log's life cycle.  Each source's partition of
 *	  chameleon.log_event (log_event_<id>) is itself partitioned by ranges
 *	  of event_id: log_event_<id>_<first id>, chameleon.log_partition_events
 *	  ids wide.  The reader creates these sub-partitions ahead of the ids it
 *	  writes; once the replay has applied every event of one, it is dropped
 *	  whole.  Nothing is deleted from the log row by row any more, so the
 *	  log leaves no dead tuples behind and needs no VACUUM.
 *
 *	  Which sub-partitions may go: those whose whole range is at or below
 *	  the committed replay position.  The reader only appends, after its
 *	  committed read position, which is never behind the replay position,
 *	  so such a range can never receive an event again.  The highest
 *	  sub-partition is kept in any case, so that the reader always has
 *	  somewhere to write.
 *
 *	  Locks (checked on PostgreSQL 15): CREATE TABLE ... PARTITION OF and
 *	  DROP TABLE of a sub-partition both take an AccessExclusiveLock on
 *	  log_event_<id> (not on chameleon.log_event), which conflicts with the
 *	  reader's inserts and the replay's reads.  Hence:
 *	  - the reader creates sub-partitions in a short transaction of its
 *	    own, before the batch's transaction, holding no other lock; it
 *	    waits only when the batch needs the partition (for the replay's
 *	    current round at most), and creates the next one ahead only when
 *	    the lock is free;
 *	  - the replay drops sub-partitions in a short transaction after its
 *	    round's commit, holding no other lock, and only with conditional
 *	    locks: parent first (as every query and DROP TABLE do), then each
 *	    child; a busy log costs one skipped attempt, never a wait;
 *	  - run_maintenance() may wait for the parent (bounded by the source's
 *	    lock_timeout) but takes each child conditionally, so that it never
 *	    holds the parent while waiting for something else.
 *	  Nobody waits for one of these locks while holding another one, so
 *	  they cannot take part in a deadlock, and the reader is held up only
 *	  for the few milliseconds a CREATE or DROP takes.
 *
 *	  Also here: the replay's periodic maintenance (auto_maintenance,
 *	  batch_retention) and chameleon._log_recycle() for run_maintenance().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "chameleon.h"
#include "log_partition.h"
#include "names.h"
#include "worker_util.h"

/* maintenance interval of the replay when auto_maintenance is disabled */
#define LOG_MAINT_DEFAULT_MS	(5 * 60 * 1000)

/* The replay's maintenance schedule (one source per replay process). */
typedef struct LogMaintState
{
	int64		drop_at;		/* recycle once replayed_upto + 1 reaches it;
								 * -1: not known yet */
	int64		quiet_upto;		/* replay position of the last complete pass */
	int64		interval_ms;	/* between maintenance passes */
	bool		auto_enabled;	/* auto_maintenance is an interval */
	TimestampTz last_pass;
} LogMaintState;

static LogMaintState maint = {-1, -1, LOG_MAINT_DEFAULT_MS, false, 0};

PG_FUNCTION_INFO_V1(chameleon_sql_log_recycle);

static int64 create_partitions(int32 source_id, int64 first_id, int64 last_id,
							   int64 goal, int64 width);

/* The RangeVar of a source's log partition, chameleon.log_event_<id>. */
static RangeVar *
log_parent_rv(int32 source_id)
{
	return makeRangeVar(CHAMELEON_SCHEMA, chameleon_log_table_name(source_id), -1);
}

/*
 * See log_partition.h.  Read from the catalogue through
 * chameleon._log_partitions(), the one place that parses partition bounds.
 */
LogPart *
chameleon_log_parts(int32 source_id, int *nparts)
{
	MemoryContext caller = CurrentMemoryContext;
	LogPart    *parts = NULL;
	uint64		n;

	*nparts = 0;
	SPI_connect();
	n = CAT_RUN("SELECT partition::oid, first_event_id, end_event_id"
				"  FROM chameleon._log_partitions($1)", cat_int4(source_id));
	if (n > 0)
	{
		parts = MemoryContextAlloc(caller, sizeof(LogPart) * n);
		for (uint64 i = 0; i < n; i++)
		{
			bool		isnull;

			parts[i].relid = DatumGetObjectId(cat_get_datum(i, 1, &isnull));
			parts[i].first = cat_get_int8(i, 2, 0);
			parts[i].end = cat_get_int8(i, 3, 0);
		}
		*nparts = (int) n;
	}
	SPI_finish();
	return parts;
}

/* End (exclusive) of the highest sub-partition of a source's log; 0: none. */
static int64
log_top(int32 source_id)
{
	int			n;
	LogPart    *parts = chameleon_log_parts(source_id, &n);

	return n > 0 ? parts[n - 1].end : 0;
}

/* Runs one utility statement through SPI (its own connection level). */
static void
log_exec(const char *sql)
{
	SPI_connect();
	chameleon_cat_exec_dynamic(sql);
	SPI_finish();
}

/*
 * Reader: makes sure the log can take event ids first_id..last_id.  The
 * cached *covered avoids any catalogue access while the current
 * sub-partition has room.  The next one is created from the moment the
 * reader is half-way through the current one, with a conditional lock,
 * retried at every batch: the reader waits for the lock (for the replay's
 * current round) only when none of these attempts found the log free.
 */
void
chameleon_log_ensure(int32 source_id, int64 first_id, int64 last_id, int64 *covered)
{
	int64		width = Max(chameleon_log_partition_events, 1);
	int64		goal = last_id + width / 2;
	MemoryContext old;
	MemoryContext tmp;

	/* goal >= last_id: room for half a partition more than the batch */
	if (goal < *covered)
		return;

	/* the reader's contexts live long: nothing of this stays behind */
	tmp = AllocSetContextCreate(CurrentMemoryContext, "chameleon log partitions",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(tmp);
	chameleon_xact_begin("chameleon reader: create log partitions");
	*covered = create_partitions(source_id, first_id, last_id, goal, width);
	chameleon_xact_commit();
	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);
}

/*
 * In the transaction of chameleon_log_ensure(): creates sub-partitions up
 * to goal; returns the end of the highest one.
 */
static int64
create_partitions(int32 source_id, int64 first_id, int64 last_id, int64 goal,
				  int64 width)
{
	int64		top;
	int64		lower;
	bool		need;
	Oid			parent;

	top = log_top(source_id);
	if (goal < top)
		return top;

	/*
	 * Only a batch that has nowhere to go waits for the lock; creating
	 * ahead is tried again with the next batch when the log is busy.
	 */
	need = last_id >= top;
	parent = RangeVarGetRelidExtended(log_parent_rv(source_id), AccessExclusiveLock,
									  need ? 0 : (RVR_MISSING_OK | RVR_SKIP_LOCKED),
									  NULL, NULL);
	if (!OidIsValid(parent))
		return top;

	/* what exists now that nobody else can change it */
	top = log_top(source_id);
	lower = first_id - first_id % width;
	if (top > lower)
		lower = top;
	/* ranges end on multiples of the width, even after the width changed */
	while (lower <= goal)
	{
		int64		upper = (lower / width + 1) * width;

		/* UNLOGGED: see reader_resume() for what a crash does to it */
		log_exec(psprintf("CREATE UNLOGGED TABLE %s.%s PARTITION OF %s.%s"
						  " FOR VALUES FROM (" INT64_FORMAT ") TO (" INT64_FORMAT ")",
						  CHAMELEON_SCHEMA,
						  quote_identifier(chameleon_log_range_name(source_id, lower)),
						  CHAMELEON_SCHEMA,
						  quote_identifier(chameleon_log_table_name(source_id)),
						  lower, upper));
		lower = upper;
	}
	return Max(lower, top);
}

/* The committed replay position of a source; -1 when it does not exist. */
static int64
committed_replay_position(int32 source_id)
{
	int64		pos = -1;

	SPI_connect();
	if (CAT_RUN("SELECT replay_event_id FROM chameleon.source WHERE source_id = $1",
				cat_int4(source_id)) > 0)
		pos = cat_get_int8(0, 1, -1);
	SPI_finish();
	return pos;
}

/*
 * Drops the fully replayed sub-partitions (see the file header for why
 * this is safe and how it locks).  The position is capped by the
 * committed replay position, so that no caller can drop what the replay
 * has not applied yet.
 */
int
chameleon_log_recycle(int32 source_id, int64 replayed_upto, bool wait, int64 *lowest_end)
{
	int			n;
	int			i;
	int			dropped = 0;
	bool		busy = false;
	LogPart    *parts;
	Oid			parent;
	int64		committed = committed_replay_position(source_id);

	if (lowest_end != NULL)
		*lowest_end = 0;
	replayed_upto = Min(replayed_upto, committed);

	/* first without any lock: most calls have nothing to do */
	parts = chameleon_log_parts(source_id, &n);
	if (lowest_end != NULL && n > 0)
		*lowest_end = parts[0].end;
	if (n < 2 || parts[0].end - 1 > replayed_upto)
		return 0;

	parent = RangeVarGetRelidExtended(log_parent_rv(source_id), AccessExclusiveLock,
									  RVR_MISSING_OK | (wait ? 0 : RVR_SKIP_LOCKED),
									  NULL, NULL);
	if (!OidIsValid(parent))
		return -1;

	/* again under the lock: the reader may have added one meanwhile */
	parts = chameleon_log_parts(source_id, &n);
	for (i = 0; i < n - 1 && parts[i].end - 1 <= replayed_upto; i++)
	{
		char	   *name;

		/*
		 * Someone reading this partition by its own name (its parent
		 * unlocked) would make us wait while holding the parent, and so
		 * stall the reader: leave it for a later pass.
		 */
		if (!ConditionalLockRelationOid(parts[i].relid, AccessExclusiveLock))
		{
			busy = true;
			break;
		}
		name = get_rel_name(parts[i].relid);
		if (name == NULL)
			continue;			/* dropped meanwhile */
		log_exec(psprintf("DROP TABLE %s.%s", CHAMELEON_SCHEMA, quote_identifier(name)));
		dropped++;
	}
	if (lowest_end != NULL)
		*lowest_end = i < n ? parts[i].end : 0;
	if (busy && dropped == 0)
		return -1;
	return dropped;
}

/* The work of chameleon_log_maintain(), errors left to the caller. */
static void
log_maintain(int32 source_id, int64 replayed_upto, TimestampTz now)
{
	bool		pass_due;
	bool		recycle_due;
	int64		lowest_end;
	int			dropped;
	char	   *purged = NULL;

	recycle_due = maint.drop_at < 0 ||
		(replayed_upto + 1 >= maint.drop_at && replayed_upto != maint.quiet_upto);
	pass_due = TimestampDifferenceExceeds(maint.last_pass, now,
										  (int) Min(maint.interval_ms, INT_MAX));
	if (!recycle_due && !pass_due)
		return;

	chameleon_xact_begin("chameleon replay: log maintenance");
	dropped = chameleon_log_recycle(source_id, replayed_upto, false, &lowest_end);
	if (dropped >= 0)
	{
		maint.drop_at = lowest_end;
		maint.quiet_upto = replayed_upto;
	}
	if (pass_due)
	{
		purged = CAT_VALUE("SELECT chameleon._purge_batches($1, false)",
						   cat_int4(source_id));
		maint.last_pass = now;
		ereport(maint.auto_enabled ? LOG : DEBUG1,
				(errmsg("maintenance: %d log partitions dropped%s, %s replayed log batches deleted",
						Max(dropped, 0),
						dropped < 0 ? " (log busy, retried later)" : "",
						purged ? purged : "0")));
	}
	else if (dropped > 0)
		ereport(DEBUG1,
				(errmsg("dropped %d replayed log partitions", dropped)));
	chameleon_xact_commit();
}

/*
 * Replay: recycling and periodic maintenance after a round.  A failure
 * here (say a view someone created on a log partition) must not stop the
 * replication: it is reported as a WARNING and retried later.
 */
void
chameleon_log_maintain(int32 source_id, const char *source_name, int64 replayed_upto,
					   int64 auto_maintenance_ms)
{
	MemoryContext cxt = CurrentMemoryContext;
	TimestampTz now = GetCurrentTimestamp();

	/* batch_retention is honoured even when auto_maintenance is disabled */
	maint.auto_enabled = auto_maintenance_ms > 0;
	maint.interval_ms = maint.auto_enabled ? Max(auto_maintenance_ms, 1000) : LOG_MAINT_DEFAULT_MS;

	PG_TRY();
	{
		log_maintain(source_id, replayed_upto, now);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		MemoryContextSwitchTo(cxt);
		ereport(WARNING,
				(errmsg("log maintenance failed: %s", edata->message),
				 errhint("It is retried at the next maintenance pass; chameleon.run_maintenance('%s') runs it at once.",
						 source_name)));
		FreeErrorData(edata);
		/* not again at every round: at the next pass */
		maint.last_pass = now;
		maint.quiet_upto = replayed_upto;
	}
	PG_END_TRY();
}

/*
 * chameleon._log_recycle(source_id, replayed_upto, lock_timeout): the
 * recycling of run_maintenance().  With a lock_timeout it waits that long
 * at most for the log (ERROR 55P03 after it); with NULL it gives up at
 * once and returns -1 when the log is busy.  Returns the number dropped.
 */
Datum
chameleon_sql_log_recycle(PG_FUNCTION_ARGS)
{
	int32		source_id;
	int64		upto;
	bool		wait = !PG_ARGISNULL(2);
	int			nest = 0;
	int			n;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	source_id = PG_GETARG_INT32(0);
	upto = PG_GETARG_INT64(1);
	if (wait)
	{
		/* like a function's SET clause: restored when we return */
		nest = NewGUCNestLevel();
		(void) set_config_option("lock_timeout", text_to_cstring(PG_GETARG_TEXT_PP(2)),
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
	}
	n = chameleon_log_recycle(source_id, upto, wait, NULL);
	if (wait)
		AtEOXact_GUC(true, nest);
	PG_RETURN_INT32(n);
}
