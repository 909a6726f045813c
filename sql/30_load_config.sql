--
-- 30_load_config: reading pg_chameleon configuration files.
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set example :abs_srcdir '/t/data/config-example.yml'
\set broken :abs_srcdir '/t/data/config-broken.yml'

-- global keys are ignored with a NOTICE; both sources are added
SELECT * FROM chameleon.load_config(:'example') ORDER BY 1;
SELECT source_name, source_type, status FROM chameleon.sources ORDER BY 1;

-- the global type_override is merged; the source's own entry wins
SELECT source_name, jsonb_pretty(config -> 'type_override')
  FROM chameleon.sources ORDER BY 1;
SELECT config -> 'db_conn' ->> 'port' AS port,
	   config -> 'db_conn' ->> 'password' AS password,
	   config ->> 'keep_existing_schema' AS keep,
	   config -> 'skip_events' AS skip_events
  FROM chameleon.sources WHERE source_name = 'mysql';

-- loading again updates the sources in place (same ids, no duplicates)
SELECT source_id AS mysql_id FROM chameleon.source WHERE source_name = 'mysql' \gset
UPDATE chameleon.source SET config = jsonb_set(config, '{sleep_loop}', '9')
 WHERE source_name = 'mysql';
SELECT * FROM chameleon.load_config(:'example') ORDER BY 1;
SELECT source_id = :mysql_id AS same_id, config ->> 'sleep_loop' AS sleep_loop
  FROM chameleon.source WHERE source_name = 'mysql';

-- a running source is not updated behind the workers' back
UPDATE chameleon.source SET status = 'running' WHERE source_name = 'pgsql';
SELECT try(format('SELECT * FROM chameleon.load_config(%L)', :'example'));
UPDATE chameleon.source SET status = 'ready' WHERE source_name = 'pgsql';

SELECT chameleon.drop_source('mysql');
SELECT chameleon.drop_source('pgsql');

-- one bad source: nothing is created
SELECT regexp_replace(try(format('SELECT * FROM chameleon.load_config(%L)', :'broken')),
					  '"/[^"]*/', '".../') AS result;
SELECT count(*) AS sources FROM chameleon.source;
