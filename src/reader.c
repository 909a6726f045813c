/*-------------------------------------------------------------------------
 *
 * reader.c
 *	  The reader worker of a source (contract in replication.h): reads the
 *	  MySQL binlog from the committed read position with the binlog
 *	  library's network client, follows positions, GTIDs and transaction
 *	  boundaries, filters row events, and hands the events to reader_log.c
 *	  which writes them in batches with the read position.
 *
 *	  Transactions and consistency points.  A table's rows are skipped
 *	  while the source transaction ends at or before the table's snapshot
 *	  position.  A binlog holds each transaction contiguously and a
 *	  snapshot position is a transaction boundary, so "ends at or before
 *	  the snapshot" is the same as "starts before the snapshot": the reader
 *	  decides with the transaction's start position (its GTID or BEGIN
 *	  event), which is known before any row, so rows never need to be held
 *	  back until the commit and a transaction of any size spills over
 *	  batches with bounded memory.
 *
 *	  Waiting.  The stream asks for a heartbeat every READER_HEARTBEAT_MS
 *	  and waits at most READER_WAIT_MS for the next event to begin (a
 *	  signal ends the wait at once), so the loop reaches
 *	  CHECK_FOR_INTERRUPTS() at least twice a second even when MySQL is
 *	  silent, without dropping the connection.  The connection counts as
 *	  lost, and is handled like any read failure (on_error_read), when no
 *	  byte at all, not even a heartbeat, came for the source's
 *	  net_read_timeout seconds; or when an event that has begun stalls for
 *	  READER_PACKET_TIMEOUT (libmariadb cannot be interrupted inside a
 *	  read).  Reconnection back-off waits on the latch.  No transaction is
 *	  open while reading from the network.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "binlog/stream.h"
#include "chameleon.h"
#include "mysql_client.h"
#include "position.h"
#include "reader_internal.h"
#include "replication.h"
#include "source_password.h"
#include "source_state.h"
#include "worker_util.h"

/*
 * heartbeat asked of the server, the longest wait for an event to begin
 * before the loop checks its interrupts, and the bound of one network read
 * inside an event
 */
#define READER_HEARTBEAT_MS		500
#define READER_WAIT_MS			500
#define READER_PACKET_TIMEOUT	5
/* a complete transaction waits at most this long in the buffer */
#define READER_FLUSH_MS			100
/* MySQL error: the binlog to read from is gone (purged, unknown file) */
#define ER_MASTER_FATAL_ERROR_READING_BINLOG 1236

static CblStream *reader_stream = NULL;
static cbl_decoder *reader_decoder = NULL;

/* Closes the stream and frees the decoder (at exit and before reconnecting). */
static void
reader_close(void)
{
	if (reader_stream != NULL)
		cbl_stream_close(reader_stream);
	reader_stream = NULL;
	if (reader_decoder != NULL)
		cbl_decoder_free(reader_decoder);
	reader_decoder = NULL;
	/* no table map points into the history's buried entries any more */
	reader_history_close();
}

/* before_shmem_exit callback: the MySQL connection goes with the process. */
static void
reader_exit_cb(int code, Datum arg)
{
	reader_close();
}

/* Records an error the reader must not retry, then exits with code 0. */
static void pg_attribute_noreturn()
reader_give_up(ReaderState *st, const char *message)
{
	ChameleonFailure f = {0};

	reader_close();
	f.message = message;
	chameleon_state_stop_on_error(st->source_id, st->source_name, &f);
}

/*
 * Handles a failed read or connection: gives up (binlog gone, or
 * on_error_read = exit), or waits with back-off and resumes from the
 * committed position, forgetting what was not written.
 */
static void
reader_read_failed(ReaderState *st, const char *message, unsigned int server_errno,
				   long *backoff_ms)
{
	reader_close();
	reader_discard_buffer(st);
	reader_history_discard(st);
	if (server_errno == ER_MASTER_FATAL_ERROR_READING_BINLOG)
		reader_give_up(st, psprintf("%s (error %u; the binlog position %s:" UINT64_FORMAT
									" cannot be read any more: run chameleon.init_replica() or chameleon.sync_tables() for the source)",
									message, server_errno, st->done.file, st->done.pos));
	if (st->conf->on_error_read_exit)
		reader_give_up(st, psprintf("%s (on_error_read is exit: fix the cause, then run chameleon.enable_replica() and chameleon.start_replica())",
									message));

	ereport(LOG,
			(errcode(ERRCODE_CONNECTION_FAILURE),
			 errmsg("%s", message),
			 errdetail("Reconnecting in %ld ms (on_error_read is continue).", *backoff_ms)));
	chameleon_nap(*backoff_ms, PG_WAIT_EXTENSION);
	*backoff_ms = Min(*backoff_ms * 2, 60000);

	chameleon_xact_begin("chameleon: reader resume");
	reader_refresh_conf(st);
	reader_resume(st);
	chameleon_xact_commit();
}

