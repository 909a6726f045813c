/*-------------------------------------------------------------------------
 *
 * replay_ddl.c
 *	  Applies a logged MySQL DDL statement ('Q' event) in its place in the
 *	  stream: translated by the DDL library (src/ddl) with the source's
 *	  schema mappings and type_override, the PostgreSQL statements run in
 *	  order, then chameleon.replica_table follows: CREATE TABLE adds a
 *	  row, DROP TABLE removes it, RENAME TABLE / ALTER ... RENAME renames
 *	  it, and after every statement the table's replica identity is read
 *	  back from the PostgreSQL catalogue (primary key, else a unique index
 *	  on NOT NULL columns, else the full row), so key changes of any form
 *	  are seen.  Statements on schemas that are not mapped, on tables that
 *	  are not replicated or are disabled, and statements with no
 *	  PostgreSQL meaning are skipped with a LOG line.  A statement that
 *	  cannot be parsed or translated raises an ERROR, which the caller
 *	  handles per on_error_replay.
 *
 *	  A statement that changes one table being copied again by
 *	  sync_tables() on the running source (ALTER TABLE, CREATE/DROP INDEX,
 *	  TRUNCATE) is held with the table's rows (replay_hold.c) and runs on
 *	  the new copy once it is in place, unless the copy's snapshot already
 *	  holds it: run on the old table, it would be lost with it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "utils/builtins.h"

#include "catalog.h"
#include "ddl/cddl.h"
#include "fk_catalog.h"
#include "geometry.h"
#include "owner.h"
#include "replay_internal.h"
#include "target_ops.h"
#include "worker_util.h"

/* The translator's schema mapping: the source's schema_mappings. */
static const char *
map_schema_cb(void *ctx, const char *mysql_schema)
{
	return chameleon_map_schema((const ChameleonSourceConf *) ctx, mysql_schema);
}

/* The MySQL schema of a name: its qualifier, else the default schema. */
static const char *
schema_of(const cddl_name *n, const char *default_schema)
{
	return n->schema ? n->schema : default_schema;
}

/*
 * Reads the replica identity of a replicated table back from the
 * PostgreSQL catalogue into replica_table.
 */
static void
refresh_identity(ReplayState *st, const char *schema, const char *table)
{
	CAT_RUN("SELECT chameleon._refresh_identity($1, $2, $3)",
			cat_int4(st->source_id), cat_text(schema), cat_text(table));
}

/*
 * Makes the date, datetime and timestamp columns of a replicated table
 * nullable after CREATE or ALTER, as the initial copy does: MySQL's zero
 * dates arrive as NULL.
 */
static void
zero_dates_nullable(ReplayState *st, const char *schema, const char *table)
{
	Oid			relid = InvalidOid;

	if (CAT_RUN("SELECT schema_name, table_name FROM chameleon.replica_table"
				" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
				cat_int4(st->source_id), cat_text(schema), cat_text(table)) > 0)
		relid = RangeVarGetRelid(chameleon_rangevar(cat_get_text(0, 1), cat_get_text(0, 2)),
								 NoLock, true);
	if (OidIsValid(relid))
		chameleon_drop_date_not_null(relid);
}

/*
 * Records a table created by the replay in replica_table (consistent),
 * with whether its geometry columns are PostGIS geometry.
 */
static void
add_table(ReplayState *st, const char *schema, const char *table, const char *pg_schema,
		  bool postgis)
{
	CAT_RUN("INSERT INTO chameleon.replica_table AS r (source_id, source_schema, source_table,"
			"       schema_name, table_name, enabled, consistent, postgis)"
			" VALUES ($1, $2, $3, $4, $3, true, true, $5)"
			" ON CONFLICT (source_id, source_schema, source_table) DO UPDATE SET"
			"   schema_name = excluded.schema_name, table_name = excluded.table_name,"
			"   enabled = true, consistent = true, disabled_reason = NULL,"
			"   snapshot_file = NULL, snapshot_pos = NULL, snapshot_gtid = NULL,"
			"   postgis = excluded.postgis",
			cat_int4(st->source_id), cat_text(schema), cat_text(table), cat_text(pg_schema),
			cat_bool(postgis));
	zero_dates_nullable(st, schema, table);
	refresh_identity(st, schema, table);
	chameleon_grant_select(st->conf, pg_schema, table);
}

/* Removes a dropped table from replica_table. */
static void
drop_table(ReplayState *st, const char *schema, const char *table)
{
	CAT_RUN("DELETE FROM chameleon.replica_table"
			" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
			cat_int4(st->source_id), cat_text(schema), cat_text(table));
}

