/*-------------------------------------------------------------------------
 *
 * parse_alter.c
 *	  Parser for ALTER TABLE and its comma list of actions.
 *
 * Every action MySQL and MariaDB accept is either parsed into a
 * cddl_alter_cmd with a PostgreSQL meaning (columns, defaults, keys,
 * renames) or recognised as CDDL_AT_IGNORED (engine, charset, partition
 * maintenance, algorithm/lock hints...).  Partition operations cannot be
 * combined with other actions in MySQL and may contain commas of their own,
 * so they end the list.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ddl_internal.h"

/* Allocates a command of the given kind at the current position. */
static cddl_alter_cmd *
new_cmd(cddl_parser *p, cddl_alter_kind kind)
{
	cddl_alter_cmd *c = cddl_alloc(p->arena, sizeof(cddl_alter_cmd));

	if (c == NULL)
	{
		cddl_oom(p);
		return NULL;
	}
	c->kind = kind;
	c->position = cddl_peek(p, 0)->start;
	c->def.precision = -1;
	return c;
}

/* Parses "IF EXISTS" if present. */
static bool
accept_if_exists(cddl_parser *p)
{
	if (cddl_at_kw(p, "IF") && cddl_is_kw(cddl_peek(p, 1), "EXISTS"))
	{
		p->pos += 2;
		return true;
	}
	return false;
}

/* Parses "IF NOT EXISTS" if present. */
static bool
accept_if_not_exists(cddl_parser *p)
{
	if (cddl_at_kw(p, "IF") && cddl_is_kw(cddl_peek(p, 1), "NOT") &&
		cddl_is_kw(cddl_peek(p, 2), "EXISTS"))
	{
		p->pos += 3;
		return true;
	}
	return false;
}

/* Parses an optional FIRST / AFTER col into the column. */
static bool
parse_position(cddl_parser *p, cddl_column *col)
{
	if (cddl_accept_kw(p, "FIRST"))
		col->first = true;
	else if (cddl_accept_kw(p, "AFTER"))
	{
		col->after = cddl_parse_ident(p, "column name");
		if (col->after == NULL)
			return false;
	}
	return true;
}

/* Marks the command as recognised without PostgreSQL action. */
static cddl_alter_cmd *
ignored(cddl_parser *p, const char *what)
{
	cddl_alter_cmd *c = new_cmd(p, CDDL_AT_IGNORED);

	if (c)
		c->what = what;
	return c;
}

/* True if the current word starts a partition maintenance operation. */
static bool
at_partition_op(cddl_parser *p)
{
	static const char *const ops[] = {
		"COALESCE", "REORGANIZE", "EXCHANGE", "ANALYZE", "CHECK", "OPTIMIZE",
		"REBUILD", "REPAIR", "TRUNCATE", "DISCARD", "IMPORT"
	};
	size_t		i;

	if (cddl_at_kw(p, "REMOVE") && cddl_is_kw(cddl_peek(p, 1), "PARTITIONING"))
		return true;
	if (cddl_at_kw(p, "PARTITION") && cddl_is_kw(cddl_peek(p, 1), "BY"))
		return true;
	/* MariaDB 10.7: CONVERT PARTITION p TO TABLE t, CONVERT TABLE t TO PARTITION */
	if (cddl_at_kw(p, "CONVERT") && (cddl_is_kw(cddl_peek(p, 1), "PARTITION") ||
									 cddl_is_kw(cddl_peek(p, 1), "TABLE")))
		return true;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
	{
		if (cddl_at_kw(p, ops[i]) &&
			(cddl_is_kw(cddl_peek(p, 1), "PARTITION") ||
			 cddl_is_kw(cddl_peek(p, 1), "TABLESPACE")))
			return true;
	}
	return false;
}

/*
 * MariaDB 10.7 CONVERT PARTITION p TO TABLE t / CONVERT TABLE t TO
 * PARTITION ...: a table appears or disappears, which a table layout
 * history must know.  Other partition operations change no table.
 */
