--
-- 80_maintenance: the change log's range partitions and run_maintenance()
-- (arguments, privileges, what it removes).  Replication with recycling is
-- proved against a real MariaDB by t/064_log_recycle.pl.
--
SHOW chameleon.log_partition_events;
SELECT chameleon.add_source('maint', 'db_conn: {user: u, password: pw}
schema_mappings: {maint: maint}');
SELECT source_id AS sid FROM chameleon.source WHERE source_name = 'maint' \gset

-- the source's log is partitioned by ranges of event ids; the first exists
SELECT p.partitioned, pg_get_partkeydef(c.oid) AS key
  FROM pg_class c, LATERAL (SELECT c.relkind = 'p' AS partitioned) p
 WHERE c.oid = format('chameleon.log_event_%s', :sid)::regclass;
SELECT partition = format('chameleon.log_event_%s_0', :sid)::regclass AS named_by_first_id,
	   first_event_id, end_event_id
  FROM chameleon._log_partitions(:sid);

-- argument errors
SELECT try($$SELECT chameleon.run_maintenance('no such source')$$);
SELECT try($$SELECT chameleon.run_maintenance(NULL)$$);
SELECT try($$SELECT chameleon.run_maintenance('no such source', full => true)$$);

-- nothing to do on a new source; full => NULL is full => false
SELECT chameleon.run_maintenance('maint');
SELECT chameleon.run_maintenance('maint', NULL);
SELECT chameleon.run_maintenance('maint', full => true);

-- replayed partitions go, never above the replay position, never the last
DO $$
DECLARE v_id integer := (SELECT source_id FROM chameleon.source WHERE source_name = 'maint');
BEGIN
	EXECUTE format('CREATE TABLE chameleon.%I PARTITION OF chameleon.%I FOR VALUES FROM (1000000) TO (2000000)',
				   'log_event_' || v_id || '_1000000', 'log_event_' || v_id);
	EXECUTE format('CREATE TABLE chameleon.%I PARTITION OF chameleon.%I FOR VALUES FROM (2000000) TO (3000000)',
				   'log_event_' || v_id || '_2000000', 'log_event_' || v_id);
END
$$;
INSERT INTO chameleon.log_event (source_id, event_id, event_kind) VALUES
	(:sid, 1, 'C'), (:sid, 999999, 'C'), (:sid, 1000000, 'C'), (:sid, 2500000, 'C');
-- the position asked for is capped by the committed replay position (0)
SELECT chameleon._log_recycle(:sid, 5000000, NULL);
UPDATE chameleon.source SET replay_event_id = 999998 WHERE source_id = :sid;
SELECT chameleon._log_recycle(:sid, 5000000, NULL);
UPDATE chameleon.source SET replay_event_id = 999999 WHERE source_id = :sid;
SELECT chameleon.run_maintenance('maint');
SELECT first_event_id, end_event_id FROM chameleon._log_partitions(:sid);
SELECT event_id FROM chameleon.log_event WHERE source_id = :sid ORDER BY 1;
UPDATE chameleon.source SET replay_event_id = 5000000 WHERE source_id = :sid;
SELECT chameleon._log_recycle(:sid, 5000000, NULL);
SELECT first_event_id, end_event_id FROM chameleon._log_partitions(:sid);

-- batch_retention: replayed batches older than it go, the newest stays
INSERT INTO chameleon.log_batch (source_id, batch_id, first_event_id, last_event_id,
								 binlog_file, binlog_pos, replayed_at)
SELECT :sid, b, b, b, 'bin.000001', b, now() - (10 - b) * interval '1 hour'
  FROM generate_series(1, 10) b;
UPDATE chameleon.log_batch SET replayed_at = NULL WHERE source_id = :sid AND batch_id = 9;
SELECT chameleon.alter_source('maint', 'batch_retention: 5 hours');
SELECT chameleon.run_maintenance('maint');
SELECT string_agg(batch_id::text, ',' ORDER BY batch_id) FROM chameleon.log_batch WHERE source_id = :sid;
-- full: every replayed batch but the newest row
SELECT chameleon.run_maintenance('maint', full => true);
SELECT string_agg(batch_id::text, ',' ORDER BY batch_id) FROM chameleon.log_batch WHERE source_id = :sid;

-- privileges: chameleon_admin may, PUBLIC and pg_monitor may not
CREATE ROLE chameleon_t_nobody;
CREATE ROLE chameleon_t_admin IN ROLE chameleon_admin;
CREATE ROLE chameleon_t_monitor IN ROLE pg_monitor;
SELECT has_function_privilege('public', 'chameleon.run_maintenance(text, boolean)', 'EXECUTE') AS public_may;
SET ROLE chameleon_t_nobody;
SELECT try($$SELECT chameleon.run_maintenance('maint')$$);
SELECT try($$SELECT chameleon._log_recycle(1, 1, NULL)$$);
RESET ROLE;
SET ROLE chameleon_t_monitor;
SELECT try($$SELECT chameleon.run_maintenance('maint', true)$$);
RESET ROLE;
SET ROLE chameleon_t_admin;
SELECT chameleon.run_maintenance('maint');
SELECT try($$SELECT chameleon._purge_batches(1, true)$$);
RESET ROLE;
DROP ROLE chameleon_t_nobody, chameleon_t_admin, chameleon_t_monitor;

-- drop_source takes every partition of the log with it
SELECT chameleon.drop_source('maint');
SELECT count(*) AS log_tables_left FROM pg_class
 WHERE relnamespace = 'chameleon'::regnamespace AND relname LIKE 'log\_event\_' || :sid || '%';
