/*-------------------------------------------------------------------------
 *
 * jobs.c
 *	  Starting a source's background jobs from SQL: the parameters go to the
 *	  job worker through a pinned DSM segment (the calling transaction has
 *	  not committed, so the worker could not read them from a table), the
 *	  worker is started (workers.c), and the caller optionally waits for it
 *	  to finish, with progress NOTICEs (progress.c) for the jobs that copy
 *	  rows.  Also chameleon._start_worker() for tests and tools.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/dsm.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "chameleon.h"
#include "jobs.h"
#include "progress.h"

PG_FUNCTION_INFO_V1(chameleon_sql_start_job);
PG_FUNCTION_INFO_V1(chameleon_sql_start_worker);

int			chameleon_copy_workers = 2;

/*
 * The progress of a copy job, from chameleon.table_progress: tables copied
 * (and indexed) of all, failed, rows copied, rows expected (the copied
 * count of finished tables, MySQL's estimate of the others) and the tables
 * under way.
 */
static const char *const job_progress_query =
"SELECT count(*) FILTER (WHERE state IN ('swapping', 'done')),"
"       count(*),"
"       count(*) FILTER (WHERE state = 'failed'),"
"       coalesce(sum(rows_copied), 0)::bigint,"
"       coalesce(sum(CASE WHEN state IN ('indexing', 'swapping', 'done') THEN rows_copied"
"                         ELSE greatest(rows_estimated, rows_copied) END), 0)::bigint,"
"       concat_ws(', ',"
"                 nullif(count(*) FILTER (WHERE state = 'copying'), 0) || ' copying',"
"                 nullif(count(*) FILTER (WHERE state = 'indexing'), 0) || ' building indexes')"
"  FROM chameleon.table_progress WHERE source_id = $1";

/* Human name of a job kind, for messages. */
const char *
chameleon_job_name(ChameleonJobKind kind)
{
	switch (kind)
	{
		case JOB_INIT_REPLICA:
			return "init_replica";
		case JOB_COPY_SCHEMA:
			return "copy_schema";
		case JOB_REFRESH_SCHEMA:
			return "refresh_schema";
		case JOB_SYNC_TABLES:
			return "sync_tables";
	}
	return "job";
}

/* Appends a length-prefixed string to a serialisation buffer. */
static void
put_str(StringInfo buf, const char *s)
{
	int32		len = s ? (int32) strlen(s) : -1;

	appendBinaryStringInfo(buf, (char *) &len, sizeof(len));
	if (len > 0)
		appendBinaryStringInfo(buf, s, len);
}

/*
 * chameleon._start_job(source_id, source_name, kind, schema, tables, wait):
 * starts the job worker; with wait, returns once it has exited.
 */
