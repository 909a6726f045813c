/*-------------------------------------------------------------------------
 *
 * config_walk.c
 *	  Validates a loaded YAML document against the table of configuration
 *	  keys (config.c) and writes it out as normalised JSON: fixed key
 *	  order, typed values, defaults filled in.  Keys of the source block
 *	  written inside db_conn, as pg_chameleon's own example does for its
 *	  pgsql source, are read as the source's, with a NOTICE
 *	  (lift_db_conn_keys).
 *
 *	  Every problem is an ERROR with SQLSTATE 22023 naming the key (as a
 *	  dotted path) and its line.  The value of db_conn.password is never
 *	  quoted in a message; it and db_conn.password_file (an absolute path
 *	  on the server) exclude each other.  A pgsql source may not copy the
 *	  schemas of PostgreSQL itself (pg_*, information_schema) or chameleon.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/guc.h"
#include "utils/json.h"

#include "config.h"
#include "config_internal.h"
#include "names.h"

static const char *const skip_event_kinds[] = {"insert", "update", "delete", NULL};

static void walk_value(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
					   const char *path, const char *source_type);

/* Returns a palloc'd copy of a scalar node's text. */
static char *
scalar_text(yaml_node_t *node)
{
	return pnstrdup((const char *) node->data.scalar.value,
					node->data.scalar.length);
}

/* Tells whether a node is a YAML null (~, null, or an empty plain scalar). */
bool
config_is_null_node(yaml_node_t *node)
{
	const char *v;

	if (node->type != YAML_SCALAR_NODE ||
		node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *) node->data.scalar.value;
	return node->data.scalar.length == 0 ||
		strcmp(v, "~") == 0 || pg_strcasecmp(v, "null") == 0;
}

/* Counts a visited node and stops runaway documents. */
void
config_count_node(ConfigWalk *w, yaml_node_t *node)
{
	if (++w->visited > CONFIG_MAX_NODES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration is too large"),
				 errdetail("It expands to more than %d YAML nodes (line %d).",
						   CONFIG_MAX_NODES, (int) node->start_mark.line + 1),
				 errhint("Remove aliases that repeat large parts of the document.")));
}

/* Joins a path prefix and a key name with a dot. */
char *
config_join_path(const char *prefix, const char *name)
{
	if (prefix == NULL || prefix[0] == '\0')
		return pstrdup(name);
	return psprintf("%s.%s", prefix, name);
}

/* Lists the names of a key table, for hints. */
static char *
key_names(const ConfigKey *keys)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; keys[i].name != NULL; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", keys[i].name);
	return buf.data;
}

/* Raises the error for a value of the wrong form, hiding passwords. */
void
config_bad_value(const ConfigKey *key, yaml_node_t *node, const char *path,
				 const char *expected)
{
	if (key != NULL && key->kind == CK_PASSWORD)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for configuration key \"%s\"", path),
				 errdetail("Line %d: expected %s.",
						   (int) node->start_mark.line + 1, expected),
				 errhint("Write the password as a quoted string.")));
	if (node->type == YAML_SCALAR_NODE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for configuration key \"%s\": \"%s\"",
						path, scalar_text(node)),
				 errdetail("Line %d: expected %s.",
						   (int) node->start_mark.line + 1, expected),
				 errhint("Correct the value of \"%s\" in the configuration.", path)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for configuration key \"%s\"", path),
			 errdetail("Line %d: expected %s, found a %s.",
					   (int) node->start_mark.line + 1, expected,
					   node->type == YAML_MAPPING_NODE ? "mapping" : "list"),
			 errhint("Correct the value of \"%s\" in the configuration.", path)));
}

/* Returns the scalar text of a node or raises an error naming the key. */
char *
config_need_scalar(const ConfigKey *key, yaml_node_t *node, const char *path,
			const char *expected)
{
	if (node->type != YAML_SCALAR_NODE)
		config_bad_value(key, node, path, expected);
	return scalar_text(node);
}