/*
 * Renames the indexes of a renamed PostgreSQL table named after it
 * ("from_x" -> "to_x", as the initial copy names them), so that a later
 * DROP INDEX x on the new name finds them.
 */
static void
rename_indexes(const char *pg_schema, const char *from_table, const char *to_table)
{
	List	   *stmts = NIL;
	ListCell   *lc;
	uint64		n;

	n = CAT_RUN("SELECT pg_catalog.format('ALTER INDEX %I.%I RENAME TO %I', n.nspname, c.relname,"
				"        $3 || pg_catalog.substr(c.relname, pg_catalog.length($2) + 1))"
				"  FROM pg_catalog.pg_index i"
				"  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
				"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
				" WHERE i.indrelid = pg_catalog.to_regclass(pg_catalog.format('%I.%I', $1, $3))"
				"   AND pg_catalog.left(c.relname, pg_catalog.length($2) + 1) = $2 || '_'"
				"   AND pg_catalog.left(c.relname, pg_catalog.length($3) + 1) <> $3 || '_'"
				"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class o WHERE o.relnamespace = c.relnamespace"
				"        AND o.relname = $3 || pg_catalog.substr(c.relname, pg_catalog.length($2) + 1))",
				cat_text(pg_schema), cat_text(from_table), cat_text(to_table));
	for (uint64 i = 0; i < n; i++)
		stmts = lappend(stmts, cat_get_text(i, 1));
	foreach(lc, stmts)
		chameleon_target_exec((const char *) lfirst(lc));
}

/* Follows a renamed table in replica_table (out of the mapped schemas: removed). */
static void
rename_table(ReplayState *st, const char *from_schema, const char *from_table,
			 const char *to_schema, const char *to_table)
{
	const char *pg_schema = chameleon_map_schema(st->conf, to_schema);

	if (pg_schema == NULL)
	{
		drop_table(st, from_schema, from_table);
		return;
	}
	CAT_RUN("UPDATE chameleon.replica_table SET source_schema = $4, source_table = $5,"
			"       schema_name = $6, table_name = $5"
			" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
			cat_int4(st->source_id), cat_text(from_schema), cat_text(from_table),
			cat_text(to_schema), cat_text(to_table), cat_text(pg_schema));
	if (strcmp(from_table, to_table) != 0)
		rename_indexes(pg_schema, from_table, to_table);
	refresh_identity(st, to_schema, to_table);
}

/*
 * Whether the geometry columns a statement defines become PostGIS
 * geometry: a new table's if PostGIS is installed now; those of an
 * existing table as the table's were made when it was created
 * (replica_table.postgis), so that a table created as bytea stays bytea;
 * CREATE TABLE ... LIKE copies the types of its model.
 */
static bool
stmt_postgis(ReplayState *st, const cddl_stmt *s, const char *defschema)
{
	const char *schema = st->ctx.schema;
	const char *table = st->ctx.table;
	char	   *v;

	if (s->kind == CDDL_STMT_CREATE_TABLE || s->kind == CDDL_STMT_CREATE_TABLE_SELECT)
		return chameleon_postgis_installed();
	if (s->kind == CDDL_STMT_CREATE_TABLE_LIKE)
	{
		schema = schema_of(&s->like_table, defschema);
		table = s->like_table.name;
	}
	v = CAT_VALUE("SELECT postgis FROM chameleon.replica_table"
				  " WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
				  cat_int4(st->source_id), cat_text(schema), cat_text(table));
	return v != NULL ? strcmp(v, "t") == 0 : chameleon_postgis_installed();
}

/*
 * Whether the statement concerns the replica: its table's schema is
 * mapped and (but for CREATE TABLE) the table is replicated and enabled.
 * Sets the table to blame on failure.
 */
