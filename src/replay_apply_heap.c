/*-------------------------------------------------------------------------
 *
 * replay_apply_heap.c
 *	  The heap way of applying a row: the executor's simple-relation
 *	  routines, as PostgreSQL's logical replication apply worker uses them
 *	  (no parse, plan or portal per row, which is most of the cost of a
 *	  one-row statement).  Values are converted from their text with the
 *	  column type's input function (with the column's typmod, so that a
 *	  value gets the checks and rounding an assignment would give it);
 *	  UPDATE and DELETE find the row through the unique index of
 *	  replica_table.key_columns (without locking it first, see
 *	  find_by_key); ExecSimpleRelation{Insert,Update,Delete} fire the row
 *	  triggers and check the constraints.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "replay_apply_internal.h"

/*
 * Sets up the direct way for plan p when the table allows it: the target
 * column of each after-image element, the before-image element of each
 * key index column, the columns an UPDATE sets, and the defaults of the
 * columns an INSERT leaves out.  False when p must use SPI.
 */
static bool
heap_prepare(ReplayTable *t, ReplayPlan *p, char **anames, int na,
			 char **bnames, int nb)
{
	MemoryContext old;

	if (p->op == 'I' ? !t->direct_insert : !OidIsValid(t->key_index))
		return false;

	old = MemoryContextSwitchTo(replay_cache_context());
	if (p->op != 'I')
	{
		p->key_src = palloc(sizeof(int) * t->nkeyatts);
		for (int k = 0; k < t->nkeyatts; k++)
		{
			p->key_src[k] = -1;
			for (int i = 0; i < nb; i++)
				if (strcmp(bnames[i], t->colnames[t->key_col[k]]) == 0)
					p->key_src[k] = i;
			if (p->key_src[k] < 0)
			{
				/* a key column the before-image lacks: by the full row */
				MemoryContextSwitchTo(old);
				return false;
			}
		}
	}
	p->nafter = na;
	p->after_col = palloc(sizeof(int) * Max(na, 1));
	for (int i = 0; i < na; i++)
	{
		p->after_col[i] = replay_column_index(t, anames[i]);
		if (p->op == 'U' && p->after_col[i] >= 0)
			p->updated_cols = bms_add_member(p->updated_cols,
											 t->cols[p->after_col[i]].attnum - FirstLowInvalidHeapAttributeNumber);
	}
	MemoryContextSwitchTo(old);

	if (p->op == 'I')
	{
		Relation	rel = table_open(t->relid, NoLock);
		bool	   *given = palloc0(sizeof(bool) * t->ncols);

		for (int i = 0; i < na; i++)
			if (p->after_col[i] >= 0)
				given[p->after_col[i]] = true;
		p->default_col = MemoryContextAlloc(replay_cache_context(), sizeof(int) * t->ncols);
		p->default_expr = MemoryContextAllocZero(replay_cache_context(), sizeof(Expr *) * t->ncols);
		for (int c = 0; c < t->ncols; c++)
		{
			Node	   *def;

			if (given[c])
				continue;
			/* planned here, kept (as a node tree) in the cache */
			def = build_column_default(rel, t->cols[c].attnum);
			p->default_col[p->ndefaults] = c;
			if (def != NULL)
			{
				Expr	   *planned = expression_planner((Expr *) def);

				old = MemoryContextSwitchTo(replay_cache_context());
				p->default_expr[p->ndefaults] = copyObject(planned);
				MemoryContextSwitchTo(old);
			}
			p->ndefaults++;
		}
		table_close(rel, NoLock);
	}
	return true;
}

/* The value of an image element for target column col (NULL: SQL NULL). */
static Datum
column_value(const ReplayColumn *col, Datum txt, bool isnull, int32 typmod,
			 bool *valnull)
{
	char	   *str = isnull ? NULL : text_to_cstring(DatumGetTextPP(txt));

	*valnull = isnull;

	/*
	 * Called for NULL too: a domain's input function checks the domain's
	 * constraints on NULL (other input functions are strict).
	 */
	return InputFunctionCall((FmgrInfo *) &col->input, str, col->ioparam, typmod);
}

/*
 * Finds the row whose key index columns equal the before-image's, into
 * slot; false when there is none.  A dirty snapshot sees rows of
 * transactions still running: wait for them, as an UPDATE would, and look
 * again.  The row is not locked first (PostgreSQL's apply worker does):
 * the lock costs a WAL record, and across the source transactions of a
 * round a multixact per hot row; heap_update and heap_delete take the
 * row lock they need, and a change by another session in between is an
 * error ("tuple concurrently updated") after which the round is applied
 * again.
 */
static bool
find_by_key(ReplayTable *t, Relation rel, const Datum *keyvals, TupleTableSlot *slot)
{
	Relation	idx = index_open(t->key_index, RowExclusiveLock);
	ScanKeyData skey[INDEX_MAX_KEYS];
	SnapshotData dirty;
	IndexScanDesc scan;
	bool		found;

	for (int k = 0; k < t->nkeyatts; k++)
	{
		ScanKeyInit(&skey[k], k + 1, BTEqualStrategyNumber, t->key_eqproc[k], keyvals[k]);
		skey[k].sk_collation = t->key_coll[k];
	}
	InitDirtySnapshot(dirty);
	scan = index_beginscan(rel, idx, &dirty, t->nkeyatts, 0);
	for (;;)
	{
		TransactionId xwait;

		index_rescan(scan, skey, t->nkeyatts, NULL, 0);
		found = index_getnext_slot(scan, ForwardScanDirection, slot);
		if (!found)
			break;
		xwait = TransactionIdIsValid(dirty.xmin) ? dirty.xmin : dirty.xmax;
		if (!TransactionIdIsValid(xwait))
			break;
		XactLockTableWait(xwait, rel, &slot->tts_tid, XLTW_Update);
	}
	index_endscan(scan);
	index_close(idx, NoLock);
	return found;
}

