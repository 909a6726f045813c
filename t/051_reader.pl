
# Copyright (c) chameleon developers
#
# The reader worker alone (issue 6), against a real MariaDB: after
# init_replica, the reader started with chameleon._start_worker() logs
# inserts, updates, deletes, a multi-statement transaction, a transaction
# larger than replica_batch_size (spilled over batches), a DDL statement
# and zero dates into chameleon.log_event, filters skipped tables and
# skip_events, advances the read position while idle, survives being
# terminated and restarted without losing or repeating an event, drops a
# transaction whose end was never logged, and puts the source in error
# when its binlog is gone.  It also prints the reader's throughput on a
# backlog of inserts.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use ChameleonTest::MariaDB;
use ChameleonTest::Replica qw(poll_until);
use ChameleonTest::Postgres qw(chameleon_node);

my $m = ChameleonTest::MariaDB->new(name => 'reader');
$m->start;

$m->sql(<<'SQL');
SET SESSION sql_mode = '';
CREATE DATABASE shop CHARACTER SET utf8mb4;
USE shop;
CREATE TABLE t1 (id int PRIMARY KEY, v varchar(20), d date, b varbinary(10));
INSERT INTO t1 VALUES (1, 'one', '2020-01-01', x'00'), (2, 'two', NULL, NULL);
CREATE TABLE skipped (id int PRIMARY KEY);
CREATE TABLE nodel (id int PRIMARY KEY);
INSERT INTO nodel VALUES (1), (2);
CREATE TABLE big (id int PRIMARY KEY, v varchar(40));
CREATE DATABASE other;
CREATE TABLE other.o (id int PRIMARY KEY);
SQL

my $node = chameleon_node('reader', database => 'postgres', create_extension => 1,
	conf => ["timezone = 'UTC'", 'max_worker_processes = 16']);

my $r = ChameleonTest::Replica->new($node, $m, 'maria',
	schema_mappings => { shop => 'shop_pg' },
	config => [
		'skip_tables: [shop.skipped]', 'skip_events: {delete: [shop.nodel]}',
		'replica_batch_size: 50', 'on_error_read: exit'
	]);
$r->init_replica(name => 'init_replica succeeds');
my $sid = $r->source_id;
my $part = "chameleon.log_event_$sid";

# a change made after the copy but before the reader starts must be logged
$m->sql("INSERT INTO t1 VALUES (10, 'ten', '2024-01-02', x'0102')", db => 'shop');

# Starts the reader; returns its pid.
sub start_reader
{
	my $pid = $node->safe_psql('postgres', "SELECT chameleon._start_worker('reader', $sid, 'maria')");
	ok($pid =~ /^\d+$/, "reader started (pid $pid)");
	return $pid;
}

# Terminates the reader and waits for it to be gone; returns the seconds it took.
sub stop_reader
{
	my ($pid) = @_;
	my $t0 = time;
	$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
	$node->poll_query_until('postgres', "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid")
	  or die "reader $pid did not stop";
	return time - $t0;
}

# Waits until the read position reaches the MariaDB's current position.
sub wait_read_caught_up
{
	# the server's position is read again each time: MariaDB may write a
	# binlog checkpoint event late, after the last transaction
	return poll_until(
		sub {
			my ($file, $pos) = $m->current_position;
			return $node->safe_psql('postgres',
				"SELECT read_file = '$file' AND read_pos = $pos FROM chameleon.source WHERE source_id = $sid") eq 't';
		},
		timeout => 180, interval => 0.2);
}

# The kinds of the logged events, in event order.
sub kinds
{
	return $node->safe_psql('postgres', "SELECT string_agg(event_kind::text, '' ORDER BY event_id) FROM $part");
}

my $pid = start_reader();
ok( $node->poll_query_until('postgres',
		"SELECT application_name = 'chameleon reader maria' FROM pg_stat_activity WHERE pid = $pid"),
	'application_name names the reader and the source');

