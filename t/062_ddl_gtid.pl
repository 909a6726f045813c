
# Copyright (c) chameleon developers
#
# Issue 6, proofs 4, 6 and 7 against real MariaDB servers:
#  - DDL mid-stream (ADD/DROP/CHANGE/MODIFY/RENAME COLUMN, RENAME TABLE,
#    CREATE TABLE [LIKE], DROP TABLE, TRUNCATE, ADD/DROP INDEX, enum
#    changes) interleaved with DML while the replica runs; afterwards the
#    PostgreSQL columns, types, nullability, indexes and rows match MariaDB.
#    A statement PostgreSQL refuses disables only its table
#    (on_error_replay: continue), show_errors records it, the reader keeps
#    running and the other tables keep replicating.
#  - GTID: with gtid_enable the replica resumes by GTID after a MariaDB
#    restart whose binlog files were flushed and purged (the recorded file
#    is gone), and after the source is moved to another server of the same
#    replication topology (different files and positions), without
#    init_replica.
#  - Filters (skip_events by schema and by table, skip_tables,
#    limit_tables), two sources replicating into one database at once, a
#    table without a key and a hostile identifier.

use strict;
use warnings;

use Time::HiRes qw(time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until db_conn mariadb_rows pg_rows);

my $t_start = time;
my $HOSTILE = 'x"; DROP TABLE y; --';

# ---------------------------------------------------------------- servers
my $m1 = ChameleonTest::MariaDB->new(name => 'ddl');
my $m2 = ChameleonTest::MariaDB->new(name => 'gtid', server_id => 1);
# a replica of m2 in the same topology: its own files, and no checksums so
# that every position differs from m2's
my $m3 = ChameleonTest::MariaDB->new(name => 'gtid3', server_id => 3,
	binlog_checksum => 'NONE',
	extra => [ 'log_slave_updates = ON', 'slave_skip_errors = all' ]);
$_->start for ($m1, $m2, $m3);
# m3 replicates from m2 as repl (the sources create it where it is missing)
$m2->create_user('repl', 'repl-pw');
$m3->sql("CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = " . $m2->port
	  . ", MASTER_USER = 'repl', MASTER_PASSWORD = 'repl-pw', MASTER_CONNECT_RETRY = 1, MASTER_USE_GTID = slave_pos; START SLAVE");

$m1->sql(<<"SQL");
CREATE DATABASE app CHARACTER SET utf8mb4;
CREATE DATABASE fil CHARACTER SET utf8mb4;
USE app;
CREATE TABLE t1 (id int PRIMARY KEY, a int, b varchar(20), e enum('x','y') NOT NULL DEFAULT 'x');
CREATE TABLE t2 (v varchar(20), n int);
CREATE TABLE skipme (id int PRIMARY KEY);
CREATE TABLE noins (id int PRIMARY KEY, v int);
CREATE TABLE bad (id int PRIMARY KEY, v varchar(10));
CREATE TABLE `x"; DROP TABLE y; --` (id int PRIMARY KEY, `select` varchar(20));
CREATE TABLE fil.d (id int PRIMARY KEY, v int);
INSERT INTO t1 SELECT seq, seq * 10, concat('b', seq), 'y' FROM seq_1_to_20;
INSERT INTO t2 VALUES ('one', 1), ('two', 2), ('two', 2);
INSERT INTO noins VALUES (1, 1), (2, 2);
INSERT INTO bad VALUES (1, '1'), (2, '2');
INSERT INTO `x"; DROP TABLE y; --` VALUES (1, 'from'), (2, 'where');
INSERT INTO fil.d VALUES (1, 1), (2, 2), (3, 3);
SQL

$m2->sql(<<'SQL');
CREATE DATABASE shop CHARACTER SET utf8mb4;
USE shop;
CREATE TABLE a (id int PRIMARY KEY, v varchar(20));
CREATE TABLE b (k varchar(10), n int);
CREATE TABLE c (id int PRIMARY KEY);
INSERT INTO a SELECT seq, concat('a', seq) FROM seq_1_to_10;
INSERT INTO b VALUES ('k1', 1), ('k2', 2);
INSERT INTO c VALUES (1);
SQL

