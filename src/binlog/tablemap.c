/*-------------------------------------------------------------------------
 *
 * tablemap.c
 *	  TABLE_MAP events: column types, per-type metadata, nullability and
 *	  the optional metadata of binlog_row_metadata=FULL (signedness,
 *	  charsets, names, ENUM/SET labels, geometry types, primary key,
 *	  visibility), plus the cache of maps by table id.
 *
 * A table map owns a copy of its event body, so names and labels point
 * into memory that lives as long as the map.  Maps are dropped when the
 * first TABLE_MAP after a statement end arrives, as the server itself does.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

#include <stdlib.h>

typedef struct table_priv
{
	uint8_t    *body;			/* copy of the event body */
	cbl_str    *labels;
} table_priv;

/* Free one table map. */
void
cbl_free_table(cbl_table *t)
{
	table_priv *tp;

	if (t == NULL)
		return;
	tp = t->priv;
	if (tp)
	{
		free(tp->body);
		free(tp->labels);
		free(tp);
	}
	free(t->cols);
	free(t);
}

/* Drop every cached table map. */
void
cbl_clear_tables(cbl_decoder *d)
{
	for (uint32_t i = 0; i < d->ntables; i++)
		cbl_free_table(d->tables[i]);
	d->ntables = 0;
}

/* Find the map of a table id (most recent first). */
cbl_table *
cbl_find_table(cbl_decoder *d, uint64_t id)
{
	for (uint32_t i = d->ntables; i > 0; i--)
		if (d->tables[i - 1]->table_id == id)
			return d->tables[i - 1];
	return NULL;
}

/* Is this (effective) type counted by SIGNEDNESS metadata? */
static bool
is_numeric(uint8_t t)
{
	switch (t)
	{
		case CBL_T_TINY:
		case CBL_T_SHORT:
		case CBL_T_INT24:
		case CBL_T_LONG:
		case CBL_T_LONGLONG:
		case CBL_T_FLOAT:
		case CBL_T_DOUBLE:
		case CBL_T_NEWDECIMAL:
			return true;
		default:
			return false;
	}
}

/* Is this (effective) type counted by the charset metadata? */
static bool
is_character(uint8_t t)
{
	switch (t)
	{
		case CBL_T_STRING:
		case CBL_T_VAR_STRING:
		case CBL_T_VARCHAR:
		case CBL_T_BLOB:
		case CBL_T_TINY_BLOB:
		case CBL_T_MEDIUM_BLOB:
		case CBL_T_LONG_BLOB:
			return true;
		default:
			return false;
	}
}

/* Is this an ENUM or SET column? */
static bool
is_enum_set(uint8_t t)
{
	return t == CBL_T_ENUM || t == CBL_T_SET;
}

