/*-------------------------------------------------------------------------
 *
 * verify.h
 *	  chameleon.verify_tables(): what the files of the verify worker share.
 *
 *	  verify_sql.c    the SQL entry point: starts the worker, waits for it
 *	  verify_worker.c the worker: the run, its tables, their states, NOTIFY
 *	  verify_hold.c   both sides of the replay hold that makes each chunk
 *	                  exact (the replay's hook and the verify's requests)
 *	  verify_table.c  one table: its columns on both sides, and how it is
 *	                  walked (key ranges, key lists, or buckets)
 *	  verify_read.c   reading a chunk from MySQL and from PostgreSQL
 *	  verify_rows.c   rows as chameleon stores them, their hashes, the
 *	                  comparison of a chunk, mismatches and repairs
 *
 *	  The exactness argument is in verify_hold.c's header comment.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_VERIFY_H
#define CHAMELEON_VERIFY_H

#include "postgres.h"

#include "fmgr.h"
#include "access/htup.h"
#include "access/tupdesc.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

#include "chameleon.h"
#include "copy_value.h"
#include "mysql_client.h"
#include "source_conf.h"
#include "verify_hook.h"

/* longest binlog file name the hold can carry (slot field, see chameleon.h) */
#define VERIFY_FILE_LEN		CHAMELEON_VERIFY_FILE_LEN

/* a chunk stops early once its rows hold this many bytes of text */
#define VERIFY_CHUNK_BYTES	(64 * 1024 * 1024)

/* How a table is walked (verify_table.c's header explains each). */
typedef enum VerifyWalk
{
	VERIFY_RANGE,				/* key ranges, the same order on both sides */
	VERIFY_LIST,				/* MySQL key order; PostgreSQL by key list,
								 * then a pass for PostgreSQL-only keys */
	VERIFY_MULTISET				/* no usable key: rows as multisets, bucketed */
} VerifyWalk;

/* One compared column: MySQL's side (the copy's reading) and PostgreSQL's. */
typedef struct VerifyColumn
{
	ChameleonCopyColumn my;		/* name, kind, charset... as the copy reads it */
	char	   *data_type;		/* information_schema DATA_TYPE */
	char	   *charset;		/* CHARACTER_SET_NAME, NULL for non-text */
	int			keypos;			/* position in the key, -1: not a key column */
	/* PostgreSQL */
	AttrNumber	attnum;
	Oid			typid;
	int32		typmod;
	int16		typlen;
	bool		typbyval;
	bool		plain_text;		/* text, varchar or bpchar (verify_rows.c) */
	char	   *typname;		/* the type without modifier, for casts */
	Oid			ioparam;
	FmgrInfo	in;
	FmgrInfo	out;
} VerifyColumn;

/* A table being verified. */
typedef struct VerifyTable
{
	char	   *source_schema;	/* MySQL names */
	char	   *source_table;
	char	   *schema_name;	/* PostgreSQL names */
	char	   *table_name;
	char	   *qualified;		/* quoted "schema"."table" */
	char	   *my_qualified;	/* quoted `schema`.`table` */
	Oid			relid;
	int			ncols;
	VerifyColumn *cols;
	int			nkeys;
	int		   *keycol;			/* per key column: index in cols */
	FmgrInfo   *keycmp;			/* VERIFY_RANGE: btree order of each key column */
	VerifyWalk	walk;
	int			bucket_col;		/* VERIFY_MULTISET: integer column, or -1 */
	int64		nbuckets;
} VerifyTable;

/* One row of a chunk, as chameleon stores it. */
typedef struct VerifyRow
{
	char	  **vals;			/* output text per column; NULL: SQL NULL */
	Datum	   *keyd;			/* VERIFY_RANGE: key datums */
	char	   *enc;			/* identity: key columns, or the whole row */
	int			enclen;
	uint64		h1;				/* hash of the whole row */
	uint64		h2;				/* a mix of it, for the chunk's second sum */
	bool		unstorable;		/* MySQL: a value PostgreSQL cannot hold */
	bool		keyless;		/* MySQL: even its key cannot be stored */
} VerifyRow;

/* The rows one side holds in a chunk. */
typedef struct VerifySide
{
	VerifyRow  *rows;
	int			n;
	int			max;
	Size		bytes;
	uint64		sum1;			/* order-free sums of the row hashes */
	uint64		sum2;
} VerifySide;

/* What a chunk found (verify_rows.c). */
typedef struct VerifyCounts
{
	int64		checked;
	int64		different;
	int64		repaired;
	int64		unstorable;
} VerifyCounts;

