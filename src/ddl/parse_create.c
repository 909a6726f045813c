/*-------------------------------------------------------------------------
 *
 * parse_create.c
 *	  Parser for CREATE statements: CREATE TABLE (plain, LIKE, SELECT),
 *	  CREATE INDEX, table options and partitioning clauses.
 *
 * Other CREATE statements (views, triggers, routines, databases...) are
 * classified as having no PostgreSQL meaning.  Routine and trigger bodies
 * may contain ';', so they swallow the rest of the input.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "ddl_internal.h"

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

/*
 * Skips a PARTITION BY clause (and its partition list) to the end of the
 * statement: partitions have no translation, only recognition matters.
 */
bool
cddl_parse_partitioning(cddl_parser *p)
{
	if (!(cddl_at_kw(p, "PARTITION") && cddl_is_kw(cddl_peek(p, 1), "BY")))
		return cddl_fail(p, "syntax error, expected PARTITION BY");
	return cddl_skip_to_end(p);
}

/* True if the current token starts the SELECT part of CREATE ... SELECT. */
static bool
at_select(cddl_parser *p)
{
	return cddl_at_kw(p, "SELECT") || cddl_at_kw(p, "AS") ||
		cddl_at_kw(p, "IGNORE") || cddl_at_kw(p, "REPLACE") ||
		(cddl_at_kw(p, "WITH") && !cddl_is_kw(cddl_peek(p, 1), "SYSTEM")) ||
		cddl_at_kw(p, "VALUES") ||
		cddl_at_kw(p, "TABLE") ||
		(cddl_at_punct(p, '(') && cddl_is_kw(cddl_peek(p, 1), "SELECT"));
}

/* Copies a numeric option value into a long long (0 when not a number). */
static long long
option_number(const char *v)
{
	long long	n = 0;

	if (v == NULL)
		return 0;
	for (; *v >= '0' && *v <= '9'; v++)
	{
		if (n > 100000000000000000LL)
			return 0;
		n = n * 10 + (*v - '0');
	}
	return n;
}

/*
 * Parses table options ("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ...") until
 * something that is not an option.  With in_alter, stops at ',' so that the
 * ALTER TABLE list continues.
 */
