/*-------------------------------------------------------------------------
 *
 * cddl.h
 *	  Public interface of the MySQL DDL translator (pure C11).
 *
 * The library turns MySQL/MariaDB DDL text into a typed statement tree
 * (cddl_parse) and a statement into PostgreSQL statements for a target
 * schema (cddl_translate).  It uses no PostgreSQL headers, keeps no global
 * mutable state, never aborts, and reports every failure as a cddl_error
 * carrying a message, the byte position in the input and the offending
 * token.  All memory belongs to one cddl_doc and is freed with
 * cddl_doc_free().
 *
 * Options (cddl_options, zero-initialise it): target_schema is the
 * PostgreSQL schema for unqualified names, mysql_schema the MySQL schema
 * they belong to (used to match type_override's override_tables), and
 * overrides/noverrides the type_override entries and fillfactors/
 * nfillfactors the fillfactor entries (SPEC section 3), e.g.
 *
 *		static const char *const all[] = {"*"};
 *		cddl_type_override ov = {"tinyint(1)", "boolean", all, 1};
 *		cddl_options opts = {0};
 *		opts.target_schema = "sakila_pg";
 *		opts.mysql_schema = "sakila";
 *		opts.overrides = &ov;
 *		opts.noverrides = 1;
 *
 * 1. Replication (one binlog DDL statement, any kind): every statement of
 *    out.statements is run in order; out.foreign_keys is kept for
 *    detach_replica; out.notes says what was left out and why.
 *
 *		cddl_error	err;
 *		cddl_doc   *doc = cddl_parse(sql, strlen(sql), &err);
 *		for (cddl_stmt *s = doc ? doc->stmts : NULL; s; s = s->next)
 *		{
 *			cddl_output out;
 *			if (cddl_translate(doc, s, &opts, &out, &err))
 *				for (cddl_sql *q = out.statements; q; q = q->next)
 *					run(q->text);
 *		}
 *		cddl_doc_free(doc);		(frees the outputs too)
 *
 * 2. Initial copy (one table, from the text of SHOW CREATE TABLE): the
 *    table is created without its keys, loaded, then indexed.
 *
 *		cddl_output out;
 *		cddl_doc   *doc = cddl_translate_table(text, len, &opts, &out, &err);
 *		if (doc == NULL)
 *			fail(err.message, err.position, err.token);
 *		run_all(out.statements);	(pre-data: enum types, sequences,
 *									 CREATE TABLE with columns, types,
 *									 defaults, NOT NULL, identity)
 *		... COPY the rows ...
 *		run_all(out.post_data);		(primary key, unique keys, indexes,
 *									 sequence ownership, comments)
 *		keep(out.foreign_keys);		(for detach_replica)
 *		... doc->stmts->columns describes the MySQL columns; cddl_pg_type()
 *		    gives each column's PostgreSQL type with the same options ...
 *		cddl_doc_free(doc);
 *
 *    cddl_translate_table() is cddl_parse() + cddl_translate() with
 *    opts->defer_keys forced on, refusing anything but exactly one CREATE
 *    TABLE with a column list.  The same split is available for any
 *    statement by setting opts.defer_keys with cddl_translate().
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDDL_H
#define CDDL_H

#include <stdbool.h>
#include <stddef.h>

/* ---------- errors ---------- */

typedef struct cddl_error
{
	bool		set;			/* true once an error was recorded */
	char		message[256];	/* lower-case message, no trailing period */
	size_t		position;		/* 0-based byte offset in the input */
	char		token[64];		/* offending token text (may be truncated) */
} cddl_error;

/* ---------- statement tree ---------- */

/* A possibly schema-qualified name; schema is NULL when not given. */
typedef struct cddl_name
{
	char	   *schema;
	char	   *name;
} cddl_name;

/* A list of strings (column names, enum labels...). */
typedef struct cddl_strlist
{
	char	   *value;
	struct cddl_strlist *next;
} cddl_strlist;

