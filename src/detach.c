/*-------------------------------------------------------------------------
 *
 * detach.c
 *	  chameleon._stop_source(source_id): how detach_replica() stops a
 *	  running source inside its own transaction, without a commit the
 *	  launcher could act on.  The reader is stopped first (held stopped by
 *	  this backend until its transaction ends, see chameleon_pause_worker);
 *	  then the replay applies every complete source transaction the reader
 *	  logged, and is stopped in turn.  Nothing the reader read is lost, and
 *	  no worker runs while detach_replica() turns the tables into ordinary
 *	  tables; if detach_replica() fails, both start again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/wait_event.h"

#include "catalog.h"
#include "chameleon.h"
#include "worker_util.h"

PG_FUNCTION_INFO_V1(chameleon_sql_stop_source);

/* Waits (interruptibly) until a worker of the source has left its slot. */
static void
wait_worker_gone(int32 source_id, ChameleonWorkerKind kind)
{
	while (chameleon_worker_attached(source_id, kind))
	{
		chameleon_nap(100L, PG_WAIT_EXTENSION);
	}
}

/*
 * Whether the replay has applied every complete source transaction in the
 * log; ERROR when the source stopped on an error meanwhile.
 */
static bool
replay_drained(int32 source_id, const char *name)
{
	bool		done;

	SPI_connect();
	/* each statement takes a new snapshot: the replay's commits are seen */
	if (CAT_RUN("SELECT s.replay_event_id >= coalesce((SELECT max(e.event_id)"
				"          FROM chameleon.log_event e"
				"         WHERE e.source_id = s.source_id AND e.event_kind = 'C'), 0),"
				"       s.status = 'error'"
				"  FROM chameleon.source s WHERE s.source_id = $1",
				cat_int4(source_id)) == 0)
		elog(ERROR, "source %d disappeared", source_id);
	done = cat_get_bool(0, 1, false);
	if (cat_get_bool(0, 2, false))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the replay of source \"%s\" stopped on an error before it applied everything read",
						name),
				 errhint("See chameleon.show_errors; fix the cause, run chameleon.enable_replica() and chameleon.start_replica(), then detach again.")));
	SPI_finish();
	return done;
}

/*
 * chameleon._stop_source(source_id, source_name) returns void: stops the
 * reader, waits for the replay to apply what it read, stops the replay;
 * both stay stopped until the calling transaction ends.
 */
Datum
chameleon_sql_stop_source(PG_FUNCTION_ARGS)
{
	int32		source_id = PG_GETARG_INT32(0);
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(1));

	chameleon_require_shmem();
	chameleon_pause_worker(source_id, CHAMELEON_WORKER_READER);
	wait_worker_gone(source_id, CHAMELEON_WORKER_READER);
	while (!replay_drained(source_id, name))
	{
		chameleon_nap(100L, PG_WAIT_EXTENSION);
	}
	chameleon_pause_worker(source_id, CHAMELEON_WORKER_REPLAY);
	wait_worker_gone(source_id, CHAMELEON_WORKER_REPLAY);
	PG_RETURN_VOID();
}
