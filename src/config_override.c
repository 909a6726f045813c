/*-------------------------------------------------------------------------
 *
 * config_override.c
 *	  Validates the configuration key type_override (pg_chameleon's):
 *
 *		type_override:
 *		  "tinyint(1)": {override_to: boolean, override_tables: ["*"]}
 *
 *	  and writes it normalised, override_tables defaulting to ["*"].
 *	  load_config also reads the key at the top of a configuration file,
 *	  for every source: the source's own entries are written first and win
 *	  on the same MySQL type.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/json.h"

#include "config_internal.h"

/* Writes one type_override entry: {override_to, override_tables}. */
static void
walk_override_entry(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
					const char *path)
{
	yaml_node_pair_t *pair;
	char	   *override_to = NULL;
	char	   *tables = NULL;

	if (node->type != YAML_MAPPING_NODE)
		config_bad_value(key, node, path, "a mapping with override_to and override_tables");
	for (pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		char	   *name;
		char	   *sub;

		config_count_node(w, k);
		config_count_node(w, v);
		name = config_need_scalar(key, k, path, "override_to or override_tables");
		sub = config_join_path(path, name);
		if (strcmp(name, "override_to") == 0)
		{
			override_to = config_need_scalar(key, v, sub, "a PostgreSQL type name");
			if (override_to[0] == '\0')
				config_bad_value(key, v, sub, "a PostgreSQL type name");
		}
		else if (strcmp(name, "override_tables") == 0)
		{
			StringInfoData buf;
			StringInfo	saved = w->out;

			initStringInfo(&buf);
			w->out = &buf;
			config_walk_string_list(w, key, v, sub, false, false);
			w->out = saved;
			tables = buf.data;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown configuration key \"%s\"", sub),
					 errdetail("Line %d.", (int) k->start_mark.line + 1),
					 errhint("Valid keys are: override_to, override_tables.")));
	}
	if (override_to == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration key \"%s.override_to\" is required", path),
				 errdetail("Line %d.", (int) node->start_mark.line + 1),
				 errhint("Name the PostgreSQL type to use, for example override_to: boolean.")));
	appendStringInfoString(w->out, "{\"override_to\": ");
	escape_json(w->out, override_to);
	appendStringInfo(w->out, ", \"override_tables\": %s}",
					 tables ? tables : "[\"*\"]");
}

/* See config_internal.h. */
void
config_walk_type_override(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
				   const char *path, yaml_node_t *global)
{
	yaml_node_t *blocks[2];
	List	   *seen = NIL;
	bool		first = true;
	int			b;

	blocks[0] = node;
	blocks[1] = global;
	appendStringInfoChar(w->out, '{');
	for (b = 0; b < 2; b++)
	{
		yaml_node_pair_t *pair;

		if (blocks[b] == NULL || config_is_null_node(blocks[b]))
			continue;
		if (blocks[b]->type != YAML_MAPPING_NODE)
			config_bad_value(key, blocks[b], path, "a mapping of MySQL column types to overrides");
		for (pair = blocks[b]->data.mapping.pairs.start;
			 pair < blocks[b]->data.mapping.pairs.top; pair++)
		{
			yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
			yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
			char	   *mysql_type;
			ListCell   *lc;
			bool		dup = false;

			config_count_node(w, k);
			mysql_type = config_need_scalar(key, k, path, "a MySQL column type");
			if (mysql_type[0] == '\0')
				config_bad_value(key, k, path, "a MySQL column type such as \"tinyint(1)\"");
			foreach(lc, seen)
				if (pg_strcasecmp((char *) lfirst(lc), mysql_type) == 0)
					dup = true;
			if (dup)
				continue;
			seen = lappend(seen, mysql_type);
			if (!first)
				appendStringInfoString(w->out, ", ");
			escape_json(w->out, mysql_type);
			appendStringInfoString(w->out, ": ");
			walk_override_entry(w, key, v, config_join_path(path, mysql_type));
			first = false;
		}
	}
	appendStringInfoChar(w->out, '}');
}
