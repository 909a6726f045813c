/*-------------------------------------------------------------------------
 *
 * replay_hold.c
 *	  What the replay does with the rows of tables whose copy is being
 *	  replaced or has just been replaced while the source runs
 *	  (sync_tables() on a running source).
 *
 *	  While a table is syncing, the new copy's snapshot is not known yet,
 *	  so the replay can neither apply its row changes (the old table is
 *	  about to be dropped) nor drop them (those after the snapshot are not
 *	  in the copy): it keeps them in chameleon.log_held, with the position
 *	  at the end of their source transaction, and goes on with the other
 *	  tables.  Once the copy is swapped in, the held rows of transactions
 *	  ending after the copy's snapshot are applied, in event order, before
 *	  anything newer; the others are dropped.  When the sync fails, the old
 *	  table stays, and all its held rows are applied to it.  DDL on the
 *	  table is held the same way (replay_ddl.c), in its place among the
 *	  rows; each held statement ends the round that applies it, so that
 *	  what it did (an enum label) is committed before the rows after it.
 *
 *	  A table that is enabled but not yet consistent (its copy's snapshot
 *	  lies ahead of the replay) also has its rows of transactions ending at
 *	  or before the snapshot skipped here: the reader filters them too, but
 *	  it may have logged some before it saw the table's new snapshot.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "position.h"
#include "replay_internal.h"
#include "source_state.h"

/* A table the replay treats specially this round. */
typedef struct HoldTable
{
	char	   *schema;			/* MySQL names */
	char	   *table;
	bool		syncing;
	char	   *snapshot_file;	/* NULL: no point to filter by */
	int64		snapshot_pos;
} HoldTable;

static MemoryContext hold_cxt = NULL;
static List *hold_tables = NIL;

/* the end of the source transaction being applied, once looked up */
static int64 txn_end_id = 0;
static char *txn_end_file = NULL;
static int64 txn_end_pos = 0;
static bool txn_held = false;

/* the foreign-key actions held for one event are numbered from 1 */
static int64 hold_seq_event = 0;
static int	hold_seq = 0;

/*
 * Releases the tables left syncing by a job that crashed (no job holds the
 * source's lock); returns how many.
 */
static uint64
release_orphans(ReplayState *st)
{
	return CAT_RUN("UPDATE chameleon.replica_table SET syncing = false"
				   " WHERE source_id = $1 AND syncing"
				   "   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l"
				   "                    WHERE l.locktype = 'advisory' AND l.granted"
				   "                      AND l.classid = $2::oid"
				   "                      AND l.objid = $1::oid AND l.objsubid = 2)",
				   cat_int4(st->source_id), cat_int8(CHAMELEON_LOCK_JOB));
}

/*
 * Reads the tables that are syncing or wait for their consistency point
 * (in the round's transaction; usually none).  Only when some table is
 * syncing is the job's lock looked at: a table left syncing by a job that
 * crashed is released, and the list read again.
 */
void
replay_hold_load(ReplayState *st)
{
	bool		orphans_checked = false;

	if (hold_cxt == NULL)
		hold_cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay hold",
										 ALLOCSET_SMALL_SIZES);
	txn_end_id = 0;
	txn_held = false;

	for (;;)
	{
		bool		any_syncing = false;
		uint64		n;

		MemoryContextReset(hold_cxt);
		hold_tables = NIL;
		n = CAT_VIEW_RUN("SELECT source_schema, source_table, syncing,"
						 "       CASE WHEN NOT consistent THEN snapshot_file END,"
						 "       CASE WHEN NOT consistent THEN snapshot_pos END"
						 "  FROM chameleon.replica_table"
						 " WHERE source_id = $1 AND (syncing OR (enabled AND NOT consistent))",
						 cat_int4(st->source_id));
		for (uint64 i = 0; i < n; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(hold_cxt);
			HoldTable  *h = palloc0(sizeof(HoldTable));

			h->schema = cat_get_text(i, 1);
			h->table = cat_get_text(i, 2);
			h->syncing = cat_get_bool(i, 3, false);
			if (!cat_isnull(i, 4) && !cat_isnull(i, 5))
			{
				h->snapshot_file = cat_get_text(i, 4);
				h->snapshot_pos = cat_get_int8(i, 5, 0);
			}
			hold_tables = lappend(hold_tables, h);
			any_syncing |= h->syncing;
			MemoryContextSwitchTo(old);
		}
		if (!any_syncing || orphans_checked)
			return;
		orphans_checked = true;
		if (release_orphans(st) == 0)
			return;
	}
}

