/*-------------------------------------------------------------------------
 *
 * workers.c
 *	  Chameleon's background workers: the one function that registers each
 *	  kind (the static launcher at start-up, the dynamic workers of a
 *	  source), what every worker does first (signals, the database it
 *	  works in), and the reader's and replay's place in their source's
 *	  shared-memory slot, where they attach themselves as core's logical
 *	  replication workers do.
 *
 *	  A worker learns what to do from bgw_extra (ChameleonWorkerArgs): its
 *	  kind, its source and its database; a job's parameters travel in a DSM
 *	  segment whose handle is in the arguments too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"

#include "chameleon.h"

/* the slot entry this process attached to (reader or replay), if any */
static int32 attached_source = 0;
static int	attached_kind = -1;

/* The entry point and the word in process names of each kind. */
static const struct
{
	const char *function;
	const char *word;
}			worker_kinds[] =
{
	[CHAMELEON_WORKER_READER] = {"chameleon_reader_main", "reader"},
	[CHAMELEON_WORKER_REPLAY] = {"chameleon_replay_main", "replay"},
	[CHAMELEON_WORKER_JOB] = {"chameleon_job_main", "init"},
	[CHAMELEON_WORKER_COPY] = {"chameleon_copy_main", "init"},
	[CHAMELEON_WORKER_VERIFY] = {"chameleon_verify_main", "verify"},
};

/* Registers the static launcher worker with the postmaster. */
void
chameleon_register_launcher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	/* restarted by the postmaster after a crash or pg_terminate_backend */
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "chameleon");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "chameleon_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "chameleon launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "chameleon launcher");
	RegisterBackgroundWorker(&worker);
}

/* The word naming a kind in process names ("reader", "init"...). */
const char *
chameleon_worker_kind_name(ChameleonWorkerKind kind)
{
	return worker_kinds[kind].word;
}

/*
 * Registers a dynamic worker of a source, in the current database,
 * notifying notify_pid (0: nobody) of its start and stop.  Returns false
 * when no background worker slot is free.
 */
bool
chameleon_start_worker(ChameleonWorkerKind kind, int32 source_id,
					   const char *source_name, uint32 dsm, pid_t notify_pid,
					   BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;
	ChameleonWorkerArgs args;

	memset(&args, 0, sizeof(args));
	args.kind = kind;
	args.source_id = source_id;
	args.database = MyDatabaseId;
	args.dsm = dsm;
	StaticAssertStmt(sizeof(args) <= BGW_EXTRALEN, "worker arguments do not fit in bgw_extra");

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "chameleon");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "%s", worker_kinds[kind].function);
	snprintf(worker.bgw_name, BGW_MAXLEN, "chameleon %s %s", worker_kinds[kind].word, source_name);
	snprintf(worker.bgw_type, BGW_MAXLEN, "chameleon %s %s", worker_kinds[kind].word, source_name);
	worker.bgw_main_arg = Int32GetDatum(source_id);
	worker.bgw_notify_pid = notify_pid;
	memcpy(worker.bgw_extra, &args, sizeof(args));
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

/*
 * What every dynamic worker does first: PostgreSQL's signal handlers
 * (SIGTERM ends it at the next CHECK_FOR_INTERRUPTS, SIGHUP rereads the
 * configuration), then a connection to its database.  Returns its
 * arguments.
 */
ChameleonWorkerArgs
chameleon_worker_begin(void)
{
	ChameleonWorkerArgs args;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.database, InvalidOid, 0);
	return args;
}

/* before_shmem_exit callback: leaves the slot attached to. */
static void
worker_detach(int code, Datum arg)
{
	ChameleonSlot *slot;

	LWLockAcquire(ChameleonState->lock, LW_EXCLUSIVE);
	slot = chameleon_find_slot(attached_source);
	if (slot != NULL && slot->proc[attached_kind] == MyProc)
		slot->proc[attached_kind] = NULL;
	LWLockRelease(ChameleonState->lock);
}

/*
 * A reader or replay worker takes its place in its source's slot, so that
 * others can find it (the reader wakes the replay through it).  A source
 * the launcher has not given a slot yet (a worker started by hand) simply
 * goes without.
 */
void
chameleon_worker_attach(ChameleonWorkerKind kind, int32 source_id)
{
	ChameleonSlot *slot;

	Assert(kind < CHAMELEON_STREAM_WORKERS);
	LWLockAcquire(ChameleonState->lock, LW_EXCLUSIVE);
	slot = chameleon_find_slot(source_id);
	if (slot != NULL)
		slot->proc[kind] = MyProc;
	LWLockRelease(ChameleonState->lock);
	attached_source = source_id;
	attached_kind = kind;
	before_shmem_exit(worker_detach, (Datum) 0);
}
