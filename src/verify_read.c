/*-------------------------------------------------------------------------
 *
 * verify_read.c
 *	  Reading one chunk of a table for verify_tables(), on both sides: the
 *	  MySQL statements (select lists as the initial copy reads columns, key
 *	  bounds written as MySQL literals), the conversion of MySQL rows as
 *	  chameleon stores them, and the PostgreSQL side read in a REPEATABLE
 *	  READ transaction after the table's flags are checked.  verify_table.c
 *	  decides which rows a chunk holds.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "verify.h"
#include "worker_util.h"

/* PostgreSQL rows fetched from a cursor at a time */
#define VERIFY_FETCH	1000

/* the caller's memory context around a chunk's PostgreSQL transaction */
static MemoryContext xact_cxt = NULL;

/* ------------------------------------------------------------------
 * MySQL
 * ------------------------------------------------------------------
 */

/* Whether a text is a plain decimal number (safe as a MySQL literal). */
static bool
is_number(const char *s)
{
	bool		digits = false;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s; s++)
	{
		if (*s >= '0' && *s <= '9')
			digits = true;
		else if (*s != '.')
			return false;
	}
	return digits;
}

/* Appends bytes as a MySQL hexadecimal literal X'...'. */
static void
append_hex(StringInfo out, const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	appendStringInfoString(out, "X'");
	for (size_t i = 0; i < len; i++)
	{
		appendStringInfoChar(out, hex[((unsigned char) p[i]) >> 4]);
		appendStringInfoChar(out, hex[((unsigned char) p[i]) & 15]);
	}
	appendStringInfoChar(out, '\'');
}

/* Appends the MySQL literal of the PostgreSQL text of a key value. */
void
verify_literal_pg(VerifyRun *run, const VerifyColumn *c, const char *v, StringInfo out)
{
	if (v == NULL)
		appendStringInfoString(out, "NULL");
	else if (c->typid == BYTEAOID && strncmp(v, "\\x", 2) == 0)
	{
		char	   *bytes;
		size_t		len = strlen(v + 2) / 2;

		bytes = palloc(len + 1);
		(void) hex_decode(v + 2, (unsigned) (len * 2), bytes);
		append_hex(out, bytes, len);
		pfree(bytes);
	}
	else if ((c->my.kind == CK_INT || c->my.kind == CK_UINT || c->my.kind == CK_YEAR ||
			  c->my.kind == CK_DECIMAL) && is_number(v))
		appendStringInfoString(out, v);
	else if (c->my.kind == CK_BIT && strspn(v, "01") == strlen(v))
		appendStringInfo(out, "b'%s'", v);
	else
	{
		char	   *s = pstrdup(v);
		size_t		len = strlen(s);

		/* an instant in UTC (the session's zone on both sides) */
		if (c->typid == TIMESTAMPTZOID && len > 3 && strcmp(s + len - 3, "+00") == 0)
			s[len - 3] = '\0';
		/* MySQL keeps no trailing spaces in CHAR; NO PAD collations see them */
		if (c->typid == BPCHAROID)
			while (len > 0 && s[len - 1] == ' ')
				s[--len] = '\0';
		appendStringInfoString(out, chameleon_mysql_literal(run->conn, s));
		pfree(s);
	}
}

/* The select expression of a key column's raw MySQL value (VERIFY_LIST walk). */
static char *
raw_key_expr(const VerifyColumn *c)
{
	char	   *id = chameleon_mysql_ident(c->my.name);

	/* enum and set order by their number, and compare with numbers so */
	if (strcmp(c->data_type, "enum") == 0 || strcmp(c->data_type, "set") == 0 ||
		c->my.kind == CK_BIT)
		return psprintf("%s + 0", id);
	return id;
}

/* Appends the MySQL literal of a raw key value (VERIFY_LIST walk). */
static void
literal_from_raw(VerifyRun *run, const VerifyColumn *c, const char *v, unsigned long len,
				 StringInfo out)
{
	if (v == NULL)
		appendStringInfoString(out, "NULL");
	else if (strcmp(c->data_type, "enum") == 0 || strcmp(c->data_type, "set") == 0 ||
			 c->my.kind == CK_BIT || c->my.kind == CK_INT || c->my.kind == CK_UINT ||
			 c->my.kind == CK_YEAR || c->my.kind == CK_DECIMAL)
	{
		char	   *s = pnstrdup(v, len);

		if (!is_number(s))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("unexpected MySQL key value \"%s\" of column \"%s\"", s, c->my.name)));
		appendStringInfoString(out, s);
	}
	else if (c->my.kind == CK_STRING && c->charset != NULL &&
			 strspn(c->charset, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(c->charset))
	{
		/* the bytes in the column's charset, compared in its collation */
		appendStringInfo(out, "_%s ", c->charset);
		append_hex(out, v, len);
	}
	else if (c->my.kind == CK_STRING || c->my.kind == CK_BYTES)
		append_hex(out, v, len);
	else
		appendStringInfoString(out, chameleon_mysql_literal(run->conn, pnstrdup(v, len)));
}