/* MySQL base types, after resolving aliases (BOOL, INTEGER, DEC...). */
typedef enum cddl_base_type
{
	CDDL_T_TINYINT, CDDL_T_SMALLINT, CDDL_T_MEDIUMINT, CDDL_T_INT,
	CDDL_T_BIGINT, CDDL_T_DECIMAL, CDDL_T_FLOAT, CDDL_T_DOUBLE, CDDL_T_BIT,
	CDDL_T_YEAR, CDDL_T_DATE, CDDL_T_DATETIME, CDDL_T_TIMESTAMP, CDDL_T_TIME,
	CDDL_T_CHAR, CDDL_T_VARCHAR, CDDL_T_TINYTEXT, CDDL_T_TEXT,
	CDDL_T_MEDIUMTEXT, CDDL_T_LONGTEXT, CDDL_T_BINARY, CDDL_T_VARBINARY,
	CDDL_T_TINYBLOB, CDDL_T_BLOB, CDDL_T_MEDIUMBLOB, CDDL_T_LONGBLOB,
	CDDL_T_ENUM, CDDL_T_SET, CDDL_T_JSON, CDDL_T_GEOMETRY, CDDL_T_INET4,
	CDDL_T_INET6, CDDL_T_UUID
} cddl_base_type;

/* A MySQL column type. */
typedef struct cddl_type
{
	cddl_base_type base;
	const char *name;			/* canonical MySQL name: "int", "varchar"... */
	long		length;			/* first argument, -1 when absent */
	long		scale;			/* second argument, -1 when absent */
	bool		is_unsigned;
	bool		zerofill;
	bool		binary_charset; /* CHARACTER SET binary */
	bool		binary_collation;	/* BINARY attribute: the charset's _bin
									 * collation */
	bool		national;		/* NATIONAL / NCHAR / NVARCHAR: utf8mb3 */
	cddl_strlist *values;		/* ENUM/SET labels (decoded) */
	char	   *charset;
	char	   *collation;
	long		srid;			/* geometry: the declared SRID (MySQL 8 SRID n,
								 * MariaDB REF_SYSTEM_ID=n), 0 when none */
	char	   *column_type;	/* information_schema.COLUMN_TYPE style text,
								 * e.g. "tinyint(1)", "int(10) unsigned",
								 * "enum('a','b')": what type_override matches */
} cddl_type;

typedef enum cddl_default_kind
{
	CDDL_DEF_NONE,				/* no DEFAULT clause */
	CDDL_DEF_NULL,				/* DEFAULT NULL */
	CDDL_DEF_STRING,			/* quoted literal; text = decoded value */
	CDDL_DEF_NUMBER,			/* numeric literal; text = "-12.5" */
	CDDL_DEF_HEX,				/* X'..' or 0x..; text = hex digits */
	CDDL_DEF_BIT,				/* b'..' or 0b..; text = binary digits */
	CDDL_DEF_BOOL,				/* TRUE/FALSE; text = "1"/"0" */
	CDDL_DEF_CURRENT_TIMESTAMP, /* CURRENT_TIMESTAMP[(n)], NOW(), LOCALTIME... */
	CDDL_DEF_EXPR				/* anything else; text = source text */
} cddl_default_kind;

typedef struct cddl_default
{
	cddl_default_kind kind;
	char	   *text;
	int			precision;		/* CURRENT_TIMESTAMP(n); -1 if none */
} cddl_default;

