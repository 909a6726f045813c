
# Copyright (c) chameleon developers
#
# Values PostgreSQL cannot hold, during replication (issue "correct to the
# last row", point 3): a TIME beyond PostgreSQL's range, and a value larger
# than one datum (over 1 GB as PostgreSQL text), go to discarded_rows with
# the reason; the rest of their transaction applies, the table stays
# enabled, show_status.skipped_rows counts them, and the reader does not
# restart.  Also grant_select_to (point 5): the role can read the tables,
# schema included, also a table created later by replicated DDL; and
# keep_existing_schema (point 6): a copy that fails leaves the existing
# rows in place.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);

my $m = ChameleonTest::MariaDB->new(name => 'val', extra => ['max_allowed_packet = 1G']);
$m->start;
$m->create_user('repl', 'repl-pw');
$m->sql(<<'SQL');
CREATE DATABASE val CHARACTER SET utf8mb4;
USE val;
CREATE TABLE tt (id int PRIMARY KEY, t time, note varchar(20));
CREATE TABLE big (id int PRIMARY KEY, b longblob);
CREATE TABLE kept (id int PRIMARY KEY, v varchar(20));
CREATE TABLE vparent (code varchar(10) PRIMARY KEY);
CREATE TABLE vchild (id int PRIMARY KEY, code varchar(10),
  FOREIGN KEY (code) REFERENCES vparent (code) ON UPDATE CASCADE);
INSERT INTO vparent VALUES ('abc'), ('xyz');
INSERT INTO vchild VALUES (1, 'abc'), (2, 'xyz');
INSERT INTO tt VALUES (1, '10:00:00', 'copied');
INSERT INTO kept SELECT seq, concat('old ', seq) FROM seq_1_to_100;
SQL

my $node = chameleon_node('val', create_extension => 1, naptime => 2,
	conf => ["timezone = 'UTC'", 'max_worker_processes = 16']);
my $port = $m->port;
$node->safe_psql('postgres', 'CREATE ROLE analyst LOGIN');
$node->safe_psql('postgres', "SELECT chameleon.add_source('val', \$\$db_conn: {host: 127.0.0.1, port: $port, user: repl, password: repl-pw}
schema_mappings: {val: val}
grant_select_to: [analyst]
keep_existing_schema: false\$\$)");
$node->safe_psql('postgres', "SELECT chameleon.init_replica('val', wait => true)");

# ---- grant_select_to: schema and tables readable by the role
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM val.tt', extra_params => ['-U', 'analyst']);
is("$ret:$out", '0:1', 'grant_select_to: the role reads a copied table (USAGE on the schema too)') or diag($err);

$node->safe_psql('postgres', "SELECT chameleon.start_replica('val')");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type IN ('chameleon reader val', 'chameleon replay val')"),
	'reader and replay run');
my $reader = $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'chameleon reader val'");

# ---- a TIME PostgreSQL cannot hold, in the middle of a transaction
$m->sql("START TRANSACTION; INSERT INTO val.tt VALUES (2, '11:00:00', 'before');"
	  . " INSERT INTO val.tt VALUES (3, '-838:59:59', 'out of range');"
	  . " INSERT INTO val.tt VALUES (4, '12:00:00', 'after'); COMMIT");
$m->sql("UPDATE val.tt SET t = '13:00:00' WHERE id = 4");
is($node->safe_psql('postgres', "SELECT chameleon.wait_caught_up('val', '60 s')"), 't', 'caught up');
is($node->safe_psql('postgres', 'SELECT string_agg(id || ' . "'='" . ' || t, \',\' ORDER BY id) FROM val.tt'),
	'1=10:00:00,2=11:00:00,4=13:00:00', 'the rest of the transaction applied, and the changes after it');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM chameleon.discarded_rows WHERE table_name = 'tt' AND row_data->>'id' = '3'"
		  . " AND row_data->>'note' = 'out of range' AND reason <> ''"),
	'1', 'the row is in discarded_rows with its values and the reason');
is($node->safe_psql('postgres', "SELECT enabled FROM chameleon.replica_tables WHERE source_table = 'tt'"),
	't', 'the table stays enabled');
ok($node->safe_psql('postgres', "SELECT skipped_rows FROM chameleon.show_status") >= 1, 'skipped_rows counts it');

# ---- a value the referencing table cannot hold, set by a foreign-key
# action: the referencing table is disabled, the parent's row applies
$node->safe_psql('postgres', 'ALTER TABLE val.vchild ALTER code TYPE varchar(3)');
$m->sql("UPDATE val.vparent SET code = 'abcdefgh' WHERE code = 'abc'");
$m->sql("UPDATE val.vparent SET code = 'x2' WHERE code = 'xyz'");
is($node->safe_psql('postgres', "SELECT chameleon.wait_caught_up('val', '60 s')"), 't', 'caught up after the cascade');
is($node->safe_psql('postgres', "SELECT string_agg(code, ',' ORDER BY code) FROM val.vparent"), 'abcdefgh,x2',
	'the parent rows applied');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.discarded_rows WHERE table_name = 'vparent'"), '0',
	'the parent row is not discarded for its child\'s value');
