/*-------------------------------------------------------------------------
 *
 * replication.h
 *	  The continuous replication of a source: the reader worker (MySQL
 *	  binlog -> chameleon.log_event) and the replay worker (log -> target
 *	  tables), both started and restarted by the launcher for every source
 *	  whose desired_state is 'running'.
 *
 * The contract between them is the catalogue (sql/chameleon--1.0.sql):
 *
 *	 - The reader appends events to chameleon.log_event with increasing
 *	   event_id (per source), and in the SAME transaction updates
 *	   chameleon.source: read_event_id (last event written), read_file /
 *	   read_pos / read_gtid (the position after the last COMPLETE source
 *	   transaction written: where it resumes), last_read, and inserts a
 *	   chameleon.log_batch row.  A source transaction larger than
 *	   replica_batch_size row images spills over several batches; its end
 *	   is the 'C' event.  At start, the reader deletes the events after the
 *	   last 'C' event (a spilled transaction whose end was never read) and
 *	   resumes from read_file/read_pos.
 *	 - Row events of a table are skipped by the reader while the source
 *	   transaction starts before the table's consistency point
 *	   (replica_table.snapshot_file/snapshot_pos: a transaction boundary,
 *	   so this is the same as comparing its end), and always for tables
 *	   disabled in replica_table; a table of a mapped schema that is absent
 *	   from replica_table was created after the copy, and its rows follow
 *	   its CREATE TABLE in the log.  Events filtered by
 *	   limit_tables/skip_tables/skip_events are never written.
 *	 - The replay applies the events after replay_event_id, whole source
 *	   transactions only (up to a 'C' event), several of them per
 *	   PostgreSQL transaction up to replay_max_rows row images, and in the
 *	   same transaction updates replay_event_id, replay_file / replay_pos /
 *	   replay_gtid (from the last 'C' applied), last_replay, the counters
 *	   replayed_rows / replayed_ddl / skipped_rows, and deletes the applied
 *	   events.
 *	 - Either worker that meets an error it must not retry sets the
 *	   source's status to 'error' with last_error (and an error_log row),
 *	   sends NOTIFY chameleon, and exits with code 0; the launcher does not
 *	   restart workers of a source whose status is not 'running'.  Any
 *	   other exit (crash, FATAL, exit code 1) is restarted with back-off.
 *
 * Both workers: main_arg is the source id (Int32GetDatum), they connect to
 * chameleon.database, report application_name "chameleon reader <name>" /
 * "chameleon replay <name>", handle SIGTERM with die() and SIGHUP with
 * SignalHandlerForConfigReload, never hold a transaction or snapshot
 * across a network wait, and wait only with WaitLatch/WaitLatchOrSocket
 * (WL_EXIT_ON_PM_DEATH) or bounded network timeouts, checking
 * CHECK_FOR_INTERRUPTS() at least every few seconds.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_REPLICATION_H
#define CHAMELEON_REPLICATION_H

#include "postgres.h"

/* reader.c */
extern PGDLLEXPORT void chameleon_reader_main(Datum main_arg);

/* replay.c */
extern PGDLLEXPORT void chameleon_replay_main(Datum main_arg);

#endif							/* CHAMELEON_REPLICATION_H */