/* Appends "after the key lits[]" as MySQL conditions on the key columns. */
void
verify_my_after(const VerifyTable *t, char **lits, StringInfo out)
{
	appendStringInfoString(out, " WHERE ");
	for (int k = 0; k < t->nkeys; k++)
	{
		if (k > 0)
			appendStringInfoString(out, " OR ");
		appendStringInfoChar(out, '(');
		for (int j = 0; j <= k; j++)
		{
			const VerifyColumn *c = &t->cols[t->keycol[j]];
			char	   *expr = t->walk == VERIFY_LIST ? raw_key_expr(c) : chameleon_mysql_ident(c->my.name);

			if (j > 0)
				appendStringInfoString(out, " AND ");
			appendStringInfo(out, "%s %s %s", expr, j < k ? "=" : ">", lits[j]);
		}
		appendStringInfoChar(out, ')');
	}
}

/* The select list of the compared columns (and the raw keys for VERIFY_LIST). */
void
verify_my_select(const VerifyTable *t, StringInfo out, bool keys_only)
{
	bool		first = true;

	appendStringInfoString(out, "SELECT ");
	for (int i = 0; i < t->ncols; i++)
	{
		if (keys_only && t->cols[i].keypos < 0)
			continue;
		if (!first)
			appendStringInfoString(out, ", ");
		first = false;
		chameleon_copy_select_expr(&t->cols[i].my, out);
	}
	if (t->walk == VERIFY_LIST && !keys_only)
		for (int k = 0; k < t->nkeys; k++)
			appendStringInfo(out, ", %s", raw_key_expr(&t->cols[t->keycol[k]]));
	appendStringInfo(out, " FROM %s", t->my_qualified);
}

/* Appends " ORDER BY" the key columns (MySQL). */
void
verify_my_order(const VerifyTable *t, StringInfo out)
{
	appendStringInfoString(out, " ORDER BY ");
	for (int k = 0; k < t->nkeys; k++)
		appendStringInfo(out, "%s%s", k > 0 ? ", " : "",
						 chameleon_mysql_ident(t->cols[t->keycol[k]].my.name));
}

/*
 * Sends a MySQL query ahead without waiting for its rows, in the snapshot
 * open on the connection: the server works on the next chunk while this
 * one is compared.  verify_read_mysql() of the same text takes its result.
 */
void
verify_mysql_send(VerifyRun *run, const char *sql)
{
	verify_mysql_drain(run);
	CHECK_FOR_INTERRUPTS();
	if (mysql_send_query(run->conn, sql, strlen(sql)) != 0)
		chameleon_mysql_error(run->conn, "the next chunk's query");
	run->pending_sql = MemoryContextStrdup(TopMemoryContext, sql);
}

/* Reads and drops the result of a query sent ahead and not wanted. */
void
verify_mysql_drain(VerifyRun *run)
{
	char	   *sql = run->pending_sql;
	MYSQL_RES  *res;

	if (sql == NULL)
		return;
	run->pending_sql = NULL;
	pfree(sql);
	if (mysql_read_query_result(run->conn) != 0)
		chameleon_mysql_error(run->conn, "a chunk's query sent ahead");
	res = mysql_use_result(run->conn);
	if (res != NULL)
		mysql_free_result(res);
}

/*
 * The streamed result of sql: the one sent ahead, or a new query.  Errors
 * name the table (what), not the statement and its key values.
 */
static MYSQL_RES *
verify_mysql_result(VerifyRun *run, const char *sql, const char *what)
{
	MYSQL_RES  *res;

	if (run->pending_sql == NULL || strcmp(run->pending_sql, sql) != 0)
	{
		verify_mysql_drain(run);
		CHECK_FOR_INTERRUPTS();
		if (mysql_real_query(run->conn, sql, strlen(sql)) != 0)
			chameleon_mysql_error(run->conn, what);
	}
	else
	{
		pfree(run->pending_sql);
		run->pending_sql = NULL;
		CHECK_FOR_INTERRUPTS();
		if (mysql_read_query_result(run->conn) != 0)
			chameleon_mysql_error(run->conn, what);
	}
	res = mysql_use_result(run->conn);
	if (res == NULL)
		chameleon_mysql_error(run->conn, what);
	return res;
}

