
# Copyright (c) chameleon developers
#
# The schema history (SPEC section 5, "Schema history"): with
# binlog_row_metadata MINIMAL (MySQL 8's default) and NO_LOG, a backlog
# that crosses column reorders, additions, drops, renames, retypes, ENUM
# label changes and a table rename lands value by value in the right
# columns, decoded with the layout of each row's own position, not with
# the server's layout of now.  The reader is restarted in the middle of
# the backlog (the history is persistent), a table is re-copied with
# sync_tables() while the source runs, and a table whose layout is not
# known is disabled with the reason instead of receiving guessed rows.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

my $m = ChameleonTest::MariaDB->new(name => 'hist', binlog_row_metadata => 'MINIMAL');
$m->start;
my $node = chameleon_node('hist', create_extension => 1, naptime => 1,
	conf => ["timezone = 'UTC'", 'max_worker_processes = 16']);

# The columns both sides are compared on, in MySQL's current order.
sub columns_of
{
	my ($schema, $table) = @_;
	return split(/\n/, $m->sql("SELECT column_name FROM information_schema.columns"
		  . " WHERE table_schema = '$schema' AND table_name = '$table' ORDER BY ordinal_position"));
}

# Every row of a table, value by value, on both sides.
sub same_table
{
	my ($r, $schema, $table, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my @cols = columns_of($schema, $table);
	my $my = join(', ', map { "coalesce(cast(`$_` AS char), '<null>')" } @cols);
	my $pg = join(', ', map { "coalesce(\"$_\"::text, '<null>')" } @cols);
	return $r->same_result("SELECT $pg FROM \"$schema\".\"$table\" ORDER BY id",
		"SELECT $my FROM `$schema`.`$table` ORDER BY id", $name);
}

# Where the binlog is now (file, position).
sub binlog_now
{
	my ($file, $pos) = split(/\t/, $m->sql('SHOW MASTER STATUS'));
	return ($file, $pos);
}

# The source's read position compared with (file, pos): <0, 0, >0.
sub read_cmp
{
	my ($r, $file, $pos) = @_;
	return $r->psql("SELECT chameleon._binlog_pos_cmp(read_file, read_pos, '$file', $pos)"
		  . ' FROM chameleon.source WHERE source_name = ' . "'" . $r->source . "'");
}

foreach my $mode ('MINIMAL', 'NO_LOG')
{
	my $db = lc("h_$mode");
	$m->sql("SET GLOBAL binlog_row_metadata = $mode");
	$m->sql(<<"SQL");
CREATE DATABASE $db CHARACTER SET utf8mb4;
USE $db;
CREATE TABLE t (id int PRIMARY KEY, a int, b varchar(20), e enum('x','y'), u tinyint unsigned);
CREATE TABLE s (id int PRIMARY KEY, x int, y int);
CREATE TABLE g (id int PRIMARY KEY, v varchar(10));
INSERT INTO t VALUES (100, 1, 'copied', 'y', 255);
INSERT INTO s VALUES (100, 1, 2);
INSERT INTO g VALUES (1, 'one');
SQL
	my $r = ChameleonTest::Replica->new($node, $m, $db,
		schema_mappings => { $db => $db },
		config => ['replica_batch_size: 20'], init => 1, start => 1);
	ok($r->psql("SELECT count(*) FROM chameleon.table_layout l JOIN chameleon.source s USING (source_id)"
			  . " WHERE s.source_name = '$db' AND l.layout IS NOT NULL") >= 3,
		"$mode: the initial copy recorded each table's layout at its snapshot");
	$r->wait_caught_up("$mode: caught up after the copy");

	# ---- a backlog written while the source is stopped
	$r->stop_replica;
	$m->sql(<<"SQL");
USE $db;
INSERT INTO t VALUES (1, 10, 'one', 'x', 200);
INSERT INTO s VALUES (1, 11, 22);
ALTER TABLE t MODIFY b varchar(20) AFTER id;
ALTER TABLE s MODIFY y int AFTER id;
INSERT INTO t (id, a, b, e, u) VALUES (2, 20, 'two', 'y', 250);
INSERT INTO s (id, x, y) VALUES (2, 33, 44);
UPDATE s SET x = x + 1 WHERE id = 1;
ALTER TABLE t ADD c int DEFAULT 7 FIRST;
INSERT INTO t (id, a, b, e, u, c) VALUES (3, 30, 'three', 'x', 3, 70);
SQL
	my ($mid_file, $mid_pos) = binlog_now();
	# enough rows after the first DDLs to restart the reader among them
	$m->sql("USE $db; INSERT INTO g SELECT seq, concat('v', seq) FROM seq_2_to_20000");
	$m->sql("UPDATE $db.g SET v = concat(v, '+') WHERE id % 3 = 0");
	$m->sql(<<"SQL");
USE $db;
ALTER TABLE t DROP COLUMN a;
INSERT INTO t (id, b, e, u, c) VALUES (4, 'four', 'y', 4, 80);
ALTER TABLE t CHANGE b bee varchar(30);
INSERT INTO t (id, bee, e, u) VALUES (5, 'five, a longer text', 'x', 5);
UPDATE t SET bee = 'one again', u = 201 WHERE id = 1;
ALTER TABLE t MODIFY e enum('w','x','y','z');
INSERT INTO t (id, bee, e, u) VALUES (6, 'six', 'w', 6);
UPDATE t SET e = 'z' WHERE id = 2;
UPDATE t SET e = 'y' WHERE id = 100;
RENAME TABLE t TO t2;
INSERT INTO t2 (id, bee, e, u) VALUES (7, 'seven', 'z', 7);
ALTER TABLE t2 MODIFY u int;
INSERT INTO t2 (id, bee, e, u) VALUES (8, 'eight', 'x', -5);
UPDATE t2 SET u = -1 WHERE id = 3;
DELETE FROM t2 WHERE id = 4;
ALTER TABLE s CHANGE x x_new bigint, CHANGE y y_new int AFTER x_new;
INSERT INTO s (id, x_new, y_new) VALUES (3, 5000000000, 55);
SQL
	my ($end_file, $end_pos) = binlog_now();

	# ---- read part of the backlog, then restart the reader
	$r->start_replica;
	ok(poll_until(sub { read_cmp($r, $mid_file, $mid_pos) >= 0 }, timeout => 120, interval => 0.02),
		"$mode: the reader passes the first DDLs of the backlog");
	my $reader = $r->worker_pid('reader');
	$node->safe_psql('postgres', "SELECT pg_terminate_backend($reader)");
	my $at_kill = read_cmp($r, $end_file, $end_pos);
	cmp_ok($at_kill, '<', 0, "$mode: the reader was stopped in the middle of the backlog");
	ok($r->workers_up(except => [$reader]), "$mode: the reader comes back");
	$r->wait_caught_up("$mode: the whole backlog is applied", timeout => '180 s');

	same_table($r, $db, 't2', "$mode: every row of the renamed, reordered, retyped table, value by value");
	same_table($r, $db, 's', "$mode: two int columns swapped, renamed, retyped: every value in its column");
	same_table($r, $db, 'g', "$mode: the rows read across the reader's restart");
	is($r->psql("SELECT count(*) FROM chameleon.replica_tables WHERE schema_name = '$db' AND NOT enabled"),
		'0', "$mode: no table disabled");
	ok($r->psql("SELECT count(*) FROM chameleon.table_layout l JOIN chameleon.source s USING (source_id)"
			  . " WHERE s.source_name = '$db' AND l.source_table IN ('t', 't2')") >= 9,
		"$mode: the history holds a layout for each DDL on the table");

	# ---- sync_tables of one table while the source runs, then more DDL
	$r->psql("SELECT chameleon.sync_tables('$db', ARRAY['$db.s'], wait => true)");
	$m->sql("ALTER TABLE $db.s ADD z varchar(5) DEFAULT 'zz' AFTER id");
	$m->sql("INSERT INTO $db.s (id, x_new, y_new, z) VALUES (4, 6, 66, 'four')");
	$m->sql("UPDATE $db.s SET y_new = 0 WHERE id = 1");
	$r->wait_caught_up("$mode: caught up after sync_tables and more DDL");
	same_table($r, $db, 's', "$mode: the synced table's rows after its copy and a later reorder");

	# ---- a layout the history does not know: the table is disabled, not guessed
	$r->stop_replica;
	$r->psql("UPDATE chameleon.table_layout SET layout = NULL, why = 'made unknown by the test'"
		  . " WHERE source_table = 'g' AND source_id = " . $r->source_id);
	$m->sql("INSERT INTO $db.g VALUES (50000, 'new')");
	$m->sql("INSERT INTO $db.s (id, x_new, y_new, z) VALUES (5, 7, 77, 'five')");
	$r->start_replica;
	ok(poll_until(sub { $r->psql("SELECT NOT enabled FROM chameleon.replica_tables WHERE schema_name = '$db'"
					  . " AND table_name = 'g'") eq 't' }, timeout => 60),
		"$mode: a table whose layout is unknown is disabled");
	like($r->psql("SELECT disabled_reason FROM chameleon.replica_table WHERE schema_name = '$db' AND table_name = 'g'"),
		qr/unknown.*made unknown by the test/, "$mode: the reason says why");
	$r->wait_caught_up("$mode: the other tables go on");
	same_table($r, $db, 's', "$mode: the rows of the other tables are applied");
	is($r->psql("SELECT count(*) FROM \"$db\".g WHERE id = 50000"), '0', "$mode: no guessed row");
	$r->stop_replica;
}

$m->sql('SET GLOBAL binlog_row_metadata = FULL');
$node->stop;
$m->stop;
done_testing();
