/*-------------------------------------------------------------------------
 *
 * jsonout.c
 *	  The JSON-lines output of chameleon_binlog (SPEC section 6): one object
 *	  per event ({"type", "pos", "next_pos", ...}) and one per row change
 *	  ({"op", "schema", "table", "gtid", "before", "after"}), with column
 *	  values as the PostgreSQL text they would be stored as.
 *
 * Columns absent from an image (MINIMAL/NOBLOB) are left out of the
 * object; NULL and zero dates (which are stored as NULL) are JSON null.  A
 * value that cannot be converted (text invalid in its charset) is null
 * too, and the row gets an "errors" list naming the column, mirroring what
 * the extension does with discarded rows.
 *
 *-------------------------------------------------------------------------
 */
#include "cbl_int.h"

#include <stdio.h>

/* Name of an event type. */
const char *
cbl_event_type_name(int type)
{
	switch (type)
	{
		case CBL_EV_START_V3:
			return "START_V3";
		case CBL_EV_QUERY:
			return "QUERY";
		case CBL_EV_STOP:
			return "STOP";
		case CBL_EV_ROTATE:
			return "ROTATE";
		case CBL_EV_INTVAR:
			return "INTVAR";
		case CBL_EV_LOAD:
			return "LOAD";
		case CBL_EV_SLAVE:
			return "SLAVE";
		case CBL_EV_CREATE_FILE:
			return "CREATE_FILE";
		case CBL_EV_APPEND_BLOCK:
			return "APPEND_BLOCK";
		case CBL_EV_EXEC_LOAD:
			return "EXEC_LOAD";
		case CBL_EV_DELETE_FILE:
			return "DELETE_FILE";
		case CBL_EV_NEW_LOAD:
			return "NEW_LOAD";
		case CBL_EV_RAND:
			return "RAND";
		case CBL_EV_USER_VAR:
			return "USER_VAR";
		case CBL_EV_FORMAT_DESCRIPTION:
			return "FORMAT_DESCRIPTION";
		case CBL_EV_XID:
			return "XID";
		case CBL_EV_BEGIN_LOAD_QUERY:
			return "BEGIN_LOAD_QUERY";
		case CBL_EV_EXECUTE_LOAD_QUERY:
			return "EXECUTE_LOAD_QUERY";
		case CBL_EV_TABLE_MAP:
			return "TABLE_MAP";
		case CBL_EV_PRE_GA_WRITE_ROWS:
			return "PRE_GA_WRITE_ROWS";
		case CBL_EV_PRE_GA_UPDATE_ROWS:
			return "PRE_GA_UPDATE_ROWS";
		case CBL_EV_PRE_GA_DELETE_ROWS:
			return "PRE_GA_DELETE_ROWS";
		case CBL_EV_WRITE_ROWS_V1:
			return "WRITE_ROWS_V1";
		case CBL_EV_UPDATE_ROWS_V1:
			return "UPDATE_ROWS_V1";
		case CBL_EV_DELETE_ROWS_V1:
			return "DELETE_ROWS_V1";
		case CBL_EV_INCIDENT:
			return "INCIDENT";
		case CBL_EV_HEARTBEAT:
			return "HEARTBEAT";
		case CBL_EV_IGNORABLE:
			return "IGNORABLE";
		case CBL_EV_ROWS_QUERY:
			return "ROWS_QUERY";
		case CBL_EV_WRITE_ROWS:
			return "WRITE_ROWS_V2";
		case CBL_EV_UPDATE_ROWS:
			return "UPDATE_ROWS_V2";
		case CBL_EV_DELETE_ROWS:
			return "DELETE_ROWS_V2";
		case CBL_EV_GTID:
			return "GTID";
		case CBL_EV_ANONYMOUS_GTID:
			return "ANONYMOUS_GTID";
		case CBL_EV_PREVIOUS_GTIDS:
			return "PREVIOUS_GTIDS";
		case CBL_EV_TRANSACTION_CONTEXT:
			return "TRANSACTION_CONTEXT";
		case CBL_EV_VIEW_CHANGE:
			return "VIEW_CHANGE";
		case CBL_EV_XA_PREPARE:
			return "XA_PREPARE";
		case CBL_EV_PARTIAL_UPDATE_ROWS:
			return "PARTIAL_UPDATE_ROWS";
		case CBL_EV_TRANSACTION_PAYLOAD:
			return "TRANSACTION_PAYLOAD";
		case CBL_EV_HEARTBEAT_V2:
			return "HEARTBEAT_V2";
		case CBL_EV_GTID_TAGGED:
			return "GTID_TAGGED";
		case CBL_EV_MARIA_ANNOTATE_ROWS:
			return "ANNOTATE_ROWS";
		case CBL_EV_MARIA_BINLOG_CHECKPOINT:
			return "BINLOG_CHECKPOINT";
		case CBL_EV_MARIA_GTID:
			return "MARIADB_GTID";
		case CBL_EV_MARIA_GTID_LIST:
			return "GTID_LIST";
		case CBL_EV_MARIA_START_ENCRYPTION:
			return "START_ENCRYPTION";
		case CBL_EV_MARIA_QUERY_COMPRESSED:
			return "QUERY_COMPRESSED";
		case CBL_EV_MARIA_WRITE_ROWS_COMPRESSED_V1:
			return "WRITE_ROWS_COMPRESSED_V1";
		case CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED_V1:
			return "UPDATE_ROWS_COMPRESSED_V1";
		case CBL_EV_MARIA_DELETE_ROWS_COMPRESSED_V1:
			return "DELETE_ROWS_COMPRESSED_V1";
		case CBL_EV_MARIA_WRITE_ROWS_COMPRESSED:
			return "WRITE_ROWS_COMPRESSED";
		case CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED:
			return "UPDATE_ROWS_COMPRESSED";
		case CBL_EV_MARIA_DELETE_ROWS_COMPRESSED:
			return "DELETE_ROWS_COMPRESSED";
		case CBL_EV_ENCRYPTED:
			return "ENCRYPTED";
		default:
			return "UNKNOWN";
	}
}