bool
cddl_parse_table_options(cddl_parser *p, cddl_table_options *o, bool in_alter)
{
	for (;;)
	{
		const cddl_token *t;
		char	   *val = NULL;
		const char *kw;
		size_t		save;

		if (!in_alter)
			(void) cddl_accept_punct(p, ',');
		t = cddl_peek(p, 0);
		if (cddl_at_end(p))
			return true;
		if (t->type == TOK_QIDENT && cddl_peek(p, 1)->type == TOK_PUNCT &&
			cddl_peek(p, 1)->value[0] == '=')
		{
			/* engine-defined option as SHOW CREATE TABLE prints it: `name`=v */
			p->pos += 2;
			if (!cddl_parse_option_value(p, NULL))
				return false;
			continue;
		}
		if (t->type != TOK_WORD)
			return true;
		if (at_select(p) || cddl_at_kw(p, "PARTITION") || cddl_at_kw(p, "LIKE"))
			return true;

		save = p->pos;
		(void) cddl_accept_kw(p, "DEFAULT");
		t = cddl_peek(p, 0);
		kw = t->value;
		if (cddl_at_kw(p, "CHARACTER") || (cddl_at_kw(p, "CHAR") &&
										   cddl_is_kw(cddl_peek(p, 1), "SET")))
		{
			p->pos++;
			if (!cddl_expect_kw(p, "SET"))
				return false;
			kw = "CHARSET";
		}
		else if ((cddl_at_kw(p, "DATA") || cddl_at_kw(p, "INDEX")) &&
				 cddl_is_kw(cddl_peek(p, 1), "DIRECTORY"))
			p->pos += 2;
		else if ((cddl_at_kw(p, "WITH") || cddl_at_kw(p, "WITHOUT")) &&
				 cddl_is_kw(cddl_peek(p, 1), "SYSTEM"))
		{
			o->system_versioning = cddl_at_kw(p, "WITH");
			p->pos += 2;
			if (!cddl_expect_kw(p, "VERSIONING"))
				return false;
			continue;
		}
		else if (cddl_at_kw(p, "STORAGE") &&
				 (cddl_is_kw(cddl_peek(p, 1), "DISK") ||
				  cddl_is_kw(cddl_peek(p, 1), "MEMORY")))
		{
			p->pos += 2;
			continue;
		}
		else if (cddl_at_kw(p, "ENGINE") || cddl_at_kw(p, "TYPE") ||
				 cddl_at_kw(p, "AUTO_INCREMENT") || cddl_at_kw(p, "CHARSET") ||
				 cddl_at_kw(p, "COLLATE") || cddl_at_kw(p, "COMMENT") ||
				 cddl_at_kw(p, "ROW_FORMAT") || cddl_at_kw(p, "TABLESPACE") ||
				 cddl_at_kw(p, "UNION") || cddl_at_kw(p, "AVG_ROW_LENGTH") ||
				 cddl_at_kw(p, "CHECKSUM") || cddl_at_kw(p, "TABLE_CHECKSUM") ||
				 cddl_at_kw(p, "COMPRESSION") || cddl_at_kw(p, "CONNECTION") ||
				 cddl_at_kw(p, "DELAY_KEY_WRITE") || cddl_at_kw(p, "ENCRYPTION") ||
				 cddl_at_kw(p, "INSERT_METHOD") || cddl_at_kw(p, "KEY_BLOCK_SIZE") ||
				 cddl_at_kw(p, "MAX_ROWS") || cddl_at_kw(p, "MIN_ROWS") ||
				 cddl_at_kw(p, "PACK_KEYS") || cddl_at_kw(p, "PASSWORD") ||
				 cddl_at_kw(p, "STATS_AUTO_RECALC") ||
				 cddl_at_kw(p, "STATS_PERSISTENT") ||
				 cddl_at_kw(p, "STATS_SAMPLE_PAGES") ||
				 cddl_at_kw(p, "PAGE_CHECKSUM") || cddl_at_kw(p, "TRANSACTIONAL") ||
				 cddl_at_kw(p, "ENCRYPTED") || cddl_at_kw(p, "ENCRYPTION_KEY_ID") ||
				 cddl_at_kw(p, "PAGE_COMPRESSED") ||
				 cddl_at_kw(p, "PAGE_COMPRESSION_LEVEL") ||
				 cddl_at_kw(p, "SEQUENCE") || cddl_at_kw(p, "IETF_QUOTES") ||
				 cddl_at_kw(p, "ENGINE_ATTRIBUTE") ||
				 cddl_at_kw(p, "SECONDARY_ENGINE") ||
				 cddl_at_kw(p, "SECONDARY_ENGINE_ATTRIBUTE") ||
				 cddl_at_kw(p, "AUTOEXTEND_SIZE") ||
				 cddl_at_kw(p, "START") || cddl_at_kw(p, "STATS_AUTO_RECALC"))
			p->pos++;
		else if (cddl_peek(p, 1)->type == TOK_PUNCT && cddl_peek(p, 1)->value[0] == '=')
			p->pos++;			/* engine-defined option: NAME=value */
		else
		{
			p->pos = save;
			return true;
		}

		(void) cddl_accept_punct(p, '=');
		if (!cddl_parse_option_value(p, &val))
			return false;
		if (strcmp(kw, "CHARSET") == 0 || cddl_is_kw(t, "CHARSET"))
			o->charset = val;
		else if (cddl_is_kw(t, "ENGINE") || cddl_is_kw(t, "TYPE"))
			o->engine = val;
		else if (cddl_is_kw(t, "COLLATE"))
			o->collation = val;
		else if (cddl_is_kw(t, "COMMENT"))
			o->comment = val;
		else if (cddl_is_kw(t, "AUTO_INCREMENT"))
			o->auto_increment = option_number(val);
		/* TABLESPACE x STORAGE DISK */
		if (cddl_at_kw(p, "STORAGE") && (cddl_is_kw(cddl_peek(p, 1), "DISK") ||
										 cddl_is_kw(cddl_peek(p, 1), "MEMORY")))
			p->pos += 2;
	}
}

