/*-------------------------------------------------------------------------
 *
 * config.c
 *	  Validation of source configurations.  A configuration is YAML (JSON
 *	  is valid YAML) with the keys of a pg_chameleon source block; libyaml
 *	  loads it into a node tree, and every key is checked against the table
 *	  below and written out as normalised JSON (fixed key order, typed
 *	  values, defaults filled in).
 *
 *	  Every problem is an ERROR with SQLSTATE 22023 naming the key (as a
 *	  dotted path) and its line.  The value of db_conn.password is never
 *	  quoted in a message.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <yaml.h>

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/guc.h"
#include "utils/json.h"

#include "config.h"

/* how deep and how wide a document may be (aliases can multiply nodes) */
#define CONFIG_MAX_NODES	100000

typedef enum ConfigKind
{
	CK_STRING,					/* any scalar */
	CK_PASSWORD,				/* a scalar never shown in messages */
	CK_INT,						/* integer within [min, max] */
	CK_BOOL,					/* YAML 1.1 booleans */
	CK_ENUM,					/* one of choices */
	CK_ROLELIST,				/* list of role names */
	CK_TABLELIST,				/* list of "schema.table" */
	CK_DURATION,				/* a time in the lock_timeout format */
	CK_INTERVAL,				/* an interval, checked by the SQL layer */
	CK_INTERVAL_OR_DISABLED,	/* an interval or "disabled" */
	CK_SIZE,					/* a memory size such as 300M */
	CK_DB_CONN,					/* the connection mapping */
	CK_SCHEMA_MAP,				/* MySQL schema -> PostgreSQL schema */
	CK_SKIP_EVENTS,				/* insert/update/delete -> list */
	CK_TYPE_OVERRIDE			/* MySQL type -> override mapping */
} ConfigKind;

typedef struct ConfigKey
{
	const char *name;
	ConfigKind	kind;
	const char *defval;			/* JSON text of the default, or NULL */
	bool		required;
	int64		min;
	int64		max;
	const char *const *choices; /* NULL-terminated, for CK_ENUM */
} ConfigKey;

static const char *const source_types[] = {"mysql", "pgsql", NULL};
static const char *const copy_modes[] = {"direct", "file", NULL};
static const char *const on_error[] = {"continue", "exit", NULL};
static const char *const ssl_modes[] = {"disabled", "preferred", "required",
"verify_ca", "verify_identity", NULL};
static const char *const skip_event_kinds[] = {"insert", "update", "delete", NULL};

/* the keys of a source block, in output order */
static const ConfigKey source_keys[] = {
	{"type", CK_ENUM, "\"mysql\"", false, 0, 0, source_types},
	{"db_conn", CK_DB_CONN, NULL, true, 0, 0, NULL},
	{"schema_mappings", CK_SCHEMA_MAP, NULL, true, 0, 0, NULL},
	{"limit_tables", CK_TABLELIST, "[]", false, 0, 0, NULL},
	{"skip_tables", CK_TABLELIST, "[]", false, 0, 0, NULL},
	{"skip_events", CK_SKIP_EVENTS, "{\"insert\": [], \"update\": [], \"delete\": []}", false, 0, 0, NULL},
	{"grant_select_to", CK_ROLELIST, "[]", false, 0, 0, NULL},
	{"type_override", CK_TYPE_OVERRIDE, "{}", false, 0, 0, NULL},
	{"lock_timeout", CK_DURATION, "\"120s\"", false, 0, 0, NULL},
	{"my_server_id", CK_INT, NULL, false, 1, INT64CONST(4294967295), NULL},
	{"replica_batch_size", CK_INT, "10000", false, 1, 10000000, NULL},
	{"replay_max_rows", CK_INT, "10000", false, 1, 10000000, NULL},
	{"batch_retention", CK_INTERVAL, "\"1 day\"", false, 0, 0, NULL},
	{"copy_max_memory", CK_SIZE, "\"300M\"", false, 0, 0, NULL},
	{"copy_mode", CK_ENUM, "\"direct\"", false, 0, 0, copy_modes},
	{"out_dir", CK_STRING, "\"/tmp\"", false, 0, 0, NULL},
	{"sleep_loop", CK_INT, "1", false, 1, 3600, NULL},
	{"on_error_replay", CK_ENUM, "\"continue\"", false, 0, 0, on_error},
	{"on_error_read", CK_ENUM, "\"exit\"", false, 0, 0, on_error},
	{"auto_maintenance", CK_INTERVAL_OR_DISABLED, "\"disabled\"", false, 0, 0, NULL},
	{"gtid_enable", CK_BOOL, "false", false, 0, 0, NULL},
	{"keep_existing_schema", CK_BOOL, "false", false, 0, 0, NULL},
	{NULL, 0, NULL, false, 0, 0, NULL}
};

