/*-------------------------------------------------------------------------
 *
 * chameleon.h
 *	  Declarations shared by the chameleon extension's PostgreSQL-side files:
 *	  settings, the shared-memory state of the launcher and its workers, and
 *	  the entry points the postmaster calls.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_H
#define CHAMELEON_H

#include "postgres.h"

#include "postmaster/bgworker.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/timestamp.h"

#define CHAMELEON_SCHEMA		"chameleon"
#define CHAMELEON_EXTENSION		"chameleon"

/* settings (GUCs), defined in chameleon.c */
/* the catalogue version this library works with (chameleon.control) */
#define CHAMELEON_CATALOG_VERSION	"1.1"

extern char *chameleon_database;
extern int	chameleon_max_sources;
extern int	chameleon_launcher_naptime;
extern int	chameleon_log_partition_events;
extern int	chameleon_max_event_payload;	/* kB */

/* The kinds of background workers chameleon starts for a source. */
typedef enum ChameleonWorkerKind
{
	CHAMELEON_WORKER_READER = 0,	/* binlog -> change log (launcher) */
	CHAMELEON_WORKER_REPLAY = 1,	/* change log -> tables (launcher) */
	CHAMELEON_WORKER_JOB,		/* init_replica, sync_tables... (copy_job.c) */
	CHAMELEON_WORKER_COPY,		/* a helper copying tables for a job */
	CHAMELEON_WORKER_VERIFY		/* verify_tables */
} ChameleonWorkerKind;

/* the kinds the launcher keeps running, each with a place in the slot */
#define CHAMELEON_STREAM_WORKERS	2

/* longest binlog file name a verify can hold the replay at */
#define CHAMELEON_VERIFY_FILE_LEN	256

/*
 * One slot per configured source, kept by the launcher.  The reader and
 * replay workers attach themselves to their source's slot (proc), and
 * detach when they exit; backends read the slots under the shared lock.
 */
typedef struct ChameleonSlot
{
	bool		in_use;
	int32		source_id;
	char		source_name[NAMEDATALEN];
	PGPROC	   *proc[CHAMELEON_STREAM_WORKERS]; /* reader, replay; NULL: none */
	/* a backend that holds the worker stopped until its transaction ends */
	pid_t		paused_by[CHAMELEON_STREAM_WORKERS];

	/*
	 * verify_tables(): a verify worker holding the replay at a binlog
	 * position (verify_hold.c).  The verify bumps verify_request at each
	 * change; the replay copies it into verify_seen at a round boundary.
	 */
	pid_t		verify_pid;		/* the verify worker; 0: no hold */
	uint32		verify_request;
	uint32		verify_seen;
	bool		verify_advance; /* false: apply nothing; true: up to the position */
	char		verify_file[CHAMELEON_VERIFY_FILE_LEN];
	int64		verify_pos;
} ChameleonSlot;

/* The extension's whole shared-memory state. */
typedef struct ChameleonShared
{
	LWLock	   *lock;			/* protects everything below */
	pid_t		launcher_pid;
	Latch	   *launcher_latch; /* set to wake the launcher up */
	/* bumped after a copy commits table state a reader may wait for */
	pg_atomic_uint64 catalog_generation;
	int			nslots;
	ChameleonSlot slots[FLEXIBLE_ARRAY_MEMBER];
} ChameleonShared;

extern ChameleonShared *ChameleonState;

/* What a chameleon worker is started with (bgw_extra). */
typedef struct ChameleonWorkerArgs
{
	ChameleonWorkerKind kind;
	int32		source_id;
	Oid			database;		/* the database it connects to */
	uint32		dsm;			/* a job's parameters (dsm_handle), or 0 */
} ChameleonWorkerArgs;

/* shmem.c */
extern Size chameleon_shmem_size(void);
extern void chameleon_shmem_request(void);
extern void chameleon_shmem_startup(void);
extern void chameleon_require_shmem(void);
extern ChameleonSlot *chameleon_find_slot(int32 source_id);
extern void chameleon_wake_launcher(void);
extern void chameleon_wake_replay(int32 source_id);
extern void chameleon_pause_worker(int32 source_id, ChameleonWorkerKind kind);
extern bool chameleon_worker_paused(int32 source_id, ChameleonWorkerKind kind);
extern bool chameleon_worker_attached(int32 source_id, ChameleonWorkerKind kind);
extern void chameleon_catalog_changed(void);
extern uint64 chameleon_catalog_generation(void);

/* workers.c */
extern void chameleon_register_launcher(void);
extern const char *chameleon_worker_kind_name(ChameleonWorkerKind kind);
extern bool chameleon_start_worker(ChameleonWorkerKind kind, int32 source_id,
								   const char *source_name, uint32 dsm,
								   pid_t notify_pid, BackgroundWorkerHandle **handle);
extern ChameleonWorkerArgs chameleon_worker_begin(void);
extern void chameleon_worker_attach(ChameleonWorkerKind kind, int32 source_id);

/* launcher.c */
extern PGDLLEXPORT void chameleon_launcher_main(Datum main_arg);

#endif							/* CHAMELEON_H */