my $node = chameleon_node('ddl', database => 'postgres', create_extension => 1,
	naptime => 1, conf => [ "timezone = 'UTC'", 'max_worker_processes = 20' ]);

sub psql1 { return $node->safe_psql('postgres', $_[0]); }

my $app = ChameleonTest::Replica->new($node, $m1, 'app',
	schema_mappings => { app => 'app', fil => 'fil' },
	config => [
		'skip_tables: [app.skipme]', 'skip_events: {insert: [app.noins], delete: [fil]}',
		'on_error_replay: continue', 'replica_batch_size: 100', 'sleep_loop: 1'
	]);
my $shop = ChameleonTest::Replica->new($node, $m2, 'shop',
	schema_mappings => { shop => 'shop' },
	config => [ 'limit_tables: [shop.a, shop.b]', 'gtid_enable: true', 'sleep_loop: 1' ]);
$app->init_replica;
$shop->init_replica;
is(psql1("SELECT to_regclass('app.skipme') IS NULL AND to_regclass('shop.c') IS NULL"), 't',
	'skip_tables and limit_tables: excluded tables not copied');

$app->start_replica;
$shop->start_replica;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 4 FROM pg_stat_activity WHERE backend_type ~ '^chameleon (reader|replay) (app|shop)\$'"),
	'two sources replicate into one database at once');
my $reader_pid = $app->worker_pid('reader');

# ---------------------------------------------------------------- helpers

