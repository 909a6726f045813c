
# Copyright (c) chameleon developers
#
# Hostile servers (ChameleonTest::FakeServers):
#  - a MySQL server that asks for the password in clear text
#    (mysql_clear_password, dialog) never receives it: not from the copy
#    (init_replica), the reader (start_replica) nor wait_caught_up; a
#    server that asks for a LOAD DATA LOCAL INFILE gets no file; libmariadb
#    reads no ~/.my.cnf and takes no MYSQL_PWD from the server's
#    environment.  Each has a control: the mariadb command-line client,
#    which does all of these, shows that the fake server would see it;
#  - a MySQL server that accepts and never answers, and a real one whose
#    connection freezes in the middle (a proxy): the copy job, a copy
#    worker, the reader and wait_caught_up are stopped within seconds by
#    pg_terminate_backend, stop_replica or a statement timeout;
#  - a PostgreSQL server (a pgsql source) whose catalogue answers carry SQL
#    in type names, names, defaults and index descriptions: nothing of it
#    is executed (a victim table survives), a type that does not exist
#    here is an error naming the table and column, defaults that are not
#    constants and expression indexes are left out with a WARNING.

use strict;
use warnings;

use IPC::Run qw(run timeout);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use ChameleonTest::FakeServers qw(fake_mysql mysql_proxy fake_pg slurp);
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

my $t_start = time;
my $dir = PostgreSQL::Test::Utils::tempdir;
my $PW = 'Pw-never-sent-7f3a';

# what libmariadb must not read: an option file in the server's HOME and
# a password in its environment
my $home = "$dir/home";
mkdir $home or die "mkdir $home: $!";
open(my $cnf, '>', "$home/.my.cnf") or die "$home/.my.cnf: $!";
print $cnf "[client]\ninit-command=SET \@read_from_my_cnf = 1\n";
close($cnf);
my $node;
{
	local $ENV{HOME} = $home;
	local $ENV{MYSQL_PWD} = 'Env-pw-marker';
	$node = chameleon_node('fakes', create_extension => 1,
		conf => [ 'max_worker_processes = 16', "log_min_messages = warning" ]);
}
$node->safe_psql('postgres', 'CREATE TABLE public.victim (id int); INSERT INTO victim VALUES (1)');

my $m = ChameleonTest::MariaDB->new(name => 'fakes');
$m->start;
$m->sql(<<'SQL');
CREATE DATABASE app;
CREATE TABLE app.small (id int PRIMARY KEY, v varchar(20));
INSERT INTO app.small VALUES (1, 'one'), (2, 'two');
CREATE TABLE app.big (id int PRIMARY KEY, v varchar(20));
USE app;
INSERT INTO app.big SELECT seq, 'x' FROM seq_1_to_200;
SQL

sub psql1 { return $node->safe_psql('postgres', $_[0]); }

# Runs SQL; returns (rc, stderr).
sub try_sql
{
	my ($sql) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', $sql);
	return ($rc, $err);
}