/* The special entry of a MySQL table, or NULL. */
static HoldTable *
hold_lookup(const char *schema, const char *table)
{
	ListCell   *lc;

	if (schema == NULL || table == NULL)
		return NULL;
	foreach(lc, hold_tables)
	{
		HoldTable  *h = (HoldTable *) lfirst(lc);

		if (strcmp(h->schema, schema) == 0 && strcmp(h->table, table) == 0)
			return h;
	}
	return NULL;
}

/* Looks up (once per source transaction) where the event's transaction ends. */
static void
txn_end_lookup(ReplayState *st, int64 event_id)
{
	MemoryContext old;

	if (txn_end_id > event_id)
		return;
	if (CAT_RUN("SELECT event_id, binlog_file, binlog_pos FROM chameleon.log_event"
				" WHERE source_id = $1 AND event_id > $2 AND event_kind = 'C'"
				" ORDER BY event_id LIMIT 1",
				cat_int4(st->source_id), cat_int8(event_id)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the change log of source \"%s\" has no end for the transaction of event " INT64_FORMAT,
						st->source_name, event_id)));
	old = MemoryContextSwitchTo(hold_cxt);
	txn_end_id = cat_get_int8(0, 1, 0);
	txn_end_file = cat_isnull(0, 3) ? NULL : cat_get_text(0, 2);
	txn_end_pos = cat_get_int8(0, 3, 0);
	MemoryContextSwitchTo(old);
}

/* Whether (file, pos) lies at or before the table's snapshot. */
static bool
before_snapshot(const HoldTable *h, const char *file, int64 pos)
{
	if (h->snapshot_file == NULL || file == NULL)
		return false;
	return chameleon_binlog_pos_cmp(file, pos, h->snapshot_file, h->snapshot_pos) <= 0;
}

/* Keeps a row event in chameleon.log_held. */
static void
hold_row(ReplayState *st, const ReplayEvent *ev)
{
	ArrayType  *arrays[4] = {ev->before_names, ev->before_values,
	ev->after_names, ev->after_values};
	CatArg		a[4];

	for (int i = 0; i < 4; i++)
		a[i] = cat_datum(TEXTARRAYOID, PointerGetDatum(arrays[i]), arrays[i] == NULL);
	CAT_RUN("INSERT INTO chameleon.log_held (source_id, event_id, event_kind,"
			"       source_schema, source_table, before_names, before_values,"
			"       after_names, after_values)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
			" ON CONFLICT DO NOTHING",
			cat_int4(st->source_id), cat_int8(ev->event_id),
			cat_datum(CHAROID, CharGetDatum(ev->kind), false),
			cat_text(ev->schema), cat_text(ev->table), a[0], a[1], a[2], a[3]);
	txn_held = true;
}

/*
 * Decides the fate of a change of a table by an event: applied as usual,
 * skipped (the table's new copy holds it), or held until the table's copy
 * is in place.
 */
ReplayRowFate
replay_hold_fate(ReplayState *st, const char *schema, const char *table, int64 event_id)
{
	HoldTable  *h;

	if (hold_tables == NIL)
		return REPLAY_ROW_APPLY;
	h = hold_lookup(schema, table);
	if (h == NULL)
		return REPLAY_ROW_APPLY;
	if (h->syncing)
		return REPLAY_ROW_HELD;
	if (h->snapshot_file == NULL)
		return REPLAY_ROW_APPLY;
	txn_end_lookup(st, event_id);
	return before_snapshot(h, txn_end_file, txn_end_pos) ? REPLAY_ROW_SKIP : REPLAY_ROW_APPLY;
}