/* Parses a decimal integer; false when the text is not one. */
static bool
parse_int64_text(const char *s, int64 *result)
{
	int64		v = 0;
	bool		neg = false;

	if (*s == '+' || *s == '-')
		neg = (*s++ == '-');
	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9')
			return false;
		if (v > (PG_INT64_MAX - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	*result = neg ? -v : v;
	return true;
}

/* Parses a YAML 1.1 boolean; false when the text is not one. */
static bool
parse_bool_text(const char *s, bool *result)
{
	static const char *const yes[] = {"true", "yes", "on", "y", "1", NULL};
	static const char *const no[] = {"false", "no", "off", "n", "0", NULL};
	int			i;

	for (i = 0; yes[i]; i++)
		if (pg_strcasecmp(s, yes[i]) == 0)
		{
			*result = true;
			return true;
		}
	for (i = 0; no[i]; i++)
		if (pg_strcasecmp(s, no[i]) == 0)
		{
			*result = false;
			return true;
		}
	return false;
}


/* Appends a JSON string. */
static void
put_string(StringInfo out, const char *s)
{
	escape_json(out, s);
}

/* See config_internal.h. */
void
config_walk_string_list(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
				 const char *path, bool tables, bool schema_or_table)
{
	yaml_node_item_t *item;
	bool		first = true;

	appendStringInfoChar(w->out, '[');
	if (!config_is_null_node(node))
	{
		if (node->type != YAML_SEQUENCE_NODE)
			config_bad_value(key, node, path, "a list");
		for (item = node->data.sequence.items.start;
			 item < node->data.sequence.items.top; item++)
		{
			yaml_node_t *child = yaml_document_get_node(w->doc, *item);
			char	   *v;
			char	   *dot;

			config_count_node(w, child);
			v = config_need_scalar(key, child, path, "a list of names");
			if (v[0] == '\0')
				config_bad_value(key, child, path, "a non-empty name");
			dot = strchr(v, '.');
			if (tables && (dot == NULL || dot == v || dot[1] == '\0'))
				config_bad_value(key, child, path, "a table name written as schema.table");
			if (schema_or_table && dot != NULL && (dot == v || dot[1] == '\0'))
				config_bad_value(key, child, path, "a schema name or schema.table");
			if (!first)
				appendStringInfoString(w->out, ", ");
			put_string(w->out, v);
			first = false;
		}
	}
	appendStringInfoChar(w->out, ']');
}

/* Checks a PostgreSQL schema name that chameleon will create and own. */
static void
check_target_schema(const char *name, yaml_node_t *node, const char *path)
{
	if (name[0] == '\0' || strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid PostgreSQL schema name \"%s\" in configuration key \"%s\"",
						name, path),
				 errdetail("Line %d: a schema name must have 1 to %d bytes.",
						   (int) node->start_mark.line + 1, NAMEDATALEN - 1),
				 errhint("Choose a shorter schema name.")));
	if (chameleon_schema_reserved(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("PostgreSQL schema \"%s\" cannot be a replication target", name),
				 errdetail("Line %d: names starting with pg_, information_schema and chameleon are reserved.",
						   (int) node->start_mark.line + 1),
				 errhint("Map the MySQL schema to another PostgreSQL schema in \"%s\".", path)));
}

/*
 * Refuses, for a pgsql source, a source schema that belongs to PostgreSQL
 * or to chameleon: their tables describe (or, on the same server, hold the
 * secrets of) the server itself and are never data to replicate.
 */
static void
check_pgsql_source_schema(const char *name, yaml_node_t *node, const char *path)
{
	if (chameleon_schema_reserved(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("schema \"%s\" cannot be copied from a pgsql source (configuration key \"%s\")",
						name, path),
				 errdetail("Line %d: pg_catalog, information_schema, pg_toast, the other schemas starting with pg_ and chameleon are system schemas.",
						   (int) node->start_mark.line + 1),
				 errhint("Map only schemas that hold your own tables.")));
}

