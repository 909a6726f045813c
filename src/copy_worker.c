/*-------------------------------------------------------------------------
 *
 * copy_worker.c
 *	  The initial copy of MySQL tables into their loading tables.  Several
 *	  processes (the job worker and its copy workers) take tables from the
 *	  queue in chameleon.table_progress; each table is read from its own
 *	  consistent snapshot, whose binlog coordinates become the table's
 *	  consistency point.
 *
 *	  Rows are streamed (mysql_use_result) into chunks of COPY text bounded
 *	  by copy_max_memory, and each chunk goes into the table with COPY FROM
 *	  inside the server (a callback data source: no client round trip) in a
 *	  transaction of its own, with the progress.  A chunk that COPY rejects
 *	  is loaded again row by row: the rows PostgreSQL cannot hold go to
 *	  chameleon.discarded_row with the reason, the rest load.  The whole
 *	  table's copy shows in pg_stat_progress_copy as one COPY FROM into it
 *	  (progress.c); the MySQL connection reads with net_read_timeout.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/copy.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "chameleon.h"
#include "copy_value.h"
#include "history.h"
#include "jobs.h"
#include "mysql_client.h"
#include "owner.h"
#include "target_ops.h"
#include "progress.h"
#include "worker_util.h"

/* most rows per chunk (one COPY, one transaction) */
#define COPY_CHUNK_ROWS		100000

/* A claimed table. */
typedef struct CopyTask
{
	char	   *source_schema;
	char	   *source_table;
	char	   *target_schema;
	char	   *table_name;
	char	   *load_schema;
	List	   *post_data;
	char	   *layout;			/* canonical layout when the job read it */
} CopyTask;

/* The chunk the COPY data source callback is reading. */
typedef struct CopyChunk
{
	StringInfoData data;		/* COPY text lines */
	int		   *line_start;		/* offset of each line in data */
	int			nlines;
	int			maxlines;
	int			read_pos;		/* callback position in data */
	int			read_end;		/* callback stops here */
} CopyChunk;

static CopyChunk *current_chunk = NULL;
static MYSQL *copy_conn = NULL;

/* the table being copied and its source, for the error context */
static CopyTask *copy_task = NULL;
static const char *copy_source = NULL;

/* COPY FROM's data source: hands out the current chunk's bytes. */
static int
chunk_read_cb(void *outbuf, int minread, int maxread)
{
	CopyChunk  *c = current_chunk;
	int			n = Min(maxread, c->read_end - c->read_pos);

	if (n <= 0)
		return 0;
	memcpy(outbuf, c->data.data + c->read_pos, n);
	c->read_pos += n;
	return n;
}

/* The target of one COPY FROM of a chunk (see copy_range). */
typedef struct CopyTarget
{
	Relation	rel;
	List	   *attnames;
} CopyTarget;

/* Runs one COPY FROM of the current chunk's range into the target. */
static uint64
copy_into(void *arg)
{
	CopyTarget *target = (CopyTarget *) arg;
	ParseState *pstate = make_parsestate(NULL);
	CopyFromState cstate;
	uint64		n;

	/* CopyFrom finds its target through the range table, as DoCopy sets it */
	(void) addRangeTableEntryForRelation(pstate, target->rel, RowExclusiveLock, NULL,
										 false, false);
	cstate = BeginCopyFrom(pstate, target->rel, NULL, NULL, false, chunk_read_cb,
						   target->attnames, NIL);
	n = CopyFrom(cstate);
	EndCopyFrom(cstate);
	free_parsestate(pstate);
	return n;
}

/*
 * COPYs bytes [start, end) of the chunk into rel; ERROR if COPY fails.
 * The COPY does not report itself: the table's copy does (progress.c).
 */
static uint64
copy_range(Relation rel, List *attnames, CopyChunk *c, int start, int end)
{
	CopyTarget	target;

	target.rel = rel;
	target.attnames = attnames;
	c->read_pos = start;
	c->read_end = end;
	current_chunk = c;
	return chameleon_copy_quietly(copy_into, &target);
}

