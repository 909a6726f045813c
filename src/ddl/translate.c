/*-------------------------------------------------------------------------
 *
 * translate.c
 *	  Entry point of the PostgreSQL DDL writer: cddl_translate().
 *
 * Dispatches on the statement kind and translates the simple statements
 * itself (DROP TABLE, RENAME TABLE, TRUNCATE, CREATE/DROP INDEX, CREATE
 * TABLE ... LIKE); CREATE TABLE and ALTER TABLE have files of their own.
 * Statements with no PostgreSQL meaning produce no statement and a note.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ddl_internal.h"

/* DROP TABLE a, b -> DROP TABLE IF EXISTS s.a, s.b (unreplicated schemas skipped). */
static void
translate_drop(cddl_writer *w, const cddl_stmt *st)
{
	cddl_buf	b;
	const cddl_namelist *n;
	bool		any = false;

	cddl_buf_init(&b);
	/*
	 * IF EXISTS always: a table MySQL had may be missing here (limit_tables,
	 * a table disabled by an error), and that must not stop the replay.
	 */
	cddl_buf_puts(&b, "DROP TABLE IF EXISTS ");
	for (n = st->tables; n; n = n->next)
	{
		if (cddl_target_schema(w, &n->name) == NULL)
			continue;
		if (any)
			cddl_buf_puts(&b, ", ");
		cddl_put_table(w, &b, &n->name);
		any = true;
	}
	if (any)
		cddl_emit(w, CDDL_PHASE_MAIN, &b);
	cddl_buf_free(&b);
}

/* TRUNCATE [TABLE] t -> TRUNCATE TABLE s.t. */
static void
translate_truncate(cddl_writer *w, const cddl_stmt *st)
{
	cddl_buf	b;

	cddl_buf_init(&b);
	cddl_buf_puts(&b, "TRUNCATE TABLE ");
	cddl_put_table(w, &b, &st->table);
	cddl_emit(w, CDDL_PHASE_MAIN, &b);
	cddl_buf_free(&b);
}

/*
 * After CREATE TABLE t (LIKE s INCLUDING ALL): PostgreSQL names the copied
 * indexes itself (t_a_idx), so a later DROP INDEX i ON t would not find
 * t_i.  A DO block renames each copy s_<i> to t_<i>, pairing the indexes
 * in creation order (LIKE copies them in the order of their OIDs).  The
 * body is an ordinary string literal: no dollar quote a table name could
 * close.
 */
static void
like_rename_indexes(cddl_writer *w, const cddl_stmt *st)
{
	cddl_buf	body;
	cddl_buf	b;
	const char *new_schema = cddl_target_schema(w, &st->table);
	const char *old_table = st->like_table.name;
	const char *new_table = st->table.name;

	cddl_buf_init(&body);
	cddl_buf_puts(&body, "DECLARE r record; BEGIN FOR r IN"
				  " SELECT n.relname AS newname, o.relname AS oldname FROM"
				  " (SELECT c.relname, row_number() OVER (ORDER BY c.oid) AS k"
				  " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
				  " WHERE i.indrelid = ");
	{
		cddl_buf	q;

		cddl_buf_init(&q);
		cddl_put_table(w, &q, &st->table);
		cddl_quote_literal(&body, q.data);
		cddl_buf_free(&q);
		cddl_buf_puts(&body, "::regclass) n JOIN"
					  " (SELECT c.relname, row_number() OVER (ORDER BY c.oid) AS k"
					  " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
					  " WHERE i.indrelid = ");
		cddl_buf_init(&q);
		cddl_put_table(w, &q, &st->like_table);
		cddl_quote_literal(&body, q.data);
		cddl_buf_free(&q);
	}
	cddl_buf_puts(&body, "::regclass) o USING (k) LOOP IF left(r.oldname, length(");
	cddl_quote_literal(&body, old_table);
	cddl_buf_puts(&body, ") + 1) = ");
	cddl_quote_literal(&body, old_table);
	cddl_buf_puts(&body, " || '_' AND r.newname <> ");
	cddl_quote_literal(&body, new_table);
	cddl_buf_puts(&body, " || substr(r.oldname, length(");
	cddl_quote_literal(&body, old_table);
	cddl_buf_puts(&body, ") + 1) THEN EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', ");
	cddl_quote_literal(&body, new_schema ? new_schema : "public");
	cddl_buf_puts(&body, ", r.newname, ");
	cddl_quote_literal(&body, new_table);
	cddl_buf_puts(&body, " || substr(r.oldname, length(");
	cddl_quote_literal(&body, old_table);
	cddl_buf_puts(&body, ") + 1)); END IF; END LOOP; END");

	cddl_buf_init(&b);
	cddl_buf_puts(&b, "DO ");
	cddl_quote_literal(&b, body.data);
	cddl_emit(w, CDDL_PHASE_MAIN, &b);
	cddl_buf_free(&b);
	cddl_buf_free(&body);
}

