/*-------------------------------------------------------------------------
 *
 * pg_source.c
 *	  init_replica() and copy_schema() for sources of type "pgsql": the
 *	  tables of another PostgreSQL database, read through libpq in one
 *	  REPEATABLE READ snapshot, created from its catalogue (columns, types,
 *	  NOT NULL, defaults of plain constants; keys and indexes after the
 *	  data) and streamed with COPY ... TO STDOUT straight into COPY FROM in
 *	  this server, as pg_chameleon does.  There is no change stream for
 *	  this source type.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "commands/copy.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "libpq-fe.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "catalog.h"
#include "jobs.h"
#include "names.h"
#include "pg_source.h"
#include "worker_util.h"

static PGconn *src_conn = NULL;

/* the COPY data the callback hands out: one row of the source at a time */
static char *copy_row = NULL;
static int	copy_row_len = 0;
static int	copy_row_pos = 0;
static uint64 copy_rows = 0;

/* Closes the source connection at exit. */
static void
pg_source_close(int code, Datum arg)
{
	if (src_conn != NULL)
	{
		PQfinish(src_conn);
		src_conn = NULL;
	}
}

/* Raises the source connection's error. */
static void
pg_source_error(const char *what) pg_attribute_noreturn();
static void
pg_source_error(const char *what)
{
	char	   *msg = pstrdup(PQerrorMessage(src_conn));

	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("PostgreSQL source error while %s: %s", what, pchomp(msg))));
}

/* Runs a query on the source; ERROR unless it returns tuples/commands ok. */
static PGresult *
src_exec(const char *sql, int nparams, const char *const *params)
{
	PGresult   *res;

	CHECK_FOR_INTERRUPTS();
	res = PQexecParams(src_conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		PQclear(res);
		pg_source_error(sql);
	}
	return res;
}

/* Connects to the source database with the source's db_conn. */
static void
pg_source_connect(const ChameleonSourceConf *conf)
{
	const char *keys[9];
	const char *vals[9];
	char		port[16];
	char		timeout[16];
	int			n = 0;

	snprintf(port, sizeof(port), "%d", conf->port);
	snprintf(timeout, sizeof(timeout), "%d", conf->connect_timeout);
	keys[n] = "host", vals[n++] = conf->host;
	keys[n] = "port", vals[n++] = port;
	keys[n] = "user", vals[n++] = conf->user;
	keys[n] = "password", vals[n++] = conf->password ? conf->password : "";
	keys[n] = "dbname", vals[n++] = conf->database ? conf->database : "postgres";
	keys[n] = "connect_timeout", vals[n++] = timeout;
	keys[n] = "application_name", vals[n++] = "chameleon";
	keys[n] = "sslmode", vals[n++] = (conf->ssl_mode && strcmp(conf->ssl_mode, "required") == 0) ? "require" : "prefer";
	keys[n] = NULL, vals[n] = NULL;

	src_conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(src_conn) != CONNECTION_OK)
	{
		char	   *msg = pstrdup(PQerrorMessage(src_conn));

		PQfinish(src_conn);
		src_conn = NULL;
		ereport(ERROR,
				(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				 errmsg("could not connect to PostgreSQL server %s:%d as \"%s\" for the initial copy of source \"%s\": %s",
						conf->host, conf->port, conf->user ? conf->user : "",
						conf->name, pchomp(msg)),
				 errhint("Check db_conn (host, port, user, password, database) with chameleon.alter_source().")));
	}
}

/*
 * Builds CREATE TABLE (with the table's fillfactor, 0: none) and the
 * post-data statements of one source table.
 */