/* Connects and asks for the binlog from the committed position (or GTID). */
static CblStream *
reader_open(ReaderState *st, char *errbuf, size_t errlen, unsigned int *server_errno)
{
	CblStreamConfig cfg;
	ChameleonSourceConf *conf = st->conf;
	CblStream  *s;
	char	   *gtid = reader_gtid_text(st);
	char	   *password = chameleon_source_password(conf);

	memset(&cfg, 0, sizeof(cfg));
	cfg.host = conf->host;
	cfg.port = (unsigned int) conf->port;
	cfg.user = conf->user;
	cfg.password = password;
	cfg.charset = conf->charset;
	cfg.connect_timeout = (unsigned int) (conf->connect_timeout > 0 ? conf->connect_timeout : 10);
	cfg.read_timeout = (unsigned int) conf->net_read_timeout;
	cfg.wait_ms = READER_WAIT_MS;
	cfg.packet_timeout = READER_PACKET_TIMEOUT;
	cfg.heartbeat_ms = READER_HEARTBEAT_MS;
	cfg.ssl_mode = conf->ssl_mode;
	cfg.ssl_ca = conf->ssl_ca;
	cfg.ssl_cert = conf->ssl_cert;
	cfg.ssl_key = conf->ssl_key;
	cfg.server_id = conf->server_id;
	cfg.start_file = st->done.file;
	cfg.start_pos = st->done.pos;
	if (conf->gtid_enable && gtid != NULL)
		cfg.start_gtid = gtid;
	/* the plugins that never hand the password over, unless TLS is required */
	cfg.allowed_auth = chameleon_mysql_allowed_auth(conf);
	/* stop_replica ends a connect to a server that never answers at once */
	cfg.open_io_wait = chameleon_mysql_io_wait;

	pgstat_report_activity(STATE_RUNNING, "chameleon: connecting to MySQL");
	s = cbl_stream_open(&cfg, errbuf, errlen, server_errno);
	chameleon_source_password_free(password);
	pgstat_report_activity(STATE_IDLE, NULL);
	if (s == NULL)
	{
		/* a stop that ended the connect is a stop, not a read error */
		CHECK_FOR_INTERRUPTS();
		return NULL;
	}
	reader_decoder = cbl_decoder_new();
	if (reader_decoder == NULL)
	{
		cbl_stream_close(s);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory creating the binlog decoder")));
	}
	cbl_decoder_set_checksum_alg(reader_decoder, cbl_stream_has_checksum(s) ? 1 : 0);
	cbl_decoder_set_max_payload(reader_decoder, (size_t) chameleon_max_event_payload * 1024);
	cbl_decoder_set_tablemap_hook(reader_decoder, reader_history_hook, st);
	ereport(LOG,
			(errmsg("reading the binlog of source \"%s\" from %s:" UINT64_FORMAT "%s%s",
					st->source_name, st->done.file, st->done.pos,
					cfg.start_gtid ? " GTID " : "", cfg.start_gtid ? cfg.start_gtid : "")));
	return s;
}

/* Ends the current source transaction: C event, new resume position. */
static void
reader_end_xact(ReaderState *st, TimestampTz time, bool mariadb)
{
	if (st->xact_events > 0)
		reader_add_commit(st, time);
	st->done = st->cur;
	reader_gtid_advance(st, st->xact_gtid, mariadb);
	st->xact_open = false;
	st->xact_has_start = false;
	st->xact_gtid[0] = '\0';
	st->xact_events = 0;
}

