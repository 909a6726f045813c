/*-------------------------------------------------------------------------
 *
 * reader_history_ddl.c
 *	  The schema history follows the DDL of the stream (reader_history.c
 *	  says how entries are kept): each statement that changes a logged
 *	  table adds an entry at the position after it, computed by the layout
 *	  model (src/ddl/cddl_layout.h) from the layouts just before the
 *	  statement and from the changes earlier in the same statement (RENAME
 *	  a TO b, b TO a).  A statement the model cannot follow makes the
 *	  tables it names unknown from there on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "chameleon.h"
#include "position.h"
#include "reader_history_internal.h"
#include "source_state.h"
#include "worker_util.h"

/* A table's state while one DDL statement is followed. */
typedef struct HistChange
{
	char		key[READER_KEY_LEN];
	cddl_layout *layout;		/* owned copy, or NULL */
	char	   *why;
	bool		failed;			/* the model could not follow the statement */
} HistChange;

/* What the lookup callbacks of one statement see. */
typedef struct HistDdl
{
	ReaderState *st;
	const ReaderPos *start;
	List	   *changes;		/* HistChange *, in order */
} HistDdl;

/* A MySQL schema's default charset and collation (cached). */
static bool
schema_defaults(void *ctx, const char *schema, const char **charset, const char **collation)
{
	ReaderState *st = ((HistDdl *) ctx)->st;
	char		key[READER_KEY_LEN];
	HistSchema *s;
	bool		found;

	if (schema == NULL || strlen(schema) >= READER_KEY_LEN)
		return false;
	memset(key, 0, sizeof(key));
	strcpy(key, schema);
	s = (HistSchema *) hash_search(hist.schemas, key, HASH_ENTER, &found);
	if (!found)
	{
		MemoryContext old = MemoryContextSwitchTo(hist.cxt);

		s->known = chameleon_history_schema_defaults(hist_conn(st), schema,
													 &s->charset, &s->collation);
		MemoryContextSwitchTo(old);
	}
	if (!s->known)
		return false;
	*charset = s->charset;
	*collation = s->collation;
	return true;
}

/* The latest change of a table in this statement, or NULL. */
static HistChange *
ddl_change(HistDdl *d, const char *key)
{
	HistChange *found = NULL;
	ListCell   *lc;

	foreach(lc, d->changes)
	{
		HistChange *c = (HistChange *) lfirst(lc);

		if (memcmp(c->key, key, READER_KEY_LEN) == 0)
			found = c;
	}
	return found;
}

/* The layout of a table just before (or within) the statement. */
static const cddl_layout *
ddl_lookup(void *ctx, const char *schema, const char *table)
{
	HistDdl    *d = (HistDdl *) ctx;
	char		key[READER_KEY_LEN];
	HistChange *c;
	HistEntry  *e;

	if (schema == NULL || table == NULL || !reader_make_key(key, schema, table))
		return NULL;
	c = ddl_change(d, key);
	if (c != NULL)
		return c->layout;
	e = hist_at(hist_table(key, false), d->start);
	return e ? e->layout : NULL;
}

/*
 * Records what the statement made of a table (layout: an owned copy);
 * returns the record, NULL when the name cannot be a key.
 */
static HistChange *
ddl_set(HistDdl *d, const cddl_name *name, cddl_layout *layout, const char *why)
{
	char		key[READER_KEY_LEN];
	HistChange *c;

	if (name->schema == NULL || name->name == NULL ||
		!reader_make_key(key, name->schema, name->name))
	{
		cddl_layout_free(layout);
		return NULL;
	}
	c = palloc0(sizeof(HistChange));
	memcpy(c->key, key, READER_KEY_LEN);
	c->layout = layout;
	c->why = why ? pstrdup(why) : NULL;
	d->changes = lappend(d->changes, c);
	return c;
}

/* A name with the statement's default schema filled in. */
static cddl_name
qualified(const cddl_name *n, const char *db)
{
	cddl_name	out = *n;

	if (out.schema == NULL)
		out.schema = (char *) db;
	return out;
}

/* Records that the model could not follow the statement for a table. */
static void
ddl_failed(HistDdl *d, const cddl_name *name, const char *why)
{
	HistChange *c = ddl_set(d, name, NULL, why);

	if (c != NULL)
		c->failed = true;
}

/* Marks every table a statement names as unknown (the model failed). */
static void
ddl_unknown(HistDdl *d, const cddl_stmt *stmt, const char *db, const char *why)
{
	cddl_name	n;

	if (stmt->table.name != NULL)
	{
		n = qualified(&stmt->table, db);
		ddl_failed(d, &n, why);
	}
	for (cddl_namelist *l = stmt->tables; l; l = l->next)
	{
		n = qualified(&l->name, db);
		ddl_failed(d, &n, why);
	}
	for (cddl_rename *r = stmt->renames; r; r = r->next)
	{
		n = qualified(&r->from, db);
		ddl_failed(d, &n, why);
		n = qualified(&r->to, db);
		ddl_failed(d, &n, why);
	}
	for (cddl_alter_cmd *a = stmt->cmds; a; a = a->next)
		if (a->new_table.name != NULL)
		{
			n = qualified(&a->new_table, db);
			ddl_failed(d, &n, why);
		}
}

