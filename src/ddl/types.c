/*-------------------------------------------------------------------------
 *
 * types.c
 *	  MySQL type names and their PostgreSQL mapping (SPEC section 5).
 *
 * cddl_lookup_type() resolves MySQL type words and aliases (BOOL, INTEGER,
 * DEC, INT4...) to a base type; cddl_build_column_type() rebuilds the
 * information_schema COLUMN_TYPE text that type_override matches; and
 * cddl_pg_type() is the one place where a MySQL type becomes a PostgreSQL
 * type, so that the initial copy and DDL replication agree.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "ddl_internal.h"

typedef struct type_word
{
	const char *word;
	cddl_base_type base;
	const char *canonical;
	long		length;			/* implied length (BOOL = tinyint(1)), or -1 */
} type_word;

static const type_word type_words[] = {
	{"tinyint", CDDL_T_TINYINT, "tinyint", -1},
	{"int1", CDDL_T_TINYINT, "tinyint", -1},
	{"bool", CDDL_T_TINYINT, "tinyint", 1},
	{"boolean", CDDL_T_TINYINT, "tinyint", 1},
	{"smallint", CDDL_T_SMALLINT, "smallint", -1},
	{"int2", CDDL_T_SMALLINT, "smallint", -1},
	{"mediumint", CDDL_T_MEDIUMINT, "mediumint", -1},
	{"middleint", CDDL_T_MEDIUMINT, "mediumint", -1},
	{"int3", CDDL_T_MEDIUMINT, "mediumint", -1},
	{"int", CDDL_T_INT, "int", -1},
	{"integer", CDDL_T_INT, "int", -1},
	{"int4", CDDL_T_INT, "int", -1},
	{"bigint", CDDL_T_BIGINT, "bigint", -1},
	{"int8", CDDL_T_BIGINT, "bigint", -1},
	{"serial", CDDL_T_BIGINT, "bigint", -1},
	{"decimal", CDDL_T_DECIMAL, "decimal", -1},
	{"dec", CDDL_T_DECIMAL, "decimal", -1},
	{"numeric", CDDL_T_DECIMAL, "decimal", -1},
	{"fixed", CDDL_T_DECIMAL, "decimal", -1},
	{"number", CDDL_T_DECIMAL, "decimal", -1},
	{"float", CDDL_T_FLOAT, "float", -1},
	{"float4", CDDL_T_FLOAT, "float", -1},
	{"double", CDDL_T_DOUBLE, "double", -1},
	{"float8", CDDL_T_DOUBLE, "double", -1},
	{"real", CDDL_T_DOUBLE, "double", -1},
	{"bit", CDDL_T_BIT, "bit", -1},
	{"year", CDDL_T_YEAR, "year", -1},
	{"date", CDDL_T_DATE, "date", -1},
	{"datetime", CDDL_T_DATETIME, "datetime", -1},
	{"timestamp", CDDL_T_TIMESTAMP, "timestamp", -1},
	{"time", CDDL_T_TIME, "time", -1},
	{"char", CDDL_T_CHAR, "char", -1},
	{"character", CDDL_T_CHAR, "char", -1},
	{"nchar", CDDL_T_CHAR, "char", -1},
	{"varchar", CDDL_T_VARCHAR, "varchar", -1},
	{"nvarchar", CDDL_T_VARCHAR, "varchar", -1},
	{"varchar2", CDDL_T_VARCHAR, "varchar", -1},
	{"varcharacter", CDDL_T_VARCHAR, "varchar", -1},
	{"tinytext", CDDL_T_TINYTEXT, "tinytext", -1},
	{"text", CDDL_T_TEXT, "text", -1},
	{"mediumtext", CDDL_T_MEDIUMTEXT, "mediumtext", -1},
	{"longtext", CDDL_T_LONGTEXT, "longtext", -1},
	{"clob", CDDL_T_LONGTEXT, "longtext", -1},
	{"binary", CDDL_T_BINARY, "binary", -1},
	{"varbinary", CDDL_T_VARBINARY, "varbinary", -1},
	{"raw", CDDL_T_VARBINARY, "varbinary", -1},
	{"tinyblob", CDDL_T_TINYBLOB, "tinyblob", -1},
	{"blob", CDDL_T_BLOB, "blob", -1},
	{"mediumblob", CDDL_T_MEDIUMBLOB, "mediumblob", -1},
	{"longblob", CDDL_T_LONGBLOB, "longblob", -1},
	{"enum", CDDL_T_ENUM, "enum", -1},
	{"set", CDDL_T_SET, "set", -1},
	{"json", CDDL_T_JSON, "json", -1},
	{"geometry", CDDL_T_GEOMETRY, "geometry", -1},
	{"point", CDDL_T_GEOMETRY, "point", -1},
	{"linestring", CDDL_T_GEOMETRY, "linestring", -1},
	{"polygon", CDDL_T_GEOMETRY, "polygon", -1},
	{"multipoint", CDDL_T_GEOMETRY, "multipoint", -1},
	{"multilinestring", CDDL_T_GEOMETRY, "multilinestring", -1},
	{"multipolygon", CDDL_T_GEOMETRY, "multipolygon", -1},
	{"geometrycollection", CDDL_T_GEOMETRY, "geometrycollection", -1},
	{"geomcollection", CDDL_T_GEOMETRY, "geometrycollection", -1},
	{"inet4", CDDL_T_INET4, "inet4", -1},
	{"inet6", CDDL_T_INET6, "inet6", -1},
	{"uuid", CDDL_T_UUID, "uuid", -1},
};

