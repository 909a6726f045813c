/*-------------------------------------------------------------------------
 *
 * translate_alter.c
 *	  PostgreSQL statements for ALTER TABLE and RENAME TABLE.
 *
 * Each MySQL action becomes one or more PostgreSQL statements, in the
 * order MySQL lists them; a RENAME TO is applied last because MySQL
 * applies the other actions to the table under its old name.  CHANGE and
 * MODIFY redefine the whole column in MySQL, so identity, default, type
 * and nullability are all reset from the new definition.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "ddl_internal.h"

/* Starts "ALTER TABLE <table> " in b. */
static void
begin_alter(cddl_writer *w, cddl_buf *b, const cddl_name *table)
{
	cddl_buf_init(b);
	cddl_buf_puts(b, "ALTER TABLE ");
	cddl_put_table(w, b, table);
	cddl_buf_putc(b, ' ');
}

/* Emits b and frees it. */
static void
finish(cddl_writer *w, cddl_buf *b, cddl_phase phase)
{
	cddl_emit(w, phase, b);
	cddl_buf_free(b);
}

/*
 * The value MySQL gives existing rows for a new NOT NULL column without a
 * default, as a PostgreSQL literal; NULL when there is none we can use.
 */
static const char *
implicit_default(const char *pgtype, const cddl_column *col, cddl_buf *tmp)
{
	if (cddl_is_integer_type(pgtype) || strncmp(pgtype, "numeric", 7) == 0 ||
		strcmp(pgtype, "real") == 0 || strcmp(pgtype, "double precision") == 0)
		return "0";
	if (strncmp(pgtype, "character", 9) == 0 || strcmp(pgtype, "text") == 0)
		return "''";
	if (strcmp(pgtype, "bytea") == 0)
		return "''::bytea";
	if (strcmp(pgtype, "boolean") == 0)
		return "false";
	if (strncmp(pgtype, "bit", 3) == 0)
	{
		cddl_buf_printf(tmp, "0::%s", pgtype);
		return tmp->data;
	}
	if (col->type.base == CDDL_T_ENUM && col->type.values)
	{
		cddl_quote_literal(tmp, col->type.values->value);
		return tmp->data;
	}
	return NULL;
}

/* Translates ADD COLUMN. */
static void
add_column(cddl_writer *w, const cddl_stmt *st, const cddl_alter_cmd *c)
{
	cddl_buf	b;
	cddl_buf	tmp;
	char		pgtype[CDDL_PGTYPE_LEN];
	const cddl_column *col = c->column;
	bool		fill = false;
	const char *implicit = NULL;

	cddl_buf_init(&tmp);
	begin_alter(w, &b, &st->table);
	cddl_buf_puts(&b, "ADD COLUMN ");
	if (c->if_not_exists)
		cddl_buf_puts(&b, "IF NOT EXISTS ");
	if (!cddl_write_column_type(w, &tmp, &st->table, col, pgtype, sizeof(pgtype)))
	{
		cddl_buf_free(&b);
		cddl_buf_free(&tmp);
		return;
	}
	cddl_buf_free(&tmp);
	cddl_buf_init(&tmp);
	/* existing rows get MySQL's implicit default, as MySQL does */
	if (col->not_null && col->def.kind == CDDL_DEF_NONE && !col->auto_increment &&
		!col->generated)
	{
		implicit = implicit_default(pgtype, col, &tmp);
		fill = implicit != NULL;
	}
	cddl_hold_post(w);
	if (!cddl_write_column_def(w, &b, &st->table, col, 0,
							   col->not_null && !fill && !col->auto_increment &&
							   col->def.kind == CDDL_DEF_NONE && !col->primary_key,
							   pgtype, sizeof(pgtype)))
	{
		cddl_release_post(w);
		cddl_buf_free(&b);
		cddl_buf_free(&tmp);
		return;
	}
	if (col->not_null && !fill && !col->auto_increment &&
		col->def.kind == CDDL_DEF_NONE && !col->primary_key)
		cddl_note(w, "column \"%s\": added as nullable: MySQL fills existing rows with a value PostgreSQL cannot hold", col->name);
	if (fill)
		cddl_buf_printf(&b, " DEFAULT %s", implicit);
	finish(w, &b, CDDL_PHASE_MAIN);
	cddl_release_post(w);
	if (fill)
	{
		begin_alter(w, &b, &st->table);
		cddl_buf_puts(&b, "ALTER COLUMN ");
		cddl_quote_ident(&b, col->name);
		cddl_buf_puts(&b, " DROP DEFAULT");
		finish(w, &b, CDDL_PHASE_MAIN);
	}
	cddl_buf_free(&tmp);
	if (col->first || col->after)
		cddl_note(w, "column \"%s\": position (FIRST/AFTER) not kept: PostgreSQL adds columns at the end", col->name);
	if (col->primary_key)
	{
		cddl_strlist one;

		one.value = col->name;
		one.next = NULL;
		cddl_write_primary_key(w, &st->table, NULL, &one);
	}
	if (col->unique_key)
	{
		cddl_key	uk;
		cddl_key_part part;

		memset(&uk, 0, sizeof(uk));
		memset(&part, 0, sizeof(part));
		part.column = col->name;
		part.prefix = -1;
		uk.kind = CDDL_KEY_UNIQUE;
		uk.name = col->name;
		uk.parts = &part;
		cddl_write_key_index(w, &st->table, &uk, NULL);
	}
}

