/*-------------------------------------------------------------------------
 *
 * parse_key.c
 *	  Parsing of key definitions: PRIMARY/UNIQUE/INDEX/FULLTEXT/SPATIAL
 *	  keys, FOREIGN KEY ... REFERENCES, CHECK constraints and PERIOD FOR,
 *	  shared by CREATE TABLE, ALTER TABLE ADD and CREATE INDEX.
 *
 * Index options without PostgreSQL meaning (KEY_BLOCK_SIZE, COMMENT,
 * VISIBLE, engine attributes...) are recognised and skipped; USING HASH is
 * kept because it decides whether MariaDB builds a long unique key with a
 * hidden hash column (see layout_keys.c).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ddl_internal.h"

/* Parses a foreign key action after ON DELETE / ON UPDATE. */
static bool
parse_fk_action(cddl_parser *p, cddl_fk_action *a)
{
	if (cddl_accept_kw(p, "RESTRICT"))
		*a = CDDL_FK_RESTRICT;
	else if (cddl_accept_kw(p, "CASCADE"))
		*a = CDDL_FK_CASCADE;
	else if (cddl_at_kw(p, "SET") && cddl_is_kw(cddl_peek(p, 1), "NULL"))
	{
		p->pos += 2;
		*a = CDDL_FK_SET_NULL;
	}
	else if (cddl_at_kw(p, "SET") && cddl_is_kw(cddl_peek(p, 1), "DEFAULT"))
	{
		p->pos += 2;
		*a = CDDL_FK_SET_DEFAULT;
	}
	else if (cddl_at_kw(p, "NO") && cddl_is_kw(cddl_peek(p, 1), "ACTION"))
	{
		p->pos += 2;
		*a = CDDL_FK_NO_ACTION;
	}
	else
		return cddl_fail(p, "syntax error, expected a foreign key action");
	return true;
}

/* Parses "REFERENCES tbl (cols) [MATCH x] [ON DELETE a] [ON UPDATE a]". */
bool
cddl_parse_references(cddl_parser *p, cddl_key *k)
{
	if (!cddl_expect_kw(p, "REFERENCES"))
		return false;
	if (!cddl_parse_name(p, &k->ref_table, "table name"))
		return false;
	if (cddl_at_punct(p, '(') && !cddl_parse_ident_list(p, &k->ref_columns))
		return false;
	for (;;)
	{
		if (cddl_accept_kw(p, "MATCH"))
		{
			if (!(cddl_accept_kw(p, "FULL") || cddl_accept_kw(p, "PARTIAL") ||
				  cddl_accept_kw(p, "SIMPLE")))
				return cddl_fail(p, "syntax error, expected FULL, PARTIAL or SIMPLE");
		}
		else if (cddl_at_kw(p, "ON") && cddl_is_kw(cddl_peek(p, 1), "DELETE"))
		{
			p->pos += 2;
			if (!parse_fk_action(p, &k->on_delete))
				return false;
		}
		else if (cddl_at_kw(p, "ON") && cddl_is_kw(cddl_peek(p, 1), "UPDATE"))
		{
			p->pos += 2;
			if (!parse_fk_action(p, &k->on_update))
				return false;
		}
		else
			break;
	}
	return true;
}

/* Parses "(part, part...)" of an index: col[(n)] [ASC|DESC] or (expr). */
bool
cddl_parse_key_parts(cddl_parser *p, cddl_key_part **out)
{
	cddl_key_part **tail = out;

	*out = NULL;
	if (!cddl_expect_punct(p, '('))
		return false;
	do
	{
		cddl_key_part *kp = cddl_alloc(p->arena, sizeof(cddl_key_part));

		if (kp == NULL)
			return cddl_oom(p);
		kp->prefix = -1;
		if (cddl_at_punct(p, '('))
		{
			kp->expr = cddl_skip_balanced(p);
			if (kp->expr == NULL)
				return false;
		}
		else
		{
			kp->column = cddl_parse_ident(p, "column name");
			if (kp->column == NULL)
				return false;
			if (cddl_accept_punct(p, '('))
			{
				if (!cddl_parse_long(p, &kp->prefix) || !cddl_expect_punct(p, ')'))
					return false;
			}
		}
		if (kp->column && cddl_at_kw(p, "WITHOUT") &&
			cddl_is_kw(cddl_peek(p, 1), "OVERLAPS"))
		{
			p->pos += 2;
			kp->without_overlaps = true;
		}
		if (cddl_accept_kw(p, "DESC"))
			kp->descending = true;
		else
			(void) cddl_accept_kw(p, "ASC");
		*tail = kp;
		tail = &kp->next;
	} while (cddl_accept_punct(p, ','));
	return cddl_expect_punct(p, ')');
}

