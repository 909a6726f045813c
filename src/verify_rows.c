/*-------------------------------------------------------------------------
 *
 * verify_rows.c
 *	  Rows as chameleon stores them, and the comparison of one chunk.
 *
 *	  A MySQL value goes through the initial copy's conversion
 *	  (chameleon_copy_cell, the binlog decoder's formatting), then through
 *	  the PostgreSQL column type's input function (with the column's
 *	  typmod) and its output function; a PostgreSQL value through the same
 *	  output function.  Both sides are thus compared as the text of the
 *	  stored value: numeric scale, float digits, timestamps, bytea, enum
 *	  labels, jsonb key order, bit strings, character padding and
 *	  type_override targets cannot make two equal rows differ.
 *
 *	  Each row gets a 64-bit hash of its values (in column order, NULLs
 *	  marked) and, for keyed tables, an encoding of its key.  A chunk whose
 *	  two sides have the same number of rows and the same two sums over
 *	  their rows' hashes (of the hash, and of a mix of it) is identical;
 *	  only a chunk that differs is matched row by row (sorted by key, or by
 *	  the whole row for tables compared as multisets, duplicates counted),
 *	  and its rows are then compared value by value, never by hash alone.
 *
 *	  Repairs go through the replay's own row appliers (replay_apply_row):
 *	  an UPDATE by key of a changed row, an INSERT of a missing one, a
 *	  DELETE of an extra one (one copy of it for a keyless table), with the
 *	  triggers, checks and rounding a replicated change gets.  The chunk is
 *	  then read and compared again: a mismatch is repaired when it is gone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "replay_internal.h"
#include "verify.h"

/* the row hash's seed */
#define VERIFY_SEED			UINT64CONST(0x9e3779b97f4a7c15)

/* values longer than this are shortened in verify_mismatches' rows */
#define VERIFY_SHOWN_BYTES	1000

/* One difference between the two sides of a chunk. */
typedef struct VerifyDiff
{
	char		kind;			/* c(hanged), m(issing), e(xtra) */
	VerifyRow  *my;				/* NULL for extra */
	VerifyRow  *pg;				/* NULL for missing */
	bool		repaired;
} VerifyDiff;

/* Empties a side (its rows live in the chunk's memory context). */
void
verify_side_reset(VerifySide *s)
{
	s->rows = NULL;
	s->n = 0;
	s->max = 0;
	s->bytes = 0;
	s->sum1 = 0;
	s->sum2 = 0;
}

/* Adds an empty row to a side. */
VerifyRow *
verify_side_add(VerifySide *s, const VerifyTable *t)
{
	VerifyRow  *r;

	if (s->n == s->max)
	{
		s->max = s->max ? s->max * 2 : 1024;
		s->rows = s->rows ? repalloc(s->rows, sizeof(VerifyRow) * s->max)
			: palloc(sizeof(VerifyRow) * s->max);
	}
	r = &s->rows[s->n++];
	memset(r, 0, sizeof(*r));
	r->vals = palloc0(sizeof(char *) * t->ncols);
	if (t->walk == VERIFY_RANGE)
		r->keyd = palloc0(sizeof(Datum) * t->nkeys);
	return r;
}

/* Undoes COPY text escaping in place; false for \N (NULL). */
static bool
copy_unescape(StringInfo buf)
{
	char	   *in = buf->data;
	char	   *out = buf->data;
	char	   *end = buf->data + buf->len;

	if (buf->len == 2 && in[0] == '\\' && in[1] == 'N')
		return false;
	while (in < end)
	{
		if (*in == '\\' && in + 1 < end)
		{
			in++;
			switch (*in)
			{
				case 'n':
					*out++ = '\n';
					break;
				case 'r':
					*out++ = '\r';
					break;
				case 't':
					*out++ = '\t';
					break;
				default:
					*out++ = *in;
					break;
			}
			in++;
		}
		else
			*out++ = *in++;
	}
	*out = '\0';
	buf->len = (int) (out - buf->data);
	return true;
}

