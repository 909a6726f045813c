
# Copyright (c) chameleon developers
#
# Secrets and the owner's rights (SPEC section 3):
#  - with log_statement = all, log_min_duration_statement = 0,
#    log_min_error_statement = error and bind parameters logged, the server
#    log holds no password after add_source, alter_source and load_config
#    calls that succeed and that fail, by the simple and the extended
#    protocol (pgbench -M extended / prepared binds the configuration as a
#    parameter); nor do chameleon.sources, show_status, show_errors, the
#    NOTIFY payloads (which carry no row values either) and pg_dump
#    --data-only of the extension's tables;
#  - a new port forgets the password: the next connection has none;
#  - db_conn.password_file works for a superuser owner and is refused,
#    when set and again at connect time, for an owner that is not one;
#  - a pgsql source of an owner that is not a superuser needs a password
#    the server asks for: pointed at this server's own socket as the
#    superuser, it copies nothing (the attack of reading
#    chameleon.source_secret that way is refused by the configuration
#    check already).

use strict;
use warnings;

use IPC::Run qw(run);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use ChameleonTest::FakeServers qw(mysql_proxy slurp);
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

my $t_start = time;
my $dir = PostgreSQL::Test::Utils::tempdir;
my $PW = 'Pw-secret-5c1e';
my $PW2 = 'Pw-other-9b7d';

my $node = chameleon_node('security', create_extension => 1,
	conf => [
		'max_worker_processes = 16', "timezone = 'UTC'",
		"log_statement = 'all'", 'log_min_duration_statement = 0',
		'log_min_error_statement = error', 'log_parameter_max_length = -1',
		'log_parameter_max_length_on_error = -1'
	]);
my $m = ChameleonTest::MariaDB->new(name => 'security');
$m->start;
$m->sql(<<'SQL');
CREATE DATABASE app;
CREATE TABLE app.t (id int PRIMARY KEY, v varchar(40));
INSERT INTO app.t VALUES (1, 'one'), (2, 'two');
SQL
$m->create_user('repl', $PW);
my ($mh, $mp) = ($m->host, $m->port);

sub psql1 { return $node->safe_psql('postgres', $_[0]); }

# Runs SQL; returns (rc, stderr).
sub try_sql
{
	my ($sql) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', $sql);
	return ($rc, $err);
}

# ------------------------------------------------ calls that carry a password
# simple protocol: YAML block, JSON, flow YAML; succeeding and failing
my $r = ChameleonTest::Replica->new($node, $m, 'r', schema_mappings => { app => 'app' },
	password => $PW, init => 1);
psql1("SELECT chameleon.add_source('j', '{\"db_conn\": {\"host\": \"$mh\", \"port\": $mp, \"user\": \"repl\", \"password\": \"$PW\"},"
	  . " \"schema_mappings\": {\"app\": \"app_j\"}}')");
my ($rc, $err) = try_sql("SELECT chameleon.add_source('bad', \$\$db_conn:\n  user: repl\n  password: $PW\n  hots: x\nschema_mappings: {app: app_bad}\n\$\$)");
isnt($rc, 0, 'add_source with a bad key fails');
unlike($err, qr/\Q$PW\E/, 'its error does not show the password');
# without log_statement, log_min_duration_statement logs the statement itself
psql1("SET log_statement = 'none'; SELECT chameleon.alter_source('j', 'db_conn: {password: \"$PW2\"}')");
($rc, $err) = try_sql("SELECT chameleon.alter_source('j', 'db_conn: {password: \"$PW\", port: nope}')");
isnt($rc, 0, 'alter_source with a bad value fails');
($rc, $err) = try_sql("SELECT chameleon.alter_source('j', E'db_conn:\\n  password: \"$PW\"\\nsleep_loop: 1', 42)");
isnt($rc, 0, 'a call that does not exist fails (its statement holds the password)');

# load_config: the file holds the password, a bad file fails
open(my $fh, '>', "$dir/chameleon.yml") or die;
print $fh "type_override:\nsources:\n  lc:\n    db_conn:\n      host: $mh\n      port: $mp\n      user: repl\n      password: '$PW'\n    schema_mappings:\n      app: app_lc\n";
close($fh);
open($fh, '>', "$dir/broken.yml") or die;
print $fh "sources:\n  lc2:\n    db_conn: {user: repl, password: '$PW', hots: x}\n    schema_mappings: {app: app_lc2}\n";
close($fh);
is(psql1("SELECT * FROM chameleon.load_config('$dir/chameleon.yml')"), 'lc', 'load_config adds the source of the file');
($rc, $err) = try_sql("SELECT * FROM chameleon.load_config('$dir/broken.yml')");
isnt($rc, 0, 'load_config of a bad file fails');
unlike($err, qr/\Q$PW\E/, 'its error does not show the password');