/* the keys of db_conn, in output order; port's default depends on type */
static const ConfigKey db_conn_keys[] = {
	{"host", CK_STRING, "\"localhost\"", false, 0, 0, NULL},
	{"port", CK_INT, NULL, false, 1, 65535, NULL},
	{"user", CK_STRING, NULL, true, 0, 0, NULL},
	{"password", CK_PASSWORD, NULL, false, 0, 0, NULL},
	{"charset", CK_STRING, "\"utf8mb4\"", false, 0, 0, NULL},
	{"connect_timeout", CK_INT, "10", false, 1, 3600, NULL},
	{"ssl_mode", CK_ENUM, NULL, false, 0, 0, ssl_modes},
	{"ssl_ca", CK_STRING, NULL, false, 0, 0, NULL},
	{"ssl_cert", CK_STRING, NULL, false, 0, 0, NULL},
	{"ssl_key", CK_STRING, NULL, false, 0, 0, NULL},
	{"database", CK_STRING, NULL, false, 0, 0, NULL},
	{NULL, 0, NULL, false, 0, 0, NULL}
};

/* State of one validation run over one loaded document. */
typedef struct ConfigWalk
{
	yaml_document_t *doc;
	StringInfo	out;
	int			visited;		/* nodes seen, against alias bombs */
	bool		partial;
} ConfigWalk;

static void walk_source(ConfigWalk *w, yaml_node_t *node, const char *prefix,
						yaml_node_t *global_override);
static void walk_value(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
					   const char *path, const char *source_type);
static void bad_value(const ConfigKey *key, yaml_node_t *node, const char *path,
					  const char *expected) pg_attribute_noreturn();

/* Returns a palloc'd copy of a scalar node's text. */
static char *
scalar_text(yaml_node_t *node)
{
	return pnstrdup((const char *) node->data.scalar.value,
					node->data.scalar.length);
}

