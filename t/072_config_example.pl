
# Copyright (c) chameleon developers
#
# pg_chameleon 2.0.21's own configuration example
# (t/data/pg_chameleon-2.0.21-config-example.yml, verbatim) loads with
# load_config, and every key chameleon implements has its effect, against
# a real MariaDB (the mysql source) and a database of this node (the pgsql
# source):
#  - the file loads as it is: its global keys other than type_override and
#    fillfactor are ignored with a NOTICE, copy_mode "file" gets a NOTICE,
#    the keys the pgsql source nests under db_conn are read as the
#    source's; every value reads back from chameleon.sources.config;
#  - only connection parameters are changed afterwards, with alter_source
#    (its host "localhost" and ports 3306/5432 are not where the test
#    servers listen; changing the host drops the stored password, so the
#    example's password is given again); the MariaDB user and the
#    PostgreSQL role are created with the example's names and passwords;
#  - the example's fillfactor names foo.bar and foo.foobar, tables of a
#    MySQL schema "foo" that its schema_mappings do not replicate: the test
#    maps schema foo too, with alter_source, to see it applied;
#  - schema_mappings, limit_tables, skip_tables, type_override,
#    grant_select_to, skip_events, my_server_id, keep_existing_schema,
#    copy_mode, on_error_replay, fillfactor (copy_schema, init_replica,
#    refresh_schema, sync_tables, replicated CREATE TABLE and CREATE TABLE
#    ... LIKE, and the pgsql source's copy) and net_read_timeout: with the
#    example's 600 s a MariaDB server stopped (SIGSTOP) for longer than the
#    reader's former 5 s read bound keeps its connection, a stopped server
#    does not keep stop_replica waiting, and with 3 s the reader reports
#    the connection lost after about 3 s (on_error_read: continue, the
#    example's: it reconnects once the server runs again).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

my $example = "$ENV{CHAMELEON_SRC}/t/data/pg_chameleon-2.0.21-config-example.yml";
my $password = 'never_commit_passwords';

my $m = ChameleonTest::MariaDB->new(name => 'example');
$m->start;
my $stopped = 0;

# A MariaDB server left stopped would hang its own teardown.
END
{
	kill 'CONT', $m->pid if $stopped && $m && $m->pid;
}

$m->create_user('usr_replica', $password);
$m->sql(<<'SQL');
CREATE DATABASE delphis_mediterranea CHARACTER SET utf8mb4;
USE delphis_mediterranea;
CREATE TABLE foo (id int PRIMARY KEY, flag tinyint(1) NOT NULL DEFAULT 0, v varchar(20));
CREATE TABLE bar (id int PRIMARY KEY);
CREATE TABLE baz (id int PRIMARY KEY);
INSERT INTO foo VALUES (1, 1, 'one'), (2, 0, 'two'), (3, 1, 'three');
INSERT INTO bar VALUES (1);
INSERT INTO baz VALUES (1);
CREATE DATABASE foo CHARACTER SET utf8mb4;
USE foo;
CREATE TABLE bar (id int PRIMARY KEY, n int);
CREATE TABLE foobar (id int PRIMARY KEY, n int);
CREATE TABLE other (id int PRIMARY KEY, n int);
INSERT INTO bar VALUES (1, 10), (2, 20);
INSERT INTO foobar VALUES (1, 100);
INSERT INTO other VALUES (1, 1000);
SQL

my $node = chameleon_node('example', create_extension => 1, naptime => 1,
	conf => ["timezone = 'UTC'", 'max_worker_processes = 16']);