sub my_lit { my $s = shift; $s =~ s/\\/\\\\/g; $s =~ s/'/''/g; return "'$s'"; }
sub pg_lit { my $s = shift; $s =~ s/'/''/g; return "'$s'"; }
sub pg_ident { my $s = shift; $s =~ s/"/""/g; return "\"$s\""; }

# "name:nullable" per column, in order, from MariaDB and from PostgreSQL
sub my_cols
{
	my ($srv, $schema, $table) = @_;
	return join(',', map { s/\t/:/r } split(/\n/, $srv->sql(
		"SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = '$schema'"
		  . " AND table_name = " . my_lit($table) . " ORDER BY ordinal_position")));
}

sub pg_cols
{
	my ($schema, $table, $with_types) = @_;
	my $rel = pg_lit(pg_ident($schema) . '.' . pg_ident($table));
	my $type = $with_types ? "|| ':' || format_type(atttypid, atttypmod)" : '';
	return psql1("SELECT string_agg(attname || ':' || CASE WHEN attnotnull THEN 'NO' ELSE 'YES' END $type, ','"
		  . " ORDER BY attnum) FROM pg_attribute WHERE attrelid = ${rel}::regclass AND attnum > 0 AND NOT attisdropped");
}

# indexes as "pgname:unique:columns", sorted; MariaDB names mapped to
# chameleon's (PRIMARY -> table_pkey, name -> table_name)
sub my_indexes
{
	my ($srv, $schema, $table) = @_;
	my @idx = map {
		my ($n, $nu, $c) = split(/\t/);
		($n eq 'PRIMARY' ? "${table}_pkey" : "${table}_" . lc($n)) . ':' . ($nu ? 'f' : 't') . ":$c"
	} split(/\n/, $srv->sql("SELECT index_name, non_unique, group_concat(column_name ORDER BY seq_in_index)"
		  . " FROM information_schema.statistics WHERE table_schema = '$schema' AND table_name = " . my_lit($table)
		  . " GROUP BY index_name, non_unique"));
	return join(' ', sort @idx);
}

sub pg_indexes
{
	my ($schema, $table) = @_;
	my $rel = pg_lit(pg_ident($schema) . '.' . pg_ident($table));
	return join(' ', sort split(/\n/, psql1(
		"SELECT c.relname || ':' || CASE WHEN i.indisunique THEN 't' ELSE 'f' END || ':' || (SELECT string_agg(a.attname, ',' ORDER BY k.ord)"
		  . " FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)"
		  . " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)"
		  . " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ${rel}::regclass")));
}

# schema and data of one table identical on both sides
sub same_table
{
	my ($srv, $schema, $table, $pgtypes) = @_;
	is(pg_cols($schema, $table), my_cols($srv, $schema, $table), "$schema.$table: same columns and nullability");
	is(pg_cols($schema, $table, 1), $pgtypes, "$schema.$table: PostgreSQL types") if defined $pgtypes;
	is(pg_indexes($schema, $table), my_indexes($srv, $schema, $table), "$schema.$table: same indexes");
	is(pg_rows($node, $schema, $table), mariadb_rows($srv, $schema, $table), "$schema.$table: same rows");
}

# ------------------------------------------------- proof 4: DDL mid-stream
my @steps = (
	"INSERT INTO t1 VALUES (21, 210, 'b21', 'x')",
	"ALTER TABLE t1 ADD COLUMN c int DEFAULT 5",
	"INSERT INTO t1 (id, a, b, c) VALUES (22, 220, 'b22', 7); UPDATE t1 SET c = 9 WHERE id = 3",
	"UPDATE t1 SET b = 'empty' WHERE b IS NULL",
	"ALTER TABLE t1 CHANGE COLUMN b bb varchar(40) NOT NULL DEFAULT ''",
	"INSERT INTO t1 (id, a, bb) VALUES (23, 230, 'a longer value than twenty chars')",
	"ALTER TABLE t1 MODIFY COLUMN a bigint",
	"UPDATE t1 SET a = 9000000000 WHERE id = 1",
	"ALTER TABLE t1 RENAME COLUMN c TO cc",
	"UPDATE t1 SET cc = 99 WHERE id = 22; DELETE FROM t1 WHERE id = 2",
	"ALTER TABLE t1 DROP COLUMN cc",
	"INSERT INTO t1 (id, a, bb) VALUES (24, 240, 'after drop')",
	"ALTER TABLE t1 MODIFY e enum('x','y','z') NOT NULL DEFAULT 'x'",
	"INSERT INTO t1 (id, a, bb, e) VALUES (25, 250, 'new label', 'z'); UPDATE t1 SET e = 'z' WHERE id = 4",
	"ALTER TABLE t1 ADD INDEX t1_a (a)",
	"ALTER TABLE t1 ADD UNIQUE INDEX u1 (a), DROP INDEX t1_a",
	"CREATE INDEX i2 ON t1 (bb)",
	"CREATE INDEX i3 ON t1 (e, id)",
	"DROP INDEX i3 ON t1",
	"UPDATE t1 SET a = a + 1 WHERE id <= 5",
	"UPDATE t2 SET n = 3 WHERE v = 'one'",
	"RENAME TABLE t2 TO t2r",
	"INSERT INTO t2r VALUES ('three', 3); UPDATE t2r SET n = 20 WHERE v = 'two' LIMIT 1; DELETE FROM t2r WHERE v = 'one'",
	"CREATE TABLE t3 (id int AUTO_INCREMENT PRIMARY KEY, s text NOT NULL, k varchar(10), UNIQUE KEY (k))",
	"INSERT INTO t3 (s, k) VALUES ('s1', 'k1'), ('s2', 'k2'), ('s3', NULL)",
	"CREATE TABLE t4 LIKE t1",
	"INSERT INTO t4 SELECT * FROM t1 WHERE id > 20; UPDATE t4 SET e = 'y' WHERE id = 25",
	"TRUNCATE t3",
	"INSERT INTO t3 (s, k) VALUES ('after truncate', 'k9')",
	"CREATE TABLE t5 (id int PRIMARY KEY)",
	"INSERT INTO t5 VALUES (1), (2)",
	"DROP TABLE t5",
	"CREATE TABLE t6 (id int PRIMARY KEY); CREATE TABLE t7 (id int PRIMARY KEY)",
	"INSERT INTO t6 VALUES (6); INSERT INTO t7 VALUES (7)",
	"DROP TABLE IF EXISTS t6, t7, nosuch",
	"RENAME TABLE t4 TO t4a, t3 TO t3a",
	"INSERT INTO t4a (id, a, bb, e) VALUES (26, 260, 't4a', 'z'); UPDATE t3a SET s = 'renamed' WHERE k = 'k9'",
	"ALTER TABLE t4a RENAME TO t4b",
	"INSERT INTO t4b (id, a, bb) VALUES (27, 270, 't4b')",
	# a new label that is also the new default, in one statement
	"ALTER TABLE t1 MODIFY e enum('x','y','z','w') NOT NULL DEFAULT 'w'",
	"INSERT INTO t1 (id, a, bb) VALUES (28, 280, 'default w')",
	# hostile identifiers through DML and DDL
	"INSERT INTO `x\"; DROP TABLE y; --` VALUES (3, 'drop'); UPDATE `x\"; DROP TABLE y; --` SET `select` = 'sel''ect' WHERE id = 1; DELETE FROM `x\"; DROP TABLE y; --` WHERE id = 2",
	"ALTER TABLE `x\"; DROP TABLE y; --` ADD COLUMN `from` int, ADD INDEX `idx\"; --` (`select`)",
	"INSERT INTO `x\"; DROP TABLE y; --` VALUES (4, 'four', 44); UPDATE `x\"; DROP TABLE y; --` SET `from` = 1 WHERE id = 3",
	# filters
	"INSERT INTO noins VALUES (3, 3); UPDATE noins SET v = 20 WHERE id = 2; DELETE FROM noins WHERE id = 1",
	"INSERT INTO skipme VALUES (1)",
	"INSERT INTO fil.d VALUES (4, 4); UPDATE fil.d SET v = 30 WHERE id = 3; DELETE FROM fil.d WHERE id = 1",
);
$m1->sql(join(";\n", @steps), db => 'app');
$app->wait_caught_up('app: caught up after the DDL stream');

same_table($m1, 'app', 't1',
	'id:NO:integer,a:YES:bigint,bb:NO:character varying(40),e:NO:app.t1_e');
same_table($m1, 'app', 't2r', 'v:YES:character varying(20),n:YES:integer');
same_table($m1, 'app', 't3a', 'id:NO:integer,s:NO:text,k:YES:character varying(10)');
is(pg_indexes('app', 't4b'), my_indexes($m1, 'app', 't4b'), 'app.t4b: same indexes, same names (CREATE TABLE LIKE, then RENAME)');
is(pg_cols('app', 't4b'), my_cols($m1, 'app', 't4b'), 'app.t4b: same columns and nullability');
is(pg_cols('app', 't4b', 1), 'id:NO:integer,a:YES:bigint,bb:NO:character varying(40),e:NO:app.t1_e', 'app.t4b: types');
is(pg_rows($node, 'app', 't4b'), mariadb_rows($m1, 'app', 't4b'), 'app.t4b: same rows');
same_table($m1, 'app', $HOSTILE, 'id:NO:integer,select:YES:character varying(20),from:YES:integer');
is(psql1("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'app.t1_e'::regtype"),
	'x,y,z,w', 'enum type got the new labels');
like(psql1("SELECT column_default FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 't1' AND column_name = 'e'"),
	qr/^\('w'::text\)::/, 'the new label is the default (cast when used: it was added in the same statement)');
is(psql1("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		  . " WHERE n.nspname = 'app' AND c.relname IN ('t2', 't3', 't4', 't4a', 't5', 't6', 't7') AND c.relkind = 'r'"),
	'0', 'dropped and renamed-away tables are gone');
is(psql1("SELECT string_agg(source_table || ':' || table_name || ':' || identity, ',' ORDER BY source_table)"
		  . " FROM chameleon.replica_tables WHERE source_name = 'app' AND source_schema = 'app'"),
	"bad:bad:primary key,noins:noins:primary key,t1:t1:primary key,t2r:t2r:full row,"
	  . "t3a:t3a:primary key,t4b:t4b:primary key,$HOSTILE:$HOSTILE:primary key",
	'replica_tables follows creates, drops and renames');
is(psql1("SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM app.noins"), '2:20',
	'skip_events insert on a table: insert not applied, update and delete applied');
is(psql1("SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM fil.d"), '1:1,2:2,3:30,4:4',
	'skip_events delete on a schema: delete not applied, insert and update applied');
is(psql1("SELECT to_regclass('app.skipme') IS NULL"), 't', 'skipped table still absent');
is(psql1("SELECT count(*) FROM chameleon.show_errors"), '0', 'no error so far');

# an incompatible statement: MariaDB (non-strict) turns 'abc' into 0,
# PostgreSQL refuses the cast; only that table is disabled
my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN chameleon');
$m1->sql("SET SESSION sql_mode = ''; INSERT INTO bad VALUES (3, 'abc'); ALTER TABLE bad MODIFY v int;"
	  . " INSERT INTO bad VALUES (4, 4); INSERT INTO t1 (id, a, bb) VALUES (30, 300, 'after bad');"
	  . " ALTER TABLE t1 ADD COLUMN late int; INSERT INTO t1 (id, a, bb, late) VALUES (31, 310, 'late', 1)", db => 'app');
$app->wait_caught_up('app: caught up after the incompatible statement');
is(psql1("SELECT enabled FROM chameleon.replica_tables WHERE source_name = 'app' AND source_table = 'bad'"),
	'f', 'the table of the refused statement is disabled');
like(psql1("SELECT table_name || ' | ' || sql_text || ' | ' || error_message FROM chameleon.show_errors WHERE source_name = 'app'"),
	qr/^bad \| .*ALTER.* \| .*integer/s, 'show_errors records the table, the statement and the message');
is(psql1("SELECT count(*) FROM app.bad"), '3', 'rows after the refused statement are not applied to the disabled table');
my $notified = $listener->query_safe('SELECT 1');
$notified .= $listener->{stdout} // '';
like($notified, qr/Asynchronous notification "chameleon" with payload "\{"source": "app", "event": "table disabled", "detail": "app\.bad: [^"]*integer/,
	'NOTIFY chameleon announces the disabled table');
$listener->quit;
is(psql1("SELECT string_agg(enabled::text, ',') FROM chameleon.replica_tables WHERE source_name = 'app' AND source_table <> 'bad'"),
	'true,true,true,true,true,true,true', 'every other table stays enabled');
same_table($m1, 'app', 't1',
	'id:NO:integer,a:YES:bigint,bb:NO:character varying(40),e:NO:app.t1_e,late:YES:integer');
is($app->worker_pid('reader'), $reader_pid,
	'the reader kept running through the whole DDL stream');
is(psql1("SELECT status FROM chameleon.show_status WHERE source_name = 'app'"), 'running', 'source app still running');

# ------------------------------------------- proof 6: GTID on source shop
$m2->sql("INSERT INTO shop.a VALUES (11, 'a11'); UPDATE shop.b SET n = 5 WHERE k = 'k1';"
	  . " INSERT INTO shop.c VALUES (2); CREATE TABLE shop.d (id int PRIMARY KEY); INSERT INTO shop.d VALUES (1)");
$shop->wait_caught_up('shop: caught up before the move');
is(psql1("SELECT to_regclass('shop.c') IS NULL AND to_regclass('shop.d') IS NULL"), 't',
	'limit_tables: other tables, also created mid-stream, not replicated');
same_table($m2, 'shop', 'a');
same_table($m2, 'shop', 'b');
my $gtid_before = psql1("SELECT read_gtid FROM chameleon.source WHERE source_name = 'shop'");
is($gtid_before, $m2->current_gtid, 'read_gtid follows the server GTID');

$shop->stop_replica(name => 'shop stopped');
my ($old_file) = psql1("SELECT read_file FROM chameleon.source WHERE source_name = 'shop'");
# purge only what the reader consumed: its recorded file disappears
$m2->sql("FLUSH BINARY LOGS; FLUSH BINARY LOGS");
my ($cur_file) = $m2->current_position;
# the replica m3 keeps the old file in use while connected
$m3->sql('STOP SLAVE');
# MariaDB 11.4+ keeps binlogs while fewer replicas than this are connected
$m2->sql_error('SET GLOBAL slave_connections_needed_for_purge = 0');
poll_until(sub { $m2->sql("PURGE BINARY LOGS TO '$cur_file'"); $m2->sql('SHOW BINARY LOGS') !~ /\Q$old_file\E/ },
	timeout => 10);
$m2->sql("INSERT INTO shop.a VALUES (12, 'while stopped'); FLUSH BINARY LOGS;"
	  . " INSERT INTO shop.a VALUES (13, 'next file')");
$m2->restart;
$m3->sql('START SLAVE');
$m2->sql("INSERT INTO shop.a VALUES (14, 'after restart'); DELETE FROM shop.b WHERE k = 'k2'");
unlike($m2->sql('SHOW BINARY LOGS'), qr/\Q$old_file\E/, "the recorded file $old_file is purged");
$shop->start_replica;
$shop->wait_caught_up('shop: caught up after restart and purge, by GTID');
same_table($m2, 'shop', 'a');
same_table($m2, 'shop', 'b');
is(psql1("SELECT status || ':' || coalesce(last_error, '') FROM chameleon.show_status WHERE source_name = 'shop'"),
	'running:', 'shop running without error');

# move the source to the replica m3: same GTIDs, other files and positions
ok(poll_until(sub { $m3->sql('SELECT @@global.gtid_slave_pos') eq $m2->current_gtid }),
	'the replica m3 caught up with m2');
$shop->stop_replica(name => 'shop stopped again');
$m2->sql("INSERT INTO shop.a VALUES (15, 'before the move'); UPDATE shop.a SET v = 'moved' WHERE id = 1");
ok(poll_until(sub { $m3->sql('SELECT @@global.gtid_slave_pos') eq $m2->current_gtid }),
	'm3 has the changes made while stopped');
my ($f2, $pos2) = $m2->current_position;
my ($f3, $pos3) = $m3->current_position;
isnt("$f3:$pos3", "$f2:$pos2", "m3's position ($f3:$pos3) differs from m2's ($f2:$pos2)");
psql1("SELECT chameleon.alter_source('shop', \$\$" . db_conn($m3) . "\$\$)");
$shop->start_replica;
$m2->sql("INSERT INTO shop.a VALUES (16, 'after the move'); INSERT INTO shop.b VALUES ('k3', 3)");
ok(poll_until(sub { $m3->sql('SELECT @@global.gtid_slave_pos') eq $m2->current_gtid }), 'm3 has the later changes');
# with gtid_enable, wait_caught_up compares GTIDs: file positions mean
# nothing across servers, so the rows must be there once it returns
$shop->wait_caught_up('shop: caught up on the other server');
is(psql1("SELECT count(*) FROM shop.a WHERE id IN (15, 16)"), '2',
	'wait_caught_up (by GTID) returned only once the changes from the other server arrived');
same_table($m3, 'shop', 'a');
same_table($m3, 'shop', 'b');
is(psql1("SELECT count(*) FROM shop.a WHERE id IN (15, 16)"), '2', 'no change lost across the move');
is(psql1("SELECT status || ':' || coalesce(last_error, '') FROM chameleon.show_status WHERE source_name = 'shop'"),
	'running:', 'shop running on the other server');
is(psql1("SELECT count(*) FROM chameleon.show_errors WHERE source_name = 'shop'"), '0', 'no error for shop');

# source app kept replicating while shop moved
$m1->sql("INSERT INTO app.t1 (id, a, bb) VALUES (40, 400, 'last')");
$app->wait_caught_up('app: caught up at the end');
is(psql1("SELECT bb FROM app.t1 WHERE id = 40"), 'last', 'source app still replicating');

psql1("SELECT chameleon.stop_all_replicas()");
my $elapsed = time - $t_start;
ok($elapsed < 240, sprintf('test took %.0f s', $elapsed));
$node->stop('fast');
done_testing();
