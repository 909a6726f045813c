/*-------------------------------------------------------------------------
 *
 * init_worker.c
 *	  The job worker behind init_replica(), copy_schema(), refresh_schema()
 *	  and sync_tables(): it lists the MySQL tables the job covers, creates
 *	  them (through the DDL translator) in a loading schema, has the copy
 *	  workers fill them, then swaps them into the target schemas in one
 *	  transaction under lock_timeout and records each table's consistency
 *	  point.  A failure leaves the previous tables untouched: the loading
 *	  schemas are dropped, the source goes to state "error" with the
 *	  reason in show_status.last_error and show_errors.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "chameleon.h"
#include "ddl/cddl.h"
#include "jobs.h"
#include "mysql_client.h"
#include "pg_source.h"
#include "source_conf.h"
#include "translate_ddl.h"
#include "worker_util.h"


/* One MySQL table the job covers. */
typedef struct JobTable
{
	char	   *source_schema;
	char	   *source_table;
	const char *target_schema;	/* PostgreSQL schema */
	char	   *load_schema;	/* where it is created and loaded */
	long long	rows_estimated;
} JobTable;

static MYSQL *job_conn = NULL;

/* The loading schema of the n-th mapped PostgreSQL schema of a source. */
static char *
loading_schema_name(int32 source_id, int n)
{
	return psprintf("_chameleon_load_%d_%d", source_id, n);
}

/* Reads type_override into the translator's form (palloc'd). */
static cddl_type_override *
job_type_overrides(int32 source_id, size_t *n)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		args[1] = {Int32GetDatum(source_id)};
	bool		isnull;
	Datum		d;

	*n = 0;
	if (SPI_execute_with_args("SELECT coalesce(config->'type_override', '{}') FROM chameleon.source WHERE source_id = $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed == 0)
		return NULL;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return NULL;
	return chameleon_parse_type_overrides(DatumGetJsonbP(d), n);
}

/* Sets the source's status (and clears or sets last_error). */
static void
set_status(int32 source_id, const char *status, const char *last_error)
{
	char		idbuf[16];
	const char *args[3];

	snprintf(idbuf, sizeof(idbuf), "%d", source_id);
	args[0] = idbuf;
	args[1] = status;
	args[2] = last_error;
	chameleon_spi_exec_args("UPDATE chameleon.source SET status = $2, last_error = $3,"
							" status_changed_at = now() WHERE source_id = $1::integer",
							3, args);
}

/* Lists the MySQL tables the job covers, checking schemas and names exist. */
static List *
job_list_tables(MYSQL *conn, const ChameleonSourceConf *conf, const ChameleonJob *job)
{
	List	   *tables = NIL;
	ListCell   *a;
	ListCell   *b;
	int			n = 0;

	forboth(a, conf->map_mysql, b, conf->map_pg)
	{
		const char *myschema = (const char *) lfirst(a);
		char	   *sql;
		MYSQL_RES  *res;
		MYSQL_ROW	row;
		char	   *lit;

		n++;
		if (job->kind == JOB_REFRESH_SCHEMA && strcmp(job->schema, myschema) != 0)
			continue;
		lit = chameleon_mysql_literal(conn, myschema);
		res = chameleon_mysql_query(conn,
									psprintf("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", lit));
		if (mysql_num_rows(res) == 0)
		{
			mysql_free_result(res);
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("MySQL schema \"%s\" of source \"%s\" does not exist", myschema, conf->name),
					 errhint("Correct schema_mappings with chameleon.alter_source(), or grant the MySQL user access to the schema.")));
		}
		mysql_free_result(res);

		sql = psprintf("SELECT TABLE_NAME, coalesce(TABLE_ROWS, 0) FROM information_schema.TABLES"
					   " WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE'"
					   " ORDER BY coalesce(DATA_LENGTH, 0) DESC, TABLE_NAME", lit);
		res = chameleon_mysql_query(conn, sql);
		while ((row = mysql_fetch_row(res)) != NULL)
		{
			JobTable   *t;

			if (!chameleon_table_selected(conf, myschema, row[0]))
				continue;
			if (job->kind == JOB_SYNC_TABLES)
			{
				char	   *full = psprintf("%s.%s", myschema, row[0]);
				ListCell   *lc;
				bool		wanted = false;

				foreach(lc, job->tables)
					if (strcmp((char *) lfirst(lc), full) == 0)
						wanted = true;
				if (!wanted)
					continue;
			}
			t = palloc0(sizeof(JobTable));
			t->source_schema = pstrdup(myschema);
			t->source_table = pstrdup(row[0]);
			t->target_schema = (const char *) lfirst(b);
			t->load_schema = conf->keep_existing_schema ? pstrdup(t->target_schema)
				: loading_schema_name(conf->source_id, n);
			t->rows_estimated = strtoll(row[1], NULL, 10);
			tables = lappend(tables, t);
		}
		mysql_free_result(res);
	}

	/* every table sync_tables names must exist */
	if (job->kind == JOB_SYNC_TABLES)
	{
		foreach(a, job->tables)
		{
			const char *want = (const char *) lfirst(a);
			bool		found = false;

			foreach(b, tables)
			{
				JobTable   *t = (JobTable *) lfirst(b);

				if (strcmp(psprintf("%s.%s", t->source_schema, t->source_table), want) == 0)
					found = true;
			}
			if (!found)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_TABLE),
						 errmsg("table \"%s\" is not replicated by source \"%s\"", want, conf->name),
						 errdetail("It does not exist in MySQL, is not in a mapped schema, or is excluded by limit_tables/skip_tables."),
						 errhint("Name tables as schema.table with their MySQL names.")));
		}
	}
	return tables;
}

