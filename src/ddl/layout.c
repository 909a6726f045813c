/*-------------------------------------------------------------------------
 *
 * layout.c
 *	  Table layouts: building one from CREATE TABLE, hidden columns,
 *	  copying, and the public constructors.
 *
 * What was checked on MariaDB 10.11 (information_schema.COLUMNS and SHOW
 * CREATE TABLE after each statement, TABLE_MAP events of the binlog):
 * every column has a slot in TABLE_MAP and in row events: VIRTUAL and
 * STORED generated columns, INVISIBLE ones, and hidden ones that
 * information_schema does not list: row_start/row_end of a table WITH
 * SYSTEM VERSIONING without explicit period columns (TIMESTAMP(6), after
 * the other columns; ADD COLUMN goes before them), and one BIGINT
 * DB_ROW_HASH_n per long unique key (after everything else, see
 * layout_keys.c).  A FULLTEXT key adds no column to the binlog (InnoDB's
 * FTS_DOC_ID is internal).  How column types and charsets are stored is in
 * layout_type.c, ALTER TABLE in layout_alter.c.
 *
 * A construction works on a draft (lay_build) in scratch memory, whose
 * strings may point into the statement or the old layout; lay_finish()
 * copies the result into the arena it will live in.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ddl_internal.h"

static const cddl_layout_options no_options;

/* Starts a construction; false when out of memory (err set). */
bool
lay_init(lay_build *b, const cddl_layout_options *opts, const char *in,
		 size_t inlen, cddl_error *err)
{
	memset(b, 0, sizeof(*b));
	b->opts = opts ? opts : &no_options;
	b->flavour = b->opts->flavour;
	b->in = in ? in : "";
	b->inlen = in ? inlen : 0;
	b->err = err;
	b->scratch = cddl_arena_create();
	if (b->scratch == NULL)
		return lay_oom(b);
	return true;
}

/* Frees the working memory of a construction. */
void
lay_done(lay_build *b)
{
	cddl_arena_destroy(b->scratch);
	b->scratch = NULL;
}

/* Records an error at byte pos of the statement; always returns false. */
bool
lay_fail(lay_build *b, size_t pos, const char *token, const char *fmt,...)
{
	va_list		ap;
	cddl_error *err = b->err;
	size_t		n;

	b->failed = true;
	if (err == NULL || err->set)
		return false;
	err->set = true;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->position = pos > b->inlen ? b->inlen : pos;
	token = token ? token : "";
	n = strlen(token);
	if (n > sizeof(err->token) - 1)
	{
		n = sizeof(err->token) - 1;
		while (n > 0 && (((unsigned char) token[n]) & 0xC0) == 0x80)
			n--;
	}
	memcpy(err->token, token, n);
	err->token[n] = '\0';
	return false;
}

/* Records an out-of-memory error; always returns false. */
bool
lay_oom(lay_build *b)
{
	return lay_fail(b, 0, "", "out of memory");
}

/* Inserts a working column at index at (0..ncols). */
bool
lay_insert_col(lay_build *b, size_t at, const lay_col *c)
{
	if (b->ncols == b->capcols)
	{
		size_t		cap = b->capcols ? b->capcols * 2 : 16;
		lay_col    *n = cddl_alloc(b->scratch, cap * sizeof(lay_col));

		if (n == NULL)
			return lay_oom(b);
		if (b->ncols)
			memcpy(n, b->cols, b->ncols * sizeof(lay_col));
		b->cols = n;
		b->capcols = cap;
	}
	if (at > b->ncols)
		at = b->ncols;
	memmove(&b->cols[at + 1], &b->cols[at], (b->ncols - at) * sizeof(lay_col));
	b->cols[at] = *c;
	b->ncols++;
	return true;
}

/* Removes the working column at index at. */
void
lay_remove_col(lay_build *b, size_t at)
{
	if (at >= b->ncols)
		return;
	memmove(&b->cols[at], &b->cols[at + 1], (b->ncols - at - 1) * sizeof(lay_col));
	b->ncols--;
}

