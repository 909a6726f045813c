/*-------------------------------------------------------------------------
 *
 * verify_table.c
 *	  verify_tables() for one table: its columns on both sides, how it is
 *	  walked in chunks, and the reading of each chunk from MySQL (inside
 *	  the chunk's snapshot) and from PostgreSQL (while the replay is held
 *	  at that snapshot's position, see verify_hold.c).
 *
 *	  Chunk boundaries must select the same rows on both sides whatever the
 *	  collations, so a table is walked one of three ways:
 *
 *	  - key ranges (VERIFY_RANGE), when every key column orders the same in
 *	    both databases whatever the collation: integers, decimals, dates,
 *	    datetimes, timestamps (instants), binary strings (bytes).  MySQL
 *	    gives the next chunk_rows rows after the last key in its index
 *	    order; PostgreSQL the rows of the same key range (lo, hi].  Should
 *	    PostgreSQL hold more rows there than MySQL (rows extra in it), the
 *	    chunk ends at the last PostgreSQL row read and the MySQL rows after
 *	    it wait for the next chunk.  The bounds are PostgreSQL values,
 *	    written as MySQL literals for MySQL.
 *	  - key lists (VERIFY_LIST), for keys with text, enum, set, time or bit
 *	    columns, whose order depends on collations (and padding rules) that
 *	    differ between the two servers.  MySQL is walked in its own index
 *	    order; PostgreSQL is read by the exact keys of the MySQL chunk.  The
 *	    rows only PostgreSQL holds are found by a second pass in
 *	    PostgreSQL's index order, probing MySQL for each chunk's keys and
 *	    comparing the stored text of the keys it returns (a case-
 *	    insensitive MySQL match of another spelling is not the same row).
 *	  - multisets (VERIFY_MULTISET), for tables without a usable key
 *	    (identity "full row", or a key with float, double, json or
 *	    geometry columns): rows are compared whole, duplicates counted, in
 *	    buckets: ABS(MOD(c, B)) of an integer column c (NULLs in bucket 0)
 *	    selects the same rows on both sides; B is chosen so that a bucket
 *	    holds about chunk_rows rows.  A table without an integer column is
 *	    one bucket.
 *
 *	  Memory is bounded by the chunk: at most chunk_rows rows and about
 *	  VERIFY_CHUNK_BYTES of text per side (a bucket of a multiset table is
 *	  only bounded by the table's spread over its integer column).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/wait_event.h"

#include "catalog.h"
#include "verify.h"
#include "worker_util.h"

/* A chunk's key bound: the PostgreSQL text of each key column, or none. */
typedef struct VerifyBound
{
	bool		set;
	char	  **vals;
} VerifyBound;

/* ------------------------------------------------------------------
 * Set-up
 * ------------------------------------------------------------------
 */

/* Whether a key column orders the same on both sides (VERIFY_RANGE). */
static bool
range_column(const VerifyColumn *c)
{
	switch (c->my.kind)
	{
		case CK_INT:
		case CK_UINT:
		case CK_YEAR:
			return c->typid == INT2OID || c->typid == INT4OID ||
				c->typid == INT8OID || c->typid == NUMERICOID;
		case CK_DECIMAL:
			return c->typid == NUMERICOID;
		case CK_DATE:
			return c->typid == DATEOID;
		case CK_DATETIME:
			return c->typid == TIMESTAMPOID;
		case CK_TIMESTAMP:
			return c->typid == TIMESTAMPTZOID;
		case CK_BYTES:
			return c->typid == BYTEAOID;
		default:
			return false;
	}
}

/* Whether a key column cannot identify a row exactly (VERIFY_MULTISET). */
static bool
inexact_column(const VerifyColumn *c)
{
	return c->my.kind == CK_FLOAT || c->my.kind == CK_DOUBLE ||
		c->my.kind == CK_GEOMETRY || strcmp(c->data_type, "json") == 0 ||
		c->typid == JSONBOID || c->typid == JSONOID ||
		!OidIsValid(lookup_type_cache(c->typid, TYPECACHE_EQ_OPR)->eq_opr);
}

