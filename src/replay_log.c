/*-------------------------------------------------------------------------
 *
 * replay_log.c
 *	  Reads chameleon.log_event for the replay worker: the events of an
 *	  event_id range in order, a chunk at a time, copied into a memory
 *	  context of their own.  A chunk holds at most a thousand events and
 *	  stops early once it holds REPLAY_CHUNK_BYTES, so that a transaction
 *	  of millions of rows (or of big blobs) is streamed with bounded memory.
 *
 *	  The rows are read straight from the source's log ranges (the range
 *	  partitions of its list partition, src/log_partition.c) through their
 *	  primary key index, not through a query: the executor, SPI's copy of
 *	  every row into a tuple table and the memory of that table were a
 *	  seventh of the replay's CPU on a catch-up (bench/catchup.sh).  The
 *	  ranges are listed with a query, again only when the ones known do not
 *	  span the events asked for (replay_cursor_seek).  Where a round ends
 *	  (replay_cursor_round_end) is found the same way.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "chameleon.h"
#include "replay_internal.h"

/* rows per fetch at most, and the memory a chunk may use */
#define REPLAY_CHUNK_ROWS	1000
#define REPLAY_CHUNK_BYTES	(32 * 1024 * 1024)

/* the columns of chameleon.log_event the replay reads, by name */
enum
{
	LOG_EVENT_ID, LOG_KIND, LOG_SCHEMA, LOG_TABLE, LOG_BEFORE_NAMES,
	LOG_BEFORE_VALUES, LOG_AFTER_NAMES, LOG_AFTER_VALUES, LOG_QUERY,
	LOG_FILE, LOG_POS, LOG_GTID, LOG_TIME, LOG_NCOLS
};
static const char *const log_columns[LOG_NCOLS] = {
	"event_id", "event_kind", "source_schema", "source_table", "before_names",
	"before_values", "after_names", "after_values", "query", "binlog_file",
	"binlog_pos", "gtid", "event_time"
};

/* A range partition of the log: the event ids [first, end) it holds. */
typedef struct ReplayLogRange
{
	Oid			relid;
	int64		first;
	int64		end;
} ReplayLogRange;

/* Sets up a cursor (its memory lives under TopMemoryContext). */
void
replay_cursor_init(ReplayCursor *cur, int32 source_id)
{
	memset(cur, 0, sizeof(*cur));
	cur->source_id = source_id;

	/*
	 * A first block that holds a usual chunk and is kept across resets:
	 * blocks malloc'd and freed for every chunk were page faults.
	 */
	cur->cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay chunk",
									 0, 1024 * 1024, 8 * 1024 * 1024);
	cur->range_cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay log ranges",
										   ALLOCSET_SMALL_SIZES);
	cur->limit = REPLAY_CHUNK_ROWS;
}

/*
 * Lists the log ranges that hold an event after "after", unless the ones
 * known span (after, end] already and "force" is false; true when it did.
 */
static bool
ranges_cover(ReplayCursor *cur, int64 after, int64 end, bool force)
{
	if (force || cur->nranges == 0 || cur->ranges[cur->nranges - 1].end <= end ||
		cur->ranges[0].first > after + 1)
	{
		uint64		n;

		MemoryContextReset(cur->range_cxt);
		cur->ranges = NULL;
		cur->nranges = 0;
		/* the ranges [first, end) that hold an event after "after" */
		n = CAT_RUN("SELECT partition::oid, first_event_id, end_event_id"
					"  FROM chameleon._log_partitions($1)"
					" WHERE end_event_id > $2 + 1"
					" ORDER BY first_event_id",
					cat_int4(cur->source_id), cat_int8(after));
		cur->ranges = MemoryContextAlloc(cur->range_cxt, sizeof(ReplayLogRange) * Max(n, 1));
		for (uint64 i = 0; i < n; i++)
		{
			bool		isnull;

			cur->ranges[i].relid = DatumGetObjectId(cat_get_datum(i, 1, &isnull));
			cur->ranges[i].first = cat_get_int8(i, 2, 0);
			cur->ranges[i].end = cat_get_int8(i, 3, 0);
		}
		cur->nranges = (int) n;
		return true;
	}
	return false;
}