static void
describe_table(const char *sschema, const char *stable, const char *load,
			   int fillfactor, StringInfo create, List **post, List **columns)
{
	const char *params[2] = {sschema, stable};
	PGresult   *res;
	char	   *qload = chameleon_qualified(load, stable);

	res = src_exec("SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
				   "       CASE WHEN d.adbin IS NOT NULL AND pg_get_expr(d.adbin, d.adrelid) !~ '(nextval|\\()'"
				   "            THEN pg_get_expr(d.adbin, d.adrelid) END,"
				   "       a.attidentity"
				   "  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
				   "  JOIN pg_namespace n ON n.oid = c.relnamespace"
				   "  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
				   " WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped"
				   "   AND a.attgenerated = ''"
				   " ORDER BY a.attnum", 2, params);
	appendStringInfo(create, "CREATE TABLE %s (", qload);
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *type = PQgetvalue(res, i, 1);

		if (i > 0)
			appendStringInfoString(create, ", ");
		appendStringInfo(create, "%s %s", quote_identifier(PQgetvalue(res, i, 0)), type);
		if (PQgetvalue(res, i, 4)[0] != '\0')
			appendStringInfo(create, " GENERATED %s AS IDENTITY",
							 PQgetvalue(res, i, 4)[0] == 'a' ? "ALWAYS" : "BY DEFAULT");
		else if (!PQgetisnull(res, i, 3))
			appendStringInfo(create, " DEFAULT %s", PQgetvalue(res, i, 3));
		if (PQgetvalue(res, i, 2)[0] == 't')
			appendStringInfoString(create, " NOT NULL");
		*columns = lappend(*columns, pstrdup(PQgetvalue(res, i, 0)));
	}
	appendStringInfoChar(create, ')');
	if (fillfactor > 0)
		appendStringInfo(create, " WITH (fillfactor = %d)", fillfactor);
	PQclear(res);

	/* keys as constraints, other indexes rebuilt on the new table */
	res = src_exec("SELECT i.indisprimary, i.indisunique, ic.relname,"
				   "       pg_get_indexdef(i.indexrelid), pg_get_constraintdef(con.oid)"
				   "  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
				   "  JOIN pg_namespace n ON n.oid = c.relnamespace"
				   "  JOIN pg_class ic ON ic.oid = i.indexrelid"
				   "  LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u')"
				   " WHERE n.nspname = $1 AND c.relname = $2"
				   " ORDER BY NOT i.indisprimary, ic.relname", 2, params);
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *def = PQgetvalue(res, i, 3);
		const char *using = strstr(def, " USING ");

		if (!PQgetisnull(res, i, 4))
			*post = lappend(*post, psprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", qload,
											quote_identifier(PQgetvalue(res, i, 2)),
											PQgetvalue(res, i, 4)));
		else if (using != NULL)
			*post = lappend(*post, psprintf("CREATE %sINDEX %s ON %s%s",
											PQgetvalue(res, i, 1)[0] == 't' ? "UNIQUE " : "",
											quote_identifier(PQgetvalue(res, i, 2)), qload, using));
	}
	PQclear(res);
}

/* COPY FROM's data source: the rows of the source's COPY TO STDOUT. */
static int
src_copy_cb(void *outbuf, int minread, int maxread)
{
	int			n;

	if (copy_row_pos >= copy_row_len)
	{
		if (copy_row != NULL)
			PQfreemem(copy_row);
		copy_row = NULL;
		copy_row_len = PQgetCopyData(src_conn, &copy_row, 0);
		copy_row_pos = 0;
		if (copy_row_len == -2)
			pg_source_error("reading COPY data");
		if (copy_row_len <= 0)
		{
			copy_row_len = 0;
			return 0;
		}
		copy_rows++;
		if ((copy_rows & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	n = Min(maxread, copy_row_len - copy_row_pos);
	memcpy(outbuf, copy_row + copy_row_pos, n);
	copy_row_pos += n;
	return n;
}

/* Streams one source table into its loading table. */
static uint64
copy_table(const char *sschema, const char *stable, const char *load, List *columns)
{
	StringInfoData sql;
	ListCell   *lc;
	List	   *attnames = NIL;
	PGresult   *res;
	Relation	rel;
	ParseState *pstate;
	CopyFromState cstate;
	uint64		n;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "COPY (SELECT ");
	foreach(lc, columns)
	{
		if (lc != list_head(columns))
			appendStringInfoString(&sql, ", ");
		appendStringInfoString(&sql, quote_identifier((char *) lfirst(lc)));
		attnames = lappend(attnames, makeString((char *) lfirst(lc)));
	}
	appendStringInfo(&sql, " FROM %s) TO STDOUT", chameleon_qualified(sschema, stable));
	res = PQexec(src_conn, sql.data);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
	{
		PQclear(res);
		pg_source_error(sql.data);
	}
	PQclear(res);

	rel = table_openrv(makeRangeVar(pstrdup(load), pstrdup(stable), -1), RowExclusiveLock);
	pstate = make_parsestate(NULL);
	(void) addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, NULL, false, false);
	copy_row = NULL;
	copy_row_len = copy_row_pos = 0;
	copy_rows = 0;
	cstate = BeginCopyFrom(pstate, rel, NULL, NULL, false, src_copy_cb, attnames, NIL);
	n = CopyFrom(cstate);
	EndCopyFrom(cstate);
	table_close(rel, NoLock);
	/* the end of COPY OUT */
	while ((res = PQgetResult(src_conn)) != NULL)
	{
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			PQclear(res);
			pg_source_error("finishing COPY");
		}
		PQclear(res);
	}
	return n;
}

