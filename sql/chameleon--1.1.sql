/*
 * chameleon--1.1.sql
 *	  Install script of the chameleon extension, version 1.1: the catalogue (sources,
 *	  schema mappings, replicated tables, read batches and the row log,
 *	  errors, discarded rows, initial-copy progress), the views a DBA reads,
 *	  the management functions and their privileges.
 *
 *	  Management functions are SECURITY DEFINER with a fixed search_path and
 *	  are executable only by superusers and members of chameleon_admin.  The
 *	  MySQL password lives in chameleon.source_secret, which only the
 *	  extension's owner (a superuser) can read.
 */

\echo Use "CREATE EXTENSION chameleon" to load this file. \quit

DO $role$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'chameleon_admin') THEN
		CREATE ROLE chameleon_admin NOLOGIN;
	END IF;
END
$role$;

------------------------------------------------------------------------
-- Catalogue
------------------------------------------------------------------------

-- one row per replication source
CREATE TABLE chameleon.source (
	source_id		integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source_name		text NOT NULL UNIQUE,
	source_type		text NOT NULL CHECK (source_type IN ('mysql', 'pgsql')),
	status			text NOT NULL DEFAULT 'ready'
		CHECK (status IN ('ready', 'initialising', 'initialised', 'syncing',
						  'synced', 'stopped', 'running', 'error')),
	-- what the launcher must keep: 'running' starts the reader and replay
	desired_state	text NOT NULL DEFAULT 'stopped'
		CHECK (desired_state IN ('running', 'stopped')),
	-- normalised configuration, without the password
	config			jsonb NOT NULL,
	consistent		boolean NOT NULL DEFAULT false,
	-- position committed with the last logged batch
	read_file		text,
	read_pos		bigint,
	read_gtid		text,
	-- position committed with the last applied changes
	replay_file		text,
	replay_pos		bigint,
	replay_gtid		text,
	-- last log_event written by the reader / applied by the replay
	read_event_id	bigint NOT NULL DEFAULT 0,
	replay_event_id	bigint NOT NULL DEFAULT 0,
	last_read		timestamptz,
	last_replay		timestamptz,
	-- source time of the oldest change not yet read / replayed (NULL: none)
	read_pending_since	timestamptz,
	replay_pending_since timestamptz,
	replayed_rows	bigint NOT NULL DEFAULT 0,
	replayed_ddl	bigint NOT NULL DEFAULT 0,
	skipped_rows	bigint NOT NULL DEFAULT 0,
	last_error		text,
	created_at		timestamptz NOT NULL DEFAULT now(),
	status_changed_at timestamptz NOT NULL DEFAULT now(),
	-- the role that added the source: everything done for the source is
	-- done with its privileges
	owner			regrole NOT NULL,
	-- why the last copy job (init_replica ... sync_tables) failed; NULL
	-- while one runs and after one succeeded (what wait => true reports)
	job_error		text
);

-- the MySQL password of each source; readable by the owner only
CREATE TABLE chameleon.source_secret (
	source_id		integer PRIMARY KEY
		REFERENCES chameleon.source ON DELETE CASCADE,
	password		text
);

-- MySQL schema -> PostgreSQL schema; a PostgreSQL schema has one source
CREATE TABLE chameleon.schema_mapping (
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	source_schema	text NOT NULL,
	schema_name		text NOT NULL UNIQUE,
	PRIMARY KEY (source_id, source_schema)
);

