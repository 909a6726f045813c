/*-------------------------------------------------------------------------
 *
 * ddl_internal.h
 *	  Declarations shared by the files of the DDL translator library.
 *
 * Not part of the public interface (see cddl.h).  Everything here is pure
 * C11: an arena allocator, a growable string buffer, the token stream of
 * the lexer and the parser state used by the per-statement parsers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CDDL_INTERNAL_H
#define CDDL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cddl.h"
#include "cddl_layout.h"

/* Longest PostgreSQL identifier (NAMEDATALEN - 1). */
#define CDDL_NAMEDATALEN 63

/*
 * Room for a PostgreSQL type: a schema-qualified enum type, both names
 * quoted with every character a doubled quote, takes 2 * (2 * 63 + 2) + 1
 * bytes; type_override texts longer than this are refused.
 */
#define CDDL_PGTYPE_LEN 512

/* Deepest parenthesis nesting accepted, to bound recursion. */
#define CDDL_MAX_DEPTH 200

/* ---------- arena.c ---------- */

extern cddl_arena *cddl_arena_create(void);
extern void cddl_arena_destroy(cddl_arena *a);
extern void *cddl_alloc(cddl_arena *a, size_t size);
extern char *cddl_strndup(cddl_arena *a, const char *s, size_t len);
extern char *cddl_strdup(cddl_arena *a, const char *s);

/* ---------- strbuf.c ---------- */

/* A growable string; on allocation failure "failed" is set and appends stop. */
typedef struct cddl_buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;
} cddl_buf;

