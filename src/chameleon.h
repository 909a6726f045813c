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

#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"

#define CHAMELEON_SCHEMA		"chameleon"
#define CHAMELEON_EXTENSION		"chameleon"

/* settings (GUCs), defined in chameleon.c */
extern char *chameleon_database;
extern int	chameleon_max_sources;
extern int	chameleon_launcher_naptime;
extern int	chameleon_log_partition_events;

/*
 * One slot per configured source, owned by the launcher.  Backends read the
 * slots (under the shared lock) to report worker processes in the views.
 */
typedef struct ChameleonSlot
{
	bool		in_use;
	int32		source_id;
	char		source_name[NAMEDATALEN];
	bool		want_running;	/* desired state read from the catalogue */
	pid_t		reader_pid;
	pid_t		replay_pid;
	TimestampTz last_start;		/* last time a worker was launched */
	int			restarts;		/* consecutive restarts, for back-off */
} ChameleonSlot;

/* The extension's whole shared-memory state. */
typedef struct ChameleonShared
{
	LWLock	   *lock;			/* protects everything below */
	pid_t		launcher_pid;
	Latch	   *launcher_latch; /* set to wake the launcher up */
	TimestampTz launcher_started;
	int			nslots;
	ChameleonSlot slots[FLEXIBLE_ARRAY_MEMBER];
} ChameleonShared;

extern ChameleonShared *ChameleonState;

/* shmem.c */
extern Size chameleon_shmem_size(void);
extern void chameleon_shmem_request(void);
extern void chameleon_shmem_startup(void);
extern void chameleon_require_shmem(void);
extern void chameleon_wake_launcher(void);
extern void chameleon_wake_replay(int32 source_id);

/* launcher.c */
extern void chameleon_register_launcher(void);
extern PGDLLEXPORT void chameleon_launcher_main(Datum main_arg);

#endif							/* CHAMELEON_H */