static bool
stmt_wanted(ReplayState *st, const cddl_stmt *s, const char *defschema)
{
	const cddl_name *n = NULL;
	const char *what = cddl_stmt_kind_name(s->kind);

	switch (s->kind)
	{
		case CDDL_STMT_IGNORED:
			ereport(LOG,
					(errmsg("skipped a statement with no PostgreSQL meaning (%s)", s->ignored_what ? s->ignored_what : "statement")));
			return false;
		case CDDL_STMT_DROP_TABLE:
		case CDDL_STMT_TRUNCATE:
			/* any replicated table of the list */
			for (const cddl_namelist *l = s->tables; l; l = l->next)
				if (replay_table_active(schema_of(&l->name, defschema), l->name.name))
				{
					n = &l->name;
					break;
				}
			if (n == NULL)
				n = s->tables ? &s->tables->name : NULL;
			break;
		case CDDL_STMT_RENAME_TABLE:
			for (const cddl_rename *r = s->renames; r; r = r->next)
				if (replay_table_active(schema_of(&r->from, defschema), r->from.name))
				{
					n = &r->from;
					break;
				}
			if (n == NULL)
				n = s->renames ? &s->renames->from : NULL;
			break;
		default:
			n = &s->table;
			break;
	}
	if (n == NULL || n->name == NULL || schema_of(n, defschema) == NULL)
		return false;
	st->ctx.schema = pstrdup(schema_of(n, defschema));
	st->ctx.table = pstrdup(n->name);
	if (chameleon_map_schema(st->conf, st->ctx.schema) == NULL)
	{
		ereport(LOG,
				(errmsg("skipped %s on \"%s.%s\": schema not replicated",
						what, st->ctx.schema, st->ctx.table)));
		return false;
	}
	if (s->kind == CDDL_STMT_CREATE_TABLE || s->kind == CDDL_STMT_CREATE_TABLE_LIKE ||
		s->kind == CDDL_STMT_CREATE_TABLE_SELECT)
	{
		if (!chameleon_table_selected(st->conf, st->ctx.schema, st->ctx.table))
		{
			ereport(LOG,
					(errmsg("skipped %s of \"%s.%s\": excluded by limit_tables/skip_tables",
							what, st->ctx.schema, st->ctx.table)));
			return false;
		}
		/* IF NOT EXISTS on a table we have: nothing to do */
		if (s->if_not_exists && replay_table_active(st->ctx.schema, st->ctx.table))
			return false;
		return true;
	}
	if (!replay_table_active(st->ctx.schema, st->ctx.table))
	{
		ereport(LOG,
				(errmsg("skipped %s on \"%s.%s\": table not replicated or disabled",
						what, st->ctx.schema, st->ctx.table)));
		return false;
	}
	return true;
}

/*
 * Whether a statement is the only one of its document and changes one
 * table without renaming or dropping it: such a statement can wait for
 * the table's copy by sync_tables().
 */
static bool
stmt_holdable(const cddl_doc *doc, const cddl_stmt *s)
{
	if (doc->stmts != s || s->next != NULL)
		return false;
	switch (s->kind)
	{
		case CDDL_STMT_ALTER_TABLE:
			for (const cddl_alter_cmd *c = s->cmds; c; c = c->next)
				if (c->kind == CDDL_AT_RENAME_TABLE)
					return false;
			return true;
		case CDDL_STMT_CREATE_INDEX:
		case CDDL_STMT_DROP_INDEX:
			return true;
		case CDDL_STMT_TRUNCATE:
			return s->tables != NULL && s->tables->next == NULL;
		default:
			return false;
	}
}

/* Updates replica_table after a statement ran. */
static void
follow_stmt(ReplayState *st, const cddl_stmt *s, const char *defschema, bool postgis)
{
	switch (s->kind)
	{
		case CDDL_STMT_CREATE_TABLE:
		case CDDL_STMT_CREATE_TABLE_LIKE:
			add_table(st, st->ctx.schema, st->ctx.table,
					  chameleon_map_schema(st->conf, st->ctx.schema), postgis);
			break;
		case CDDL_STMT_DROP_TABLE:
			for (const cddl_namelist *l = s->tables; l; l = l->next)
				drop_table(st, schema_of(&l->name, defschema), l->name.name);
			break;
		case CDDL_STMT_RENAME_TABLE:
			for (const cddl_rename *r = s->renames; r; r = r->next)
				rename_table(st, schema_of(&r->from, defschema), r->from.name,
							 schema_of(&r->to, defschema), r->to.name);
			break;
		case CDDL_STMT_ALTER_TABLE:
			{
				const char *schema = st->ctx.schema;
				const char *table = st->ctx.table;

				for (const cddl_alter_cmd *c = s->cmds; c; c = c->next)
					if (c->kind == CDDL_AT_RENAME_TABLE && c->new_table.name)
					{
						const char *to_schema = schema_of(&c->new_table, defschema);

						rename_table(st, schema, table, to_schema, c->new_table.name);
						schema = to_schema;
						table = c->new_table.name;
					}
				zero_dates_nullable(st, schema, table);
				refresh_identity(st, schema, table);
				break;
			}
		case CDDL_STMT_CREATE_INDEX:
		case CDDL_STMT_DROP_INDEX:
			refresh_identity(st, st->ctx.schema, st->ctx.table);
			break;
		default:
			break;
	}
}

/*
 * Applies a 'Q' event, from the stream or held during a sync; true when
 * at least one statement ran.  ERROR when the statement cannot be parsed,
 * translated or run.
 */
