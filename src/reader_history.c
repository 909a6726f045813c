/*-------------------------------------------------------------------------
 *
 * reader_history.c
 *	  The reader's side of the schema history (history.h): each table's
 *	  layouts by binlog position, moved forward by the DDL of the stream,
 *	  and the TABLE_MAP hook that decodes rows with the layout of their own
 *	  position when the binlog leaves names, signedness, charsets or
 *	  ENUM/SET labels out (binlog_row_metadata MINIMAL or NO_LOG).
 *
 *	  Entries.  Per table, a list of (position, layout) sorted by position;
 *	  the layout at P is the last entry at or before P.  The copy writes one
 *	  at each table's snapshot (copy_worker.c); the reader adds one after
 *	  each DDL statement that changes a logged table, at the position after
 *	  the statement, and writes it in the batch that moves the read
 *	  position past it, so that after a restart history and read position
 *	  agree.  An entry without a layout says that the table does not exist
 *	  there or that the history could not follow it (why).  An entry of the
 *	  copy wins over the reader's at the same position.
 *
 *	  The rows of a transaction are decoded with the layout at the
 *	  transaction's start: DDL is never inside a transaction, and copy
 *	  snapshots are transaction boundaries.  A layout is checked against
 *	  each TABLE_MAP (column count, types, lengths, nullability, and
 *	  signedness when the event has it) before it is used; a table whose
 *	  layout is unknown or does not match is disabled with the reason,
 *	  instead of having its rows guessed.
 *
 *	  Memory.  Layouts belong to the model (malloc); each gets a "view"
 *	  (names, labels and the binlog description of its columns) built on
 *	  first use in the history's context.  The decoder's table maps point
 *	  into views, and a hostile stream could reuse a map in a later
 *	  transaction, so replaced and pruned entries are only freed when the
 *	  decoder goes (reader_history_close); past HIST_GRAVEYARD_MAX of them
 *	  the reader reconnects at the next transaction boundary.
 *
 *	  This file keeps the entries (and writes and reads their catalogue
 *	  rows); reader_history_ddl.c moves them forward with the stream's DDL,
 *	  reader_history_map.c uses them for TABLE_MAP events.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "chameleon.h"
#include "position.h"
#include "reader_history_internal.h"
#include "source_state.h"
#include "worker_util.h"

HistState	hist;

/* Splits a reader key into schema and table (pointers into key). */
void
hist_key_names(const char *key, const char **schema, const char **table)
{
	*schema = key;
	*table = key + strlen(key) + 1;
}