/* The fate of a row event; a held one is kept in chameleon.log_held. */
ReplayRowFate
replay_hold_row_fate(ReplayState *st, const ReplayEvent *ev)
{
	ReplayRowFate fate = replay_hold_fate(st, ev->schema, ev->table, ev->event_id);

	if (fate == REPLAY_ROW_HELD)
		hold_row(st, ev);
	return fate;
}

/* A text[] argument from C strings (NULL elements allowed), or SQL NULL. */
static CatArg
text_array_arg(int n, char **items)
{
	Datum	   *elems;
	bool	   *nulls;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	if (items == NULL)
		return cat_datum(TEXTARRAYOID, (Datum) 0, true);
	elems = palloc(sizeof(Datum) * Max(n, 1));
	nulls = palloc(sizeof(bool) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		nulls[i] = items[i] == NULL;
		elems[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(items[i]);
	}
	return cat_datum(TEXTARRAYOID,
					 PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID,
														-1, false, TYPALIGN_INT)),
					 false);
}

/*
 * Keeps a foreign-key action on a table being synced in chameleon.log_held,
 * after the event that caused it (hold_seq orders the actions of one event).
 */
void
replay_hold_fk_action(ReplayState *st, char kind, const char *schema, const char *table,
					  int ncols, char **columns, char **old, char **new)
{
	if (st->ctx.event_id != hold_seq_event)
	{
		hold_seq_event = st->ctx.event_id;
		hold_seq = 0;
	}
	CAT_RUN("INSERT INTO chameleon.log_held (source_id, event_id, hold_seq, event_kind,"
			"       source_schema, source_table, before_names, before_values,"
			"       after_names, after_values)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			cat_int4(st->source_id), cat_int8(st->ctx.event_id), cat_int4(++hold_seq),
			cat_datum(CHAROID, CharGetDatum(kind), false),
			cat_text(schema), cat_text(table),
			text_array_arg(ncols, columns), text_array_arg(ncols, old),
			text_array_arg(ncols, new ? columns : NULL), text_array_arg(ncols, new));
	txn_held = true;
}

/*
 * Keeps a DDL statement on a table being synced in chameleon.log_held:
 * kind Q, its text and default schema as the after image.
 */
void
replay_hold_ddl(ReplayState *st, const char *schema, const char *table,
				const ReplayEvent *ev)
{
	char	   *names[2] = {"query", "schema"};
	char	   *values[2] = {ev->query, ev->schema};

	CAT_RUN("INSERT INTO chameleon.log_held (source_id, event_id, event_kind,"
			"       source_schema, source_table, after_names, after_values)"
			" VALUES ($1, $2, 'Q', $3, $4, $5, $6)"
			" ON CONFLICT DO NOTHING",
			cat_int4(st->source_id), cat_int8(ev->event_id), cat_text(schema),
			cat_text(table), text_array_arg(2, names), text_array_arg(2, values));
	txn_held = true;
}

/* At a 'C' event: records where the transaction of the rows held ends. */
void
replay_hold_txn_end(ReplayState *st, const ReplayEvent *c)
{
	if (!txn_held)
		return;
	txn_held = false;
	CAT_RUN("UPDATE chameleon.log_held SET txn_file = $2, txn_pos = $3"
			" WHERE source_id = $1 AND txn_file IS NULL",
			cat_int4(st->source_id), cat_text(c->binlog_file),
			cat_datum(INT8OID, Int64GetDatum(c->binlog_pos), c->binlog_file == NULL));
}

/* Forgets a transaction that was rolled back (its held rows went with it). */
void
replay_hold_txn_abort(void)
{
	txn_held = false;
	txn_end_id = 0;
	hold_seq_event = 0;
}

