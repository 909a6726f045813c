--
-- 20_config_errors: every kind of bad configuration is an ERROR with an
-- SQLSTATE, a message naming the key (and line), a hint, and leaves
-- nothing behind.  try() (from 00_setup) shows SQLSTATE, detail and hint.
--

-- unknown keys, at the top and inside db_conn; the hint lists valid keys
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mapping: {a: b}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u, hots: x}
schema_mappings: {a: b}')$$);
-- a key of the source nested under db_conn (as in pg_chameleon's example)
-- is read as the source's: its errors name it where it is written
SELECT try($$SELECT chameleon.add_source('bad', $c$
db_conn:
  user: u
  sleep_loop: never
schema_mappings: {a: b}
$c$)$$);
SELECT try($$SELECT chameleon.add_source('bad', $c$
db_conn:
  user: u
  limit_tables: [a.t]
  limit_tables: [a.u]
schema_mappings: {a: b}
$c$)$$);

-- net_read_timeout: seconds, 1 to a year (MySQL's range)
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
net_read_timeout: 0')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
net_read_timeout: 10 min')$$);

-- fillfactor: {percent: {tables: [schema.table or "*"]}}, percent 10 to 100
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
fillfactor: {"5": {tables: [a.t]}}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
fillfactor: {"*": {tables: [a.t]}}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
fillfactor: {"30": {tables: [t]}}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
fillfactor: {"30": {table: [a.t]}}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
fillfactor: {"30": {}}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
fillfactor: {"30": [a.t]}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
fillfactor: [a.t]')$$);

-- wrong value types
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u, port: abc}
schema_mappings: {a: b}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u, port: 70000}
schema_mappings: {a: b}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
replica_batch_size: -1')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
on_error_replay: maybe')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
gtid_enable: perhaps')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
type: oracle')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
lock_timeout: soon')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
copy_max_memory: lots')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
batch_retention: forever')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
limit_tables: [orders]')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
limit_tables: a.orders')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
skip_events: {truncate: [a]}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
type_override: {"tinyint(1)": {override_to: nosuchtype}}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: b}
type_override: {"tinyint(1)": {override_tables: ["*"]}}')$$);

-- a password of the wrong form is reported without its value
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u, password: [s3cret]}
schema_mappings: {a: b}')$$);
-- and a password never shows up in any other error
SELECT position('s3cret' IN try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u, password: s3cret, port: x}
schema_mappings: {a: b}')$$)) AS password_shown;

-- malformed YAML: the message gives the line
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn:
  user: u
schema_mappings: {a: b
sleep_loop: 1')$$);
SELECT try($$SELECT chameleon.add_source('bad', E'db_conn:\n  user: u\n\tport: 1')$$);
SELECT try($$SELECT chameleon.add_source('bad', '- just
- a list')$$);
SELECT try($$SELECT chameleon.add_source('bad', '')$$);
SELECT try($$SELECT chameleon.add_source('bad', NULL)$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
db_conn: {user: v}
schema_mappings: {a: b}')$$);

-- missing, empty and reserved schema mappings; missing user
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings:')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: pg_catalog}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {user: u}
schema_mappings: {a: x, b: x}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'db_conn: {host: h}
schema_mappings: {a: b}')$$);
SELECT try($$SELECT chameleon.add_source('bad', 'schema_mappings: {a: b}')$$);

-- bad source names
SELECT try($$SELECT chameleon.add_source('', 'db_conn: {user: u}
schema_mappings: {a: b}')$$);
SELECT try($$SELECT chameleon.add_source(NULL, 'db_conn: {user: u}
schema_mappings: {a: b}')$$);
SELECT try($$SELECT chameleon.add_source(repeat('x', 41), 'db_conn: {user: u}
schema_mappings: {a: b}')$$);
SELECT try($$SELECT chameleon.add_source(E'tab\there', 'db_conn: {user: u}
schema_mappings: {a: b}')$$);

-- nothing was created by any of the above
SELECT count(*) AS sources FROM chameleon.source;
SELECT count(*) AS secrets FROM chameleon.source_secret;
SELECT count(*) AS mappings FROM chameleon.schema_mapping;
SELECT count(*) AS log_partitions FROM pg_inherits
 WHERE inhparent = 'chameleon.log_event'::regclass;

-- duplicates: a source name, a PostgreSQL schema mapped by another source
SELECT chameleon.add_source('first', 'db_conn: {user: u, password: pw}
schema_mappings: {shop: shop}');
SELECT try($$SELECT chameleon.add_source('first', 'db_conn: {user: u}
schema_mappings: {other: other}')$$);
SELECT try($$SELECT chameleon.add_source('second', 'db_conn: {user: u}
schema_mappings: {shop2: shop}')$$);
SELECT try($$SELECT chameleon.alter_source('first', 'schema_mappings: {shop: shop, x: y, z: y}')$$);
SELECT count(*) AS sources FROM chameleon.source;

-- unknown sources, in every function
SELECT try($$SELECT chameleon.alter_source('nosuch', 'sleep_loop: 2')$$);
SELECT try($$SELECT chameleon.drop_source('nosuch')$$);
SELECT try($$SELECT chameleon.update_schema_mappings('nosuch', '{a: b}')$$);

-- alter_source with nothing to merge, or a bad value
SELECT try($$SELECT chameleon.alter_source('first', '{}')$$);
SELECT try($$SELECT chameleon.alter_source('first', 'sleep_loop: never')$$);
SELECT try($$SELECT chameleon.alter_source('first', 'db_conn: {user: ""}')$$);

-- calls that do not fit the state (55000), with a hint naming the call
UPDATE chameleon.source SET status = 'running' WHERE source_name = 'first';
SELECT try($$SELECT chameleon.drop_source('first')$$);
SELECT try($$SELECT chameleon.alter_source('first', 'db_conn: {host: elsewhere}')$$);
SELECT try($$SELECT chameleon.update_schema_mappings('first', '{shop: shop2}')$$);
-- keys the workers re-read may change while running
SELECT try($$SELECT chameleon.alter_source('first', 'sleep_loop: 3')$$);
UPDATE chameleon.source SET status = 'stopped' WHERE source_name = 'first';
SELECT try($$SELECT chameleon.alter_source('first', 'schema_mappings: {shop: shop2}')$$);
SELECT try($$SELECT chameleon.update_schema_mappings('first', '{other: shop2}')$$);
SELECT try($$SELECT chameleon.update_schema_mappings('first', 'not a mapping')$$);

-- load_config: missing, relative and non-regular paths
SELECT try($$SELECT chameleon.load_config('/nonexistent/chameleon.yml')$$);
SELECT try($$SELECT chameleon.load_config('relative/config.yml')$$);
SELECT try($$SELECT chameleon.load_config('/')$$);

-- the state is what it was
SELECT source_name, status, config ->> 'sleep_loop' AS sleep_loop,
	   config -> 'schema_mappings' AS mappings
  FROM chameleon.sources;
SELECT chameleon.drop_source('first');
