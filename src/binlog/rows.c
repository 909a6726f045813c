/*-------------------------------------------------------------------------
 *
 * rows.c
 *	  WRITE/UPDATE/DELETE_ROWS (pre-GA, v1, v2, MariaDB compressed) and
 *	  PARTIAL_UPDATE_ROWS: the event header, column-present bitmaps, and the
 *	  row images, decoded one row change at a time into typed values.
 *
 * A column missing from the present bitmap is ABSENT (MINIMAL/NOBLOB
 * images), which is not the same as NULL; the null bitmap only covers the
 * present columns.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

#include <stdio.h>
#include <stdlib.h>

/* Does this rows event type carry the v2 extra-data header? */
static bool
is_v2(int type)
{
	return type == CBL_EV_WRITE_ROWS || type == CBL_EV_UPDATE_ROWS ||
		type == CBL_EV_DELETE_ROWS || type == CBL_EV_PARTIAL_UPDATE_ROWS ||
		type == CBL_EV_MARIA_WRITE_ROWS_COMPRESSED ||
		type == CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED ||
		type == CBL_EV_MARIA_DELETE_ROWS_COMPRESSED;
}

/* Operation of a rows event type. */
static cbl_op
op_of(int type)
{
	switch (type)
	{
		case CBL_EV_PRE_GA_WRITE_ROWS:
		case CBL_EV_WRITE_ROWS_V1:
		case CBL_EV_WRITE_ROWS:
		case CBL_EV_MARIA_WRITE_ROWS_COMPRESSED_V1:
		case CBL_EV_MARIA_WRITE_ROWS_COMPRESSED:
			return CBL_OP_INSERT;
		case CBL_EV_PRE_GA_UPDATE_ROWS:
		case CBL_EV_UPDATE_ROWS_V1:
		case CBL_EV_UPDATE_ROWS:
		case CBL_EV_PARTIAL_UPDATE_ROWS:
		case CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED_V1:
		case CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED:
			return CBL_OP_UPDATE;
		default:
			return CBL_OP_DELETE;
	}
}

/* Is this a MariaDB compressed rows event? */
static bool
is_compressed(int type)
{
	return type >= CBL_EV_MARIA_WRITE_ROWS_COMPRESSED_V1 &&
		type <= CBL_EV_MARIA_DELETE_ROWS_COMPRESSED;
}

