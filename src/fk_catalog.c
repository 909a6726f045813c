/*-------------------------------------------------------------------------
 *
 * fk_catalog.c
 *	  Keeps chameleon.foreign_key, a source's MySQL foreign keys, as they
 *	  are at the replay's position in the stream.  The initial copy records
 *	  each table's keys from its CREATE TABLE (through table_progress, so
 *	  that a failed copy changes nothing); the replay follows every DDL
 *	  statement that adds, drops or renames them.
 *
 *	  Names follow MariaDB's and MySQL's rules, so that a later DROP
 *	  FOREIGN KEY finds the key: the CONSTRAINT symbol, else the index name
 *	  given with FOREIGN KEY, else <table>_ibfk_<n>, n one more than the
 *	  largest such number the table has.  A REFERENCES without a schema
 *	  names the referencing table's schema.  Keys without an action get
 *	  MySQL's default, RESTRICT.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "catalog.h"
#include "fk_catalog.h"

/* The catalogue's word for a MySQL action. */
static const char *
action_name(cddl_fk_action a)
{
	switch (a)
	{
		case CDDL_FK_CASCADE:
			return "cascade";
		case CDDL_FK_SET_NULL:
			return "set null";
		case CDDL_FK_SET_DEFAULT:
			return "set default";
		case CDDL_FK_NO_ACTION:
			return "no action";
		case CDDL_FK_NONE:
		case CDDL_FK_RESTRICT:
			break;
	}
	return "restrict";
}

/* The column names of a key, as a List of C strings. */
static List *
key_columns(const cddl_key *k)
{
	List	   *out = NIL;

	for (const cddl_key_part *p = k->parts; p; p = p->next)
		out = lappend(out, p->column);
	return out;
}

/* The referenced columns of a foreign key. */
static List *
ref_columns(const cddl_key *k)
{
	List	   *out = NIL;

	for (const cddl_strlist *c = k->ref_columns; c; c = c->next)
		out = lappend(out, c->value);
	return out;
}

/* Appends a JSON array of strings. */
static void
json_strings(StringInfo buf, List *items)
{
	ListCell   *lc;

	appendStringInfoChar(buf, '[');
	foreach(lc, items)
	{
		if (lc != list_head(items))
			appendStringInfoString(buf, ", ");
		escape_json(buf, (const char *) lfirst(lc));
	}
	appendStringInfoChar(buf, ']');
}

/* The name MySQL gives a foreign key; unnamed ones take the next number. */
static char *
fk_name(const cddl_key *k, const char *table, int *next_number)
{
	if (k->constraint_name != NULL)
		return pstrdup(k->constraint_name);
	if (k->name != NULL)
		return pstrdup(k->name);
	return psprintf("%s_ibfk_%d", table, (*next_number)++);
}