/* Read the per-type metadata of one column. */
static int
read_column_meta(cbl_column *c, cbl_rd *m, cbl_error *err)
{
	uint8_t		b0,
				b1;

	switch (c->binlog_type)
	{
		case CBL_T_FLOAT:
		case CBL_T_DOUBLE:
		case CBL_T_BLOB:
		case CBL_T_TINY_BLOB:
		case CBL_T_MEDIUM_BLOB:
		case CBL_T_LONG_BLOB:
		case CBL_T_GEOMETRY:
		case CBL_T_JSON:
		case CBL_T_VECTOR:
			if (cbl_rd_u8(m, &b0, err, "column metadata") < 0)
				return -1;
			c->meta = b0;
			c->len_bytes = b0;
			if (c->binlog_type == CBL_T_TINY_BLOB)
				c->len_bytes = 1;
			else if (c->binlog_type == CBL_T_MEDIUM_BLOB)
				c->len_bytes = 3;
			else if (c->binlog_type == CBL_T_LONG_BLOB)
				c->len_bytes = 4;
			break;
		case CBL_T_TIMESTAMP2:
		case CBL_T_DATETIME2:
		case CBL_T_TIME2:
			if (cbl_rd_u8(m, &b0, err, "column metadata") < 0)
				return -1;
			c->meta = b0;
			c->fsp = b0;
			break;
		case CBL_T_VARCHAR:
		case CBL_T_VAR_STRING:
			CBL_NEED(m, 2, err, "column metadata");
			c->meta = cbl_le16(m->p);
			c->max_len = c->meta;
			m->p += 2;
			break;
		case CBL_T_BIT:
			CBL_NEED(m, 2, err, "column metadata");
			c->meta = cbl_le16(m->p);
			c->bits = (uint16_t) (m->p[1] * 8 + m->p[0]);
			m->p += 2;
			break;
		case CBL_T_NEWDECIMAL:
			CBL_NEED(m, 2, err, "column metadata");
			c->precision = m->p[0];
			c->scale = m->p[1];
			c->meta = (uint16_t) (m->p[0] << 8 | m->p[1]);
			m->p += 2;
			break;
		case CBL_T_STRING:
		case CBL_T_ENUM:
		case CBL_T_SET:
			CBL_NEED(m, 2, err, "column metadata");
			b0 = m->p[0];
			b1 = m->p[1];
			m->p += 2;
			c->meta = (uint16_t) (b0 << 8 | b1);
			if ((b0 & 0x30) != 0x30)
			{
				/* lengths above 255 borrow two bits of the type byte */
				c->max_len = (uint32_t) ((((b0 & 0x30) ^ 0x30) << 4) | b1);
				c->type = b0 | 0x30;
			}
			else
			{
				c->type = b0;
				c->max_len = b1;
			}
			if (c->type == CBL_T_ENUM || c->type == CBL_T_SET)
				c->len_bytes = b1;
			else if (c->type != CBL_T_STRING)
				c->type = CBL_T_STRING;
			break;
		default:
			break;
	}
	return 0;
}

/* Growable label list, referenced by index until the end of parsing. */
typedef struct label_acc
{
	cbl_str    *v;
	uint32_t	n;
	uint32_t	cap;
} label_acc;

/* Read "count, then count lenenc strings" for one ENUM/SET column. */
static int
read_labels(cbl_rd *r, label_acc *acc, uint32_t *first, uint32_t *count,
			cbl_error *err)
{
	uint64_t	n;

	if (cbl_rd_lenenc(r, &n, err, "ENUM/SET label count") < 0)
		return -1;
	if (n > cbl_rd_left(r))
		return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(r),
						  "ENUM/SET label count %llu too large", (unsigned long long) n);
	*first = acc->n;
	*count = (uint32_t) n;
	for (uint64_t i = 0; i < n; i++)
	{
		uint64_t	len;
		const uint8_t *p;

		if (cbl_rd_lenenc(r, &len, err, "ENUM/SET label") < 0 ||
			cbl_rd_bytes(r, len, &p, err, "ENUM/SET label") < 0)
			return -1;
		if (acc->n == acc->cap)
		{
			uint32_t	nc = acc->cap ? acc->cap * 2 : 16;
			cbl_str    *nv = realloc(acc->v, nc * sizeof(cbl_str));

			if (nv == NULL)
				return cbl_seterr(err, CBL_ERR_NOMEM, cbl_rd_off(r), "out of memory");
			acc->v = nv;
			acc->cap = nc;
		}
		acc->v[acc->n].ptr = (const char *) p;
		acc->v[acc->n].len = (uint32_t) len;
		acc->n++;
	}
	return 0;
}