/* Parse the header of a rows event; the rows are read by cbl_rows_next. */
int
cbl_parse_rows(cbl_decoder *d, cbl_event *ev, cbl_rd *r, cbl_error *err)
{
	cbl_rows_info *ri = &ev->u.rows;
	int			ph = d->post_header[ev->type];
	int			idlen = ph == 6 ? 4 : 6;
	uint64_t	v,
				ncols;
	const uint8_t *bm;
	cbl_table  *t;

	/*
	 * A FORMAT_DESCRIPTION that gives this type a post-header shorter than
	 * table id + flags comes from a server that numbers its events
	 * differently (MySQL 5.1/5.2 development trees did): the bytes are not
	 * a rows event, and guessing would decode garbage.
	 */
	if (ph < 6)
		return cbl_seterr(err, CBL_ERR_UNSUPPORTED, ev->pos,
						  "event type %u at offset %llu has a %d-byte post-header in this file's FORMAT_DESCRIPTION, so it is not a rows event: the server used a non-standard event numbering",
						  (unsigned) ev->type, (unsigned long long) ev->pos, ph);
	if (cbl_rd_uint(r, idlen, &ri->table_id, err, "rows event table id") < 0 ||
		cbl_rd_uint(r, 2, &v, err, "rows event flags") < 0)
		return -1;
	ri->flags = (uint16_t) v;
	ph -= idlen + 2;
	if (is_v2(ev->type) && ph >= 2)
	{
		uint64_t	extra;

		if (cbl_rd_uint(r, 2, &extra, err, "rows event extra data length") < 0)
			return -1;
		ph -= 2;
		if (ph > 0 && cbl_rd_skip(r, ph, err, "rows event post-header") < 0)
			return -1;
		if (extra < 2)
			return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(r),
							  "rows event extra data length %llu < 2",
							  (unsigned long long) extra);
		/* NDB info or partition ids: nothing a replica needs */
		if (cbl_rd_skip(r, extra - 2, err, "rows event extra data") < 0)
			return -1;
	}
	else if (ph > 0 && cbl_rd_skip(r, ph, err, "rows event post-header") < 0)
		return -1;

	if (cbl_rd_lenenc(r, &ncols, err, "rows event column count") < 0)
		return -1;
	if (ncols == 0 || ncols > 4096)
		return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(r),
						  "rows event column count %llu impossible",
						  (unsigned long long) ncols);
	ri->ncols = (uint32_t) ncols;
	ri->op = op_of(ev->type);
	ri->partial = ev->type == CBL_EV_PARTIAL_UPDATE_ROWS;
	if (cbl_rd_bytes(r, (ncols + 7) / 8, &bm, err, "rows event column bitmap") < 0)
		return -1;
	ri->present_before = bm;
	ri->present_after = bm;
	/* pre-GA (MySQL 5.1 beta) updates reuse the before-image bitmap */
	if (ri->op == CBL_OP_UPDATE && ev->type != CBL_EV_PRE_GA_UPDATE_ROWS)
	{
		if (cbl_rd_bytes(r, (ncols + 7) / 8, &bm, err, "rows event after-image bitmap") < 0)
			return -1;
		ri->present_after = bm;
	}

	t = cbl_find_table(d, ri->table_id);
	if (t == NULL)
		return cbl_seterr(err, CBL_ERR_NO_TABLE_MAP, ev->pos,
						  "rows event at offset %llu for table id %llu without TABLE_MAP",
						  (unsigned long long) ev->pos,
						  (unsigned long long) ri->table_id);
	if (ncols > t->ncols)
		return cbl_seterr(err, CBL_ERR_CORRUPT, ev->pos,
						  "rows event has %llu columns, TABLE_MAP of %.*s.%.*s has %u",
						  (unsigned long long) ncols, (int) t->schema.len,
						  t->schema.ptr, (int) t->table.len, t->table.ptr, t->ncols);
	ri->table = t;

	if (is_compressed(ev->type))
	{
		if (cbl_maria_uncompress(d, r->p, cbl_rd_left(r), cbl_rd_off(r),
								 &ri->data, &ri->data_len, err) < 0)
			return -1;
	}
	else
	{
		ri->data = r->p;
		ri->data_len = cbl_rd_left(r);
	}
	ri->data_offset = cbl_rd_off(r);
	ri->cursor = 0;

	/* the server forgets table maps at the end of each statement */
	if (ri->flags & CBL_STMT_END_F)
		d->clear_tables_on_map = true;

	/* value arrays sized for this table */
	if (d->vals_cap < t->ncols)
	{
		cbl_value  *nb = realloc(d->before, t->ncols * sizeof(cbl_value));
		cbl_value  *na;

		if (nb == NULL)
			return cbl_seterr(err, CBL_ERR_NOMEM, ev->pos, "out of memory");
		d->before = nb;
		na = realloc(d->after, t->ncols * sizeof(cbl_value));
		if (na == NULL)
			return cbl_seterr(err, CBL_ERR_NOMEM, ev->pos, "out of memory");
		d->after = na;
		d->vals_cap = t->ncols;
	}
	return 0;
}

/* Count set bits among the first n bits of a bitmap. */
static uint32_t
count_bits(const uint8_t *bm, uint32_t n)
{
	uint32_t	c = 0;
	uint32_t	i = 0;

	for (; i + 8 <= n; i += 8)
		c += (uint32_t) __builtin_popcount(bm[i >> 3]);
	for (; i < n; i++)
		c += cbl_bit(bm, i);
	return c;
}

