/*-------------------------------------------------------------------------
 *
 * replay_apply.c
 *	  Applies logged row images (I, U, D) to the target tables.
 *
 *	  The replicated tables of the source are cached from
 *	  chameleon.replica_table (re-read every batch, so that tables enabled
 *	  or disabled by others are seen).  Columns are matched by NAME,
 *	  because PostgreSQL cannot reproduce MySQL's column order after
 *	  ALTER ... FIRST/AFTER, and columns the target table does not have are
 *	  ignored.  Each table keeps, per operation and column set of the
 *	  images, a "plan": how image elements map to target columns, and the
 *	  statement it amounts to (the text error_log shows).
 *
 *	  Two ways to apply a row:
 *
 *	  - directly through the executor's simple-relation routines, like
 *	    PostgreSQL's logical replication apply worker (no parse, plan or
 *	    portal per row, which is most of the cost of a one-row statement):
 *	    values are converted from their text with the column type's input
 *	    function (with the column's typmod, so that a value gets the checks
 *	    and rounding an assignment would give it), UPDATE and DELETE find
 *	    the row through the unique index of replica_table.key_columns and
 *	    lock it, and ExecSimpleRelation{Insert,Update,Delete} fire the row
 *	    triggers and check the constraints.  Used for INSERT into plain
 *	    tables, and UPDATE / DELETE when the table has a usable key index
 *	    and the before-image holds the key;
 *
 *	  - a kept SPI plan of the statement (values passed as text and cast
 *	    with $n::text::type): for tables found by the full before-image
 *	    (IS NOT DISTINCT FROM on every column whose type has equality),
 *	    and for targets the first way cannot honour exactly: partitioned
 *	    or foreign tables, tables with rules, statement-level triggers or
 *	    transition tables.
 *
 *	  Both ways behave as one INSERT/UPDATE/DELETE statement per row.  A
 *	  relcache invalidation of a target table (DDL by anyone, ANALYZE)
 *	  makes its columns and plans be rebuilt before the next row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "replay.h"
#include "worker_util.h"

/* room for "schema<US>table" of MySQL names (64 characters, 4 bytes each) */
#define REPLAY_KEY_LEN 520

/* A kept plan for one operation and column set of a table. */
typedef struct ReplayPlan
{
	struct ReplayPlan *next;
	char		op;				/* I, U, D */
	struct varlena *after_names;	/* the images it was built for */
	struct varlena *before_names;
	SPIPlanPtr	plan;			/* SPI way; NULL for the direct way */
	char	   *sql;
	int			nparams;
	int		   *src;			/* per parameter: index in the image */
	bool	   *from_before;	/* per parameter: before (true) or after image */
	/* the direct way (executor routines) */
	bool		direct;
	bool		noop;			/* no image column exists in the target */
	int			nafter;			/* elements of the after-image */
	int		   *after_col;		/* per element: target column index or -1 */
	int		   *key_src;		/* per key index column: before-image index */
	Bitmapset  *updated_cols;	/* U: the columns SET (for column triggers) */
	int			ndefaults;		/* I: target columns absent from the image */
	int		   *default_col;	/* their column index */
	Expr	  **default_expr;	/* their planned default, NULL: none */
} ReplayPlan;

/* What the direct way needs of a target column. */
typedef struct ReplayColumn
{
	AttrNumber	attnum;
	Oid			typid;
	int32		typmod;
	Oid			ioparam;
	FmgrInfo	input;			/* the type's input function */
} ReplayColumn;