/*
 * Writes schema_mappings: a non-empty mapping of schema names.  source_type
 * is "pgsql" or "mysql", or NULL when unknown (a mapping given alone).
 */
void
config_walk_schema_map(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
					   const char *path, const char *source_type)
{
	yaml_node_pair_t *pair;
	bool		first = true;
	List	   *targets = NIL;

	if (config_is_null_node(node) ||
		(node->type == YAML_MAPPING_NODE &&
		 node->data.mapping.pairs.start == node->data.mapping.pairs.top))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration key \"%s\" must not be empty", path),
				 errdetail("Line %d.", (int) node->start_mark.line + 1),
				 errhint("Map at least one MySQL schema to a PostgreSQL schema, for example: schema_mappings: {sakila: sakila}")));
	if (node->type != YAML_MAPPING_NODE)
		config_bad_value(key, node, path, "a mapping of MySQL schema names to PostgreSQL schema names");

	appendStringInfoChar(w->out, '{');
	for (pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		char	   *mysql_schema;
		char	   *pg_schema;
		ListCell   *lc;

		config_count_node(w, k);
		config_count_node(w, v);
		mysql_schema = config_need_scalar(key, k, path, "a MySQL schema name");
		pg_schema = config_need_scalar(key, v, path, "a PostgreSQL schema name");
		/* MySQL counts characters: 64 of them may take 256 bytes */
		if (mysql_schema[0] == '\0' || pg_mbstrlen(mysql_schema) > 64)
			config_bad_value(key, k, path, "a MySQL schema name of 1 to 64 characters");
		if (source_type != NULL && strcmp(source_type, "pgsql") == 0)
			check_pgsql_source_schema(mysql_schema, k, path);
		check_target_schema(pg_schema, v, path);
		foreach(lc, targets)
		{
			if (strcmp((char *) lfirst(lc), pg_schema) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("PostgreSQL schema \"%s\" is mapped twice in configuration key \"%s\"",
								pg_schema, path),
						 errdetail("Line %d.", (int) v->start_mark.line + 1),
						 errhint("Each MySQL schema needs its own PostgreSQL schema.")));
		}
		targets = lappend(targets, pg_schema);
		if (!first)
			appendStringInfoString(w->out, ", ");
		put_string(w->out, mysql_schema);
		appendStringInfoString(w->out, ": ");
		put_string(w->out, pg_schema);
		first = false;
	}
	appendStringInfoChar(w->out, '}');
}

/* Writes skip_events: insert/update/delete, each a list of names. */
static void
walk_skip_events(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
				 const char *path)
{
	const char *lists[3] = {NULL, NULL, NULL};
	yaml_node_pair_t *pair;
	int			i;

	if (!config_is_null_node(node))
	{
		if (node->type != YAML_MAPPING_NODE)
			config_bad_value(key, node, path, "a mapping with the keys insert, update and delete");
		for (pair = node->data.mapping.pairs.start;
			 pair < node->data.mapping.pairs.top; pair++)
		{
			yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
			yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
			char	   *name;
			char	   *sub;
			StringInfoData buf;
			StringInfo	saved = w->out;

			config_count_node(w, k);
			name = config_need_scalar(key, k, path, "insert, update or delete");
			sub = config_join_path(path, name);
			for (i = 0; i < 3; i++)
				if (pg_strcasecmp(name, skip_event_kinds[i]) == 0)
					break;
			if (i == 3)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown configuration key \"%s\"", sub),
						 errdetail("Line %d.", (int) k->start_mark.line + 1),
						 errhint("Valid keys are: insert, update, delete.")));
			if (lists[i] != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("duplicate configuration key \"%s\"", sub),
						 errdetail("Line %d.", (int) k->start_mark.line + 1),
						 errhint("Write each key once.")));
			initStringInfo(&buf);
			w->out = &buf;
			config_count_node(w, v);
			config_walk_string_list(w, key, v, sub, false, true);
			w->out = saved;
			lists[i] = buf.data;
		}
	}
	appendStringInfoChar(w->out, '{');
	for (i = 0; i < 3; i++)
		appendStringInfo(w->out, "%s\"%s\": %s", i > 0 ? ", " : "",
						 skip_event_kinds[i], lists[i] ? lists[i] : "[]");
	appendStringInfoChar(w->out, '}');
}