/* A column definition. */
typedef struct cddl_column
{
	char	   *name;
	cddl_type	type;
	bool		not_null;		/* NOT NULL given (or implied by PRIMARY KEY) */
	bool		null_given;		/* explicit NULL given */
	cddl_default def;
	bool		on_update_now;	/* ON UPDATE CURRENT_TIMESTAMP */
	bool		auto_increment;
	bool		primary_key;	/* inline PRIMARY KEY */
	bool		unique_key;		/* inline UNIQUE [KEY] */
	bool		invisible;
	bool		generated;		/* AS (expr) / GENERATED ALWAYS AS */
	bool		generated_stored;
	char	   *generation_expr;
	char	   *comment;
	char	   *check_expr;		/* inline CHECK (expr), source text */
	struct cddl_key *references;	/* inline [CONSTRAINT n] REFERENCES ...:
									 * a CDDL_KEY_FOREIGN on this column */
	bool		compressed;		/* MariaDB COMPRESSED column */
	bool		row_start;		/* [GENERATED ALWAYS] AS ROW START */
	bool		row_end;		/* [GENERATED ALWAYS] AS ROW END */
	bool		system_versioning;	/* WITH SYSTEM VERSIONING on the column
									 * (makes the table versioned) */
	bool		first;			/* ALTER: FIRST */
	char	   *after;			/* ALTER: AFTER col */
	size_t		position;		/* byte offset of the column name */
	struct cddl_column *next;
} cddl_column;

/* One part of an index key. */
typedef struct cddl_key_part
{
	char	   *column;			/* NULL for a functional part */
	char	   *expr;			/* functional key part, source text */
	long		prefix;			/* prefix length, -1 if none */
	bool		descending;
	bool		without_overlaps;	/* "period WITHOUT OVERLAPS": column is
									 * the name of a PERIOD FOR */
	struct cddl_key_part *next;
} cddl_key_part;

typedef enum cddl_key_kind
{
	CDDL_KEY_PRIMARY, CDDL_KEY_UNIQUE, CDDL_KEY_INDEX, CDDL_KEY_FULLTEXT,
	CDDL_KEY_SPATIAL, CDDL_KEY_FOREIGN, CDDL_KEY_CHECK,
	CDDL_KEY_PERIOD				/* PERIOD FOR name (start, end): name, and the
								 * two columns in ref_columns; no index */
} cddl_key_kind;

typedef enum cddl_fk_action
{
	CDDL_FK_NONE, CDDL_FK_RESTRICT, CDDL_FK_CASCADE, CDDL_FK_SET_NULL,
	CDDL_FK_NO_ACTION, CDDL_FK_SET_DEFAULT
} cddl_fk_action;

/* A key, index, foreign key or check constraint. */
typedef struct cddl_key
{
	cddl_key_kind kind;
	char	   *name;			/* index name or NULL */
	char	   *constraint_name;	/* CONSTRAINT name or NULL */
	cddl_key_part *parts;
	bool		if_not_exists;
	bool		using_hash;		/* USING HASH / TYPE HASH */
	/* foreign keys */
	cddl_name	ref_table;
	cddl_strlist *ref_columns;
	cddl_fk_action on_delete;
	cddl_fk_action on_update;
	/* check constraints */
	char	   *check_expr;
	struct cddl_key *next;
} cddl_key;

typedef enum cddl_stmt_kind
{
	CDDL_STMT_IGNORED,			/* no PostgreSQL meaning */
	CDDL_STMT_CREATE_TABLE,
	CDDL_STMT_CREATE_TABLE_LIKE,
	CDDL_STMT_CREATE_TABLE_SELECT,	/* CREATE TABLE ... SELECT, or without a
									 * column list (engine discovery): the
									 * structure is known to the server only */
	CDDL_STMT_DROP_TABLE,
	CDDL_STMT_RENAME_TABLE,
	CDDL_STMT_ALTER_TABLE,
	CDDL_STMT_CREATE_INDEX,
	CDDL_STMT_DROP_INDEX,
	CDDL_STMT_TRUNCATE
} cddl_stmt_kind;

