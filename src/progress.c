/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  Progress where a DBA waits.
 *
 *	  An SQL call with wait => true (init_replica, refresh_schema,
 *	  sync_tables...) waits for its background worker here and raises a
 *	  NOTICE every few seconds: items done of all, rows done of expected,
 *	  the rate and the time left, read from the catalogue by a query the
 *	  caller gives (chameleon.table_progress for the copy jobs), so that
 *	  any waiting call can use it.  The query runs with a fresh snapshot
 *	  each time (READ COMMITTED) and sees what the worker has committed.
 *
 *	  The copy of a table shows in pg_stat_progress_copy as one COPY FROM
 *	  into it (relid: the table, which keeps its OID when it is swapped
 *	  in), bytes and tuples counting across the table's chunks.  Each chunk
 *	  is a COPY FROM of its own, which reports itself from BeginCopyFrom to
 *	  EndCopyFrom: that report would restart from zero at every chunk and
 *	  vanish between chunks (while the rows are read from MySQL), so the
 *	  chunks run with it paused and the copy reports the table's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/progress.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/backend_status.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "catalog.h"
#include "progress.h"
#include "worker_util.h"

/* the first report after this long, then every tenth of the time elapsed */
#define PROGRESS_FIRST_MS	3000
#define PROGRESS_MAX_MS		60000
/* the longest sleep between two looks at the worker */
#define PROGRESS_POLL_MS	1000

/* What one look at the progress found. */
typedef struct ProgressSample
{
	int64		items_done;
	int64		items_total;
	int64		items_failed;
	int64		rows_done;
	int64		rows_total;
	char	   *detail;
} ProgressSample;

/* Runs the progress query; false when it returned no row. */
static bool
read_sample(const ChameleonProgress *p, ProgressSample *s, MemoryContext cxt)
{
	bool		found = false;

	SPI_connect();
	if (CAT_RUN(p->query, cat_int4(p->key)) > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		s->items_done = cat_get_int8(0, 1, 0);
		s->items_total = cat_get_int8(0, 2, 0);
		s->items_failed = cat_get_int8(0, 3, 0);
		s->rows_done = cat_get_int8(0, 4, 0);
		s->rows_total = cat_get_int8(0, 5, 0);
		s->detail = cat_get_text(0, 6);
		MemoryContextSwitchTo(old);
		found = true;
	}
	SPI_finish();
	return found;
}

/* Appends a duration such as "45 s", "3 min 20 s" or "2 h 5 min". */
static void
append_duration(StringInfo buf, int64 seconds)
{
	if (seconds < 60)
		appendStringInfo(buf, INT64_FORMAT " s", seconds);
	else if (seconds < 3600)
		appendStringInfo(buf, INT64_FORMAT " min " INT64_FORMAT " s",
						 seconds / 60, seconds % 60);
	else
		appendStringInfo(buf, INT64_FORMAT " h " INT64_FORMAT " min",
						 seconds / 3600, (seconds % 3600) / 60);
}

/*
 * The NOTICE for one sample; rate is in rows per second (negative:
 * unknown yet).
 */
static void
report(const ChameleonProgress *p, const ProgressSample *s, double rate)
{
	StringInfoData buf;

	if (s->items_total == 0)
	{
		ereport(NOTICE,
				(errmsg("%s: preparing", p->what)));
		return;
	}
	initStringInfo(&buf);
	appendStringInfo(&buf, INT64_FORMAT " of " INT64_FORMAT " %s done",
					 s->items_done, s->items_total, p->items);
	if (s->items_failed > 0 || (s->detail != NULL && s->detail[0] != '\0'))
	{
		appendStringInfoString(&buf, " (");
		if (s->items_failed > 0)
			appendStringInfo(&buf, INT64_FORMAT " failed%s", s->items_failed,
							 s->detail != NULL && s->detail[0] != '\0' ? ", " : "");
		if (s->detail != NULL)
			appendStringInfoString(&buf, s->detail);
		appendStringInfoChar(&buf, ')');
	}
	if (s->rows_total > 0)
		appendStringInfo(&buf, ", " INT64_FORMAT " of about " INT64_FORMAT " rows %s (%d%%)",
						 s->rows_done, s->rows_total, p->rows_verb,
						 (int) Min(100, s->rows_done * 100 / s->rows_total));
	else
		appendStringInfo(&buf, ", " INT64_FORMAT " rows %s", s->rows_done, p->rows_verb);
	if (rate > 0)
	{
		appendStringInfo(&buf, ", %.0f rows/s", rate);
		if (s->rows_total > s->rows_done)
		{
			appendStringInfoString(&buf, ", about ");
			append_duration(&buf, (int64) ((s->rows_total - s->rows_done) / rate) + 1);
			appendStringInfoString(&buf, " left");
		}
	}
	if (s->items_done == s->items_total && s->items_failed == 0)
		appendStringInfoString(&buf, ", finishing");
	ereport(NOTICE,
			(errmsg("%s: %s", p->what, buf.data)));
}

