--
-- 10_sources: adding, altering, remapping and dropping sources.
--

-- a YAML source block, as in a pg_chameleon configuration file
SELECT chameleon.add_source('mysql', $cfg$
db_conn:
  host: 127.0.0.1
  port: "3306"
  user: usr_replica
  password: never_print_me
  charset: utf8
  connect_timeout: 10
schema_mappings:
  sakila: sakila_pg
limit_tables:
skip_tables:
  - sakila.film_text
grant_select_to:
  - pg_read_all_data
lock_timeout: "120s"
my_server_id: 100
copy_max_memory: "300M"
keep_existing_schema: No
skip_events:
  insert:
    - sakila.payment
  delete:
    - sakila
  update:
$cfg$);

-- defaults are filled in, types normalised, the password masked
SELECT source_name, source_type, status, jsonb_pretty(config)
  FROM chameleon.sources;
SELECT position('never_print_me' IN config::text) AS password_shown
  FROM chameleon.sources;

-- nothing is known yet about positions or lag
SELECT source_name, source_type, status, consistent, read_lag, last_read,
	   replay_lag, last_replay, read_position, replay_position,
	   tables_replicated, tables_disabled, replayed_rows, replayed_ddl,
	   skipped_rows, last_error
  FROM chameleon.show_status;

-- JSON is valid YAML; every key of SPEC section 3 is accepted
SELECT chameleon.add_source('json_src', '{"type": "mysql",
  "db_conn": {"host": "db.example", "user": "u", "password": "p2",
			  "ssl_mode": "verify_ca", "ssl_ca": "/etc/ssl/ca.pem"},
  "schema_mappings": {"shop": "shop", "crm": "crm_copy"},
  "limit_tables": ["shop.orders", "crm.people"], "skip_tables": [],
  "skip_events": {"delete": ["shop"]},
  "grant_select_to": [],
  "type_override": {"tinyint(1)": {"override_to": "boolean",
									"override_tables": ["*"]}},
  "lock_timeout": "2min", "my_server_id": 4294967295,
  "replica_batch_size": 5000, "replay_max_rows": 20000,
  "batch_retention": "12 hours", "copy_max_memory": "1GB",
  "copy_mode": "file", "out_dir": "/var/tmp", "sleep_loop": 2,
  "on_error_replay": "exit", "on_error_read": "continue",
  "auto_maintenance": "1 day", "gtid_enable": "yes",
  "keep_existing_schema": true, "net_read_timeout": 30,
  "fillfactor": {"70": {"tables": ["shop.orders", "*"]}}}');
SELECT jsonb_pretty(config) FROM chameleon.sources WHERE source_name = 'json_src';

-- a pgsql source gets port 5432 by default
SELECT chameleon.add_source('pg_src', $cfg$
type: pgsql
db_conn: {host: localhost, user: replica, database: db_replica}
schema_mappings: {public: from_pg}
$cfg$);
SELECT config -> 'db_conn' FROM chameleon.sources WHERE source_name = 'pg_src';

SELECT source_name, source_type, status FROM chameleon.sources ORDER BY source_name;

-- the keys of a source nested under db_conn, as pg_chameleon's example
-- writes its pgsql source, are read as the source's (NOTICE); one given
-- at both places is taken from the source block
SELECT chameleon.add_source('nested', $cfg$
db_conn:
  host: localhost
  user: usr_replica
  database: db_replica
  schema_mappings:
    loxodonta_africana: elephas_maximus
  type: pgsql
  sleep_loop: 5
sleep_loop: 7
$cfg$);
SELECT source_type, config -> 'db_conn' AS db_conn, config -> 'schema_mappings' AS mappings,
	   config -> 'sleep_loop' AS sleep_loop
  FROM chameleon.sources WHERE source_name = 'nested';
SELECT chameleon.drop_source('nested');