# The pgsql source's database, role and tables, as the example names them.
$node->safe_psql('postgres', <<"SQL");
CREATE ROLE usr_replica LOGIN PASSWORD '$password';
CREATE ROLE usr_readonly;
CREATE DATABASE db_replica;
SQL
$node->safe_psql('db_replica', <<'SQL');
CREATE SCHEMA loxodonta_africana;
CREATE TABLE loxodonta_africana.foo (id int PRIMARY KEY, v text);
CREATE TABLE loxodonta_africana.bar (id int PRIMARY KEY);
CREATE TABLE loxodonta_africana.baz (id int PRIMARY KEY);
INSERT INTO loxodonta_africana.foo VALUES (1, 'pg one'), (2, 'pg two');
CREATE SCHEMA foo;
CREATE TABLE foo.bar (id int PRIMARY KEY);
INSERT INTO foo.bar VALUES (7);
GRANT USAGE ON SCHEMA loxodonta_africana, foo TO usr_replica;
GRANT SELECT ON ALL TABLES IN SCHEMA loxodonta_africana, foo TO usr_replica;
SQL

# psql in the chameleon database; dies on error.
sub pg
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

# The reloptions of the tables of some schemas: "schema.table:options".
sub reloptions
{
	my (@schemas) = @_;
	my $list = join(', ', map { "'$_'" } @schemas);
	return pg("SELECT n.nspname || '.' || c.relname || ':' || coalesce(array_to_string(c.reloptions, ','), '')"
		  . "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		  . " WHERE c.relkind = 'r' AND n.nspname IN ($list) ORDER BY 1");
}

# ---- the file loads verbatim
my ($rc, $out, $err) = $node->psql('postgres',
	"SELECT * FROM chameleon.load_config('$example') ORDER BY 1");
is($rc, 0, 'pg_chameleon 2.0.21 config-example.yml loads verbatim with load_config');
diag($err) if $rc != 0;
is($out, "mysql\npgsql", 'it adds both of its sources');
like($err, qr/configuration key "pg_conn" is ignored/, 'pg_conn is ignored with a NOTICE');
unlike($err, qr/"(fillfactor|type_override)" is ignored/, 'the global fillfactor and type_override are read');
like($err, qr/copy_mode "file" of source "mysql" is not used.*\n.*out_dir is not used/,
	'copy_mode: file gets a NOTICE: the copy is direct, out_dir unused');
like($err, qr/"sources\.pgsql\.db_conn\.schema_mappings" is read as "sources\.pgsql\.schema_mappings"/,
	'the pgsql source\'s schema_mappings, nested under db_conn, is read as the source\'s');
like($err, qr/"sources\.pgsql\.db_conn\.type" is read as "sources\.pgsql\.type"/,
	'and so is its type');

# Every value of the file, read back (jsonb equality).
my %expect = (
	mysql => {
		type => '"mysql"',
		db_conn => '{"host": "localhost", "port": 3306, "user": "usr_replica", "password": "********",'
		  . ' "charset": "utf8", "connect_timeout": 10}',
		schema_mappings => '{"delphis_mediterranea": "loxodonta_africana"}',
		limit_tables => '["delphis_mediterranea.foo"]',
		skip_tables => '["delphis_mediterranea.bar"]',
		grant_select_to => '["usr_readonly"]',
		lock_timeout => '"120s"',
		my_server_id => '100',
		replica_batch_size => '10000',
		replay_max_rows => '10000',
		batch_retention => '"1 day"',
		copy_max_memory => '"300M"',
		copy_mode => '"file"',
		out_dir => '"/tmp"',
		sleep_loop => '1',
		on_error_replay => '"continue"',
		on_error_read => '"continue"',
		auto_maintenance => '"disabled"',
		gtid_enable => 'false',
		skip_events => '{"insert": ["delphis_mediterranea.foo"], "delete": ["delphis_mediterranea"], "update": []}',
		keep_existing_schema => 'false',
		net_read_timeout => '600',
		type_override => '{"tinyint(1)": {"override_to": "boolean", "override_tables": ["*"]}}',
		fillfactor => '{"30": {"tables": ["foo.bar"]}, "40": {"tables": ["foo.foobar"]}}',
	},
	pgsql => {
		type => '"pgsql"',
		db_conn => '{"host": "localhost", "port": 5432, "user": "usr_replica", "password": "********",'
		  . ' "database": "db_replica", "charset": "utf8", "connect_timeout": 10}',
		schema_mappings => '{"loxodonta_africana": "elephas_maximus"}',
		limit_tables => '["loxodonta_africana.foo"]',
		skip_tables => '["loxodonta_africana.bar"]',
		copy_max_memory => '"300M"',
		grant_select_to => '["usr_readonly"]',
		lock_timeout => '"10s"',
		my_server_id => '100',
		replica_batch_size => '3000',
		replay_max_rows => '10000',
		sleep_loop => '5',
		batch_retention => '"1 day"',
		copy_mode => '"file"',
		out_dir => '"/tmp"',
		type_override => '{"tinyint(1)": {"override_to": "boolean", "override_tables": ["*"]}}',
		fillfactor => '{"30": {"tables": ["foo.bar"]}, "40": {"tables": ["foo.foobar"]}}',
	});
foreach my $source (sort keys %expect)
{
	foreach my $key (sort keys %{ $expect{$source} })
	{
		(my $json = $expect{$source}{$key}) =~ s/'/''/g;
		my $got = pg("SELECT config -> '$key' FROM chameleon.sources WHERE source_name = '$source'");
		is(pg("SELECT config -> '$key' = '$json'::jsonb FROM chameleon.sources WHERE source_name = '$source'"),
			't', "$source: $key reads back as in the file")
		  or diag("got $got");
	}
}
is(pg("SELECT source_type FROM chameleon.sources WHERE source_name = 'pgsql'"), 'pgsql',
	'the pgsql source has type pgsql');

# ---- connection parameters only: where the test servers listen
my $pghost = $node->host;
my $pgport = $node->port;
my $myport = $m->port;
pg("SELECT chameleon.alter_source('mysql', 'db_conn: {host: 127.0.0.1, port: $myport, password: $password}')");
pg("SELECT chameleon.alter_source('pgsql', 'db_conn: {host: \"$pghost\", port: $pgport, password: $password}')");
# the example's fillfactor is about MySQL schema foo: replicate it too
pg("SELECT chameleon.alter_source('mysql', 'schema_mappings: {delphis_mediterranea: loxodonta_africana, foo: foo}')");
pg("SELECT chameleon.alter_source('pgsql', 'schema_mappings: {loxodonta_africana: elephas_maximus, foo: foo_from_pg}')");
is(pg("SELECT config -> 'db_conn' ->> 'user' FROM chameleon.sources WHERE source_name = 'mysql'"),
	'usr_replica', 'the user stays the example\'s');

# ---- copy_schema: tables with their fillfactor, types overridden, filters
pg("SELECT chameleon.copy_schema('mysql', wait => true)");
is(reloptions('foo', 'loxodonta_africana'),
	"foo.bar:fillfactor=30\nfoo.foobar:fillfactor=40\nfoo.other:\nloxodonta_africana.foo:",
	'copy_schema: fillfactor 30 on foo.bar, 40 on foo.foobar, none elsewhere;'
	  . ' limit_tables and skip_tables leave foo alone in loxodonta_africana');
is(pg("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
	  . " WHERE attrelid = 'loxodonta_africana.foo'::regclass AND attname = 'flag'"),
	'boolean', 'type_override: tinyint(1) becomes boolean');
my $oid_schema = pg("SELECT 'loxodonta_africana.foo'::regclass::oid");

# ---- init_replica
pg("SELECT chameleon.init_replica('mysql', wait => true)");
is(reloptions('foo', 'loxodonta_africana'),
	"foo.bar:fillfactor=30\nfoo.foobar:fillfactor=40\nfoo.other:\nloxodonta_africana.foo:",
	'init_replica: the same fillfactors');
is(pg("SELECT id, flag, v FROM loxodonta_africana.foo ORDER BY id"),
	"1|t|one\n2|f|two\n3|t|three", 'init_replica copied the rows, tinyint(1) as boolean');
is(pg("SELECT count(*) FROM foo.bar"), '2', 'and those of schema foo');
isnt(pg("SELECT 'loxodonta_africana.foo'::regclass::oid"), $oid_schema,
	'keep_existing_schema: No: the tables are created again, not reloaded in place');
is(pg("SELECT has_table_privilege('usr_readonly', 'loxodonta_africana.foo', 'SELECT')"), 't',
	'grant_select_to: usr_readonly may read the replicated tables');
ok(!-e '/tmp/delphis_mediterranea_foo.csv', 'copy_mode: file writes no file into out_dir');

# ---- refresh_schema (a stopped source)
pg("SELECT chameleon.refresh_schema('mysql', 'foo', wait => true)");
is(reloptions('foo'), "foo.bar:fillfactor=30\nfoo.foobar:fillfactor=40\nfoo.other:",
	'refresh_schema: the fillfactors again');

# ---- replication
my $r = ChameleonTest::Replica->existing($node, $m, 'mysql');
$r->start_replica;
ok(poll_until(sub { $m->sql('SHOW SLAVE HOSTS') =~ /^100\t/m }, timeout => 30),
	'my_server_id: the reader registers with MariaDB as server 100');

$m->sql(<<'SQL');
INSERT INTO delphis_mediterranea.foo VALUES (4, 1, 'four');
UPDATE delphis_mediterranea.foo SET v = 'uno' WHERE id = 1;
DELETE FROM delphis_mediterranea.foo WHERE id = 2;
INSERT INTO foo.other VALUES (2, 2000);
SQL
$r->wait_caught_up('caught up after the changes');
is(pg("SELECT id, v FROM loxodonta_africana.foo ORDER BY id"), "1|uno\n2|two\n3|three",
	'skip_events: the insert into delphis_mediterranea.foo and the delete in its schema are skipped,'
	  . ' the update applied');
is(pg("SELECT count(*) FROM foo.other"), '2', 'other tables receive every change');

# replicated DDL: CREATE TABLE and CREATE TABLE ... LIKE get the fillfactor
$m->sql(<<'SQL');
USE foo;
DROP TABLE bar;
CREATE TABLE bar (id int PRIMARY KEY, n int, m int);
INSERT INTO bar VALUES (5, 5, 5);
RENAME TABLE foobar TO foobar_old;
CREATE TABLE foobar LIKE foobar_old;
CREATE TABLE fresh (id int PRIMARY KEY);
SQL
$r->wait_caught_up('caught up after the DDL');
is(reloptions('foo'),
	"foo.bar:fillfactor=30\nfoo.foobar:fillfactor=40\nfoo.foobar_old:fillfactor=40\nfoo.fresh:\nfoo.other:",
	'replicated CREATE TABLE (bar) and CREATE TABLE ... LIKE (foobar) get their fillfactor');
is(pg("SELECT id, n, m FROM foo.bar"), '5|5|5', 'the new foo.bar replicates');

# sync_tables while running
my $oid_bar = pg("SELECT 'foo.bar'::regclass::oid");
pg("SELECT chameleon.sync_tables('mysql', '{foo.bar}', wait => true)");
isnt(pg("SELECT 'foo.bar'::regclass::oid"), $oid_bar, 'sync_tables made a new foo.bar');
is(reloptions('foo'),
	"foo.bar:fillfactor=30\nfoo.foobar:fillfactor=40\nfoo.foobar_old:fillfactor=40\nfoo.fresh:\nfoo.other:",
	'sync_tables: the new copy has its fillfactor');

# on_error_replay: continue: a change PostgreSQL refuses disables its table only
pg("ALTER TABLE loxodonta_africana.foo ADD CONSTRAINT no_boom CHECK (v <> 'boom')");
$m->sql(<<'SQL');
UPDATE delphis_mediterranea.foo SET v = 'boom' WHERE id = 3;
INSERT INTO foo.other VALUES (3, 3000);
SQL
ok($node->poll_query_until('postgres',
		"SELECT NOT enabled FROM chameleon.replica_tables WHERE source_name = 'mysql'"
		  . " AND source_schema = 'delphis_mediterranea' AND source_table = 'foo'"),
	'on_error_replay: continue: the failing table is disabled');
$r->wait_caught_up('the other tables go on');
is(pg("SELECT count(*) FROM foo.other"), '3', 'foo.other received its row');
is($r->status, 'running', 'the source keeps running');
like(pg("SELECT error_message FROM chameleon.show_errors WHERE source_name = 'mysql'"),
	qr/no_boom/, 'the error is in show_errors');

# ---- net_read_timeout: 600 (the example's): a silent server is not lost
my $reader = $r->worker_pid('reader');
my $log_at = -s $node->logfile;
kill 'STOP', $m->pid;
$stopped = 1;
# longer than the reader's former bound of one read (5 s)
sleep 8;
kill 'CONT', $m->pid;
$stopped = 0;
$m->sql('INSERT INTO foo.other VALUES (4, 4000)');
$r->wait_caught_up('caught up after MariaDB was stopped for 8 s');
my $log = slurp_file($node->logfile, $log_at);
unlike($log, qr/nothing received from the server|reading the binlog of source "mysql" from/,
	'net_read_timeout 600: stopped for 8 s, the connection was kept (no loss, no reconnection)');
is($r->worker_pid('reader'), $reader, 'the same reader runs');

# a silent server does not keep stop_replica waiting
kill 'STOP', $m->pid;
$stopped = 1;
my $t0 = time;
$r->stop_replica(name => 'stop_replica while MariaDB is stopped: the workers end');
my $took = time - $t0;
ok($took < 10, sprintf('they end within seconds (%.1f s)', $took));
kill 'CONT', $m->pid;
$stopped = 0;

# ---- net_read_timeout: 3: the connection is lost after about 3 s
pg("SELECT chameleon.alter_source('mysql', 'net_read_timeout: 3')");
$r->start_replica;
$r->wait_caught_up('caught up before MariaDB stops again');
$log_at = -s $node->logfile;
kill 'STOP', $m->pid;
$stopped = 1;
$t0 = time;
my $lost = poll_until(sub { slurp_file($node->logfile, $log_at) =~ /nothing received from the server for 3 s/ },
	timeout => 30, name => 'the reader reports the lost connection');
my $after = time - $t0;
kill 'CONT', $m->pid;
$stopped = 0;
ok($lost, 'net_read_timeout 3: the reader reports the connection lost');
ok($after >= 2.5 && $after < 8, sprintf('after about 3 s (%.1f s)', $after));
like(slurp_file($node->logfile, $log_at), qr/net_read_timeout of source "mysql".*\n.*Reconnecting in/,
	'handled like a read failure: on_error_read continue reconnects');
$m->sql('INSERT INTO foo.other VALUES (5, 5000)');
$r->wait_caught_up('caught up once MariaDB runs again', timeout => '120 s');
is(pg("SELECT count(*) FROM foo.other"), '5', 'nothing was lost');
is($r->status, 'running', 'the source is running');
$r->stop_replica;

# ---- the pgsql source: its keys, read from under db_conn, take effect
pg("SELECT chameleon.init_replica('pgsql', wait => true)");
is(pg("SELECT id, v FROM elephas_maximus.foo ORDER BY id"), "1|pg one\n2|pg two",
	'pgsql source: schema_mappings (from db_conn) and type pgsql: the tables are copied');
is(reloptions('elephas_maximus', 'foo_from_pg'), "elephas_maximus.foo:\nfoo_from_pg.bar:fillfactor=30",
	'limit_tables and skip_tables apply; the global fillfactor applies to this source too');
is(pg("SELECT has_table_privilege('usr_readonly', 'elephas_maximus.foo', 'SELECT')"), 't',
	'its grant_select_to applies');

done_testing();
