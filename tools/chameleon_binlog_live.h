/*-------------------------------------------------------------------------
 *
 * chameleon_binlog_live.h
 *	  Live mode of chameleon_binlog: reads events from a running server
 *	  with the binlog network client and hands each raw event to a callback
 *	  (the CLI's decoder and printer).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_BINLOG_LIVE_H
#define CHAMELEON_BINLOG_LIVE_H

#include "../src/binlog/cbl.h"

/* Called for every raw event; returns 0, or -1 with err set to stop. */
typedef int (*cbl_live_event_fn) (void *arg, const uint8_t *ev, size_t len,
								   uint64_t pos, cbl_error *err);

/*
 * Streams from host:port as user (password read from password_file's
 * first line), starting at start_file:start_pos or at start_gtid, until the
 * connection ends.  server_id 0 picks one from the process id.  Messages go
 * to stderr (never the password).  Returns the process exit status: 0 at
 * the end of a non-blocking dump, 1 on any error.
 */
extern int	cbl_stream_cli_run(const char *host, int port, const char *user,
							   const char *password_file, const char *start_file,
							   unsigned long long start_pos, const char *start_gtid,
							   unsigned server_id, cbl_decoder *d,
							   cbl_live_event_fn fn, void *arg);

#endif							/* CHAMELEON_BINLOG_LIVE_H */
