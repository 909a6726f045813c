
# Copyright (c) chameleon developers
#
# Change-log recycling and maintenance against a real MariaDB: with
# chameleon.log_partition_events = 1000, tens of thousands of row changes
# (and one transaction of 5,000 rows, wider than five log partitions)
# replicate identically while the source's log is kept to a few range
# partitions that are dropped whole once replayed: no event is ever
# deleted from the log row by row (n_tup_del stays 0, so there is no
# VACUUM debt).  A query holding the log makes neither worker wait.  A
# kill -9 of the replay worker loses and repeats nothing.  The log's ranges
# are UNLOGGED: a crash with a backlog read but not applied empties them,
# and the reader reads the binlog again from the replay position.
# run_maintenance() removes the log_batch rows older than batch_retention,
# reports what it did and raises 42704 for an unknown source;
# auto_maintenance makes the replay worker do the same by itself.

use strict;
use warnings;

use IPC::Run;
use Time::HiRes qw(time usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

my $m = ChameleonTest::MariaDB->new(name => 'recycle');
$m->start;
$m->sql(<<'SQL');
CREATE DATABASE rc;
USE rc;
CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, s varchar(40));
CREATE TABLE j (note varchar(60), n int);
INSERT INTO t SELECT seq, seq, concat('initial ', seq) FROM seq_1_to_100;
SQL

my $node = chameleon_node('recycle', database => 'postgres', create_extension => 1,
	naptime => 1,
	conf => [
		"timezone = 'UTC'", 'max_worker_processes = 16',
		'chameleon.log_partition_events = 1000'
	]);
my $r = ChameleonTest::Replica->new($node, $m, 'rc',
	schema_mappings => { rc => 'rc' },
	config => [ 'replica_batch_size: 2000', 'replay_max_rows: 2000', 'sleep_loop: 1' ],
	init => 1);
my $sid = $r->source_id;
$r->start_replica(name => 'the reader and the replay run');

sub pq { return $node->safe_psql('postgres', $_[0]); }

# the log's range partitions, their number, and row-by-row deletions in them
my $parts = "SELECT count(*) FROM chameleon._log_partitions($sid)";
my $deleted = "SELECT coalesce(sum(n_tup_del + n_tup_upd + n_dead_tup), 0) FROM pg_stat_user_tables"
  . " WHERE relid IN (SELECT partition FROM chameleon._log_partitions($sid))";

# the same rows on both sides
sub same_data
{
	my ($what) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$r->same_result(
		"SELECT count(*), coalesce(sum(v), 0), coalesce(md5(string_agg(id || '/' || v || '/' || coalesce(s, ''), ',' ORDER BY id)), '') FROM rc.t",
		"SET SESSION group_concat_max_len = 100000000; SELECT count(*), coalesce(sum(v), 0), coalesce(md5(group_concat(concat(id, '/', v, '/', coalesce(s, '')) ORDER BY id SEPARATOR ',')), '') FROM rc.t",
		"$what: table t identical");
	$r->same_result('SELECT count(*), coalesce(sum(n), 0), count(DISTINCT note) FROM rc.j',
		'SELECT count(*), coalesce(sum(n), 0), count(DISTINCT note) FROM rc.j',
		"$what: keyless table j identical (nothing lost or applied twice)");
}

# Waits until the replay has caught up, sampling the log while it works:
# returns the most partitions and the most row-by-row deletions seen.
sub catch_up
{
	my ($what) = @_;
	my ($most_parts, $most_del) = (0, 0);
	# wait_caught_up waits up to 1 s itself
	my $done = poll_until(
		sub {
			my $np = pq($parts);
			my $nd = pq($deleted);
			$most_parts = $np if $np > $most_parts;
			$most_del = $nd if $nd > $most_del;
			return $r->caught_up('1 s');
		},
		timeout => 180, interval => 0);
	ok($done, "$what: caught up");
	return ($most_parts, $most_del);
}

# ---------- 30,000 row changes: inserts, updates, deletes, small transactions ----------
my $t0 = time;
for my $k (0 .. 9)
{
	my ($a, $b) = (1000 + $k * 1000 + 1, 1000 + ($k + 1) * 1000);
	$m->sql("USE rc; INSERT INTO rc.t SELECT seq, seq, concat('row ', seq) FROM seq_${a}_to_${b}");
}
for my $k (0 .. 9)
{
	my ($a, $b) = (1000 + $k * 1000 + 1, 1000 + ($k + 1) * 1000);
	$m->sql("UPDATE rc.t SET v = v * 2, s = concat(s, ' updated') WHERE id BETWEEN $a AND $b");
}
for my $k (0 .. 4)
{
	my ($a, $b) = (1000 + $k * 2000 + 1, 1000 + ($k + 1) * 2000);
	$m->sql("DELETE FROM rc.t WHERE id BETWEEN $a AND $b AND id % 2 = 0");
}
# 5,000 changes in 2,500 small transactions
$m->sql(join("\n",
		map { "INSERT INTO rc.j VALUES ('small $_', $_); UPDATE rc.t SET v = v + 1 WHERE id = " . (1 + $_ % 100) . ';' }
		  1 .. 2500));
