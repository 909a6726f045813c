/*-------------------------------------------------------------------------
 *
 * status_sql.c
 *	  SQL-callable views of the shared state: which processes serve which
 *	  source, and the call that wakes the launcher when the catalogue
 *	  changes.  Slots are copied under the shared lock and returned as a
 *	  materialised set, so the lock is never held while rows are sent.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "chameleon.h"

PG_FUNCTION_INFO_V1(chameleon_sql_wake_launcher);
PG_FUNCTION_INFO_V1(chameleon_sql_worker_status);

/*
 * chameleon._wake_launcher() returns void: the launcher re-reads the
 * catalogue as soon as the calling transaction commits.
 */
Datum
chameleon_sql_wake_launcher(PG_FUNCTION_ARGS)
{
	chameleon_require_shmem();
	chameleon_wake_launcher();
	PG_RETURN_VOID();
}

/*
 * chameleon._worker_status() returns table(source_id int, source_name
 * text, launcher_pid int, reader_pid int, replay_pid int): one row per
 * slot in use, plus the launcher's pid (NULL when it is not running).
 */
Datum
chameleon_sql_worker_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ChameleonSlot *copy;
	pid_t	   *pids;
	pid_t		launcher_pid;
	int			nslots;
	int			i;

	chameleon_require_shmem();
	InitMaterializedSRF(fcinfo, 0);

	nslots = ChameleonState->nslots;
	copy = palloc(sizeof(ChameleonSlot) * nslots);
	pids = palloc0(sizeof(pid_t) * nslots * CHAMELEON_STREAM_WORKERS);
	LWLockAcquire(ChameleonState->lock, LW_SHARED);
	memcpy(copy, ChameleonState->slots, sizeof(ChameleonSlot) * nslots);
	for (i = 0; i < nslots; i++)
		for (int k = 0; k < CHAMELEON_STREAM_WORKERS; k++)
			if (copy[i].proc[k] != NULL)
				pids[i * CHAMELEON_STREAM_WORKERS + k] = copy[i].proc[k]->pid;
	launcher_pid = ChameleonState->launcher_pid;
	LWLockRelease(ChameleonState->lock);

	for (i = 0; i < nslots; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		if (!copy[i].in_use)
			continue;
		values[0] = Int32GetDatum(copy[i].source_id);
		values[1] = CStringGetTextDatum(copy[i].source_name);
		values[2] = Int32GetDatum(launcher_pid);
		nulls[2] = (launcher_pid == 0);
		for (int k = 0; k < CHAMELEON_STREAM_WORKERS; k++)
		{
			pid_t		pid = pids[i * CHAMELEON_STREAM_WORKERS + k];

			values[3 + k] = Int32GetDatum(pid);
			nulls[3 + k] = (pid == 0);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
