--
-- 30_load_config: reading pg_chameleon configuration files.
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set example :abs_srcdir '/t/data/config-example.yml'
\set broken :abs_srcdir '/t/data/config-broken.yml'
\set pgc :abs_srcdir '/t/data/pg_chameleon-2.0.21-config-example.yml'

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

-- pg_chameleon 2.0.21's own example, verbatim: its global fillfactor goes
-- to every source, the mysql source's net_read_timeout is read, the keys
-- of the pgsql source written inside its db_conn are read as the source's
SELECT * FROM chameleon.load_config(:'pgc') ORDER BY 1;
SELECT source_name, source_type, status, jsonb_pretty(config)
  FROM chameleon.sources ORDER BY 1;
SELECT chameleon.drop_source('mysql');
SELECT chameleon.drop_source('pgsql');

-- a source's own fillfactor wins over the global one for the same table
\set ff :abs_srcdir '/t/data/config-fillfactor.yml'
SELECT * FROM chameleon.load_config(:'ff') ORDER BY 1;
SELECT source_name, config -> 'fillfactor' AS fillfactor
  FROM chameleon.sources ORDER BY 1;
SELECT chameleon.drop_source('one');
SELECT chameleon.drop_source('two');

-- one bad source: nothing is created
SELECT regexp_replace(try(format('SELECT * FROM chameleon.load_config(%L)', :'broken')),
					  '"/[^"]*/', '".../') AS result;
SELECT count(*) AS sources FROM chameleon.source;