static bool
parse_convert_partition(cddl_parser *p, cddl_alter_cmd *c)
{
	if (cddl_at_kw(p, "CONVERT") && cddl_is_kw(cddl_peek(p, 1), "PARTITION"))
	{
		p->pos += 2;
		if (cddl_parse_ident(p, "partition name") == NULL ||
			!cddl_expect_kw(p, "TO") || !cddl_expect_kw(p, "TABLE"))
			return false;
		c->detail = CDDL_AD_PARTITION_TO_TABLE;
		return cddl_parse_name(p, &c->new_table, "table name");
	}
	if (cddl_at_kw(p, "CONVERT") && cddl_is_kw(cddl_peek(p, 1), "TABLE"))
	{
		p->pos += 2;
		c->detail = CDDL_AD_TABLE_TO_PARTITION;
		return cddl_parse_name(p, &c->new_table, "table name");
	}
	return true;
}

/* Parses ADD ... (column, key, partition). */
static bool
parse_add(cddl_parser *p, cddl_alter_cmd ***tailp)
{
	bool		is_key;
	cddl_key   *k;
	bool		had_column_kw;
	bool		ine;
	cddl_alter_cmd *c;

	if (cddl_at_kw(p, "PARTITION"))
	{
		/* ADD PARTITION (...) / ADD PARTITION PARTITIONS n */
		c = ignored(p, "ADD PARTITION");
		if (c == NULL)
			return false;
		**tailp = c;
		*tailp = &c->next;
		return cddl_skip_to_end(p);
	}
	if ((cddl_at_kw(p, "SYSTEM") && cddl_is_kw(cddl_peek(p, 1), "VERSIONING")) ||
		(cddl_at_kw(p, "PERIOD") && cddl_is_kw(cddl_peek(p, 1), "FOR")))
	{
		c = ignored(p, "ADD SYSTEM VERSIONING");
		if (c == NULL)
			return false;
		if (cddl_accept_kw(p, "SYSTEM"))
		{
			p->pos++;
			c->detail = CDDL_AD_ADD_SYSTEM_VERSIONING;
		}
		else
		{
			p->pos += 2;
			if (cddl_parse_ident(p, "period name") == NULL ||
				cddl_skip_balanced(p) == NULL)
				return false;
		}
		**tailp = c;
		*tailp = &c->next;
		return true;
	}

	c = new_cmd(p, CDDL_AT_ADD_KEY);
	if (c == NULL)
		return false;
	k = cddl_parse_key_def(p, &is_key);
	if (is_key)
	{
		if (k == NULL)
			return false;
		c->key = k;
		c->if_not_exists = k->if_not_exists;
		**tailp = c;
		*tailp = &c->next;
		return true;
	}

	had_column_kw = cddl_accept_kw(p, "COLUMN");
	ine = accept_if_not_exists(p);
	(void) had_column_kw;
	if (cddl_accept_punct(p, '('))
	{
		/* ADD [COLUMN] (col_def, col_def...) */
		do
		{
			cddl_alter_cmd *cc = new_cmd(p, CDDL_AT_ADD_COLUMN);

			if (cc == NULL)
				return false;
			k = cddl_parse_key_def(p, &is_key);
			if (is_key)
			{
				if (k == NULL)
					return false;
				cc->kind = CDDL_AT_ADD_KEY;
				cc->key = k;
			}
			else
			{
				cc->column = cddl_parse_column_def(p);
				if (cc->column == NULL)
					return false;
				cc->if_not_exists = ine;
			}
			**tailp = cc;
			*tailp = &cc->next;
		} while (cddl_accept_punct(p, ','));
		return cddl_expect_punct(p, ')');
	}
	c->kind = CDDL_AT_ADD_COLUMN;
	c->if_not_exists = ine;
	c->column = cddl_parse_column_def(p);
	if (c->column == NULL || !parse_position(p, c->column))
		return false;
	**tailp = c;
	*tailp = &c->next;
	return true;
}

