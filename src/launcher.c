/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The chameleon launcher: a static background worker, connected to
 *	  chameleon.database, that re-reads the source catalogue every cycle in
 *	  a short transaction and keeps one shared-memory slot per source.  The
 *	  slots are where the reader and replay workers of each running source
 *	  are tracked and restarted.
 *
 *	  The launcher survives everything a single source can do: each cycle
 *	  runs under its own error handler, so a bad catalogue row is logged and
 *	  retried later instead of crash-looping the process.  It also waits
 *	  patiently in a database where the extension does not exist yet.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "chameleon.h"
#include "catalog.h"

/* A source as read from the catalogue in one cycle. */
typedef struct LauncherSource
{
	int32		source_id;
	char		source_name[NAMEDATALEN];
	bool		want_running;
} LauncherSource;

static MemoryContext LauncherCycleContext = NULL;
/* whether the extension was there at the last cycle: -1 unknown, 0, 1 */
static int	extension_seen = -1;
static int	sources_over_limit = 0;

/* The reader and replay workers the launcher started for one source. */
typedef struct LauncherWorkers
{
	int32		source_id;
	char		source_name[NAMEDATALEN];
	BackgroundWorkerHandle *handle[CHAMELEON_STREAM_WORKERS];	/* reader, replay */
	TimestampTz started[CHAMELEON_STREAM_WORKERS];
	TimestampTz next_start[CHAMELEON_STREAM_WORKERS];	/* back-off after a failure */
	int			backoff_ms[CHAMELEON_STREAM_WORKERS];
} LauncherWorkers;

/* launcher-local: handles are only valid in the process that registered */
static LauncherWorkers *workers = NULL;
static int	nworkers = 0;
/* how long the main loop may sleep before a back-off expires */
static long next_wakeup_ms = -1;

/* the catalogue's version was reported as not the library's */
static bool version_warned = false;

static void launcher_detach(int code, Datum arg);
static void launcher_cycle(void);
static List *launcher_read_catalogue(bool *extension_present);
static void launcher_update_slots(List *sources);
static void launcher_manage_workers(List *sources);

