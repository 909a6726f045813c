/*-------------------------------------------------------------------------
 *
 * cddl_layout.h
 *	  The column layout of a MySQL/MariaDB table, moved forward by DDL
 *	  (pure C11): the model behind chameleon's schema history.
 *
 * With binlog_row_metadata=MINIMAL or NO_LOG, a TABLE_MAP event gives the
 * column types but not their names (nor, with NO_LOG, signedness and
 * charsets, nor ever ENUM/SET labels without FULL).  A table's layout is
 * what fills the gap: its columns in binlog order, each with its name,
 * MySQL type, effective charset and collation, nullability and whether it
 * is a hidden system column; plus what decides hidden columns (keys, system
 * versioning) and the table's default charset.
 *
 * A layout is seeded from SHOW CREATE TABLE (cddl_layout_from_sql) and
 * moved forward by the DDL statements of the stream, in stream order
 * (cddl_layout_changes).  It is stored as canonical MySQL CREATE TABLE text
 * (cddl_layout_sql) that cddl_layout_from_sql reads back into an identical
 * layout.  A statement the model cannot apply is a cddl_error, never a
 * silently wrong layout; the caller then marks the table's history unknown.
 *
 * Memory: a layout made by cddl_layout_from_sql, _create, _alter or _copy
 * owns its memory (owned is true) and is freed with cddl_layout_free().
 * The changes of cddl_layout_changes(), and their layouts, live in the
 * statement's cddl_doc (cddl_layout_free() ignores them): copy a layout
 * with cddl_layout_copy() to keep it beyond cddl_doc_free().
 *
 * Reader integration (lookup finds a table's current layout in the
 * reader's cache; errors mark that table's history unknown):
 *
 *		cddl_layout_options o = {0};
 *		o.schema = "shop";  o.schema_charset = "utf8mb4";
 *		o.lookup = lookup;  o.lookup_ctx = cache;
 *		l = cddl_layout_from_sql(show_create, len, &o, &err);	(seed)
 *		store(pos, cddl_layout_sql(l));		(canonical CREATE TABLE text)
 *		l = cddl_layout_from_sql(stored, strlen(stored), &o, &err);	(load)
 *		doc = cddl_parse(query, qlen, &err);	(a Query event, in order)
 *		for (c = cddl_layout_changes(doc, doc->stmts, &o, &err); c; c = c->next)
 *			c->op == CDDL_TABLE_DROP ? forget(&c->table) :
 *			c->layout ? keep(&c->new_name, cddl_layout_copy(c->layout)) :
 *			c->op == CDDL_TABLE_RENAME ? move(&c->table, &c->new_name) : 0;
 *		cddl_doc_free(doc);		(NULL with err.set: that table is unknown)
 *		for (i = 0; i < l->ncolumns; i++)	(a TABLE_MAP of the table)
 *			cddl_layout_binlog(l, i, &bc);	(check bc.type, bc.max_len...
 *						against the event, then fill names, labels,
 *						signedness and bc.collation_id)
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDDL_LAYOUT_H
#define CDDL_LAYOUT_H

#include <stdint.h>

#include "cddl.h"

/* Which server's rules apply (JSON type, default collations, hidden columns). */
typedef enum cddl_flavour
{
	CDDL_MARIADB = 0,
	CDDL_MYSQL
} cddl_flavour;

typedef enum cddl_generated_kind
{
	CDDL_GEN_NONE,
	CDDL_GEN_VIRTUAL,
	CDDL_GEN_STORED
} cddl_generated_kind;

/* Hidden columns: in row events, not in information_schema. */
typedef enum cddl_hidden_kind
{
	CDDL_HIDDEN_NONE,
	CDDL_HIDDEN_ROW_START,		/* implicit row_start of WITH SYSTEM VERSIONING */
	CDDL_HIDDEN_ROW_END,		/* implicit row_end */
	CDDL_HIDDEN_LONG_UNIQUE		/* DB_ROW_HASH_n of a MariaDB long unique key */
} cddl_hidden_kind;

/* One column, in binlog (= TABLE_MAP) order. */
typedef struct cddl_layout_column
{
	char	   *name;
	cddl_type	type;			/* normalised as the server stores it:
								 * type.column_type is information_schema
								 * COLUMN_TYPE ("int(11)", "enum('a','b')"),
								 * type.values the ENUM/SET labels (bytes as
								 * written, trailing spaces removed),
								 * type.charset/collation the effective ones
								 * of string columns (NULL for others) */
	int			fsp;			/* TIME/DATETIME/TIMESTAMP fraction digits */
	bool		nullable;
	bool		invisible;		/* INVISIBLE (listed by information_schema) */
	cddl_hidden_kind hidden;	/* not listed by information_schema */
	bool		in_row_image;	/* has a slot in TABLE_MAP and row events
								 * (every column on MariaDB 10.11, see
								 * layout.c) */
	cddl_generated_kind generated;
	char	   *generation_expr;	/* source text of AS (...) */
	bool		row_start;		/* explicit AS ROW START / AS ROW END */
	bool		row_end;
	bool		compressed;		/* MariaDB COMPRESSED */
} cddl_layout_column;

