/*-------------------------------------------------------------------------
 *
 * jobs.h
 *	  Background jobs of a source (initial copy, schema copy, refresh,
 *	  table sync): their parameters, the dynamic workers that run them and
 *	  the entry points of those workers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_JOBS_H
#define CHAMELEON_JOBS_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"

#include "source_conf.h"

typedef enum ChameleonJobKind
{
	JOB_INIT_REPLICA = 1,		/* every table, data */
	JOB_COPY_SCHEMA,			/* every table, structure only */
	JOB_REFRESH_SCHEMA,			/* one MySQL schema, data */
	JOB_SYNC_TABLES				/* listed tables, data */
} ChameleonJobKind;

/* What a job worker is asked to do (passed through a DSM segment). */
typedef struct ChameleonJob
{
	int32		source_id;
	ChameleonJobKind kind;
	char	   *source_name;
	char	   *schema;			/* refresh_schema: MySQL schema */
	List	   *tables;			/* sync_tables: "schema.table" */
} ChameleonJob;

/* settings */
extern int	chameleon_copy_workers;

/* jobs.c */
extern const char *chameleon_job_name(ChameleonJobKind kind);
extern ChameleonJob *chameleon_read_job(dsm_handle handle, int32 source_id);

/* copy_job.c */
extern PGDLLEXPORT void chameleon_job_main(Datum main_arg);

/* copy_worker.c */
extern PGDLLEXPORT void chameleon_copy_main(Datum main_arg);
extern void chameleon_copy_tables(const ChameleonSourceConf *conf);

#endif							/* CHAMELEON_JOBS_H */
