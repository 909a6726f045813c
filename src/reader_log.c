/*-------------------------------------------------------------------------
 *
 * reader_log.c
 *	  The reader's side of chameleon.log_event: events are formed as
 *	  composite datums of the log_event row type in a per-batch memory
 *	  context, and a batch is written straight into the log's ranges
 *	  (reader_log_insert.c), together with its log_batch row and the new
 *	  read position, in one transaction.  That keeps the per-event cost at
 *	  forming a tuple, not at executing a statement.
 *
 *	  Before a batch's transaction, the sub-partitions of the log that
 *	  will hold its event ids are made to exist (log_partition.c).
 *
 *	  Also here: resuming (dropping the events of a transaction whose end
 *	  was never read) and the GTID state written to read_gtid.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "chameleon.h"
#include "log_partition.h"
#include "names.h"
#include "position.h"
#include "reader_internal.h"
#include "worker_util.h"

/* columns of chameleon.log_event, in order */
enum
{
	EV_SOURCE_ID, EV_EVENT_ID, EV_KIND, EV_SCHEMA, EV_TABLE, EV_BEFORE_NAMES,
	EV_BEFORE_VALUES, EV_AFTER_NAMES, EV_AFTER_VALUES, EV_QUERY, EV_FILE,
	EV_POS, EV_GTID, EV_TIME, EV_NCOLS
};

/* a batch is also closed at this size, to stay far from the 1 GB limits */
#define READER_MAX_BATCH_BYTES	(64 * 1024 * 1024)

/* Length of the key part of a GTID: "d-" (MariaDB) or "uuid:" (MySQL). */
static size_t
gtid_key_len(const char *gtid, bool mariadb)
{
	const char *p = strchr(gtid, mariadb ? '-' : ':');

	return p ? (size_t) (p - gtid) + 1 : strlen(gtid);
}

/* Loads read_gtid ("0-1-5,1-2-7" or "uuid:1-5,uuid2:1-3") into the state. */
void
reader_gtid_set(ReaderState *st, const char *text)
{
	const char *p = text;

	st->ngtids = 0;
	while (p != NULL && *p != '\0' && st->ngtids < READER_MAX_GTIDS)
	{
		const char *end;
		size_t		len;

		while (*p == ' ' || *p == ',' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ',');
		len = end ? (size_t) (end - p) : strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\n'))
			len--;
		if (len > 0 && len < READER_GTID_LEN)
		{
			memcpy(st->gtids[st->ngtids], p, len);
			st->gtids[st->ngtids][len] = '\0';
			st->ngtids++;
		}
		p = end;
	}
}

/*
 * Records a committed GTID.  MariaDB: "d-s-n" replaces the domain's entry.
 * MySQL: "uuid:n" becomes "uuid:1-n", which assumes the server's
 * transactions are contiguous (true for a single primary without purged
 * gaps); good enough to reposition a stream, and exact for MariaDB.
 */
void
reader_gtid_advance(ReaderState *st, const char *gtid, bool mariadb)
{
	size_t		klen;
	char		entry[READER_GTID_LEN];

	if (gtid == NULL || gtid[0] == '\0')
		return;
	klen = gtid_key_len(gtid, mariadb);
	if (mariadb)
		strlcpy(entry, gtid, sizeof(entry));
	else
		snprintf(entry, sizeof(entry), "%.*s1-%s", (int) klen, gtid, gtid + klen);
	for (int i = 0; i < st->ngtids; i++)
	{
		if (strncmp(st->gtids[i], gtid, klen) == 0)
		{
			strlcpy(st->gtids[i], entry, READER_GTID_LEN);
			return;
		}
	}
	if (st->ngtids < READER_MAX_GTIDS)
		strlcpy(st->gtids[st->ngtids++], entry, READER_GTID_LEN);
}

/* The GTID state as read_gtid text (palloc'd), or NULL when none. */
char *
reader_gtid_text(ReaderState *st)
{
	StringInfoData buf;

	if (st->ngtids == 0)
		return NULL;
	initStringInfo(&buf);
	for (int i = 0; i < st->ngtids; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, st->gtids[i]);
	}
	return buf.data;
}