$m->sql(<<'SQL', db => 'shop');
SET SESSION sql_mode = '';
UPDATE t1 SET v = 'TEN' WHERE id = 10;
DELETE FROM t1 WHERE id = 1;
BEGIN;
INSERT INTO t1 VALUES (11, 'eleven', NULL, NULL);
UPDATE t1 SET v = 'ELEVEN', b = x'ff' WHERE id = 11;
DELETE FROM t1 WHERE id = 2;
COMMIT;
INSERT INTO skipped VALUES (1);
DELETE FROM nodel WHERE id = 1;
INSERT INTO nodel VALUES (3);
INSERT INTO big SELECT seq, concat('v', seq) FROM seq_1_to_120;
ALTER TABLE t1 ADD COLUMN extra int;
INSERT INTO t1 (id, d) VALUES (20, '0000-00-00');
INSERT INTO other.o VALUES (1);
SQL
ok(wait_read_caught_up(), 'the read position reaches the server position (trailing change of an unmapped schema)');

my $expected = 'IC' . 'UC' . 'DC' . 'IUDC' . 'IC' . ('I' x 120) . 'C' . 'QC' . 'IC';
is(kinds(), $expected, 'events: kinds in binlog order, one C per transaction, filtered tables and events absent');

is( $node->safe_psql('postgres',
		"SELECT source_schema || '.' || source_table || ' ' || after_names::text || ' ' || after_values::text FROM $part WHERE event_kind = 'I' ORDER BY event_id LIMIT 1"),
	'shop.t1 {id,v,d,b} {10,ten,2024-01-02,"\\\\x0102"}',
	'an insert made before the reader started: names and values, bytea as hex');
is( $node->safe_psql('postgres',
		"SELECT before_values::text || ' ' || after_values::text FROM $part WHERE event_kind = 'U' ORDER BY event_id LIMIT 1"),
	'{10,ten,2024-01-02,"\\\\x0102"} {10,TEN,2024-01-02,"\\\\x0102"}', 'an update has both images');
is( $node->safe_psql('postgres',
		"SELECT before_names::text || ' ' || before_values::text || ' ' || (after_names IS NULL) FROM $part WHERE event_kind = 'D' ORDER BY event_id LIMIT 1"),
	'{id,v,d,b} {1,one,2020-01-01,"\\\\x00"} true', 'a delete has the before image only');
is( $node->safe_psql('postgres',
		"SELECT after_values::text FROM $part WHERE event_kind = 'U' ORDER BY event_id OFFSET 1 LIMIT 1"),
	'{11,ELEVEN,NULL,"\\\\xff"}', 'NULLs stay NULL inside the multi-statement transaction');
is( $node->safe_psql('postgres',
		"SELECT source_schema || '|' || query FROM $part WHERE event_kind = 'Q'"),
	'shop|ALTER TABLE t1 ADD COLUMN extra int', 'the DDL statement is logged with its default schema');
is( $node->safe_psql('postgres',
		"SELECT after_names::text || ' ' || after_values::text FROM $part WHERE event_kind = 'I' AND source_table = 't1' AND after_values[1] = '20'"),
	'{id,v,d,b,extra} {20,NULL,NULL,NULL,NULL}', 'a zero date is logged as NULL, the row stays');
is($node->safe_psql('postgres', "SELECT count(*) FROM $part WHERE source_table IN ('skipped', 'o')"),
	'0', 'skip_tables and unmapped schemas are not logged');
is($node->safe_psql('postgres', "SELECT count(*) FROM $part WHERE source_table = 'nodel' AND event_kind = 'D'"),
	'0', 'skip_events delete is honoured (the insert is logged)');
is($node->safe_psql('postgres', "SELECT count(*) FROM $part WHERE source_table = 't1' AND before_values[1] = '2' AND event_kind <> 'D'"),
	'0', 'rows copied by init_replica are not logged again');

# C events: positions increase, GTIDs are MariaDB's
my ($file, $pos) = $m->current_position;
is( $node->safe_psql('postgres',
		"SELECT bool_and(binlog_file IS NOT NULL AND gtid ~ '^0-1-[0-9]+\$') FROM $part WHERE event_kind = 'C'"),
	't', 'every C event has a position and a GTID');
