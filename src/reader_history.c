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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "pgstat.h"

#include "catalog.h"
#include "chameleon.h"
#include "history.h"
#include "position.h"
#include "reader_internal.h"
#include "source_state.h"
#include "worker_util.h"

/* freed entries kept until the decoder goes (see above) */
#define HIST_GRAVEYARD_MAX	256
/* how long rows of a syncing table wait for the copy's layout */
#define HIST_SYNC_WAIT_MS	200

/* What a TABLE_MAP needs from a layout: its row-image columns. */
typedef struct HistView
{
	uint32		ncols;
	cddl_binlog_column *bc;
	cbl_str    *names;
	uint32	   *nlabels;
	cbl_str   **labels;
} HistView;

/* One layout from a position on. */
typedef struct HistEntry
{
	ReaderPos	pos;
	cddl_layout *layout;		/* NULL: gone or unknown (why) */
	char	   *why;
	bool		persisted;		/* in chameleon.table_layout */
	HistView   *view;
} HistEntry;

/* The entries of one MySQL table, sorted by position. */
typedef struct HistTable
{
	char		key[READER_KEY_LEN];
	int			n;
	int			cap;
	HistEntry **e;
} HistTable;

/* A MySQL schema's default charset and collation. */
typedef struct HistSchema
{
	char		name[READER_KEY_LEN];
	bool		known;
	char	   *charset;
	char	   *collation;
} HistSchema;

/* A table's state while one DDL statement is followed. */
typedef struct HistChange
{
	char		key[READER_KEY_LEN];
	cddl_layout *layout;		/* owned copy, or NULL */
	char	   *why;
	bool		removed;		/* the table is gone or unknown */
} HistChange;

/* What the lookup callbacks of one statement see. */
typedef struct HistDdl
{
	ReaderState *st;
	const ReaderPos *start;
	List	   *changes;		/* HistChange *, in order */
} HistDdl;

/* A table to disable at the next flush. */
typedef struct HistDisable
{
	char	   *schema;
	char	   *table;
	char	   *reason;
} HistDisable;

static struct
{
	MemoryContext cxt;
	HTAB	   *tables;
	HTAB	   *schemas;
	int64		last_id;		/* highest layout_id loaded */
	List	   *graveyard;		/* HistEntry * freed with the decoder */
	List	   *disable;		/* HistDisable * */
	bool		pending;		/* entries not written yet */
	uint64		generation;		/* chameleon_catalog_generation() last read */
	MYSQL	   *conn;
}			hist;

/* Splits a reader key into schema and table (pointers into key). */
static void
key_names(const char *key, const char **schema, const char **table)
{
	*schema = key;
	*table = key + strlen(key) + 1;
}

/* Creates the history's context and hashes on first use. */
static void
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
static MYSQL *
hist_conn(ReaderState *st)
{
	if (hist.conn == NULL)
		hist.conn = chameleon_mysql_connect_timeout(st->conf, "schema history", 10);
	return hist.conn;
}

/* The entries of a table (NULL if none and !create). */
static HistTable *
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
static int
pos_cmp(const ReaderPos *a, const ReaderPos *b)
{
	return chameleon_binlog_pos_cmp(a->file, (int64) a->pos, b->file, (int64) b->pos);
}

/* Index of the last entry at or before pos, or -1. */
static int
hist_index_at(const HistTable *ht, const ReaderPos *pos)
{
	for (int i = ht->n - 1; i >= 0; i--)
		if (pos_cmp(&ht->e[i]->pos, pos) <= 0)
			return i;
	return -1;
}

/* The entry valid at pos, or NULL. */
static HistEntry *
hist_at(const HistTable *ht, const ReaderPos *pos)
{
	int			i = ht ? hist_index_at(ht, pos) : -1;

	return i >= 0 ? ht->e[i] : NULL;
}