/* Index of the working column named name (case-insensitive), or -1. */
int
lay_find_col(const lay_build *b, const char *name)
{
	size_t		i;

	for (i = 0; i < b->ncols; i++)
	{
		if (cddl_name_eq(b->cols[i].c.name, name))
			return (int) i;
	}
	return -1;
}

/* Loads an existing layout's columns (without hidden ones) and keys. */
bool
lay_start_from(lay_build *b, const cddl_layout *old)
{
	size_t		i;

	b->schema = old->schema;
	b->name = old->name;
	b->engine = old->engine;
	b->charset = old->charset;
	b->collation = old->collation;
	b->system_versioned = old->system_versioned;
	for (i = 0; i < old->ncolumns; i++)
	{
		lay_col		c;

		if (old->columns[i].hidden != CDDL_HIDDEN_NONE)
			continue;
		memset(&c, 0, sizeof(c));
		c.c = old->columns[i];
		c.old_name = old->columns[i].name;
		if (!lay_insert_col(b, b->ncols, &c))
			return false;
	}
	if (old->nkeys > 0)
	{
		b->keys = cddl_alloc(b->scratch, old->nkeys * sizeof(cddl_layout_key));
		if (b->keys == NULL)
			return lay_oom(b);
		memcpy(b->keys, old->keys, old->nkeys * sizeof(cddl_layout_key));
		b->nkeys = b->capkeys = old->nkeys;
	}
	return true;
}

/* Copies a string into arena (NULL stays NULL); *ok cleared on failure. */
static char *
dup(cddl_arena *arena, const char *s, bool *ok)
{
	char	   *r;

	if (s == NULL)
		return NULL;
	r = cddl_strdup(arena, s);
	if (r == NULL)
		*ok = false;
	return r;
}

/* Deep-copies a column's type into arena, rebuilding column_type. */
static bool
clone_type(cddl_arena *arena, const cddl_type *src, cddl_type *dst)
{
	bool		good = true;
	const cddl_strlist *v;
	cddl_strlist **tail = &dst->values;

	*dst = *src;
	dst->values = NULL;
	for (v = src->values; v; v = v->next)
	{
		cddl_strlist *n = cddl_alloc(arena, sizeof(cddl_strlist));

		if (n == NULL)
			return false;
		n->value = dup(arena, v->value, &good);
		*tail = n;
		tail = &n->next;
	}
	dst->charset = dup(arena, src->charset, &good);
	dst->collation = dup(arena, src->collation, &good);
	dst->column_type = lay_column_type(arena, dst);
	return good && dst->column_type != NULL;
}

/*
 * A deep copy of src in arena, named schema.name when name is given.
 * NULL when out of memory.
 */