/* Tells whether a node is a YAML null (~, null, or an empty plain scalar). */
static bool
is_null_node(yaml_node_t *node)
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
static void
count_node(ConfigWalk *w, yaml_node_t *node)
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
static char *
join_path(const char *prefix, const char *name)
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
static void
bad_value(const ConfigKey *key, yaml_node_t *node, const char *path,
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
static char *
need_scalar(const ConfigKey *key, yaml_node_t *node, const char *path,
			const char *expected)
{
	if (node->type != YAML_SCALAR_NODE)
		bad_value(key, node, path, expected);
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

/*
 * Parses a memory size such as 300M, 1G, 512kB or a plain number of bytes;
 * false when the text is not one.  pg_chameleon writes "300M", PostgreSQL
 * writes "300MB": both are accepted.
 */
static bool
parse_size_text(const char *s, int64 *bytes)
{
	char	   *end;
	double		v;
	int64		mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || v < 0)
		return false;
	while (*end == ' ')
		end++;
	if (*end == '\0' || pg_strcasecmp(end, "b") == 0)
		mult = 1;
	else if (pg_strcasecmp(end, "k") == 0 || pg_strcasecmp(end, "kb") == 0)
		mult = INT64CONST(1024);
	else if (pg_strcasecmp(end, "m") == 0 || pg_strcasecmp(end, "mb") == 0)
		mult = INT64CONST(1024) * 1024;
	else if (pg_strcasecmp(end, "g") == 0 || pg_strcasecmp(end, "gb") == 0)
		mult = INT64CONST(1024) * 1024 * 1024;
	else
		return false;
	if (v * mult > (double) PG_INT64_MAX)
		return false;
	*bytes = (int64) (v * mult);
	return true;
}

/* Appends a JSON string. */
static void
put_string(StringInfo out, const char *s)
{
	escape_json(out, s);
}

/* Writes a list of scalars; each item is checked by check_item if given. */
static void
walk_string_list(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
				 const char *path, bool tables, bool schema_or_table)
{
	yaml_node_item_t *item;
	bool		first = true;

	appendStringInfoChar(w->out, '[');
	if (!is_null_node(node))
	{
		if (node->type != YAML_SEQUENCE_NODE)
			bad_value(key, node, path, "a list");
		for (item = node->data.sequence.items.start;
			 item < node->data.sequence.items.top; item++)
		{
			yaml_node_t *child = yaml_document_get_node(w->doc, *item);
			char	   *v;
			char	   *dot;

			count_node(w, child);
			v = need_scalar(key, child, path, "a list of names");
			if (v[0] == '\0')
				bad_value(key, child, path, "a non-empty name");
			dot = strchr(v, '.');
			if (tables && (dot == NULL || dot == v || dot[1] == '\0'))
				bad_value(key, child, path, "a table name written as schema.table");
			if (schema_or_table && dot != NULL && (dot == v || dot[1] == '\0'))
				bad_value(key, child, path, "a schema name or schema.table");
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
	if (strncmp(name, "pg_", 3) == 0 ||
		strcmp(name, "information_schema") == 0 ||
		strcmp(name, "chameleon") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("PostgreSQL schema \"%s\" cannot be a replication target", name),
				 errdetail("Line %d: names starting with pg_, information_schema and chameleon are reserved.",
						   (int) node->start_mark.line + 1),
				 errhint("Map the MySQL schema to another PostgreSQL schema in \"%s\".", path)));
}

/* Writes schema_mappings: a non-empty mapping of schema names. */
static void
walk_schema_map(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
				const char *path)
{
	yaml_node_pair_t *pair;
	bool		first = true;
	List	   *targets = NIL;

	if (is_null_node(node) ||
		(node->type == YAML_MAPPING_NODE &&
		 node->data.mapping.pairs.start == node->data.mapping.pairs.top))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration key \"%s\" must not be empty", path),
				 errdetail("Line %d.", (int) node->start_mark.line + 1),
				 errhint("Map at least one MySQL schema to a PostgreSQL schema, for example: schema_mappings: {sakila: sakila}")));
	if (node->type != YAML_MAPPING_NODE)
		bad_value(key, node, path, "a mapping of MySQL schema names to PostgreSQL schema names");

	appendStringInfoChar(w->out, '{');
	for (pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		char	   *mysql_schema;
		char	   *pg_schema;
		ListCell   *lc;

		count_node(w, k);
		count_node(w, v);
		mysql_schema = need_scalar(key, k, path, "a MySQL schema name");
		pg_schema = need_scalar(key, v, path, "a PostgreSQL schema name");
		if (mysql_schema[0] == '\0' || strlen(mysql_schema) > 64)
			bad_value(key, k, path, "a MySQL schema name of 1 to 64 characters");
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

	if (!is_null_node(node))
	{
		if (node->type != YAML_MAPPING_NODE)
			bad_value(key, node, path, "a mapping with the keys insert, update and delete");
		for (pair = node->data.mapping.pairs.start;
			 pair < node->data.mapping.pairs.top; pair++)
		{
			yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
			yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
			char	   *name;
			char	   *sub;
			StringInfoData buf;
			StringInfo	saved = w->out;

			count_node(w, k);
			name = need_scalar(key, k, path, "insert, update or delete");
			sub = join_path(path, name);
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
			count_node(w, v);
			walk_string_list(w, key, v, sub, false, true);
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

/* Writes one type_override entry: {override_to, override_tables}. */
static void
walk_override_entry(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
					const char *path)
{
	yaml_node_pair_t *pair;
	char	   *override_to = NULL;
	char	   *tables = NULL;

	if (node->type != YAML_MAPPING_NODE)
		bad_value(key, node, path, "a mapping with override_to and override_tables");
	for (pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		char	   *name;
		char	   *sub;

		count_node(w, k);
		count_node(w, v);
		name = need_scalar(key, k, path, "override_to or override_tables");
		sub = join_path(path, name);
		if (strcmp(name, "override_to") == 0)
		{
			override_to = need_scalar(key, v, sub, "a PostgreSQL type name");
			if (override_to[0] == '\0')
				bad_value(key, v, sub, "a PostgreSQL type name");
		}
		else if (strcmp(name, "override_tables") == 0)
		{
			StringInfoData buf;
			StringInfo	saved = w->out;

			initStringInfo(&buf);
			w->out = &buf;
			walk_string_list(w, key, v, sub, false, false);
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
	put_string(w->out, override_to);
	appendStringInfo(w->out, ", \"override_tables\": %s}",
					 tables ? tables : "[\"*\"]");
}

/*
 * Writes type_override; entries of the global block (load_config) are
 * added after the source's own, which win on the same MySQL type.
 */
static void
walk_type_override(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
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

		if (blocks[b] == NULL || is_null_node(blocks[b]))
			continue;
		if (blocks[b]->type != YAML_MAPPING_NODE)
			bad_value(key, blocks[b], path, "a mapping of MySQL column types to overrides");
		for (pair = blocks[b]->data.mapping.pairs.start;
			 pair < blocks[b]->data.mapping.pairs.top; pair++)
		{
			yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
			yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
			char	   *mysql_type;
			ListCell   *lc;
			bool		dup = false;

			count_node(w, k);
			mysql_type = need_scalar(key, k, path, "a MySQL column type");
			if (mysql_type[0] == '\0')
				bad_value(key, k, path, "a MySQL column type such as \"tinyint(1)\"");
			foreach(lc, seen)
				if (pg_strcasecmp((char *) lfirst(lc), mysql_type) == 0)
					dup = true;
			if (dup)
				continue;
			seen = lappend(seen, mysql_type);
			if (!first)
				appendStringInfoString(w->out, ", ");
			put_string(w->out, mysql_type);
			appendStringInfoString(w->out, ": ");
			walk_override_entry(w, key, v, join_path(path, mysql_type));
			first = false;
		}
	}
	appendStringInfoChar(w->out, '}');
}

/* Writes db_conn, filling defaults (the port's depends on the type). */
static void
walk_db_conn(ConfigWalk *w, const ConfigKey *key, yaml_node_t *node,
			 const char *path, const char *source_type)
{
	yaml_node_t *found[lengthof(db_conn_keys)];
	yaml_node_pair_t *pair;
	bool		first = true;
	int			i;

	memset(found, 0, sizeof(found));
	if (node->type != YAML_MAPPING_NODE)
		bad_value(key, node, path, "a mapping with host, port, user, password");
	for (pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		char	   *name;
		char	   *sub;

		count_node(w, k);
		name = need_scalar(NULL, k, path, "a key name");
		sub = join_path(path, name);
		for (i = 0; db_conn_keys[i].name != NULL; i++)
			if (strcmp(db_conn_keys[i].name, name) == 0)
				break;
		if (db_conn_keys[i].name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown configuration key \"%s\"", sub),
					 errdetail("Line %d.", (int) k->start_mark.line + 1),
					 errhint("Valid keys in db_conn are: %s.", key_names(db_conn_keys))));
		if (found[i] != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("duplicate configuration key \"%s\"", sub),
					 errdetail("Line %d.", (int) k->start_mark.line + 1),
					 errhint("Write each key once.")));
		found[i] = yaml_document_get_node(w->doc, pair->value);
	}

	appendStringInfoChar(w->out, '{');
	for (i = 0; db_conn_keys[i].name != NULL; i++)
	{
		const ConfigKey *k = &db_conn_keys[i];
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
			walk_value(w, k, found[i], join_path(path, k->name), source_type);
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

	count_node(w, node);
	switch (key->kind)
	{
		case CK_STRING:
		case CK_PASSWORD:
			s = is_null_node(node) ? pstrdup("") :
				need_scalar(key, node, path, "a string");
			if (key->kind == CK_STRING && strcmp(key->name, "user") == 0 && s[0] == '\0')
				bad_value(key, node, path, "a user name");
			put_string(w->out, s);
			break;
		case CK_INT:
			s = need_scalar(key, node, path, "an integer");
			if (!parse_int64_text(s, &i64) || i64 < key->min || i64 > key->max)
				bad_value(key, node, path,
						  psprintf("an integer between " INT64_FORMAT " and " INT64_FORMAT,
								   key->min, key->max));
			appendStringInfo(w->out, INT64_FORMAT, i64);
			break;
		case CK_BOOL:
			s = need_scalar(key, node, path, "true or false");
			if (!parse_bool_text(s, &b))
				bad_value(key, node, path, "true or false");
			appendStringInfoString(w->out, b ? "true" : "false");
			break;
		case CK_ENUM:
			s = need_scalar(key, node, path, "a keyword");
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
				bad_value(key, node, path, buf.data);
			}
			put_string(w->out, key->choices[i]);
			break;
		case CK_ROLELIST:
			walk_string_list(w, key, node, path, false, false);
			break;
		case CK_TABLELIST:
			walk_string_list(w, key, node, path, true, false);
			break;
		case CK_DURATION:
			{
				int			ms;
				const char *hint = NULL;

				s = need_scalar(key, node, path, "a time such as 120s");
				if (!parse_int(s, &ms, GUC_UNIT_MS, &hint) || ms < 0)
					bad_value(key, node, path, "a time such as 120s, 2min or 500ms");
				put_string(w->out, s);
				break;
			}
		case CK_INTERVAL:
			s = need_scalar(key, node, path, "an interval such as '1 day'");
			if (s[0] == '\0')
				bad_value(key, node, path, "an interval such as '1 day'");
			put_string(w->out, s);
			break;
		case CK_INTERVAL_OR_DISABLED:
			s = need_scalar(key, node, path, "an interval or disabled");
			if (s[0] == '\0')
				bad_value(key, node, path, "an interval such as '1 day', or disabled");
			put_string(w->out, pg_strcasecmp(s, "disabled") == 0 ? "disabled" : s);
			break;
		case CK_SIZE:
			s = need_scalar(key, node, path, "a size such as 300M");
			if (!parse_size_text(s, &i64) || i64 < 1024 * 1024)
				bad_value(key, node, path, "a size of at least 1M, such as 300M or 1GB");
			put_string(w->out, s);
			break;
		case CK_DB_CONN:
			walk_db_conn(w, key, node, path, source_type);
			break;
		case CK_SCHEMA_MAP:
			walk_schema_map(w, key, node, path);
			break;
		case CK_SKIP_EVENTS:
			walk_skip_events(w, key, node, path);
			break;
		case CK_TYPE_OVERRIDE:
			walk_type_override(w, key, node, path, NULL);
			break;
	}
}

/* Finds the scalar value of key "type" in a source mapping (default mysql). */
static const char *
source_type_of(ConfigWalk *w, yaml_node_t *node)
{
	yaml_node_pair_t *pair;

	for (pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);

		if (k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE &&
			strcmp((char *) k->data.scalar.value, "type") == 0 &&
			pg_strcasecmp((char *) v->data.scalar.value, "pgsql") == 0)
			return "pgsql";
	}
	return "mysql";
}