/* Builds a text[] literal from a list of strings. */
static char *
text_array_literal(List *items)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	foreach(lc, items)
	{
		const char *s = (const char *) lfirst(lc);

		if (buf.len > 1)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, '"');
		for (; *s; s++)
		{
			if (*s == '"' || *s == '\\')
				appendStringInfoChar(&buf, '\\');
			appendStringInfoChar(&buf, *s);
		}
		appendStringInfoChar(&buf, '"');
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * Creates one table in its loading schema from MySQL's SHOW CREATE TABLE,
 * and queues it for the copy workers with its post-data statements.
 */
static void
job_create_table(MYSQL *conn, const ChameleonSourceConf *conf, JobTable *t,
				 const cddl_type_override *ov, size_t nov, bool with_data)
{
	char	   *sql = psprintf("SHOW CREATE TABLE %s.%s",
							   chameleon_mysql_ident(t->source_schema),
							   chameleon_mysql_ident(t->source_table));
	MYSQL_RES  *res = chameleon_mysql_query(conn, sql);
	MYSQL_ROW	row = mysql_fetch_row(res);
	unsigned long *lens = mysql_fetch_lengths(res);
	char	   *create;
	cddl_error	err;
	cddl_doc   *doc;
	cddl_options opts;
	cddl_output out;
	List	   *post = NIL;
	List	   *fks = NIL;
	bool		ok;
	char		idbuf[16];
	char		rowsbuf[32];
	const char *args[11];

	if (row == NULL || mysql_num_fields(res) < 2)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("MySQL table \"%s.%s\" disappeared during %s",
						t->source_schema, t->source_table, "the initial copy"),
				 errhint("Run the call again.")));
	create = pnstrdup(row[1], lens[1]);
	mysql_free_result(res);

	memset(&err, 0, sizeof(err));
	memset(&opts, 0, sizeof(opts));
	memset(&out, 0, sizeof(out));
	opts.target_schema = t->load_schema;
	opts.mysql_schema = t->source_schema;
	opts.overrides = ov;
	opts.noverrides = nov;
	opts.defer_keys = with_data;	/* copy_schema: keys at once */

	doc = cddl_parse(create, strlen(create), &err);
	if (doc == NULL || doc->stmts == NULL || doc->stmts->kind != CDDL_STMT_CREATE_TABLE)
	{
		cddl_doc_free(doc);
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("cannot translate the definition of MySQL table \"%s.%s\": %s",
						t->source_schema, t->source_table,
						err.set ? err.message : "not a CREATE TABLE"),
				 errdetail("SHOW CREATE TABLE returned: %s", create),
				 errhint("Exclude the table with skip_tables, or report the statement as a bug.")));
	}
	PG_TRY();
	{
		ok = cddl_translate(doc, doc->stmts, &opts, &out, &err);
		if (ok)
		{
			bool		kept = false;

			/* keep_existing_schema: an existing table stays as it is */
			if (conf->keep_existing_schema)
			{
				char	   *exists = chameleon_spi_value(psprintf("SELECT to_regclass(%s) IS NOT NULL",
																  quote_literal_cstr(chameleon_qualified(t->load_schema, t->source_table))));

				kept = (exists && exists[0] == 't');
			}
			for (cddl_sql *q = kept ? NULL : out.statements; q; q = q->next)
				chameleon_spi_exec(q->text);
			/* keys and indexes: after the data */
			for (cddl_sql *q = kept ? NULL : out.post_data; q; q = q->next)
				post = lappend(post, pstrdup(q->text));
			for (cddl_sql *q = out.foreign_keys; q; q = q->next)
				fks = lappend(fks, pstrdup(q->text));
		}
	}
	PG_FINALLY();
	{
		cddl_doc_free(doc);
	}
	PG_END_TRY();
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("cannot translate the definition of MySQL table \"%s.%s\": %s",
						t->source_schema, t->source_table, err.message),
				 errhint("Use type_override for the column's type, or exclude the table with skip_tables.")));

	/* zero dates become NULL: a NOT NULL date column must accept them */
	if (!conf->keep_existing_schema)
		chameleon_spi_exec(psprintf("DO $chameleon$DECLARE r record; BEGIN"
									" FOR r IN SELECT attname FROM pg_attribute WHERE attrelid = '%s'::regclass"
									" AND attnum > 0 AND NOT attisdropped AND attnotnull"
									" AND atttypid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) LOOP"
									" EXECUTE format('ALTER TABLE %%s ALTER COLUMN %%I DROP NOT NULL', '%s', r.attname);"
									" END LOOP; END$chameleon$",
									chameleon_qualified(t->load_schema, t->source_table),
									chameleon_qualified(t->load_schema, t->source_table)));

	snprintf(idbuf, sizeof(idbuf), "%d", conf->source_id);
	snprintf(rowsbuf, sizeof(rowsbuf), "%lld", t->rows_estimated);
	args[0] = idbuf;
	args[1] = t->target_schema;
	args[2] = t->source_table;
	args[3] = t->source_schema;
	args[4] = t->source_table;
	args[5] = t->load_schema;
	args[6] = rowsbuf;
	args[7] = text_array_literal(post);
	args[8] = text_array_literal(fks);
	args[9] = with_data ? "pending" : "done";
	args[10] = with_data ? "true" : "false";
	chameleon_spi_exec_args("INSERT INTO chameleon.table_progress (source_id, schema_name, table_name,"
							" source_schema, source_table, load_schema, rows_estimated, post_data,"
							" foreign_keys, state, with_data)"
							" VALUES ($1::integer, $2, $3, $4, $5, $6, $7::bigint, $8::text[], $9::text[],"
							" $10, $11::boolean)", 11, args);
}