/* Applies the changes the model found for one statement. */
static void
ddl_apply(HistDdl *d, cddl_table_change *changes, const char *where)
{
	for (cddl_table_change *c = changes; c; c = c->next)
	{
		const cddl_layout *old;
		cddl_layout *copy;

		switch (c->op)
		{
			case CDDL_TABLE_CREATE:
				if (c->if_not_exists &&
					ddl_lookup(d, c->table.schema, c->table.name) != NULL)
					break;
				ddl_set(d, &c->table, cddl_layout_copy(c->layout), NULL);
				break;
			case CDDL_TABLE_ALTER:
				if (c->new_name.name != NULL &&
					(strcmp(c->new_name.name, c->table.name) != 0 ||
					 strcmp(c->new_name.schema, c->table.schema) != 0))
				{
					ddl_set(d, &c->table, NULL, psprintf("renamed at %s", where));
					ddl_set(d, &c->new_name, cddl_layout_copy(c->layout), NULL);
				}
				else
					ddl_set(d, &c->table, cddl_layout_copy(c->layout), NULL);
				break;
			case CDDL_TABLE_RENAME:
				old = ddl_lookup(d, c->table.schema, c->table.name);
				copy = old ? cddl_layout_copy(old) : NULL;
				if (copy != NULL)
					(void) cddl_layout_set_name(copy, c->new_name.schema, c->new_name.name);
				ddl_set(d, &c->table, NULL, psprintf("renamed at %s", where));
				ddl_set(d, &c->new_name, copy,
						copy ? NULL : psprintf("renamed at %s from a table of unknown layout", where));
				break;
			case CDDL_TABLE_DROP:
				ddl_set(d, &c->table, NULL, psprintf("dropped at %s", where));
				break;
			case CDDL_TABLE_TRUNCATE:
				break;
		}
	}
}

/*
 * Follows one DDL statement of the stream (between start and end) in the
 * history of the logged tables it changes.
 */
void
reader_history_ddl(ReaderState *st, const char *db, const char *query,
				   const ReaderPos *start, const ReaderPos *end, bool mariadb)
{
	cddl_error	err;
	cddl_doc   *doc;
	HistDdl		d;
	cddl_layout_options opts;
	const char *charset = NULL;
	const char *collation = NULL;
	char	   *where = psprintf("%s:" UINT64_FORMAT, end->file, end->pos);
	ListCell   *lc;

	hist_init(st);
	/* CREATE/ALTER DATABASE may change a schema's defaults */
	if (strcasestr(query, "DATABASE") != NULL || strcasestr(query, "SCHEMA") != NULL)
	{
		HASH_SEQ_STATUS seq;
		HistSchema *s;

		hash_seq_init(&seq, hist.schemas);
		while ((s = (HistSchema *) hash_seq_search(&seq)) != NULL)
		{
			if (s->known && s->charset)
				pfree(s->charset);
			if (s->known && s->collation)
				pfree(s->collation);
			(void) hash_search(hist.schemas, s->name, HASH_REMOVE, NULL);
		}
	}

	memset(&err, 0, sizeof(err));
	doc = cddl_parse(query, strlen(query), &err);
	if (doc == NULL)
	{
		ereport(LOG,
				(errmsg("the schema history cannot read the statement at %s: %s",
						where, err.message),
				 errdetail("Tables it changes keep their previous layout; a row that does not match its layout disables its table.")));
		return;
	}

	memset(&d, 0, sizeof(d));
	d.st = st;
	d.start = start;
	memset(&opts, 0, sizeof(opts));
	opts.flavour = mariadb ? CDDL_MARIADB : CDDL_MYSQL;
	opts.schema = (db && db[0]) ? db : NULL;
	opts.lookup = ddl_lookup;
	opts.lookup_ctx = &d;
	opts.schema_charset_of = schema_defaults;

	PG_TRY();
	{
		for (const cddl_stmt *stmt = doc->stmts; stmt; stmt = stmt->next)
		{
			cddl_table_change *changes;

			if (stmt->kind == CDDL_STMT_IGNORED || stmt->temporary)
				continue;
			if (opts.schema != NULL && schema_defaults(&d, opts.schema, &charset, &collation))
			{
				opts.schema_charset = charset;
				opts.schema_collation = collation;
			}
			memset(&err, 0, sizeof(err));
			changes = cddl_layout_changes(doc, stmt, &opts, &err);
			if (changes == NULL && err.set)
				ddl_unknown(&d, stmt, opts.schema,
							psprintf("the schema history could not follow the %s at %s: %s",
									 cddl_stmt_kind_name(stmt->kind), where, err.message));
			else
				ddl_apply(&d, changes, where);
		}
	}
	PG_FINALLY();
	{
		cddl_doc_free(doc);
	}
	PG_END_TRY();

	/* the final state of each table the statement changed, from end on */
	foreach(lc, d.changes)
	{
		HistChange *c = (HistChange *) lfirst(lc);
		const char *schema;
		const char *table;
		ReaderTable *rt;
		HistEntry  *e;

		if (ddl_change(&d, c->key) != c)
		{
			cddl_layout_free(c->layout);
			continue;			/* changed again later in the statement */
		}
		hist_key_names(c->key, &schema, &table);
		rt = reader_table(st, schema, table);
		if (rt == NULL || !rt->logged)
		{
			cddl_layout_free(c->layout);
			continue;
		}
		e = hist_entry(end->file, end->pos, c->layout, c->why, false);
		if (hist_put(hist_table(c->key, true), e, false))
			hist.pending = true;
		if (c->failed)
			ereport(LOG,
					(errmsg("schema history of MySQL table \"%s.%s\": %s", schema, table, c->why)));
	}
}

