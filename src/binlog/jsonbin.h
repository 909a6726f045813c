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

/* Deeper than MySQL's own limit of 100 */
#define CBL_JB_MAX_DEPTH 150

/*
 * Work budget of one decode, in bytes of the document read.  See
 * cbl_jb_budget_init() for why a document MySQL wrote never runs out.
 */
typedef struct cbl_jb_budget
{
	uint64_t	left;
	size_t		doclen;			/* for the error message */
} cbl_jb_budget;

/* An object or array whose header and entry tables have been checked. */
typedef struct cbl_jb_container
{
	const uint8_t *p;			/* the count field (after the type byte) */
	uint32_t	count;
	uint32_t	size;			/* bytes of the container, header included */
	bool		large;
	bool		is_obj;
	size_t		osz;			/* offset/size field width: 2 or 4 */
	size_t		kesz;			/* key entry width (0 for arrays) */
	size_t		vesz;			/* value entry width */
	size_t		entries_end;	/* first byte after the entry tables */
} cbl_jb_container;

/* One member or element of a container. */
typedef struct cbl_jb_elem
{
	uint8_t		type;
	bool		inlined;		/* value stored in its entry */
	const uint8_t *data;		/* the value (or the entry's value field) */
	size_t		len;			/* bytes available at data */
	const uint8_t *key;			/* objects only */
	uint32_t	keylen;
} cbl_jb_elem;

extern int	cbl_jb_varlen(const uint8_t *p, size_t len, uint32_t *out, size_t *used);
extern bool cbl_jb_inlined(uint8_t type, bool large);
extern int	cbl_jb_scalar(cbl_buf *out, uint8_t type, const uint8_t *p, size_t len,
						  cbl_error *err);
extern void cbl_jb_budget_init(cbl_jb_budget *b, size_t len);
extern int	cbl_jb_charge_scalar(cbl_jb_budget *b, uint8_t type,
								 const uint8_t *p, size_t len, cbl_error *err);
extern int	cbl_jb_open(cbl_jb_container *c, uint8_t type, const uint8_t *p,
						size_t len, cbl_jb_budget *b, cbl_error *err);
extern int	cbl_jb_element(const cbl_jb_container *c, uint32_t i,
						   cbl_jb_elem *e, cbl_jb_budget *b, cbl_error *err);

#endif							/* CBL_JSONBIN_H */