cddl_layout *
lay_clone(cddl_arena *arena, const cddl_layout *src, const char *schema,
		  const char *name)
{
	cddl_layout *l = cddl_alloc(arena, sizeof(cddl_layout));
	bool		good = true;
	size_t		i,
				j;

	if (l == NULL)
		return NULL;
	l->arena = arena;
	l->flavour = src->flavour;
	l->schema = dup(arena, name ? schema : src->schema, &good);
	l->name = dup(arena, name ? name : src->name, &good);
	l->engine = dup(arena, src->engine, &good);
	l->charset = dup(arena, src->charset, &good);
	l->collation = dup(arena, src->collation, &good);
	l->system_versioned = src->system_versioned;
	l->ncolumns = src->ncolumns;
	l->nkeys = src->nkeys;
	l->columns = cddl_alloc(arena, (src->ncolumns + 1) * sizeof(cddl_layout_column));
	l->keys = cddl_alloc(arena, (src->nkeys + 1) * sizeof(cddl_layout_key));
	if (l->columns == NULL || l->keys == NULL)
		return NULL;
	for (i = 0; i < src->ncolumns && good; i++)
	{
		const cddl_layout_column *s = &src->columns[i];
		cddl_layout_column *d = &l->columns[i];

		*d = *s;
		d->name = dup(arena, s->name, &good);
		d->generation_expr = dup(arena, s->generation_expr, &good);
		if (!clone_type(arena, &s->type, &d->type))
			good = false;
	}
	for (i = 0; i < src->nkeys && good; i++)
	{
		const cddl_layout_key *s = &src->keys[i];
		cddl_layout_key *d = &l->keys[i];

		*d = *s;
		d->name = dup(arena, s->name, &good);
		d->parts = cddl_alloc(arena, (s->nparts + 1) * sizeof(cddl_layout_key_part));
		if (d->parts == NULL)
			return NULL;
		for (j = 0; j < s->nparts; j++)
		{
			d->parts[j] = s->parts[j];
			d->parts[j].column = dup(arena, s->parts[j].column, &good);
			d->parts[j].expr = dup(arena, s->parts[j].expr, &good);
		}
	}
	return good ? l : NULL;
}

/* Appends a hidden column of the given kind to the draft. */
static bool
add_hidden(lay_build *b, cddl_hidden_kind kind, const char *name)
{
	lay_col		c;

	memset(&c, 0, sizeof(c));
	c.c.name = (char *) name;
	c.c.hidden = kind;
	c.c.invisible = true;
	c.c.in_row_image = true;
	c.c.type.scale = -1;
	if (kind == CDDL_HIDDEN_LONG_UNIQUE)
	{
		c.c.type.base = CDDL_T_BIGINT;
		c.c.type.name = "bigint";
		c.c.type.length = 20;
		c.c.nullable = false;
	}
	else
	{
		c.c.type.base = CDDL_T_TIMESTAMP;
		c.c.type.name = "timestamp";
		c.c.type.length = 6;
		c.c.fsp = 6;
		c.c.row_start = kind == CDDL_HIDDEN_ROW_START;
		c.c.row_end = kind == CDDL_HIDDEN_ROW_END;
	}
	return lay_insert_col(b, b->ncols, &c);
}

/*
 * Completes the draft (keys, hidden columns) and copies it into arena.
 * NULL with the error set on failure.
 */
cddl_layout *
lay_finish(lay_build *b, cddl_arena *arena)
{
	cddl_layout draft;
	cddl_layout *l;
	size_t		i,
				j;
	int			nhash = 0;
	bool		explicit_period = false;

	if (b->failed || !lay_finish_keys(b))
		return NULL;
	for (i = 0; i < b->ncols; i++)
	{
		if (b->cols[i].c.row_start || b->cols[i].c.row_end)
			explicit_period = true;
	}
	if (explicit_period && !b->system_versioned)
	{
		lay_fail(b, 0, b->name, "table \"%s\" has AS ROW START/END columns "
				 "but no system versioning", b->name);
		return NULL;
	}
	if (b->system_versioned && !explicit_period)
	{
		if (!add_hidden(b, CDDL_HIDDEN_ROW_START, "row_start") ||
			!add_hidden(b, CDDL_HIDDEN_ROW_END, "row_end"))
			return NULL;
	}
	for (i = 0; i < b->nkeys; i++)
	{
		char	   *name;

		if (!b->keys[i].long_unique)
			continue;
		name = cddl_alloc(b->scratch, 32);
		if (name == NULL)
		{
			lay_oom(b);
			return NULL;
		}
		snprintf(name, 32, "DB_ROW_HASH_%d", ++nhash);
		if (!add_hidden(b, CDDL_HIDDEN_LONG_UNIQUE, name))
			return NULL;
		/* the hash is NULL when a part is (seen in TABLE_MAP null bits) */
		for (j = 0; j < b->keys[i].nparts; j++)
		{
			int			c = b->keys[i].parts[j].column ?
				lay_find_col(b, b->keys[i].parts[j].column) : -1;

			if (c >= 0 && b->cols[c].c.nullable)
				b->cols[b->ncols - 1].c.nullable = true;
		}
	}

	memset(&draft, 0, sizeof(draft));
	draft.flavour = b->flavour;
	draft.schema = b->schema;
	draft.name = b->name;
	draft.engine = (char *) lay_engine_name(b->engine ? b->engine :
											b->opts->default_engine);
	draft.charset = (char *) b->charset;
	draft.collation = (char *) b->collation;
	draft.system_versioned = b->system_versioned;
	draft.ncolumns = b->ncols;
	draft.columns = cddl_alloc(b->scratch, (b->ncols + 1) * sizeof(cddl_layout_column));
	if (draft.columns == NULL)
	{
		lay_oom(b);
		return NULL;
	}
	for (i = 0; i < b->ncols; i++)
		draft.columns[i] = b->cols[i].c;
	draft.keys = b->keys;
	draft.nkeys = b->nkeys;
	l = lay_clone(arena, &draft, NULL, NULL);
	if (l == NULL)
		lay_oom(b);
	return l;
}