/* Drops the loading schemas of a source (leftovers included). */
static void
drop_loading_schemas(int32 source_id)
{
	chameleon_spi_exec(psprintf("DO $chameleon$DECLARE r record; BEGIN"
								" FOR r IN SELECT nspname FROM pg_namespace WHERE nspname LIKE '\\_chameleon\\_load\\_%d\\_%%' LOOP"
								" EXECUTE format('DROP SCHEMA %%I CASCADE', r.nspname);"
								" END LOOP; END$chameleon$", source_id));
}

/*
 * Moves every loaded table into its target schema, in one transaction
 * under lock_timeout, and records it in replica_table.
 */
static void
job_swap(const ChameleonSourceConf *conf, const ChameleonJob *job)
{
	char		idbuf[16];
	const char *args[2];
	MemoryContext cxt = CurrentMemoryContext;
	List	   *rows = NIL;
	ListCell   *lc;

	snprintf(idbuf, sizeof(idbuf), "%d", conf->source_id);
	args[0] = idbuf;
	chameleon_spi_exec(psprintf("SET LOCAL lock_timeout = %s", quote_literal_cstr(conf->lock_timeout)));

	chameleon_spi_exec_args("SELECT schema_name, table_name, load_schema FROM chameleon.table_progress"
							" WHERE source_id = $1::integer ORDER BY schema_name, table_name", 1, args);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		char	  **r = palloc(sizeof(char *) * 3);

		for (int k = 0; k < 3; k++)
			r[k] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, k + 1);
		rows = lappend(rows, r);
		MemoryContextSwitchTo(old);
	}

	foreach(lc, rows)
	{
		char	  **r = (char **) lfirst(lc);
		const char *target = r[0];
		const char *table = r[1];
		const char *load = r[2];
		char	   *qtarget = chameleon_qualified(target, table);
		ListCell   *g;

		chameleon_spi_exec(psprintf("CREATE SCHEMA IF NOT EXISTS %s", quote_identifier(target)));
		if (strcmp(load, target) != 0)
		{
			char	   *qload = chameleon_qualified(load, table);

			chameleon_spi_exec(psprintf("DROP TABLE IF EXISTS %s", qtarget));
			/* enum types live beside their table */
			chameleon_spi_exec(psprintf("DO $chameleon$DECLARE r record; BEGIN"
										" FOR r IN SELECT DISTINCT t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
										" WHERE a.attrelid = '%s'::regclass AND t.typtype = 'e'"
										" AND t.typnamespace = %s::regnamespace LOOP"
										" EXECUTE format('DROP TYPE IF EXISTS %%I.%%I', %s, r.typname);"
										" EXECUTE format('ALTER TYPE %%I.%%I SET SCHEMA %%I', %s, r.typname, %s);"
										" END LOOP; END$chameleon$",
										qload, quote_literal_cstr(quote_identifier(load)),
										quote_literal_cstr(target), quote_literal_cstr(load),
										quote_literal_cstr(target)));
			chameleon_spi_exec(psprintf("ALTER TABLE %s SET SCHEMA %s", qload, quote_identifier(target)));
		}
		/* identity and serial sequences continue after the copied rows */
		chameleon_spi_exec(psprintf("DO $chameleon$DECLARE r record; m bigint; BEGIN"
									" FOR r IN SELECT attname FROM pg_attribute WHERE attrelid = '%s'::regclass"
									" AND attnum > 0 AND NOT attisdropped"
									" AND pg_get_serial_sequence(%s, attname) IS NOT NULL LOOP"
									" EXECUTE format('SELECT max(%%I)::bigint FROM %%s', r.attname, %s) INTO m;"
									" IF m IS NOT NULL THEN PERFORM setval(pg_get_serial_sequence(%s, r.attname), m); END IF;"
									" END LOOP; END$chameleon$",
									qtarget, quote_literal_cstr(qtarget), quote_literal_cstr(qtarget),
									quote_literal_cstr(qtarget)));
		foreach(g, conf->grant_select_to)
			chameleon_spi_exec(psprintf("GRANT SELECT ON %s TO %s", qtarget,
										quote_identifier((char *) lfirst(g))));
	}

	/* tables gone from MySQL leave the replica on a full init or refresh */
	if (job->kind == JOB_INIT_REPLICA || job->kind == JOB_REFRESH_SCHEMA)
	{
		args[1] = job->kind == JOB_REFRESH_SCHEMA ? job->schema : NULL;
		chameleon_spi_exec_args("SELECT format('DROP TABLE IF EXISTS %I.%I', r.schema_name, r.table_name)"
								"  FROM chameleon.replica_table r"
								" WHERE r.source_id = $1::integer AND ($2::text IS NULL OR r.source_schema = $2)"
								"   AND NOT EXISTS (SELECT 1 FROM chameleon.table_progress p"
								"                    WHERE p.source_id = r.source_id AND p.schema_name = r.schema_name"
								"                      AND p.table_name = r.table_name)", 2, args);
		{
			List	   *drops = NIL;

			for (uint64 i = 0; i < SPI_processed; i++)
			{
				MemoryContext old = MemoryContextSwitchTo(cxt);

				drops = lappend(drops, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
				MemoryContextSwitchTo(old);
			}
			foreach(lc, drops)
				chameleon_spi_exec((char *) lfirst(lc));
		}
		chameleon_spi_exec_args("DELETE FROM chameleon.replica_table r"
								" WHERE r.source_id = $1::integer AND ($2::text IS NULL OR r.source_schema = $2)"
								"   AND NOT EXISTS (SELECT 1 FROM chameleon.table_progress p"
								"                    WHERE p.source_id = r.source_id AND p.schema_name = r.schema_name"
								"                      AND p.table_name = r.table_name)", 2, args);
	}

	chameleon_spi_exec_args("INSERT INTO chameleon.replica_table AS r (source_id, source_schema, source_table,"
							" schema_name, table_name, enabled, consistent,"
							" snapshot_file, snapshot_pos, snapshot_gtid, foreign_keys, disabled_reason)"
							" SELECT source_id, source_schema, source_table, schema_name, table_name,"
							"        true, false, snapshot_file, snapshot_pos,"
							"        snapshot_gtid, foreign_keys, NULL"
							"   FROM chameleon.table_progress WHERE source_id = $1::integer"
							" ON CONFLICT (source_id, source_schema, source_table) DO UPDATE SET"
							"   schema_name = excluded.schema_name, table_name = excluded.table_name,"
							"   enabled = true, consistent = false, syncing = false,"
							"   snapshot_file = excluded.snapshot_file, snapshot_pos = excluded.snapshot_pos,"
							"   snapshot_gtid = excluded.snapshot_gtid, foreign_keys = excluded.foreign_keys,"
							"   disabled_reason = NULL", 1, args);
	/* the keys as built: the same choice as the replay makes after DDL */
	chameleon_spi_exec_args("SELECT chameleon._refresh_identity(source_id, source_schema, source_table)"
							"  FROM chameleon.table_progress WHERE source_id = $1::integer", 1, args);
	chameleon_spi_exec_args("UPDATE chameleon.table_progress SET state = 'done',"
							" finished = coalesce(finished, clock_timestamp())"
							" WHERE source_id = $1::integer", 1, args);

	/* the stream starts at the earliest table snapshot (init) */
	if (job->kind == JOB_INIT_REPLICA)
		chameleon_spi_exec_args("UPDATE chameleon.source s SET read_file = p.snapshot_file,"
								" read_pos = p.snapshot_pos, read_gtid = p.snapshot_gtid,"
								" replay_file = p.snapshot_file, replay_pos = p.snapshot_pos,"
								" replay_gtid = p.snapshot_gtid, consistent = false,"
								" read_pending_since = NULL, replay_pending_since = NULL"
								" FROM (SELECT snapshot_file, snapshot_pos, snapshot_gtid"
								"         FROM chameleon.table_progress"
								"        WHERE source_id = $1::integer AND snapshot_file IS NOT NULL"
								"        ORDER BY snapshot_file, snapshot_pos LIMIT 1) p"
								" WHERE s.source_id = $1::integer", 1, args);
	drop_loading_schemas(conf->source_id);
}