# extended protocol: the configuration is a bind parameter
open($fh, '>', "$dir/add.sql") or die;
print $fh "SELECT chameleon.add_source(:name, :cfg);\n";
close($fh);
open($fh, '>', "$dir/alter.sql") or die;
print $fh "SELECT chameleon.alter_source(:name, :cfg);\n";
close($fh);
my $json = "{\"db_conn\": {\"host\": \"$mh\", \"port\": $mp, \"user\": \"repl\", \"password\": \"$PW\"}, \"schema_mappings\": {\"app\": \"app_x\"}}";
$node->command_ok([ 'pgbench', '-n', '-t', '1', '-M', 'extended', '-D', 'name=x', '-D', "cfg=$json",
		'-f', "$dir/add.sql", 'postgres' ], 'add_source by the extended protocol');
$node->command_ok([ 'pgbench', '-n', '-t', '1', '-M', 'prepared', '-D', 'name=x',
		'-D', "cfg={db_conn: {password: '$PW2'}}", '-f', "$dir/alter.sql", 'postgres' ],
	'alter_source by the extended protocol (prepared)');
$node->command_fails([ 'pgbench', '-n', '-t', '1', '-M', 'extended', '-D', 'name=x',
		'-D', "cfg={db_conn: {password: '$PW', hots: 1}}", '-f', "$dir/alter.sql", 'postgres' ],
	'a failing alter_source by the extended protocol');
$node->command_fails([ 'pgbench', '-n', '-t', '1', '-M', 'extended', '-D', 'name=x', '-D', "cfg=$json",
		'-f', "$dir/add.sql", 'postgres' ],
	'a failing add_source by the extended protocol');

