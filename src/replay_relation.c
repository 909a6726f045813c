/*-------------------------------------------------------------------------
 *
 * replay_relation.c
 *	  The replay's relation cache: the replicated tables of the source as
 *	  chameleon.replica_table lists them (re-read every round, so that
 *	  tables enabled or disabled by others are seen), and for each target
 *	  table the columns, types and unique key index the appliers need, read
 *	  from the relcache when its first row arrives.  A relcache
 *	  invalidation of a target table (DDL by anyone, ANALYZE) makes its
 *	  columns and plans be rebuilt before its next row.
 *
 *	  Columns are matched by NAME, because PostgreSQL cannot reproduce
 *	  MySQL's column order after ALTER ... FIRST/AFTER, and columns the
 *	  target table does not have are ignored.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "commands/trigger.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "owner.h"
#include "replay_apply_internal.h"
#include "worker_util.h"

static HTAB *replay_tables = NULL;
static MemoryContext replay_cache_cxt = NULL;
static bool relcache_callback_set = false;

/* the source whose tables these are: rows are applied for its owner */
static Oid	source_owner = InvalidOid;
static const char *source_name = "";

/* The context the cache (tables, plans) lives in. */
MemoryContext
replay_cache_context(void)
{
	if (replay_cache_cxt == NULL)
		replay_cache_cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay cache",
												 ALLOCSET_DEFAULT_SIZES);
	return replay_cache_cxt;
}

/* Builds the hash key of a MySQL table. */
static void
table_key(char *buf, const char *schema, const char *table)
{
	snprintf(buf, REPLAY_KEY_LEN, "%s\x1f%s", schema ? schema : "", table ? table : "");
}

/* Marks a table as having no columns, key index or plans loaded. */
static void
table_clear(ReplayTable *t)
{
	t->plans = NULL;
	t->exec = NULL;
	t->cols_loaded = false;
	t->stale = false;
	t->relid = InvalidOid;
	t->ncols = 0;
	t->key_index = InvalidOid;
	t->key_col = NULL;
	t->key_eqproc = NULL;
	t->key_coll = NULL;
}

/* Frees the key index of a table's columns, if it has one. */
static void
key_index_forget(ReplayTable *t)
{
	if (t->key_col)
	{
		pfree(t->key_col);
		pfree(t->key_eqproc);
		pfree(t->key_coll);
	}
	t->key_index = InvalidOid;
	t->key_col = NULL;
	t->key_eqproc = NULL;
	t->key_coll = NULL;
}

/* Frees a table's plans and column information. */
static void
table_forget(ReplayTable *t)
{
	replay_exec_close(t);
	replay_plans_free(t);
	if (t->cols_loaded)
	{
		for (int i = 0; i < t->ncols; i++)
		{
			pfree(t->colnames[i]);
			pfree(t->coltypes[i]);
		}
		pfree(t->colnames);
		pfree(t->coltypes);
		pfree(t->comparable);
		pfree(t->cols);
		key_index_forget(t);
	}
	table_clear(t);
}

/*
 * Relcache invalidation callback: a target table changed (DDL, ANALYZE,
 * a new index...); its columns and plans are rebuilt before its next row.
 * Only flags here: callbacks run at any lock acquisition.
 */
static void
relcache_changed(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	ReplayTable *t;

	if (replay_tables == NULL)
		return;
	hash_seq_init(&seq, replay_tables);
	while ((t = hash_seq_search(&seq)) != NULL)
		if (t->cols_loaded && (!OidIsValid(relid) || t->relid == relid))
			t->stale = true;
}

/* Creates the (empty) cache. */
static void
tables_create(void)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = REPLAY_KEY_LEN;
	ctl.entrysize = sizeof(ReplayTable);
	ctl.hcxt = replay_cache_context();
	replay_tables = hash_create("chameleon replay tables", 64, &ctl,
								HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	if (!relcache_callback_set)
	{
		CacheRegisterRelcacheCallback(relcache_changed, (Datum) 0);
		relcache_callback_set = true;
	}
}