my ($most_parts, $most_del) = catch_up('30,000 changes');
diag(sprintf('30,000 changes replicated in %.1f s; at most %d log partitions seen', time - $t0, $most_parts));
same_data('after 30,000 changes');
is($most_del, 0, 'no event was deleted or updated in the log row by row (no dead tuples)');
ok($node->poll_query_until('postgres', "SELECT ($parts) <= 3"), 'after catch-up the log has at most 3 partitions')
  or diag(pq("SELECT * FROM chameleon._log_partitions($sid)"));
is(pq("SELECT to_regclass('chameleon.log_event_${sid}_0') IS NULL"), 't', 'the first partition was dropped');
ok(pq("SELECT min(first_event_id) FROM chameleon._log_partitions($sid)") >= 30000,
	'the replayed partitions are gone');
ok(pq("SELECT read_event_id FROM chameleon.source WHERE source_id = $sid") > 30000,
	'the events went through the log');

# ---------- one transaction larger than five partitions ----------
$t0 = time;
my $read_before = pq("SELECT read_event_id FROM chameleon.source WHERE source_id = $sid");
$m->sql("USE rc; INSERT INTO rc.t SELECT 100000 + seq, seq, concat('big ', seq) FROM seq_1_to_5000");
($most_parts, $most_del) = catch_up('a 5,000-row transaction');
diag(sprintf('5,000-row transaction replicated in %.1f s; at most %d log partitions seen', time - $t0, $most_parts));
ok(pq("SELECT read_event_id FROM chameleon.source WHERE source_id = $sid") - $read_before > 5000,
	'the transaction spanned more than five log partitions');
same_data('after the big transaction');
is($most_del, 0, 'still no row-by-row deletion');
ok($node->poll_query_until('postgres', "SELECT ($parts) <= 3"), 'the big transaction\'s partitions are dropped once replayed');

# ---------- a long query on the log: neither worker waits for it ----------
# it holds an AccessShareLock on the source's log and its partitions, which
# a DROP or CREATE of a partition would have to wait for
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN');
$holder->query_safe("SELECT count(*) FROM chameleon.log_event WHERE source_id = $sid");
# fewer events than the room the reader keeps ahead: no partition needed
$m->sql(join("\n", map { "INSERT INTO rc.j VALUES ('held $_', $_);" } 1 .. 150));
catch_up('while a query holds the log');
same_data('while a query holds the log');
is( pq("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
		  . " WHERE NOT l.granted AND a.backend_type IN ('chameleon reader rc', 'chameleon replay rc')"),
	'0', 'neither worker waits for a lock while a query holds the log');
$holder->quit;
my $droppable = "SELECT count(*) FROM chameleon._log_partitions($sid) p, chameleon.source s"
  . " WHERE s.source_id = $sid AND p.end_event_id - 1 <= s.replay_event_id"
  . " AND p.end_event_id < (SELECT max(end_event_id) FROM chameleon._log_partitions($sid))";
ok($node->poll_query_until('postgres', "SELECT ($droppable) = 0"),
	'once the query ends, the replayed partitions are dropped');

# ---------- kill -9 of the replay worker while changes arrive ----------
my $replay = $r->worker_pid('replay');
my $gen = 'use Time::HiRes "usleep"; $| = 1; for my $i (1 .. 40) { for my $k (1 .. 50) {'
  . ' printf "INSERT INTO rc.j VALUES (\x27crash %d.%d\x27, 1); UPDATE rc.t SET v = v + 1 WHERE id = %d;\n",'
  . ' $i, $k, 1 + $k % 50 } usleep(50_000) }';
my $writer = IPC::Run::start(['perl', '-e', $gen], '|',
	[ 'mariadb', '--no-defaults', '--protocol=SOCKET', '-S', $m->socket, '-u', 'root', 'rc' ]);
usleep(600_000);
ok(kill('KILL', $replay), 'kill -9 of the replay worker');
ok($writer->finish, 'the writer finished');
ok($r->workers_up(except => [$replay]), 'the workers are back after the crash');
catch_up('after the crash');
same_data('after kill -9 of the replay');
is(pq("SELECT count(*) FROM rc.j WHERE note LIKE 'crash %'"), '2000', 'every change made around the crash arrived once');
ok($node->poll_query_until('postgres', "SELECT ($parts) <= 3"), 'the log is recycled after the crash too');

# ---------- run_maintenance ----------
my ($rc, $out, $err) = $node->psql('postgres', q{DO $$ BEGIN PERFORM chameleon.run_maintenance('no such source');
  EXCEPTION WHEN others THEN RAISE NOTICE 'sqlstate %', SQLSTATE; END $$});
like($err, qr/sqlstate 42704/, 'run_maintenance: an unknown source is 42704');

