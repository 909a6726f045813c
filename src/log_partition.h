/*-------------------------------------------------------------------------
 *
 * log_partition.h
 *	  The change log's range sub-partitions: created ahead by the reader,
 *	  dropped whole by the replay once replayed (log_partition.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_LOG_PARTITION_H
#define CHAMELEON_LOG_PARTITION_H

#include "postgres.h"

/* One range sub-partition: events first <= event_id < end. */
typedef struct LogPart
{
	Oid			relid;
	int64		first;
	int64		end;
} LogPart;

/*
 * In a transaction: the sub-partitions of a source's log, lowest range
 * first, in the caller's memory context (NULL when there is none).
 */
extern LogPart *chameleon_log_parts(int32 source_id, int *nparts);

/*
 * Reader, outside any transaction: makes sure sub-partitions cover event
 * ids first_id..last_id (waiting for the lock if they do not) and, when it
 * costs no wait, creates the next one ahead.  *covered caches the end
 * (exclusive) of the highest sub-partition; 0 means unknown.
 */
extern void chameleon_log_ensure(int32 source_id, int64 first_id, int64 last_id,
								 int64 *covered);

/*
 * In a transaction: drops the sub-partitions whose whole range is at or
 * below replayed_upto, except the highest.  wait: wait for the log's lock
 * (bounded by lock_timeout) instead of giving up when it is busy.  Returns
 * the number dropped, or -1 when the log was busy; *lowest_end (if not
 * NULL) receives the end of the lowest sub-partition left (0: none).
 */
extern int	chameleon_log_recycle(int32 source_id, int64 replayed_upto, bool wait,
								  int64 *lowest_end);

/*
 * Replay, outside any transaction, after each round: recycles the log when
 * the replay position has passed a sub-partition, and runs the periodic
 * maintenance (batch_retention) every auto_maintenance_ms (-1: disabled,
 * then every 5 minutes, silently).  Never waits for a lock.
 */
extern void chameleon_log_maintain(int32 source_id, const char *source_name,
								   int64 replayed_upto, int64 auto_maintenance_ms);

#endif							/* CHAMELEON_LOG_PARTITION_H */