/*
 * Forgets every table and plan: after DDL, or after a rolled-back source
 * transaction whose catalogue changes the cache may reflect.
 */
void
replay_tables_invalidate(void)
{
	HASH_SEQ_STATUS seq;
	ReplayTable *t;

	if (replay_tables == NULL)
		return;
	hash_seq_init(&seq, replay_tables);
	while ((t = hash_seq_search(&seq)) != NULL)
		table_forget(t);
	hash_destroy(replay_tables);
	replay_tables = NULL;
	MemoryContextReset(replay_cache_cxt);
}

/*
 * (Re)reads the source's rows of chameleon.replica_table; a table whose
 * target, keys or identity changed loses its plans.
 */
void
replay_tables_load(ReplayState *st)
{
	HASH_SEQ_STATUS seq;
	ReplayTable *t;
	uint64		n;

	if (replay_tables == NULL)
		tables_create();
	source_owner = st->conf->owner;
	source_name = st->source_name;
	hash_seq_init(&seq, replay_tables);
	while ((t = hash_seq_search(&seq)) != NULL)
		t->present = false;

	n = CAT_VIEW_RUN("SELECT source_schema, source_table, schema_name, table_name,"
					 "       key_columns::text, identity, enabled, key_columns"
					 "  FROM chameleon.replica_table WHERE source_id = $1",
					 cat_int4(st->source_id));
	for (uint64 i = 0; i < n; i++)
	{
		char		key[REPLAY_KEY_LEN];
		char	   *schema_name = cat_get_text(i, 3);
		char	   *table_name = cat_get_text(i, 4);
		char	   *keytext = cat_get_text(i, 5);
		char	   *identity = cat_get_text(i, 6);
		bool		enabled = cat_get_bool(i, 7, false);
		bool		found;

		table_key(key, cat_get_text(i, 1), cat_get_text(i, 2));
		t = hash_search(replay_tables, key, HASH_ENTER, &found);
		if (found && strcmp(t->schema_name, schema_name) == 0 &&
			strcmp(t->table_name, table_name) == 0 &&
			strcmp(t->key_columns, keytext) == 0 &&
			strcmp(t->identity, identity) == 0)
		{
			t->present = true;
			t->enabled = enabled;
			continue;
		}
		if (found)
		{
			table_forget(t);
			pfree(t->schema_name);
			pfree(t->table_name);
			pfree(t->key_columns);
			pfree(t->identity);
			list_free_deep(t->keys);
		}
		{
			MemoryContext old = MemoryContextSwitchTo(replay_cache_cxt);
			bool		isnull;
			Datum		d = cat_get_datum(i, 8, &isnull);

			t->schema_name = pstrdup(schema_name);
			t->table_name = pstrdup(table_name);
			t->key_columns = pstrdup(keytext);
			t->identity = pstrdup(identity);
			t->keys = NIL;
			if (!isnull)
			{
				Datum	   *elems;
				bool	   *nulls;
				int			nkeys;

				deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false,
								  TYPALIGN_INT, &elems, &nulls, &nkeys);
				for (int k = 0; k < nkeys; k++)
					if (!nulls[k])
						t->keys = lappend(t->keys, TextDatumGetCString(elems[k]));
			}
			table_clear(t);
			t->present = true;
			t->enabled = enabled;
			MemoryContextSwitchTo(old);
		}
	}
	SPI_freetuptable(SPI_tuptable);
	replay_fk_load(st);
}

/* The cached table of a MySQL table, or NULL when it is not replicated. */
ReplayTable *
replay_table_lookup(const char *schema, const char *table)
{
	char		key[REPLAY_KEY_LEN];
	ReplayTable *t;

	if (replay_tables == NULL)
		return NULL;
	table_key(key, schema, table);
	t = hash_search(replay_tables, key, HASH_FIND, NULL);
	return (t != NULL && t->present) ? t : NULL;
}

/* Whether a MySQL table is replicated and enabled. */
bool
replay_table_active(const char *schema, const char *table)
{
	ReplayTable *t = replay_table_lookup(schema, table);

	return t != NULL && t->enabled;
}