/* Parses DROP ... (column, index, key, constraint, partition). */
static bool
parse_drop(cddl_parser *p, cddl_alter_cmd **out)
{
	cddl_alter_cmd *c = new_cmd(p, CDDL_AT_DROP_COLUMN);

	if (c == NULL)
		return false;
	*out = c;
	if (cddl_at_kw(p, "PRIMARY"))
	{
		p->pos++;
		c->kind = CDDL_AT_DROP_PRIMARY_KEY;
		return cddl_expect_kw(p, "KEY");
	}
	if (cddl_accept_kw(p, "INDEX") || cddl_accept_kw(p, "KEY"))
		c->kind = CDDL_AT_DROP_INDEX;
	else if (cddl_at_kw(p, "FOREIGN"))
	{
		p->pos++;
		if (!cddl_expect_kw(p, "KEY"))
			return false;
		c->kind = CDDL_AT_DROP_FOREIGN_KEY;
	}
	else if (cddl_accept_kw(p, "CONSTRAINT"))
		c->kind = CDDL_AT_DROP_CONSTRAINT;
	else if (cddl_at_kw(p, "CHECK") && cddl_peek(p, 1)->type != TOK_PUNCT)
	{
		p->pos++;
		c->kind = CDDL_AT_DROP_CHECK;
	}
	else if (cddl_at_kw(p, "PARTITION"))
	{
		c->kind = CDDL_AT_IGNORED;
		c->what = "DROP PARTITION";
		return cddl_skip_to_end(p);
	}
	else if (cddl_at_kw(p, "SYSTEM") && cddl_is_kw(cddl_peek(p, 1), "VERSIONING"))
	{
		p->pos += 2;
		c->kind = CDDL_AT_IGNORED;
		c->detail = CDDL_AD_DROP_SYSTEM_VERSIONING;
		c->what = "DROP SYSTEM VERSIONING";
		return true;
	}
	else if (cddl_at_kw(p, "PERIOD") && cddl_is_kw(cddl_peek(p, 1), "FOR"))
	{
		p->pos += 2;
		c->kind = CDDL_AT_IGNORED;
		c->what = "DROP PERIOD";
		return cddl_parse_ident(p, "period name") != NULL;
	}
	else
		(void) cddl_accept_kw(p, "COLUMN");
	c->if_exists = accept_if_exists(p);
	c->old_name = cddl_parse_ident(p, "name");
	if (c->old_name == NULL)
		return false;
	if (c->kind == CDDL_AT_DROP_INDEX && strcmp(c->old_name, "PRIMARY") == 0)
		c->kind = CDDL_AT_DROP_PRIMARY_KEY;
	if (c->kind == CDDL_AT_DROP_COLUMN)
		(void) (cddl_accept_kw(p, "RESTRICT") || cddl_accept_kw(p, "CASCADE"));
	return true;
}

