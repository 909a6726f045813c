/*-------------------------------------------------------------------------
 *
 * layout_alter.c
 *	  Moves a table layout through ALTER TABLE, CREATE INDEX and DROP INDEX.
 *
 * The clauses of one ALTER TABLE are not applied one after the other: the
 * server builds the new column list in two passes, and this file does the
 * same (checked on MariaDB 10.11):
 * 1. the old columns in order: a DROPped column goes; a CHANGEd or
 *    MODIFYed one is replaced in place by its new definition; the others
 *    stay, RENAME COLUMN and ALTER COLUMN applying to them.  DROP, CHANGE,
 *    MODIFY, RENAME COLUMN and ALTER COLUMN all name columns as they were
 *    before the statement ("RENAME COLUMN a TO b, RENAME COLUMN b TO a"
 *    swaps; "CHANGE a b ..., CHANGE b a ..." too); a column named by a
 *    CHANGE/MODIFY and by a RENAME COLUMN, or by none that exists, is an
 *    error.
 * 2. then, in the order of the statement, ADD COLUMN appends (or goes
 *    FIRST / AFTER x) and CHANGE/MODIFY ... FIRST/AFTER x moves its column;
 *    AFTER names a column of the new list as built so far, so "ADD c AFTER
 *    b, DROP b" fails while "CHANGE a a2 int, ADD g AFTER a2" works.
 * Table options ([DEFAULT] CHARSET=, COLLATE=, ENGINE=) hold for the whole
 * statement, so a column added in it takes the new default charset; a
 * column CHANGEd or MODIFYed without a charset takes the table's default,
 * not its old charset.  CONVERT TO CHARACTER SET sets the charset of every
 * string column, new ones included, and grows the TEXT types of the old
 * ones (layout.c); the table's default becomes the converted charset
 * unless the statement also sets one.  An unqualified RENAME TO name is in
 * the session's default schema.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ddl_internal.h"

/* True if cmd names column name (as it was) with an action of phase 1. */
static bool
names_column(const cddl_alter_cmd *c, const char *name)
{
	switch (c->kind)
	{
		case CDDL_AT_DROP_COLUMN:
		case CDDL_AT_CHANGE_COLUMN:
		case CDDL_AT_MODIFY_COLUMN:
		case CDDL_AT_RENAME_COLUMN:
		case CDDL_AT_SET_DEFAULT:
		case CDDL_AT_DROP_DEFAULT:
			return cddl_name_eq(c->old_name, name);
		case CDDL_AT_IGNORED:
			return (c->detail == CDDL_AD_SET_VISIBLE ||
					c->detail == CDDL_AD_SET_INVISIBLE) &&
				cddl_name_eq(c->old_name, name);
		default:
			return false;
	}
}

/* Statement-level options: engine, default charset, CONVERT TO. */
static bool
table_options(lay_build *b, const cddl_stmt *st)
{
	const cddl_alter_cmd *c;
	const char *ocs = NULL,
			   *ocoll = NULL;
	const char *conv = NULL,
			   *convcoll = NULL;
	size_t		optpos = st->start;
	size_t		convpos;

	convpos = optpos;
	for (c = st->cmds; c; c = c->next)
	{
		if (c->kind != CDDL_AT_IGNORED)
			continue;
		if (c->detail == CDDL_AD_TABLE_OPTIONS)
		{
			if (c->options.engine)
				b->engine = c->options.engine;
			if (c->options.system_versioning)
				b->system_versioned = true;
			if (c->options.charset)
			{
				ocs = c->options.charset;
				optpos = c->position;
			}
			if (c->options.collation)
			{
				ocoll = c->options.collation;
				optpos = c->position;
			}
		}
		else if (c->detail == CDDL_AD_CONVERT_CHARSET)
		{
			conv = c->options.charset;
			convcoll = c->options.collation;
			convpos = c->position;
		}
	}
	if (conv != NULL)
	{
		const char *cs = b->charset;
		const char *coll = b->collation;

		if (cddl_name_eq(conv, "DEFAULT"))
		{
			if (!lay_schema_charset(b, b->schema, &cs, &coll))
				return false;
			conv = NULL;
		}
		if (!lay_table_charset(b, conv, convcoll, convpos, &cs, &coll))
			return false;
		b->convert_charset = cs;
		b->convert_collation = coll;
		b->charset = cs;
		b->collation = coll;
	}
	if (ocs != NULL || ocoll != NULL)
		return lay_table_charset(b, ocs, ocoll, optpos, &b->charset, &b->collation);
	return true;
}