/* Looks up the row type of chameleon.log_event, which events are formed as. */
void
reader_log_init(ReaderState *st)
{
	Oid			relid;
	Oid			reltype;
	TupleDesc	desc;
	MemoryContext old;

	relid = get_relname_relid("log_event", get_namespace_oid(CHAMELEON_SCHEMA, false));
	reltype = OidIsValid(relid) ? get_rel_type_id(relid) : InvalidOid;
	if (!OidIsValid(reltype))
		elog(ERROR, "type chameleon.log_event is missing");
	desc = lookup_rowtype_tupdesc(reltype, -1);
	old = MemoryContextSwitchTo(st->long_cxt);
	st->event_desc = CreateTupleDescCopy(desc);
	/* heap_form_tuple stamps these into each composite datum */
	st->event_desc->tdtypeid = reltype;
	st->event_desc->tdtypmod = -1;
	MemoryContextSwitchTo(old);
	ReleaseTupleDesc(desc);
	if (st->event_desc->natts != EV_NCOLS)
		elog(ERROR, "chameleon.log_event has %d columns, the reader writes %d",
			 st->event_desc->natts, EV_NCOLS);
}

/*
 * Drops the events of a source transaction whose end was never read, and
 * reads where to continue: positions, GTID state, the next event and
 * batch ids.  Called at start and after every reconnection (in a
 * transaction).
 */
void
reader_resume(ReaderState *st)
{
	char	   *dropped;

	/*
	 * The log's ranges are UNLOGGED, so that the rows read cost no WAL: a
	 * crash restart of PostgreSQL (or a standby's promotion) empties them,
	 * and chameleon.log_alive with them.  What was read but not applied is
	 * then read again from MySQL, from the replay position, which was
	 * committed with the rows it applied.
	 */
	if (CAT_RUN("SELECT 1 FROM chameleon.log_alive WHERE source_id = $1",
				cat_int4(st->source_id)) == 0)
	{
		if (CAT_RUN("UPDATE chameleon.source SET read_event_id = replay_event_id,"
					"       read_file = replay_file, read_pos = replay_pos,"
					"       read_gtid = replay_gtid, read_pending_since = NULL"
					" WHERE source_id = $1 AND replay_file IS NOT NULL"
					"   AND read_event_id > replay_event_id",
					cat_int4(st->source_id)) > 0)
		{
			CAT_RUN("DELETE FROM chameleon.log_event e USING chameleon.source s"
					" WHERE e.source_id = $1 AND s.source_id = $1 AND e.event_id > s.replay_event_id",
					cat_int4(st->source_id));
			CAT_RUN("DELETE FROM chameleon.log_batch b USING chameleon.source s"
					" WHERE b.source_id = $1 AND s.source_id = $1 AND b.last_event_id > s.replay_event_id",
					cat_int4(st->source_id));
			ereport(LOG,
					(errmsg("the change log of source \"%s\" was emptied by a crash restart: reading the binlog again from the replay position",
							st->source_name)));
		}
		CAT_RUN("INSERT INTO chameleon.log_alive (source_id) VALUES ($1) ON CONFLICT DO NOTHING",
				cat_int4(st->source_id));
	}

	/*
	 * The replay position is a 'C' too: the partition that held it may
	 * have been dropped already (log_partition.c).
	 */
	dropped = CAT_VALUE("WITH last_c AS (SELECT greatest(coalesce(max(event_id), 0),"
						"       (SELECT replay_event_id FROM chameleon.source WHERE source_id = $1)) AS id"
						"   FROM chameleon.log_event WHERE source_id = $1 AND event_kind = 'C'),"
						" del AS (DELETE FROM chameleon.log_event e USING last_c"
						"   WHERE e.source_id = $1 AND e.event_id > last_c.id RETURNING 1),"
						" delb AS (DELETE FROM chameleon.log_batch b USING last_c"
						"   WHERE b.source_id = $1 AND b.first_event_id > last_c.id"
						"     AND last_c.id > 0 RETURNING 1)"
						" SELECT (SELECT count(*) FROM del), (SELECT count(*) FROM delb)",
						cat_int4(st->source_id));
	if (dropped != NULL && strcmp(dropped, "0") != 0)
		ereport(LOG,
				(errmsg("dropped %s logged events of a transaction whose end was not read",
						dropped)));

	if (CAT_RUN("SELECT s.read_file, s.read_pos, s.read_gtid,"
				"       greatest(s.read_event_id, s.replay_event_id,"
				"         (SELECT max(event_id) FROM chameleon.log_event WHERE source_id = $1)) + 1,"
				"       coalesce((SELECT max(batch_id) FROM chameleon.log_batch"
				"                  WHERE source_id = $1), 0) + 1"
				"  FROM chameleon.source s WHERE s.source_id = $1",
				cat_int4(st->source_id)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source %d does not exist", st->source_id)));
	if (cat_isnull(0, 1) || cat_isnull(0, 2))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("source \"%s\" has no read position", st->source_name),
				 errhint("Run chameleon.init_replica() for the source first.")));
	strlcpy(st->done.file, cat_get_text(0, 1), READER_FILE_LEN);
	st->done.pos = (uint64) cat_get_int8(0, 2, 0);
	st->cur = st->done;
	st->written = st->done;
	reader_gtid_set(st, cat_get_text(0, 3));
	st->next_event_id = cat_get_int8(0, 4, 1);
	st->last_written_event_id = st->next_event_id - 1;
	st->next_batch_id = cat_get_int8(0, 5, 1);

	st->xact_open = false;
	st->xact_has_start = false;
	st->xact_gtid[0] = '\0';
	st->xact_events = 0;
}

