/*-------------------------------------------------------------------------
 *
 * jsonbin.c
 *	  MySQL's binary JSON format (the JSON column type in row events) to
 *	  JSON text, written the way MySQL prints it ({"a": 1, "b": [true]}).
 *
 * Every node type is handled: objects and arrays (small and large
 * layouts, inlined scalars), literals, signed/unsigned integers, doubles,
 * strings, and opaque values (DECIMAL, DATE, TIME, DATETIME, TIMESTAMP as
 * MySQL prints them; other opaque types as "base64:typeNN:...").  All
 * offsets are bounds-checked, nesting depth is limited and the bytes read
 * are counted against a budget proportional to the document's size (see
 * cbl_jb_budget_init), so hostile input yields an error, never a crash,
 * and never more than linear work or output.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"
#include "jsonbin.h"

/* Budget slack for tiny documents (bytes of work). */
#define JSON_WORK_ALLOWANCE 64

/* Read a JSON varlen length (7 bits per byte, at most 5 bytes). */
int
cbl_jb_varlen(const uint8_t *p, size_t len, uint32_t *out, size_t *used)
{
	uint64_t	v = 0;

	for (size_t i = 0; i < 5 && i < len; i++)
	{
		v |= (uint64_t) (p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80))
		{
			if (v > UINT32_MAX)
				return -1;
			*out = (uint32_t) v;
			*used = i + 1;
			return 0;
		}
	}
	return -1;
}

/* Is a value of this type stored inside the value entry? */
bool
cbl_jb_inlined(uint8_t type, bool large)
{
	switch (type)
	{
		case JB_LITERAL:
		case JB_INT16:
		case JB_UINT16:
			return true;
		case JB_INT32:
		case JB_UINT32:
			return large;
		default:
			return false;
	}
}

/* Print a double as MySQL does in JSON (integral values keep ".0"). */
static void
put_json_double(cbl_buf *out, double d)
{
	size_t		start = out->len;
	bool		plain = true;

	cbl_format_double(d, out);
	for (size_t i = start; i < out->len; i++)
		if (out->data[i] == '.' || out->data[i] == 'e' || out->data[i] == 'N' ||
			out->data[i] == 'I')
			plain = false;
	if (plain)
		cbl_buf_append(out, ".0", 2);
}

/* Print an opaque scalar (MySQL field type + raw bytes). */
static int
put_opaque(cbl_buf *out, uint8_t ftype, const uint8_t *p, size_t len,
		   cbl_error *err)
{
	cbl_value	v;

	switch (ftype)
	{
		case CBL_T_NEWDECIMAL:

			/*
			 * precision, scale, then the packed decimal.  Printed as a JSON
			 * string holding the exact decimal ("9.00"), like the other
			 * opaque scalars: a JSON number would let the scale be lost
			 * (jsonb keeps 9.00, but other consumers read a double).  This
			 * is the form the shared fixtures' README requires.
			 */
			if (len >= 2)
			{
				size_t		start = out->len;

				cbl_buf_putc(out, '"');
				if (cbl_decimal_to_text(p + 2, len - 2, p[0], p[1], out) == 0)
				{
					cbl_buf_putc(out, '"');
					return 0;
				}
				out->len = start;
			}
			return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "bad DECIMAL in JSON value");
		case CBL_T_DATE:
		case CBL_T_TIME:
		case CBL_T_DATETIME:
		case CBL_T_TIMESTAMP:
			if (len < 8)
				return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "bad temporal in JSON value");
			memset(&v, 0, sizeof(v));
			cbl_buf_putc(out, '"');
			if (ftype == CBL_T_TIME)
			{
				cbl_unpack_time_packed((int64_t) cbl_le64(p), &v.v.t);
				v.kind = CBL_V_TIME;
				v.fsp = 6;
			}
			else
			{
				cbl_unpack_datetime_packed((int64_t) cbl_le64(p), &v.v.t);
				v.kind = ftype == CBL_T_DATE ? CBL_V_DATE : CBL_V_DATETIME;
				v.fsp = 6;
			}
			/* MySQL prints all six fractional digits, even zeros (fsp 6) */
			cbl_format_temporal(&v, out);
			cbl_buf_putc(out, '"');
			return 0;
		default:
			cbl_buf_printf(out, "\"base64:type%u:", ftype);
			cbl_base64(out, p, len);
			cbl_buf_putc(out, '"');
			return 0;
	}
}

