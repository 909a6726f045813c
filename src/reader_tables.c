/*-------------------------------------------------------------------------
 *
 * reader_tables.c
 *	  The reader's view of its source: its current settings and which MySQL
 *	  tables' rows go to the log.  A table's rows are logged when its
 *	  schema is mapped, limit_tables/skip_tables select it, and (per
 *	  operation) skip_events does not name it; rows of tables disabled in
 *	  chameleon.replica_table are logged too (see reader_load_tables).  The
 *	  decisions are cached per table in a hash that is rebuilt after DDL,
 *	  after a change of the source's settings and every few seconds, so a
 *	  row event costs one hash lookup.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "catalog.h"
#include "reader_internal.h"

/*
 * Makes st->conf the source's current settings (in a transaction).  New
 * settings can change which tables' rows are logged: the table cache is
 * rebuilt before the next row.
 */
void
reader_refresh_conf(ReaderState *st)
{
	bool		reloaded;

	st->conf = chameleon_conf_current(st->source_id, &reloaded);
	if (reloaded)
	{
		st->source_name = st->conf->name;
		st->tables_stale = true;
	}
}

/* Builds the hash key of a table: schema, NUL, table, zero padding. */
bool
reader_make_key(char *key, const char *schema, const char *table)
{
	size_t		slen = strlen(schema);
	size_t		tlen = strlen(table);

	if (slen + tlen + 2 > READER_KEY_LEN)
		return false;
	memset(key, 0, READER_KEY_LEN);
	memcpy(key, schema, slen);
	memcpy(key + slen + 1, table, tlen);
	return true;
}

/* Fills the configuration-derived decisions of a new table entry. */
static void
init_entry(ReaderState *st, ReaderTable *t, const char *schema, const char *table)
{
	t->in_catalogue = false;
	t->has_snapshot = false;
	t->enabled = true;
	t->syncing = false;
	t->copy_claimed = false;
	t->pre_copy = false;
	t->problem = NULL;
	t->pg_schema = NULL;
	t->pg_table = NULL;
	/*
	 * A table of a mapped schema that is not in replica_table was created
	 * after the initial copy (the copy lists every selected table): its
	 * rows follow its CREATE TABLE in the log, so they are logged.
	 */
	t->logged = chameleon_map_schema(st->conf, schema) != NULL &&
		chameleon_table_selected(st->conf, schema, table);
	t->skip_insert = chameleon_list_has_schema_or_table(st->conf->skip_insert, schema, table);
	t->skip_update = chameleon_list_has_schema_or_table(st->conf->skip_update, schema, table);
	t->skip_delete = chameleon_list_has_schema_or_table(st->conf->skip_delete, schema, table);
}

/*
 * (Re)reads chameleon.replica_table into the table cache (in a
 * transaction).  Everything the cache holds lives in tables_cxt, reset
 * here, so that reloading every few seconds costs no memory.
 */