/* Forgets the events not written yet (before a reconnection). */
void
reader_discard_buffer(ReaderState *st)
{
	MemoryContextReset(st->batch_cxt);
	st->events = NULL;
	st->nevents = st->maxevents = 0;
	st->nrows = st->nddl = 0;
	st->nbytes = 0;
	st->first_event_time = 0;
	st->discarded = NIL;
}

/* Appends one formed event to the buffer. */
static void
append_event(ReaderState *st, Datum *values, bool *nulls, TimestampTz time)
{
	HeapTuple	tup;
	MemoryContext old = MemoryContextSwitchTo(st->batch_cxt);

	values[EV_SOURCE_ID] = Int32GetDatum(st->source_id);
	nulls[EV_SOURCE_ID] = false;
	values[EV_EVENT_ID] = Int64GetDatum(st->next_event_id);
	nulls[EV_EVENT_ID] = false;
	values[EV_TIME] = TimestampTzGetDatum(time);
	nulls[EV_TIME] = false;
	tup = heap_form_tuple(st->event_desc, values, nulls);
	if (st->nevents >= st->maxevents)
	{
		int			n = st->maxevents ? st->maxevents * 2 : Min(st->conf->replica_batch_size + 16, 4096);

		st->events = st->events ? repalloc(st->events, sizeof(Datum) * n)
			: palloc(sizeof(Datum) * n);
		st->maxevents = n;
	}
	st->events[st->nevents++] = PointerGetDatum(tup->t_data);
	st->nbytes += tup->t_len;
	MemoryContextSwitchTo(old);

	if (st->first_event_time == 0)
		st->first_event_time = time;
	st->last_event_time = time;
	st->next_event_id++;
	st->xact_events++;
}

/* A text datum from bytes, in the current context. */
static inline Datum
text_datum(const char *p, size_t len)
{
	return PointerGetDatum(cstring_to_text_with_len(p, (int) len));
}

/* Builds a one-dimensional text[] (NULLs allowed) in the current context. */
static Datum
text_array(Datum *elems, bool *nulls, int n)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	if (n == 0)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID,
											  -1, false, TYPALIGN_INT));
}

/*
 * One value is one datum: PostgreSQL holds at most 1 GB in it, and the
 * values of a row travel together in an array (and a log_event tuple).
 * Bytes become hex text, twice their size.
 */
#define READER_MAX_VALUE_BYTES	((Size) MaxAllocSize - 1024 * 1024)
#define READER_MAX_ROW_BYTES	((Size) MaxAllocSize / 2)

/* a value larger than this shows as its size in discarded_rows */
#define READER_JSON_VALUE_BYTES	(64 * 1024)

/* One row image formatted as PostgreSQL text (row_cxt). */
typedef struct ReaderImage
{
	int			n;
	Datum	   *names;			/* text */
	Datum	   *values;			/* text; (Datum) 0 for NULL */
	bool	   *nulls;
	Size	   *sizes;			/* bytes of a value too large to keep, else 0 */
} ReaderImage;

/*
 * Formats one value into st->text.  A geometry goes as "SRID=n;<WKB hex>"
 * when well formed, else as bytea ("\x<WKB hex>"): the replay makes it
 * fit the target column, PostGIS geometry or bytea (geometry.c).
 */
static int
format_value(ReaderState *st, const cbl_value *v, const cbl_column *col,
			 cbl_error *err)
{
	st->text.len = 0;
	if (v->kind != CBL_V_GEOMETRY)
		return cbl_value_to_text(v, col, &st->text, CBL_FMT_BYTEA_HEX, err);
	if (cbl_value_to_text(v, col, &st->text, CBL_FMT_BYTEA_HEX | CBL_FMT_GEOM_SRID, err) == 0)
		return 0;
	st->text.len = 0;
	return cbl_value_to_text(v, col, &st->text, CBL_FMT_BYTEA_HEX, err);
}