typedef enum cddl_alter_kind
{
	CDDL_AT_ADD_COLUMN,
	CDDL_AT_DROP_COLUMN,
	CDDL_AT_CHANGE_COLUMN,		/* old_name + column (new definition) */
	CDDL_AT_MODIFY_COLUMN,		/* column (new definition) */
	CDDL_AT_RENAME_COLUMN,		/* old_name -> new_name */
	CDDL_AT_SET_DEFAULT,		/* old_name + def */
	CDDL_AT_DROP_DEFAULT,		/* old_name */
	CDDL_AT_ADD_KEY,			/* key (any kind, incl. FOREIGN and CHECK) */
	CDDL_AT_DROP_INDEX,			/* old_name = index name */
	CDDL_AT_DROP_PRIMARY_KEY,
	CDDL_AT_DROP_FOREIGN_KEY,	/* old_name = constraint name */
	CDDL_AT_DROP_CONSTRAINT,	/* old_name = constraint name (unknown kind) */
	CDDL_AT_DROP_CHECK,			/* old_name */
	CDDL_AT_RENAME_TABLE,		/* new_table */
	CDDL_AT_RENAME_INDEX,		/* old_name -> new_name */
	CDDL_AT_IGNORED				/* ENGINE=, CONVERT TO, partitions...: no
								 * PostgreSQL meaning, see detail */
} cddl_alter_kind;

/*
 * What a CDDL_AT_IGNORED action is, when it matters to the MySQL table's
 * own column layout (cddl_layout.h) although PostgreSQL has no use for it.
 */
typedef enum cddl_alter_detail
{
	CDDL_AD_NONE,				/* nothing a table layout needs */
	CDDL_AD_TABLE_OPTIONS,		/* options: ENGINE=, [DEFAULT] CHARSET=,
								 * COLLATE= ... */
	CDDL_AD_CONVERT_CHARSET,	/* CONVERT TO CHARACTER SET options.charset
								 * [COLLATE options.collation]; charset
								 * "DEFAULT" means the schema's */
	CDDL_AD_SET_VISIBLE,		/* ALTER COLUMN old_name SET VISIBLE */
	CDDL_AD_SET_INVISIBLE,		/* ALTER COLUMN old_name SET INVISIBLE */
	CDDL_AD_ADD_SYSTEM_VERSIONING,
	CDDL_AD_DROP_SYSTEM_VERSIONING,
	CDDL_AD_PARTITION_TO_TABLE, /* CONVERT PARTITION p TO TABLE new_table */
	CDDL_AD_TABLE_TO_PARTITION	/* CONVERT TABLE new_table TO PARTITION p */
} cddl_alter_detail;

/* Table options kept from CREATE TABLE (and ALTER TABLE options). */
typedef struct cddl_table_options
{
	char	   *engine;
	char	   *charset;
	char	   *collation;
	char	   *comment;
	long long	auto_increment; /* AUTO_INCREMENT=n, 0 when absent */
	bool		partitioned;
	bool		system_versioning;	/* WITH SYSTEM VERSIONING */
} cddl_table_options;

/* One action of an ALTER TABLE comma list. */
typedef struct cddl_alter_cmd
{
	cddl_alter_kind kind;
	cddl_alter_detail detail;	/* CDDL_AT_IGNORED: what it is */
	cddl_table_options options; /* CDDL_AD_TABLE_OPTIONS, _CONVERT_CHARSET */
	bool		if_exists;
	bool		if_not_exists;
	char	   *old_name;
	char	   *new_name;
	cddl_column *column;
	cddl_default def;
	cddl_key   *key;
	cddl_name	new_table;
	const char *what;			/* CDDL_AT_IGNORED: short description */
	size_t		position;
	struct cddl_alter_cmd *next;
} cddl_alter_cmd;

/* A pair of RENAME TABLE. */
typedef struct cddl_rename
{
	cddl_name	from;
	cddl_name	to;
	struct cddl_rename *next;
} cddl_rename;

/* A list of table names (DROP TABLE, TRUNCATE). */
typedef struct cddl_namelist
{
	cddl_name	name;
	struct cddl_namelist *next;
} cddl_namelist;

