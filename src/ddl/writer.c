/*-------------------------------------------------------------------------
 *
 * writer.c
 *	  Building blocks of the PostgreSQL DDL writer: output lists, table
 *	  names in the target schema, column types, keys (defaults are in
 *	  writer_default.c).
 *
 * The per-statement translators (translate.c, translate_create.c,
 * translate_alter.c) compose these.  Every identifier goes through
 * cddl_quote_ident() and every literal through cddl_quote_literal().
 * Derived names (indexes, primary keys, enum types, sequences) are
 * prefixed with the table name because PostgreSQL index and type names
 * are unique per schema while MySQL index names are unique per table.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl_internal.h"

/* Appends a copy of b's text as an output statement of the given phase. */
static void
append_sql(cddl_writer *w, cddl_sql ***tail, cddl_phase phase, cddl_buf *b)
{
	cddl_sql   *s;

	if (w->failed)
		return;
	if (b->failed || b->data == NULL)
	{
		w->failed = true;
		return;
	}
	s = cddl_alloc(w->doc->arena, sizeof(cddl_sql));
	if (s == NULL || (s->text = cddl_strdup(w->doc->arena, b->data)) == NULL)
	{
		w->failed = true;
		return;
	}
	s->phase = phase;
	**tail = s;
	*tail = &s->next;
}

/* Adds a statement to run (POST ones wait while held, or go to post_data). */
void
cddl_emit(cddl_writer *w, cddl_phase phase, cddl_buf *b)
{
	if (w->opts->defer_keys && phase == CDDL_PHASE_POST)
	{
		/* initial copy: keys, indexes, comments go after the data */
		append_sql(w, &w->tail_post, phase, b);
		if (!w->failed)
			w->out->npost_data++;
		return;
	}
	if (w->hold_post && phase == CDDL_PHASE_POST)
	{
		append_sql(w, &w->tail_held, phase, b);
		return;
	}
	append_sql(w, &w->tail_stmt, phase, b);
	if (!w->failed)
		w->out->nstatements++;
}

/*
 * Makes POST statements wait: a column definition may need a statement
 * after its table (ALTER SEQUENCE ... OWNED BY) before the table's own
 * statement has been emitted.
 */
void
cddl_hold_post(cddl_writer *w)
{
	w->hold_post = true;
	w->held = NULL;
	w->tail_held = &w->held;
}

/* Appends the held POST statements after what was emitted so far. */
void
cddl_release_post(cddl_writer *w)
{
	cddl_sql   *s;

	w->hold_post = false;
	for (s = w->held; s; s = s->next)
	{
		*w->tail_stmt = s;
		w->tail_stmt = &s->next;
		w->out->nstatements++;
	}
	w->held = NULL;
	w->tail_held = &w->held;
}

/* Adds a foreign key definition to the kept-aside list. */
void
cddl_emit_fk(cddl_writer *w, cddl_buf *b)
{
	append_sql(w, &w->tail_fk, CDDL_PHASE_POST, b);
}

/* Adds a human-readable note (what was dropped and why). */
void
cddl_note(cddl_writer *w, const char *fmt,...)
{
	cddl_buf	b;
	va_list		ap;
	char		msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cddl_buf_init(&b);
	cddl_buf_puts(&b, msg);
	append_sql(w, &w->tail_note, CDDL_PHASE_MAIN, &b);
	cddl_buf_free(&b);
}

/*
 * The PostgreSQL schema for a MySQL table name: the mapped schema of its
 * qualifier, or the target schema.  NULL when the schema is not replicated.
 */
const char *
cddl_target_schema(cddl_writer *w, const cddl_name *n)
{
	const cddl_options *o = w->opts;

	if (n->schema != NULL && o->map_schema != NULL)
		return o->map_schema(o->map_ctx, n->schema);
	return o->target_schema ? o->target_schema : "public";
}

/* Appends the quoted, schema-qualified PostgreSQL name of a MySQL table. */
void
cddl_put_table(cddl_writer *w, cddl_buf *b, const cddl_name *n)
{
	const char *s = cddl_target_schema(w, n);

	cddl_quote_qualified(b, s ? s : "public", n->name);
}