/* Records one row PostgreSQL refused in chameleon.discarded_row. */
static void
discard_row(int32 source_id, const CopyTask *t, const char *reason,
			const ChameleonCopyColumn *cols, int ncols, const char *line, int len)
{
	StringInfoData json;
	int			col = 0;
	int			start = 0;

	/* the row as COPY text fields, one JSON member per column */
	initStringInfo(&json);
	appendStringInfoChar(&json, '{');
	for (int i = 0; i <= len && col < ncols; i++)
	{
		if (i == len || line[i] == '\t')
		{
			char	   *field = pnstrdup(line + start, i - start);

			if (col > 0)
				appendStringInfoString(&json, ", ");
			escape_json(&json, cols[col].name);
			appendStringInfoString(&json, ": ");
			if (strcmp(field, "\\N") == 0)
				appendStringInfoString(&json, "null");
			else
				escape_json(&json, field);
			col++;
			start = i + 1;
		}
	}
	appendStringInfoChar(&json, '}');

	CAT_RUN("INSERT INTO chameleon.discarded_row (source_id, schema_name, table_name,"
			"                                     reason, row_data)"
			" VALUES ($1, $2, $3, $4, $5::jsonb)",
			cat_int4(source_id), cat_text(t->target_schema), cat_text(t->table_name),
			cat_text(reason), cat_text(json.data));
}

/*
 * Loads one chunk in the current transaction: one COPY, or when COPY
 * fails, row by row in subtransactions, discarding the rows that fail.
 * Returns the number of rows loaded; *discarded counts the others.
 */
static uint64
load_chunk(int32 source_id, const CopyTask *t, Relation rel, List *attnames,
		   CopyChunk *c, const ChameleonCopyColumn *cols, int ncols,
		   uint64 *discarded)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile uint64 loaded = 0;
	volatile bool failed = false;

	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		loaded = copy_range(rel, attnames, c, 0, c->data.len);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		failed = true;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	if (!failed)
		return loaded;

	loaded = 0;
	for (int i = 0; i < c->nlines; i++)
	{
		int			start = c->line_start[i];
		int			end = (i + 1 < c->nlines) ? c->line_start[i + 1] : c->data.len;

		CHECK_FOR_INTERRUPTS();
		BeginInternalSubTransaction(NULL);
		PG_TRY();
		{
			loaded += copy_range(rel, attnames, c, start, end);
			ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(oldcxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(oldcxt);
			CurrentResourceOwner = oldowner;
			discard_row(source_id, t, edata->message, cols, ncols,
						c->data.data + start, end - start - 1);
			(*discarded)++;
			FreeErrorData(edata);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	return loaded;
}

/* Takes the next pending table of the source, or returns NULL. */
static CopyTask *
claim_table(int32 source_id, MemoryContext cxt)
{
	CopyTask   *t = NULL;

	chameleon_xact_begin("chameleon: claim a table");
	/* a scalar subquery runs once: exactly one row is claimed */
	if (CAT_RUN("UPDATE chameleon.table_progress p SET state = 'copying', started = clock_timestamp()"
				" WHERE p.ctid = (SELECT ctid FROM chameleon.table_progress"
				"         WHERE source_id = $1 AND state = 'pending'"
				"           AND NOT EXISTS (SELECT 1 FROM chameleon.table_progress f"
				"                            WHERE f.source_id = $1 AND f.state = 'failed')"
				"         ORDER BY rows_estimated DESC NULLS LAST, schema_name, table_name"
				"         LIMIT 1 FOR UPDATE SKIP LOCKED)"
				" RETURNING p.source_schema, p.source_table, p.schema_name, p.table_name,"
				"           p.load_schema, p.post_data, p.layout",
				cat_int4(source_id)) > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		bool		isnull;
		Datum		d;

		t = palloc0(sizeof(CopyTask));
		t->source_schema = cat_get_text(0, 1);
		t->source_table = cat_get_text(0, 2);
		t->target_schema = cat_get_text(0, 3);
		t->table_name = cat_get_text(0, 4);
		t->load_schema = cat_get_text(0, 5);
		t->layout = cat_get_text(0, 7);
		d = cat_get_datum(0, 6, &isnull);
		if (!isnull)
		{
			Datum	   *elems;
			bool	   *nulls;
			int			n;

			deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &n);
			for (int i = 0; i < n; i++)
				t->post_data = lappend(t->post_data, TextDatumGetCString(elems[i]));
		}
		MemoryContextSwitchTo(old);
	}
	chameleon_xact_commit();
	/* a reader may wait for the copy of a syncing table to start */
	if (t != NULL)
		chameleon_catalog_changed();
	return t;
}

/* Sets a table's progress: rows copied and discarded so far. */
static void
progress_rows(int32 source_id, const CopyTask *t, uint64 copied, uint64 discarded)
{
	CAT_RUN("UPDATE chameleon.table_progress SET rows_copied = $4, rows_discarded = $5"
			" WHERE source_id = $1 AND schema_name = $2 AND table_name = $3",
			cat_int4(source_id), cat_text(t->target_schema), cat_text(t->table_name),
			cat_int8((int64) copied), cat_int8((int64) discarded));
}

/*
 * Opens a consistent snapshot on the copy connection and returns its
 * binlog coordinates.  MariaDB reports them inside the snapshot
 * (binlog_snapshot_file/position), without any lock; other servers get a
 * brief FLUSH TABLES WITH READ LOCK around the snapshot's start.
 */
static void
open_snapshot(MYSQL *conn, char **file, long long *pos, char **gtid)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;

	*file = NULL;
	*pos = 0;
	*gtid = NULL;
	chameleon_mysql_exec(conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
	res = chameleon_mysql_query(conn, "SHOW STATUS LIKE 'binlog_snapshot_%'");
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		if (strcmp(row[0], "Binlog_snapshot_file") == 0 && row[1] && row[1][0])
			*file = pstrdup(row[1]);
		else if (strcmp(row[0], "Binlog_snapshot_position") == 0 && row[1])
			*pos = strtoll(row[1], NULL, 10);
	}
	mysql_free_result(res);

	if (*file == NULL)
	{
		chameleon_mysql_exec(conn, "ROLLBACK");
		chameleon_mysql_exec(conn, "FLUSH TABLES WITH READ LOCK");
		chameleon_mysql_exec(conn, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
		res = chameleon_mysql_query(conn, "SHOW MASTER STATUS");
		row = mysql_fetch_row(res);
		if (row != NULL && row[0] != NULL)
		{
			*file = pstrdup(row[0]);
			*pos = strtoll(row[1], NULL, 10);
		}
		mysql_free_result(res);
		chameleon_mysql_exec(conn, "UNLOCK TABLES");
		if (*file == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the MySQL server reports no binary log position"),
					 errhint("Enable log_bin on the server and grant the user REPLICATION CLIENT.")));
	}

	/* MariaDB's GTID of that position; other servers have no such function */
	if (mysql_query(conn, psprintf("SELECT BINLOG_GTID_POS(%s, %lld)",
								   chameleon_mysql_literal(conn, *file), *pos)) == 0)
	{
		res = mysql_store_result(conn);
		if (res != NULL)
		{
			row = mysql_fetch_row(res);
			if (row != NULL && row[0] != NULL)
				*gtid = pstrdup(row[0]);
			mysql_free_result(res);
		}
	}
}

