/*-------------------------------------------------------------------------
 *
 * owner_sql.c
 *	  The SQL entry points through which the management functions change
 *	  target objects as a source's owner (owner.h): chameleon._owner_exec()
 *	  and chameleon._set_sequences().  Superusers only: the SECURITY
 *	  DEFINER management functions call them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "catalog.h"
#include "owner.h"
#include "target_ops.h"

PG_FUNCTION_INFO_V1(chameleon_sql_owner_exec);
PG_FUNCTION_INFO_V1(chameleon_sql_set_sequences);

/* The owner of a source (the caller is connected to SPI). */
static Oid
source_owner(int32 source_id)
{
	bool		isnull = true;
	Datum		d = (Datum) 0;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers may act as the owner of a source")));
	if (CAT_RUN("SELECT owner::pg_catalog.oid FROM chameleon.source WHERE source_id = $1",
				cat_int4(source_id)) > 0)
		d = cat_get_datum(0, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source %d does not exist", source_id)));
	return DatumGetObjectId(d);
}

/* chameleon._owner_exec(source_id, sql): runs sql as the source's owner. */
Datum
chameleon_sql_owner_exec(PG_FUNCTION_ARGS)
{
	int32		source_id = PG_GETARG_INT32(0);
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ChameleonActor actor;

	SPI_connect();
	chameleon_act_as(source_owner(source_id), &actor);
	PG_TRY();
	{
		chameleon_target_exec(sql);
	}
	PG_FINALLY();
	{
		chameleon_act_end(&actor);
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_VOID();
}

/* chameleon._set_sequences(source_id, rel), as the source's owner. */
Datum
chameleon_sql_set_sequences(PG_FUNCTION_ARGS)
{
	int32		source_id = PG_GETARG_INT32(0);
	Oid			relid = PG_GETARG_OID(1);
	ChameleonActor actor;

	SPI_connect();
	chameleon_act_as(source_owner(source_id), &actor);
	PG_TRY();
	{
		chameleon_set_sequences(relid);
	}
	PG_FINALLY();
	{
		chameleon_act_end(&actor);
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_VOID();
}