/*
 * Positions the cursor after event "after", up to event "end" included.
 * The log ranges that hold those events are listed again only when the
 * ranges known do not span them: the reader adds ranges above the
 * highest one only, and only ranges wholly replayed are dropped, so the
 * list stays right for every event not replayed yet (a query per round
 * was a cost of its own at a steady load of small rounds).
 */
void
replay_cursor_seek(ReplayCursor *cur, int64 after, int64 end)
{
	MemoryContextReset(cur->cxt);
	cur->events = NULL;
	cur->nevents = 0;
	cur->next = 0;
	cur->pos = after;
	cur->end = end;
	if (after >= end)
		return;

	ranges_cover(cur, after, end, false);

	/* the first range that holds an event after "after" */
	cur->range = 0;
	while (cur->range < cur->nranges && cur->ranges[cur->range].end - 1 <= after)
		cur->range++;
}

/* A copy of a nullable text column of the slot (by index), or NULL. */
static char *
copy_text(TupleTableSlot *slot, int att)
{
	return slot->tts_isnull[att] ? NULL : TextDatumGetCString(slot->tts_values[att]);
}

/* A detoasted copy of a nullable array column of the slot, or NULL; adds its size. */
static ArrayType *
copy_array(TupleTableSlot *slot, int att, Size *bytes)
{
	ArrayType  *a;

	if (slot->tts_isnull[att])
		return NULL;
	a = DatumGetArrayTypePCopy(slot->tts_values[att]);
	*bytes += VARSIZE(a);
	return a;
}

/*
 * Copies the log row in slot into ev (in the current context); att maps
 * the columns read to the slot's attribute indexes.
 */
static void
copy_event(TupleTableSlot *slot, const int *att, ReplayEvent *ev, Size *bytes)
{
	slot_getallattrs(slot);
	if (slot->tts_isnull[att[LOG_EVENT_ID]] || slot->tts_isnull[att[LOG_KIND]])
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a row of the change log has no event id or kind")));
	ev->event_id = DatumGetInt64(slot->tts_values[att[LOG_EVENT_ID]]);
	ev->kind = DatumGetChar(slot->tts_values[att[LOG_KIND]]);
	ev->schema = copy_text(slot, att[LOG_SCHEMA]);
	ev->table = copy_text(slot, att[LOG_TABLE]);
	ev->before_names = copy_array(slot, att[LOG_BEFORE_NAMES], bytes);
	ev->before_values = copy_array(slot, att[LOG_BEFORE_VALUES], bytes);
	ev->after_names = copy_array(slot, att[LOG_AFTER_NAMES], bytes);
	ev->after_values = copy_array(slot, att[LOG_AFTER_VALUES], bytes);
	ev->query = copy_text(slot, att[LOG_QUERY]);
	ev->binlog_file = copy_text(slot, att[LOG_FILE]);
	ev->binlog_pos = slot->tts_isnull[att[LOG_POS]] ? -1 : DatumGetInt64(slot->tts_values[att[LOG_POS]]);
	ev->gtid = copy_text(slot, att[LOG_GTID]);
	ev->has_time = !slot->tts_isnull[att[LOG_TIME]];
	ev->event_time = ev->has_time ? DatumGetTimestampTz(slot->tts_values[att[LOG_TIME]]) : 0;
}

/* The attribute index of each column read, in the range's own descriptor. */
static void
map_columns(Relation rel, int *att)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int c = 0; c < LOG_NCOLS; c++)
	{
		att[c] = -1;
		for (int a = 0; a < desc->natts; a++)
		{
			Form_pg_attribute attr = TupleDescAttr(desc, a);

			if (!attr->attisdropped && strcmp(NameStr(attr->attname), log_columns[c]) == 0)
				att[c] = a;
		}
		if (att[c] < 0)
			elog(ERROR, "the change log range \"%s\" has no column \"%s\"",
				 RelationGetRelationName(rel), log_columns[c]);
	}
}