-- the replicated tables of each source and their consistency points
CREATE TABLE chameleon.replica_table (
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	source_schema	text NOT NULL,
	source_table	text NOT NULL,
	schema_name		text NOT NULL,
	table_name		text NOT NULL,
	key_columns		text[] NOT NULL DEFAULT '{}',
	identity		text NOT NULL DEFAULT 'full row'
		CHECK (identity IN ('primary key', 'unique key', 'full row')),
	enabled			boolean NOT NULL DEFAULT true,
	consistent		boolean NOT NULL DEFAULT false,
	-- being copied again by sync_tables() while the source runs: the replay
	-- holds its row changes in log_held until the new copy is swapped in
	syncing			boolean NOT NULL DEFAULT false,
	-- binlog coordinates of the snapshot the table was copied from
	snapshot_file	text,
	snapshot_pos	bigint,
	snapshot_gtid	text,
	disabled_reason	text,
	-- the MySQL geometry columns of the table were created as PostGIS
	-- geometry (PostGIS was installed when the table was created), else as
	-- bytea: later ALTER TABLE statements keep to that choice
	postgis			boolean NOT NULL DEFAULT false,
	PRIMARY KEY (source_id, source_schema, source_table),
	UNIQUE (schema_name, table_name)
);

-- The MySQL foreign keys of the replicated tables, as they are at the
-- replay's position in the stream: seeded by the initial copy, kept
-- current by the replicated DDL (CREATE TABLE, ADD / DROP FOREIGN KEY,
-- renames).  MySQL performs ON DELETE / ON UPDATE actions inside InnoDB and
-- does not log their row changes: the replay performs them from here
-- (src/replay_fk.c), and detach_replica() creates them.  MySQL names.
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

-- The schema history: the column layout of each MySQL table of a source
-- from a binlog position on (valid_file, valid_pos), as a canonical MySQL
-- CREATE TABLE (src/ddl/cddl_layout.h), so that a backlogged row is decoded
-- with the layout of its own position when the binlog does not say
-- (binlog_row_metadata MINIMAL or NO_LOG).  Seeded by the copy at each
-- table's snapshot, moved forward by the reader with the DDL of the stream;
-- layout NULL: the table does not exist there, or its layout is unknown
-- (why says which).
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

-- the initial copy's queue and progress, one row per table of the last
-- job; the copy workers claim rows with FOR UPDATE SKIP LOCKED
CREATE TABLE chameleon.table_progress (
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	schema_name		text NOT NULL,		-- target PostgreSQL schema
	table_name		text NOT NULL,
	source_schema	text NOT NULL,		-- MySQL names
	source_table	text NOT NULL,
	load_schema		text NOT NULL,		-- where the table is created and loaded
	state			text NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'copying', 'indexing', 'swapping',
						 'done', 'failed')),
	with_data		boolean NOT NULL DEFAULT true,
	rows_copied		bigint NOT NULL DEFAULT 0,
	rows_estimated	bigint,
	rows_discarded	bigint NOT NULL DEFAULT 0,
	started			timestamptz,
	finished		timestamptz,
	-- keys and indexes, built after the data
	post_data		text[] NOT NULL DEFAULT '{}',
	-- binlog coordinates of the snapshot the table was read from
	snapshot_file	text,
	snapshot_pos	bigint,
	snapshot_gtid	text,
	error			text,
	-- the table's foreign keys as chameleon.foreign_key rows (jsonb array),
	-- stored there when the table is swapped in
	fk_defs			jsonb NOT NULL DEFAULT '[]',
	-- the table's layout as its CREATE TABLE had it (canonical text), and
	-- the server's flavour: the schema history from the snapshot on
	layout			text,
	layout_flavour	text,
	-- geometry columns created as PostGIS geometry (replica_table.postgis)
	postgis			boolean NOT NULL DEFAULT false,
	PRIMARY KEY (source_id, schema_name, table_name)
);

-- errors met while reading or replaying (show_errors)
CREATE TABLE chameleon.error_log (
	log_id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	schema_name		text,
	table_name		text,
	error_time		timestamptz NOT NULL DEFAULT clock_timestamp(),
	sql_text		text,
	error_message	text NOT NULL
);
CREATE INDEX ON chameleon.error_log (source_id, error_time);