/*
 * Formats one row image into img (row_cxt).  Returns NULL, or the reason
 * the row cannot be logged: a value that does not convert, or that
 * PostgreSQL cannot hold in one datum.
 */
static char *
format_image(ReaderState *st, const cbl_table *map, const cbl_value *values,
			 ReaderImage *img)
{
	char	   *reason = NULL;
	Size		total = 0;

	img->n = 0;
	img->names = palloc(sizeof(Datum) * Max(map->ncols, 1));
	img->values = palloc(sizeof(Datum) * Max(map->ncols, 1));
	img->nulls = palloc(sizeof(bool) * Max(map->ncols, 1));
	img->sizes = palloc0(sizeof(Size) * Max(map->ncols, 1));
	for (uint32 i = 0; i < map->ncols; i++)
	{
		const cbl_value *v = &values[i];
		const cbl_column *col = &map->cols[i];
		int			n = img->n;
		cbl_error	err;

		if (v->kind == CBL_V_ABSENT)
			continue;
		img->names[n] = text_datum(col->name.ptr, col->name.len);
		img->values[n] = (Datum) 0;
		img->nulls[n] = true;
		img->n++;
		/* zero dates have no PostgreSQL value: NULL, the row stays */
		if (v->kind == CBL_V_NULL || (v->flags & CBL_VF_ZERO_DATE) || reason != NULL)
			continue;
		/* hex text is twice the bytes: too large, it is not even formatted */
		if (v->kind == CBL_V_BYTES && v->v.s.len >= READER_MAX_VALUE_BYTES / 2)
		{
			img->sizes[n] = v->v.s.len * 2 + 2;
			reason = psprintf("column \"%.*s\": the value has %zu bytes as PostgreSQL text, more than one value may hold (1 GB)",
							  (int) col->name.len, col->name.ptr, img->sizes[n]);
			continue;
		}
		if (format_value(st, v, col, &err) < 0 || st->text.oom)
		{
			reason = psprintf("column \"%.*s\": %s", (int) col->name.len,
							  col->name.ptr, st->text.oom ? "out of memory" : err.msg);
			st->text.oom = false;
			continue;
		}
		total += st->text.len;
		if (st->text.len >= READER_MAX_VALUE_BYTES || total >= READER_MAX_ROW_BYTES)
		{
			img->sizes[n] = st->text.len;
			reason = st->text.len >= READER_MAX_VALUE_BYTES
				? psprintf("column \"%.*s\": the value has %zu bytes as PostgreSQL text, more than one value may hold (1 GB)",
						   (int) col->name.len, col->name.ptr, st->text.len)
				: psprintf("the values of the row have more than %zu bytes as PostgreSQL text",
						   (Size) READER_MAX_ROW_BYTES);
			continue;
		}
		img->values[n] = text_datum(st->text.data, st->text.len);
		img->nulls[n] = false;
	}
	return reason;
}

/* The names[] and values[] arrays of an image (row_cxt). */
static void
image_arrays(const ReaderImage *img, Datum *names, Datum *values)
{
	*names = text_array(img->names, NULL, img->n);
	*values = text_array(img->values, img->nulls, img->n);
}

/* The image as a JSON object for discarded_rows; huge values by their size. */
static char *
image_json(const ReaderImage *img)
{
	StringInfoData json;

	initStringInfo(&json);
	appendStringInfoChar(&json, '{');
	for (int i = 0; i < img->n; i++)
	{
		if (i > 0)
			appendStringInfoString(&json, ", ");
		escape_json(&json, TextDatumGetCString(img->names[i]));
		appendStringInfoString(&json, ": ");
		if (img->sizes[i] > 0)
			appendStringInfo(&json, "\"(%zu bytes, not kept)\"", img->sizes[i]);
		else if (img->nulls[i])
			appendStringInfoString(&json, "null");
		else if (VARSIZE_ANY_EXHDR(DatumGetPointer(img->values[i])) > READER_JSON_VALUE_BYTES)
			appendStringInfo(&json, "\"(%zu bytes, not kept)\"",
							 (Size) VARSIZE_ANY_EXHDR(DatumGetPointer(img->values[i])));
		else
			escape_json(&json, TextDatumGetCString(img->values[i]));
	}
	appendStringInfoChar(&json, '}');
	return json.data;
}