/* Resolves a type word into type->base/name; false if not a MySQL type. */
bool
cddl_lookup_type(const char *word, cddl_type *type)
{
	size_t		i;

	for (i = 0; i < sizeof(type_words) / sizeof(type_words[0]); i++)
	{
		if (cddl_name_eq(word, type_words[i].word))
		{
			type->base = type_words[i].base;
			type->name = type_words[i].canonical;
			type->length = type_words[i].length;
			type->scale = -1;
			return true;
		}
	}
	return false;
}

/* Appends a MySQL-style quoted label ('it''s'). */
static void
put_mysql_label(cddl_buf *b, const char *s)
{
	cddl_buf_putc(b, '\'');
	for (; *s; s++)
	{
		if (*s == '\'')
			cddl_buf_putc(b, '\'');
		cddl_buf_putc(b, *s);
	}
	cddl_buf_putc(b, '\'');
}

/* Writes the COLUMN_TYPE text of type, with the given length/scale. */
static void
put_column_type(cddl_buf *b, const cddl_type *type, long length, long scale)
{
	cddl_buf_puts(b, type->name);
	if (type->base == CDDL_T_ENUM || type->base == CDDL_T_SET)
	{
		const cddl_strlist *v;

		cddl_buf_putc(b, '(');
		for (v = type->values; v; v = v->next)
		{
			put_mysql_label(b, v->value);
			if (v->next)
				cddl_buf_putc(b, ',');
		}
		cddl_buf_putc(b, ')');
	}
	else if (length >= 0)
	{
		if (scale >= 0)
			cddl_buf_printf(b, "(%ld,%ld)", length, scale);
		else
			cddl_buf_printf(b, "(%ld)", length);
	}
	if (type->is_unsigned)
		cddl_buf_puts(b, " unsigned");
	if (type->zerofill)
		cddl_buf_puts(b, " zerofill");
}

/* Sets type->column_type from the parsed fields; false when out of memory. */
bool
cddl_build_column_type(cddl_arena *a, cddl_type *type)
{
	cddl_buf	b;

	cddl_buf_init(&b);
	put_column_type(&b, type, type->length, type->scale);
	if (b.failed)
	{
		cddl_buf_free(&b);
		return false;
	}
	type->column_type = cddl_strdup(a, b.data ? b.data : "");
	cddl_buf_free(&b);
	return type->column_type != NULL;
}

/*
 * The COLUMN_TYPE MySQL 5.7/MariaDB would print when no length was written
 * (INT -> int(11)), or "" when the type has no implied display width.
 */
static void
implied_column_type(const cddl_type *type, char *buf, size_t size)
{
	long		len = -1;
	long		scale = -1;
	bool		u = type->is_unsigned;
	cddl_buf	b;

	buf[0] = '\0';
	if (type->length >= 0)
		return;
	switch (type->base)
	{
		case CDDL_T_TINYINT:
			len = u ? 3 : 4;
			break;
		case CDDL_T_SMALLINT:
			len = u ? 5 : 6;
			break;
		case CDDL_T_MEDIUMINT:
			len = u ? 8 : 9;
			break;
		case CDDL_T_INT:
			len = u ? 10 : 11;
			break;
		case CDDL_T_BIGINT:
			len = 20;
			break;
		case CDDL_T_DECIMAL:
			len = 10;
			scale = 0;
			break;
		case CDDL_T_BIT:
		case CDDL_T_CHAR:
		case CDDL_T_BINARY:
			len = 1;
			break;
		default:
			return;
	}
	cddl_buf_init(&b);
	put_column_type(&b, type, len, scale);
	if (!b.failed && b.data)
		snprintf(buf, size, "%s", b.data);
	cddl_buf_free(&b);
}

