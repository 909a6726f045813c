/*-------------------------------------------------------------------------
 *
 * replay_apply_spi.c
 *	  The SPI way of applying a row: the INSERT, UPDATE or DELETE statement
 *	  a row image amounts to, planned once per table, operation and column
 *	  set and kept, with the image's values passed as text and cast with
 *	  $n::text::type.  The statement's text is built for every plan (it is
 *	  what error_log shows, whichever method applies the row); the plan is
 *	  used for the rows the heap method cannot apply exactly: tables found
 *	  by the full before-image (IS NOT DISTINCT FROM on every column whose
 *	  type has equality), partitioned or foreign tables, rules,
 *	  statement-level triggers and transition tables.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "replay_apply_internal.h"
#include "worker_util.h"

/* Adds a parameter taken from an image's element. */
static void
add_param(ReplayPlan *p, int idx, bool before)
{
	p->src[p->nparams] = idx;
	p->from_before[p->nparams] = before;
	p->nparams++;
}

/*
 * Appends the WHERE clause that finds the row of a before-image: by the
 * key columns, else by every comparable column.
 */
static void
append_where(StringInfo sql, ReplayTable *t, ReplayPlan *p, char **bnames, int nb)
{
	bool		by_key = (t->keys != NIL && strcmp(t->identity, "full row") != 0);
	ListCell   *lc;
	int			nconds = 0;

	/* every key column must be in the image and in the table */
	foreach(lc, t->keys)
	{
		const char *k = (const char *) lfirst(lc);
		bool		inimage = false;

		for (int i = 0; i < nb; i++)
			if (strcmp(bnames[i], k) == 0)
				inimage = true;
		if (!inimage || replay_column_index(t, k) < 0)
			by_key = false;
	}

	if (by_key)
	{
		appendStringInfoString(sql, " WHERE ");
		foreach(lc, t->keys)
		{
			const char *k = (const char *) lfirst(lc);
			int			c = replay_column_index(t, k);

			for (int i = 0; i < nb; i++)
				if (strcmp(bnames[i], k) == 0)
				{
					if (nconds++ > 0)
						appendStringInfoString(sql, " AND ");
					add_param(p, i, true);
					appendStringInfo(sql, "%s = $%d::text::%s", quote_identifier(k),
									 p->nparams, t->coltypes[c]);
					break;
				}
		}
		return;
	}

	/* full row: one matching row, whichever */
	appendStringInfo(sql, " WHERE ctid = (SELECT ctid FROM %s WHERE ",
					 chameleon_qualified(t->schema_name, t->table_name));
	for (int i = 0; i < nb; i++)
	{
		int			c = replay_column_index(t, bnames[i]);

		if (c < 0 || !t->comparable[c])
			continue;
		if (nconds++ > 0)
			appendStringInfoString(sql, " AND ");
		add_param(p, i, true);
		appendStringInfo(sql, "%s IS NOT DISTINCT FROM $%d::text::%s",
						 quote_identifier(bnames[i]), p->nparams, t->coltypes[c]);
	}
	if (nconds == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
				 errmsg("cannot find rows of table \"%s.%s\": its before-image has no comparable column",
						t->schema_name, t->table_name),
				 errhint("Give the MySQL table a primary key.")));
	appendStringInfoString(sql, " LIMIT 1)");
}

/*
 * Builds the statement of a plan and its parameters (in the cache's
 * context); returns the number of target columns it sets (0: none of the
 * image's columns exists in the target, nothing to run).
 */
int
replay_spi_statement(ReplayTable *t, ReplayPlan *p, char **anames, int na,
					 char **bnames, int nb)
{
	StringInfoData sql;
	int			nset = 0;
	const char *qt = chameleon_qualified(t->schema_name, t->table_name);

	p->src = palloc(sizeof(int) * (na + nb + 1));
	p->from_before = palloc(sizeof(bool) * (na + nb + 1));
	initStringInfo(&sql);
	switch (p->op)
	{
		case 'I':
			{
				StringInfoData vals;

				initStringInfo(&vals);
				appendStringInfo(&sql, "INSERT INTO %s (", qt);
				for (int i = 0; i < na; i++)
				{
					int			c = replay_column_index(t, anames[i]);

					if (c < 0)
						continue;
					if (nset++ > 0)
					{
						appendStringInfoString(&sql, ", ");
						appendStringInfoString(&vals, ", ");
					}
					add_param(p, i, false);
					appendStringInfoString(&sql, quote_identifier(anames[i]));
					appendStringInfo(&vals, "$%d::text::%s", p->nparams, t->coltypes[c]);
				}
				appendStringInfo(&sql, ") VALUES (%s)", vals.data);
				break;
			}
		case 'U':
			appendStringInfo(&sql, "UPDATE %s SET ", qt);
			for (int i = 0; i < na; i++)
			{
				int			c = replay_column_index(t, anames[i]);

				if (c < 0)
					continue;
				if (nset++ > 0)
					appendStringInfoString(&sql, ", ");
				add_param(p, i, false);
				appendStringInfo(&sql, "%s = $%d::text::%s", quote_identifier(anames[i]),
								 p->nparams, t->coltypes[c]);
			}
			append_where(&sql, t, p, bnames, nb);
			break;
		case 'D':
			appendStringInfo(&sql, "DELETE FROM %s", qt);
			nset = 1;
			append_where(&sql, t, p, bnames, nb);
			break;
		default:
			elog(ERROR, "unexpected row event kind \"%c\"", p->op);
	}
	p->sql = sql.data;
	return nset;
}

/* Prepares and keeps the plan of the statement. */
static bool
spi_prepare(ReplayTable *t, ReplayPlan *p, char **anames, int na,
			char **bnames, int nb)
{
	Oid		   *types = palloc(sizeof(Oid) * Max(p->nparams, 1));
	SPIPlanPtr	plan;

	for (int i = 0; i < p->nparams; i++)
		types[i] = TEXTOID;
	plan = SPI_prepare(p->sql, p->nparams, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", p->sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep the plan of \"%s\"", p->sql);
	p->plan = plan;
	return true;
}

/* Applies a row through the kept plan; false: no row found. */
static bool
spi_apply(ReplayTable *t, ReplayPlan *p, const Datum *bvals, const bool *bnulls,
		  const Datum *avals, const bool *anulls)
{
	Datum	   *params = palloc(sizeof(Datum) * Max(p->nparams, 1));
	char	   *pnulls = palloc(p->nparams + 1);
	int			rc;

	for (int i = 0; i < p->nparams; i++)
	{
		const Datum *v = p->from_before[i] ? bvals : avals;
		const bool *n = p->from_before[i] ? bnulls : anulls;

		params[i] = v[p->src[i]];
		pnulls[i] = n[p->src[i]] ? 'n' : ' ';
	}
	pnulls[p->nparams] = '\0';

	rc = SPI_execute_plan(p->plan, params, pnulls, false, 0);
	if (rc < 0)
		elog(ERROR, "applying a row to %s.%s failed: %s", t->schema_name, t->table_name,
			 SPI_result_code_string(rc));
	return SPI_processed > 0 || p->op == 'I';
}

/* Frees the kept plan. */
static void
spi_release(ReplayPlan *p)
{
	if (p->plan)
		SPI_freeplan(p->plan);
	p->plan = NULL;
}

const ReplayApplyMethod replay_spi_method = {
	"spi", spi_prepare, spi_apply, spi_release
};