Datum
chameleon_sql_start_job(PG_FUNCTION_ARGS)
{
	int32		source_id = PG_GETARG_INT32(0);
	char	   *source_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int32		kind = PG_GETARG_INT32(2);
	char	   *schema = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	bool		wait = PG_GETARG_BOOL(5);
	StringInfoData buf;
	int32		ntables = 0;
	Datum	   *elems = NULL;
	bool	   *nulls = NULL;
	dsm_segment *seg;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	pid_t		pid;

	chameleon_require_shmem();
	if (!PG_ARGISNULL(4))
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(4), TEXTOID, -1, false,
						  TYPALIGN_INT, &elems, &nulls, &ntables);

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, (char *) &kind, sizeof(kind));
	put_str(&buf, source_name);
	put_str(&buf, schema);
	appendBinaryStringInfo(&buf, (char *) &ntables, sizeof(ntables));
	for (int i = 0; i < ntables; i++)
		put_str(&buf, nulls[i] ? "" : TextDatumGetCString(elems[i]));

	seg = dsm_create(buf.len, 0);
	memcpy(dsm_segment_address(seg), buf.data, buf.len);
	/* the worker unpins it once read; it must outlive this transaction */
	dsm_pin_segment(seg);

	if (!chameleon_start_worker(CHAMELEON_WORKER_JOB, source_id, source_name,
								dsm_segment_handle(seg), MyProcPid, &handle))
	{
		dsm_unpin_segment(dsm_segment_handle(seg));
		dsm_detach(seg);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the %s worker of source \"%s\": no background worker slot is free",
						chameleon_job_name((ChameleonJobKind) kind), source_name),
				 errhint("Raise max_worker_processes (currently %d) and restart PostgreSQL.",
						 max_worker_processes)));
	}

	/* pinned: it stays for the worker after this process lets go */
	dsm_detach(seg);
	status = WaitForBackgroundWorkerStartup(handle, &pid);
	if (status != BGWH_STARTED && status != BGWH_STOPPED)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the %s worker of source \"%s\" could not start",
						chameleon_job_name((ChameleonJobKind) kind), source_name),
				 errhint("Look for the reason in the server log.")));
	if (wait && kind == JOB_COPY_SCHEMA)
		(void) WaitForBackgroundWorkerShutdown(handle);
	else if (wait)
	{
		ChameleonProgress progress;

		progress.what = psprintf("%s of source \"%s\"",
								 chameleon_job_name((ChameleonJobKind) kind), source_name);
		progress.query = job_progress_query;
		progress.key = source_id;
		progress.items = "tables";
		progress.rows_verb = "copied";
		chameleon_wait_with_progress(handle, &progress);
	}
	PG_RETURN_VOID();
}

/* Reads a length-prefixed string written by put_str. */
static char *
get_str(const char **p)
{
	int32		len;
	char	   *s;

	memcpy(&len, *p, sizeof(len));
	*p += sizeof(len);
	if (len < 0)
		return NULL;
	s = palloc(len + 1);
	memcpy(s, *p, len);
	s[len] = '\0';
	*p += len;
	return s;
}

/* Reads a job's parameters from its DSM segment and releases the segment. */
ChameleonJob *
chameleon_read_job(dsm_handle handle, int32 source_id)
{
	dsm_segment *seg = dsm_attach(handle);
	ChameleonJob *job = palloc0(sizeof(ChameleonJob));
	const char *p;
	int32		kind;
	int32		ntables;

	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not read the parameters of a chameleon job")));
	p = dsm_segment_address(seg);
	memcpy(&kind, p, sizeof(kind));
	p += sizeof(kind);
	job->source_id = source_id;
	job->kind = (ChameleonJobKind) kind;
	job->source_name = get_str(&p);
	job->schema = get_str(&p);
	memcpy(&ntables, p, sizeof(ntables));
	p += sizeof(ntables);
	for (int i = 0; i < ntables; i++)
		job->tables = lappend(job->tables, get_str(&p));
	dsm_unpin_segment(handle);
	dsm_detach(seg);
	return job;
}

/*
 * chameleon._start_worker(role, source_id, source_name) returns the pid of
 * a reader or replay worker started outside the launcher (tests, tools).
 */
Datum
chameleon_sql_start_worker(PG_FUNCTION_ARGS)
{
	char	   *role = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32		source_id = PG_GETARG_INT32(1);
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	BackgroundWorkerHandle *handle;
	pid_t		pid = 0;
	ChameleonWorkerKind kind = CHAMELEON_WORKER_READER;

	if (strcmp(role, "reader") == 0)
		kind = CHAMELEON_WORKER_READER;
	else if (strcmp(role, "replay") == 0)
		kind = CHAMELEON_WORKER_REPLAY;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown worker role \"%s\"", role),
				 errhint("Use reader or replay.")));
	if (!chameleon_start_worker(kind, source_id, name, 0, MyProcPid, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("no background worker slot is free for the %s of source \"%s\"", role, name),
				 errhint("Raise max_worker_processes.")));
	if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
		PG_RETURN_NULL();
	PG_RETURN_INT32(pid);
}
