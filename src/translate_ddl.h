/*-------------------------------------------------------------------------
 *
 * translate_ddl.h
 *	  What translate_ddl.c shares with the rest of the extension: turning a
 *	  source's type_override configuration into the translator's form.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_TRANSLATE_DDL_H
#define CHAMELEON_TRANSLATE_DDL_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "ddl/cddl.h"

/* type_override jsonb -> palloc'd array of *n cddl_type_override. */
extern cddl_type_override *chameleon_parse_type_overrides(Jsonb *jb, size_t *n);

#endif							/* CHAMELEON_TRANSLATE_DDL_H */