/* The MySQL schema of a table (for type_override matching). */
static const char *
mysql_schema_of(cddl_writer *w, const cddl_name *n)
{
	return n->schema ? n->schema : w->opts->mysql_schema;
}

/*
 * Appends " WITH (fillfactor = N)" to a CREATE TABLE of table when the
 * options give it a fillfactor.
 */
void
cddl_write_fillfactor(cddl_writer *w, cddl_buf *b, const cddl_name *table)
{
	int			percent = cddl_fillfactor_for(w->opts, mysql_schema_of(w, table),
											  table->name);
	char		num[16];

	if (percent <= 0)
		return;
	snprintf(num, sizeof(num), "%d", percent);
	cddl_buf_puts(b, " WITH (fillfactor = ");
	cddl_buf_puts(b, num);
	cddl_buf_putc(b, ')');
}

/* Lower-case copy of s without spaces and backquotes, into buf. */
void
cddl_squeeze(const char *s, char *buf, size_t size)
{
	size_t		n = 0;

	for (; *s && n + 1 < size; s++)
	{
		char		c = *s;

		if (c == ' ' || c == '`' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c >= 'A' && c <= 'Z')
			c += 32;
		buf[n++] = c;
	}
	buf[n] = '\0';
}

/* True if expr is MariaDB's json_valid(`col`) check for this column. */
bool
cddl_is_json_check(const char *expr, const char *col)
{
	char		a[256];
	char		raw[256];
	char		b[256];

	if (expr == NULL)
		return false;
	cddl_squeeze(expr, a, sizeof(a));
	snprintf(raw, sizeof(raw), "json_valid(%s)", col);
	cddl_squeeze(raw, b, sizeof(b));
	return strcmp(a, b) == 0;
}

/* True if the column is a MariaDB JSON column (longtext + json_valid check). */
static bool
column_is_json(const cddl_writer *w, const cddl_column *col)
{
	const cddl_key *k;

	if (col->type.base != CDDL_T_LONGTEXT && col->type.base != CDDL_T_TEXT &&
		col->type.base != CDDL_T_MEDIUMTEXT)
		return false;
	if (cddl_is_json_check(col->check_expr, col->name))
		return true;
	if (w->stmt && w->stmt->kind == CDDL_STMT_CREATE_TABLE)
	{
		for (k = w->stmt->keys; k; k = k->next)
			if (k->kind == CDDL_KEY_CHECK && cddl_is_json_check(k->check_expr, col->name))
				return true;
	}
	return false;
}

/*
 * Appends the PostgreSQL type of a column to b and copies it to pgtype.
 * MariaDB's JSON (a longtext with a json_valid check) becomes jsonb.
 */
bool
cddl_write_column_type(cddl_writer *w, cddl_buf *b, const cddl_name *table,
					   const cddl_column *col, char *pgtype, size_t pgtypesize)
{
	cddl_type	t = col->type;
	cddl_options o = *w->opts;
	const char *schema = cddl_target_schema(w, table);

	o.target_schema = schema ? schema : "public";
	if (column_is_json(w, col))
		t.base = CDDL_T_JSON;
	if (!cddl_pg_type(&t, &o, mysql_schema_of(w, table), table->name, col->name,
					  pgtype, pgtypesize))
	{
		cddl_set_error(w->err, w->doc->input, w->doc->input_len, col->position,
					   strlen(col->name), "no PostgreSQL type for column \"%s\"",
					   col->name);
		w->failed = true;
		return false;
	}
	cddl_buf_puts(b, pgtype);
	return true;
}

/* True if the column's type (after overrides) is a PostgreSQL enum we create. */
bool
cddl_needs_enum_type(cddl_writer *w, const cddl_name *table,
					 const cddl_column *col, const char *pgtype)
{
	char		expect[CDDL_PGTYPE_LEN];
	cddl_type	t = col->type;
	cddl_options o = *w->opts;
	const char *schema = cddl_target_schema(w, table);

	if (t.base != CDDL_T_ENUM)
		return false;
	/* an override replaced the enum: nothing to create */
	o.target_schema = schema ? schema : "public";
	o.noverrides = 0;
	if (!cddl_pg_type(&t, &o, NULL, table->name, col->name, expect, sizeof(expect)))
		return false;
	return strcmp(expect, pgtype) == 0;
}

