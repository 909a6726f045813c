/*-------------------------------------------------------------------------
 *
 * worker_util.h
 *	  Small helpers the chameleon workers share: a transaction with SPI and
 *	  a snapshot, identifiers quoted for PostgreSQL.  Catalogue statements
 *	  go through catalog.h, state changes through source_state.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_WORKER_UTIL_H
#define CHAMELEON_WORKER_UTIL_H

#include "postgres.h"

#include "nodes/primnodes.h"

#include "source_conf.h"

/* Starts a transaction, connects SPI and pushes a snapshot. */
extern void chameleon_xact_begin(const char *activity);

/* Pops the snapshot, disconnects SPI and commits. */
extern void chameleon_xact_commit(void);

/*
 * Recovers a worker from an error caught with PG_CATCH: reports it,
 * aborts the transaction, returns a copy of it in cxt.
 */
extern ErrorData *chameleon_worker_error(MemoryContext cxt);

/* GRANT USAGE on the schema and SELECT on the table to grant_select_to. */
extern void chameleon_grant_select(const ChameleonSourceConf *conf, const char *schema,
								   const char *table);

/* Quoted "schema"."name". */
extern char *chameleon_qualified(const char *schema, const char *name);

/* A MySQL name as PostgreSQL keeps it (at most NAMEDATALEN - 1 bytes). */
extern char *chameleon_pg_name(const char *name);

/* The RangeVar of schema.name, both cut as the parser cuts identifiers. */
extern RangeVar *chameleon_rangevar(const char *schema, const char *name);

/* Sleeps on the process latch for at most ms, then serves interrupts. */
extern void chameleon_nap(long ms, uint32 wait_event);

#endif							/* CHAMELEON_WORKER_UTIL_H */