/* Fills a column's PostgreSQL side from the table's attribute. */
static void
column_pg(VerifyColumn *c, Form_pg_attribute att)
{
	Oid			infunc;
	Oid			outfunc;
	bool		varlena;

	c->attnum = att->attnum;
	c->typid = att->atttypid;
	c->typmod = att->atttypmod;
	c->typlen = att->attlen;
	c->typbyval = att->attbyval;
	c->plain_text = att->atttypid == TEXTOID || att->atttypid == VARCHAROID ||
		att->atttypid == BPCHAROID;
	/* as the replay casts: the modifier applies on assignment */
	c->typname = format_type_extended(att->atttypid, -1, FORMAT_TYPE_TYPEMOD_GIVEN);
	getTypeInputInfo(att->atttypid, &infunc, &c->ioparam);
	fmgr_info(infunc, &c->in);
	getTypeOutputInfo(att->atttypid, &outfunc, &varlena);
	fmgr_info(outfunc, &c->out);
}

/*
 * Reads the table's columns on both sides (those of MySQL that the
 * PostgreSQL table has, as the copy does), its key and how to walk it.
 * keys: replica_table.key_columns; full_row: identity "full row".  In a
 * transaction.
 */
void
verify_table_setup(VerifyRun *run, VerifyTable *t, List *keys, bool full_row)
{
	char	   *sql;
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	Relation	rel;
	TupleDesc	desc;
	int			n = 0;
	bool		range = true;
	bool		inexact = false;
	ListCell   *lc;

	t->relid = RangeVarGetRelid(chameleon_rangevar(t->schema_name, t->table_name),
								AccessShareLock, true);
	if (!OidIsValid(t->relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s.%s\" does not exist", t->schema_name, t->table_name),
				 errhint("Copy it again with chameleon.sync_tables().")));
	t->qualified = chameleon_qualified(t->schema_name, t->table_name);
	t->my_qualified = psprintf("%s.%s", chameleon_mysql_ident(t->source_schema),
							   chameleon_mysql_ident(t->source_table));

	sql = psprintf("SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE,"
				   " coalesce(c.CHARACTER_OCTET_LENGTH, 0), coalesce(c.DATETIME_PRECISION, 0),"
				   " coalesce(co.ID, 0), c.CHARACTER_SET_NAME"
				   " FROM information_schema.COLUMNS c"
				   " LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME"
				   " WHERE c.TABLE_SCHEMA = %s AND c.TABLE_NAME = %s ORDER BY c.ORDINAL_POSITION",
				   chameleon_mysql_literal(run->conn, t->source_schema),
				   chameleon_mysql_literal(run->conn, t->source_table));
	res = chameleon_mysql_query(run->conn, sql);
	t->cols = palloc0(sizeof(VerifyColumn) * (mysql_num_rows(res) + 1));
	rel = table_open(t->relid, NoLock);
	desc = RelationGetDescr(rel);
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		VerifyColumn *c = &t->cols[n];
		AttrNumber	attnum = get_attnum(t->relid, chameleon_pg_name(row[0]));
		Form_pg_attribute att;

		/* columns PostgreSQL lacks, or computes, are not copied either */
		if (attnum <= 0)
			continue;
		att = TupleDescAttr(desc, attnum - 1);
		if (att->attgenerated != '\0')
			continue;
		chameleon_copy_column_init(&c->my, row[0], row[1], row[2], strtol(row[3], NULL, 10),
								   atoi(row[4]), (uint32) strtoul(row[5], NULL, 10));
		c->data_type = pstrdup(row[1]);
		c->charset = row[6] ? pstrdup(row[6]) : NULL;
		c->keypos = -1;
		column_pg(c, att);
		n++;
	}
	mysql_free_result(res);
	table_close(rel, NoLock);
	t->ncols = n;
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("MySQL table \"%s.%s\" has no column PostgreSQL table \"%s.%s\" has",
						t->source_schema, t->source_table, t->schema_name, t->table_name)));

	/* the key, as replica_table has it */
	t->nkeys = full_row ? 0 : list_length(keys);
	t->keycol = palloc(sizeof(int) * Max(t->nkeys, 1));
	t->nkeys = 0;
	foreach(lc, keys)
	{
		int			found = -1;

		if (full_row)
			break;
		for (int i = 0; i < n; i++)
			if (strcmp(t->cols[i].my.name, (const char *) lfirst(lc)) == 0)
				found = i;
		if (found < 0)
		{
			inexact = true;		/* a key column not compared: no key */
			break;
		}
		t->cols[found].keypos = t->nkeys;
		t->keycol[t->nkeys++] = found;
		range = range && range_column(&t->cols[found]);
		inexact = inexact || inexact_column(&t->cols[found]);
	}
	if (t->nkeys == 0 || inexact)
	{
		for (int i = 0; i < n; i++)
			t->cols[i].keypos = -1;
		t->nkeys = 0;
		t->walk = VERIFY_MULTISET;
	}
	else
		t->walk = range ? VERIFY_RANGE : VERIFY_LIST;

	if (t->walk == VERIFY_RANGE)
	{
		t->keycmp = palloc(sizeof(FmgrInfo) * t->nkeys);
		for (int k = 0; k < t->nkeys; k++)
		{
			TypeCacheEntry *tc = lookup_type_cache(t->cols[t->keycol[k]].typid,
												   TYPECACHE_CMP_PROC_FINFO);

			fmgr_info_copy(&t->keycmp[k], &tc->cmp_proc_finfo, CurrentMemoryContext);
		}
	}
	t->bucket_col = -1;
	t->nbuckets = 1;
	if (t->walk == VERIFY_MULTISET)
	{
		double		estimate = 0;

		for (int i = 0; i < n && t->bucket_col < 0; i++)
			if ((t->cols[i].my.kind == CK_INT || t->cols[i].my.kind == CK_UINT) &&
				(t->cols[i].typid == INT2OID || t->cols[i].typid == INT4OID ||
				 t->cols[i].typid == INT8OID || t->cols[i].typid == NUMERICOID))
				t->bucket_col = i;
		res = chameleon_mysql_query(run->conn,
									psprintf("SELECT TABLE_ROWS FROM information_schema.TABLES"
											 " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
											 chameleon_mysql_literal(run->conn, t->source_schema),
											 chameleon_mysql_literal(run->conn, t->source_table)));
		if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
			estimate = strtod(row[0], NULL);
		mysql_free_result(res);
		rel = table_open(t->relid, NoLock);
		estimate = Max(estimate, rel->rd_rel->reltuples);
		table_close(rel, NoLock);
		/* twice as many buckets as the estimate asks: estimates are rough */
		if (t->bucket_col >= 0)
			t->nbuckets = Max(1, Min((int64) (2 * estimate / run->chunk_rows) + 1, 100000));
	}
}

