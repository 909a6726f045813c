
# Copyright (c) chameleon developers

# Sanity test of the MariaDB test harness: a throwaway server starts, takes
# writes, logs them as ROW events in its binlog, restarts, and stops.

use strict;
use warnings;

use ChameleonTest::MariaDB;
use IPC::Run;
use Test::More;

my $m = ChameleonTest::MariaDB->new(name => 'harness', server_id => 42);
$m->start;

ok($m->port > 0, 'server has a TCP port');
like($m->sql('SELECT @@port'), qr/^\d+$/, 'server answers');
is($m->sql('SELECT @@port'), $m->port, 'server listens on the port we chose');
is($m->sql('SELECT @@bind_address'), '127.0.0.1', 'server listens on loopback only');
is($m->sql('SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@binlog_row_metadata, @@server_id'),
	"1\tROW\tFULL\tFULL\t42", 'binlog settings are in force');

$m->sql(q{CREATE DATABASE harness;
CREATE TABLE harness.t (id int PRIMARY KEY, v varchar(20));
INSERT INTO harness.t VALUES (1, 'one'), (2, 'two');
UPDATE harness.t SET v = 'deux' WHERE id = 2;
DELETE FROM harness.t WHERE id = 1;});
is($m->sql('SELECT id, v FROM t ORDER BY id', db => 'harness'), "2\tdeux",
	'table holds the expected row');

# Errors surface the server's message.
like($m->sql_error('SELECT * FROM harness.nosuch'), qr/doesn't exist/,
	'sql_error returns the server message');
eval { $m->sql('SELEKT 1') };
like($@, qr/You have an error in your SQL syntax/, 'sql dies with the message');

# A replication user logs in over TCP (anonymous users removed first).
$m->create_user('repl', 'pw;"\'x');
is($m->sql('SELECT current_user()', user => 'repl', password => 'pw;"\'x'),
	'repl@%', 'replication user logs in over TCP');
like($m->sql_error('SELECT 1', user => 'repl', password => 'wrong'),
	qr/Access denied/, 'wrong password is refused');

my ($file, $pos) = $m->current_position;
like($file, qr/^mysql-bin\.\d+$/, "current binlog file $file");
ok($pos > 4, "current position $pos");
like($m->current_gtid, qr/^0-42-\d+$/, 'GTID position uses server id 42');

my @files = $m->binlog_files;
ok(@files >= 1 && -f $files[-1], 'binlog files exist');
is((split m{/}, $files[-1])[-1], $file, 'last binlog file is the current one');

# Decode the binlog with mariadb-binlog: the changes must be ROW events.
my ($out, $err) = ('', '');
IPC::Run::run([ 'mariadb-binlog', '--no-defaults', '--base64-output=decode-rows', '-vv', @files ],
	'>', \$out, '2>', \$err)
  or die "mariadb-binlog failed: $err";
like($out, qr/Write_rows(?:_v1)?: table id \d+ flags: STMT_END_F/, 'binlog has a Write_rows event');
like($out, qr/Update_rows(?:_v1)?: table id/, 'binlog has an Update_rows event');
like($out, qr/Delete_rows(?:_v1)?: table id/, 'binlog has a Delete_rows event');
like($out, qr/### INSERT INTO `harness`\.`t`\n### SET\n###   \@1=2 \/\* INT meta=0 nullable=0 is_null=0 \*\/\n###   \@2='two'/,
	'row values are in the binlog');
unlike($out, qr/^INSERT INTO harness\.t VALUES/mi, "no statement-based INSERT (only the #Q> annotation)");

# Restart keeps the port and the data; a crash and a start work too.
my $port = $m->port;
$m->restart;
is($m->port, $port, 'restart keeps the port');
is($m->sql('SELECT count(*) FROM harness.t'), '1', 'data survives a restart');
my $oldpid = $m->pid;
$m->kill9;
ok(!kill(0, $oldpid), 'kill9 killed the server');
$m->start;
is($m->sql('SELECT v FROM harness.t'), 'deux', 'data survives a crash');

my $pid = $m->pid;
my $base = $m->basedir;
$m->stop;
ok(!kill(0, $pid), 'stop stopped the server');
ok(!$m->is_running, 'is_running is false after stop');

# A second server in the same script gets its own port and options.
my $m2 = ChameleonTest::MariaDB->new(
	name                => 'harness2',
	binlog_row_image    => 'MINIMAL',
	binlog_row_metadata => 'NO_LOG',
	log_bin_compress    => 1,
	extra               => ['max_binlog_size = 1M']);
$m2->start;
isnt($m2->port, $port, 'second server has another port');
is($m2->sql('SELECT @@binlog_row_image, @@binlog_row_metadata, @@log_bin_compress, @@max_binlog_size'),
	"MINIMAL\tNO_LOG\t1\t1048576", 'options reach the second server');
my $pid2 = $m2->pid;
undef $m2;    # DESTROY stops it
ok(!kill(0, $pid2), 'destroying the object stops the server');

done_testing();