/* A key part: a column (NULL for a MySQL functional part) and prefix. */
typedef struct cddl_layout_key_part
{
	char	   *column;
	char	   *expr;
	long		prefix;			/* -1: whole column */
	bool		descending;
} cddl_layout_key_part;

/* An index (foreign keys and checks are not kept; their indexes are). */
typedef struct cddl_layout_key
{
	cddl_key_kind kind;			/* PRIMARY, UNIQUE, INDEX, FULLTEXT, SPATIAL */
	char	   *name;			/* "PRIMARY" for the primary key */
	cddl_layout_key_part *parts;
	size_t		nparts;
	bool		long_unique;	/* MariaDB: unique by a hidden hash column */
	bool		hash_explicit;	/* USING HASH written (not a length
								 * overflow), until the next ALTER */
	bool		generated;		/* made for a foreign key: goes when another
								 * key starts with its columns (SHOW CREATE
								 * TABLE does not tell, so a layout read
								 * from text never has it) */
} cddl_layout_key;

typedef struct cddl_layout
{
	cddl_arena *arena;			/* where the layout lives */
	bool		owned;			/* arena is the layout's own (else a doc's) */
	cddl_flavour flavour;
	char	   *schema;
	char	   *name;
	char	   *engine;			/* as written, e.g. "InnoDB" */
	char	   *charset;		/* table default charset and collation */
	char	   *collation;
	bool		system_versioned;
	cddl_layout_column *columns;	/* every column, hidden ones last */
	size_t		ncolumns;
	cddl_layout_key *keys;		/* PRIMARY first, then by name */
	size_t		nkeys;
	char	   *sql;			/* cached cddl_layout_sql() */
} cddl_layout;

/* Looks up the current layout of schema.table; NULL when unknown. */
typedef const cddl_layout *(*cddl_layout_lookup_fn) (void *ctx,
													 const char *schema,
													 const char *table);

/*
 * The default charset and collation of a MySQL schema (its CREATE DATABASE
 * ... CHARACTER SET); false when unknown.
 */
typedef bool (*cddl_schema_charset_fn) (void *ctx, const char *schema,
										const char **charset,
										const char **collation);

typedef struct cddl_layout_options
{
	cddl_flavour flavour;
	const char *schema;			/* MySQL schema of unqualified table names
								 * (the statement's default database) */
	const char *schema_charset; /* default charset of that schema; NULL:
								 * utf8mb4 */
	const char *schema_collation;	/* NULL: the charset's default */
	cddl_schema_charset_fn schema_charset_of;	/* other schemas' defaults,
												 * called with lookup_ctx
												 * (NULL: the two above) */
	const char *default_engine; /* NULL: InnoDB */
	bool		timestamp_not_null; /* explicit_defaults_for_timestamp=OFF:
									 * TIMESTAMP without NULL is NOT NULL */
	cddl_layout_lookup_fn lookup;	/* for ALTER, CREATE ... LIKE, CREATE/DROP
									 * INDEX; NULL: those fail */
	void	   *lookup_ctx;
} cddl_layout_options;

/* ---------- layouts ---------- */

/*
 * Reads a layout from the text of SHOW CREATE TABLE (or cddl_layout_sql):
 * exactly one CREATE TABLE with a column list.  NULL with err set on
 * error.
 */
extern cddl_layout *cddl_layout_from_sql(const char *sql, size_t len,
										 const cddl_layout_options *opts,
										 cddl_error *err);

/* The layout made by a CREATE TABLE [... LIKE] statement of doc. */
extern cddl_layout *cddl_layout_create(const cddl_doc *doc,
									   const cddl_stmt *stmt,
									   const cddl_layout_options *opts,
									   cddl_error *err);

/*
 * The layout old becomes after an ALTER TABLE, CREATE INDEX or DROP INDEX
 * statement of doc (old is not changed).  ALTER ... RENAME TO gives the
 * new name.
 */
extern cddl_layout *cddl_layout_alter(const cddl_layout *old,
									  const cddl_doc *doc,
									  const cddl_stmt *stmt,
									  const cddl_layout_options *opts,
									  cddl_error *err);

/* A copy owning its memory; NULL when out of memory. */
extern cddl_layout *cddl_layout_copy(const cddl_layout *layout);

/* Renames a layout (e.g. a copy, after RENAME TABLE); false if out of memory. */
extern bool cddl_layout_set_name(cddl_layout *layout, const char *schema,
								 const char *name);