/* Parse the optional metadata TLVs (binlog_row_metadata=FULL/MINIMAL). */
static int
parse_optional_meta(cbl_table *t, cbl_rd *r, label_acc *acc,
					uint32_t *lab_first, cbl_error *err)
{
	while (cbl_rd_left(r) > 0)
	{
		uint8_t		type;
		uint64_t	len;
		const uint8_t *p;
		cbl_rd		f;
		uint32_t	k = 0;

		if (cbl_rd_u8(r, &type, err, "TABLE_MAP metadata type") < 0 ||
			cbl_rd_lenenc(r, &len, err, "TABLE_MAP metadata length") < 0 ||
			cbl_rd_bytes(r, len, &p, err, "TABLE_MAP metadata") < 0)
			return -1;
		cbl_rd_init(&f, p, len, cbl_rd_off(r) - len);

		switch (type)
		{
			case 1:				/* SIGNEDNESS: MSB-first bit per numeric col */
				t->has_meta |= CBL_META_SIGNEDNESS;
				for (uint32_t i = 0; i < t->ncols; i++)
				{
					if (!is_numeric(t->cols[i].type))
						continue;
					if ((k >> 3) >= len)
						break;
					t->cols[i].is_unsigned = (p[k >> 3] >> (7 - (k & 7))) & 1;
					k++;
				}
				break;
			case 2:				/* DEFAULT_CHARSET */
			case 10:			/* ENUM_AND_SET_DEFAULT_CHARSET */
				{
					uint64_t	def,
								idx,
								cs;
					bool		es = type == 10;

					if (cbl_rd_lenenc(&f, &def, err, "default charset") < 0)
						return -1;
					for (uint32_t i = 0; i < t->ncols; i++)
						if (es ? is_enum_set(t->cols[i].type) : is_character(t->cols[i].type))
							t->cols[i].charset = (uint32_t) def;
					while (cbl_rd_left(&f) > 0)
					{
						uint32_t	n = 0;

						if (cbl_rd_lenenc(&f, &idx, err, "charset column index") < 0 ||
							cbl_rd_lenenc(&f, &cs, err, "column charset") < 0)
							return -1;
						for (uint32_t i = 0; i < t->ncols; i++)
						{
							if (!(es ? is_enum_set(t->cols[i].type) : is_character(t->cols[i].type)))
								continue;
							if (n++ == idx)
							{
								t->cols[i].charset = (uint32_t) cs;
								break;
							}
						}
					}
					t->has_meta |= CBL_META_CHARSET;
				}
				break;
			case 3:				/* COLUMN_CHARSET */
			case 11:			/* ENUM_AND_SET_COLUMN_CHARSET */
				for (uint32_t i = 0; i < t->ncols && cbl_rd_left(&f) > 0; i++)
				{
					uint64_t	cs;
					bool		want = type == 11 ? is_enum_set(t->cols[i].type) : is_character(t->cols[i].type);

					if (!want)
						continue;
					if (cbl_rd_lenenc(&f, &cs, err, "column charset") < 0)
						return -1;
					t->cols[i].charset = (uint32_t) cs;
				}
				t->has_meta |= CBL_META_CHARSET;
				break;
			case 4:				/* COLUMN_NAME */
				for (uint32_t i = 0; i < t->ncols && cbl_rd_left(&f) > 0; i++)
				{
					uint64_t	nl;
					const uint8_t *np;

					if (cbl_rd_lenenc(&f, &nl, err, "column name") < 0 ||
						cbl_rd_bytes(&f, nl, &np, err, "column name") < 0)
						return -1;
					t->cols[i].name.ptr = (const char *) np;
					t->cols[i].name.len = (uint32_t) nl;
				}
				t->has_meta |= CBL_META_NAMES;
				break;
			case 5:				/* SET_STR_VALUE */
			case 6:				/* ENUM_STR_VALUE */
				for (uint32_t i = 0; i < t->ncols && cbl_rd_left(&f) > 0; i++)
				{
					uint8_t		want = type == 5 ? CBL_T_SET : CBL_T_ENUM;

					if (t->cols[i].type != want)
						continue;
					if (read_labels(&f, acc, &lab_first[i], &t->cols[i].nlabels, err) < 0)
						return -1;
				}
				t->has_meta |= type == 5 ? CBL_META_SET_LABELS : CBL_META_ENUM_LABELS;
				break;
			case 7:				/* GEOMETRY_TYPE */
				for (uint32_t i = 0; i < t->ncols && cbl_rd_left(&f) > 0; i++)
				{
					uint64_t	g;

					if (t->cols[i].type != CBL_T_GEOMETRY)
						continue;
					if (cbl_rd_lenenc(&f, &g, err, "geometry type") < 0)
						return -1;
					t->cols[i].geometry_type = (uint32_t) g;
				}
				t->has_meta |= CBL_META_GEOMETRY;
				break;
			case 8:				/* SIMPLE_PRIMARY_KEY */
			case 9:				/* PRIMARY_KEY_WITH_PREFIX */
				while (cbl_rd_left(&f) > 0)
				{
					uint64_t	idx,
								pre;

					if (cbl_rd_lenenc(&f, &idx, err, "primary key column") < 0)
						return -1;
					if (type == 9 && cbl_rd_lenenc(&f, &pre, err, "primary key prefix") < 0)
						return -1;
					if (idx < t->ncols)
						t->cols[idx].is_pk = true;
				}
				t->has_meta |= CBL_META_PK;
				break;
			case 12:			/* COLUMN_VISIBILITY: MSB-first bit per col */
				for (uint32_t i = 0; i < t->ncols && (i >> 3) < len; i++)
					t->cols[i].is_visible = (p[i >> 3] >> (7 - (i & 7))) & 1;
				t->has_meta |= CBL_META_VISIBILITY;
				break;
			case 13:			/* VECTOR_DIMENSIONALITY */
				for (uint32_t i = 0; i < t->ncols && cbl_rd_left(&f) > 0; i++)
				{
					uint64_t	dim;

					if (t->cols[i].type != CBL_T_VECTOR)
						continue;
					if (cbl_rd_lenenc(&f, &dim, err, "vector dimension") < 0)
						return -1;
					t->cols[i].vector_dim = (uint32_t) dim;
				}
				break;
			default:
				/* unknown metadata: length-delimited, so skip it */
				break;
		}
	}
	return 0;
}