/* The PostgreSQL key texts of a row (a bound). */
static char **
row_key(const VerifyTable *t, const VerifyRow *r, MemoryContext cxt)
{
	char	  **vals = MemoryContextAlloc(cxt, sizeof(char *) * t->nkeys);

	for (int k = 0; k < t->nkeys; k++)
		vals[k] = MemoryContextStrdup(cxt, r->vals[t->keycol[k]]);
	return vals;
}

/* A copy of a bound's key texts in cxt. */
static char **
bound_copy(const VerifyTable *t, char **vals, MemoryContext cxt)
{
	char	  **copy = MemoryContextAlloc(cxt, sizeof(char *) * t->nkeys);

	for (int k = 0; k < t->nkeys; k++)
		copy[k] = MemoryContextStrdup(cxt, vals[k]);
	return copy;
}

/*
 * Pauses between chunks (verify_pause), interruptibly; the replay runs
 * freely meanwhile.
 */
static void
chunk_pause(VerifyRun *run)
{
	TimestampTz end;

	if (run->pause_ms <= 0)
		return;
	verify_hold_release(run);
	end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), run->pause_ms);
	/* the replay sets the latch too: sleep until the end */
	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);

		if (left <= 0)
			break;
		chameleon_nap(left, PG_WAIT_EXTENSION);
	}
}

