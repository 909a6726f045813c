/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  The one way C code runs statements on chameleon's catalogue: typed
 *	  parameters (CatArg) instead of text pasted into SQL or passed through
 *	  casts, and a plan kept per statement text, so that a worker's fixed
 *	  statements are planned once per process.
 *
 *	  CAT_RUN("UPDATE chameleon.source SET last_error = $2"
 *			  " WHERE source_id = $1", cat_int4(id), cat_text(msg));
 *
 *	  Results are in SPI_tuptable, read with the cat_get_* helpers.  The
 *	  caller is connected to SPI (chameleon_xact_begin does that).
 *	  Catalogue statements always run with the session's own rights;
 *	  statements on target objects (TARGET_RUN, chameleon_target_exec) as
 *	  the current identity, which is a source's owner in owner.h's regions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_CATALOG_H
#define CHAMELEON_CATALOG_H

#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

/* One parameter of a catalogue statement. */
typedef struct CatArg
{
	Oid			type;
	Datum		value;
	bool		isnull;
} CatArg;

/* An integer parameter. */
static inline CatArg
cat_int4(int32 v)
{
	CatArg		a = {INT4OID, Int32GetDatum(v), false};

	return a;
}

/* A bigint parameter. */
static inline CatArg
cat_int8(int64 v)
{
	CatArg		a = {INT8OID, Int64GetDatum(v), false};

	return a;
}

/* A boolean parameter. */
static inline CatArg
cat_bool(bool v)
{
	CatArg		a = {BOOLOID, BoolGetDatum(v), false};

	return a;
}

/* A text parameter; NULL gives SQL NULL. */
static inline CatArg
cat_text(const char *s)
{
	CatArg		a = {TEXTOID, s ? CStringGetTextDatum(s) : (Datum) 0, s == NULL};

	return a;
}

/* A timestamptz parameter; 0 gives SQL NULL. */
static inline CatArg
cat_timestamptz(TimestampTz t)
{
	CatArg		a = {TIMESTAMPTZOID, TimestampTzGetDatum(t), t == 0};

	return a;
}

/* A text[] parameter from a List of C strings. */
extern CatArg cat_text_array(const List *strings);

/* Any other datum. */
static inline CatArg
cat_datum(Oid type, Datum value, bool isnull)
{
	CatArg		a = {type, value, isnull};

	return a;
}

/*
 * Runs a statement with the given parameters through a plan kept for its
 * text; returns SPI_processed.  ERROR when the statement fails.
 */
extern uint64 chameleon_cat_run(const char *sql, int nargs, const CatArg *args);

#define CAT_RUN(sql, ...) \
	chameleon_cat_run((sql), lengthof(((const CatArg[]) {__VA_ARGS__})), \
					  ((const CatArg[]) {__VA_ARGS__}))

/* Runs a statement without parameters (kept plan too). */
#define CAT_RUN0(sql) chameleon_cat_run((sql), 0, NULL)

/*
 * A view of the catalogue fixed for the rest of the transaction: what was
 * committed when chameleon_cat_view_begin() was called, plus what the
 * transaction itself does later.  Statements run with CAT_VIEW_RUN see
 * that view (the replay reads the states of its tables through it once per
 * round, so that every decision of the round agrees with every other);
 * without a view begun in the transaction, CAT_VIEW_RUN is CAT_RUN.  The
 * view ends with its transaction.
 */
extern void chameleon_cat_view_begin(void);
extern uint64 chameleon_cat_view_run(const char *sql, int nargs, const CatArg *args);

#define CAT_VIEW_RUN(sql, ...) \
	chameleon_cat_view_run((sql), lengthof(((const CatArg[]) {__VA_ARGS__})), \
						   ((const CatArg[]) {__VA_ARGS__}))

/*
 * Runs a catalogue statement built at run time (utility statements, names
 * quoted by the caller): planned once, not kept.  ERROR when it fails.
 */
extern void chameleon_cat_exec_dynamic(const char *sql);

/*
 * The same for statements on target objects (the replicated schemas and
 * tables): they run as the current identity, the source's owner while
 * acting as it (owner.h), where catalogue statements run with the
 * session's own rights.
 */
extern uint64 chameleon_target_run(const char *sql, int nargs, const CatArg *args);

#define TARGET_RUN(sql, ...) \
	chameleon_target_run((sql), lengthof(((const CatArg[]) {__VA_ARGS__})), \
						 ((const CatArg[]) {__VA_ARGS__}))

extern void chameleon_target_exec(const char *sql);

/* Column col (1-based) of result row row, as palloc'd text; NULL: SQL NULL. */
extern char *cat_get_text(uint64 row, int col);

/* Column col of result row row as a bigint/integer/bool; dflt when NULL. */
extern int64 cat_get_int8(uint64 row, int col, int64 dflt);
extern int32 cat_get_int4(uint64 row, int col, int32 dflt);
extern bool cat_get_bool(uint64 row, int col, bool dflt);

/* Whether column col of result row row is NULL. */
extern bool cat_isnull(uint64 row, int col);

/* Column col of result row row as a datum (valid until SPI_finish). */
extern Datum cat_get_datum(uint64 row, int col, bool *isnull);

/* The value of a one-row, one-column query as text (NULL: none/SQL NULL). */
extern char *cat_value(const char *sql, int nargs, const CatArg *args);

#define CAT_VALUE(sql, ...) \
	cat_value((sql), lengthof(((const CatArg[]) {__VA_ARGS__})), \
			  ((const CatArg[]) {__VA_ARGS__}))

#endif							/* CHAMELEON_CATALOG_H */