/* Skips index options (KEY_BLOCK_SIZE, COMMENT, VISIBLE...), keeps USING. */
static bool
parse_index_options(cddl_parser *p, cddl_key *k)
{
	for (;;)
	{
		if (cddl_accept_kw(p, "USING") || cddl_accept_kw(p, "TYPE"))
		{
			if (cddl_accept_kw(p, "HASH"))
				k->using_hash = true;
			else if (cddl_accept_kw(p, "BTREE") || cddl_accept_kw(p, "RTREE"))
				k->using_hash = false;
			else
				return cddl_fail(p, "syntax error, expected an index type");
		}
		else if (cddl_accept_kw(p, "KEY_BLOCK_SIZE") || cddl_accept_kw(p, "COMMENT") ||
				 cddl_accept_kw(p, "ENGINE_ATTRIBUTE") ||
				 cddl_accept_kw(p, "SECONDARY_ENGINE_ATTRIBUTE") ||
				 cddl_accept_kw(p, "CLUSTERING"))
		{
			(void) cddl_accept_punct(p, '=');
			if (!cddl_parse_option_value(p, NULL))
				return false;
		}
		else if (cddl_at_kw(p, "WITH") && cddl_is_kw(cddl_peek(p, 1), "PARSER"))
		{
			p->pos += 2;
			if (cddl_parse_ident(p, "parser name") == NULL)
				return false;
		}
		else if (cddl_at_kw(p, "NOT") && cddl_is_kw(cddl_peek(p, 1), "IGNORED"))
			p->pos += 2;
		else if (cddl_accept_kw(p, "VISIBLE") || cddl_accept_kw(p, "INVISIBLE") ||
				 cddl_accept_kw(p, "IGNORED"))
			continue;
		else if ((cddl_peek(p, 0)->type == TOK_WORD ||
				  cddl_peek(p, 0)->type == TOK_QIDENT) &&
				 !cddl_at_kw(p, "ON") && !cddl_at_kw(p, "REFERENCES") &&
				 cddl_peek(p, 1)->type == TOK_PUNCT &&
				 cddl_peek(p, 1)->value[0] == '=')
		{
			/* engine-defined index attribute (MariaDB): name=value */
			p->pos += 2;
			if (!cddl_parse_option_value(p, NULL))
				return false;
		}
		else
			return true;
	}
}

/*
 * Parses a key definition inside a table body or after ALTER TABLE ADD.
 * Returns NULL with *is_key false (and nothing consumed) when the current
 * tokens do not start a key, NULL with an error set on a syntax error.
 */
