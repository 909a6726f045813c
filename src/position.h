/*-------------------------------------------------------------------------
 *
 * position.h
 *	  Binlog coordinates (file name, offset): the one order they are
 *	  compared in, everywhere in C and in the catalogue's SQL.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_POSITION_H
#define CHAMELEON_POSITION_H

#include "postgres.h"

/*
 * Orders two binlog coordinates: <0, 0, >0.  File names order by their
 * base name, then by their numeric suffix as a number (mysql-bin.999999
 * comes before mysql-bin.1000000), then offsets.  A NULL file sorts first.
 */
extern int	chameleon_binlog_pos_cmp(const char *file_a, int64 pos_a,
									 const char *file_b, int64 pos_b);

#endif							/* CHAMELEON_POSITION_H */
