/*-------------------------------------------------------------------------
 *
 * pg_source.h
 *	  The initial copy of sources of type "pgsql" (another PostgreSQL
 *	  database, through libpq).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_PG_SOURCE_H
#define CHAMELEON_PG_SOURCE_H

#include "source_conf.h"

/* Creates (and with_data, copies) every table, queued for the swap. */
extern void chameleon_pg_source_copy(const ChameleonSourceConf *conf,
									 int32 source_id, bool with_data);

#endif							/* CHAMELEON_PG_SOURCE_H */
