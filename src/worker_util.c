/*-------------------------------------------------------------------------
 *
 * worker_util.c
 *	  Helpers shared by chameleon's background workers: the worker_spi
 *	  transaction recipe and quoting.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/scansup.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "owner.h"
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

/* Quoted "schema"."name". */
char *
chameleon_qualified(const char *schema, const char *name)
{
	return psprintf("%s.%s", quote_identifier(schema), quote_identifier(name));
}

/*
 * A MySQL name (up to 64 characters) as PostgreSQL keeps it: cut to
 * NAMEDATALEN - 1 bytes on a character boundary, as the parser cuts a
 * quoted identifier, so that it compares equal to the catalogue's name.
 */
char *
chameleon_pg_name(const char *name)
{
	char	   *copy = pstrdup(name);

	truncate_identifier(copy, strlen(copy), false);
	return copy;
}

/* The RangeVar of schema.name, both cut as the parser cuts identifiers. */
RangeVar *
chameleon_rangevar(const char *schema, const char *name)
{
	return makeRangeVar(chameleon_pg_name(schema), chameleon_pg_name(name), -1);
}

/* See worker_util.h. */
void
chameleon_nap(long ms, uint32 wait_event)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 ms, wait_event);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Recovers a worker from an error caught with PG_CATCH: reports it to the
 * server log, aborts the transaction and returns a copy of it in cxt
 * (current on return).
 */
ErrorData *
chameleon_worker_error(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	EmitErrorReport();
	AbortOutOfAnyTransaction();
	FlushErrorState();
	/* back to the worker's own identity, if it was acting as an owner */
	if (OidIsValid(chameleon_catalog_user()))
	{
		SetUserIdAndSecContext(chameleon_catalog_user(), 0);
		chameleon_act_reset();
	}
	MemoryContextSwitchTo(cxt);
	return edata;
}

/*
 * Grants the roles of grant_select_to what a reader of a replicated table
 * needs: USAGE on its schema and SELECT on the table.
 */
void
chameleon_grant_select(const ChameleonSourceConf *conf, const char *schema,
					   const char *table)
{
	ListCell   *lc;

	foreach(lc, conf->grant_select_to)
	{
		const char *role = quote_identifier((const char *) lfirst(lc));

		chameleon_target_exec(psprintf("GRANT USAGE ON SCHEMA %s TO %s",
									   quote_identifier(schema), role));
		chameleon_target_exec(psprintf("GRANT SELECT ON %s TO %s",
									   chameleon_qualified(schema, table), role));
	}
}
