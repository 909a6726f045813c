/*-------------------------------------------------------------------------
 *
 * geometry.h
 *	  MySQL geometry values and PostGIS: whether PostGIS is installed,
 *	  which target columns are PostGIS geometry, and the conversion of a
 *	  logged geometry value for the column it goes to (geometry.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_GEOMETRY_H
#define CHAMELEON_GEOMETRY_H

#include "postgres.h"

/* the largest SRID PostGIS keeps as it is (larger ones it remaps) */
#define CHAMELEON_POSTGIS_MAX_SRID 999999

/* What a target column makes of a MySQL geometry value. */
typedef enum ChameleonGeoTarget
{
	CHAMELEON_GEO_OTHER = 0,	/* another type: the logged text as it is */
	CHAMELEON_GEO_BYTEA,		/* bytea: the WKB */
	CHAMELEON_GEO_POSTGIS		/* PostGIS geometry: WKB with its SRID */
} ChameleonGeoTarget;

/* Whether the postgis extension is installed in this database. */
extern bool chameleon_postgis_installed(void);

/* What a column of type typid makes of a geometry value. */
extern ChameleonGeoTarget chameleon_geo_target(Oid typid);

/*
 * The text of a logged value (text datum) for a target column: a
 * geometry logged as "SRID=n;<WKB hex>" becomes "\x<WKB hex>" for bytea;
 * for PostGIS an SRID beyond its range, or a geometry logged as bytea
 * whose WKB is malformed, is an ERROR (a data exception naming column).
 */
extern Datum chameleon_geo_value(ChameleonGeoTarget target, Datum value,
								 const char *column);

#endif							/* CHAMELEON_GEOMETRY_H */