/* The index of name in a key table, or -1. */
static int
key_index(const ConfigKey *keys, const char *name)
{
	for (int i = 0; keys[i].name != NULL; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * Whether name, found inside db_conn, is a key of the source block that
 * pg_chameleon's own configuration example nests there (see
 * lift_db_conn_keys).
 */
static bool
is_nested_source_key(const char *name)
{
	return key_index(config_db_conn_keys, name) < 0 &&
		key_index(config_source_keys, name) >= 0 &&
		strcmp(name, "db_conn") != 0;
}

/*
 * Reads the keys of a mapping node into found[] (indexed like keys[]),
 * rejecting unknown and repeated keys.  what names the mapping in hints.
 * With in_db_conn, keys of the source block are let through (they were
 * read by lift_db_conn_keys).
 */
static void
collect_keys(ConfigWalk *w, yaml_node_t *node, const char *prefix,
			 const ConfigKey *keys, yaml_node_t **found, const char *what,
			 bool in_db_conn)
{
	yaml_node_pair_t *pair;
	int			i;

	memset(found, 0, sizeof(yaml_node_t *) * CONFIG_MAX_KEYS);
	for (pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		char	   *name;
		char	   *path;

		config_count_node(w, k);
		name = config_need_scalar(NULL, k, prefix, "a key name");
		path = config_join_path(prefix, name);
		i = key_index(keys, name);
		if (i < 0 && in_db_conn && is_nested_source_key(name))
			continue;
		if (i < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown configuration key \"%s\"", path),
					 errdetail("Line %d.", (int) k->start_mark.line + 1),
					 errhint("Valid keys%s are: %s.", what, key_names(keys))));
		if (found[i] != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("duplicate configuration key \"%s\"", path),
					 errdetail("Line %d.", (int) k->start_mark.line + 1),
					 errhint("Write each key once.")));
		found[i] = yaml_document_get_node(w->doc, pair->value);
	}
}

/*
 * Refuses db_conn.password together with db_conn.password_file: which one
 * wins would be a guess.
 */
static void
refuse_two_passwords(yaml_node_t *node, yaml_node_t **found, const char *path)
{
	yaml_node_t *password = NULL;
	yaml_node_t *file = NULL;

	for (int i = 0; config_db_conn_keys[i].name != NULL; i++)
	{
		if (config_db_conn_keys[i].kind == CK_PASSWORD)
			password = found[i];
		else if (strcmp(config_db_conn_keys[i].name, "password_file") == 0)
			file = found[i];
	}
	if (password != NULL && file != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration keys \"%s.password\" and \"%s.password_file\" cannot both be given",
						path, path),
				 errdetail("Line %d.", (int) file->start_mark.line + 1),
				 errhint("Give the password itself or the path of a file on the PostgreSQL server that holds it, not both.")));
}

/*
 * pg_chameleon's configuration example (2.0.21) nests the keys of its
 * pgsql source (schema_mappings, type, limit_tables, lock_timeout...)
 * under db_conn.  pg_chameleon reads those keys only from the source block
 * (its connection uses host, port, user, password, database, charset and
 * connect_timeout, nothing else of db_conn), so that block as written has
 * no schema mappings and no type for pg_chameleon.  chameleon reads a key
 * of the source block found inside db_conn as if it were written beside
 * db_conn, with a NOTICE, unless the source block has it too (then the
 * source block's wins, also with a NOTICE).  found[] is the source
 * block's, indexed like config_source_keys; paths[] gets the path of each
 * key read from db_conn, for messages.
 */
