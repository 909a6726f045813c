/*-------------------------------------------------------------------------
 *
 * source_state.h
 *	  The state of a source and who owns it: status changes, errors
 *	  recorded in the catalogue with their notification, tables disabled by
 *	  an error, and the advisory locks that keep one worker of each kind per
 *	  source.  The workers and the install script's functions (through
 *	  chameleon._set_state() and chameleon._record_error()) all go through
 *	  source_state.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_SOURCE_STATE_H
#define CHAMELEON_SOURCE_STATE_H

#include "postgres.h"

/*
 * Advisory lock classes (first key of a two-int4 lock, the source id being
 * the second): session locks for one reader, one replay, one job, one
 * verify per source; a transaction lock held by each replay round.  The
 * values spell CHRD, CHRP, CHML, CHVF, CHRR.
 */
typedef enum ChameleonLockClass
{
	CHAMELEON_LOCK_READER = 0x43485244,
	CHAMELEON_LOCK_REPLAY = 0x43485250,
	CHAMELEON_LOCK_JOB = 0x43484d4c,
	CHAMELEON_LOCK_VERIFY = 0x43485646,
	CHAMELEON_LOCK_ROUND = 0x43485252
} ChameleonLockClass;

/* What went wrong, and where (MySQL names; any member may be NULL). */
typedef struct ChameleonFailure
{
	const char *schema;			/* the MySQL table to blame */
	const char *table;
	const char *sql;			/* the statement that failed */
	const char *message;
} ChameleonFailure;

/*
 * Sets a source's status and desired state (NULL keeps either) and, with
 * set_error, its last_error (NULL clears it).  In a transaction.
 */
extern void chameleon_state_set(int32 source_id, const char *status,
								const char *desired_state, bool set_error,
								const char *last_error);

/*
 * Records a failure in error_log (the table under its PostgreSQL name when
 * it is replicated) and, with enter_error, puts the source in state
 * "error" with it as last_error and sends the "error" notification.  In a
 * transaction.
 */
extern void chameleon_state_record_error(int32 source_id, const char *source_name,
										 const ChameleonFailure *f, bool enter_error);

/*
 * Outside any transaction (an aborted one is cleaned up first): records
 * the failure with enter_error, commits and ends the worker with exit code
 * 0, so that the launcher does not start it again.
 */
extern void chameleon_state_stop_on_error(int32 source_id, const char *source_name,
										  const ChameleonFailure *f) pg_attribute_noreturn();

/*
 * Disables a replicated table after an error (on_error_replay = continue):
 * replica_table, error_log, the "table disabled" notification.  Returns
 * false when the table was not enabled (only the error is recorded).  In
 * a transaction.
 */
extern bool chameleon_state_disable_table(int32 source_id, const char *source_name,
										  const ChameleonFailure *f, const char *reason);

/*
 * Sends NOTIFY chameleon with {source, event, detail} (in the transaction).
 * The detail goes out without the values it quotes (any role that can
 * LISTEN reads it): quoted strings, Key (...)=(...) values, row contents.
 */
extern void chameleon_notify(const char *source, const char *event,
							 const char *detail);

/*
 * Takes the session advisory lock of a source for one kind of worker.
 * With wait, waits for it (interruptibly, saying so in the log once);
 * without, returns false at once when someone else holds it.  Outside any
 * transaction.
 */
extern bool chameleon_state_lock(ChameleonLockClass cls, int32 source_id,
								 const char *source_name, bool wait);

/*
 * Takes, until the end of the current transaction, the lock that a replay
 * round holds shared while it applies, and that a sync_tables() job takes
 * exclusive (holding nothing else) to wait for the round under way.
 * Waits as long as it takes.
 */
extern void chameleon_state_round_lock(int32 source_id, bool exclusive);

#endif							/* CHAMELEON_SOURCE_STATE_H */