/*
 * Converts one fetched MySQL row into r: key columns first, so that a row
 * whose other values PostgreSQL cannot store keeps its key.  srcidx[i] is
 * column i's place in the select list, -1 when it is not selected.  A value the
 * copy cannot store marks the row unstorable; a refused one raises an
 * ERROR the caller turns into the same.
 */
static void
convert_my_row(const VerifyTable *t, MYSQL_ROW row, unsigned long *lens, VerifyRow *r,
			   const int *srcidx, StringInfo buf, cbl_buf *scratch, volatile int *stage)
{
	*stage = 0;
	for (int k = 0; k < t->nkeys; k++)
	{
		int			i = t->keycol[k];

		if (!verify_my_value(t, i, row[srcidx[i]], lens[srcidx[i]], r, buf, scratch) ||
			r->vals[i] == NULL)
		{
			r->unstorable = r->keyless = true;
			return;
		}
	}
	*stage = 1;
	for (int i = 0; i < t->ncols; i++)
	{
		if (t->cols[i].keypos >= 0 || srcidx[i] < 0)
			continue;
		if (!verify_my_value(t, i, row[srcidx[i]], lens[srcidx[i]], r, buf, scratch))
			r->unstorable = true;
	}
}

/*
 * Runs a MySQL chunk query in the snapshot and converts its rows into my,
 * in the current transaction (the PostgreSQL input functions need one),
 * in memory context cxt.  Stops after about cap bytes (0: no cap; the
 * rest of the result is dropped).  last_raw (VERIFY_LIST, may be NULL)
 * receives the MySQL literals of the last row's key.  Returns the number
 * of rows read; *capped tells whether it stopped early.
 */
int
verify_read_mysql(VerifyRun *run, VerifyTable *t, const char *sql, VerifySide *my,
				  bool keys_only, char **last_raw, Size cap, bool *capped,
				  MemoryContext cxt)
{
	char	   *what = psprintf("the chunk query of %s", t->my_qualified);
	MYSQL_RES  *res = verify_mysql_result(run, sql, what);
	StringInfoData buf;
	cbl_buf		scratch;
	volatile int nread = 0;
	volatile bool done = false;
	volatile bool stop = false;
	volatile int stage = 0;
	int			nsel = keys_only ? t->nkeys : t->ncols;
	int		   *srcidx = palloc(sizeof(int) * Max(t->ncols, 1));

	/* the select list holds only the key columns when keys_only */
	for (int i = 0, src = 0; i < t->ncols; i++)
		srcidx[i] = (keys_only && t->cols[i].keypos < 0) ? -1 : src++;
	*capped = false;
	initStringInfo(&buf);
	cbl_buf_init(&scratch);
	while (!done)
	{
		ResourceOwner owner = CurrentResourceOwner;
		VerifyRow  *volatile r = NULL;

		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			MYSQL_ROW	row;

			while (!stop && (row = mysql_fetch_row(res)) != NULL)
			{
				unsigned long *lens = mysql_fetch_lengths(res);

				if ((nread & 255) == 0)
					CHECK_FOR_INTERRUPTS();
				nread++;
				/* the walk goes on after this row, whatever becomes of it */
				if (last_raw != NULL)
					for (int k = 0; k < t->nkeys; k++)
					{
						StringInfoData lit;

						initStringInfo(&lit);
						literal_from_raw(run, &t->cols[t->keycol[k]], row[nsel + k],
										 lens[nsel + k], &lit);
						if (last_raw[k])
							pfree(last_raw[k]);
						last_raw[k] = lit.data;
					}
				r = verify_side_add(my, t);
				convert_my_row(t, row, lens, r, srcidx, &buf, &scratch, &stage);
				verify_row_finish(t, my, r);
				r = NULL;
				if (cap > 0 && my->bytes > cap)
				{
					*capped = true;
					stop = true;
				}
			}
			if (!stop && mysql_errno(run->conn) != 0)
				chameleon_mysql_error(run->conn, what);
			done = true;
			ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			/* only a value PostgreSQL refuses is the row's fault */
			if (r == NULL || edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY ||
				ERRCODE_TO_CATEGORY(edata->sqlerrcode) ==
				ERRCODE_TO_CATEGORY(ERRCODE_OPERATOR_INTERVENTION))
			{
				mysql_free_result(res);
				ReThrowError(edata);
			}
			r->unstorable = true;
			r->keyless = r->keyless || stage == 0;
			verify_row_finish(t, my, r);
			FreeErrorData(edata);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	/* reads and drops the rows beyond the cap */
	mysql_free_result(res);
	cbl_buf_free(&scratch);
	pfree(buf.data);
	pfree(srcidx);
	return nread;
}

/* ------------------------------------------------------------------
 * PostgreSQL
 * ------------------------------------------------------------------
 */

/*
 * Starts the transaction that reads a chunk's PostgreSQL side: the table
 * locked first, then a REPEATABLE READ snapshot, so that the table flags
 * checked and the rows read are of one moment, and sync_tables() cannot
 * swap the table in between.
 */
void
verify_pg_begin(VerifyTable *t)
{
	Oid			relid;

	xact_cxt = CurrentMemoryContext;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	XactIsoLevel = XACT_REPEATABLE_READ;
	relid = RangeVarGetRelid(chameleon_rangevar(t->schema_name, t->table_name),
							 AccessShareLock, true);
	if (relid != t->relid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s.%s\" was replaced or dropped during the verify",
						t->schema_name, t->table_name),
				 errhint("Run chameleon.verify_tables() again for it.")));
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "chameleon verify: reading a chunk");
	MemoryContextSwitchTo(xact_cxt);
}