extern void cddl_buf_init(cddl_buf *b);
extern void cddl_buf_free(cddl_buf *b);
extern void cddl_buf_putn(cddl_buf *b, const char *s, size_t n);
extern void cddl_buf_puts(cddl_buf *b, const char *s);
extern void cddl_buf_putc(cddl_buf *b, char c);
extern void cddl_buf_printf(cddl_buf *b, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* ---------- quote.c ---------- */

extern const char *const cddl_pg_keywords[];
extern const size_t cddl_pg_nkeywords;
extern void cddl_quote_ident(cddl_buf *b, const char *ident);
extern void cddl_quote_literal(cddl_buf *b, const char *s);
extern void cddl_quote_qualified(cddl_buf *b, const char *schema, const char *name);
extern uint32_t cddl_hash(const char *s);
extern void cddl_derived_name(char *buf, size_t bufsize, const char *a,
							  const char *b, const char *suffix);

/* ---------- lexer.c ---------- */

typedef enum cddl_tok_type
{
	TOK_END,					/* end of input */
	TOK_WORD,					/* bare word (identifier or keyword) */
	TOK_QIDENT,					/* `backquoted` identifier */
	TOK_STRING,					/* 'string' or "string" */
	TOK_NUMBER,					/* 12, 1.5, 1e3 */
	TOK_HEX,					/* X'0A' or 0x0A (value: hex digits) */
	TOK_BIT,					/* b'01' or 0b01 (value: binary digits) */
	TOK_PUNCT,					/* one punctuation/operator character */
	TOK_OP,						/* multi-character operator (<=, :=, ||...) */
	TOK_VARIABLE,				/* @var, @@var */
	TOK_SEMI					/* ; */
} cddl_tok_type;

typedef struct cddl_token
{
	cddl_tok_type type;
	size_t		start;			/* byte offset of the token in the input */
	size_t		len;			/* raw length */
	char	   *value;			/* decoded value (strings, identifiers) */
	bool		double_quoted;	/* TOK_STRING written with "..." */
} cddl_token;

typedef struct cddl_tokens
{
	cddl_token *tok;
	size_t		n;
} cddl_tokens;

extern bool cddl_lex(cddl_arena *a, const char *in, size_t len,
					 cddl_tokens *out, cddl_error *err);
extern void cddl_set_error(cddl_error *err, const char *in, size_t inlen,
						   size_t pos, size_t toklen, const char *fmt,...)
			__attribute__((format(printf, 6, 7)));

/* ---------- parser state (parse.c) ---------- */

typedef struct cddl_parser
{
	cddl_arena *arena;
	const char *in;
	size_t		inlen;
	cddl_token *tok;
	size_t		ntok;
	size_t		pos;			/* index of the current token */
	size_t		limit;			/* index of the statement's end token */
	int			depth;
	cddl_error *err;
} cddl_parser;

extern const cddl_token *cddl_peek(cddl_parser *p, size_t ahead);
extern bool cddl_is_kw(const cddl_token *t, const char *kw);
extern bool cddl_at_kw(cddl_parser *p, const char *kw);
extern bool cddl_accept_kw(cddl_parser *p, const char *kw);
extern bool cddl_expect_kw(cddl_parser *p, const char *kw);
extern bool cddl_at_punct(cddl_parser *p, char c);
extern bool cddl_accept_punct(cddl_parser *p, char c);
extern bool cddl_expect_punct(cddl_parser *p, char c);
extern bool cddl_at_end(cddl_parser *p);
extern bool cddl_fail(cddl_parser *p, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern bool cddl_oom(cddl_parser *p);
extern char *cddl_parse_ident(cddl_parser *p, const char *what);
extern bool cddl_parse_name(cddl_parser *p, cddl_name *name, const char *what);
extern bool cddl_parse_ident_list(cddl_parser *p, cddl_strlist **out);
extern char *cddl_skip_balanced(cddl_parser *p);
extern char *cddl_skip_expr(cddl_parser *p);
extern bool cddl_skip_to_end(cddl_parser *p);
extern bool cddl_parse_long(cddl_parser *p, long *out);
extern char *cddl_text_between(cddl_parser *p, size_t from_tok, size_t to_tok);
extern bool cddl_parse_option_value(cddl_parser *p, char **value);

/* ---------- parse_column.c / parse_key.c ---------- */

extern bool cddl_parse_data_type(cddl_parser *p, cddl_type *type);
extern cddl_column *cddl_parse_column_def(cddl_parser *p);
extern bool cddl_parse_default(cddl_parser *p, cddl_default *def);
extern bool cddl_parse_key_parts(cddl_parser *p, cddl_key_part **out);
extern cddl_key *cddl_parse_key_def(cddl_parser *p, bool *is_key);
extern bool cddl_parse_references(cddl_parser *p, cddl_key *k);

/* ---------- parse_create.c / parse_alter.c / parse_misc.c ---------- */

extern bool cddl_parse_create(cddl_parser *p, cddl_stmt *st);
extern bool cddl_parse_alter(cddl_parser *p, cddl_stmt *st);
extern bool cddl_parse_drop(cddl_parser *p, cddl_stmt *st);
extern bool cddl_parse_rename(cddl_parser *p, cddl_stmt *st);
extern bool cddl_parse_truncate(cddl_parser *p, cddl_stmt *st);
extern bool cddl_parse_table_options(cddl_parser *p, cddl_table_options *o,
									 bool in_alter);
extern bool cddl_parse_partitioning(cddl_parser *p);

/* ---------- types.c ---------- */

extern bool cddl_lookup_type(const char *word, cddl_type *type);
extern bool cddl_build_column_type(cddl_arena *a, cddl_type *type);

/* ---------- translate*.c ---------- */

typedef struct cddl_writer
{
	cddl_doc   *doc;
	const cddl_options *opts;
	cddl_output *out;
	cddl_sql  **tail_stmt;
	cddl_sql  **tail_post;
	cddl_sql  **tail_fk;
	cddl_sql  **tail_note;
	cddl_error *err;
	const cddl_stmt *stmt;
	bool		failed;
	/* while set, POST statements wait until cddl_release_post() */
	bool		hold_post;
	cddl_sql   *held;
	cddl_sql  **tail_held;
} cddl_writer;

extern void cddl_emit(cddl_writer *w, cddl_phase phase, cddl_buf *b);
extern void cddl_hold_post(cddl_writer *w);
extern void cddl_release_post(cddl_writer *w);
extern void cddl_emit_fk(cddl_writer *w, cddl_buf *b);
extern void cddl_note(cddl_writer *w, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
extern const char *cddl_target_schema(cddl_writer *w, const cddl_name *n);
extern void cddl_put_table(cddl_writer *w, cddl_buf *b, const cddl_name *n);
extern void cddl_write_fillfactor(cddl_writer *w, cddl_buf *b, const cddl_name *table);
extern bool cddl_write_column_type(cddl_writer *w, cddl_buf *b,
								   const cddl_name *table,
								   const cddl_column *col, char *pgtype,
								   size_t pgtypesize);
extern void cddl_write_enum_type(cddl_writer *w, const cddl_name *table,
								 const cddl_column *col);
extern bool cddl_write_default(cddl_writer *w, cddl_buf *b,
							   const cddl_default *def, const char *pgtype,
							   const cddl_column *col);
extern void cddl_index_name(cddl_writer *w, char *buf, size_t bufsize,
							const char *table, const char *index);
extern void cddl_write_key_index(cddl_writer *w, const cddl_name *table,
								 const cddl_key *key, const cddl_column *cols);
extern void cddl_write_primary_key(cddl_writer *w, const cddl_name *table,
								   const cddl_key_part *parts,
								   const cddl_strlist *colnames);
extern void cddl_write_foreign_key(cddl_writer *w, const cddl_name *table,
								   const cddl_key *key);
extern void cddl_write_fk_index(cddl_writer *w, const cddl_name *table,
								const cddl_key *fk);
extern bool cddl_needs_enum_type(cddl_writer *w, const cddl_name *table,
								 const cddl_column *col, const char *pgtype);
extern bool cddl_is_integer_type(const char *t);
extern bool cddl_is_json_check(const char *expr, const char *col);

/* Lower-case copy of s without spaces and backquotes, into buf. */
extern void cddl_squeeze(const char *s, char *buf, size_t size);
extern bool cddl_write_column_def(cddl_writer *w, cddl_buf *b,
								  const cddl_name *table,
								  const cddl_column *col, long long start_with,
								  bool force_nullable, char *pgtype,
								  size_t pgtypesize);
extern bool cddl_translate_create(cddl_writer *w, const cddl_stmt *st);
extern bool cddl_translate_alter(cddl_writer *w, const cddl_stmt *st);
extern void cddl_rename_table(cddl_writer *w, const cddl_name *from,
							  const cddl_name *to);

/* ---------- charset.c / collation_data.c ---------- */

typedef struct cddl_collation_row
{
	int			id;
	const char *name;
	const char *charset;
} cddl_collation_row;

extern const cddl_collation_row cddl_mariadb_collations[];
extern const size_t cddl_mariadb_ncollations;
extern const cddl_collation_row cddl_mysql_collations[];
extern const size_t cddl_mysql_ncollations;

extern bool cddl_name_eq(const char *a, const char *b);
extern const char *cddl_charset_canonical(const char *name);
extern const cddl_collation_row *cddl_collation_find(const char *name,
													 cddl_flavour flavour);
extern const cddl_collation_row *cddl_collation_resolve(const char *name,
														const char *charset,
														cddl_flavour flavour);
extern const char *cddl_charset_bin_collation(const char *charset,
											  cddl_flavour flavour);

/* ---------- layout*.c ---------- */

/* A column being worked on: the layout column and where it came from. */
typedef struct lay_col
{
	cddl_layout_column c;
	const char *old_name;		/* ALTER: its name before, NULL if added */
	bool		fresh;			/* defined by this statement (no CONVERT
								 * promotion of its text type) */
	const cddl_column *def;		/* the definition, if fresh */
	const cddl_alter_cmd *cmd;	/* ALTER: the CHANGE/MODIFY/ADD */
} lay_col;

/* The state of one layout construction (CREATE, ALTER, copy). */
typedef struct lay_build
{
	cddl_arena *scratch;		/* working memory, freed by lay_done */
	const cddl_layout_options *opts;
	cddl_flavour flavour;
	const char *in;				/* statement text, for error positions */
	size_t		inlen;
	cddl_error *err;
	bool		failed;
	/* the draft; strings may point into inputs until lay_finish copies */
	char	   *schema;
	char	   *name;
	char	   *engine;
	const char *charset;		/* table default */
	const char *collation;
	bool		system_versioned;
	lay_col    *cols;
	size_t		ncols;
	size_t		capcols;
	cddl_layout_key *keys;
	size_t		nkeys;
	size_t		capkeys;
	/* CONVERT TO CHARACTER SET of the ALTER being applied, or NULL */
	const char *convert_charset;
	const char *convert_collation;
} lay_build;

extern bool lay_init(lay_build *b, const cddl_layout_options *opts,
					 const char *in, size_t inlen, cddl_error *err);
extern void lay_done(lay_build *b);
extern bool lay_fail(lay_build *b, size_t pos, const char *token,
					 const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
extern bool lay_oom(lay_build *b);
extern bool lay_insert_col(lay_build *b, size_t at, const lay_col *c);
extern void lay_remove_col(lay_build *b, size_t at);
extern int	lay_find_col(const lay_build *b, const char *name);
extern bool lay_resolve_column(lay_build *b, const cddl_column *def,
							   lay_col *out);
extern bool lay_table_charset(lay_build *b, const char *charset,
							  const char *collation, size_t pos,
							  const char **cs, const char **coll);
extern bool lay_convert_column(lay_build *b, lay_col *c);
extern bool lay_expr_ok(const char *expr);
extern bool lay_schema_charset(lay_build *b, const char *schema,
							   const char **cs, const char **coll);
extern cddl_layout *lay_create_in(cddl_arena *arena, const cddl_doc *doc,
								  const cddl_stmt *st,
								  const cddl_layout_options *opts,
								  cddl_error *err);
extern cddl_layout *lay_alter_in(cddl_arena *arena, const cddl_layout *old,
								 const cddl_doc *doc, const cddl_stmt *st,
								 const cddl_layout_options *opts,
								 cddl_error *err);
extern bool lay_start_from(lay_build *b, const cddl_layout *old);
extern cddl_layout *lay_finish(lay_build *b, cddl_arena *arena);
extern cddl_layout *lay_clone(cddl_arena *arena, const cddl_layout *src,
							  const char *schema, const char *name);
extern bool lay_alter(lay_build *b, const cddl_stmt *st);
extern const char *lay_engine_name(const char *engine);

/* layout_sql.c */
extern char *lay_column_type(cddl_arena *arena, const cddl_type *type);

/* layout_keys.c (fk_pass: the indexes of foreign keys, which come last) */
extern bool lay_add_key(lay_build *b, const cddl_key *k, bool fk_pass,
						size_t pos);
extern bool lay_add_column_keys(lay_build *b, const cddl_column *def,
								bool fk_pass, size_t pos);
extern bool lay_drop_key(lay_build *b, const char *name, bool if_exists,
						 bool unique_only, size_t pos);
extern bool lay_rename_key(lay_build *b, const char *from, const char *to,
						   bool if_exists, size_t pos);
extern bool lay_finish_keys(lay_build *b);
extern bool lay_is_text_type(cddl_base_type t);
extern bool lay_is_string_type(cddl_base_type t);

#endif							/* CDDL_INTERNAL_H */