static void
lift_db_conn_keys(ConfigWalk *w, yaml_node_t *db_conn, const char *prefix,
				  yaml_node_t **found, char **paths)
{
	yaml_node_pair_t *pair;
	yaml_node_t *lifted[CONFIG_MAX_KEYS];
	char	   *db_path = config_join_path(prefix, "db_conn");

	if (db_conn == NULL || db_conn->type != YAML_MAPPING_NODE)
		return;
	memset(lifted, 0, sizeof(lifted));
	for (pair = db_conn->data.mapping.pairs.start;
		 pair < db_conn->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		char	   *name;
		int			i;

		if (k->type != YAML_SCALAR_NODE)
			continue;			/* collect_keys reports it */
		name = pnstrdup((const char *) k->data.scalar.value, k->data.scalar.length);
		if (!is_nested_source_key(name))
			continue;
		i = key_index(config_source_keys, name);
		if (lifted[i] != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("duplicate configuration key \"%s\"", config_join_path(db_path, name)),
					 errdetail("Line %d.", (int) k->start_mark.line + 1),
					 errhint("Write each key once.")));
		lifted[i] = yaml_document_get_node(w->doc, pair->value);
		if (found[i] != NULL)
		{
			ereport(NOTICE,
					(errmsg("configuration key \"%s\" is ignored",
							config_join_path(db_path, name)),
					 errdetail("Line %d: \"%s\" is also given outside db_conn (line %d), which wins.",
							   (int) k->start_mark.line + 1, config_join_path(prefix, name),
							   (int) found[i]->start_mark.line + 1)));
			continue;
		}
		ereport(NOTICE,
				(errmsg("configuration key \"%s\" is read as \"%s\"",
						config_join_path(db_path, name), config_join_path(prefix, name)),
				 errdetail("Line %d: it is a key of the source, not of its connection.",
						   (int) k->start_mark.line + 1),
				 errhint("Write it beside db_conn, not inside it.")));
	}
	for (int i = 0; i < CONFIG_MAX_KEYS; i++)
		if (lifted[i] != NULL && found[i] == NULL)
		{
			found[i] = lifted[i];
			paths[i] = config_join_path(db_path, config_source_keys[i].name);
		}
}

/* Writes db_conn, filling defaults (the port's depends on the type). */
static void
walk_db_conn(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
			 const char *path, const char *source_type)
{
	yaml_node_t *found[CONFIG_MAX_KEYS];
	bool		first = true;
	int			i;

	if (node->type != YAML_MAPPING_NODE)
		config_bad_value(key, node, path, "a mapping with host, port, user, password");
	collect_keys(w, node, path, config_db_conn_keys, found, " in db_conn", true);
	refuse_two_passwords(node, found, path);

	appendStringInfoChar(w->out, '{');
	for (i = 0; config_db_conn_keys[i].name != NULL; i++)
	{
		const ConfigKey *k = &config_db_conn_keys[i];
		const char *defval = k->defval;

		if (strcmp(k->name, "port") == 0)
			defval = strcmp(source_type, "pgsql") == 0 ? "5432" : "3306";
		if (found[i] == NULL)
		{
			if (w->partial)
				continue;
			if (k->required)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("configuration key \"%s.%s\" is required", path, k->name),
						 errdetail("Line %d.", (int) node->start_mark.line + 1),
						 errhint("Add %s to db_conn.", k->name)));
			if (defval == NULL)
				continue;
		}
		if (!first)
			appendStringInfoString(w->out, ", ");
		put_string(w->out, k->name);
		appendStringInfoString(w->out, ": ");
		if (found[i] == NULL)
			appendStringInfoString(w->out, defval);
		else
			walk_value(w, k, found[i], config_join_path(path, k->name), source_type);
		first = false;
	}
	appendStringInfoChar(w->out, '}');
}