/*
 * The stored text of an ASCII value of a text, varchar(n) or character(n)
 * column, as the type's input and output functions would give it (the
 * modifier cuts trailing spaces beyond n, pads character(n) to n), or
 * NULL when those functions must decide (too long: an error).  ASCII
 * characters are one byte each, so no character counting is needed.
 */
static char *
text_fast(const VerifyColumn *c, const char *s, int len)
{
	int			maxlen = c->typmod >= (int32) VARHDRSZ ? c->typmod - (int32) VARHDRSZ : -1;
	int			outlen = len;
	char	   *out;

	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] & 0x80)
			return NULL;
	if (maxlen >= 0 && len > maxlen)
	{
		for (int i = maxlen; i < len; i++)
			if (s[i] != ' ')
				return NULL;
		outlen = len = maxlen;
	}
	else if (maxlen >= 0 && c->typid == BPCHAROID)
		outlen = maxlen;
	out = palloc(outlen + 1);
	memcpy(out, s, len);
	memset(out + len, ' ', outlen - len);
	out[outlen] = '\0';
	return out;
}

/*
 * Converts one MySQL value (val/len as the server sent it, val NULL for
 * NULL) of column col as chameleon stores it, into r.  False when the copy
 * could not store it (the row goes to discarded_rows there); an ERROR when
 * the PostgreSQL type refuses it (the caller catches it, same meaning).
 */
bool
verify_my_value(const VerifyTable *t, int col, const char *val, unsigned long len,
				VerifyRow *r, StringInfo buf, cbl_buf *scratch)
{
	const VerifyColumn *c = &t->cols[col];
	Datum		d;
	char	   *reason;

	resetStringInfo(buf);
	reason = chameleon_copy_cell(&c->my, val, len, buf, scratch);
	if (reason != NULL)
		return false;
	if (!copy_unescape(buf))
	{
		r->vals[col] = NULL;
		return true;
	}
	if (c->plain_text && (r->vals[col] = text_fast(c, buf->data, buf->len)) != NULL)
		return true;
	d = InputFunctionCall((FmgrInfo *) &c->in, buf->data, c->ioparam, c->typmod);
	r->vals[col] = OutputFunctionCall((FmgrInfo *) &c->out, d);
	if (c->keypos >= 0 && r->keyd != NULL)
		r->keyd[c->keypos] = d;
	else if (c->typid == BYTEAOID || c->typid == TEXTOID || c->typid == JSONBOID)
		pfree(DatumGetPointer(d));	/* a 1 MB blob is not kept twice */
	return true;
}

/*
 * Reads row tup of a PostgreSQL chunk (columns in t's order) into r;
 * values and nulls have room for its columns.
 */
void
verify_pg_row(const VerifyTable *t, HeapTuple tup, TupleDesc desc, VerifyRow *r,
			  Datum *values, bool *nulls)
{
	heap_deform_tuple(tup, desc, values, nulls);
	for (int i = 0; i < t->ncols; i++)
	{
		const VerifyColumn *c = &t->cols[i];
		Datum		d = values[i];

		if (nulls[i])
			continue;
		r->vals[i] = OutputFunctionCall((FmgrInfo *) &c->out, d);
		if (c->keypos >= 0 && r->keyd != NULL)
			r->keyd[c->keypos] = datumCopy(d, c->typbyval, c->typlen);
	}
}

/* Appends a length-prefixed value (or the NULL mark) to an encoding. */
static void
enc_append(StringInfo enc, const char *v)
{
	uint32		len = v ? (uint32) strlen(v) : PG_UINT32_MAX;

	appendBinaryStringInfo(enc, (const char *) &len, sizeof(len));
	if (v)
		appendBinaryStringInfo(enc, v, (int) len);
}