/* Translates CHANGE / MODIFY: rename, then reset the whole definition. */
static void
redefine_column(cddl_writer *w, const cddl_stmt *st, const cddl_alter_cmd *c)
{
	cddl_buf	b;
	cddl_buf	tmp;
	char		pgtype[CDDL_PGTYPE_LEN];
	const cddl_column *col = c->column;
	const char *name = col->name;
	bool		identity;

	if (c->kind == CDDL_AT_CHANGE_COLUMN && strcmp(c->old_name, col->name) != 0)
	{
		begin_alter(w, &b, &st->table);
		cddl_buf_puts(&b, "RENAME COLUMN ");
		cddl_quote_ident(&b, c->old_name);
		cddl_buf_puts(&b, " TO ");
		cddl_quote_ident(&b, col->name);
		finish(w, &b, CDDL_PHASE_MAIN);
	}

	cddl_buf_init(&tmp);
	if (!cddl_write_column_type(w, &tmp, &st->table, col, pgtype, sizeof(pgtype)))
	{
		cddl_buf_free(&tmp);
		return;
	}
	cddl_buf_free(&tmp);
	if (cddl_needs_enum_type(w, &st->table, col, pgtype))
		cddl_write_enum_type(w, &st->table, col);
	identity = col->auto_increment && cddl_is_integer_type(pgtype);

	begin_alter(w, &b, &st->table);
	/* an identity column refuses DROP DEFAULT: drop the identity first */
	cddl_buf_puts(&b, "ALTER COLUMN ");
	cddl_quote_ident(&b, name);
	cddl_buf_puts(&b, " DROP IDENTITY IF EXISTS");
	finish(w, &b, CDDL_PHASE_MAIN);

	begin_alter(w, &b, &st->table);
	cddl_buf_puts(&b, "ALTER COLUMN ");
	cddl_quote_ident(&b, name);
	cddl_buf_puts(&b, " DROP DEFAULT, ALTER COLUMN ");
	cddl_quote_ident(&b, name);
	cddl_buf_printf(&b, " TYPE %s USING ", pgtype);
	cddl_quote_ident(&b, name);
	/* enum and boolean targets only have casts from text */
	if (col->type.base == CDDL_T_ENUM || strcmp(pgtype, "boolean") == 0)
		cddl_buf_puts(&b, "::text");
	cddl_buf_printf(&b, "::%s", pgtype);
	if (col->auto_increment && !identity)
	{
		char		seq[CDDL_NAMEDATALEN + 1];
		const char *schema = cddl_target_schema(w, &st->table);
		cddl_buf	q;
		cddl_buf	s;

		cddl_derived_name(seq, sizeof(seq), st->table.name, col->name, "_seq");
		cddl_buf_init(&q);
		cddl_quote_qualified(&q, schema ? schema : "public", seq);
		cddl_buf_init(&s);
		cddl_buf_printf(&s, "CREATE SEQUENCE IF NOT EXISTS %s", q.data ? q.data : "");
		cddl_emit(w, CDDL_PHASE_PRE, &s);
		cddl_buf_free(&s);
		cddl_buf_puts(&b, ", ALTER COLUMN ");
		cddl_quote_ident(&b, name);
		cddl_buf_puts(&b, " SET DEFAULT nextval(");
		cddl_quote_literal(&b, q.data ? q.data : "");
		cddl_buf_puts(&b, "::regclass)");
		cddl_buf_free(&q);
	}
	else if (!col->auto_increment && col->def.kind != CDDL_DEF_NONE &&
			 col->def.kind != CDDL_DEF_NULL)
	{
		cddl_buf	d;

		cddl_buf_init(&d);
		if (cddl_write_default(w, &d, &col->def, pgtype, col))
		{
			cddl_buf_puts(&b, ", ALTER COLUMN ");
			cddl_quote_ident(&b, name);
			/* d holds " DEFAULT x" */
			if (col->type.base == CDDL_T_ENUM && d.data &&
				strncmp(d.data, " DEFAULT ", 9) == 0)
			{
				/*
				 * The label may have just been added to the type (ALTER TYPE
				 * ... ADD VALUE, above): PostgreSQL refuses an enum constant
				 * of it before that commits, so the default is cast at use.
				 */
				cddl_buf_printf(&b, " SET DEFAULT (%s)::text::%s", d.data + 9, pgtype);
			}
			else
				cddl_buf_printf(&b, " SET%s", d.data ? d.data : "");
		}
		if (d.failed)
			b.failed = true;
		cddl_buf_free(&d);
	}
	cddl_buf_puts(&b, ", ALTER COLUMN ");
	cddl_quote_ident(&b, name);
	cddl_buf_puts(&b, col->not_null ? " SET NOT NULL" : " DROP NOT NULL");
	finish(w, &b, CDDL_PHASE_MAIN);

	if (identity)
	{
		begin_alter(w, &b, &st->table);
		cddl_buf_puts(&b, "ALTER COLUMN ");
		cddl_quote_ident(&b, name);
		cddl_buf_puts(&b, " ADD GENERATED BY DEFAULT AS IDENTITY");
		finish(w, &b, CDDL_PHASE_MAIN);
	}
	if (col->first || col->after)
		cddl_note(w, "column \"%s\": position (FIRST/AFTER) not kept", col->name);
	if (col->on_update_now)
		cddl_note(w, "column \"%s\": ON UPDATE CURRENT_TIMESTAMP not translated", col->name);
	if (col->primary_key)
	{
		cddl_strlist one;

		one.value = col->name;
		one.next = NULL;
		cddl_write_primary_key(w, &st->table, NULL, &one);
	}
	if (col->unique_key)
	{
		cddl_key	uk;
		cddl_key_part part;

		memset(&uk, 0, sizeof(uk));
		memset(&part, 0, sizeof(part));
		part.column = col->name;
		part.prefix = -1;
		uk.kind = CDDL_KEY_UNIQUE;
		uk.name = col->name;
		uk.parts = &part;
		cddl_write_key_index(w, &st->table, &uk, NULL);
	}
}