/*
 * Whether the executor's simple-relation routines apply a row to rel
 * exactly as a one-row statement would: a plain table without rules,
 * statement-level triggers or transition tables (those routines fire row
 * triggers only).
 */
static bool
direct_possible(Relation rel)
{
	TriggerDesc *td = rel->trigdesc;

	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rules != NULL)
		return false;
	if (td == NULL)
		return true;
	return !(td->trig_insert_before_statement || td->trig_insert_after_statement ||
			 td->trig_update_before_statement || td->trig_update_after_statement ||
			 td->trig_delete_before_statement || td->trig_delete_after_statement ||
			 td->trig_insert_new_table || td->trig_update_old_table ||
			 td->trig_update_new_table || td->trig_delete_old_table);
}

/*
 * Finds the unique btree index whose key columns are exactly the
 * replica_table key columns (the primary key first), for direct UPDATE
 * and DELETE; leaves t->key_index invalid when there is none.
 */
static void
table_find_key_index(ReplayTable *t, Relation rel)
{
	int			nkeys = list_length(t->keys);
	int		   *keycols;
	List	   *indexes;
	ListCell   *lc;
	int			k = 0;

	if (nkeys == 0 || nkeys > INDEX_MAX_KEYS || strcmp(t->identity, "full row") == 0)
		return;
	keycols = palloc(sizeof(int) * nkeys);
	foreach(lc, t->keys)
	{
		int			c = -1;

		for (int i = 0; i < t->ncols; i++)
			if (strcmp(t->colnames[i], (const char *) lfirst(lc)) == 0)
				c = i;
		if (c < 0)
			return;				/* a key column the target lacks */
		keycols[k++] = c;
	}

	indexes = RelationGetIndexList(rel);
	/* the primary key first: it is what replica_table prefers */
	if (OidIsValid(rel->rd_pkindex))
	{
		indexes = list_delete_oid(indexes, rel->rd_pkindex);
		indexes = lcons_oid(rel->rd_pkindex, indexes);
	}
	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index ind = idx->rd_index;
		bool		usable = ind->indisunique && ind->indisvalid && ind->indisready &&
			idx->rd_rel->relam == BTREE_AM_OID &&
			IndexRelationGetNumberOfKeyAttributes(idx) == nkeys &&
			heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL);
		int		   *idxcol = palloc(sizeof(int) * nkeys);

		/* every index column one of the key columns, each once */
		for (int j = 0; usable && j < nkeys; j++)
		{
			AttrNumber	a = ind->indkey.values[j];

			idxcol[j] = -1;
			for (int m = 0; m < nkeys; m++)
				if (t->cols[keycols[m]].attnum == a)
					idxcol[j] = keycols[m];
			for (int m = 0; m < j; m++)
				if (idxcol[m] == idxcol[j])
					idxcol[j] = -1;
			if (idxcol[j] < 0)
				usable = false;
		}
		if (usable)
		{
			MemoryContext old = MemoryContextSwitchTo(replay_cache_cxt);

			t->key_col = palloc(sizeof(int) * nkeys);
			t->key_eqproc = palloc(sizeof(RegProcedure) * nkeys);
			t->key_coll = palloc(sizeof(Oid) * nkeys);
			MemoryContextSwitchTo(old);
			for (int j = 0; j < nkeys; j++)
			{
				Oid			opcintype = idx->rd_opcintype[j];
				Oid			op = get_opfamily_member(idx->rd_opfamily[j], opcintype, opcintype,
													 BTEqualStrategyNumber);

				if (!OidIsValid(op))
					usable = false;
				else
					t->key_eqproc[j] = get_opcode(op);
				t->key_col[j] = idxcol[j];
				t->key_coll[j] = idx->rd_indcollation[j];
			}
			if (usable)
			{
				t->key_index = RelationGetRelid(idx);
				t->nkeyatts = nkeys;
			}
			else
				key_index_forget(t);
		}
		index_close(idx, AccessShareLock);
		pfree(idxcol);
		if (OidIsValid(t->key_index))
			break;
	}
	list_free(indexes);
	pfree(keycols);
}

