/*-------------------------------------------------------------------------
 *
 * worker_util.h
 *	  Small helpers the chameleon workers share: a transaction with SPI and
 *	  a snapshot, statements run through SPI, identifiers quoted for
 *	  PostgreSQL, notifications, errors recorded in the catalogue.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_WORKER_UTIL_H
#define CHAMELEON_WORKER_UTIL_H

#include "postgres.h"

/* Starts a transaction, connects SPI and pushes a snapshot. */
extern void chameleon_xact_begin(const char *activity);

/* Pops the snapshot, disconnects SPI and commits. */
extern void chameleon_xact_commit(void);

/* Runs a statement through SPI; ERROR when it fails. */
extern void chameleon_spi_exec(const char *sql);

/* Runs a one-value query; returns the value (palloc'd) or NULL. */
extern char *chameleon_spi_value(const char *sql);

/* Runs a statement with text parameters ($1...); returns SPI_processed. */
extern uint64 chameleon_spi_exec_args(const char *sql, int nargs,
									  const char *const *args);

/* Sends NOTIFY chameleon with {source, event, detail} (in the transaction). */
extern void chameleon_notify(const char *source, const char *event,
							 const char *detail);

/* Quoted "schema"."name". */
extern char *chameleon_qualified(const char *schema, const char *name);

#endif							/* CHAMELEON_WORKER_UTIL_H */