/* Runs the job; ERROR on any failure. */
static void
job_run(ChameleonJob *job)
{
	ChameleonSourceConf *conf;
	List	   *tables;
	ListCell   *lc;
	cddl_type_override *ov;
	size_t		nov;
	bool		with_data = (job->kind != JOB_COPY_SCHEMA);
	const char *busy_status;
	const char *final_status;
	bool		running;
	char	   *failed;
	char	   *discarded;
	MemoryContext jobcxt = CurrentMemoryContext;
	MemoryContext old;
	int			nhelpers;
	List	   *handles = NIL;

	/* claim the source and set its state */
	chameleon_xact_begin("chameleon: start job");
	old = MemoryContextSwitchTo(jobcxt);
	conf = chameleon_load_source_conf(job->source_id);
	MemoryContextSwitchTo(old);
	running = strcmp(conf->status, "running") == 0;
	busy_status = job->kind == JOB_SYNC_TABLES ? "syncing" : "initialising";
	final_status = job->kind == JOB_SYNC_TABLES ? "synced" : "initialised";
	if (running)
		busy_status = final_status = "running";
	set_status(job->source_id, busy_status, NULL);
	drop_loading_schemas(job->source_id);
	chameleon_spi_exec(psprintf("DELETE FROM chameleon.table_progress WHERE source_id = %d", job->source_id));
	chameleon_xact_commit();

	if (strcmp(conf->type, "pgsql") == 0)
	{
		if (job->kind != JOB_INIT_REPLICA && job->kind != JOB_COPY_SCHEMA)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s() is not available for sources of type pgsql",
							chameleon_job_name(job->kind)),
					 errhint("A pgsql source has no change stream: run init_replica() again.")));
		chameleon_pg_source_copy(conf, job->source_id, with_data);
		tables = NIL;
		goto swap;
	}

	job_conn = chameleon_mysql_connect(conf, "initial copy");
	{
		MYSQL_RES  *res = chameleon_mysql_query(job_conn, "SELECT @@GLOBAL.log_bin, @@GLOBAL.binlog_format");
		MYSQL_ROW	row = mysql_fetch_row(res);

		if (row == NULL || row[0] == NULL || strcmp(row[0], "1") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the binary log of MySQL server %s:%d is disabled", conf->host, conf->port),
					 errhint("Start the server with log_bin, binlog_format=ROW and binlog_row_image=FULL.")));
		if (row[1] == NULL || strcmp(row[1], "ROW") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("MySQL server %s:%d writes its binary log in %s format", conf->host,
							conf->port, row[1] ? row[1] : "unknown"),
					 errhint("Set binlog_format=ROW on the server (SET GLOBAL binlog_format = 'ROW' and in its configuration).")));
		mysql_free_result(res);
		/* the replica will need these privileges: say so now, not later */
		res = chameleon_mysql_query(job_conn, "SHOW MASTER STATUS");
		mysql_free_result(res);
	}

	tables = job_list_tables(job_conn, conf, job);

	/* create every table in its loading schema and queue it */
	chameleon_xact_begin("chameleon: create tables");
	old = MemoryContextSwitchTo(jobcxt);
	ov = job_type_overrides(job->source_id, &nov);
	MemoryContextSwitchTo(old);
	foreach(lc, tables)
	{
		JobTable   *t = (JobTable *) lfirst(lc);

		chameleon_spi_exec(psprintf("CREATE SCHEMA IF NOT EXISTS %s", quote_identifier(t->load_schema)));
		job_create_table(job_conn, conf, t, ov, nov, with_data);
	}
	if (running)
	{
		/*
		 * The source keeps replicating during the copy: from now on the
		 * replay holds these tables' row changes (replay_hold.c) until the
		 * swap tells it which ones the new copies lack.  This commits
		 * before any snapshot is taken.
		 */
		chameleon_spi_exec(psprintf("INSERT INTO chameleon.replica_table AS r (source_id, source_schema, source_table,"
									" schema_name, table_name, enabled, consistent, syncing)"
									" SELECT source_id, source_schema, source_table, schema_name, table_name, false, false, true"
									"   FROM chameleon.table_progress WHERE source_id = %d"
									" ON CONFLICT (source_id, source_schema, source_table) DO UPDATE SET syncing = true",
									job->source_id));
	}
	chameleon_xact_commit();
	mysql_close(job_conn);
	job_conn = NULL;

	/* copy: helpers plus this process, all taking tables from the queue */
	if (with_data && tables != NIL)
	{
		nhelpers = Min(chameleon_copy_workers, list_length(tables)) - 1;
		for (int i = 0; i < nhelpers; i++)
		{
			BackgroundWorkerHandle *h;

			if (!chameleon_register_worker(CHAMELEON_WORKER_COPY, job->source_id,
										   conf->name, DSM_HANDLE_INVALID, &h))
			{
				ereport(LOG,
						(errmsg("chameleon: no free worker slot for another copy worker of source \"%s\"; copying with %d",
								conf->name, i + 1)));
				break;
			}
			handles = lappend(handles, h);
		}
		chameleon_copy_tables(conf);
		foreach(lc, handles)
			(void) WaitForBackgroundWorkerShutdown((BackgroundWorkerHandle *) lfirst(lc));
	}

	/* swap, or report the first failure */
