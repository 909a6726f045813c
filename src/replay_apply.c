/*-------------------------------------------------------------------------
 *
 * replay_apply.c
 *	  Applies logged row images (I, U, D) to the target tables.
 *
 *	  Each table keeps, per operation and column set of the images, a
 *	  "plan": how image elements map to target columns, the statement it
 *	  amounts to (the text error_log shows), and the method that applies
 *	  it (replay_apply_internal.h):
 *
 *	  - the heap method (replay_apply_heap.c), the executor's
 *	    simple-relation routines as PostgreSQL's apply worker uses them,
 *	    for plain tables, and for UPDATE / DELETE when the table has a
 *	    usable key index and the before-image holds the key;
 *	  - the SPI method (replay_apply_spi.c), a kept plan of the statement,
 *	    for tables found by the full before-image and targets the heap
 *	    method cannot honour exactly (partitioned or foreign tables, rules,
 *	    statement-level triggers, transition tables).
 *
 *	  Both behave as one INSERT/UPDATE/DELETE statement per row.  Before
 *	  either sees them, the geometry values of an image take the form of
 *	  their target columns, bytea or PostGIS geometry (geometry.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"

#include "owner.h"
#include "replay_apply_internal.h"
#include "worker_util.h"

/* Frees the plans of a table (the relation cache forgets the table). */
void
replay_plans_free(ReplayTable *t)
{
	ReplayPlan *p = t->plans;

	while (p != NULL)
	{
		ReplayPlan *next = p->next;

		if (p->method != NULL)
			p->method->release(p);
		if (p->sql)
			pfree(p->sql);
		if (p->after_names)
			pfree(p->after_names);
		if (p->before_names)
			pfree(p->before_names);
		if (p->src)
			pfree(p->src);
		if (p->from_before)
			pfree(p->from_before);
		if (p->after_geo)
			pfree(p->after_geo);
		if (p->before_geo)
			pfree(p->before_geo);
		pfree(p);
		p = next;
	}
	t->plans = NULL;
}

/*
 * The names of an image as C strings, as PostgreSQL keeps them (a MySQL
 * name may be longer); *n receives the count.
 */
static char **
image_names(ArrayType *names, int *n)
{
	char	  **out = replay_text_array(names, n, "");

	for (int i = 0; i < *n; i++)
		out[i] = chameleon_pg_name(out[i]);
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

/* A copy of a names array in the cache, or NULL. */
static struct varlena *
keep_names(ArrayType *names)
{
	if (names == NULL)
		return NULL;
	return (struct varlena *) DatumGetPointer(datumCopy(PointerGetDatum(names), false, -1));
}

/*
 * Per image element, the target column whose type changes the form of a
 * geometry value (bytea, PostGIS), or -1; NULL when none does.  In the
 * current context.
 */
static int *
geo_columns(ReplayTable *t, char **names, int n)
{
	int		   *cols = NULL;

	for (int i = 0; i < n; i++)
	{
		int			c = replay_column_index(t, names[i]);

		if (c < 0 || t->cols[c].geo == CHAMELEON_GEO_OTHER)
			continue;
		if (cols == NULL)
		{
			cols = palloc(sizeof(int) * n);
			for (int k = 0; k < n; k++)
				cols[k] = -1;
		}
		cols[i] = c;
	}
	return cols;
}

/* Gives the values of an image the form their target columns take. */
static void
geo_convert(const ReplayTable *t, const int *cols, int n, Datum *vals,
			const bool *nulls)
{
	for (int i = 0; i < n; i++)
	{
		int			c = cols[i];

		if (c >= 0 && !nulls[i])
			vals[i] = chameleon_geo_value(t->cols[c].geo, vals[i], t->colnames[c]);
	}
}

/*
 * Builds and keeps the plan of an operation for the images of ev: its
 * statement, then the heap method when it can apply it exactly, else SPI.
 */
static ReplayPlan *
plan_build(ReplayTable *t, const ReplayEvent *ev)
{
	MemoryContext old;
	ReplayPlan *p;
	char	  **anames;
	char	  **bnames;
	int			na;
	int			nb;
	int			nset;

	anames = image_names(ev->after_names, &na);
	bnames = image_names(ev->before_names, &nb);

	old = MemoryContextSwitchTo(replay_cache_context());
	p = palloc0(sizeof(ReplayPlan));
	p->op = ev->kind;
	p->after_names = keep_names(ev->after_names);
	p->before_names = keep_names(ev->before_names);
	nset = replay_spi_statement(t, p, anames, na, bnames, nb);
	p->after_geo = geo_columns(t, anames, na);
	p->nafter_geo = na;
	p->before_geo = geo_columns(t, bnames, nb);
	p->nbefore_geo = nb;
	MemoryContextSwitchTo(old);

	/* no column of the image exists in the target: nothing to run */
	if (nset == 0)
		p->noop = true;
	else if (replay_heap_method.prepare(t, p, anames, na, bnames, nb))
		p->method = &replay_heap_method;
	else if (replay_spi_method.prepare(t, p, anames, na, bnames, nb))
		p->method = &replay_spi_method;
	else
		elog(ERROR, "no way to apply rows to %s.%s", t->schema_name, t->table_name);
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
	ReplayTable *t = replay_table_lookup(ev->schema, ev->table);
	ReplayPlan *p;
	Datum	   *bvals;
	bool	   *bnulls;
	Datum	   *avals;
	bool	   *anulls;
	bool		found;
	ChameleonActor actor;

	if (t == NULL || !t->enabled)
		return false;
	replay_ctx_set(st, ev->schema, ev->table,
				   ev->kind == 'I' ? "INSERT" : (ev->kind == 'U' ? "UPDATE" : "DELETE"), NULL);

	replay_table_prepare(t);
	p = plan_get(t, ev);
	st->ctx.sql = p->sql;
	if (p->noop)
		return true;

	image_values(ev->before_values, ev->before_names, &bvals, &bnulls);
	image_values(ev->after_values, ev->after_names, &avals, &anulls);
	if (p->before_geo)
		geo_convert(t, p->before_geo, p->nbefore_geo, bvals, bnulls);
	if (p->after_geo)
		geo_convert(t, p->after_geo, p->nafter_geo, avals, anulls);
	/* as the table's owner; an error aborts the (sub)transaction, which resets it */
	chameleon_act_as(t->owner, &actor);
	found = p->method->apply(t, p, bvals, bnulls, avals, anulls);
	chameleon_act_end(&actor);
	if (!found)
		ereport(DEBUG1,
				(errmsg("%s found no row in %s.%s",
						st->ctx.op, t->schema_name, t->table_name)));
	return true;
}