/* Commits that transaction. */
void
verify_pg_commit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextSwitchTo(xact_cxt);
}

/*
 * ERROR unless the table's rows are those of the replay's position: it is
 * replicated, enabled, not being synced, holds no rows kept aside for a
 * sync, and its copy point is not after the chunk's position.  In the
 * chunk's PostgreSQL transaction.
 */
void
verify_check_table(VerifyRun *run, const VerifyTable *t)
{
	char	   *reason;

	if (CAT_RUN("SELECT t.enabled, t.syncing"
				"       OR EXISTS (SELECT 1 FROM chameleon.log_held h"
				"                   WHERE h.source_id = t.source_id AND h.source_schema = t.source_schema"
				"                     AND h.source_table = t.source_table)"
				"       OR (t.snapshot_file IS NOT NULL AND"
				"           chameleon._binlog_pos_cmp(t.snapshot_file, t.snapshot_pos, $4, $5) > 0),"
				"       t.disabled_reason"
				"  FROM chameleon.replica_table t"
				" WHERE t.source_id = $1 AND t.source_schema = $2 AND t.source_table = $3",
				cat_int4(run->source_id), cat_text(t->source_schema), cat_text(t->source_table),
				cat_text(run->snap_file), cat_int8(run->snap_pos)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table \"%s.%s\" is no longer replicated", t->schema_name, t->table_name)));
	reason = cat_get_text(0, 3);
	if (!cat_get_bool(0, 1, false))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s.%s\" is disabled%s%s: not compared", t->schema_name, t->table_name,
						reason ? ": " : "", reason ? reason : ""),
				 errhint("Copy it again with chameleon.sync_tables('%s', '{disabled}').", run->source_name)));
	if (cat_get_bool(0, 2, false))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s.%s\" is being synced: not compared", t->schema_name, t->table_name),
				 errhint("Verify it again once sync_tables() has finished and the replay has passed its copy point.")));
}

/*
 * Reads the rows of a PostgreSQL query into pg, at most q->limit rows (0:
 * all) and about cap bytes (0: no cap); *capped: stopped at the cap.
 */
