/*-------------------------------------------------------------------------
 *
 * events.c
 *	  Decoding of the non-row events: QUERY (plain and MariaDB-compressed,
 *	  with status variables), ROTATE, XID, INTVAR/RAND/USER_VAR, INCIDENT,
 *	  ROWS_QUERY, HEARTBEAT (v1 and v2), TRANSACTION_PAYLOAD, the MySQL GTID
 *	  family (GTID, ANONYMOUS_GTID, GTID_TAGGED, PREVIOUS_GTIDS) and the
 *	  MariaDB family (GTID, GTID_LIST, BINLOG_CHECKPOINT, ANNOTATE_ROWS,
 *	  START_ENCRYPTION).  Unknown types are skipped.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

#include <stdlib.h>
#include <stdio.h>

/* MariaDB GTID flags */
#define MARIA_FL_STANDALONE 0x01
#define MARIA_FL_GROUP_COMMIT_ID 0x02
#define MARIA_FL_PREPARED_XA 0x40
#define MARIA_FL_COMPLETED_XA 0x80

/* Skip the post-header of ev's type. */
static int
skip_post_header(cbl_decoder *d, cbl_event *ev, cbl_rd *r, cbl_error *err)
{
	return cbl_rd_skip(r, d->post_header[ev->type & 0xff], err, "post-header");
}

