/*-------------------------------------------------------------------------
 *
 * copy_job.c
 *	  The copy job, the worker behind init_replica(), copy_schema(),
 *	  refresh_schema() and sync_tables(): it lists the MySQL tables the job
 *	  covers, creates them (through the DDL translator) in a loading
 *	  schema, has the copy workers fill them (copy_worker.c), then swaps
 *	  them into the target schemas in one transaction under lock_timeout
 *	  and records each table's consistency point.  A failure leaves the
 *	  previous tables untouched: the loading schemas are dropped, the source
 *	  goes to state "error" with the reason in show_status.last_error and
 *	  show_errors.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
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
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "chameleon.h"
#include "ddl/cddl.h"
#include "fk_catalog.h"
#include "geometry.h"
#include "history.h"
#include "jobs.h"
#include "mysql_client.h"
#include "names.h"
#include "owner.h"
#include "pg_source.h"
#include "position.h"
#include "source_conf.h"
#include "source_state.h"
#include "target_ops.h"
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
				: chameleon_loading_schema_name(conf->source_id, n);
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

/*
 * Gives the geometry columns of a CREATE TABLE without an SRID in its text
 * the one the server reports: MariaDB keeps REF_SYSTEM_ID out of SHOW
 * CREATE TABLE and shows it in information_schema.GEOMETRY_COLUMNS
 * (MySQL 8 writes SRID n in SHOW CREATE TABLE, and has no such view).
 */
static void
fill_srids(MYSQL *conn, const JobTable *t, cddl_stmt *st)
{
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	bool		wanted = false;

	for (cddl_column *c = st->columns; c; c = c->next)
		if (c->type.base == CDDL_T_GEOMETRY && c->type.srid == 0)
			wanted = true;
	if (!wanted)
		return;
	if (mysql_query(conn, psprintf("SELECT G_GEOMETRY_COLUMN, SRID FROM information_schema.GEOMETRY_COLUMNS"
								   " WHERE G_TABLE_SCHEMA = %s AND G_TABLE_NAME = %s",
								   chameleon_mysql_literal(conn, t->source_schema),
								   chameleon_mysql_literal(conn, t->source_table))) != 0)
		return;
	res = mysql_store_result(conn);
	if (res == NULL)
		return;
	while ((row = mysql_fetch_row(res)) != NULL)
	{
		if (row[0] == NULL || row[1] == NULL)
			continue;
		for (cddl_column *c = st->columns; c; c = c->next)
			if (c->type.base == CDDL_T_GEOMETRY && c->type.srid == 0 &&
				strcmp(c->name, row[0]) == 0)
				c->type.srid = strtol(row[1], NULL, 10);
	}
	mysql_free_result(res);
}

/*
 * Whether a table kept by keep_existing_schema holds its MySQL geometry
 * columns as PostGIS geometry: PostGIS is installed and none of them is
 * anything else in the existing table.
 */
static bool
kept_table_postgis(Oid relid, const cddl_stmt *st)
{
	if (!chameleon_postgis_installed())
		return false;
	for (const cddl_column *c = st->columns; c; c = c->next)
	{
		AttrNumber	att;

		if (c->type.base != CDDL_T_GEOMETRY)
			continue;
		att = get_attnum(relid, chameleon_pg_name(c->name));
		if (att != InvalidAttrNumber &&
			chameleon_geo_target(get_atttype(relid, att)) != CHAMELEON_GEO_POSTGIS)
			return false;
	}
	return true;
}

/*
 * Creates one table in its loading schema from MySQL's SHOW CREATE TABLE,
 * and queues it for the copy workers with its post-data statements.
 */