/* Appends item to a singly linked list through its tail pointer. */
#define APPEND(tailp, item) do { *(tailp) = (item); (tailp) = &(item)->next; } while (0)

/* Parses the "( column_def | key_def, ... )" body of CREATE TABLE. */
static bool
parse_table_body(cddl_parser *p, cddl_stmt *st)
{
	cddl_column **ctail = &st->columns;
	cddl_key  **ktail = &st->keys;

	if (!cddl_expect_punct(p, '('))
		return false;
	do
	{
		bool		is_key;
		cddl_key   *k;

		if (cddl_at_kw(p, "LIKE"))
		{
			/* CREATE TABLE t (LIKE s) */
			p->pos++;
			st->kind = CDDL_STMT_CREATE_TABLE_LIKE;
			if (!cddl_parse_name(p, &st->like_table, "table name"))
				return false;
			return cddl_expect_punct(p, ')');
		}
		k = cddl_parse_key_def(p, &is_key);
		if (is_key)
		{
			if (k == NULL)
				return false;
			APPEND(ktail, k);
		}
		else
		{
			cddl_column *c = cddl_parse_column_def(p);

			if (c == NULL)
				return false;
			APPEND(ctail, c);
		}
	} while (cddl_accept_punct(p, ','));
	return cddl_expect_punct(p, ')');
}

/* Parses the rest of CREATE [OR REPLACE] [TEMPORARY] TABLE. */
static bool
parse_create_table(cddl_parser *p, cddl_stmt *st)
{
	st->kind = CDDL_STMT_CREATE_TABLE;
	st->if_not_exists = accept_if_not_exists(p);
	if (!cddl_parse_name(p, &st->table, "table name"))
		return false;

	if (cddl_accept_kw(p, "LIKE"))
	{
		st->kind = CDDL_STMT_CREATE_TABLE_LIKE;
		return cddl_parse_name(p, &st->like_table, "table name");
	}
	if (cddl_at_punct(p, '(') && !cddl_is_kw(cddl_peek(p, 1), "SELECT"))
	{
		if (!parse_table_body(p, st))
			return false;
		if (st->kind == CDDL_STMT_CREATE_TABLE_LIKE)
			return true;
	}
	if (!cddl_parse_table_options(p, &st->options, false))
		return false;
	if (cddl_at_kw(p, "PARTITION"))
	{
		st->options.partitioned = true;
		if (!cddl_parse_partitioning(p))
			return false;
	}
	if (at_select(p))
	{
		/* CREATE TABLE ... [AS] SELECT: recognised, structure from the server */
		st->kind = CDDL_STMT_CREATE_TABLE_SELECT;
		return cddl_skip_to_end(p);
	}
	if (st->columns == NULL && st->kind == CDDL_STMT_CREATE_TABLE)
	{
		if (cddl_at_end(p) && st->options.engine != NULL)
		{
			/*
			 * No column list: the engine discovers the structure (CONNECT,
			 * FederatedX, S3...).  Like CREATE ... SELECT, only the server
			 * knows the columns.
			 */
			st->kind = CDDL_STMT_CREATE_TABLE_SELECT;
			return true;
		}
		return cddl_fail(p, "syntax error, expected a column list");
	}
	return true;
}

