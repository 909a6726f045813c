/*-------------------------------------------------------------------------
 *
 * copy_value.c
 *	  Turns the values of the initial copy's SELECT into COPY text.
 *
 *	  The copy asks MySQL for each column in a form from which the exact
 *	  stored value can be rebuilt (FLOAT widened to DOUBLE, BIT as its
 *	  integer, TIMESTAMP as UNIX_TIMESTAMP, strings as raw bytes in the
 *	  column's charset), builds the same typed cbl_value the binlog decoder
 *	  builds, and formats it with cbl_value_to_text(): one set of rules for
 *	  both paths, so a row copied and the same row replicated are equal.
 *	  A geometry takes the form of its target column (geometry.c): checked
 *	  WKB with its SRID for PostGIS, the WKB bytes for bytea.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "copy_value.h"
#include "mysql_client.h"

/* Describes a column from information_schema.COLUMNS. */
void
chameleon_copy_column_init(ChameleonCopyColumn *c, const char *name,
						   const char *data_type, const char *column_type,
						   long octet_length, int datetime_precision,
						   uint32 collation_id)
{
	bool		is_unsigned = strstr(column_type, "unsigned") != NULL;

	memset(c, 0, sizeof(*c));
	c->name = pstrdup(name);
	c->col.charset = collation_id ? collation_id : CBL_CHARSET_UTF8MB4;
	c->col.fsp = (uint8_t) (datetime_precision > 0 ? datetime_precision : 0);
	c->col.is_unsigned = is_unsigned;

	if (strcmp(data_type, "tinyint") == 0 || strcmp(data_type, "smallint") == 0 ||
		strcmp(data_type, "mediumint") == 0 || strcmp(data_type, "int") == 0 ||
		strcmp(data_type, "bigint") == 0)
		c->kind = is_unsigned ? CK_UINT : CK_INT;
	else if (strcmp(data_type, "float") == 0)
		c->kind = CK_FLOAT;
	else if (strcmp(data_type, "double") == 0)
		c->kind = CK_DOUBLE;
	else if (strcmp(data_type, "decimal") == 0)
		c->kind = CK_DECIMAL;
	else if (strcmp(data_type, "bit") == 0)
	{
		int			bits = 1;

		(void) sscanf(column_type, "bit(%d)", &bits);
		c->kind = CK_BIT;
		c->col.bits = (uint16_t) (bits > 0 && bits <= 64 ? bits : 64);
	}
	else if (strcmp(data_type, "year") == 0)
		c->kind = CK_YEAR;
	else if (strcmp(data_type, "date") == 0)
		c->kind = CK_DATE;
	else if (strcmp(data_type, "datetime") == 0)
		c->kind = CK_DATETIME;
	else if (strcmp(data_type, "timestamp") == 0)
		c->kind = CK_TIMESTAMP;
	else if (strcmp(data_type, "time") == 0)
		c->kind = CK_TIME;
	else if (strcmp(data_type, "binary") == 0 || strcmp(data_type, "varbinary") == 0 ||
			 strstr(data_type, "blob") != NULL)
		c->kind = CK_BYTES;
	else if (strcmp(data_type, "geometry") == 0 || strcmp(data_type, "point") == 0 ||
			 strcmp(data_type, "linestring") == 0 || strcmp(data_type, "polygon") == 0 ||
			 strcmp(data_type, "multipoint") == 0 ||
			 strcmp(data_type, "multilinestring") == 0 ||
			 strcmp(data_type, "multipolygon") == 0 ||
			 strcmp(data_type, "geometrycollection") == 0 ||
			 strcmp(data_type, "geomcollection") == 0)
		c->kind = CK_GEOMETRY;
	else
	{
		/* char, varchar, text family, enum, set, json, inet, uuid */
		c->kind = CK_STRING;
		/* binary-charset text is bytes (CHAR(n) BINARY etc.) */
		if (collation_id == CBL_CHARSET_BINARY)
			c->kind = CK_BYTES;
	}
	c->col.max_len = octet_length > 0 ? (uint32_t) octet_length : 0;
	/* the caller says when the target column is not bytea */
	c->geo = CHAMELEON_GEO_BYTEA;
}

/* Appends the MySQL select-list expression that reads the column. */
void
chameleon_copy_select_expr(const ChameleonCopyColumn *c, StringInfo out)
{
	char	   *id = chameleon_mysql_ident(c->name);

	switch (c->kind)
	{
		case CK_FLOAT:
			/* widened exactly to DOUBLE, printed with every digit it needs */
			appendStringInfo(out, "%s + 0e0", id);
			break;
		case CK_BIT:
			appendStringInfo(out, "%s + 0", id);
			break;
		case CK_TIMESTAMP:
			/* the stored instant, independent of any time zone */
			appendStringInfo(out, "UNIX_TIMESTAMP(%s)", id);
			break;
		default:
			appendStringInfoString(out, id);
			break;
	}
	pfree(id);
}