/* Format a 16-byte UUID. */
static void
uuid_text(const uint8_t *u, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int			o = 0;

	for (int i = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
}

/* QUERY and QUERY_COMPRESSED. */
static int
parse_query(cbl_decoder *d, cbl_event *ev, cbl_rd *r, cbl_error *err)
{
	uint64_t	v;
	uint8_t		dblen;
	uint64_t	status_len = 0;
	size_t		ph = d->post_header[ev->type];
	const uint8_t *st;
	const uint8_t *db;
	cbl_rd		s;

	if (ph < 11)
		ph = 11;
	CBL_NEED(r, ph, err, "QUERY post-header");
	ev->u.query.thread_id = cbl_le32(r->p);
	ev->u.query.exec_time = cbl_le32(r->p + 4);
	dblen = r->p[8];
	ev->u.query.error_code = cbl_le16(r->p + 9);
	if (ph >= 13)
		status_len = cbl_le16(r->p + 11);
	r->p += ph;

	if (cbl_rd_bytes(r, status_len, &st, err, "QUERY status variables") < 0)
		return -1;
	cbl_rd_init(&s, st, status_len, cbl_rd_off(r) - status_len);
	while (cbl_rd_left(&s) > 0)
	{
		uint8_t		code = *s.p++;
		uint8_t		n;
		const uint8_t *b;

		switch (code)
		{
			case 0:				/* Q_FLAGS2 */
				if (cbl_rd_uint(&s, 4, &v, err, "Q_FLAGS2") < 0)
					return -1;
				ev->u.query.flags2 = (uint32_t) v;
				break;
			case 1:				/* Q_SQL_MODE */
				if (cbl_rd_uint(&s, 8, &ev->u.query.sql_mode, err, "Q_SQL_MODE") < 0)
					return -1;
				break;
			case 2:				/* Q_CATALOG (len + str + NUL) */
				if (cbl_rd_u8(&s, &n, err, "Q_CATALOG") < 0 ||
					cbl_rd_skip(&s, (size_t) n + 1, err, "Q_CATALOG") < 0)
					return -1;
				break;
			case 3:				/* Q_AUTO_INCREMENT */
				if (cbl_rd_skip(&s, 4, err, "Q_AUTO_INCREMENT") < 0)
					return -1;
				break;
			case 4:				/* Q_CHARSET */
				CBL_NEED(&s, 6, err, "Q_CHARSET");
				ev->u.query.has_charset = true;
				ev->u.query.charset_client = cbl_le16(s.p);
				ev->u.query.collation_connection = cbl_le16(s.p + 2);
				ev->u.query.collation_server = cbl_le16(s.p + 4);
				s.p += 6;
				break;
			case 5:				/* Q_TIME_ZONE */
				if (cbl_rd_u8(&s, &n, err, "Q_TIME_ZONE") < 0 ||
					cbl_rd_bytes(&s, n, &b, err, "Q_TIME_ZONE") < 0)
					return -1;
				ev->u.query.time_zone.ptr = (const char *) b;
				ev->u.query.time_zone.len = n;
				break;
			case 6:				/* Q_CATALOG_NZ */
				if (cbl_rd_u8(&s, &n, err, "Q_CATALOG_NZ") < 0 ||
					cbl_rd_skip(&s, n, err, "Q_CATALOG_NZ") < 0)
					return -1;
				break;
			case 7:				/* Q_LC_TIME_NAMES */
			case 8:				/* Q_CHARSET_DATABASE */
			case 18:			/* Q_DEFAULT_COLLATION_FOR_UTF8MB4 */
				if (cbl_rd_skip(&s, 2, err, "QUERY status variable") < 0)
					return -1;
				break;
			case 9:				/* Q_TABLE_MAP_FOR_UPDATE */
			case 17:			/* Q_DDL_LOGGED_WITH_XID */
				if (cbl_rd_skip(&s, 8, err, "QUERY status variable") < 0)
					return -1;
				break;
			case 129:			/* MariaDB Q_XID */
				if (cbl_rd_uint(&s, 8, &ev->u.query.xid, err, "Q_XID") < 0)
					return -1;
				ev->u.query.has_xid = true;
				break;
			case 10:			/* Q_MASTER_DATA_WRITTEN */
				if (cbl_rd_skip(&s, 4, err, "Q_MASTER_DATA_WRITTEN") < 0)
					return -1;
				break;
			case 11:			/* Q_INVOKER: user, host */
				for (int k = 0; k < 2; k++)
					if (cbl_rd_u8(&s, &n, err, "Q_INVOKER") < 0 ||
						cbl_rd_skip(&s, n, err, "Q_INVOKER") < 0)
						return -1;
				break;
			case 12:			/* Q_UPDATED_DB_NAMES */
				if (cbl_rd_u8(&s, &n, err, "Q_UPDATED_DB_NAMES") < 0)
					return -1;
				if (n != 254)	/* OVER_MAX_DBS_IN_EVENT_MTS */
				{
					for (int k = 0; k < n; k++)
					{
						const uint8_t *z = memchr(s.p, '\0', cbl_rd_left(&s));

						if (z == NULL)
							return cbl_seterr(err, CBL_ERR_TRUNCATED, cbl_rd_off(&s),
											  "truncated Q_UPDATED_DB_NAMES");
						s.p = z + 1;
					}
				}
				break;
			case 13:			/* Q_MICROSECONDS */
			case 128:			/* MariaDB Q_HRNOW */
				if (cbl_rd_skip(&s, 3, err, "QUERY status variable") < 0)
					return -1;
				break;
			case 16:			/* Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP */
			case 19:			/* Q_SQL_REQUIRE_PRIMARY_KEY */
			case 20:			/* Q_DEFAULT_TABLE_ENCRYPTION */
			case 130:			/* MariaDB Q_GTID_FLAGS3 */
				if (cbl_rd_skip(&s, 1, err, "QUERY status variable") < 0)
					return -1;
				break;
			case 131:			/* MariaDB Q_CHARACTER_SET_COLLATIONS */
				if (cbl_rd_u8(&s, &n, err, "Q_CHARACTER_SET_COLLATIONS") < 0 ||
					cbl_rd_skip(&s, (size_t) n * 4, err, "Q_CHARACTER_SET_COLLATIONS") < 0)
					return -1;
				break;
			default:

				/*
				 * An unknown code has an unknown length: stop here, as the
				 * server does.  The block length still tells us where the
				 * database name starts.
				 */
				s.p = s.end;
				break;
		}
	}

	if (cbl_rd_bytes(r, dblen, &db, err, "QUERY database name") < 0 ||
		cbl_rd_skip(r, 1, err, "QUERY database terminator") < 0)
		return -1;
	ev->u.query.db.ptr = (const char *) db;
	ev->u.query.db.len = dblen;

	if (ev->type == CBL_EV_MARIA_QUERY_COMPRESSED)
	{
		const uint8_t *q;
		size_t		qlen;

		if (cbl_maria_uncompress(d, r->p, cbl_rd_left(r), cbl_rd_off(r), &q, &qlen, err) < 0)
			return -1;
		ev->u.query.query.ptr = (const char *) q;
		ev->u.query.query.len = (uint32_t) qlen;
	}
	else
	{
		ev->u.query.query.ptr = (const char *) r->p;
		ev->u.query.query.len = (uint32_t) cbl_rd_left(r);
	}
	return 0;
}

/* MySQL GTID / ANONYMOUS_GTID (fixed layout). */
static int
parse_mysql_gtid(cbl_decoder *d, cbl_event *ev, cbl_rd *r, cbl_error *err)
{
	const uint8_t *p;
	char		u[40];

	if (cbl_rd_bytes(r, 25, &p, err, "GTID event") < 0)
		return -1;
	ev->u.gtid.flags = p[0];
	memcpy(ev->u.gtid.sid, p + 1, 16);
	ev->u.gtid.seq_no = cbl_le64(p + 17);
	if (cbl_rd_left(r) >= 17 && r->p[0] == 2)	/* logical timestamps */
	{
		ev->u.gtid.last_committed = (int64_t) cbl_le64(r->p + 1);
		ev->u.gtid.sequence_number = (int64_t) cbl_le64(r->p + 9);
	}
	if (ev->type == CBL_EV_ANONYMOUS_GTID)
	{
		ev->gtid_text[0] = '\0';
		d->gtid[0] = '\0';
		return 0;
	}
	uuid_text(ev->u.gtid.sid, u);
	snprintf(ev->gtid_text, sizeof(ev->gtid_text), "%s:%llu", u,
			 (unsigned long long) ev->u.gtid.seq_no);
	memcpy(d->gtid, ev->gtid_text, sizeof(d->gtid));
	return 0;
}

/* Read one fixed-size integer of MySQL's serialization format (bytewise). */
static int
read_ser_fixed(cbl_rd *r, uint8_t *out, int n, cbl_error *err)
{
	for (int i = 0; i < n; i++)
	{
		uint64_t	b;

		if (cbl_rd_varuint(r, &b, err, "GTID_TAGGED fixed field") < 0)
			return -1;
		if (b > 255)
			return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(r),
							  "bad byte in GTID_TAGGED fixed field");
		out[i] = (uint8_t) b;
	}
	return 0;
}