/*
 * Append a JSON string of bytes that should be UTF-8 (names, query text):
 * invalid bytes become U+FFFD so the output line stays valid JSON.
 */
static void
lossy_string(cbl_buf *out, const char *p, size_t len)
{
	cbl_error	err;
	cbl_buf		tmp;
	size_t		i;

	/* fast path: plain ASCII needing no escapes (column names, mostly) */
	for (i = 0; i < len; i++)
	{
		uint8_t		c = (uint8_t) p[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			break;
	}
	if (i == len)
	{
		cbl_buf_putc(out, '"');
		cbl_buf_append(out, p, len);
		cbl_buf_putc(out, '"');
		return;
	}

	cbl_buf_init(&tmp);
	if (cbl_charset_to_utf8(CBL_CHARSET_UTF8MB4, (const uint8_t *) p, len, &tmp, &err) == 0)
	{
		cbl_json_string(out, tmp.data ? tmp.data : "", tmp.len);
		cbl_buf_free(&tmp);
		return;
	}
	cbl_buf_free(&tmp);
	cbl_buf_putc(out, '"');
	for (i = 0; i < len; i++)
	{
		uint8_t		c = (uint8_t) p[i];

		if (c < 0x80)
			cbl_json_escape(out, &c, 1);
		else
			cbl_buf_puts(out, "\\ufffd");
	}
	cbl_buf_putc(out, '"');
}

/* Append ,"key":"value" for a cbl_str. */
static void
put_str_field(cbl_buf *out, const char *key, cbl_str s)
{
	cbl_buf_append(out, ",\"", 2);
	cbl_buf_puts(out, key);
	cbl_buf_append(out, "\":", 2);
	lossy_string(out, s.ptr ? s.ptr : "", s.len);
}

/* Append one event as a JSON object. */
int
cbl_json_event(const cbl_event *ev, cbl_buf *out, cbl_error *err)
{
	cbl_buf_puts(out, "{\"type\":\"");
	cbl_buf_puts(out, cbl_event_type_name(ev->type));
	cbl_buf_puts(out, "\",\"pos\":");
	cbl_buf_u64(out, ev->pos);
	cbl_buf_puts(out, ",\"next_pos\":");
	cbl_buf_u64(out, ev->next_pos);
	if (ev->in_payload)
		cbl_buf_puts(out, ",\"in_payload\":true");
	if (ev->skipped)
		cbl_buf_puts(out, ",\"skipped\":true");

	switch (ev->type)
	{
		case CBL_EV_QUERY:
		case CBL_EV_MARIA_QUERY_COMPRESSED:
			put_str_field(out, "schema", ev->u.query.db);
			put_str_field(out, "query", ev->u.query.query);
			if (ev->u.query.error_code)
				cbl_buf_printf(out, ",\"error_code\":%u", ev->u.query.error_code);
			if (ev->u.query.has_xid)
			{
				cbl_buf_puts(out, ",\"xid\":");
				cbl_buf_u64(out, ev->u.query.xid);
			}
			break;
		case CBL_EV_ROTATE:
			put_str_field(out, "file", ev->u.rotate.file);
			cbl_buf_puts(out, ",\"position\":");
			cbl_buf_u64(out, ev->u.rotate.position);
			break;
		case CBL_EV_FORMAT_DESCRIPTION:
		case CBL_EV_START_V3:
			cbl_buf_printf(out, ",\"binlog_version\":%u,\"server_version\":",
						   ev->u.fde.binlog_version);
			lossy_string(out, ev->u.fde.server_version, strlen(ev->u.fde.server_version));
			cbl_buf_printf(out, ",\"checksum\":\"%s\"",
						   ev->u.fde.checksum_alg == 1 ? "crc32" : "none");
			break;
		case CBL_EV_XID:
			cbl_buf_puts(out, ",\"xid\":");
			cbl_buf_u64(out, ev->u.xid.xid);
			break;
		case CBL_EV_GTID:
		case CBL_EV_GTID_TAGGED:
		case CBL_EV_MARIA_GTID:
			cbl_buf_puts(out, ",\"gtid\":");
			cbl_json_string(out, ev->gtid_text, strlen(ev->gtid_text));
			if (ev->type == CBL_EV_MARIA_GTID && ev->u.gtid.standalone)
				cbl_buf_puts(out, ",\"standalone\":true");
			break;
		case CBL_EV_ANONYMOUS_GTID:
			cbl_buf_puts(out, ",\"gtid\":null");
			break;
		case CBL_EV_MARIA_GTID_LIST:
		case CBL_EV_PREVIOUS_GTIDS:
			{
				size_t		mark = out->len;

				cbl_buf_puts(out, ",\"gtids\":\"");
				if (cbl_gtid_list_text(ev, out, err) < 0)
				{
					out->len = mark;
					return -1;
				}
				cbl_buf_putc(out, '"');
			}
			break;
		case CBL_EV_TABLE_MAP:
			put_str_field(out, "schema", ev->u.table_map->schema);
			put_str_field(out, "table", ev->u.table_map->table);
			cbl_buf_puts(out, ",\"table_id\":");
			cbl_buf_u64(out, ev->u.table_map->table_id);
			cbl_buf_printf(out, ",\"columns\":%u", ev->u.table_map->ncols);
			break;
		case CBL_EV_MARIA_BINLOG_CHECKPOINT:
			put_str_field(out, "file", ev->u.checkpoint.file);
			break;
		case CBL_EV_MARIA_ANNOTATE_ROWS:
		case CBL_EV_ROWS_QUERY:
			put_str_field(out, "query", ev->u.annotate.text);
			break;
		case CBL_EV_TRANSACTION_PAYLOAD:
			cbl_buf_printf(out, ",\"compression\":\"%s\",\"size\":%llu,\"uncompressed_size\":%llu",
						   ev->u.payload.compression == 0 ? "zstd" : "none",
						   (unsigned long long) ev->u.payload.size,
						   (unsigned long long) ev->u.payload.uncompressed_size);
			break;
		case CBL_EV_HEARTBEAT:
		case CBL_EV_HEARTBEAT_V2:
			put_str_field(out, "file", ev->u.heartbeat.file);
			cbl_buf_puts(out, ",\"position\":");
			cbl_buf_u64(out, ev->u.heartbeat.position);
			break;
		case CBL_EV_INCIDENT:
			cbl_buf_printf(out, ",\"code\":%u", ev->u.incident.code);
			put_str_field(out, "message", ev->u.incident.message);
			break;
		case CBL_EV_MARIA_START_ENCRYPTION:
			cbl_buf_printf(out, ",\"scheme\":%u,\"key_version\":%u",
						   ev->u.encryption.scheme, ev->u.encryption.key_version);
			break;
		default:
			if (cbl_event_is_rows(ev->type))
			{
				if (ev->u.rows.table)
				{
					put_str_field(out, "schema", ev->u.rows.table->schema);
					put_str_field(out, "table", ev->u.rows.table->table);
				}
				cbl_buf_puts(out, ",\"table_id\":");
				cbl_buf_u64(out, ev->u.rows.table_id);
			}
			break;
	}
	cbl_buf_putc(out, '}');
	return out->oom ? cbl_seterr(err, CBL_ERR_NOMEM, ev->pos, "out of memory") : 0;
}

/* Can this kind's text be written between quotes without escaping? */
static bool
plain_kind(uint8_t kind)
{
	switch (kind)
	{
		case CBL_V_INT:
		case CBL_V_UINT:
		case CBL_V_FLOAT:
		case CBL_V_DOUBLE:
		case CBL_V_DECIMAL:
		case CBL_V_BIT:
		case CBL_V_YEAR:
		case CBL_V_DATE:
		case CBL_V_DATETIME:
		case CBL_V_TIMESTAMP:
		case CBL_V_TIME:
			return true;
		default:
			return false;
	}
}

/* True when p holds only printable ASCII other than '"' and '\\'. */
static bool
plain_ascii(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
	{
		uint8_t		c = p[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* Append one image as a JSON object; conversion errors go to errs. */
static void
put_image(cbl_buf *out, const cbl_table *t, const cbl_value *vals,
		  cbl_buf *scratch, cbl_buf *errs, cbl_error *err)
{
	bool		first = true;

	cbl_buf_putc(out, '{');
	for (uint32_t i = 0; i < t->ncols; i++)
	{
		const cbl_value *v = &vals[i];
		const cbl_column *c = &t->cols[i];

		if (v->kind == CBL_V_ABSENT)
			continue;
		if (!first)
			cbl_buf_putc(out, ',');
		first = false;
		if (c->name.len > 0)
			lossy_string(out, c->name.ptr, c->name.len);
		else
		{
			/* no column names in the binlog: @1, @2... as mysqlbinlog does */
			cbl_buf_append(out, "\"@", 2);
			cbl_buf_u64(out, i + 1);
			cbl_buf_putc(out, '"');
		}
		cbl_buf_putc(out, ':');
		if (v->kind == CBL_V_NULL || (v->flags & CBL_VF_ZERO_DATE))
		{
			cbl_buf_puts(out, "null");
			continue;
		}
		if (v->kind == CBL_V_STRING && plain_ascii(v->v.s.p, v->v.s.len) &&
			cbl_charset_ascii_compatible(c->charset))
		{
			/* hot path: printable ASCII text is its own UTF-8 and JSON */
			cbl_buf_putc(out, '"');
			cbl_buf_append(out, v->v.s.p, v->v.s.len);
			cbl_buf_putc(out, '"');
			continue;
		}
		if (plain_kind(v->kind))
		{
			size_t		mark = out->len;

			cbl_buf_putc(out, '"');
			if (cbl_value_to_text(v, c, out, CBL_FMT_BYTEA_HEX | CBL_FMT_GEOM_HEX, err) < 0)
				goto bad;
			cbl_buf_putc(out, '"');
			continue;
	bad:
			out->len = mark;
		}
		else
		{
			scratch->len = 0;
			if (cbl_value_to_text(v, c, scratch, CBL_FMT_BYTEA_HEX | CBL_FMT_GEOM_HEX, err) == 0)
			{
				cbl_buf_putc(out, '"');
				cbl_json_escape(out, (const uint8_t *) scratch->data, scratch->len);
				cbl_buf_putc(out, '"');
				continue;
			}
		}
		/* the value could not be converted: null plus an error entry */
		cbl_buf_puts(out, "null");
		if (errs->len > 0)
			cbl_buf_putc(errs, ',');
		cbl_buf_puts(errs, "{\"column\":");
		if (c->name.len > 0)
			lossy_string(errs, c->name.ptr, c->name.len);
		else
			cbl_buf_printf(errs, "\"@%u\"", i + 1);
		cbl_buf_puts(errs, ",\"message\":");
		lossy_string(errs, err->msg, strlen(err->msg));
		cbl_buf_putc(errs, '}');
	}
	cbl_buf_putc(out, '}');
}

/* Append one row change as a JSON object. */
int
cbl_json_row(const cbl_event *ev, const cbl_row *row, const char *gtid,
			 cbl_buf *out, cbl_buf *scratch, cbl_error *err)
{
	const cbl_table *t = ev->u.rows.table;
	cbl_buf		errs;

	cbl_buf_init(&errs);
	cbl_buf_puts(out, "{\"op\":\"");
	cbl_buf_puts(out, row->op == CBL_OP_INSERT ? "insert" :
				 row->op == CBL_OP_UPDATE ? "update" : "delete");
	cbl_buf_putc(out, '"');
	put_str_field(out, "schema", t->schema);
	put_str_field(out, "table", t->table);
	cbl_buf_puts(out, ",\"gtid\":");
	if (gtid && gtid[0])
		cbl_json_string(out, gtid, strlen(gtid));
	else
		cbl_buf_puts(out, "null");
	cbl_buf_puts(out, ",\"pos\":");
	cbl_buf_u64(out, ev->pos);
	cbl_buf_puts(out, ",\"before\":");
	if (row->before)
		put_image(out, t, row->before, scratch, &errs, err);
	else
		cbl_buf_puts(out, "null");
	cbl_buf_puts(out, ",\"after\":");
	if (row->after)
		put_image(out, t, row->after, scratch, &errs, err);
	else
		cbl_buf_puts(out, "null");
	if (errs.len > 0)
	{
		cbl_buf_puts(out, ",\"errors\":[");
		cbl_buf_append(out, errs.data, errs.len);
		cbl_buf_putc(out, ']');
	}
	cbl_buf_free(&errs);
	cbl_buf_putc(out, '}');
	return (out->oom || scratch->oom) ?
		cbl_seterr(err, CBL_ERR_NOMEM, ev->pos, "out of memory") : 0;
}