/* Appends s (len bytes) escaped for COPY text format. */
void
chameleon_copy_escape(StringInfo out, const char *s, size_t len)
{
	size_t		start = 0;

	enlargeStringInfo(out, (int) len);
	for (size_t i = 0; i < len; i++)
	{
		char		esc;

		switch (s[i])
		{
			case '\\':
				esc = '\\';
				break;
			case '\n':
				esc = 'n';
				break;
			case '\r':
				esc = 'r';
				break;
			case '\t':
				esc = 't';
				break;
			default:
				continue;
		}
		appendBinaryStringInfo(out, s + start, (int) (i - start));
		appendStringInfoChar(out, '\\');
		appendStringInfoChar(out, esc);
		start = i + 1;
	}
	appendBinaryStringInfo(out, s + start, (int) (len - start));
}

/* Parses up to 6 fraction digits after a '.' into microseconds. */
static uint32
parse_usec(const char *p)
{
	uint32		usec = 0;
	int			n = 0;

	if (*p != '.')
		return 0;
	for (p++; n < 6 && *p >= '0' && *p <= '9'; p++, n++)
		usec = usec * 10 + (uint32) (*p - '0');
	for (; n < 6; n++)
		usec *= 10;
	return usec;
}

/* Parses "YYYY-MM-DD[ HH:MM:SS[.ffffff]]" into v; false if malformed. */
static bool
parse_datetime(const char *s, cbl_value *v, bool with_time)
{
	unsigned	y,
				mo,
				d,
				h = 0,
				mi = 0,
				se = 0;
	int			used = 0;

	if (sscanf(s, "%4u-%2u-%2u%n", &y, &mo, &d, &used) != 3)
		return false;
	if (with_time && s[used] == ' ')
	{
		int			used2 = 0;

		if (sscanf(s + used, " %2u:%2u:%2u%n", &h, &mi, &se, &used2) != 3)
			return false;
		v->v.t.usec = parse_usec(s + used + used2);
	}
	v->v.t.year = (uint16_t) y;
	v->v.t.month = (uint8_t) mo;
	v->v.t.day = (uint8_t) d;
	v->v.t.hour = h;
	v->v.t.minute = (uint8_t) mi;
	v->v.t.second = (uint8_t) se;
	/* the binlog decoder's rule: PostgreSQL has no year, month or day 0 */
	if (y == 0 || mo == 0 || d == 0)
		v->flags |= CBL_VF_ZERO_DATE;
	return true;
}

/* Parses "[-]H+:MM:SS[.ffffff]" into v; false if malformed. */
static bool
parse_time(const char *s, cbl_value *v)
{
	unsigned	h,
				mi,
				se;
	int			used = 0;

	if (*s == '-')
	{
		v->v.t.neg = true;
		s++;
	}
	if (sscanf(s, "%u:%2u:%2u%n", &h, &mi, &se, &used) != 3)
		return false;
	v->v.t.hour = h;
	v->v.t.minute = (uint8_t) mi;
	v->v.t.second = (uint8_t) se;
	v->v.t.usec = parse_usec(s + used);
	if (h == 0 && mi == 0 && se == 0 && v->v.t.usec == 0)
		v->v.t.neg = false;
	return true;
}

/* Builds the typed value of one cell; NULL or a reason. */
static char *
build_value(const ChameleonCopyColumn *c, const char *val, unsigned long len,
			cbl_value *v)
{
	char	   *end;

	memset(v, 0, sizeof(*v));
	v->fsp = c->col.fsp;
	errno = 0;
	switch (c->kind)
	{
		case CK_INT:
			v->kind = CBL_V_INT;
			v->v.i = strtoll(val, &end, 10);
			break;
		case CK_UINT:
			v->kind = CBL_V_UINT;
			v->v.u = strtoull(val, &end, 10);
			break;
		case CK_BIT:
			v->kind = CBL_V_BIT;
			v->v.u = strtoull(val, &end, 10);
			break;
		case CK_YEAR:
			v->kind = CBL_V_YEAR;
			v->v.i = strtoll(val, &end, 10);
			break;
		case CK_FLOAT:
			v->kind = CBL_V_FLOAT;
			v->v.f = (float) strtod(val, &end);
			break;
		case CK_DOUBLE:
			v->kind = CBL_V_DOUBLE;
			v->v.d = strtod(val, &end);
			break;
		case CK_DECIMAL:
			v->kind = CBL_V_DECIMAL_TEXT;
			v->v.s.p = (const uint8_t *) val;
			v->v.s.len = len;
			return NULL;
		case CK_DATE:
		case CK_DATETIME:
			v->kind = c->kind == CK_DATE ? CBL_V_DATE : CBL_V_DATETIME;
			if (!parse_datetime(val, v, c->kind == CK_DATETIME))
				return psprintf("malformed %s value \"%s\"",
								c->kind == CK_DATE ? "DATE" : "DATETIME", val);
			return NULL;
		case CK_TIME:
			v->kind = CBL_V_TIME;
			if (!parse_time(val, v))
				return psprintf("malformed TIME value \"%s\"", val);
			return NULL;
		case CK_TIMESTAMP:
			v->kind = CBL_V_TIMESTAMP;
			v->v.t.epoch = strtoll(val, &end, 10);
			v->v.t.usec = parse_usec(end);
			if (v->v.t.epoch == 0 && v->v.t.usec == 0)
				v->flags |= CBL_VF_ZERO_DATE;
			return NULL;
		case CK_STRING:
			v->kind = CBL_V_STRING;
			v->v.s.p = (const uint8_t *) val;
			v->v.s.len = len;
			return NULL;
		case CK_BYTES:
			v->kind = CBL_V_BYTES;
			v->v.s.p = (const uint8_t *) val;
			v->v.s.len = len;
			return NULL;
		case CK_GEOMETRY:
			v->kind = CBL_V_GEOMETRY;
			v->v.s.p = (const uint8_t *) val;
			v->v.s.len = len;
			return NULL;
	}
	if (end == val || errno == ERANGE)
		return psprintf("malformed numeric value \"%s\"", val);
	return NULL;
}