void
verify_read_pg(VerifyTable *t, const VerifyQuery *q, VerifySide *pg, Size cap,
			   bool *capped)
{
	Portal		portal;
	int			left = q->limit > 0 ? q->limit : INT_MAX;
	Datum	   *values = palloc(sizeof(Datum) * t->ncols);
	bool	   *nulls = palloc(sizeof(bool) * t->ncols);

	*capped = false;
	portal = SPI_cursor_open_with_args(NULL, q->sql, q->nargs, q->types, q->values,
									   NULL, true, 0);
	while (left > 0 && !*capped)
	{
		SPI_cursor_fetch(portal, true, Min(left, VERIFY_FETCH));
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			VerifyRow  *r = verify_side_add(pg, t);

			verify_pg_row(t, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, r, values, nulls);
			verify_row_finish(t, pg, r);
			left--;
			if (cap > 0 && pg->bytes > cap)
			{
				*capped = true;
				break;
			}
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

/* verify_compare's re-read after a repair: the same query, no limit. */
void
verify_reread_pg(VerifyTable *t, const VerifyQuery *query, VerifySide *again)
{
	VerifyQuery q = *query;
	bool		capped;

	q.limit = 0;
	verify_read_pg(t, &q, again, 0, &capped);
}

/* Appends the PostgreSQL select list and FROM. */
void
verify_pg_select(const VerifyTable *t, StringInfo out)
{
	appendStringInfoString(out, "SELECT ");
	for (int i = 0; i < t->ncols; i++)
		appendStringInfo(out, "%s%s", i > 0 ? ", " : "", quote_identifier(t->cols[i].my.name));
	appendStringInfo(out, " FROM %s", t->qualified);
}

/* Appends "(k1, k2)" and "($n::text::T1, ...)" for a key comparison. */
void
verify_pg_keycmp(const VerifyTable *t, StringInfo out, const char *op, VerifyQuery *q,
				 char **vals)
{
	StringInfoData rhs;

	initStringInfo(&rhs);
	appendStringInfoChar(out, '(');
	for (int k = 0; k < t->nkeys; k++)
	{
		const VerifyColumn *c = &t->cols[t->keycol[k]];

		q->types[q->nargs] = TEXTOID;
		q->values[q->nargs] = CStringGetTextDatum(vals[k]);
		q->nargs++;
		appendStringInfo(out, "%s%s", k > 0 ? ", " : "", quote_identifier(c->my.name));
		appendStringInfo(&rhs, "%s$%d::text::%s", k > 0 ? ", " : "", q->nargs, c->typname);
	}
	appendStringInfo(out, ") %s (%s)", op, rhs.data);
	pfree(rhs.data);
}

/* Appends " ORDER BY" the key columns (PostgreSQL). */
void
verify_pg_order(const VerifyTable *t, StringInfo out)
{
	appendStringInfoString(out, " ORDER BY ");
	for (int k = 0; k < t->nkeys; k++)
		appendStringInfo(out, "%s%s", k > 0 ? ", " : "",
						 quote_identifier(t->cols[t->keycol[k]].my.name));
}

/* A VerifyQuery with room for n parameters. */
VerifyQuery *
verify_query(int n)
{
	VerifyQuery *q = palloc0(sizeof(VerifyQuery));

	q->types = palloc(sizeof(Oid) * Max(n, 1));
	q->values = palloc(sizeof(Datum) * Max(n, 1));
	return q;
}

/*
 * The PostgreSQL query of the rows whose keys are the given rows' keys
 * (the storable ones): VERIFY_LIST's read by key list.
 */
VerifyQuery *
verify_key_list_query(const VerifyTable *t, const VerifySide *side)
{
	VerifyQuery *q = verify_query(t->nkeys);
	StringInfoData sql;
	StringInfoData sel;
	StringInfoData args;

	initStringInfo(&sql);
	initStringInfo(&sel);
	initStringInfo(&args);
	verify_pg_select(t, &sql);
	appendStringInfoString(&sql, " WHERE (");
	for (int k = 0; k < t->nkeys; k++)
	{
		const VerifyColumn *c = &t->cols[t->keycol[k]];
		Datum	   *elems = palloc(sizeof(Datum) * Max(side->n, 1));
		int			n = 0;

		for (int i = 0; i < side->n; i++)
			if (!side->rows[i].keyless)
				elems[n++] = CStringGetTextDatum(side->rows[i].vals[t->keycol[k]]);
		q->types[k] = TEXTARRAYOID;
		q->values[k] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
		appendStringInfo(&sql, "%s%s", k > 0 ? ", " : "", quote_identifier(c->my.name));
		appendStringInfo(&sel, "%su.k%d::text::%s", k > 0 ? ", " : "", k, c->typname);
		appendStringInfo(&args, "%s$%d", k > 0 ? ", " : "", k + 1);
	}
	q->nargs = t->nkeys;
	appendStringInfo(&sql, ") IN (SELECT %s FROM unnest(%s) AS u(", sel.data, args.data);
	for (int k = 0; k < t->nkeys; k++)
		appendStringInfo(&sql, "%sk%d", k > 0 ? ", " : "", k);
	appendStringInfoString(&sql, "))");
	q->sql = sql.data;
	return q;
}

