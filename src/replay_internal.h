/*-------------------------------------------------------------------------
 *
 * replay_internal.h
 *	  What the files of the replay worker share: a logged event as the
 *	  replay reads it, the cursor that streams the log in bounded chunks,
 *	  the worker's state and error context, and the row and DDL appliers.
 *
 *	  replay.c         the worker: rounds, positions, errors
 *	  replay_log.c     reading chameleon.log_event in chunks
 *	  replay_apply.c   row images -> target tables (replay_apply_internal.h:
 *	                   the relation cache and two apply methods)
 *	  replay_ddl.c     DDL events -> translated statements + replica_table
 *	  replay_hold.c    rows of tables synced while the source runs
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_REPLAY_INTERNAL_H
#define CHAMELEON_REPLAY_INTERNAL_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#include "utils/array.h"

#include "source_conf.h"

/* One chameleon.log_event row, read into the cursor's chunk. */
typedef struct ReplayEvent
{
	int64		event_id;
	char		kind;			/* I, U, D, Q, C */
	char	   *schema;			/* MySQL names (Q: the default schema) */
	char	   *table;
	ArrayType  *before_names;	/* text[], detoasted; NULL when absent */
	ArrayType  *before_values;
	ArrayType  *after_names;
	ArrayType  *after_values;
	char	   *query;			/* Q */
	char	   *binlog_file;	/* C, Q: position after the event */
	int64		binlog_pos;
	char	   *gtid;
	TimestampTz event_time;
	bool		has_time;
} ReplayEvent;

/*
 * Streams the events of (pos, end] in event_id order, a bounded chunk at a
 * time; seek back to redo a source transaction.
 */
typedef struct ReplayCursor
{
	int32		source_id;
	int64		pos;			/* last event handed out */
	int64		end;			/* last event of the range */
	MemoryContext cxt;			/* holds the current chunk */
	ReplayEvent *events;
	int			nevents;
	int			next;
	int			limit;			/* rows per fetch, adapted to row sizes */
	MemoryContext range_cxt;	/* holds the ranges below */
	struct ReplayLogRange *ranges;	/* the log ranges known, in order */
	int			nranges;
	int			range;			/* the one being read */
} ReplayCursor;

/*
 * What the replay is doing, for its error context callback (every message
 * names the source, event, table and operation) and for the handler that
 * decides, after an error, which table to blame.
 */
typedef struct ReplayErrorContext
{
	int64		event_id;		/* 0: none */
	const struct ReplayEvent *event;	/* the event itself, when in the log */
	const char *schema;			/* MySQL names of the table being changed */
	const char *table;
	const char *op;				/* "INSERT", "UPDATE", "DELETE", "DDL"... */
	const char *sql;			/* the statement that ran, for error_log */
} ReplayErrorContext;

/* The worker's state. */
typedef struct ReplayState
{
	int32		source_id;
	char	   *source_name;
	ChameleonSourceConf *conf;	/* current settings (chameleon_conf_current) */
	ReplayErrorContext ctx;
} ReplayState;

/* Sets what the replay works on now (strings must outlive the error). */
static inline void
replay_ctx_set(ReplayState *st, const char *schema, const char *table,
			   const char *op, const char *sql)
{
	st->ctx.schema = schema;
	st->ctx.table = table;
	st->ctx.op = op;
	st->ctx.sql = sql;
}

/* replay_log.c */
extern void replay_cursor_init(ReplayCursor *cur, int32 source_id);
extern void replay_cursor_seek(ReplayCursor *cur, int64 after, int64 end);
extern int64 replay_cursor_round_end(ReplayCursor *cur, int64 start, int64 max_rows);
extern ReplayEvent *replay_cursor_next(ReplayCursor *cur);
extern char **replay_text_array(ArrayType *arr, int *n, const char *null_as);

/* replay_relation.c */
extern void replay_tables_load(ReplayState *st);
extern void replay_tables_invalidate(void);
extern bool replay_table_active(const char *schema, const char *table);

/* replay_apply.c */
extern bool replay_apply_row(ReplayState *st, const ReplayEvent *ev);

/*
 * replay_apply_heap.c: releases the executor states kept across rows
 * (before DDL, which refuses a table this session holds open)
 */
extern void replay_exec_close_all(void);

/*
 * replay_fk.c: the foreign-key actions MySQL does not log.  Held actions
 * (chameleon.log_held) are row-less events of these kinds, whose before
 * image is the referencing key they match and after image its new value.
 */
#define REPLAY_KIND_FK_DELETE		'X'
#define REPLAY_KIND_FK_SET_NULL		'N'
#define REPLAY_KIND_FK_SET_DEFAULT	'F'
#define REPLAY_KIND_FK_UPDATE		'Y'

extern void replay_fk_load(ReplayState *st);
extern void replay_fk_after_change(ReplayState *st, const ReplayEvent *ev);
extern void replay_fk_apply(ReplayState *st, char kind, const char *schema,
							const char *table, int ncols, char **columns,
							char **old, char **new, int depth);

/* replay_hold.c: rows of tables synced while the source runs */
typedef enum ReplayRowFate
{
	REPLAY_ROW_APPLY,			/* apply as usual */
	REPLAY_ROW_SKIP,			/* the table's new copy holds it */
	REPLAY_ROW_HELD				/* kept in log_held until the copy is in place */
} ReplayRowFate;

extern void replay_hold_load(ReplayState *st);
extern ReplayRowFate replay_hold_fate(ReplayState *st, const char *schema,
									  const char *table, int64 event_id);
extern ReplayRowFate replay_hold_row_fate(ReplayState *st, const ReplayEvent *ev);
extern void replay_hold_fk_action(ReplayState *st, char kind, const char *schema,
								  const char *table, int ncols, char **columns,
								  char **old, char **new);
extern void replay_hold_txn_end(ReplayState *st, const ReplayEvent *c);
extern void replay_hold_txn_abort(void);
extern void replay_hold_ddl(ReplayState *st, const char *schema, const char *table,
							const ReplayEvent *ev);
extern List *replay_hold_released(ReplayState *st);
extern int64 replay_hold_apply(ReplayState *st, const char *schema, const char *table,
							   int64 *ddl);

/* replay_ddl.c */
typedef enum ReplayDdlSource
{
	REPLAY_DDL_STREAM,			/* in its place in the stream */
	REPLAY_DDL_HELD_NEW_COPY,	/* held during a sync, now on the new copy */
	REPLAY_DDL_HELD_OLD_TABLE	/* held during a sync that failed: the old table */
} ReplayDdlSource;

extern bool replay_apply_ddl(ReplayState *st, const ReplayEvent *ev, ReplayDdlSource source);

#endif							/* CHAMELEON_REPLAY_INTERNAL_H */
