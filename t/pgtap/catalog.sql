-- pgTAP: the shape of chameleon's catalogue — functions with their
-- signatures, views with their columns and types, and privileges.
-- Run by t/011_pgtap.pl with pg_prove against a fresh instance.
BEGIN;
SELECT plan(119);

SELECT has_schema('chameleon');
SELECT has_role('chameleon_admin');
SELECT has_extension('chameleon');

-- management functions: signature, result, SECURITY DEFINER, privileges
SELECT has_function('chameleon', 'add_source', ARRAY['text', 'text']);
SELECT has_function('chameleon', 'alter_source', ARRAY['text', 'text']);
SELECT has_function('chameleon', 'update_schema_mappings', ARRAY['text', 'text']);
SELECT has_function('chameleon', 'drop_source', ARRAY['text']);
SELECT has_function('chameleon', 'load_config', ARRAY['text']);
SELECT function_returns('chameleon', 'add_source', ARRAY['text', 'text'], 'void');
SELECT function_returns('chameleon', 'alter_source', ARRAY['text', 'text'], 'void');
SELECT function_returns('chameleon', 'update_schema_mappings', ARRAY['text', 'text'], 'void');
SELECT function_returns('chameleon', 'drop_source', ARRAY['text'], 'void');
SELECT function_returns('chameleon', 'load_config', ARRAY['text'], 'setof text');
SELECT is_definer('chameleon', 'add_source', ARRAY['text', 'text']);
SELECT is_definer('chameleon', 'alter_source', ARRAY['text', 'text']);
SELECT is_definer('chameleon', 'update_schema_mappings', ARRAY['text', 'text']);
SELECT is_definer('chameleon', 'drop_source', ARRAY['text']);
SELECT is_definer('chameleon', 'load_config', ARRAY['text']);
SELECT function_privs_are('chameleon', 'add_source', ARRAY['text', 'text'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'alter_source', ARRAY['text', 'text'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'update_schema_mappings', ARRAY['text', 'text'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'drop_source', ARRAY['text'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'load_config', ARRAY['text'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'add_source', ARRAY['text', 'text'], 'chameleon_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('chameleon', 'alter_source', ARRAY['text', 'text'], 'chameleon_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('chameleon', 'update_schema_mappings', ARRAY['text', 'text'], 'chameleon_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('chameleon', 'drop_source', ARRAY['text'], 'chameleon_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('chameleon', 'load_config', ARRAY['text'], 'chameleon_admin', ARRAY['EXECUTE']);

-- the initial copy (issue 5)
SELECT has_function('chameleon', 'init_replica', ARRAY['text', 'boolean']);
SELECT has_function('chameleon', 'copy_schema', ARRAY['text', 'boolean']);
SELECT has_function('chameleon', 'refresh_schema', ARRAY['text', 'text', 'boolean']);
SELECT has_function('chameleon', 'sync_tables', ARRAY['text', 'text[]', 'boolean']);
SELECT function_privs_are('chameleon', 'init_replica', ARRAY['text', 'boolean'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'copy_schema', ARRAY['text', 'boolean'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'refresh_schema', ARRAY['text', 'text', 'boolean'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'sync_tables', ARRAY['text', 'text[]', 'boolean'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'init_replica', ARRAY['text', 'boolean'], 'chameleon_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('chameleon', 'sync_tables', ARRAY['text', 'text[]', 'boolean'], 'chameleon_admin', ARRAY['EXECUTE']);
SELECT is_definer('chameleon', 'init_replica', ARRAY['text', 'boolean']);

-- continuous replication (issue 6)
SELECT has_function('chameleon', 'start_replica', ARRAY['text']);
SELECT has_function('chameleon', 'stop_replica', ARRAY['text']);
SELECT has_function('chameleon', 'stop_all_replicas', ARRAY[]::text[]);
SELECT has_function('chameleon', 'enable_replica', ARRAY['text']);
SELECT has_function('chameleon', 'wait_caught_up', ARRAY['text', 'interval']);
SELECT function_returns('chameleon', 'wait_caught_up', ARRAY['text', 'interval'], 'boolean');
SELECT function_privs_are('chameleon', 'start_replica', ARRAY['text'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'stop_replica', ARRAY['text'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'wait_caught_up', ARRAY['text', 'interval'], 'chameleon_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('chameleon', '_start_worker', ARRAY['text', 'integer', 'text'], 'chameleon_admin', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', '_start_job', ARRAY['integer', 'text', 'integer', 'text', 'text[]', 'boolean'], 'chameleon_admin', ARRAY[]::text[]);

-- maintenance
SELECT has_function('chameleon', 'run_maintenance', ARRAY['text', 'boolean']);
SELECT function_returns('chameleon', 'run_maintenance', ARRAY['text', 'boolean'], 'void');
SELECT is_definer('chameleon', 'run_maintenance', ARRAY['text', 'boolean']);
SELECT function_privs_are('chameleon', 'run_maintenance', ARRAY['text', 'boolean'], 'public', ARRAY[]::text[]);
SELECT function_privs_are('chameleon', 'run_maintenance', ARRAY['text', 'boolean'], 'chameleon_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('chameleon', '_log_recycle', ARRAY['integer', 'bigint', 'text'], 'chameleon_admin', ARRAY[]::text[]);

-- views and their columns (SPEC section 4)
SELECT has_view('chameleon', 'sources', 'view sources');
SELECT has_view('chameleon', 'show_status', 'view show_status');
SELECT has_view('chameleon', 'show_errors', 'view show_errors');
SELECT has_view('chameleon', 'replica_tables', 'view replica_tables');
SELECT has_view('chameleon', 'init_progress', 'view init_progress');
SELECT has_view('chameleon', 'discarded_rows', 'view discarded_rows');

SELECT columns_are('chameleon', 'sources',
	ARRAY['source_name', 'source_type', 'status', 'config', 'owner']);
SELECT col_type_is('chameleon', 'sources', 'config', 'jsonb', 'sources.config is jsonb');

SELECT columns_are('chameleon', 'show_status',
	ARRAY['source_name', 'source_type', 'status', 'consistent', 'read_lag',
		  'last_read', 'replay_lag', 'last_replay', 'read_position',
		  'replay_position', 'tables_replicated', 'tables_disabled',
		  'replayed_rows', 'replayed_ddl', 'skipped_rows', 'last_error']);
SELECT col_type_is('chameleon', 'show_status', 'consistent', 'boolean', 'show_status.consistent is boolean');
SELECT col_type_is('chameleon', 'show_status', 'read_lag', 'interval', 'show_status.read_lag is interval');
SELECT col_type_is('chameleon', 'show_status', 'last_read', 'timestamp with time zone', 'show_status.last_read is timestamp with time zone');
SELECT col_type_is('chameleon', 'show_status', 'replay_lag', 'interval', 'show_status.replay_lag is interval');
SELECT col_type_is('chameleon', 'show_status', 'last_replay', 'timestamp with time zone', 'show_status.last_replay is timestamp with time zone');
SELECT col_type_is('chameleon', 'show_status', 'read_position', 'text', 'show_status.read_position is text');
SELECT col_type_is('chameleon', 'show_status', 'replay_position', 'text', 'show_status.replay_position is text');
SELECT col_type_is('chameleon', 'show_status', 'tables_replicated', 'integer', 'show_status.tables_replicated is integer');
SELECT col_type_is('chameleon', 'show_status', 'tables_disabled', 'integer', 'show_status.tables_disabled is integer');
SELECT col_type_is('chameleon', 'show_status', 'replayed_rows', 'bigint', 'show_status.replayed_rows is bigint');
SELECT col_type_is('chameleon', 'show_status', 'replayed_ddl', 'bigint', 'show_status.replayed_ddl is bigint');
SELECT col_type_is('chameleon', 'show_status', 'skipped_rows', 'bigint', 'show_status.skipped_rows is bigint');
SELECT col_type_is('chameleon', 'show_status', 'last_error', 'text', 'show_status.last_error is text');

SELECT columns_are('chameleon', 'show_errors',
	ARRAY['log_id', 'source_name', 'schema_name', 'table_name', 'error_time',
		  'sql_text', 'error_message']);
SELECT col_type_is('chameleon', 'show_errors', 'log_id', 'bigint', 'show_errors.log_id is bigint');
SELECT col_type_is('chameleon', 'show_errors', 'error_time', 'timestamp with time zone', 'show_errors.error_time is timestamp with time zone');
SELECT col_type_is('chameleon', 'show_errors', 'sql_text', 'text', 'show_errors.sql_text is text');
SELECT col_type_is('chameleon', 'show_errors', 'error_message', 'text', 'show_errors.error_message is text');

SELECT columns_are('chameleon', 'replica_tables',
	ARRAY['source_name', 'source_schema', 'source_table', 'schema_name',
		  'table_name', 'key_columns', 'identity', 'enabled', 'consistent']);
SELECT col_type_is('chameleon', 'replica_tables', 'key_columns', 'text[]', 'replica_tables.key_columns is text[]');
SELECT col_type_is('chameleon', 'replica_tables', 'enabled', 'boolean', 'replica_tables.enabled is boolean');
SELECT col_type_is('chameleon', 'replica_tables', 'consistent', 'boolean', 'replica_tables.consistent is boolean');

SELECT columns_are('chameleon', 'init_progress',
	ARRAY['source_name', 'schema_name', 'table_name', 'state', 'rows_copied',
		  'rows_estimated', 'started', 'finished']);
SELECT col_type_is('chameleon', 'init_progress', 'rows_copied', 'bigint', 'init_progress.rows_copied is bigint');
SELECT col_type_is('chameleon', 'init_progress', 'rows_estimated', 'bigint', 'init_progress.rows_estimated is bigint');
SELECT col_type_is('chameleon', 'init_progress', 'started', 'timestamp with time zone', 'init_progress.started is timestamp with time zone');
SELECT col_type_is('chameleon', 'init_progress', 'finished', 'timestamp with time zone', 'init_progress.finished is timestamp with time zone');

SELECT columns_are('chameleon', 'discarded_rows',
	ARRAY['source_name', 'schema_name', 'table_name', 'reason', 'row_data',
		  'discarded_at']);
SELECT col_type_is('chameleon', 'discarded_rows', 'row_data', 'jsonb', 'discarded_rows.row_data is jsonb');
SELECT col_type_is('chameleon', 'discarded_rows', 'discarded_at', 'timestamp with time zone', 'discarded_rows.discarded_at is timestamp with time zone');

-- who may read what
SELECT table_privs_are('chameleon', 'show_status', 'pg_monitor', ARRAY['SELECT']);
SELECT table_privs_are('chameleon', 'show_errors', 'pg_monitor', ARRAY['SELECT']);
SELECT table_privs_are('chameleon', 'sources', 'pg_monitor', ARRAY[]::text[]);
SELECT table_privs_are('chameleon', 'sources', 'chameleon_admin', ARRAY['SELECT']);
SELECT table_privs_are('chameleon', 'show_status', 'chameleon_admin', ARRAY['SELECT']);
SELECT table_privs_are('chameleon', 'replica_tables', 'chameleon_admin', ARRAY['SELECT']);
SELECT table_privs_are('chameleon', 'init_progress', 'chameleon_admin', ARRAY['SELECT']);
SELECT table_privs_are('chameleon', 'discarded_rows', 'chameleon_admin', ARRAY['SELECT']);
SELECT table_privs_are('chameleon', 'show_status', 'public', ARRAY[]::text[]);
SELECT table_privs_are('chameleon', 'sources', 'public', ARRAY[]::text[]);
SELECT table_privs_are('chameleon', 'source_secret', 'public', ARRAY[]::text[]);
SELECT table_privs_are('chameleon', 'source_secret', 'chameleon_admin', ARRAY[]::text[]);
SELECT table_privs_are('chameleon', 'source_secret', 'pg_monitor', ARRAY[]::text[]);
SELECT table_privs_are('chameleon', 'source', 'chameleon_admin', ARRAY[]::text[]);
SELECT schema_privs_are('chameleon', 'public', ARRAY[]::text[]);
SELECT schema_privs_are('chameleon', 'chameleon_admin', ARRAY['USAGE']);
SELECT schema_privs_are('chameleon', 'pg_monitor', ARRAY['USAGE']);

-- internal tables that later capabilities build on
SELECT has_table('chameleon', 'source', 'table source');
SELECT has_table('chameleon', 'source_secret', 'table source_secret');
SELECT has_table('chameleon', 'schema_mapping', 'table schema_mapping');
SELECT has_table('chameleon', 'replica_table', 'table replica_table');
SELECT has_table('chameleon', 'log_batch', 'table log_batch');
SELECT is_partitioned('chameleon', 'log_event', 'the row log is partitioned per source');
SELECT col_is_unique('chameleon', 'schema_mapping', 'schema_name',
	'a PostgreSQL schema belongs to one source');

SELECT * FROM finish();
ROLLBACK;