/* Finds the first unused phase-1 command of the given kinds naming name. */
static int
find_cmd(const cddl_alter_cmd *const *cmds, const bool *used, size_t n,
		 const char *name, cddl_alter_kind k1, cddl_alter_kind k2)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		if (!used[i] && (cmds[i]->kind == k1 || cmds[i]->kind == k2) &&
			names_column(cmds[i], name))
			return (int) i;
	}
	return -1;
}

/* Phase 1: the old columns, dropped, redefined, renamed or kept. */
static bool
old_columns(lay_build *b, const cddl_alter_cmd *const *cmds, bool *used,
			size_t n)
{
	lay_col    *old = b->cols;
	size_t		nold = b->ncols;
	size_t		i;

	b->cols = NULL;
	b->ncols = b->capcols = 0;
	for (i = 0; i < nold; i++)
	{
		const char *name = old[i].c.name;
		int			drop = find_cmd(cmds, used, n, name, CDDL_AT_DROP_COLUMN, CDDL_AT_DROP_COLUMN);
		int			chg = find_cmd(cmds, used, n, name, CDDL_AT_CHANGE_COLUMN, CDDL_AT_MODIFY_COLUMN);
		int			ren = find_cmd(cmds, used, n, name, CDDL_AT_RENAME_COLUMN, CDDL_AT_RENAME_COLUMN);
		int			other = find_cmd(cmds, used, n, name, CDDL_AT_SET_DEFAULT, CDDL_AT_DROP_DEFAULT);
		int			vis = find_cmd(cmds, used, n, name, CDDL_AT_IGNORED, CDDL_AT_IGNORED);
		lay_col		c;

		if (drop >= 0)
		{
			used[drop] = true;
			if (chg >= 0 || ren >= 0)
				return lay_fail(b, cmds[drop]->position, name,
								"column \"%s\" is dropped and changed", name);
			continue;
		}
		if (chg >= 0)
		{
			used[chg] = true;
			if (ren >= 0)
				return lay_fail(b, cmds[ren]->position, name,
								"column \"%s\" is renamed and changed", name);
			if (!lay_resolve_column(b, cmds[chg]->column, &c))
				return false;
			c.cmd = cmds[chg];
		}
		else
		{
			c = old[i];
			c.fresh = false;
			if (ren >= 0)
			{
				used[ren] = true;
				c.c.name = cmds[ren]->new_name;
			}
			if (vis >= 0)
			{
				used[vis] = true;
				c.c.invisible = cmds[vis]->detail == CDDL_AD_SET_INVISIBLE;
			}
			if (b->convert_charset != NULL && !lay_convert_column(b, &c))
				return false;
		}
		if (other >= 0)
			used[other] = true;
		c.old_name = name;
		if (!lay_insert_col(b, b->ncols, &c))
			return false;
	}
	for (i = 0; i < n; i++)
	{
		if (used[i] || !names_column(cmds[i], cmds[i]->old_name))
			continue;
		if (!cmds[i]->if_exists)
			return lay_fail(b, cmds[i]->position, cmds[i]->old_name,
							"column \"%s\" does not exist", cmds[i]->old_name);
		used[i] = true;			/* IF EXISTS on a missing column: nothing */
	}
	return true;
}

/* Inserts (or moves) column c at FIRST / AFTER x / the end. */
static bool
place_column(lay_build *b, const lay_col *c, const cddl_column *def,
			 size_t pos)
{
	size_t		at = b->ncols;

	if (def->first)
		at = 0;
	else if (def->after != NULL)
	{
		int			i = lay_find_col(b, def->after);

		if (i < 0)
			return lay_fail(b, pos, def->after, "column \"%s\" does not exist", def->after);
		at = (size_t) i + 1;
	}
	return lay_insert_col(b, at, c);
}

/* Phase 2: ADD COLUMN and the moves of CHANGE/MODIFY, in statement order. */
static bool
new_columns(lay_build *b, const cddl_alter_cmd *const *cmds, const bool *used,
			size_t n)
{
	size_t		i,
				j;

	for (i = 0; i < n; i++)
	{
		const cddl_alter_cmd *c = cmds[i];
		lay_col		lc;

		if (c->kind == CDDL_AT_ADD_COLUMN)
		{
			if (c->if_not_exists && lay_find_col(b, c->column->name) >= 0)
				continue;
			if (!lay_resolve_column(b, c->column, &lc))
				return false;
			lc.cmd = c;
			if (!place_column(b, &lc, c->column, c->position))
				return false;
		}
		else if ((c->kind == CDDL_AT_CHANGE_COLUMN ||
				  c->kind == CDDL_AT_MODIFY_COLUMN) && used[i] &&
				 (c->column->first || c->column->after != NULL))
		{
			for (j = 0; j < b->ncols && b->cols[j].cmd != c; j++)
				;
			if (j == b->ncols)
				continue;		/* IF EXISTS on a missing column */
			lc = b->cols[j];
			lay_remove_col(b, j);
			if (!place_column(b, &lc, c->column, c->position))
				return false;
		}
	}
	for (i = 0; i < b->ncols; i++)
	{
		for (j = i + 1; j < b->ncols; j++)
		{
			if (cddl_name_eq(b->cols[i].c.name, b->cols[j].c.name))
				return lay_fail(b, b->cols[j].cmd ? b->cols[j].cmd->position : 0,
								b->cols[j].c.name, "duplicate column name \"%s\"",
								b->cols[j].c.name);
		}
	}
	return true;
}

