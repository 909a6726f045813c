/*-------------------------------------------------------------------------
 *
 * progress.h
 *	  Progress where a DBA waits: NOTICEs from an SQL call that waits for
 *	  its background worker (wait => true), and the copy of a table shown
 *	  in pg_stat_progress_copy.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_PROGRESS_H
#define CHAMELEON_PROGRESS_H

#include "postgres.h"

#include "postmaster/bgworker.h"

/*
 * How a waiting call reads the progress of its background work.  query
 * takes one integer parameter ($1 = key) and returns one row: items done,
 * items in all, items failed, rows done, rows expected in all (bigint,
 * 0: unknown) and a text detail (may be NULL), e.g. for a copy job
 * "tables", "copied" and "1 copying, 1 building indexes".
 */
typedef struct ChameleonProgress
{
	const char *what;			/* "init_replica of source \"shop\"" */
	const char *query;
	int32		key;
	const char *items;			/* "tables" */
	const char *rows_verb;		/* "copied" */
} ChameleonProgress;

/*
 * Waits until the worker has stopped, interruptibly, raising a NOTICE
 * with the progress every few seconds (the interval grows with the
 * elapsed time, up to a minute).  Without a fresh snapshot per statement
 * (REPEATABLE READ or SERIALIZABLE) it only waits.
 */
extern void chameleon_wait_with_progress(BackgroundWorkerHandle *handle,
										 const ChameleonProgress *progress);

/*
 * The copy of a table as one COPY FROM in pg_stat_progress_copy, across
 * the chunks (each its own COPY, transaction and possibly subtransactions)
 * it is loaded in: set the counters so far (bytes of COPY text, rows
 * loaded, rows discarded) of the table relid; starts the report if needed.
 */
extern void chameleon_copy_progress(Oid relid, uint64 bytes, uint64 rows,
									uint64 discarded);

/* Ends the report of chameleon_copy_progress. */
extern void chameleon_copy_progress_end(void);

/*
 * Runs BeginCopyFrom ... EndCopyFrom work (fn(arg)) without the progress
 * report each COPY FROM makes of itself, which would replace the table's.
 */
extern uint64 chameleon_copy_quietly(uint64 (*fn) (void *arg), void *arg);

#endif							/* CHAMELEON_PROGRESS_H */
