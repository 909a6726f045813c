-- chameleon.translate_ddl(): MySQL DDL -> PostgreSQL statements (SPEC section 4)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS chameleon;
RESET client_min_messages;
-- one output line per generated statement
\pset format unaligned
\pset tuples_only on

-- the known pg_chameleon failures (issue 4, proof 3)
SELECT * FROM chameleon.translate_ddl('CREATE TABLE child (id int NOT NULL AUTO_INCREMENT, parent_id int NOT NULL, PRIMARY KEY (id), KEY parent_id (parent_id), CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE) ENGINE=InnoDB');
SELECT * FROM chameleon.translate_ddl('DROP TABLE a, b');
SELECT * FROM chameleon.translate_ddl('ALTER TABLE t ENGINE=InnoDB');
SELECT * FROM chameleon.translate_ddl('ALTER TABLE t ALTER COLUMN c SET DEFAULT 5');
SELECT * FROM chameleon.translate_ddl('ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4');
SELECT * FROM chameleon.translate_ddl('CREATE TABLE t (id int PRIMARY KEY, ts datetime(3) DEFAULT CURRENT_TIMESTAMP(3))');
SELECT * FROM chameleon.translate_ddl('CREATE TABLE `my-table` (`my-col` varchar(10))');
SELECT * FROM chameleon.translate_ddl(E'/* multi\nline */ DROP TABLE t5');
SELECT * FROM chameleon.translate_ddl('ALTER TABLE t ADD INDEX idx_c (c)');
SELECT * FROM chameleon.translate_ddl('ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a,b)');
SELECT * FROM chameleon.translate_ddl('RENAME TABLE a TO b, c TO d');
SELECT * FROM chameleon.translate_ddl('ALTER TABLE t ADD PARTITION (PARTITION p3 VALUES LESS THAN (2000))');
SELECT * FROM chameleon.translate_ddl('CREATE TABLE t LIKE s');

-- target schema, quoting, enum types
SELECT * FROM chameleon.translate_ddl('CREATE TABLE `Order` (`select` int, e enum(''a'',''b''))', 'My Schema');
SELECT * FROM chameleon.translate_ddl('CREATE TABLE `x"; DROP TABLE y; --` (a int)');
SELECT * FROM chameleon.translate_ddl('ALTER TABLE t MODIFY c bigint unsigned NOT NULL');

-- defaults that cannot be kept are reported
SELECT * FROM chameleon.translate_ddl('CREATE TABLE z (d datetime DEFAULT ''0000-00-00 00:00:00'', u timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)');

-- type_override (the four-argument form)
SELECT * FROM chameleon.translate_ddl('CREATE TABLE t (flag tinyint(1) NOT NULL DEFAULT 0, n tinyint(4))', 'public', 'db',
	'{"tinyint(1)": {"override_to": "boolean", "override_tables": ["*"]}}');
SELECT * FROM chameleon.translate_ddl('CREATE TABLE t (flag tinyint(1))', 'public', 'db',
	'{"tinyint(1)": {"override_to": "boolean", "override_tables": ["other.t"]}}');

-- no PostgreSQL meaning: no rows
SELECT count(*) FROM chameleon.translate_ddl('CREATE VIEW v AS SELECT 1');
SELECT count(*) FROM chameleon.translate_ddl('GRANT SELECT ON db.* TO u');
SELECT count(*) FROM chameleon.translate_ddl('CREATE TEMPORARY TABLE tmp (a int)');
SELECT count(*) FROM chameleon.translate_ddl('-- nothing at all');

-- the output runs in PostgreSQL
CREATE SCHEMA ddl_test;
DO $$
DECLARE
	s text;
BEGIN
	FOR s IN SELECT * FROM chameleon.translate_ddl('CREATE TABLE `my-table` (id bigint unsigned NOT NULL AUTO_INCREMENT, name varchar(20) NOT NULL DEFAULT ''x'', kind enum(''a'',''b'') DEFAULT ''b'', created datetime(6) DEFAULT CURRENT_TIMESTAMP(6), PRIMARY KEY (id), UNIQUE KEY uk_name (name(10)))', 'ddl_test')
	LOOP
		EXECUTE s;
	END LOOP;
END
$$;
SELECT column_name, data_type, is_nullable, column_default
  FROM information_schema.columns
 WHERE table_schema = 'ddl_test' AND table_name = 'my-table'
 ORDER BY ordinal_position;
SELECT indexname FROM pg_indexes WHERE schemaname = 'ddl_test' ORDER BY 1;
SET client_min_messages = warning;
DROP SCHEMA ddl_test CASCADE;
RESET client_min_messages;

-- errors: 42601 with the token and the byte position
SELECT * FROM chameleon.translate_ddl('CREATE TABLE t (a int,, b int)');
SELECT * FROM chameleon.translate_ddl('ALTER TABLE t ADD COLUMN');
SELECT * FROM chameleon.translate_ddl('CREATE TABLE t (a integr)');
SELECT * FROM chameleon.translate_ddl('DROP TABLE `unterminated');
SELECT * FROM chameleon.translate_ddl('CREATE TABLE t (a int)', 'public', 'db', '[1]');
