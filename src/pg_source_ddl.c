/*-------------------------------------------------------------------------
 *
 * pg_source_ddl.c
 *	  The local CREATE TABLE, keys and indexes of a table of a pgsql
 *	  source, rebuilt from structured catalogue data and never from text
 *	  the source server wrote as SQL.
 *
 *	  The source is asked for names, numbers and flags only: a column's
 *	  type comes as its schema and name and typmod, looked up here
 *	  (TYPENAMENSP) and printed by format_type_extended; an index comes as
 *	  its access method, column numbers, options and opclasses by name,
 *	  looked up here too.  A column default (pg_get_expr text) is kept
 *	  only when this server's raw parser sees one constant, possibly with
 *	  one cast, which then goes through the column type's input and output
 *	  functions and is written as a quoted literal; anything else (function
 *	  calls such as nextval(), operators, subqueries, several statements)
 *	  is left out with a WARNING.  Indexes on expressions, partial indexes
 *	  and exclusion constraints are left out with a WARNING as well.
 *	  Every name is checked (encoding, length) and printed through
 *	  quote_identifier.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "pg_source_internal.h"
#include "worker_util.h"

/* pg_index.indoption bits (catalog/pg_index.h) */
#define SRC_INDOPTION_DESC			0x0001
#define SRC_INDOPTION_NULLS_FIRST	0x0002

/* One column of a source table, as received. */
typedef struct SrcColumn
{
	int			attnum;
	char	   *name;
	char	   *type_schema;
	char	   *type_name;
	int32		typmod;
	bool		notnull;
	char		identity;		/* '\0', 'a' (always) or 'd' (by default) */
	char	   *default_expr;	/* pg_get_expr text, or NULL */
} SrcColumn;

/* One key column of a source index, as received. */
typedef struct SrcIndexKey
{
	int			attnum;			/* 0: an expression */
	int			option;			/* indoption bits */
	bool		opc_default;	/* the access method's default opclass */
	char	   *opc_schema;
	char	   *opc_name;
} SrcIndexKey;

/* One index of a source table, as received. */
typedef struct SrcIndex
{
	char	   *oid;			/* the source's index oid, as text */
	char	   *name;
	bool		primary;
	bool		unique;
	char	   *am;
	int			nkeyatts;		/* key columns; the others are INCLUDEd */
	bool		expressions;
	bool		predicate;
	char		contype;		/* 'p', 'u', 'x' or '\0' (no constraint) */
	List	   *keys;			/* SrcIndexKey, in index order */
} SrcIndex;

struct PgSourceTable
{
	const char *source_name;
	char	   *schema;
	char	   *name;
	List	   *columns;		/* SrcColumn */
	List	   *indexes;		/* SrcIndex */
};

/* See pg_source_internal.h. */
void
pg_source_check_name(const char *name, const char *what, const char *source_name)
{
	size_t		len = strlen(name);

	if (len == 0 || len >= NAMEDATALEN ||
		!pg_verifymbstr(name, (int) len, true))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("the PostgreSQL source of source \"%s\" sent an invalid %s name",
						source_name, what),
				 errdetail("A name must have 1 to %d bytes valid in the database encoding.",
						   NAMEDATALEN - 1)));
}

/* A text field of a result as a palloc'd string; NULL for SQL NULL. */
static char *
get_text(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : pstrdup(PQgetvalue(res, row, col));
}

/* An integer field of a result (ERROR if the source sent something else). */
static int32
get_int(PGresult *res, int row, int col)
{
	return pg_strtoint32(PQgetvalue(res, row, col));
}

/* A boolean field of a result. */
static bool
get_bool(PGresult *res, int row, int col)
{
	return strcmp(PQgetvalue(res, row, col), "t") == 0;
}