/* Main loop of the launcher: read the catalogue, update slots, sleep. */
void
chameleon_launcher_main(Datum main_arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(chameleon_database, NULL, 0);
	pgstat_report_appname("chameleon launcher");

	LWLockAcquire(ChameleonState->lock, LW_EXCLUSIVE);
	ChameleonState->launcher_pid = MyProcPid;
	ChameleonState->launcher_latch = MyLatch;

	/*
	 * Workers a previous launcher started (it was terminated, the server
	 * was not restarted) are unknown to this one: stop them, so that no
	 * source ever has two readers.  They detach from the slot as they go.
	 */
	for (int i = 0; i < ChameleonState->nslots; i++)
	{
		ChameleonSlot *slot = &ChameleonState->slots[i];

		for (int k = 0; k < CHAMELEON_STREAM_WORKERS; k++)
			if (slot->in_use && slot->proc[k] != NULL)
				(void) kill(slot->proc[k]->pid, SIGTERM);
	}
	LWLockRelease(ChameleonState->lock);
	before_shmem_exit(launcher_detach, (Datum) 0);

	LauncherCycleContext = AllocSetContextCreate(TopMemoryContext,
												 "chameleon launcher cycle",
												 ALLOCSET_DEFAULT_SIZES);

	ereport(LOG,
			(errmsg("chameleon launcher started in database \"%s\"",
					chameleon_database)));

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		launcher_cycle();

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (next_wakeup_ms >= 0 && next_wakeup_ms < chameleon_launcher_naptime * 1000L)
						 ? next_wakeup_ms : chameleon_launcher_naptime * 1000L,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* Forgets the launcher's latch in shared memory when it exits. */
static void
launcher_detach(int code, Datum arg)
{
	LWLockAcquire(ChameleonState->lock, LW_EXCLUSIVE);
	if (ChameleonState->launcher_pid == MyProcPid)
	{
		ChameleonState->launcher_pid = 0;
		ChameleonState->launcher_latch = NULL;
	}
	LWLockRelease(ChameleonState->lock);
}

/*
 * One cycle: read the catalogue and update the slots.  Errors are reported
 * and swallowed so that the next cycle retries; only FATAL (shutdown,
 * termination) ends the process.
 */
static void
launcher_cycle(void)
{
	MemoryContextReset(LauncherCycleContext);

	PG_TRY();
	{
		bool		present = false;
		List	   *sources;

		sources = launcher_read_catalogue(&present);
		if ((int) present != extension_seen)
		{
			if (present)
				ereport(LOG,
						(errmsg("chameleon launcher found the extension in database \"%s\"",
								chameleon_database)));
			else
				ereport(LOG,
						(errmsg("chameleon launcher is waiting for CREATE EXTENSION chameleon in database \"%s\"",
								chameleon_database)));
			extension_seen = (int) present;
		}
		launcher_update_slots(sources);
		launcher_manage_workers(sources);
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		MemoryContextSwitchTo(TopMemoryContext);
		RESUME_INTERRUPTS();
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_END_TRY();
}

/*
 * Reads the sources in a short transaction.  The list is built in the
 * cycle context so that it outlives SPI and the transaction.
 */
static List *
launcher_read_catalogue(bool *extension_present)
{
	List	   *result = NIL;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "reading the chameleon source catalogue");

	*extension_present = OidIsValid(get_extension_oid(CHAMELEON_EXTENSION, true));
	if (*extension_present)
	{
		uint64		n;
		char	   *version;
		bool		current;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		/*
		 * A catalogue of another version (the library was updated, ALTER
		 * EXTENSION chameleon UPDATE not run yet) has other tables and
		 * columns: no worker runs until the update.
		 */
		version = CAT_VALUE("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = $1",
							cat_text(CHAMELEON_EXTENSION));
		current = version != NULL && strcmp(version, CHAMELEON_CATALOG_VERSION) == 0;

		if (!current && !version_warned)
			ereport(LOG,
					(errmsg("chameleon catalogue in database \"%s\" is version %s, this library needs %s: no worker runs",
							chameleon_database, version ? version : "?", CHAMELEON_CATALOG_VERSION),
					 errhint("Run ALTER EXTENSION chameleon UPDATE.")));
		version_warned = !current;
		/* a source in error keeps its desired state but gets no workers */
		n = CAT_RUN0("SELECT source_id, source_name,"
					 "       desired_state = 'running' AND status = 'running'"
					 "  FROM chameleon.source ORDER BY source_id");
		for (uint64 i = 0; i < n; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(LauncherCycleContext);
			LauncherSource *src = palloc0(sizeof(LauncherSource));

			src->source_id = cat_get_int4(i, 1, 0);
			strlcpy(src->source_name, cat_get_text(i, 2), NAMEDATALEN);
			src->want_running = current && cat_get_bool(i, 3, false);
			result = lappend(result, src);
			MemoryContextSwitchTo(old);
		}
		SPI_finish();
	}

	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

/*
 * Matches the slots to the sources just read: keeps slots of known
 * sources, frees those of dropped sources and assigns free slots to new
 * ones.  Sources beyond chameleon.max_sources get no slot and a warning.
 */
static void
launcher_update_slots(List *sources)
{
	ListCell   *lc;
	int			i;
	int			over = 0;

	LWLockAcquire(ChameleonState->lock, LW_EXCLUSIVE);

	for (i = 0; i < ChameleonState->nslots; i++)
	{
		ChameleonSlot *slot = &ChameleonState->slots[i];
		bool		found = false;

		if (!slot->in_use)
			continue;
		foreach(lc, sources)
		{
			LauncherSource *src = lfirst(lc);

			if (src->source_id == slot->source_id)
			{
				found = true;
				break;
			}
		}
		if (!found)
			memset(slot, 0, sizeof(ChameleonSlot));
	}

	foreach(lc, sources)
	{
		LauncherSource *src = lfirst(lc);
		ChameleonSlot *slot = NULL;
		ChameleonSlot *free_slot = NULL;

		for (i = 0; i < ChameleonState->nslots; i++)
		{
			ChameleonSlot *s = &ChameleonState->slots[i];

			if (s->in_use && s->source_id == src->source_id)
			{
				slot = s;
				break;
			}
			if (!s->in_use && free_slot == NULL)
				free_slot = s;
		}
		if (slot == NULL)
		{
			if (free_slot == NULL)
			{
				over++;
				continue;
			}
			slot = free_slot;
			memset(slot, 0, sizeof(ChameleonSlot));
			slot->in_use = true;
			slot->source_id = src->source_id;
		}
		/* a source may have been renamed; always refresh the name */
		strlcpy(slot->source_name, src->source_name, NAMEDATALEN);
	}

	LWLockRelease(ChameleonState->lock);

	if (over > 0 && over != sources_over_limit)
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("%d chameleon sources have no worker slot", over),
				 errhint("Increase chameleon.max_sources (currently %d) and restart the server.",
						 chameleon_max_sources)));
	sources_over_limit = over;
}