/* A replicated table as the replay sees it. */
typedef struct ReplayTable
{
	char		key[REPLAY_KEY_LEN];	/* hash key: schema US table */
	bool		present;		/* in replica_table at the last load */
	bool		enabled;
	char	   *schema_name;	/* target */
	char	   *table_name;
	char	   *identity;
	char	   *key_columns;	/* text[] literal, to detect changes */
	List	   *keys;			/* char * */
	/* target columns, read when the first plan is built */
	bool		cols_loaded;
	bool		stale;			/* relcache invalidation seen: reload */
	Oid			relid;
	int			ncols;			/* not dropped, not generated */
	char	  **colnames;
	char	  **coltypes;		/* the type without modifier */
	bool	   *comparable;		/* type has an equality operator */
	ReplayColumn *cols;
	bool		direct_insert;	/* the direct way can insert */
	/* the unique index of the key columns, for direct UPDATE / DELETE */
	Oid			key_index;		/* InvalidOid: none usable */
	int			nkeyatts;
	int		   *key_col;		/* per index column: target column index */
	RegProcedure *key_eqproc;	/* per index column: equality function */
	Oid		   *key_coll;
	ReplayPlan *plans;
} ReplayTable;

static HTAB *replay_tables = NULL;
static MemoryContext replay_cache_cxt = NULL;
static bool relcache_callback_set = false;

/* Builds the hash key of a MySQL table. */
static void
table_key(char *buf, const char *schema, const char *table)
{
	snprintf(buf, REPLAY_KEY_LEN, "%s\x1f%s", schema ? schema : "", table ? table : "");
}

/* Frees a table's plans and column information. */
static void
table_forget(ReplayTable *t)
{
	ReplayPlan *p = t->plans;

	while (p != NULL)
	{
		ReplayPlan *next = p->next;

		if (p->plan)
			SPI_freeplan(p->plan);
		pfree(p->sql);
		if (p->after_names)
			pfree(p->after_names);
		if (p->before_names)
			pfree(p->before_names);
		pfree(p->src);
		pfree(p->from_before);
		if (p->after_col)
			pfree(p->after_col);
		if (p->key_src)
			pfree(p->key_src);
		bms_free(p->updated_cols);
		if (p->default_col)
			pfree(p->default_col);
		/* planned default expressions are left to the context's reset */
		if (p->default_expr)
			pfree(p->default_expr);
		pfree(p);
		p = next;
	}
	t->plans = NULL;
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
		if (t->key_col)
		{
			pfree(t->key_col);
			pfree(t->key_eqproc);
			pfree(t->key_coll);
		}
	}
	t->cols_loaded = false;
	t->stale = false;
	t->relid = InvalidOid;
	t->key_index = InvalidOid;
	t->key_col = NULL;
	t->key_eqproc = NULL;
	t->key_coll = NULL;
	t->ncols = 0;
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

	if (replay_cache_cxt == NULL)
		replay_cache_cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay cache",
												 ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = REPLAY_KEY_LEN;
	ctl.entrysize = sizeof(ReplayTable);
	ctl.hcxt = replay_cache_cxt;
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
	Datum		args[1] = {Int32GetDatum(st->source_id)};
	Oid			types[1] = {INT4OID};
	HASH_SEQ_STATUS seq;
	ReplayTable *t;
	int			rc;

	if (replay_tables == NULL)
		tables_create();
	hash_seq_init(&seq, replay_tables);
	while ((t = hash_seq_search(&seq)) != NULL)
		t->present = false;

	rc = SPI_execute_with_args("SELECT source_schema, source_table, schema_name, table_name,"
							   " key_columns::text, identity, enabled, key_columns"
							   " FROM chameleon.replica_table WHERE source_id = $1",
							   1, types, args, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading chameleon.replica_table failed: %s", SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char		key[REPLAY_KEY_LEN];
		char	   *schema_name = SPI_getvalue(tup, desc, 3);
		char	   *table_name = SPI_getvalue(tup, desc, 4);
		char	   *keytext = SPI_getvalue(tup, desc, 5);
		char	   *identity = SPI_getvalue(tup, desc, 6);
		char	   *enabled = SPI_getvalue(tup, desc, 7);
		bool		found;

		table_key(key, SPI_getvalue(tup, desc, 1), SPI_getvalue(tup, desc, 2));
		t = hash_search(replay_tables, key, HASH_ENTER, &found);
		if (found && strcmp(t->schema_name, schema_name) == 0 &&
			strcmp(t->table_name, table_name) == 0 &&
			strcmp(t->key_columns, keytext) == 0 &&
			strcmp(t->identity, identity) == 0)
		{
			t->present = true;
			t->enabled = (enabled[0] == 't');
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
			Datum		d = SPI_getbinval(tup, desc, 8, &isnull);

			t->schema_name = pstrdup(schema_name);
			t->table_name = pstrdup(table_name);
			t->key_columns = pstrdup(keytext);
			t->identity = pstrdup(identity);
			t->keys = NIL;
			if (!isnull)
			{
				Datum	   *elems;
				bool	   *nulls;
				int			n;

				deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false,
								  TYPALIGN_INT, &elems, &nulls, &n);
				for (int k = 0; k < n; k++)
					if (!nulls[k])
						t->keys = lappend(t->keys, TextDatumGetCString(elems[k]));
			}
			t->plans = NULL;
			t->cols_loaded = false;
			t->stale = false;
			t->relid = InvalidOid;
			t->key_index = InvalidOid;
			t->key_col = NULL;
			t->ncols = 0;
			t->present = true;
			t->enabled = (enabled[0] == 't');
			MemoryContextSwitchTo(old);
		}
	}
	SPI_freetuptable(SPI_tuptable);
}