is( $node->safe_psql('postgres',
		"SELECT bool_and(ok) FROM (SELECT (binlog_file, binlog_pos) >= lag((binlog_file, binlog_pos)) OVER (ORDER BY event_id) IS NOT FALSE AS ok FROM $part WHERE event_kind IN ('C', 'Q')) s"),
	't', 'C positions increase')
  or diag($node->safe_psql('postgres', "SELECT event_id, event_kind, binlog_file, binlog_pos FROM $part WHERE event_kind IN ('C', 'Q') ORDER BY event_id"));
is( $node->safe_psql('postgres',
		"SELECT read_event_id = (SELECT max(event_id) FROM $part) AND read_gtid = '" . $m->current_gtid . "' AND read_pending_since IS NULL AND last_read IS NOT NULL FROM chameleon.source WHERE source_id = $sid"),
	't', 'read_event_id, read_gtid and the lag are up to date');
# 120 row images at replica_batch_size 50 spill over several batches
is( $node->safe_psql('postgres',
		"SELECT count(*) >= 3 AND sum(row_count) = (SELECT count(*) FROM $part WHERE event_kind IN ('I','U','D'))"
		  . " AND sum(ddl_count) = 1 AND bool_and(last_event_id >= first_event_id) FROM chameleon.log_batch WHERE source_id = $sid"),
	't', 'log_batch: the big transaction spilled over batches, counts add up')
  or diag($node->safe_psql('postgres', "SELECT * FROM chameleon.log_batch ORDER BY batch_id"));

# ---------- terminate + restart: nothing lost, nothing repeated ----------
my $took = stop_reader($pid);
ok($took < 5, sprintf('the reader stops within seconds while MySQL is silent (%.1f s)', $took));
my $before = kinds();
my $maxid = $node->safe_psql('postgres', "SELECT max(event_id) FROM $part");
# the next transaction is in a new binlog file
$m->flush_binlogs;
$m->sql("BEGIN; INSERT INTO t1 (id) VALUES (30); INSERT INTO t1 (id) VALUES (31); COMMIT;", db => 'shop');
# a transaction whose end the reader never logged: must be dropped at start
$node->safe_psql('postgres',
	"INSERT INTO $part (source_id, event_id, event_kind, source_schema, source_table) VALUES ($sid, $maxid + 1, 'I', 'shop', 'ghost')");
$pid = start_reader();
ok(wait_read_caught_up(), 'the restarted reader catches up');
is(kinds(), $before . 'IIC', 'after a restart: the new transaction once, the unfinished one dropped');
is( $node->safe_psql('postgres',
		"SELECT min(event_id) = $maxid + 1 AND count(*) FILTER (WHERE source_table = 'ghost') = 0 FROM $part WHERE event_id > $maxid"),
	't', 'numbering continues after the last event');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM (SELECT after_values FROM $part WHERE event_kind = 'I' GROUP BY 1 HAVING count(*) > 1) d"),
	'0', 'no row image is logged twice');

# terminate in the middle of a big transaction, then restart: still exactly once
$m->sql("INSERT INTO big SELECT seq, 'x' FROM seq_1000_to_5999", db => 'shop');
usleep(100_000);
stop_reader($pid);
$pid = start_reader();
ok(wait_read_caught_up(), 'caught up after a restart during a big transaction');
is( $node->safe_psql('postgres',
		"SELECT count(*) || ' ' || count(DISTINCT after_values[1]) FROM $part WHERE source_table = 'big' AND after_values[1]::int >= 1000"),
	'5000 5000', 'the big transaction is logged once, whole');
like(kinds(), qr/^${before}IIC(I{5000})C$/, 'its 5000 rows are followed by one C');

