--
-- 45_secrets: passwords and password files, who may use them, what a
-- change of server does to them, the schemas a pgsql source may not copy,
-- and the password values the server log never shows.
--
CREATE ROLE chameleon_t_sec IN ROLE chameleon_admin;
CREATE ROLE chameleon_t_reader IN ROLE chameleon_admin, pg_read_server_files;

-- password and password_file are exclusive; password_file is an absolute path
SELECT try($$SELECT chameleon.add_source('s', 'db_conn: {user: u, password: x, password_file: /etc/pw}
schema_mappings: {a: s_a}')$$);
SELECT try($$SELECT chameleon.add_source('s', 'db_conn: {user: u, password_file: pw.txt}
schema_mappings: {a: s_a}')$$);

-- password_file: superusers and members of pg_read_server_files only
SET ROLE chameleon_t_sec;
SELECT try($$SELECT chameleon.add_source('s', 'db_conn: {user: u, password_file: /etc/pw}
schema_mappings: {a: s_a}')$$);
SELECT count(*) AS half_created FROM chameleon.sources WHERE source_name = 's';
RESET ROLE;
SET ROLE chameleon_t_reader;
SELECT chameleon.add_source('s_file', 'db_conn: {user: u, password_file: /etc/pw}
schema_mappings: {a: s_file}');
RESET ROLE;
SELECT chameleon.add_source('s', 'db_conn: {host: db1, user: u, password: first_pw}
schema_mappings: {a: s_a}');

-- a pgsql source of a role that is not a superuser needs a password
SET ROLE chameleon_t_sec;
SELECT try($$SELECT chameleon.add_source('p', 'type: pgsql
db_conn: {host: /var/run/postgresql, user: postgres, database: postgres}
schema_mappings: {public: p_pub}')$$);
SELECT chameleon.add_source('p', 'type: pgsql
db_conn: {host: db2, user: u, password: pg_pw, database: postgres}
schema_mappings: {public: p_pub}');
-- and keeps needing one
SELECT try($$SELECT chameleon.alter_source('p', 'db_conn: {password: ""}')$$);
RESET ROLE;

-- a pgsql source never copies PostgreSQL's or chameleon's own schemas
SELECT try($$SELECT chameleon.add_source('q', 'type: pgsql
db_conn: {user: u}
schema_mappings: {pg_catalog: q_cat}')$$);
SELECT try($$SELECT chameleon.add_source('q', 'type: pgsql
db_conn: {user: u}
schema_mappings: {public: q_pub, information_schema: q_info}')$$);
SELECT try($$SELECT chameleon.add_source('q', 'type: pgsql
db_conn: {user: u}
schema_mappings: {pg_toast: q_toast}')$$);
SELECT try($$SELECT chameleon.add_source('q', 'type: pgsql
db_conn: {user: u}
schema_mappings: {pg_temp_3: q_temp}')$$);
SELECT try($$SELECT chameleon.add_source('q', '{"type": "pgsql", "db_conn": {"user": "u"},
 "schema_mappings": {"chameleon": "q_cham"}}')$$);
SELECT try($$SELECT chameleon.alter_source('p', 'schema_mappings: {public: p_pub, pg_catalog: p_cat}')$$);
-- for a MySQL source these are ordinary MySQL schema names
SELECT chameleon.add_source('m_info', 'db_conn: {user: u}
schema_mappings: {information_schema: m_info}');

-- the password belongs to the server and user: a new host, port or user
-- forgets it, unless the same call gives one
SELECT chameleon.alter_source('s', 'db_conn: {host: db1, connect_timeout: 5}');
SELECT password = 'first_pw' AS kept_same_host
  FROM chameleon.source_secret JOIN chameleon.source USING (source_id) WHERE source_name = 's';
SELECT chameleon.alter_source('s', 'db_conn: {host: evil.example}');
SELECT password IS NULL AS forgotten_new_host
  FROM chameleon.source_secret JOIN chameleon.source USING (source_id) WHERE source_name = 's';
SELECT config -> 'db_conn' ? 'password' AS shown FROM chameleon.sources WHERE source_name = 's';
SELECT chameleon.alter_source('s', 'db_conn: {host: db3, password: third_pw}');
SELECT password = 'third_pw' AS given_with_host
  FROM chameleon.source_secret JOIN chameleon.source USING (source_id) WHERE source_name = 's';
SELECT chameleon.alter_source('s', 'db_conn: {user: other}');
SELECT chameleon.alter_source('s', 'db_conn: {user: other, password: p4}');
SELECT chameleon.alter_source('s', '{"db_conn": {"port": 3307}}');
SELECT password IS NULL AS forgotten_new_port
  FROM chameleon.source_secret JOIN chameleon.source USING (source_id) WHERE source_name = 's';

-- password_file and password replace each other
SELECT chameleon.alter_source('s', 'db_conn: {password_file: /etc/pw}');
SELECT s.config -> 'db_conn' ->> 'password_file' AS password_file, password IS NULL AS no_password
  FROM chameleon.source s JOIN chameleon.source_secret USING (source_id) WHERE source_name = 's';
SELECT chameleon.alter_source('s', 'db_conn: {password: p5}');
SELECT s.config -> 'db_conn' ? 'password_file' AS has_file, password = 'p5' AS has_password
  FROM chameleon.source s JOIN chameleon.source_secret USING (source_id) WHERE source_name = 's';
-- a password file goes with the server too
SELECT chameleon.alter_source('s', 'db_conn: {password_file: /etc/pw}');
SELECT chameleon.alter_source('s', 'db_conn: {host: db4}');
SELECT config -> 'db_conn' ? 'password_file' AS has_file FROM chameleon.sources WHERE source_name = 's';
-- a role that may not read server files cannot point a source at one
SET ROLE chameleon_t_sec;
SELECT try($$SELECT chameleon.alter_source('p', 'db_conn: {password_file: /etc/pw}')$$);
RESET ROLE;

-- passwords are never dumped (the rows of source_secret: none)
SELECT c.relname, x.cond
  FROM pg_extension e,
	   unnest(e.extconfig, e.extcondition) AS x(rel, cond)
  JOIN pg_class c ON c.oid = x.rel
 WHERE e.extname = 'chameleon' AND c.relname = 'source_secret';

-- password values in messages on their way to the server log are hidden
-- (statements, bind parameters, errors; a message the log takes is
-- redacted for the client too, which shows it here)
SET log_min_messages = notice;
DO $$BEGIN RAISE NOTICE 'db_conn: {host: h, password: s3cr3t, user: u}'; END$$;
DO $$BEGIN RAISE NOTICE '{"db_conn": {"password": "s3cr3t"}, "sleep_loop": 1}'; END$$;
DO $$BEGIN RAISE NOTICE E'db_conn:\n  password: s3cr3t\n  user: u\nsleep_loop: 1'; END$$;
DO $$BEGIN RAISE NOTICE E'db_conn:\n  password: |\n    s3cr3t\n  user: u'; END$$;
DO $$BEGIN RAISE NOTICE E'db_conn:\n  password: "s3cr\n    3t"\n  user: u'; END$$;
DO $$BEGIN RAISE NOTICE 'db_conn: {password_file: /etc/pw, PASSWORD : s3cr3t}'; END$$;
DO $$BEGIN RAISE NOTICE 'no key here: my_password: visible, passwords are words'; END$$;
RESET log_min_messages;

SELECT chameleon.drop_source(s) FROM unnest(ARRAY['s', 's_file', 'p', 'm_info']) s;
DROP ROLE chameleon_t_sec, chameleon_t_reader;
