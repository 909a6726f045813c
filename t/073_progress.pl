
# Copyright (c) chameleon developers
#
# Progress where a DBA waits (issue 15, point 5):
#  - init_replica(..., wait => true) and sync_tables(..., wait => true)
#    raise NOTICEs every few seconds while they wait: tables done of all,
#    rows copied of the estimate, the rate and the time left; psql shows
#    them while the call runs (captured from its standard error, with the
#    time each one arrives); the copy is held up for a while by a lock on
#    its progress row, so that it lasts long enough on any machine;
#  - the copy of a table shows in pg_stat_progress_copy, polled from
#    another session: one COPY FROM into the table (relid: the table, the
#    same relation once it is swapped into its schema), its bytes and
#    tuples growing across the chunks the copy loads it in.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

# rows of the big table: a copy in many chunks
my $ROWS = 600_000;

my $m = ChameleonTest::MariaDB->new(name => 'progress',
	extra => ['innodb-buffer-pool-size = 256M']);
$m->start;
$m->sql(<<"SQL");
CREATE DATABASE prog;
USE prog;
CREATE TABLE big (id int PRIMARY KEY, pad varchar(200), n bigint, d datetime);
INSERT INTO big SELECT seq, repeat(char(97 + seq % 26), 150), seq * 7, '2024-01-01' + INTERVAL seq SECOND
  FROM seq_1_to_$ROWS;
CREATE TABLE small (id int PRIMARY KEY, v varchar(10));
INSERT INTO small SELECT seq, 'v' FROM seq_1_to_1000;
ANALYZE TABLE big, small;
SQL

# small chunks: the copy commits its progress often
my $node = chameleon_node('progress', create_extension => 1, naptime => 1,
	conf => ['max_worker_processes = 16']);
my $r = ChameleonTest::Replica->new($node, $m, 'prog',
	schema_mappings => { prog => 'prog' },
	config => ['copy_max_memory: 8M']);

# Runs a waiting call ($sql, a $kind of job) in its own psql and watches
# it: the NOTICEs psql prints (with the time each one came) and samples of
# pg_stat_progress_copy for the big table, from another session.  Once the
# big table's first chunk is in, a third session holds its row of
# chameleon.table_progress until the call has raised $stall NOTICEs: the
# copy waits at its next chunk meanwhile (as a copy held up by a busy
# server would), so that the test does not depend on the machine's speed.
# Returns whether the call succeeded, its standard error, the times of its
# NOTICEs and the samples [relid, relname, command, type, bytes, tuples].
sub watch_call
{
	my ($sql, $kind, $stall) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ $node->installed_command('psql'), '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
		  '-d', $node->connstr('postgres'), '-c', $sql ],
		'>', \$out, '2>', \$err, IPC::Run::timeout(600));
	my $holder = $node->background_psql('postgres');
	my ($held, $released) = (0, 0);
	my (@times, @samples);

	poll_until(
		sub {
			$h->pump_nb;
			my $n = () = $err =~ /^NOTICE:  \Q$kind\E of source "prog": /mg;
			push @times, time while @times < $n;
			if (!$held
				&& $node->safe_psql('postgres',
					"SELECT state = 'copying' AND rows_copied > 0 FROM chameleon.table_progress"
					  . " WHERE table_name = 'big'") eq 't')
			{
				$holder->query_safe('BEGIN');
				$holder->query_safe("SELECT 1 FROM chameleon.table_progress WHERE table_name = 'big' FOR UPDATE");
				$held = 1;
			}
			if ($held && !$released && $n >= $stall)
			{
				$holder->query_safe('COMMIT');
				$released = 1;
			}
			my $row = $node->safe_psql('postgres',
				"SELECT p.relid, c.relname, p.command, p.type, p.bytes_processed, p.tuples_processed"
				  . "  FROM pg_stat_progress_copy p JOIN pg_class c ON c.oid = p.relid"
				  . " WHERE c.relname = 'big'");
			push @samples, [ split(/\|/, $row) ] if $row ne '';
			return !$h->pumpable;
		},
		timeout => 300, interval => 0.2);
	$holder->query_safe('COMMIT') if $held && !$released;
	$holder->quit;
	my $ok = $h->finish;
	diag("$kind: held the copy: " . ($held ? 'yes' : 'no') . ', ' . scalar(@samples)
		  . " samples of pg_stat_progress_copy\n$err");
	return ($ok, $err, \@times, \@samples);
}