/* Reads the table's columns that exist in the PostgreSQL table. */
static ChameleonCopyColumn *
read_columns(MYSQL *conn, const CopyTask *t, Oid relid, int *ncols)
{
	char	   *sql = psprintf("SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE,"
							   " coalesce(c.CHARACTER_OCTET_LENGTH, 0), coalesce(c.DATETIME_PRECISION, 0),"
							   " coalesce(co.ID, 0)"
							   " FROM information_schema.COLUMNS c"
							   " LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME"
							   " WHERE c.TABLE_SCHEMA = %s AND c.TABLE_NAME = %s ORDER BY c.ORDINAL_POSITION",
							   chameleon_mysql_literal(conn, t->source_schema),
							   chameleon_mysql_literal(conn, t->source_table));
	MYSQL_RES  *res = chameleon_mysql_query(conn, sql);
	MYSQL_ROW	row;
	ChameleonCopyColumn *cols = palloc0(sizeof(ChameleonCopyColumn) * (mysql_num_rows(res) + 1));
	int			n = 0;

	while ((row = mysql_fetch_row(res)) != NULL)
	{
		AttrNumber	att = get_attnum(relid, chameleon_pg_name(row[0]));

		/* generated or otherwise absent columns are not copied */
		if (att == InvalidAttrNumber || get_attgenerated(relid, att) != '\0')
			continue;
		chameleon_copy_column_init(&cols[n], row[0], row[1], row[2],
								   strtol(row[3], NULL, 10), atoi(row[4]),
								   (uint32) strtoul(row[5], NULL, 10));
		/* a geometry's form follows its column: PostGIS geometry or bytea */
		cols[n].geo = chameleon_geo_target(get_atttype(relid, att));
		n++;
	}
	mysql_free_result(res);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("MySQL table \"%s.%s\" has no column to copy", t->source_schema, t->source_table)));
	*ncols = n;
	return cols;
}

