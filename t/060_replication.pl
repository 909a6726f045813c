
# Copyright (c) chameleon developers
#
# Continuous replication end to end (issue 6): init_replica, start_replica,
# changes in MariaDB applied in PostgreSQL (inserts, updates, deletes,
# multi-statement transactions, a keyless table), wait_caught_up,
# stop_replica stopping the workers promptly, the launcher restarting a
# killed worker without losing or repeating a change, and the sum
# invariant of transfers never broken for a PostgreSQL reader.

use strict;
use warnings;

use IPC::Run;
use Time::HiRes qw(time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

my $m = ChameleonTest::MariaDB->new(name => 'repl');
$m->start;
$m->sql(<<'SQL');
CREATE DATABASE bank CHARACTER SET utf8mb4;
USE bank;
CREATE TABLE account (id int PRIMARY KEY, owner varchar(40), balance bigint NOT NULL,
  updated datetime(6), flags set('a','b','c'), data blob);
CREATE TABLE journal (note varchar(100), amount decimal(12,2));
CREATE TABLE ignored (id int PRIMARY KEY);
INSERT INTO account SELECT seq, concat('owner ', seq), 1000, now(6), 'a', x'00ff' FROM seq_1_to_100;
SQL

my $node = chameleon_node('repl', database => 'postgres', create_extension => 1,
	naptime => 2, conf => ["timezone = 'UTC'", 'max_worker_processes = 16']);
my $r = ChameleonTest::Replica->new($node, $m, 'bank',
	schema_mappings => { bank => 'bank' },
	config => [ 'skip_tables: [bank.ignored]', 'replica_batch_size: 50', 'sleep_loop: 1' ],
	init => 1);

# a change made between the copy and the start is replicated too
$m->sql("UPDATE bank.account SET balance = 900 WHERE id = 1; UPDATE bank.account SET balance = 1100 WHERE id = 2");

$r->start_replica(name => 'start_replica: the launcher starts the reader and the replay');
is($node->safe_psql('postgres', "SELECT status FROM chameleon.show_status"), 'running', 'state running');

# transfers: each MySQL transaction keeps the total at 100000
for my $i (1 .. 40)
{
	my ($a, $b) = (1 + ($i * 7) % 100, 1 + ($i * 13) % 100);
	next if $a == $b;
	$m->sql("START TRANSACTION; UPDATE bank.account SET balance = balance - 10 WHERE id = $a;"
		  . " UPDATE bank.account SET balance = balance + 10 WHERE id = $b;"
		  . " INSERT INTO bank.journal VALUES ('transfer $a -> $b', 10.00); COMMIT;");
}
$m->sql("INSERT INTO bank.account VALUES (1000, 'new ''quoted'' owner', 0, '2024-01-01 00:00:00.5', 'b,c', NULL)");
$m->sql("DELETE FROM bank.account WHERE id = 100");
$m->sql("INSERT INTO bank.ignored VALUES (1)");
$m->sql("UPDATE bank.journal SET amount = 11 WHERE note = 'transfer 8 -> 14'");

my $t0 = time;
$r->wait_caught_up('wait_caught_up returns true');
$r->same_result('SELECT count(*), sum(balance) FROM bank.account',
	'SELECT count(*), sum(balance) FROM bank.account', 'account: same count and total');
is( $node->safe_psql('postgres', "SELECT string_agg(id || ':' || balance || ':' || coalesce(flags, '') || ':' || coalesce(encode(data, 'hex'), 'null'), ',' ORDER BY id) FROM bank.account"),
	join(',', map { join(':', split(/\t/, $_)) } split(/\n/,
		$m->sql("SELECT id, balance, coalesce(flags, ''), coalesce(lower(hex(data)), 'null') FROM bank.account ORDER BY id"))),
	'account: every row identical');
$r->same_result('SELECT count(*), sum(amount) FROM bank.journal',
	'SELECT count(*), sum(amount) FROM bank.journal', 'keyless journal: same rows (update by full row image)');
is($node->safe_psql('postgres', "SELECT owner FROM bank.account WHERE id = 1000"), "new 'quoted' owner", 'quotes survive');
is($node->safe_psql('postgres', "SELECT to_regclass('bank.ignored') IS NULL"), 't', 'skipped table not replicated');
ok($node->safe_psql('postgres', "SELECT replayed_rows FROM chameleon.show_status") >= 120, 'replayed_rows counts the changes');

# the sum invariant, observed while transfers run
my $total = $m->sql('SELECT sum(balance) FROM bank.account WHERE id < 1000');
my $broken = 0;
for my $i (1 .. 60)
{
	my ($a, $b) = (1 + ($i * 11) % 99, 1 + ($i * 17) % 99);
	next if $a == $b;
	$m->sql("START TRANSACTION; UPDATE bank.account SET balance = balance - 1 WHERE id = $a;"
		  . " UPDATE bank.account SET balance = balance + 1 WHERE id = $b; COMMIT;");
	my $sum = $node->safe_psql('postgres', 'SELECT sum(balance) FROM bank.account WHERE id < 1000');
	$broken++ if $sum != $total;
}
$r->wait_caught_up('caught up after the transfers');
is($broken, 0, 'a PostgreSQL reader never saw half a transfer');

# kill -9 of the reader: the launcher starts a new one, nothing lost or doubled
my $reader = $r->worker_pid('reader');
$m->sql("INSERT INTO bank.journal VALUES ('before kill', 1)");
$node->safe_psql('postgres', "SELECT pg_terminate_backend($reader)");
$m->sql("INSERT INTO bank.journal VALUES ('after kill', 2)");
ok($r->workers_up(role => 'reader', except => [$reader]), 'a terminated reader is started again');
$r->wait_caught_up('caught up after the restart');
is($node->safe_psql('postgres', "SELECT count(*) FROM bank.journal WHERE note IN ('before kill', 'after kill')"),
	'2', 'no change lost or applied twice');

# the launcher backs off: a worker that keeps dying young is started again
# after 1 s, then 2 s, then 4 s
my $log_offset = -s $node->logfile;
my @gaps;
for my $i (1 .. 3)
{
	$r->workers_up(role => 'replay');
	my $pid = $r->worker_pid('replay');
	$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
	my $t = time;
	$r->workers_up(role => 'replay', except => [$pid]);
	push @gaps, time - $t;
}
like(slurp_file($node->logfile, $log_offset),
	qr/replay of source "bank" exited; starting it again in 1000 ms.*replay of source "bank" exited; starting it again in 2000 ms.*replay of source "bank" exited; starting it again in 4000 ms/s,
	'the launcher doubles its back-off for a worker that dies young');
ok($gaps[2] >= 3.5 && $gaps[1] >= 1.5, sprintf('restarts came after %.1f s, %.1f s, %.1f s', @gaps));

# sync_tables while running: the disabled table comes back, nothing of
# the others is lost, changes around the copy are neither lost nor doubled
$node->safe_psql('postgres', "UPDATE chameleon.replica_table SET enabled = false WHERE source_table = 'journal'");
$m->sql("INSERT INTO bank.journal VALUES ('while disabled', 3)");
$m->sql("UPDATE bank.account SET balance = balance + 5 WHERE id = 7");
$r->wait_caught_up('caught up while the table is disabled');
isnt($node->safe_psql('postgres', "SELECT count(*) FROM bank.journal WHERE note = 'while disabled'"), '1',
	'a disabled table receives no changes');
my $writer = IPC::Run::start(['perl', '-e', 'for my $i (1 .. 200) { print "INSERT INTO bank.journal VALUES (\x27during sync $i\x27, 1); UPDATE bank.account SET balance = balance + 1 WHERE id = 9;\n" }'],
	'|', [ 'mariadb', '--no-defaults', '--protocol=SOCKET', '-S', $m->socket, '-u', 'root', 'bank' ]);
$node->safe_psql('postgres', "SELECT chameleon.sync_tables('bank', '{disabled}', wait => true)");
$writer->finish;
$m->sql("INSERT INTO bank.journal VALUES ('after sync', 4)");
$r->wait_caught_up('caught up after sync_tables');
is($node->safe_psql('postgres', "SELECT enabled FROM chameleon.replica_tables WHERE source_table = 'journal'"), 't', 'the table is enabled again');
journal_identical('the synced table is identical, with the changes made during the copy');
$r->same_result('SELECT count(*), sum(balance) FROM bank.account',
	'SELECT count(*), sum(balance) FROM bank.account', 'the other table lost nothing during the sync');
is($node->safe_psql('postgres', "SELECT status FROM chameleon.show_status"), 'running', 'still running after the sync');

# sync_tables of an enabled table while the others keep replicating: a
# MariaDB session holds the table locked so that the copy (its snapshot
# taken) waits on it; meanwhile a change to another table must arrive,
# then rows written under the lock (after the copy's snapshot, so not in
# the copy) must arrive from the rows the replay held.
my ($lin, $lout, $lerr);
my $locker = lock_journal();
$node->safe_psql('postgres', "SELECT chameleon.sync_tables('bank', '{bank.journal}')");
ok( $node->poll_query_until('postgres',
		"SELECT state = 'copying' FROM chameleon.init_progress WHERE table_name = 'journal'"),
	'the copy of journal waits on the lock');
is($node->safe_psql('postgres', "SELECT syncing FROM chameleon.replica_table WHERE source_table = 'journal'"),
	't', 'the table is marked syncing');
$m->sql("UPDATE bank.account SET owner = 'during the copy' WHERE id = 3");
ok( $node->poll_query_until('postgres', "SELECT owner = 'during the copy' FROM bank.account WHERE id = 3"),
	'another table replicates while the copy runs');
is($node->safe_psql('postgres', "SELECT state FROM chameleon.init_progress WHERE table_name = 'journal'"),
	'copying', 'the copy was still running then');
# a PostgreSQL session keeps the swap waiting, so that the held rows can be seen
my ($pin, $pout, $perr) = ('', '', '');
my $pg = IPC::Run::start([ 'psql', '-X', '-A', '-t', '-d', $node->connstr('postgres') ],
	'<', \$pin, '>', \$pout, '2>', \$perr, IPC::Run::timeout(180));
$pin .= "BEGIN; LOCK TABLE bank.journal IN ACCESS SHARE MODE; SELECT 'pglocked';\n";
$pg->pump until $pout =~ /pglocked/;
$lin .= "INSERT INTO journal VALUES ('under lock', 6); UPDATE journal SET amount = amount + 1 WHERE note = 'after sync'; UNLOCK TABLES; SELECT 'unlocked';\n";
eval { $locker->pump until $lout =~ /unlocked/; 1 }
  or diag("locker: $@ out=$lout err=$lerr\n" . $m->sql('SHOW FULL PROCESSLIST'));
$lin .= "INSERT INTO journal VALUES ('after unlock', 7); SELECT 'inserted';\n";
$locker->pump until $lout =~ /inserted/;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 3 FROM chameleon.log_held WHERE source_table = 'journal'"),
	'the changes made after the snapshot are held while the copy waits to be swapped in');