static void
job_create_table(MYSQL *conn, const ChameleonSourceConf *conf, JobTable *t,
				 bool with_data)
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
	char	   *fk_defs = NULL;
	char	   *layout;
	cddl_flavour flavour;
	bool		ok;
	volatile bool postgis = false;

	if (row == NULL || mysql_num_fields(res) < 2)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("MySQL table \"%s.%s\" disappeared during %s",
						t->source_schema, t->source_table, "the initial copy"),
				 errhint("Run the call again.")));
	create = pnstrdup(row[1], lens[1]);
	mysql_free_result(res);

	/* the schema history starts from this definition (copy_worker.c) */
	{
		char	   *charset = NULL;
		char	   *collation = NULL;
		char	   *why = NULL;

		flavour = chameleon_history_flavour(conn);
		(void) chameleon_history_schema_defaults(conn, t->source_schema, &charset, &collation);
		layout = chameleon_history_canonical(create, t->source_schema, charset, collation,
											 flavour, &why);
	}

	memset(&err, 0, sizeof(err));
	memset(&opts, 0, sizeof(opts));
	memset(&out, 0, sizeof(out));
	opts.target_schema = t->load_schema;
	opts.mysql_schema = t->source_schema;
	opts.overrides = conf->overrides;
	opts.noverrides = conf->noverrides;
	opts.fillfactors = conf->fillfactors;
	opts.nfillfactors = conf->nfillfactors;
	opts.defer_keys = with_data;	/* copy_schema: keys at once */
	/* geometry: PostGIS if it is installed now, for the table's life */
	opts.postgis = chameleon_postgis_installed();

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
		if (opts.postgis)
			fill_srids(conn, t, doc->stmts);
		ok = cddl_translate(doc, doc->stmts, &opts, &out, &err);
		if (ok)
		{
			Oid			kept_relid = InvalidOid;
			bool		kept;

			/* keep_existing_schema: an existing table stays as it is */
			if (conf->keep_existing_schema)
				kept_relid = RangeVarGetRelid(chameleon_rangevar(t->load_schema, t->source_table),
											  NoLock, true);
			kept = OidIsValid(kept_relid);
			postgis = kept ? kept_table_postgis(kept_relid, doc->stmts) : opts.postgis;
			for (cddl_sql *q = kept ? NULL : out.statements; q; q = q->next)
				chameleon_target_exec(q->text);
			/* keys and indexes: after the data */
			for (cddl_sql *q = kept ? NULL : out.post_data; q; q = q->next)
				post = lappend(post, pstrdup(q->text));
			fk_defs = chameleon_fk_defs_json(doc->stmts, t->source_schema);
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
		chameleon_drop_date_not_null(RangeVarGetRelid(chameleon_rangevar(t->load_schema,
																		 t->source_table),
													  NoLock, false));

	CAT_RUN("INSERT INTO chameleon.table_progress (source_id, schema_name, table_name,"
			"       source_schema, source_table, load_schema, rows_estimated, post_data,"
			"       fk_defs, state, with_data, layout, layout_flavour, postgis)"
			" VALUES ($1, $2, $3, $4, $3, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13)",
			cat_int4(conf->source_id), cat_text(t->target_schema), cat_text(t->source_table),
			cat_text(t->source_schema), cat_text(t->load_schema),
			cat_int8(t->rows_estimated), cat_text_array(post), cat_text(fk_defs),
			cat_text(with_data ? "pending" : "done"), cat_bool(with_data),
			cat_text(layout), cat_text(HISTORY_FLAVOUR_NAME(flavour)), cat_bool(postgis));
}

/* Drops the loading schemas of a source (leftovers included), as its owner. */
static void
drop_loading_schemas(int32 source_id, Oid owner)
{
	ChameleonActor actor;

	chameleon_act_as(owner, &actor);
	chameleon_drop_loading_schemas(source_id);
	chameleon_act_end(&actor);
}

/*
 * Moves one loaded table into its target schema (with the enum types of
 * its columns), sets its sequences past the copied rows and grants
 * grant_select_to.
 */
static void
swap_table(const ChameleonSourceConf *conf, const char *target, const char *table,
		   const char *load)
{
	char	   *qtarget = chameleon_qualified(target, table);

	Oid			relid;

	chameleon_target_exec(psprintf("CREATE SCHEMA IF NOT EXISTS %s", quote_identifier(target)));
	relid = RangeVarGetRelid(chameleon_rangevar(load, table), NoLock, false);
	if (strcmp(load, target) != 0)
	{
		chameleon_target_exec(psprintf("DROP TABLE IF EXISTS %s", qtarget));
		/* enum types live beside their table */
		chameleon_move_enum_types(relid, target);
		chameleon_target_exec(psprintf("ALTER TABLE %s SET SCHEMA %s",
									   chameleon_qualified(load, table),
									   quote_identifier(target)));
	}
	/* identity and serial sequences continue after the copied rows */
	chameleon_set_sequences(relid);
	chameleon_grant_select(conf, target, table);
}