/* An index scan of one log range by event id, with the range's column map. */
typedef struct RangeScan
{
	Relation	rel;
	Relation	idx;
	Snapshot	snap;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	int			att[LOG_NCOLS];
} RangeScan;

/*
 * Starts a scan of the events of (after, upto] in one log range, through
 * its primary key (source_id, event_id), with the latest snapshot.
 */
static void
range_scan_begin(RangeScan *rs, const ReplayCursor *cur, const ReplayLogRange *range,
				 int64 after, int64 upto)
{
	ScanKeyData skey[3];
	Oid			idxid;

	/* only replayed ranges are dropped, and these are not replayed yet */
	rs->rel = try_table_open(range->relid, AccessShareLock);
	if (rs->rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a range of the change log of source %d is gone before event " INT64_FORMAT " was replayed",
						cur->source_id, after + 1)));
	map_columns(rs->rel, rs->att);
	idxid = RelationGetPrimaryKeyIndex(rs->rel);
	if (!OidIsValid(idxid))
		elog(ERROR, "the change log range \"%s\" has no primary key", RelationGetRelationName(rs->rel));
	rs->idx = index_open(idxid, AccessShareLock);

	ScanKeyInit(&skey[0], 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(cur->source_id));
	ScanKeyInit(&skey[1], 2, BTGreaterStrategyNumber, F_INT8GT, Int64GetDatum(after));
	ScanKeyInit(&skey[2], 2, BTLessEqualStrategyNumber, F_INT8LE, Int64GetDatum(upto));
	rs->snap = RegisterSnapshot(GetLatestSnapshot());
	rs->slot = table_slot_create(rs->rel, NULL);
	rs->scan = index_beginscan(rs->rel, rs->idx, rs->snap, 3, 0);
	index_rescan(rs->scan, skey, 3, NULL, 0);
}

/* Ends a scan started by range_scan_begin. */
static void
range_scan_end(RangeScan *rs)
{
	index_endscan(rs->scan);
	ExecDropSingleTupleTableSlot(rs->slot);
	UnregisterSnapshot(rs->snap);
	index_close(rs->idx, NoLock);
	table_close(rs->rel, NoLock);
}

/*
 * Reads up to cur->limit events of (cur->pos, cur->end] from one log range,
 * in event_id order, into cur->events; returns how many.
 */
static int
read_range(ReplayCursor *cur, const ReplayLogRange *range, Size *bytes)
{
	RangeScan	rs;
	int			n = 0;

	range_scan_begin(&rs, cur, range, cur->pos, cur->end);
	while (n < cur->limit && index_getnext_slot(rs.scan, ForwardScanDirection, rs.slot))
	{
		copy_event(rs.slot, rs.att, &cur->events[n++], bytes);
		/* a chunk of big rows stops early; the rest is read next time */
		if (*bytes >= REPLAY_CHUNK_BYTES)
			break;
	}
	range_scan_end(&rs);
	return n;
}

/* Reads the next chunk; false when the range is exhausted. */
static bool
fetch_chunk(ReplayCursor *cur)
{
	Size		bytes = 0;
	MemoryContext old;
	int			copied = 0;

	MemoryContextReset(cur->cxt);
	cur->events = NULL;
	cur->nevents = 0;
	cur->next = 0;

	old = MemoryContextSwitchTo(cur->cxt);
	cur->events = palloc0(sizeof(ReplayEvent) * cur->limit);
	while (copied == 0 && cur->pos < cur->end && cur->range < cur->nranges)
	{
		const ReplayLogRange *range = &cur->ranges[cur->range];

		copied = range->end - 1 > cur->pos ? read_range(cur, range, &bytes) : 0;
		/* this range has nothing more of the span: the next one */
		if (copied == 0)
			cur->range++;
	}
	MemoryContextSwitchTo(old);

	cur->nevents = copied;
	/* adapt the fetch size to the row sizes seen */
	if (bytes >= REPLAY_CHUNK_BYTES)
		cur->limit = Max(16, copied);
	else if (cur->limit < REPLAY_CHUNK_ROWS)
		cur->limit = Min(REPLAY_CHUNK_ROWS, cur->limit * 2);
	return copied > 0;
}