# Whether the NOTICEs came every few seconds (3 s at first).
sub every_few_seconds
{
	my ($times) = @_;
	return 0 if @$times < 2;
	for my $i (1 .. $#$times)
	{
		my $gap = $times->[$i] - $times->[ $i - 1 ];
		return 0 if $gap < 2 || $gap > 10;
	}
	return 1;
}

# ---- init_replica: NOTICEs in psql, pg_stat_progress_copy meanwhile
my ($ok, $err, $times, $samples) = watch_call("SELECT chameleon.init_replica('prog', wait => true)",
	'init_replica', 3);
ok($ok, 'init_replica(wait => true) succeeds');

my @notices = grep { /^NOTICE:  init_replica of source "prog": / } split(/\n/, $err);
ok(@notices >= 3, 'init_replica(wait => true) raised progress NOTICEs while it waited');
ok(every_few_seconds($times), 'every few seconds (' . join(', ',
	map { sprintf('%.1f s', $times->[$_] - $times->[ $_ - 1 ]) } 1 .. $#$times) . ' apart)');
like($notices[0] // '', qr/: [01] of 2 tables done \((1 copying|1 building indexes)\), \d+ of about \d+ rows copied \(\d+%\)/,
	'a NOTICE says the tables done of all, those under way and the rows copied of the estimate');
ok((grep { /rows copied \(\d+%\), \d+ rows\/s, about \d+ (s|min \d+ s) left/ } @notices) > 0,
	'and the rate and the time left');
my @copied = map { /, (\d+) (?:of about \d+ )?rows copied/ ? $1 : () } @notices;
ok((grep { $copied[$_] < $copied[ $_ - 1 ] } 1 .. $#copied) == 0, 'the rows copied only grow');

ok(@$samples >= 2, 'pg_stat_progress_copy showed the copy of the big table');
my ($first, $last) = ($samples->[0], $samples->[-1]);
is($first->[2] . '/' . $first->[3], 'COPY FROM/CALLBACK', 'as a COPY FROM with a callback source');
ok((grep { $_->[0] ne $first->[0] } @$samples) == 0, 'one relation throughout the copy (relid stays)');
ok($last->[5] > $first->[5] && $last->[4] > $first->[4],
	"tuples and bytes grow ($first->[5] -> $last->[5] tuples, $first->[4] -> $last->[4] bytes)");
my $monotonic = 1;
for my $i (1 .. $#$samples)
{
	$monotonic = 0
	  if $samples->[$i][5] < $samples->[ $i - 1 ][5] || $samples->[$i][4] < $samples->[ $i - 1 ][4];
}
ok($monotonic, 'they never go back (counted across the chunks, not per chunk)');
is($node->safe_psql('postgres', "SELECT $first->[0]::regclass"), 'prog.big',
	'relid is the table: the same relation, swapped into its schema');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_stat_progress_copy'), '0',
	'nothing is left in pg_stat_progress_copy afterwards');
is($node->safe_psql('postgres', 'SELECT count(*) FROM prog.big'), $ROWS, 'every row copied');

# ---- sync_tables of the big table, on the running source
$r->start_replica;
($ok, $err, $times, $samples) = watch_call("SELECT chameleon.sync_tables('prog', '{prog.big}', wait => true)",
	'sync_tables', 2);
ok($ok, 'sync_tables(wait => true) succeeds');
@notices = grep { /^NOTICE:  sync_tables of source "prog": / } split(/\n/, $err);
ok(@notices >= 2, 'sync_tables(wait => true) raised progress NOTICEs');
ok(every_few_seconds($times), 'every few seconds');
like($notices[-1] // '', qr/: [01] of 1 tables done\b.*, \d+ of about \d+ rows copied \(\d+%\), \d+ rows\/s/,
	'about the one table it copies, with the rate');
ok(@$samples >= 2 && $samples->[0][0] ne $first->[0],
	'pg_stat_progress_copy showed the new copy (another relation)');
$r->wait_caught_up('the source replicates after the sync');

done_testing();