/* Emits DROP INDEX IF EXISTS for MySQL index "index" of the table. */
static void
drop_index(cddl_writer *w, const cddl_name *table, const char *index)
{
	cddl_buf	b;
	char		iname[CDDL_NAMEDATALEN + 1];
	const char *schema = cddl_target_schema(w, table);

	cddl_index_name(w, iname, sizeof(iname), table->name, index);
	cddl_buf_init(&b);
	cddl_buf_puts(&b, "DROP INDEX IF EXISTS ");
	cddl_quote_qualified(&b, schema ? schema : "public", iname);
	finish(w, &b, CDDL_PHASE_MAIN);
}

/* Emits ALTER TABLE ... DROP CONSTRAINT IF EXISTS <table>_pkey. */
static void
drop_primary_key(cddl_writer *w, const cddl_name *table)
{
	cddl_buf	b;
	char		pk[CDDL_NAMEDATALEN + 1];

	cddl_derived_name(pk, sizeof(pk), table->name, NULL, "_pkey");
	begin_alter(w, &b, table);
	cddl_buf_puts(&b, "DROP CONSTRAINT IF EXISTS ");
	cddl_quote_ident(&b, pk);
	finish(w, &b, CDDL_PHASE_MAIN);
}

/* Translates an added key (index, unique, primary, foreign, check). */
static void
add_key(cddl_writer *w, const cddl_name *table, cddl_key *k)
{
	switch (k->kind)
	{
		case CDDL_KEY_PRIMARY:
			cddl_write_primary_key(w, table, k->parts, NULL);
			break;
		case CDDL_KEY_FOREIGN:
			cddl_write_foreign_key(w, table, k);
			/* InnoDB indexes the referencing columns implicitly */
			cddl_write_fk_index(w, table, k);
			cddl_note(w, "foreign key kept aside: created by detach_replica");
			break;
		case CDDL_KEY_CHECK:
			if (k->check_expr)
				cddl_note(w, "CHECK (%s) not translated", k->check_expr);
			break;
		case CDDL_KEY_PERIOD:
			cddl_note(w, "PERIOD FOR %s not translated", k->name);
			break;
		default:
			cddl_write_key_index(w, table, k, NULL);
			break;
	}
}

