--
-- 90_verify: verify_tables() checks the source, its state and its
-- arguments before any worker starts; its views have the columns of the
-- specification; only chameleon_admin (and pg_monitor for verify_status)
-- may use them; a run that cannot reach MySQL ends in error, recorded.
--
SELECT chameleon.add_source('ver', 'db_conn: {user: u, host: 127.0.0.1, port: 9}
schema_mappings: {shop: shop_ver}');

-- the views, empty, with their columns
SELECT count(*) FROM chameleon.verify_status;
SELECT count(*) FROM chameleon.verify_mismatches;
SELECT table_name, string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
  FROM information_schema.columns
 WHERE table_schema = 'chameleon' AND table_name IN ('verify_status', 'verify_mismatches')
 GROUP BY table_name ORDER BY table_name;

-- unknown source
SELECT try($$SELECT chameleon.verify_tables('nosuch')$$);

-- states: only a running source can be verified, the hint says what helps
SELECT try($$SELECT chameleon.verify_tables('ver')$$);
UPDATE chameleon.source SET status = 'stopped' WHERE source_name = 'ver';
SELECT try($$SELECT chameleon.verify_tables('ver')$$);
UPDATE chameleon.source SET status = 'error' WHERE source_name = 'ver';
SELECT try($$SELECT chameleon.verify_tables('ver')$$);
UPDATE chameleon.source SET status = 'syncing' WHERE source_name = 'ver';
SELECT try($$SELECT chameleon.verify_tables('ver', repair => true)$$);

-- arguments (checked once the source runs)
UPDATE chameleon.source SET status = 'running' WHERE source_name = 'ver';
INSERT INTO chameleon.replica_table (source_id, source_schema, source_table, schema_name, table_name)
SELECT source_id, 'shop', 'orders', 'shop_ver', 'orders' FROM chameleon.source WHERE source_name = 'ver';
SELECT try($$SELECT chameleon.verify_tables('ver', '{}')$$);
SELECT try($$SELECT chameleon.verify_tables('ver', '{nodot}')$$);
SELECT try($$SELECT chameleon.verify_tables('ver', ARRAY['shop.orders', NULL])$$);
SELECT try($$SELECT chameleon.verify_tables('ver', '{shop.orders,shop.nosuch,crm.people}')$$);

-- one verify per source: the worker's lock is taken
SELECT pg_advisory_lock(1128814150, source_id) FROM chameleon.source WHERE source_name = 'ver';
SELECT try($$SELECT chameleon.verify_tables('ver')$$);
SELECT pg_advisory_unlock(1128814150, source_id) FROM chameleon.source WHERE source_name = 'ver';

-- wait => true cannot wait for a worker that cannot see this transaction
BEGIN;
UPDATE chameleon.source SET last_error = NULL WHERE source_name = 'ver';
SELECT try($$SELECT chameleon.verify_tables('ver', wait => true)$$);
ROLLBACK;

-- MySQL cannot be reached: the run fails, wait => true raises it, the
-- table says it was not verified, and nothing is left running
SELECT regexp_replace(try($$SELECT chameleon.verify_tables('ver', '{shop.orders}', wait => true)$$),
					  '(failed: ).*$', '\1...', 'n') AS result;
SELECT schema_name, table_name, state, rows_checked, error LIKE 'not verified: %' AS not_verified,
	   started IS NULL AS never_started, finished IS NOT NULL AS finished
  FROM chameleon.verify_status WHERE source_name = 'ver';
SELECT count(*) AS mismatches FROM chameleon.verify_mismatches WHERE source_name = 'ver';
SELECT count(*) AS verify_workers FROM pg_stat_activity WHERE backend_type = 'chameleon verify ver';

-- privileges: the function and views are chameleon_admin's; pg_monitor
-- reads verify_status only
SELECT has_function_privilege('public', 'chameleon.verify_tables(text, text[], boolean, boolean)', 'EXECUTE') AS public_exec,
	   has_function_privilege('chameleon_admin', 'chameleon.verify_tables(text, text[], boolean, boolean)', 'EXECUTE') AS admin_exec,
	   has_function_privilege('chameleon_admin', 'chameleon._start_verify(integer, text, text[], boolean, boolean)', 'EXECUTE') AS admin_internal,
	   has_table_privilege('chameleon_admin', 'chameleon.verify_status', 'SELECT') AS admin_status,
	   has_table_privilege('chameleon_admin', 'chameleon.verify_mismatches', 'SELECT') AS admin_mismatches,
	   has_table_privilege('pg_monitor', 'chameleon.verify_status', 'SELECT') AS monitor_status,
	   has_table_privilege('pg_monitor', 'chameleon.verify_mismatches', 'SELECT') AS monitor_mismatches,
	   has_table_privilege('chameleon_admin', 'chameleon.verify_table', 'SELECT') AS admin_table;
CREATE ROLE chameleon_t_verify_monitor IN ROLE pg_monitor;
SET ROLE chameleon_t_verify_monitor;
SELECT count(*) FROM chameleon.verify_status;
SELECT try($$SELECT count(*) FROM chameleon.verify_mismatches$$);
SELECT try($$SELECT chameleon.verify_tables('ver')$$);
RESET ROLE;
DROP ROLE chameleon_t_verify_monitor;

-- the source's verify results go with it
UPDATE chameleon.source SET status = 'stopped' WHERE source_name = 'ver';
SELECT chameleon.drop_source('ver');
SELECT count(*) FROM chameleon.verify_status;