/* Parses one ALTER TABLE action, appending commands through *tailp. */
static bool
parse_action(cddl_parser *p, cddl_alter_cmd ***tailp)
{
	cddl_alter_cmd *c = NULL;

	if (cddl_accept_kw(p, "ADD"))
		return parse_add(p, tailp);
	if (cddl_accept_kw(p, "DROP"))
	{
		if (!parse_drop(p, &c))
			return false;
	}
	else if (cddl_at_kw(p, "CHANGE"))
	{
		p->pos++;
		c = new_cmd(p, CDDL_AT_CHANGE_COLUMN);
		if (c == NULL)
			return false;
		(void) cddl_accept_kw(p, "COLUMN");
		c->if_exists = accept_if_exists(p);
		c->old_name = cddl_parse_ident(p, "column name");
		if (c->old_name == NULL)
			return false;
		c->column = cddl_parse_column_def(p);
		if (c->column == NULL || !parse_position(p, c->column))
			return false;
		c->new_name = c->column->name;
	}
	else if (cddl_at_kw(p, "MODIFY"))
	{
		p->pos++;
		c = new_cmd(p, CDDL_AT_MODIFY_COLUMN);
		if (c == NULL)
			return false;
		(void) cddl_accept_kw(p, "COLUMN");
		c->if_exists = accept_if_exists(p);
		c->column = cddl_parse_column_def(p);
		if (c->column == NULL || !parse_position(p, c->column))
			return false;
		c->old_name = c->column->name;
	}
	else if (cddl_accept_kw(p, "RENAME"))
	{
		c = new_cmd(p, CDDL_AT_RENAME_TABLE);
		if (c == NULL)
			return false;
		if (cddl_accept_kw(p, "COLUMN"))
			c->kind = CDDL_AT_RENAME_COLUMN;
		else if (cddl_accept_kw(p, "INDEX") || cddl_accept_kw(p, "KEY"))
			c->kind = CDDL_AT_RENAME_INDEX;
		if (c->kind != CDDL_AT_RENAME_TABLE)
		{
			c->if_exists = accept_if_exists(p);
			c->old_name = cddl_parse_ident(p, "name");
			if (c->old_name == NULL || !cddl_expect_kw(p, "TO"))
				return false;
			c->new_name = cddl_parse_ident(p, "name");
			if (c->new_name == NULL)
				return false;
		}
		else
		{
			(void) (cddl_accept_kw(p, "TO") || cddl_accept_kw(p, "AS"));
			if (!cddl_parse_name(p, &c->new_table, "table name"))
				return false;
		}
	}
	else if (cddl_at_kw(p, "ALTER") && !cddl_is_kw(cddl_peek(p, 1), "INDEX") &&
			 !cddl_is_kw(cddl_peek(p, 1), "KEY") &&
			 !cddl_is_kw(cddl_peek(p, 1), "CHECK") &&
			 !(cddl_is_kw(cddl_peek(p, 1), "CONSTRAINT")))
	{
		p->pos++;
		(void) cddl_accept_kw(p, "COLUMN");
		c = new_cmd(p, CDDL_AT_SET_DEFAULT);
		if (c == NULL)
			return false;
		c->if_exists = accept_if_exists(p);
		c->old_name = cddl_parse_ident(p, "column name");
		if (c->old_name == NULL)
			return false;
		if (cddl_at_kw(p, "SET") && cddl_is_kw(cddl_peek(p, 1), "DEFAULT"))
		{
			p->pos += 2;
			if (!cddl_parse_default(p, &c->def))
				return false;
		}
		else if (cddl_at_kw(p, "DROP") && cddl_is_kw(cddl_peek(p, 1), "DEFAULT"))
		{
			p->pos += 2;
			c->kind = CDDL_AT_DROP_DEFAULT;
		}
		else if (cddl_at_kw(p, "SET") && (cddl_is_kw(cddl_peek(p, 1), "VISIBLE") ||
										  cddl_is_kw(cddl_peek(p, 1), "INVISIBLE")))
		{
			c->detail = cddl_is_kw(cddl_peek(p, 1), "VISIBLE") ?
				CDDL_AD_SET_VISIBLE : CDDL_AD_SET_INVISIBLE;
			p->pos += 2;
			c->kind = CDDL_AT_IGNORED;
			c->what = "ALTER COLUMN SET VISIBLE/INVISIBLE";
		}
		else
			return cddl_fail(p, "syntax error, expected SET DEFAULT or DROP DEFAULT");
	}
	else if (cddl_at_kw(p, "ALTER"))
	{
		/* ALTER INDEX i [NOT] IGNORED/VISIBLE, ALTER CHECK c [NOT] ENFORCED */
		p->pos += 2;
		c = ignored(p, "ALTER INDEX/CHECK");
		if (c == NULL || cddl_parse_ident(p, "name") == NULL)
			return false;
		while (cddl_peek(p, 0)->type == TOK_WORD)
			p->pos++;
	}
	else if (cddl_at_kw(p, "CONVERT") && cddl_is_kw(cddl_peek(p, 1), "TO"))
	{
		p->pos++;
		c = ignored(p, "CONVERT TO CHARACTER SET");
		if (c == NULL || !cddl_expect_kw(p, "TO"))
			return false;
		c->detail = CDDL_AD_CONVERT_CHARSET;
		if (cddl_accept_kw(p, "CHARACTER"))
		{
			if (!cddl_expect_kw(p, "SET"))
				return false;
		}
		else if (!cddl_expect_kw(p, "CHARSET"))
			return false;
		(void) cddl_accept_punct(p, '=');
		if (!cddl_parse_option_value(p, &c->options.charset))
			return false;
		if (cddl_accept_kw(p, "COLLATE"))
		{
			(void) cddl_accept_punct(p, '=');
			if (!cddl_parse_option_value(p, &c->options.collation))
				return false;
		}
	}
	else if ((cddl_at_kw(p, "ENABLE") || cddl_at_kw(p, "DISABLE")) &&
			 cddl_is_kw(cddl_peek(p, 1), "KEYS"))
	{
		c = ignored(p, "ENABLE/DISABLE KEYS");
		p->pos += 2;
	}
	else if (cddl_at_kw(p, "FORCE"))
	{
		c = ignored(p, "FORCE");
		p->pos++;
	}
	else if ((cddl_at_kw(p, "WITH") || cddl_at_kw(p, "WITHOUT")) &&
			 cddl_is_kw(cddl_peek(p, 1), "VALIDATION"))
	{
		c = ignored(p, "WITH VALIDATION");
		p->pos += 2;
	}
	else if (cddl_at_kw(p, "ORDER") && cddl_is_kw(cddl_peek(p, 1), "BY"))
	{
		c = ignored(p, "ORDER BY");
		if (c == NULL)
			return false;
		p->pos += 2;
		do
		{
			if (cddl_parse_ident(p, "column name") == NULL)
				return false;
			(void) (cddl_accept_kw(p, "ASC") || cddl_accept_kw(p, "DESC"));
		} while (cddl_accept_punct(p, ','));
	}
	else if (at_partition_op(p))
	{
		c = ignored(p, "partition operation");
		if (c == NULL)
			return false;
		**tailp = c;
		*tailp = &c->next;
		if (!parse_convert_partition(p, c))
			return false;
		return cddl_skip_to_end(p);
	}
	else if ((cddl_at_kw(p, "DISCARD") || cddl_at_kw(p, "IMPORT")) &&
			 cddl_is_kw(cddl_peek(p, 1), "TABLESPACE"))
	{
		c = ignored(p, "DISCARD/IMPORT TABLESPACE");
		p->pos += 2;
	}
	else if (cddl_at_kw(p, "LOCK") || cddl_at_kw(p, "ALGORITHM"))
	{
		c = ignored(p, "ALGORITHM/LOCK");
		if (c == NULL)
			return false;
		p->pos++;
		(void) cddl_accept_punct(p, '=');
		if (!cddl_parse_option_value(p, NULL))
			return false;
	}
	else
	{
		cddl_table_options o;
		size_t		before = p->pos;

		memset(&o, 0, sizeof(o));
		c = ignored(p, "table option");
		if (c == NULL)
			return false;
		if (!cddl_parse_table_options(p, &o, true))
			return false;
		if (p->pos == before)
			return cddl_fail(p, "syntax error in ALTER TABLE");
		c->detail = CDDL_AD_TABLE_OPTIONS;
		c->options = o;
	}
	if (c == NULL)
		return false;
	**tailp = c;
	*tailp = &c->next;
	return true;
}