/* Buffers an I, U or D event (or a discarded_row entry when a value fails). */
void
reader_add_rows_event(ReaderState *st, char kind, ReaderTable *t,
					  const char *schema, const char *table,
					  const cbl_table *map, const cbl_value *before,
					  const cbl_value *after, TimestampTz time)
{
	Datum		values[EV_NCOLS];
	bool		nulls[EV_NCOLS];
	MemoryContext old = MemoryContextSwitchTo(st->row_cxt);
	ReaderImage bimg;
	ReaderImage aimg;
	bool		after_read = false;
	char	   *reason = NULL;

	memset(nulls, true, sizeof(nulls));
	values[EV_KIND] = CharGetDatum(kind);
	nulls[EV_KIND] = false;
	values[EV_SCHEMA] = CStringGetTextDatum(schema);
	nulls[EV_SCHEMA] = false;
	values[EV_TABLE] = CStringGetTextDatum(table);
	nulls[EV_TABLE] = false;
	if (before != NULL)
		reason = format_image(st, map, before, &bimg);
	if (after != NULL && reason == NULL)
	{
		reason = format_image(st, map, after, &aimg);
		after_read = true;
	}

	if (reason != NULL)
	{
		ReaderDiscard *d;

		/* an update's row shows its new values, once they were read */
		char	   *json = image_json(after_read ? &aimg : &bimg);

		MemoryContextSwitchTo(st->batch_cxt);
		d = palloc(sizeof(ReaderDiscard));
		d->schema = pstrdup(t->pg_schema ? t->pg_schema : schema);
		d->table = pstrdup(t->pg_table ? t->pg_table : table);
		d->reason = pstrdup(reason);
		d->row_json = pstrdup(json);
		st->discarded = lappend(st->discarded, d);
	}
	else
	{
		if (before != NULL)
		{
			image_arrays(&bimg, &values[EV_BEFORE_NAMES], &values[EV_BEFORE_VALUES]);
			nulls[EV_BEFORE_NAMES] = nulls[EV_BEFORE_VALUES] = false;
		}
		if (after != NULL)
		{
			image_arrays(&aimg, &values[EV_AFTER_NAMES], &values[EV_AFTER_VALUES]);
			nulls[EV_AFTER_NAMES] = nulls[EV_AFTER_VALUES] = false;
		}
		append_event(st, values, nulls, time);
		st->nrows++;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->row_cxt);
}

/* Buffers a Q event: a statement, its default schema, the position after it. */
void
reader_add_query(ReaderState *st, const char *schema, const char *query,
				 TimestampTz time)
{
	Datum		values[EV_NCOLS];
	bool		nulls[EV_NCOLS];
	MemoryContext old = MemoryContextSwitchTo(st->row_cxt);

	memset(nulls, true, sizeof(nulls));
	values[EV_KIND] = CharGetDatum('Q');
	nulls[EV_KIND] = false;
	if (schema != NULL && schema[0] != '\0')
	{
		values[EV_SCHEMA] = CStringGetTextDatum(schema);
		nulls[EV_SCHEMA] = false;
	}
	values[EV_QUERY] = CStringGetTextDatum(query);
	nulls[EV_QUERY] = false;
	values[EV_FILE] = CStringGetTextDatum(st->cur.file);
	nulls[EV_FILE] = false;
	values[EV_POS] = Int64GetDatum((int64) st->cur.pos);
	nulls[EV_POS] = false;
	append_event(st, values, nulls, time);
	st->nddl++;
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->row_cxt);
}

/* Buffers the C event that ends the current source transaction. */
void
reader_add_commit(ReaderState *st, TimestampTz time)
{
	Datum		values[EV_NCOLS];
	bool		nulls[EV_NCOLS];
	MemoryContext old = MemoryContextSwitchTo(st->row_cxt);

	memset(nulls, true, sizeof(nulls));
	values[EV_KIND] = CharGetDatum('C');
	nulls[EV_KIND] = false;
	values[EV_FILE] = CStringGetTextDatum(st->cur.file);
	nulls[EV_FILE] = false;
	values[EV_POS] = Int64GetDatum((int64) st->cur.pos);
	nulls[EV_POS] = false;
	if (st->xact_gtid[0] != '\0')
	{
		values[EV_GTID] = CStringGetTextDatum(st->xact_gtid);
		nulls[EV_GTID] = false;
	}
	append_event(st, values, nulls, time);
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->row_cxt);
}

