/*-------------------------------------------------------------------------
 *
 * verify_worker.c
 *	  The verify worker of a source ("chameleon verify <source>"), started
 *	  by chameleon.verify_tables(): one per source (CHAMELEON_LOCK_VERIFY).
 *	  It queues the tables of the run in chameleon.verify_table (each
 *	  table's latest run; its old mismatches go), verifies them one after
 *	  the other (verify_table.c), records each table's outcome, the run's
 *	  in chameleon.verify_run, and sends NOTIFY chameleon {source, "verify",
 *	  counts} at the end.
 *
 *	  A table that cannot be compared (disabled, being synced, dropped, a
 *	  MySQL error on it) ends in state "error" with the message and the run
 *	  goes on with the next one.  When the source stops running (or is
 *	  dropped) the run ends: the current table and those still queued end
 *	  in state "error" saying so.  A worker killed outside these paths
 *	  leaves "queued" or "running" rows that verify_status shows as
 *	  "error": it compares them with the worker's advisory lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <malloc.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "chameleon.h"
#include "source_state.h"
#include "owner.h"
#include "verify.h"
#include "worker_util.h"

PGDLLEXPORT void chameleon_verify_main(Datum main_arg);

/* A table of the run, as queued. */
typedef struct VerifyEntry
{
	char	   *source_schema;
	char	   *source_table;
	char	   *schema_name;
	char	   *table_name;
	List	   *keys;
	bool		full_row;
	char	   *refused;		/* why it is not compared, or NULL */
} VerifyEntry;

/* seconds a MySQL read or write may block (a chunk query streams at once) */
#define VERIFY_IO_TIMEOUT	60

static VerifyRun run;
static MYSQL *verify_conn = NULL;

/* Records a table's progress (in the chunk's transaction). */
void
verify_progress(VerifyRun *r, const VerifyTable *t, const VerifyCounts *c)
{
	CAT_RUN("UPDATE chameleon.verify_table SET rows_checked = $4, rows_different = $5,"
			"       rows_repaired = $6, position = $7"
			" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
			cat_int4(r->source_id), cat_text(t->source_schema), cat_text(t->source_table),
			cat_int8(c->checked), cat_int8(c->different), cat_int8(c->repaired),
			cat_text(psprintf("%s:" INT64_FORMAT, r->snap_file, r->snap_pos)));
}

/* Sets a table's state (and error; finished when it is a final state). */
static void
set_state(const VerifyEntry *e, const char *state, const char *error)
{
	bool		final = strcmp(state, "running") != 0 && strcmp(state, "queued") != 0;

	CAT_RUN("UPDATE chameleon.verify_table SET state = $4, error = $5,"
			"       started = CASE WHEN $4 = 'running' THEN clock_timestamp() ELSE started END,"
			"       finished = CASE WHEN $6 THEN clock_timestamp() END"
			" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
			cat_int4(run.source_id), cat_text(e->source_schema), cat_text(e->source_table),
			cat_text(state), cat_text(error), cat_bool(final));
}

/*
 * Queues the run's tables: every replicated table of the source, or the
 * listed ones; forgets their previous run.  In a transaction; the list
 * is built in cxt.
 */