/* The cached table of a MySQL table, or NULL when it is not replicated. */
static ReplayTable *
table_lookup(const char *schema, const char *table)
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
	ReplayTable *t = table_lookup(schema, table);

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
			{
				pfree(t->key_col);
				pfree(t->key_eqproc);
				pfree(t->key_coll);
				t->key_col = NULL;
				t->key_eqproc = NULL;
				t->key_coll = NULL;
			}
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

	relid = RangeVarGetRelid(makeRangeVar(t->schema_name, t->table_name, -1),
							 RowExclusiveLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("target table \"%s.%s\" does not exist", t->schema_name, t->table_name),
				 errhint("Copy the table again with chameleon.sync_tables().")));
	rel = table_open(relid, NoLock);
	desc = RelationGetDescr(rel);

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
	t->key_index = InvalidOid;
	t->key_col = NULL;
	t->key_eqproc = NULL;
	t->key_coll = NULL;
	if (t->direct_insert)
		table_find_key_index(t, rel);
	table_close(rel, NoLock);
	t->stale = false;
	t->cols_loaded = true;
}

/* Index of a target column, or -1. */
static int
column_index(const ReplayTable *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->colnames[i], name) == 0)
			return i;
	return -1;
}

/* The names of an image as C strings; *n receives the count. */
static char **
image_names(ArrayType *names, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	*n = 0;
	if (names == NULL)
		return NULL;
	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]);
	return out;
}

/* Whether two (nullable) names arrays are byte for byte the same. */
static bool
same_names(const struct varlena *cached, const ArrayType *names)
{
	if (cached == NULL || names == NULL)
		return cached == NULL && names == NULL;
	return VARSIZE(cached) == VARSIZE(names) &&
		memcmp(cached, names, VARSIZE(cached)) == 0;
}

/* Adds a parameter taken from an image's element. */
static void
add_param(ReplayPlan *p, int idx, bool before)
{
	p->src[p->nparams] = idx;
	p->from_before[p->nparams] = before;
	p->nparams++;
}

/*
 * Appends the WHERE clause that finds the row of a before-image: by the
 * key columns, else by every comparable column.
 */