void
reader_load_tables(ReaderState *st)
{
	HASHCTL		ctl;
	MemoryContext old;
	uint64		n;

	List	   *kept = NIL;
	ListCell   *lc;

	if (st->tables_cxt == NULL)
		st->tables_cxt = AllocSetContextCreate(st->long_cxt, "chameleon reader tables",
											   ALLOCSET_DEFAULT_SIZES);

	/*
	 * What the TABLE_MAPs of the transaction being read decided (rows held
	 * for a copy, a layout problem) holds until the next map of the table:
	 * a reload in the middle (a full buffer, a later map waiting for a
	 * sync) keeps it, in the caller's context meanwhile.
	 */
	if (st->tables != NULL)
	{
		HASH_SEQ_STATUS seq;
		ReaderTable *t;

		hash_seq_init(&seq, st->tables);
		while ((t = (ReaderTable *) hash_seq_search(&seq)) != NULL)
			if (t->pre_copy || t->problem != NULL)
			{
				ReaderTable *copy = palloc(sizeof(ReaderTable));

				memcpy(copy, t, sizeof(ReaderTable));
				copy->problem = t->problem ? pstrdup(t->problem) : NULL;
				kept = lappend(kept, copy);
			}
	}
	MemoryContextReset(st->tables_cxt);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = READER_KEY_LEN;
	ctl.entrysize = sizeof(ReaderTable);
	ctl.hcxt = st->tables_cxt;
	st->tables = hash_create("chameleon reader tables", 256, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	/*
	 * A consistent table has passed its point for good (the reader resumes
	 * after the replay): its snapshot, a file position of the server the
	 * copy was taken from, must not filter the rows of another server
	 * reached by GTID.
	 */
	n = CAT_RUN("SELECT source_schema, source_table,"
				"       CASE WHEN NOT consistent THEN snapshot_file END,"
				"       CASE WHEN NOT consistent THEN snapshot_pos END,"
				"       schema_name, table_name, enabled, syncing,"
				"       EXISTS (SELECT 1 FROM chameleon.table_progress p"
				"                WHERE p.source_id = r.source_id"
				"                  AND p.source_schema = r.source_schema"
				"                  AND p.source_table = r.source_table"
				"                  AND p.state <> 'pending')"
				"  FROM chameleon.replica_table r WHERE source_id = $1",
				cat_int4(st->source_id));

	old = MemoryContextSwitchTo(st->tables_cxt);
	for (uint64 i = 0; i < n; i++)
	{
		char	   *schema = cat_get_text(i, 1);
		char	   *table = cat_get_text(i, 2);
		char		key[READER_KEY_LEN];
		ReaderTable *t;
		bool		found;

		if (!reader_make_key(key, schema, table))
			continue;
		t = (ReaderTable *) hash_search(st->tables, key, HASH_ENTER, &found);
		init_entry(st, t, schema, table);
		t->in_catalogue = true;

		/*
		 * Rows of disabled tables are logged all the same (the replay skips
		 * them): sync_tables() on a running source copies such a table from
		 * a snapshot taken while the reader may not yet have seen the
		 * table's new state, and the changes after that snapshot must be in
		 * the log whatever the reader believed then.
		 */
		if (!cat_isnull(i, 3) && !cat_isnull(i, 4))
		{
			t->has_snapshot = true;
			strlcpy(t->snapshot.file, cat_get_text(i, 3), READER_FILE_LEN);
			t->snapshot.pos = (uint64) cat_get_int8(i, 4, 0);
		}
		t->pg_schema = cat_get_text(i, 5);
		t->pg_table = cat_get_text(i, 6);
		t->enabled = cat_get_bool(i, 7, true);
		t->syncing = cat_get_bool(i, 8, false);
		t->copy_claimed = cat_get_bool(i, 9, false);
	}
	MemoryContextSwitchTo(old);
	foreach(lc, kept)
	{
		ReaderTable *was = (ReaderTable *) lfirst(lc);
		ReaderTable *t = reader_table(st, was->key, was->key + strlen(was->key) + 1);

		t->pre_copy = was->pre_copy;
		if (was->problem != NULL)
			t->problem = MemoryContextStrdup(st->tables_cxt, was->problem);
	}
	list_free_deep(kept);
	st->tables_loaded = GetCurrentTimestamp();
	st->tables_stale = false;
}

/* The cache entry of a MySQL table (created from the configuration if new). */
ReaderTable *
reader_table(ReaderState *st, const char *schema, const char *table)
{
	char		key[READER_KEY_LEN];
	ReaderTable *t;
	bool		found;

	if (!reader_make_key(key, schema, table))
		return NULL;
	t = (ReaderTable *) hash_search(st->tables, key, HASH_ENTER, &found);
	if (!found)
		init_entry(st, t, schema, table);
	return t;
}

/*
 * Whether a statement concerns a mapped schema: its default schema is
 * mapped, or its text names a mapped schema.  Deliberately cheap and
 * generous: the replay translates and ignores what is not for it.
 */
bool
reader_ddl_relevant(ReaderState *st, const char *db, const char *query)
{
	ListCell   *lc;

	if (db != NULL && db[0] != '\0' && chameleon_map_schema(st->conf, db) != NULL)
		return true;
	foreach(lc, st->conf->map_mysql)
	{
		const char *schema = (const char *) lfirst(lc);

		if (strcasestr(query, schema) != NULL)
			return true;
	}
	return false;
}
