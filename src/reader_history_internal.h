/*-------------------------------------------------------------------------
 *
 * reader_history_internal.h
 *	  What the files of the reader's schema history share: reader_history.c
 *	  (the entries by table and position, their catalogue rows),
 *	  reader_history_ddl.c (following the stream's DDL) and
 *	  reader_history_map.c (filling TABLE_MAP events from a layout).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_READER_HISTORY_INTERNAL_H
#define CHAMELEON_READER_HISTORY_INTERNAL_H

#include "postgres.h"

#include "utils/hsearch.h"

#include "history.h"
#include "reader_internal.h"

/* freed entries kept until the decoder goes (see above) */
#define HIST_GRAVEYARD_MAX	256
/* how long rows of a syncing table wait for the copy's layout */
#define HIST_SYNC_WAIT_MS	200

/* What a TABLE_MAP needs from a layout: its row-image columns. */
typedef struct HistView
{
	uint32		ncols;
	cddl_binlog_column *bc;
	cbl_str    *names;
	uint32	   *nlabels;
	cbl_str   **labels;
} HistView;

/* One layout from a position on. */
typedef struct HistEntry
{
	ReaderPos	pos;
	cddl_layout *layout;		/* NULL: gone or unknown (why) */
	char	   *why;
	bool		persisted;		/* in chameleon.table_layout */
	HistView   *view;
} HistEntry;

/* The entries of one MySQL table, sorted by position. */
typedef struct HistTable
{
	char		key[READER_KEY_LEN];
	int			n;
	int			cap;
	HistEntry **e;
} HistTable;

/* A MySQL schema's default charset and collation. */
typedef struct HistSchema
{
	char		name[READER_KEY_LEN];
	bool		known;
	char	   *charset;
	char	   *collation;
} HistSchema;

/* A table to disable at the next flush. */
typedef struct HistDisable
{
	char	   *schema;
	char	   *table;
	char	   *reason;
} HistDisable;

typedef struct HistState
{
	MemoryContext cxt;
	HTAB	   *tables;
	HTAB	   *schemas;
	int64		last_id;		/* highest layout_id loaded */
	List	   *graveyard;		/* HistEntry * freed with the decoder */
	List	   *disable;		/* HistDisable * */
	bool		pending;		/* entries not written yet */
	uint64		generation;		/* chameleon_catalog_generation() last read */
	MYSQL	   *conn;
} HistState;


/* the history of the reader of this process */
extern HistState hist;

/* Splits a reader key into schema and table (pointers into key). */
extern void hist_key_names(const char *key, const char **schema, const char **table);
/* Creates the history's context and hashes on first use. */
extern void hist_init(ReaderState *st);
/* The connection for SHOW CREATE TABLE and schema defaults. */
extern MYSQL *hist_conn(ReaderState *st);
/* The entries of a table (NULL if none and !create). */
extern HistTable *hist_table(const char *key, bool create);
/* Position comparison of two reader positions. */
extern int	hist_pos_cmp(const ReaderPos *a, const ReaderPos *b);
/* The entry valid at pos, or NULL. */
extern HistEntry *hist_at(const HistTable *ht, const ReaderPos *pos);
/* Adds an entry (see reader_history.c); whether it is kept. */
extern bool hist_put(HistTable *ht, HistEntry *e, bool replace);
/* A new entry in the history's context. */
extern HistEntry *hist_entry(const char *file, uint64 pos, cddl_layout *layout,
							 const char *why, bool persisted);
/* Reads a stored layout text (NULL with *why when it cannot be read). */
extern cddl_layout *hist_parse(const char *text, const char *schema,
							   cddl_flavour flavour, char **why);
/*
 * Starts the history of a table that has none with its current definition
 * (SHOW CREATE TABLE), valid from pos on; returns its entries.
 */
extern HistTable *hist_seed_current(ReaderState *st, const char *key,
									cddl_flavour flavour, const ReaderPos *pos);
/* Puts an entry away until the decoder goes. */
extern void hist_bury(HistEntry *e);

#endif							/* CHAMELEON_READER_HISTORY_INTERNAL_H */