-- values PostgreSQL could not hold, with the reason (discarded_rows)
CREATE TABLE chameleon.discarded_row (
	discard_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	schema_name		text NOT NULL,
	table_name		text NOT NULL,
	reason			text NOT NULL,
	row_data		jsonb,
	discarded_at	timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX ON chameleon.discarded_row (source_id, discarded_at);

-- one row per batch written by a reader; the position after the batch is
-- committed in the same transaction as the batch's events
CREATE TABLE chameleon.log_batch (
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	batch_id		bigint NOT NULL,
	first_event_id	bigint NOT NULL,
	last_event_id	bigint NOT NULL,
	binlog_file		text NOT NULL,		-- resume point after the batch
	binlog_pos		bigint NOT NULL,
	gtid			text,
	row_count		integer NOT NULL DEFAULT 0,
	ddl_count		integer NOT NULL DEFAULT 0,
	first_event_time timestamptz,
	read_at			timestamptz NOT NULL DEFAULT clock_timestamp(),
	replayed_at		timestamptz,
	PRIMARY KEY (source_id, batch_id)
);
-- the replay marks batches (replayed_at IS NULL), batch_retention expires them
CREATE INDEX ON chameleon.log_batch (source_id, replayed_at);

-- the change log: one partition per source, created by add_source(), so
-- that a dropped source's log goes with one DROP TABLE.  event_id grows in
-- binlog order.  Each source's partition is partitioned again by ranges of
-- event_id (chameleon.log_partition_events ids each): the reader creates
-- them ahead, the replay drops them once replayed, so that the log is
-- never deleted from row by row and leaves no dead tuples (no VACUUM).
-- Kinds: I, U, D (row images), Q (a DDL statement, alone in
-- its source transaction), C (end of a source transaction: the position
-- after it is where the reader resumes).  Values are the PostgreSQL text
-- of each column (cbl_value_to_text, bytea as \x hex), NULL for NULL;
-- *_names lists the columns present in the image (MINIMAL images carry
-- fewer).
CREATE TABLE chameleon.log_event (
	source_id		integer NOT NULL,
	event_id		bigint NOT NULL,
	event_kind		"char" NOT NULL,
	source_schema	text,				-- MySQL names (Q: the default schema)
	source_table	text,
	before_names	text[],				-- U, D
	before_values	text[],
	after_names		text[],				-- I, U
	after_values	text[],
	query			text,				-- Q
	binlog_file		text,				-- C, Q: position after the event
	binlog_pos		bigint,
	gtid			text,				-- C: the transaction's GTID, if any
	event_time		timestamptz,		-- the MySQL event's timestamp
	PRIMARY KEY (source_id, event_id)
) PARTITION BY LIST (source_id);

-- One row per source whose log ranges (UNLOGGED) were written since the
-- server last started from a crash: a crash empties both, and a reader
-- that finds no row reads MySQL again from the replay position
-- (src/reader_log.c).
CREATE UNLOGGED TABLE chameleon.log_alive (
	source_id		integer PRIMARY KEY
);

-- row changes and DDL of tables being synced on a running source, kept by
-- the replay until the new copy is in place; then those of transactions
-- that end after the copy's snapshot (txn_file, txn_pos) are applied in
-- event_id order and the rest dropped (event_kind Q: a DDL statement, its
-- after image {query, schema} the statement and its default schema).
CREATE TABLE chameleon.log_held (
	source_id		integer NOT NULL
		REFERENCES chameleon.source ON DELETE CASCADE,
	event_id		bigint NOT NULL,
	event_kind		"char" NOT NULL,
	source_schema	text NOT NULL,
	source_table	text NOT NULL,
	before_names	text[],
	before_values	text[],
	after_names		text[],
	after_values	text[],
	txn_file		text,				-- position after the source transaction
	txn_pos			bigint,
	-- several rows of one event: the foreign-key actions it caused
	-- (event_kind X: delete cascade, N: set null, F: set default,
	-- Y: update cascade; the before image is the key they match)
	hold_seq		integer NOT NULL DEFAULT 0,
	PRIMARY KEY (source_id, event_id, hold_seq)
);

SELECT pg_catalog.pg_extension_config_dump('chameleon.source', '');
-- passwords are never dumped: after a restore, give each source its
-- password again with alter_source() (or use db_conn.password_file)
SELECT pg_catalog.pg_extension_config_dump('chameleon.source_secret', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('chameleon.schema_mapping', '');
SELECT pg_catalog.pg_extension_config_dump('chameleon.replica_table', '');
SELECT pg_catalog.pg_extension_config_dump('chameleon.foreign_key', '');
SELECT pg_catalog.pg_extension_config_dump('chameleon.table_layout', '');

------------------------------------------------------------------------
-- Views
------------------------------------------------------------------------

CREATE VIEW chameleon.sources AS
SELECT s.source_name,
	   s.source_type,
	   s.status,
	   CASE WHEN sec.password IS NULL THEN s.config
			ELSE pg_catalog.jsonb_set(s.config, '{db_conn,password}', '"********"')
	   END AS config,
	   pg_catalog.pg_get_userbyid(s.owner) AS owner
  FROM chameleon.source s
  LEFT JOIN chameleon.source_secret sec USING (source_id);

CREATE VIEW chameleon.show_status AS
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

CREATE VIEW chameleon.show_errors AS
SELECT e.log_id,
	   s.source_name,
	   e.schema_name,
	   e.table_name,
	   e.error_time,
	   e.sql_text,
	   e.error_message
  FROM chameleon.error_log e
  JOIN chameleon.source s USING (source_id);

CREATE VIEW chameleon.replica_tables AS
SELECT s.source_name,
	   t.source_schema,
	   t.source_table,
	   t.schema_name,
	   t.table_name,
	   t.key_columns,
	   t.identity,
	   t.enabled,
	   t.consistent
  FROM chameleon.replica_table t
  JOIN chameleon.source s USING (source_id);

CREATE VIEW chameleon.init_progress AS
SELECT s.source_name,
	   p.schema_name,
	   p.table_name,
	   p.state,
	   p.rows_copied,
	   p.rows_estimated,
	   p.started,
	   p.finished
  FROM chameleon.table_progress p
  JOIN chameleon.source s USING (source_id);

CREATE VIEW chameleon.discarded_rows AS
SELECT s.source_name,
	   d.schema_name,
	   d.table_name,
	   d.reason,
	   d.row_data,
	   d.discarded_at
  FROM chameleon.discarded_row d
  JOIN chameleon.source s USING (source_id);

------------------------------------------------------------------------
-- Internal functions (C)
------------------------------------------------------------------------

CREATE FUNCTION chameleon._parse_config(config text, partial boolean)
RETURNS jsonb
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_parse_config';

CREATE FUNCTION chameleon._parse_schema_mappings(schema_mappings text)
RETURNS jsonb
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_parse_schema_mappings';

CREATE FUNCTION chameleon._parse_config_file(path text)
RETURNS TABLE (source_name text, config jsonb)
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_parse_config_file';

-- The role that called the management function (the caller of a SECURITY
-- DEFINER function: GetOuterUserId()).
CREATE FUNCTION chameleon._caller()
RETURNS regrole
LANGUAGE c STABLE STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_caller';

-- The configuration keys that may change while a source runs.
CREATE FUNCTION chameleon._config_live_keys()
RETURNS text[]
LANGUAGE c IMMUTABLE STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_config_live_keys';

CREATE FUNCTION chameleon._wake_launcher()
RETURNS void
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_wake_launcher';

CREATE FUNCTION chameleon._worker_status()
RETURNS TABLE (source_id integer, source_name text, launcher_pid integer,
			   reader_pid integer, replay_pid integer)
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_worker_status';

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

CREATE TRIGGER source_changed
	AFTER INSERT OR DELETE OR UPDATE OF config, source_name, source_type, owner
	ON chameleon.source
	FOR EACH STATEMENT EXECUTE FUNCTION chameleon._source_changed();

CREATE TRIGGER secret_changed
	AFTER INSERT OR UPDATE OR DELETE ON chameleon.source_secret
	FOR EACH STATEMENT EXECUTE FUNCTION chameleon._source_changed();

------------------------------------------------------------------------
-- Internal functions (PL/pgSQL)
------------------------------------------------------------------------

-- Rejects source names that are empty, too long or hold control characters.
CREATE FUNCTION chameleon._check_source_name(p_name text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_name IS NULL OR p_name = '' THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'source name must not be empty',
			HINT = 'Give the source a short name, for example ''mysql''.';
	END IF;
	IF octet_length(p_name) > 40 THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('source name %L is too long', p_name),
			DETAIL = format('It has %s bytes; a source name has at most 40 (it is part of process names).',
							octet_length(p_name)),
			HINT = 'Choose a shorter name.';
	END IF;
	IF p_name ~ '[[:cntrl:]]' THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('source name %L contains control characters', p_name),
			HINT = 'Use letters, digits, spaces and punctuation only.';
	END IF;
END
$$;

-- Returns the catalogue row of a source, locked, or raises 42704.
-- p_lock: lock the row (not when a worker the caller waits for updates it).
CREATE FUNCTION chameleon._lookup_source(p_name text, p_lock boolean DEFAULT true)
RETURNS chameleon.source
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src chameleon.source;
BEGIN
	IF p_lock THEN
		SELECT * INTO v_src FROM chameleon.source s
		 WHERE s.source_name = p_name
		   FOR UPDATE;
	ELSE
		SELECT * INTO v_src FROM chameleon.source s
		 WHERE s.source_name = p_name;
	END IF;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING
			ERRCODE = 'undefined_object',
			MESSAGE = format('source "%s" does not exist', p_name),
			HINT = 'List the configured sources with: SELECT source_name FROM chameleon.sources;';
	END IF;
	RETURN v_src;
END
$$;

-- Raises 55000 when a source is busy (workers of it are running).
CREATE FUNCTION chameleon._refuse_busy(p_src chameleon.source, p_call text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF p_src.status IN ('running', 'initialising', 'syncing') THEN
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = format('%s is not possible while source "%s" is in state "%s"',
							 p_call, p_src.source_name, p_src.status),
			HINT = CASE p_src.status
				WHEN 'running' THEN format('Stop it first with: SELECT chameleon.stop_replica(%L);', p_src.source_name)
				ELSE 'Wait for the initial copy to finish (see chameleon.init_progress), then try again.'
			END;
	END IF;
END
$$;

-- Checks what the C parser cannot (intervals, types, roles, mappings owned
-- by other sources) and stores a validated configuration.  p_id is NULL
-- for a new source.  Returns the source id.
CREATE FUNCTION chameleon._store_source(p_name text, p_cfg jsonb, p_id integer)
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

------------------------------------------------------------------------
-- Source management
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
CREATE FUNCTION chameleon.add_source(source_name text, config text)
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
CREATE FUNCTION chameleon.alter_source(source_name text, config text)
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

-- Renames the PostgreSQL schemas of a stopped source to new mappings.
CREATE FUNCTION chameleon.update_schema_mappings(source_name text, schema_mappings text)
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

-- Removes a source and its catalogue; the replicated tables stay.
CREATE FUNCTION chameleon.drop_source(source_name text)
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

-- Adds or updates every source of a pg_chameleon configuration file (its
-- global type_override and fillfactor apply to every source).
CREATE FUNCTION chameleon.load_config(path text)
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

------------------------------------------------------------------------
-- Initial copy: init_replica, copy_schema, refresh_schema, sync_tables
------------------------------------------------------------------------

-- Sets a replicated table's replica identity from the PostgreSQL catalogue:
-- the primary key, else the unique key on NOT NULL columns (fewest columns
-- first), else the full row.  Used by the initial copy and by the replay
-- after DDL, so both paths choose the same key.
CREATE FUNCTION chameleon._refresh_identity(p_source_id integer, p_schema text, p_table text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
UPDATE chameleon.replica_table r
   SET key_columns = coalesce(k.cols, '{}'), identity = coalesce(k.kind, 'full row')
  FROM (SELECT 1) d LEFT JOIN (
	SELECT CASE WHEN i.indisprimary THEN 'primary key' ELSE 'unique key' END AS kind,
		   ARRAY(SELECT a.attname::text
				   FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(attnum, ord)
				   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.attnum
				  ORDER BY u.ord) AS cols
	  FROM pg_index i
	 WHERE i.indrelid = (SELECT to_regclass(format('%I.%I', t.schema_name, t.table_name))
						   FROM chameleon.replica_table t
						  WHERE t.source_id = p_source_id AND t.source_schema = p_schema
							AND t.source_table = p_table)
	   AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
	   AND (i.indisprimary OR NOT EXISTS (
			 SELECT 1 FROM unnest(i.indkey::int2[]) u(attnum)
			   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.attnum
			  WHERE NOT a.attnotnull))
	 ORDER BY i.indisprimary DESC, i.indnatts, i.indexrelid LIMIT 1) k ON true
 WHERE r.source_id = p_source_id AND r.source_schema = p_schema AND r.source_table = p_table
$$;

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

CREATE FUNCTION chameleon._start_job(source_id integer, source_name text,
									 kind integer, schema_name text,
									 tables text[], wait boolean)
RETURNS void
LANGUAGE c
AS 'MODULE_PATHNAME', 'chameleon_sql_start_job';

-- Starts a reader or replay worker outside the launcher (tests, tools);
-- returns its pid.
CREATE FUNCTION chameleon._start_worker(role text, source_id integer, source_name text)
RETURNS integer
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_start_worker';

-- Starts a job worker for a source (1 init_replica, 2 copy_schema,
-- 3 refresh_schema, 4 sync_tables); with p_wait, waits for it and raises
-- its error.
CREATE FUNCTION chameleon._run_job(p_name text, p_kind integer, p_call text,
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

-- Copies every table of the source (structure and data) from consistent
-- snapshots, then swaps them in.
CREATE FUNCTION chameleon.init_replica(source_name text, wait boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM chameleon._run_job(init_replica.source_name, 1, 'init_replica()', NULL, NULL, init_replica.wait);
END
$$;

-- Creates every table of the source without copying data.
CREATE FUNCTION chameleon.copy_schema(source_name text, wait boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM chameleon._run_job(copy_schema.source_name, 2, 'copy_schema()', NULL, NULL, copy_schema.wait);
END
$$;

-- Copies again every table of one MySQL schema of the source.
CREATE FUNCTION chameleon.refresh_schema(source_name text, schema_name text, wait boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src chameleon.source;
BEGIN
	v_src := chameleon._lookup_source(refresh_schema.source_name, false);
	IF refresh_schema.schema_name IS NULL OR NOT (v_src.config -> 'schema_mappings') ? refresh_schema.schema_name THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_schema_name',
			MESSAGE = format('MySQL schema "%s" is not mapped by source "%s"',
							 refresh_schema.schema_name, v_src.source_name),
			HINT = 'Give a MySQL schema named in schema_mappings (see chameleon.sources).';
	END IF;
	PERFORM chameleon._run_job(refresh_schema.source_name, 3, 'refresh_schema()',
							   refresh_schema.schema_name, NULL, refresh_schema.wait);
END
$$;

-- Copies again the listed tables (schema.table, MySQL names); '{disabled}'
-- means every disabled table of the source.
CREATE FUNCTION chameleon.sync_tables(source_name text, tables text[], wait boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src		chameleon.source;
	v_tables	text[] := sync_tables.tables;
	v_bad		text;
BEGIN
	v_src := chameleon._lookup_source(sync_tables.source_name, false);
	IF v_tables = ARRAY['disabled'] THEN
		SELECT coalesce(array_agg(t.source_schema || '.' || t.source_table), '{}') INTO v_tables
		  FROM chameleon.replica_table t
		 WHERE t.source_id = v_src.source_id AND NOT t.enabled;
		IF cardinality(v_tables) = 0 THEN
			RAISE NOTICE 'source "%" has no disabled table: nothing to sync', v_src.source_name;
			RETURN;
		END IF;
	END IF;
	IF v_tables IS NULL OR cardinality(v_tables) = 0 THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = 'sync_tables() needs at least one table',
			HINT = 'Name tables as schema.table with their MySQL names, or pass ''{disabled}''.';
	END IF;
	SELECT t INTO v_bad FROM unnest(v_tables) t WHERE t !~ '^[^.]+\.[^.]+$' LIMIT 1;
	IF v_bad IS NOT NULL THEN
		RAISE EXCEPTION USING
			ERRCODE = 'invalid_parameter_value',
			MESSAGE = format('table name "%s" is not written as schema.table', v_bad),
			HINT = 'Name tables as schema.table with their MySQL names.';
	END IF;
	PERFORM chameleon._run_job(sync_tables.source_name, 4, 'sync_tables()', NULL,
							   v_tables, sync_tables.wait);
END
$$;

------------------------------------------------------------------------
-- Continuous replication: start, stop, wait
------------------------------------------------------------------------

-- Starts the reader and replay workers of an initialised source.
CREATE FUNCTION chameleon.start_replica(source_name text)
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
CREATE FUNCTION chameleon.stop_replica(source_name text)
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

-- Stops every running source; returns their names.
CREATE FUNCTION chameleon.stop_all_replicas()
RETURNS SETOF text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_name text;
BEGIN
	FOR v_name IN SELECT s.source_name FROM chameleon.source s
				   WHERE s.status = 'running' OR s.desired_state = 'running'
				   ORDER BY s.source_name LOOP
		PERFORM chameleon.stop_replica(v_name);
		RETURN NEXT v_name;
	END LOOP;
END
$$;

-- Clears a source's error: state error -> stopped.
CREATE FUNCTION chameleon.enable_replica(source_name text)
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

-- Ends replication for good: a running source is stopped once it has
-- applied everything read, sequences are set past the maximum, the MySQL
-- foreign keys are created with their actions (NOT VALID, then VALIDATE;
-- failures are WARNINGs), the source is removed; the tables stay as
-- ordinary tables.
CREATE FUNCTION chameleon.detach_replica(source_name text)
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

------------------------------------------------------------------------
-- Maintenance: the change log's partitions, log_batch retention
------------------------------------------------------------------------

-- The range partitions of a source's change log, lowest range first: the
-- events first_event_id <= event_id < end_event_id live in partition.
CREATE FUNCTION chameleon._log_partitions(p_source_id integer)
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

-- Drops the partitions of a source's log that lie wholly at or below
-- replayed_upto (capped by the committed replay position), except the
-- highest.  With a lock_timeout, waits that long at most for the log (ERROR
-- 55P03 after it); with NULL, returns -1 at once when the log is busy.
-- Returns the number of partitions dropped.
CREATE FUNCTION chameleon._log_recycle(source_id integer, replayed_upto bigint,
									   lock_timeout text)
RETURNS integer
LANGUAGE c
AS 'MODULE_PATHNAME', 'chameleon_sql_log_recycle';

-- Deletes a source's replayed log_batch rows replayed longer ago than its
-- batch_retention (every replayed one with p_all), but never the newest
-- row: the reader numbers its next batch after it.  Returns the count.
CREATE FUNCTION chameleon._purge_batches(p_source_id integer, p_all boolean)
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

-- Recycles the replayed partitions of a source's change log (waiting for
-- the log at most the source's lock_timeout) and deletes the log_batch rows
-- older than batch_retention; full also deletes every replayed log_batch
-- row and refreshes the statistics of the log.  The replay worker does the
-- same by itself (without waiting for locks): after every round for the
-- log, every auto_maintenance (default 5 minutes) for log_batch.
CREATE FUNCTION chameleon.run_maintenance(source_name text, full boolean DEFAULT false)
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

CREATE FUNCTION chameleon._wait_caught_up(source_id integer, timeout_ms bigint)
RETURNS boolean
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_sql_wait_caught_up';

-- True once everything the MySQL server had written when the call began
-- is applied; false after the timeout.
CREATE FUNCTION chameleon.wait_caught_up(source_name text, timeout interval DEFAULT '5 min')
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_src chameleon.source;
BEGIN
	v_src := chameleon._lookup_source(wait_caught_up.source_name, false);
	IF v_src.status <> 'running' THEN
		RAISE EXCEPTION USING
			ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = format('wait_caught_up() is not possible while source "%s" is in state "%s"',
							 v_src.source_name, v_src.status),
			HINT = format('Start it with: SELECT chameleon.start_replica(%L);', v_src.source_name);
	END IF;
	RETURN chameleon._wait_caught_up(v_src.source_id,
		(extract(epoch FROM wait_caught_up.timeout) * 1000)::bigint);
END
$$;

------------------------------------------------------------------------
-- DDL translation
------------------------------------------------------------------------

-- The PostgreSQL statements chameleon runs for one MySQL DDL statement
-- (no rows: no PostgreSQL meaning; ERROR 42601 with the position: cannot
-- be parsed).
CREATE FUNCTION chameleon.translate_ddl(statement text, schema_name text DEFAULT 'public')
RETURNS SETOF text
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_translate_ddl';

-- The same with the MySQL schema of unqualified names and a type_override
-- mapping as in a source configuration.
CREATE FUNCTION chameleon.translate_ddl(statement text, schema_name text,
										mysql_schema text, type_override jsonb)
RETURNS SETOF text
LANGUAGE c STRICT
AS 'MODULE_PATHNAME', 'chameleon_translate_ddl';

------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA chameleon FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA chameleon FROM PUBLIC;
REVOKE ALL ON SCHEMA chameleon FROM PUBLIC;

GRANT USAGE ON SCHEMA chameleon TO chameleon_admin, pg_monitor;

GRANT SELECT ON chameleon.sources, chameleon.show_status, chameleon.show_errors,
	chameleon.replica_tables, chameleon.init_progress, chameleon.discarded_rows
	TO chameleon_admin;
GRANT SELECT ON chameleon.show_status, chameleon.show_errors, chameleon.init_progress
	TO pg_monitor;

GRANT EXECUTE ON FUNCTION
	chameleon.add_source(text, text),
	chameleon.alter_source(text, text),
	chameleon.update_schema_mappings(text, text),
	chameleon.drop_source(text),
	chameleon.alter_source_owner(text, name),
	chameleon.load_config(text),
	chameleon.init_replica(text, boolean),
	chameleon.copy_schema(text, boolean),
	chameleon.refresh_schema(text, text, boolean),
	chameleon.sync_tables(text, text[], boolean),
	chameleon.start_replica(text),
	chameleon.stop_replica(text),
	chameleon.stop_all_replicas(),
	chameleon.enable_replica(text),
	chameleon.wait_caught_up(text, interval),
	chameleon.detach_replica(text),
	chameleon.run_maintenance(text, boolean),
	chameleon.translate_ddl(text, text),
	chameleon.translate_ddl(text, text, text, jsonb)
	TO chameleon_admin;

-- wake the launcher: it may be waiting for this very CREATE EXTENSION
SELECT chameleon._wake_launcher();

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