/*
 * Print a scalar of the given type whose data starts at p (len bytes
 * available).  Used for inlined values too, where p is the entry field.
 */
int
cbl_jb_scalar(cbl_buf *out, uint8_t type, const uint8_t *p, size_t len,
			  cbl_error *err)
{
	uint32_t	n;
	size_t		used;

	switch (type)
	{
		case JB_LITERAL:
			if (len < 1)
				break;
			if (p[0] == 0)
				cbl_buf_puts(out, "null");
			else if (p[0] == 1)
				cbl_buf_puts(out, "true");
			else if (p[0] == 2)
				cbl_buf_puts(out, "false");
			else
				return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "bad JSON literal %u", p[0]);
			return 0;
		case JB_INT16:
			if (len < 2)
				break;
			cbl_buf_i64(out, (int16_t) cbl_le16(p));
			return 0;
		case JB_UINT16:
			if (len < 2)
				break;
			cbl_buf_u64(out, cbl_le16(p));
			return 0;
		case JB_INT32:
			if (len < 4)
				break;
			cbl_buf_i64(out, (int32_t) cbl_le32(p));
			return 0;
		case JB_UINT32:
			if (len < 4)
				break;
			cbl_buf_u64(out, cbl_le32(p));
			return 0;
		case JB_INT64:
			if (len < 8)
				break;
			cbl_buf_i64(out, (int64_t) cbl_le64(p));
			return 0;
		case JB_UINT64:
			if (len < 8)
				break;
			cbl_buf_u64(out, cbl_le64(p));
			return 0;
		case JB_DOUBLE:
			{
				uint64_t	bits;
				double		d;

				if (len < 8)
					break;
				bits = cbl_le64(p);
				memcpy(&d, &bits, 8);
				put_json_double(out, d);
				return 0;
			}
		case JB_STRING:
			if (cbl_jb_varlen(p, len, &n, &used) < 0 || n > len - used)
				break;
			cbl_buf_putc(out, '"');
			{
				/* strings are utf8mb4 already; validate before emitting */
				cbl_buf		tmp;
				int			rc;

				cbl_buf_init(&tmp);
				rc = cbl_charset_to_utf8(CBL_CHARSET_UTF8MB4, p + used, n, &tmp, err);
				if (rc == 0)
					cbl_json_escape(out, (const uint8_t *) tmp.data, tmp.len);
				cbl_buf_free(&tmp);
				if (rc < 0)
					return -1;
			}
			cbl_buf_putc(out, '"');
			return 0;
		case JB_OPAQUE:
			if (len < 1 || cbl_jb_varlen(p + 1, len - 1, &n, &used) < 0 ||
				n > len - 1 - used)
				break;
			return put_opaque(out, p[0], p + 1 + used, n, err);
		default:
			return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "unknown JSON type 0x%02x", type);
	}
	return cbl_seterr(err, CBL_ERR_TRUNCATED, 0, "truncated JSON scalar of type 0x%02x", type);
}

/*
 * Set up the work budget for a document of len bytes.
 *
 * Objects and arrays hold offsets to their members, not the members, so a
 * hostile document can point many entries at the same bytes: an array
 * whose two entries both point at the array itself, nested to the depth
 * limit, is 11 bytes and names 2^150 values; keys and strings can be
 * shared the same way.  So every byte the decoder reads on the way is
 * charged: a container's header, entry tables and key names when it is
 * opened, a non-inlined scalar's encoding when it is reached (inlined
 * scalars live in their entry, which is already paid for).
 *
 * MySQL's serializer (sql-common/json_binary.cc) gives every key and every
 * value bytes of its own, laid out after the entry tables of its
 * container, and a partial in-place update (JSON_SET, JSON_REPLACE) writes
 * a new value only into its old place or into free space between its
 * neighbours.  So in any document MySQL wrote, the charged byte ranges are
 * disjoint and add up to at most len: a real document uses at most half of
 * this budget.  A document that reads the same bytes again and again fails
 * after O(len) work instead; and since a charged byte prints as at most
 * about ten bytes of text (an escaped control character, a date, a double,
 * the separators around an inlined literal), the output is O(len) as well.
 */