/* Validates a source block and writes it as one JSON object. */
static void
walk_source(ConfigWalk *w, yaml_node_t *node, const char *prefix,
			yaml_node_t *global_override)
{
	yaml_node_t *found[lengthof(source_keys)];
	yaml_node_pair_t *pair;
	const char *type;
	bool		first = true;
	int			i;

	if (node == NULL || node->type != YAML_MAPPING_NODE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source configuration%s%s must be a mapping",
						prefix[0] ? " " : "", prefix),
				 errdetail("Line %d.", node ? (int) node->start_mark.line + 1 : 1),
				 errhint("Write one key per line (key: value), or a JSON object.")));
	type = source_type_of(w, node);
	memset(found, 0, sizeof(found));

	for (pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		char	   *name;
		char	   *path;

		count_node(w, k);
		name = need_scalar(NULL, k, prefix, "a key name");
		path = join_path(prefix, name);
		for (i = 0; source_keys[i].name != NULL; i++)
			if (strcmp(source_keys[i].name, name) == 0)
				break;
		if (source_keys[i].name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown configuration key \"%s\"", path),
					 errdetail("Line %d.", (int) k->start_mark.line + 1),
					 errhint("Valid keys are: %s.", key_names(source_keys))));
		if (found[i] != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("duplicate configuration key \"%s\"", path),
					 errdetail("Line %d.", (int) k->start_mark.line + 1),
					 errhint("Write each key once.")));
		found[i] = yaml_document_get_node(w->doc, pair->value);
	}

	appendStringInfoChar(w->out, '{');
	for (i = 0; source_keys[i].name != NULL; i++)
	{
		const ConfigKey *key = &source_keys[i];
		char	   *path = join_path(prefix, key->name);

		if (found[i] == NULL)
		{
			if (key->kind == CK_TYPE_OVERRIDE && global_override != NULL)
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
		if (key->kind == CK_TYPE_OVERRIDE && global_override != NULL)
			walk_type_override(w, key, found[i], path, global_override);
		else if (found[i] == NULL)
			appendStringInfoString(w->out, key->defval);
		else
			walk_value(w, key, found[i], path, type);
		first = false;
	}
	appendStringInfoChar(w->out, '}');
}