# ---------- throughput (informational) ----------
stop_reader($pid);
$node->safe_psql('postgres', "UPDATE chameleon.source SET config = jsonb_set(config, '{replica_batch_size}', '10000') WHERE source_id = $sid");
$m->sql("INSERT INTO big SELECT seq, concat('value-', seq) FROM seq_100000_to_299999", db => 'shop');
my $t0 = time;
$pid = start_reader();
ok(wait_read_caught_up(), 'a backlog of 200,000 inserts is read');
my $secs = time - $t0;
diag(sprintf('reader throughput: 200000 row images in %.2f s = %.0f events/s (incl. start-up and polling)',
		$secs, 200000 / $secs));
# one 200,000-row transaction, replica_batch_size 10000: memory stays bounded
my $hwm = '';
if (open(my $fh, '<', "/proc/$pid/status"))
{
	($hwm) = map { /^VmHWM:\s+(\d+)/ ? $1 : () } <$fh>;
	close($fh);
}
SKIP:
{
	skip 'no /proc status of the reader', 1 unless $hwm;
	diag("reader peak RSS after the 200,000-row transaction: $hwm kB");
	ok($hwm < 200 * 1024, 'reader peak RSS under 200 MB');
}

# ---------- binlog gone: error state with a hint, exit 0 ----------
stop_reader($pid);
$node->safe_psql('postgres', "UPDATE chameleon.source SET read_file = 'mysql-bin.999999', read_pos = 4 WHERE source_id = $sid");
$pid = start_reader();
ok( $node->poll_query_until('postgres', "SELECT status = 'error' FROM chameleon.source WHERE source_id = $sid"),
	'a binlog that is gone puts the source in error');
like($node->safe_psql('postgres', "SELECT last_error FROM chameleon.source WHERE source_id = $sid"),
	qr/1236.*init_replica/s, 'last_error has the server message and the hint');
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid"),
	'the reader exits');
like($node->safe_psql('postgres', "SELECT error_message FROM chameleon.show_errors ORDER BY log_id DESC LIMIT 1"),
	qr/binlog/i, 'show_errors records it');

# ---------- binlog_row_metadata / binlog_row_image MINIMAL ----------
my $m2 = ChameleonTest::MariaDB->new(name => 'minimal', binlog_row_metadata => 'MINIMAL',
	binlog_row_image => 'MINIMAL', server_id => 2);
$m2->start;
$m2->sql(<<'SQL');
CREATE DATABASE mini;
CREATE TABLE mini.k (id int PRIMARY KEY, u int unsigned, e enum('red','green'), s set('a','b'), note varchar(10));
SQL
my $mini = ChameleonTest::Replica->new($node, $m2, 'mini', schema_mappings => { mini => 'mini_pg' });
$mini->init_replica(name => 'init_replica of a MINIMAL-metadata source');
my $sid2 = $mini->source_id;
$m2->sql(<<'SQL');
INSERT INTO mini.k VALUES (1, 4294967295, 'green', 'a,b', 'x');
UPDATE mini.k SET note = 'y' WHERE id = 1;
DELETE FROM mini.k WHERE id = 1;
SQL
my $pid2 = $node->safe_psql('postgres', "SELECT chameleon._start_worker('reader', $sid2, 'mini')");
my ($f2, $p2) = $m2->current_position;
ok( $node->poll_query_until('postgres',
		"SELECT read_file = '$f2' AND read_pos = $p2 FROM chameleon.source WHERE source_id = $sid2"),
	'the MINIMAL source is read up to the server position');
is( $node->safe_psql('postgres',
		"SELECT string_agg(event_kind::text || ' ' || coalesce(before_names::text, '-') || ' ' || coalesce(before_values::text, '-')"
		  . " || ' ' || coalesce(after_names::text, '-') || ' ' || coalesce(after_values::text, '-'), E'\\n' ORDER BY event_id)"
		  . " FROM chameleon.log_event_$sid2 WHERE event_kind <> 'C'"),
	"I - - {id,u,e,s,note} {1,4294967295,green,\"a,b\",x}\nU {id} {1} {note} {y}\nD {id} {1} - -",
	'names, signedness and enum/set labels from information_schema; MINIMAL images list only present columns');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid2)");

done_testing();