/* Puts an entry away until the decoder goes. */
static void
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
static bool
hist_put(HistTable *ht, HistEntry *e, bool replace)
{
	int			i;

	for (i = ht->n - 1; i >= 0; i--)
	{
		int			c = pos_cmp(&ht->e[i]->pos, &e->pos);

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
static HistEntry *
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
static cddl_layout *
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
		if (same != NULL && pos_cmp(&same->pos, &pos) == 0 &&
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

			key_names(ht->key, &schema, &table);
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

/* A MySQL schema's default charset and collation (cached). */
static bool
schema_defaults(void *ctx, const char *schema, const char **charset, const char **collation)
{
	ReaderState *st = ((HistDdl *) ctx)->st;
	char		key[READER_KEY_LEN];
	HistSchema *s;
	bool		found;

	if (schema == NULL || strlen(schema) >= READER_KEY_LEN)
		return false;
	memset(key, 0, sizeof(key));
	strcpy(key, schema);
	s = (HistSchema *) hash_search(hist.schemas, key, HASH_ENTER, &found);
	if (!found)
	{
		MemoryContext old = MemoryContextSwitchTo(hist.cxt);

		s->known = chameleon_history_schema_defaults(hist_conn(st), schema,
													 &s->charset, &s->collation);
		MemoryContextSwitchTo(old);
	}
	if (!s->known)
		return false;
	*charset = s->charset;
	*collation = s->collation;
	return true;
}

/* The latest change of a table in this statement, or NULL. */
static HistChange *
ddl_change(HistDdl *d, const char *key)
{
	HistChange *found = NULL;
	ListCell   *lc;

	foreach(lc, d->changes)
	{
		HistChange *c = (HistChange *) lfirst(lc);

		if (memcmp(c->key, key, READER_KEY_LEN) == 0)
			found = c;
	}
	return found;
}

/* The layout of a table just before (or within) the statement. */
static const cddl_layout *
ddl_lookup(void *ctx, const char *schema, const char *table)
{
	HistDdl    *d = (HistDdl *) ctx;
	char		key[READER_KEY_LEN];
	HistChange *c;
	HistEntry  *e;

	if (schema == NULL || table == NULL || !reader_make_key(key, schema, table))
		return NULL;
	c = ddl_change(d, key);
	if (c != NULL)
		return c->layout;
	e = hist_at(hist_table(key, false), d->start);
	return e ? e->layout : NULL;
}

/* Records what the statement made of a table (layout: an owned copy). */
static void
ddl_set(HistDdl *d, const cddl_name *name, cddl_layout *layout, const char *why)
{
	char		key[READER_KEY_LEN];
	HistChange *c;

	if (name->schema == NULL || name->name == NULL ||
		!reader_make_key(key, name->schema, name->name))
	{
		cddl_layout_free(layout);
		return;
	}
	c = palloc0(sizeof(HistChange));
	memcpy(c->key, key, READER_KEY_LEN);
	c->layout = layout;
	c->removed = (layout == NULL);
	c->why = why ? pstrdup(why) : NULL;
	d->changes = lappend(d->changes, c);
}

/* A name with the statement's default schema filled in. */
static cddl_name
qualified(const cddl_name *n, const char *db)
{
	cddl_name	out = *n;

	if (out.schema == NULL)
		out.schema = (char *) db;
	return out;
}

/* Marks every table a statement names as unknown (the model failed). */
static void
ddl_unknown(HistDdl *d, const cddl_stmt *stmt, const char *db, const char *why)
{
	cddl_name	n;

	if (stmt->table.name != NULL)
	{
		n = qualified(&stmt->table, db);
		ddl_set(d, &n, NULL, why);
	}
	for (cddl_namelist *l = stmt->tables; l; l = l->next)
	{
		n = qualified(&l->name, db);
		ddl_set(d, &n, NULL, why);
	}
	for (cddl_rename *r = stmt->renames; r; r = r->next)
	{
		n = qualified(&r->from, db);
		ddl_set(d, &n, NULL, why);
		n = qualified(&r->to, db);
		ddl_set(d, &n, NULL, why);
	}
	for (cddl_alter_cmd *a = stmt->cmds; a; a = a->next)
		if (a->new_table.name != NULL)
		{
			n = qualified(&a->new_table, db);
			ddl_set(d, &n, NULL, why);
		}
}

/* Applies the changes the model found for one statement. */
static void
ddl_apply(HistDdl *d, cddl_table_change *changes, const char *where)
{
	for (cddl_table_change *c = changes; c; c = c->next)
	{
		const cddl_layout *old;
		cddl_layout *copy;

		switch (c->op)
		{
			case CDDL_TABLE_CREATE:
				if (c->if_not_exists &&
					ddl_lookup(d, c->table.schema, c->table.name) != NULL)
					break;
				ddl_set(d, &c->table, cddl_layout_copy(c->layout), NULL);
				break;
			case CDDL_TABLE_ALTER:
				if (c->new_name.name != NULL &&
					(strcmp(c->new_name.name, c->table.name) != 0 ||
					 strcmp(c->new_name.schema, c->table.schema) != 0))
				{
					ddl_set(d, &c->table, NULL, psprintf("renamed at %s", where));
					ddl_set(d, &c->new_name, cddl_layout_copy(c->layout), NULL);
				}
				else
					ddl_set(d, &c->table, cddl_layout_copy(c->layout), NULL);
				break;
			case CDDL_TABLE_RENAME:
				old = ddl_lookup(d, c->table.schema, c->table.name);
				copy = old ? cddl_layout_copy(old) : NULL;
				if (copy != NULL)
					(void) cddl_layout_set_name(copy, c->new_name.schema, c->new_name.name);
				ddl_set(d, &c->table, NULL, psprintf("renamed at %s", where));
				ddl_set(d, &c->new_name, copy,
						copy ? NULL : psprintf("renamed at %s from a table of unknown layout", where));
				break;
			case CDDL_TABLE_DROP:
				ddl_set(d, &c->table, NULL, psprintf("dropped at %s", where));
				break;
			case CDDL_TABLE_TRUNCATE:
				break;
		}
	}
}

/*
 * Follows one DDL statement of the stream (between start and end) in the
 * history of the logged tables it changes.
 */
void
reader_history_ddl(ReaderState *st, const char *db, const char *query,
				   const ReaderPos *start, const ReaderPos *end, bool mariadb)
{
	cddl_error	err;
	cddl_doc   *doc;
	HistDdl		d;
	cddl_layout_options opts;
	const char *charset = NULL;
	const char *collation = NULL;
	char	   *where = psprintf("%s:" UINT64_FORMAT, end->file, end->pos);
	ListCell   *lc;

	hist_init(st);
	/* CREATE/ALTER DATABASE may change a schema's defaults */
	if (strcasestr(query, "DATABASE") != NULL || strcasestr(query, "SCHEMA") != NULL)
	{
		HASH_SEQ_STATUS seq;
		HistSchema *s;

		hash_seq_init(&seq, hist.schemas);
		while ((s = (HistSchema *) hash_seq_search(&seq)) != NULL)
			(void) hash_search(hist.schemas, s->name, HASH_REMOVE, NULL);
	}

	memset(&err, 0, sizeof(err));
	doc = cddl_parse(query, strlen(query), &err);
	if (doc == NULL)
	{
		ereport(LOG,
				(errmsg("the schema history cannot read the statement at %s: %s",
						where, err.message),
				 errdetail("Tables it changes keep their previous layout; a row that does not match its layout disables its table.")));
		return;
	}

	memset(&d, 0, sizeof(d));
	d.st = st;
	d.start = start;
	memset(&opts, 0, sizeof(opts));
	opts.flavour = mariadb ? CDDL_MARIADB : CDDL_MYSQL;
	opts.schema = (db && db[0]) ? db : NULL;
	opts.lookup = ddl_lookup;
	opts.lookup_ctx = &d;
	opts.schema_charset_of = schema_defaults;

	PG_TRY();
	{
		for (const cddl_stmt *stmt = doc->stmts; stmt; stmt = stmt->next)
		{
			cddl_table_change *changes;

			if (stmt->kind == CDDL_STMT_IGNORED || stmt->temporary)
				continue;
			if (opts.schema != NULL && schema_defaults(&d, opts.schema, &charset, &collation))
			{
				opts.schema_charset = charset;
				opts.schema_collation = collation;
			}
			memset(&err, 0, sizeof(err));
			changes = cddl_layout_changes(doc, stmt, &opts, &err);
			if (changes == NULL && err.set)
				ddl_unknown(&d, stmt, opts.schema,
							psprintf("the schema history could not follow the %s at %s: %s",
									 cddl_stmt_kind_name(stmt->kind), where, err.message));
			else
				ddl_apply(&d, changes, where);
		}
	}
	PG_FINALLY();
	{
		cddl_doc_free(doc);
	}
	PG_END_TRY();

	/* the final state of each table the statement changed, from end on */
	foreach(lc, d.changes)
	{
		HistChange *c = (HistChange *) lfirst(lc);
		const char *schema;
		const char *table;
		ReaderTable *rt;
		HistEntry  *e;

		if (ddl_change(&d, c->key) != c)
		{
			cddl_layout_free(c->layout);
			continue;			/* changed again later in the statement */
		}
		key_names(c->key, &schema, &table);
		rt = reader_table(st, schema, table);
		if (rt == NULL || !rt->logged)
		{
			cddl_layout_free(c->layout);
			continue;
		}
		e = hist_entry(end->file, end->pos, c->layout, c->why, false);
		if (hist_put(hist_table(c->key, true), e, false))
			hist.pending = true;
		if (c->layout == NULL && c->why != NULL && strstr(c->why, "could not follow") != NULL)
			ereport(LOG,
					(errmsg("schema history of MySQL table \"%s.%s\": %s", schema, table, c->why)));
	}
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
	{
		const char *key = (const char *) lfirst(lc);
		const char *schema;
		const char *table;
		char	   *why = NULL;
		char	   *text;
		cddl_layout *layout = NULL;

		key_names(key, &schema, &table);
		text = chameleon_history_read(hist_conn(st), schema, table, flavour, &why);
		if (text != NULL)
			layout = hist_parse(text, schema, flavour, &why);
		(void) hist_put(hist_table(key, true),
						hist_entry(st->done.file, st->done.pos, layout, why, false), true);
		hist.pending = true;
		ereport(LOG,
				(errmsg("schema history of MySQL table \"%s.%s\" starts at %s:" UINT64_FORMAT " with its current definition",
						schema, table, st->done.file, st->done.pos),
				 layout ? 0 : errdetail("Its layout is unknown: %s.", why)));
	}
	list_free(todo);
}

/* Builds the view of a layout (what a TABLE_MAP needs). */
static HistView *
entry_view(HistEntry *e)
{
	const cddl_layout *l = e->layout;
	HistView   *v;
	uint32		n = 0;
	uint32		k = 0;
	MemoryContext old;

	if (e->view != NULL)
		return e->view;
	old = MemoryContextSwitchTo(hist.cxt);
	for (size_t i = 0; i < l->ncolumns; i++)
		if (l->columns[i].in_row_image)
			n++;
	v = palloc0(sizeof(HistView));
	v->ncols = n;
	v->bc = palloc0(sizeof(cddl_binlog_column) * Max(n, 1));
	v->names = palloc0(sizeof(cbl_str) * Max(n, 1));
	v->nlabels = palloc0(sizeof(uint32) * Max(n, 1));
	v->labels = palloc0(sizeof(cbl_str *) * Max(n, 1));
	for (size_t i = 0; i < l->ncolumns; i++)
	{
		const cddl_layout_column *col = &l->columns[i];
		uint32		nl = 0;

		if (!col->in_row_image)
			continue;
		(void) cddl_layout_binlog(l, i, &v->bc[k]);
		v->names[k].ptr = col->name;
		v->names[k].len = (uint32_t) strlen(col->name);
		for (cddl_strlist *s = col->type.values; s; s = s->next)
			nl++;
		if (nl > 0)
		{
			uint32		j = 0;

			v->labels[k] = palloc(sizeof(cbl_str) * nl);
			for (cddl_strlist *s = col->type.values; s; s = s->next, j++)
			{
				v->labels[k][j].ptr = s->value;
				v->labels[k][j].len = (uint32_t) strlen(s->value);
			}
			v->nlabels[k] = nl;
		}
		k++;
	}
	MemoryContextSwitchTo(old);
	e->view = v;
	return v;
}

/* Whether a TABLE_MAP column is what a layout's binlog view says. */
static bool
column_matches(const cbl_column *c, const cddl_binlog_column *b, bool signedness)
{
	bool		is_enum_set = (b->real_type == CBL_T_ENUM || b->real_type == CBL_T_SET);

	if (c->binlog_type != b->type || c->nullable != b->nullable)
		return false;
	if (is_enum_set)
		return c->type == b->real_type && c->len_bytes == b->len_bytes;
	if (c->type == CBL_T_ENUM || c->type == CBL_T_SET)
		return false;
	switch (b->type)
	{
		case CBL_T_STRING:
		case CBL_T_VARCHAR:
		case CBL_T_VAR_STRING:
			return c->max_len == b->max_len;
		case CBL_T_NEWDECIMAL:
			return c->precision == b->precision && c->scale == b->scale;
		case CBL_T_BIT:
			return c->bits == b->bits;
		case CBL_T_TIMESTAMP2:
		case CBL_T_DATETIME2:
		case CBL_T_TIME2:
			return c->fsp == b->fsp;
		case CBL_T_BLOB:
		case CBL_T_JSON:
		case CBL_T_GEOMETRY:
			return c->len_bytes == b->len_bytes;
		case CBL_T_TINY:
		case CBL_T_SHORT:
		case CBL_T_INT24:
		case CBL_T_LONG:
		case CBL_T_LONGLONG:
			return !signedness || c->is_unsigned == b->is_unsigned;
		default:
			return true;
	}
}

/* Why a view does not describe a TABLE_MAP, or NULL when it does. */
static char *
view_mismatch(const HistView *v, const cbl_table *t)
{
	if (v->ncols != t->ncols)
		return psprintf("the binlog has %u columns where its layout has %u", t->ncols, v->ncols);
	for (uint32 i = 0; i < t->ncols; i++)
		if (!column_matches(&t->cols[i], &v->bc[i], (t->has_meta & CBL_META_SIGNEDNESS) != 0))
			return psprintf("column %u (\"%s\" in its layout) is not what its layout says in the binlog (type %u, length %u, nullable %d; layout: type %u, length %u, nullable %d)",
							i + 1, v->names[i].ptr, t->cols[i].binlog_type,
							t->cols[i].max_len, (int) t->cols[i].nullable,
							v->bc[i].type, v->bc[i].max_len, (int) v->bc[i].nullable);
	return NULL;
}

/* Queues a table to be disabled at the next flush. */
static void
hist_disable(ReaderTable *rt, const char *reason)
{
	const char *schema;
	const char *table;
	HistDisable *d;
	MemoryContext old;

	if (!rt->enabled)
		return;
	key_names(rt->key, &schema, &table);
	old = MemoryContextSwitchTo(hist.cxt);
	d = palloc(sizeof(HistDisable));
	d->schema = pstrdup(schema);
	d->table = pstrdup(table);
	d->reason = pstrdup(reason);
	hist.disable = lappend(hist.disable, d);
	MemoryContextSwitchTo(old);
	rt->enabled = false;
}

/*
 * The layout problem of a logged table at pos, or NULL with *view set.
 * Tables without any history get their current definition from pos on.
 */
static char *
layout_problem(ReaderState *st, ReaderTable *rt, const ReaderPos *pos,
			   const cbl_table *t, HistView **view)
{
	HistTable  *ht = hist_table(rt->key, false);
	HistEntry  *e;

	if (ht == NULL || ht->n == 0)
	{
		const char *schema;
		const char *table;
		char	   *why = NULL;
		char	   *text;
		cddl_flavour flavour = chameleon_history_flavour(hist_conn(st));
		cddl_layout *layout = NULL;

		key_names(rt->key, &schema, &table);
		text = chameleon_history_read(hist_conn(st), schema, table, flavour, &why);
		if (text != NULL)
			layout = hist_parse(text, schema, flavour, &why);
		ht = hist_table(rt->key, true);
		(void) hist_put(ht, hist_entry(pos->file, pos->pos, layout, why, false), true);
		hist.pending = true;
		ereport(LOG,
				(errmsg("no schema history for MySQL table \"%s.%s\": its current definition is used from %s:" UINT64_FORMAT " on",
						schema, table, pos->file, pos->pos)));
	}
	e = hist_at(ht, pos);
	if (e == NULL)
		return psprintf("no layout is known for it at %s:" UINT64_FORMAT, pos->file, pos->pos);
	if (e->layout == NULL)
		return psprintf("its layout at %s:" UINT64_FORMAT " is unknown (%s)", pos->file, pos->pos,
						e->why ? e->why : "no reason recorded");
	*view = entry_view(e);
	return view_mismatch(*view, t);
}

/*
 * The decoder's TABLE_MAP hook: when the binlog has no column names, fills
 * names, labels, and signedness and charsets where missing, from the
 * layout at the event's transaction start.  A table whose layout is
 * unknown or does not match keeps its names empty and is disabled.  The
 * rows of a table that sync_tables() is copying are skipped while the
 * copy has not taken its snapshot, and wait for the copy's layout once it
 * has (a few seconds at most: it is written right after the snapshot).
 */
int
reader_history_hook(void *arg, cbl_table *t, cbl_error *err)
{
	ReaderState *st = (ReaderState *) arg;
	char	   *schema;
	char	   *table;
	ReaderTable *rt;
	ReaderPos	pos;
	HistView   *v = NULL;
	char	   *problem;
	bool		reloaded;

	if (t->has_meta & CBL_META_NAMES)
		return 0;
	schema = pnstrdup(t->schema.ptr, t->schema.len);
	table = pnstrdup(t->table.ptr, t->table.len);
	rt = reader_table(st, schema, table);
	if (rt == NULL || !rt->logged)
		return 0;
	hist_init(st);
	pos = st->xact_has_start ? st->xact_start : st->cur;

	problem = layout_problem(st, rt, &pos, t, &v);
	rt->pre_copy = false;
	reloaded = false;
	while (problem != NULL)
	{
		if (rt->syncing && !rt->copy_claimed)
		{
			/*
			 * The copy has not taken its snapshot when the catalogue was
			 * read, after this row was: the copy will hold the row.
			 */
			rt->pre_copy = true;
			break;
		}
		if (rt->syncing)
		{
			/* the copy writes its layout right after its snapshot */
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 HIST_SYNC_WAIT_MS, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
		else if (reloaded || chameleon_catalog_generation() == hist.generation)
			break;
		/* a sync may have started since the catalogue was read */
		hist.generation = chameleon_catalog_generation();
		chameleon_xact_begin("chameleon: reader reads the schema history");
		reader_history_load(st);
		reader_load_tables(st);
		chameleon_xact_commit();
		reloaded = true;
		rt = reader_table(st, schema, table);
		problem = layout_problem(st, rt, &pos, t, &v);
	}
	rt->problem = problem ? MemoryContextStrdup(st->tables_cxt, problem) : NULL;
	if (problem != NULL || rt->pre_copy)
		return 0;

	for (uint32 i = 0; i < t->ncols; i++)
	{
		cbl_column *c = &t->cols[i];

		c->name = v->names[i];
		if (!(t->has_meta & CBL_META_SIGNEDNESS))
			c->is_unsigned = v->bc[i].is_unsigned;
		if (!(t->has_meta & CBL_META_CHARSET) && v->bc[i].collation_id != 0)
			c->charset = v->bc[i].collation_id;
		if (c->nlabels == 0 && v->nlabels[i] > 0 &&
			(c->type == CBL_T_ENUM || c->type == CBL_T_SET))
		{
			c->nlabels = v->nlabels[i];
			c->labels = v->labels[i];
		}
	}
	return 0;
}

/*
 * Called for rows of a logged table whose columns are not known: disables
 * the table (once) with the reason; its rows are not logged.
 */
void
reader_history_unusable(ReaderTable *rt)
{
	hist_disable(rt, rt->problem ? rt->problem
				 : "the binlog has no column names for it (binlog_row_metadata is not FULL) and no layout is known");
}