/* CREATE TABLE t LIKE s -> CREATE TABLE s.t (LIKE s.s INCLUDING ALL). */
static void
translate_like(cddl_writer *w, const cddl_stmt *st)
{
	cddl_buf	b;

	if (cddl_target_schema(w, &st->like_table) == NULL)
	{
		cddl_note(w, "CREATE TABLE ... LIKE a table of a schema that is not replicated: copy it with sync_tables");
		return;
	}
	cddl_buf_init(&b);
	cddl_buf_puts(&b, "CREATE TABLE ");
	if (st->if_not_exists)
		cddl_buf_puts(&b, "IF NOT EXISTS ");
	cddl_put_table(w, &b, &st->table);
	cddl_buf_puts(&b, " (LIKE ");
	cddl_put_table(w, &b, &st->like_table);
	cddl_buf_puts(&b, " INCLUDING ALL)");
	cddl_write_fillfactor(w, &b, &st->table);
	if (st->or_replace)
	{
		cddl_buf	d;

		cddl_buf_init(&d);
		cddl_buf_puts(&d, "DROP TABLE IF EXISTS ");
		cddl_put_table(w, &d, &st->table);
		cddl_emit(w, CDDL_PHASE_PRE, &d);
		cddl_buf_free(&d);
	}
	cddl_emit(w, CDDL_PHASE_MAIN, &b);
	cddl_buf_free(&b);
	like_rename_indexes(w, st);
}

/* DROP INDEX i ON t -> DROP INDEX IF EXISTS s.t_i (or the primary key). */
static void
translate_drop_index(cddl_writer *w, const cddl_stmt *st)
{
	cddl_buf	b;
	char		iname[CDDL_NAMEDATALEN + 1];
	const char *schema = cddl_target_schema(w, &st->table);

	cddl_buf_init(&b);
	if (strcmp(st->index_name, "PRIMARY") == 0)
	{
		cddl_derived_name(iname, sizeof(iname), st->table.name, NULL, "_pkey");
		cddl_buf_puts(&b, "ALTER TABLE ");
		cddl_put_table(w, &b, &st->table);
		cddl_buf_puts(&b, " DROP CONSTRAINT IF EXISTS ");
		cddl_quote_ident(&b, iname);
	}
	else
	{
		cddl_index_name(w, iname, sizeof(iname), st->table.name, st->index_name);
		cddl_buf_puts(&b, "DROP INDEX IF EXISTS ");
		cddl_quote_qualified(&b, schema ? schema : "public", iname);
	}
	cddl_emit(w, CDDL_PHASE_MAIN, &b);
	cddl_buf_free(&b);
}

/* Translates one statement of doc; false on error (err set). */
bool
cddl_translate(cddl_doc *doc, const cddl_stmt *stmt, const cddl_options *opts,
			   cddl_output *out, cddl_error *err)
{
	cddl_writer w;
	cddl_options defaults;
	cddl_error	dummy;
	const cddl_rename *r;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	memset(out, 0, sizeof(*out));
	if (doc == NULL || stmt == NULL)
	{
		cddl_set_error(err, "", 0, 0, 0, "no statement to translate");
		return false;
	}
	if (opts == NULL)
	{
		memset(&defaults, 0, sizeof(defaults));
		opts = &defaults;
	}

	memset(&w, 0, sizeof(w));
	w.doc = doc;
	w.opts = opts;
	w.out = out;
	w.tail_stmt = &out->statements;
	w.tail_post = &out->post_data;
	w.tail_fk = &out->foreign_keys;
	w.tail_note = &out->notes;
	w.err = err;
	w.stmt = stmt;

	/* statements on a table of a schema that is not replicated: nothing */
	if (stmt->kind != CDDL_STMT_IGNORED && stmt->kind != CDDL_STMT_DROP_TABLE &&
		stmt->kind != CDDL_STMT_RENAME_TABLE && stmt->table.name != NULL &&
		cddl_target_schema(&w, &stmt->table) == NULL)
	{
		cddl_note(&w, "table \"%s\" is in a schema that is not replicated",
				  stmt->table.name);
		return !w.failed;
	}

	switch (stmt->kind)
	{
		case CDDL_STMT_IGNORED:
			cddl_note(&w, "no PostgreSQL meaning: %s",
					  stmt->ignored_what ? stmt->ignored_what : "statement");
			break;
		case CDDL_STMT_CREATE_TABLE:
			if (!cddl_translate_create(&w, stmt))
				w.failed = true;
			break;
		case CDDL_STMT_CREATE_TABLE_LIKE:
			translate_like(&w, stmt);
			break;
		case CDDL_STMT_CREATE_TABLE_SELECT:
			cddl_note(&w, "CREATE TABLE ... SELECT: the table must be created from the server's definition (SHOW CREATE TABLE)");
			break;
		case CDDL_STMT_DROP_TABLE:
			translate_drop(&w, stmt);
			break;
		case CDDL_STMT_RENAME_TABLE:
			for (r = stmt->renames; r; r = r->next)
				cddl_rename_table(&w, &r->from, &r->to);
			break;
		case CDDL_STMT_ALTER_TABLE:
			if (!cddl_translate_alter(&w, stmt))
				w.failed = true;
			break;
		case CDDL_STMT_CREATE_INDEX:
			if (stmt->index->kind == CDDL_KEY_PRIMARY)
				cddl_write_primary_key(&w, &stmt->table, stmt->index->parts, NULL);
			else
				cddl_write_key_index(&w, &stmt->table, stmt->index, NULL);
			break;
		case CDDL_STMT_DROP_INDEX:
			translate_drop_index(&w, stmt);
			break;
		case CDDL_STMT_TRUNCATE:
			translate_truncate(&w, stmt);
			break;
	}
	if (w.failed)
	{
		if (!err->set)
			cddl_set_error(err, doc->input, doc->input_len, stmt->start, 0,
						   "out of memory");
		return false;
	}
	return true;
}

