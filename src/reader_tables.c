/*-------------------------------------------------------------------------
 *
 * reader_tables.c
 *	  The reader's view of its source: the configuration keys it needs and
 *	  which MySQL tables' rows go to the log.  A table's rows are logged
 *	  when its schema is mapped, limit_tables/skip_tables select it, and
 *	  (per operation) skip_events does not name it; rows of tables disabled
 *	  in chameleon.replica_table are logged too (see reader_load_tables).  The decisions are cached per table in
 *	  a hash that is rebuilt after DDL and every few seconds, so a row
 *	  event costs one hash lookup.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "reader.h"
#include "worker_util.h"

/* Reads the configuration keys the reader uses (in a transaction). */
void
reader_load_config(ReaderState *st)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1] = {Int32GetDatum(st->source_id)};
	MemoryContext old;
	int64		server_id;

	if (SPI_execute_with_args("SELECT source_name,"
							  " coalesce((config->>'replica_batch_size')::integer, 10000),"
							  " coalesce((config->>'sleep_loop')::integer, 1),"
							  " coalesce(config->>'on_error_read', 'exit'),"
							  " coalesce((config->>'my_server_id')::bigint, 0),"
							  " coalesce((config->>'gtid_enable')::boolean, false)"
							  " FROM chameleon.source WHERE source_id = $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the configuration of source %d", st->source_id);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source %d does not exist", st->source_id)));

	old = MemoryContextSwitchTo(st->long_cxt);
	st->source_name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	st->batch_size = pg_strtoint32(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	st->sleep_loop = pg_strtoint32(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3));
	st->on_error_exit = strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4), "exit") == 0;
	server_id = pg_strtoint64(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5));
	st->gtid_enable = strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 6), "t") == 0;
	/* a stable id of our own, far from the ids DBAs usually give servers */
	st->server_id = server_id > 0 ? (uint32) server_id : (uint32) (1000000 + st->source_id);
	if (st->batch_size < 1)
		st->batch_size = 10000;
	if (st->sleep_loop < 1)
		st->sleep_loop = 1;

	st->conf = chameleon_load_source_conf(st->source_id);
	MemoryContextSwitchTo(old);

	if (SPI_execute_with_args("SELECT e.key, v FROM chameleon.source s,"
							  " jsonb_each(coalesce(s.config->'skip_events', '{}')) e,"
							  " jsonb_array_elements_text(CASE jsonb_typeof(e.value) WHEN 'array'"
							  " THEN e.value ELSE '[]' END) v"
							  " WHERE s.source_id = $1",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read skip_events of source %d", st->source_id);
	old = MemoryContextSwitchTo(st->long_cxt);
	st->skip_insert = st->skip_update = st->skip_delete = NIL;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *kind = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *item = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

		if (strcmp(kind, "insert") == 0)
			st->skip_insert = lappend(st->skip_insert, item);
		else if (strcmp(kind, "update") == 0)
			st->skip_update = lappend(st->skip_update, item);
		else if (strcmp(kind, "delete") == 0)
			st->skip_delete = lappend(st->skip_delete, item);
	}
	MemoryContextSwitchTo(old);
}

/* Whether a skip_events list names the schema or schema.table. */
static bool
skip_listed(List *list, const char *schema, const char *table)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp((const char *) lfirst(lc), schema) == 0)
			return true;
	return chameleon_list_has_table(list, schema, table);
}

/* Builds the hash key of a table: schema, NUL, table, zero padding. */
static bool
make_key(char *key, const char *schema, const char *table)
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
	t->warned = false;
	t->pg_schema = NULL;
	t->pg_table = NULL;
	/*
	 * A table of a mapped schema that is not in replica_table was created
	 * after the initial copy (the copy lists every selected table): its
	 * rows follow its CREATE TABLE in the log, so they are logged.
	 */
	t->logged = chameleon_map_schema(st->conf, schema) != NULL &&
		chameleon_table_selected(st->conf, schema, table);
	t->skip_insert = skip_listed(st->skip_insert, schema, table);
	t->skip_update = skip_listed(st->skip_update, schema, table);
	t->skip_delete = skip_listed(st->skip_delete, schema, table);
}

/* (Re)reads chameleon.replica_table into the table cache (in a transaction). */
void
reader_load_tables(ReaderState *st)
{
	HASHCTL		ctl;
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1] = {Int32GetDatum(st->source_id)};
	MemoryContext old;

	if (st->tables != NULL)
		hash_destroy(st->tables);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = READER_KEY_LEN;
	ctl.entrysize = sizeof(ReaderTable);
	ctl.hcxt = st->long_cxt;
	st->tables = hash_create("chameleon reader tables", 256, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	/*
	 * A consistent table has passed its point for good (the reader resumes
	 * after the replay): its snapshot, a file position of the server the
	 * copy was taken from, must not filter the rows of another server
	 * reached by GTID.
	 */
	if (SPI_execute_with_args("SELECT source_schema, source_table,"
							  " CASE WHEN NOT consistent THEN snapshot_file END,"
							  " CASE WHEN NOT consistent THEN snapshot_pos END, schema_name, table_name"
							  " FROM chameleon.replica_table WHERE source_id = $1",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the replicated tables of source %d", st->source_id);

	old = MemoryContextSwitchTo(st->long_cxt);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *schema = SPI_getvalue(tup, desc, 1);
		char	   *table = SPI_getvalue(tup, desc, 2);
		char	   *file = SPI_getvalue(tup, desc, 3);
		char	   *pos = SPI_getvalue(tup, desc, 4);
		char		key[READER_KEY_LEN];
		ReaderTable *t;
		bool		found;

		if (!make_key(key, schema, table))
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
		if (file != NULL && pos != NULL)
		{
			t->has_snapshot = true;
			strlcpy(t->snapshot.file, file, READER_FILE_LEN);
			t->snapshot.pos = (uint64) pg_strtoint64(pos);
		}
		t->pg_schema = SPI_getvalue(tup, desc, 5);
		t->pg_table = SPI_getvalue(tup, desc, 6);
	}
	MemoryContextSwitchTo(old);
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

	if (!make_key(key, schema, table))
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
