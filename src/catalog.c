/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Runs statements on chameleon's catalogue for the C code: typed
 *	  parameters, and one kept plan per statement text for the life of the
 *	  process.  Workers run the same few dozen statements again and again;
 *	  planning each once, and never passing a value through text and a
 *	  cast, is both cheaper and safer than building SQL text.
 *
 *	  Kept plans follow catalogue changes on their own (the plan cache
 *	  re-plans them after DDL on the tables they read).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "owner.h"

/*
 * statements a process keeps plans of, per cache; beyond this, plans are
 * not kept
 */
#define CAT_MAX_PLANS	256

/* A kept plan, found by the text of its statement. */
typedef struct CatPlan
{
	const char *sql;			/* hash key: a copy of the statement text */
	int			nargs;
	Oid			types[FUNC_MAX_ARGS];
	SPIPlanPtr	plan;
} CatPlan;

/*
 * Two caches: the fixed catalogue statements, and the statements built for
 * target tables (foreign-key actions, one text per key and action), which
 * must not crowd the first one out.
 */
static HTAB *cat_plans = NULL;
static HTAB *target_plans = NULL;

/* the snapshot of chameleon_cat_view_begin, until its transaction ends */
static Snapshot cat_view = NULL;
static bool cat_view_callback_set = false;

/* Hashes the statement text a key points to. */
static uint32
cat_key_hash(const void *key, Size keysize)
{
	const char *sql = *(const char *const *) key;

	return string_hash(sql, strlen(sql) + 1);
}

/* Compares the statement texts two keys point to. */
static int
cat_key_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The kept plan of a statement in cache *plans, prepared on first use. */
static SPIPlanPtr
cat_plan(HTAB **plans, const char *sql, int nargs, const CatArg *args)
{
	CatPlan    *entry;
	bool		found;
	Oid			types[FUNC_MAX_ARGS];
	SPIPlanPtr	plan;

	if (nargs > FUNC_MAX_ARGS)
		elog(ERROR, "catalogue statement with %d parameters", nargs);
	for (int i = 0; i < nargs; i++)
		types[i] = args[i].type;

	if (*plans == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(const char *);
		ctl.entrysize = sizeof(CatPlan);
		ctl.hash = cat_key_hash;
		ctl.match = cat_key_match;
		ctl.hcxt = TopMemoryContext;
		*plans = hash_create("chameleon statement plans", 64, &ctl,
							 HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	}
	entry = hash_search(*plans, &sql, HASH_FIND, NULL);
	if (entry != NULL)
	{
		/* the same text with other parameter types is a programming error */
		if (entry->nargs != nargs ||
			(nargs > 0 && memcmp(entry->types, types, sizeof(Oid) * nargs) != 0))
			elog(ERROR, "catalogue statement run with other parameter types: %s", sql);
		return entry->plan;
	}

	plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare catalogue statement (%s): %s",
			 SPI_result_code_string(SPI_result), sql);
	if (hash_get_num_entries(*plans) >= CAT_MAX_PLANS)
		return plan;			/* freed with SPI's procedure context */
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep the plan of: %s", sql);

	{
		char	   *key = MemoryContextStrdup(TopMemoryContext, sql);

		entry = hash_search(*plans, &key, HASH_ENTER, &found);
		entry->sql = key;
		entry->nargs = nargs;
		memcpy(entry->types, types, sizeof(Oid) * nargs);
		entry->plan = plan;
	}
	return plan;
}

/* See catalog.h. */
CatArg
cat_text_array(const List *strings)
{
	int			n = list_length(strings);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, strings)
		elems[i++] = CStringGetTextDatum((const char *) lfirst(lc));
	return cat_datum(TEXTARRAYOID,
					 PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT)),
					 false);
}

/*
 * Runs a statement through its plan kept in cache *plans, with a new
 * snapshot, or at the view when one is given.
 */
static uint64
cat_execute(HTAB **plans, const char *sql, int nargs, const CatArg *args,
			Snapshot view)
{
	Datum		values[FUNC_MAX_ARGS];
	char		nulls[FUNC_MAX_ARGS + 1];
	SPIPlanPtr	plan = cat_plan(plans, sql, nargs, args);
	int			rc;

	for (int i = 0; i < nargs; i++)
	{
		values[i] = args[i].value;
		nulls[i] = args[i].isnull ? 'n' : ' ';
	}
	nulls[nargs] = '\0';
	/* at a view, SPI advances a copy's command id: own changes show */
	rc = view ? SPI_execute_snapshot(plan, values, nulls, view, InvalidSnapshot, false, false, 0)
		: SPI_execute_plan(plan, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "catalogue statement failed (%s): %s",
			 SPI_result_code_string(rc), sql);
	return SPI_processed;
}

/* Runs a dynamic statement as the current identity. */
static void
exec_dynamic(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc < 0)
		elog(ERROR, "statement failed (%s): %s", SPI_result_code_string(rc), sql);
}