/* Parses a bare column type such as "int(10) unsigned" (information_schema). */
cddl_doc *
cddl_parse_type(const char *text, size_t len, cddl_type *type, cddl_error *err)
{
	cddl_arena *arena;
	cddl_doc   *doc;
	cddl_tokens toks;
	cddl_parser p;
	cddl_error	dummy;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	memset(type, 0, sizeof(*type));
	arena = cddl_arena_create();
	if (arena == NULL)
	{
		cddl_set_error(err, "", 0, 0, 0, "out of memory");
		return NULL;
	}
	doc = cddl_alloc(arena, sizeof(cddl_doc));
	if (doc == NULL)
	{
		cddl_arena_destroy(arena);
		cddl_set_error(err, "", 0, 0, 0, "out of memory");
		return NULL;
	}
	doc->arena = arena;
	doc->input = text ? text : "";
	doc->input_len = text ? len : 0;
	if (!cddl_lex(arena, doc->input, doc->input_len, &toks, err))
	{
		cddl_arena_destroy(arena);
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.arena = arena;
	p.in = doc->input;
	p.inlen = doc->input_len;
	p.tok = toks.tok;
	p.ntok = toks.n;
	p.limit = toks.n - 1;
	p.err = err;
	if (!cddl_parse_data_type(&p, type) ||
		(!cddl_at_end(&p) && !cddl_fail(&p, "syntax error, unexpected token")))
	{
		cddl_arena_destroy(arena);
		return NULL;
	}
	if (!cddl_at_end(&p))
	{
		cddl_arena_destroy(arena);
		return NULL;
	}
	return doc;
}

/*
 * Parses and translates one CREATE TABLE (the text of SHOW CREATE TABLE)
 * for the initial copy: out->statements creates the table without its keys,
 * out->post_data builds them after the data.  Returns the document (free
 * it with cddl_doc_free) or NULL with err set.
 */
cddl_doc *
cddl_translate_table(const char *sql, size_t len, const cddl_options *opts,
					 cddl_output *out, cddl_error *err)
{
	cddl_options o;
	cddl_doc   *doc;
	cddl_error	dummy;

	if (err == NULL)
		err = &dummy;
	memset(out, 0, sizeof(*out));
	if (opts != NULL)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	o.defer_keys = true;
	doc = cddl_parse(sql, len, err);
	if (doc == NULL)
		return NULL;
	if (doc->nstmts != 1 || doc->stmts->kind != CDDL_STMT_CREATE_TABLE)
	{
		cddl_set_error(err, doc->input, doc->input_len,
					   doc->stmts ? doc->stmts->start : 0, 0,
					   "expected exactly one CREATE TABLE statement with a column list");
		cddl_doc_free(doc);
		return NULL;
	}
	if (!cddl_translate(doc, doc->stmts, &o, out, err))
	{
		cddl_doc_free(doc);
		memset(out, 0, sizeof(*out));
		return NULL;
	}
	return doc;
}
