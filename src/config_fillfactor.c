/*-------------------------------------------------------------------------
 *
 * config_fillfactor.c
 *	  Validates the configuration key fillfactor (pg_chameleon 2.0.19+):
 *
 *		fillfactor:
 *		  "30": {tables: [sakila.payment, sakila.rental]}
 *		  "70": {tables: ["*"]}
 *
 *	  Each key is a PostgreSQL fillfactor (10 to 100), each "tables" a list
 *	  of "schema.table" (MySQL names) or "*" (every table).  load_config
 *	  also reads the key at the top of a configuration file, for every
 *	  source, as it does type_override.
 *
 *	  A table named under several percents gets the last one, as in
 *	  pg_chameleon; the source's own block is read after the global one,
 *	  so that it wins.  The normalised JSON names each table once (jsonb
 *	  does not keep the order of keys, so "last" is decided here):
 *	  {"30": {"tables": ["sakila.payment"]}, ...}.  A table named
 *	  explicitly wins over "*" whatever the order (cddl_fillfactor_for).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/json.h"

#include "config_internal.h"

/* the fillfactor range PostgreSQL accepts for tables */
#define FILLFACTOR_MIN	10
#define FILLFACTOR_MAX	100

/* One table (or "*") and the percent it was last given. */
typedef struct FillEntry
{
	char	   *table;
	int			percent;
} FillEntry;

/* Parses a percent key; -1 when it is not an integer in range. */
static int
parse_percent(const char *s)
{
	char	   *end;
	long		v;

	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	while (*end == ' ')
		end++;
	if (errno != 0 || *end != '\0' || v < FILLFACTOR_MIN || v > FILLFACTOR_MAX)
		return -1;
	return (int) v;
}

/* Gives table the percent, forgetting an earlier one (the last one wins). */
static List *
assign(List *entries, const char *table, int percent)
{
	ListCell   *lc;
	FillEntry  *e;

	foreach(lc, entries)
	{
		e = (FillEntry *) lfirst(lc);
		if (strcmp(e->table, table) == 0)
		{
			entries = foreach_delete_current(entries, lc);
			break;
		}
	}
	e = palloc(sizeof(FillEntry));
	e->table = pstrdup(table);
	e->percent = percent;
	return lappend(entries, e);
}

/* Reads the tables list of one percent into entries. */
static List *
walk_tables(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
			const char *path, int percent, List *entries)
{
	yaml_node_item_t *item;

	if (config_is_null_node(node) || node->type != YAML_SEQUENCE_NODE)
		config_bad_value(key, node, path, "a list of tables written as schema.table, or \"*\"");
	for (item = node->data.sequence.items.start;
		 item < node->data.sequence.items.top; item++)
	{
		yaml_node_t *child = yaml_document_get_node(w->doc, *item);
		char	   *v;
		char	   *dot;

		config_count_node(w, child);
		v = config_need_scalar(key, child, path, "a table written as schema.table, or \"*\"");
		dot = strchr(v, '.');
		if (strcmp(v, "*") != 0 &&
			(dot == NULL || dot == v || dot[1] == '\0' || strchr(dot + 1, '.') != NULL))
			config_bad_value(key, child, path, "a table written as schema.table, or \"*\"");
		entries = assign(entries, v, percent);
	}
	return entries;
}

/* Reads one fillfactor mapping (a source's or the global one). */
static List *
walk_block(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
		   const char *path, List *entries)
{
	yaml_node_pair_t *pair;

	if (node == NULL || config_is_null_node(node))
		return entries;
	if (node->type != YAML_MAPPING_NODE)
		config_bad_value(key, node, path,
						 "a mapping of fillfactors (10 to 100) to {tables: [schema.table, ...]}");
	for (pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		char	   *name;
		char	   *sub;
		int			percent;
		yaml_node_t *tables = NULL;
		yaml_node_pair_t *p2;

		config_count_node(w, k);
		config_count_node(w, v);
		name = config_need_scalar(key, k, path, "a fillfactor between 10 and 100");
		percent = parse_percent(name);
		if (percent < 0)
			config_bad_value(key, k, path, "a fillfactor between 10 and 100 as the key");
		sub = config_join_path(path, name);
		if (v->type != YAML_MAPPING_NODE)
			config_bad_value(key, v, sub, "a mapping with the key tables");
		for (p2 = v->data.mapping.pairs.start; p2 < v->data.mapping.pairs.top; p2++)
		{
			yaml_node_t *k2 = yaml_document_get_node(w->doc, p2->key);
			char	   *name2;

			config_count_node(w, k2);
			name2 = config_need_scalar(key, k2, sub, "tables");
			if (strcmp(name2, "tables") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown configuration key \"%s\"", config_join_path(sub, name2)),
						 errdetail("Line %d.", (int) k2->start_mark.line + 1),
						 errhint("Valid keys are: tables.")));
			if (tables != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("duplicate configuration key \"%s\"", config_join_path(sub, name2)),
						 errdetail("Line %d.", (int) k2->start_mark.line + 1),
						 errhint("Write each key once.")));
			tables = yaml_document_get_node(w->doc, p2->value);
			config_count_node(w, tables);
		}
		if (tables == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("configuration key \"%s.tables\" is required", sub),
					 errdetail("Line %d.", (int) v->start_mark.line + 1),
					 errhint("List the tables, for example: fillfactor: {\"70\": {tables: [sakila.payment]}}")));
		entries = walk_tables(w, key, tables, config_join_path(sub, "tables"), percent, entries);
	}
	return entries;
}

/*
 * Writes fillfactor: the global block first, then the source's own (node
 * may be NULL when only the global block is given), each table once with
 * the percent it was last given.
 */
void
config_walk_fillfactor(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
					   const char *path, yaml_node_t *global)
{
	List	   *entries = NIL;
	bool		first_percent = true;

	entries = walk_block(w, key, global, "fillfactor", entries);
	entries = walk_block(w, key, node, path, entries);

	appendStringInfoChar(w->out, '{');
	for (int percent = FILLFACTOR_MIN; percent <= FILLFACTOR_MAX; percent++)
	{
		ListCell   *lc;
		bool		first_table = true;

		foreach(lc, entries)
		{
			FillEntry  *e = (FillEntry *) lfirst(lc);

			if (e->percent != percent)
				continue;
			if (first_table)
				appendStringInfo(w->out, "%s\"%d\": {\"tables\": [",
								 first_percent ? "" : ", ", percent);
			else
				appendStringInfoString(w->out, ", ");
			escape_json(w->out, e->table);
			first_table = false;
			first_percent = false;
		}
		if (!first_table)
			appendStringInfoString(w->out, "]}");
	}
	appendStringInfoChar(w->out, '}');
}