/* Validates one value against its key and writes it as JSON. */
static void
walk_value(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
		   const char *path, const char *source_type)
{
	char	   *s;
	int64		i64 = 0;
	bool		b = false;
	int			i;

	config_count_node(w, node);
	switch (key->kind)
	{
		case CK_STRING:
		case CK_PASSWORD:
			s = config_is_null_node(node) ? pstrdup("") :
				config_need_scalar(key, node, path, "a string");
			if (key->kind == CK_STRING && strcmp(key->name, "user") == 0 && s[0] == '\0')
				config_bad_value(key, node, path, "a user name");
			put_string(w->out, s);
			break;
		case CK_PATH:
			s = config_need_scalar(key, node, path, "an absolute file path");
			if (!is_absolute_path(s))
				config_bad_value(key, node, path, "an absolute file path (the file is read by the PostgreSQL server)");
			put_string(w->out, s);
			break;
		case CK_INT:
			s = config_need_scalar(key, node, path, "an integer");
			if (!parse_int64_text(s, &i64) || i64 < key->min || i64 > key->max)
				config_bad_value(key, node, path,
								 psprintf("an integer between " INT64_FORMAT " and " INT64_FORMAT,
										  key->min, key->max));
			appendStringInfo(w->out, INT64_FORMAT, i64);
			break;
		case CK_BOOL:
			s = config_need_scalar(key, node, path, "true or false");
			if (!parse_bool_text(s, &b))
				config_bad_value(key, node, path, "true or false");
			appendStringInfoString(w->out, b ? "true" : "false");
			break;
		case CK_ENUM:
			s = config_need_scalar(key, node, path, "a keyword");
			for (i = 0; key->choices[i] != NULL; i++)
				if (pg_strcasecmp(s, key->choices[i]) == 0)
					break;
			if (key->choices[i] == NULL)
			{
				StringInfoData buf;
				int			j;

				initStringInfo(&buf);
				for (j = 0; key->choices[j] != NULL; j++)
					appendStringInfo(&buf, "%s%s", j > 0 ? " or " : "one of ", key->choices[j]);
				config_bad_value(key, node, path, buf.data);
			}
			put_string(w->out, key->choices[i]);
			break;
		case CK_ROLELIST:
			config_walk_string_list(w, key, node, path, false, false);
			break;
		case CK_TABLELIST:
			config_walk_string_list(w, key, node, path, true, false);
			break;
		case CK_DURATION:
			{
				int			ms;
				const char *hint = NULL;

				s = config_need_scalar(key, node, path, "a time such as 120s");
				if (!parse_int(s, &ms, GUC_UNIT_MS, &hint) || ms < 0)
					config_bad_value(key, node, path, "a time such as 120s, 2min or 500ms");
				put_string(w->out, s);
				break;
			}
		case CK_INTERVAL:
			s = config_need_scalar(key, node, path, "an interval such as '1 day'");
			if (s[0] == '\0')
				config_bad_value(key, node, path, "an interval such as '1 day'");
			put_string(w->out, s);
			break;
		case CK_INTERVAL_OR_DISABLED:
			s = config_need_scalar(key, node, path, "an interval or disabled");
			if (s[0] == '\0')
				config_bad_value(key, node, path, "an interval such as '1 day', or disabled");
			put_string(w->out, pg_strcasecmp(s, "disabled") == 0 ? "disabled" : s);
			break;
		case CK_SIZE:
			s = config_need_scalar(key, node, path, "a size such as 300M");
			if (!chameleon_parse_size(s, &i64) || i64 < 1024 * 1024)
				config_bad_value(key, node, path, "a size of at least 1M, such as 300M or 1GB");
			put_string(w->out, s);
			break;
		case CK_DB_CONN:
			walk_db_conn(w, key, node, path, source_type);
			break;
		case CK_SCHEMA_MAP:
			config_walk_schema_map(w, key, node, path, source_type);
			break;
		case CK_SKIP_EVENTS:
			walk_skip_events(w, key, node, path);
			break;
		case CK_TYPE_OVERRIDE:
			config_walk_type_override(w, key, node, path, NULL);
			break;
		case CK_FILLFACTOR:
			config_walk_fillfactor(w, key, node, path, NULL);
			break;
	}
}