/* See pg_source_internal.h. */
PgSourceTable *
pg_source_fetch_table(PGconn *conn, const char *source_name, const char *sschema,
					  const char *stable)
{
	const char *params[2] = {sschema, stable};
	PgSourceTable *t = palloc0(sizeof(PgSourceTable));
	PGresult   *res;

	t->source_name = source_name;
	t->schema = pstrdup(sschema);
	t->name = pstrdup(stable);

	res = pg_source_query(conn,
						  "SELECT a.attnum, a.attname, tn.nspname, ty.typname, a.atttypmod,"
						  "       a.attnotnull, a.attidentity, pg_catalog.pg_get_expr(d.adbin, d.adrelid)"
						  "  FROM pg_catalog.pg_attribute a"
						  "  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
						  "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
						  "  JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid"
						  "  JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace"
						  "  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
						  " WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0"
						  "   AND NOT a.attisdropped AND a.attgenerated = ''"
						  " ORDER BY a.attnum", 2, params);
	for (int i = 0; i < PQntuples(res); i++)
	{
		SrcColumn  *c = palloc0(sizeof(SrcColumn));

		c->attnum = get_int(res, i, 0);
		c->name = get_text(res, i, 1);
		c->type_schema = get_text(res, i, 2);
		c->type_name = get_text(res, i, 3);
		c->typmod = get_int(res, i, 4);
		c->notnull = get_bool(res, i, 5);
		c->identity = PQgetvalue(res, i, 6)[0];
		c->default_expr = get_text(res, i, 7);
		t->columns = lappend(t->columns, c);
	}
	PQclear(res);

	res = pg_source_query(conn,
						  "SELECT i.indexrelid, ic.relname, i.indisprimary, i.indisunique, am.amname,"
						  "       i.indnkeyatts, i.indexprs IS NOT NULL, i.indpred IS NOT NULL,"
						  "       coalesce(con.contype, '')"
						  "  FROM pg_catalog.pg_index i"
						  "  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid"
						  "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
						  "  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
						  "  JOIN pg_catalog.pg_am am ON am.oid = ic.relam"
						  "  LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = i.indexrelid"
						  "   AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')"
						  " WHERE n.nspname = $1 AND c.relname = $2"
						  " ORDER BY NOT i.indisprimary, ic.relname", 2, params);
	for (int i = 0; i < PQntuples(res); i++)
	{
		SrcIndex   *x = palloc0(sizeof(SrcIndex));

		x->oid = get_text(res, i, 0);
		x->name = get_text(res, i, 1);
		x->primary = get_bool(res, i, 2);
		x->unique = get_bool(res, i, 3);
		x->am = get_text(res, i, 4);
		x->nkeyatts = get_int(res, i, 5);
		x->expressions = get_bool(res, i, 6);
		x->predicate = get_bool(res, i, 7);
		x->contype = PQgetvalue(res, i, 8)[0];
		t->indexes = lappend(t->indexes, x);
	}
	PQclear(res);

	res = pg_source_query(conn,
						  "SELECT i.indexrelid, k.n, k.attnum, k.opt, oc.opcdefault, ocn.nspname, oc.opcname"
						  "  FROM pg_catalog.pg_index i"
						  "  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid"
						  "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
						  " CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(i.indkey::pg_catalog.int2[]),"
						  "       pg_catalog.unnest(i.indclass::pg_catalog.oid[]),"
						  "       pg_catalog.unnest(i.indoption::pg_catalog.int2[]))"
						  "       WITH ORDINALITY AS k(attnum, opc, opt, n)"
						  "  LEFT JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opc"
						  "  LEFT JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace"
						  " WHERE n.nspname = $1 AND c.relname = $2"
						  " ORDER BY i.indexrelid, k.n", 2, params);
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *oid = PQgetvalue(res, i, 0);
		SrcIndexKey *k = palloc0(sizeof(SrcIndexKey));
		ListCell   *lc;

		k->attnum = get_int(res, i, 2);
		k->option = PQgetisnull(res, i, 3) ? 0 : get_int(res, i, 3);
		/* INCLUDE columns have no opclass */
		k->opc_default = PQgetisnull(res, i, 4) || get_bool(res, i, 4);
		k->opc_schema = get_text(res, i, 5);
		k->opc_name = get_text(res, i, 6);
		foreach(lc, t->indexes)
		{
			SrcIndex   *x = (SrcIndex *) lfirst(lc);

			if (strcmp(x->oid, oid) == 0)
				x->keys = lappend(x->keys, k);
		}
	}
	PQclear(res);
	return t;
}

