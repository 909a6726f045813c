/*-------------------------------------------------------------------------
 *
 * replay_fk.c
 *	  The foreign-key actions MySQL performs inside InnoDB and does not log:
 *	  ON DELETE / ON UPDATE CASCADE, SET NULL and SET DEFAULT.  After each
 *	  row change the replay applies (or skips because its own table is
 *	  disabled: the referencing tables changed in MySQL all the same), it
 *	  runs the same actions on the referencing replicated tables, from
 *	  chameleon.foreign_key as it is at that point of the stream, in the
 *	  same transaction, and follows the changes it makes recursively (to
 *	  InnoDB's limit of 15 levels), self-references and composite keys
 *	  included.
 *
 *	  Each action is one set-based statement on the referencing table
 *	  (DELETE or UPDATE ... WHERE its key columns equal the old referenced
 *	  values), RETURNING the changed rows only when they reference further
 *	  tables.  A referencing table being synced while the source runs gets
 *	  the action later, through chameleon.log_held (replay_hold.c), as its
 *	  other row changes do.  A change is never applied twice: every action
 *	  is idempotent (a second DELETE or SET finds nothing left to change).
 *
 *	  Not followed: keys whose referencing table is not replicated by this
 *	  source (another source, or excluded by limit_tables/skip_tables), and
 *	  referenced tables whose rows the reader does not log (excluded by
 *	  the filters): those tables change in MySQL without a trace here.
 *	  MySQL compares key values with the column's collation; the actions
 *	  here match values exactly.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "owner.h"
#include "replay_apply_internal.h"

/* InnoDB stops cascading deeper than this (FK_MAX_CASCADE_DEL) */
#define FK_MAX_DEPTH	15

/* the actions performed */
#define REPLAY_FK_CASCADE		'c'
#define REPLAY_FK_SET_NULL		'n'
#define REPLAY_FK_SET_DEFAULT	'd'

/* A foreign key with an action, found by its referenced table. */
typedef struct ReplayFk
{
	char	   *schema;			/* referencing table, MySQL names */
	char	   *table;
	char	   *name;
	int			ncols;
	char	  **columns;		/* referencing columns */
	char	  **ref_columns;	/* referenced columns, in the same order */
	char		on_delete;		/* REPLAY_FK_* or 0 */
	char		on_update;
} ReplayFk;

/* The keys referencing one table. */
typedef struct ReplayFkParent
{
	char		key[REPLAY_KEY_LEN];	/* schema US table */
	List	   *fks;
} ReplayFkParent;

/* A row image: names and text values (NULL: SQL NULL). */
typedef struct FkImage
{
	int			n;
	char	  **names;
	char	  **values;
} FkImage;

static HTAB *fk_parents = NULL;
static MemoryContext fk_cxt = NULL;

/* The action letter of a catalogue action word; 0: none to perform. */
static char
action_code(const char *word)
{
	if (strcmp(word, "cascade") == 0)
		return REPLAY_FK_CASCADE;
	if (strcmp(word, "set null") == 0)
		return REPLAY_FK_SET_NULL;
	if (strcmp(word, "set default") == 0)
		return REPLAY_FK_SET_DEFAULT;
	return 0;
}

/*
 * Reads the source's foreign keys that have an action (in the round's
 * transaction, with the replicated tables).
 */
void
replay_fk_load(ReplayState *st)
{
	HASHCTL		ctl;
	uint64		n;

	if (fk_cxt == NULL)
		fk_cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay foreign keys",
									   ALLOCSET_SMALL_SIZES);
	MemoryContextReset(fk_cxt);
	fk_parents = NULL;

	n = CAT_VIEW_RUN("SELECT source_schema, source_table, fk_name, columns, ref_schema, ref_table,"
					 "       ref_columns, on_delete, on_update"
					 "  FROM chameleon.foreign_key"
					 " WHERE source_id = $1"
					 "   AND (on_delete IN ('cascade', 'set null', 'set default')"
					 "        OR on_update IN ('cascade', 'set null', 'set default'))",
					 cat_int4(st->source_id));
	if (n == 0)
		return;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = REPLAY_KEY_LEN;
	ctl.entrysize = sizeof(ReplayFkParent);
	ctl.hcxt = fk_cxt;
	fk_parents = hash_create("chameleon replay foreign keys", 16, &ctl,
							 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	for (uint64 i = 0; i < n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(fk_cxt);
		ReplayFk   *fk = palloc0(sizeof(ReplayFk));
		ReplayFkParent *parent;
		char		key[REPLAY_KEY_LEN];
		bool		found;
		bool		isnull;
		int			nref;

		fk->schema = cat_get_text(i, 1);
		fk->table = cat_get_text(i, 2);
		fk->name = cat_get_text(i, 3);
		fk->columns = replay_text_array(DatumGetArrayTypeP(cat_get_datum(i, 4, &isnull)),
										&fk->ncols, "");
		fk->ref_columns = replay_text_array(DatumGetArrayTypeP(cat_get_datum(i, 7, &isnull)),
											&nref, "");
		fk->on_delete = action_code(cat_get_text(i, 8));
		fk->on_update = action_code(cat_get_text(i, 9));
		if (nref != fk->ncols)
			elog(ERROR, "foreign key \"%s\" of %s.%s has %d columns for %d referenced ones",
				 fk->name, fk->schema, fk->table, fk->ncols, nref);
		snprintf(key, sizeof(key), "%s\x1f%s", cat_get_text(i, 5), cat_get_text(i, 6));
		parent = hash_search(fk_parents, key, HASH_ENTER, &found);
		if (!found)
			parent->fks = NIL;
		parent->fks = lappend(parent->fks, fk);
		MemoryContextSwitchTo(old);
	}
}