/*
 * Completes a row read into a side: its hashes, its key encoding, the
 * side's sums and size.
 */
void
verify_row_finish(const VerifyTable *t, VerifySide *s, VerifyRow *r)
{
	uint64		h = VERIFY_SEED;

	for (int i = 0; i < t->ncols; i++)
	{
		const char *v = r->vals[i];
		size_t		len = v ? strlen(v) : 0;

		/* each value seeded by all before it, its column and NULL-ness */
		h = hash_bytes_extended((const unsigned char *) (v ? v : ""), (int) len,
								h + ((uint64) i << 1 | (v == NULL)));
		s->bytes += len + sizeof(char *);
	}
	r->h1 = h;
	/* a second, different function of it for the chunk's second sum */
	h ^= h >> 31;
	h *= UINT64CONST(0xbf58476d1ce4e5b9);
	r->h2 = h ^ (h >> 27);
	if (t->walk != VERIFY_MULTISET)
	{
		StringInfoData enc;

		initStringInfo(&enc);
		for (int k = 0; k < t->nkeys; k++)
			enc_append(&enc, r->vals[t->keycol[k]]);
		r->enc = enc.data;
		r->enclen = enc.len;
	}
	if (!r->unstorable)
	{
		s->sum1 += r->h1;
		s->sum2 += r->h2;
	}
}

/* Orders two key datums rows in the key's btree order (VERIFY_RANGE). */
int
verify_key_cmp(const VerifyTable *t, const VerifyRow *a, const VerifyRow *b)
{
	for (int k = 0; k < t->nkeys; k++)
	{
		int32		c = DatumGetInt32(FunctionCall2Coll(&t->keycmp[k], InvalidOid,
														a->keyd[k], b->keyd[k]));

		if (c != 0)
			return c;
	}
	return 0;
}

/* Orders two values, NULL first. */
static int
val_cmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Whether two rows hold the same values. */
static bool
same_values(const VerifyTable *t, const VerifyRow *a, const VerifyRow *b)
{
	if (a->h1 != b->h1 || a->h2 != b->h2)
		return false;
	for (int i = 0; i < t->ncols; i++)
		if (val_cmp(a->vals[i], b->vals[i]) != 0)
			return false;
	return true;
}

/* the table being sorted (qsort has no argument) */
static const VerifyTable *sort_table = NULL;

/* Orders rows by key encoding (keyed tables). */
static int
row_key_order(const void *pa, const void *pb)
{
	const VerifyRow *a = *(VerifyRow *const *) pa;
	const VerifyRow *b = *(VerifyRow *const *) pb;
	int			c = memcmp(a->enc, b->enc, Min(a->enclen, b->enclen));

	if (c != 0)
		return c;
	return (a->enclen > b->enclen) - (a->enclen < b->enclen);
}

/* Orders rows by their whole value (multisets): hashes, then values. */
static int
row_value_order(const void *pa, const void *pb)
{
	const VerifyRow *a = *(VerifyRow *const *) pa;
	const VerifyRow *b = *(VerifyRow *const *) pb;

	if (a->h1 != b->h1)
		return a->h1 < b->h1 ? -1 : 1;
	if (a->h2 != b->h2)
		return a->h2 < b->h2 ? -1 : 1;
	for (int i = 0; i < sort_table->ncols; i++)
	{
		int			c = val_cmp(a->vals[i], b->vals[i]);

		if (c != 0)
			return c;
	}
	return 0;
}

/* The rows of a side that take part, sorted; *n receives their count. */
static VerifyRow **
sorted_rows(const VerifyTable *t, VerifySide *s, int *n)
{
	VerifyRow **v = palloc(sizeof(VerifyRow *) * Max(s->n, 1));

	*n = 0;
	for (int i = 0; i < s->n; i++)
		if (!s->rows[i].unstorable)
			v[(*n)++] = &s->rows[i];
	sort_table = t;
	qsort(v, *n, sizeof(VerifyRow *), t->walk == VERIFY_MULTISET ? row_value_order : row_key_order);
	return v;
}