/* Decode a signed varint of the serialization format. */
static int64_t
ser_signed(uint64_t u)
{
	return (u & 1) ? -(int64_t) (u >> 1) - 1 : (int64_t) (u >> 1);
}

/*
 * MySQL 8.3+ GTID_TAGGED_LOG_EVENT: a serialization-library message
 * (version, size, last non-ignorable field, then (id, value) pairs).
 */
static int
parse_gtid_tagged(cbl_decoder *d, cbl_event *ev, cbl_rd *r, cbl_error *err)
{
	uint64_t	ver,
				size,
				lastid,
				id,
				v;
	char		u[40];
	int			expect = 0;

	if (cbl_rd_varuint(r, &ver, err, "GTID_TAGGED version") < 0 ||
		cbl_rd_varuint(r, &size, err, "GTID_TAGGED size") < 0 ||
		cbl_rd_varuint(r, &lastid, err, "GTID_TAGGED last field") < 0)
		return -1;
	while (cbl_rd_left(r) > 0)
	{
		if (cbl_rd_varuint(r, &id, err, "GTID_TAGGED field id") < 0)
			return -1;
		if ((int64_t) id < expect)
			return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(r),
							  "GTID_TAGGED field ids out of order");
		expect = (int) id + 1;
		switch (id)
		{
			case 0:
				if (read_ser_fixed(r, &ev->u.gtid.flags, 1, err) < 0)
					return -1;
				break;
			case 1:
				if (read_ser_fixed(r, ev->u.gtid.sid, 16, err) < 0)
					return -1;
				break;
			case 2:
				if (cbl_rd_varuint(r, &v, err, "GTID_TAGGED gno") < 0)
					return -1;
				ev->u.gtid.seq_no = (uint64_t) ser_signed(v);
				break;
			case 3:
				{
					const uint8_t *t;

					if (cbl_rd_varuint(r, &v, err, "GTID_TAGGED tag") < 0 ||
						v > 64 || cbl_rd_bytes(r, v, &t, err, "GTID_TAGGED tag") < 0)
						return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(r),
										  "bad GTID_TAGGED tag");
					ev->u.gtid.tag.ptr = (const char *) t;
					ev->u.gtid.tag.len = (uint32_t) v;
				}
				break;
			case 4:
				if (cbl_rd_varuint(r, &v, err, "GTID_TAGGED last_committed") < 0)
					return -1;
				ev->u.gtid.last_committed = ser_signed(v);
				break;
			case 5:
				if (cbl_rd_varuint(r, &v, err, "GTID_TAGGED sequence_number") < 0)
					return -1;
				ev->u.gtid.sequence_number = ser_signed(v);
				break;
			case 8:
				if (cbl_rd_varuint(r, &ev->u.gtid.transaction_length, err,
								   "GTID_TAGGED transaction_length") < 0)
					return -1;
				break;
			case 6:
			case 7:
			case 9:
			case 10:
			case 11:
				if (cbl_rd_varuint(r, &v, err, "GTID_TAGGED field") < 0)
					return -1;
				break;
			default:
				/* newer fields we cannot size: stop */
				r->p = r->end;
				break;
		}
	}
	uuid_text(ev->u.gtid.sid, u);
	if (ev->u.gtid.tag.len > 0)
		snprintf(ev->gtid_text, sizeof(ev->gtid_text), "%s:%.*s:%llu", u,
				 (int) ev->u.gtid.tag.len, ev->u.gtid.tag.ptr,
				 (unsigned long long) ev->u.gtid.seq_no);
	else
		snprintf(ev->gtid_text, sizeof(ev->gtid_text), "%s:%llu", u,
				 (unsigned long long) ev->u.gtid.seq_no);
	memcpy(d->gtid, ev->gtid_text, sizeof(d->gtid));
	return 0;
}