/* Decode one row image into vals. */
static int
decode_image(cbl_decoder *d, cbl_event *ev, cbl_rd *r, const uint8_t *present,
			 cbl_value *vals, const cbl_value *before, bool after_image,
			 cbl_error *err)
{
	cbl_rows_info *ri = &ev->u.rows;
	const cbl_table *t = ri->table;
	const uint8_t *nulls;
	const uint8_t *partial_bits = NULL;
	uint32_t	json_idx = 0;
	uint32_t	npresent;
	uint32_t	k = 0;

	if (ri->partial && after_image)
	{
		uint64_t	opts;

		if (cbl_rd_lenenc(r, &opts, err, "PARTIAL_UPDATE value options") < 0)
			return -1;
		if (opts & 1)
		{
			uint32_t	njson = 0;

			for (uint32_t i = 0; i < t->ncols; i++)
				if (t->cols[i].type == CBL_T_JSON)
					njson++;
			if (cbl_rd_bytes(r, (njson + 7) / 8, &partial_bits, err,
							 "PARTIAL_UPDATE partial bitmap") < 0)
				return -1;
		}
	}

	npresent = count_bits(present, ri->ncols);
	if (cbl_rd_bytes(r, (npresent + 7) / 8, &nulls, err, "row null bitmap") < 0)
		return -1;

	for (uint32_t i = 0; i < t->ncols; i++)
	{
		const cbl_column *c = &t->cols[i];
		cbl_value  *v = &vals[i];
		bool		is_partial = false;
		size_t		used;

		/* the partial bitmap has a bit for every JSON column */
		if (partial_bits && c->type == CBL_T_JSON)
		{
			is_partial = cbl_bit(partial_bits, json_idx);
			json_idx++;
		}
		if (i >= ri->ncols || !cbl_bit(present, i))
		{
			v->kind = CBL_V_ABSENT;
			v->flags = 0;
			continue;
		}
		if (cbl_bit(nulls, k++))
		{
			v->kind = CBL_V_NULL;
			v->flags = 0;
			continue;
		}
		if (cbl_decode_cell(c, r->p, cbl_rd_left(r), v, &used, err) < 0)
		{
			/* report where in the file the bad cell is */
			err->offset = ri->data_offset + (uint64_t) (r->p - ri->data);
			if (strlen(err->msg) + 40 < sizeof(err->msg))
			{
				size_t		l = strlen(err->msg);

				snprintf(err->msg + l, sizeof(err->msg) - l,
						 " (column %u of %.*s.%.*s)", i + 1,
						 (int) t->schema.len, t->schema.ptr,
						 (int) t->table.len, t->table.ptr);
			}
			return -1;
		}
		r->p += used;

		if (is_partial && v->kind == CBL_V_JSON_BINARY)
		{
			const cbl_value *bv = before ? &before[i] : NULL;

			d->tmp.len = 0;
			if (bv == NULL || bv->kind != CBL_V_JSON_BINARY)
			{
				/* no before image to patch: keep the diff, flag it */
				v->flags |= CBL_VF_PARTIAL_JSON;
				continue;
			}
			if (cbl_json_apply_diff(bv->v.s.p, bv->v.s.len, v->v.s.p, v->v.s.len,
									&d->tmp, err) < 0)
			{
				err->offset = ri->data_offset + (uint64_t) (r->p - ri->data);
				return -1;
			}
			if (d->tmp.oom)
				return cbl_seterr(err, CBL_ERR_NOMEM, ev->pos, "out of memory");
			{
				uint8_t    *cp = cbl_arena_alloc(&d->arena, d->tmp.len + 1);

				if (cp == NULL)
					return cbl_seterr(err, CBL_ERR_NOMEM, ev->pos, "out of memory");
				if (d->tmp.len)
					memcpy(cp, d->tmp.data, d->tmp.len);
				v->kind = CBL_V_JSON_TEXT;
				v->v.s.p = cp;
				v->v.s.len = d->tmp.len;
			}
		}
	}
	return 0;
}

/* Decode the next row change of a rows event. */
int
cbl_rows_next(cbl_decoder *d, cbl_event *ev, cbl_row *row, cbl_error *err)
{
	cbl_rows_info *ri = &ev->u.rows;
	cbl_rd		r;

	if (ri->table == NULL || ri->cursor >= ri->data_len)
		return 0;
	cbl_arena_reset(&d->arena);
	cbl_rd_init(&r, ri->data + ri->cursor, ri->data_len - ri->cursor,
				ri->data_offset + ri->cursor);
	r.start = ri->data;
	r.base = ri->data_offset;
	r.p = ri->data + ri->cursor;

	row->op = ri->op;
	row->ncols = ri->table->ncols;
	row->offset = ri->data_offset + ri->cursor;
	row->before = NULL;
	row->after = NULL;
	switch (ri->op)
	{
		case CBL_OP_INSERT:
			if (decode_image(d, ev, &r, ri->present_before, d->after, NULL, false, err) < 0)
				return -1;
			row->after = d->after;
			break;
		case CBL_OP_DELETE:
			if (decode_image(d, ev, &r, ri->present_before, d->before, NULL, false, err) < 0)
				return -1;
			row->before = d->before;
			break;
		case CBL_OP_UPDATE:
			if (decode_image(d, ev, &r, ri->present_before, d->before, NULL, false, err) < 0 ||
				decode_image(d, ev, &r, ri->present_after, d->after, d->before, true, err) < 0)
				return -1;
			row->before = d->before;
			row->after = d->after;
			break;
		default:
			return 0;
	}

	/*
	 * Column bitmaps that select no column make every row image empty: the
	 * bytes left could never be consumed, and returning the same empty row
	 * forever would hang the caller.
	 */
	if (r.p == ri->data + ri->cursor)
		return cbl_seterr(err, CBL_ERR_CORRUPT, row->offset,
						  "empty row image with %zu bytes of the rows event left",
						  ri->data_len - ri->cursor);
	ri->cursor = (size_t) (r.p - ri->data);
	return 1;
}
