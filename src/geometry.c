/*-------------------------------------------------------------------------
 *
 * geometry.c
 *	  MySQL geometry and PostGIS.
 *
 *	  When the postgis extension is installed in the database at the time
 *	  a table is created, its MySQL geometry columns become PostGIS
 *	  geometry(Type,SRID) columns, else bytea (the DDL translator decides
 *	  with cddl_options.postgis; replica_table.postgis keeps the choice for
 *	  later ALTER TABLE statements).  Values are converted by the column
 *	  they go to, not by what is installed now, so a table created as bytea
 *	  stays bytea.
 *
 *	  The reader cannot know the target column of a value (the DDL that
 *	  creates it may not have been applied yet), so it logs a well-formed
 *	  geometry as "SRID=n;<WKB hex>", the text PostGIS's geometry input
 *	  reads, and a malformed one as bytea ("\x<WKB hex>").  The replay then
 *	  makes the value fit its column here: the WKB alone for bytea (what
 *	  the initial copy stores), the text as it is for PostGIS, after
 *	  checking what PostGIS cannot hold.  No PostGIS function is called:
 *	  the extension does not link with it, and works without it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "binlog/cbl.h"
#include "geometry.h"

/* Whether the postgis extension is installed in this database. */
bool
chameleon_postgis_installed(void)
{
	return OidIsValid(get_extension_oid("postgis", true));
}

/* What a column of type typid makes of a geometry value. */
ChameleonGeoTarget
chameleon_geo_target(Oid typid)
{
	Oid			base = getBaseType(typid);
	HeapTuple	tup;
	bool		named = false;
	Oid			postgis;

	if (base == BYTEAOID)
		return CHAMELEON_GEO_BYTEA;
	/* the name first (a cache lookup), the extension only for "geometry" */
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(base));
	if (HeapTupleIsValid(tup))
	{
		named = strcmp(NameStr(((Form_pg_type) GETSTRUCT(tup))->typname), "geometry") == 0;
		ReleaseSysCache(tup);
	}
	if (!named)
		return CHAMELEON_GEO_OTHER;
	postgis = get_extension_oid("postgis", true);
	if (!OidIsValid(postgis) || getExtensionOfObject(TypeRelationId, base) != postgis)
		return CHAMELEON_GEO_OTHER;
	return CHAMELEON_GEO_POSTGIS;
}

/*
 * Parses the "SRID=n;" head of a logged geometry: the SRID (capped above
 * 2^32) and the offset of the WKB hex; false when s (len bytes) has none.
 */
static bool
srid_head(const char *s, int len, uint64 *srid, int *wkb)
{
	int			i = 5;

	if (len < 7 || memcmp(s, "SRID=", 5) != 0)
		return false;
	*srid = 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		if (*srid <= PG_UINT32_MAX)
			*srid = *srid * 10 + (uint64) (s[i] - '0');
	if (i == 5 || i >= len || s[i] != ';')
		return false;
	*wkb = i + 1;
	return true;
}

/* A text datum of "\x" followed by len bytes of s. */
static Datum
bytea_text(const char *s, int len)
{
	text	   *t = (text *) palloc(VARHDRSZ + 2 + len);

	SET_VARSIZE(t, VARHDRSZ + 2 + len);
	memcpy(VARDATA(t), "\\x", 2);
	memcpy(VARDATA(t) + 2, s, len);
	return PointerGetDatum(t);
}

/* The text of a logged value for a target column (see geometry.h). */
Datum
chameleon_geo_value(ChameleonGeoTarget target, Datum value, const char *column)
{
	text	   *t = DatumGetTextPP(value);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	uint64		srid;
	int			wkb;

	if (target == CHAMELEON_GEO_BYTEA)
	{
		/* bytea holds the WKB without its SRID, as the initial copy stores it */
		if (!srid_head(s, len, &srid, &wkb))
			return value;
		return bytea_text(s + wkb, len - wkb);
	}
	if (target != CHAMELEON_GEO_POSTGIS)
		return value;

	if (srid_head(s, len, &srid, &wkb))
	{
		/* PostGIS would remap it into its reserved range without a word */
		if (srid > CHAMELEON_POSTGIS_MAX_SRID)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("column \"%s\": SRID " UINT64_FORMAT " is beyond the range of PostGIS (at most %d)",
							column, srid, CHAMELEON_POSTGIS_MAX_SRID)));
		return value;
	}
	if (len >= 2 && s[0] == '\\' && s[1] == 'x')
	{
		/* logged as bytea: a malformed geometry (or one logged before 1.1) */
		bytea	   *b = DatumGetByteaPP(DirectFunctionCall1(byteain,
															CStringGetDatum(text_to_cstring(t))));
		cbl_error	err;
		uint32		type;

		memset(&err, 0, sizeof(err));
		if (cbl_wkb_check((const uint8 *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &type, &err) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("column \"%s\": malformed MySQL geometry: %s", column, err.msg)));
		/* well-formed WKB without SRID: hex WKB, which PostGIS reads */
		return PointerGetDatum(cstring_to_text_with_len(s + 2, len - 2));
	}
	return value;
}