/* Finds a column by number (NULL: not one that is copied). */
static SrcColumn *
column_by_attnum(PgSourceTable *t, int attnum)
{
	ListCell   *lc;

	foreach(lc, t->columns)
	{
		SrcColumn  *c = (SrcColumn *) lfirst(lc);

		if (c->attnum == attnum)
			return c;
	}
	return NULL;
}

/*
 * The local type of a source column, from its schema and name, and the
 * type as this server prints it with the typmod.  ERROR naming the table
 * and column when there is no such type here.
 */
static char *
local_type(PgSourceTable *t, SrcColumn *c, Oid *typid)
{
	Oid			nsp = InvalidOid;
	Oid			type = InvalidOid;
	HeapTuple	tup;
	bool		usable = false;

	if (strlen(c->type_schema) < NAMEDATALEN && strlen(c->type_name) < NAMEDATALEN)
	{
		nsp = get_namespace_oid(c->type_schema, true);
		if (OidIsValid(nsp))
			type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
								   CStringGetDatum(c->type_name), ObjectIdGetDatum(nsp));
	}
	if (OidIsValid(type))
	{
		tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type));
		if (HeapTupleIsValid(tup))
		{
			Form_pg_type form = (Form_pg_type) GETSTRUCT(tup);

			usable = form->typisdefined && form->typtype != TYPTYPE_PSEUDO;
			ReleaseSysCache(tup);
		}
	}
	if (!usable)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type %s of column \"%s\" of table \"%s.%s\" of source \"%s\" does not exist in this database",
						quote_qualified_identifier(c->type_schema, c->type_name),
						c->name, t->schema, t->name, t->source_name),
				 errhint("Create the type here first (same schema and name), or leave the table out with skip_tables.")));
	if (c->typmod < -1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column \"%s\" of table \"%s.%s\" of source \"%s\" has an invalid type modifier",
						c->name, t->schema, t->name, t->source_name)));
	*typid = type;
	return format_type_extended(type, c->typmod,
								FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
}

/*
 * The text of the one constant that expr is (possibly with one cast), as
 * the raw parser sees it; NULL when expr is anything else.  *is_null for
 * NULL.
 */
static char *
constant_text(const char *expr, bool *is_null)
{
	List	   *raw = raw_parser(psprintf("SELECT %s", expr), RAW_PARSE_DEFAULT);
	SelectStmt *sel;
	ResTarget  *rt;
	Node	   *node;
	A_Const    *c;

	if (list_length(raw) != 1)
		return NULL;
	sel = (SelectStmt *) linitial_node(RawStmt, raw)->stmt;
	if (!IsA(sel, SelectStmt) || sel->op != SETOP_NONE || sel->distinctClause ||
		sel->intoClause || sel->fromClause || sel->whereClause || sel->groupClause ||
		sel->havingClause || sel->windowClause || sel->valuesLists ||
		sel->sortClause || sel->limitOffset || sel->limitCount ||
		sel->lockingClause || sel->withClause || list_length(sel->targetList) != 1)
		return NULL;
	rt = linitial_node(ResTarget, sel->targetList);
	if (rt->name != NULL || rt->indirection != NIL)
		return NULL;
	node = rt->val;
	if (IsA(node, TypeCast))
		node = ((TypeCast *) node)->arg;
	if (!IsA(node, A_Const))
		return NULL;
	c = (A_Const *) node;
	*is_null = c->isnull;
	if (c->isnull)
		return pstrdup("");
	switch (nodeTag(&c->val))
	{
		case T_Integer:
			return psprintf("%d", intVal(&c->val));
		case T_Float:
			return pstrdup(castNode(Float, &c->val)->fval);
		case T_Boolean:
			return pstrdup(boolVal(&c->val) ? "true" : "false");
		case T_String:
			return pstrdup(strVal(&c->val));
		case T_BitString:
			return pstrdup(castNode(BitString, &c->val)->bsval);
		default:
			return NULL;
	}
}