/*
 * Leaves out, on the PostgreSQL side, the rows whose key a MySQL row
 * holds that PostgreSQL cannot store (keyed tables): that row went to
 * discarded_rows when it was copied or replicated.
 */
static void
exclude_unstorable(const VerifyTable *t, VerifySide *my, VerifySide *pg)
{
	for (int i = 0; i < my->n; i++)
	{
		VerifyRow  *m = &my->rows[i];

		if (!m->unstorable || m->keyless || t->walk == VERIFY_MULTISET)
			continue;
		for (int j = 0; j < pg->n; j++)
		{
			VerifyRow  *p = &pg->rows[j];

			if (!p->unstorable && p->enclen == m->enclen &&
				memcmp(p->enc, m->enc, m->enclen) == 0)
				p->unstorable = true;
		}
	}
}

/* Adds a difference to a list. */
static List *
add_diff(List *diffs, char kind, VerifyRow *my, VerifyRow *pg)
{
	VerifyDiff *d = palloc0(sizeof(VerifyDiff));

	d->kind = kind;
	d->my = my;
	d->pg = pg;
	return lappend(diffs, d);
}

/*
 * The differences between the two sides: rows changed, missing from or
 * extra in PostgreSQL.  extras_only: the MySQL side holds keys only (the
 * pass for PostgreSQL-only keys), report extra rows only.
 */
static List *
find_diffs(const VerifyTable *t, VerifySide *my, VerifySide *pg, bool extras_only)
{
	int			nm;
	int			np;
	VerifyRow **m = sorted_rows(t, my, &nm);
	VerifyRow **p = sorted_rows(t, pg, &np);
	int			i = 0;
	int			j = 0;
	List	   *diffs = NIL;
	int			(*order) (const void *, const void *) =
		t->walk == VERIFY_MULTISET ? row_value_order : row_key_order;

	while (i < nm || j < np)
	{
		int			c;

		if (i >= nm)
			c = 1;
		else if (j >= np)
			c = -1;
		else
			c = order(&m[i], &p[j]);
		if (c < 0)
		{
			if (!extras_only)
				diffs = add_diff(diffs, 'm', m[i], NULL);
			i++;
		}
		else if (c > 0)
		{
			diffs = add_diff(diffs, 'e', NULL, p[j]);
			j++;
		}
		else
		{
			if (!extras_only && t->walk != VERIFY_MULTISET && !same_values(t, m[i], p[j]))
				diffs = add_diff(diffs, 'c', m[i], p[j]);
			i++;
			j++;
		}
	}
	return diffs;
}

/* Appends {"column": "value", ...} of some columns of a row (all: keys NULL). */
static void
row_json(StringInfo out, const VerifyTable *t, const VerifyRow *r, bool keys_only)
{
	bool		first = true;

	appendStringInfoChar(out, '{');
	for (int i = 0; i < t->ncols; i++)
	{
		const char *v = r->vals[i];

		if (keys_only && t->cols[i].keypos < 0)
			continue;
		if (!first)
			appendStringInfoString(out, ", ");
		first = false;
		escape_json(out, t->cols[i].my.name);
		appendStringInfoString(out, ": ");
		if (v == NULL)
			appendStringInfoString(out, "null");
		else if (!keys_only && strlen(v) > VERIFY_SHOWN_BYTES)
		{
			/* a 1 MB blob is not repeated here: its start and its size */
			char	   *shown = psprintf("%.*s... (%zu bytes)", VERIFY_SHOWN_BYTES, v, strlen(v));

			escape_json(out, shown);
			pfree(shown);
		}
		else
			escape_json(out, v);
	}
	appendStringInfoChar(out, '}');
}