/* Logs the rows of one rows event, if its table and operation are wanted. */
static void
reader_rows(ReaderState *st, cbl_event *ev, const ReaderPos *ev_start,
			TimestampTz time)
{
	const cbl_table *map = ev->u.rows.table;
	char	   *schema;
	char	   *table;
	ReaderTable *t;
	char		kind;
	cbl_row		row;
	cbl_error	err;
	int			rc;

	if (map == NULL)
		return;
	schema = pnstrdup(map->schema.ptr, map->schema.len);
	table = pnstrdup(map->table.ptr, map->table.len);
	t = reader_table(st, schema, table);
	if (t == NULL || !t->logged)
		return;
	switch (ev->u.rows.op)
	{
		case CBL_OP_INSERT:
			if (t->skip_insert)
				return;
			kind = 'I';
			break;
		case CBL_OP_UPDATE:
			if (t->skip_update)
				return;
			kind = 'U';
			break;
		case CBL_OP_DELETE:
			if (t->skip_delete)
				return;
			kind = 'D';
			break;
		default:
			return;
	}
	/* before the table's consistency point: its copy has these rows */
	{
		const ReaderPos *start = st->xact_has_start ? &st->xact_start : ev_start;

		if (t->has_snapshot &&
			chameleon_binlog_pos_cmp(start->file, (int64) start->pos,
									 t->snapshot.file, (int64) t->snapshot.pos) < 0)
			return;
	}
	st->ctx_schema = schema;
	st->ctx_table = table;
	st->ctx_op = kind == 'I' ? "INSERT" : (kind == 'U' ? "UPDATE" : "DELETE");
	/* no column names (binlog_row_metadata not FULL) and no usable layout */
	if (map->ncols > 0 && map->cols[0].name.len == 0)
	{
		if (!t->pre_copy)
			reader_history_unusable(t);
		return;
	}

	while ((rc = cbl_rows_next(reader_decoder, ev, &row, &err)) == 1)
	{
		reader_add_rows_event(st, kind, t, schema, table, map, row.before, row.after, time);
		/* one rows event may hold many rows: the batch bound is per row */
		if (reader_buffer_full(st))
		{
			reader_flush(st, false);
			/* the flush may have rebuilt the table cache */
			t = reader_table(st, schema, table);
		}
	}
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not decode a row of MySQL table \"%s.%s\" at %s:" UINT64_FORMAT ": %s",
						schema, table, st->cur.file, (uint64) err.offset, err.msg)));
	st->ctx_schema = st->ctx_table = st->ctx_op = NULL;
}

/* Whether a statement is exactly the keyword (case and spaces ignored). */
static bool
query_is(const char *q, const char *word)
{
	size_t		len = strlen(word);

	while (*q == ' ' || *q == '\n' || *q == '\t')
		q++;
	if (pg_strncasecmp(q, word, len) != 0)
		return false;
	q += len;
	while (*q == ' ' || *q == '\n' || *q == '\t' || *q == ';')
		q++;
	return *q == '\0';
}