/* Raises the error for text that libyaml could not load. */
static void
report_yaml_error(yaml_parser_t *parser)
{
	const char *problem = parser->problem ? parser->problem : "unknown error";
	int			line = (int) parser->problem_mark.line + 1;
	int			column = (int) parser->problem_mark.column + 1;

	if (parser->context)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("malformed YAML in configuration at line %d, column %d: %s",
						line, column, problem),
				 errdetail("The error was found %s (line %d).", parser->context,
						   (int) parser->context_mark.line + 1),
				 errhint("Check the indentation and quoting near that line; JSON is also accepted.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("malformed YAML in configuration at line %d, column %d: %s",
					line, column, problem),
			 errhint("Check the indentation and quoting near that line; JSON is also accepted.")));
}

/*
 * Loads text into a libyaml document; raises the parse error if it cannot.
 * libyaml allocates with malloc, so the caller frees parser and document
 * (also on error, via PG_FINALLY).
 */
static void
load_document(yaml_parser_t *parser, yaml_document_t *doc, const char *text)
{
	yaml_parser_set_input_string(parser, (const unsigned char *) text, strlen(text));
	if (!yaml_parser_load(parser, doc))
		report_yaml_error(parser);
}

/* Returns the root node of a loaded document, or raises "empty". */
static yaml_node_t *
document_root(yaml_document_t *doc)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);

	if (root == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration is empty"),
				 errhint("Give at least db_conn and schema_mappings.")));
	return root;
}