/* Records one difference in chameleon.verify_mismatch (in the transaction). */
static void
record_diff(VerifyRun *run, const VerifyTable *t, const VerifyDiff *d)
{
	StringInfoData key;
	StringInfoData myrow;
	StringInfoData pgrow;
	const VerifyRow *any = d->my ? d->my : d->pg;

	initStringInfo(&key);
	initStringInfo(&myrow);
	initStringInfo(&pgrow);
	row_json(&key, t, any, t->walk != VERIFY_MULTISET);
	if (d->my)
		row_json(&myrow, t, d->my, false);
	if (d->pg)
		row_json(&pgrow, t, d->pg, false);
	CAT_RUN("INSERT INTO chameleon.verify_mismatch (source_id, source_schema, source_table,"
			"       schema_name, table_name, key, difference, mysql_row, pg_row, repaired)"
			" VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8::jsonb, $9::jsonb, $10)",
			cat_int4(run->source_id), cat_text(t->source_schema), cat_text(t->source_table),
			cat_text(t->schema_name), cat_text(t->table_name), cat_text(key.data),
			cat_text(d->kind == 'c' ? "changed" : d->kind == 'm' ? "missing" : "extra"),
			cat_text(d->my ? myrow.data : NULL), cat_text(d->pg ? pgrow.data : NULL),
			cat_bool(d->repaired));
	pfree(key.data);
	pfree(myrow.data);
	pfree(pgrow.data);
}

/* The names, or the values, of a row's columns as a text[] image. */
static ArrayType *
image(const VerifyTable *t, const VerifyRow *r)
{
	Datum	   *elems = palloc(sizeof(Datum) * t->ncols);
	bool	   *nulls = palloc(sizeof(bool) * t->ncols);
	int			dims[1] = {t->ncols};
	int			lbs[1] = {1};

	for (int i = 0; i < t->ncols; i++)
	{
		const char *v = r ? r->vals[i] : t->cols[i].my.name;

		nulls[i] = (v == NULL);
		elems[i] = v ? CStringGetTextDatum(v) : (Datum) 0;
	}
	return construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT);
}

/* Applies the repair of one difference (the replay's way); ERROR if it fails. */
static void
repair_one(ReplayState *st, const VerifyTable *t, ArrayType *names, const VerifyDiff *d)
{
	ReplayEvent ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = d->kind == 'c' ? 'U' : d->kind == 'm' ? 'I' : 'D';
	ev.schema = t->source_schema;
	ev.table = t->source_table;
	if (d->pg)
	{
		ev.before_names = names;
		ev.before_values = image(t, d->pg);
	}
	if (d->my && ev.kind != 'D')
	{
		ev.after_names = names;
		ev.after_values = image(t, d->my);
	}
	if (!replay_apply_row(st, &ev))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s.%s\" cannot be repaired: it is not an enabled replicated table",
						t->schema_name, t->table_name)));
}

/*
 * Corrects the differences through the replay's appliers, in the current
 * transaction (held at the chunk's position): extra rows first, then
 * changed, then missing ones, so that a unique value moves before it is
 * taken.  Each in a subtransaction: a row PostgreSQL refuses (a trigger,
 * a constraint of its own) stays unrepaired, with a WARNING, and the
 * others go on.
 */