/*
 * The default of a column as local SQL (a quoted literal), or NULL when
 * it is not kept; *why says why not (for the WARNING).  Parsing and type
 * input run in a subtransaction: a default this server cannot read is
 * left out, not an error.
 */
static char *
local_default(SrcColumn *c, Oid typid, char **why)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	char	   *volatile result = NULL;

	*why = NULL;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		bool		is_null = false;
		char	   *text = constant_text(c->default_expr, &is_null);

		if (text == NULL)
			*why = "it is not a constant";
		else if (!is_null)
		{
			int32		typmod = c->typmod;
			Oid			base = getBaseTypeAndTypmod(typid, &typmod);
			Oid			input;
			Oid			ioparam;
			Oid			output;
			bool		varlena;
			Datum		value;

			/* a domain's CHECK runs when rows are stored, not here */
			getTypeInputInfo(base, &input, &ioparam);
			value = OidInputFunctionCall(input, text, ioparam, typmod);
			getTypeOutputInfo(base, &output, &varlena);
			result = quote_literal_cstr(OidOutputFunctionCall(output, value));
		}
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		*why = psprintf("this server cannot read it: %s", edata->message);
		result = NULL;
	}
	PG_END_TRY();
	return result;
}

/* Appends one column definition to the CREATE TABLE. */
static void
column_ddl(PgSourceTable *t, SrcColumn *c, StringInfo create)
{
	Oid			typid;
	char	   *type;

	pg_source_check_name(c->name, "column", t->source_name);
	type = local_type(t, c, &typid);
	appendStringInfo(create, "%s %s", quote_identifier(c->name), type);
	if (c->identity == 'a' || c->identity == 'd')
		appendStringInfo(create, " GENERATED %s AS IDENTITY",
						 c->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
	else if (c->default_expr != NULL)
	{
		char	   *why;
		char	   *def = local_default(c, typid, &why);

		if (def != NULL)
			appendStringInfo(create, " DEFAULT %s", def);
		else if (why != NULL)
			ereport(WARNING,
					(errmsg("the default of column \"%s\" of table \"%s.%s\" of source \"%s\" is not copied",
							c->name, t->schema, t->name, t->source_name),
					 errdetail("Only constant defaults are copied from a source server; %s.", why),
					 errhint("Set the default of the replicated column yourself if it needs one (a serial column's sequence is set by the copy).")));
	}
	if (c->notnull)
		appendStringInfoString(create, " NOT NULL");
}

/* Warns that an index of the source is not rebuilt, and why. */
static void
skip_index(PgSourceTable *t, SrcIndex *x, const char *why)
{
	ereport(WARNING,
			(errmsg("index \"%s\" of table \"%s.%s\" of source \"%s\" is not copied",
					x->name, t->schema, t->name, t->source_name),
			 errdetail("%s", why),
			 errhint("Create it on the replicated table yourself if you need it.")));
}

/*
 * The key column list of an index "(a DESC, b text_pattern_ops) INCLUDE
 * (c)", or NULL (after a WARNING) when it cannot be rebuilt from columns.
 */
static char *
index_columns(PgSourceTable *t, SrcIndex *x, Oid am, bool with_options)
{
	StringInfoData buf;
	ListCell   *lc;
	int			n = 0;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '(');
	foreach(lc, x->keys)
	{
		SrcIndexKey *k = (SrcIndexKey *) lfirst(lc);
		SrcColumn  *c = column_by_attnum(t, k->attnum);

		if (c == NULL)
		{
			skip_index(t, x, "It covers an expression or a column that is not copied.");
			return NULL;
		}
		if (n == x->nkeyatts)
			appendStringInfoString(&buf, ") INCLUDE (");
		else if (n > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, quote_identifier(c->name));
		if (n < x->nkeyatts && with_options)
		{
			bool		desc = (k->option & SRC_INDOPTION_DESC) != 0;
			bool		nulls_first = (k->option & SRC_INDOPTION_NULLS_FIRST) != 0;

			if (!k->opc_default)
			{
				if (k->opc_schema == NULL || k->opc_name == NULL ||
					!OidIsValid(get_opclass_oid(am, list_make2(makeString(k->opc_schema),
															   makeString(k->opc_name)), true)))
				{
					skip_index(t, x, "It uses an operator class that does not exist in this database.");
					return NULL;
				}
				appendStringInfo(&buf, " %s", quote_qualified_identifier(k->opc_schema, k->opc_name));
			}
			if (desc)
				appendStringInfoString(&buf, " DESC");
			if (nulls_first != desc)
				appendStringInfoString(&buf, nulls_first ? " NULLS FIRST" : " NULLS LAST");
		}
		n++;
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/* The statement that rebuilds one index of the source, or NULL. */
static char *
index_ddl(PgSourceTable *t, SrcIndex *x, const char *qload)
{
	Oid			am;
	char	   *cols;

	pg_source_check_name(x->name, "index", t->source_name);
	if (x->expressions || x->predicate)
	{
		skip_index(t, x, "It is built on expressions or has a WHERE clause (a partial index): chameleon does not execute expressions received from a source server.");
		return NULL;
	}
	if (x->contype == 'x')
	{
		skip_index(t, x, "It is an exclusion constraint.");
		return NULL;
	}
	am = strlen(x->am) < NAMEDATALEN ? get_index_am_oid(x->am, true) : InvalidOid;
	if (!OidIsValid(am))
	{
		skip_index(t, x, "Its access method does not exist in this database.");
		return NULL;
	}
	if (x->keys == NIL || x->nkeyatts < 1 || x->nkeyatts > list_length(x->keys))
	{
		skip_index(t, x, "Its description from the source server is inconsistent.");
		return NULL;
	}
	if (x->contype == 'p' || x->contype == 'u')
	{
		if (am != BTREE_AM_OID)
		{
			skip_index(t, x, "A key of another access method than btree.");
			return NULL;
		}
		cols = index_columns(t, x, am, false);
		if (cols == NULL)
			return NULL;
		return psprintf("ALTER TABLE %s ADD CONSTRAINT %s %s %s", qload,
						quote_identifier(x->name),
						x->contype == 'p' ? "PRIMARY KEY" : "UNIQUE", cols);
	}
	cols = index_columns(t, x, am, true);
	if (cols == NULL)
		return NULL;
	return psprintf("CREATE %sINDEX %s ON %s USING %s %s",
					x->unique ? "UNIQUE " : "", quote_identifier(x->name), qload,
					quote_identifier(x->am), cols);
}

/* See pg_source_internal.h. */
void
pg_source_table_ddl(PgSourceTable *t, const char *load, StringInfo create,
					List **post, List **columns)
{
	char	   *qload;
	ListCell   *lc;

	pg_source_check_name(t->name, "table", t->source_name);
	qload = chameleon_qualified(load, t->name);
	appendStringInfo(create, "CREATE TABLE %s (", qload);
	foreach(lc, t->columns)
	{
		SrcColumn  *c = (SrcColumn *) lfirst(lc);

		if (lc != list_head(t->columns))
			appendStringInfoString(create, ", ");
		column_ddl(t, c, create);
		*columns = lappend(*columns, c->name);
	}
	appendStringInfoChar(create, ')');

	foreach(lc, t->indexes)
	{
		char	   *sql = index_ddl(t, (SrcIndex *) lfirst(lc), qload);

		if (sql != NULL)
			*post = lappend(*post, sql);
	}
}