/*
 * The old keys after the column changes: parts follow renamed columns,
 * parts of dropped columns go (a key left empty goes too; a unique key
 * that loses one of several columns is the server's error).
 */
static bool
carry_keys(lay_build *b, size_t pos)
{
	size_t		i = 0,
				j,
				k;

	while (i < b->nkeys)
	{
		cddl_layout_key *key = &b->keys[i];
		cddl_layout_key_part *parts;
		size_t		n = 0;
		const char *lost = NULL;

		parts = cddl_alloc(b->scratch, (key->nparts + 1) * sizeof(cddl_layout_key_part));
		if (parts == NULL)
			return lay_oom(b);
		for (j = 0; j < key->nparts; j++)
		{
			const cddl_layout_key_part *p = &key->parts[j];

			if (p->column == NULL)
			{
				parts[n++] = *p;
				continue;
			}
			for (k = 0; k < b->ncols; k++)
			{
				if (b->cols[k].old_name && cddl_name_eq(b->cols[k].old_name, p->column))
					break;
			}
			if (k == b->ncols)
			{
				lost = p->column;
				continue;
			}
			parts[n] = *p;
			parts[n++].column = b->cols[k].c.name;
		}
		if (lost != NULL && n > 0 &&
			(key->kind == CDDL_KEY_UNIQUE || key->kind == CDDL_KEY_PRIMARY))
			return lay_fail(b, pos, lost, "key column \"%s\" doesn't exist in table", lost);
		if (n == 0)
		{
			memmove(&b->keys[i], &b->keys[i + 1], (b->nkeys - i - 1) * sizeof(cddl_layout_key));
			b->nkeys--;
			continue;
		}
		key->parts = parts;
		key->nparts = n;
		i++;
	}
	return true;
}

/* DROP INDEX / PRIMARY KEY / CONSTRAINT: first, by the old names. */
static bool
drop_keys(lay_build *b, const cddl_alter_cmd *const *cmds, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		const cddl_alter_cmd *c = cmds[i];
		bool		ok = true;

		if (c->kind == CDDL_AT_DROP_INDEX)
			ok = lay_drop_key(b, c->old_name, c->if_exists, false, c->position);
		else if (c->kind == CDDL_AT_DROP_PRIMARY_KEY)
			ok = lay_drop_key(b, "PRIMARY", c->if_exists, false, c->position);
		else if (c->kind == CDDL_AT_DROP_CONSTRAINT)
			ok = lay_drop_key(b, c->old_name, c->if_exists, true, c->position);
		if (!ok)
			return false;
	}
	return true;
}

/* Renames and adds of keys (after the columns are settled). */
static bool
alter_keys(lay_build *b, const cddl_alter_cmd *const *cmds, size_t n)
{
	size_t		i;
	int			pass;

	for (i = 0; i < n; i++)
	{
		const cddl_alter_cmd *c = cmds[i];

		if (c->kind == CDDL_AT_RENAME_INDEX &&
			!lay_rename_key(b, c->old_name, c->new_name, c->if_exists, c->position))
			return false;
	}
	for (pass = 0; pass < 2; pass++)
	{
		for (i = 0; i < n; i++)
		{
			const cddl_alter_cmd *c = cmds[i];
			bool		ok = true;

			if (c->kind == CDDL_AT_ADD_KEY)
				ok = lay_add_key(b, c->key, pass == 1, c->position);
			else if ((c->kind == CDDL_AT_ADD_COLUMN ||
					  c->kind == CDDL_AT_CHANGE_COLUMN ||
					  c->kind == CDDL_AT_MODIFY_COLUMN) && c->column &&
					 lay_find_col(b, c->column->name) >= 0)
				ok = lay_add_column_keys(b, c->column, pass == 1, c->position);
			if (!ok)
				return false;
		}
	}
	return true;
}