/* The launcher's record of a source's workers, created on first use. */
static LauncherWorkers *
workers_for(int32 source_id, const char *name)
{
	for (int i = 0; i < nworkers; i++)
		if (workers[i].source_id == source_id)
			return &workers[i];
	if (workers == NULL)
		workers = MemoryContextAllocZero(TopMemoryContext, sizeof(LauncherWorkers) * chameleon_max_sources);
	if (nworkers >= chameleon_max_sources)
		return NULL;
	memset(&workers[nworkers], 0, sizeof(LauncherWorkers));
	workers[nworkers].source_id = source_id;
	strlcpy(workers[nworkers].source_name, name, NAMEDATALEN);
	return &workers[nworkers++];
}

/*
 * Keeps one reader and one replay worker for every running source: starts
 * missing ones (after a back-off when the previous one failed), stops those
 * of sources that should not run, and forgets dropped sources.
 */
static void
launcher_manage_workers(List *sources)
{
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	next_wakeup_ms = -1;

	/* sources gone from the catalogue: stop and forget their workers */
	for (i = 0; i < nworkers; i++)
	{
		ListCell   *lc;
		bool		found = false;

		foreach(lc, sources)
			if (((LauncherSource *) lfirst(lc))->source_id == workers[i].source_id)
				found = true;
		if (!found)
		{
			for (int r = 0; r < CHAMELEON_STREAM_WORKERS; r++)
				if (workers[i].handle[r] != NULL)
				{
					TerminateBackgroundWorker(workers[i].handle[r]);
					pfree(workers[i].handle[r]);
				}
			workers[i] = workers[--nworkers];
			i--;
		}
	}

	for (ListCell *lc = list_head(sources); lc != NULL; lc = lnext(sources, lc))
	{
		LauncherSource *src = lfirst(lc);
		LauncherWorkers *w = workers_for(src->source_id, src->source_name);

		if (w == NULL)
			continue;
		for (int r = 0; r < CHAMELEON_STREAM_WORKERS; r++)
		{
			pid_t		pid = 0;
			BgwHandleStatus st = BGWH_STOPPED;

			if (w->handle[r] != NULL)
				st = GetBackgroundWorkerPid(w->handle[r], &pid);

			if (!src->want_running ||
				chameleon_worker_paused(src->source_id, (ChameleonWorkerKind) r))
			{
				if (w->handle[r] != NULL && st != BGWH_STOPPED)
					TerminateBackgroundWorker(w->handle[r]);
				else if (w->handle[r] != NULL)
				{
					pfree(w->handle[r]);
					w->handle[r] = NULL;
					w->backoff_ms[r] = 0;
				}
				continue;
			}

			if (w->handle[r] != NULL && st != BGWH_STOPPED)
				continue;
			if (w->handle[r] != NULL)
			{
				/* it exited: back off, more each time it dies young */
				pfree(w->handle[r]);
				w->handle[r] = NULL;
				if (TimestampDifferenceExceeds(w->started[r], now, 60000))
					w->backoff_ms[r] = 1000;
				else
					w->backoff_ms[r] = Min(Max(w->backoff_ms[r] * 2, 1000), 60000);
				w->next_start[r] = TimestampTzPlusMilliseconds(now, w->backoff_ms[r]);
				ereport(LOG,
						(errmsg("chameleon %s of source \"%s\" exited; starting it again in %d ms",
								chameleon_worker_kind_name((ChameleonWorkerKind) r), src->source_name, w->backoff_ms[r])));
			}
			if (w->next_start[r] > now)
			{
				long		ms = TimestampDifferenceMilliseconds(now, w->next_start[r]) + 1;

				if (next_wakeup_ms < 0 || ms < next_wakeup_ms)
					next_wakeup_ms = ms;
				continue;
			}
			if (!chameleon_start_worker((ChameleonWorkerKind) r, src->source_id,
										src->source_name, 0, MyProcPid, &w->handle[r]))
			{
				w->handle[r] = NULL;
				w->next_start[r] = TimestampTzPlusMilliseconds(now, 5000);
				if (next_wakeup_ms < 0 || next_wakeup_ms > 5000)
					next_wakeup_ms = 5000;
				ereport(WARNING,
						(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
						 errmsg("no background worker slot for the %s of chameleon source \"%s\"",
								chameleon_worker_kind_name((ChameleonWorkerKind) r), src->source_name),
						 errhint("Raise max_worker_processes (currently %d).", max_worker_processes)));
				continue;
			}
			w->started[r] = now;
		}
	}
}