/* Parses CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX name ON table (parts). */
static bool
parse_create_index(cddl_parser *p, cddl_stmt *st, cddl_key_kind kind)
{
	cddl_key   *k = cddl_alloc(p->arena, sizeof(cddl_key));

	if (k == NULL)
		return cddl_oom(p);
	st->kind = CDDL_STMT_CREATE_INDEX;
	k->kind = kind;
	k->if_not_exists = accept_if_not_exists(p);
	st->if_not_exists = k->if_not_exists;
	k->name = cddl_parse_ident(p, "index name");
	if (k->name == NULL)
		return false;
	if (cddl_accept_kw(p, "USING") || cddl_accept_kw(p, "TYPE"))
	{
		k->using_hash = cddl_at_kw(p, "HASH");
		if (cddl_parse_ident(p, "index type") == NULL)
			return false;
	}
	if (!cddl_expect_kw(p, "ON"))
		return false;
	if (!cddl_parse_name(p, &st->table, "table name"))
		return false;
	if (!cddl_parse_key_parts(p, &k->parts))
		return false;
	st->index = k;
	st->index_name = k->name;

	/*
	 * Index options, ALGORITHM=..., LOCK=...: no PostgreSQL meaning, but
	 * USING HASH may make a MariaDB long unique key (a hidden column).
	 */
	for (; !cddl_at_end(p); p->pos++)
	{
		if ((cddl_at_kw(p, "USING") || cddl_at_kw(p, "TYPE")) &&
			cddl_peek(p, 1)->type == TOK_WORD)
			k->using_hash = cddl_is_kw(cddl_peek(p, 1), "HASH");
	}
	return true;
}

/* Parses a CREATE statement (after the CREATE keyword). */
bool
cddl_parse_create(cddl_parser *p, cddl_stmt *st)
{
	size_t		i;

	if (cddl_at_kw(p, "OR") && cddl_is_kw(cddl_peek(p, 1), "REPLACE"))
	{
		p->pos += 2;
		st->or_replace = true;
	}
	if (cddl_accept_kw(p, "TEMPORARY"))
		st->temporary = true;
	if (cddl_accept_kw(p, "TABLE"))
	{
		if (!parse_create_table(p, st))
			return false;
		if (st->temporary)
		{
			/* temporary tables are never replicated */
			st->ignored_what = "CREATE TEMPORARY TABLE";
			st->kind = CDDL_STMT_IGNORED;
		}
		return true;
	}
	if (!st->temporary)
	{
		cddl_key_kind kind = CDDL_KEY_INDEX;
		size_t		save = p->pos;

		(void) (cddl_accept_kw(p, "ONLINE") || cddl_accept_kw(p, "OFFLINE"));
		if (cddl_accept_kw(p, "UNIQUE"))
			kind = CDDL_KEY_UNIQUE;
		else if (cddl_accept_kw(p, "FULLTEXT"))
			kind = CDDL_KEY_FULLTEXT;
		else if (cddl_accept_kw(p, "SPATIAL"))
			kind = CDDL_KEY_SPATIAL;
		if (cddl_accept_kw(p, "INDEX"))
			return parse_create_index(p, st, kind);
		p->pos = save;
	}

	/* anything else: no PostgreSQL meaning */
	st->kind = CDDL_STMT_IGNORED;
	st->ignored_what = "CREATE statement other than TABLE or INDEX";
	for (i = 0; i < 16 && p->pos + i < p->limit; i++)
	{
		const cddl_token *t = cddl_peek(p, i);

		if (cddl_is_kw(t, "PROCEDURE") || cddl_is_kw(t, "FUNCTION") ||
			cddl_is_kw(t, "TRIGGER") || cddl_is_kw(t, "EVENT") ||
			cddl_is_kw(t, "PACKAGE"))
		{
			/* a compound body may contain ';': it is the rest of the input */
			p->limit = p->ntok - 1;
			break;
		}
	}
	return cddl_skip_to_end(p);
}