/* Processes one decoded event. */
static void
reader_event(ReaderState *st, cbl_event *ev, ReaderPos *ev_start, bool mariadb)
{
	TimestampTz time;

	/* positions come from the header; payload members share their payload's */
	if (!ev->in_payload && ev->next_pos != 0 &&
		ev->type != CBL_EV_HEARTBEAT && ev->type != CBL_EV_HEARTBEAT_V2)
	{
		strlcpy(ev_start->file, st->cur.file, READER_FILE_LEN);
		ev_start->pos = ev->next_pos >= ev->event_len ? ev->next_pos - ev->event_len : 0;
		st->cur.pos = ev->next_pos;
	}
	time = ev->timestamp ? time_t_to_timestamptz((pg_time_t) ev->timestamp)
		: GetCurrentTimestamp();

	switch (ev->type)
	{
		case CBL_EV_ROTATE:
			strlcpy(st->cur.file, pnstrdup(ev->u.rotate.file.ptr, ev->u.rotate.file.len),
					READER_FILE_LEN);
			st->cur.pos = ev->u.rotate.position;
			break;

		case CBL_EV_HEARTBEAT:
		case CBL_EV_HEARTBEAT_V2:
			/* idle: write what is complete, and the position */
			if (!st->xact_open && !st->xact_has_start)
				reader_flush(st, true);
			break;

		case CBL_EV_GTID:
		case CBL_EV_ANONYMOUS_GTID:
		case CBL_EV_GTID_TAGGED:
		case CBL_EV_MARIA_GTID:
			st->xact_start = *ev_start;
			st->xact_has_start = true;
			strlcpy(st->xact_gtid, ev->gtid_text, READER_GTID_LEN);
			/* MariaDB: a non-standalone GTID is the BEGIN */
			if (ev->type == CBL_EV_MARIA_GTID && !ev->u.gtid.standalone)
				st->xact_open = true;
			break;

		case CBL_EV_QUERY:
		case CBL_EV_MARIA_QUERY_COMPRESSED:
			{
				char	   *q = pnstrdup(ev->u.query.query.ptr, ev->u.query.query.len);
				char	   *db = pnstrdup(ev->u.query.db.ptr, ev->u.query.db.len);

				if (query_is(q, "BEGIN"))
				{
					st->xact_open = true;
					if (!st->xact_has_start)
					{
						st->xact_start = *ev_start;
						st->xact_has_start = true;
					}
				}
				else if (query_is(q, "COMMIT") || query_is(q, "ROLLBACK"))
					reader_end_xact(st, time, mariadb);
				else if (st->xact_open)
				{
					/* SAVEPOINT and the like inside a transaction */
				}
				else
				{
					/* a statement of its own: DDL (the binlog is ROW) */
					if (reader_ddl_relevant(st, db, q))
					{
						reader_add_query(st, db, q, time);
						st->tables_stale = true;
						reader_history_ddl(st, db, q, ev_start, &st->cur, mariadb);
					}
					reader_end_xact(st, time, mariadb);
				}
				break;
			}

		case CBL_EV_XID:
			reader_end_xact(st, time, mariadb);
			break;

		default:
			/* every kind of row event, v0 (5.1 pre-GA) included */
			if (cbl_event_is_rows(ev->type))
				reader_rows(st, ev, ev_start, time);
			break;
	}

	/*
	 * Outside any transaction (a checkpoint, format or GTID-list event,
	 * possibly written late, as MariaDB's binlog checkpoints are), the
	 * position after the event is where to resume: the read position
	 * reaches the server's even when no transaction follows.
	 */
	if (!st->xact_open && !st->xact_has_start && ev->type != CBL_EV_HEARTBEAT &&
		ev->type != CBL_EV_HEARTBEAT_V2)
		st->done = st->cur;

	/* a full buffer is written at once, even inside a transaction */
	if (reader_buffer_full(st))
		reader_flush(st, false);
	else if (!st->xact_open && !st->xact_has_start &&
			 (st->nevents > 0 ||
			  chameleon_binlog_pos_cmp(st->done.file, (int64) st->done.pos,
									   st->written.file, (int64) st->written.pos) != 0) &&
			 TimestampDifferenceExceeds(st->last_flush, GetCurrentTimestamp(), READER_FLUSH_MS))
	{
		/*
		 * The position too, without events: while MySQL writes only to
		 * tables not replicated, wait_caught_up() and verify_tables() see
		 * it move.
		 */
		reader_flush(st, false);
	}
}

