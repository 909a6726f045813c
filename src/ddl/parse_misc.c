/*-------------------------------------------------------------------------
 *
 * parse_misc.c
 *	  Parsers for DROP TABLE / DROP INDEX, RENAME TABLE and TRUNCATE.
 *
 * DROP and RENAME of other objects (views, users, databases...) are
 * classified as having no PostgreSQL meaning.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ddl_internal.h"

/* Skips "WAIT n" or "NOWAIT" (MariaDB lock wait options). */
static bool
skip_wait(cddl_parser *p)
{
	long		n;

	if (cddl_accept_kw(p, "WAIT"))
		return cddl_parse_long(p, &n);
	(void) cddl_accept_kw(p, "NOWAIT");
	return true;
}

/* Parses a comma list of table names into st->tables. */
static bool
parse_table_list(cddl_parser *p, cddl_stmt *st)
{
	cddl_namelist **tail = &st->tables;

	do
	{
		cddl_namelist *n = cddl_alloc(p->arena, sizeof(cddl_namelist));

		if (n == NULL)
			return cddl_oom(p);
		if (!cddl_parse_name(p, &n->name, "table name"))
			return false;
		*tail = n;
		tail = &n->next;
	} while (cddl_accept_punct(p, ','));
	return true;
}

/* Parses DROP ... after the DROP keyword. */
bool
cddl_parse_drop(cddl_parser *p, cddl_stmt *st)
{
	if (cddl_accept_kw(p, "TEMPORARY"))
		st->temporary = true;
	if (cddl_accept_kw(p, "TABLE") || cddl_accept_kw(p, "TABLES"))
	{
		st->kind = CDDL_STMT_DROP_TABLE;
		if (cddl_at_kw(p, "IF") && cddl_is_kw(cddl_peek(p, 1), "EXISTS"))
		{
			p->pos += 2;
			st->if_exists = true;
		}
		if (!parse_table_list(p, st))
			return false;
		if (!skip_wait(p))
			return false;
		(void) (cddl_accept_kw(p, "RESTRICT") || cddl_accept_kw(p, "CASCADE"));
		st->table = st->tables->name;
		if (st->temporary)
		{
			st->kind = CDDL_STMT_IGNORED;
			st->ignored_what = "DROP TEMPORARY TABLE";
		}
		return true;
	}
	if (!st->temporary)
	{
		size_t		save = p->pos;

		(void) (cddl_accept_kw(p, "ONLINE") || cddl_accept_kw(p, "OFFLINE"));
		if (cddl_accept_kw(p, "INDEX"))
		{
			st->kind = CDDL_STMT_DROP_INDEX;
			if (cddl_at_kw(p, "IF") && cddl_is_kw(cddl_peek(p, 1), "EXISTS"))
			{
				p->pos += 2;
				st->if_exists = true;
			}
			st->index_name = cddl_parse_ident(p, "index name");
			if (st->index_name == NULL || !cddl_expect_kw(p, "ON"))
				return false;
			if (!cddl_parse_name(p, &st->table, "table name"))
				return false;
			/* ALGORITHM=..., LOCK=..., WAIT: no PostgreSQL meaning */
			return cddl_skip_to_end(p);
		}
		p->pos = save;
	}
	st->kind = CDDL_STMT_IGNORED;
	st->ignored_what = "DROP statement other than TABLE or INDEX";
	return cddl_skip_to_end(p);
}

/* Parses RENAME ... after the RENAME keyword. */
bool
cddl_parse_rename(cddl_parser *p, cddl_stmt *st)
{
	cddl_rename **tail = &st->renames;

	if (!(cddl_accept_kw(p, "TABLE") || cddl_accept_kw(p, "TABLES")))
	{
		st->kind = CDDL_STMT_IGNORED;
		st->ignored_what = "RENAME statement other than RENAME TABLE";
		return cddl_skip_to_end(p);
	}
	st->kind = CDDL_STMT_RENAME_TABLE;
	if (cddl_at_kw(p, "IF") && cddl_is_kw(cddl_peek(p, 1), "EXISTS"))
	{
		p->pos += 2;
		st->if_exists = true;
	}
	do
	{
		cddl_rename *r = cddl_alloc(p->arena, sizeof(cddl_rename));

		if (r == NULL)
			return cddl_oom(p);
		if (!cddl_parse_name(p, &r->from, "table name") || !skip_wait(p) ||
			!cddl_expect_kw(p, "TO") ||
			!cddl_parse_name(p, &r->to, "table name"))
			return false;
		*tail = r;
		tail = &r->next;
	} while (cddl_accept_punct(p, ','));
	st->table = st->renames->from;
	return true;
}

/* Parses TRUNCATE [TABLE] name after the TRUNCATE keyword. */
bool
cddl_parse_truncate(cddl_parser *p, cddl_stmt *st)
{
	cddl_namelist *n;

	st->kind = CDDL_STMT_TRUNCATE;
	(void) cddl_accept_kw(p, "TABLE");
	n = cddl_alloc(p->arena, sizeof(cddl_namelist));
	if (n == NULL)
		return cddl_oom(p);
	if (!cddl_parse_name(p, &n->name, "table name"))
		return false;
	st->tables = n;
	st->table = n->name;
	return skip_wait(p);
}