static void
apply_repairs(VerifyRun *run, const VerifyTable *t, List *diffs)
{
	static const char order[] = {'e', 'c', 'm'};
	ReplayState st;
	ArrayType  *names = image(t, NULL);
	ListCell   *lc;

	memset(&st, 0, sizeof(st));
	st.source_id = run->source_id;
	st.source_name = (char *) run->source_name;
	st.conf = run->conf;
	/* a fresh view of the replicated tables, in this transaction */
	replay_tables_invalidate();
	replay_tables_load(&st);
	for (int pass = 0; pass < (int) lengthof(order); pass++)
		foreach(lc, diffs)
		{
			VerifyDiff *d = (VerifyDiff *) lfirst(lc);
			MemoryContext cxt = CurrentMemoryContext;
			ResourceOwner owner = CurrentResourceOwner;

			if (d->kind != order[pass])
				continue;
			BeginInternalSubTransaction(NULL);
			MemoryContextSwitchTo(cxt);
			PG_TRY();
			{
				repair_one(&st, t, names, d);
				ReleaseCurrentSubTransaction();
			}
			PG_CATCH();
			{
				ErrorData  *edata;

				MemoryContextSwitchTo(cxt);
				edata = CopyErrorData();
				FlushErrorState();
				RollbackAndReleaseCurrentSubTransaction();
				if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
					ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_TO_CATEGORY(ERRCODE_OPERATOR_INTERVENTION))
					ReThrowError(edata);
				/* its cache may hold what the rolled-back statement did */
				replay_tables_invalidate();
				replay_tables_load(&st);
				ereport(WARNING,
						(errmsg("a row of table \"%s.%s\" could not be repaired: %s",
								t->schema_name, t->table_name, edata->message)));
				FreeErrorData(edata);
			}
			PG_END_TRY();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
	/* the re-read sees the repairs */
	CommandCounterIncrement();
	UpdateActiveSnapshotCommandId();
}

/* Whether a difference is still there after the repair. */
static bool
diff_remains(const VerifyTable *t, const VerifyDiff *d, List *after)
{
	ListCell   *lc;
	const VerifyRow *r = d->my ? d->my : d->pg;

	foreach(lc, after)
	{
		VerifyDiff *a = (VerifyDiff *) lfirst(lc);
		const VerifyRow *ar = a->my ? a->my : a->pg;

		if (a->kind != d->kind)
			continue;
		if (t->walk == VERIFY_MULTISET ? same_values(t, ar, r)
			: (ar->enclen == r->enclen && memcmp(ar->enc, r->enc, r->enclen) == 0))
			return true;
	}
	return false;
}

/*
 * Compares the two sides of a chunk, records what differs (and, with
 * repair, corrects it and reads the PostgreSQL side again with query, the
 * chunk's PostgreSQL query, to see what was repaired), and adds to counts.  In the transaction that
 * read the PostgreSQL side, while the replay is held at the chunk's
 * position.  extras_only: see find_diffs.
 */
void
verify_compare(VerifyRun *run, VerifyTable *t, VerifySide *my, VerifySide *pg,
			   bool extras_only, VerifyCounts *counts, const VerifyQuery *query)
{
	List	   *diffs;
	ListCell   *lc;
	int			unstorable = 0;

	for (int i = 0; i < my->n; i++)
		if (my->rows[i].unstorable)
			unstorable++;
	if (!extras_only)
	{
		counts->checked += my->n - unstorable;
		counts->unstorable += unstorable;
	}

	/* the quick way: same count, same sums */
	if (!extras_only && unstorable == 0 && my->n == pg->n &&
		my->sum1 == pg->sum1 && my->sum2 == pg->sum2)
		return;

	exclude_unstorable(t, my, pg);
	diffs = find_diffs(t, my, pg, extras_only);
	if (diffs == NIL)
		return;
	foreach(lc, diffs)
		if (((VerifyDiff *) lfirst(lc))->kind == 'e')
			counts->checked++;

	if (run->repair)
	{
		VerifySide again;
		List	   *after;

		apply_repairs(run, t, diffs);
		verify_side_reset(&again);
		verify_reread_pg(t, query, &again);
		exclude_unstorable(t, my, &again);
		after = find_diffs(t, my, &again, extras_only);
		foreach(lc, diffs)
		{
			VerifyDiff *d = (VerifyDiff *) lfirst(lc);

			d->repaired = !diff_remains(t, d, after);
			if (d->repaired)
				counts->repaired++;
		}
	}
	foreach(lc, diffs)
	{
		record_diff(run, t, (VerifyDiff *) lfirst(lc));
		counts->different++;
	}
}
