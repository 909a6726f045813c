/*-------------------------------------------------------------------------
 *
 * verify_hook.h
 *	  The replay's side of verify_tables()'s hold (verify_hold.c): what
 *	  replay.c calls before and inside each round, so that a verify can
 *	  compare a chunk with PostgreSQL at exactly a MySQL snapshot's
 *	  position.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_VERIFY_HOOK_H
#define CHAMELEON_VERIFY_HOOK_H

#include "postgres.h"

/*
 * Before a round, outside any transaction: true when a verify holds the
 * replay (no round now; sleep as when idle).
 */
extern bool replay_verify_gate(int32 source_id);

/*
 * In the round's transaction: the last 'C' event of (start, end] the
 * replay may apply while a verify lets it advance to a position (0: none).
 */
extern int64 replay_verify_clip(int32 source_id, int64 start, int64 end);

#endif							/* CHAMELEON_VERIFY_HOOK_H */