/* The layout of a CREATE TABLE statement with a column list, in arena. */
static cddl_layout *
create_table(lay_build *b, const cddl_stmt *st, cddl_arena *arena)
{
	const cddl_column *c;
	const cddl_key *k;
	int			pass;

	b->schema = st->table.schema ? st->table.schema : (char *) b->opts->schema;
	b->name = st->table.name;
	b->engine = st->options.engine;
	b->system_versioned = st->options.system_versioning;
	for (c = st->columns; c; c = c->next)
	{
		/* a column WITH SYSTEM VERSIONING makes the table versioned */
		if (c->system_versioning)
			b->system_versioned = true;
	}
	if (!lay_schema_charset(b, b->schema, &b->charset, &b->collation) ||
		!lay_table_charset(b, st->options.charset, st->options.collation,
						   st->start, &b->charset, &b->collation))
		return NULL;
	for (c = st->columns; c; c = c->next)
	{
		lay_col		lc;

		if (lay_find_col(b, c->name) >= 0)
		{
			lay_fail(b, c->position, c->name, "duplicate column name \"%s\"", c->name);
			return NULL;
		}
		if (!lay_resolve_column(b, c, &lc) || !lay_insert_col(b, b->ncols, &lc))
			return NULL;
	}
	/*
	 * Keys in the order the server names them: columns' own, then the
	 * rest, then the indexes of foreign keys.
	 */
	for (pass = 0; pass < 2; pass++)
	{
		for (c = st->columns; c; c = c->next)
		{
			if (!lay_add_column_keys(b, c, pass == 1, c->position))
				return NULL;
		}
		for (k = st->keys; k; k = k->next)
		{
			if (!lay_add_key(b, k, pass == 1, st->start))
				return NULL;
		}
	}
	return lay_finish(b, arena);
}

/*
 * The layout made by CREATE TABLE [... LIKE] stmt of doc, in arena.  Used
 * by cddl_layout_create() and cddl_layout_changes().
 */