/*
 * Appends to b a dollar-quote tag that does not occur in body: $chameleon$,
 * else $chameleon11...1$ with one digit more than the longest run of
 * digits after a "$chameleon" in body (labels and names may hold tags).
 */
static void
put_dollar_tag(cddl_buf *b, const char *body)
{
	const char *p = body;
	size_t		longest = 0;

	if (strstr(body, "$chameleon$") == NULL)
	{
		cddl_buf_puts(b, "$chameleon$");
		return;
	}
	while ((p = strstr(p, "$chameleon")) != NULL)
	{
		size_t		run;

		p += strlen("$chameleon");
		run = strspn(p, "0123456789");
		if (run > longest)
			longest = run;
		p += run;
	}
	cddl_buf_puts(b, "$chameleon");
	for (size_t i = 0; i <= longest; i++)
		cddl_buf_putc(b, '1');
	cddl_buf_putc(b, '$');
}

/*
 * Emits the statement that makes the enum type of a column exist with all
 * its labels.  It creates the type, or, when a type of that name is left
 * over (a dropped and re-created table, an ALTER ... MODIFY), adds the
 * missing labels in order, which is what MySQL's enum changes need.
 */
void
cddl_write_enum_type(cddl_writer *w, const cddl_name *table,
					 const cddl_column *col)
{
	cddl_buf	b;
	cddl_buf	body;
	cddl_buf	tag;
	char		tname[CDDL_NAMEDATALEN + 1];
	const cddl_strlist *v;
	const cddl_strlist *prev = NULL;
	const char *schema = cddl_target_schema(w, table);

	cddl_enum_type_name(table->name, col->name, tname, sizeof(tname));
	cddl_buf_init(&body);
	cddl_buf_puts(&body, "BEGIN CREATE TYPE ");
	cddl_quote_qualified(&body, schema ? schema : "public", tname);
	cddl_buf_puts(&body, " AS ENUM (");
	for (v = col->type.values; v; v = v->next)
	{
		cddl_quote_literal(&body, v->value);
		if (v->next)
			cddl_buf_puts(&body, ", ");
	}
	cddl_buf_puts(&body, "); EXCEPTION WHEN duplicate_object THEN");
	for (v = col->type.values; v; v = v->next)
	{
		cddl_buf_puts(&body, " ALTER TYPE ");
		cddl_quote_qualified(&body, schema ? schema : "public", tname);
		cddl_buf_puts(&body, " ADD VALUE IF NOT EXISTS ");
		cddl_quote_literal(&body, v->value);
		if (prev)
		{
			cddl_buf_puts(&body, " AFTER ");
			cddl_quote_literal(&body, prev->value);
		}
		cddl_buf_putc(&body, ';');
		prev = v;
	}
	if (col->type.values == NULL)
		cddl_buf_puts(&body, " NULL;");
	cddl_buf_puts(&body, " END");

	/* a dollar-quote tag that does not occur in the body */
	cddl_buf_init(&tag);
	put_dollar_tag(&tag, body.data ? body.data : "");
	cddl_buf_init(&b);
	cddl_buf_puts(&b, "DO ");
	cddl_buf_puts(&b, tag.data ? tag.data : "");
	cddl_buf_puts(&b, body.data ? body.data : "");
	cddl_buf_puts(&b, tag.data ? tag.data : "");
	if (body.failed || tag.failed)
		b.failed = true;
	cddl_emit(w, CDDL_PHASE_PRE, &b);
	cddl_buf_free(&b);
	cddl_buf_free(&tag);
	cddl_buf_free(&body);
}

/* Writes the PostgreSQL name of MySQL index "index" of "table". */
void
cddl_index_name(cddl_writer *w, char *buf, size_t bufsize, const char *table,
				const char *index)
{
	(void) w;
	cddl_derived_name(buf, bufsize, table, index, NULL);
}

