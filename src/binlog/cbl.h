/*-------------------------------------------------------------------------
 *
 * cbl.h
 *	  Public interface of the chameleon binlog decoder library (cbl_*).
 *
 * This is the one header the extension, the CLI and the network client
 * include.  The library is plain C11 with no PostgreSQL headers and no
 * global mutable state: everything lives in a cbl_decoder the caller owns.
 * Errors are returned as a cbl_error (message + byte offset); nothing here
 * aborts or exits.
 *
 * Decoding happens in two steps so that the binlog path and the initial
 * copy path can share one set of conversion rules:
 *	 1. cbl_decoder_* turns raw event bytes into events, and row events
 *		into arrays of typed cbl_value (no per-value allocation: values point
 *		into the event buffer or a per-row scratch arena);
 *	 2. cbl_value_to_text() formats one typed value into the PostgreSQL
 *		text form of SPEC section 5, given its cbl_column (MySQL type code +
 *		metadata).  The copy path can build a cbl_value itself (for example
 *		from MYSQL_BIND results) and call the same function.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CBL_H
#define CBL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */
typedef enum cbl_errcode
{
	CBL_OK = 0,
	CBL_ERR_TRUNCATED,			/* input ends inside a structure */
	CBL_ERR_CORRUPT,			/* impossible value in input */
	CBL_ERR_CHECKSUM,			/* CRC32 mismatch */
	CBL_ERR_UNSUPPORTED,		/* valid but not handled (old DECIMAL...) */
	CBL_ERR_NOMEM,
	CBL_ERR_NO_TABLE_MAP,		/* rows event for an unknown table id */
	CBL_ERR_ENCODING,			/* text not valid in its charset */
	CBL_ERR_LIMIT				/* larger than a decoder limit allows */
} cbl_errcode;

typedef struct cbl_error
{
	cbl_errcode code;
	uint64_t	offset;			/* absolute byte offset (file or log pos) */
	char		msg[256];
} cbl_error;

/* ---------------------------------------------------------------------
 * Growable byte buffer (used for formatted output)
 * ---------------------------------------------------------------------
 */
typedef struct cbl_buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;			/* sticky: an allocation failed */
} cbl_buf;