/* True if t ("schema.table", MySQL names) names the table schema.table. */
static bool
names_table(const char *t, const char *schema, const char *table)
{
	const char *dot = strchr(t, '.');

	if (dot == NULL || table == NULL || schema == NULL)
		return false;
	return strlen(schema) == (size_t) (dot - t) &&
		strncmp(t, schema, (size_t) (dot - t)) == 0 &&
		strcmp(dot + 1, table) == 0;
}

/* True if override o applies to the MySQL table schema.table. */
static bool
override_applies(const cddl_type_override *o, const char *schema,
				 const char *table)
{
	size_t		i;

	for (i = 0; i < o->ntables; i++)
	{
		const char *t = o->tables[i];

		if (t == NULL)
			continue;
		if (strcmp(t, "*") == 0 || names_table(t, schema, table))
			return true;
	}
	return false;
}

/* See cddl.h. */
int
cddl_fillfactor_for(const cddl_options *opts, const char *mysql_schema,
					const char *mysql_table)
{
	int			named = 0;
	int			all = 0;
	size_t		i;
	size_t		j;

	if (opts == NULL)
		return 0;
	for (i = 0; i < opts->nfillfactors; i++)
	{
		const cddl_fillfactor *f = &opts->fillfactors[i];

		for (j = 0; j < f->ntables; j++)
		{
			const char *t = f->tables[j];

			if (t == NULL)
				continue;
			if (strcmp(t, "*") == 0)
				all = f->percent;
			else if (names_table(t, mysql_schema, mysql_table))
				named = f->percent;
		}
	}
	return named ? named : all;
}

/* The override matching column_type for this table, or NULL. */
static const char *
find_override(const cddl_type *type, const cddl_options *opts,
			  const char *schema, const char *table)
{
	char		implied[256];
	size_t		i;

	if (opts == NULL || opts->noverrides == 0 || type->column_type == NULL)
		return NULL;
	implied_column_type(type, implied, sizeof(implied));
	for (i = 0; i < opts->noverrides; i++)
	{
		const cddl_type_override *o = &opts->overrides[i];

		if (o->mysql_type == NULL || o->pg_type == NULL)
			continue;
		if ((cddl_name_eq(o->mysql_type, type->column_type) ||
			 (implied[0] && cddl_name_eq(o->mysql_type, implied))) &&
			override_applies(o, schema, table))
			return o->pg_type;
	}
	return NULL;
}

/*
 * Writes the PostGIS type of a MySQL geometry column: geometry(Point,4326),
 * geometry(Point) without a declared SRID, plain geometry for GEOMETRY.
 * GEOMETRYCOLLECTION also becomes plain geometry: MariaDB stores any
 * geometry in such a column and MySQL any collection (MULTIPOINT...),
 * which PostGIS's geometry(GeometryCollection) would refuse.  An SRID
 * beyond PostGIS's range (999999) is left out of the type.
 */
static bool
postgis_type(const cddl_type *type, char *buf, size_t bufsize)
{
	static const struct
	{
		const char *mysql;
		const char *postgis;
	}			subtypes[] = {
		{"point", "Point"},
		{"linestring", "LineString"},
		{"polygon", "Polygon"},
		{"multipoint", "MultiPoint"},
		{"multilinestring", "MultiLineString"},
		{"multipolygon", "MultiPolygon"},
	};
	const char *sub = "Geometry";
	bool		constrained = false;
	long		srid = (type->srid > 0 && type->srid <= CDDL_POSTGIS_MAX_SRID) ? type->srid : 0;

	for (size_t i = 0; i < sizeof(subtypes) / sizeof(subtypes[0]); i++)
		if (type->name && cddl_name_eq(type->name, subtypes[i].mysql))
		{
			sub = subtypes[i].postgis;
			constrained = true;
		}
	if (srid > 0)
		snprintf(buf, bufsize, "geometry(%s,%ld)", sub, srid);
	else if (constrained)
		snprintf(buf, bufsize, "geometry(%s)", sub);
	else
		snprintf(buf, bufsize, "geometry");
	return true;
}