# Adds a source reading from a fake server on $port.
sub add_fake_source
{
	my ($name, $port, %o) = @_;
	my $pw = exists $o{password} ? $o{password} : $PW;
	my $conn = "host: 127.0.0.1, port: $port, user: repl"
	  . (defined $pw ? ", password: '$pw'" : '') . ($o{conn} // '');
	psql1("SELECT chameleon.add_source('$name', \$\$db_conn: {$conn}\nschema_mappings: {app: ${name}_app}\n"
		  . ($o{config} // '') . "\$\$)");
}

# Runs the mariadb client against a fake server; the bytes it sent are in the log.
sub mariadb_client
{
	my ($port, @opts) = @_;
	my ($out, $err) = ('', '');
	eval {
		run([ 'mariadb', @opts, '-h', '127.0.0.1', '-P', $port, '-u', 'repl',
				'-e', 'SELECT 1' ], '>', \$out, '2>', \$err, timeout(20));
	};
	return $err;
}

# Seconds until none of the pids is a backend any more (or undef).
sub seconds_until_gone
{
	my ($t0, @pids) = @_;
	my $list = join(', ', @pids);
	return undef unless poll_until(
		sub { psql1("SELECT count(*) FROM pg_stat_activity WHERE pid IN ($list)") eq '0' },
		timeout => 30);
	return time - $t0;
}

# ---------------------------------------------------------------- clear text
my $clear = fake_mysql(mode => 'clear', log => "$dir/clear.log");
my $dialog = fake_mysql(mode => 'dialog', log => "$dir/dialog.log");

# control: a client that allows clear-text authentication sends it
mariadb_client($clear->{port}, '--no-defaults', "--password=$PW");
like(slurp("$dir/clear.log"), qr/\Q$PW\E/,
	'control: the mariadb client hands the password to a server asking for mysql_clear_password');
unlink "$dir/clear.log";

add_fake_source('clr', $clear->{port});
my ($rc, $err) = try_sql("SELECT chameleon.init_replica('clr', wait => true)");
isnt($rc, 0, 'init_replica against a server asking for a clear-text password fails');
like($err, qr/clr.*not allowed|not allowed.*clr|restricted/is, 'the error says the authentication method is not allowed')
  or diag($err);
like(slurp("$dir/clear.log"), qr/#EVENT asked for clear/, 'the copy reached the clear-text request');
unlike(slurp("$dir/clear.log"), qr/\Q$PW\E/, 'the copy did not send the password');

add_fake_source('dlg', $dialog->{port});
($rc, $err) = try_sql("SELECT chameleon.init_replica('dlg', wait => true)");
isnt($rc, 0, 'init_replica against a server asking for the dialog plugin fails');
like(slurp("$dir/dialog.log"), qr/#EVENT asked for dialog/, 'the copy reached the dialog request');
unlike(slurp("$dir/dialog.log"), qr/\Q$PW\E/, 'the copy did not answer the dialog with the password');

# a source that really replicates, then pointed at the fake server
my $real = ChameleonTest::Replica->new($node, $m, 'real',
	schema_mappings => { app => 'app' }, password => $PW,
	config => ['on_error_read: continue'], init => 1);
psql1("SELECT chameleon.alter_source('real', 'db_conn: {port: $clear->{port}, password: ''$PW''}')");
unlink "$dir/clear.log";
psql1("SELECT chameleon.start_replica('real')");
ok(poll_until(sub { slurp("$dir/clear.log") =~ /#EVENT asked for clear/ }, timeout => 60),
	'the reader reached the clear-text request');
($rc, $err) = try_sql("SELECT chameleon.wait_caught_up('real', '1 s')");
isnt($rc, 0, 'wait_caught_up against the server asking for a clear-text password fails');
my $asked = () = slurp("$dir/clear.log") =~ /#EVENT asked for clear/g;
cmp_ok($asked, '>=', 2, 'the reader and wait_caught_up both reached the clear-text request');
unlike(slurp("$dir/clear.log"), qr/\Q$PW\E/, 'neither the reader nor wait_caught_up sent the password');
psql1("SELECT chameleon.stop_replica('real')");
ok($real->workers_down, 'the reader stops');

# ------------------------------------------- option files, MYSQL_PWD, infile
my $native = fake_mysql(mode => 'native', log => "$dir/native.log",
	passwords => [ 'Env-pw-marker', $PW ]);
# controls: the client reads ~/.my.cnf and takes MYSQL_PWD
{
	local $ENV{HOME} = $home;
	local $ENV{MYSQL_PWD} = 'Env-pw-marker';
	mariadb_client($native->{port});
}
like(slurp("$dir/native.log"), qr/read_from_my_cnf/, 'control: the mariadb client runs the init-command of ~/.my.cnf');
like(slurp("$dir/native.log"), qr/#MATCH Env-pw-marker/, 'control: the mariadb client sends MYSQL_PWD');
unlink "$dir/native.log";
add_fake_source('nopw', $native->{port}, password => undef);
try_sql("SELECT chameleon.init_replica('nopw', wait => true)");
like(slurp("$dir/native.log"), qr/#EMPTY/, 'a source without a password logs in without one');
unlike(slurp("$dir/native.log"), qr/#MATCH/, 'not with MYSQL_PWD of the server\'s environment');
unlike(slurp("$dir/native.log"), qr/read_from_my_cnf/, 'no option file is read');

open(my $secret, '>', "$dir/server_file.txt") or die;
print $secret "FILE-CONTENT-MARKER\n";
close($secret);
my $infile = fake_mysql(mode => 'infile', file => "$dir/server_file.txt", log => "$dir/infile.log");
mariadb_client($infile->{port}, '--no-defaults', '--local-infile=1', "--password=x");
like(slurp("$dir/infile.log"), qr/FILE-CONTENT-MARKER/, 'control: a client allowing LOCAL INFILE sends the file');
unlink "$dir/infile.log";
add_fake_source('inf', $infile->{port});
try_sql("SELECT chameleon.init_replica('inf', wait => true)");
like(slurp("$dir/infile.log"), qr/#EVENT infile answered/, 'the copy got the LOAD DATA LOCAL INFILE request');
unlike(slurp("$dir/infile.log"), qr/FILE-CONTENT-MARKER/, 'and sent no file');
my ($flags) = slurp("$dir/infile.log") =~ /#EVENT client flags ([0-9a-f]+)/;
ok(defined $flags && !(hex($flags) & 0x80), 'the copy does not announce CLIENT_LOCAL_FILES');

# ---------------------------------------------------------------- hangs
my $hang = fake_mysql(mode => 'hang', log => "$dir/hang.log");

# the copy job, connecting to a server that never says a word
add_fake_source('hng', $hang->{port});
psql1("SELECT chameleon.init_replica('hng')");
ok(poll_until(sub { slurp("$dir/hang.log") =~ /#EVENT hanging/ }, timeout => 30),
	'the copy job connected to the silent server');
my $job = psql1("SELECT pid FROM pg_stat_activity WHERE backend_type = 'chameleon init hng'");
like($job, qr/^\d+$/, 'the copy job runs');
my $t0 = time;
psql1("SELECT pg_terminate_backend($job)");
my $took = seconds_until_gone($t0, $job);
ok(defined $took && $took < 5, sprintf('pg_terminate_backend stops the copy job within seconds (%.1f s)', $took // -1));

# a copy worker whose server freezes after the snapshot, before the rows
my $proxy = mysql_proxy(port => $m->port, freeze => qr/FROM `app`.`big`/, log => "$dir/proxy.log");
add_fake_source('frz', $proxy->{port});
psql1("SELECT chameleon.init_replica('frz')");
ok(poll_until(sub { slurp("$dir/proxy.log") =~ /#EVENT frozen/ }, timeout => 60),
	'a copy worker asked for the rows and the server froze');
# the other tables are copied by then: one process is left in the rows of
# app.big.  It is the job or one of its helpers, whichever took app.big
# first; when a helper did, the job waits for it (BgWorkerShutdown).
my $copying = "FROM pg_stat_activity WHERE backend_type = 'chameleon init frz'"
  . " AND wait_event IS DISTINCT FROM 'BgWorkerShutdown'";
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 $copying"
		  . " AND NOT EXISTS (SELECT FROM chameleon.init_progress"
		  . "  WHERE source_name = 'frz' AND table_name <> 'big' AND state <> 'swapping')"),
	'one process is left copying');
is(psql1("SELECT state FROM chameleon.init_progress WHERE source_name = 'frz' AND table_name = 'big'"),
	'copying', 'it is copying app.big');
my $worker = psql1("SELECT pid $copying");
$t0 = time;
psql1("SELECT pg_terminate_backend($worker)");
$took = seconds_until_gone($t0, $worker);
ok(defined $took && $took < 5, sprintf('pg_terminate_backend stops the copy worker within seconds (%.1f s)', $took // -1));
psql1("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'chameleon init frz'");

# the reader, connecting to the silent server
my $hung_before = () = slurp("$dir/hang.log") =~ /#EVENT hanging/g;
psql1("SELECT chameleon.enable_replica('real')") if $real->status eq 'error';
psql1("SELECT chameleon.alter_source('real', 'db_conn: {port: $hang->{port}, password: ''$PW''}')");
psql1("SELECT chameleon.start_replica('real')");
ok(poll_until(sub { (() = slurp("$dir/hang.log") =~ /#EVENT hanging/g) > $hung_before }, timeout => 60),
	'the reader connected to the silent server');
# wait_caught_up asks the silent server too: a statement timeout ends it
$t0 = time;
($rc, $err) = try_sql("SET statement_timeout = '1s'; SELECT chameleon.wait_caught_up('real', '1 min')");
$took = time - $t0;
like($err, qr/statement timeout/, 'wait_caught_up waiting for a silent server is cancelled by statement_timeout');
ok($took < 5, sprintf('within seconds (%.1f s)', $took));
my $reader = $real->worker_pid('reader');
$t0 = time;
psql1("SELECT chameleon.stop_replica('real')");
$took = seconds_until_gone($t0, grep { defined } $reader);
ok(defined $took && $took < 5, sprintf('stop_replica stops a reader connecting to a silent server within seconds (%.1f s)', $took // -1));

# the reader once the dump was asked for: reads are bounded (heartbeats)
my $dump_proxy = mysql_proxy(port => $m->port, freeze => qr/\x12.{10}mysql-bin\.\d+/s, log => "$dir/dump.log");
psql1("SELECT chameleon.alter_source('real', 'db_conn: {port: $dump_proxy->{port}, password: ''$PW''}')");
psql1("SELECT chameleon.start_replica('real')");
ok(poll_until(sub { slurp("$dir/dump.log") =~ /#EVENT frozen/ }, timeout => 60),
	'the reader asked for the binlog and the server froze');
$reader = $real->worker_pid('reader');
$t0 = time;
psql1("SELECT chameleon.stop_replica('real')");
$took = seconds_until_gone($t0, grep { defined } $reader);
ok(defined $took && $took < 10, sprintf('stop_replica stops a reader waiting for events within seconds (%.1f s)', $took // -1));

# ---------------------------------------------------------------- pgsql
# Runs init_replica of a pgsql source on a fake PostgreSQL server.
sub fake_pgsql_copy
{
	my ($name, $scenario, $ssl_mode) = @_;
	my $pg = fake_pg(scenario => $scenario, log => "$dir/$name.log");
	psql1("SELECT chameleon.add_source('$name', \$\$type: pgsql\ndb_conn: {host: 127.0.0.1, port: $pg->{port}, user: u, database: d, ssl_mode: "
		  . ($ssl_mode // 'disabled') . "}\nschema_mappings: {public: $name}\n\$\$)");
	my @r = try_sql("SELECT chameleon.init_replica('$name', wait => true)");
	$pg->stop;
	return @r;
}

my @int4 = ('pg_catalog', 'int4', '-1');
my %plain = (columns => [ [ '1', 'id', @int4, 'f', '', undef ] ], indexes => [], keys => [], copy => ['1']);

# ssl_mode is libpq's sslmode: required insists on TLS, disabled never asks
my $ssl_request = pack('NN', 8, 80877103);
($rc, $err) = fake_pgsql_copy('pgtls', \%plain, 'required');
like($err, qr/SSL/, 'ssl_mode required: a server without TLS is refused') or diag($err);
like(slurp("$dir/pgtls.log"), qr/\Q$ssl_request\E/, 'after asking for TLS');
($rc, $err) = fake_pgsql_copy('pgnotls', \%plain, 'disabled');
is($rc, 0, 'ssl_mode disabled: the copy from a server without TLS works') or diag($err);
unlike(slurp("$dir/pgnotls.log"), qr/\Q$ssl_request\E/, 'without asking for TLS');

# a server that never answers the COPY: the copy is stopped at once
my $pghang = fake_pg(scenario => \%plain, log => "$dir/pghang.log", hang_on => qr/^COPY/);
psql1("SELECT chameleon.add_source('pghang', \$\$type: pgsql\ndb_conn: {host: 127.0.0.1, port: $pghang->{port}, user: u, database: d}\nschema_mappings: {public: pghang}\n\$\$)");
psql1("SELECT chameleon.init_replica('pghang')");
ok(poll_until(sub { slurp("$dir/pghang.log") =~ /#EVENT hanging/ }, timeout => 60),
	'the pgsql copy asked for the rows and the server froze');
$job = psql1("SELECT pid FROM pg_stat_activity WHERE backend_type = 'chameleon init pghang'");
$t0 = time;
psql1("SELECT pg_terminate_backend($job)");
$took = seconds_until_gone($t0, $job);
ok(defined $took && $took < 5, sprintf('pg_terminate_backend stops the pgsql copy within seconds (%.1f s)', $took // -1));
$pghang->stop;
my $log_pos = -s $node->logfile;

# a type name that is SQL
($rc, $err) = fake_pgsql_copy('pgtype', {
	columns => [ [ '1', 'id', 'pg_catalog', 'integer; DROP TABLE public.victim; --', '-1', 'f', '', undef ] ],
	indexes => [], keys => [], copy => ['1'] });
isnt($rc, 0, 'a column type that does not exist here fails the copy');
like($err, qr/type .*integer; DROP TABLE public\.victim.* of column "id" of table "public\.t"/,
	'the error names the type, the column and the table') or diag($err);
is(psql1("SELECT count(*) FROM public.victim"), '1', 'the victim table survives a type name made of SQL');

# names, defaults and indexes made of SQL
my $evil_table = 't"; DROP TABLE public.victim; --';
($rc, $err) = fake_pgsql_copy('pgddl', {
	table => $evil_table,
	columns => [
		[ '1', 'id', @int4, 'f', '', '0); DROP TABLE public.victim; --' ],
		[ '2', 'c"; DROP TABLE public.victim; --', 'pg_catalog', 'text', '-1', 'f', '', q{'ok'::text} ],
		[ '3', 'n', @int4, 'f', '', q{nextval('public.victim_seq'::regclass)} ],
		[ '4', 'v', 'pg_catalog', 'varchar', '14', 't', '', q{'it''s'::character varying} ],
		[ '5', 'e', @int4, 'f', '', q{(SELECT count(*) FROM public.victim)} ],
	],
	indexes => [
		[ '100', 'pk', 't', 't', 'btree', '1', 'f', 'f', 'p' ],
		[ '101', 'i"; DROP TABLE public.victim; --', 'f', 'f', 'btree', '1', 'f', 'f', '' ],
		[ '102', 'expr', 'f', 'f', 'btree', '1', 't', 'f', '' ],
		[ '103', 'part', 'f', 'f', 'btree', '1', 'f', 't', '' ],
		[ '104', 'am', 'f', 'f', 'btree; DROP TABLE public.victim', '1', 'f', 'f', '' ],
	],
	keys => [
		[ '100', '1', '1', '0', 't', 'pg_catalog', 'int4_ops' ],
		[ '101', '1', '4', '1', 't', 'pg_catalog', 'text_ops' ],
		[ '102', '1', '0', '0', 't', 'pg_catalog', 'int4_ops' ],
		[ '103', '1', '1', '0', 't', 'pg_catalog', 'int4_ops' ],
		[ '104', '1', '1', '0', 't', 'pg_catalog', 'int4_ops' ],
	],
	copy => [ "1\tx\t5\tv1\t7", "2\t\\N\t6\tv2\t8" ] });
is($rc, 0, 'init_replica of the source with SQL in its names, defaults and indexes succeeds') or diag($err);
is(psql1("SELECT count(*) FROM public.victim"), '1', 'the victim table survives');
my $qt = psql1("SELECT quote_ident('$evil_table' )") =~ s/'/''/gr;
is(psql1("SELECT count(*) FROM pgddl.$qt"), '2', 'the rows are copied into the table of that name')
  if $rc == 0;
is( psql1("SELECT string_agg(a.attname || '=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-'), ', ' ORDER BY a.attnum)"
		  . " FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
		  . " WHERE a.attrelid = (SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'pgddl'::regnamespace AND c.relkind = 'r')"
		  . " AND a.attnum > 0"),
	qq{id=-, c"; DROP TABLE public.victim; --='ok'::text, n=-, v='it''s'::character varying, e=-},
	'only the constant defaults are kept, re-printed here');
is( psql1("SELECT string_agg(c.relname || ':' || pg_get_indexdef(i.indexrelid) , E'\\n' ORDER BY c.relname)"
		  . " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
		  . " WHERE c.relnamespace = 'pgddl'::regnamespace"),
	qq{i"; DROP TABLE public.victim; --:CREATE INDEX "i""; DROP TABLE public.victim; --" ON pgddl."t""; DROP TABLE public.victim; --" USING btree (v DESC NULLS LAST)\n}
	  . qq{pk:CREATE UNIQUE INDEX pk ON pgddl."t""; DROP TABLE public.victim; --" USING btree (id)},
	'the key and the plain index are rebuilt from column numbers; the others are not');
my $log = slurp($node->logfile);
$log = substr($log, $log_pos);
like($log, qr/WARNING:  the default of column "id" of table "public\.t"; DROP TABLE public\.victim; --" of source "pgddl" is not copied/,
	'a WARNING names the table and the column of a default that is not a constant');
like($log, qr/WARNING:  the default of column "n" of table .* is not copied\n.*not a constant/,
	'nextval() is not a constant');
like($log, qr/WARNING:  index "expr" of table .* is not copied\n.*expressions/, 'a WARNING names the expression index');
like($log, qr/WARNING:  index "part" of table .* is not copied/, 'and the partial index');
like($log, qr/WARNING:  index "am" of table .* is not copied\n.*access method/, 'and the index of an unknown access method');

$node->stop;
$m->stop;
note(sprintf('091_fake_servers ran in %.0f s', time - $t_start));
done_testing();
