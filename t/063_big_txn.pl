
# Copyright (c) chameleon developers
#
# A big transaction (issue 6, proof 5): one MySQL transaction of 2,000,000
# rows (INSERT ... SELECT from seq_1_to_2000000 into a small table)
# replicates completely (same count and checksum) while the reader's and
# the replay worker's memory stay bounded: their VmHWM (peak RSS, kept by
# the kernel) and VmRSS are read from /proc/<pid>/status while it runs,
# the peaks are printed and must stay under 200 MB each (SPEC section 7).
# VmHWM counts the shared buffers a worker touched (up to shared_buffers,
# 128 MB here) as well as its private memory (RssAnon, sampled).

use strict;
use warnings;

use POSIX qw(WNOHANG);
use Time::HiRes qw(time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

my $ROWS = 2_000_000;
my $LIMIT_KB = 200 * 1024;

my $m = ChameleonTest::MariaDB->new(name => 'big');
$m->start;
$m->sql(<<'SQL');
CREATE DATABASE big;
USE big;
CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, s varchar(40));
INSERT INTO t SELECT seq, seq, concat('small ', seq) FROM seq_1_to_10;
SQL

my $node = chameleon_node('big', database => 'postgres', create_extension => 1,
	naptime => 1, conf => ['max_worker_processes = 16', 'log_statement = none']);
my $r = ChameleonTest::Replica->new($node, $m, 'big', schema_mappings => { big => 'big' }, init => 1);
$r->start_replica(name => 'the reader and the replay run');
$r->wait_caught_up('caught up before the big transaction');

# the memory of a worker: peak (VmHWM) and current (VmRSS) in kB, per pid
my %peak = (reader => 0, replay => 0);
my %rss = (reader => 0, replay => 0);
my %anon = (reader => 0, replay => 0);
my %pids = (reader => {}, replay => {});
sub sample
{
	foreach my $w (qw(reader replay))
	{
		my $pid = $r->worker_pid($w);
		next unless $pid;
		$pids{$w}{$pid} = 1;
		open(my $fh, '<', "/proc/$pid/status") or next;
		while (my $line = <$fh>)
		{
			$peak{$w} = $1 if $line =~ /^VmHWM:\s+(\d+)/ && $1 > $peak{$w};
			$rss{$w} = $1 if $line =~ /^VmRSS:\s+(\d+)/ && $1 > $rss{$w};
			$anon{$w} = $1 if $line =~ /^RssAnon:\s+(\d+)/ && $1 > $anon{$w};
		}
		close $fh;
	}
}
sample();
diag(sprintf('before: reader VmHWM %d kB, replay VmHWM %d kB', $peak{reader}, $peak{replay}));

# one transaction of 2,000,000 rows, in the background
my $t0 = time;
my $client = fork;
die "fork: $!" unless defined $client;
if ($client == 0)
{
	no warnings 'exec';
	exec('mariadb', '--no-defaults', '--socket=' . $m->socket, '-uroot', 'big', '-e',
		"START TRANSACTION; INSERT INTO t SELECT 100 + seq, seq % 1000, concat('row ', seq) FROM seq_1_to_$ROWS; COMMIT;");
	POSIX::_exit(127);
}
# sampling the workers' memory until MariaDB has committed and the replica
# caught up (wait_caught_up waits up to 1 s itself)
my $mysql_done;
my $caught_up = poll_until(
	sub {
		sample();
		if (!$mysql_done && waitpid($client, WNOHANG) == $client)
		{
			is($? >> 8, 0, 'MariaDB committed the transaction');
			$mysql_done = time;
			diag(sprintf('MariaDB: %.1f s', $mysql_done - $t0));
		}
		return $mysql_done && $r->caught_up('1 s');
	},
	timeout => 300, interval => 0.5, name => 'the big transaction replicated');
my $t1 = time;
sample();
ok($caught_up, 'wait_caught_up returns true after the big transaction');
diag(sprintf('replicated in %.1f s after the MariaDB commit (%.0f rows/s), %.1f s in all',
		$t1 - $mysql_done, $ROWS / ($t1 - $mysql_done), $t1 - $t0)) if $mysql_done;

# the same rows: count, sums and a per-row hash summed
$r->same_result(
	"SELECT count(*), sum(id), sum(v), sum(('x' || substr(md5(concat_ws(':', id, v, s)), 1, 8))::bit(32)::bigint) FROM big.t",
	"SELECT count(*), sum(id), sum(v), sum(cast(conv(substr(md5(concat_ws(':', id, v, s)), 1, 8), 16, 10) AS unsigned)) FROM t",
	'the 2,000,000 rows arrived: same count and checksum', db => 'big');
is($node->safe_psql('postgres', 'SELECT replayed_rows >= ' . $ROWS . ' FROM chameleon.show_status'),
	't', 'replayed_rows counts them');
is($node->safe_psql('postgres', 'SELECT count(*) FROM chameleon.show_errors'), '0', 'no error');

diag(sprintf('peak RSS: reader VmHWM %d kB (sampled: VmRSS %d kB, RssAnon %d kB), replay VmHWM %d kB (sampled: VmRSS %d kB, RssAnon %d kB); pids: reader %s, replay %s',
		$peak{reader}, $rss{reader}, $anon{reader}, $peak{replay}, $rss{replay}, $anon{replay},
		join(',', sort keys %{ $pids{reader} }), join(',', sort keys %{ $pids{replay} })));
is(scalar(keys %{ $pids{reader} }), 1, 'the reader never restarted');
is(scalar(keys %{ $pids{replay} }), 1, 'the replay worker never restarted');
cmp_ok($peak{reader}, '<', $LIMIT_KB, 'reader peak RSS under 200 MB');
cmp_ok($peak{replay}, '<', $LIMIT_KB, 'replay peak RSS under 200 MB');

$node->safe_psql('postgres', "SELECT chameleon.stop_replica('big')");
$node->stop('fast');
done_testing();