/* One parsed statement. */
typedef struct cddl_stmt
{
	cddl_stmt_kind kind;
	size_t		start;			/* byte range of the statement in the input */
	size_t		end;
	const char *ignored_what;	/* CDDL_STMT_IGNORED: e.g. "CREATE VIEW" */

	cddl_name	table;			/* CREATE/ALTER/CREATE INDEX/DROP INDEX target */
	bool		if_not_exists;
	bool		if_exists;
	bool		temporary;
	bool		or_replace;		/* CREATE OR REPLACE TABLE (MariaDB) */

	/* CREATE TABLE */
	cddl_column *columns;
	cddl_key   *keys;			/* incl. foreign keys and checks */
	cddl_table_options options;
	cddl_name	like_table;		/* CREATE TABLE ... LIKE */

	/* DROP TABLE / TRUNCATE */
	cddl_namelist *tables;

	/* RENAME TABLE */
	cddl_rename *renames;

	/* ALTER TABLE */
	cddl_alter_cmd *cmds;

	/* CREATE INDEX (key) / DROP INDEX (index_name) */
	cddl_key   *index;
	char	   *index_name;

	struct cddl_stmt *next;
} cddl_stmt;

typedef struct cddl_arena cddl_arena;

/* The result of cddl_parse: statements and the memory they live in. */
typedef struct cddl_doc
{
	cddl_arena *arena;
	const char *input;			/* the caller's text (not copied) */
	size_t		input_len;
	cddl_stmt  *stmts;
	size_t		nstmts;
} cddl_doc;

/* ---------- translation ---------- */

/* One type_override entry (SPEC section 3). */
typedef struct cddl_type_override
{
	const char *mysql_type;		/* exact column_type, e.g. "tinyint(1)" */
	const char *pg_type;		/* override_to, emitted verbatim */
	const char *const *tables;	/* "*" or "schema.table" (MySQL names) */
	size_t		ntables;
} cddl_type_override;

/*
 * One fillfactor entry (SPEC section 3): the PostgreSQL tables created for
 * these MySQL tables get WITH (fillfactor = percent).
 */
typedef struct cddl_fillfactor
{
	int			percent;		/* 10 to 100 */
	const char *const *tables;	/* "*" or "schema.table" (MySQL names) */
	size_t		ntables;
} cddl_fillfactor;

/*
 * Maps a MySQL schema to the PostgreSQL schema of the replica; returns NULL
 * when the MySQL schema is not replicated (statements on it are skipped).
 */
typedef const char *(*cddl_schema_map_fn) (void *ctx, const char *mysql_schema);

/* the largest SRID a PostGIS geometry type modifier takes */
#define CDDL_POSTGIS_MAX_SRID 999999

typedef struct cddl_options
{
	const char *target_schema;	/* PostgreSQL schema for unqualified names */
	const char *mysql_schema;	/* MySQL default schema (for type_override);
								 * may be NULL */
	cddl_schema_map_fn map_schema;	/* NULL: every name goes to target_schema */
	void	   *map_ctx;
	const cddl_type_override *overrides;
	size_t		noverrides;
	const cddl_fillfactor *fillfactors; /* CREATE TABLE ... WITH (fillfactor) */
	size_t		nfillfactors;
	bool		postgis;		/* geometry family -> PostGIS geometry(Type,
								 * SRID) (else bytea); SPATIAL keys -> GiST */
	bool		defer_keys;		/* initial copy: the primary key becomes an
								 * ALTER TABLE, and every CDDL_PHASE_POST
								 * statement (keys, indexes, sequence
								 * ownership, comments) goes to
								 * cddl_output.post_data instead of
								 * statements.  Leave false when
								 * replicating. */
} cddl_options;

typedef enum cddl_phase
{
	CDDL_PHASE_PRE,				/* types, sequences: before the table */
	CDDL_PHASE_MAIN,			/* the statement itself */
	CDDL_PHASE_POST				/* indexes, keys, comments: after the data */
} cddl_phase;