my $log = slurp($node->logfile);
like($log, qr/LOG:  statement: SELECT chameleon\.add_source\('j'/, 'control: the statements are logged');
like($log, qr/LOG:  duration: [\d.]+ ms  statement: SELECT chameleon\.alter_source/, 'control: with their duration');
like($log, qr/execute <unnamed>: SELECT chameleon\.add_source\(\$1, \$2\);?\n.*DETAIL:  [Pp]arameters: \$1 = 'x', \$2 = '\{"db_conn": \{"host"/,
	'control: the bind parameters are logged');
like($log, qr/unnamed portal with parameters: \$1 = 'x'/, 'control: and those of a failing call');
like($log, qr/ERROR:  unknown configuration key "db_conn.hots"/, 'control: the errors are logged');
like($log, qr/password: \*{8}|"password": \*{8}/, 'the password values are replaced');
unlike($log, qr/\Q$PW\E/, 'the server log never shows the password');
unlike($log, qr/\Q$PW2\E/, 'nor the second one');

# ------------------------------------------------ views, notifications, dumps
unlike(psql1("SELECT string_agg(s::text, ' ') FROM chameleon.sources s"), qr/\Q$PW\E|\Q$PW2\E/,
	'chameleon.sources does not show the password');
like(psql1("SELECT config -> 'db_conn' ->> 'password' FROM chameleon.sources WHERE source_name = 'j'"),
	qr/^\*+$/, 'it shows that there is one');

my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN chameleon');
$r->start_replica;
# a row PostgreSQL refuses (a CHECK of the target): the table is disabled
psql1("ALTER TABLE app.t ADD CONSTRAINT not_that CHECK (v <> 'Row-value-7e2f')");
$m->sql("INSERT INTO app.t VALUES (3, 'Row-value-7e2f')", db => 'app');
ok( $node->poll_query_until('postgres',
		"SELECT NOT enabled FROM chameleon.replica_tables WHERE source_name = 'r' AND source_table = 't'"),
	'the table whose row was refused is disabled');
my $notified = $listener->query_safe('SELECT 1');
$notified .= $listener->{stdout} // '';
like($notified, qr/payload "\{"source": "r", "event": "table disabled", "detail": "app\.t: new row for relation \\"\.\.\.\\" violates check constraint/,
	'NOTIFY announces the disabled table and why');
unlike($notified, qr/Row-value-7e2f/, 'without the row\'s values');
like(psql1("SELECT error_message FROM chameleon.show_errors WHERE source_name = 'r'"), qr/Row-value-7e2f/,
	'control: show_errors, for chameleon_admin, has them');
$listener->quit;
unlike(psql1("SELECT string_agg(s::text, ' ') FROM chameleon.show_status s") . psql1("SELECT string_agg(e::text, ' ') FROM chameleon.show_errors e"),
	qr/\Q$PW\E|\Q$PW2\E/, 'show_status and show_errors do not show the password');
$r->stop_replica;

my ($dump, $dump_err) = ('', '');
run([ 'pg_dump', '--data-only', '-n', 'chameleon', '-d', $node->connstr('postgres') ], '>', \$dump, '2>', \$dump_err)
  or die "pg_dump: $dump_err";
like($dump, qr/COPY chameleon\.source .*\n.*\tr\t/s, 'control: pg_dump --data-only dumps the sources');
unlike($dump, qr/\Q$PW\E|\Q$PW2\E/, 'but not their passwords');

# ------------------------------------------------ a new server forgets it
# the same MariaDB behind a proxy: another port, the same accounts
my $proxy = mysql_proxy(port => $mp, freeze => qr/^\z/, log => "$dir/proxy.log");
psql1("SELECT chameleon.add_source('h', 'db_conn: {host: $mh, port: $mp, user: repl, password: \"$PW\"}\nschema_mappings: {app: app_h}')");
my ($out, $notice);
$node->psql('postgres', "SELECT chameleon.alter_source('h', 'db_conn: {port: $proxy->{port}}')",
	stdout => \$out, stderr => \$notice);
like($notice, qr/NOTICE:  the password of source "h" is forgotten because db_conn port changed/,
	'changing the port forgets the password, and says so');
($rc, $err) = try_sql("SELECT chameleon.init_replica('h', wait => true)");
like($err, qr/Access denied for user 'repl'.*\(using password: NO\)/, 'the next connection has no password')
  or diag($err);

# ------------------------------------------------ password_file
open($fh, '>', "$dir/mysql.pw") or die;
print $fh "$PW\n";
close($fh);
chmod 0600, "$dir/mysql.pw";
psql1("SELECT chameleon.alter_source('h', 'db_conn: {port: $mp, password_file: $dir/mysql.pw}')");
($rc, $err) = try_sql("SELECT chameleon.init_replica('h', wait => true)");
is($rc, 0, 'a password_file gives the password to a superuser\'s source') or diag($err);
is(psql1("SELECT count(*) FROM app_h.t"), '3', 'the copy with it succeeds');

psql1("CREATE ROLE adm IN ROLE chameleon_admin");
($rc, $err) = try_sql("SET ROLE adm; SELECT chameleon.add_source('f', 'db_conn: {host: $mh, port: $mp, user: repl, password_file: $dir/mysql.pw}\nschema_mappings: {app: app_f}')");
like($err, qr/permission denied to set db_conn.password_file of source "f"/,
	'a role that is neither a superuser nor in pg_read_server_files cannot name a password file');
psql1("SELECT chameleon.alter_source_owner('h', 'adm')");
($rc, $err) = try_sql("SELECT chameleon.init_replica('h', wait => true)");
like($err, qr/permission denied to read db_conn.password_file of source "h"/,
	'the file is not read for a source given to such a role');

# ------------------------------------------------ pgsql sources
my $os_user = getpwuid($<);
my $sock = $node->host;
psql1("CREATE SCHEMA srcdata; CREATE TABLE srcdata.rows_of_others (secret text); INSERT INTO srcdata.rows_of_others VALUES ('Other-row-1d4c')");
my $pgconf = "type: pgsql\ndb_conn: {host: '$sock', port: " . $node->port . ", user: $os_user, database: postgres%s}\nschema_mappings: {%s: stolen}";
($rc, $err) = try_sql("SET ROLE adm; SELECT chameleon.add_source('loc', \$\$" . sprintf($pgconf, '', 'srcdata') . "\$\$)");
like($err, qr/source "loc" of type pgsql needs a password/, 'a pgsql source of a role that is not a superuser needs a password');
($rc, $err) = try_sql("SELECT chameleon.add_source('loc', \$\$" . sprintf($pgconf, '', 'chameleon') . "\$\$)");
like($err, qr/schema "chameleon" cannot be copied from a pgsql source/, 'chameleon\'s own schema is never a source');

# given away by a superuser: refused when connecting
psql1("SELECT chameleon.add_source('loc', \$\$" . sprintf($pgconf, '', 'srcdata') . "\$\$)");
psql1("SELECT chameleon.alter_source_owner('loc', 'adm')");
($rc, $err) = try_sql("SELECT chameleon.init_replica('loc', wait => true)");
like($err, qr/source "loc" of type pgsql needs a password/, 'given to such a role, it does not connect without one');
is(psql1("SELECT to_regclass('stolen.rows_of_others') IS NULL"), 't', 'nothing is copied');

# with a password the server does not ask for (trust on its own socket)
psql1("SELECT chameleon.alter_source('loc', 'db_conn: {password: whatever}')");
($rc, $err) = try_sql("SELECT chameleon.init_replica('loc', wait => true)");
like($err, qr/the PostgreSQL server of source "loc" did not ask for the password/,
	'a server that does not ask for the password is not used for it');
is(psql1("SELECT to_regclass('stolen.rows_of_others') IS NULL"), 't', 'nothing is copied');
is(psql1("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'chameleon\\_load%' OR nspname = 'stolen'"), '0',
	'no loading schema is left');
# a superuser's source may use the server's own authentication (SPEC)
psql1("SELECT chameleon.alter_source_owner('loc', '$os_user')");
($rc, $err) = try_sql("SELECT chameleon.init_replica('loc', wait => true)");
is($rc, 0, 'control: a superuser\'s pgsql source copies') or diag($err);
is(psql1("SELECT secret FROM stolen.rows_of_others"), 'Other-row-1d4c', 'control: with the rows');

my $final = slurp($node->logfile);
unlike($final, qr/\Q$PW\E|\Q$PW2\E/, 'at the end, the server log still holds no password');
$node->stop;
$m->stop;
note(sprintf('090_security ran in %.0f s', time - $t_start));
done_testing();
