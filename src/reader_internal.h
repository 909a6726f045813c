/*-------------------------------------------------------------------------
 *
 * reader_internal.h
 *	  Internal state of the reader worker (see replication.h for its
 *	  contract), shared by its files: reader.c (the binlog stream, positions
 *	  and transaction boundaries), reader_log.c (buffering events and
 *	  writing batches to chameleon.log_event), reader_tables.c (which
 *	  tables' rows are logged) and reader_history.c (the schema history:
 *	  column layouts by position, for binlogs without column metadata).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_READER_INTERNAL_H
#define CHAMELEON_READER_INTERNAL_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "nodes/pg_list.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "binlog/cbl.h"
#include "source_conf.h"

/* binlog file names are short ("mysql-bin.000001"); MySQL allows 511 */
#define READER_FILE_LEN		512
/* GTID domains (MariaDB) or server uuids (MySQL) tracked in read_gtid */
#define READER_MAX_GTIDS	64
#define READER_GTID_LEN		160
/* MySQL names are at most 64 characters (256 bytes in utf8mb4) */
#define READER_KEY_LEN		(2 * 256 + 2)

/* A binlog coordinate. */
typedef struct ReaderPos
{
	char		file[READER_FILE_LEN];
	uint64		pos;
} ReaderPos;

/* What the reader knows about one MySQL table (cached, see reader_tables.c). */
typedef struct ReaderTable
{
	char		key[READER_KEY_LEN];	/* "schema\0table" padded with zeros */
	bool		logged;			/* its rows may be written at all */
	bool		in_catalogue;	/* found in chameleon.replica_table */
	bool		has_snapshot;
	ReaderPos	snapshot;		/* rows of transactions starting before it
								 * are skipped */
	bool		skip_insert;
	bool		skip_update;
	bool		skip_delete;
	bool		enabled;		/* replica_table.enabled (true when new) */
	bool		syncing;		/* sync_tables() is copying it */
	bool		copy_claimed;	/* ... and its copy has started */
	bool		pre_copy;		/* rows of the current map precede its copy */
	char	   *problem;		/* why its columns are not known, or NULL */
	char	   *pg_schema;		/* target names, for discarded_row */
	char	   *pg_table;
} ReaderTable;

/* The whole state of a reader worker. */
typedef struct ReaderState
{
	int32		source_id;
	char	   *source_name;
	ChameleonSourceConf *conf;	/* current settings (chameleon_conf_current) */
	MemoryContext long_cxt;		/* lives as long as the worker */

	/* the stream: the position after the last event read */
	ReaderPos	cur;
	/* after the last complete source transaction read */
	ReaderPos	done;
	/* read_gtid: one "d-s-n" (MariaDB) or "uuid:1-n" (MySQL) per domain */
	int			ngtids;
	char		gtids[READER_MAX_GTIDS][READER_GTID_LEN];
	/* what the catalogue holds (to know whether an idle update is needed) */
	ReaderPos	written;

	/* the source transaction being read */
	bool		xact_open;		/* BEGIN or a transactional GTID seen */
	bool		xact_has_start;
	ReaderPos	xact_start;		/* where it starts (GTID or BEGIN event) */
	char		xact_gtid[READER_GTID_LEN];
	int64		xact_events;	/* events written or buffered for it */

	/* the log */
	int64		next_event_id;
	int64		next_batch_id;
	int64		last_written_event_id;
	int64		log_covered;	/* end of the log's highest sub-partition
								 * (exclusive); 0: not known yet */
	MemoryContext batch_cxt;	/* reset after every batch */
	MemoryContext row_cxt;		/* reset after every row image */
	Datum	   *events;			/* composite datums of chameleon.log_event */
	int			nevents;
	int			maxevents;
	int			nrows;			/* row images buffered */
	int			nddl;
	Size		nbytes;			/* approximate buffered size */
	TimestampTz first_event_time;
	TimestampTz last_event_time;
	TimestampTz last_flush;
	List	   *discarded;		/* ReaderDiscard *, in batch_cxt */

	/* PostgreSQL objects */
	TupleDesc	event_desc;		/* row type of chameleon.log_event */

	/* tables */
	HTAB	   *tables;
	MemoryContext tables_cxt;	/* the table cache; reset when reloaded */
	TimestampTz tables_loaded;
	bool		tables_stale;
	cbl_buf		text;			/* value formatting buffer */

	/* what is being read, for the error context */
	const char *ctx_schema;
	const char *ctx_table;
	const char *ctx_op;
} ReaderState;

/* A row that could not be converted, written to chameleon.discarded_row. */
typedef struct ReaderDiscard
{
	char	   *schema;
	char	   *table;
	char	   *reason;
	char	   *row_json;
} ReaderDiscard;

/* reader_log.c */
extern void reader_log_init(ReaderState *st);
extern void reader_resume(ReaderState *st);
extern void reader_add_rows_event(ReaderState *st, char kind, ReaderTable *t,
								  const char *schema, const char *table,
								  const cbl_table *map, const cbl_value *before,
								  const cbl_value *after, TimestampTz time);
extern void reader_add_query(ReaderState *st, const char *schema,
							 const char *query, TimestampTz time);
extern void reader_add_commit(ReaderState *st, TimestampTz time);
extern void reader_flush(ReaderState *st, bool idle);

/* reader_log_insert.c: writes events first_id.. into the log's ranges */
extern void reader_log_insert(const ReaderState *st, int64 first_id,
							  const Datum *events, int n);
extern void reader_discard_buffer(ReaderState *st);
extern bool reader_buffer_full(ReaderState *st);
extern void reader_gtid_set(ReaderState *st, const char *text);
extern void reader_gtid_advance(ReaderState *st, const char *gtid, bool mariadb);
extern char *reader_gtid_text(ReaderState *st);

/* reader_tables.c */
extern bool reader_make_key(char *key, const char *schema, const char *table);
extern void reader_refresh_conf(ReaderState *st);
extern void reader_load_tables(ReaderState *st);
extern ReaderTable *reader_table(ReaderState *st, const char *schema,
								 const char *table);
extern bool reader_ddl_relevant(ReaderState *st, const char *db,
								const char *query);

/* reader_history.c */
extern int	reader_history_hook(void *arg, cbl_table *table, cbl_error *err);
extern void reader_history_load(ReaderState *st);
extern void reader_history_seed(ReaderState *st);
extern void reader_history_ddl(ReaderState *st, const char *db, const char *query,
							   const ReaderPos *start, const ReaderPos *end,
							   bool mariadb);
extern void reader_history_unusable(ReaderTable *rt);
extern void reader_history_flush(ReaderState *st, bool reload);
extern bool reader_history_pending(void);
extern void reader_history_discard(ReaderState *st);
extern void reader_history_prune(ReaderState *st);
extern bool reader_history_wants_reset(void);
extern void reader_history_close(void);

#endif							/* CHAMELEON_READER_INTERNAL_H */
