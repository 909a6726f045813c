/*-------------------------------------------------------------------------
 *
 * history.c
 *	  What the copy and the reader share of the schema history: the
 *	  canonical layout text of a table (cddl_layout_sql of the layout read
 *	  from SHOW CREATE TABLE, which reads back into an identical layout),
 *	  reading it from the server, and the catalogue row that records it
 *	  from a position on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog.h"
#include "history.h"

/* See history.h. */
cddl_flavour
chameleon_history_flavour(MYSQL *conn)
{
	const char *version = mysql_get_server_info(conn);

	return (version != NULL && strstr(version, "MariaDB") != NULL) ? CDDL_MARIADB : CDDL_MYSQL;
}

/* See history.h. */
bool
chameleon_history_schema_defaults(MYSQL *conn, const char *schema, char **charset,
								  char **collation)
{
	char	   *sql;
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	bool		found = false;

	sql = psprintf("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME"
				   "  FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
				   chameleon_mysql_literal(conn, schema));
	res = chameleon_mysql_query(conn, sql);
	row = mysql_fetch_row(res);
	if (row != NULL && row[0] != NULL && row[1] != NULL)
	{
		*charset = pstrdup(row[0]);
		*collation = pstrdup(row[1]);
		found = true;
	}
	mysql_free_result(res);
	pfree(sql);
	return found;
}

/* See history.h. */
char *
chameleon_history_canonical(const char *show_create, const char *schema,
							const char *schema_charset, const char *schema_collation,
							cddl_flavour flavour, char **why)
{
	cddl_layout_options opts;
	cddl_error	err;
	cddl_layout *layout;
	const char *text;
	char	   *out = NULL;

	memset(&opts, 0, sizeof(opts));
	memset(&err, 0, sizeof(err));
	opts.flavour = flavour;
	opts.schema = schema;
	opts.schema_charset = schema_charset;
	opts.schema_collation = schema_collation;
	layout = cddl_layout_from_sql(show_create, strlen(show_create), &opts, &err);
	if (layout == NULL)
	{
		*why = psprintf("its definition cannot be modelled: %s", err.message);
		return NULL;
	}
	text = cddl_layout_sql(layout);
	if (text != NULL)
		out = pstrdup(text);
	else
		*why = pstrdup("out of memory");
	cddl_layout_free(layout);
	return out;
}

/* See history.h. */
char *
chameleon_history_read(MYSQL *conn, const char *schema, const char *table,
					   cddl_flavour flavour, char **why)
{
	char	   *sql;
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	unsigned long *lens;
	char	   *create = NULL;
	char	   *charset = NULL;
	char	   *collation = NULL;
	bool		exists;

	/* asked first: SHOW CREATE TABLE of a missing table is an error */
	sql = psprintf("SELECT 1 FROM information_schema.TABLES"
				   " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND TABLE_TYPE <> 'VIEW'",
				   chameleon_mysql_literal(conn, schema), chameleon_mysql_literal(conn, table));
	res = chameleon_mysql_query(conn, sql);
	exists = mysql_fetch_row(res) != NULL;
	mysql_free_result(res);
	if (!exists)
	{
		*why = pstrdup("the table does not exist on the server");
		return NULL;
	}
	sql = psprintf("SHOW CREATE TABLE %s.%s", chameleon_mysql_ident(schema),
				   chameleon_mysql_ident(table));
	res = chameleon_mysql_query(conn, sql);
	row = mysql_fetch_row(res);
	lens = mysql_fetch_lengths(res);
	if (row != NULL && mysql_num_fields(res) >= 2 && row[1] != NULL)
		create = pnstrdup(row[1], lens[1]);
	mysql_free_result(res);
	if (create == NULL)
	{
		*why = pstrdup("SHOW CREATE TABLE gave no table definition");
		return NULL;
	}
	(void) chameleon_history_schema_defaults(conn, schema, &charset, &collation);
	return chameleon_history_canonical(create, schema, charset, collation, flavour, why);
}

/* See history.h. */
void
chameleon_history_store(int32 source_id, const char *schema, const char *table,
						const char *file, int64 pos, cddl_flavour flavour,
						const char *layout, const char *why)
{
	CAT_RUN("DELETE FROM chameleon.table_layout"
			" WHERE source_id = $1 AND source_schema = $2 AND source_table = $3"
			"   AND valid_file = $4 AND valid_pos = $5",
			cat_int4(source_id), cat_text(schema), cat_text(table), cat_text(file),
			cat_int8(pos));
	CAT_RUN("INSERT INTO chameleon.table_layout (source_id, source_schema, source_table,"
			"       valid_file, valid_pos, flavour, layout, why)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			cat_int4(source_id), cat_text(schema), cat_text(table), cat_text(file),
			cat_int8(pos), cat_text(HISTORY_FLAVOUR_NAME(flavour)), cat_text(layout),
			cat_text(layout ? NULL : why));
}
