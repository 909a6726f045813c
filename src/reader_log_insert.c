/*-------------------------------------------------------------------------
 *
 * reader_log_insert.c
 *	  Writes a batch of formed events straight into the log ranges that
 *	  hold their ids (the range partitions of the source's partition of
 *	  chameleon.log_event, src/log_partition.c), the way COPY FROM does:
 *	  many tuples per page with table_multi_insert, then their index
 *	  entries.  An INSERT ... SELECT FROM unnest() routed, inserted and
 *	  indexed one row at a time through the executor; that was most of the
 *	  reader's CPU on a catch-up (bench/catchup.sh).
 *
 *	  The events were formed with chameleon.log_event's row type; a range
 *	  whose columns are numbered otherwise (a range created after a column
 *	  of the log was dropped) gets them converted by name.  The ranges are
 *	  UNLOGGED and have no trigger and no constraint beyond NOT NULL
 *	  columns the reader always fills and the primary key, checked here as
 *	  by any insert.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/tupconvert.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "log_partition.h"
#include "reader_internal.h"

/* tuples handed to one table_multi_insert call at most */
#define LOG_INSERT_TUPLES	1000

/*
 * Inserts events (composite datums, ids ascending) into one log range and
 * its indexes.
 */
static void
insert_range(const ReaderState *st, Oid relid, const Datum *events, int n)
{
	Relation	rel = table_open(relid, RowExclusiveLock);
	TupleConversionMap *map = convert_tuples_by_name(st->event_desc, RelationGetDescr(rel));
	EState	   *estate = CreateExecutorState();
	ResultRelInfo *rri = makeNode(ResultRelInfo);
	BulkInsertState bistate = GetBulkInsertState();
	CommandId	cid = GetCurrentCommandId(true);
	int			nslots = Min(n, LOG_INSERT_TUPLES);
	TupleTableSlot **slots = palloc(sizeof(TupleTableSlot *) * nslots);

	/*
	 * The slots share a copy of the descriptor that is not reference
	 * counted: pinning the relation's own in each slot was a resource
	 * owner entry per slot, 4 % of the reader's CPU.
	 */
	TupleDesc	slotdesc = CreateTupleDescCopy(RelationGetDescr(rel));

	InitResultRelInfo(rri, rel, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	for (int i = 0; i < nslots; i++)
		slots[i] = MakeSingleTupleTableSlot(slotdesc, &TTSOpsHeapTuple);

	for (int done = 0; done < n;)
	{
		int			k = Min(n - done, nslots);

		for (int i = 0; i < k; i++)
		{
			HeapTupleHeader td = (HeapTupleHeader) DatumGetPointer(events[done + i]);
			HeapTupleData tmp;
			HeapTuple	tup;

			tmp.t_len = HeapTupleHeaderGetDatumLength(td);
			ItemPointerSetInvalid(&tmp.t_self);
			tmp.t_tableOid = InvalidOid;
			tmp.t_data = td;
			/* a copy either way: the insert stamps its header */
			tup = map ? execute_attr_map_tuple(&tmp, map) : heap_copytuple(&tmp);
			ExecStoreHeapTuple(tup, slots[i], true);
		}
		table_multi_insert(rel, slots, k, cid, 0, bistate);
		for (int i = 0; i < k; i++)
		{
			if (rri->ri_NumIndices > 0)
				(void) ExecInsertIndexTuples(rri, slots[i], estate, false, false, NULL, NIL);
			ResetPerTupleExprContext(estate);
			ExecClearTuple(slots[i]);
		}
		done += k;
	}

	for (int i = 0; i < nslots; i++)
		ExecDropSingleTupleTableSlot(slots[i]);
	FreeBulkInsertState(bistate);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
	if (map)
		free_conversion_map(map);
	table_close(rel, NoLock);
}

/*
 * See reader_internal.h.  In the batch's transaction, connected to SPI;
 * the ranges exist (chameleon_log_ensure ran before the transaction).
 */
void
reader_log_insert(const ReaderState *st, int64 first_id, const Datum *events, int n)
{
	MemoryContext cxt;
	MemoryContext old;
	LogPart    *ranges;
	int			nranges;
	int			at = 0;

	if (n == 0)
		return;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "chameleon log insert",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	ranges = chameleon_log_parts(st->source_id, &nranges);

	/* ids run from first_id without a gap: each range takes a slice */
	for (int i = 0; i < nranges && at < n; i++)
	{
		int64		id = first_id + at;
		int			k;

		if (ranges[i].end <= id)
			continue;
		if (ranges[i].first > id)
			break;
		k = (int) Min((int64) (n - at), ranges[i].end - id);
		insert_range(st, ranges[i].relid, events + at, k);
		at += k;
	}
	if (at < n)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("no range of the change log of source %d holds event " INT64_FORMAT,
						st->source_id, first_id + at)));
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}
