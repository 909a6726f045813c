/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  The shared-memory state of chameleon: one slot per source for the
 *	  launcher's workers, the launcher's latch, and the commit-time wake-up
 *	  that tells the launcher the source catalogue changed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"

#include "chameleon.h"

ChameleonShared *ChameleonState = NULL;

/* set when this transaction changed the catalogue; acted on at commit */
static bool wake_at_commit = false;
/* set when this transaction paused workers; released when it ends */
static bool paused_workers = false;
static bool xact_callback_registered = false;

static void chameleon_xact_callback(XactEvent event, void *arg);

/* Returns the size of our shared-memory area. */
Size
chameleon_shmem_size(void)
{
	return add_size(offsetof(ChameleonShared, slots),
					mul_size(sizeof(ChameleonSlot), chameleon_max_sources));
}

/* Requests our shared memory and our LWLock tranche (PG15 request hook). */
void
chameleon_shmem_request(void)
{
	RequestAddinShmemSpace(chameleon_shmem_size());
	RequestNamedLWLockTranche("chameleon", 1);
}

/* Creates or attaches to the shared state, under AddinShmemInitLock. */
void
chameleon_shmem_startup(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	ChameleonState = ShmemInitStruct("chameleon", chameleon_shmem_size(), &found);
	if (!found)
	{
		memset(ChameleonState, 0, chameleon_shmem_size());
		ChameleonState->lock = &(GetNamedLWLockTranche("chameleon"))->lock;
		ChameleonState->nslots = chameleon_max_sources;
		pg_atomic_init_u64(&ChameleonState->catalog_generation, 0);
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Raises a clear error when shared memory is missing (module not preloaded). */
void
chameleon_require_shmem(void)
{
	if (ChameleonState == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("chameleon shared memory is not initialised"),
				 errhint("Add chameleon to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/*
 * Arranges for the launcher to be woken when the current transaction
 * commits.  Waking it earlier would let it read the catalogue before our
 * change is visible; after an abort there is nothing new to read.
 */
void
chameleon_wake_launcher(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(chameleon_xact_callback, NULL);
		xact_callback_registered = true;
	}
	wake_at_commit = true;
}

/*
 * Wakes the replay worker of a source (after the reader committed a
 * batch), so that it does not sleep out its nap with work waiting.
 */
void
chameleon_wake_replay(int32 source_id)
{
	ChameleonSlot *slot;

	if (ChameleonState == NULL)
		return;
	LWLockAcquire(ChameleonState->lock, LW_SHARED);
	slot = chameleon_find_slot(source_id);
	/* attached workers detach before their PGPROC is given away */
	if (slot != NULL && slot->proc[CHAMELEON_WORKER_REPLAY] != NULL)
		SetLatch(&slot->proc[CHAMELEON_WORKER_REPLAY]->procLatch);
	LWLockRelease(ChameleonState->lock);
}

/*
 * The slot of a source, or NULL (the launcher gives a source one slot at
 * most); the caller holds ChameleonState->lock.
 */
ChameleonSlot *
chameleon_find_slot(int32 source_id)
{
	for (int i = 0; i < ChameleonState->nslots; i++)
	{
		ChameleonSlot *slot = &ChameleonState->slots[i];

		if (slot->in_use && slot->source_id == source_id)
			return slot;
	}
	return NULL;
}

/*
 * Says that a copy committed table state (syncing, a claimed table, a
 * layout) that a reader may be waiting to see.
 */
void
chameleon_catalog_changed(void)
{
	if (ChameleonState != NULL)
		pg_atomic_fetch_add_u64(&ChameleonState->catalog_generation, 1);
}

/* The counter chameleon_catalog_changed() moves. */
uint64
chameleon_catalog_generation(void)
{
	return ChameleonState ? pg_atomic_read_u64(&ChameleonState->catalog_generation) : 0;
}

/* Wakes the launcher now. */
static void
wake_launcher_now(void)
{
	LWLockAcquire(ChameleonState->lock, LW_SHARED);
	if (ChameleonState->launcher_latch != NULL)
		SetLatch(ChameleonState->launcher_latch);
	LWLockRelease(ChameleonState->lock);
}

/*
 * Holds a reader or replay worker of a source stopped until the current
 * transaction ends (detach_replica() stops a running source this way,
 * without a commit): the launcher stops it and does not start it again.
 */
void
chameleon_pause_worker(int32 source_id, ChameleonWorkerKind kind)
{
	ChameleonSlot *slot;

	chameleon_require_shmem();
	if (!xact_callback_registered)
	{
		RegisterXactCallback(chameleon_xact_callback, NULL);
		xact_callback_registered = true;
	}
	LWLockAcquire(ChameleonState->lock, LW_EXCLUSIVE);
	slot = chameleon_find_slot(source_id);
	if (slot != NULL)
		slot->paused_by[kind] = MyProcPid;
	LWLockRelease(ChameleonState->lock);
	paused_workers = true;
	wake_launcher_now();
}

/* Whether a live backend holds a worker of a source stopped. */
bool
chameleon_worker_paused(int32 source_id, ChameleonWorkerKind kind)
{
	pid_t		pid = 0;
	ChameleonSlot *slot;

	LWLockAcquire(ChameleonState->lock, LW_SHARED);
	slot = chameleon_find_slot(source_id);
	if (slot != NULL)
		pid = slot->paused_by[kind];
	LWLockRelease(ChameleonState->lock);
	/* a backend that died without ending its transaction holds nothing */
	return pid != 0 && BackendPidGetProc(pid) != NULL;
}

/* Whether a reader or replay worker of a source is attached to its slot. */
bool
chameleon_worker_attached(int32 source_id, ChameleonWorkerKind kind)
{
	bool		attached;
	ChameleonSlot *slot;

	LWLockAcquire(ChameleonState->lock, LW_SHARED);
	slot = chameleon_find_slot(source_id);
	attached = slot != NULL && slot->proc[kind] != NULL;
	LWLockRelease(ChameleonState->lock);
	return attached;
}

/* Releases the workers this backend paused. */
static void
release_paused_workers(void)
{
	LWLockAcquire(ChameleonState->lock, LW_EXCLUSIVE);
	for (int i = 0; i < ChameleonState->nslots; i++)
		for (int k = 0; k < CHAMELEON_STREAM_WORKERS; k++)
			if (ChameleonState->slots[i].paused_by[k] == MyProcPid)
				ChameleonState->slots[i].paused_by[k] = 0;
	LWLockRelease(ChameleonState->lock);
	paused_workers = false;
	wake_launcher_now();
}

/* Sets the launcher's latch after a commit that changed the catalogue. */
static void
chameleon_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (paused_workers && ChameleonState != NULL)
				release_paused_workers();
			if (wake_at_commit && ChameleonState != NULL)
				wake_launcher_now();
			wake_at_commit = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			if (paused_workers && ChameleonState != NULL)
				release_paused_workers();
			wake_at_commit = false;
			break;
		default:
			break;
	}
}