/* Creates the history's context and hashes on first use. */
void
hist_init(ReaderState *st)
{
	HASHCTL		ctl;

	if (hist.cxt != NULL)
		return;
	hist.cxt = AllocSetContextCreate(st->long_cxt, "chameleon schema history",
									 ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = READER_KEY_LEN;
	ctl.entrysize = sizeof(HistTable);
	ctl.hcxt = hist.cxt;
	hist.tables = hash_create("chameleon schema history", 256, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(HistSchema);
	hist.schemas = hash_create("chameleon schema defaults", 16, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* The connection for SHOW CREATE TABLE and schema defaults. */
MYSQL *
hist_conn(ReaderState *st)
{
	if (hist.conn == NULL)
		hist.conn = chameleon_mysql_connect_timeout(st->conf, "schema history", 10);
	return hist.conn;
}

/* The entries of a table (NULL if none and !create). */
HistTable *
hist_table(const char *key, bool create)
{
	bool		found;
	HistTable  *ht;

	ht = (HistTable *) hash_search(hist.tables, key, create ? HASH_ENTER : HASH_FIND, &found);
	if (ht != NULL && !found)
	{
		ht->n = 0;
		ht->cap = 4;
		ht->e = MemoryContextAlloc(hist.cxt, sizeof(HistEntry *) * ht->cap);
	}
	return ht;
}

/* Position comparison of two reader positions. */
int
hist_pos_cmp(const ReaderPos *a, const ReaderPos *b)
{
	return chameleon_binlog_pos_cmp(a->file, (int64) a->pos, b->file, (int64) b->pos);
}

/* Index of the last entry at or before pos, or -1. */
static int
hist_index_at(const HistTable *ht, const ReaderPos *pos)
{
	for (int i = ht->n - 1; i >= 0; i--)
		if (hist_pos_cmp(&ht->e[i]->pos, pos) <= 0)
			return i;
	return -1;
}

/* The entry valid at pos, or NULL. */
HistEntry *
hist_at(const HistTable *ht, const ReaderPos *pos)
{
	int			i = ht ? hist_index_at(ht, pos) : -1;

	return i >= 0 ? ht->e[i] : NULL;
}

/* Puts an entry away until the decoder goes. */
void
hist_bury(HistEntry *e)
{
	MemoryContext old = MemoryContextSwitchTo(hist.cxt);

	hist.graveyard = lappend(hist.graveyard, e);
	MemoryContextSwitchTo(old);
}

/*
 * Adds an entry (palloc'd in the history's context, layout owned).  At a
 * position that already has one: replace says whether the new one wins
 * (the loser is buried).  Returns whether the new entry is kept.
 */
bool
hist_put(HistTable *ht, HistEntry *e, bool replace)
{
	int			i;

	for (i = ht->n - 1; i >= 0; i--)
	{
		int			c = hist_pos_cmp(&ht->e[i]->pos, &e->pos);

		if (c == 0)
		{
			if (!replace)
			{
				hist_bury(e);
				return false;
			}
			hist_bury(ht->e[i]);
			ht->e[i] = e;
			return true;
		}
		if (c < 0)
			break;
	}
	if (ht->n == ht->cap)
	{
		ht->cap *= 2;
		ht->e = repalloc(ht->e, sizeof(HistEntry *) * ht->cap);
	}
	memmove(&ht->e[i + 2], &ht->e[i + 1], sizeof(HistEntry *) * (ht->n - i - 1));
	ht->e[i + 1] = e;
	ht->n++;
	return true;
}

/* A new entry in the history's context. */
HistEntry *
hist_entry(const char *file, uint64 pos, cddl_layout *layout, const char *why,
		   bool persisted)
{
	HistEntry  *e = MemoryContextAllocZero(hist.cxt, sizeof(HistEntry));

	strlcpy(e->pos.file, file, READER_FILE_LEN);
	e->pos.pos = pos;
	e->layout = layout;
	e->why = (why && layout == NULL) ? MemoryContextStrdup(hist.cxt, why) : NULL;
	e->persisted = persisted;
	return e;
}

/* Frees a buried entry. */
static void
hist_free_entry(HistEntry *e)
{
	cddl_layout_free(e->layout);
	if (e->view != NULL)
	{
		for (uint32 i = 0; i < e->view->ncols; i++)
			if (e->view->labels[i] != NULL)
				pfree(e->view->labels[i]);
		pfree(e->view->bc);
		pfree(e->view->names);
		pfree(e->view->nlabels);
		pfree(e->view->labels);
		pfree(e->view);
	}
	if (e->why != NULL)
		pfree(e->why);
	pfree(e);
}

/* Reads a stored layout text (NULL with *why when it cannot be read). */
cddl_layout *
hist_parse(const char *text, const char *schema, cddl_flavour flavour, char **why)
{
	cddl_layout_options opts;
	cddl_error	err;
	cddl_layout *l;

	memset(&opts, 0, sizeof(opts));
	memset(&err, 0, sizeof(err));
	opts.flavour = flavour;
	opts.schema = schema;
	l = cddl_layout_from_sql(text, strlen(text), &opts, &err);
	if (l == NULL)
		*why = psprintf("the stored layout cannot be read: %s", err.message);
	return l;
}

/*
 * Reads the entries written since the last call (the copy's, at table
 * snapshots; the reader's own come back too and change nothing), in a
 * transaction.
 */
void
reader_history_load(ReaderState *st)
{
	uint64		n;

	hist_init(st);
	n = CAT_RUN("SELECT layout_id, source_schema, source_table, valid_file, valid_pos,"
				"       flavour, layout, why"
				"  FROM chameleon.table_layout WHERE source_id = $1 AND layout_id > $2"
				" ORDER BY layout_id",
				cat_int4(st->source_id), cat_int8(hist.last_id));
	for (uint64 i = 0; i < n; i++)
	{
		char	   *schema = cat_get_text(i, 2);
		char	   *table = cat_get_text(i, 3);
		char	   *text = cat_get_text(i, 7);
		char	   *why = cat_get_text(i, 8);
		char		key[READER_KEY_LEN];
		cddl_layout *layout = NULL;
		HistTable  *ht;
		HistEntry  *e;
		ReaderPos	pos;
		HistEntry  *same;

		hist.last_id = Max(hist.last_id, cat_get_int8(i, 1, 0));
		if (!reader_make_key(key, schema, table))
			continue;
		strlcpy(pos.file, cat_get_text(i, 4), READER_FILE_LEN);
		pos.pos = (uint64) cat_get_int8(i, 5, 0);
		if (text != NULL)
			layout = hist_parse(text, schema, HISTORY_FLAVOUR(cat_get_text(i, 6)), &why);
		ht = hist_table(key, true);

		/* our own entry read back: keep the one in use */
		same = hist_at(ht, &pos);
		if (same != NULL && hist_pos_cmp(&same->pos, &pos) == 0 &&
			((same->layout == NULL && layout == NULL) ||
			 (same->layout != NULL && layout != NULL &&
			  cddl_layout_equal(same->layout, layout))))
		{
			same->persisted = true;
			cddl_layout_free(layout);
			continue;
		}
		e = hist_entry(pos.file, pos.pos, layout, why, true);
		(void) hist_put(ht, e, true);
	}
}

/* Forgets the tables queued for disabling. */
static void
free_disable(void)
{
	ListCell   *lc;

	foreach(lc, hist.disable)
	{
		HistDisable *d = (HistDisable *) lfirst(lc);

		pfree(d->schema);
		pfree(d->table);
		pfree(d->reason);
		pfree(d);
	}
	list_free(hist.disable);
	hist.disable = NIL;
}

/*
 * Writes the entries made since the last flush (in the flush's
 * transaction; a copy's entry at the same position stays), disables the
 * tables whose rows could not be decoded, and with reload reads what the
 * copies wrote.
 */
void
reader_history_flush(ReaderState *st, bool reload)
{
	HASH_SEQ_STATUS seq;
	HistTable  *ht;
	ListCell   *lc;

	if (hist.cxt == NULL)
		return;
	if (hist.pending)
	{
		hash_seq_init(&seq, hist.tables);
		while ((ht = (HistTable *) hash_seq_search(&seq)) != NULL)
		{
			const char *schema;
			const char *table;

			hist_key_names(ht->key, &schema, &table);
			for (int i = 0; i < ht->n; i++)
			{
				HistEntry  *e = ht->e[i];

				if (e->persisted)
					continue;
				CAT_RUN("INSERT INTO chameleon.table_layout (source_id, source_schema,"
						"       source_table, valid_file, valid_pos, flavour, layout, why)"
						" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
						" ON CONFLICT (source_id, source_schema, source_table, valid_file,"
						"              valid_pos) DO NOTHING",
						cat_int4(st->source_id), cat_text(schema), cat_text(table),
						cat_text(e->pos.file), cat_int8((int64) e->pos.pos),
						cat_text(HISTORY_FLAVOUR_NAME(e->layout ? e->layout->flavour : CDDL_MARIADB)),
						cat_text(e->layout ? cddl_layout_sql(e->layout) : NULL),
						cat_text(e->layout ? NULL : (e->why ? e->why : "unknown")));
				e->persisted = true;
			}
		}
		hist.pending = false;
	}
	foreach(lc, hist.disable)
	{
		HistDisable *d = (HistDisable *) lfirst(lc);
		ChameleonFailure f = {0};

		f.schema = d->schema;
		f.table = d->table;
		f.message = d->reason;
		if (chameleon_state_disable_table(st->source_id, st->source_name, &f, d->reason))
			ereport(WARNING,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("replication of MySQL table \"%s.%s\" is disabled: %s",
							d->schema, d->table, d->reason),
					 errhint("Run chameleon.sync_tables() for the table; binlog_row_metadata = FULL on the server avoids the problem.")));
	}
	free_disable();
	if (reload)
		reader_history_load(st);
}

/* Whether entries or disabled tables wait for a flush. */
bool
reader_history_pending(void)
{
	return hist.pending || hist.disable != NIL;
}

/*
 * Forgets what was not written (after a failed read: the stream is read
 * again from the committed position).
 */
void
reader_history_discard(ReaderState *st)
{
	HASH_SEQ_STATUS seq;
	HistTable  *ht;

	if (hist.cxt == NULL || (!hist.pending && hist.disable == NIL))
		return;
	hash_seq_init(&seq, hist.tables);
	while ((ht = (HistTable *) hash_seq_search(&seq)) != NULL)
	{
		int			k = 0;

		for (int i = 0; i < ht->n; i++)
		{
			if (ht->e[i]->persisted)
				ht->e[k++] = ht->e[i];
			else
				hist_bury(ht->e[i]);
		}
		ht->n = k;
	}
	hist.pending = false;
	free_disable();
	/* the tables queued for disabling are queued again when read again */
	st->tables_stale = true;
}

/*
 * Drops the entries no position at or after done can need (between
 * transactions): all but the last at or before done.
 */
void
reader_history_prune(ReaderState *st)
{
	HASH_SEQ_STATUS seq;
	HistTable  *ht;

	if (hist.cxt == NULL)
		return;
	hash_seq_init(&seq, hist.tables);
	while ((ht = (HistTable *) hash_seq_search(&seq)) != NULL)
	{
		int			keep = hist_index_at(ht, &st->done);

		/* entries not written yet are pruned after they are */
		for (int i = 0; i < keep; i++)
			if (!ht->e[i]->persisted)
				keep = i;
		if (keep <= 0)
			continue;
		for (int i = 0; i < keep; i++)
			hist_bury(ht->e[i]);
		memmove(&ht->e[0], &ht->e[keep], sizeof(HistEntry *) * (ht->n - keep));
		ht->n -= keep;
	}
}

/* Whether the reader should reconnect to free buried entries. */
bool
reader_history_wants_reset(void)
{
	return list_length(hist.graveyard) > HIST_GRAVEYARD_MAX;
}

/* Frees the buried entries and the connection (the decoder is gone). */
void
reader_history_close(void)
{
	ListCell   *lc;

	if (hist.conn != NULL)
		mysql_close(hist.conn);
	hist.conn = NULL;
	foreach(lc, hist.graveyard)
		hist_free_entry((HistEntry *) lfirst(lc));
	list_free(hist.graveyard);
	hist.graveyard = NIL;
}

/*
 * Records the current definition of the logged tables of the catalogue
 * that have no history yet (sources created before the history existed),
 * from the read position on.  Needs MySQL; called at the reader's start.
 */
void
reader_history_seed(ReaderState *st)
{
	HASH_SEQ_STATUS seq;
	ReaderTable *rt;
	List	   *todo = NIL;
	ListCell   *lc;
	cddl_flavour flavour;

	hist_init(st);
	hash_seq_init(&seq, st->tables);
	while ((rt = (ReaderTable *) hash_seq_search(&seq)) != NULL)
	{
		HistTable  *ht = hist_table(rt->key, false);

		if (rt->in_catalogue && rt->logged && (ht == NULL || ht->n == 0))
			todo = lappend(todo, rt->key);
	}
	if (todo == NIL)
		return;
	flavour = chameleon_history_flavour(hist_conn(st));
	foreach(lc, todo)
		(void) hist_seed_current(st, (const char *) lfirst(lc), flavour, &st->done);
	list_free(todo);
}

/* See reader_history_internal.h. */
HistTable *
hist_seed_current(ReaderState *st, const char *key, cddl_flavour flavour, const ReaderPos *pos)
{
	const char *schema;
	const char *table;
	char	   *why = NULL;
	char	   *text;
	cddl_layout *layout = NULL;
	HistTable  *ht = hist_table(key, true);

	hist_key_names(key, &schema, &table);
	text = chameleon_history_read(hist_conn(st), schema, table, flavour, &why);
	if (text != NULL)
		layout = hist_parse(text, schema, flavour, &why);
	(void) hist_put(ht, hist_entry(pos->file, pos->pos, layout, why, false), true);
	hist.pending = true;
	ereport(LOG,
			(errmsg("schema history of MySQL table \"%s.%s\" starts at %s:" UINT64_FORMAT " with its current definition",
					schema, table, pos->file, pos->pos),
			 layout ? 0 : errdetail("Its layout is unknown: %s.", why)));
	return ht;
}