swap:
	chameleon_xact_begin("chameleon: swap tables");
	failed = chameleon_spi_value(psprintf("SELECT format('table %%I.%%I: %%s', source_schema, source_table, coalesce(error, 'copy did not finish'))"
										  "  FROM chameleon.table_progress WHERE source_id = %d AND state NOT IN ('swapping', 'done')"
										  " ORDER BY state = 'failed' DESC LIMIT 1", job->source_id));
	if (failed != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not copy %s", failed),
				 errhint("Fix the cause and run the call again; the previous tables are untouched.")));
	job_swap(conf, job);
	set_status(job->source_id, final_status, NULL);
	discarded = chameleon_spi_value(psprintf("SELECT format('%%s tables, %%s rows copied, %%s rows discarded',"
											 " count(*), coalesce(sum(rows_copied), 0), coalesce(sum(rows_discarded), 0))"
											 " FROM chameleon.table_progress WHERE source_id = %d", job->source_id));
	chameleon_notify(conf->name, psprintf("%s done", chameleon_job_name(job->kind)), discarded);
	ereport(LOG,
			(errmsg("chameleon: %s of source \"%s\" finished: %s",
					chameleon_job_name(job->kind), conf->name, discarded)));
	chameleon_xact_commit();
}

/* Records a failed job: state error, show_errors, loading schemas gone. */
static void
job_record_failure(ChameleonJob *job, const char *message)
{
	char		idbuf[16];
	const char *args[2];

	chameleon_xact_begin("chameleon: record failure");
	snprintf(idbuf, sizeof(idbuf), "%d", job->source_id);
	args[0] = idbuf;
	args[1] = message;
	chameleon_spi_exec_args("UPDATE chameleon.source SET status = CASE WHEN status = 'running' THEN status ELSE 'error' END,"
							" last_error = $2, status_changed_at = now() WHERE source_id = $1::integer", 2, args);
	/* a failed sync on a running source: the old tables get their held rows */
	chameleon_spi_exec_args("DELETE FROM chameleon.replica_table WHERE source_id = $1::integer AND syncing"
							"   AND to_regclass(format('%I.%I', schema_name, table_name)) IS NULL", 1, args);
	chameleon_spi_exec_args("UPDATE chameleon.replica_table SET syncing = false"
							" WHERE source_id = $1::integer AND syncing", 1, args);
	chameleon_spi_exec_args("INSERT INTO chameleon.error_log (source_id, error_message) VALUES ($1::integer, $2)",
							2, args);
	chameleon_spi_exec_args("UPDATE chameleon.table_progress SET state = 'failed', finished = clock_timestamp()"
							" WHERE source_id = $1::integer AND state NOT IN ('done', 'failed')", 1, args);
	drop_loading_schemas(job->source_id);
	chameleon_notify(job->source_name, "error", message);
	chameleon_xact_commit();
}

