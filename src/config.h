/*-------------------------------------------------------------------------
 *
 * config.h
 *	  Parsing and validation of source configurations (YAML or JSON, the
 *	  keys of a pg_chameleon source block) into normalised JSON text.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_CONFIG_H
#define CHAMELEON_CONFIG_H

#include "postgres.h"

#include "lib/stringinfo.h"

/*
 * Parses one source block given as YAML text and returns its normalised
 * JSON text.  With partial = false, missing keys get their defaults and
 * required keys are checked; with partial = true only the keys present are
 * validated (used by alter_source before merging).  Raises ERROR 22023 on
 * any problem, naming the key and line.
 */
extern char *chameleon_parse_source_config(const char *yaml_text, bool partial);

/*
 * Parses a schema_mappings value alone (YAML or JSON mapping) and returns
 * its JSON text; same checks as the key inside a source block.
 */
extern char *chameleon_parse_schema_mappings(const char *yaml_text);

/*
 * Parses a whole pg_chameleon configuration file's text: validates every
 * block under "sources" (merged with the global type_override and
 * fillfactor) and returns a list of (name, normalised JSON) pairs as two
 * parallel lists of C strings.  Other global keys are ignored with a
 * NOTICE.
 */
extern void chameleon_parse_config_file(const char *yaml_text, const char *path,
										List **names, List **configs);

/*
 * The source keys that may change while the source runs (the workers read
 * them again after the change), as a List of static C strings.
 */
extern List *chameleon_config_live_keys(void);

/*
 * Parses a memory size such as 300M, 1G, 512kB or a plain number of bytes
 * into *bytes; false when the text is not one.
 */
extern bool chameleon_parse_size(const char *text, int64 *bytes);

#endif							/* CHAMELEON_CONFIG_H */