/*
 * Applies a row through the executor's simple-relation routines, as a
 * one-row INSERT/UPDATE/DELETE statement would: its own snapshot and
 * command id, row triggers (AFTER ones fired at its end), constraints,
 * index entries.  Returns false when UPDATE/DELETE found no row.
 */
static bool
heap_apply(ReplayTable *t, ReplayPlan *p, const Datum *bvals, const bool *bnulls,
		   const Datum *avals, const bool *anulls)
{
	Relation	rel;
	EState	   *estate;
	RangeTblEntry *rte;
	ResultRelInfo *rri;
	EPQState	epq;
	TupleTableSlot *newslot;
	TupleTableSlot *oldslot = NULL;
	MemoryContext old;
	bool		found = true;

	/* what the previous statements did is visible to this one */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(t->relid, NoLock);

	estate = CreateExecutorState();
	old = MemoryContextSwitchTo(estate->es_query_cxt);
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = t->relid;
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	rte->updatedCols = p->updated_cols;
	ExecInitRangeTable(estate, list_make1(rte));
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	estate->es_output_cid = GetCurrentCommandId(true);
	estate->es_snapshot = GetActiveSnapshot();
	newslot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), &TTSOpsVirtual);
	if (p->op != 'I')
		oldslot = table_slot_create(rel, &estate->es_tupleTable);
	EvalPlanQualInit(&epq, estate, NULL, NIL, -1);
	ExecOpenIndices(rri, false);
	AfterTriggerBeginQuery();

	if (p->op != 'I')
	{
		Datum		keyvals[INDEX_MAX_KEYS];

		for (int k = 0; k < t->nkeyatts; k++)
		{
			int			i = p->key_src[k];
			bool		isnull;

			/* as "key = $n::text::type": the type without modifier */
			keyvals[k] = column_value(&t->cols[t->key_col[k]], bvals[i], bnulls[i], -1, &isnull);
			if (isnull)
				found = false;	/* "key = NULL" finds nothing */
		}
		if (found)
			found = find_by_key(t, rel, keyvals, oldslot);
	}

	if (found)
	{
		int			natts = RelationGetDescr(rel)->natts;
		Datum	   *values = newslot->tts_values;
		bool	   *nulls = newslot->tts_isnull;

		ExecClearTuple(newslot);
		if (p->op == 'U')
		{
			/* columns the image leaves out keep their value */
			slot_getallattrs(oldslot);
			memcpy(values, oldslot->tts_values, sizeof(Datum) * natts);
			memcpy(nulls, oldslot->tts_isnull, sizeof(bool) * natts);
		}
		else if (p->op == 'I')
		{
			ExprContext *econtext = GetPerTupleExprContext(estate);

			memset(nulls, true, sizeof(bool) * natts);
			/* columns the image leaves out get their default */
			for (int d = 0; d < p->ndefaults; d++)
			{
				const ReplayColumn *col = &t->cols[p->default_col[d]];
				int			a = col->attnum - 1;

				if (p->default_expr[d] != NULL)
					values[a] = ExecEvalExpr(ExecInitExpr(p->default_expr[d], NULL),
											 econtext, &nulls[a]);
				else
					values[a] = column_value(col, (Datum) 0, true, col->typmod, &nulls[a]);
			}
		}
		if (p->op != 'D')
		{
			for (int i = 0; i < p->nafter; i++)
			{
				int			c = p->after_col[i];

				if (c >= 0)
				{
					const ReplayColumn *col = &t->cols[c];

					values[col->attnum - 1] = column_value(col, avals[i], anulls[i], col->typmod,
														   &nulls[col->attnum - 1]);
				}
			}
			ExecStoreVirtualTuple(newslot);
		}

		switch (p->op)
		{
			case 'I':
				ExecSimpleRelationInsert(rri, estate, newslot);
				break;
			case 'U':
				EvalPlanQualSetSlot(&epq, newslot);
				ExecSimpleRelationUpdate(rri, estate, &epq, oldslot, newslot);
				break;
			default:
				ExecSimpleRelationDelete(rri, estate, &epq, oldslot);
				break;
		}
	}

	AfterTriggerEndQuery(estate);
	ExecCloseIndices(rri);
	EvalPlanQualEnd(&epq);
	ExecResetTupleTable(estate->es_tupleTable, false);
	MemoryContextSwitchTo(old);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
	PopActiveSnapshot();
	return found;
}

/* Frees what heap_prepare kept (planned defaults go with the context). */
static void
heap_release(ReplayPlan *p)
{
	if (p->after_col)
		pfree(p->after_col);
	if (p->key_src)
		pfree(p->key_src);
	bms_free(p->updated_cols);
	if (p->default_col)
		pfree(p->default_col);
	if (p->default_expr)
		pfree(p->default_expr);
	p->after_col = p->key_src = p->default_col = NULL;
	p->updated_cols = NULL;
	p->default_expr = NULL;
}

const ReplayApplyMethod replay_heap_method = {
	"heap", heap_prepare, heap_apply, heap_release
};