/* Validate PREVIOUS_GTIDS (tagged or classic) without formatting it. */
static int
check_previous_gtids(cbl_event *ev, cbl_rd *r, cbl_error *err)
{
	cbl_buf		tmp;
	int			rc;

	ev->u.gtid_list.data = r->p;
	ev->u.gtid_list.len = cbl_rd_left(r);
	/* formatting walks and bounds-checks everything: do it once here */
	cbl_buf_init(&tmp);
	rc = cbl_gtid_list_text(ev, &tmp, err);
	cbl_buf_free(&tmp);
	return rc;
}

/* Append GTID_LIST / PREVIOUS_GTIDS as text. */
int
cbl_gtid_list_text(const cbl_event *ev, cbl_buf *out, cbl_error *err)
{
	cbl_rd		r;
	uint64_t	base = ev->pos;

	cbl_rd_init(&r, ev->u.gtid_list.data, ev->u.gtid_list.len, base);
	if (ev->type == CBL_EV_MARIA_GTID_LIST)
	{
		for (uint32_t i = 0; i < ev->u.gtid_list.count; i++)
		{
			const uint8_t *p;

			if (cbl_rd_bytes(&r, 16, &p, err, "GTID_LIST entry") < 0)
				return -1;
			if (i > 0)
				cbl_buf_putc(out, ',');
			cbl_buf_printf(out, "%u-%u-%llu", cbl_le32(p), cbl_le32(p + 4),
						   (unsigned long long) cbl_le64(p + 8));
		}
		return 0;
	}
	else
	{
		uint64_t	nsids;
		bool		tagged;
		char		u[40];
		char		prev[40] = "";

		if (cbl_rd_uint(&r, 8, &nsids, err, "PREVIOUS_GTIDS count") < 0)
			return -1;
		tagged = (nsids >> 56) == 1;
		if (tagged)
			nsids = (nsids >> 8) & 0xffffffffffffULL;
		if (nsids > cbl_rd_left(&r) / 24 + 1)
			return cbl_seterr(err, CBL_ERR_CORRUPT, base,
							  "PREVIOUS_GTIDS count %llu too large",
							  (unsigned long long) nsids);
		for (uint64_t i = 0; i < nsids; i++)
		{
			const uint8_t *p;
			uint64_t	nint;
			uint8_t		taglen = 0;
			const uint8_t *tag = NULL;

			if (cbl_rd_bytes(&r, 16, &p, err, "PREVIOUS_GTIDS uuid") < 0)
				return -1;
			uuid_text(p, u);
			if (tagged)
			{
				uint64_t	tl;

				if (cbl_rd_varuint(&r, &tl, err, "PREVIOUS_GTIDS tag") < 0)
					return -1;
				if (tl > 32 || cbl_rd_bytes(&r, tl, &tag, err, "PREVIOUS_GTIDS tag") < 0)
					return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(&r),
									  "bad tag in PREVIOUS_GTIDS");
				taglen = (uint8_t) tl;
			}
			/* tags of the same uuid continue its entry: uuid:1-5:tag:1-3 */
			if (strcmp(prev, u) != 0)
			{
				if (i > 0)
					cbl_buf_putc(out, ',');
				cbl_buf_puts(out, u);
				memcpy(prev, u, sizeof(prev));
			}
			if (taglen > 0)
			{
				cbl_buf_putc(out, ':');
				cbl_buf_append(out, tag, taglen);
			}
			if (cbl_rd_uint(&r, 8, &nint, err, "PREVIOUS_GTIDS interval count") < 0)
				return -1;
			if (nint > cbl_rd_left(&r) / 16)
				return cbl_seterr(err, CBL_ERR_TRUNCATED, cbl_rd_off(&r),
								  "truncated PREVIOUS_GTIDS intervals");
			for (uint64_t k = 0; k < nint; k++)
			{
				uint64_t	a = cbl_le64(r.p),
							b = cbl_le64(r.p + 8);

				r.p += 16;
				if (b == a + 1)
					cbl_buf_printf(out, ":%llu", (unsigned long long) a);
				else
					cbl_buf_printf(out, ":%llu-%llu", (unsigned long long) a,
								   (unsigned long long) (b - 1));
			}
		}
		return 0;
	}
}