void
cbl_jb_budget_init(cbl_jb_budget *b, size_t len)
{
	uint64_t	n = (uint64_t) len;

	b->doclen = len;
	b->left = n > (UINT64_MAX - JSON_WORK_ALLOWANCE) / 2 ? UINT64_MAX :
		2 * n + JSON_WORK_ALLOWANCE;
}

/* Take n bytes of work from the budget; an error once it is spent. */
static int
charge(cbl_jb_budget *b, uint64_t n, cbl_error *err)
{
	if (n > b->left)
	{
		b->left = 0;
		return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
						  "JSON document of %zu bytes reads the same bytes repeatedly (shared offsets): more than twice its size in work",
						  b->doclen);
	}
	b->left -= n;
	return 0;
}

/*
 * Charge the encoded size of the scalar of the given type at p (len bytes
 * available); fails as cbl_jb_scalar would on a truncated or unknown one.
 */
int
cbl_jb_charge_scalar(cbl_jb_budget *b, uint8_t type, const uint8_t *p,
					 size_t len, cbl_error *err)
{
	size_t		need;
	uint32_t	n;
	size_t		used;

	switch (type)
	{
		case JB_LITERAL:
			need = 1;
			break;
		case JB_INT16:
		case JB_UINT16:
			need = 2;
			break;
		case JB_INT32:
		case JB_UINT32:
			need = 4;
			break;
		case JB_INT64:
		case JB_UINT64:
		case JB_DOUBLE:
			need = 8;
			break;
		case JB_STRING:
			if (cbl_jb_varlen(p, len, &n, &used) < 0)
				need = SIZE_MAX;
			else
				need = used + n;
			break;
		case JB_OPAQUE:
			if (len < 1 || cbl_jb_varlen(p + 1, len - 1, &n, &used) < 0)
				need = SIZE_MAX;
			else
				need = 1 + used + n;
			break;
		default:
			return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "unknown JSON type 0x%02x", type);
	}
	if (need > len)
		return cbl_seterr(err, CBL_ERR_TRUNCATED, 0,
						  "truncated JSON scalar of type 0x%02x", type);
	return charge(b, need, err);
}

/*
 * Check the header of the object or array of the given type at p (len
 * bytes available) and charge its header and entry tables.
 */
int
cbl_jb_open(cbl_jb_container *c, uint8_t type, const uint8_t *p, size_t len,
			cbl_jb_budget *b, cbl_error *err)
{
	size_t		hdr;

	c->p = p;
	c->large = type == JB_LARGE_OBJECT || type == JB_LARGE_ARRAY;
	c->is_obj = type == JB_SMALL_OBJECT || type == JB_LARGE_OBJECT;
	c->osz = c->large ? 4 : 2;
	c->kesz = c->is_obj ? c->osz + 2 : 0;
	c->vesz = 1 + c->osz;
	hdr = 2 * c->osz;
	if (len < hdr)
		return cbl_seterr(err, CBL_ERR_TRUNCATED, 0, "truncated JSON container");
	c->count = (uint32_t) cbl_leN(p, (int) c->osz);
	c->size = (uint32_t) cbl_leN(p + c->osz, (int) c->osz);
	if (c->size > len || c->size < hdr)
		return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
						  "JSON container size %u outside %zu bytes", c->size, len);
	if ((uint64_t) c->count * (c->kesz + c->vesz) > c->size - hdr)
		return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
						  "JSON container with %u elements in %u bytes",
						  c->count, c->size);
	c->entries_end = hdr + (size_t) c->count * (c->kesz + c->vesz);
	return charge(b, c->entries_end, err);
}

