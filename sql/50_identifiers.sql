--
-- 50_identifiers: names with quotes, spaces, semicolons and non-ASCII
-- characters either work or are refused cleanly; they never break SQL.
--

-- source names
SELECT chameleon.add_source('my "odd" source; --', 'db_conn: {user: u}
schema_mappings: {odd: odd}');
SELECT chameleon.add_source('källa 🦎', 'db_conn: {user: u}
schema_mappings: {"München": "münchen"}');
SELECT source_name, config -> 'schema_mappings' AS mappings
  FROM chameleon.sources ORDER BY 1;

-- hostile MySQL and PostgreSQL schema names
SELECT chameleon.add_source('hostile', $cfg$
db_conn: {user: u}
schema_mappings:
  'x"; DROP TABLE y; --': 'weird"schema'
$cfg$);
CREATE SCHEMA "weird""schema";
CREATE TABLE "weird""schema"."x""; DROP TABLE y; --" (id integer);
SELECT chameleon.update_schema_mappings('hostile', $m$
'x"; DROP TABLE y; --': 'still weird; "schema'
$m$);
SELECT nspname FROM pg_namespace WHERE nspname LIKE '%weird%' ORDER BY 1;
SELECT count(*) FROM "still weird; ""schema"."x""; DROP TABLE y; --";
SELECT config -> 'schema_mappings' FROM chameleon.sources WHERE source_name = 'hostile';

-- a name that cannot be a PostgreSQL schema is refused, not truncated
SELECT try(format('SELECT chameleon.add_source(%L, %L)', 'long',
				  'db_conn: {user: u}' || E'\n' || 'schema_mappings: {a: ' || repeat('s', 64) || '}'));

SELECT chameleon.drop_source('my "odd" source; --');
SELECT chameleon.drop_source('källa 🦎');
SELECT chameleon.drop_source('hostile');
DROP SCHEMA "still weird; ""schema" CASCADE;
SELECT count(*) FROM chameleon.sources;