/*
 * The init's stream starts at the earliest table snapshot, in binlog
 * order (position.c).
 */
static void
set_stream_start(int32 source_id)
{
	uint64		n;
	char	   *file = NULL;
	int64		pos = 0;
	char	   *gtid = NULL;

	n = CAT_RUN("SELECT snapshot_file, snapshot_pos, snapshot_gtid FROM chameleon.table_progress"
				" WHERE source_id = $1 AND snapshot_file IS NOT NULL",
				cat_int4(source_id));
	for (uint64 i = 0; i < n; i++)
	{
		char	   *f = cat_get_text(i, 1);
		int64		p = cat_get_int8(i, 2, 0);

		if (file == NULL || chameleon_binlog_pos_cmp(f, p, file, pos) < 0)
		{
			file = f;
			pos = p;
			gtid = cat_get_text(i, 3);
		}
	}
	if (file == NULL)
		return;
	CAT_RUN("UPDATE chameleon.source SET read_file = $2, read_pos = $3, read_gtid = $4,"
			"       replay_file = $2, replay_pos = $3, replay_gtid = $4, consistent = false,"
			"       read_pending_since = NULL, replay_pending_since = NULL"
			" WHERE source_id = $1",
			cat_int4(source_id), cat_text(file), cat_int8(pos), cat_text(gtid));
}

/*
 * Moves every loaded table into its target schema, in one transaction
 * under lock_timeout, and records it in replica_table.
 */