is($node->safe_psql('postgres', "SELECT enabled FROM chameleon.replica_tables WHERE source_table = 'vchild'"),
	'f', 'the referencing table that cannot hold the value is disabled');

# ---- zero dates in a table created by replicated DDL: NULL, as in the copy
$m->sql("SET SESSION sql_mode = ''; CREATE TABLE val.zd (id int PRIMARY KEY, d date NOT NULL, t datetime NOT NULL);"
	  . " INSERT INTO val.zd VALUES (1, '0000-00-00', '0000-00-00 00:00:00'), (2, '2020-01-02', '2020-01-02 03:04:05');"
	  . " ALTER TABLE val.zd ADD COLUMN d2 date NOT NULL; INSERT INTO val.zd VALUES (3, '2021-01-01', '0000-00-00 00:00:00', '0000-00-00')");
is($node->safe_psql('postgres', "SELECT chameleon.wait_caught_up('val', '60 s')"), 't', 'caught up after the zero dates');
is($node->safe_psql('postgres', "SELECT string_agg(id || ':' || coalesce(d::text, '-') || ':' || coalesce(t::text, '-') || ':' || coalesce(d2::text, '-'), ',' ORDER BY id) FROM val.zd"),
	'1:-:-:-,2:2020-01-02:2020-01-02 03:04:05:-,3:2021-01-01:-:-',
	'zero dates of a replicated CREATE TABLE and ADD COLUMN arrive as NULL');
is($node->safe_psql('postgres', "SELECT enabled FROM chameleon.replica_tables WHERE source_table = 'zd'"), 't',
	'the table stays enabled');

# ---- a value of more than 1 GB as PostgreSQL text (540 MB of bytes, hex)
$m->sql("INSERT INTO val.big VALUES (1, REPEAT('x', 540 * 1024 * 1024))");
$m->sql("INSERT INTO val.big VALUES (2, 'small')");
is($node->safe_psql('postgres', "SELECT chameleon.wait_caught_up('val', '300 s')"), 't', 'caught up after the huge value');
is($node->safe_psql('postgres', "SELECT string_agg(id::text, ',' ORDER BY id) FROM val.big"), '2',
	'the huge row is not applied, the next one is');
like($node->safe_psql('postgres',
		"SELECT reason || ' / ' || (row_data->>'b') FROM chameleon.discarded_rows WHERE table_name = 'big'"),
	qr/1 GB.* \/ \(\d+ bytes, not kept\)/, 'the huge row is in discarded_rows, with its size instead of its value');
is($node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'chameleon reader val'"),
	$reader, 'the reader did not restart');
is($node->safe_psql('postgres', "SELECT status FROM chameleon.show_status"), 'running', 'the source runs');

# ---- a table created by replicated DDL is readable by the role too
$m->sql('CREATE TABLE val.later (id int PRIMARY KEY); INSERT INTO val.later VALUES (1)');
is($node->safe_psql('postgres', "SELECT chameleon.wait_caught_up('val', '60 s')"), 't', 'caught up after DDL');
($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM val.later', extra_params => ['-U', 'analyst']);
is("$ret:$out", '0:1', 'grant_select_to: the role reads a table created mid-stream') or diag($err);

# ---- keep_existing_schema: a failed reload keeps the rows
$node->safe_psql('postgres', "SELECT chameleon.stop_replica('val')");
$node->safe_psql('postgres', "SELECT chameleon.alter_source('val', 'keep_existing_schema: true')");
$m->sql("UPDATE val.kept SET v = concat('new ', id)");
# a session holds the table: the copy's SELECT waits, and is killed
my ($lock_in, $lock_out) = ('', '');
my $locker = IPC::Run::start(
	[ 'mariadb', '--no-defaults', '--protocol=SOCKET', '-S', $m->socket, '-u', 'root', '-N', '-B', '--unbuffered' ],
	'<', \$lock_in, '>', \$lock_out, '2>', \$lock_out, IPC::Run::timeout(180));
$lock_in .= "LOCK TABLES val.kept WRITE; SELECT 'locked';\n";
$locker->pump until $lock_out =~ /locked/;
$node->safe_psql('postgres', "SELECT chameleon.sync_tables('val', '{val.kept}')");
my $killed = 0;
for (my $i = 0; $i < 600 && !$killed; $i++)
{
	my $id = $m->sql("SELECT id FROM information_schema.PROCESSLIST WHERE user = 'repl'"
		  . " AND info LIKE '%FROM `val`.`kept`%' LIMIT 1");
	if ($id ne '')
	{
		$m->sql("KILL $id");
		$killed = 1;
	}
	else
	{
		select(undef, undef, undef, 0.1);
	}
}
ok($killed, 'the copy of the kept table was waiting, and is killed');
ok($node->poll_query_until('postgres', "SELECT count(*) > 0 FROM chameleon.init_progress WHERE state = 'failed'"),
	'the copy failed');
$lock_in .= "UNLOCK TABLES;\n";
$locker->finish;
is($node->safe_psql('postgres', "SELECT count(*), min(v), max(v) FROM val.kept"), '100|old 1|old 99',
	'keep_existing_schema: the existing rows are all still there, unchanged');

$node->stop('fast');
done_testing();
