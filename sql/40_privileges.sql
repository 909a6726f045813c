--
-- 40_privileges: management is for superusers and chameleon_admin,
-- monitoring for pg_monitor, passwords for nobody but the owner.
--
CREATE ROLE chameleon_t_nobody;
CREATE ROLE chameleon_t_admin IN ROLE chameleon_admin;
CREATE ROLE chameleon_t_monitor IN ROLE pg_monitor;

-- no chameleon function is executable by PUBLIC
SELECT p.oid::regprocedure AS public_function
  FROM pg_proc p
 WHERE p.pronamespace = 'chameleon'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE')
 ORDER BY 1;
-- management functions are SECURITY DEFINER with a fixed search_path
SELECT p.oid::regprocedure AS function, p.prosecdef, p.proconfig
  FROM pg_proc p
 WHERE p.pronamespace = 'chameleon'::regnamespace
   AND p.proname NOT LIKE '\_%'
 ORDER BY 1;

-- a role without privileges can do nothing
SET ROLE chameleon_t_nobody;
SELECT try($$SELECT chameleon.add_source('x', 'db_conn: {user: u}
schema_mappings: {a: b}')$$);
SELECT try($$SELECT count(*) FROM chameleon.show_status$$);
SELECT try($$SELECT count(*) FROM chameleon.sources$$);
RESET ROLE;

-- a member of chameleon_admin manages sources, but never sees passwords
SET ROLE chameleon_t_admin;
SELECT chameleon.add_source('adm', 'db_conn: {user: u, password: admin_secret}
schema_mappings: {adm: adm}');
SELECT source_name, config -> 'db_conn' ->> 'password' AS password FROM chameleon.sources;
SELECT try($$SELECT * FROM chameleon.source_secret$$);
SELECT try($$SELECT * FROM chameleon.source$$);
SELECT try($$SELECT chameleon._parse_config('{}', true)$$);
-- reading server files needs pg_read_server_files, not chameleon_admin
SELECT try($$SELECT chameleon.load_config('/etc/hostname')$$);
SELECT count(*) FROM chameleon.show_status;
-- the source belongs to the role that added it; only a superuser gives it away
SELECT source_name, owner FROM chameleon.sources WHERE source_name = 'adm';
SELECT try($$SELECT chameleon.alter_source_owner('adm', 'chameleon_t_monitor')$$);
RESET ROLE;
SELECT try($$SELECT chameleon.alter_source_owner('adm', 'no_such_role')$$);
SELECT chameleon.alter_source_owner('adm', 'chameleon_t_monitor');
SELECT source_name, owner FROM chameleon.sources WHERE source_name = 'adm';
SELECT chameleon.alter_source_owner('adm', 'chameleon_t_admin');

-- pg_monitor reads show_status and show_errors, nothing else
SET ROLE chameleon_t_monitor;
SELECT source_name, status FROM chameleon.show_status;
SELECT count(*) FROM chameleon.show_errors;
SELECT try($$SELECT count(*) FROM chameleon.sources$$);
SELECT try($$SELECT chameleon.drop_source('adm')$$);
RESET ROLE;

SET ROLE chameleon_t_admin;
SELECT chameleon.drop_source('adm');
RESET ROLE;

DROP ROLE chameleon_t_nobody, chameleon_t_admin, chameleon_t_monitor;