/* Appends "(a, b DESC)" for key parts; false if a part is an expression. */
static bool
put_key_columns(cddl_buf *b, const cddl_key_part *parts, bool with_order)
{
	const cddl_key_part *kp;

	cddl_buf_putc(b, '(');
	for (kp = parts; kp; kp = kp->next)
	{
		if (kp->column == NULL)
			return false;
		cddl_quote_ident(b, kp->column);
		if (with_order && kp->descending)
			cddl_buf_puts(b, " DESC");
		if (kp->next)
			cddl_buf_puts(b, ", ");
	}
	cddl_buf_putc(b, ')');
	return true;
}

/* Emits ALTER TABLE ... ADD CONSTRAINT <table>_pkey PRIMARY KEY (...). */
void
cddl_write_primary_key(cddl_writer *w, const cddl_name *table,
					   const cddl_key_part *parts, const cddl_strlist *colnames)
{
	cddl_buf	b;
	char		pk[CDDL_NAMEDATALEN + 1];
	const cddl_key_part *kp;

	for (kp = parts; kp; kp = kp->next)
		if (kp->without_overlaps)
		{
			cddl_note(w, "primary key WITHOUT OVERLAPS not created: its period is not defined in this statement");
			return;
		}
	cddl_derived_name(pk, sizeof(pk), table->name, NULL, "_pkey");
	cddl_buf_init(&b);
	cddl_buf_puts(&b, "ALTER TABLE ");
	cddl_put_table(w, &b, table);
	cddl_buf_puts(&b, " ADD CONSTRAINT ");
	cddl_quote_ident(&b, pk);
	cddl_buf_puts(&b, " PRIMARY KEY ");
	if (parts != NULL)
	{
		if (!put_key_columns(&b, parts, false))
		{
			cddl_note(w, "primary key on an expression not created");
			cddl_buf_free(&b);
			return;
		}
	}
	else
	{
		const cddl_strlist *c;

		cddl_buf_putc(&b, '(');
		for (c = colnames; c; c = c->next)
		{
			cddl_quote_ident(&b, c->value);
			if (c->next)
				cddl_buf_puts(&b, ", ");
		}
		cddl_buf_putc(&b, ')');
	}
	cddl_emit(w, CDDL_PHASE_POST, &b);
	cddl_buf_free(&b);
}

/*
 * Emits CREATE [UNIQUE] INDEX for a MySQL key (not PRIMARY/FOREIGN/CHECK).
 * Prefix lengths are dropped (full-column index); FULLTEXT indexes and, without
 * PostGIS, SPATIAL ones are skipped with a note.
 */