static List *
queue_tables(const VerifyParams *params, MemoryContext cxt)
{
	List	   *entries = NIL;
	ListCell   *lc;
	uint64		n;

	n = CAT_RUN("SELECT t.source_schema, t.source_table, t.schema_name, t.table_name,"
				"       t.key_columns, t.identity = 'full row',"
				"       CASE WHEN NOT t.enabled THEN 'table is disabled'"
				"                 || coalesce(': ' || t.disabled_reason, '') || '; not compared'"
				"            WHEN t.syncing THEN 'table is being synced; not compared'"
				"       END"
				"  FROM chameleon.replica_table t"
				" WHERE t.source_id = $1"
				"   AND ($2 OR t.source_schema || '.' || t.source_table = ANY ($3))"
				" ORDER BY t.schema_name, t.table_name",
				cat_int4(run.source_id), cat_bool(params->all), cat_text_array(params->tables));
	/* SPI leaves its own context current: the entries outlive it */
	MemoryContextSwitchTo(cxt);
	for (uint64 i = 0; i < n; i++)
	{
		VerifyEntry *e = palloc0(sizeof(VerifyEntry));
		bool		isnull;
		Datum		keys = cat_get_datum(i, 5, &isnull);

		e->source_schema = cat_get_text(i, 1);
		e->source_table = cat_get_text(i, 2);
		e->schema_name = cat_get_text(i, 3);
		e->table_name = cat_get_text(i, 4);
		e->full_row = cat_get_bool(i, 6, true);
		e->refused = cat_get_text(i, 7);
		if (!isnull)
		{
			Datum	   *elems;
			bool	   *nulls;
			int			nkeys;

			deconstruct_array(DatumGetArrayTypeP(keys), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &nkeys);
			for (int k = 0; k < nkeys; k++)
				if (!nulls[k])
					e->keys = lappend(e->keys, TextDatumGetCString(elems[k]));
		}
		entries = lappend(entries, e);
	}
	foreach(lc, entries)
	{
		VerifyEntry *e = (VerifyEntry *) lfirst(lc);

		CAT_RUN("DELETE FROM chameleon.verify_mismatch"
				" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
				cat_int4(run.source_id), cat_text(e->source_schema), cat_text(e->source_table));
		CAT_RUN("INSERT INTO chameleon.verify_table AS v (source_id, source_schema, source_table,"
				"       schema_name, table_name, state, error, worker_pid, finished)"
				" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $7 IS NOT NULL THEN clock_timestamp() END)"
				" ON CONFLICT (source_id, source_schema, source_table) DO UPDATE"
				"   SET schema_name = excluded.schema_name, table_name = excluded.table_name,"
				"       state = excluded.state, error = excluded.error,"
				"       worker_pid = excluded.worker_pid, rows_checked = 0, rows_different = 0,"
				"       rows_repaired = 0, position = NULL, started = NULL,"
				"       finished = excluded.finished",
				cat_int4(run.source_id), cat_text(e->source_schema), cat_text(e->source_table),
				cat_text(e->schema_name), cat_text(e->table_name),
				cat_text(e->refused ? "error" : "queued"), cat_text(e->refused),
				cat_int4(MyProcPid));
	}
	/* a run of every table forgets the tables no longer replicated */
	if (params->all)
	{
		CAT_RUN("DELETE FROM chameleon.verify_mismatch v WHERE v.source_id = $1"
				"   AND NOT EXISTS (SELECT 1 FROM chameleon.replica_table t"
				"                    WHERE t.source_id = v.source_id AND t.source_schema = v.source_schema"
				"                      AND t.source_table = v.source_table)",
				cat_int4(run.source_id));
		CAT_RUN("DELETE FROM chameleon.verify_table v WHERE v.source_id = $1"
				"   AND NOT EXISTS (SELECT 1 FROM chameleon.replica_table t"
				"                    WHERE t.source_id = v.source_id AND t.source_schema = v.source_schema"
				"                      AND t.source_table = v.source_table)",
				cat_int4(run.source_id));
	}
	CAT_RUN("INSERT INTO chameleon.verify_run AS r (source_id, worker_pid, repair, started)"
			" VALUES ($1, $2, $3, clock_timestamp())"
			" ON CONFLICT (source_id) DO UPDATE SET worker_pid = excluded.worker_pid,"
			"       repair = excluded.repair, started = excluded.started,"
			"       finished = NULL, error = NULL",
			cat_int4(run.source_id), cat_int4(MyProcPid), cat_bool(params->repair));
	return entries;
}