$pin .= "COMMIT; \\q\n";
$pg->finish;
ok( $node->poll_query_until('postgres',
		"SELECT state = 'done' FROM chameleon.init_progress WHERE table_name = 'journal'"),
	'the sync finished');
$lin .= "QUIT\n";
$locker->finish;
$m->sql("INSERT INTO bank.journal VALUES ('after sync 2', 8)");
$r->wait_caught_up('caught up after the second sync');
journal_identical('the synced table holds the rows written after its snapshot, once');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.log_held"), '0', 'no row is held any more');
is($node->safe_psql('postgres', "SELECT syncing::text || enabled::text || consistent::text FROM chameleon.replica_table WHERE source_table = 'journal'"),
	'falsetruetrue', 'the table is enabled and consistent again');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.show_errors"), '0', 'no error');

# a sync that fails on a running source: the old table stays and gets the
# changes held during the attempt, DDL included, in their order
$locker = lock_journal();
$node->safe_psql('postgres', "SELECT chameleon.sync_tables('bank', '{bank.journal}')");
ok( $node->poll_query_until('postgres',
		"SELECT state = 'copying' FROM chameleon.init_progress WHERE table_name = 'journal'"),
	'a third copy of journal waits on the lock');
$lin .= "ALTER TABLE journal ADD COLUMN tag varchar(10) DEFAULT 'kept';"
  . " INSERT INTO journal (note, amount) VALUES ('held then kept', 9); SELECT 'inserted';\n";