cddl_layout *
lay_create_in(cddl_arena *arena, const cddl_doc *doc, const cddl_stmt *st,
			  const cddl_layout_options *opts, cddl_error *err)
{
	lay_build	b;
	cddl_layout *l = NULL;

	if (!lay_init(&b, opts, doc->input, doc->input_len, err))
		return NULL;
	if (st->kind == CDDL_STMT_CREATE_TABLE)
		l = create_table(&b, st, arena);
	else if (st->kind == CDDL_STMT_CREATE_TABLE_LIKE)
	{
		const cddl_layout *src = NULL;
		const char *sschema = st->like_table.schema ? st->like_table.schema : b.opts->schema;
		const char *schema = st->table.schema ? st->table.schema : b.opts->schema;

		if (b.opts->lookup)
			src = b.opts->lookup(b.opts->lookup_ctx, sschema, st->like_table.name);
		if (src == NULL)
			lay_fail(&b, st->start, st->like_table.name,
					 "the layout of table \"%s\" is not known", st->like_table.name);
		else if ((l = lay_clone(arena, src, schema, st->table.name)) == NULL)
			lay_oom(&b);
	}
	else if (st->kind == CDDL_STMT_CREATE_TABLE_SELECT)
		lay_fail(&b, st->start, st->table.name,
				 "the columns of CREATE TABLE ... SELECT are known to the server only");
	else
		lay_fail(&b, st->start, "", "not a CREATE TABLE statement");
	lay_done(&b);
	return l;
}

/* The layout made by a CREATE TABLE [... LIKE] statement of doc. */
cddl_layout *
cddl_layout_create(const cddl_doc *doc, const cddl_stmt *stmt,
				   const cddl_layout_options *opts, cddl_error *err)
{
	cddl_arena *arena = cddl_arena_create();
	cddl_layout *l;

	if (err)
		memset(err, 0, sizeof(*err));
	if (arena == NULL)
		return NULL;
	l = lay_create_in(arena, doc, stmt, opts, err);
	if (l == NULL)
		cddl_arena_destroy(arena);
	else
		l->owned = true;
	return l;
}

/* Reads a layout from the text of SHOW CREATE TABLE or cddl_layout_sql. */
cddl_layout *
cddl_layout_from_sql(const char *sql, size_t len,
					 const cddl_layout_options *opts, cddl_error *err)
{
	cddl_error	dummy;
	cddl_doc   *doc;
	cddl_layout *l = NULL;

	if (err == NULL)
		err = &dummy;
	doc = cddl_parse(sql, len, err);
	if (doc == NULL)
		return NULL;
	if (doc->nstmts != 1 || doc->stmts->kind != CDDL_STMT_CREATE_TABLE)
		cddl_set_error(err, doc->input, doc->input_len,
					   doc->stmts ? doc->stmts->start : 0, 0,
					   "expected exactly one CREATE TABLE with a column list");
	else
		l = cddl_layout_create(doc, doc->stmts, opts, err);
	cddl_doc_free(doc);
	return l;
}

/* A copy of a layout owning its memory. */
cddl_layout *
cddl_layout_copy(const cddl_layout *layout)
{
	cddl_arena *arena;
	cddl_layout *l;

	if (layout == NULL || (arena = cddl_arena_create()) == NULL)
		return NULL;
	l = lay_clone(arena, layout, NULL, NULL);
	if (l == NULL)
	{
		cddl_arena_destroy(arena);
		return NULL;
	}
	l->owned = true;
	return l;
}

/* Frees a layout that owns its memory. */
void
cddl_layout_free(cddl_layout *layout)
{
	if (layout != NULL && layout->owned)
		cddl_arena_destroy(layout->arena);
}

/* Renames a layout. */
bool
cddl_layout_set_name(cddl_layout *layout, const char *schema, const char *name)
{
	cddl_arena *a;
	char	   *s = NULL;
	char	   *n;

	if (layout == NULL || name == NULL || (a = layout->arena) == NULL)
		return false;
	if (schema != NULL && (s = cddl_strdup(a, schema)) == NULL)
		return false;
	if ((n = cddl_strdup(a, name)) == NULL)
		return false;
	layout->schema = s;
	layout->name = n;
	layout->sql = NULL;
	return true;
}

/* Index of the column named name (case-insensitive), or -1. */
int
cddl_layout_find(const cddl_layout *layout, const char *name)
{
	size_t		i;

	for (i = 0; layout && i < layout->ncolumns; i++)
	{
		if (cddl_name_eq(layout->columns[i].name, name))
			return (int) i;
	}
	return -1;
}
