
# Copyright (c) chameleon developers
#
# chameleon_binlog against a live MariaDB (issue 3, proof 3): streams a
# sysbench workload from a file position and from a GTID, and finds exactly
# the row changes mariadb-binlog finds; a wrong password, a missing binlog
# and a server shutdown mid-stream end with a clear message and a non-zero
# exit, never a hang or a crash.

use strict;
use warnings;

use File::Temp qw(tempdir);
use IPC::Run qw(run start timeout);
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Replica qw(poll_until);

my $cli = $ENV{CHAMELEON_BINLOG} // 'build/chameleon_binlog';
plan skip_all => "chameleon_binlog not built ($cli)" unless -x $cli;
plan skip_all => 'sysbench is not installed'
  unless grep { -x "$_/sysbench" } split /:/, $ENV{PATH};

my $m = ChameleonTest::MariaDB->new(name => 'live');
$m->start;
$m->create_user('repl', 'repl-pw');
$m->create_user('bench', 'bench-pw', all => 1);
$m->sql('CREATE DATABASE sbtest');

my $dir = tempdir(CLEANUP => 1);
my $pwfile = "$dir/password";
open(my $fh, '>', $pwfile) or die "cannot write $pwfile: $!";
print $fh "repl-pw\n";
close $fh;

my ($start_file, $start_pos) = $m->current_position;
my $start_gtid = $m->current_gtid;
ok($start_gtid ne '', "a GTID position exists before the workload ($start_gtid)");

# the workload: 2 tables x 1000 rows, then 10 s of oltp_write_only
my @sysbench = (
	'sysbench', 'oltp_write_only', '--db-driver=mysql',
	'--mysql-host=127.0.0.1', '--mysql-port=' . $m->port,
	'--mysql-user=bench', '--mysql-password=bench-pw',
	'--mysql-db=sbtest', '--tables=2', '--table-size=1000');
my ($sb_out, $sb_err) = ('', '');
ok(run([ @sysbench, 'prepare' ], '>', \$sb_out, '2>', \$sb_err), 'sysbench prepare')
  or diag($sb_err);
ok(run([ @sysbench, '--threads=2', '--time=10', 'run' ], '>', \$sb_out, '2>', \$sb_err),
	'sysbench run') or diag($sb_err);

# the oracle: row changes in sbtest after the start position, per mariadb-binlog
my @binlogs = $m->binlog_files;
my ($oracle, $oerr) = ('', '');
my @files_from_start = grep { $_ ge $m->binlog_dir . "/$start_file" } @binlogs;
run([ 'mariadb-binlog', '--no-defaults', '--base64-output=decode-rows', '-vv',
	  "--start-position=$start_pos", @files_from_start ],
	'>', \$oracle, '2>', \$oerr)
  or die "mariadb-binlog failed: $oerr";
my %expected = (insert => 0, update => 0, delete => 0);
$expected{insert}++ while $oracle =~ /^### INSERT INTO `sbtest`\./mg;
$expected{update}++ while $oracle =~ /^### UPDATE `sbtest`\./mg;
$expected{delete}++ while $oracle =~ /^### DELETE FROM `sbtest`\./mg;
ok($expected{insert} >= 2000, "the oracle sees the prepared rows ($expected{insert} inserts)");
ok($expected{update} > 0 && $expected{delete} > 0,
	"the oracle sees updates ($expected{update}) and deletes ($expected{delete})");

# Runs the CLI with the given start options; returns (ok, counts, stdout, stderr).
sub stream
{
	my (@start) = @_;
	my ($out, $err) = ('', '');
	my $ok = run(
		[
			$cli, '--host', '127.0.0.1', '--port', $m->port,
			'--user', 'repl', '--password-file', $pwfile, @start
		],
		'>', \$out, '2>', \$err, timeout(300));
	my %count = (insert => 0, update => 0, delete => 0);
	foreach my $line (split /\n/, $out)
	{
		next unless $line =~ /"op":\s*"(insert|update|delete)"/;
		my $op = $1;
		$count{$op}++ if $line =~ /"schema":\s*"sbtest"/;
	}
	return ($ok, \%count, $out, $err);
}

my ($ok, $count, $out, $err) = stream('--start', "$start_file:$start_pos");
ok($ok, 'streaming from a file position ends cleanly at the end of the binlog')
  or diag($err);
is_deeply($count, \%expected, 'from a position: every row change, none twice');
unlike($out . $err, qr/repl-pw/, 'the password is never printed');

($ok, $count, undef, $err) = stream('--start-gtid', $start_gtid);
ok($ok, 'streaming from a GTID ends cleanly') or diag($err);
is_deeply($count, \%expected, 'from a GTID: the same row changes');

# a wrong password
open($fh, '>', "$dir/wrong") or die;
print $fh "not-the-password\n";
close $fh;
my ($wout, $werr) = ('', '');
my $wok = run(
	[
		$cli, '--host', '127.0.0.1', '--port', $m->port,
		'--user', 'repl', '--password-file', "$dir/wrong",
		'--start', "$start_file:$start_pos"
	],
	'>', \$wout, '2>', \$werr, timeout(60));
ok(!$wok, 'a wrong password fails');
like($werr, qr/Access denied/i, 'with the server\'s message');
unlike($werr, qr/not-the-password/, 'without printing the password');

# a binlog that does not exist: the server's error 1236, verbatim
($ok, undef, undef, $err) = stream('--start', 'no-such-binlog.000042:4');
ok(!$ok, 'a missing binlog fails');
like($err, qr/1236|Could not find first log file/i, 'with the server\'s error');

# following the stream while the server shuts down: a clear error, exit 1
{
my ($fout, $ferr) = ('', '');
local $ENV{CHAMELEON_BINLOG_FOLLOW} = '1';
my $h = start(
	[
		$cli, '--host', '127.0.0.1', '--port', $m->port,
		'--user', 'repl', '--password-file', $pwfile,
		'--start', "$start_file:$start_pos"
	],
	'>', \$fout, '2>', \$ferr, timeout(120));
poll_until(sub { $h->pump_nb; ($fout =~ tr/\n//) > 1000 }, timeout => 60);
ok(($fout =~ tr/\n//) > 1000, 'the follower is streaming');
$m->stop;
my $finished = eval { $h->finish; 1 };
ok($finished, 'the follower ends by itself when the server goes away (no hang)');
isnt($h->result(0), 0, 'with a non-zero exit status');
like($ferr, qr/lost connection|gone away|shutdown|connection/i,
	'and a message about the connection') or diag($ferr);
ok(($h->full_result(0) & 127) == 0, 'it was not killed by a signal (no crash)');
}

$m->start;
($ok, $count) = stream('--start', "$start_file:$start_pos");
ok($ok, 'after the restart the same position streams again');
is($count->{insert}, $expected{insert}, 'with the same inserts');

done_testing();
