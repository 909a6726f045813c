/*-------------------------------------------------------------------------
 *
 * replay_log.c
 *	  Reads chameleon.log_event for the replay worker: the events of an
 *	  event_id range in order, a chunk at a time, copied out of SPI into a
 *	  memory context of their own.  A chunk holds at most a few hundred
 *	  events and stops early once it holds REPLAY_CHUNK_BYTES, so that a
 *	  transaction of millions of rows (or of big blobs) is streamed with
 *	  bounded memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "chameleon.h"
#include "names.h"
#include "replay_internal.h"

/* rows per fetch at most, and the memory a chunk may use */
#define REPLAY_CHUNK_ROWS	1000
#define REPLAY_CHUNK_BYTES	(32 * 1024 * 1024)

/*
 * The query that reads a chunk of the log.  It names the source's own
 * partition: a kept plan on chameleon.log_event would turn generic and
 * lock every source's log ranges, so that another source's range creation
 * or drop could make this replay wait.
 */
static char *fetch_sql = NULL;

/* Sets up a cursor (its memory lives under TopMemoryContext). */
void
replay_cursor_init(ReplayCursor *cur, int32 source_id)
{
	memset(cur, 0, sizeof(*cur));
	cur->source_id = source_id;
	cur->cxt = AllocSetContextCreate(TopMemoryContext, "chameleon replay chunk",
									 ALLOCSET_DEFAULT_SIZES);
	cur->limit = REPLAY_CHUNK_ROWS;
	if (fetch_sql == NULL)
		fetch_sql = MemoryContextStrdup(TopMemoryContext,
										psprintf("SELECT event_id, event_kind, source_schema, source_table,"
												 " before_names, before_values, after_names, after_values,"
												 " query, binlog_file, binlog_pos, gtid, event_time"
												 " FROM %s.%s"
												 " WHERE source_id = $1 AND event_id > $2 AND event_id <= $3"
												 " ORDER BY event_id LIMIT $4",
												 CHAMELEON_SCHEMA,
												 quote_identifier(chameleon_log_table_name(source_id))));
}

/* Positions the cursor after event "after", up to event "end" included. */
void
replay_cursor_seek(ReplayCursor *cur, int64 after, int64 end)
{
	MemoryContextReset(cur->cxt);
	cur->events = NULL;
	cur->nevents = 0;
	cur->next = 0;
	cur->pos = after;
	cur->end = end;
}

/* A copy of a nullable text column, or NULL. */
static char *
copy_text(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* A detoasted copy of a nullable array column, or NULL; adds its size. */
static ArrayType *
copy_array(HeapTuple tup, TupleDesc desc, int col, Size *bytes)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	ArrayType  *a;

	if (isnull)
		return NULL;
	a = DatumGetArrayTypePCopy(d);
	*bytes += VARSIZE(a);
	return a;
}

/* Reads the next chunk; false when the range is exhausted. */
static bool
fetch_chunk(ReplayCursor *cur)
{
	uint64		n;
	Size		bytes = 0;
	MemoryContext old;
	int			copied = 0;

	MemoryContextReset(cur->cxt);
	cur->events = NULL;
	cur->nevents = 0;
	cur->next = 0;
	if (cur->pos >= cur->end)
		return false;

	n = chameleon_cat_run(fetch_sql, 4,
						  (const CatArg[]) {cat_int4(cur->source_id), cat_int8(cur->pos),
						  cat_int8(cur->end), cat_int8(cur->limit)});
	if (n == 0)
	{
		SPI_freetuptable(SPI_tuptable);
		return false;
	}

	old = MemoryContextSwitchTo(cur->cxt);
	cur->events = palloc0(sizeof(ReplayEvent) * n);
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		ReplayEvent *ev = &cur->events[i];
		bool		isnull;
		Datum		d;

		ev->event_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		ev->kind = DatumGetChar(SPI_getbinval(tup, desc, 2, &isnull));
		ev->schema = copy_text(tup, desc, 3);
		ev->table = copy_text(tup, desc, 4);
		ev->before_names = copy_array(tup, desc, 5, &bytes);
		ev->before_values = copy_array(tup, desc, 6, &bytes);
		ev->after_names = copy_array(tup, desc, 7, &bytes);
		ev->after_values = copy_array(tup, desc, 8, &bytes);
		ev->query = copy_text(tup, desc, 9);
		ev->binlog_file = copy_text(tup, desc, 10);
		d = SPI_getbinval(tup, desc, 11, &isnull);
		ev->binlog_pos = isnull ? -1 : DatumGetInt64(d);
		ev->gtid = copy_text(tup, desc, 12);
		d = SPI_getbinval(tup, desc, 13, &isnull);
		ev->has_time = !isnull;
		ev->event_time = isnull ? 0 : DatumGetTimestampTz(d);
		copied++;
		/* a chunk of big rows stops early; the rest is read next time */
		if (bytes >= REPLAY_CHUNK_BYTES)
			break;
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);

	cur->nevents = copied;
	/* adapt the fetch size to the row sizes seen */
	if (bytes >= REPLAY_CHUNK_BYTES)
		cur->limit = Max(16, copied);
	else if (cur->limit < REPLAY_CHUNK_ROWS)
		cur->limit = Min(REPLAY_CHUNK_ROWS, cur->limit * 2);
	return true;
}

/* The next event of the range, or NULL at its end. */
ReplayEvent *
replay_cursor_next(ReplayCursor *cur)
{
	ReplayEvent *ev;

	if (cur->next >= cur->nevents && !fetch_chunk(cur))
		return NULL;
	ev = &cur->events[cur->next++];
	cur->pos = ev->event_id;
	return ev;
}

/*
 * The elements of a text[] as C strings, null_as for an SQL NULL element;
 * NULL (and *n = 0) for a NULL array.
 */
char **
replay_text_array(ArrayType *arr, int *n, const char *null_as)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	*n = 0;
	if (arr == NULL)
		return NULL;
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? (null_as ? pstrdup(null_as) : NULL) : TextDatumGetCString(elems[i]);
	return out;
}