$locker->pump until $lout =~ /inserted/;
ok($node->poll_query_until('postgres', "SELECT string_agg(event_kind::text, '' ORDER BY event_id) = 'QI' FROM chameleon.log_held"),
	'the ALTER TABLE and the change are held');
my $copy_id;
ok(poll_until(sub {
			$copy_id = $m->sql("SELECT id FROM information_schema.processlist WHERE user = 'repl'"
				  . " AND info LIKE 'SELECT%journal%' LIMIT 1");
			$copy_id =~ s/\s+//g;
			return $copy_id ne '';
		}),
	'the copy query is found in the processlist');
$m->sql("KILL $copy_id");
$lin .= "UNLOCK TABLES; QUIT\n";
$locker->finish;
ok( $node->poll_query_until('postgres',
		"SELECT state = 'failed' FROM chameleon.init_progress WHERE table_name = 'journal'"),
	'the sync fails');
$m->sql("INSERT INTO bank.journal (note, amount) VALUES ('after the failed sync', 10)");
$r->wait_caught_up('caught up after the failed sync');
journal_identical('the old table got the change held during the failed sync');
is($node->safe_psql('postgres', "SELECT string_agg(note || ':' || coalesce(tag, 'NULL'), ' ' ORDER BY note)"
		  . " FROM bank.journal WHERE note LIKE '%kept' OR note LIKE 'after the failed%'"),
	'after the failed sync:kept held then kept:kept', 'and the ALTER TABLE held before it');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.log_held"), '0', 'nothing held after the failure');
