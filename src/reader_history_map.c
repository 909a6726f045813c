/*-------------------------------------------------------------------------
 *
 * reader_history_map.c
 *	  The decoder's TABLE_MAP hook of the schema history: when the binlog
 *	  has no column names (binlog_row_metadata MINIMAL or NO_LOG), the
 *	  layout at the row's position fills names, ENUM/SET labels, and
 *	  signedness and charsets where missing, after it is checked against
 *	  the event (column count, types, lengths, nullability); a table whose
 *	  layout is unknown or does not match is disabled with the reason.
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
	hist_key_names(rt->key, &schema, &table);
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
		ht = hist_seed_current(st, rt->key, chameleon_history_flavour(hist_conn(st)), pos);
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
			chameleon_nap(HIST_SYNC_WAIT_MS, PG_WAIT_EXTENSION);
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