/*
 * Runs init_replica (with_data) or copy_schema for a pgsql source: every
 * table ends in chameleon.table_progress ready to be swapped in.
 */
void
chameleon_pg_source_copy(const ChameleonSourceConf *conf, int32 source_id, bool with_data)
{
	ListCell   *a;
	ListCell   *b;
	int			nschema = 0;
	PGresult   *res;
	cddl_options fill;

	memset(&fill, 0, sizeof(fill));
	fill.fillfactors = conf->fillfactors;
	fill.nfillfactors = conf->nfillfactors;
	before_shmem_exit(pg_source_close, (Datum) 0);
	pg_source_connect(conf);
	PQclear(src_exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL));

	forboth(a, conf->map_mysql, b, conf->map_pg)
	{
		const char *sschema = (const char *) lfirst(a);
		const char *target = (const char *) lfirst(b);
		char	   *load = chameleon_loading_schema_name(source_id, ++nschema);
		const char *params[1] = {sschema};

		res = src_exec("SELECT count(*) FROM pg_namespace WHERE nspname = $1", 1, params);
		if (strcmp(PQgetvalue(res, 0, 0), "0") == 0)
		{
			PQclear(res);
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"%s\" of source \"%s\" does not exist", sschema, conf->name),
					 errhint("Correct schema_mappings with chameleon.alter_source().")));
		}
		PQclear(res);
		res = src_exec("SELECT c.relname, greatest(c.reltuples, 0)::bigint FROM pg_class c"
					   "  JOIN pg_namespace n ON n.oid = c.relnamespace"
					   " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
					   " ORDER BY c.relname", 1, params);
		for (int i = 0; i < PQntuples(res); i++)
		{
			char	   *stable = pstrdup(PQgetvalue(res, i, 0));
			StringInfoData create;
			List	   *post = NIL;
			List	   *columns = NIL;
			uint64		rows = 0;
			ListCell   *lc;

			if (!chameleon_table_selected(conf, sschema, stable))
				continue;
			initStringInfo(&create);
			describe_table(sschema, stable, load, cddl_fillfactor_for(&fill, sschema, stable),
						   &create, &post, &columns);

			chameleon_xact_begin("chameleon: copy a PostgreSQL table");
			chameleon_cat_exec_dynamic(psprintf("CREATE SCHEMA IF NOT EXISTS %s", quote_identifier(load)));
			chameleon_cat_exec_dynamic(create.data);
			if (with_data)
				rows = copy_table(sschema, stable, load, columns);
			foreach(lc, post)
				chameleon_cat_exec_dynamic((char *) lfirst(lc));

			CAT_RUN("INSERT INTO chameleon.table_progress (source_id, schema_name, table_name,"
					"       source_schema, source_table, load_schema, rows_estimated, rows_copied,"
					"       with_data, state, started, finished)"
					" VALUES ($1, $2, $3, $4, $3, $5, $6, $6, $7, 'swapping',"
					"         clock_timestamp(), clock_timestamp())",
					cat_int4(source_id), cat_text(target), cat_text(stable), cat_text(sschema),
					cat_text(load), cat_int8((int64) rows), cat_bool(with_data));
			chameleon_xact_commit();
		}
		PQclear(res);
	}
	PQclear(src_exec("COMMIT", 0, NULL));
	PQfinish(src_conn);
	src_conn = NULL;
}