/* The foreign keys with actions that reference a table. */
static List *
fks_of(const char *schema, const char *table)
{
	char		key[REPLAY_KEY_LEN];
	ReplayFkParent *parent;

	if (fk_parents == NULL || schema == NULL || table == NULL)
		return NIL;
	snprintf(key, sizeof(key), "%s\x1f%s", schema, table);
	parent = hash_search(fk_parents, key, HASH_FIND, NULL);
	return parent ? parent->fks : NIL;
}

/* The value of a column in an image; false when the image lacks it. */
static bool
image_value(const FkImage *img, const char *name, char **value)
{
	if (img == NULL)
		return false;
	for (int i = 0; i < img->n; i++)
		if (strcmp(img->names[i], name) == 0)
		{
			*value = img->values[i];
			return true;
		}
	return false;
}

/* An image from a logged names/values array pair. */
static void
image_from_arrays(FkImage *img, ArrayType *names, ArrayType *values)
{
	Datum	   *nelems;
	Datum	   *velems;
	bool	   *nnulls;
	bool	   *vnulls;
	int			nv = 0;

	img->n = 0;
	img->names = img->values = NULL;
	if (names == NULL || values == NULL)
		return;
	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &nelems, &nnulls, &img->n);
	deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT, &velems, &vnulls, &nv);
	if (nv != img->n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("row image has %d values for %d column names", nv, img->n)));
	img->names = palloc(sizeof(char *) * Max(img->n, 1));
	img->values = palloc(sizeof(char *) * Max(img->n, 1));
	for (int i = 0; i < img->n; i++)
	{
		img->names[i] = nnulls[i] ? pstrdup("") : TextDatumGetCString(nelems[i]);
		img->values[i] = vnulls[i] ? NULL : TextDatumGetCString(velems[i]);
	}
}

/* The child's column of the key's column i; ERROR when the table lacks it. */
static int
fk_column(const ReplayTable *child, const ReplayFk *fk, int i)
{
	int			c = replay_column_index(child, fk->columns[i]);

	if (c < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of foreign key \"%s\" is missing from table %s.%s",
						fk->columns[i], fk->name, child->schema_name, child->table_name)));
	return c;
}

/*
 * Runs one action on the referencing table: rows whose key columns equal
 * old[] are deleted, or get NULL, their default or new[].  With want_rows,
 * the changed rows come back (their new values) in *rows / *nrows.
 */