static void
job_swap(const ChameleonSourceConf *conf, const ChameleonJob *job)
{
	MemoryContext cxt = CurrentMemoryContext;
	List	   *rows = NIL;
	List	   *drops = NIL;
	ListCell   *lc;
	uint64		n;
	const char *schema = job->kind == JOB_REFRESH_SCHEMA ? job->schema : NULL;

	CAT_RUN("SELECT pg_catalog.set_config('lock_timeout', $1, true)", cat_text(conf->lock_timeout));

	n = CAT_RUN("SELECT schema_name, table_name, load_schema FROM chameleon.table_progress"
				" WHERE source_id = $1 ORDER BY schema_name, table_name",
				cat_int4(conf->source_id));
	for (uint64 i = 0; i < n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		char	  **r = palloc(sizeof(char *) * 3);

		for (int k = 0; k < 3; k++)
			r[k] = cat_get_text(i, k + 1);
		rows = lappend(rows, r);
		MemoryContextSwitchTo(old);
	}
	foreach(lc, rows)
	{
		char	  **r = (char **) lfirst(lc);

		swap_table(conf, r[0], r[1], r[2]);
	}

	/* tables gone from MySQL leave the replica on a full init or refresh */
	if (job->kind == JOB_INIT_REPLICA || job->kind == JOB_REFRESH_SCHEMA)
	{
		n = CAT_RUN("SELECT pg_catalog.format('DROP TABLE IF EXISTS %I.%I', r.schema_name, r.table_name)"
					"  FROM chameleon.replica_table r"
					" WHERE r.source_id = $1 AND ($2::text IS NULL OR r.source_schema = $2)"
					"   AND NOT EXISTS (SELECT 1 FROM chameleon.table_progress p"
					"                    WHERE p.source_id = r.source_id AND p.schema_name = r.schema_name"
					"                      AND p.table_name = r.table_name)",
					cat_int4(conf->source_id), cat_text(schema));
		for (uint64 i = 0; i < n; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			drops = lappend(drops, cat_get_text(i, 1));
			MemoryContextSwitchTo(old);
		}
		foreach(lc, drops)
			chameleon_target_exec((char *) lfirst(lc));
		CAT_RUN("DELETE FROM chameleon.replica_table r"
				" WHERE r.source_id = $1 AND ($2::text IS NULL OR r.source_schema = $2)"
				"   AND NOT EXISTS (SELECT 1 FROM chameleon.table_progress p"
				"                    WHERE p.source_id = r.source_id AND p.schema_name = r.schema_name"
				"                      AND p.table_name = r.table_name)",
				cat_int4(conf->source_id), cat_text(schema));
	}

	CAT_RUN("INSERT INTO chameleon.replica_table AS r (source_id, source_schema, source_table,"
			"       schema_name, table_name, enabled, consistent,"
			"       snapshot_file, snapshot_pos, snapshot_gtid, disabled_reason, postgis)"
			" SELECT source_id, source_schema, source_table, schema_name, table_name,"
			"        true, false, snapshot_file, snapshot_pos, snapshot_gtid, NULL, postgis"
			"   FROM chameleon.table_progress WHERE source_id = $1"
			" ON CONFLICT (source_id, source_schema, source_table) DO UPDATE SET"
			"   schema_name = excluded.schema_name, table_name = excluded.table_name,"
			"   enabled = true, consistent = false, syncing = false,"
			"   snapshot_file = excluded.snapshot_file, snapshot_pos = excluded.snapshot_pos,"
			"   snapshot_gtid = excluded.snapshot_gtid, disabled_reason = NULL,"
			"   postgis = excluded.postgis",
			cat_int4(conf->source_id));
	/* the copied tables' foreign keys, as their CREATE TABLE had them */
	CAT_RUN("DELETE FROM chameleon.foreign_key f"
			" WHERE f.source_id = $1"
			"   AND (EXISTS (SELECT 1 FROM chameleon.table_progress p"
			"                 WHERE p.source_id = f.source_id AND p.source_schema = f.source_schema"
			"                   AND p.source_table = f.source_table)"
			"        OR NOT EXISTS (SELECT 1 FROM chameleon.replica_table r"
			"                        WHERE r.source_id = f.source_id AND r.source_schema = f.source_schema"
			"                          AND r.source_table = f.source_table))",
			cat_int4(conf->source_id));
	CAT_RUN("INSERT INTO chameleon.foreign_key (source_id, source_schema, source_table, fk_name,"
			"       columns, ref_schema, ref_table, ref_columns, on_delete, on_update)"
			" SELECT p.source_id, p.source_schema, p.source_table, d.fk_name, d.columns,"
			"        d.ref_schema, d.ref_table, d.ref_columns, d.on_delete, d.on_update"
			"   FROM chameleon.table_progress p,"
			"        jsonb_to_recordset(p.fk_defs) AS d(fk_name text, columns text[],"
			"            ref_schema text, ref_table text, ref_columns text[],"
			"            on_delete text, on_update text)"
			"  WHERE p.source_id = $1",
			cat_int4(conf->source_id));
	/* the keys as built: the same choice as the replay makes after DDL */
	CAT_RUN("SELECT chameleon._refresh_identity(source_id, source_schema, source_table)"
			"  FROM chameleon.table_progress WHERE source_id = $1",
			cat_int4(conf->source_id));
	CAT_RUN("UPDATE chameleon.table_progress SET state = 'done',"
			"       finished = coalesce(finished, clock_timestamp())"
			" WHERE source_id = $1",
			cat_int4(conf->source_id));
	if (job->kind == JOB_INIT_REPLICA)
		set_stream_start(conf->source_id);
	drop_loading_schemas(conf->source_id, conf->owner);
}

/* Whether the source's status is running (false when the source is gone). */
static bool
source_is_running(int32 source_id)
{
	const char *status = CAT_VALUE("SELECT status FROM chameleon.source WHERE source_id = $1",
								   cat_int4(source_id));

	return status != NULL && strcmp(status, "running") == 0;
}