/* ------------------------------------------------------------------
 * The walks
 * ------------------------------------------------------------------
 */

/*
 * VERIFY_RANGE's MySQL chunk: the next chunk_rows rows after the key lo
 * (PostgreSQL texts; NULL: from the start).
 */
static char *
range_my_sql(VerifyRun *run, const VerifyTable *t, char **lo)
{
	StringInfoData sql;

	initStringInfo(&sql);
	verify_my_select(t, &sql, false);
	if (lo != NULL)
	{
		char	  **lits = palloc(sizeof(char *) * t->nkeys);

		for (int k = 0; k < t->nkeys; k++)
		{
			StringInfoData lit;

			initStringInfo(&lit);
			verify_literal_pg(run, &t->cols[t->keycol[k]], lo[k], &lit);
			lits[k] = lit.data;
		}
		verify_my_after(t, lits, &sql);
	}
	verify_my_order(t, &sql);
	appendStringInfo(&sql, " LIMIT %d", run->chunk_rows);
	return sql.data;
}

/* VERIFY_RANGE: chunks of key ranges, the same on both sides. */
static void
walk_range(VerifyRun *run, VerifyTable *t, VerifyCounts *total, MemoryContext keep,
		   MemoryContext cxt)
{
	VerifyBound lo = {false, NULL};

	for (;;)
	{
		StringInfoData sql;
		VerifySide my;
		VerifySide pg;
		VerifyBound hi = {false, NULL};
		VerifyQuery *q;
		bool		capped;
		int			nread;

		MemoryContextReset(cxt);
		MemoryContextSwitchTo(cxt);
		verify_side_reset(&my);
		verify_side_reset(&pg);
		initStringInfo(&sql);
		appendStringInfoString(&sql, range_my_sql(run, t, lo.set ? lo.vals : NULL));

		verify_hold_begin(run);
		chameleon_xact_begin("chameleon verify: MySQL chunk");
		nread = verify_read_mysql(run, t, sql.data, &my, false, NULL,
								  VERIFY_CHUNK_BYTES, &capped, cxt);
		chameleon_xact_commit();
		MemoryContextSwitchTo(cxt);

		/* a full chunk ends at its last key PostgreSQL can hold */
		if (capped || nread >= run->chunk_rows)
		{
			int			last = my.n - 1;

			while (last >= 0 && my.rows[last].keyless)
				last--;
			if (last < 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("%d keys in a row of MySQL table \"%s.%s\" cannot be stored in PostgreSQL",
								my.n, t->source_schema, t->source_table)));
			my.n = last + 1;
			hi.set = true;
			hi.vals = row_key(t, &my.rows[last], cxt);
		}

		/*
		 * The next chunk's snapshot and MySQL query, now: the reader and
		 * the replay get to its position, and MySQL reads its rows, while
		 * this chunk waits for the replay and is compared.
		 */
		verify_hold_prefetch(run);
		if (hi.set)
			verify_mysql_send(run, range_my_sql(run, t, hi.vals));
		verify_hold_reach(run);
		verify_pg_begin(t);
		verify_check_table(run, t);
		q = verify_query(2 * t->nkeys);
		resetStringInfo(&sql);
		verify_pg_select(t, &sql);
		if (lo.set || hi.set)
			appendStringInfoString(&sql, " WHERE ");
		if (lo.set)
			verify_pg_keycmp(t, &sql, ">", q, lo.vals);
		if (lo.set && hi.set)
			appendStringInfoString(&sql, " AND ");
		if (hi.set)
			verify_pg_keycmp(t, &sql, "<=", q, hi.vals);
		verify_pg_order(t, &sql);
		q->sql = sql.data;
		/* one row more than MySQL has tells that PostgreSQL has extra ones */
		q->limit = (hi.set ? my.n : run->chunk_rows) + 1;
		verify_read_pg(t, q, &pg, VERIFY_CHUNK_BYTES, &capped);
		if (capped || pg.n >= q->limit)
		{
			/* PostgreSQL holds more: the chunk ends at its last row kept */
			int			cut = 0;

			if (!capped)
				pg.n--;
			hi.set = true;
			hi.vals = row_key(t, &pg.rows[pg.n - 1], cxt);
			while (cut < my.n && (my.rows[cut].keyless ||
								  verify_key_cmp(t, &my.rows[cut], &pg.rows[pg.n - 1]) <= 0))
				cut++;
			my.n = cut;
			/* the sums are those of the rows kept */
			my.sum1 = my.sum2 = pg.sum1 = pg.sum2 = 0;
			for (int i = 0; i < my.n; i++)
				if (!my.rows[i].unstorable)
				{
					my.sum1 += my.rows[i].h1;
					my.sum2 += my.rows[i].h2;
				}
			for (int i = 0; i < pg.n; i++)
			{
				pg.sum1 += pg.rows[i].h1;
				pg.sum2 += pg.rows[i].h2;
			}
			/* the re-read after a repair covers the same range */
			q = verify_query(2 * t->nkeys);
			resetStringInfo(&sql);
			verify_pg_select(t, &sql);
			appendStringInfoString(&sql, " WHERE ");
			if (lo.set)
			{
				verify_pg_keycmp(t, &sql, ">", q, lo.vals);
				appendStringInfoString(&sql, " AND ");
			}
			verify_pg_keycmp(t, &sql, "<=", q, hi.vals);
			q->sql = sql.data;
		}
		verify_compare(run, t, &my, &pg, false, total, q);
		verify_progress(run, t, total);
		verify_pg_commit();

		if (!hi.set)
			break;
		MemoryContextReset(keep);
		lo.set = true;
		lo.vals = bound_copy(t, hi.vals, keep);
		chunk_pause(run);
	}
}