/* ADD / DROP SYSTEM VERSIONING, RENAME TO. */
static bool
table_changes(lay_build *b, const cddl_stmt *st)
{
	const cddl_alter_cmd *c;
	size_t		i;

	for (c = st->cmds; c; c = c->next)
	{
		if (c->kind == CDDL_AT_IGNORED && c->detail == CDDL_AD_ADD_SYSTEM_VERSIONING)
			b->system_versioned = true;
		else if (c->kind == CDDL_AT_IGNORED &&
				 c->detail == CDDL_AD_DROP_SYSTEM_VERSIONING)
		{
			b->system_versioned = false;
			for (i = 0; i < b->ncols; i++)
			{
				if (b->cols[i].c.row_start || b->cols[i].c.row_end)
					return lay_fail(b, c->position, b->cols[i].c.name,
									"DROP SYSTEM VERSIONING needs DROP COLUMN \"%s\"",
									b->cols[i].c.name);
			}
		}
		else if (c->kind == CDDL_AT_RENAME_TABLE)
		{
			b->schema = c->new_table.schema ? c->new_table.schema :
				(char *) b->opts->schema;
			b->name = c->new_table.name;
		}
	}
	return true;
}

/* Applies ALTER TABLE, CREATE INDEX or DROP INDEX to a started draft. */
bool
lay_alter(lay_build *b, const cddl_stmt *st)
{
	const cddl_alter_cmd *c;
	const cddl_alter_cmd **cmds;
	bool	   *used;
	size_t		n = 0,
				i = 0;

	/*
	 * The server rebuilds the keys of the table, and a USING HASH written
	 * on a short key does not survive that; only a bare RENAME TO keeps
	 * the table as it is.
	 */
	for (c = st->kind == CDDL_STMT_ALTER_TABLE ? st->cmds : NULL; c; c = c->next)
	{
		if (c->kind != CDDL_AT_RENAME_TABLE)
			break;
	}
	if (st->kind != CDDL_STMT_ALTER_TABLE || c != NULL)
	{
		for (i = 0; i < b->nkeys; i++)
			b->keys[i].hash_explicit = false;
	}
	i = 0;
	if (st->kind == CDDL_STMT_CREATE_INDEX)
		return lay_add_key(b, st->index, false, st->start);
	if (st->kind == CDDL_STMT_DROP_INDEX)
		return lay_drop_key(b, st->index_name, st->if_exists, false, st->start);
	if (st->kind != CDDL_STMT_ALTER_TABLE)
		return lay_fail(b, st->start, "", "not an ALTER TABLE statement");
	for (c = st->cmds; c; c = c->next)
		n++;
	cmds = cddl_alloc(b->scratch, (n + 1) * sizeof(*cmds));
	used = cddl_alloc(b->scratch, n + 1);
	if (cmds == NULL || used == NULL)
		return lay_oom(b);
	for (c = st->cmds; c; c = c->next)
		cmds[i++] = c;
	return table_options(b, st) &&
		drop_keys(b, cmds, n) &&
		old_columns(b, cmds, used, n) &&
		new_columns(b, cmds, used, n) &&
		carry_keys(b, st->start) &&
		alter_keys(b, cmds, n) &&
		table_changes(b, st);
}

/* The layout old becomes after stmt of doc, in arena. */
cddl_layout *
lay_alter_in(cddl_arena *arena, const cddl_layout *old, const cddl_doc *doc,
			 const cddl_stmt *st, const cddl_layout_options *opts,
			 cddl_error *err)
{
	lay_build	b;
	cddl_layout *l = NULL;
	cddl_layout_options o;

	if (opts)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	/* the table keeps the rules of the server it was built for */
	o.flavour = old->flavour;
	if (!lay_init(&b, &o, doc->input, doc->input_len, err))
		return NULL;
	if (lay_start_from(&b, old) && lay_alter(&b, st))
		l = lay_finish(&b, arena);
	lay_done(&b);
	return l;
}

/* The layout old becomes after an ALTER TABLE / CREATE INDEX / DROP INDEX. */
cddl_layout *
cddl_layout_alter(const cddl_layout *old, const cddl_doc *doc,
				  const cddl_stmt *stmt, const cddl_layout_options *opts,
				  cddl_error *err)
{
	cddl_arena *arena;
	cddl_layout *l;

	if (err)
		memset(err, 0, sizeof(*err));
	if (old == NULL || doc == NULL || stmt == NULL ||
		(arena = cddl_arena_create()) == NULL)
		return NULL;
	l = lay_alter_in(arena, old, doc, stmt, opts, err);
	if (l == NULL)
		cddl_arena_destroy(arena);
	else
		l->owned = true;
	return l;
}