/* The run: one verify worker, one source. */
typedef struct VerifyRun
{
	ChameleonSourceConf *conf;
	int32		source_id;
	const char *source_name;
	bool		repair;
	MYSQL	   *conn;
	bool		mariadb_snapshot;	/* binlog_snapshot_* known (no lock) */
	char	   *log_table;		/* the source's change-log partition */
	int			chunk_rows;
	int			pause_ms;
	char	   *pending_sql;	/* a MySQL query sent ahead, result unread */
	/* the chunk's MySQL snapshot, and the next one opened ahead */
	bool		snap_open;		/* a snapshot transaction is open */
	char		snap_file[VERIFY_FILE_LEN];
	int64		snap_pos;
	bool		next_ready;
	char		next_file[VERIFY_FILE_LEN];
	int64		next_pos;
} VerifyRun;

/* What a PostgreSQL read of a chunk selects (read again after a repair). */
typedef struct VerifyQuery
{
	char	   *sql;
	int			nargs;
	Oid		   *types;
	Datum	   *values;
	int			limit;			/* rows at most, 0: no limit */
} VerifyQuery;

/* the run's parameters, as the SQL call hands them over (verify_sql.c) */
typedef struct VerifyParams
{
	bool		repair;
	bool		all;			/* every replicated table */
	List	   *tables;			/* else these "schema.table" MySQL names */
} VerifyParams;

/* errcode of "the source stopped under the verify", which ends the run */
#define VERIFY_STOPPED_ERRCODE	ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE

/* verify_hold.c: the verify's side */
extern void verify_hold_init(VerifyRun *run);
extern void verify_hold_begin(VerifyRun *run);
extern void verify_hold_reach(VerifyRun *run);
extern void verify_hold_prefetch(VerifyRun *run);
extern void verify_hold_release(VerifyRun *run);
extern void verify_check_running(VerifyRun *run);

/* verify_table.c */
extern void verify_table_setup(VerifyRun *run, VerifyTable *t, List *keys, bool full_row);
extern void verify_table_walk(VerifyRun *run, VerifyTable *t, VerifyCounts *total);

/* verify_read.c: MySQL */
extern void verify_literal_pg(VerifyRun *run, const VerifyColumn *c, const char *v,
							  StringInfo out);
extern void verify_my_select(const VerifyTable *t, StringInfo out, bool keys_only);
extern void verify_my_after(const VerifyTable *t, char **lits, StringInfo out);
extern void verify_my_order(const VerifyTable *t, StringInfo out);
extern void verify_mysql_send(VerifyRun *run, const char *sql);
extern void verify_mysql_drain(VerifyRun *run);
extern int	verify_read_mysql(VerifyRun *run, VerifyTable *t, const char *sql,
							  VerifySide *my, bool keys_only, char **last_raw,
							  Size cap, bool *capped, MemoryContext cxt);

/* verify_read.c: PostgreSQL */
extern void verify_pg_begin(VerifyTable *t);
extern void verify_pg_commit(void);
extern void verify_check_table(VerifyRun *run, const VerifyTable *t);
extern VerifyQuery *verify_query(int nargs);
extern void verify_pg_select(const VerifyTable *t, StringInfo out);
extern void verify_pg_keycmp(const VerifyTable *t, StringInfo out, const char *op,
							 VerifyQuery *q, char **vals);
extern void verify_pg_order(const VerifyTable *t, StringInfo out);
extern VerifyQuery *verify_key_list_query(const VerifyTable *t, const VerifySide *side);
extern void verify_read_pg(VerifyTable *t, const VerifyQuery *q, VerifySide *pg,
						   Size cap, bool *capped);
extern void verify_reread_pg(VerifyTable *t, const VerifyQuery *query, VerifySide *again);

/* verify_rows.c */
extern void verify_side_reset(VerifySide *s);
extern VerifyRow *verify_side_add(VerifySide *s, const VerifyTable *t);
extern void verify_row_finish(const VerifyTable *t, VerifySide *s, VerifyRow *r);
extern bool verify_my_value(const VerifyTable *t, int col, const char *val,
							unsigned long len, VerifyRow *r, StringInfo buf,
							cbl_buf *scratch);
extern void verify_pg_row(const VerifyTable *t, HeapTuple tup, TupleDesc desc,
						  VerifyRow *r, Datum *values, bool *nulls);
extern int	verify_key_cmp(const VerifyTable *t, const VerifyRow *a, const VerifyRow *b);
extern void verify_compare(VerifyRun *run, VerifyTable *t, VerifySide *my,
						   VerifySide *pg, bool extras_only, VerifyCounts *counts,
						   const VerifyQuery *query);

/* verify_worker.c */
extern void verify_progress(VerifyRun *run, const VerifyTable *t, const VerifyCounts *c);

/* verify_sql.c */
extern VerifyParams *verify_params_read(uint32 handle);
extern void verify_params_queued(const char *error);

#endif							/* CHAMELEON_VERIFY_H */
