
# Copyright (c) chameleon developers
#
# Crashes during a catch-up (issue 16, proof): a backlog of about 40,000
# source transactions (some 210,000 row changes: transfers between
# accounts, inserts, updates and deletes of items, one journal row per
# transaction) is written while the source is stopped; the replica is then
# started and, while it works through the backlog, the reader, the replay,
# both, the whole server and the replay again are killed with SIGKILL (an
# immediate stop for the server), each at a set share of the backlog and
# each while the backlog is not yet applied (asserted at the moment of the
# kill).  The log's ranges are UNLOGGED, so every crash also throws away
# what was read and not applied.  All along, a reader of the replica never
# sees the accounts' total differ from the source's (no source transaction
# is seen in part).  Afterwards each table has the same rows on both sides
# and each journal row is there once: nothing was lost or applied twice.

use strict;
use warnings;

use Time::HiRes qw(time usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica;

# source transactions in the backlog, accounts, their starting balance
my $ntx = 40_000;
my $naccounts = 200;
my $total = $naccounts * 1000;

my $m = ChameleonTest::MariaDB->new(name => 'catchup');
$m->start;
$m->sql(<<"SQL");
CREATE DATABASE cu;
USE cu;
CREATE TABLE account (id int PRIMARY KEY, balance bigint NOT NULL);
INSERT INTO account SELECT seq, 1000 FROM seq_1_to_$naccounts;
CREATE TABLE item (id int AUTO_INCREMENT PRIMARY KEY, k int NOT NULL, c varchar(80));
INSERT INTO item (k, c) SELECT seq, concat('first ', seq) FROM seq_1_to_2000;
CREATE TABLE journal (note varchar(40), n int);
SQL

my $node = chameleon_node('catchup', database => 'postgres', create_extension => 1,
	naptime => 1,
	conf => [ "timezone = 'UTC'", 'log_min_messages = log' ]);
my $r = ChameleonTest::Replica->new($node, $m, 'cu',
	schema_mappings => { cu => 'cu' },
	config => [ 'replay_max_rows: 2000', 'sleep_loop: 1' ],
	init => 1);

# The backlog, written while the source is stopped: one transaction per
# iteration; random ids are drawn into variables first (rand() in a WHERE
# clause would be drawn per row).
$m->sql(<<"SQL", db => 'cu');
DELIMITER //
CREATE PROCEDURE backlog(n int)
BEGIN
  DECLARE i int DEFAULT 0;
  DECLARE a int;
  DECLARE b int;
  DECLARE amount int;
  DECLARE x int;
  WHILE i < n DO
    SET a = 1 + floor(rand() * $naccounts), b = 1 + floor(rand() * $naccounts),
        amount = 1 + floor(rand() * 50), x = 1 + floor(rand() * (i + 2000));
    START TRANSACTION;
    UPDATE account SET balance = balance - amount WHERE id = a;
    UPDATE account SET balance = balance + amount WHERE id = b;
    INSERT INTO item (k, c) VALUES (i, concat('backlog ', i));
    UPDATE item SET k = k + 1, c = concat(left(c, 70), '+') WHERE id = x;
    IF i % 3 = 0 THEN
      SET x = 1 + floor(rand() * (i + 2000));
      DELETE FROM item WHERE id = x;
    END IF;
    INSERT INTO journal VALUES (concat('tx ', i), i);
    COMMIT;
    SET i = i + 1;
  END WHILE;
END //
DELIMITER ;
SQL
my $t0 = time;
$m->sql("CALL backlog($ntx)", db => 'cu');
my $changes = $m->sql("SELECT sum(variable_value) FROM information_schema.global_status"
	  . " WHERE variable_name IN ('Handler_write', 'Handler_update', 'Handler_delete')");
note(sprintf('backlog of %d transactions written in %.1f s (handler counters: %s)',
		$ntx, time - $t0, $changes));
is($m->sql('SELECT sum(balance) FROM cu.account'), $total, 'the source keeps its total');
my ($end_file, $end_pos) = $m->current_position;

# What a reader of the replica sees: journal rows applied, accounts' total
# (one snapshot).  Undef while the server is down.
sub progress
{
	my ($rc, $out) = $node->psql('postgres',
		'SELECT (SELECT count(*) FROM cu.journal), (SELECT sum(balance) FROM cu.account)');
	return $rc == 0 && $out =~ /^(\d+)\|(\d+)$/ ? ($1, $2) : ();
}

my ($samples, $broken) = (0, 0);

# Samples the replica until at least $goal journal rows are applied;
# returns the number applied (undef after the timeout).
sub wait_applied
{
	my ($goal, $timeout) = @_;
	my $until = time + $timeout;
	while (time < $until)
	{
		my ($n, $sum) = progress();
		if (defined $n)
		{
			$samples++ if $n < $ntx;
			if ($sum != $total)
			{
				$broken++;
				diag("the replica's total is $sum with $n transactions applied");
			}
			return $n if $n >= $goal;
		}
		usleep(20_000);
	}
	return undef;
}

$r->start_replica(name => 'the replica starts on the backlog');

# kill -9 of workers: the postmaster restarts every process and runs crash
# recovery, which empties the log's UNLOGGED ranges; returns their pids
sub kill_workers
{
	my @roles = @_;
	my @pids = map { $r->worker_pid($_) } @roles;
	ok(!(grep { !defined } @pids) && kill('KILL', @pids) == @pids,
		'kill -9 of the ' . join(' and the ', @roles));
	return grep { defined } @pids;
}

my @plan = ([ 0.0, 'reader' ], [ 0.15, 'replay' ], [ 0.35, 'both' ], [ 0.55, 'server' ], [ 0.75, 'replay' ]);
foreach my $step (@plan)
{
	my ($share, $what) = @$step;
	my $goal = int($share * $ntx);
	if ($what eq 'reader' && $goal == 0)
	{
		# the reader in the middle of the backlog: it has logged something
		# and not reached the end
		ok( $node->poll_query_until('postgres',
				"SELECT read_event_id > 0 FROM chameleon.source WHERE source_name = 'cu'"),
			'the reader has logged part of the backlog');
		my ($read_file, $read_pos) = split(/\|/,
			$r->psql("SELECT read_file, read_pos FROM chameleon.source WHERE source_name = 'cu'"));
		ok($read_file lt $end_file || ($read_file eq $end_file && $read_pos < $end_pos),
			"the reader is in the middle of the backlog ($read_file:$read_pos of $end_file:$end_pos)");
	}
	my $n = wait_applied($goal, 180);
	ok(defined $n && $n < $ntx,
		sprintf('%s killed during the catch-up (%s of %d transactions applied)', $what, $n // '?', $ntx))
	  or last;
	my @gone;
	if ($what eq 'server')
	{
		$node->stop('immediate');
		$node->start;
	}
	else
	{
		@gone = kill_workers($what eq 'both' ? qw(reader replay) : ($what));
	}
	ok($r->workers_up(except => \@gone), "after the $what crash: both workers run again");
}

ok(defined wait_applied($ntx, 300), 'the whole backlog is applied after the crashes');
$r->wait_caught_up('wait_caught_up after the crashes', timeout => '120 s');
cmp_ok($samples, '>=', 10, "the replica was sampled during the catch-up ($samples samples)");
is($broken, 0, 'no sample saw the accounts\' total broken');

$r->same_rows('cu', 'account', 'account: same rows');
$r->same_rows('cu', 'item', 'item: same rows');
$r->same_rows('cu', 'journal', 'journal: same rows');
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT note) FROM cu.journal'),
	"$ntx|$ntx", 'every transaction applied once');
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.show_errors'), '0', 'show_errors is empty')
  or diag($node->safe_psql('postgres', 'SELECT error_time, error_message FROM chameleon.show_errors'));
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.discarded_rows'), '0', 'no row was discarded');

$node->stop;
$m->stop;
done_testing();
