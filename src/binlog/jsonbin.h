/*-------------------------------------------------------------------------
 *
 * jsonbin.h
 *	  Constants and helpers of MySQL's binary JSON format shared by the
 *	  text printer (jsonbin.c) and the partial-update applier (jsondiff.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CBL_JSONBIN_H
#define CBL_JSONBIN_H

#include "cbl_int.h"

#define JB_SMALL_OBJECT 0x00
#define JB_LARGE_OBJECT 0x01
#define JB_SMALL_ARRAY	0x02
#define JB_LARGE_ARRAY	0x03
#define JB_LITERAL		0x04
#define JB_INT16		0x05
#define JB_UINT16		0x06
#define JB_INT32		0x07
#define JB_UINT32		0x08
#define JB_INT64		0x09
#define JB_UINT64		0x0a
#define JB_DOUBLE		0x0b
#define JB_STRING		0x0c
#define JB_OPAQUE		0x0f

extern int	cbl_jb_varlen(const uint8_t *p, size_t len, uint32_t *out, size_t *used);
extern bool cbl_jb_inlined(uint8_t type, bool large);
extern int	cbl_jb_scalar(cbl_buf *out, uint8_t type, const uint8_t *p, size_t len,
						  cbl_error *err);

#endif							/* CBL_JSONBIN_H */
