/*-------------------------------------------------------------------------
 *
 * config.c
 *	  Source configurations: the table of configuration keys with their
 *	  types and defaults (the one place a default is written), loading
 *	  YAML text (JSON is valid YAML) with libyaml, and the entry points that
 *	  validate a source block, a schema mapping or a whole pg_chameleon
 *	  configuration file into normalised JSON (config_walk.c walks the
 *	  document against the table).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "nodes/pg_list.h"

#include "config.h"
#include "config_internal.h"

static const char *const source_types[] = {"mysql", "pgsql", NULL};
static const char *const copy_modes[] = {"direct", "file", NULL};
static const char *const on_error[] = {"continue", "exit", NULL};
static const char *const ssl_modes[] = {"disabled", "preferred", "required",
"verify_ca", "verify_identity", NULL};

/* the keys of a source block, in output order */
const ConfigKey config_source_keys[] = {
	{"type", CK_ENUM, "\"mysql\"", false, 0, 0, source_types},
	{"db_conn", CK_DB_CONN, NULL, true, 0, 0, NULL},
	{"schema_mappings", CK_SCHEMA_MAP, NULL, true, 0, 0, NULL},
	{"limit_tables", CK_TABLELIST, "[]", false, 0, 0, NULL},
	{"skip_tables", CK_TABLELIST, "[]", false, 0, 0, NULL},
	{"skip_events", CK_SKIP_EVENTS, "{\"insert\": [], \"update\": [], \"delete\": []}", false, 0, 0, NULL},
	{"grant_select_to", CK_ROLELIST, "[]", false, 0, 0, NULL, true},
	{"type_override", CK_TYPE_OVERRIDE, "{}", false, 0, 0, NULL},
	{"lock_timeout", CK_DURATION, "\"120s\"", false, 0, 0, NULL, true},
	{"my_server_id", CK_INT, NULL, false, 1, INT64CONST(4294967295), NULL},
	{"replica_batch_size", CK_INT, "10000", false, 1, 10000000, NULL, true},
	{"replay_max_rows", CK_INT, "10000", false, 1, 10000000, NULL, true},
	{"batch_retention", CK_INTERVAL, "\"1 day\"", false, 0, 0, NULL, true},
	{"copy_max_memory", CK_SIZE, "\"300M\"", false, 0, 0, NULL, true},
	{"copy_mode", CK_ENUM, "\"direct\"", false, 0, 0, copy_modes},
	{"out_dir", CK_STRING, "\"/tmp\"", false, 0, 0, NULL},
	{"sleep_loop", CK_INT, "1", false, 1, 3600, NULL, true},
	{"on_error_replay", CK_ENUM, "\"continue\"", false, 0, 0, on_error, true},
	{"on_error_read", CK_ENUM, "\"exit\"", false, 0, 0, on_error, true},
	{"auto_maintenance", CK_INTERVAL_OR_DISABLED, "\"disabled\"", false, 0, 0, NULL, true},
	{"gtid_enable", CK_BOOL, "false", false, 0, 0, NULL},
	{"keep_existing_schema", CK_BOOL, "false", false, 0, 0, NULL},
	/* verify_tables(): rows per chunk, and a pause between chunks */
	{"verify_chunk_rows", CK_INT, "10000", false, 100, 1000000, NULL, true},
	{"verify_pause", CK_DURATION, "\"0ms\"", false, 0, 0, NULL, true},
	{"net_read_timeout", CK_INT, "600", false, 1, 31536000, NULL, true},
	{"fillfactor", CK_FILLFACTOR, "{}", false, 0, 0, NULL, true},
	{NULL, 0, NULL, false, 0, 0, NULL}
};

/* the keys of db_conn, in output order; port's default depends on type */
const ConfigKey config_db_conn_keys[] = {
	{"host", CK_STRING, "\"localhost\"", false, 0, 0, NULL},
	{"port", CK_INT, NULL, false, 1, 65535, NULL},
	{"user", CK_STRING, NULL, true, 0, 0, NULL},
	{"password", CK_PASSWORD, NULL, false, 0, 0, NULL},
	{"password_file", CK_PATH, NULL, false, 0, 0, NULL},
	{"charset", CK_STRING, "\"utf8mb4\"", false, 0, 0, NULL},
	{"connect_timeout", CK_INT, "10", false, 1, 3600, NULL},
	{"ssl_mode", CK_ENUM, NULL, false, 0, 0, ssl_modes},
	{"ssl_ca", CK_STRING, NULL, false, 0, 0, NULL},
	{"ssl_cert", CK_STRING, NULL, false, 0, 0, NULL},
	{"ssl_key", CK_STRING, NULL, false, 0, 0, NULL},
	{"database", CK_STRING, NULL, false, 0, 0, NULL},
	{NULL, 0, NULL, false, 0, 0, NULL}
};

StaticAssertDecl(lengthof(config_source_keys) <= CONFIG_MAX_KEYS,
				 "too many source configuration keys");
StaticAssertDecl(lengthof(config_db_conn_keys) <= CONFIG_MAX_KEYS,
				 "too many db_conn configuration keys");