/* See progress.h. */
void
chameleon_wait_with_progress(BackgroundWorkerHandle *handle, const ChameleonProgress *p)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "chameleon progress",
											  ALLOCSET_SMALL_SIZES);
	TimestampTz start = GetCurrentTimestamp();
	TimestampTz next = TimestampTzPlusMilliseconds(start, PROGRESS_FIRST_MS);
	bool		visible = !IsolationUsesXactSnapshot();

	for (;;)
	{
		pid_t		pid;
		TimestampTz now;

		if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
			break;
		chameleon_nap(PROGRESS_POLL_MS, WAIT_EVENT_BGWORKER_SHUTDOWN);

		now = GetCurrentTimestamp();
		if (!visible || now < next)
			continue;
		MemoryContextReset(cxt);
		{
			ProgressSample s;
			double		rate = -1;

			if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
				break;
			if (!read_sample(p, &s, cxt))
				continue;
			/* rows per second since the wait began (the job's rows start at 0) */
			if (s.rows_done > 0)
			{
				long		secs;
				int			usecs;

				TimestampDifference(start, now, &secs, &usecs);
				if (secs + usecs / 1e6 > 0.5)
					rate = s.rows_done / (secs + usecs / 1e6);
			}
			report(p, &s, rate);
		}
		{
			long		secs;
			int			usecs;
			int64		interval;

			TimestampDifference(start, now, &secs, &usecs);
			interval = Min(PROGRESS_MAX_MS, Max(PROGRESS_FIRST_MS, secs * 100));
			next = TimestampTzPlusMilliseconds(now, interval);
		}
	}
	MemoryContextDelete(cxt);
}

/* See progress.h. */
void
chameleon_copy_progress(Oid relid, uint64 bytes, uint64 rows, uint64 discarded)
{
	static const int index[] = {
		PROGRESS_COPY_COMMAND,
		PROGRESS_COPY_TYPE,
		PROGRESS_COPY_BYTES_PROCESSED,
		PROGRESS_COPY_TUPLES_PROCESSED,
		PROGRESS_COPY_TUPLES_EXCLUDED
	};
	int64		values[5];

	/* an aborted (sub)transaction may have ended the report */
	if (MyBEEntry == NULL || MyBEEntry->st_progress_command != PROGRESS_COMMAND_COPY ||
		MyBEEntry->st_progress_command_target != relid)
		pgstat_progress_start_command(PROGRESS_COMMAND_COPY, relid);
	values[0] = PROGRESS_COPY_COMMAND_FROM;
	values[1] = PROGRESS_COPY_TYPE_CALLBACK;
	values[2] = (int64) bytes;
	values[3] = (int64) rows;
	values[4] = (int64) discarded;
	pgstat_progress_update_multi_param(lengthof(index), index, values);
}

/* See progress.h. */
void
chameleon_copy_progress_end(void)
{
	pgstat_progress_end_command();
}

/* See progress.h. */
uint64
chameleon_copy_quietly(uint64 (*fn) (void *arg), void *arg)
{
	bool		tracking = pgstat_track_activities;
	volatile uint64 n = 0;

	/*
	 * pgstat_progress_start_command, _update_param and _end_command do
	 * nothing while track_activities is off: the table's report stays as
	 * it is.  Nothing else inside COPY FROM reports activity.
	 */
	pgstat_track_activities = false;
	PG_TRY();
	{
		n = fn(arg);
	}
	PG_FINALLY();
	{
		pgstat_track_activities = tracking;
	}
	PG_END_TRY();
	return n;
}