static void
append_where(StringInfo sql, ReplayTable *t, ReplayPlan *p, char **bnames, int nb)
{
	bool		by_key = (t->keys != NIL && strcmp(t->identity, "full row") != 0);
	ListCell   *lc;
	int			nconds = 0;

	/* every key column must be in the image and in the table */
	foreach(lc, t->keys)
	{
		const char *k = (const char *) lfirst(lc);
		bool		inimage = false;

		for (int i = 0; i < nb; i++)
			if (strcmp(bnames[i], k) == 0)
				inimage = true;
		if (!inimage || column_index(t, k) < 0)
			by_key = false;
	}

	if (by_key)
	{
		appendStringInfoString(sql, " WHERE ");
		foreach(lc, t->keys)
		{
			const char *k = (const char *) lfirst(lc);
			int			c = column_index(t, k);

			for (int i = 0; i < nb; i++)
				if (strcmp(bnames[i], k) == 0)
				{
					if (nconds++ > 0)
						appendStringInfoString(sql, " AND ");
					add_param(p, i, true);
					appendStringInfo(sql, "%s = $%d::text::%s", quote_identifier(k),
									 p->nparams, t->coltypes[c]);
					break;
				}
		}
		return;
	}

	/* full row: one matching row, whichever */
	appendStringInfo(sql, " WHERE ctid = (SELECT ctid FROM %s WHERE ",
					 chameleon_qualified(t->schema_name, t->table_name));
	for (int i = 0; i < nb; i++)
	{
		int			c = column_index(t, bnames[i]);

		if (c < 0 || !t->comparable[c])
			continue;
		if (nconds++ > 0)
			appendStringInfoString(sql, " AND ");
		add_param(p, i, true);
		appendStringInfo(sql, "%s IS NOT DISTINCT FROM $%d::text::%s",
						 quote_identifier(bnames[i]), p->nparams, t->coltypes[c]);
	}
	if (nconds == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
				 errmsg("cannot find rows of table \"%s.%s\": its before-image has no comparable column",
						t->schema_name, t->table_name),
				 errhint("Give the MySQL table a primary key.")));
	appendStringInfoString(sql, " LIMIT 1)");
}

/*
 * Sets up the direct way for plan p when the table allows it: the target
 * column of each after-image element, the before-image element of each
 * key index column, the columns an UPDATE sets, and the defaults of the
 * columns an INSERT leaves out.  False when p must use SPI.
 */
static bool
plan_direct(ReplayTable *t, ReplayPlan *p, char **anames, int na,
			char **bnames, int nb)
{
	MemoryContext old;

	if (p->op == 'I' ? !t->direct_insert : !OidIsValid(t->key_index))
		return false;

	old = MemoryContextSwitchTo(replay_cache_cxt);
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
		p->after_col[i] = column_index(t, anames[i]);
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
		p->default_col = MemoryContextAlloc(replay_cache_cxt, sizeof(int) * t->ncols);
		p->default_expr = MemoryContextAllocZero(replay_cache_cxt, sizeof(Expr *) * t->ncols);
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

				old = MemoryContextSwitchTo(replay_cache_cxt);
				p->default_expr[p->ndefaults] = copyObject(planned);
				MemoryContextSwitchTo(old);
			}
			p->ndefaults++;
		}
		table_close(rel, NoLock);
	}
	p->direct = true;
	return true;
}