/* Writes the PostgreSQL type for a MySQL column into buf. */
bool
cddl_pg_type(const cddl_type *type, const cddl_options *opts,
			 const char *mysql_schema, const char *mysql_table,
			 const char *column, char *buf, size_t bufsize)
{
	const char *ov;
	const char *s = NULL;
	bool		u = type->is_unsigned;
	long		len = type->length;

	if (bufsize == 0)
		return false;
	buf[0] = '\0';
	ov = find_override(type, opts, mysql_schema, mysql_table);
	if (ov != NULL)
	{
		/* cut, it would be another type (or an open quoted name) */
		if (strlen(ov) >= bufsize)
			return false;
		snprintf(buf, bufsize, "%s", ov);
		return true;
	}

	switch (type->base)
	{
		case CDDL_T_TINYINT:
			s = "smallint";
			break;
		case CDDL_T_SMALLINT:
			s = u ? "integer" : "smallint";
			break;
		case CDDL_T_MEDIUMINT:
			s = "integer";
			break;
		case CDDL_T_INT:
			s = u ? "bigint" : "integer";
			break;
		case CDDL_T_BIGINT:
			s = u ? "numeric(20,0)" : "bigint";
			break;
		case CDDL_T_DECIMAL:
			{
				long		prec = len > 0 ? len : 10;
				long		sc = type->scale >= 0 ? type->scale : 0;

				/* PostgreSQL requires scale <= precision, as MySQL does */
				if (sc > prec)
					sc = prec;
				snprintf(buf, bufsize, "numeric(%ld,%ld)", prec, sc);
				return true;
			}
		case CDDL_T_FLOAT:
			/* FLOAT(p) with p > 24 is a double in MySQL */
			s = (len > 24 && type->scale < 0) ? "double precision" : "real";
			break;
		case CDDL_T_DOUBLE:
			s = "double precision";
			break;
		case CDDL_T_BIT:
			snprintf(buf, bufsize, "bit(%ld)", len > 0 ? len : 1);
			return true;
		case CDDL_T_YEAR:
			s = "smallint";
			break;
		case CDDL_T_DATE:
			s = "date";
			break;
		case CDDL_T_DATETIME:
			if (len >= 0)
				snprintf(buf, bufsize, "timestamp(%ld) without time zone",
						 len > 6 ? 6 : len);
			else
				snprintf(buf, bufsize, "timestamp without time zone");
			return true;
		case CDDL_T_TIMESTAMP:
			if (len >= 0)
				snprintf(buf, bufsize, "timestamp(%ld) with time zone",
						 len > 6 ? 6 : len);
			else
				snprintf(buf, bufsize, "timestamp with time zone");
			return true;
		case CDDL_T_TIME:
			if (len >= 0)
				snprintf(buf, bufsize, "time(%ld) without time zone",
						 len > 6 ? 6 : len);
			else
				snprintf(buf, bufsize, "time without time zone");
			return true;
		case CDDL_T_CHAR:
			if (type->binary_charset)
			{
				s = "bytea";
				break;
			}
			/* char(0) exists in MySQL, not in PostgreSQL */
			snprintf(buf, bufsize, "character(%ld)", len > 0 ? len : 1);
			return true;
		case CDDL_T_VARCHAR:
			if (type->binary_charset)
			{
				s = "bytea";
				break;
			}
			snprintf(buf, bufsize, "character varying(%ld)", len > 0 ? len : 1);
			return true;
		case CDDL_T_TINYTEXT:
		case CDDL_T_TEXT:
		case CDDL_T_MEDIUMTEXT:
		case CDDL_T_LONGTEXT:
			s = type->binary_charset ? "bytea" : "text";
			break;
		case CDDL_T_BINARY:
		case CDDL_T_VARBINARY:
		case CDDL_T_TINYBLOB:
		case CDDL_T_BLOB:
		case CDDL_T_MEDIUMBLOB:
		case CDDL_T_LONGBLOB:
			s = "bytea";
			break;
		case CDDL_T_ENUM:
			{
				char		tname[CDDL_NAMEDATALEN + 1];
				cddl_buf	b;
				const char *schema = opts && opts->target_schema ?
				opts->target_schema : "public";

				cddl_enum_type_name(mysql_table ? mysql_table : "t",
									column ? column : "c", tname, sizeof(tname));
				cddl_buf_init(&b);
				cddl_quote_qualified(&b, schema, tname);
				if (b.failed || b.data == NULL || strlen(b.data) >= bufsize)
				{
					cddl_buf_free(&b);
					return false;
				}
				snprintf(buf, bufsize, "%s", b.data);
				cddl_buf_free(&b);
				return true;
			}
		case CDDL_T_SET:
			s = "text";
			break;
		case CDDL_T_JSON:
			s = "jsonb";
			break;
		case CDDL_T_GEOMETRY:
			if (!(opts && opts->postgis))
			{
				s = "bytea";
				break;
			}
			return postgis_type(type, buf, bufsize);
		case CDDL_T_INET4:
		case CDDL_T_INET6:
			s = "inet";
			break;
		case CDDL_T_UUID:
			s = "uuid";
			break;
	}
	if (s == NULL)
		return false;
	snprintf(buf, bufsize, "%s", s);
	return true;
}