/*
 * Read entry i of an opened container: its key (objects) and where its
 * value is.  Keys and non-inlined values must lie after the entry tables,
 * inside the container, which is where MySQL puts them; the key and a
 * non-inlined scalar are charged here, a child container when opened.
 */
int
cbl_jb_element(const cbl_jb_container *c, uint32_t i, cbl_jb_elem *e,
			   cbl_jb_budget *b, cbl_error *err)
{
	size_t		hdr = 2 * c->osz;
	const uint8_t *ve = c->p + hdr + (size_t) c->count * c->kesz + (size_t) i * c->vesz;

	e->key = NULL;
	e->keylen = 0;
	if (c->is_obj)
	{
		const uint8_t *ke = c->p + hdr + (size_t) i * c->kesz;
		uint32_t	ko = (uint32_t) cbl_leN(ke, (int) c->osz);
		uint32_t	kl = cbl_le16(ke + c->osz);

		if (ko < c->entries_end || ko > c->size || kl > c->size - ko)
			return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON key outside its object");
		if (charge(b, kl, err) < 0)
			return -1;
		e->key = c->p + ko;
		e->keylen = kl;
	}
	e->type = ve[0];
	e->inlined = cbl_jb_inlined(e->type, c->large);
	if (e->inlined)
	{
		e->data = ve + 1;
		e->len = c->osz;
		return 0;
	}
	{
		uint32_t	vo = (uint32_t) cbl_leN(ve + 1, (int) c->osz);

		if (vo < c->entries_end || vo >= c->size)
			return cbl_seterr(err, CBL_ERR_CORRUPT, 0,
							  "JSON value offset %u outside the data of its container (%zu to %u)",
							  vo, c->entries_end, c->size);
		e->data = c->p + vo;
		e->len = c->size - vo;
	}
	if (e->type > JB_LARGE_ARRAY)
		return cbl_jb_charge_scalar(b, e->type, e->data, e->len, err);
	return 0;
}

/* Print a value of type `type` stored at p (len bytes available). */
static int
put_value(cbl_buf *out, uint8_t type, const uint8_t *p, size_t len, int depth,
		  cbl_jb_budget *b, cbl_error *err)
{
	cbl_jb_container c;

	if (type > JB_LARGE_ARRAY)
		return cbl_jb_scalar(out, type, p, len, err);
	if (depth > CBL_JB_MAX_DEPTH)
		return cbl_seterr(err, CBL_ERR_CORRUPT, 0, "JSON nested too deeply");
	if (cbl_jb_open(&c, type, p, len, b, err) < 0)
		return -1;

	cbl_buf_putc(out, c.is_obj ? '{' : '[');
	for (uint32_t i = 0; i < c.count; i++)
	{
		cbl_jb_elem e;

		if (cbl_jb_element(&c, i, &e, b, err) < 0)
			return -1;
		if (i > 0)
			cbl_buf_append(out, ", ", 2);
		if (c.is_obj)
		{
			cbl_buf_putc(out, '"');
			cbl_json_escape(out, e.key, e.keylen);
			cbl_buf_append(out, "\": ", 3);
		}
		if (e.inlined)
		{
			if (cbl_jb_scalar(out, e.type, e.data, e.len, err) < 0)
				return -1;
		}
		else if (put_value(out, e.type, e.data, e.len, depth + 1, b, err) < 0)
			return -1;
	}
	cbl_buf_putc(out, c.is_obj ? '}' : ']');
	return 0;
}

/* Append MySQL binary JSON as text. */
int
cbl_json_binary_to_text(const uint8_t *p, size_t len, cbl_buf *out,
						cbl_error *err)
{
	cbl_jb_budget b;

	/* an empty value is what MySQL logs for a JSON null set by some paths */
	if (len == 0)
	{
		cbl_buf_puts(out, "null");
		return 0;
	}
	cbl_jb_budget_init(&b, len);
	return put_value(out, p[0], p + 1, len - 1, 0, &b, err);
}