/*
 * Emits the statements that rename (and possibly move) a table, including
 * its primary key index, whose name is derived from the table name.
 */
void
cddl_rename_table(cddl_writer *w, const cddl_name *from, const cddl_name *to)
{
	const char *sf = cddl_target_schema(w, from);
	const char *stt = cddl_target_schema(w, to);
	cddl_buf	b;

	if (sf == NULL && stt == NULL)
		return;
	if (sf == NULL)
	{
		cddl_note(w, "table \"%s\" renamed into a replicated schema: it must be copied with sync_tables", to->name);
		return;
	}
	if (stt == NULL)
	{
		cddl_note(w, "table \"%s\" renamed out of the replicated schemas: left in place", from->name);
		return;
	}
	if (strcmp(sf, stt) != 0)
	{
		cddl_buf_init(&b);
		cddl_buf_puts(&b, "ALTER TABLE ");
		cddl_quote_qualified(&b, sf, from->name);
		cddl_buf_puts(&b, " SET SCHEMA ");
		cddl_quote_ident(&b, stt);
		finish(w, &b, CDDL_PHASE_MAIN);
	}
	if (strcmp(from->name, to->name) != 0)
	{
		char		oldpk[CDDL_NAMEDATALEN + 1];
		char		newpk[CDDL_NAMEDATALEN + 1];

		cddl_buf_init(&b);
		cddl_buf_puts(&b, "ALTER TABLE ");
		cddl_quote_qualified(&b, stt, from->name);
		cddl_buf_puts(&b, " RENAME TO ");
		cddl_quote_ident(&b, to->name);
		finish(w, &b, CDDL_PHASE_MAIN);

		cddl_derived_name(oldpk, sizeof(oldpk), from->name, NULL, "_pkey");
		cddl_derived_name(newpk, sizeof(newpk), to->name, NULL, "_pkey");
		cddl_buf_init(&b);
		cddl_buf_puts(&b, "ALTER INDEX IF EXISTS ");
		cddl_quote_qualified(&b, stt, oldpk);
		cddl_buf_puts(&b, " RENAME TO ");
		cddl_quote_ident(&b, newpk);
		finish(w, &b, CDDL_PHASE_MAIN);
	}
}

