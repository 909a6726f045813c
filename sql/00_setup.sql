--
-- 00_setup: the extension installs into its own schema, creates the admin
-- role, defines its settings and starts with an empty catalogue.
--
CREATE EXTENSION chameleon;

SELECT e.extname, e.extversion, n.nspname AS schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'chameleon';

SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = 'chameleon_admin';

SHOW chameleon.database;
SHOW chameleon.max_sources;
-- the prefix is reserved: a typo in a setting name is an error
SET chameleon.max_source = 3;

-- every view exists and is empty
SELECT count(*) FROM chameleon.sources;
SELECT count(*) FROM chameleon.show_status;
SELECT count(*) FROM chameleon.show_errors;
SELECT count(*) FROM chameleon.replica_tables;
SELECT count(*) FROM chameleon.init_progress;
SELECT count(*) FROM chameleon.discarded_rows;

-- a helper for the later suites (they share this database): runs a
-- statement and returns its SQLSTATE, message, detail and hint, so that
-- the expected output shows the SQLSTATE of every error
CREATE FUNCTION public.try(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	v_state text; v_msg text; v_detail text; v_hint text;
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT,
		v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
	RETURN v_state || ': ' || v_msg
		|| coalesce(E'\nDETAIL: ' || nullif(v_detail, ''), '')
		|| coalesce(E'\nHINT: ' || nullif(v_hint, ''), '');
END
$$;