/* the table is reloaded in place, in one transaction (keep_existing_schema) */
static bool copy_in_place = false;

/* Starts a step's transaction, unless the whole table has one. */
static void
copy_xact_begin(const char *activity)
{
	if (copy_in_place)
		CommandCounterIncrement();
	else
		chameleon_xact_begin(activity);
}

/* Commits a step's transaction, unless the whole table has one. */
static void
copy_xact_commit(void)
{
	if (!copy_in_place)
		chameleon_xact_commit();
}

/*
 * Records the table's layout in the schema history at its snapshot, at
 * once: a reader decoding rows after the snapshot may be waiting for it.
 * The layout the job read must still be the server's (SHOW CREATE TABLE
 * is not part of the snapshot): else DDL ran in between and the copy
 * would not match its table.
 */
static void
record_layout(const ChameleonSourceConf *conf, MYSQL *conn, const CopyTask *t,
			  const char *file, long long pos)
{
	cddl_flavour flavour = chameleon_history_flavour(conn);
	char	   *why = NULL;
	char	   *now = chameleon_history_read(conn, t->source_schema, t->source_table,
											 flavour, &why);

	if (t->layout != NULL && (now == NULL || strcmp(now, t->layout) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("MySQL table \"%s.%s\" changed while its copy was being prepared",
						t->source_schema, t->source_table),
				 errhint("Run the call again.")));
	copy_xact_begin("chameleon: record a layout");
	chameleon_history_store(conf->source_id, t->source_schema, t->source_table, file,
							(int64) pos, flavour, now, why);
	copy_xact_commit();
	chameleon_catalog_changed();
}