/* Translates ALTER TABLE. */
bool
cddl_translate_alter(cddl_writer *w, const cddl_stmt *st)
{
	const cddl_alter_cmd *c;
	cddl_buf	b;

	for (c = st->cmds; c && !w->failed; c = c->next)
	{
		switch (c->kind)
		{
			case CDDL_AT_ADD_COLUMN:
				add_column(w, st, c);
				if (c->column && c->column->references)
					add_key(w, &st->table, c->column->references);
				break;
			case CDDL_AT_DROP_COLUMN:
				begin_alter(w, &b, &st->table);
				cddl_buf_puts(&b, "DROP COLUMN ");
				if (c->if_exists)
					cddl_buf_puts(&b, "IF EXISTS ");
				cddl_quote_ident(&b, c->old_name);
				finish(w, &b, CDDL_PHASE_MAIN);
				break;
			case CDDL_AT_CHANGE_COLUMN:
			case CDDL_AT_MODIFY_COLUMN:
				redefine_column(w, st, c);
				break;
			case CDDL_AT_RENAME_COLUMN:
				begin_alter(w, &b, &st->table);
				cddl_buf_puts(&b, "RENAME COLUMN ");
				cddl_quote_ident(&b, c->old_name);
				cddl_buf_puts(&b, " TO ");
				cddl_quote_ident(&b, c->new_name);
				finish(w, &b, CDDL_PHASE_MAIN);
				break;
			case CDDL_AT_SET_DEFAULT:
				{
					cddl_buf	d;
					cddl_column fake;

					memset(&fake, 0, sizeof(fake));
					fake.name = c->old_name;
					cddl_buf_init(&d);
					if (c->def.kind == CDDL_DEF_NULL)
						cddl_buf_puts(&d, " DEFAULT NULL");
					else if (!cddl_write_default(w, &d, &c->def, NULL, &fake))
					{
						cddl_buf_free(&d);
						break;
					}
					begin_alter(w, &b, &st->table);
					cddl_buf_puts(&b, "ALTER COLUMN ");
					cddl_quote_ident(&b, c->old_name);
					cddl_buf_printf(&b, " SET%s", d.data ? d.data : "");
					if (d.failed)
						b.failed = true;
					cddl_buf_free(&d);
					finish(w, &b, CDDL_PHASE_MAIN);
				}
				break;
			case CDDL_AT_DROP_DEFAULT:
				begin_alter(w, &b, &st->table);
				cddl_buf_puts(&b, "ALTER COLUMN ");
				cddl_quote_ident(&b, c->old_name);
				cddl_buf_puts(&b, " DROP DEFAULT");
				finish(w, &b, CDDL_PHASE_MAIN);
				break;
			case CDDL_AT_ADD_KEY:
				add_key(w, &st->table, c->key);
				break;
			case CDDL_AT_DROP_INDEX:
			case CDDL_AT_DROP_CONSTRAINT:
				drop_index(w, &st->table, c->old_name);
				break;
			case CDDL_AT_DROP_PRIMARY_KEY:
				drop_primary_key(w, &st->table);
				break;
			case CDDL_AT_DROP_FOREIGN_KEY:
				cddl_note(w, "foreign key \"%s\" dropped: it was kept aside, not created", c->old_name);
				break;
			case CDDL_AT_DROP_CHECK:
				break;
			case CDDL_AT_RENAME_INDEX:
				{
					char		a[CDDL_NAMEDATALEN + 1];
					char		n[CDDL_NAMEDATALEN + 1];
					const char *schema = cddl_target_schema(w, &st->table);

					cddl_index_name(w, a, sizeof(a), st->table.name, c->old_name);
					cddl_index_name(w, n, sizeof(n), st->table.name, c->new_name);
					cddl_buf_init(&b);
					cddl_buf_puts(&b, "ALTER INDEX IF EXISTS ");
					cddl_quote_qualified(&b, schema ? schema : "public", a);
					cddl_buf_puts(&b, " RENAME TO ");
					cddl_quote_ident(&b, n);
					finish(w, &b, CDDL_PHASE_MAIN);
				}
				break;
			case CDDL_AT_RENAME_TABLE:
			case CDDL_AT_IGNORED:
				break;
		}
	}
	/* RENAME TO last: MySQL applies the other actions to the old name */
	for (c = st->cmds; c && !w->failed; c = c->next)
	{
		if (c->kind == CDDL_AT_RENAME_TABLE)
		{
			cddl_name	to = c->new_table;

			if (to.schema == NULL)
				to.schema = st->table.schema;
			cddl_rename_table(w, &st->table, &to);
		}
	}
	return !w->failed;
}