void
cddl_write_key_index(cddl_writer *w, const cddl_name *table,
					 const cddl_key *key, const cddl_column *cols)
{
	cddl_buf	b;
	char		iname[CDDL_NAMEDATALEN + 1];
	const char *mysql_name = key->name;
	const char *schema = cddl_target_schema(w, table);
	bool		ine = key->if_not_exists ||
		(w->stmt && w->stmt->if_not_exists && w->stmt->kind == CDDL_STMT_CREATE_TABLE);
	const cddl_key_part *kp;

	(void) cols;
	if (mysql_name == NULL)
		mysql_name = key->parts && key->parts->column ? key->parts->column : "idx";
	if (key->kind == CDDL_KEY_FULLTEXT)
	{
		cddl_note(w, "FULLTEXT index \"%s\" not created: no PostgreSQL equivalent", mysql_name);
		return;
	}
	if (key->kind == CDDL_KEY_SPATIAL && !w->opts->postgis)
	{
		cddl_note(w, "SPATIAL index \"%s\" not created: geometry is stored as bytea", mysql_name);
		return;
	}
	for (kp = key->parts; kp; kp = kp->next)
		if (kp->without_overlaps)
		{
			/* the period's columns are unknown here (ALTER TABLE ... ADD) */
			cddl_note(w, "key \"%s\" WITHOUT OVERLAPS not created: its period is not defined in this statement",
					  mysql_name);
			return;
		}
	cddl_index_name(w, iname, sizeof(iname), table->name, mysql_name);
	cddl_buf_init(&b);
	cddl_buf_puts(&b, key->kind == CDDL_KEY_UNIQUE ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
	if (ine)
		cddl_buf_puts(&b, "IF NOT EXISTS ");
	cddl_quote_ident(&b, iname);
	cddl_buf_puts(&b, " ON ");
	cddl_quote_qualified(&b, schema ? schema : "public", table->name);
	if (key->kind == CDDL_KEY_SPATIAL)
		cddl_buf_puts(&b, " USING gist");
	cddl_buf_putc(&b, ' ');
	if (!put_key_columns(&b, key->parts, key->kind != CDDL_KEY_SPATIAL))
	{
		cddl_note(w, "index \"%s\" on an expression not created", mysql_name);
		cddl_buf_free(&b);
		return;
	}
	cddl_emit(w, CDDL_PHASE_POST, &b);
	cddl_buf_free(&b);
}

/*
 * Emits the index MySQL creates implicitly for a foreign key whose columns
 * no index covers: InnoDB adds one (named after the constraint) so the
 * PostgreSQL table must have it too.  IF NOT EXISTS: when the statement
 * came from SHOW CREATE TABLE the index is already listed as a KEY.
 */
void
cddl_write_fk_index(cddl_writer *w, const cddl_name *table, const cddl_key *fk)
{
	cddl_key	k;

	memset(&k, 0, sizeof(k));
	k.kind = CDDL_KEY_INDEX;
	k.name = fk->name ? fk->name : fk->constraint_name;
	k.parts = fk->parts;
	k.if_not_exists = true;
	cddl_write_key_index(w, table, &k, NULL);
}

/* Name of a foreign key action. */
static const char *
fk_action(cddl_fk_action a)
{
	switch (a)
	{
		case CDDL_FK_RESTRICT:
			return "RESTRICT";
		case CDDL_FK_CASCADE:
			return "CASCADE";
		case CDDL_FK_SET_NULL:
			return "SET NULL";
		case CDDL_FK_SET_DEFAULT:
			return "SET DEFAULT";
		case CDDL_FK_NO_ACTION:
		case CDDL_FK_NONE:
			break;
	}
	return NULL;
}

/* Adds the PostgreSQL form of a foreign key to the kept-aside list. */
void
cddl_write_foreign_key(cddl_writer *w, const cddl_name *table,
					   const cddl_key *key)
{
	cddl_buf	b;
	const cddl_strlist *c;
	const char *name = key->constraint_name ? key->constraint_name : key->name;
	char		fkname[CDDL_NAMEDATALEN + 1];
	const char *a;

	if (cddl_target_schema(w, &key->ref_table) == NULL)
	{
		cddl_note(w, "foreign key to a table of a schema that is not replicated ignored");
		return;
	}
	if (name == NULL)
	{
		cddl_derived_name(fkname, sizeof(fkname), table->name,
						  key->parts && key->parts->column ? key->parts->column : "fk",
						  "_fkey");
		name = fkname;
	}
	cddl_buf_init(&b);
	cddl_buf_puts(&b, "ALTER TABLE ");
	cddl_put_table(w, &b, table);
	cddl_buf_puts(&b, " ADD CONSTRAINT ");
	cddl_quote_ident(&b, name);
	cddl_buf_puts(&b, " FOREIGN KEY ");
	if (!put_key_columns(&b, key->parts, false))
	{
		cddl_buf_free(&b);
		return;
	}
	cddl_buf_puts(&b, " REFERENCES ");
	cddl_put_table(w, &b, &key->ref_table);
	if (key->ref_columns)
	{
		cddl_buf_puts(&b, " (");
		for (c = key->ref_columns; c; c = c->next)
		{
			cddl_quote_ident(&b, c->value);
			if (c->next)
				cddl_buf_puts(&b, ", ");
		}
		cddl_buf_putc(&b, ')');
	}
	if ((a = fk_action(key->on_delete)) != NULL)
		cddl_buf_printf(&b, " ON DELETE %s", a);
	if ((a = fk_action(key->on_update)) != NULL)
		cddl_buf_printf(&b, " ON UPDATE %s", a);
	cddl_buf_puts(&b, " NOT VALID");
	cddl_emit_fk(w, &b);
	cddl_buf_free(&b);
}