/* Copies one claimed table; ERROR on failure. */
static void
copy_one_table(const ChameleonSourceConf *conf, MYSQL *conn, CopyTask *t,
			   int64 chunk_bytes)
{
	char	   *file;
	long long	pos;
	char	   *gtid;
	ChameleonCopyColumn *cols;
	int			ncols;
	StringInfoData sel;
	MYSQL_RES  *res;
	CopyChunk	chunk;
	cbl_buf		scratch;
	List	   *attnames = NIL;
	uint64		total = 0;
	uint64		discarded = 0;
	uint64		bytes = 0;
	bool		eof = false;
	Oid			relid;
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "chameleon copy row",
												 ALLOCSET_DEFAULT_SIZES);
	ChameleonActor table_actor;
	Oid			table_owner;

	copy_xact_begin("chameleon: copy setup");
	relid = RangeVarGetRelid(chameleon_rangevar(t->load_schema, t->table_name), AccessShareLock, false);
	/* a kept table (keep_existing_schema) may belong to anyone */
	chameleon_check_table_owner(relid, conf->owner, conf->name);
	table_owner = chameleon_rel_owner(relid);
	copy_xact_commit();
	/* its triggers, defaults and index expressions run as its owner */
	chameleon_act_as(table_owner, &table_actor);

	/*
	 * keep_existing_schema: the table is emptied and loaded in place, in
	 * one transaction, so that a failed copy leaves its rows as they were
	 * (the price: a transaction as long as the table's copy).
	 */
	open_snapshot(conn, &file, &pos, &gtid);
	record_layout(conf, conn, t, file, pos);
	if (strcmp(t->load_schema, t->target_schema) == 0)
	{
		chameleon_xact_begin("chameleon: reload a kept table");
		copy_in_place = true;
		chameleon_empty_table(relid);
	}
	copy_xact_begin("chameleon: copy setup");
	cols = read_columns(conn, t, relid, &ncols);
	copy_xact_commit();

	initStringInfo(&sel);
	appendStringInfoString(&sel, "SELECT ");
	for (int i = 0; i < ncols; i++)
	{
		if (i > 0)
			appendStringInfoString(&sel, ", ");
		chameleon_copy_select_expr(&cols[i], &sel);
		attnames = lappend(attnames, makeString(chameleon_pg_name(cols[i].name)));
	}
	appendStringInfo(&sel, " FROM %s.%s", chameleon_mysql_ident(t->source_schema),
					 chameleon_mysql_ident(t->source_table));

	res = chameleon_mysql_stream(conn, sel.data);
	initStringInfo(&chunk.data);
	chunk.maxlines = 1024;
	chunk.line_start = palloc(sizeof(int) * chunk.maxlines);
	cbl_buf_init(&scratch);
	/* pg_stat_progress_copy: the table, from now until its last chunk */
	chameleon_copy_progress(relid, 0, 0, 0);

	while (!eof)
	{
		chunk.nlines = 0;
		resetStringInfo(&chunk.data);

		/* fill a chunk from the stream */
		while (chunk.nlines < COPY_CHUNK_ROWS && chunk.data.len < chunk_bytes)
		{
			MYSQL_ROW	row = mysql_fetch_row(res);
			unsigned long *lens;
			int			line_start = chunk.data.len;
			char	   *reason = NULL;
			MemoryContext old;

			if (row == NULL)
			{
				if (mysql_errno(conn) != 0)
					chameleon_mysql_error(conn, sel.data);
				eof = true;
				break;
			}
			if ((chunk.nlines & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			lens = mysql_fetch_lengths(res);
			old = MemoryContextSwitchTo(rowcxt);
			for (int i = 0; i < ncols && reason == NULL; i++)
			{
				if (i > 0)
					appendStringInfoChar(&chunk.data, '\t');
				reason = chameleon_copy_cell(&cols[i], row[i], lens[i], &chunk.data, &scratch);
			}
			MemoryContextSwitchTo(old);
			if (reason != NULL)
			{
				/* a value no PostgreSQL type holds: keep the row aside */
				copy_xact_begin("chameleon: discard a row");
				discard_row(conf->source_id, t, reason, cols, ncols,
							chunk.data.data + line_start, chunk.data.len - line_start);
				copy_xact_commit();
				chunk.data.len = line_start;
				chunk.data.data[line_start] = '\0';
				discarded++;
				MemoryContextReset(rowcxt);
				continue;
			}
			MemoryContextReset(rowcxt);
			appendStringInfoChar(&chunk.data, '\n');
			if (chunk.nlines == chunk.maxlines)
			{
				chunk.maxlines *= 2;
				chunk.line_start = repalloc(chunk.line_start, sizeof(int) * chunk.maxlines);
			}
			chunk.line_start[chunk.nlines++] = line_start;
		}

		/* load it, with the progress, in one transaction */
		copy_xact_begin("chameleon: copy a chunk");
		if (chunk.nlines > 0)
		{
			Relation	rel = table_open(relid, RowExclusiveLock);

			total += load_chunk(conf->source_id, t, rel, attnames, &chunk, cols, ncols, &discarded);
			table_close(rel, NoLock);
			bytes += chunk.data.len;
		}
		progress_rows(conf->source_id, t, total, discarded);
		copy_xact_commit();
		chameleon_copy_progress(relid, bytes, total, discarded);
	}
	chameleon_copy_progress_end();
	mysql_free_result(res);
	chameleon_mysql_exec(conn, "COMMIT");
	cbl_buf_free(&scratch);
	pfree(chunk.data.data);
	MemoryContextDelete(rowcxt);

	/* keys and indexes after the data */
	copy_xact_begin("chameleon: build indexes");
	CAT_RUN("UPDATE chameleon.table_progress SET state = 'indexing'"
			" WHERE source_id = $1 AND schema_name = $2 AND table_name = $3",
			cat_int4(conf->source_id), cat_text(t->target_schema), cat_text(t->table_name));
	copy_xact_commit();
	copy_xact_begin("chameleon: build indexes");
	{
		ListCell   *lc;

		foreach(lc, t->post_data)
			chameleon_target_exec((char *) lfirst(lc));
		CAT_RUN("UPDATE chameleon.table_progress SET state = 'swapping',"
				"       snapshot_file = $4, snapshot_pos = $5, snapshot_gtid = $6,"
				"       finished = clock_timestamp()"
				" WHERE source_id = $1 AND schema_name = $2 AND table_name = $3",
				cat_int4(conf->source_id), cat_text(t->target_schema), cat_text(t->table_name),
				cat_text(file), cat_int8(pos), cat_text(gtid));
	}
	copy_xact_commit();
	if (copy_in_place)
	{
		copy_in_place = false;
		chameleon_xact_commit();
	}
	chameleon_act_end(&table_actor);
	if (discarded > 0)
		ereport(WARNING,
				(errmsg("%llu rows of MySQL table \"%s.%s\" could not be stored and were discarded",
						(unsigned long long) discarded, t->source_schema, t->source_table),
				 errhint("See chameleon.discarded_rows.")));
}

/* Error context of the copy: the table and the source. */
static void
copy_error_callback(void *arg)
{
	if (copy_task != NULL)
		errcontext("copying table %s.%s of source \"%s\"", copy_task->source_schema,
				   copy_task->source_table, copy_source);
}

/*
 * Copies tables from the source's queue until none is left (or one has
 * failed).  Used by the job worker and by its copy workers.
 */
void
chameleon_copy_tables(const ChameleonSourceConf *conf)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "chameleon copy",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	int64		chunk_bytes = conf->copy_max_memory / (2 * Max(chameleon_copy_workers, 1));
	ErrorContextCallback errcallback;
	ChameleonActor actor;

	if (chunk_bytes < 1024 * 1024)
		chunk_bytes = 1024 * 1024;
	if (chunk_bytes > (int64) (MaxAllocSize / 2))
		chunk_bytes = (int64) (MaxAllocSize / 2);

	copy_source = conf->name;
	errcallback.callback = copy_error_callback;
	errcallback.arg = NULL;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	copy_conn = chameleon_mysql_connect(conf, "initial copy");
	chameleon_mysql_exec(copy_conn, "SET SESSION time_zone = '+00:00'");
	/* raw bytes in each column's own charset: converted by the library */
	chameleon_mysql_exec(copy_conn, "SET SESSION character_set_results = binary");
	chameleon_mysql_exec(copy_conn, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");

	for (;;)
	{
		CopyTask   *t;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(cxt);
		t = claim_table(conf->source_id, cxt);
		if (t == NULL)
			break;
		copy_task = t;
		ereport(DEBUG1,
				(errmsg_internal("copying %s.%s", t->source_schema, t->source_table)));
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("chameleon: copying %s.%s", t->source_schema, t->source_table));
		chameleon_act_as(conf->owner, &actor);
		PG_TRY();
		{
			copy_one_table(conf, copy_conn, t, chunk_bytes);
		}
		PG_CATCH();
		{
			ErrorData  *edata = chameleon_worker_error(cxt);

			chameleon_act_end(&actor);
			chameleon_copy_progress_end();
			copy_in_place = false;
			chameleon_xact_begin("chameleon: record a failed table");
			CAT_RUN("UPDATE chameleon.table_progress SET state = 'failed', error = $4,"
					"       finished = clock_timestamp()"
					" WHERE source_id = $1 AND schema_name = $2 AND table_name = $3",
					cat_int4(conf->source_id), cat_text(t->target_schema),
					cat_text(t->table_name), cat_text(edata->message));
			chameleon_xact_commit();
			copy_task = NULL;
			break;
		}
		PG_END_TRY();
		chameleon_act_end(&actor);
		copy_task = NULL;
	}
	mysql_close(copy_conn);
	copy_conn = NULL;
	error_context_stack = errcallback.previous;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* Entry point of a copy worker: copies tables of one source's queue. */
void
chameleon_copy_main(Datum main_arg)
{
	ChameleonWorkerArgs args = chameleon_worker_begin();
	ChameleonSourceConf *conf;
	MemoryContext cxt;

	chameleon_mysql_close_at_exit(&copy_conn);
	cxt = AllocSetContextCreate(TopMemoryContext, "chameleon copy worker", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	chameleon_xact_begin("chameleon: copy worker start");
	MemoryContextSwitchTo(cxt);
	conf = chameleon_conf_load(args.source_id);
	chameleon_xact_commit();
	MemoryContextSwitchTo(cxt);
	pgstat_report_appname(psprintf("chameleon init %s", conf->name));
	chameleon_copy_tables(conf);
	proc_exit(0);
}