my $old_batches = "SELECT count(*) FROM chameleon.log_batch WHERE source_id = $sid AND replayed_at IS NOT NULL"
  . " AND replayed_at < now() - interval '1 s'"
  . " AND batch_id < (SELECT max(batch_id) FROM chameleon.log_batch WHERE source_id = $sid)";
pq("SELECT chameleon.alter_source('rc', 'batch_retention: 1 s')");
# every batch older than the retention (none can age past it between
# run_maintenance and the check below)
ok( $node->poll_query_until('postgres',
		"SELECT ($old_batches) > 10 AND NOT EXISTS (SELECT 1 FROM chameleon.log_batch"
		  . " WHERE source_id = $sid AND (replayed_at IS NULL OR replayed_at >= now() - interval '1 s'))"),
	'replayed batches older than batch_retention are there');
($rc, $out, $err) = $node->psql('postgres', "SELECT chameleon.run_maintenance('rc')");
is($rc, 0, 'run_maintenance runs');
like($err, qr/NOTICE:  maintenance of source "rc": \d+ log partitions dropped \(\d+ left\), [1-9]\d* log batch rows deleted/,
	'run_maintenance reports what it did');
is(pq($old_batches), '0', 'run_maintenance deleted the batches older than batch_retention');
ok(pq("SELECT count(*) FROM chameleon.log_batch WHERE source_id = $sid") >= 1, 'the newest batch row stays');

($rc, $out, $err) = $node->psql('postgres', "SELECT chameleon.run_maintenance('rc', full => true)");
is($rc, 0, 'run_maintenance full runs');
like($err, qr/statistics refreshed/, 'full: reported');
is(pq("SELECT count(*) FROM chameleon.log_batch WHERE source_id = $sid AND replayed_at IS NOT NULL"
	  . " AND batch_id < (SELECT max(batch_id) FROM chameleon.log_batch WHERE source_id = $sid)"),
	'0', 'full: every replayed batch row is deleted but the newest');
is(pq("SELECT bool_and(last_analyze IS NOT NULL) FROM pg_stat_user_tables"
	  . " WHERE relid IN (SELECT partition FROM chameleon._log_partitions($sid))"),
	't', 'full: the log partitions are analyzed');

# ---------- auto_maintenance ----------
my $log_offset = -s $node->logfile;
pq("SELECT chameleon.alter_source('rc', 'auto_maintenance: 2 s')");
for my $i (1 .. 20)
{
	$m->sql("INSERT INTO rc.j VALUES ('auto $i', $i)");
	usleep(100_000);
}
catch_up('before auto maintenance');
$node->wait_for_log(qr/LOG:  maintenance: \d+ log partitions dropped.*\n.*CONTEXT:  replaying source "rc"/, $log_offset);
pass('auto_maintenance: the replay worker runs the maintenance by itself');
ok($node->poll_query_until('postgres', "SELECT ($old_batches) = 0"),
	'auto_maintenance: old batches are deleted without run_maintenance');
same_data('at the end');
SKIP:
{
	# a reader killed in the middle of a source transaction deletes the
	# events it had logged of it when it resumes: rare, and allowed
	skip 'the crash cut back a transaction', 1
	  if slurp_file($node->logfile) =~ /logged events of a transaction whose end was not read/;
	is(pq($deleted), '0', 'at the end: no dead tuples in the log');
}

# ---------- a crash empties the log (UNLOGGED): read again, nothing lost ----------
$r->stop_replica(name => 'stopped before the crash test');
my $rpid = pq("SELECT chameleon._start_worker('reader', $sid, 'rc')");
$m->sql("USE rc; INSERT INTO j SELECT concat('before the crash ', seq), seq FROM seq_1_to_300");
$m->sql("UPDATE rc.t SET v = v + 1000 WHERE id <= 50");
my ($cfile, $cpos) = $m->current_position;
ok(poll_until(sub { pq("SELECT read_file = '$cfile' AND read_pos = $cpos FROM chameleon.source WHERE source_id = $sid") eq 't' },
		timeout => 60), 'the reader alone read the new changes');
ok(pq("SELECT count(*) FROM chameleon.log_event WHERE source_id = $sid"
	  . " AND event_id > (SELECT replay_event_id FROM chameleon.source WHERE source_id = $sid)") >= 350,
	'they wait in the log, not applied');
$node->stop('immediate');
$node->start;
is(pq("SELECT count(*) FROM chameleon.log_event WHERE source_id = $sid"), '0',
	'crash recovery emptied the log (its ranges are UNLOGGED)');
$log_offset = -s $node->logfile;
$r->start_replica(name => 'started after the crash');
catch_up('after the crash');
$node->wait_for_log(qr/the change log of source "rc" was emptied by a crash restart/, $log_offset);
pass('the reader read the binlog again from the replay position');
same_data('after the crash that emptied the log');
is(pq("SELECT count(*) FROM rc.j WHERE note LIKE 'before the crash %'"), '300', 'every row once');

$node->safe_psql('postgres', "SELECT chameleon.stop_replica('rc')");
$node->stop('fast');
done_testing();