cddl_key *
cddl_parse_key_def(cddl_parser *p, bool *is_key)
{
	cddl_key   *k;
	size_t		start = p->pos;
	char	   *cname = NULL;
	const cddl_token *t = cddl_peek(p, 0);

	*is_key = false;
	if (t->type != TOK_WORD)
		return NULL;
	if (!(cddl_at_kw(p, "CONSTRAINT") || cddl_at_kw(p, "PRIMARY") ||
		  cddl_at_kw(p, "UNIQUE") || cddl_at_kw(p, "INDEX") ||
		  cddl_at_kw(p, "KEY") || cddl_at_kw(p, "FULLTEXT") ||
		  cddl_at_kw(p, "SPATIAL") || cddl_at_kw(p, "FOREIGN") ||
		  (cddl_at_kw(p, "CHECK") && cddl_peek(p, 1)->type == TOK_PUNCT &&
		   cddl_peek(p, 1)->value[0] == '(') ||
		  (cddl_at_kw(p, "PERIOD") && cddl_is_kw(cddl_peek(p, 1), "FOR"))))
		return NULL;
	*is_key = true;

	k = cddl_alloc(p->arena, sizeof(cddl_key));
	if (k == NULL)
	{
		cddl_oom(p);
		return NULL;
	}
	(void) start;

	if (cddl_accept_kw(p, "PERIOD"))
	{
		/* PERIOD FOR name (start, end): application time or SYSTEM_TIME */
		cddl_strlist *cols;

		p->pos++;
		k->kind = CDDL_KEY_PERIOD;
		k->name = cddl_parse_ident(p, "period name");
		if (k->name == NULL || !cddl_parse_ident_list(p, &cols))
			return NULL;
		if (cols == NULL || cols->next == NULL || cols->next->next != NULL)
		{
			cddl_fail(p, "syntax error, a period has a start and an end column");
			return NULL;
		}
		k->ref_columns = cols;
		return k;
	}

	if (cddl_accept_kw(p, "CONSTRAINT"))
	{
		if (cddl_at_kw(p, "IF") && cddl_is_kw(cddl_peek(p, 1), "NOT") &&
			cddl_is_kw(cddl_peek(p, 2), "EXISTS"))
		{
			p->pos += 3;
			k->if_not_exists = true;
		}
		if (!(cddl_at_kw(p, "PRIMARY") || cddl_at_kw(p, "UNIQUE") ||
			  cddl_at_kw(p, "FOREIGN") || cddl_at_kw(p, "CHECK")))
		{
			cname = cddl_parse_ident(p, "constraint name");
			if (cname == NULL)
				return NULL;
		}
		k->constraint_name = cname;
	}

	if (cddl_accept_kw(p, "PRIMARY"))
	{
		if (!cddl_expect_kw(p, "KEY"))
			return NULL;
		k->kind = CDDL_KEY_PRIMARY;
	}
	else if (cddl_accept_kw(p, "UNIQUE"))
	{
		k->kind = CDDL_KEY_UNIQUE;
		(void) (cddl_accept_kw(p, "INDEX") || cddl_accept_kw(p, "KEY"));
	}
	else if (cddl_accept_kw(p, "INDEX") || cddl_accept_kw(p, "KEY"))
		k->kind = CDDL_KEY_INDEX;
	else if (cddl_accept_kw(p, "FULLTEXT"))
	{
		k->kind = CDDL_KEY_FULLTEXT;
		(void) (cddl_accept_kw(p, "INDEX") || cddl_accept_kw(p, "KEY"));
	}
	else if (cddl_accept_kw(p, "SPATIAL"))
	{
		k->kind = CDDL_KEY_SPATIAL;
		(void) (cddl_accept_kw(p, "INDEX") || cddl_accept_kw(p, "KEY"));
	}
	else if (cddl_accept_kw(p, "FOREIGN"))
	{
		if (!cddl_expect_kw(p, "KEY"))
			return NULL;
		k->kind = CDDL_KEY_FOREIGN;
	}
	else if (cddl_accept_kw(p, "CHECK"))
	{
		k->kind = CDDL_KEY_CHECK;
		k->check_expr = cddl_skip_balanced(p);
		if (k->check_expr == NULL)
			return NULL;
		if (cddl_at_kw(p, "NOT") && cddl_is_kw(cddl_peek(p, 1), "ENFORCED"))
			p->pos += 2;
		else
			(void) cddl_accept_kw(p, "ENFORCED");
		return k;
	}
	else
	{
		cddl_fail(p, "syntax error, expected a key definition");
		return NULL;
	}

	if (cddl_at_kw(p, "IF") && cddl_is_kw(cddl_peek(p, 1), "NOT") &&
		cddl_is_kw(cddl_peek(p, 2), "EXISTS"))
	{
		p->pos += 3;
		k->if_not_exists = true;
	}
	/* optional index name (not for PRIMARY KEY, whose name is PRIMARY) */
	if (!cddl_at_punct(p, '(') && !cddl_at_kw(p, "USING") && !cddl_at_kw(p, "TYPE"))
	{
		k->name = cddl_parse_ident(p, "index name");
		if (k->name == NULL)
			return NULL;
	}
	if (!parse_index_options(p, k))
		return NULL;
	if (k->kind == CDDL_KEY_FOREIGN)
	{
		cddl_strlist *cols,
				   *c;
		cddl_key_part **tail = &k->parts;

		if (!cddl_parse_ident_list(p, &cols))
			return NULL;
		for (c = cols; c; c = c->next)
		{
			cddl_key_part *kp = cddl_alloc(p->arena, sizeof(cddl_key_part));

			if (kp == NULL)
			{
				cddl_oom(p);
				return NULL;
			}
			kp->column = c->value;
			kp->prefix = -1;
			*tail = kp;
			tail = &kp->next;
		}
		if (!cddl_parse_references(p, k))
			return NULL;
		return k;
	}
	if (!cddl_parse_key_parts(p, &k->parts))
		return NULL;
	if (!parse_index_options(p, k))
		return NULL;
	if (k->name == NULL && k->constraint_name != NULL && k->kind != CDDL_KEY_PRIMARY)
		k->name = k->constraint_name;
	return k;
}