/* See fk_catalog.h. */
char *
chameleon_fk_defs_json(const cddl_stmt *create, const char *schema)
{
	StringInfoData buf;
	int			number = 1;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (const cddl_key *k = create->keys; k; k = k->next)
	{
		if (k->kind != CDDL_KEY_FOREIGN || k->ref_table.name == NULL)
			continue;
		if (!first)
			appendStringInfoString(&buf, ", ");
		first = false;
		appendStringInfoString(&buf, "{\"fk_name\": ");
		escape_json(&buf, fk_name(k, create->table.name, &number));
		appendStringInfoString(&buf, ", \"columns\": ");
		json_strings(&buf, key_columns(k));
		appendStringInfoString(&buf, ", \"ref_schema\": ");
		escape_json(&buf, k->ref_table.schema ? k->ref_table.schema : schema);
		appendStringInfoString(&buf, ", \"ref_table\": ");
		escape_json(&buf, k->ref_table.name);
		appendStringInfoString(&buf, ", \"ref_columns\": ");
		json_strings(&buf, ref_columns(k));
		appendStringInfo(&buf, ", \"on_delete\": \"%s\", \"on_update\": \"%s\"}",
						 action_name(k->on_delete), action_name(k->on_update));
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* The next free <table>_ibfk_<n> number of a table. */
static int
next_ibfk_number(int32 source_id, const char *schema, const char *table)
{
	char	   *prefix = psprintf("%s_ibfk_", table);
	size_t		plen = strlen(prefix);
	int			max = 0;
	uint64		n;

	n = CAT_RUN("SELECT fk_name FROM chameleon.foreign_key"
				" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
				cat_int4(source_id), cat_text(schema), cat_text(table));
	for (uint64 i = 0; i < n; i++)
	{
		char	   *name = cat_get_text(i, 1);
		const char *p = name + plen;

		if (strncmp(name, prefix, plen) != 0 || *p == '\0' ||
			strspn(p, "0123456789") != strlen(p) || strlen(p) > 9)
			continue;
		max = Max(max, atoi(p));
	}
	return max + 1;
}

/* Records one foreign key of schema.table. */
static void
add_fk(int32 source_id, const char *schema, const char *table, const cddl_key *k,
	   int *next_number)
{
	CAT_RUN("INSERT INTO chameleon.foreign_key (source_id, source_schema, source_table, fk_name,"
			"       columns, ref_schema, ref_table, ref_columns, on_delete, on_update)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
			" ON CONFLICT (source_id, source_schema, source_table, fk_name) DO UPDATE SET"
			"   columns = excluded.columns, ref_schema = excluded.ref_schema,"
			"   ref_table = excluded.ref_table, ref_columns = excluded.ref_columns,"
			"   on_delete = excluded.on_delete, on_update = excluded.on_update",
			cat_int4(source_id), cat_text(schema), cat_text(table),
			cat_text(fk_name(k, table, next_number)), cat_text_array(key_columns(k)),
			cat_text(k->ref_table.schema ? k->ref_table.schema : schema),
			cat_text(k->ref_table.name), cat_text_array(ref_columns(k)),
			cat_text(action_name(k->on_delete)), cat_text(action_name(k->on_update)));
}

/* Forgets the foreign keys of a table (dropped, or created anew). */
static void
drop_table_fks(int32 source_id, const char *schema, const char *table)
{
	CAT_RUN("DELETE FROM chameleon.foreign_key"
			" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
			cat_int4(source_id), cat_text(schema), cat_text(table));
}

/* A table renamed: its keys, and the keys that reference it, follow. */
static void
rename_table(int32 source_id, const char *schema, const char *table,
			 const char *to_schema, const char *to_table)
{
	CAT_RUN("UPDATE chameleon.foreign_key SET source_schema = $4, source_table = $5"
			" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3",
			cat_int4(source_id), cat_text(schema), cat_text(table),
			cat_text(to_schema), cat_text(to_table));
	CAT_RUN("UPDATE chameleon.foreign_key SET ref_schema = $4, ref_table = $5"
			" WHERE source_id = $1 AND ref_schema = $2 AND ref_table = $3",
			cat_int4(source_id), cat_text(schema), cat_text(table),
			cat_text(to_schema), cat_text(to_table));
}

/* A column renamed: the keys of its table and those referencing it follow. */
static void
rename_column(int32 source_id, const char *schema, const char *table,
			  const char *from, const char *to)
{
	CAT_RUN("UPDATE chameleon.foreign_key"
			"   SET columns = array_replace(columns, $4, $5)"
			" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3"
			"   AND $4 = ANY (columns)",
			cat_int4(source_id), cat_text(schema), cat_text(table),
			cat_text(from), cat_text(to));
	CAT_RUN("UPDATE chameleon.foreign_key"
			"   SET ref_columns = array_replace(ref_columns, $4, $5)"
			" WHERE source_id = $1 AND ref_schema = $2 AND ref_table = $3"
			"   AND $4 = ANY (ref_columns)",
			cat_int4(source_id), cat_text(schema), cat_text(table),
			cat_text(from), cat_text(to));
}

/* Follows the commands of an ALTER TABLE on schema.table, in their order. */
static void
follow_alter(int32 source_id, const cddl_stmt *s, const char *schema)
{
	const char *table = s->table.name;
	int			number = 0;

	for (const cddl_alter_cmd *c = s->cmds; c; c = c->next)
	{
		switch (c->kind)
		{
			case CDDL_AT_ADD_KEY:
				if (c->key != NULL && c->key->kind == CDDL_KEY_FOREIGN &&
					c->key->ref_table.name != NULL)
				{
					if (number == 0)
						number = next_ibfk_number(source_id, schema, table);
					add_fk(source_id, schema, table, c->key, &number);
				}
				break;
			case CDDL_AT_DROP_FOREIGN_KEY:
			case CDDL_AT_DROP_CONSTRAINT:
				if (c->old_name != NULL)
					CAT_RUN("DELETE FROM chameleon.foreign_key"
							" WHERE source_id = $1 AND source_schema = $2"
							"   AND source_table = $3 AND fk_name = $4",
							cat_int4(source_id), cat_text(schema), cat_text(table),
							cat_text(c->old_name));
				break;
			case CDDL_AT_CHANGE_COLUMN:
				if (c->old_name != NULL && c->column != NULL &&
					strcmp(c->old_name, c->column->name) != 0)
					rename_column(source_id, schema, table, c->old_name, c->column->name);
				break;
			case CDDL_AT_RENAME_COLUMN:
				if (c->old_name != NULL && c->new_name != NULL)
					rename_column(source_id, schema, table, c->old_name, c->new_name);
				break;
			case CDDL_AT_RENAME_TABLE:
				if (c->new_table.name != NULL)
				{
					const char *to_schema = c->new_table.schema ? c->new_table.schema : schema;

					rename_table(source_id, schema, table, to_schema, c->new_table.name);
					schema = to_schema;
					table = c->new_table.name;
				}
				break;
			default:
				break;
		}
	}
}

/* See fk_catalog.h. */
void
chameleon_fk_follow_ddl(int32 source_id, const cddl_stmt *s, const char *defschema)
{
	const char *schema = s->table.schema ? s->table.schema : defschema;

	switch (s->kind)
	{
		case CDDL_STMT_CREATE_TABLE:
			{
				int			number = 1;

				if (schema == NULL || s->table.name == NULL)
					break;
				drop_table_fks(source_id, schema, s->table.name);
				for (const cddl_key *k = s->keys; k; k = k->next)
					if (k->kind == CDDL_KEY_FOREIGN && k->ref_table.name != NULL)
						add_fk(source_id, schema, s->table.name, k, &number);
				break;
			}
		case CDDL_STMT_ALTER_TABLE:
			if (schema != NULL && s->table.name != NULL)
				follow_alter(source_id, s, schema);
			break;
		case CDDL_STMT_RENAME_TABLE:
			for (const cddl_rename *r = s->renames; r; r = r->next)
			{
				const char *from = r->from.schema ? r->from.schema : defschema;
				const char *to = r->to.schema ? r->to.schema : defschema;

				if (from != NULL && to != NULL)
					rename_table(source_id, from, r->from.name, to, r->to.name);
			}
			break;
		case CDDL_STMT_DROP_TABLE:
			for (const cddl_namelist *l = s->tables; l; l = l->next)
			{
				const char *from = l->name.schema ? l->name.schema : defschema;

				if (from != NULL)
					drop_table_fks(source_id, from, l->name.name);
			}
			break;
		default:
			break;
	}
}