static uint64
run_action(ReplayTable *child, const ReplayFk *fk, char action, bool deleting,
		   char **old, char **new, bool want_rows, FkImage **rows)
{
	StringInfoData sql;
	CatArg	   *args = palloc(sizeof(CatArg) * (2 * fk->ncols + 1));
	int		   *cols = palloc(sizeof(int) * Max(fk->ncols, 1));
	int			nargs = 0;
	uint64		n;
	ChameleonActor actor;

	replay_table_prepare(child);
	for (int i = 0; i < fk->ncols; i++)
		cols[i] = fk_column(child, fk, i);
	initStringInfo(&sql);
	if (deleting && action == REPLAY_FK_CASCADE)
		appendStringInfo(&sql, "DELETE FROM %s.%s", quote_identifier(child->schema_name),
						 quote_identifier(child->table_name));
	else
	{
		appendStringInfo(&sql, "UPDATE %s.%s SET ", quote_identifier(child->schema_name),
						 quote_identifier(child->table_name));
		for (int i = 0; i < fk->ncols; i++)
		{
			if (i > 0)
				appendStringInfoString(&sql, ", ");
			appendStringInfo(&sql, "%s = ", quote_identifier(fk->columns[i]));
			if (action == REPLAY_FK_SET_NULL)
				appendStringInfoString(&sql, "NULL");
			else if (action == REPLAY_FK_SET_DEFAULT)
				appendStringInfoString(&sql, "DEFAULT");
			else
			{
				args[nargs++] = cat_text(new[i]);
				appendStringInfo(&sql, "$%d::text::%s", nargs, child->coltypes[cols[i]]);
			}
		}
	}
	appendStringInfoString(&sql, " WHERE ");
	for (int i = 0; i < fk->ncols; i++)
	{
		if (i > 0)
			appendStringInfoString(&sql, " AND ");
		args[nargs++] = cat_text(old[i]);
		appendStringInfo(&sql, "%s = $%d::text::%s", quote_identifier(fk->columns[i]),
						 nargs, child->coltypes[cols[i]]);
	}
	if (want_rows)
		appendStringInfoString(&sql, " RETURNING *");

	/* the child's rows change as its owner, like the parent's */
	chameleon_act_as(child->owner, &actor);
	n = chameleon_target_run(sql.data, nargs, args);
	chameleon_act_end(&actor);
	if (want_rows && n > 0)
	{
		TupleDesc	desc = SPI_tuptable->tupdesc;

		*rows = palloc(sizeof(FkImage) * n);
		for (uint64 r = 0; r < n; r++)
		{
			FkImage    *img = &(*rows)[r];

			img->n = desc->natts;
			img->names = palloc(sizeof(char *) * Max(desc->natts, 1));
			img->values = palloc(sizeof(char *) * Max(desc->natts, 1));
			for (int a = 0; a < desc->natts; a++)
			{
				img->names[a] = pstrdup(NameStr(TupleDescAttr(desc, a)->attname));
				img->values[a] = SPI_getvalue(SPI_tuptable->vals[r], desc, a + 1);
			}
		}
	}
	return n;
}

static void cascade(ReplayState *st, const char *schema, const char *table, bool deleting,
					const FkImage *before, const FkImage *after, int depth);
static void fk_apply(ReplayState *st, const ReplayFk *fk, char action, bool deleting,
					 char **old, char **new, int depth);

/*
 * Performs one foreign key's action for a change of its referenced row,
 * from old[] to new[] (an update) or deleted, then follows the rows it
 * changed.  An action for a table being synced is held (replay_hold.c).
 */
static void
perform(ReplayState *st, const ReplayFk *fk, char action, bool deleting,
		char **old, char **new, int depth)
{
	ReplayTable *child = replay_table_lookup(fk->schema, fk->table);
	char		kind;

	if (child == NULL || !child->enabled)
		return;
	kind = deleting && action == REPLAY_FK_CASCADE ? REPLAY_KIND_FK_DELETE :
		action == REPLAY_FK_SET_NULL ? REPLAY_KIND_FK_SET_NULL :
		action == REPLAY_FK_SET_DEFAULT ? REPLAY_KIND_FK_SET_DEFAULT : REPLAY_KIND_FK_UPDATE;
	switch (replay_hold_fate(st, fk->schema, fk->table, st->ctx.event_id))
	{
		case REPLAY_ROW_SKIP:
			return;
		case REPLAY_ROW_HELD:
			replay_hold_fk_action(st, kind, fk->schema, fk->table, fk->ncols, fk->columns,
								  old, new);
			return;
		case REPLAY_ROW_APPLY:
			break;
	}
	/* SET NULL and SET DEFAULT update the referencing rows, also on a delete */
	fk_apply(st, fk, action, deleting && action == REPLAY_FK_CASCADE, old, new, depth);
}

/* See replay_internal.h. */
void
replay_fk_apply(ReplayState *st, char kind, const char *schema, const char *table,
				int ncols, char **columns, char **old, char **new, int depth)
{
	ReplayFk	fk;

	memset(&fk, 0, sizeof(fk));
	fk.schema = (char *) schema;
	fk.table = (char *) table;
	fk.name = "(held action)";	/* a held action does not keep the key's name */
	fk.ncols = ncols;
	fk.columns = columns;
	fk_apply(st, &fk,
			 kind == REPLAY_KIND_FK_SET_NULL ? REPLAY_FK_SET_NULL :
			 kind == REPLAY_KIND_FK_SET_DEFAULT ? REPLAY_FK_SET_DEFAULT : REPLAY_FK_CASCADE,
			 kind == REPLAY_KIND_FK_DELETE, old, new, depth);
}

