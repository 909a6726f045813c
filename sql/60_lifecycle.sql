--
-- 60_lifecycle: the calls that start the initial copy check the source,
-- its state and their arguments before any worker starts.
--
SELECT chameleon.add_source('life', 'db_conn: {user: u, host: 127.0.0.1, port: 9}
schema_mappings: {shop: shop_life}');

-- unknown source, in every call
SELECT try($$SELECT chameleon.init_replica('nosuch')$$);
SELECT try($$SELECT chameleon.copy_schema('nosuch')$$);
SELECT try($$SELECT chameleon.refresh_schema('nosuch', 'shop')$$);
SELECT try($$SELECT chameleon.sync_tables('nosuch', '{shop.t}')$$);

-- arguments
SELECT try($$SELECT chameleon.refresh_schema('life', 'other')$$);
SELECT try($$SELECT chameleon.sync_tables('life', '{}')$$);
SELECT try($$SELECT chameleon.sync_tables('life', '{nodot}')$$);
SELECT try($$SELECT chameleon.sync_tables('life', '{disabled}')$$);

-- states: a running or initialising source refuses, with a hint
UPDATE chameleon.source SET status = 'running' WHERE source_name = 'life';
SELECT try($$SELECT chameleon.init_replica('life')$$);
SELECT try($$SELECT chameleon.copy_schema('life')$$);
UPDATE chameleon.source SET status = 'initialising' WHERE source_name = 'life';
SELECT try($$SELECT chameleon.sync_tables('life', '{shop.t}')$$);

-- an unreachable server: the worker records the error, the call with
-- wait => true raises it, nothing is left half-created
UPDATE chameleon.source SET status = 'ready' WHERE source_name = 'life';
SELECT regexp_replace(try($$SELECT chameleon.init_replica('life', wait => true)$$),
					  '(initial copy of source "life": ).*$', '\1...', 'n') AS result;
SELECT status, last_error IS NOT NULL AS has_error FROM chameleon.show_status WHERE source_name = 'life';
SELECT count(*) AS errors FROM chameleon.show_errors WHERE source_name = 'life';
SELECT count(*) AS loading_schemas FROM pg_namespace WHERE nspname LIKE '\_chameleon\_load%';
SELECT count(*) AS tables FROM chameleon.replica_tables WHERE source_name = 'life';

SELECT chameleon.drop_source('life');
