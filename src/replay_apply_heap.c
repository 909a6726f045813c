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
 *	  triggers and check the constraints.  The executor state of a table
 *	  (result relation, open indexes) is kept across its rows until the
 *	  transaction ends (see kept_execs).
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
#include "utils/resowner.h"
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
 * again.  idx is the key index, open.
 */
static bool
find_by_key(ReplayTable *t, Relation rel, Relation idx, const Datum *keyvals,
			TupleTableSlot *slot)
{
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
	return found;
}

/*
 * Sets up x, the executor state of a one-row statement on table t (rel,
 * open), in the current memory context and resource owner.
 */
static void
exec_open(ReplayExec *x, ReplayTable *t, Relation rel)
{
	x->table = t;
	x->rel = rel;
	x->estate = CreateExecutorState();
	MemoryContextSwitchTo(x->estate->es_query_cxt);
	x->rte = makeNode(RangeTblEntry);
	x->rte->rtekind = RTE_RELATION;
	x->rte->relid = t->relid;
	x->rte->relkind = rel->rd_rel->relkind;
	x->rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(x->estate, list_make1(x->rte));
	x->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(x->rri, rel, 1, NULL, 0);
	x->newslot = ExecInitExtraTupleSlot(x->estate, RelationGetDescr(rel), &TTSOpsVirtual);
	EvalPlanQualInit(&x->epq, x->estate, NULL, NIL, -1);
	ExecOpenIndices(x->rri, false);
	x->key_idx = NULL;
	for (int i = 0; i < x->rri->ri_NumIndices; i++)
		if (RelationGetRelid(x->rri->ri_IndexRelationDescs[i]) == t->key_index)
			x->key_idx = x->rri->ri_IndexRelationDescs[i];
}

/* Releases what exec_open set up, in the resource owner it used. */
static void
exec_free(ReplayExec *x)
{
	ExecCloseIndices(x->rri);
	EvalPlanQualEnd(&x->epq);
	ExecResetTupleTable(x->estate->es_tupleTable, false);
	FreeExecutorState(x->estate);
	table_close(x->rel, NoLock);
}

/*
 * The executor states kept across rows, one per table, until the end of
 * the transaction (the one-row statements of a round are its thousands of
 * rows on a few tables: setting the state up for each row, its indexes
 * opened and their descriptions built, was a twelfth of the replay's CPU
 * on a catch-up).  Their relations, index locks and slot descriptors are
 * held by the top transaction's resource owner, so that a rolled-back
 * subtransaction leaves them valid; they are released before the
 * transaction commits, and before any DDL (which refuses a table this
 * session holds open).  Tables with triggers are not kept: trigger
 * firing opens relations of its own in the state.
 */
static ReplayExec *kept_execs = NULL;
static bool kept_callback_set = false;

/* See replay_apply_internal.h. */
void
replay_exec_close(ReplayTable *t)
{
	ReplayExec *x = t->exec;
	ReplayExec **link;
	ResourceOwner save = CurrentResourceOwner;

	if (x == NULL)
		return;
	for (link = &kept_execs; *link != NULL; link = &(*link)->next)
		if (*link == x)
		{
			*link = x->next;
			break;
		}
	t->exec = NULL;
	CurrentResourceOwner = TopTransactionResourceOwner;
	exec_free(x);
	CurrentResourceOwner = save;
	pfree(x);
}

/* See replay_internal.h. */
void
replay_exec_close_all(void)
{
	while (kept_execs != NULL)
		replay_exec_close(kept_execs->table);
}

/*
 * Releases the kept states before a commit; after an abort, whose
 * resource owner releases what they held, only forgets them (their memory
 * goes with the transaction's).
 */
static void
exec_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			replay_exec_close_all();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			for (ReplayExec *x = kept_execs; x != NULL; x = x->next)
				x->table->exec = NULL;
			kept_execs = NULL;
			break;
		default:
			break;
	}
}

/*
 * The executor state for a row of table t: the kept one, a new kept one,
 * or, for a table with triggers, a one-row state set up in *local.
 */
static ReplayExec *
exec_get(ReplayTable *t, ReplayExec *local)
{
	Relation	rel;
	ReplayExec *x;
	ResourceOwner save = CurrentResourceOwner;
	MemoryContext old = CurrentMemoryContext;

	if (t->exec != NULL)
		return t->exec;
	rel = table_open(t->relid, NoLock);
	if (rel->trigdesc != NULL)
	{
		exec_open(local, t, rel);
		MemoryContextSwitchTo(old);
		return local;
	}
	table_close(rel, NoLock);

	if (!kept_callback_set)
	{
		RegisterXactCallback(exec_xact_callback, NULL);
		kept_callback_set = true;
	}
	x = MemoryContextAllocZero(TopTransactionContext, sizeof(ReplayExec));
	MemoryContextSwitchTo(TopTransactionContext);
	CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		/* held by the top transaction too: see replay_table_prepare */
		exec_open(x, t, table_open(t->relid, RowExclusiveLock));
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = save;
		MemoryContextSwitchTo(old);
	}
	PG_END_TRY();
	x->next = kept_execs;
	kept_execs = x;
	t->exec = x;
	return x;
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
	ReplayExec	local;
	ReplayExec *x;
	EState	   *estate;
	TupleTableSlot *newslot;
	TupleTableSlot *oldslot = NULL;
	bool		found = true;

	/* what the previous statements did is visible to this one */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	x = exec_get(t, &local);
	estate = x->estate;
	estate->es_output_cid = GetCurrentCommandId(true);
	estate->es_snapshot = GetActiveSnapshot();
	x->rte->updatedCols = p->updated_cols;
	newslot = x->newslot;
	/* this row's: a rolled-back row releases the buffer it pins */
	if (p->op != 'I')
		oldslot = table_slot_create(x->rel, NULL);
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
		if (found && x->key_idx != NULL)
			found = find_by_key(t, x->rel, x->key_idx, keyvals, oldslot);
		else if (found)
		{
			Relation	idx = index_open(t->key_index, RowExclusiveLock);

			found = find_by_key(t, x->rel, idx, keyvals, oldslot);
			index_close(idx, NoLock);
		}
	}

	if (found)
	{
		int			natts = RelationGetDescr(x->rel)->natts;
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
				ExecSimpleRelationInsert(x->rri, estate, newslot);
				break;
			case 'U':
				EvalPlanQualSetSlot(&x->epq, newslot);
				ExecSimpleRelationUpdate(x->rri, estate, &x->epq, oldslot, newslot);
				break;
			default:
				ExecSimpleRelationDelete(x->rri, estate, &x->epq, oldslot);
				break;
		}
	}

	AfterTriggerEndQuery(estate);
	ExecClearTuple(newslot);
	if (oldslot != NULL)
		ExecDropSingleTupleTableSlot(oldslot);
	ResetPerTupleExprContext(estate);
	if (x == &local)
		exec_free(x);
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
