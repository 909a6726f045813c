/*-------------------------------------------------------------------------
 *
 * source_conf.c
 *	  The one place a source's settings are read from the catalogue into a
 *	  ChameleonSourceConf, and the questions the code asks of them (schema
 *	  mapping, table filters).
 *
 *	  The stored configuration goes through config.c's parser again
 *	  (JSON is YAML): it fills every key from config.c's table of defaults,
 *	  so that a key added by a later version gets its default for sources
 *	  created before it, and no default is written twice.  The password
 *	  comes from chameleon.source_secret.
 *
 *	  Workers keep their source's settings (chameleon_conf_current) and
 *	  read them again only when the catalogue's triggers announce a change
 *	  of chameleon.source or chameleon.source_secret with a relcache
 *	  invalidation, the way pg_cron keeps its job list.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "commands/trigger.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "chameleon.h"
#include "config.h"
#include "source_conf.h"
#include "translate_ddl.h"

PG_FUNCTION_INFO_V1(chameleon_sql_source_changed);

/* the settings a worker keeps, and whether they are still current */
static ChameleonSourceConf *current_conf = NULL;
static MemoryContext current_cxt = NULL;
static bool current_valid = false;
static bool callback_registered = false;
static Oid	source_relid = InvalidOid;
static Oid	secret_relid = InvalidOid;

/* The value of key in a jsonb object, or NULL when absent or JSON null. */
static JsonbValue *
jb_get(JsonbContainer *obj, const char *key)
{
	JsonbValue *v;

	if (obj == NULL)
		return NULL;
	v = getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);
	if (v == NULL || v->type == jbvNull)
		return NULL;
	return v;
}

/* The object (or array) container of key, or NULL. */
static JsonbContainer *
jb_container(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = jb_get(obj, key);

	return (v != NULL && v->type == jbvBinary) ? v->val.binary.data : NULL;
}

/* A scalar of key as palloc'd text (numbers and booleans too), or NULL. */
static char *
jb_text(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = jb_get(obj, key);

	if (v == NULL)
		return NULL;
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			elog(ERROR, "configuration key \"%s\" is not a scalar", key);
	}
	return NULL;
}

/* An integer key (config.c filled it in, so it is there). */
static int64
jb_int(JsonbContainer *obj, const char *key, int64 dflt)
{
	char	   *s = jb_text(obj, key);

	return s ? pg_strtoint64(s) : dflt;
}

/* A boolean key. */
static bool
jb_bool(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = jb_get(obj, key);

	return v != NULL && v->type == jbvBool && v->val.boolean;
}

/* The strings of an array key, as a List of palloc'd C strings. */
static List *
jb_string_list(JsonbContainer *obj, const char *key)
{
	JsonbContainer *arr = jb_container(obj, key);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *out = NIL;

	if (arr == NULL)
		return NIL;
	it = JsonbIteratorInit(arr);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_ELEM && v.type == jbvString)
			out = lappend(out, pnstrdup(v.val.string.val, v.val.string.len));
	return out;
}

/* An interval key as milliseconds; -1 for "disabled". */
static int64
jb_interval_ms(JsonbContainer *obj, const char *key)
{
	char	   *s = jb_text(obj, key);
	Interval   *span;

	if (s == NULL || strcmp(s, "disabled") == 0)
		return -1;
	span = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(s),
												 ObjectIdGetDatum(InvalidOid),
												 Int32GetDatum(-1)));
	return (span->time + ((int64) span->month * DAYS_PER_MONTH + span->day) * USECS_PER_DAY) / 1000;
}

/* Orders a List of C strings. */
static int
cstring_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/* The keys of a jsonb object as C strings, in the object's order. */
static List *
jb_keys(JsonbContainer *obj)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *keys = NIL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_KEY)
			keys = lappend(keys, pnstrdup(v.val.string.val, v.val.string.len));
	return keys;
}

/* schema_mappings in key order, into the two parallel lists. */
static void
load_mappings(ChameleonSourceConf *conf, JsonbContainer *obj)
{
	JsonbContainer *map = jb_container(obj, "schema_mappings");
	List	   *keys;
	ListCell   *lc;

	if (map == NULL)
		return;
	keys = jb_keys(map);
	list_sort(keys, cstring_cmp);
	foreach(lc, keys)
	{
		conf->map_mysql = lappend(conf->map_mysql, lfirst(lc));
		conf->map_pg = lappend(conf->map_pg, jb_text(map, (const char *) lfirst(lc)));
	}
}

/*
 * fillfactor ({"30": {"tables": [...]}, ...}) into the translator's form:
 * config.c has already given each table one percent.
 */