/* Copies the MySQL literals of a key (VERIFY_LIST walk) into cxt. */
static char **
raw_copy(const VerifyTable *t, char **lits, MemoryContext cxt)
{
	char	  **copy = MemoryContextAllocZero(cxt, sizeof(char *) * t->nkeys);

	for (int k = 0; k < t->nkeys; k++)
		copy[k] = lits[k] ? MemoryContextStrdup(cxt, lits[k]) : NULL;
	return copy;
}

/* VERIFY_LIST's MySQL chunk: the next rows after the key lo (MySQL literals). */
static char *
list_my_sql(VerifyRun *run, const VerifyTable *t, char **lo)
{
	StringInfoData sql;

	initStringInfo(&sql);
	verify_my_select(t, &sql, false);
	if (lo != NULL)
		verify_my_after(t, lo, &sql);
	verify_my_order(t, &sql);
	appendStringInfo(&sql, " LIMIT %d", run->chunk_rows);
	return sql.data;
}

/*
 * VERIFY_LIST: MySQL in its key order, PostgreSQL by the same keys; then
 * the keys only PostgreSQL holds, in its own order.
 */
static void
walk_list(VerifyRun *run, VerifyTable *t, VerifyCounts *total, MemoryContext keep,
		  MemoryContext cxt)
{
	char	  **lo = NULL;
	bool		more = true;

	while (more)
	{
		StringInfoData sql;
		VerifySide my;
		VerifySide pg;
		VerifyQuery *q;
		char	  **last = NULL;
		bool		capped;
		int			nread;

		MemoryContextReset(cxt);
		MemoryContextSwitchTo(cxt);
		verify_side_reset(&my);
		verify_side_reset(&pg);
		initStringInfo(&sql);
		appendStringInfoString(&sql, list_my_sql(run, t, lo));
		last = palloc0(sizeof(char *) * t->nkeys);

		verify_hold_begin(run);
		chameleon_xact_begin("chameleon verify: MySQL chunk");
		nread = verify_read_mysql(run, t, sql.data, &my, false, last,
								  VERIFY_CHUNK_BYTES, &capped, cxt);
		chameleon_xact_commit();
		MemoryContextSwitchTo(cxt);
		more = capped || nread >= run->chunk_rows;

		verify_hold_prefetch(run);
		if (more)
			verify_mysql_send(run, list_my_sql(run, t, last));
		verify_hold_reach(run);
		verify_pg_begin(t);
		verify_check_table(run, t);
		q = verify_key_list_query(t, &my);
		verify_read_pg(t, q, &pg, 0, &capped);
		verify_compare(run, t, &my, &pg, false, total, q);
		verify_progress(run, t, total);
		verify_pg_commit();
		if (more)
		{
			MemoryContextReset(keep);
			lo = raw_copy(t, last, keep);
			chunk_pause(run);
		}
	}

	/* the keys only PostgreSQL holds */
	lo = NULL;
	more = true;
	while (more)
	{
		StringInfoData sql;
		VerifySide my;
		VerifySide pg;
		VerifyQuery *q;
		bool		capped;

		MemoryContextReset(cxt);
		MemoryContextSwitchTo(cxt);
		verify_side_reset(&my);
		verify_side_reset(&pg);
		chunk_pause(run);

		verify_hold_begin(run);
		verify_hold_reach(run);
		verify_pg_begin(t);
		verify_check_table(run, t);
		q = verify_query(t->nkeys);
		initStringInfo(&sql);
		verify_pg_select(t, &sql);
		if (lo != NULL)
		{
			appendStringInfoString(&sql, " WHERE ");
			verify_pg_keycmp(t, &sql, ">", q, lo);
		}
		verify_pg_order(t, &sql);
		q->sql = sql.data;
		q->limit = run->chunk_rows;
		verify_read_pg(t, q, &pg, VERIFY_CHUNK_BYTES, &capped);
		more = capped || pg.n >= run->chunk_rows;
		if (pg.n > 0)
		{
			/* which of these keys MySQL holds, in the same snapshot */
			resetStringInfo(&sql);
			verify_my_select(t, &sql, true);
			appendStringInfoString(&sql, " WHERE (");
			for (int k = 0; k < t->nkeys; k++)
				appendStringInfo(&sql, "%s%s", k > 0 ? ", " : "",
								 chameleon_mysql_ident(t->cols[t->keycol[k]].my.name));
			appendStringInfoString(&sql, ") IN (");
			for (int i = 0; i < pg.n; i++)
			{
				appendStringInfoString(&sql, i > 0 ? ", (" : "(");
				for (int k = 0; k < t->nkeys; k++)
				{
					if (k > 0)
						appendStringInfoString(&sql, ", ");
					verify_literal_pg(run, &t->cols[t->keycol[k]],
									  pg.rows[i].vals[t->keycol[k]], &sql);
				}
				appendStringInfoChar(&sql, ')');
			}
			appendStringInfoChar(&sql, ')');
			(void) verify_read_mysql(run, t, sql.data, &my, true, NULL, 0, &capped, cxt);
			verify_compare(run, t, &my, &pg, true, total, verify_key_list_query(t, &pg));
			verify_progress(run, t, total);
			lo = bound_copy(t, row_key(t, &pg.rows[pg.n - 1], cxt), keep);
		}
		verify_pg_commit();
		/* MySQL was probed in this chunk's snapshot: the next one now */
		if (more)
			verify_hold_prefetch(run);
	}
}