bool
replay_apply_ddl(ReplayState *st, const ReplayEvent *ev, ReplayDdlSource source)
{
	const char *defschema = ev->schema;
	cddl_error	err;
	cddl_doc   *volatile doc = NULL;
	cddl_options opts;
	volatile bool ran = false;
	volatile bool fks_followed = false;
	ChameleonActor actor;
	replay_ctx_set(st, NULL, NULL, "DDL", ev->query);
	if (ev->query == NULL)
		return false;
	/* DDL refuses a table this session holds open */
	replay_exec_close_all();

	memset(&err, 0, sizeof(err));
	memset(&opts, 0, sizeof(opts));
	opts.mysql_schema = defschema;
	opts.map_schema = map_schema_cb;
	opts.map_ctx = st->conf;
	opts.overrides = st->conf->overrides;
	opts.noverrides = st->conf->noverrides;
	opts.fillfactors = st->conf->fillfactors;
	opts.nfillfactors = st->conf->nfillfactors;

	/* DDL on the target runs as the source's owner (owner.h) */
	chameleon_act_as(st->conf->owner, &actor);
	PG_TRY();
	{
		doc = cddl_parse(ev->query, strlen(ev->query), &err);
		if (doc == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("cannot parse MySQL statement: %s", err.message),
					 errdetail("The error is at byte %zu, at token \"%s\".", err.position, err.token),
					 errhint("Copy the tables it changes again with chameleon.sync_tables() once the cause is fixed.")));
		for (const cddl_stmt *s = doc->stmts; s; s = s->next)
		{
			cddl_output out;
			const char *target;

			if (!stmt_wanted(st, s, defschema))
				continue;
			if (source == REPLAY_DDL_STREAM && stmt_holdable(doc, s))
			{
				ReplayRowFate fate = replay_hold_fate(st, st->ctx.schema, st->ctx.table,
													  ev->event_id);

				if (fate == REPLAY_ROW_SKIP)
				{
					ereport(LOG,
							(errmsg("skipped %s on \"%s.%s\": the table's copy already has it",
									cddl_stmt_kind_name(s->kind), st->ctx.schema, st->ctx.table)));
					continue;
				}
				if (fate == REPLAY_ROW_HELD)
				{
					/* its foreign keys now, for the actions held meanwhile */
					chameleon_fk_follow_ddl(st->source_id, s, defschema);
					fks_followed = true;
					replay_hold_ddl(st, st->ctx.schema, st->ctx.table, ev);
					ereport(LOG,
							(errmsg("held %s on \"%s.%s\" until the table's copy by sync_tables() is in place",
									cddl_stmt_kind_name(s->kind), st->ctx.schema, st->ctx.table)));
					continue;
				}
			}
			/* unqualified names: the mapped schema of the statement's table */
			target = chameleon_map_schema(st->conf, st->ctx.schema);
			opts.target_schema = (defschema && chameleon_map_schema(st->conf, defschema))
				? chameleon_map_schema(st->conf, defschema) : target;
			memset(&out, 0, sizeof(out));
			opts.postgis = stmt_postgis(st, s, defschema);
			if (!cddl_translate(doc, s, &opts, &out, &err))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot translate MySQL statement on \"%s.%s\": %s",
								st->ctx.schema, st->ctx.table, err.message),
						 errhint("Copy the table again with chameleon.sync_tables() once the cause is fixed.")));
			for (const cddl_sql *n = out.notes; n; n = n->next)
				ereport(LOG,
						(errmsg("%s", n->text)));
			/*
			 * the foreign keys, whatever PostgreSQL has to run (a statement
			 * held for a sync that failed followed them when it was held)
			 */
			if (source != REPLAY_DDL_HELD_OLD_TABLE)
			{
				chameleon_fk_follow_ddl(st->source_id, s, defschema);
				fks_followed = true;
			}
			if (out.statements == NULL && s->kind != CDDL_STMT_DROP_TABLE &&
				s->kind != CDDL_STMT_RENAME_TABLE)
			{
				ereport(LOG,
						(errmsg("skipped %s on \"%s.%s\": nothing to do in PostgreSQL",
								cddl_stmt_kind_name(s->kind),
								st->ctx.schema, st->ctx.table)));
				continue;
			}
			for (const cddl_sql *q = out.statements; q; q = q->next)
			{
				st->ctx.sql = pstrdup(q->text);
				chameleon_target_exec(q->text);
			}
			follow_stmt(st, s, defschema, opts.postgis);
			ran = true;
		}
	}
	PG_FINALLY();
	{
		chameleon_act_end(&actor);
		cddl_doc_free(doc);
	}
	PG_END_TRY();

	if (ran || fks_followed)
	{
		/* table definitions and replica_table changed: plans are stale */
		replay_tables_invalidate();
		replay_tables_load(st);
	}
	return ran;
}