/* TRANSACTION_PAYLOAD: TLV header, then the (zstd) compressed events. */
static int
parse_payload(cbl_decoder *d, cbl_event *ev, cbl_rd *r, cbl_error *err)
{
	bool		have_size = false;

	ev->u.payload.compression = 0;
	d->payload_len = 0;
	for (;;)
	{
		uint64_t	type,
					flen,
					v;

		if (cbl_rd_lenenc(r, &type, err, "TRANSACTION_PAYLOAD field type") < 0)
			return -1;
		if (type == 0)
			break;
		if (cbl_rd_lenenc(r, &flen, err, "TRANSACTION_PAYLOAD field length") < 0)
			return -1;
		/* a length-encoded value takes at most 9 bytes (0xfe + 8) */
		if (flen > 9)
		{
			if (cbl_rd_skip(r, flen, err, "TRANSACTION_PAYLOAD field") < 0)
				return -1;
			continue;
		}
		/* the value is itself length-encoded inside its flen bytes */
		{
			cbl_rd		f;

			if (cbl_rd_left(r) < flen)
				return cbl_seterr(err, CBL_ERR_TRUNCATED, cbl_rd_off(r),
								  "truncated TRANSACTION_PAYLOAD field");
			f = *r;
			f.end = r->p + flen;
			if (cbl_rd_lenenc(&f, &v, err, "TRANSACTION_PAYLOAD field value") < 0)
				return -1;
			r->p += flen;
		}
		if (type == 1)
		{
			ev->u.payload.size = v;
			have_size = true;
		}
		else if (type == 2)
			ev->u.payload.compression = v;
		else if (type == 3)
			ev->u.payload.uncompressed_size = v;
	}
	if (have_size && ev->u.payload.size != cbl_rd_left(r))
		return cbl_seterr(err, CBL_ERR_CORRUPT, cbl_rd_off(r),
						  "TRANSACTION_PAYLOAD size %llu but %zu bytes present",
						  (unsigned long long) ev->u.payload.size, cbl_rd_left(r));
	if (ev->u.payload.compression == 0)
		return cbl_zstd_uncompress(d, r->p, cbl_rd_left(r),
								   ev->u.payload.uncompressed_size,
								   cbl_rd_off(r), err);
	if (ev->u.payload.compression == 255)
	{
		size_t		n = cbl_rd_left(r);

		/* no bomb here (n is in the event), but the same limit applies */
		if (n > d->max_payload)
			return cbl_seterr(err, CBL_ERR_LIMIT, cbl_rd_off(r),
							  "TRANSACTION_PAYLOAD of %zu bytes, more than the limit of %zu",
							  n, d->max_payload);
		if (n > d->payload_cap)
		{
			uint8_t    *np = realloc(d->payload, n);

			if (np == NULL)
				return cbl_seterr(err, CBL_ERR_NOMEM, ev->pos, "out of memory");
			d->payload = np;
			d->payload_cap = n;
		}
		if (n > 0)
			memcpy(d->payload, r->p, n);
		d->payload_len = n;
		return 0;
	}
	return cbl_seterr(err, CBL_ERR_UNSUPPORTED, ev->pos,
					  "TRANSACTION_PAYLOAD compression type %llu",
					  (unsigned long long) ev->u.payload.compression);
}

