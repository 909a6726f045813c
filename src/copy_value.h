/*-------------------------------------------------------------------------
 *
 * copy_value.h
 *	  Conversion of the values the initial copy reads from MySQL (text
 *	  protocol, raw bytes) into COPY text lines, through the binlog
 *	  library's cbl_value_to_text() so that the copy and the replication
 *	  stream produce identical PostgreSQL values.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_COPY_VALUE_H
#define CHAMELEON_COPY_VALUE_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "binlog/cbl.h"
#include "geometry.h"

typedef enum ChameleonCopyKind
{
	CK_INT, CK_UINT, CK_FLOAT, CK_DOUBLE, CK_DECIMAL, CK_BIT, CK_YEAR,
	CK_DATE, CK_DATETIME, CK_TIMESTAMP, CK_TIME, CK_STRING, CK_BYTES,
	CK_GEOMETRY
} ChameleonCopyKind;

/* One column as the copy reads it. */
typedef struct ChameleonCopyColumn
{
	char	   *name;			/* MySQL column name */
	ChameleonCopyKind kind;
	cbl_column col;				/* charset, bits, fsp, max_len for the library */
	ChameleonGeoTarget geo;		/* geometry: what the target column holds */
} ChameleonCopyColumn;

/*
 * Describes a column from information_schema.COLUMNS: data_type,
 * column_type, octet length, datetime precision and collation id.
 */
extern void chameleon_copy_column_init(ChameleonCopyColumn *c, const char *name,
									   const char *data_type,
									   const char *column_type,
									   long octet_length, int datetime_precision,
									   uint32 collation_id);

/* Appends the MySQL select-list expression that reads the column. */
extern void chameleon_copy_select_expr(const ChameleonCopyColumn *c,
									   StringInfo out);

/*
 * Appends one value in COPY text format (\N for NULL) to out.  val/len are
 * what the server sent (val NULL for SQL NULL).  scratch is a reusable
 * buffer.  Returns NULL, or a palloc'd reason when the value cannot be
 * converted (the row is then discarded).
 */
extern char *chameleon_copy_cell(const ChameleonCopyColumn *c, const char *val,
								 unsigned long len, StringInfo out,
								 cbl_buf *scratch);

/* Appends s (len bytes) escaped for COPY text format. */
extern void chameleon_copy_escape(StringInfo out, const char *s, size_t len);

#endif							/* CHAMELEON_COPY_VALUE_H */