/*
 * Runs foreign key fk's action on its referencing table for a change of
 * the referenced row from old[] to new[], then follows the rows it
 * changed; deleting: the action deletes them (ON DELETE CASCADE).
 */
static void
fk_apply(ReplayState *st, const ReplayFk *fk, char action, bool deleting,
		 char **old, char **new, int depth)
{
	const char *schema = fk->schema;
	const char *table = fk->table;
	int			ncols = fk->ncols;
	char	  **columns = fk->columns;
	ReplayTable *child = replay_table_lookup(schema, table);
	bool		deeper = fks_of(schema, table) != NIL;
	FkImage    *rows = NULL;
	uint64		n;
	const char *saved_schema = st->ctx.schema;
	const char *saved_table = st->ctx.table;
	const char *saved_op = st->ctx.op;

	if (child == NULL || !child->enabled)
		return;
	if (depth >= FK_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("foreign key actions on table %s.%s go deeper than %d levels",
						schema, table, FK_MAX_DEPTH),
				 errdetail("MySQL refuses changes that cascade deeper than that.")));

	replay_ctx_set(st, schema, table, deleting ? "foreign key DELETE" : "foreign key UPDATE", NULL);
	n = run_action(child, fk, action, deleting, old, new, deeper, &rows);
	replay_ctx_set(st, saved_schema, saved_table, saved_op, NULL);
	if (n == 0 || !deeper)
		return;

	/* the rows changed here change the tables that reference them */
	for (uint64 r = 0; r < n; r++)
	{
		FkImage    *now = &rows[r];

		if (deleting)
			cascade(st, schema, table, true, now, NULL, depth + 1);
		else
		{
			FkImage		was = *now;

			/* before the action, the key columns held the old values */
			was.values = palloc(sizeof(char *) * Max(now->n, 1));
			memcpy(was.values, now->values, sizeof(char *) * now->n);
			for (int i = 0; i < now->n; i++)
				for (int k = 0; k < ncols; k++)
					if (strcmp(now->names[i], columns[k]) == 0)
						was.values[i] = old[k];
			cascade(st, schema, table, false, &was, now, depth + 1);
		}
	}
}

/*
 * Follows a change of a row of schema.table (deleted, or updated from
 * before to after) through the foreign keys that reference the table.
 */
static void
cascade(ReplayState *st, const char *schema, const char *table, bool deleting,
		const FkImage *before, const FkImage *after, int depth)
{
	ListCell   *lc;

	foreach(lc, fks_of(schema, table))
	{
		const ReplayFk *fk = (const ReplayFk *) lfirst(lc);
		char		action = deleting ? fk->on_delete : fk->on_update;
		char	  **old;
		char	  **new = NULL;
		bool		changed = deleting;

		if (action == 0)
			continue;
		old = palloc(sizeof(char *) * fk->ncols);
		if (!deleting)
			new = palloc(sizeof(char *) * fk->ncols);
		for (int i = 0; i < fk->ncols; i++)
		{
			/* a NULL in the old key references nothing */
			if (!image_value(before, fk->ref_columns[i], &old[i]) || old[i] == NULL)
			{
				if (!image_value(before, fk->ref_columns[i], &old[i]))
					ereport(DEBUG1,
							(errmsg("the before-image of %s.%s lacks column \"%s\": foreign key \"%s\" not followed",
									schema, table, fk->ref_columns[i], fk->name)));
				old = NULL;
				break;
			}
			if (!deleting)
			{
				/* a column the after-image leaves out keeps its value */
				if (!image_value(after, fk->ref_columns[i], &new[i]))
					new[i] = old[i];
				if (new[i] == NULL || strcmp(new[i], old[i]) != 0)
					changed = true;
			}
		}
		if (old == NULL || !changed)
			continue;
		perform(st, fk, action, deleting, old, new, depth);
	}
}

/* See replay_internal.h. */
void
replay_fk_after_change(ReplayState *st, const ReplayEvent *ev)
{
	FkImage		before;
	FkImage		after;

	if ((ev->kind != 'D' && ev->kind != 'U') || fks_of(ev->schema, ev->table) == NIL)
		return;
	image_from_arrays(&before, ev->before_names, ev->before_values);
	image_from_arrays(&after, ev->after_names, ev->after_values);
	cascade(st, ev->schema, ev->table, ev->kind == 'D', &before, &after, 0);
}