/* See config.h. */
char *
chameleon_parse_source_config(const char *yaml_text, bool partial)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	volatile bool loaded = false;
	StringInfoData out;

	initStringInfo(&out);
	if (!yaml_parser_initialize(&parser))
		elog(ERROR, "could not initialise the YAML parser");
	PG_TRY();
	{
		ConfigWalk	w;
		yaml_node_t *root;

		load_document(&parser, &doc, yaml_text);
		loaded = true;
		root = document_root(&doc);

		w.doc = &doc;
		w.out = &out;
		w.visited = 0;
		w.partial = partial;
		walk_source(&w, root, "", NULL);
	}
	PG_FINALLY();
	{
		if (loaded)
			yaml_document_delete(&doc);
		yaml_parser_delete(&parser);
	}
	PG_END_TRY();
	return out.data;
}

/* See config.h. */
char *
chameleon_parse_schema_mappings(const char *yaml_text)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	volatile bool loaded = false;
	StringInfoData out;

	initStringInfo(&out);
	if (!yaml_parser_initialize(&parser))
		elog(ERROR, "could not initialise the YAML parser");
	PG_TRY();
	{
		ConfigWalk	w;
		yaml_node_t *root;
		int			i;

		load_document(&parser, &doc, yaml_text);
		loaded = true;
		root = document_root(&doc);
		w.doc = &doc;
		w.out = &out;
		w.visited = 0;
		w.partial = false;
		for (i = 0; source_keys[i].name != NULL; i++)
			if (source_keys[i].kind == CK_SCHEMA_MAP)
				break;
		count_node(&w, root);
		walk_schema_map(&w, &source_keys[i], root, "schema_mappings");
	}
	PG_FINALLY();
	{
		if (loaded)
			yaml_document_delete(&doc);
		yaml_parser_delete(&parser);
	}
	PG_END_TRY();
	return out.data;
}