/* The source type a source block gives (default mysql). */
static const char *
source_type_of(yaml_node_t *type)
{
	if (type != NULL && type->type == YAML_SCALAR_NODE &&
		pg_strcasecmp((const char *) type->data.scalar.value, "pgsql") == 0)
		return "pgsql";
	return "mysql";
}

/* The global block (load_config) of a key, or NULL. */
static yaml_node_t *
global_of(const ConfigKey *key, const ConfigGlobals *globals)
{
	if (globals == NULL)
		return NULL;
	if (key->kind == CK_TYPE_OVERRIDE)
		return globals->type_override;
	if (key->kind == CK_FILLFACTOR)
		return globals->fillfactor;
	return NULL;
}

/* Validates a source block and writes it as one JSON object. */
void
config_walk_source(ConfigWalk *w, yaml_node_t *node, const char *prefix,
				   const ConfigGlobals *globals)
{
	yaml_node_t *found[CONFIG_MAX_KEYS];
	char	   *paths[CONFIG_MAX_KEYS];
	const char *type;
	bool		first = true;
	int			i;

	memset(paths, 0, sizeof(paths));
	if (node == NULL || node->type != YAML_MAPPING_NODE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source configuration%s%s must be a mapping",
						prefix[0] ? " " : "", prefix),
				 errdetail("Line %d.", node ? (int) node->start_mark.line + 1 : 1),
				 errhint("Write one key per line (key: value), or a JSON object.")));
	collect_keys(w, node, prefix, config_source_keys, found, "", false);
	lift_db_conn_keys(w, found[key_index(config_source_keys, "db_conn")], prefix, found, paths);
	type = source_type_of(found[key_index(config_source_keys, "type")]);

	appendStringInfoChar(w->out, '{');
	for (i = 0; config_source_keys[i].name != NULL; i++)
	{
		const ConfigKey *key = &config_source_keys[i];
		char	   *path = paths[i] ? paths[i] : config_join_path(prefix, key->name);
		yaml_node_t *global = global_of(key, globals);

		if (found[i] == NULL)
		{
			if (global != NULL)
			{
				/* only the global block: still written */
			}
			else if (w->partial)
				continue;
			else if (key->required)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("configuration key \"%s\" is required", path),
						 errdetail("Line %d.", (int) node->start_mark.line + 1),
						 errhint(key->kind == CK_SCHEMA_MAP ?
								 "Map at least one MySQL schema to a PostgreSQL schema, for example: schema_mappings: {sakila: sakila}" :
								 "Add db_conn with at least host, user and password.")));
			else if (key->defval == NULL)
				continue;
		}
		if (!first)
			appendStringInfoString(w->out, ", ");
		put_string(w->out, key->name);
		appendStringInfoString(w->out, ": ");
		if (global != NULL && key->kind == CK_TYPE_OVERRIDE)
			config_walk_type_override(w, key, found[i], path, global);
		else if (global != NULL && key->kind == CK_FILLFACTOR)
		{
			if (found[i] != NULL)
				config_count_node(w, found[i]);
			config_walk_fillfactor(w, key, found[i], path, global);
		}
		else if (found[i] == NULL)
			appendStringInfoString(w->out, key->defval);
		else
			walk_value(w, key, found[i], path, type);
		first = false;
	}
	appendStringInfoChar(w->out, '}');
}