/* Builds and keeps the plan of an operation for the images of ev. */
static ReplayPlan *
plan_build(ReplayTable *t, const ReplayEvent *ev)
{
	MemoryContext old;
	StringInfoData sql;
	ReplayPlan *p;
	char	  **anames;
	char	  **bnames;
	int			na;
	int			nb;
	int			nset = 0;
	Oid		   *types;
	SPIPlanPtr	plan;
	const char *qt;

	if (!t->cols_loaded)
		table_load_columns(t);
	qt = chameleon_qualified(t->schema_name, t->table_name);
	anames = image_names(ev->after_names, &na);
	bnames = image_names(ev->before_names, &nb);

	old = MemoryContextSwitchTo(replay_cache_cxt);
	p = palloc0(sizeof(ReplayPlan));
	p->op = ev->kind;
	p->src = palloc(sizeof(int) * (na + nb + 1));
	p->from_before = palloc(sizeof(bool) * (na + nb + 1));
	if (ev->after_names)
		p->after_names = (struct varlena *) DatumGetPointer(datumCopy(PointerGetDatum(ev->after_names), false, -1));
	if (ev->before_names)
		p->before_names = (struct varlena *) DatumGetPointer(datumCopy(PointerGetDatum(ev->before_names), false, -1));
	initStringInfo(&sql);

	switch (ev->kind)
	{
		case 'I':
			{
				StringInfoData vals;

				initStringInfo(&vals);
				appendStringInfo(&sql, "INSERT INTO %s (", qt);
				for (int i = 0; i < na; i++)
				{
					int			c = column_index(t, anames[i]);

					if (c < 0)
						continue;
					if (nset++ > 0)
					{
						appendStringInfoString(&sql, ", ");
						appendStringInfoString(&vals, ", ");
					}
					add_param(p, i, false);
					appendStringInfoString(&sql, quote_identifier(anames[i]));
					appendStringInfo(&vals, "$%d::text::%s", p->nparams, t->coltypes[c]);
				}
				appendStringInfo(&sql, ") VALUES (%s)", vals.data);
				break;
			}
		case 'U':
			appendStringInfo(&sql, "UPDATE %s SET ", qt);
			for (int i = 0; i < na; i++)
			{
				int			c = column_index(t, anames[i]);

				if (c < 0)
					continue;
				if (nset++ > 0)
					appendStringInfoString(&sql, ", ");
				add_param(p, i, false);
				appendStringInfo(&sql, "%s = $%d::text::%s", quote_identifier(anames[i]),
								 p->nparams, t->coltypes[c]);
			}
			append_where(&sql, t, p, bnames, nb);
			break;
		case 'D':
			appendStringInfo(&sql, "DELETE FROM %s", qt);
			nset = 1;
			append_where(&sql, t, p, bnames, nb);
			break;
		default:
			elog(ERROR, "unexpected row event kind \"%c\"", ev->kind);
	}
	p->sql = sql.data;
	MemoryContextSwitchTo(old);

	/* no column of the image exists in the target: nothing to run */
	if (nset == 0)
	{
		p->plan = NULL;
		p->noop = true;
	}
	else if (!plan_direct(t, p, anames, na, bnames, nb))
	{
		types = palloc(sizeof(Oid) * Max(p->nparams, 1));
		for (int i = 0; i < p->nparams; i++)
			types[i] = TEXTOID;
		plan = SPI_prepare(p->sql, p->nparams, types);
		if (plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", p->sql,
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		p->plan = plan;
	}
	p->next = t->plans;
	t->plans = p;
	return p;
}

/* The kept plan for ev's operation and column set (built if new). */
static ReplayPlan *
plan_get(ReplayTable *t, const ReplayEvent *ev)
{
	for (ReplayPlan *p = t->plans; p; p = p->next)
		if (p->op == ev->kind && same_names(p->after_names, ev->after_names) &&
			same_names(p->before_names, ev->before_names))
			return p;
	return plan_build(t, ev);
}

/* The elements of a values array, checked against its names. */
static void
image_values(ArrayType *values, ArrayType *names, Datum **elems, bool **nulls)
{
	int			nv = 0;
	int			nn = names ? ArrayGetNItems(ARR_NDIM(names), ARR_DIMS(names)) : 0;

	*elems = NULL;
	*nulls = NULL;
	if (values != NULL)
		deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT, elems, nulls, &nv);
	if (nv != nn)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("row image has %d values for %d column names", nv, nn)));
}

/*
 * Makes the table's cached columns and plans current and locks it as a
 * writer: a relcache invalidation seen since (DDL by anyone) rebuilds
 * them, the name being resolved again.
 */