/* VERIFY_MULTISET's MySQL rows of bucket b. */
static char *
bucket_my_sql(const VerifyTable *t, int64 b)
{
	StringInfoData sql;

	initStringInfo(&sql);
	verify_my_select(t, &sql, false);
	if (t->nbuckets > 1)
	{
		char	   *c = chameleon_mysql_ident(t->cols[t->bucket_col].my.name);

		appendStringInfo(&sql, " WHERE ABS(MOD(%s, " INT64_FORMAT ")) = " INT64_FORMAT "%s",
						 c, t->nbuckets, b, b == 0 ? psprintf(" OR %s IS NULL", c) : "");
	}
	return sql.data;
}

/* VERIFY_MULTISET: whole rows, bucket by bucket. */
static void
walk_multiset(VerifyRun *run, VerifyTable *t, VerifyCounts *total, MemoryContext cxt)
{
	for (int64 b = 0; b < t->nbuckets; b++)
	{
		StringInfoData sql;
		VerifySide my;
		VerifySide pg;
		VerifyQuery *q = NULL;
		bool		capped;

		MemoryContextReset(cxt);
		MemoryContextSwitchTo(cxt);
		verify_side_reset(&my);
		verify_side_reset(&pg);
		if (b > 0)
			chunk_pause(run);
		initStringInfo(&sql);
		appendStringInfoString(&sql, bucket_my_sql(t, b));

		verify_hold_begin(run);
		chameleon_xact_begin("chameleon verify: MySQL rows");
		(void) verify_read_mysql(run, t, sql.data, &my, false, NULL, 0, &capped, cxt);
		chameleon_xact_commit();
		MemoryContextSwitchTo(cxt);

		if (b + 1 < t->nbuckets)
		{
			verify_hold_prefetch(run);
			verify_mysql_send(run, bucket_my_sql(t, b + 1));
		}
		verify_hold_reach(run);
		verify_pg_begin(t);
		verify_check_table(run, t);
		q = verify_query(2);
		resetStringInfo(&sql);
		verify_pg_select(t, &sql);
		if (t->nbuckets > 1)
		{
			const char *c = quote_identifier(t->cols[t->bucket_col].my.name);

			appendStringInfo(&sql, " WHERE abs(%s %% $1::int8) = $2::int8%s",
							 c, b == 0 ? psprintf(" OR %s IS NULL", c) : "");
			q->types[0] = q->types[1] = INT8OID;
			q->values[0] = Int64GetDatum(t->nbuckets);
			q->values[1] = Int64GetDatum(b);
			q->nargs = 2;
		}
		q->sql = sql.data;
		verify_read_pg(t, q, &pg, 0, &capped);
		verify_compare(run, t, &my, &pg, false, total, q);
		verify_progress(run, t, total);
		verify_pg_commit();
	}
}

/*
 * Verifies one table (set up by verify_table_setup), chunk by chunk,
 * adding to total.  Outside any transaction; ERROR when it cannot be
 * compared (the hold is released by the caller).
 */
void
verify_table_walk(VerifyRun *run, VerifyTable *t, VerifyCounts *total)
{
	MemoryContext old = CurrentMemoryContext;
	MemoryContext keep = AllocSetContextCreate(old, "chameleon verify bound",
											   ALLOCSET_SMALL_SIZES);
	MemoryContext cxt = AllocSetContextCreate(old, "chameleon verify chunk",
											  ALLOCSET_DEFAULT_SIZES);

	switch (t->walk)
	{
		case VERIFY_RANGE:
			walk_range(run, t, total, keep, cxt);
			break;
		case VERIFY_LIST:
			walk_list(run, t, total, keep, cxt);
			break;
		case VERIFY_MULTISET:
			walk_multiset(run, t, total, cxt);
			break;
	}
	verify_hold_release(run);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	MemoryContextDelete(keep);
}