/*
 * The id of the first (ForwardScanDirection) or last 'C' event of one log
 * range within (after, upto], 0 when it holds none.  Only the event id and
 * kind of each row are read.
 */
static int64
range_commit(const ReplayCursor *cur, const ReplayLogRange *range, int64 after,
			 int64 upto, ScanDirection dir)
{
	RangeScan	rs;
	int64		found = 0;

	range_scan_begin(&rs, cur, range, after, upto);
	while (index_getnext_slot(rs.scan, dir, rs.slot))
	{
		bool		isnull;
		Datum		kind = slot_getattr(rs.slot, rs.att[LOG_KIND] + 1, &isnull);

		if (!isnull && DatumGetChar(kind) == 'C')
		{
			found = DatumGetInt64(slot_getattr(rs.slot, rs.att[LOG_EVENT_ID] + 1, &isnull));
			break;
		}
		CHECK_FOR_INTERRUPTS();
	}
	range_scan_end(&rs);
	return found;
}

/*
 * The last 'C' event (end of a source transaction) of the ranges known
 * within (start, limit], else the first one after limit (a source
 * transaction longer than that is applied alone); 0 when no source
 * transaction is complete.  Read through the ranges' primary keys,
 * backwards from the limit: a query's bitmap scan of the whole span was
 * a twentieth of the replay's CPU on a catch-up.
 */
static int64
commit_in_ranges(const ReplayCursor *cur, int64 start, int64 limit)
{
	int64		id;

	for (int i = cur->nranges - 1; i >= 0; i--)
	{
		const ReplayLogRange *range = &cur->ranges[i];

		if (range->first > limit || range->end - 1 <= start)
			continue;
		id = range_commit(cur, range, start, limit, BackwardScanDirection);
		if (id > 0)
			return id;
	}
	for (int i = 0; i < cur->nranges; i++)
	{
		const ReplayLogRange *range = &cur->ranges[i];

		if (range->end - 1 <= limit)
			continue;
		id = range_commit(cur, range, limit, PG_INT64_MAX, ForwardScanDirection);
		if (id > 0)
			return id;
	}
	return 0;
}

/* See commit_in_ranges; the ranges are listed again when they hold none. */
int64
replay_cursor_round_end(ReplayCursor *cur, int64 start, int64 max_rows)
{
	int64		limit = start + max_rows;
	bool		listed = ranges_cover(cur, start, start + 1, false);
	int64		id = commit_in_ranges(cur, start, limit);

	/* the reader may have added a range since they were listed */
	if (id == 0 && !listed)
	{
		ranges_cover(cur, start, start + 1, true);
		id = commit_in_ranges(cur, start, limit);
	}
	return id;
}

/* The next event of the range, or NULL at its end. */
ReplayEvent *
replay_cursor_next(ReplayCursor *cur)
{
	ReplayEvent *ev;

	if (cur->next >= cur->nevents && !fetch_chunk(cur))
		return NULL;
	ev = &cur->events[cur->next++];
	cur->pos = ev->event_id;
	return ev;
}

/*
 * The elements of a text[] as C strings, null_as for an SQL NULL element;
 * NULL (and *n = 0) for a NULL array.
 */
char **
replay_text_array(ArrayType *arr, int *n, const char *null_as)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	*n = 0;
	if (arr == NULL)
		return NULL;
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? (null_as ? pstrdup(null_as) : NULL) : TextDatumGetCString(elems[i]);
	return out;
}
