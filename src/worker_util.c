/*-------------------------------------------------------------------------
 *
 * worker_util.c
 *	  Helpers shared by chameleon's background workers: the worker_spi
 *	  transaction recipe, SPI statements with text parameters, NOTIFY
 *	  payloads, quoting.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "worker_util.h"

/* the caller's memory context, current again inside and after the transaction */
static MemoryContext xact_caller_cxt = NULL;

/*
 * Starts a transaction, connects SPI and pushes a snapshot.  The caller's
 * memory context stays current, so what it allocates in the transaction
 * outlives the commit (SPI results stay in SPI's own contexts).
 */
void
chameleon_xact_begin(const char *activity)
{
	xact_caller_cxt = CurrentMemoryContext;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
	MemoryContextSwitchTo(xact_caller_cxt);
}

/* Pops the snapshot, disconnects SPI and commits; back in the caller's context. */
void
chameleon_xact_commit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(true);
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextSwitchTo(xact_caller_cxt);
}

/* Runs a statement through SPI; ERROR when it fails. */
void
chameleon_spi_exec(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc < 0)
		elog(ERROR, "SPI_execute failed (%d): %s", rc, sql);
}

/* Runs a one-value query; returns the value (palloc'd) or NULL. */
char *
chameleon_spi_value(const char *sql)
{
	int			rc = SPI_execute(sql, false, 1);

	if (rc < 0)
		elog(ERROR, "SPI_execute failed (%d): %s", rc, sql);
	if (SPI_processed == 0 || SPI_tuptable == NULL)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/* Runs a statement with text parameters ($1...); returns SPI_processed. */
uint64
chameleon_spi_exec_args(const char *sql, int nargs, const char *const *args)
{
	Oid		   *types = palloc(sizeof(Oid) * Max(nargs, 1));
	Datum	   *values = palloc(sizeof(Datum) * Max(nargs, 1));
	char	   *nulls = palloc(Max(nargs, 1) + 1);
	int			rc;

	for (int i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}
	nulls[nargs] = '\0';
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed (%d): %s", rc, sql);
	return SPI_processed;
}

/* Sends NOTIFY chameleon with {source, event, detail} (in the transaction). */
void
chameleon_notify(const char *source, const char *event, const char *detail)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"source\": ");
	escape_json(&buf, source);
	appendStringInfoString(&buf, ", \"event\": ");
	escape_json(&buf, event);
	appendStringInfoString(&buf, ", \"detail\": ");
	escape_json(&buf, detail ? detail : "");
	appendStringInfoChar(&buf, '}');
	/* a payload must stay under 8000 bytes */
	if (buf.len >= 7900)
	{
		buf.len = 0;
		appendStringInfoString(&buf, "{\"source\": ");
		escape_json(&buf, source);
		appendStringInfoString(&buf, ", \"event\": ");
		escape_json(&buf, event);
		appendStringInfoString(&buf, ", \"detail\": \"(too long, see chameleon.show_errors)\"}");
	}
	Async_Notify("chameleon", buf.data);
}

/* Quoted "schema"."name". */
char *
chameleon_qualified(const char *schema, const char *name)
{
	return psprintf("%s.%s", quote_identifier(schema), quote_identifier(name));
}