/* See config.h. */
List *
chameleon_config_live_keys(void)
{
	List	   *keys = NIL;

	for (int i = 0; config_source_keys[i].name != NULL; i++)
		if (config_source_keys[i].live)
			keys = lappend(keys, (char *) config_source_keys[i].name);
	return keys;
}

/*
 * Parses a memory size such as 300M, 1G, 512kB or a plain number of bytes;
 * false when the text is not one.  pg_chameleon writes "300M", PostgreSQL
 * writes "300MB": both are accepted.
 */
bool
chameleon_parse_size(const char *s, int64 *bytes)
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

/* What one of the entry points does with a loaded document. */
typedef void (*ConfigDocumentFn) (ConfigWalk *w, yaml_node_t *root, void *arg);

/*
 * Loads YAML text and hands its root to fn with a walk that writes into
 * out.  libyaml allocates with malloc: its parser and document are freed
 * on every path, errors included.
 */
static void
with_document(const char *yaml_text, StringInfo out, ConfigDocumentFn fn, void *arg)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	volatile bool loaded = false;

	if (!yaml_parser_initialize(&parser))
		elog(ERROR, "could not initialise the YAML parser");
	PG_TRY();
	{
		ConfigWalk	w;

		load_document(&parser, &doc, yaml_text);
		loaded = true;
		w.doc = &doc;
		w.out = out;
		w.visited = 0;
		w.partial = false;
		fn(&w, document_root(&doc), arg);
	}
	PG_FINALLY();
	{
		if (loaded)
			yaml_document_delete(&doc);
		yaml_parser_delete(&parser);
	}
	PG_END_TRY();
}

/* Walks one source block (arg: the partial flag). */
static void
source_document(ConfigWalk *w, yaml_node_t *root, void *arg)
{
	w->partial = *(bool *) arg;
	config_walk_source(w, root, "", NULL);
}

/* See config.h. */
char *
chameleon_parse_source_config(const char *yaml_text, bool partial)
{
	StringInfoData out;

	initStringInfo(&out);
	with_document(yaml_text, &out, source_document, &partial);
	return out.data;
}

/* Walks a schema_mappings value alone. */
static void
mappings_document(ConfigWalk *w, yaml_node_t *root, void *arg)
{
	int			i;

	for (i = 0; config_source_keys[i].name != NULL; i++)
		if (config_source_keys[i].kind == CK_SCHEMA_MAP)
			break;
	config_count_node(w, root);
	config_walk_schema_map(w, &config_source_keys[i], root, "schema_mappings", NULL);
}

/* See config.h. */
char *
chameleon_parse_schema_mappings(const char *yaml_text)
{
	StringInfoData out;

	initStringInfo(&out);
	with_document(yaml_text, &out, mappings_document, NULL);
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
				 errdetail("Only type_override, fillfactor and sources are read from a pg_chameleon configuration file (line %d).",
						   (int) k->start_mark.line + 1)));
}

/* What walking a whole configuration file collects. */
typedef struct ConfigFile
{
	const char *path;
	List	   *names;
	List	   *configs;
} ConfigFile;

/*
 * Walks a whole pg_chameleon configuration file: each block under
 * "sources", with the global type_override and fillfactor; other global
 * keys get a NOTICE.
 */
static void
file_document(ConfigWalk *w, yaml_node_t *root, void *arg)
{
	ConfigFile *f = (ConfigFile *) arg;
	yaml_node_t *sources = NULL;
	ConfigGlobals globals = {NULL, NULL};
	yaml_node_pair_t *pair;

	if (root->type != YAML_MAPPING_NODE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration file \"%s\" is not a YAML mapping", f->path),
				 errhint("A pg_chameleon configuration file has a \"sources\" mapping at its top level.")));

	for (pair = root->data.mapping.pairs.start;
		 pair < root->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		char	   *name;

		config_count_node(w, k);
		name = config_need_scalar(NULL, k, "", "a key name");
		if (strcmp(name, "sources") == 0)
			sources = v;
		else if (strcmp(name, "type_override") == 0)
			globals.type_override = v;
		else if (strcmp(name, "fillfactor") == 0)
			globals.fillfactor = v;
		else
			notice_ignored_key(name, k);
	}
	if (sources == NULL || sources->type != YAML_MAPPING_NODE ||
		sources->data.mapping.pairs.start == sources->data.mapping.pairs.top)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration file \"%s\" has no sources", f->path),
				 errhint("Add a \"sources\" mapping with one block per MySQL source.")));
	if (globals.type_override != NULL && config_is_null_node(globals.type_override))
		globals.type_override = NULL;
	if (globals.fillfactor != NULL && config_is_null_node(globals.fillfactor))
		globals.fillfactor = NULL;

	for (pair = sources->data.mapping.pairs.start;
		 pair < sources->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		char	   *name;

		name = config_need_scalar(NULL, k, "sources", "a source name");
		w->out = makeStringInfo();
		config_walk_source(w, v, config_join_path("sources", name), &globals);
		f->names = lappend(f->names, name);
		f->configs = lappend(f->configs, w->out->data);
	}
}

/* See config.h. */
void
chameleon_parse_config_file(const char *yaml_text, const char *path,
							List **names, List **configs)
{
	ConfigFile	f = {path, NIL, NIL};

	with_document(yaml_text, NULL, file_document, &f);
	*names = f.names;
	*configs = f.configs;
}
