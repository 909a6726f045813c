/*-------------------------------------------------------------------------
 *
 * verify_sql.c
 *	  chameleon._start_verify(): starts the verify worker of a source for
 *	  chameleon.verify_tables() and hands it the call's parameters through
 *	  a DSM segment (the calling transaction has not committed, so the
 *	  worker could not read them from a table).  The call returns once the
 *	  worker has queued its tables in chameleon.verify_table, so that
 *	  verify_status shows the new run at once, or, with wait, once the
 *	  worker has exited.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/wait_event.h"

#include "chameleon.h"
#include "verify.h"
#include "worker_util.h"

PG_FUNCTION_INFO_V1(chameleon_sql_start_verify);

/* handshake states */
#define VERIFY_SHM_WAITING	0
#define VERIFY_SHM_QUEUED	1
#define VERIFY_SHM_FAILED	2

/* The segment shared by the caller and the worker. */
typedef struct VerifyShm
{
	pid_t		caller;
	bool		repair;
	int32		ntables;		/* -1: every table */
	volatile uint32 state;
	char		error[512];
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* ntables NUL-ended strings */
} VerifyShm;

/* the worker's attachment, kept until the handshake */
static dsm_segment *worker_seg = NULL;

/*
 * chameleon._start_verify(source_id, source_name, tables, repair, wait)
 * returns the worker's pid.
 */
Datum
chameleon_sql_start_verify(PG_FUNCTION_ARGS)
{
	int32		source_id = PG_GETARG_INT32(0);
	char	   *source_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		repair = PG_GETARG_BOOL(3);
	bool		wait = PG_GETARG_BOOL(4);
	Datum	   *elems = NULL;
	bool	   *nulls = NULL;
	int			ntables = -1;
	Size		size = offsetof(VerifyShm, data);
	dsm_segment *seg;
	VerifyShm  *shm;
	char	   *p;
	BackgroundWorkerHandle *handle;
	pid_t		pid = 0;

	chameleon_require_shmem();
	if (!PG_ARGISNULL(2))
	{
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &nulls, &ntables);
		for (int i = 0; i < ntables; i++)
			size += (nulls[i] ? 0 : VARSIZE_ANY_EXHDR(DatumGetPointer(elems[i]))) + 1;
	}
	seg = dsm_create(size, 0);
	shm = dsm_segment_address(seg);
	memset(shm, 0, size);
	shm->caller = MyProcPid;
	shm->repair = repair;
	shm->ntables = ntables;
	p = shm->data;
	for (int i = 0; i < ntables; i++)
	{
		char	   *s = nulls[i] ? "" : TextDatumGetCString(elems[i]);

		strcpy(p, s);
		p += strlen(s) + 1;
	}

	if (!chameleon_start_worker(CHAMELEON_WORKER_VERIFY, source_id, source_name,
								dsm_segment_handle(seg), MyProcPid, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the verify worker of source \"%s\": no background worker slot is free",
						source_name),
				 errhint("Raise max_worker_processes (currently %d) and restart PostgreSQL.",
						 max_worker_processes)));

	/* until the worker has queued its tables, or is gone */
	for (;;)
	{
		BgwHandleStatus status;

		pg_read_barrier();
		if (shm->state != VERIFY_SHM_WAITING)
			break;
		status = GetBackgroundWorkerPid(handle, &pid);
		if (status == BGWH_STOPPED || status == BGWH_POSTMASTER_DIED)
			break;
		chameleon_nap(100L, PG_WAIT_EXTENSION);
	}
	pg_read_barrier();
	if (shm->state == VERIFY_SHM_FAILED)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("verify_tables() of source \"%s\" could not start: %s", source_name, shm->error),
				 errhint("Wait for the running verify to finish (see chameleon.verify_status).")));
	if (shm->state != VERIFY_SHM_QUEUED)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the verify worker of source \"%s\" stopped before it started", source_name),
				 errhint("Look for the reason in the server log.")));
	(void) GetBackgroundWorkerPid(handle, &pid);
	if (wait)
		(void) WaitForBackgroundWorkerShutdown(handle);
	dsm_detach(seg);
	PG_RETURN_INT32(pid);
}

/* The worker reads its parameters (and stays attached until it has queued). */
VerifyParams *
verify_params_read(uint32 handle)
{
	VerifyParams *params = palloc0(sizeof(VerifyParams));
	VerifyShm  *shm;
	const char *p;

	worker_seg = dsm_attach((dsm_handle) handle);
	if (worker_seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not read the parameters of verify_tables()")));
	/* survives the transactions until the handshake */
	dsm_pin_mapping(worker_seg);
	shm = dsm_segment_address(worker_seg);
	params->repair = shm->repair;
	params->all = shm->ntables < 0;
	p = shm->data;
	for (int i = 0; i < shm->ntables; i++)
	{
		params->tables = lappend(params->tables, pstrdup(p));
		p += strlen(p) + 1;
	}
	return params;
}

/*
 * The worker tells its caller that its tables are queued (error NULL) or
 * that it cannot run (error), and lets go of the segment.
 */
void
verify_params_queued(const char *error)
{
	VerifyShm  *shm;
	PGPROC	   *caller;

	if (worker_seg == NULL)
		return;
	shm = dsm_segment_address(worker_seg);
	if (error != NULL)
		strlcpy(shm->error, error, sizeof(shm->error));
	pg_write_barrier();
	shm->state = error ? VERIFY_SHM_FAILED : VERIFY_SHM_QUEUED;
	caller = BackendPidGetProc(shm->caller);
	if (caller != NULL)
		SetLatch(&caller->procLatch);
	dsm_detach(worker_seg);
	worker_seg = NULL;
}