/* Connects to MySQL for the run: UTC, raw bytes, repeatable reads. */
static void
connect_mysql(void)
{
	if (verify_conn != NULL)
		mysql_close(verify_conn);
	verify_conn = NULL;
	verify_conn = chameleon_mysql_connect_timeout(run.conf, "verify_tables", VERIFY_IO_TIMEOUT);
	chameleon_mysql_exec(verify_conn, "SET SESSION time_zone = '+00:00'");
	chameleon_mysql_exec(verify_conn, "SET SESSION character_set_results = binary");
	chameleon_mysql_exec(verify_conn, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
	run.conn = verify_conn;
}

/* Whether the source still runs (no ERROR). */
static bool
source_running(void)
{
	bool		running = false;

	chameleon_xact_begin("chameleon verify: source state");
	if (CAT_RUN("SELECT status = 'running' AND desired_state = 'running'"
				"  FROM chameleon.source WHERE source_id = $1", cat_int4(run.source_id)) > 0)
		running = cat_get_bool(0, 1, false);
	chameleon_xact_commit();
	return running;
}

/*
 * Verifies one queued table and records its outcome.  Returns the error
 * that ends the whole run (the source no longer runs), or NULL.
 */
static char *
verify_one(VerifyEntry *e, MemoryContext cxt)
{
	VerifyTable t;
	VerifyCounts c;
	char	   *volatile stop = NULL;
	ChameleonActor actor;

	memset(&t, 0, sizeof(t));
	memset(&c, 0, sizeof(c));
	t.source_schema = e->source_schema;
	t.source_table = e->source_table;
	t.schema_name = e->schema_name;
	t.table_name = e->table_name;
	pgstat_report_activity(STATE_RUNNING,
						   psprintf("chameleon verify: %s.%s", e->source_schema, e->source_table));

	chameleon_xact_begin("chameleon verify: table starts");
	set_state(e, "running", NULL);
	chameleon_xact_commit();
	/* the PostgreSQL side is read (and repaired) with the owner's rights */
	chameleon_act_as(run.conf->owner, &actor);
	PG_TRY();
	{
		const char *state;
		char	   *note = NULL;

		chameleon_xact_begin("chameleon verify: table set-up");
		verify_table_setup(&run, &t, e->keys, e->full_row);
		chameleon_xact_commit();
		verify_table_walk(&run, &t, &c);
		if (c.different == 0)
			state = "identical";
		else
			state = c.repaired == c.different ? "repaired" : "different";
		if (c.unstorable > 0)
			note = psprintf(INT64_FORMAT " rows not compared: their MySQL values cannot be stored in PostgreSQL (see chameleon.discarded_rows)",
							c.unstorable);
		chameleon_xact_begin("chameleon verify: table done");
		set_state(e, state, note);
		chameleon_xact_commit();
		chameleon_act_end(&actor);
	}
	PG_CATCH();
	{
		ErrorData  *edata = chameleon_worker_error(cxt);

		chameleon_act_end(&actor);

		verify_hold_release(&run);
		run.pending_sql = NULL;
		/* the MySQL session may be mid-result: start it afresh */
		if (verify_conn == NULL || mysql_query(verify_conn, "ROLLBACK") != 0)
			connect_mysql();
		run.snap_open = false;
		if (!source_running())
			stop = psprintf("%s", edata->message);
		chameleon_xact_begin("chameleon verify: table failed");
		/* the counts so far stay; the state says it did not finish */
		CAT_RUN("UPDATE chameleon.verify_table SET rows_checked = $4, rows_different = $5,"
				"       rows_repaired = $6"
				" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
				cat_int4(run.source_id), cat_text(e->source_schema), cat_text(e->source_table),
				cat_int8(c.checked), cat_int8(c.different), cat_int8(c.repaired));
		set_state(e, "error", edata->message);
		chameleon_xact_commit();
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return stop;
}

/* Records the end of the run and sends the notification. */
static void
finish_run(const char *error)
{
	uint64		n;
	int64		total = 0;
	StringInfoData detail;

	chameleon_xact_begin("chameleon verify: run done");
	if (error != NULL)
		CAT_RUN("UPDATE chameleon.verify_table SET state = 'error',"
				"       error = 'not verified: ' || $2, finished = clock_timestamp()"
				" WHERE source_id = $1 AND worker_pid = $3 AND state = 'queued'",
				cat_int4(run.source_id), cat_text(error), cat_int4(MyProcPid));
	CAT_RUN("UPDATE chameleon.verify_run SET finished = clock_timestamp(), error = $2"
			" WHERE source_id = $1",
			cat_int4(run.source_id), cat_text(error));
	n = CAT_RUN("SELECT state, count(*) FROM chameleon.verify_table"
				" WHERE source_id = $1 AND worker_pid = $2 GROUP BY state ORDER BY state",
				cat_int4(run.source_id), cat_int4(MyProcPid));
	MemoryContextSwitchTo(TopMemoryContext);
	initStringInfo(&detail);
	for (uint64 i = 0; i < n; i++)
		total += cat_get_int8(i, 2, 0);
	appendStringInfo(&detail, "verified " INT64_FORMAT " tables:", total);
	for (uint64 i = 0; i < n; i++)
		appendStringInfo(&detail, "%s " INT64_FORMAT " %s", i > 0 ? "," : "",
						 cat_get_int8(i, 2, 0), cat_get_text(i, 1));
	if (error != NULL)
		appendStringInfo(&detail, "; stopped: %s", error);
	chameleon_notify(run.source_name, "verify", detail.data);
	chameleon_xact_commit();
	ereport(LOG,
			(errmsg("verify of source \"%s\" done: %s", run.source_name, detail.data)));
}

/* Entry point of the verify worker. */
void
chameleon_verify_main(Datum main_arg)
{
	ChameleonWorkerArgs args = chameleon_worker_begin();
	MemoryContext cxt;
	MemoryContext table_cxt;
	VerifyParams *params;
	List	   *entries;
	ListCell   *lc;
	char	   *stop = NULL;

	chameleon_mysql_close_at_exit(&verify_conn);

	/*
	 * Each chunk frees what the previous one allocated: let the C library
	 * keep it for the next one instead of giving it back to the kernel
	 * and taking it again (page faults) every chunk.
	 */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
	cxt = AllocSetContextCreate(TopMemoryContext, "chameleon verify", ALLOCSET_DEFAULT_SIZES);
	table_cxt = AllocSetContextCreate(cxt, "chameleon verify table", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);

	/* the text of values compared, and of bounds sent to MySQL, is fixed */
	SetConfigOption("DateStyle", "ISO, YMD", PGC_USERSET, PGC_S_OVERRIDE);
	SetConfigOption("TimeZone", "UTC", PGC_USERSET, PGC_S_OVERRIDE);
	SetConfigOption("IntervalStyle", "postgres", PGC_USERSET, PGC_S_OVERRIDE);
	SetConfigOption("bytea_output", "hex", PGC_USERSET, PGC_S_OVERRIDE);
	SetConfigOption("extra_float_digits", "1", PGC_USERSET, PGC_S_OVERRIDE);

	params = verify_params_read(args.dsm);
	chameleon_xact_begin("chameleon verify: start");
	run.conf = chameleon_conf_load(args.source_id);
	chameleon_xact_commit();
	MemoryContextSwitchTo(cxt);
	run.source_id = args.source_id;
	run.source_name = run.conf->name;
	run.repair = params->repair;
	run.chunk_rows = run.conf->verify_chunk_rows;
	run.pause_ms = run.conf->verify_pause_ms;
	run.mariadb_snapshot = true;
	pgstat_report_appname(psprintf("chameleon verify %s", run.source_name));

	if (!chameleon_state_lock(CHAMELEON_LOCK_VERIFY, run.source_id, run.source_name, false))
	{
		verify_params_queued(psprintf("a verify of source \"%s\" is already running", run.source_name));
		proc_exit(0);
	}
	chameleon_xact_begin("chameleon verify: queue tables");
	entries = queue_tables(params, cxt);
	chameleon_xact_commit();
	MemoryContextSwitchTo(cxt);
	verify_params_queued(NULL);
	ereport(LOG,
			(errmsg("verify of %d tables of source \"%s\" started%s", list_length(entries),
					run.source_name, run.repair ? " (repair)" : "")));

	if (entries == NIL)
	{
		finish_run(NULL);
		proc_exit(0);
	}
	PG_TRY();
	{
		connect_mysql();
		verify_hold_init(&run);
	}
	PG_CATCH();
	{
		ErrorData  *edata = chameleon_worker_error(cxt);

		finish_run(edata->message);
		proc_exit(0);
	}
	PG_END_TRY();

	foreach(lc, entries)
	{
		VerifyEntry *e = (VerifyEntry *) lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (e->refused != NULL)
			continue;
		MemoryContextReset(table_cxt);
		MemoryContextSwitchTo(table_cxt);
		stop = verify_one(e, cxt);
		MemoryContextSwitchTo(cxt);
		if (stop != NULL)
			break;
	}
	finish_run(stop);
	proc_exit(0);
}