static void
load_fillfactors(ChameleonSourceConf *conf, JsonbContainer *obj)
{
	JsonbContainer *map = jb_container(obj, "fillfactor");
	List	   *keys;
	ListCell   *lc;
	int			n = 0;

	if (map == NULL)
		return;
	keys = jb_keys(map);
	if (keys == NIL)
		return;
	conf->fillfactors = palloc0(sizeof(cddl_fillfactor) * list_length(keys));
	foreach(lc, keys)
	{
		const char *percent = (const char *) lfirst(lc);
		List	   *tables = jb_string_list(jb_container(map, percent), "tables");
		const char **names = palloc0(sizeof(char *) * Max(list_length(tables), 1));
		int			ntables = 0;
		ListCell   *t;

		foreach(t, tables)
			names[ntables++] = (const char *) lfirst(t);
		conf->fillfactors[n].percent = (int) pg_strtoint32(percent);
		conf->fillfactors[n].tables = names;
		conf->fillfactors[n].ntables = ntables;
		n++;
	}
	conf->nfillfactors = n;
}

/* Fills the settings from the normalised configuration. */
static void
conf_from_json(ChameleonSourceConf *conf, const char *json)
{
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	JsonbContainer *root = &jb->root;
	JsonbContainer *db = jb_container(root, "db_conn");
	JsonbContainer *skip = jb_container(root, "skip_events");
	JsonbValue *ov = jb_get(root, "type_override");
	int64		server_id = jb_int(root, "my_server_id", 0);

	conf->type = jb_text(root, "type");
	conf->is_pgsql = strcmp(conf->type, "pgsql") == 0;
	conf->host = jb_text(db, "host");
	conf->port = (int) jb_int(db, "port", 0);
	conf->user = jb_text(db, "user");
	conf->password_file = jb_text(db, "password_file");
	conf->charset = jb_text(db, "charset");
	conf->connect_timeout = (int) jb_int(db, "connect_timeout", 0);
	conf->ssl_mode = jb_text(db, "ssl_mode");
	conf->ssl_ca = jb_text(db, "ssl_ca");
	conf->ssl_cert = jb_text(db, "ssl_cert");
	conf->ssl_key = jb_text(db, "ssl_key");
	conf->database = jb_text(db, "database");

	load_mappings(conf, root);
	conf->limit_tables = jb_string_list(root, "limit_tables");
	conf->skip_tables = jb_string_list(root, "skip_tables");
	conf->skip_insert = jb_string_list(skip, "insert");
	conf->skip_update = jb_string_list(skip, "update");
	conf->skip_delete = jb_string_list(skip, "delete");
	conf->grant_select_to = jb_string_list(root, "grant_select_to");
	if (ov != NULL && ov->type == jbvBinary)
		conf->overrides = chameleon_parse_type_overrides(JsonbValueToJsonb(ov),
														 &conf->noverrides);
	load_fillfactors(conf, root);

	conf->lock_timeout = jb_text(root, "lock_timeout");
	/* a stable id of our own, far from the ids DBAs usually give servers */
	conf->server_id = server_id > 0 ? (uint32) server_id : (uint32) (1000000 + conf->source_id);
	conf->replica_batch_size = (int) jb_int(root, "replica_batch_size", 0);
	conf->replay_max_rows = (int) jb_int(root, "replay_max_rows", 0);
	conf->batch_retention_ms = jb_interval_ms(root, "batch_retention");
	if (!chameleon_parse_size(jb_text(root, "copy_max_memory"), &conf->copy_max_memory))
		elog(ERROR, "invalid copy_max_memory in the configuration of source \"%s\"", conf->name);
	conf->copy_mode = jb_text(root, "copy_mode");
	conf->out_dir = jb_text(root, "out_dir");
	conf->sleep_loop = (int) jb_int(root, "sleep_loop", 0);
	conf->on_error_replay_exit = strcmp(jb_text(root, "on_error_replay"), "exit") == 0;
	conf->on_error_read_exit = strcmp(jb_text(root, "on_error_read"), "exit") == 0;
	conf->auto_maintenance_ms = jb_interval_ms(root, "auto_maintenance");
	conf->gtid_enable = jb_bool(root, "gtid_enable");
	conf->keep_existing_schema = jb_bool(root, "keep_existing_schema");
	conf->verify_chunk_rows = (int) jb_int(root, "verify_chunk_rows", 10000);
	if (!parse_int(jb_text(root, "verify_pause"), &conf->verify_pause_ms, GUC_UNIT_MS, NULL))
		elog(ERROR, "invalid verify_pause in the configuration of source \"%s\"", conf->name);
	conf->net_read_timeout = (int) jb_int(root, "net_read_timeout", 600);
}