/* Explains, with a NOTICE, why a global key of the file is not used. */
static void
notice_ignored_key(const char *name, yaml_node_t *k)
{
	if (strcmp(name, "pg_conn") == 0)
		ereport(NOTICE,
				(errmsg("configuration key \"pg_conn\" is ignored"),
				 errdetail("chameleon replicates into the database it is installed in (line %d).",
						   (int) k->start_mark.line + 1)));
	else
		ereport(NOTICE,
				(errmsg("configuration key \"%s\" is ignored", name),
				 errdetail("Only type_override and sources are read from a pg_chameleon configuration file (line %d).",
						   (int) k->start_mark.line + 1)));
}

/* See config.h. */
void
chameleon_parse_config_file(const char *yaml_text, const char *path,
							List **names, List **configs)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	volatile bool loaded = false;

	*names = NIL;
	*configs = NIL;
	if (!yaml_parser_initialize(&parser))
		elog(ERROR, "could not initialise the YAML parser");
	PG_TRY();
	{
		ConfigWalk	w;
		yaml_node_t *root;
		yaml_node_t *sources = NULL;
		yaml_node_t *global_override = NULL;
		yaml_node_pair_t *pair;

		load_document(&parser, &doc, yaml_text);
		loaded = true;
		root = document_root(&doc);
		w.doc = &doc;
		w.visited = 0;
		w.partial = false;
		if (root->type != YAML_MAPPING_NODE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("configuration file \"%s\" is not a YAML mapping", path),
					 errhint("A pg_chameleon configuration file has a \"sources\" mapping at its top level.")));

		for (pair = root->data.mapping.pairs.start;
			 pair < root->data.mapping.pairs.top; pair++)
		{
			yaml_node_t *k = yaml_document_get_node(&doc, pair->key);
			yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
			char	   *name;

			count_node(&w, k);
			name = need_scalar(NULL, k, "", "a key name");
			if (strcmp(name, "sources") == 0)
				sources = v;
			else if (strcmp(name, "type_override") == 0)
				global_override = v;
			else
				notice_ignored_key(name, k);
		}
		if (sources == NULL || sources->type != YAML_MAPPING_NODE ||
			sources->data.mapping.pairs.start == sources->data.mapping.pairs.top)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("configuration file \"%s\" has no sources", path),
					 errhint("Add a \"sources\" mapping with one block per MySQL source.")));
		if (global_override != NULL && is_null_node(global_override))
			global_override = NULL;

		for (pair = sources->data.mapping.pairs.start;
			 pair < sources->data.mapping.pairs.top; pair++)
		{
			yaml_node_t *k = yaml_document_get_node(&doc, pair->key);
			yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
			StringInfoData out;
			char	   *name;

			name = need_scalar(NULL, k, "sources", "a source name");
			initStringInfo(&out);
			w.out = &out;
			walk_source(&w, v, join_path("sources", name), global_override);
			*names = lappend(*names, name);
			*configs = lappend(*configs, out.data);
		}
	}
	PG_FINALLY();
	{
		if (loaded)
			yaml_document_delete(&doc);
		yaml_parser_delete(&parser);
	}
	PG_END_TRY();
}