is($node->safe_psql('postgres', "SELECT syncing::text || enabled::text FROM chameleon.replica_table WHERE source_table = 'journal'"),
	'falsetrue', 'the table is enabled and no longer syncing');
like($node->safe_psql('postgres', "SELECT error_message FROM chameleon.show_errors ORDER BY log_id DESC LIMIT 1"),
	qr/journal/, 'show_errors has the failed copy');
is($node->safe_psql('postgres', "SELECT status FROM chameleon.show_status"), 'running', 'the source still runs');

# sync_tables waits for the replay round under way before it takes any
# snapshot: a session holding the round lock shared (class 'CHRR',
# src/source_state.h) stands for a round that began before the sync
my ($rin, $rout, $rerr) = ('', '', '');
my $round = IPC::Run::start([ 'psql', '-X', '-A', '-t', '-d', $node->connstr('postgres') ],
	'<', \$rin, '>', \$rout, '2>', \$rerr, IPC::Run::timeout(180));
$rin .= "BEGIN; SELECT pg_advisory_xact_lock_shared(1128813138, source_id)"
  . " FROM chameleon.source WHERE source_name = 'bank'; SELECT 'roundlocked';\n";
$round->pump until $rout =~ /roundlocked/;
$node->safe_psql('postgres', "SELECT chameleon.sync_tables('bank', '{bank.journal}')");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'chameleon init bank'"
		  . " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"),
	'a sync waits for the replay round under way');
$m->sql("INSERT INTO bank.journal (note, amount) VALUES ('while the round runs', 11)");
sleep 1;
is($node->safe_psql('postgres', "SELECT state FROM chameleon.init_progress WHERE table_name = 'journal'"),
	'pending', 'no copy starts before that round ends');
$rin .= "COMMIT; \\q\n";
$round->finish;
ok( $node->poll_query_until('postgres',
		"SELECT state = 'done' FROM chameleon.init_progress WHERE table_name = 'journal'"),
	'the sync finishes once the round has ended');
$r->wait_caught_up('caught up after the sync that waited');
journal_identical('the synced table holds the change made while the sync waited');

# stop_replica: both workers gone within seconds, even while MySQL is idle
$t0 = time;
$r->stop_replica(name => 'stop_replica stops the workers');
ok(time - $t0 < 15, sprintf('within %.1f s', time - $t0));
is($node->safe_psql('postgres', "SELECT status FROM chameleon.show_status"), 'stopped', 'state stopped');

# changes while stopped are applied after the next start
$m->sql("UPDATE bank.account SET owner = 'while stopped' WHERE id = 5");
$r->start_replica(name => 'start_replica after stop_replica: both workers run');
$r->wait_caught_up('caught up after start');
is($node->safe_psql('postgres', "SELECT owner FROM bank.account WHERE id = 5"), 'while stopped', 'the change made while stopped arrived');

$node->safe_psql('postgres', "SELECT chameleon.stop_replica('bank')");
$node->stop('fast');
done_testing();

# The same rows in bank.journal on both sides (count, distinct notes, sum).
sub journal_identical
{
	my ($name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$r->same_result('SELECT count(*), count(DISTINCT note), sum(amount) FROM bank.journal',
		'SELECT count(*), count(DISTINCT note), sum(amount) FROM bank.journal', $name);
}

# A MariaDB session that holds bank.journal locked (LOCK TABLES ... WRITE)
# and takes more statements through $lin; returns once the lock is held.
sub lock_journal
{
	($lin, $lout, $lerr) = ('', '', '');
	my $h = IPC::Run::start(
		[ 'mariadb', '--no-defaults', '--protocol=SOCKET', '-S', $m->socket, '-u', 'root', '-N', '--unbuffered', 'bank' ],
		'<', \$lin, '>', \$lout, '2>', \$lerr, IPC::Run::timeout(180));
	$lin .= "LOCK TABLES journal WRITE; SELECT 'locked';\n";
	$h->pump until $lout =~ /locked/;
	return $h;
}