/* See source_conf.h. */
ChameleonSourceConf *
chameleon_conf_load(int32 source_id)
{
	MemoryContext caller = CurrentMemoryContext;
	ChameleonSourceConf *conf = palloc0(sizeof(ChameleonSourceConf));
	char	   *stored;

	SPI_connect();
	if (CAT_RUN("SELECT s.source_name, s.config::text, sec.password, s.owner::oid"
				"  FROM chameleon.source s"
				"  LEFT JOIN chameleon.source_secret sec USING (source_id)"
				" WHERE s.source_id = $1", cat_int4(source_id)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source with id %d does not exist", source_id),
				 errhint("It may have been dropped while the worker started.")));
	MemoryContextSwitchTo(caller);
	conf->source_id = source_id;
	conf->name = cat_get_text(0, 1);
	stored = cat_get_text(0, 2);
	conf->password = cat_get_text(0, 3);
	{
		bool		isnull;

		conf->owner = DatumGetObjectId(cat_get_datum(0, 4, &isnull));
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);
	/* what the owner may do is checked again at every load */
	conf->owner_is_superuser = superuser_arg(conf->owner);
	conf->owner_reads_files = has_privs_of_role(conf->owner, ROLE_PG_READ_SERVER_FILES);

	conf_from_json(conf, chameleon_parse_source_config(stored, false));
	pfree(stored);
	return conf;
}

/*
 * chameleon._source_changed() trigger: a statement changed a source's
 * settings or secret; the workers reload them once it commits (see
 * chameleon_conf_current).
 */
Datum
chameleon_sql_source_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("chameleon._source_changed() must be called as a trigger")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

/* Relcache callback: a change of the source catalogue was committed. */
static void
conf_invalidate(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == source_relid || relid == secret_relid)
		current_valid = false;
}

/* See source_conf.h. */
ChameleonSourceConf *
chameleon_conf_current(int32 source_id, bool *reloaded)
{
	MemoryContext next;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(conf_invalidate, (Datum) 0);
		callback_registered = true;
	}
	if (!OidIsValid(source_relid) || !OidIsValid(secret_relid))
	{
		Oid			nsp = get_namespace_oid(CHAMELEON_SCHEMA, false);

		source_relid = get_relname_relid("source", nsp);
		secret_relid = get_relname_relid("source_secret", nsp);
	}
	AcceptInvalidationMessages();
	if (reloaded != NULL)
		*reloaded = false;
	if (current_valid && current_conf != NULL && current_conf->source_id == source_id)
		return current_conf;

	/* valid from now on: a change committed while we read makes it stale */
	current_valid = true;

	/*
	 * Loaded beside the settings in use, which replace them only once the
	 * load succeeded: after a failed load (the source dropped meanwhile)
	 * the names that error context callbacks print are still there.
	 */
	next = AllocSetContextCreate(TopMemoryContext, "chameleon source settings",
								 ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		MemoryContext old = MemoryContextSwitchTo(next);
		ChameleonSourceConf *conf = chameleon_conf_load(source_id);

		MemoryContextSwitchTo(old);
		if (current_cxt != NULL)
			MemoryContextDelete(current_cxt);
		current_cxt = next;
		current_conf = conf;
	}
	PG_CATCH();
	{
		current_valid = false;
		MemoryContextDelete(next);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (reloaded != NULL)
		*reloaded = true;
	return current_conf;
}

/* See source_conf.h. */
const char *
chameleon_map_schema(const ChameleonSourceConf *conf, const char *mysql_schema)
{
	ListCell   *a;
	ListCell   *b;

	forboth(a, conf->map_mysql, b, conf->map_pg)
	{
		if (strcmp((char *) lfirst(a), mysql_schema) == 0)
			return (const char *) lfirst(b);
	}
	return NULL;
}

/* Whether item is "schema.table" for these names. */
static bool
item_is_table(const char *item, const char *schema, size_t slen, const char *table)
{
	return strncmp(item, schema, slen) == 0 && item[slen] == '.' &&
		strcmp(item + slen + 1, table) == 0;
}

/* See source_conf.h. */
bool
chameleon_list_has_table(const List *list, const char *schema, const char *table)
{
	ListCell   *lc;
	size_t		slen = strlen(schema);

	foreach(lc, list)
		if (item_is_table((const char *) lfirst(lc), schema, slen, table))
			return true;
	return false;
}

/* See source_conf.h. */
bool
chameleon_list_has_schema_or_table(const List *list, const char *schema,
								   const char *table)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp((const char *) lfirst(lc), schema) == 0)
			return true;
	return chameleon_list_has_table(list, schema, table);
}

/* See source_conf.h. */
bool
chameleon_table_selected(const ChameleonSourceConf *conf, const char *schema,
						 const char *table)
{
	if (conf->limit_tables != NIL)
	{
		bool		schema_limited = false;
		ListCell   *lc;
		size_t		slen = strlen(schema);

		/* limit_tables restricts only the schemas it names */
		foreach(lc, conf->limit_tables)
		{
			const char *item = (const char *) lfirst(lc);

			if (strncmp(item, schema, slen) == 0 && item[slen] == '.')
				schema_limited = true;
		}
		if (schema_limited && !chameleon_list_has_table(conf->limit_tables, schema, table))
			return false;
	}
	return !chameleon_list_has_table(conf->skip_tables, schema, table);
}