/*
 * The MySQL tables with held rows that are no longer syncing: a list of
 * two-element string arrays (schema, table), in the caller's context.
 */
List *
replay_hold_released(ReplayState *st)
{
	List	   *out = NIL;
	uint64		n;

	n = CAT_VIEW_RUN("SELECT DISTINCT h.source_schema, h.source_table"
					 "  FROM chameleon.log_held h"
					 "  LEFT JOIN chameleon.replica_table t ON t.source_id = h.source_id"
					 "   AND t.source_schema = h.source_schema AND t.source_table = h.source_table"
					 " WHERE h.source_id = $1 AND t.syncing IS NOT TRUE",
					 cat_int4(st->source_id));
	for (uint64 i = 0; i < n; i++)
	{
		char	  **pair = palloc(sizeof(char *) * 2);

		pair[0] = cat_get_text(i, 1);
		pair[1] = cat_get_text(i, 2);
		out = lappend(out, pair);
	}
	return out;
}

/* Performs a held foreign-key action (see replay_hold_fk_action). */
static void
apply_held_fk_action(ReplayState *st, const ReplayEvent *ev)
{
	int			ncols;
	int			nold;
	int			nnew;
	char	  **columns = replay_text_array(ev->before_names, &ncols, NULL);
	char	  **old = replay_text_array(ev->before_values, &nold, NULL);
	char	  **new = replay_text_array(ev->after_values, &nnew, NULL);

	if (columns == NULL || old == NULL || nold != ncols || (new != NULL && nnew != ncols))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("held foreign-key action of event " INT64_FORMAT " is malformed",
						ev->event_id)));
	replay_fk_apply(st, ev->kind, ev->schema, ev->table, ncols, columns, old, new, 0);
}

/* Runs a held DDL statement (see replay_hold_ddl) on the table now in place. */
static void
apply_held_ddl(ReplayState *st, const ReplayEvent *ev, bool old_table)
{
	int			n;
	char	  **values = replay_text_array(ev->after_values, &n, NULL);
	ReplayEvent q;

	if (values == NULL || n != 2 || values[0] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("held statement of event " INT64_FORMAT " is malformed",
						ev->event_id)));
	memset(&q, 0, sizeof(q));
	q.event_id = ev->event_id;
	q.kind = 'Q';
	q.query = values[0];
	q.schema = values[1];
	(void) replay_apply_ddl(st, &q,
							old_table ? REPLAY_DDL_HELD_OLD_TABLE : REPLAY_DDL_HELD_NEW_COPY);
}

/*
 * Applies the held rows of one released table that its new copy does not
 * hold (all of them when the sync failed and the old table stayed), in
 * event order, then forgets them.  A held DDL statement ends the work
 * (*ddl set to 1): the rows after it stay held for the next round, after
 * the statement is committed.  Returns the rows applied.  Errors are the
 * caller's to handle (it runs this in a subtransaction).
 */