/* Frees a layout made by _from_sql/_create/_alter/_copy (NULL is fine). */
extern void cddl_layout_free(cddl_layout *layout);

/*
 * The canonical CREATE TABLE text of a layout, which cddl_layout_from_sql
 * reads back into an identical layout.  Lives as long as the layout; NULL
 * when out of memory.
 */
extern const char *cddl_layout_sql(cddl_layout *layout);

/*
 * True if a and b are identical: same flavour and canonical text, but for
 * the spelling of generation expressions, which is not part of a layout.
 */
extern bool cddl_layout_equal(const cddl_layout *a, const cddl_layout *b);

/* Index of the column named name (case-insensitive), or -1. */
extern int	cddl_layout_find(const cddl_layout *layout, const char *name);

/* ---------- what statements do to the set of tables ---------- */

typedef enum cddl_table_op
{
	CDDL_TABLE_CREATE,			/* table created with layout (OR REPLACE:
								 * replacing; IF NOT EXISTS: only if absent) */
	CDDL_TABLE_ALTER,			/* table's layout becomes layout; when
								 * new_name differs, it is renamed too */
	CDDL_TABLE_RENAME,			/* table renamed to new_name, same layout */
	CDDL_TABLE_DROP,			/* table dropped (if_exists: may be absent) */
	CDDL_TABLE_TRUNCATE			/* rows removed, same layout */
} cddl_table_op;

typedef struct cddl_table_change
{
	cddl_table_op op;
	cddl_name	table;			/* schema filled in from opts->schema */
	cddl_name	new_name;		/* RENAME, ALTER: the name afterwards */
	bool		if_exists;
	bool		if_not_exists;
	bool		or_replace;
	cddl_layout *layout;		/* CREATE, ALTER: the layout afterwards */
	struct cddl_table_change *next;
} cddl_table_change;

/*
 * What statement stmt of doc does to tables, in order (apply each change
 * before the next: RENAME TABLE a TO tmp, b TO a, tmp TO b is three
 * renames).  Layouts of existing tables come from opts->lookup.  Returns
 * NULL with err->set false when the statement changes no table (ignored
 * statements, temporary tables), NULL with err set when the model cannot
 * follow it (CREATE TABLE ... SELECT, an unknown table, a column that does
 * not exist...).  Everything lives in doc.
 */
extern cddl_table_change *cddl_layout_changes(cddl_doc *doc,
											  const cddl_stmt *stmt,
											  const cddl_layout_options *opts,
											  cddl_error *err);

/* ---------- binlog view ---------- */

/* What the TABLE_MAP event of a layout's table says about a column. */
typedef struct cddl_binlog_column
{
	uint8_t		type;			/* type byte in TABLE_MAP: 3 LONG, 15 VARCHAR,
								 * 254 STRING (CHAR, BINARY, ENUM, SET),
								 * 252 BLOB/TEXT, 246 NEWDECIMAL, 18
								 * DATETIME2... */
	uint8_t		real_type;		/* 247 ENUM / 248 SET behind 254, else type */
	uint32_t	max_len;		/* CHAR/VARCHAR/BINARY: bytes */
	uint8_t		len_bytes;		/* BLOB/TEXT/JSON/GEOMETRY length bytes;
								 * ENUM/SET pack length */
	uint8_t		fsp;			/* TIME2/DATETIME2/TIMESTAMP2 */
	uint8_t		precision;		/* NEWDECIMAL */
	uint8_t		scale;
	uint16_t	bits;			/* BIT(n) */
	bool		nullable;
	bool		is_unsigned;
	uint32_t	collation_id;	/* string columns; 63 for binary; 0 others */
} cddl_binlog_column;

/* Fills *out for column i of layout; false if i is out of range. */
extern bool cddl_layout_binlog(const cddl_layout *layout, size_t i,
							   cddl_binlog_column *out);

/* ---------- charsets and collations ---------- */

/*
 * The number of a collation, or of a charset's default collation, as
 * TABLE_MAP and the protocol write it ("utf8mb4_general_ci" 45,
 * "latin1" 8, "binary" 63); 0 when unknown.
 */
extern int	cddl_collation_id(const char *name, cddl_flavour flavour);

/* The name of collation number id, or NULL. */
extern const char *cddl_collation_name(int id, cddl_flavour flavour);

/* The default collation of a charset ("utf8mb4" -> "utf8mb4_general_ci"). */
extern const char *cddl_charset_default_collation(const char *charset,
												  cddl_flavour flavour);

/* Bytes per character at most (utf8mb4 4, latin1 1), 0 when unknown. */
extern int	cddl_charset_maxlen(const char *charset);

#endif							/* CDDL_LAYOUT_H */