/* Writes the discarded rows of the batch (in the batch's transaction). */
static void
write_discarded(ReaderState *st)
{
	ListCell   *lc;

	foreach(lc, st->discarded)
	{
		ReaderDiscard *d = (ReaderDiscard *) lfirst(lc);

		CAT_RUN("INSERT INTO chameleon.discarded_row (source_id, schema_name,"
				"                                     table_name, reason, row_data)"
				" VALUES ($1, $2, $3, $4, $5::jsonb)",
				cat_int4(st->source_id), cat_text(d->schema), cat_text(d->table),
				cat_text(d->reason), cat_text(d->row_json));
		ereport(WARNING,
				(errmsg("a row of table \"%s.%s\" could not be logged and went to chameleon.discarded_rows",
						d->schema, d->table),
				 errdetail("%s", d->reason)));
	}
}

/*
 * Writes the buffered events, the batch row and the read position in one
 * transaction.  idle: the stream has nothing more for now, so nothing is
 * pending (read_pending_since = NULL).  With no events and an unchanged
 * position there is nothing to do.
 */
void
reader_flush(ReaderState *st, bool idle)
{
	bool		reload;
	TimestampTz pending;

	/* between transactions only: callers inside one hold table entries */
	reload = !st->xact_open && !st->xact_has_start &&
		(st->tables_stale ||
		 TimestampDifferenceExceeds(st->tables_loaded, GetCurrentTimestamp(), 5000));
	if (st->nevents == 0 && st->discarded == NIL && !reader_history_pending() &&
		chameleon_binlog_pos_cmp(st->done.file, st->done.pos,
								 st->written.file, st->written.pos) == 0 && !reload)
		return;

	/* in a short transaction of its own: see log_partition.c on locks */
	if (st->nevents > 0)
		chameleon_log_ensure(st->source_id, st->next_event_id - st->nevents,
							 st->next_event_id - 1, &st->log_covered);

	chameleon_xact_begin("chameleon: write log batch");
	if (st->nevents > 0)
	{
		reader_log_insert(st, st->next_event_id - st->nevents, st->events, st->nevents);
		CAT_RUN("INSERT INTO chameleon.log_batch (source_id, batch_id, first_event_id,"
				"       last_event_id, binlog_file, binlog_pos, gtid, row_count, ddl_count,"
				"       first_event_time)"
				" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
				cat_int4(st->source_id), cat_int8(st->next_batch_id),
				cat_int8(st->next_event_id - st->nevents), cat_int8(st->next_event_id - 1),
				cat_text(st->done.file), cat_int8((int64) st->done.pos),
				cat_text(reader_gtid_text(st)), cat_int4(st->nrows), cat_int4(st->nddl),
				cat_timestamptz(st->first_event_time));
		st->next_batch_id++;
		st->last_written_event_id = st->next_event_id - 1;
	}
	write_discarded(st);

	/* the newest change read stands for the oldest one not read yet */
	pending = idle ? 0 : (st->last_event_time ? st->last_event_time : GetCurrentTimestamp());
	if (CAT_RUN("UPDATE chameleon.source SET read_event_id = $2, read_file = $3,"
				"       read_pos = $4, read_gtid = $5, last_read = now(),"
				"       read_pending_since = $6"
				" WHERE source_id = $1",
				cat_int4(st->source_id), cat_int8(st->last_written_event_id),
				cat_text(st->done.file), cat_int8((int64) st->done.pos),
				cat_text(reader_gtid_text(st)), cat_timestamptz(pending)) == 0)
		ereport(FATAL,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source %d was dropped; its reader stops", st->source_id)));
	/* the layouts of the DDL just written, and the copies' new ones */
	reader_history_flush(st, reload || st->tables_stale);
	reader_refresh_conf(st);
	if (reload || st->tables_stale)
		reader_load_tables(st);
	chameleon_xact_commit();
	if (!st->xact_open && !st->xact_has_start)
		reader_history_prune(st);
	if (st->nevents > 0)
		chameleon_wake_replay(st->source_id);

	st->written = st->done;
	st->last_flush = GetCurrentTimestamp();
	reader_discard_buffer(st);
}

/* Whether the buffer must be written now (size limits). */
bool
reader_buffer_full(ReaderState *st)
{
	return st->nrows >= st->conf->replica_batch_size || st->nbytes >= READER_MAX_BATCH_BYTES;
}