int64
replay_hold_apply(ReplayState *st, const char *schema, const char *table, int64 *ddl)
{
	Datum		args[6];
	char		nulls[7] = "      ";
	Oid			types[6] = {INT4OID, TEXTOID, TEXTOID, TEXTOID, INT8OID, BOOLOID};
	Portal		portal;
	int64		applied = 0;
	int64		stopped_at = 0;
	bool		in_place;
	bool		consistent = false;
	char	   *snapshot_file = NULL;
	int64		snapshot_pos = 0;
	MemoryContext rowcxt;
	MemoryContext old;

	/* the table's state as the round sees it, like every other decision */
	in_place = CAT_VIEW_RUN("SELECT enabled AND NOT syncing, consistent, snapshot_file, snapshot_pos"
							"  FROM chameleon.replica_table"
							" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
							cat_int4(st->source_id), cat_text(schema), cat_text(table)) == 1 &&
		cat_get_bool(0, 1, false);
	if (in_place)
	{
		consistent = cat_get_bool(0, 2, false);
		if (!consistent && !cat_isnull(0, 3) && !cat_isnull(0, 4))
		{
			snapshot_file = cat_get_text(0, 3);
			snapshot_pos = cat_get_int8(0, 4, 0);
		}
	}

	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "chameleon held row",
								   ALLOCSET_DEFAULT_SIZES);
	args[0] = Int32GetDatum(st->source_id);
	args[1] = CStringGetTextDatum(schema);
	args[2] = CStringGetTextDatum(table);
	args[3] = snapshot_file ? CStringGetTextDatum(snapshot_file) : (Datum) 0;
	nulls[3] = snapshot_file ? ' ' : 'n';
	args[4] = Int64GetDatum(snapshot_pos);
	args[5] = BoolGetDatum(in_place);

	/*
	 * A cursor, not a catalogue statement: the held rows may be many.  A
	 * table not in place (disabled, or gone) gets none of them.
	 */
	portal = SPI_cursor_open_with_args(NULL,
									   "SELECT h.event_id, h.event_kind, h.before_names, h.before_values,"
									   " h.after_names, h.after_values"
									   "  FROM chameleon.log_held h"
									   " WHERE h.source_id = $1 AND h.source_schema = $2 AND h.source_table = $3"
									   "   AND $6"
									   "   AND ($4::text IS NULL OR h.txn_file IS NULL"
									   "        OR chameleon._binlog_pos_cmp(h.txn_file, h.txn_pos, $4, $5) > 0)"
									   " ORDER BY h.event_id, h.hold_seq",
									   6, types, args, nulls, true, 0);
	for (;;)
	{
		SPITupleTable *tt;
		uint64		n;

		SPI_cursor_fetch(portal, true, 1000);
		tt = SPI_tuptable;
		n = SPI_processed;
		if (n == 0)
			break;
		for (uint64 i = 0; i < n; i++)
		{
			ReplayEvent ev;
			bool		isnull;
			Datum		d;
			ArrayType **arrays[4] = {&ev.before_names, &ev.before_values,
			&ev.after_names, &ev.after_values};

			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(rowcxt);
			old = MemoryContextSwitchTo(rowcxt);
			memset(&ev, 0, sizeof(ev));
			ev.event_id = DatumGetInt64(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
			ev.kind = DatumGetChar(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
			ev.schema = pstrdup(schema);
			ev.table = pstrdup(table);
			for (int k = 0; k < 4; k++)
			{
				d = SPI_getbinval(tt->vals[i], tt->tupdesc, 3 + k, &isnull);
				*arrays[k] = isnull ? NULL : DatumGetArrayTypePCopy(d);
			}
			st->ctx.event_id = ev.event_id;
			replay_ctx_set(st, ev.schema, ev.table, NULL, NULL);
			if (ev.kind == 'I' || ev.kind == 'U' || ev.kind == 'D')
			{
				if (replay_apply_row(st, &ev))
					applied++;
				replay_fk_after_change(st, &ev);
			}
			else if (ev.kind == 'Q')
			{
				/* consistent: the sync failed, this is the old table */
				apply_held_ddl(st, &ev, consistent);
				stopped_at = ev.event_id;
			}
			else
				apply_held_fk_action(st, &ev);
			/* what the context points to goes with the row */
			st->ctx.event_id = 0;
			replay_ctx_set(st, NULL, NULL, NULL, NULL);
			MemoryContextSwitchTo(old);
			if (stopped_at != 0)
				break;
		}
		SPI_freetuptable(tt);
		if (stopped_at != 0)
			break;
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(rowcxt);

	/* what was applied, or skipped as older than the copy */
	CAT_RUN("DELETE FROM chameleon.log_held"
			" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3"
			"   AND ($4 = 0 OR event_id <= $4)",
			cat_int4(st->source_id), cat_text(schema), cat_text(table),
			cat_int8(stopped_at));
	*ddl = stopped_at != 0 ? 1 : 0;
	return applied;
}