/* Runs the job; ERROR on any failure. */
static void
job_run(ChameleonJob *job)
{
	ChameleonSourceConf *conf;
	List	   *tables;
	ListCell   *lc;
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
	ChameleonActor actor;

	/* claim the source and set its state */
	chameleon_xact_begin("chameleon: start job");
	old = MemoryContextSwitchTo(jobcxt);
	conf = chameleon_conf_load(job->source_id);
	MemoryContextSwitchTo(old);
	running = source_is_running(job->source_id);
	busy_status = job->kind == JOB_SYNC_TABLES ? "syncing" : "initialising";
	final_status = job->kind == JOB_SYNC_TABLES ? "synced" : "initialised";
	if (running)
		busy_status = final_status = "running";
	chameleon_state_set(job->source_id, busy_status, NULL, true, NULL);
	CAT_RUN("UPDATE chameleon.source SET job_error = NULL WHERE source_id = $1",
			cat_int4(job->source_id));
	drop_loading_schemas(job->source_id, conf->owner);
	CAT_RUN("DELETE FROM chameleon.table_progress WHERE source_id = $1", cat_int4(job->source_id));
	chameleon_xact_commit();

	/*
	 * Everything from here on is done for the source: with its owner's
	 * privileges (catalogue statements keep the worker's).  An error ends
	 * the job, and chameleon_worker_error() returns to the worker's
	 * identity.
	 */
	chameleon_act_as(conf->owner, &actor);

	if (conf->is_pgsql)
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
	foreach(lc, tables)
	{
		JobTable   *t = (JobTable *) lfirst(lc);

		chameleon_target_exec(psprintf("CREATE SCHEMA IF NOT EXISTS %s",
									   quote_identifier(t->load_schema)));
		job_create_table(job_conn, conf, t, with_data);
	}
	if (running)
	{
		/*
		 * The source keeps replicating during the copy: from now on the
		 * replay holds these tables' row changes (replay_hold.c) until the
		 * swap tells it which ones the new copies lack.  This commits
		 * before any snapshot is taken.
		 */
		CAT_RUN("INSERT INTO chameleon.replica_table AS r (source_id, source_schema, source_table,"
				"       schema_name, table_name, enabled, consistent, syncing)"
				" SELECT source_id, source_schema, source_table, schema_name, table_name, false, false, true"
				"   FROM chameleon.table_progress WHERE source_id = $1"
				" ON CONFLICT (source_id, source_schema, source_table) DO UPDATE SET syncing = true",
				cat_int4(job->source_id));
	}
	chameleon_xact_commit();
	if (running)
	{
		/* a running reader learns that these tables are syncing */
		chameleon_catalog_changed();

		/*
		 * A replay round begun before that commit applies these tables'
		 * rows to the old tables: no snapshot may be taken, and so no swap
		 * made, before it ends.  Every later round holds their rows.
		 */
		chameleon_xact_begin("chameleon: wait for the replay's round");
		chameleon_state_round_lock(job->source_id, true);
		chameleon_xact_commit();
	}
	mysql_close(job_conn);
	job_conn = NULL;

	/* copy: helpers plus this process, all taking tables from the queue */
	if (with_data && tables != NIL)
	{
		nhelpers = Min(chameleon_copy_workers, list_length(tables)) - 1;
		for (int i = 0; i < nhelpers; i++)
		{
			BackgroundWorkerHandle *h;

			if (!chameleon_start_worker(CHAMELEON_WORKER_COPY, job->source_id,
										conf->name, 0, MyProcPid, &h))
			{
				ereport(LOG,
						(errmsg("no free worker slot for another copy worker of source \"%s\"; copying with %d",
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
	failed = CAT_VALUE("SELECT pg_catalog.format('table %I.%I: %s', source_schema, source_table,"
					   "                         coalesce(error, 'copy did not finish'))"
					   "  FROM chameleon.table_progress"
					   " WHERE source_id = $1 AND state NOT IN ('swapping', 'done')"
					   " ORDER BY state = 'failed' DESC LIMIT 1",
					   cat_int4(job->source_id));
	if (failed != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not copy %s", failed),
				 errhint("Fix the cause and run the call again; the previous tables are untouched.")));
	job_swap(conf, job);
	chameleon_state_set(job->source_id, final_status, NULL, true, NULL);
	discarded = CAT_VALUE("SELECT pg_catalog.format('%s tables, %s rows copied, %s rows discarded',"
						  "       count(*), coalesce(sum(rows_copied), 0), coalesce(sum(rows_discarded), 0))"
						  "  FROM chameleon.table_progress WHERE source_id = $1",
						  cat_int4(job->source_id));
	chameleon_notify(conf->name, psprintf("%s done", chameleon_job_name(job->kind)), discarded);
	ereport(LOG,
			(errmsg("%s of source \"%s\" finished: %s",
					chameleon_job_name(job->kind), conf->name, discarded)));
	chameleon_xact_commit();
	chameleon_act_end(&actor);
}

/*
 * Records a failed job: state error (a source that runs keeps running),
 * show_errors, the tables it was syncing given back, loading schemas gone.
 */
static void
job_record_failure(ChameleonJob *job, const char *message)
{
	ChameleonFailure f = {0};
	bool		running;
	bool		isnull = true;
	Oid			owner = InvalidOid;

	chameleon_xact_begin("chameleon: record failure");
	if (CAT_RUN("SELECT owner::pg_catalog.oid FROM chameleon.source WHERE source_id = $1",
				cat_int4(job->source_id)) == 0)
	{
		/* the source is gone (dropped, or never committed): nothing to record */
		chameleon_xact_commit();
		ereport(LOG,
				(errmsg("%s of source \"%s\" failed after the source was dropped: %s",
						chameleon_job_name(job->kind), job->source_name, message)));
		return;
	}
	owner = DatumGetObjectId(cat_get_datum(0, 1, &isnull));
	f.message = message;
	running = source_is_running(job->source_id);
	chameleon_state_record_error(job->source_id, job->source_name, &f, !running);
	CAT_RUN("UPDATE chameleon.source SET job_error = $2 WHERE source_id = $1",
			cat_int4(job->source_id), cat_text(message));
	if (running)
	{
		chameleon_state_set(job->source_id, NULL, NULL, true, message);
		chameleon_notify(job->source_name, "error", message);
	}
	/* a failed sync on a running source: the old tables get their held rows */
	CAT_RUN("DELETE FROM chameleon.replica_table WHERE source_id = $1 AND syncing"
			"   AND pg_catalog.to_regclass(pg_catalog.format('%I.%I', schema_name, table_name)) IS NULL",
			cat_int4(job->source_id));
	CAT_RUN("UPDATE chameleon.replica_table SET syncing = false WHERE source_id = $1 AND syncing",
			cat_int4(job->source_id));
	CAT_RUN("UPDATE chameleon.table_progress SET state = 'failed', finished = clock_timestamp()"
			" WHERE source_id = $1 AND state NOT IN ('done', 'failed')",
			cat_int4(job->source_id));
	if (!isnull)
		drop_loading_schemas(job->source_id, owner);
	chameleon_xact_commit();
}

/* Error context of a job: names the job and its source. */
static void
job_error_callback(void *arg)
{
	const ChameleonJob *job = (const ChameleonJob *) arg;

	errcontext("%s of source \"%s\"", chameleon_job_name(job->kind), job->source_name);
}

/* Entry point of the job worker. */
void
chameleon_job_main(Datum main_arg)
{
	ChameleonWorkerArgs args = chameleon_worker_begin();
	ChameleonJob *job;
	MemoryContext jobcxt;
	volatile bool locked = false;
	ErrorContextCallback errcallback;

	chameleon_mysql_close_at_exit(&job_conn);
	jobcxt = AllocSetContextCreate(TopMemoryContext, "chameleon job", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(jobcxt);
	job = chameleon_read_job(args.dsm, args.source_id);
	pgstat_report_appname(psprintf("chameleon init %s", job->source_name));

	errcallback.callback = job_error_callback;
	errcallback.arg = job;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	PG_TRY();
	{
		locked = chameleon_state_lock(CHAMELEON_LOCK_JOB, job->source_id, job->source_name, false);
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
		ErrorData  *edata = chameleon_worker_error(jobcxt);
		char	   *msg;

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
