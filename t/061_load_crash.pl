
# Copyright (c) chameleon developers
#
# Replication under load and through crashes (issue 6, proofs 1 and 2):
# sysbench oltp_write_only with 4 threads for more than 60 s on replicated
# tables, while a second client changes a type-torture table and a keyless
# table (with duplicate rows and transactions larger than a log batch), and
# while, at random moments, the reader and the replay worker are killed
# with SIGKILL (the postmaster then restarts every process), the launcher
# is terminated (its successor replaces the workers), the whole server is
# crashed (immediate stop, crash recovery at start), MariaDB is
# restarted and the replication connection is KILLed from the MariaDB
# side.  Afterwards every table has the same rows on both sides (count and
# an ordered checksum computed on each side), no row is missing or
# doubled, and show_errors is empty.

use strict;
use warnings;

use IPC::Run qw(run start finish);
use POSIX ();
use Time::HiRes qw(time usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

plan skip_all => 'sysbench is not installed'
  unless grep { -x "$_/sysbench" } split /:/, $ENV{PATH};

my $t_start = time;
my $seed = $ENV{CHAMELEON_SEED} // (time ^ $$);
srand($seed);
note("random seed $seed (set CHAMELEON_SEED to repeat)");

# seconds of load: sysbench runs this long in two halves (MariaDB restarts
# between them), the torture client all along
my $load_secs = 64;

my $m = ChameleonTest::MariaDB->new(name => 'crash');
$m->start;
$m->create_user('bench', 'bench-pw', all => 1);
$m->sql('CREATE DATABASE sbtest CHARACTER SET utf8mb4');

my @sysbench = (
	'sysbench', 'oltp_write_only', '--db-driver=mysql',
	'--mysql-host=127.0.0.1', '--mysql-port=' . $m->port,
	'--mysql-user=bench', '--mysql-password=bench-pw',
	'--mysql-db=sbtest', '--tables=4', '--table-size=10000');
my ($sb_out, $sb_err) = ('', '');
ok(run([ @sysbench, '--threads=4', 'prepare' ], '>', \$sb_out, '2>', \$sb_err),
	'sysbench prepare: 4 tables x 10000 rows')
  or diag($sb_err);

$m->sql(<<'SQL', db => 'sbtest');
SET SESSION sql_mode = '';
CREATE TABLE torture (
  id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ti tinyint, siu smallint unsigned, mi mediumint, iu int unsigned,
  bi bigint, biu bigint unsigned, de decimal(20,6), f float, d double,
  b8 bit(8), y year, dt date, dtm datetime(6), ts timestamp(3) NULL DEFAULT NULL,
  tm time(6), c char(5), vc varchar(30), tx text, bn binary(4), vb varbinary(10),
  bl blob, e enum('small','medium','large'), st set('a','b','c'), j json
) ENGINE=InnoDB;
CREATE TABLE keyless (a int, b varchar(20), n int) ENGINE=InnoDB;
INSERT INTO keyless SELECT seq % 50, concat('dup ', seq % 7), 0 FROM seq_1_to_300;
SQL

# one torture row: the values of an INSERT, random but representable
# exactly on both sides (floats are multiples of 1/4)
sub torture_values
{
	my $i = int(rand(1_000_000));
	my $null = sub { rand() < 0.1 ? 'NULL' : $_[0] };
	return join(', ',
		'NULL',
		$null->(($i % 256) - 128),
		$null->($i % 65536),
		$null->(($i % 16_000_000) - 8_000_000),
		$null->(4_294_967_295 - $i),
		$null->(-9_223_372_036_854_775_807 + $i),
		$null->("18446744073709551615"),
		$null->(sprintf("'%d.%06d'", $i - 500_000, $i % 1_000_000)),
		$null->(($i % 4000) / 4),
		$null->(-($i % 40_000) / 4),
		$null->(sprintf("b'%08b'", $i % 256)),
		$null->(1901 + $i % 254),
		$null->(sprintf("'%04d-%02d-%02d'", 1000 + $i % 9000, 1 + $i % 12, 1 + $i % 28)),
		$null->(sprintf("'2024-%02d-%02d %02d:%02d:%02d.%06d'",
				1 + $i % 12, 1 + $i % 28, $i % 24, $i % 60, $i % 59, $i)),
		$null->(sprintf("'2030-%02d-%02d %02d:%02d:%02d.%03d'",
				1 + $i % 12, 1 + $i % 28, $i % 24, $i % 60, $i % 59, $i % 1000)),
		$null->(sprintf("'%02d:%02d:%02d.%06d'", $i % 24, $i % 60, $i % 60, $i)),
		$null->("'c" . ($i % 1000) . "'"),
		$null->("'h\xc3\xa9llo \xf0\x9f\xa6\x8e $i'"),
		$null->("'line1\\nline2\\ttab\\\\back $i'"),
		$null->(sprintf("x'%08x'", $i)),
		$null->(sprintf("x'00%06x'", $i)),
		$null->("repeat(x'ab00', " . ($i % 3000) . ")"),
		$null->("'" . (qw(small medium large))[ $i % 3 ] . "'"),
		$null->("'" . ('a', 'b', 'c', 'a,b', 'a,c', 'b,c', 'a,b,c', '')[ $i % 8 ] . "'"),
		$null->("json_object('k', $i, 's', 'x\"y')"));
}
$m->sql(join('', map { 'INSERT INTO torture VALUES (' . torture_values() . ");\n" } 1 .. 200),
	db => 'sbtest');

my $node = chameleon_node('crash', database => 'postgres', create_extension => 1,
	naptime => 1,
	conf => [ "timezone = 'UTC'", 'max_worker_processes = 16', 'log_min_messages = log' ]);
my $r = ChameleonTest::Replica->new($node, $m, 'sb',
	schema_mappings => { sbtest => 'sbtest' },
	config => [ 'on_error_read: continue', 'replica_batch_size: 50', 'replay_max_rows: 200', 'sleep_loop: 1' ],
	init => 1);
$r->start_replica(name => 'reader and replay running');

# The torture client: a child process changing torture and keyless until
# the end of the load, in transactions of one to about a hundred rows.
# Errors (MariaDB restarting) are counted and the loop goes on.
my $load_end = time + $load_secs + 2;
my $counts_file = $node->basedir . '/torture.counts';
my $child = fork();
die "fork: $!" unless defined $child;
if ($child == 0)
{
	my ($ok, $failed) = (0, 0);
	while (time < $load_end)
	{
		my $r = rand();
		my $sql;
		if ($r < 0.35)
		{
			$sql = 'INSERT INTO torture VALUES (' . torture_values() . ')';
		}
		elsif ($r < 0.55)
		{
			$sql = "START TRANSACTION; UPDATE torture SET tx = concat(coalesce(tx, ''), 'u')"
			  . " ORDER BY rand() LIMIT 3;"
			  . " INSERT INTO torture VALUES (" . torture_values() . ");"
			  . " DELETE FROM torture ORDER BY rand() LIMIT 1;"
			  . " UPDATE keyless SET n = n + 1 WHERE a = " . int(rand(50)) . "; COMMIT";
		}
		elsif ($r < 0.65)
		{
			$sql = 'UPDATE torture SET ' . join(', ',
				map { "$_ = NULL" } (qw(ti de f tm vc bl j))[ 0 .. int(rand(7)) ])
			  . ' ORDER BY rand() LIMIT 2';
		}
		elsif ($r < 0.75)
		{
			# spills over several log batches (replica_batch_size 50)
			$sql = 'UPDATE keyless SET n = n + 1, b = concat(left(b, 10), \'+\') WHERE a < '
			  . (10 + int(rand(30)));
		}
		elsif ($r < 0.9)
		{
			# duplicates on purpose: a keyless table has identical rows
			my $a = int(rand(50));
			$sql = "INSERT INTO keyless VALUES ($a, 'dup', 1), ($a, 'dup', 1);"
			  . " DELETE FROM keyless WHERE a = $a AND b = 'dup' LIMIT 1";
		}
		else
		{
			$sql = 'DELETE FROM keyless WHERE a = ' . int(rand(50)) . ' ORDER BY n LIMIT 1;'
			  . " INSERT INTO keyless VALUES (" . int(rand(50)) . ", 'new', 0)";
		}
		if (defined $m->sql_error($sql, db => 'sbtest'))
		{
			$failed++;
			usleep(200_000);
		}
		else
		{
			$ok++;
		}
	}
	if (open(my $fh, '>', $counts_file))
	{
		print $fh "$ok $failed\n";
		close($fh);
	}
	POSIX::_exit(0);
}

# sysbench in the background, in two halves (MariaDB restarts between)
my $half = int($load_secs / 2);
my @sb_run = (@sysbench, '--threads=4', '--rate=150', "--time=$half", '--report-interval=0', 'run');
my ($sb1_out, $sb1_err, $sb2_out, $sb2_err) = ('', '', '', '');
my $sb = start([@sb_run], '>', \$sb1_out, '2>', \$sb1_err);

# the crashes, at random moments
my %crashes = (reader => 0, replay => 0, launcher => 0, server => 0, mariadb_restart => 0, dump_kill => 0);
my @plan = (qw(reader replay server reader replay launcher server reader replay dump_kill reader replay server));
my $mariadb_restarted = 0;

# the thread id of the reader's binlog dump, seen from MariaDB
sub dump_thread
{
	my $id = eval {
		$m->sql("SELECT id FROM information_schema.processlist WHERE command = 'Binlog Dump' LIMIT 1");
	};
	return (defined $id && $id =~ /^(\d+)$/) ? $1 : undef;
}

# waits (up to $secs) until the reader has a binlog dump open other than $old
sub wait_dump_thread
{
	my ($old, $secs) = @_;
	my $id;
	return poll_until(sub { $id = dump_thread(); defined $id && (!defined $old || $id != $old) },
		timeout => $secs) ? $id : undef;
}

my $phase_switch = time + $half;
for my $n (0 .. $#plan)
{
	my $what = $plan[$n];
	# a random moment, the crashes spread over the load
	my $gap = ($load_end - 8 - time) / (@plan - $n);
	usleep(int(1_000_000 * ($gap > 0.5 ? $gap * (0.3 + rand(1.2)) : 0.3)));

	if (!$mariadb_restarted && time >= $phase_switch - 4)
	{
		finish($sb) or diag("sysbench (first half): $sb1_err");
		$m->restart;
		$crashes{mariadb_restart}++;
		$mariadb_restarted = 1;
		$sb = start([@sb_run], '>', \$sb2_out, '2>', \$sb2_err);
		ok(defined wait_dump_thread(undef, 90), 'the reader reconnects after the MariaDB restart');
	}

	my $killed = '';
	if ($what eq 'reader' || $what eq 'replay')
	{
		my $pid = $r->worker_pid($what);
		$killed = $pid // '';
		ok(defined $pid, "a $what to kill") or next;
		kill('KILL', $pid);
		$crashes{$what}++;
	}
	elsif ($what eq 'launcher')
	{
		# the new launcher stops the old workers and starts new ones at once
		my @old = grep { defined } ($r->worker_pid('reader'), $r->worker_pid('replay'));
		$killed = join(',', @old);
		ok( $node->safe_psql('postgres',
				"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'chameleon launcher'"),
			'the launcher is terminated');
		$crashes{launcher}++;
	}
	elsif ($what eq 'server')
	{
		$node->stop('immediate');
		$node->start;
		$crashes{server}++;
	}
	elsif ($what eq 'dump_kill')
	{
		my $id = wait_dump_thread(undef, 30);
		ok(defined $id, 'the binlog dump of the reader is in the process list') or next;
		$m->sql("KILL $id");
		$crashes{dump_kill}++;
		ok(defined wait_dump_thread($id, 60), 'the reader opens a new binlog dump after KILL');
	}
	# new workers, and the killed ones gone (a pid may show until the
	# postmaster reaps it)
	ok($r->workers_up(except => [ split(/,/, $killed) ]), "after the $what crash: both workers run again");
}
if (!$mariadb_restarted)
{
	finish($sb) or diag("sysbench (first half): $sb1_err");
	$m->restart;
	$crashes{mariadb_restart}++;
	$sb = start([@sb_run], '>', \$sb2_out, '2>', \$sb2_err);
	ok(defined wait_dump_thread(undef, 90), 'the reader reconnects after the MariaDB restart');
}
my $total_crashes = $crashes{reader} + $crashes{replay} + $crashes{launcher} + $crashes{server}
  + $crashes{mariadb_restart} + $crashes{dump_kill};
note(sprintf('crashes: %s (%d in %.0f s of load)',
		join(', ', map { "$_ $crashes{$_}" } sort keys %crashes), $total_crashes, time - ($phase_switch - $half)));
ok($total_crashes >= 10, "at least 10 crashes ($total_crashes)");

ok(finish($sb), 'sysbench (second half) ran to its end') or diag($sb2_err);
waitpid($child, 0);
my ($t_ok, $t_failed) = (0, 0);
if (open(my $fh, '<', $counts_file))
{
	($t_ok, $t_failed) = split(' ', scalar <$fh>);
	close($fh);
}
ok($t_ok > 200, "torture client: $t_ok statements ($t_failed failed while MariaDB restarted)");
my ($tx1) = $sb1_out =~ /transactions:\s+(\d+)/;
my ($tx2) = $sb2_out =~ /transactions:\s+(\d+)/;
note('sysbench transactions: ' . ($tx1 // '?') . ' + ' . ($tx2 // '?'));

my $t_catch = time;
$r->wait_caught_up('wait_caught_up after the load', timeout => '120 s');
note(sprintf('caught up %.1f s after the load ended', time - $t_catch));

# The comparison: per table, the row count and the md5 of the rows in key
# order, each column rendered the same way on both sides, NULL as '~'.
my %render = (
	sbtest => [ [ 'id', 'id' ], [ 'k', 'k' ], [ 'c', 'c' ], [ 'pad', 'pad' ] ],
	keyless => [ [ 'a', 'a' ], [ 'b', 'b' ], [ 'n', 'n' ] ],
	torture => [
		(map { [ $_, $_ ] } qw(id ti siu mi iu bi biu de y dt c vc tx e st)),
		[ 'cast(f AS decimal(20,4))',  'f::numeric(20,4)' ],
		[ 'cast(d AS decimal(30,4))',  'd::numeric(30,4)' ],
		[ "lpad(bin(b8), 8, '0')",     'b8::text' ],
		[ "date_format(dtm, '%Y-%m-%d %H:%i:%s.%f')", "to_char(dtm, 'YYYY-MM-DD HH24:MI:SS.US')" ],
		[ "date_format(ts, '%Y-%m-%d %H:%i:%s.%f')",  "to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')" ],
		[ "time_format(tm, '%H:%i:%s.%f')",           "to_char(tm, 'HH24:MI:SS.US')" ],
		[ 'lower(hex(bn))', "encode(bn, 'hex')" ],
		[ 'lower(hex(vb))', "encode(vb, 'hex')" ],
		[ 'md5(bl)',        'md5(bl)' ],
		[ 'j',              'j::text' ]
	]);
# byte order for the text of the keyless table: collations differ
my %order = (sbtest => 'id', torture => 'id');
my %my_order = (%order, keyless => 'a, n, cast(b AS binary)');
my %pg_order = (%order, keyless => 'a, n, b COLLATE "C"');

sub checksums
{
	my ($kind, $table) = @_;
	my @cols = @{ $render{$kind} };
	my $my_row = 'concat_ws(\'|\', ' . join(', ', map { "coalesce($_->[0], '~')" } @cols) . ')';
	my $pg_row = 'concat_ws(\'|\', ' . join(', ', map { "coalesce(($_->[1])::text, '~')" } @cols) . ')';
	my $my = $m->sql("SET SESSION group_concat_max_len = 1073741824; SET SESSION time_zone = '+00:00';"
		  . " SELECT count(*), coalesce(md5(group_concat($my_row ORDER BY $my_order{$kind} SEPARATOR '\\n')), '')"
		  . " FROM sbtest.$table", db => 'sbtest');
	my $pg = $node->safe_psql('postgres',
		"SELECT count(*), coalesce(md5(string_agg($pg_row, E'\\n' ORDER BY $pg_order{$kind})), '')"
		  . " FROM sbtest.$table");
	return (join('|', split(/\t/, $my)), $pg);
}

# on a mismatch, shows the first rows that differ (by key) on each side
sub diag_differences
{
	my ($kind, $table) = @_;
	my @cols = @{ $render{$kind} };
	my $my_row = 'concat_ws(\'|\', ' . join(', ', map { "coalesce($_->[0], '~')" } @cols) . ')';
	my $pg_row = 'concat_ws(\'|\', ' . join(', ', map { "coalesce(($_->[1])::text, '~')" } @cols) . ')';
	my %my = map { split(/\t/, $_, 2) } split(/\n/, $m->sql("SET SESSION time_zone = '+00:00';"
		  . " SELECT $order{$kind}, md5($my_row) FROM sbtest.$table", db => 'sbtest'));
	my %pg = map { split(/\|/, $_, 2) } split(/\n/, $node->safe_psql('postgres',
		"SELECT $order{$kind}, md5($pg_row) FROM sbtest.$table"));
	my @diff = grep { ($my{$_} // '') ne ($pg{$_} // '') } sort { $a <=> $b } keys %{ { %my, %pg } };
	diag(scalar(@diff) . " rows of $table differ; the first ones:");
	foreach my $k (@diff[ 0 .. ($#diff < 4 ? $#diff : 4) ])
	{
		diag("  MariaDB:    " . $m->sql("SET SESSION time_zone = '+00:00'; SELECT $my_row FROM sbtest.$table WHERE $order{$kind} = $k", db => 'sbtest'));
		diag("  PostgreSQL: " . $node->safe_psql('postgres', "SELECT $pg_row FROM sbtest.$table WHERE $order{$kind} = $k"));
	}
}

my $rows = 0;
foreach my $t (qw(sbtest1 sbtest2 sbtest3 sbtest4 torture keyless))
{
	my $kind = $t =~ /^sbtest/ ? 'sbtest' : $t;
	my ($my, $pg) = checksums($kind, $t);
	is($pg, $my, "$t: same row count and ordered checksum on both sides")
	  or $kind eq 'keyless' or diag_differences($kind, $t);
	$rows += (split(/\|/, $my))[0];
}
note("rows compared: $rows");
foreach my $t (qw(sbtest1 sbtest2 sbtest3 sbtest4 torture))
{
	is($node->safe_psql('postgres', "SELECT count(*) - count(DISTINCT id) FROM sbtest.$t"), '0',
		"$t: no id twice");
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.show_errors'), '0', 'show_errors is empty')
  or diag($node->safe_psql('postgres', 'SELECT error_time, error_message FROM chameleon.show_errors ORDER BY log_id'));
is($node->safe_psql('postgres', 'SELECT status, tables_disabled FROM chameleon.show_status'), 'running|0',
	'the source is running with every table enabled');
ok($node->safe_psql('postgres', 'SELECT replayed_rows FROM chameleon.show_status') > 10_000,
	'replayed_rows counts the load');

$node->safe_psql('postgres', "SELECT chameleon.stop_replica('sb')");
$node->stop('fast');
note(sprintf('total time %.0f s', time - $t_start));
done_testing();