/* Parse a TABLE_MAP event and cache the result. */
int
cbl_parse_table_map(cbl_decoder *d, cbl_event *ev, cbl_rd *r, cbl_error *err)
{
	cbl_table  *t = NULL;
	table_priv *tp = NULL;
	cbl_rd		b;
	uint64_t	v,
				ncols,
				metalen;
	uint8_t		n;
	const uint8_t *p,
			   *types,
			   *meta,
			   *nulls;
	int			idlen = d->post_header[CBL_EV_TABLE_MAP] == 6 ? 4 : 6;
	label_acc	acc = {NULL, 0, 0};
	uint32_t   *lab_first = NULL;

	if (d->post_header[CBL_EV_TABLE_MAP] < 6)
		return cbl_seterr(err, CBL_ERR_UNSUPPORTED, cbl_rd_off(r),
						  "TABLE_MAP has a %d-byte post-header in this file's FORMAT_DESCRIPTION: the server used a non-standard event numbering",
						  d->post_header[CBL_EV_TABLE_MAP]);
	if (d->clear_tables_on_map)
	{
		cbl_clear_tables(d);
		d->clear_tables_on_map = false;
	}
	if (cbl_rd_uint(r, idlen, &v, err, "TABLE_MAP table id") < 0 ||
		cbl_rd_skip(r, 2, err, "TABLE_MAP flags") < 0)
		return -1;
	if (d->post_header[CBL_EV_TABLE_MAP] > idlen + 2 &&
		cbl_rd_skip(r, d->post_header[CBL_EV_TABLE_MAP] - idlen - 2, err,
					"TABLE_MAP post-header") < 0)
		return -1;

	t = calloc(1, sizeof(cbl_table));
	tp = calloc(1, sizeof(table_priv));
	if (t == NULL || tp == NULL)
		goto oom;
	t->priv = tp;
	t->table_id = v;
	t->flags = cbl_le16(r->p - 2);

	/* copy the rest of the body: names and labels will point into it */
	tp->body = malloc(cbl_rd_left(r) + 1);
	if (tp->body == NULL)
		goto oom;
	memcpy(tp->body, r->p, cbl_rd_left(r));
	cbl_rd_init(&b, tp->body, cbl_rd_left(r), cbl_rd_off(r));

	if (cbl_rd_u8(&b, &n, err, "TABLE_MAP schema length") < 0 ||
		cbl_rd_bytes(&b, n, &p, err, "TABLE_MAP schema") < 0 ||
		cbl_rd_skip(&b, 1, err, "TABLE_MAP schema terminator") < 0)
		goto fail;
	t->schema.ptr = (const char *) p;
	t->schema.len = n;
	if (cbl_rd_u8(&b, &n, err, "TABLE_MAP table length") < 0 ||
		cbl_rd_bytes(&b, n, &p, err, "TABLE_MAP table") < 0 ||
		cbl_rd_skip(&b, 1, err, "TABLE_MAP table terminator") < 0)
		goto fail;
	t->table.ptr = (const char *) p;
	t->table.len = n;
	if (cbl_rd_lenenc(&b, &ncols, err, "TABLE_MAP column count") < 0)
		goto fail;
	if (ncols == 0 || ncols > 4096 || ncols > cbl_rd_left(&b))
	{
		(void) cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(&b),
				   "TABLE_MAP column count %llu impossible", (unsigned long long) ncols);
		goto fail;
	}
	t->ncols = (uint32_t) ncols;
	if (cbl_rd_bytes(&b, ncols, &types, err, "TABLE_MAP column types") < 0 ||
		cbl_rd_lenenc(&b, &metalen, err, "TABLE_MAP metadata length") < 0 ||
		cbl_rd_bytes(&b, metalen, &meta, err, "TABLE_MAP metadata") < 0 ||
		cbl_rd_bytes(&b, (ncols + 7) / 8, &nulls, err, "TABLE_MAP null bitmap") < 0)
		goto fail;

	t->cols = calloc(ncols, sizeof(cbl_column));
	lab_first = calloc(ncols, sizeof(uint32_t));
	if (t->cols == NULL || lab_first == NULL)
		goto oom;
	{
		cbl_rd		m;

		cbl_rd_init(&m, meta, metalen, b.base + (uint64_t) (meta - b.start));
		for (uint32_t i = 0; i < ncols; i++)
		{
			cbl_column *c = &t->cols[i];

			c->binlog_type = types[i];
			c->type = types[i];
			c->nullable = cbl_bit(nulls, i);
			c->is_visible = true;
			if (read_column_meta(c, &m, err) < 0)
				goto fail;
			/* BLOB-like types with the real type in the type byte */
			if (c->type >= CBL_T_TINY_BLOB && c->type <= CBL_T_LONG_BLOB)
				c->type = CBL_T_BLOB;
		}
	}
	if (parse_optional_meta(t, &b, &acc, lab_first, err) < 0)
		goto fail;
	tp->labels = acc.v;
	for (uint32_t i = 0; i < ncols; i++)
		if (t->cols[i].nlabels > 0)
			t->cols[i].labels = acc.v + lab_first[i];
	free(lab_first);
	lab_first = NULL;

	if (d->hook && d->hook(d->hook_arg, t, err) < 0)
	{
		cbl_free_table(t);
		return -1;
	}

	/* replace a map of the same id, else append */
	for (uint32_t i = 0; i < d->ntables; i++)
	{
		if (d->tables[i]->table_id == t->table_id)
		{
			cbl_free_table(d->tables[i]);
			d->tables[i] = t;
			ev->u.table_map = t;
			return 0;
		}
	}
	if (d->ntables >= CBL_MAX_TABLES_KEPT)
	{
		cbl_free_table(d->tables[0]);
		memmove(d->tables, d->tables + 1, (d->ntables - 1) * sizeof(cbl_table *));
		d->ntables--;
	}
	if (d->ntables == d->tables_cap)
	{
		uint32_t	nc = d->tables_cap ? d->tables_cap * 2 : 16;
		cbl_table **nt = realloc(d->tables, nc * sizeof(cbl_table *));

		if (nt == NULL)
			goto oom;
		d->tables = nt;
		d->tables_cap = nc;
	}
	d->tables[d->ntables++] = t;
	ev->u.table_map = t;
	return 0;

oom:
	(void) cbl_seterr(err, CBL_ERR_NOMEM, ev->pos, "out of memory reading TABLE_MAP");
fail:
	if (t && tp && tp->labels == NULL)
		free(acc.v);
	free(lab_first);
	if (t)
		cbl_free_table(t);
	else
		free(tp);
	return -1;
}