/* Everything that is not a FORMAT_DESCRIPTION, TABLE_MAP or rows event. */
int
cbl_parse_misc_event(cbl_decoder *d, cbl_event *ev, cbl_rd *r, cbl_error *err)
{
	uint64_t	v;
	uint8_t		n;
	const uint8_t *p;

	switch (ev->type)
	{
		case CBL_EV_QUERY:
		case CBL_EV_MARIA_QUERY_COMPRESSED:
			return parse_query(d, ev, r, err);

		case CBL_EV_ROTATE:
			if (d->post_header[CBL_EV_ROTATE] >= 8)
			{
				if (cbl_rd_uint(r, 8, &ev->u.rotate.position, err, "ROTATE position") < 0)
					return -1;
			}
			else
				ev->u.rotate.position = 4;
			ev->u.rotate.file.ptr = (const char *) r->p;
			ev->u.rotate.file.len = (uint32_t) cbl_rd_left(r);
			return 0;

		case CBL_EV_XID:
			if (cbl_rd_uint(r, 8, &ev->u.xid.xid, err, "XID") < 0)
				return -1;
			return 0;

		case CBL_EV_INTVAR:
			if (skip_post_header(d, ev, r, err) < 0 ||
				cbl_rd_u8(r, &ev->u.intvar.kind, err, "INTVAR type") < 0 ||
				cbl_rd_uint(r, 8, &ev->u.intvar.value, err, "INTVAR value") < 0)
				return -1;
			return 0;

		case CBL_EV_RAND:
			if (skip_post_header(d, ev, r, err) < 0 ||
				cbl_rd_uint(r, 8, &ev->u.rand.seed1, err, "RAND seed") < 0 ||
				cbl_rd_uint(r, 8, &ev->u.rand.seed2, err, "RAND seed") < 0)
				return -1;
			return 0;

		case CBL_EV_USER_VAR:
			if (skip_post_header(d, ev, r, err) < 0 ||
				cbl_rd_uint(r, 4, &v, err, "USER_VAR name length") < 0 ||
				cbl_rd_bytes(r, v, &p, err, "USER_VAR name") < 0 ||
				cbl_rd_u8(r, &n, err, "USER_VAR null flag") < 0)
				return -1;
			ev->u.user_var.name.ptr = (const char *) p;
			ev->u.user_var.name.len = (uint32_t) v;
			ev->u.user_var.is_null = n != 0;
			if (!n)
			{
				if (cbl_rd_skip(r, 5, err, "USER_VAR type/charset") < 0 ||
					cbl_rd_uint(r, 4, &v, err, "USER_VAR value length") < 0 ||
					cbl_rd_skip(r, v, err, "USER_VAR value") < 0)
					return -1;
			}
			return 0;

		case CBL_EV_INCIDENT:
			if (cbl_rd_uint(r, 2, &v, err, "INCIDENT code") < 0)
				return -1;
			ev->u.incident.code = (uint16_t) v;
			if (cbl_rd_left(r) > 0)
			{
				if (cbl_rd_u8(r, &n, err, "INCIDENT message") < 0 ||
					cbl_rd_bytes(r, n, &p, err, "INCIDENT message") < 0)
					return -1;
				ev->u.incident.message.ptr = (const char *) p;
				ev->u.incident.message.len = n;
			}
			return 0;

		case CBL_EV_ROWS_QUERY:
			if (cbl_rd_skip(r, 1, err, "ROWS_QUERY length") < 0)
				return -1;
			ev->u.annotate.text.ptr = (const char *) r->p;
			ev->u.annotate.text.len = (uint32_t) cbl_rd_left(r);
			return 0;

		case CBL_EV_MARIA_ANNOTATE_ROWS:
			if (skip_post_header(d, ev, r, err) < 0)
				return -1;
			ev->u.annotate.text.ptr = (const char *) r->p;
			ev->u.annotate.text.len = (uint32_t) cbl_rd_left(r);
			return 0;

		case CBL_EV_HEARTBEAT:
			ev->u.heartbeat.file.ptr = (const char *) r->p;
			ev->u.heartbeat.file.len = (uint32_t) cbl_rd_left(r);
			ev->u.heartbeat.position = ev->next_pos;
			return 0;

		case CBL_EV_HEARTBEAT_V2:
			while (cbl_rd_left(r) > 0)
			{
				uint64_t	type,
							len;

				if (cbl_rd_lenenc(r, &type, err, "HEARTBEAT_V2 field") < 0)
					return -1;
				if (type == 0)
					break;
				if (cbl_rd_lenenc(r, &len, err, "HEARTBEAT_V2 field length") < 0 ||
					cbl_rd_bytes(r, len, &p, err, "HEARTBEAT_V2 field") < 0)
					return -1;
				if (type == 1)
				{
					ev->u.heartbeat.file.ptr = (const char *) p;
					ev->u.heartbeat.file.len = (uint32_t) len;
				}
				else if (type == 2)
				{
					cbl_rd		f;

					cbl_rd_init(&f, p, len, 0);
					if (cbl_rd_lenenc(&f, &ev->u.heartbeat.position, err,
									  "HEARTBEAT_V2 position") < 0)
						return -1;
				}
			}
			return 0;

		case CBL_EV_TRANSACTION_PAYLOAD:
			return parse_payload(d, ev, r, err);

		case CBL_EV_GTID:
		case CBL_EV_ANONYMOUS_GTID:
			return parse_mysql_gtid(d, ev, r, err);

		case CBL_EV_GTID_TAGGED:
			return parse_gtid_tagged(d, ev, r, err);

		case CBL_EV_PREVIOUS_GTIDS:
			return check_previous_gtids(ev, r, err);

		case CBL_EV_MARIA_GTID:
			{
				const uint8_t *g;

				if (cbl_rd_bytes(r, 13, &g, err, "MariaDB GTID") < 0)
					return -1;
				ev->u.gtid.seq_no = cbl_le64(g);
				ev->u.gtid.domain_id = cbl_le32(g + 8);
				ev->u.gtid.flags = g[12];
				ev->u.gtid.standalone = (g[12] & MARIA_FL_STANDALONE) != 0;
				if (g[12] & MARIA_FL_GROUP_COMMIT_ID)
				{
					if (cbl_rd_uint(r, 8, &ev->u.gtid.commit_id, err, "MariaDB GTID commit id") < 0)
						return -1;
				}
				/* XA xid and extra flags follow; nothing we need */
				snprintf(ev->gtid_text, sizeof(ev->gtid_text), "%u-%u-%llu",
						 ev->u.gtid.domain_id, ev->server_id,
						 (unsigned long long) ev->u.gtid.seq_no);
				memcpy(d->gtid, ev->gtid_text, sizeof(d->gtid));
				return 0;
			}

		case CBL_EV_MARIA_GTID_LIST:
			if (cbl_rd_uint(r, 4, &v, err, "GTID_LIST count") < 0)
				return -1;
			ev->u.gtid_list.count = (uint32_t) (v & 0x0fffffff);
			if ((uint64_t) ev->u.gtid_list.count * 16 > cbl_rd_left(r))
				return cbl_seterr(err, CBL_ERR_TRUNCATED, cbl_rd_off(r),
								  "truncated GTID_LIST: %u entries, %zu bytes",
								  ev->u.gtid_list.count, cbl_rd_left(r));
			ev->u.gtid_list.data = r->p;
			ev->u.gtid_list.len = cbl_rd_left(r);
			return 0;

		case CBL_EV_MARIA_BINLOG_CHECKPOINT:
			if (cbl_rd_uint(r, 4, &v, err, "BINLOG_CHECKPOINT name length") < 0 ||
				cbl_rd_bytes(r, v, &p, err, "BINLOG_CHECKPOINT name") < 0)
				return -1;
			ev->u.checkpoint.file.ptr = (const char *) p;
			ev->u.checkpoint.file.len = (uint32_t) v;
			return 0;

		case CBL_EV_MARIA_START_ENCRYPTION:
			if (cbl_rd_u8(r, &ev->u.encryption.scheme, err, "START_ENCRYPTION") < 0 ||
				cbl_rd_uint(r, 4, &v, err, "START_ENCRYPTION key version") < 0 ||
				cbl_rd_skip(r, 12, err, "START_ENCRYPTION nonce") < 0)
				return -1;
			ev->u.encryption.key_version = (uint32_t) v;
			/* in a file everything after this is encrypted */
			if (!ev->in_payload && d->file_mode)
				d->encrypted = true;
			return 0;

		case CBL_EV_STOP:
		case CBL_EV_IGNORABLE:
			return 0;

		default:
			/* LOAD family, XA_PREPARE, VIEW_CHANGE, unknown: not decoded */
			ev->skipped = true;
			return 0;
	}
}