static void
table_prepare(ReplayTable *t)
{
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
 * Finds the row whose key index columns equal the before-image's and
 * locks it in mode, into slot; false when there is none.  A dirty
 * snapshot sees rows of transactions still running: wait for them, as an
 * UPDATE would, and look again.
 */
static bool
find_by_key(ReplayTable *t, Relation rel, const Datum *keyvals, LockTupleMode mode,
			TupleTableSlot *slot)
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
		TM_FailureData tmfd;
		TM_Result	res;

		index_rescan(scan, skey, t->nkeyatts, NULL, 0);
		found = index_getnext_slot(scan, ForwardScanDirection, slot);
		if (!found)
			break;
		xwait = TransactionIdIsValid(dirty.xmin) ? dirty.xmin : dirty.xmax;
		if (TransactionIdIsValid(xwait))
		{
			XactLockTableWait(xwait, rel, &slot->tts_tid, XLTW_Update);
			continue;
		}
		res = table_tuple_lock(rel, &slot->tts_tid, GetActiveSnapshot(), slot,
							   GetCurrentCommandId(false), mode,
							   LockWaitBlock, 0, &tmfd);
		if (res == TM_Ok)
			break;
		if (res != TM_Updated && res != TM_Deleted)
			elog(ERROR, "unexpected result %d locking a row of \"%s\"",
				 (int) res, RelationGetRelationName(rel));
		/* changed by another transaction meanwhile: look again */
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
apply_direct(ReplayTable *t, ReplayPlan *p, const Datum *bvals, const bool *bnulls,
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
		/*
		 * The lock an UPDATE or DELETE of the row takes: a stronger one
		 * than the update needs would make heap_update keep both in a
		 * multixact.
		 */
		if (found)
			found = find_by_key(t, rel, keyvals,
								p->op == 'D' ? LockTupleExclusive : LockTupleNoKeyExclusive,
								oldslot);
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

/* Applies a row through the plan's kept SPI plan; false: no row found. */
static bool
apply_spi(ReplayTable *t, ReplayPlan *p, const Datum *bvals, const bool *bnulls,
		  const Datum *avals, const bool *anulls)
{
	Datum	   *params = palloc(sizeof(Datum) * Max(p->nparams, 1));
	char	   *pnulls = palloc(p->nparams + 1);
	int			rc;

	for (int i = 0; i < p->nparams; i++)
	{
		const Datum *v = p->from_before[i] ? bvals : avals;
		const bool *n = p->from_before[i] ? bnulls : anulls;

		params[i] = v[p->src[i]];
		pnulls[i] = n[p->src[i]] ? 'n' : ' ';
	}
	pnulls[p->nparams] = '\0';

	rc = SPI_execute_plan(p->plan, params, pnulls, false, 0);
	if (rc < 0)
		elog(ERROR, "applying a row to %s.%s failed: %s", t->schema_name, t->table_name,
			 SPI_result_code_string(rc));
	return SPI_processed > 0 || p->op == 'I';
}

/*
 * Applies one row event; false when it was skipped (table not replicated
 * or disabled).  Runs in the caller's short-lived memory context.
 */
bool
replay_apply_row(ReplayState *st, const ReplayEvent *ev)
{
	ReplayTable *t = table_lookup(ev->schema, ev->table);
	ReplayPlan *p;
	Datum	   *bvals;
	bool	   *bnulls;
	Datum	   *avals;
	bool	   *anulls;
	bool		found;

	if (t == NULL || !t->enabled)
		return false;
	st->cur_schema = ev->schema;
	st->cur_table = ev->table;
	st->cur_sql = NULL;

	table_prepare(t);
	p = plan_get(t, ev);
	st->cur_sql = p->sql;
	if (p->noop)
		return true;

	image_values(ev->before_values, ev->before_names, &bvals, &bnulls);
	image_values(ev->after_values, ev->after_names, &avals, &anulls);
	if (p->direct)
		found = apply_direct(t, p, bvals, bnulls, avals, anulls);
	else
		found = apply_spi(t, p, bvals, bnulls, avals, anulls);
	if (!found)
		ereport(DEBUG1,
				(errmsg("chameleon replay: %s of event " INT64_FORMAT " found no row in %s.%s",
						ev->kind == 'U' ? "UPDATE" : "DELETE", ev->event_id,
						t->schema_name, t->table_name)));
	return true;
}