/* Parses ALTER ... after the ALTER keyword. */
bool
cddl_parse_alter(cddl_parser *p, cddl_stmt *st)
{
	cddl_alter_cmd **tail = &st->cmds;
	size_t		save = p->pos;

	(void) (cddl_accept_kw(p, "ONLINE") || cddl_accept_kw(p, "OFFLINE"));
	(void) cddl_accept_kw(p, "IGNORE");
	if (!cddl_accept_kw(p, "TABLE"))
	{
		p->pos = save;
		st->kind = CDDL_STMT_IGNORED;
		st->ignored_what = "ALTER statement other than ALTER TABLE";
		return cddl_skip_to_end(p);
	}
	st->kind = CDDL_STMT_ALTER_TABLE;
	st->if_exists = accept_if_exists(p);
	if (!cddl_parse_name(p, &st->table, "table name"))
		return false;
	if (cddl_accept_kw(p, "WAIT"))
	{
		long		n;

		if (!cddl_parse_long(p, &n))
			return false;
	}
	else
		(void) cddl_accept_kw(p, "NOWAIT");
	if (cddl_at_end(p))
		return true;
	do
	{
		if (++p->depth > CDDL_MAX_DEPTH * 50)
			return cddl_fail(p, "too many ALTER TABLE actions");
		if (!parse_action(p, &tail))
			return false;
	} while (cddl_accept_punct(p, ','));
	/* a trailing PARTITION BY or REMOVE PARTITIONING may follow the list */
	if (cddl_at_kw(p, "PARTITION") && cddl_is_kw(cddl_peek(p, 1), "BY"))
		return cddl_parse_partitioning(p);
	if (cddl_at_kw(p, "REMOVE") && cddl_is_kw(cddl_peek(p, 1), "PARTITIONING"))
		p->pos += 2;
	return true;
}