/* A list of generated PostgreSQL statements (no trailing semicolon). */
typedef struct cddl_sql
{
	char	   *text;
	cddl_phase	phase;
	struct cddl_sql *next;
} cddl_sql;

/* What cddl_translate produced for one statement. */
typedef struct cddl_output
{
	cddl_sql   *statements;		/* to run, in order (with defer_keys: the
								 * pre-data part only) */
	size_t		nstatements;
	cddl_sql   *post_data;		/* defer_keys only: to run, in order, after
								 * the data is loaded */
	size_t		npost_data;
	cddl_sql   *foreign_keys;	/* ALTER TABLE ... ADD CONSTRAINT ... NOT VALID,
								 * kept aside for detach_replica */
	cddl_sql   *notes;			/* human-readable: what was dropped and why */
} cddl_output;

/* ---------- functions ---------- */

/* Parses every statement of sql[0..len); NULL on error (err set). */
extern cddl_doc *cddl_parse(const char *sql, size_t len, cddl_error *err);

/* Frees a document and everything allocated in it (NULL is fine). */
extern void cddl_doc_free(cddl_doc *doc);

/*
 * Translates one statement of doc; false on error (err set).  The output
 * lives in doc's memory until cddl_doc_free(doc).
 */
extern bool cddl_translate(cddl_doc *doc, const cddl_stmt *stmt,
						   const cddl_options *opts, cddl_output *out,
						   cddl_error *err);

/*
 * Initial copy: parses sql[0..len), which must be exactly one CREATE TABLE
 * with a column list (the text of SHOW CREATE TABLE), and translates it
 * with opts (NULL: defaults) and defer_keys forced on.  out->statements
 * creates the table without keys, out->post_data adds them after the data,
 * out->foreign_keys are for detach_replica.  Returns the document (the
 * parsed table is doc->stmts; free everything with cddl_doc_free), or NULL
 * with err set (*out is then empty).
 */
extern cddl_doc *cddl_translate_table(const char *sql, size_t len,
									  const cddl_options *opts,
									  cddl_output *out, cddl_error *err);

/*
 * Parses a bare MySQL column type, as information_schema.COLUMNS.COLUMN_TYPE
 * prints it ("int(10) unsigned", "enum('a','b')"), into *type (memory in a
 * new document returned to the caller); NULL on error.
 */
extern cddl_doc *cddl_parse_type(const char *text, size_t len, cddl_type *type,
								 cddl_error *err);

/*
 * Writes the PostgreSQL type for a MySQL column into buf (NUL-terminated).
 * table_schema/table are MySQL names used for type_override matching; enum
 * types are named after pg_table/column in opts->target_schema.  Returns
 * false if the type has no mapping or does not fit in bufsize (a cut type
 * name could leave a quoted identifier open).
 */
extern bool cddl_pg_type(const cddl_type *type, const cddl_options *opts,
						 const char *mysql_schema, const char *mysql_table,
						 const char *column, char *buf, size_t bufsize);

/*
 * The fillfactor opts gives the MySQL table mysql_schema.mysql_table, or 0
 * for none: the table named as "schema.table" wins over "*", and among
 * entries naming it alike the last one wins.
 */
extern int	cddl_fillfactor_for(const cddl_options *opts, const char *mysql_schema,
								const char *mysql_table);

/*
 * Writes into buf the name of the enum type created for table.column
 * (unquoted, at most 63 bytes, deterministic).
 */
extern void cddl_enum_type_name(const char *table, const char *column,
								char *buf, size_t bufsize);

/* Writes ident quoted like PostgreSQL's quote_identifier() into buf. */
extern void cddl_quote_ident_buf(const char *ident, char *buf, size_t bufsize);

/* Human-readable name of a statement kind ("CREATE TABLE"...). */
extern const char *cddl_stmt_kind_name(cddl_stmt_kind kind);

#endif							/* CDDL_H */
