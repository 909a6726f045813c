/*-------------------------------------------------------------------------
 *
 * reader_meta.c
 *	  Column metadata for servers whose binlog leaves it out
 *	  (binlog_row_metadata = MINIMAL or NO_LOG): names, signedness,
 *	  charsets and ENUM/SET labels read from information_schema over a
 *	  separate libmariadb connection, cached per table and filled into
 *	  every TABLE_MAP through the decoder's hook.  The cache is dropped
 *	  after DDL on a mapped schema, because information_schema describes
 *	  the table as it is now, which matches the binlog only while no DDL
 *	  lies between the event and now (the limit of this approach; FULL
 *	  metadata has no such window).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "mysql_client.h"
#include "reader_internal.h"

/* The information_schema description of one table. */
typedef struct MetaTable
{
	char		key[READER_KEY_LEN];
	uint32		ncols;
	cbl_str    *names;
	bool	   *is_unsigned;
	uint32	   *charset;
	uint32	   *nlabels;
	cbl_str   **labels;
} MetaTable;

static MYSQL *meta_conn = NULL;
static HTAB *meta_cache = NULL;
static MemoryContext meta_cxt = NULL;

/* Forgets every cached description (after DDL). */
void
reader_meta_invalidate(void)
{
	if (meta_cxt != NULL)
		MemoryContextDelete(meta_cxt);
	meta_cxt = NULL;
	meta_cache = NULL;
}

/* Closes the metadata connection (at exit and on reconnection). */
void
reader_meta_close(void)
{
	if (meta_conn != NULL)
		mysql_close(meta_conn);
	meta_conn = NULL;
}

/* Parses the labels of "enum('a','b''c')" / "set(...)" (palloc'd). */
static cbl_str *
parse_labels(const char *type, uint32 *n)
{
	const char *p = strchr(type, '(');
	cbl_str    *out;
	int			cap = 8;

	*n = 0;
	if (p == NULL)
		return NULL;
	out = palloc(sizeof(cbl_str) * cap);
	p++;
	while (*p == '\'')
	{
		StringInfoData buf;

		initStringInfo(&buf);
		p++;
		while (*p != '\0')
		{
			if (*p == '\'' && p[1] == '\'')
			{
				appendStringInfoChar(&buf, '\'');
				p += 2;
			}
			else if (*p == '\'')
			{
				p++;
				break;
			}
			else if (*p == '\\' && p[1] != '\0')
			{
				appendStringInfoChar(&buf, p[1]);
				p += 2;
			}
			else
				appendStringInfoChar(&buf, *p++);
		}
		if ((int) *n >= cap)
		{
			cap *= 2;
			out = repalloc(out, sizeof(cbl_str) * cap);
		}
		out[*n].ptr = buf.data;
		out[*n].len = (uint32_t) buf.len;
		(*n)++;
		if (*p == ',')
			p++;
	}
	return out;
}

