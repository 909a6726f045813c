/*-------------------------------------------------------------------------
 *
 * replay_apply.c
 *	  Applies logged row images (I, U, D) to the target tables.
 *
 *	  The replicated tables of the source are cached from
 *	  chameleon.replica_table (re-read every batch, so that tables enabled
 *	  or disabled by others are seen).  Each table keeps prepared plans
 *	  (SPI_keepplan) per operation and column set of the images: columns
 *	  are matched by NAME, because PostgreSQL cannot reproduce MySQL's
 *	  column order after ALTER ... FIRST/AFTER, and columns the target
 *	  table does not have are ignored.  Values arrive as PostgreSQL text
 *	  and are converted with explicit $n::text::type casts (I/O conversion
 *	  works for every type).  UPDATE and DELETE find the row by the key
 *	  columns of replica_table (primary key or unique NOT NULL key), else
 *	  by the full before-image (IS NOT DISTINCT FROM on every column whose
 *	  type has equality), one row at a time through its ctid.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
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
	SPIPlanPtr	plan;
	char	   *sql;
	int			nparams;
	int		   *src;			/* per parameter: index in the image */
	bool	   *from_before;	/* per parameter: before (true) or after image */
} ReplayPlan;

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
	int			ncols;
	char	  **colnames;
	char	  **coltypes;		/* the type without modifier */
	bool	   *comparable;		/* type has an equality operator */
	ReplayPlan *plans;
} ReplayTable;

static HTAB *replay_tables = NULL;
static MemoryContext replay_cache_cxt = NULL;

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
	}
	t->cols_loaded = false;
	t->ncols = 0;
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

/* Reads the target table's columns (name, type, comparability). */
static void
table_load_columns(ReplayTable *t)
{
	Oid			types[1] = {TEXTOID};
	Datum		args[1];
	int			rc;
	MemoryContext old;

	args[0] = CStringGetTextDatum(chameleon_qualified(t->schema_name, t->table_name));
	rc = SPI_execute_with_args("SELECT attname::text, atttypid FROM pg_catalog.pg_attribute"
							   " WHERE attrelid = pg_catalog.to_regclass($1) AND attnum > 0"
							   " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
							   1, types, args, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the columns of %s.%s failed", t->schema_name, t->table_name);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("target table \"%s.%s\" does not exist", t->schema_name, t->table_name),
				 errhint("Copy the table again with chameleon.sync_tables().")));

	old = MemoryContextSwitchTo(replay_cache_cxt);
	t->ncols = (int) SPI_processed;
	t->colnames = palloc(sizeof(char *) * t->ncols);
	t->coltypes = palloc(sizeof(char *) * t->ncols);
	t->comparable = palloc(sizeof(bool) * t->ncols);
	for (int i = 0; i < t->ncols; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		Oid			typid;

		t->colnames[i] = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
		typid = DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
		/*
		 * The type without its modifier, in the form that keeps it so:
		 * format_type_be() says "character" and "bit", which the parser
		 * reads as character(1) and bit(1), so that the explicit cast
		 * would cut every value to one character or bit.  The column's
		 * own modifier applies on assignment.
		 */
		t->coltypes[i] = format_type_extended(typid, -1, FORMAT_TYPE_TYPEMOD_GIVEN);
		t->comparable[i] = OidIsValid(lookup_type_cache(typid, TYPECACHE_EQ_OPR)->eq_opr);
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
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
	}
	else
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
	Datum	   *params;
	char	   *pnulls;
	int			rc;

	if (t == NULL || !t->enabled)
		return false;
	st->cur_schema = ev->schema;
	st->cur_table = ev->table;
	st->cur_sql = NULL;

	p = plan_get(t, ev);
	st->cur_sql = p->sql;
	if (p->plan == NULL)
		return true;

	image_values(ev->before_values, ev->before_names, &bvals, &bnulls);
	image_values(ev->after_values, ev->after_names, &avals, &anulls);
	params = palloc(sizeof(Datum) * Max(p->nparams, 1));
	pnulls = palloc(p->nparams + 1);
	for (int i = 0; i < p->nparams; i++)
	{
		Datum	   *v = p->from_before[i] ? bvals : avals;
		bool	   *n = p->from_before[i] ? bnulls : anulls;

		params[i] = v[p->src[i]];
		pnulls[i] = n[p->src[i]] ? 'n' : ' ';
	}
	pnulls[p->nparams] = '\0';

	rc = SPI_execute_plan(p->plan, params, pnulls, false, 0);
	if (rc < 0)
		elog(ERROR, "applying a row to %s.%s failed: %s", t->schema_name, t->table_name,
			 SPI_result_code_string(rc));
	if (SPI_processed == 0 && ev->kind != 'I')
		ereport(DEBUG1,
				(errmsg("chameleon replay: %s of event " INT64_FORMAT " found no row in %s.%s",
						ev->kind == 'U' ? "UPDATE" : "DELETE", ev->event_id,
						t->schema_name, t->table_name)));
	return true;
}