/* Entry point of the job worker. */
void
chameleon_job_main(Datum main_arg)
{
	int32		extra[3];
	ChameleonJob *job;
	MemoryContext jobcxt;
	volatile bool locked = false;

	memcpy(extra, MyBgworkerEntry->bgw_extra, sizeof(extra));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid((Oid) extra[2], InvalidOid, 0);
	chameleon_mysql_close_at_exit(&job_conn);

	jobcxt = AllocSetContextCreate(TopMemoryContext, "chameleon job", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(jobcxt);
	job = chameleon_read_job(DatumGetUInt32(main_arg), extra[1]);
	pgstat_report_appname(psprintf("chameleon init %s", job->source_name));

	PG_TRY();
	{
		chameleon_xact_begin("chameleon: lock source");
		locked = DatumGetBool(DirectFunctionCall2(pg_try_advisory_lock_int4,
												  Int32GetDatum(CHAMELEON_JOB_LOCK_CLASS),
												  Int32GetDatum(job->source_id)));
		chameleon_xact_commit();
		if (!locked)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("another job of source \"%s\" is running", job->source_name),
					 errhint("Wait for it to finish; chameleon.init_progress shows its progress.")));
		MemoryContextSwitchTo(jobcxt);
		job_run(job);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		char	   *msg;

		MemoryContextSwitchTo(jobcxt);
		edata = CopyErrorData();
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		if (job_conn != NULL)
		{
			mysql_close(job_conn);
			job_conn = NULL;
		}
		msg = edata->hint ? psprintf("%s (%s)", edata->message, edata->hint) : edata->message;
		if (locked)
			job_record_failure(job, msg);
		proc_exit(1);
	}
	PG_END_TRY();
	proc_exit(0);
}