extern void cbl_buf_init(cbl_buf *b);
extern void cbl_buf_free(cbl_buf *b);
extern bool cbl_buf_reserve(cbl_buf *b, size_t extra);
extern void cbl_buf_append(cbl_buf *b, const void *p, size_t n);
extern void cbl_buf_putc(cbl_buf *b, char c);
extern void cbl_buf_puts(cbl_buf *b, const char *s);
extern void cbl_buf_printf(cbl_buf *b, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------------
 * Event and column type codes
 * ---------------------------------------------------------------------
 */
enum
{
	CBL_EV_UNKNOWN = 0,
	CBL_EV_START_V3 = 1,
	CBL_EV_QUERY = 2,
	CBL_EV_STOP = 3,
	CBL_EV_ROTATE = 4,
	CBL_EV_INTVAR = 5,
	CBL_EV_LOAD = 6,
	CBL_EV_SLAVE = 7,
	CBL_EV_CREATE_FILE = 8,
	CBL_EV_APPEND_BLOCK = 9,
	CBL_EV_EXEC_LOAD = 10,
	CBL_EV_DELETE_FILE = 11,
	CBL_EV_NEW_LOAD = 12,
	CBL_EV_RAND = 13,
	CBL_EV_USER_VAR = 14,
	CBL_EV_FORMAT_DESCRIPTION = 15,
	CBL_EV_XID = 16,
	CBL_EV_BEGIN_LOAD_QUERY = 17,
	CBL_EV_EXECUTE_LOAD_QUERY = 18,
	CBL_EV_TABLE_MAP = 19,
	CBL_EV_PRE_GA_WRITE_ROWS = 20,
	CBL_EV_PRE_GA_UPDATE_ROWS = 21,
	CBL_EV_PRE_GA_DELETE_ROWS = 22,
	CBL_EV_WRITE_ROWS_V1 = 23,
	CBL_EV_UPDATE_ROWS_V1 = 24,
	CBL_EV_DELETE_ROWS_V1 = 25,
	CBL_EV_INCIDENT = 26,
	CBL_EV_HEARTBEAT = 27,
	CBL_EV_IGNORABLE = 28,
	CBL_EV_ROWS_QUERY = 29,
	CBL_EV_WRITE_ROWS = 30,
	CBL_EV_UPDATE_ROWS = 31,
	CBL_EV_DELETE_ROWS = 32,
	CBL_EV_GTID = 33,
	CBL_EV_ANONYMOUS_GTID = 34,
	CBL_EV_PREVIOUS_GTIDS = 35,
	CBL_EV_TRANSACTION_CONTEXT = 36,
	CBL_EV_VIEW_CHANGE = 37,
	CBL_EV_XA_PREPARE = 38,
	CBL_EV_PARTIAL_UPDATE_ROWS = 39,
	CBL_EV_TRANSACTION_PAYLOAD = 40,
	CBL_EV_HEARTBEAT_V2 = 41,
	CBL_EV_GTID_TAGGED = 42,
	CBL_EV_MARIA_ANNOTATE_ROWS = 160,
	CBL_EV_MARIA_BINLOG_CHECKPOINT = 161,
	CBL_EV_MARIA_GTID = 162,
	CBL_EV_MARIA_GTID_LIST = 163,
	CBL_EV_MARIA_START_ENCRYPTION = 164,
	CBL_EV_MARIA_QUERY_COMPRESSED = 165,
	CBL_EV_MARIA_WRITE_ROWS_COMPRESSED_V1 = 166,
	CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED_V1 = 167,
	CBL_EV_MARIA_DELETE_ROWS_COMPRESSED_V1 = 168,
	CBL_EV_MARIA_WRITE_ROWS_COMPRESSED = 169,
	CBL_EV_MARIA_UPDATE_ROWS_COMPRESSED = 170,
	CBL_EV_MARIA_DELETE_ROWS_COMPRESSED = 171,
	/* pseudo type: an event we could frame but not read (encrypted file) */
	CBL_EV_ENCRYPTED = 256
};

/* MySQL column type codes as they appear in TABLE_MAP */
enum
{
	CBL_T_DECIMAL = 0,
	CBL_T_TINY = 1,
	CBL_T_SHORT = 2,
	CBL_T_LONG = 3,
	CBL_T_FLOAT = 4,
	CBL_T_DOUBLE = 5,
	CBL_T_NULL = 6,
	CBL_T_TIMESTAMP = 7,
	CBL_T_LONGLONG = 8,
	CBL_T_INT24 = 9,
	CBL_T_DATE = 10,
	CBL_T_TIME = 11,
	CBL_T_DATETIME = 12,
	CBL_T_YEAR = 13,
	CBL_T_NEWDATE = 14,
	CBL_T_VARCHAR = 15,
	CBL_T_BIT = 16,
	CBL_T_TIMESTAMP2 = 17,
	CBL_T_DATETIME2 = 18,
	CBL_T_TIME2 = 19,
	CBL_T_TYPED_ARRAY = 20,
	CBL_T_VECTOR = 242,
	CBL_T_JSON = 245,
	CBL_T_NEWDECIMAL = 246,
	CBL_T_ENUM = 247,
	CBL_T_SET = 248,
	CBL_T_TINY_BLOB = 249,
	CBL_T_MEDIUM_BLOB = 250,
	CBL_T_LONG_BLOB = 251,
	CBL_T_BLOB = 252,
	CBL_T_VAR_STRING = 253,
	CBL_T_STRING = 254,
	CBL_T_GEOMETRY = 255
};

/* A few charset (collation) numbers worth naming */
#define CBL_CHARSET_UNKNOWN 0
#define CBL_CHARSET_BINARY	63
#define CBL_CHARSET_UTF8MB4 45

/* ---------------------------------------------------------------------
 * Table maps and column metadata
 * ---------------------------------------------------------------------
 */
typedef struct cbl_str
{
	const char *ptr;
	uint32_t	len;
} cbl_str;

typedef struct cbl_column
{
	uint8_t		type;			/* effective type: STRING resolved to ENUM/SET */
	uint8_t		binlog_type;	/* type byte as written in the TABLE_MAP */
	uint16_t	meta;			/* raw metadata word */
	uint32_t	max_len;		/* CHAR/VARCHAR/BINARY max length in bytes */
	uint8_t		len_bytes;		/* BLOB/JSON/GEOMETRY length prefix, ENUM/SET pack */
	uint8_t		fsp;			/* fractional digits of TIME2/DATETIME2/TIMESTAMP2 */
	uint8_t		precision;		/* NEWDECIMAL */
	uint8_t		scale;
	uint16_t	bits;			/* BIT(n) */
	bool		nullable;
	bool		is_unsigned;	/* from SIGNEDNESS metadata or the caller */
	bool		is_visible;
	bool		is_pk;
	uint32_t	charset;		/* collation id; 0 = unknown */
	uint32_t	geometry_type;
	uint32_t	vector_dim;
	cbl_str		name;			/* empty when unknown: print @N */
	uint32_t	nlabels;		/* ENUM / SET labels */
	const cbl_str *labels;
} cbl_column;

/* metadata presence bits in cbl_table.has_meta */
#define CBL_META_SIGNEDNESS		0x0001
#define CBL_META_CHARSET		0x0002
#define CBL_META_NAMES			0x0004
#define CBL_META_ENUM_LABELS	0x0008
#define CBL_META_SET_LABELS		0x0010
#define CBL_META_GEOMETRY		0x0020
#define CBL_META_PK				0x0040
#define CBL_META_VISIBILITY		0x0080

typedef struct cbl_table
{
	uint64_t	table_id;
	uint16_t	flags;
	cbl_str		schema;
	cbl_str		table;
	uint32_t	ncols;
	uint32_t	has_meta;		/* CBL_META_* found in the event */
	cbl_column *cols;
	void	   *priv;			/* library-owned storage, do not touch */
} cbl_table;

/*
 * Hook called after every TABLE_MAP is parsed, before any row of that table
 * is decoded.  binlog_row_metadata=MINIMAL/NO_LOG leaves names, charsets,
 * signedness and ENUM/SET labels out of the binlog; the reader worker knows
 * them from information_schema and fills them in here.  Any pointer stored
 * into a column (name, labels) must stay valid as long as the decoder may
 * use this table map (until the next statement's TABLE_MAP at least), so
 * point at memory the caller keeps per table.  Return 0, or -1 with err set
 * to stop decoding.
 */
typedef int (*cbl_tablemap_hook) (void *arg, cbl_table *table, cbl_error *err);

/* ---------------------------------------------------------------------
 * Typed values
 * ---------------------------------------------------------------------
 */
typedef enum cbl_vkind
{
	CBL_V_ABSENT = 0,			/* column not in this image (MINIMAL/NOBLOB) */
	CBL_V_NULL,
	CBL_V_INT,					/* v.i */
	CBL_V_UINT,					/* v.u */
	CBL_V_FLOAT,				/* v.f */
	CBL_V_DOUBLE,				/* v.d */
	CBL_V_DECIMAL,				/* v.s = packed binary decimal (precision/scale in
								 * column) */
	CBL_V_DECIMAL_TEXT,			/* v.s = decimal already as text */
	CBL_V_BIT,					/* v.u, column bits = width */
	CBL_V_YEAR,					/* v.i (0 or 1901..2155) */
	CBL_V_DATE,					/* v.t */
	CBL_V_DATETIME,				/* v.t */
	CBL_V_TIMESTAMP,			/* v.t.epoch + v.t.usec: an instant */
	CBL_V_TIME,					/* v.t (hour may exceed 24; neg) */
	CBL_V_STRING,				/* v.s bytes in column charset */
	CBL_V_BYTES,				/* v.s raw bytes (binary strings, blobs) */
	CBL_V_ENUM,					/* v.u = 1-based index, 0 = '' */
	CBL_V_SET,					/* v.u = bit mask */
	CBL_V_JSON_BINARY,			/* v.s = MySQL binary JSON */
	CBL_V_JSON_TEXT,			/* v.s = JSON text (MariaDB, partial updates) */
	CBL_V_GEOMETRY,				/* v.s = 4-byte SRID + WKB */
	CBL_V_VECTOR				/* v.s = little-endian float32 array */
} cbl_vkind;

/* value flags */
#define CBL_VF_ZERO_DATE	0x01	/* 0000-00-00 or a zero month/day: store NULL */
#define CBL_VF_PAD_ZERO		0x02	/* BINARY(n): pad v.s with zero bytes to n */
#define CBL_VF_PARTIAL_JSON 0x04	/* partial JSON whose before image was absent */

typedef struct cbl_temporal
{
	int64_t		epoch;			/* TIMESTAMP only: seconds since 1970 UTC */
	uint32_t	usec;
	uint16_t	year;
	uint8_t		month;
	uint8_t		day;
	uint32_t	hour;			/* TIME may exceed 24 (838 max) */
	uint8_t		minute;
	uint8_t		second;
	bool		neg;			/* TIME only */
} cbl_temporal;

typedef struct cbl_value
{
	uint8_t		kind;			/* cbl_vkind */
	uint8_t		flags;			/* CBL_VF_* */
	uint8_t		fsp;			/* fractional digits to print (temporal) */
	union
	{
		int64_t		i;
		uint64_t	u;
		float		f;
		double		d;
		struct
		{
			const uint8_t *p;
			size_t		len;
		}			s;
		cbl_temporal t;
	}			v;
} cbl_value;

/* cbl_value_to_text() flags */
#define CBL_FMT_BYTEA_HEX	0x01	/* bytea as \x hex (else raw bytes) */
#define CBL_FMT_GEOM_HEX	0x02	/* geometry as hex EWKB (else raw bytes) */
#define CBL_FMT_GEOM_SRID	0x04	/* geometry as "SRID=n;<WKB hex>", the
									 * text PostGIS's geometry input reads
									 * (else raw bytes) */

/*
 * Append the PostgreSQL text form of a value to out.  Returns 0, or -1 with
 * err set (e.g. CBL_ERR_ENCODING for text that is not valid in its charset).
 * ABSENT and NULL append nothing (the caller decides how to show them).
 */
extern int	cbl_value_to_text(const cbl_value *v, const cbl_column *col,
							  cbl_buf *out, unsigned flags, cbl_error *err);

/* True when the value's PostgreSQL type is bytea (raw bytes, not text). */
extern bool cbl_value_is_bytea(const cbl_value *v, unsigned flags);

/* ---------------------------------------------------------------------
 * Geometry (wkb.c)
 *
 * MySQL stores a geometry as a 4-byte little-endian SRID followed by OGC
 * WKB.  With CBL_FMT_GEOM_HEX or CBL_FMT_GEOM_SRID, cbl_value_to_text()
 * checks the whole WKB first and fails (CBL_ERR_TRUNCATED, CBL_ERR_CORRUPT
 * or CBL_ERR_LIMIT) on a malformed one, so that nothing malformed reaches
 * PostGIS; as bytea (no flag) the bytes are kept as they are.
 * ---------------------------------------------------------------------
 */
#define CBL_WKB_MAX_DEPTH	64	/* geometry collections nested at most */

/*
 * Checks a MySQL geometry value (SRID + WKB) of len bytes: 0 with *srid and
 * *type (the outer WKB type, 1..7; either may be NULL), or -1 with err (its
 * offset counts from the value's first byte).
 */
extern int	cbl_geometry_check(const uint8_t *p, size_t len, uint32_t *srid,
							   uint32_t *type, cbl_error *err);

/* Checks WKB alone (no SRID), as cbl_geometry_check() does. */
extern int	cbl_wkb_check(const uint8_t *p, size_t len, uint32_t *type,
						  cbl_error *err);

/* The OGC name of WKB type 1..7 ("Point"...); "Geometry" for 0. */
extern const char *cbl_wkb_type_name(uint32_t type);

/*
 * Decode one cell of a row image.  p/len: bytes from the cell start to the
 * end of the image; *used receives the number of bytes consumed.  Exposed
 * for tests and for callers decoding packed values themselves.
 */
extern int	cbl_decode_cell(const cbl_column *col, const uint8_t *p, size_t len,
							cbl_value *out, size_t *used, cbl_error *err);

/* Length in bytes of a packed DECIMAL(precision, scale), or -1. */
extern int	cbl_decimal_bin_size(int precision, int scale);

/* Append a packed binary DECIMAL as exact text; -1 on bad input. */
extern int	cbl_decimal_to_text(const uint8_t *p, size_t len, int precision,
								int scale, cbl_buf *out);

/* Append a double / float as shortest text that reads back to the same bits */
extern void cbl_format_double(double d, cbl_buf *out);
extern void cbl_format_float(float f, cbl_buf *out);

/*
 * Append MySQL binary JSON as JSON text.  Returns 0 or -1 with err set.
 */
extern int	cbl_json_binary_to_text(const uint8_t *p, size_t len, cbl_buf *out,
									cbl_error *err);

/*
 * Apply a PARTIAL_UPDATE_ROWS JSON diff (Json_diff_vector binary form) to a
 * binary JSON document and append the resulting JSON text.
 */
extern int	cbl_json_apply_diff(const uint8_t *doc, size_t doclen,
								const uint8_t *diff, size_t difflen,
								cbl_buf *out, cbl_error *err);

/*
 * Convert text in MySQL charset (collation id) cs to UTF-8, removing NUL
 * characters.  Unknown charsets are validated as UTF-8.  Returns 0, or -1
 * (CBL_ERR_ENCODING) on invalid input.
 */
extern int	cbl_charset_to_utf8(uint32_t cs, const uint8_t *p, size_t len,
								cbl_buf *out, cbl_error *err);

/* Name of a charset family for a collation id ("utf8mb4", "latin1", ...) */
extern const char *cbl_charset_name(uint32_t cs);

/* ---------------------------------------------------------------------
 * Events
 * ---------------------------------------------------------------------
 */
typedef enum cbl_op
{
	CBL_OP_NONE = 0,
	CBL_OP_INSERT,
	CBL_OP_UPDATE,
	CBL_OP_DELETE
} cbl_op;

typedef struct cbl_rows_info
{
	const cbl_table *table;
	uint64_t	table_id;
	uint16_t	flags;			/* STMT_END_F = 1 */
	cbl_op		op;
	bool		partial;		/* PARTIAL_UPDATE_ROWS */
	uint32_t	ncols;
	const uint8_t *present_before;	/* columns-present bitmaps */
	const uint8_t *present_after;
	const uint8_t *data;		/* row images (decompressed if needed) */
	size_t		data_len;
	size_t		cursor;			/* offset of the next row in data */
	uint64_t	data_offset;	/* absolute offset of data[0] (approximate
								 * when decompressed) */
} cbl_rows_info;

typedef struct cbl_event
{
	uint64_t	pos;			/* offset of the event (file offset or log pos) */
	uint32_t	timestamp;
	uint16_t	type;			/* CBL_EV_* */
	uint32_t	server_id;
	uint32_t	event_len;
	uint32_t	next_pos;		/* from the header (0 inside payloads) */
	uint16_t	flags;
	bool		in_payload;		/* came out of a TRANSACTION_PAYLOAD */
	bool		skipped;		/* unknown/ignorable: body not decoded */
	const uint8_t *body;		/* bytes after the common header (post-header
								 * included) */
	size_t		body_len;		/* excludes the checksum */

	/* decoded fields (which ones are set depends on type) */
	union
	{
		struct
		{
			uint32_t	thread_id;
			uint32_t	exec_time;
			uint16_t	error_code;
			cbl_str		db;
			cbl_str		query;		/* points into the decoder for
										 * compressed */
			bool		has_xid;
			uint64_t	xid;
			uint32_t	flags2;
			uint64_t	sql_mode;
			bool		has_charset;
			uint16_t	charset_client;
			uint16_t	collation_connection;
			uint16_t	collation_server;
			cbl_str		time_zone;
		}			query;
		struct
		{
			uint64_t	position;
			cbl_str		file;
		}			rotate;
		struct
		{
			uint16_t	binlog_version;
			char		server_version[51];
			uint8_t		checksum_alg;
			uint8_t		header_len;
		}			fde;
		struct
		{
			uint64_t	xid;
		}			xid;
		struct
		{
			uint8_t		kind;
			uint64_t	value;
		}			intvar;
		struct
		{
			uint64_t	seed1,
						seed2;
		}			rand;
		struct
		{
			cbl_str		name;
			bool		is_null;
		}			user_var;
		struct
		{
			/* MariaDB and MySQL GTIDs, also in text form in gtid_text */
			uint64_t	seq_no;
			uint32_t	domain_id;
			uint8_t		flags;
			uint64_t	commit_id;
			uint8_t		sid[16];
			cbl_str		tag;
			int64_t		last_committed;
			int64_t		sequence_number;
			uint64_t	transaction_length;
			bool		standalone; /* MariaDB FL_STANDALONE: no BEGIN */
		}			gtid;
		struct
		{
			uint32_t	count;
			const uint8_t *data;	/* raw list, use cbl_gtid_list_text */
			size_t		len;
			bool		tagged;
		}			gtid_list;
		struct
		{
			cbl_str		file;
		}			checkpoint;
		struct
		{
			cbl_str		text;
		}			annotate;
		struct
		{
			uint8_t		scheme;
			uint32_t	key_version;
		}			encryption;
		struct
		{
			uint64_t	compression;	/* 0 zstd, 255 none */
			uint64_t	size;
			uint64_t	uncompressed_size;
		}			payload;
		struct
		{
			cbl_str		file;
			uint64_t	position;
		}			heartbeat;
		struct
		{
			uint16_t	code;
			cbl_str		message;
		}			incident;
		const cbl_table *table_map;
		cbl_rows_info rows;
	}			u;
	char		gtid_text[160]; /* GTID events: "d-s-n" / "uuid[:tag]:n" */
} cbl_event;

/* One row change out of a rows event */
typedef struct cbl_row
{
	cbl_op		op;
	uint32_t	ncols;
	const cbl_value *before;	/* NULL for inserts */
	const cbl_value *after;		/* NULL for deletes */
	uint64_t	offset;			/* offset of the row image (approximate) */
} cbl_row;

typedef struct cbl_decoder cbl_decoder;

/* Create / destroy a decoder; NULL when out of memory. */
extern cbl_decoder *cbl_decoder_new(void);
extern void cbl_decoder_free(cbl_decoder *d);

/* Install the TABLE_MAP hook (see cbl_tablemap_hook). */
extern void cbl_decoder_set_tablemap_hook(cbl_decoder *d, cbl_tablemap_hook fn,
										  void *arg);

/*
 * File mode: after START_ENCRYPTION the rest of a file is ciphertext, so
 * the decoder only frames it (type CBL_EV_ENCRYPTED).  Network streams are
 * decrypted by the server; leave file mode off there.
 */
extern void cbl_decoder_set_file_mode(cbl_decoder *d, bool file_mode);

/* Whether CRC32 checksums are verified (default true). */
extern void cbl_decoder_set_verify_checksum(cbl_decoder *d, bool verify);

/* Default of cbl_decoder_set_max_payload(): MySQL's largest event, 1 GiB */
#define CBL_DEFAULT_MAX_PAYLOAD ((size_t) 1 << 30)

/*
 * Largest content, in bytes, the decoder unpacks from one event: the
 * uncompressed size of a MariaDB compressed event (QUERY or rows, zlib)
 * and of a MySQL TRANSACTION_PAYLOAD (zstd, or the events of an
 * uncompressed one).  A few compressed bytes can claim a gigabyte, so the
 * size an event claims is checked before anything is allocated, and a
 * stream producing more than it claimed is an error: such events fail with
 * CBL_ERR_LIMIT (claim above the limit) or CBL_ERR_CORRUPT (impossible
 * claim, lying stream), never with a larger allocation.  0 restores the
 * default, CBL_DEFAULT_MAX_PAYLOAD.
 */
extern void cbl_decoder_set_max_payload(cbl_decoder *d, size_t bytes);

/*
 * Tell the decoder the checksum algorithm before any FORMAT_DESCRIPTION
 * has been seen (network streams start with a fake ROTATE): 0 none,
 * 1 CRC32.  The next FORMAT_DESCRIPTION overrides it.
 */
extern void cbl_decoder_set_checksum_alg(cbl_decoder *d, int alg);

/*
 * Hand the decoder one raw event (header included, exactly as in a binlog
 * file after the magic; also what the network client receives after the
 * OK byte).  pos is its absolute position for messages.  The buffer must
 * stay valid until cbl_decoder_next() returns 0.  Returns 0 or -1.
 */
extern int	cbl_decoder_push(cbl_decoder *d, const uint8_t *ev, size_t len,
							 uint64_t pos, cbl_error *err);

/*
 * Produce the next decoded event: the pushed event itself, then (for
 * TRANSACTION_PAYLOAD) every event inside it.  Returns 1 with *ev filled,
 * 0 when the pushed event is fully consumed, -1 on error.  For row events,
 * call cbl_rows_next() until it returns 0 before asking for the next event.
 */
extern int	cbl_decoder_next(cbl_decoder *d, cbl_event *ev, cbl_error *err);

/*
 * Decode the next row change of a rows event.  Returns 1 with *row filled
 * (arrays owned by the decoder, valid until the next call), 0 at the end,
 * -1 on error.
 */
extern int	cbl_rows_next(cbl_decoder *d, cbl_event *ev, cbl_row *row,
						  cbl_error *err);

/* GTID of the transaction being decoded ("" when none / anonymous). */
extern const char *cbl_decoder_gtid(const cbl_decoder *d);

/* Header length and checksum state, for diagnostics. */
extern int	cbl_decoder_checksum_alg(const cbl_decoder *d);

/* Append GTID_LIST / PREVIOUS_GTIDS contents as text ("0-1-5,1-1-7"). */
extern int	cbl_gtid_list_text(const cbl_event *ev, cbl_buf *out, cbl_error *err);

/* Human name of an event type ("WRITE_ROWS_V2", ...). */
extern const char *cbl_event_type_name(int type);

/* True for every kind of row event (v0/v1/v2, partial, MariaDB compressed). */
extern bool cbl_event_is_rows(int type);

/* ---------------------------------------------------------------------
 * Binlog files
 * ---------------------------------------------------------------------
 */

/* 4-byte magic at the start of every binlog file */
#define CBL_BINLOG_MAGIC "\xfe\x62\x69\x6e"

/*
 * Frame the next event of a binlog file held in memory: validates the
 * length field against the data left and returns 1 with *ev_len set, 0 at
 * the end, -1 on a truncated or impossible event (err->offset = *off).
 * Encrypted MariaDB events keep their length in clear at the usual place,
 * so encrypted (true once a START_ENCRYPTION event has been seen) does not
 * change the framing; it is kept for callers and future formats.
 */
extern int	cbl_frame_next(const uint8_t *buf, size_t len, size_t off,
						   bool encrypted, size_t *ev_len, cbl_error *err);

/* True once the decoder has seen START_ENCRYPTION in a file. */
extern bool cbl_decoder_encrypted(const cbl_decoder *d);

/* ---------------------------------------------------------------------
 * JSON output (the CLI format of SPEC section 6)
 * ---------------------------------------------------------------------
 */

/* Append a JSON string literal. */
extern void cbl_json_string(cbl_buf *out, const char *p, size_t len);

/* Append one event as a JSON object line (no newline). */
extern int	cbl_json_event(const cbl_event *ev, cbl_buf *out, cbl_error *err);

/*
 * Append one row change as a JSON object line (no newline).  scratch is a
 * work buffer the caller keeps to avoid allocations.
 */
extern int	cbl_json_row(const cbl_event *ev, const cbl_row *row,
						 const char *gtid, cbl_buf *out, cbl_buf *scratch,
						 cbl_error *err);

#endif							/* CBL_H */