/*
 * Formats a value into scratch as cbl_value_to_text() does; NULL or the
 * reason it cannot be stored.  A geometry is checked and goes as
 * "SRID=n;<WKB hex>" to a PostGIS column (its SRID within PostGIS's
 * range), as its WKB to bytea; another target type (type_override) gets
 * what the replay would give it: the SRID form, or bytea when malformed.
 */
static char *
format_value(const ChameleonCopyColumn *c, const cbl_value *v, cbl_buf *scratch,
			 cbl_error *err)
{
	unsigned	flags = CBL_FMT_BYTEA_HEX;

	if (v->kind == CBL_V_GEOMETRY && c->geo != CHAMELEON_GEO_BYTEA)
		flags |= CBL_FMT_GEOM_SRID;
	scratch->len = 0;
	if (scratch->data)
		scratch->data[0] = '\0';
	memset(err, 0, sizeof(*err));
	if (cbl_value_to_text(v, &c->col, scratch, flags, err) == 0)
	{
		uint32		srid;

		if (v->kind != CBL_V_GEOMETRY || c->geo != CHAMELEON_GEO_POSTGIS)
			return NULL;
		/* the value passed the check: it has its 4 SRID bytes */
		srid = (uint32) v->v.s.p[0] | ((uint32) v->v.s.p[1] << 8) |
			((uint32) v->v.s.p[2] << 16) | ((uint32) v->v.s.p[3] << 24);
		if (srid > CHAMELEON_POSTGIS_MAX_SRID)
			return psprintf("column \"%s\": SRID %u is beyond the range of PostGIS (at most %d)",
							c->name, srid, CHAMELEON_POSTGIS_MAX_SRID);
		return NULL;
	}
	if (v->kind != CBL_V_GEOMETRY)
		return psprintf("column \"%s\": %s", c->name, err->msg);
	if (c->geo == CHAMELEON_GEO_POSTGIS)
		return psprintf("column \"%s\": malformed MySQL geometry: %s", c->name, err->msg);
	if (c->geo == CHAMELEON_GEO_BYTEA)
		return psprintf("column \"%s\": %s", c->name, err->msg);
	/* as the reader logs a malformed geometry: bytea */
	{
		ChameleonCopyColumn as_bytea = *c;

		as_bytea.geo = CHAMELEON_GEO_BYTEA;
		return format_value(&as_bytea, v, scratch, err);
	}
}

/*
 * Appends one value in COPY text format (\N for NULL) to out; returns NULL
 * or the reason the value cannot be stored.
 */
char *
chameleon_copy_cell(const ChameleonCopyColumn *c, const char *val,
					unsigned long len, StringInfo out, cbl_buf *scratch)
{
	cbl_value	v;
	cbl_error	err;
	char	   *reason;

	if (val == NULL)
	{
		appendStringInfoString(out, "\\N");
		return NULL;
	}
	reason = build_value(c, val, len, &v);
	if (reason != NULL)
		return reason;
	if (v.flags & CBL_VF_ZERO_DATE)
	{
		appendStringInfoString(out, "\\N");
		return NULL;
	}
	reason = format_value(c, &v, scratch, &err);
	if (reason != NULL)
		return reason;
	if (scratch->oom)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory converting column \"%s\"", c->name)));
	chameleon_copy_escape(out, scratch->data ? scratch->data : "", scratch->len);
	return NULL;
}