-- fillfactor: a table listed under several percents gets the last one,
-- each table is stored once; "*" stays for the tables named nowhere
SELECT chameleon.add_source('fill', $cfg$
db_conn: {user: u}
schema_mappings: {shop: shop_fill}
fillfactor:
  "30":
    tables: [shop.orders, shop.lines]
  70: {tables: ["*"]}
  "40":
    tables: [shop.orders]
net_read_timeout: 45
$cfg$);
SELECT config -> 'fillfactor' AS fillfactor, config -> 'net_read_timeout' AS net_read_timeout
  FROM chameleon.sources WHERE source_name = 'fill';
-- both change while the source runs (the workers read them again)
UPDATE chameleon.source SET status = 'running' WHERE source_name = 'fill';
SELECT chameleon.alter_source('fill', 'net_read_timeout: 5
fillfactor: {"50": {tables: [shop.lines]}}');
UPDATE chameleon.source SET status = 'ready' WHERE source_name = 'fill';
SELECT config -> 'fillfactor' AS fillfactor, config -> 'net_read_timeout' AS net_read_timeout
  FROM chameleon.sources WHERE source_name = 'fill';
SELECT chameleon.drop_source('fill');

-- alter_source merges keys, db_conn key by key, and keeps the password
-- (a new host, port or user would forget it: see 45_secrets)
SELECT chameleon.alter_source('mysql', $cfg$
sleep_loop: 5
db_conn:
  connect_timeout: 20
$cfg$);
SELECT config -> 'db_conn' ->> 'host' AS host,
	   config -> 'db_conn' ->> 'connect_timeout' AS connect_timeout,
	   config -> 'db_conn' ->> 'password' AS password,
	   config ->> 'sleep_loop' AS sleep_loop
  FROM chameleon.sources WHERE source_name = 'mysql';
SELECT password = 'never_print_me' AS password_kept
  FROM chameleon.source_secret JOIN chameleon.source USING (source_id)
 WHERE source_name = 'mysql';
-- a new password replaces the old one
SELECT chameleon.alter_source('mysql', 'db_conn: {password: "an0ther"}');
SELECT password = 'an0ther' AS password_changed
  FROM chameleon.source_secret JOIN chameleon.source USING (source_id)
 WHERE source_name = 'mysql';

-- update_schema_mappings renames the PostgreSQL schema and keeps its tables
CREATE SCHEMA sakila_pg;
CREATE TABLE sakila_pg.actor (actor_id integer PRIMARY KEY);
INSERT INTO sakila_pg.actor VALUES (1), (2);
INSERT INTO chameleon.replica_table (source_id, source_schema, source_table, schema_name, table_name)
SELECT source_id, 'sakila', 'actor', 'sakila_pg', 'actor'
  FROM chameleon.source WHERE source_name = 'mysql';
SELECT chameleon.update_schema_mappings('mysql', '{sakila: sakila_new}');
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sakila%' ORDER BY 1;
SELECT count(*) FROM sakila_new.actor;
SELECT source_schema, source_table, schema_name, table_name FROM chameleon.replica_tables;
SELECT config -> 'schema_mappings' FROM chameleon.sources WHERE source_name = 'mysql';
-- the freed schema name can now be mapped by another source
SELECT chameleon.alter_source('pg_src', 'schema_mappings: {public: sakila_pg}');

-- drop_source removes the catalogue, its log partition, and keeps the data
SELECT count(*) AS log_partitions FROM pg_inherits
 WHERE inhparent = 'chameleon.log_event'::regclass;
SELECT chameleon.drop_source('mysql');
SELECT count(*) AS log_partitions FROM pg_inherits
 WHERE inhparent = 'chameleon.log_event'::regclass;
SELECT count(*) FROM sakila_new.actor;
SELECT count(*) FROM chameleon.replica_tables;
SELECT source_name FROM chameleon.sources ORDER BY 1;

SELECT chameleon.drop_source('json_src');
SELECT chameleon.drop_source('pg_src');
SELECT count(*) FROM chameleon.source_secret;
DROP SCHEMA sakila_new CASCADE;