/* Reads a table's columns from information_schema into a new cache entry. */
static MetaTable *
meta_load(ReaderState *st, const char *key, const char *schema, const char *table)
{
	MetaTable  *m;
	bool		found;
	char	   *sql;
	MYSQL_RES  *res;
	MYSQL_ROW	row;
	uint32		n;
	uint32		i = 0;
	MemoryContext old;

	if (meta_conn == NULL)
		meta_conn = chameleon_mysql_connect_timeout(st->conf, "column metadata", 10);
	if (meta_cxt == NULL)
	{
		HASHCTL		ctl;

		meta_cxt = AllocSetContextCreate(st->long_cxt, "chameleon reader metadata",
										 ALLOCSET_DEFAULT_SIZES);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = READER_KEY_LEN;
		ctl.entrysize = sizeof(MetaTable);
		ctl.hcxt = meta_cxt;
		meta_cache = hash_create("chameleon reader metadata", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	old = MemoryContextSwitchTo(meta_cxt);
	sql = psprintf("SELECT c.COLUMN_NAME, c.COLUMN_TYPE, coalesce(co.ID, 0)"
				   " FROM information_schema.COLUMNS c"
				   " LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME"
				   " WHERE c.TABLE_SCHEMA = %s AND c.TABLE_NAME = %s ORDER BY c.ORDINAL_POSITION",
				   chameleon_mysql_literal(meta_conn, schema),
				   chameleon_mysql_literal(meta_conn, table));
	res = chameleon_mysql_query(meta_conn, sql);
	n = (uint32) mysql_num_rows(res);
	m = (MetaTable *) hash_search(meta_cache, key, HASH_ENTER, &found);
	m->ncols = n;
	m->names = palloc0(sizeof(cbl_str) * Max(n, 1));
	m->is_unsigned = palloc0(sizeof(bool) * Max(n, 1));
	m->charset = palloc0(sizeof(uint32) * Max(n, 1));
	m->nlabels = palloc0(sizeof(uint32) * Max(n, 1));
	m->labels = palloc0(sizeof(cbl_str *) * Max(n, 1));
	while ((row = mysql_fetch_row(res)) != NULL && i < n)
	{
		m->names[i].ptr = pstrdup(row[0]);
		m->names[i].len = (uint32_t) strlen(row[0]);
		m->is_unsigned[i] = strstr(row[1], "unsigned") != NULL;
		m->charset[i] = (uint32) strtoul(row[2], NULL, 10);
		if (strncmp(row[1], "enum(", 5) == 0 || strncmp(row[1], "set(", 4) == 0)
			m->labels[i] = parse_labels(row[1], &m->nlabels[i]);
		i++;
	}
	mysql_free_result(res);
	MemoryContextSwitchTo(old);
	return m;
}

/*
 * The decoder's TABLE_MAP hook: fills what the binlog left out, for the
 * tables whose rows are logged.  Errors (MySQL unreachable) are raised as
 * PostgreSQL errors: the worker restarts and reads the event again.
 */
int
reader_meta_hook(void *arg, cbl_table *t, cbl_error *err)
{
	ReaderState *st = (ReaderState *) arg;
	char	   *schema;
	char	   *table;
	ReaderTable *rt;
	char		key[READER_KEY_LEN];
	MetaTable  *m = NULL;
	bool		found = false;

	if ((t->has_meta & CBL_META_NAMES) && (t->has_meta & CBL_META_SIGNEDNESS) &&
		(t->has_meta & CBL_META_CHARSET))
		return 0;
	schema = pnstrdup(t->schema.ptr, t->schema.len);
	table = pnstrdup(t->table.ptr, t->table.len);
	rt = reader_table(st, schema, table);
	if (rt == NULL || !rt->logged)
		return 0;
	memcpy(key, rt->key, READER_KEY_LEN);
	if (meta_cache != NULL)
		m = (MetaTable *) hash_search(meta_cache, key, HASH_FIND, &found);
	/* a different column count: the table changed since it was cached */
	if (m == NULL || m->ncols != t->ncols)
		m = meta_load(st, key, schema, table);
	if (m->ncols != t->ncols)
		return 0;				/* names stay empty: the rows are reported */
	for (uint32 i = 0; i < t->ncols; i++)
	{
		cbl_column *c = &t->cols[i];

		if (!(t->has_meta & CBL_META_NAMES))
			c->name = m->names[i];
		if (!(t->has_meta & CBL_META_SIGNEDNESS))
			c->is_unsigned = m->is_unsigned[i];
		if (!(t->has_meta & CBL_META_CHARSET) && m->charset[i] != 0)
			c->charset = m->charset[i];
		if (c->nlabels == 0 && m->nlabels[i] > 0 &&
			(c->type == CBL_T_ENUM || c->type == CBL_T_SET))
		{
			c->nlabels = m->nlabels[i];
			c->labels = m->labels[i];
		}
	}
	return 0;
}