/*
 * Runs a catalogue statement (a kept plan, or dynamic text) with the
 * session's own rights, also while acting as a source's
 * owner (owner.h): the catalogue is not the owner's.
 */
static uint64
cat_as_session(const char *sql, int nargs, const CatArg *args, bool dynamic,
			   Snapshot view)
{
	Oid			session = chameleon_catalog_user();
	Oid			user;
	int			sec;
	volatile uint64 n = 0;

	GetUserIdAndSecContext(&user, &sec);
	if (!OidIsValid(session) || session == user)
	{
		if (dynamic)
		{
			exec_dynamic(sql);
			return 0;
		}
		return cat_execute(&cat_plans, sql, nargs, args, view);
	}
	SetUserIdAndSecContext(session, sec);
	PG_TRY();
	{
		if (dynamic)
			exec_dynamic(sql);
		else
			n = cat_execute(&cat_plans, sql, nargs, args, view);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(user, sec);
	}
	PG_END_TRY();
	return n;
}

/* See catalog.h. */
uint64
chameleon_cat_run(const char *sql, int nargs, const CatArg *args)
{
	return cat_as_session(sql, nargs, args, false, NULL);
}

/* Lets go of the view when its transaction ends. */
static void
cat_view_xact_end(XactEvent event, void *arg)
{
	if (cat_view == NULL)
		return;
	/* before commit's check for snapshots left registered */
	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PARALLEL_PRE_COMMIT)
	{
		UnregisterSnapshotFromOwner(cat_view, TopTransactionResourceOwner);
		cat_view = NULL;
	}
	/* an abort releases it with the transaction's resource owner */
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		cat_view = NULL;
}

/* See catalog.h. */
void
chameleon_cat_view_begin(void)
{
	if (!cat_view_callback_set)
	{
		RegisterXactCallback(cat_view_xact_end, NULL);
		cat_view_callback_set = true;
	}
	if (cat_view != NULL)
		UnregisterSnapshotFromOwner(cat_view, TopTransactionResourceOwner);
	cat_view = RegisterSnapshotOnOwner(GetLatestSnapshot(), TopTransactionResourceOwner);
}

/* See catalog.h. */
uint64
chameleon_cat_view_run(const char *sql, int nargs, const CatArg *args)
{
	return cat_as_session(sql, nargs, args, false, cat_view);
}

/* See catalog.h. */
uint64
chameleon_target_run(const char *sql, int nargs, const CatArg *args)
{
	return cat_execute(&target_plans, sql, nargs, args, NULL);
}

/* See catalog.h. */
void
chameleon_cat_exec_dynamic(const char *sql)
{
	(void) cat_as_session(sql, 0, NULL, true, NULL);
}

/* See catalog.h. */
void
chameleon_target_exec(const char *sql)
{
	exec_dynamic(sql);
}

/* Checks that a result row and column exist. */
static void
cat_check(uint64 row, int col)
{
	if (SPI_tuptable == NULL || row >= SPI_processed ||
		col < 1 || col > SPI_tuptable->tupdesc->natts)
		elog(ERROR, "catalogue result has no row " UINT64_FORMAT " column %d", row, col);
}

/* See catalog.h. */
Datum
cat_get_datum(uint64 row, int col, bool *isnull)
{
	cat_check(row, col);
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

/* See catalog.h. */
bool
cat_isnull(uint64 row, int col)
{
	bool		isnull;

	(void) cat_get_datum(row, col, &isnull);
	return isnull;
}

/* See catalog.h. */
char *
cat_get_text(uint64 row, int col)
{
	cat_check(row, col);
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/* See catalog.h. */
int64
cat_get_int8(uint64 row, int col, int64 dflt)
{
	bool		isnull;
	Datum		d = cat_get_datum(row, col, &isnull);
	Oid			type = SPI_gettypeid(SPI_tuptable->tupdesc, col);

	if (isnull)
		return dflt;
	switch (type)
	{
		case INT8OID:
			return DatumGetInt64(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT2OID:
			return DatumGetInt16(d);
		default:
			elog(ERROR, "catalogue column %d is not an integer (type %u)", col, type);
	}
	return dflt;				/* keep compilers quiet */
}

/* See catalog.h. */
int32
cat_get_int4(uint64 row, int col, int32 dflt)
{
	int64		v = cat_get_int8(row, col, dflt);

	if (v < PG_INT32_MIN || v > PG_INT32_MAX)
		elog(ERROR, "catalogue column %d out of integer range", col);
	return (int32) v;
}

/* See catalog.h. */
bool
cat_get_bool(uint64 row, int col, bool dflt)
{
	bool		isnull;
	Datum		d = cat_get_datum(row, col, &isnull);

	return isnull ? dflt : DatumGetBool(d);
}

/* See catalog.h. */
char *
cat_value(const char *sql, int nargs, const CatArg *args)
{
	if (chameleon_cat_run(sql, nargs, args) == 0)
		return NULL;
	return cat_get_text(0, 1);
}
