/*
 * chameleon--1.0--1.1.sql
 *	  Upgrade of the chameleon catalogue from 1.0 to 1.1 (ALTER EXTENSION
 *	  chameleon UPDATE).  Every change here is also in chameleon--1.1.sql;
 *	  t/012_upgrade.pl checks that both give the same catalogue.
 */

\echo Use "ALTER EXTENSION chameleon UPDATE" to load this file. \quit

-- monitoring (prometheus-postgres-exporter runs as a pg_monitor member)
GRANT SELECT ON chameleon.init_progress TO pg_monitor;

------------------------------------------------------------------------
-- Object names, binlog positions, source state, settings invalidation
------------------------------------------------------------------------

-- The role that called the management function (the caller of a SECURITY
-- DEFINER function: GetOuterUserId()).
CREATE FUNCTION chameleon._caller()
RETURNS regrole
LANGUAGE c STABLE STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_caller';

-- Gives a source to another role: from then on everything done for it is
-- done with that role's privileges.  Superusers only.
CREATE FUNCTION chameleon.alter_source_owner(source_name text, new_owner name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src	chameleon.source;
	v_role	regrole;
BEGIN
	IF NOT (SELECT rolsuper FROM pg_roles WHERE oid = chameleon._caller()) THEN
		RAISE EXCEPTION USING
			ERRCODE = 'insufficient_privilege',
			MESSAGE = format('permission denied to change the owner of source "%s"',
							 alter_source_owner.source_name),
			HINT = 'Only superusers may give a source to another role.';
	END IF;
	v_src := chameleon._lookup_source(alter_source_owner.source_name);
	v_role := to_regrole(quote_ident(alter_source_owner.new_owner));
	IF v_role IS NULL THEN
		RAISE EXCEPTION USING
			ERRCODE = 'undefined_object',
			MESSAGE = format('role "%s" does not exist', alter_source_owner.new_owner),
			HINT = 'Name an existing role.';
	END IF;
	PERFORM chameleon._refuse_busy(v_src, 'alter_source_owner()');
	UPDATE chameleon.source SET owner = v_role WHERE source_id = v_src.source_id;
	PERFORM chameleon._wake_launcher();
END
$$;

-- Stops a running source inside the calling transaction: the reader
-- first, then the replay once it has applied what the reader logged; both
-- stay stopped until the transaction ends (src/detach.c).
CREATE FUNCTION chameleon._stop_source(source_id integer, source_name text)
RETURNS void
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_stop_source';

-- The SQL words of a MySQL foreign-key action.
CREATE FUNCTION chameleon._fk_action_sql(p_action text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
SELECT CASE p_action WHEN 'cascade' THEN 'CASCADE' WHEN 'set null' THEN 'SET NULL'
					 WHEN 'set default' THEN 'SET DEFAULT' WHEN 'no action' THEN 'NO ACTION'
					 ELSE 'RESTRICT' END
$$;

-- The configuration keys that may change while a source runs.
CREATE FUNCTION chameleon._config_live_keys()
RETURNS text[]
LANGUAGE c IMMUTABLE STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_config_live_keys';

-- The names of a source's objects (src/names.c): its change log, the
-- log's range partitions, the LIKE pattern of its loading schemas.
CREATE FUNCTION chameleon._log_table_name(source_id integer)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'chameleon_sql_log_table_name';

CREATE FUNCTION chameleon._log_range_name(source_id integer, first_event_id bigint)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'chameleon_sql_log_range_name';

CREATE FUNCTION chameleon._loading_schema_pattern(source_id integer)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'chameleon_sql_loading_schema_pattern';

-- The order of binlog coordinates (src/position.c): -1, 0 or 1; file
-- names compare by their numeric suffix (mysql-bin.999999 < mysql-bin.1000000).
CREATE FUNCTION chameleon._binlog_pos_cmp(file_a text, pos_a bigint, file_b text, pos_b bigint)
RETURNS integer
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'chameleon_sql_binlog_pos_cmp';

-- Changes a source's status and desired state (NULL keeps either) and,
-- with set_error, its last_error (src/source_state.c, the one owner of a
-- source's state).
CREATE FUNCTION chameleon._set_state(source_id integer, status text, desired_state text,
									 set_error boolean, last_error text)
RETURNS void
LANGUAGE c
AS 'MODULE_PATHNAME', 'chameleon_sql_set_state';

-- Trigger: a source's settings or secret changed; the workers reload them
-- after the commit (src/source_conf.c).
CREATE FUNCTION chameleon._source_changed()
RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'chameleon_sql_source_changed';

------------------------------------------------------------------------
-- Foreign keys: one row per key in chameleon.foreign_key instead of the
-- PostgreSQL statements kept in replica_table.foreign_keys (they named the
-- loading schema, which is gone after the copy)
------------------------------------------------------------------------

CREATE TABLE chameleon.foreign_key (
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	source_schema	text NOT NULL,		-- the referencing table
	source_table	text NOT NULL,
	fk_name			text NOT NULL,
	columns			text[] NOT NULL,
	ref_schema		text NOT NULL,		-- the referenced table
	ref_table		text NOT NULL,
	ref_columns		text[] NOT NULL,
	on_delete		text NOT NULL DEFAULT 'restrict'
		CHECK (on_delete IN ('restrict', 'no action', 'cascade', 'set null', 'set default')),
	on_update		text NOT NULL DEFAULT 'restrict'
		CHECK (on_update IN ('restrict', 'no action', 'cascade', 'set null', 'set default')),
	PRIMARY KEY (source_id, source_schema, source_table, fk_name),
	CHECK (cardinality(columns) = cardinality(ref_columns) AND cardinality(columns) > 0)
);
CREATE INDEX ON chameleon.foreign_key (source_id, ref_schema, ref_table);
SELECT pg_catalog.pg_extension_config_dump('chameleon.foreign_key', '');
REVOKE ALL ON chameleon.foreign_key FROM PUBLIC;

-- The 1.0 initial copy kept each key as the statement the DDL translator
-- wrote: ALTER TABLE <table> ADD CONSTRAINT <name> FOREIGN KEY (<columns>)
-- REFERENCES <loading schema>.<table> (<columns>) [ON DELETE <action>]
-- [ON UPDATE <action>] NOT VALID.  The referenced table is in the MySQL
-- schema of the referencing one (the copy translated without schema
-- mappings); names are PostgreSQL identifiers, the MySQL names quoted.
DO $migrate$
DECLARE
	v_ident	constant text := '("(?:[^"]|"")+"|[^\s".(),]+)';
	v_tab	record;
	v_stmt	text;
	v_m		text[];
	v_cols	text[];
	v_refs	text[];
BEGIN
	FOR v_tab IN SELECT source_id, source_schema, source_table, foreign_keys
				   FROM chameleon.replica_table WHERE cardinality(foreign_keys) > 0 LOOP
		FOREACH v_stmt IN ARRAY v_tab.foreign_keys LOOP
			v_m := regexp_match(v_stmt,
				'^ALTER TABLE .*? ADD CONSTRAINT ' || v_ident || ' FOREIGN KEY \((.*?)\) REFERENCES (?:'
				|| v_ident || '\.)?' || v_ident || ' \((.*?)\)'
				|| '(?: ON DELETE (CASCADE|SET NULL|SET DEFAULT|RESTRICT|NO ACTION))?'
				|| '(?: ON UPDATE (CASCADE|SET NULL|SET DEFAULT|RESTRICT|NO ACTION))?');
			IF v_m IS NULL THEN
				RAISE NOTICE 'foreign key of table %.% not understood, left out: %',
					v_tab.source_schema, v_tab.source_table, v_stmt;
				CONTINUE;
			END IF;
			SELECT array_agg(CASE WHEN x[1] LIKE '"%' THEN replace(substr(x[1], 2, length(x[1]) - 2), '""', '"')
								  ELSE x[1] END)
			  INTO v_cols FROM regexp_matches(v_m[2], v_ident, 'g') x;
			SELECT array_agg(CASE WHEN x[1] LIKE '"%' THEN replace(substr(x[1], 2, length(x[1]) - 2), '""', '"')
								  ELSE x[1] END)
			  INTO v_refs FROM regexp_matches(v_m[5], v_ident, 'g') x;
			INSERT INTO chameleon.foreign_key (source_id, source_schema, source_table, fk_name,
											   columns, ref_schema, ref_table, ref_columns,
											   on_delete, on_update)
			VALUES (v_tab.source_id, v_tab.source_schema, v_tab.source_table,
					CASE WHEN v_m[1] LIKE '"%' THEN replace(substr(v_m[1], 2, length(v_m[1]) - 2), '""', '"')
						 ELSE v_m[1] END,
					v_cols, v_tab.source_schema,
					CASE WHEN v_m[4] LIKE '"%' THEN replace(substr(v_m[4], 2, length(v_m[4]) - 2), '""', '"')
						 ELSE v_m[4] END,
					v_refs, lower(coalesce(v_m[6], 'restrict')), lower(coalesce(v_m[7], 'restrict')))
			ON CONFLICT DO NOTHING;
		END LOOP;
	END LOOP;
END
$migrate$;

ALTER TABLE chameleon.replica_table DROP COLUMN foreign_keys;
ALTER TABLE chameleon.table_progress DROP COLUMN foreign_keys;
ALTER TABLE chameleon.table_progress ADD COLUMN fk_defs jsonb NOT NULL DEFAULT '[]';

-- the foreign-key actions held for tables being synced come after their event
ALTER TABLE chameleon.log_held ADD COLUMN hold_seq integer NOT NULL DEFAULT 0;
ALTER TABLE chameleon.log_held DROP CONSTRAINT log_held_pkey;
ALTER TABLE chameleon.log_held ADD PRIMARY KEY (source_id, event_id, hold_seq);

------------------------------------------------------------------------
-- Owners: a source belongs to the role that added it; sources of 1.0,
-- which only superusers' workers served, belong to the extension's owner
------------------------------------------------------------------------

ALTER TABLE chameleon.source ADD COLUMN owner regrole;
UPDATE chameleon.source
   SET owner = (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'chameleon')::regrole;
ALTER TABLE chameleon.source ALTER COLUMN owner SET NOT NULL;

CREATE OR REPLACE VIEW chameleon.sources AS
SELECT s.source_name,
	   s.source_type,
	   s.status,
	   CASE WHEN sec.password IS NULL THEN s.config
			ELSE pg_catalog.jsonb_set(s.config, '{db_conn,password}', '"********"')
	   END AS config,
	   pg_catalog.pg_get_userbyid(s.owner) AS owner
  FROM chameleon.source s
  LEFT JOIN chameleon.source_secret sec USING (source_id);

CREATE TRIGGER source_changed
	AFTER INSERT OR DELETE OR UPDATE OF config, source_name, source_type, owner
	ON chameleon.source
	FOR EACH STATEMENT EXECUTE FUNCTION chameleon._source_changed();

CREATE TRIGGER secret_changed
	AFTER INSERT OR UPDATE OR DELETE ON chameleon.source_secret
	FOR EACH STATEMENT EXECUTE FUNCTION chameleon._source_changed();

------------------------------------------------------------------------
-- What the initial copy runs on the tables it loads and swaps
------------------------------------------------------------------------

-- Runs one statement on target objects (schemas, tables, constraints) as
-- the owner of a source: what the management functions do to target
-- objects needs the owner's privileges, not theirs (src/owner_sql.c).
CREATE FUNCTION chameleon._owner_exec(source_id integer, sql text)
RETURNS void
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_owner_exec';

-- Sets every identity or serial sequence of a table past the largest
-- value of its column, as the owner of the source (detach_replica()).
CREATE FUNCTION chameleon._set_sequences(source_id integer, rel regclass)
RETURNS void
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_set_sequences';

------------------------------------------------------------------------
-- Functions whose bodies changed
------------------------------------------------------------------------

-- Checks what the C parser cannot (intervals, types, roles, mappings owned
-- by other sources) and stores a validated configuration.  p_id is NULL
-- for a new source.  Returns the source id.
CREATE OR REPLACE FUNCTION chameleon._store_source(p_name text, p_cfg jsonb, p_id integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_password	text := p_cfg #>> '{db_conn,password}';
	v_cfg		jsonb := p_cfg #- '{db_conn,password}';
	v_id		integer := p_id;
	v_key		text;
	v_value		text;
	v_other		text;
	v_old		chameleon.source;
BEGIN
	FOREACH v_key IN ARRAY ARRAY['batch_retention', 'auto_maintenance'] LOOP
		v_value := v_cfg ->> v_key;
		CONTINUE WHEN v_value IS NULL OR v_value = 'disabled';
		BEGIN
			PERFORM v_value::interval;
		EXCEPTION WHEN others THEN
			RAISE EXCEPTION USING
				ERRCODE = 'invalid_parameter_value',
				MESSAGE = format('invalid value for configuration key "%s": "%s"', v_key, v_value),
				DETAIL = 'Expected an interval such as ''1 day'' or ''12 hours''.',
				HINT = format('Correct the value of "%s" in the configuration.', v_key);
		END;
	END LOOP;

	FOR v_key, v_value IN
		SELECT o.key, o.value ->> 'override_to'
		  FROM jsonb_each(v_cfg -> 'type_override') o
	LOOP
		BEGIN
			v_other := to_regtype(v_value)::text;
		EXCEPTION WHEN others THEN
			v_other := NULL;
		END;
		IF v_other IS NULL THEN
			RAISE EXCEPTION USING
				ERRCODE = 'invalid_parameter_value',
				MESSAGE = format('invalid value for configuration key "type_override.%s.override_to": "%s"',
								 v_key, v_value),
				DETAIL = 'It is not a PostgreSQL type.',
				HINT = 'Name an existing PostgreSQL type, for example boolean or text.';
		END IF;
	END LOOP;

	FOR v_value IN SELECT jsonb_array_elements_text(v_cfg -> 'grant_select_to') LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_value) THEN
			RAISE NOTICE 'role "%" named in grant_select_to does not exist yet', v_value
				USING HINT = 'Create it before init_replica(), which grants SELECT to it.';
		END IF;
	END LOOP;

	FOR v_key, v_value IN SELECT m.key, m.value FROM jsonb_each_text(v_cfg -> 'schema_mappings') m LOOP
		SELECT s.source_name INTO v_other
		  FROM chameleon.schema_mapping sm
		  JOIN chameleon.source s USING (source_id)
		 WHERE sm.schema_name = v_value
		   AND (v_id IS NULL OR sm.source_id <> v_id);
		IF FOUND THEN
			RAISE EXCEPTION USING
				ERRCODE = 'duplicate_object',
				MESSAGE = format('PostgreSQL schema "%s" is already mapped by source "%s"',
								 v_value, v_other),
				HINT = 'Each PostgreSQL schema belongs to one source: map the MySQL schema to another PostgreSQL schema.';
		END IF;
	END LOOP;

	IF v_id IS NULL THEN
		INSERT INTO chameleon.source (source_name, source_type, config, owner)
		VALUES (p_name, v_cfg ->> 'type', v_cfg, chameleon._caller())
		RETURNING source_id INTO v_id;
		INSERT INTO chameleon.source_secret (source_id, password) VALUES (v_id, v_password);
		-- the source's log, in ranges of event ids that are dropped whole
		-- once replayed (src/log_partition.c); the reader adds the next
		-- ranges, this first one lets the log exist from the start.  The
		-- ranges are UNLOGGED: the log is a buffer of what MySQL's binlog
		-- holds, read again from the replay position after a crash
		-- (chameleon.log_alive)
		EXECUTE format('CREATE TABLE chameleon.%I PARTITION OF chameleon.log_event FOR VALUES IN (%s)'
					   ' PARTITION BY RANGE (event_id)',
					   chameleon._log_table_name(v_id), v_id);
		EXECUTE format('CREATE UNLOGGED TABLE chameleon.%I PARTITION OF chameleon.%I FOR VALUES FROM (0) TO (%s)',
					   chameleon._log_range_name(v_id, 0), chameleon._log_table_name(v_id),
					   current_setting('chameleon.log_partition_events')::bigint);
	ELSE
		SELECT * INTO v_old FROM chameleon.source WHERE source_id = v_id;
		IF v_old.status <> 'ready'
		   AND (v_old.config -> 'schema_mappings') IS DISTINCT FROM (v_cfg -> 'schema_mappings') THEN
			RAISE EXCEPTION USING
				ERRCODE = 'object_not_in_prerequisite_state',
				MESSAGE = format('the schema mappings of source "%s" cannot be replaced in state "%s"',
								 p_name, v_old.status),
				HINT = format('Rename PostgreSQL schemas with: SELECT chameleon.update_schema_mappings(%L, ''...'');', p_name);
		END IF;
		IF v_old.status <> 'ready' AND v_old.source_type <> (v_cfg ->> 'type') THEN
			RAISE EXCEPTION USING
				ERRCODE = 'object_not_in_prerequisite_state',
				MESSAGE = format('the type of source "%s" cannot be changed in state "%s"',
								 p_name, v_old.status),
				HINT = 'Drop the source and add it again with the new type.';
		END IF;
		UPDATE chameleon.source
		   SET config = v_cfg, source_type = v_cfg ->> 'type'
		 WHERE source_id = v_id;
		INSERT INTO chameleon.source_secret AS sec (source_id, password)
		VALUES (v_id, v_password)
		ON CONFLICT (source_id) DO UPDATE SET password = excluded.password;
		DELETE FROM chameleon.schema_mapping WHERE source_id = v_id;
	END IF;

	INSERT INTO chameleon.schema_mapping (source_id, source_schema, schema_name)
	SELECT v_id, m.key, m.value FROM jsonb_each_text(v_cfg -> 'schema_mappings') m;

	PERFORM chameleon._wake_launcher();
	RETURN v_id;
END
$$;

-- Merges configuration keys into a source; keys that need a stopped
-- source are refused while it runs.
CREATE OR REPLACE FUNCTION chameleon.alter_source(source_name text, config text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src		chameleon.source;
	v_part		jsonb;
	v_merged	jsonb;
	v_password	text;
	v_key		text;
	-- keys the workers re-read while running (config.c's key table)
	v_live		text[] := chameleon._config_live_keys();
BEGIN
	v_src := chameleon._lookup_source(alter_source.source_name);
	IF alter_source.config IS NULL THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'configuration to merge is NULL',
			HINT = 'Give the keys to change, for example: sleep_loop: 5';
	END IF;
	v_part := chameleon._parse_config(alter_source.config, true);
	IF v_part = '{}'::jsonb THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'configuration to merge has no keys',
			HINT = 'Give the keys to change, for example: sleep_loop: 5';
	END IF;
	IF v_src.status IN ('running', 'initialising', 'syncing') THEN
		FOR v_key IN SELECT jsonb_object_keys(v_part) LOOP
			IF NOT v_key = ANY (v_live) THEN
				RAISE EXCEPTION USING
					ERRCODE = 'object_not_in_prerequisite_state',
					MESSAGE = format('configuration key "%s" cannot be changed while source "%s" is in state "%s"',
									 v_key, v_src.source_name, v_src.status),
					HINT = format('Stop it first with: SELECT chameleon.stop_replica(%L); keys that can change while it runs: %s.',
								  v_src.source_name, array_to_string(v_live, ', '));
			END IF;
		END LOOP;
	END IF;

	SELECT password INTO v_password FROM chameleon.source_secret WHERE source_id = v_src.source_id;
	v_merged := v_src.config;
	IF v_password IS NOT NULL THEN
		v_merged := jsonb_set(v_merged, '{db_conn,password}', to_jsonb(v_password));
	END IF;
	IF v_part ? 'db_conn' THEN
		v_merged := jsonb_set(v_merged, '{db_conn}', (v_merged -> 'db_conn') || (v_part -> 'db_conn'));
	END IF;
	v_merged := v_merged || (v_part - 'db_conn');
	-- JSON is YAML: the merged whole goes through the full validation again
	v_merged := chameleon._parse_config(v_merged::text, false);
	PERFORM chameleon._store_source(v_src.source_name, v_merged, v_src.source_id);
END
$$;

-- Deletes a source's replayed log_batch rows replayed longer ago than its
-- batch_retention (every replayed one with p_all), but never the newest
-- row: the reader numbers its next batch after it.  Returns the count.
CREATE OR REPLACE FUNCTION chameleon._purge_batches(p_source_id integer, p_all boolean)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
WITH s AS (
	SELECT (src.config ->> 'batch_retention')::interval AS retention
	  FROM chameleon.source src WHERE src.source_id = p_source_id
), d AS (
	DELETE FROM chameleon.log_batch b USING s
	 WHERE b.source_id = p_source_id AND b.replayed_at IS NOT NULL
	   AND (p_all OR b.replayed_at < clock_timestamp() - s.retention)
	   AND b.batch_id < (SELECT max(m.batch_id) FROM chameleon.log_batch m
						  WHERE m.source_id = p_source_id)
	RETURNING 1
)
SELECT count(*) FROM d
$$;

-- Removes a source and its catalogue; the replicated tables stay.
CREATE OR REPLACE FUNCTION chameleon.drop_source(source_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src chameleon.source;
BEGIN
	v_src := chameleon._lookup_source(drop_source.source_name);
	PERFORM chameleon._refuse_busy(v_src, 'drop_source()');
	EXECUTE format('DROP TABLE IF EXISTS chameleon.%I', chameleon._log_table_name(v_src.source_id));
	DELETE FROM chameleon.source WHERE source_id = v_src.source_id;
	PERFORM chameleon._wake_launcher();
END
$$;

-- Ends replication for good: a running source is stopped once it has
-- applied everything read, sequences are set past the maximum, the MySQL
-- foreign keys are created with their actions (NOT VALID, then VALIDATE;
-- failures are WARNINGs), the source is removed; the tables stay as
-- ordinary tables.
CREATE OR REPLACE FUNCTION chameleon.detach_replica(source_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src	chameleon.source;
	v_fk	record;
	v_sql	text;
	v_con	record;
BEGIN
	v_src := chameleon._lookup_source(detach_replica.source_name, false);
	IF v_src.status IN ('initialising', 'syncing')
	   OR EXISTS (SELECT 1 FROM chameleon.replica_table t
				   WHERE t.source_id = v_src.source_id AND t.syncing) THEN
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = format('detach_replica() is not possible while source "%s" copies tables',
							 v_src.source_name),
			HINT = 'Wait for the copy to finish (see chameleon.init_progress), then try again.';
	END IF;
	IF v_src.status = 'running' OR v_src.desired_state = 'running' THEN
		PERFORM chameleon._stop_source(v_src.source_id, v_src.source_name);
	END IF;
	v_src := chameleon._lookup_source(detach_replica.source_name);

	PERFORM chameleon._set_sequences(v_src.source_id, to_regclass(format('%I.%I', t.schema_name, t.table_name)))
	   FROM chameleon.replica_table t
	  WHERE t.source_id = v_src.source_id
		AND to_regclass(format('%I.%I', t.schema_name, t.table_name)) IS NOT NULL;

	-- foreign keys once every table is there: they may point at each other
	FOR v_fk IN SELECT f.fk_name, f.columns, f.ref_columns, f.on_delete, f.on_update,
					   f.source_schema, f.source_table, f.ref_schema, f.ref_table,
					   c.schema_name AS child_schema, c.table_name AS child_table,
					   p.schema_name AS parent_schema, p.table_name AS parent_table
				  FROM chameleon.foreign_key f
				  LEFT JOIN chameleon.replica_table c
					ON c.source_id = f.source_id AND c.source_schema = f.source_schema
				   AND c.source_table = f.source_table
				  LEFT JOIN chameleon.replica_table p
					ON p.source_id = f.source_id AND p.source_schema = f.ref_schema
				   AND p.source_table = f.ref_table
				 WHERE f.source_id = v_src.source_id
				 ORDER BY f.source_schema, f.source_table, f.fk_name LOOP
		IF v_fk.child_table IS NULL OR v_fk.parent_table IS NULL
		   OR to_regclass(format('%I.%I', v_fk.child_schema, v_fk.child_table)) IS NULL
		   OR to_regclass(format('%I.%I', v_fk.parent_schema, v_fk.parent_table)) IS NULL THEN
			RAISE WARNING 'foreign key % of MySQL table %.% not created: it references %.%, which is not replicated',
				v_fk.fk_name, v_fk.source_schema, v_fk.source_table, v_fk.ref_schema, v_fk.ref_table;
			CONTINUE;
		END IF;
		v_sql := format('ALTER TABLE %I.%I ADD CONSTRAINT %I FOREIGN KEY (%s) REFERENCES %I.%I (%s)'
						' ON DELETE %s ON UPDATE %s NOT VALID',
						v_fk.child_schema, v_fk.child_table, v_fk.fk_name,
						(SELECT string_agg(quote_ident(c), ', ' ORDER BY o) FROM unnest(v_fk.columns) WITH ORDINALITY u(c, o)),
						v_fk.parent_schema, v_fk.parent_table,
						(SELECT string_agg(quote_ident(c), ', ' ORDER BY o) FROM unnest(v_fk.ref_columns) WITH ORDINALITY u(c, o)),
						chameleon._fk_action_sql(v_fk.on_delete), chameleon._fk_action_sql(v_fk.on_update));
		BEGIN
			PERFORM chameleon._owner_exec(v_src.source_id, v_sql);
		EXCEPTION WHEN others THEN
			RAISE WARNING 'foreign key % of table %.% not created: %', v_fk.fk_name,
				v_fk.child_schema, v_fk.child_table, SQLERRM
				USING DETAIL = v_sql;
		END;
	END LOOP;
	FOR v_con IN SELECT c.conrelid::regclass AS rel, c.conname
				   FROM pg_constraint c
				   JOIN chameleon.replica_table t
					 ON c.conrelid = to_regclass(format('%I.%I', t.schema_name, t.table_name))
				  WHERE t.source_id = v_src.source_id AND c.contype = 'f' AND NOT c.convalidated
				  ORDER BY 1, 2 LOOP
		BEGIN
			PERFORM chameleon._owner_exec(v_src.source_id,
										  format('ALTER TABLE %s VALIDATE CONSTRAINT %I', v_con.rel, v_con.conname));
		EXCEPTION WHEN others THEN
			RAISE WARNING 'foreign key % of table % is not valid: %', v_con.conname, v_con.rel, SQLERRM
				USING HINT = 'The constraint stays NOT VALID: fix the rows, then run ALTER TABLE ... VALIDATE CONSTRAINT.';
		END;
	END LOOP;
	EXECUTE format('DROP TABLE IF EXISTS chameleon.%I', chameleon._log_table_name(v_src.source_id));
	DELETE FROM chameleon.source WHERE source_id = v_src.source_id;
	PERFORM chameleon._wake_launcher();
	RAISE NOTICE 'source "%" detached: its tables are now ordinary tables', v_src.source_name;
END
$$;

-- The range partitions of a source's change log, lowest range first: the
-- events first_event_id <= event_id < end_event_id live in partition.
CREATE OR REPLACE FUNCTION chameleon._log_partitions(p_source_id integer)
RETURNS TABLE (partition regclass, first_event_id bigint, end_event_id bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT c.oid::regclass, b[1]::bigint, b[2]::bigint
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
 CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid),
								 'FROM \(''?(-?\d+)''?\) TO \(''?(-?\d+)''?\)') b
 WHERE i.inhparent = to_regclass(format('chameleon.%I', chameleon._log_table_name(p_source_id)))
 ORDER BY 2
$$;

-- Recycles the replayed partitions of a source's change log (waiting for
-- the log at most the source's lock_timeout) and deletes the log_batch rows
-- older than batch_retention; full also deletes every replayed log_batch
-- row and refreshes the statistics of the log.  The replay worker does the
-- same by itself (without waiting for locks): after every round for the
-- log, every auto_maintenance (default 5 minutes) for log_batch.
CREATE OR REPLACE FUNCTION chameleon.run_maintenance(source_name text, full boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src		chameleon.source;
	v_full		boolean := coalesce(run_maintenance.full, false);
	v_dropped	integer;
	v_batches	bigint;
	v_left		bigint;
BEGIN
	v_src := chameleon._lookup_source(run_maintenance.source_name, false);
	BEGIN
		v_dropped := chameleon._log_recycle(v_src.source_id, v_src.replay_event_id,
											v_src.config ->> 'lock_timeout');
	EXCEPTION WHEN lock_not_available THEN
		RAISE WARNING 'the change log of source "%" stayed busy for lock_timeout: no partition was recycled',
			v_src.source_name
			USING HINT = 'Run chameleon.run_maintenance() again later; the replay worker also recycles the log by itself.';
		v_dropped := 0;
	END;
	v_batches := chameleon._purge_batches(v_src.source_id, v_full);
	IF v_full THEN
		-- No VACUUM here: it cannot run inside a function, and none is
		-- needed: the log is only ever inserted into and dropped a whole
		-- partition at a time, so it holds no dead tuples (log_batch is a
		-- small table, left to autovacuum).  Statistics are refreshed.
		EXECUTE format('ANALYZE chameleon.%I', chameleon._log_table_name(v_src.source_id));
		ANALYZE chameleon.log_batch;
	END IF;
	SELECT count(*) INTO v_left FROM chameleon._log_partitions(v_src.source_id);
	RAISE NOTICE 'maintenance of source "%": % log partitions dropped (% left), % log batch rows deleted%',
		v_src.source_name, v_dropped, v_left, v_batches,
		CASE WHEN v_full THEN ', statistics refreshed' ELSE '' END;
END
$$;

-- Starts the reader and replay workers of an initialised source.
CREATE OR REPLACE FUNCTION chameleon.start_replica(source_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src chameleon.source;
BEGIN
	v_src := chameleon._lookup_source(start_replica.source_name);
	IF v_src.status = 'running' THEN
		RAISE NOTICE 'source "%" is already running', v_src.source_name;
		RETURN;
	END IF;
	IF v_src.status NOT IN ('initialised', 'synced', 'stopped') OR v_src.read_file IS NULL THEN
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = format('start_replica() is not possible while source "%s" is in state "%s"',
							 v_src.source_name, v_src.status),
			HINT = CASE
				WHEN v_src.status = 'error' THEN format('Clear the error with: SELECT chameleon.enable_replica(%L);', v_src.source_name)
				WHEN v_src.status IN ('initialising', 'syncing') THEN 'Wait for the initial copy to finish (see chameleon.init_progress).'
				ELSE format('Copy the tables first with: SELECT chameleon.init_replica(%L);', v_src.source_name)
			END;
	END IF;
	PERFORM chameleon._set_state(v_src.source_id, 'running', 'running', true, NULL);
	PERFORM chameleon._wake_launcher();
END
$$;

-- Stops the workers of a source; its position is kept.
CREATE OR REPLACE FUNCTION chameleon.stop_replica(source_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src chameleon.source;
BEGIN
	v_src := chameleon._lookup_source(stop_replica.source_name);
	IF v_src.status <> 'running' AND v_src.desired_state <> 'running' THEN
		RAISE NOTICE 'source "%" is not running (state "%")', v_src.source_name, v_src.status;
		RETURN;
	END IF;
	PERFORM chameleon._set_state(v_src.source_id,
								 CASE WHEN v_src.status = 'running' THEN 'stopped' END,
								 'stopped', false, NULL);
	PERFORM chameleon._wake_launcher();
END
$$;

-- Clears a source's error: state error -> stopped.
CREATE OR REPLACE FUNCTION chameleon.enable_replica(source_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src chameleon.source;
BEGIN
	v_src := chameleon._lookup_source(enable_replica.source_name);
	IF v_src.status <> 'error' THEN
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = format('enable_replica() is not possible while source "%s" is in state "%s"',
							 v_src.source_name, v_src.status),
			HINT = 'enable_replica() clears the state "error"; see chameleon.show_status.';
	END IF;
	PERFORM chameleon._set_state(v_src.source_id,
								 CASE WHEN v_src.read_file IS NULL THEN 'ready' ELSE 'stopped' END,
								 'stopped', true, NULL);
	PERFORM chameleon._wake_launcher();
END
$$;

------------------------------------------------------------------------
-- Privileges of the new functions (as the install script's blanket REVOKE)
------------------------------------------------------------------------

REVOKE ALL ON FUNCTION
	chameleon._caller(),
	chameleon.alter_source_owner(text, name),
	chameleon._stop_source(integer, text),
	chameleon._fk_action_sql(text),
	chameleon._config_live_keys(),
	chameleon._log_table_name(integer),
	chameleon._log_range_name(integer, bigint),
	chameleon._loading_schema_pattern(integer),
	chameleon._binlog_pos_cmp(text, bigint, text, bigint),
	chameleon._set_state(integer, text, text, boolean, text),
	chameleon._source_changed(),
	chameleon._owner_exec(integer, text),
	chameleon._set_sequences(integer, regclass)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chameleon.alter_source_owner(text, name) TO chameleon_admin;

------------------------------------------------------------------------
-- The schema history (src/history.c, src/reader_history.c)
------------------------------------------------------------------------

CREATE TABLE chameleon.table_layout (
	layout_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	source_schema	text NOT NULL,
	source_table	text NOT NULL,
	valid_file		text NOT NULL,
	valid_pos		bigint NOT NULL,
	flavour			text NOT NULL CHECK (flavour IN ('mariadb', 'mysql')),
	layout			text,
	why				text,
	UNIQUE (source_id, source_schema, source_table, valid_file, valid_pos)
);
SELECT pg_catalog.pg_extension_config_dump('chameleon.table_layout', '');
REVOKE ALL ON chameleon.table_layout FROM PUBLIC;
ALTER TABLE chameleon.table_progress ADD COLUMN layout text, ADD COLUMN layout_flavour text;

------------------------------------------------------------------------
-- Sources act as their owner (src/owner.c): target objects are changed
-- through chameleon._owner_exec()
------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION chameleon.update_schema_mappings(source_name text, schema_mappings text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src		chameleon.source;
	v_new		jsonb;
	v_old		jsonb;
	v_mysql		text;
	v_target	text;
	v_current	text;
	v_other		text;
BEGIN
	v_src := chameleon._lookup_source(update_schema_mappings.source_name);
	PERFORM chameleon._refuse_busy(v_src, 'update_schema_mappings()');
	IF update_schema_mappings.schema_mappings IS NULL THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'schema mappings are NULL',
			HINT = 'Give the new mappings, for example: {sakila: sakila_new}';
	END IF;
	v_new := chameleon._parse_schema_mappings(update_schema_mappings.schema_mappings);
	v_old := v_src.config -> 'schema_mappings';

	FOR v_mysql IN SELECT jsonb_object_keys(v_old) LOOP
		IF NOT v_new ? v_mysql THEN
			RAISE EXCEPTION USING
				ERRCODE = 'invalid_parameter_value',
				MESSAGE = format('MySQL schema "%s" is missing from the new schema mappings', v_mysql),
				DETAIL = 'update_schema_mappings() renames PostgreSQL schemas; it does not stop replicating a schema.',
				HINT = 'Keep every mapped MySQL schema; use skip_tables or drop_source() to stop replicating.';
		END IF;
	END LOOP;

	FOR v_mysql, v_target IN SELECT m.key, m.value FROM jsonb_each_text(v_new) m LOOP
		SELECT s.source_name INTO v_other
		  FROM chameleon.schema_mapping sm JOIN chameleon.source s USING (source_id)
		 WHERE sm.schema_name = v_target AND sm.source_id <> v_src.source_id;
		IF FOUND THEN
			RAISE EXCEPTION USING
				ERRCODE = 'duplicate_object',
				MESSAGE = format('PostgreSQL schema "%s" is already mapped by source "%s"',
								 v_target, v_other),
				HINT = 'Each PostgreSQL schema belongs to one source: choose another name.';
		END IF;
		v_current := v_old ->> v_mysql;
		CONTINUE WHEN v_current IS NULL OR v_current = v_target;
		IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = v_current) THEN
			IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = v_target) THEN
				RAISE EXCEPTION USING
					ERRCODE = 'duplicate_schema',
					MESSAGE = format('cannot rename schema "%s" to "%s": the target exists',
									 v_current, v_target),
					HINT = 'Drop or rename the existing schema first, or choose another name.';
			END IF;
			PERFORM chameleon._owner_exec(v_src.source_id,
										  format('ALTER SCHEMA %I RENAME TO %I', v_current, v_target));
		END IF;
		UPDATE chameleon.replica_table SET schema_name = v_target
		 WHERE source_id = v_src.source_id AND schema_name = v_current;
		UPDATE chameleon.table_progress SET schema_name = v_target
		 WHERE source_id = v_src.source_id AND schema_name = v_current;
	END LOOP;

	UPDATE chameleon.source SET config = jsonb_set(config, '{schema_mappings}', v_new)
	 WHERE source_id = v_src.source_id;
	DELETE FROM chameleon.schema_mapping WHERE source_id = v_src.source_id;
	INSERT INTO chameleon.schema_mapping (source_id, source_schema, schema_name)
	SELECT v_src.source_id, m.key, m.value FROM jsonb_each_text(v_new) m;
	PERFORM chameleon._wake_launcher();
END
$$;

------------------------------------------------------------------------
-- show_status.replay_lag also while the replay is down or blocked
------------------------------------------------------------------------

CREATE OR REPLACE VIEW chameleon.show_status AS
SELECT s.source_name,
	   s.source_type,
	   s.status,
	   s.consistent,
	   CASE WHEN s.read_file IS NULL THEN NULL
			WHEN s.read_pending_since IS NULL THEN interval '0'
			ELSE greatest(now() - s.read_pending_since, interval '0')
	   END AS read_lag,
	   s.last_read,
	   -- the oldest change read and not applied: the replay keeps
	   -- replay_pending_since; when it has not finished a round for 5 s
	   -- (down, or blocked), the oldest event of the log tells
	   CASE WHEN s.replay_file IS NULL THEN NULL
			WHEN s.replay_pending_since IS NOT NULL
				THEN greatest(now() - s.replay_pending_since, interval '0')
			WHEN s.last_replay IS NULL OR s.last_replay < now() - interval '5 s'
				THEN greatest(now() - coalesce((SELECT coalesce(e.event_time, now())
												  FROM chameleon.log_event e
												 WHERE e.source_id = s.source_id
												   AND e.event_id > s.replay_event_id
												 ORDER BY e.event_id LIMIT 1),
											   now()), interval '0')
			ELSE interval '0'
	   END AS replay_lag,
	   s.last_replay,
	   s.read_file || ':' || s.read_pos
		   || coalesce(' ' || s.read_gtid, '') AS read_position,
	   s.replay_file || ':' || s.replay_pos
		   || coalesce(' ' || s.replay_gtid, '') AS replay_position,
	   (SELECT count(*) FROM chameleon.replica_table t
		 WHERE t.source_id = s.source_id AND t.enabled)::integer AS tables_replicated,
	   (SELECT count(*) FROM chameleon.replica_table t
		 WHERE t.source_id = s.source_id AND NOT t.enabled)::integer AS tables_disabled,
	   s.replayed_rows,
	   s.replayed_ddl,
	   s.skipped_rows,
	   s.last_error
  FROM chameleon.source s;

------------------------------------------------------------------------
-- wait => true reports a failed job also on a running source
------------------------------------------------------------------------

ALTER TABLE chameleon.source ADD COLUMN job_error text;

CREATE OR REPLACE FUNCTION chameleon._run_job(p_name text, p_kind integer, p_call text,
								   p_schema text, p_tables text[], p_wait boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src	chameleon.source;
	v_after	chameleon.source;
BEGIN
	v_src := chameleon._lookup_source(p_name, false);
	IF v_src.status IN ('initialising', 'syncing')
	   OR (v_src.status = 'running' AND p_kind <> 4) THEN
		PERFORM chameleon._refuse_busy(v_src, p_call);
	END IF;
	IF p_wait AND EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
						   WHERE l.locktype = 'relation' AND l.pid = pg_backend_pid()
							 AND l.relation = 'chameleon.source'::regclass
							 AND l.mode = 'RowExclusiveLock') THEN
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = format('%s with wait => true cannot run in a transaction that changed chameleon''s catalogue', p_call),
			HINT = 'Commit first, or call it with wait => false.';
	END IF;
	PERFORM chameleon._start_job(v_src.source_id, v_src.source_name, p_kind,
								 p_schema, p_tables, p_wait);
	IF p_wait THEN
		SELECT * INTO v_after FROM chameleon.source s WHERE s.source_id = v_src.source_id;
		IF v_after.job_error IS NOT NULL OR v_after.status = 'error'
		   OR EXISTS (SELECT 1 FROM chameleon.table_progress p
					   WHERE p.source_id = v_src.source_id AND p.state = 'failed') THEN
			RAISE EXCEPTION USING
				ERRCODE = 'external_routine_exception',
				MESSAGE = format('%s of source "%s" failed: %s', p_call, v_src.source_name,
								 coalesce(v_after.job_error, v_after.last_error, 'see the server log')),
				HINT = 'chameleon.show_errors has the details and chameleon.init_progress the state of each table; run the call again once the cause is fixed.';
		END IF;
	END IF;
END
$$;

------------------------------------------------------------------------
-- Secrets (password_file, a new server forgets the password, passwords
-- are not dumped, pgsql sources of non-superusers need a password)
------------------------------------------------------------------------

-- Checks what the C parser cannot (intervals, types, roles, mappings owned
-- by other sources) and stores a validated configuration.  p_id is NULL
-- for a new source.  Returns the source id.
CREATE OR REPLACE FUNCTION chameleon._store_source(p_name text, p_cfg jsonb, p_id integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_password	text := p_cfg #>> '{db_conn,password}';
	v_cfg		jsonb := p_cfg #- '{db_conn,password}';
	v_file		text := p_cfg #>> '{db_conn,password_file}';
	v_id		integer := p_id;
	v_key		text;
	v_value		text;
	v_other		text;
	v_old		chameleon.source;
	v_caller	regrole := chameleon._caller();
	v_owner		regrole;
BEGIN
	IF v_id IS NOT NULL THEN
		SELECT * INTO v_old FROM chameleon.source WHERE source_id = v_id;
	END IF;
	v_owner := coalesce(v_old.owner, v_caller);

	-- a file on this server, read with the server's OS account: only for
	-- roles that may read server files themselves (checked again against
	-- the owner at every connection)
	IF v_file IS NOT NULL
	   AND v_file IS DISTINCT FROM (v_old.config #>> '{db_conn,password_file}')
	   AND NOT pg_has_role(v_caller::oid, 'pg_read_server_files', 'USAGE') THEN
		RAISE EXCEPTION USING
			ERRCODE = 'insufficient_privilege',
			MESSAGE = format('permission denied to set db_conn.password_file of source "%s"', p_name),
			DETAIL = 'The file is read on the PostgreSQL server with its operating system account: only superusers and members of pg_read_server_files may name one.',
			HINT = 'Give the password itself in db_conn.password.';
	END IF;

	-- as postgres_fdw's password_required: the server's own trust or peer
	-- authentication (or ~/.pgpass) is never lent to a role that is not a
	-- superuser
	IF v_cfg ->> 'type' = 'pgsql' AND coalesce(v_password, '') = '' AND v_file IS NULL
	   AND NOT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = v_owner), false) THEN
		RAISE EXCEPTION USING
			ERRCODE = 'insufficient_privilege',
			MESSAGE = format('source "%s" of type pgsql needs a password', p_name),
			DETAIL = format('Its owner %s is not a superuser: chameleon connects to a PostgreSQL server for it only with a password the server asks for.', v_owner),
			HINT = 'Add db_conn.password.';
	END IF;

	FOREACH v_key IN ARRAY ARRAY['batch_retention', 'auto_maintenance'] LOOP
		v_value := v_cfg ->> v_key;
		CONTINUE WHEN v_value IS NULL OR v_value = 'disabled';
		BEGIN
			PERFORM v_value::interval;
		EXCEPTION WHEN others THEN
			RAISE EXCEPTION USING
				ERRCODE = 'invalid_parameter_value',
				MESSAGE = format('invalid value for configuration key "%s": "%s"', v_key, v_value),
				DETAIL = 'Expected an interval such as ''1 day'' or ''12 hours''.',
				HINT = format('Correct the value of "%s" in the configuration.', v_key);
		END;
	END LOOP;

	FOR v_key, v_value IN
		SELECT o.key, o.value ->> 'override_to'
		  FROM jsonb_each(v_cfg -> 'type_override') o
	LOOP
		BEGIN
			v_other := to_regtype(v_value)::text;
		EXCEPTION WHEN others THEN
			v_other := NULL;
		END;
		IF v_other IS NULL THEN
			RAISE EXCEPTION USING
				ERRCODE = 'invalid_parameter_value',
				MESSAGE = format('invalid value for configuration key "type_override.%s.override_to": "%s"',
								 v_key, v_value),
				DETAIL = 'It is not a PostgreSQL type.',
				HINT = 'Name an existing PostgreSQL type, for example boolean or text.';
		END IF;
	END LOOP;

	FOR v_value IN SELECT jsonb_array_elements_text(v_cfg -> 'grant_select_to') LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_value) THEN
			RAISE NOTICE 'role "%" named in grant_select_to does not exist yet', v_value
				USING HINT = 'Create it before init_replica(), which grants SELECT to it.';
		END IF;
	END LOOP;

	FOR v_key, v_value IN SELECT m.key, m.value FROM jsonb_each_text(v_cfg -> 'schema_mappings') m LOOP
		SELECT s.source_name INTO v_other
		  FROM chameleon.schema_mapping sm
		  JOIN chameleon.source s USING (source_id)
		 WHERE sm.schema_name = v_value
		   AND (v_id IS NULL OR sm.source_id <> v_id);
		IF FOUND THEN
			RAISE EXCEPTION USING
				ERRCODE = 'duplicate_object',
				MESSAGE = format('PostgreSQL schema "%s" is already mapped by source "%s"',
								 v_value, v_other),
				HINT = 'Each PostgreSQL schema belongs to one source: map the MySQL schema to another PostgreSQL schema.';
		END IF;
	END LOOP;

	IF v_id IS NULL THEN
		INSERT INTO chameleon.source (source_name, source_type, config, owner)
		VALUES (p_name, v_cfg ->> 'type', v_cfg, chameleon._caller())
		RETURNING source_id INTO v_id;
		INSERT INTO chameleon.source_secret (source_id, password) VALUES (v_id, v_password);
		-- the source's log, in ranges of event ids that are dropped whole
		-- once replayed (src/log_partition.c); the reader adds the next
		-- ranges, this first one lets the log exist from the start.  The
		-- ranges are UNLOGGED: the log is a buffer of what MySQL's binlog
		-- holds, read again from the replay position after a crash
		-- (chameleon.log_alive)
		EXECUTE format('CREATE TABLE chameleon.%I PARTITION OF chameleon.log_event FOR VALUES IN (%s)'
					   ' PARTITION BY RANGE (event_id)',
					   chameleon._log_table_name(v_id), v_id);
		EXECUTE format('CREATE UNLOGGED TABLE chameleon.%I PARTITION OF chameleon.%I FOR VALUES FROM (0) TO (%s)',
					   chameleon._log_range_name(v_id, 0), chameleon._log_table_name(v_id),
					   current_setting('chameleon.log_partition_events')::bigint);
	ELSE
		IF v_old.status <> 'ready'
		   AND (v_old.config -> 'schema_mappings') IS DISTINCT FROM (v_cfg -> 'schema_mappings') THEN
			RAISE EXCEPTION USING
				ERRCODE = 'object_not_in_prerequisite_state',
				MESSAGE = format('the schema mappings of source "%s" cannot be replaced in state "%s"',
								 p_name, v_old.status),
				HINT = format('Rename PostgreSQL schemas with: SELECT chameleon.update_schema_mappings(%L, ''...'');', p_name);
		END IF;
		IF v_old.status <> 'ready' AND v_old.source_type <> (v_cfg ->> 'type') THEN
			RAISE EXCEPTION USING
				ERRCODE = 'object_not_in_prerequisite_state',
				MESSAGE = format('the type of source "%s" cannot be changed in state "%s"',
								 p_name, v_old.status),
				HINT = 'Drop the source and add it again with the new type.';
		END IF;
		UPDATE chameleon.source
		   SET config = v_cfg, source_type = v_cfg ->> 'type'
		 WHERE source_id = v_id;
		INSERT INTO chameleon.source_secret AS sec (source_id, password)
		VALUES (v_id, v_password)
		ON CONFLICT (source_id) DO UPDATE SET password = excluded.password;
		DELETE FROM chameleon.schema_mapping WHERE source_id = v_id;
	END IF;

	INSERT INTO chameleon.schema_mapping (source_id, source_schema, schema_name)
	SELECT v_id, m.key, m.value FROM jsonb_each_text(v_cfg -> 'schema_mappings') m;

	PERFORM chameleon._wake_launcher();
	RETURN v_id;
END
$$;

-- Merges configuration keys into a source; keys that need a stopped
-- source are refused while it runs.
CREATE OR REPLACE FUNCTION chameleon.alter_source(source_name text, config text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src		chameleon.source;
	v_part		jsonb;
	v_merged	jsonb;
	v_conn		jsonb;
	v_password	text;
	v_key		text;
	-- keys the workers re-read while running (config.c's key table)
	v_live		text[] := chameleon._config_live_keys();
BEGIN
	v_src := chameleon._lookup_source(alter_source.source_name);
	IF alter_source.config IS NULL THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'configuration to merge is NULL',
			HINT = 'Give the keys to change, for example: sleep_loop: 5';
	END IF;
	v_part := chameleon._parse_config(alter_source.config, true);
	IF v_part = '{}'::jsonb THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'configuration to merge has no keys',
			HINT = 'Give the keys to change, for example: sleep_loop: 5';
	END IF;
	IF v_src.status IN ('running', 'initialising', 'syncing') THEN
		FOR v_key IN SELECT jsonb_object_keys(v_part) LOOP
			IF NOT v_key = ANY (v_live) THEN
				RAISE EXCEPTION USING
					ERRCODE = 'object_not_in_prerequisite_state',
					MESSAGE = format('configuration key "%s" cannot be changed while source "%s" is in state "%s"',
									 v_key, v_src.source_name, v_src.status),
					HINT = format('Stop it first with: SELECT chameleon.stop_replica(%L); keys that can change while it runs: %s.',
								  v_src.source_name, array_to_string(v_live, ', '));
			END IF;
		END LOOP;
	END IF;

	SELECT password INTO v_password FROM chameleon.source_secret WHERE source_id = v_src.source_id;
	v_merged := v_src.config;
	v_conn := coalesce(v_part -> 'db_conn', '{}');

	-- a password belongs to the server and user it was given for: a new
	-- host, port or user forgets it (and the password file) unless this
	-- call gives one
	IF NOT v_conn ?| ARRAY['password', 'password_file'] THEN
		SELECT string_agg(k, ', ' ORDER BY k) INTO v_key
		  FROM unnest(ARRAY['host', 'port', 'user']) k
		 WHERE v_conn ? k AND (v_conn -> k) IS DISTINCT FROM (v_merged -> 'db_conn' -> k);
		IF v_key IS NOT NULL AND (coalesce(v_password, '') <> ''
								  OR v_merged -> 'db_conn' ? 'password_file') THEN
			RAISE NOTICE 'the password of source "%" is forgotten because db_conn % changed',
				v_src.source_name, v_key
				USING HINT = 'Give the password for the new server in the same call, for example: db_conn: {host: ..., password: ...}';
			v_password := NULL;
			v_merged := v_merged #- '{db_conn,password_file}';
		END IF;
	END IF;
	-- one of password and password_file: the one this call gives
	IF v_conn ? 'password' THEN
		v_merged := v_merged #- '{db_conn,password_file}';
	ELSIF v_conn ? 'password_file' THEN
		v_password := NULL;
	END IF;

	IF v_password IS NOT NULL THEN
		v_merged := jsonb_set(v_merged, '{db_conn,password}', to_jsonb(v_password));
	END IF;
	IF v_part ? 'db_conn' THEN
		v_merged := jsonb_set(v_merged, '{db_conn}', (v_merged -> 'db_conn') || (v_part -> 'db_conn'));
	END IF;
	v_merged := v_merged || (v_part - 'db_conn');
	-- JSON is YAML: the merged whole goes through the full validation again
	v_merged := chameleon._parse_config(v_merged::text, false);
	PERFORM chameleon._store_source(v_src.source_name, v_merged, v_src.source_id);
END
$$;

-- passwords are never dumped: after a restore, give each source its
-- password again with alter_source() (or use db_conn.password_file)
SELECT pg_catalog.pg_extension_config_dump('chameleon.source_secret', 'WHERE false');

------------------------------------------------------------------------
-- PostGIS: whether a table's geometry columns were created as PostGIS
-- geometry (else bytea), decided when the table is created
------------------------------------------------------------------------

ALTER TABLE chameleon.replica_table ADD COLUMN postgis boolean NOT NULL DEFAULT false;
ALTER TABLE chameleon.table_progress ADD COLUMN postgis boolean NOT NULL DEFAULT false;

------------------------------------------------------------------------
-- verify_tables
--
-- chameleon.verify_tables() compares the replicated tables with MySQL
-- while replication runs, chunk by chunk, each chunk at one point of the
-- binlog stream on both sides (src/verify_hold.c), and can repair what
-- differs.  The same objects are created by the install script and by
-- the 1.0 -> 1.1 upgrade.
------------------------------------------------------------------------

-- The latest verify of each table (verify_status): queued, running, then
-- its outcome.  worker_pid: the verify worker that runs (or ran) it.
CREATE TABLE chameleon.verify_table (
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	source_schema	text NOT NULL,		-- MySQL names
	source_table	text NOT NULL,
	schema_name		text NOT NULL,		-- PostgreSQL names
	table_name		text NOT NULL,
	state			text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'running', 'identical', 'different', 'repaired', 'error')),
	rows_checked	bigint NOT NULL DEFAULT 0,
	rows_different	bigint NOT NULL DEFAULT 0,
	rows_repaired	bigint NOT NULL DEFAULT 0,
	position		text,				-- binlog position of the last chunk
	started			timestamptz,
	finished		timestamptz,
	error			text,
	worker_pid		integer,
	PRIMARY KEY (source_id, source_schema, source_table)
);

-- The rows found different by the latest verify of each table.
CREATE TABLE chameleon.verify_mismatch (
	mismatch_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	source_schema	text NOT NULL,
	source_table	text NOT NULL,
	schema_name		text NOT NULL,
	table_name		text NOT NULL,
	key				jsonb NOT NULL,		-- key columns, or the whole row
	difference		text NOT NULL CHECK (difference IN ('changed', 'missing', 'extra')),
	mysql_row		jsonb,
	pg_row			jsonb,
	found_at		timestamptz NOT NULL DEFAULT clock_timestamp(),
	repaired		boolean NOT NULL DEFAULT false
);
CREATE INDEX ON chameleon.verify_mismatch (source_id, source_schema, source_table);

-- The latest verify run of each source: its worker, and its error if the
-- run as a whole failed (verify_tables(wait => true) raises it).
CREATE TABLE chameleon.verify_run (
	source_id		integer PRIMARY KEY
		REFERENCES chameleon.source ON DELETE CASCADE,
	worker_pid		integer,
	repair			boolean NOT NULL DEFAULT false,
	started			timestamptz,
	finished		timestamptz,
	error			text
);

-- A table still queued or running whose worker no longer holds the
-- source's verify lock (it was killed) shows as 'error'.
CREATE VIEW chameleon.verify_status AS
SELECT s.source_name,
	   v.schema_name,
	   v.table_name,
	   CASE WHEN v.state IN ('queued', 'running') AND l.pid IS NULL THEN 'error'
			ELSE v.state END AS state,
	   v.rows_checked,
	   v.rows_different,
	   v.rows_repaired,
	   v.position,
	   v.started,
	   v.finished,
	   CASE WHEN v.state IN ('queued', 'running') AND l.pid IS NULL
			THEN 'the verify worker ended before it finished this table'
			ELSE v.error END AS error
  FROM chameleon.verify_table v
  JOIN chameleon.source s USING (source_id)
  LEFT JOIN (SELECT k.objid, k.pid FROM pg_catalog.pg_locks k
			  WHERE k.locktype = 'advisory' AND k.granted
				AND k.classid = 1128814150::oid		-- 'CHVF', src/source_state.h
				AND k.objsubid = 2) l
	ON l.objid = v.source_id::oid AND l.pid = v.worker_pid;

CREATE VIEW chameleon.verify_mismatches AS
SELECT s.source_name,
	   m.schema_name,
	   m.table_name,
	   m.key,
	   m.difference,
	   m.mysql_row,
	   m.pg_row,
	   m.found_at,
	   m.repaired
  FROM chameleon.verify_mismatch m
  JOIN chameleon.source s USING (source_id);

-- Starts the verify worker of a source (src/verify_sql.c); returns its
-- pid once its tables are queued, or once it has exited with wait.
CREATE FUNCTION chameleon._start_verify(source_id integer, source_name text,
										tables text[], repair boolean, wait boolean)
RETURNS integer
LANGUAGE c
AS 'MODULE_PATHNAME', 'chameleon_sql_start_verify';

-- Compares the replicated tables of a running source (or the listed
-- schema.table MySQL names) with MySQL while replication runs; with
-- repair, corrects what differs.  Results in verify_status and
-- verify_mismatches.
CREATE FUNCTION chameleon.verify_tables(source_name text, tables text[] DEFAULT NULL,
										repair boolean DEFAULT false, wait boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src		chameleon.source;
	v_bad		text;
	v_pid		integer;
	v_run		chameleon.verify_run;
BEGIN
	v_src := chameleon._lookup_source(verify_tables.source_name, false);
	IF v_src.status <> 'running' THEN
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = format('verify_tables() is not possible while source "%s" is in state "%s"',
							 v_src.source_name, v_src.status),
			DETAIL = 'verify_tables() compares MySQL with PostgreSQL at the replay''s position: the source must be replicating.',
			HINT = CASE
				WHEN v_src.status = 'error' THEN format('Clear the error with: SELECT chameleon.enable_replica(%L); then SELECT chameleon.start_replica(%L);',
														 v_src.source_name, v_src.source_name)
				WHEN v_src.status IN ('initialising', 'syncing') THEN 'Wait for the copy to finish (see chameleon.init_progress), then start the source.'
				WHEN v_src.status = 'ready' THEN format('Copy the tables first with: SELECT chameleon.init_replica(%L);', v_src.source_name)
				ELSE format('Start it with: SELECT chameleon.start_replica(%L);', v_src.source_name)
			END;
	END IF;
	IF verify_tables.tables IS NOT NULL THEN
		IF cardinality(verify_tables.tables) = 0 THEN
			RAISE EXCEPTION USING
				ERRCODE = 'invalid_parameter_value',
				MESSAGE = 'verify_tables() needs at least one table',
				HINT = 'Name tables as schema.table with their MySQL names, or pass NULL for every table.';
		END IF;
		SELECT coalesce(t, 'NULL') INTO v_bad FROM unnest(verify_tables.tables) t
		 WHERE t IS NULL OR t !~ '^[^.]+\.[^.]+$' LIMIT 1;
		IF FOUND THEN
			RAISE EXCEPTION USING
				ERRCODE = 'invalid_parameter_value',
				MESSAGE = format('table name "%s" is not written as schema.table', v_bad),
				HINT = 'Name tables as schema.table with their MySQL names.';
		END IF;
		SELECT string_agg(format('"%s"', t), ', ' ORDER BY t) INTO v_bad
		  FROM unnest(verify_tables.tables) t
		 WHERE NOT EXISTS (SELECT 1 FROM chameleon.replica_table r
							WHERE r.source_id = v_src.source_id
							  AND r.source_schema || '.' || r.source_table = t);
		IF v_bad IS NOT NULL THEN
			RAISE EXCEPTION USING
				ERRCODE = 'undefined_table',
				MESSAGE = format('source "%s" replicates no table %s', v_src.source_name, v_bad),
				HINT = format('chameleon.replica_tables lists the tables of the source (source_schema.source_table): SELECT source_schema, source_table FROM chameleon.replica_tables WHERE source_name = %L;',
							  v_src.source_name);
		END IF;
	END IF;
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_locks k
				WHERE k.locktype = 'advisory' AND k.granted
				  AND k.classid = 1128814150::oid AND k.objid = v_src.source_id::oid
				  AND k.objsubid = 2) THEN
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = format('a verify of source "%s" is already running', v_src.source_name),
			HINT = 'Wait for it to finish (see chameleon.verify_status).';
	END IF;
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
				WHERE l.locktype = 'relation' AND l.pid = pg_backend_pid()
				  AND l.relation = 'chameleon.source'::regclass
				  AND l.mode = 'RowExclusiveLock') THEN
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = 'verify_tables() cannot run in a transaction that changed chameleon''s catalogue',
			HINT = 'Commit first.';
	END IF;
	v_pid := chameleon._start_verify(v_src.source_id, v_src.source_name, verify_tables.tables,
									 verify_tables.repair, verify_tables.wait);
	IF verify_tables.wait THEN
		SELECT * INTO v_run FROM chameleon.verify_run r WHERE r.source_id = v_src.source_id;
		IF v_run.worker_pid = v_pid AND (v_run.finished IS NULL OR v_run.error IS NOT NULL) THEN
			RAISE EXCEPTION USING
				ERRCODE = 'external_routine_exception',
				MESSAGE = format('verify_tables() of source "%s" failed: %s', v_src.source_name,
								 coalesce(v_run.error, 'the verify worker ended before it finished')),
				HINT = 'chameleon.verify_status has the state of each table, the server log the details.';
		END IF;
	END IF;
END
$$;

REVOKE ALL ON chameleon.verify_table, chameleon.verify_mismatch, chameleon.verify_run,
	chameleon.verify_status, chameleon.verify_mismatches FROM PUBLIC;
REVOKE ALL ON FUNCTION
	chameleon._start_verify(integer, text, text[], boolean, boolean),
	chameleon.verify_tables(text, text[], boolean, boolean)
	FROM PUBLIC;
GRANT SELECT ON chameleon.verify_status, chameleon.verify_mismatches TO chameleon_admin;
GRANT SELECT ON chameleon.verify_status TO pg_monitor;
GRANT EXECUTE ON FUNCTION chameleon.verify_tables(text, text[], boolean, boolean) TO chameleon_admin;

------------------------------------------------------------------------
-- Configuration: net_read_timeout and fillfactor (src/config.c), and
-- NOTICEs for keys chameleon treats differently (copy_mode: file)
------------------------------------------------------------------------

-- Tells, with NOTICEs, what chameleon does differently from pg_chameleon
-- with the keys of a configuration being stored (p_cfg: the keys given).
CREATE FUNCTION chameleon._config_notices(p_name text, p_cfg jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_cfg ->> 'copy_mode' = 'file' THEN
		RAISE NOTICE 'copy_mode "file" of source "%" is not used: the rows are copied directly, inside the server', p_name
			USING DETAIL = 'chameleon streams the rows from the source server into COPY FROM in PostgreSQL, without a file; out_dir is not used.',
				  HINT = 'Write copy_mode: direct (the default) to silence this notice.';
	END IF;
END
$$;

-- Adds a source from a YAML (or JSON) configuration; status 'ready'.
CREATE OR REPLACE FUNCTION chameleon.add_source(source_name text, config text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_cfg	jsonb;
BEGIN
	PERFORM chameleon._check_source_name(add_source.source_name);
	IF add_source.config IS NULL THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('configuration of source "%s" is NULL', add_source.source_name),
			HINT = 'Give at least db_conn and schema_mappings.';
	END IF;
	IF EXISTS (SELECT 1 FROM chameleon.source s WHERE s.source_name = add_source.source_name) THEN
		RAISE EXCEPTION USING
			ERRCODE = 'duplicate_object',
			MESSAGE = format('source "%s" already exists', add_source.source_name),
			HINT = 'Choose another name, or change the existing source with chameleon.alter_source().';
	END IF;
	v_cfg := chameleon._parse_config(add_source.config, false);
	PERFORM chameleon._config_notices(add_source.source_name, v_cfg);
	PERFORM chameleon._store_source(add_source.source_name, v_cfg, NULL);
END
$$;

-- Merges configuration keys into a source; keys that need a stopped
-- source are refused while it runs.
CREATE OR REPLACE FUNCTION chameleon.alter_source(source_name text, config text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src		chameleon.source;
	v_part		jsonb;
	v_merged	jsonb;
	v_conn		jsonb;
	v_password	text;
	v_key		text;
	-- keys the workers re-read while running (config.c's key table)
	v_live		text[] := chameleon._config_live_keys();
BEGIN
	v_src := chameleon._lookup_source(alter_source.source_name);
	IF alter_source.config IS NULL THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'configuration to merge is NULL',
			HINT = 'Give the keys to change, for example: sleep_loop: 5';
	END IF;
	v_part := chameleon._parse_config(alter_source.config, true);
	PERFORM chameleon._config_notices(v_src.source_name, v_part);
	IF v_part = '{}'::jsonb THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'configuration to merge has no keys',
			HINT = 'Give the keys to change, for example: sleep_loop: 5';
	END IF;
	IF v_src.status IN ('running', 'initialising', 'syncing') THEN
		FOR v_key IN SELECT jsonb_object_keys(v_part) LOOP
			IF NOT v_key = ANY (v_live) THEN
				RAISE EXCEPTION USING
					ERRCODE = 'object_not_in_prerequisite_state',
					MESSAGE = format('configuration key "%s" cannot be changed while source "%s" is in state "%s"',
									 v_key, v_src.source_name, v_src.status),
					HINT = format('Stop it first with: SELECT chameleon.stop_replica(%L); keys that can change while it runs: %s.',
								  v_src.source_name, array_to_string(v_live, ', '));
			END IF;
		END LOOP;
	END IF;

	SELECT password INTO v_password FROM chameleon.source_secret WHERE source_id = v_src.source_id;
	v_merged := v_src.config;
	v_conn := coalesce(v_part -> 'db_conn', '{}');

	-- a password belongs to the server and user it was given for: a new
	-- host, port or user forgets it (and the password file) unless this
	-- call gives one
	IF NOT v_conn ?| ARRAY['password', 'password_file'] THEN
		SELECT string_agg(k, ', ' ORDER BY k) INTO v_key
		  FROM unnest(ARRAY['host', 'port', 'user']) k
		 WHERE v_conn ? k AND (v_conn -> k) IS DISTINCT FROM (v_merged -> 'db_conn' -> k);
		IF v_key IS NOT NULL AND (coalesce(v_password, '') <> ''
								  OR v_merged -> 'db_conn' ? 'password_file') THEN
			RAISE NOTICE 'the password of source "%" is forgotten because db_conn % changed',
				v_src.source_name, v_key
				USING HINT = 'Give the password for the new server in the same call, for example: db_conn: {host: ..., password: ...}';
			v_password := NULL;
			v_merged := v_merged #- '{db_conn,password_file}';
		END IF;
	END IF;
	-- one of password and password_file: the one this call gives
	IF v_conn ? 'password' THEN
		v_merged := v_merged #- '{db_conn,password_file}';
	ELSIF v_conn ? 'password_file' THEN
		v_password := NULL;
	END IF;

	IF v_password IS NOT NULL THEN
		v_merged := jsonb_set(v_merged, '{db_conn,password}', to_jsonb(v_password));
	END IF;
	IF v_part ? 'db_conn' THEN
		v_merged := jsonb_set(v_merged, '{db_conn}', (v_merged -> 'db_conn') || (v_part -> 'db_conn'));
	END IF;
	v_merged := v_merged || (v_part - 'db_conn');
	-- JSON is YAML: the merged whole goes through the full validation again
	v_merged := chameleon._parse_config(v_merged::text, false);
	PERFORM chameleon._store_source(v_src.source_name, v_merged, v_src.source_id);
END
$$;

-- Adds or updates every source of a pg_chameleon configuration file (its
-- global type_override and fillfactor apply to every source).
CREATE OR REPLACE FUNCTION chameleon.load_config(path text)
RETURNS SETOF text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_row	record;
	v_id	integer;
	v_src	chameleon.source;
BEGIN
	IF load_config.path IS NULL THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'configuration file path is NULL',
			HINT = 'Give the absolute path of a pg_chameleon configuration file.';
	END IF;
	FOR v_row IN SELECT * FROM chameleon._parse_config_file(load_config.path) LOOP
		PERFORM chameleon._check_source_name(v_row.source_name);
		PERFORM chameleon._config_notices(v_row.source_name, v_row.config);
		SELECT s.source_id INTO v_id FROM chameleon.source s WHERE s.source_name = v_row.source_name;
		IF v_id IS NULL THEN
			PERFORM chameleon._store_source(v_row.source_name, v_row.config, NULL);
		ELSE
			v_src := chameleon._lookup_source(v_row.source_name);
			PERFORM chameleon._refuse_busy(v_src, 'load_config()');
			PERFORM chameleon._store_source(v_row.source_name, v_row.config, v_id);
		END IF;
		RETURN NEXT v_row.source_name;
	END LOOP;
END
$$;
REVOKE ALL ON FUNCTION chameleon._config_notices(text, jsonb) FROM PUBLIC;

------------------------------------------------------------------------
-- The change log is UNLOGGED (a buffer of the binlog): new ranges are
-- created so, the ranges of 1.0 drain away as they are replayed; after a
-- crash the reader reads MySQL again from the replay position
------------------------------------------------------------------------

-- One row per source whose log ranges (UNLOGGED) were written since the
-- server last started from a crash: a crash empties both, and a reader
-- that finds no row reads MySQL again from the replay position
-- (src/reader_log.c).
CREATE UNLOGGED TABLE chameleon.log_alive (
	source_id		integer PRIMARY KEY
);

-- the sources of 1.0 have their log as it is: nothing to read again
INSERT INTO chameleon.log_alive (source_id) SELECT source_id FROM chameleon.source;
REVOKE ALL ON chameleon.log_alive FROM PUBLIC;