/*
 * Reads the target table's columns (name, type, comparability, input
 * function) from the relcache, and what the direct way can do with it.
 * Locks the table as a writer would.
 */
static void
table_load_columns(ReplayTable *t)
{
	Oid			relid;
	Relation	rel;
	TupleDesc	desc;
	MemoryContext old;
	int			n = 0;

	relid = RangeVarGetRelid(chameleon_rangevar(t->schema_name, t->table_name),
							 RowExclusiveLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("target table \"%s.%s\" does not exist", t->schema_name, t->table_name),
				 errhint("Copy the table again with chameleon.sync_tables().")));

	/*
	 * Rows are applied as the table's owner (its triggers and defaults run
	 * with that role's rights), which the source's owner must be able to
	 * act as, as with plain SQL.
	 */
	chameleon_check_table_owner(relid, source_owner, source_name);
	rel = table_open(relid, NoLock);
	desc = RelationGetDescr(rel);
	t->owner = rel->rd_rel->relowner;

	old = MemoryContextSwitchTo(replay_cache_cxt);
	t->colnames = palloc(sizeof(char *) * Max(desc->natts, 1));
	t->coltypes = palloc(sizeof(char *) * Max(desc->natts, 1));
	t->comparable = palloc(sizeof(bool) * Max(desc->natts, 1));
	t->cols = palloc0(sizeof(ReplayColumn) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ReplayColumn *col = &t->cols[n];
		Oid			infunc;

		if (att->attisdropped || att->attgenerated != '\0')
			continue;
		t->colnames[n] = pstrdup(NameStr(att->attname));

		/*
		 * The type without its modifier, in the form that keeps it so:
		 * format_type_be() says "character" and "bit", which the parser
		 * reads as character(1) and bit(1), so that the explicit cast
		 * would cut every value to one character or bit.  The column's
		 * own modifier applies on assignment.
		 */
		t->coltypes[n] = format_type_extended(att->atttypid, -1, FORMAT_TYPE_TYPEMOD_GIVEN);
		t->comparable[n] = OidIsValid(lookup_type_cache(att->atttypid, TYPECACHE_EQ_OPR)->eq_opr);
		col->attnum = att->attnum;
		col->typid = att->atttypid;
		col->typmod = att->atttypmod;
		getTypeInputInfo(att->atttypid, &infunc, &col->ioparam);
		fmgr_info_cxt(infunc, &col->input, replay_cache_cxt);
		col->geo = chameleon_geo_target(att->atttypid);
		n++;
	}
	MemoryContextSwitchTo(old);
	t->ncols = n;
	if (n == 0)
	{
		table_close(rel, NoLock);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("target table \"%s.%s\" does not exist", t->schema_name, t->table_name),
				 errhint("Copy the table again with chameleon.sync_tables().")));
	}
	t->relid = relid;
	t->direct_insert = direct_possible(rel);
	if (t->direct_insert)
		table_find_key_index(t, rel);
	table_close(rel, NoLock);
	t->stale = false;
	t->cols_loaded = true;
}

/* Index of a target column, or -1; name is a MySQL column name. */
int
replay_column_index(const ReplayTable *t, const char *name)
{
	char	   *pgname = chameleon_pg_name(name);

	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->colnames[i], pgname) == 0)
			return i;
	return -1;
}

/*
 * Makes the table's cached columns and plans current and locks it as a
 * writer: a relcache invalidation seen since (DDL by anyone) rebuilds
 * them, the name being resolved again.
 */
void
replay_table_prepare(ReplayTable *t)
{
	/* its kept executor state holds the lock for the whole transaction */
	if (t->exec != NULL && !t->stale)
		return;
	for (;;)
	{
		if (t->stale)
			table_forget(t);
		if (!t->cols_loaded)
			table_load_columns(t);
		/* the first lock of a transaction reads pending invalidations */
		LockRelationOid(t->relid, RowExclusiveLock);
		if (!t->stale)
			return;
	}
}
