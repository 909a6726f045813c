/*-------------------------------------------------------------------------
 *
 * layout_changes.c
 *	  What one DDL statement does to the set of tables and their layouts.
 *
 * The schema history follows tables through the stream: CREATE TABLE
 * (plain or LIKE) adds one, DROP TABLE removes one or many, RENAME TABLE
 * moves one or many (pairs in order, so swaps through a temporary name
 * work when the changes are applied in order), ALTER TABLE, CREATE INDEX
 * and DROP INDEX give a table a new layout (and ALTER ... RENAME TO a new
 * name), TRUNCATE keeps the layout.  MariaDB's ALTER TABLE ... CONVERT
 * PARTITION p TO TABLE t creates t with the table's layout, CONVERT TABLE
 * t TO PARTITION drops t.  Unqualified names are in the statement's
 * default schema, opts->schema (checked: "USE y; ALTER TABLE x.t RENAME
 * TO t2" makes y.t2).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ddl_internal.h"

/* Appends a change of the given kind for table n; NULL when out of memory. */
static cddl_table_change *
add_change(cddl_doc *doc, cddl_table_change ***tail, cddl_table_op op,
		   const cddl_name *n, const cddl_layout_options *opts)
{
	cddl_table_change *c = cddl_alloc(doc->arena, sizeof(cddl_table_change));

	if (c == NULL)
		return NULL;
	c->op = op;
	c->table = *n;
	if (c->table.schema == NULL && opts)
		c->table.schema = (char *) opts->schema;
	c->new_name = c->table;
	**tail = c;
	*tail = &c->next;
	return c;
}

/* Looks up the current layout of a table, or sets an error. */
static const cddl_layout *
current(cddl_doc *doc, const cddl_stmt *st, const cddl_name *n,
		const cddl_layout_options *opts, cddl_error *err)
{
	const cddl_layout *l = NULL;
	const char *schema = n->schema ? n->schema : (opts ? opts->schema : NULL);

	if (opts && opts->lookup)
		l = opts->lookup(opts->lookup_ctx, schema, n->name);
	if (l == NULL)
		cddl_set_error(err, doc->input, doc->input_len, st->start, 0,
					   "the layout of table \"%s\" is not known", n->name);
	return l;
}

/* The changes of ALTER TABLE, CREATE INDEX and DROP INDEX. */
static bool
alter_changes(cddl_doc *doc, const cddl_stmt *st,
			  const cddl_layout_options *opts, cddl_table_change ***tail,
			  cddl_error *err)
{
	const cddl_layout *old = current(doc, st, &st->table, opts, err);
	cddl_table_change *c;
	const cddl_alter_cmd *cmd;

	if (old == NULL)
		return false;
	c = add_change(doc, tail, CDDL_TABLE_ALTER, &st->table, opts);
	if (c == NULL)
		return false;
	c->if_exists = st->if_exists;
	c->layout = lay_alter_in(doc->arena, old, doc, st, opts, err);
	if (c->layout == NULL)
		return false;
	c->new_name.schema = c->layout->schema;
	c->new_name.name = c->layout->name;
	for (cmd = st->kind == CDDL_STMT_ALTER_TABLE ? st->cmds : NULL; cmd; cmd = cmd->next)
	{
		cddl_table_change *x;

		if (cmd->kind != CDDL_AT_IGNORED)
			continue;
		if (cmd->detail == CDDL_AD_PARTITION_TO_TABLE)
		{
			const char *schema = cmd->new_table.schema ? cmd->new_table.schema :
				(opts ? opts->schema : NULL);

			x = add_change(doc, tail, CDDL_TABLE_CREATE, &cmd->new_table, opts);
			if (x == NULL ||
				(x->layout = lay_clone(doc->arena, c->layout, schema,
									   cmd->new_table.name)) == NULL)
				return false;
		}
		else if (cmd->detail == CDDL_AD_TABLE_TO_PARTITION)
		{
			if (add_change(doc, tail, CDDL_TABLE_DROP, &cmd->new_table, opts) == NULL)
				return false;
		}
	}
	return true;
}

/* What stmt of doc does to tables (see cddl_layout.h). */
cddl_table_change *
cddl_layout_changes(cddl_doc *doc, const cddl_stmt *st,
					const cddl_layout_options *opts, cddl_error *err)
{
	cddl_table_change *first = NULL;
	cddl_table_change **tail = &first;
	cddl_table_change *c;
	const cddl_namelist *n;
	const cddl_rename *r;
	bool		ok = true;
	cddl_error	dummy;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (doc == NULL || st == NULL)
		return NULL;
	switch (st->kind)
	{
		case CDDL_STMT_IGNORED:
			return NULL;
		case CDDL_STMT_CREATE_TABLE:
		case CDDL_STMT_CREATE_TABLE_LIKE:
		case CDDL_STMT_CREATE_TABLE_SELECT:
			c = add_change(doc, &tail, CDDL_TABLE_CREATE, &st->table, opts);
			ok = c != NULL;
			if (ok)
			{
				c->if_not_exists = st->if_not_exists;
				c->or_replace = st->or_replace;
				c->layout = lay_create_in(doc->arena, doc, st, opts, err);
				ok = c->layout != NULL;
			}
			break;
		case CDDL_STMT_DROP_TABLE:
			for (n = st->tables; n && ok; n = n->next)
			{
				c = add_change(doc, &tail, CDDL_TABLE_DROP, &n->name, opts);
				ok = c != NULL;
				if (ok)
					c->if_exists = st->if_exists;
			}
			break;
		case CDDL_STMT_TRUNCATE:
			for (n = st->tables; n && ok; n = n->next)
				ok = add_change(doc, &tail, CDDL_TABLE_TRUNCATE, &n->name, opts) != NULL;
			break;
		case CDDL_STMT_RENAME_TABLE:
			for (r = st->renames; r && ok; r = r->next)
			{
				c = add_change(doc, &tail, CDDL_TABLE_RENAME, &r->from, opts);
				ok = c != NULL;
				if (ok)
				{
					c->if_exists = st->if_exists;
					c->new_name = r->to;
					if (c->new_name.schema == NULL && opts)
						c->new_name.schema = (char *) opts->schema;
				}
			}
			break;
		case CDDL_STMT_ALTER_TABLE:
		case CDDL_STMT_CREATE_INDEX:
		case CDDL_STMT_DROP_INDEX:
			ok = alter_changes(doc, st, opts, &tail, err);
			break;
	}
	if (!ok)
	{
		if (!err->set)
			cddl_set_error(err, doc->input, doc->input_len, st->start, 0,
						   "out of memory");
		return NULL;
	}
	return first;
}