/* The reader's main loop; returns only through proc_exit or ERROR. */
static void
reader_run(ReaderState *st)
{
	long		backoff_ms = 1000;
	MemoryContext ev_cxt = AllocSetContextCreate(st->long_cxt, "chameleon reader event",
												 ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		const uint8_t *raw;
		size_t		len;
		CblStreamStatus status;
		cbl_event	ev;
		cbl_error	err;
		int			rc;
		ReaderPos	ev_start;
		bool		mariadb;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (reader_stream == NULL)
		{
			char		errbuf[1024];
			unsigned int server_errno = 0;

			reader_stream = reader_open(st, errbuf, sizeof(errbuf), &server_errno);
			if (reader_stream == NULL)
			{
				reader_read_failed(st, errbuf, server_errno, &backoff_ms);
				continue;
			}
		}

		/* net_read_timeout is a live key: the current value counts */
		cbl_stream_set_read_timeout(reader_stream, (unsigned int) st->conf->net_read_timeout);
		status = cbl_stream_next(reader_stream, &raw, &len);
		if (status == CBL_STREAM_IDLE)
			continue;
		if (status == CBL_STREAM_ERROR)
		{
			char	   *msg = pstrdup(cbl_stream_error(reader_stream));

			if (cbl_stream_timed_out(reader_stream))
				msg = psprintf("%s (net_read_timeout of source \"%s\": the connection is considered lost)",
							   msg, st->source_name);
			reader_read_failed(st, msg, cbl_stream_errno(reader_stream), &backoff_ms);
			continue;
		}
		if (status == CBL_STREAM_END)
		{
			/* not asked for (blocking dump), but harmless: reconnect later */
			reader_flush(st, true);
			reader_close();
			chameleon_nap(st->conf->sleep_loop * 1000L, PG_WAIT_EXTENSION);
			continue;
		}
		backoff_ms = 1000;
		mariadb = cbl_stream_is_mariadb(reader_stream);

		old = MemoryContextSwitchTo(ev_cxt);
		ev_start = st->cur;
		if (cbl_decoder_push(reader_decoder, raw, len, st->cur.pos, &err) < 0)
			rc = -1;
		else
		{
			while ((rc = cbl_decoder_next(reader_decoder, &ev, &err)) == 1)
				reader_event(st, &ev, &ev_start, mariadb);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(ev_cxt);

		/*
		 * Between transactions, with everything written: reconnecting
		 * frees the history's buried layouts (reader_history.c).
		 */
		if (rc >= 0 && reader_history_wants_reset() && !st->xact_open &&
			!st->xact_has_start)
		{
			reader_flush(st, false);
			if (st->nevents == 0)
				reader_close();
		}
		if (rc < 0)
			reader_read_failed(st, psprintf("could not decode the binlog at %s:" UINT64_FORMAT ": %s%s",
											st->cur.file, (uint64) err.offset, err.msg,
											err.code == CBL_ERR_LIMIT
											? " (raise chameleon.max_event_payload if the event is genuine)" : ""),
							   0, &backoff_ms);
	}
}

/*
 * Error context of the reader: every message says which source, binlog
 * position and, while rows are decoded, which table and operation.
 */
static void
reader_error_callback(void *arg)
{
	ReaderState *st = (ReaderState *) arg;

	if (st->cur.file[0] == '\0')
		errcontext("reading the binlog of source \"%s\"", st->source_name);
	else if (st->ctx_table == NULL)
		errcontext("reading the binlog of source \"%s\" at %s:" UINT64_FORMAT,
				   st->source_name, st->cur.file, st->cur.pos);
	else
		errcontext("reading the binlog of source \"%s\" at %s:" UINT64_FORMAT ", table %s.%s, %s",
				   st->source_name, st->cur.file, st->cur.pos,
				   st->ctx_schema, st->ctx_table, st->ctx_op);
}

/* Entry point of the reader worker. */
void
chameleon_reader_main(Datum main_arg)
{
	ChameleonWorkerArgs args = chameleon_worker_begin();
	ReaderState *st;
	MemoryContext cxt;
	ErrorContextCallback errcallback;

	before_shmem_exit(reader_exit_cb, (Datum) 0);
	cxt = AllocSetContextCreate(TopMemoryContext, "chameleon reader", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	st = palloc0(sizeof(ReaderState));
	st->source_id = args.source_id;
	st->source_name = psprintf("%d", st->source_id);
	st->long_cxt = cxt;
	st->batch_cxt = AllocSetContextCreate(cxt, "chameleon reader batch", ALLOCSET_DEFAULT_SIZES);
	st->row_cxt = AllocSetContextCreate(cxt, "chameleon reader row", ALLOCSET_DEFAULT_SIZES);
	cbl_buf_init(&st->text);

	errcallback.callback = reader_error_callback;
	errcallback.arg = st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	PG_TRY();
	{
		chameleon_xact_begin("chameleon: reader start");
		reader_refresh_conf(st);
		pgstat_report_appname(psprintf("chameleon reader %s", st->source_name));
		chameleon_xact_commit();
		chameleon_worker_attach(CHAMELEON_WORKER_READER, st->source_id);
		(void) chameleon_state_lock(CHAMELEON_LOCK_READER, st->source_id, st->source_name, true);

		chameleon_xact_begin("chameleon: reader start");
		reader_log_init(st);
		reader_load_tables(st);
		reader_resume(st);
		reader_history_load(st);
		chameleon_xact_commit();
		/* tables replicated since before the history existed */
		reader_history_seed(st);
		st->last_flush = GetCurrentTimestamp();

		reader_run(st);
	}
	PG_CATCH();
	{
		ErrorData  *edata = chameleon_worker_error(cxt);

		reader_close();

		/*
		 * A row or event the decoder cannot read will fail again after a
		 * restart: with on_error_read = exit the source stops in "error"
		 * instead of being restarted for ever.
		 */
		if (st->conf != NULL && st->conf->on_error_read_exit &&
			edata->sqlerrcode == ERRCODE_DATA_CORRUPTED)
			reader_give_up(st, psprintf("%s (on_error_read is exit: fix the cause, then run chameleon.enable_replica() and chameleon.start_replica())",
										edata->message));
		/* recorded for show_errors; the launcher restarts us (exit 1) */
		PG_TRY();
		{
			ChameleonFailure f = {0};

			f.message = psprintf("reader: %s", edata->message);
			chameleon_xact_begin("chameleon: reader error");
			chameleon_state_record_error(st->source_id, st->source_name, &f, false);
			chameleon_xact_commit();
		}
		PG_CATCH();
		{
			EmitErrorReport();
			AbortOutOfAnyTransaction();
			FlushErrorState();
		}
		PG_END_TRY();
		proc_exit(1);
	}
	PG_END_TRY();
	proc_exit(0);
}
