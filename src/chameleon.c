/*-------------------------------------------------------------------------
 *
 * chameleon.c
 *	  Module entry point: defines the chameleon.* settings, requests shared
 *	  memory, registers the static launcher worker and installs the hooks
 *	  that keep passwords out of the server log.
 *
 *	  The module must be loaded through shared_preload_libraries, because
 *	  the launcher and the shared memory can only be registered while the
 *	  postmaster starts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"

#include "chameleon.h"
#include "jobs.h"
#include "log_redact.h"

PG_MODULE_MAGIC;

char	   *chameleon_database = NULL;
int			chameleon_max_sources = 8;
int			chameleon_launcher_naptime = 10;
int			chameleon_log_partition_events = 1000000;
int			chameleon_max_event_payload = 256 * 1024;	/* kB */

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static emit_log_hook_type prev_emit_log_hook = NULL;

void		_PG_init(void);
static void chameleon_shmem_request_hook(void);
static void chameleon_shmem_startup_hook(void);
static void chameleon_emit_log_hook(ErrorData *edata);

/* Defines the settings and, when preloaded, shared memory and the launcher. */
void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("chameleon must be loaded via shared_preload_libraries"),
				 errhint("Add chameleon to shared_preload_libraries in postgresql.conf and restart the server.")));

	DefineCustomStringVariable("chameleon.database",
							   "Database in which the chameleon extension is installed and its workers run.",
							   NULL,
							   &chameleon_database,
							   "postgres",
							   PGC_POSTMASTER,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("chameleon.max_sources",
							"Maximum number of replication sources (sizes shared memory).",
							NULL,
							&chameleon_max_sources,
							8, 1, 1024,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("chameleon.launcher_naptime",
							"Longest time the launcher sleeps between two reads of the source catalogue.",
							NULL,
							&chameleon_launcher_naptime,
							10, 1, 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("chameleon.copy_workers",
							"Number of processes that copy tables at once during an initial copy.",
							"Each takes a background worker slot (max_worker_processes) while it runs.",
							&chameleon_copy_workers,
							2, 1, 64,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("chameleon.log_partition_events",
							"Number of event ids each partition of a source's change log covers.",
							"Replayed partitions are dropped whole; a smaller value frees the log sooner, a larger one creates fewer tables.",
							&chameleon_log_partition_events,
							1000000, 100, INT_MAX,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("chameleon.max_event_payload",
							"Largest size a compressed binlog event may unpack to in the reader.",
							"MariaDB compressed events and MySQL transaction payloads claim their size; a larger claim stops the reader with an error instead of allocating it.",
							&chameleon_max_event_payload,
							256 * 1024, 1024, 1024 * 1024,
							PGC_SIGHUP,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("chameleon");

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = chameleon_shmem_request_hook;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = chameleon_shmem_startup_hook;
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = chameleon_emit_log_hook;

	chameleon_register_launcher();
}

/* Asks the postmaster for our shared memory and lock. */
static void
chameleon_shmem_request_hook(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	chameleon_shmem_request();
}

/* Attaches to (or initialises) our shared memory. */
static void
chameleon_shmem_startup_hook(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	chameleon_shmem_startup();
}

/* Replaces *field by its redacted copy when it names a password key. */
static void
redact_field(char **field)
{
	char	   *redacted;

	if (*field == NULL || strcasestr(*field, "password") == NULL)
		return;
	redacted = chameleon_redact_passwords(*field);
	if (redacted != NULL)
		*field = redacted;
}

/*
 * Keeps source passwords out of the server log: the values of password
 * keys in the message (log_statement, log_min_duration_statement, ...),
 * its detail (bind parameters of the extended protocol) and context (the
 * parameters of a failed statement) are replaced by ********, and the
 * statement PostgreSQL adds to an error (log_min_error_statement) is left
 * out when it holds one (log_redact.c).  Messages are palloc'd in the
 * error's memory context, where the copies go too.
 */
static void
chameleon_emit_log_hook(ErrorData *edata)
{
	redact_field(&edata->message);
	redact_field(&edata->detail);
	redact_field(&edata->detail_log);
	redact_field(&edata->context);
	redact_field(&edata->internalquery);
	if (debug_query_string != NULL &&
		strcasestr(debug_query_string, "password") != NULL &&
		chameleon_redact_passwords(debug_query_string) != NULL)
		edata->hide_stmt = true;

	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}
