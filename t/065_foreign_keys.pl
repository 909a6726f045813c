
# Copyright (c) chameleon developers
#
# Foreign-key actions (issue "correct to the last row", point 1): MariaDB
# performs ON DELETE / ON UPDATE CASCADE and SET NULL inside InnoDB and logs
# only the parent's change; the replay must perform them itself, in the
# same transaction, recursively, from the keys as they are at that point
# of the stream.  A schema of chains three levels deep, SET NULL, composite
# and self-referencing keys, a key added and dropped mid-stream, a key on a
# renamed table and one on a table created mid-stream; every table is
# compared with MariaDB by an ordered checksum.  SET DEFAULT (which InnoDB
# refuses, so that MariaDB silently drops it) is exercised through the
# catalogue.  Then detach_replica() on the RUNNING source: it stops the
# workers once everything read is applied, and every MariaDB foreign key
# exists in PostgreSQL, validated, with its actions.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);

my $m = ChameleonTest::MariaDB->new(name => 'fk');
$m->start;
$m->create_user('repl', 'repl-pw');
$m->sql(<<'SQL');
CREATE DATABASE fk CHARACTER SET utf8mb4;
USE fk;
CREATE TABLE country (country_id int PRIMARY KEY, name varchar(40));
CREATE TABLE city (city_id int PRIMARY KEY, country_id int NOT NULL,
  CONSTRAINT fk_city_country FOREIGN KEY (country_id) REFERENCES country (country_id)
    ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE address (address_id int PRIMARY KEY, city_id int,
  FOREIGN KEY (city_id) REFERENCES city (city_id) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE customer (customer_id int PRIMARY KEY, address_id int,
  FOREIGN KEY (address_id) REFERENCES address (address_id) ON DELETE SET NULL ON UPDATE CASCADE);
CREATE TABLE orders (region int, order_no int, total int, PRIMARY KEY (region, order_no));
CREATE TABLE order_line (line_id int PRIMARY KEY, region int, order_no int, qty int,
  CONSTRAINT fk_line_order FOREIGN KEY (region, order_no) REFERENCES orders (region, order_no)
    ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE employee (emp_id int PRIMARY KEY, manager_id int,
  FOREIGN KEY (manager_id) REFERENCES employee (emp_id) ON DELETE CASCADE);
CREATE TABLE category (cat_id int PRIMARY KEY, parent_id int,
  FOREIGN KEY (parent_id) REFERENCES category (cat_id) ON DELETE SET NULL ON UPDATE CASCADE);
CREATE TABLE plain_parent (id int PRIMARY KEY);
CREATE TABLE plain_child (id int PRIMARY KEY, parent_id int);
CREATE TABLE skipped_child (id int PRIMARY KEY, country_id int,
  FOREIGN KEY (country_id) REFERENCES country (country_id) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE defaulted (id int PRIMARY KEY, country_id int DEFAULT 0);
INSERT INTO country SELECT seq, concat('country ', seq) FROM seq_1_to_10;
INSERT INTO city SELECT seq, 1 + seq % 10 FROM seq_1_to_60;
INSERT INTO address SELECT seq, 1 + seq % 60 FROM seq_1_to_300;
INSERT INTO customer SELECT seq, 1 + seq % 300 FROM seq_1_to_600;
INSERT INTO orders SELECT 1 + seq % 3, seq, seq * 10 FROM seq_1_to_30;
INSERT INTO order_line SELECT seq, 1 + (1 + seq % 30) % 3, 1 + seq % 30, seq FROM seq_1_to_120;
INSERT INTO employee VALUES (1, NULL);
INSERT INTO employee SELECT seq, 1 FROM seq_2_to_5;
INSERT INTO employee SELECT seq, 2 + seq % 4 FROM seq_6_to_30;
INSERT INTO employee SELECT seq, 6 + seq % 25 FROM seq_31_to_80;
INSERT INTO category VALUES (1, NULL), (2, 1), (3, 1), (4, 2), (5, 4), (6, 4), (7, 3);
INSERT INTO plain_parent SELECT seq FROM seq_1_to_10;
INSERT INTO plain_child SELECT seq, 1 + seq % 10 FROM seq_1_to_40;
INSERT INTO skipped_child SELECT seq, 1 + seq % 10 FROM seq_1_to_20;
INSERT INTO defaulted SELECT seq, 1 + seq % 10 FROM seq_1_to_20;
SQL

my $node = chameleon_node('fk', create_extension => 1, naptime => 2,
	conf => ["timezone = 'UTC'", 'max_worker_processes = 16']);
my $port = $m->port;
$node->safe_psql('postgres', "SELECT chameleon.add_source('fk', \$\$db_conn: {host: 127.0.0.1, port: $port, user: repl, password: repl-pw}
schema_mappings: {fk: fk}
skip_tables: [fk.skipped_child]\$\$)");
$node->safe_psql('postgres', "SELECT chameleon.init_replica('fk', wait => true)");
is( $node->safe_psql('postgres',
		"SELECT string_agg(format('%s.%s:%s:%s', source_table, fk_name, on_delete, on_update), ' ' ORDER BY source_table)"
		  . " FROM chameleon.foreign_key WHERE source_table IN ('city', 'order_line')"),
	'city.fk_city_country:cascade:cascade order_line.fk_line_order:cascade:cascade',
	'the copy records the foreign keys with their actions');

# SET DEFAULT: InnoDB refuses it (MariaDB drops the clause silently), so it
# is put in the catalogue by hand to exercise the replay's action
$node->safe_psql('postgres', q{INSERT INTO chameleon.foreign_key (source_id, source_schema,
  source_table, fk_name, columns, ref_schema, ref_table, ref_columns, on_delete, on_update)
  SELECT source_id, 'fk', 'defaulted', 'by_hand', '{country_id}', 'fk', 'country', '{country_id}',
         'set default', 'restrict' FROM chameleon.source WHERE source_name = 'fk'});

$node->safe_psql('postgres', "SELECT chameleon.start_replica('fk')");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type IN ('chameleon reader fk', 'chameleon replay fk')"),
	'reader and replay run');

# Every table of fk as an ordered checksum of its integer columns: rows and
# key values, which is what foreign-key actions change.
my %cols = (
	country => 'country_id', city => 'city_id, country_id',
	address => 'address_id, city_id', customer => 'customer_id, address_id',
	orders => 'region, order_no, total', order_line => 'line_id, region, order_no, qty',
	employee => 'emp_id, manager_id', category => 'cat_id, parent_id',
	plain_parent => 'id', plain_child => 'id, parent_id');

sub my_sum
{
	my ($table, $cols) = @_;
	my $list = join(', ', map { "coalesce($_, -1)" } split(/, /, $cols));
	return $m->sql("SELECT count(*), coalesce(md5(group_concat(concat_ws(':', $list) ORDER BY $cols SEPARATOR ',')), '')"
		  . " FROM fk.`$table`");
}

sub pg_sum
{
	my ($table, $cols) = @_;
	my $list = join(', ', map { "coalesce($_, -1)" } split(/, /, $cols));
	my $r = $node->safe_psql('postgres',
		"SELECT count(*), coalesce(md5(string_agg(concat_ws(':', $list), ',' ORDER BY $cols)), '')"
		  . qq{ FROM fk."$table"});
	$r =~ s/\|/\t/;
	return $r;
}

sub compare_all
{
	my ($when) = @_;
	is($node->safe_psql('postgres', "SELECT chameleon.wait_caught_up('fk', '120 s')"), 't', "$when: caught up");
	foreach my $t (sort keys %cols)
	{
		is(pg_sum($t, $cols{$t}), my_sum($t, $cols{$t}), "$when: $t identical");
	}
}

compare_all('after the copy');

# ---- three levels of ON DELETE CASCADE, then SET NULL below them
$m->sql('DELETE FROM fk.country WHERE country_id = 3');
# ON UPDATE CASCADE from country to city (city's own key does not change)
$m->sql('UPDATE fk.country SET country_id = 103 WHERE country_id = 4');
# ON UPDATE CASCADE two levels: a city's key moves, addresses follow
$m->sql('UPDATE fk.city SET city_id = 1005 WHERE city_id = 5');
# composite key, updated then deleted, in one transaction
$m->sql('START TRANSACTION; UPDATE fk.orders SET order_no = 1000 + order_no WHERE region = 2;'
	  . ' DELETE FROM fk.orders WHERE region = 3 AND order_no < 20; COMMIT');
# a self-referencing tree: deleting a manager deletes the whole subtree
$m->sql('DELETE FROM fk.employee WHERE emp_id = 2');
# self-reference with SET NULL (InnoDB refuses to cascade an update of a
# self-referenced key that has children, so only a leaf's key moves)
$m->sql('UPDATE fk.category SET cat_id = 70 WHERE cat_id = 7');
$m->sql('DELETE FROM fk.category WHERE cat_id = 4');
compare_all('after the actions');
is(pg_sum('address', 'address_id, city_id'), my_sum('address', 'address_id, city_id'), 'addresses of the moved city follow it');
is($node->safe_psql('postgres', 'SELECT count(*) FROM fk.employee WHERE emp_id = 2 OR manager_id = 2'), '0',
	'the subtree of the deleted manager is gone');
is($node->safe_psql('postgres', 'SELECT count(*) FROM fk.defaulted WHERE country_id = 0'), '2',
	'SET DEFAULT (catalogue) gives the default to the rows of the deleted country');

# ---- keys that come and go with replicated DDL
$m->sql('ALTER TABLE fk.plain_child ADD CONSTRAINT fk_plain FOREIGN KEY (parent_id) REFERENCES fk.plain_parent (id) ON DELETE CASCADE');
$m->sql('DELETE FROM fk.plain_parent WHERE id = 1');
$m->sql('ALTER TABLE fk.plain_child DROP FOREIGN KEY fk_plain');
# without the key MariaDB deletes only the parent: so must the replica
$m->sql('DELETE FROM fk.plain_parent WHERE id = 2');
# a key added without a name (its orphans go first), on a table renamed
# afterwards
$m->sql('DELETE FROM fk.plain_child WHERE parent_id = 2');
$m->sql('ALTER TABLE fk.plain_child ADD FOREIGN KEY (parent_id) REFERENCES fk.plain_parent (id) ON DELETE SET NULL');
$m->sql('RENAME TABLE fk.plain_parent TO fk.plain_parent2');
$m->sql('DELETE FROM fk.plain_parent2 WHERE id = 3');
# a table created mid-stream with its key inline
$m->sql('CREATE TABLE fk.review (review_id int PRIMARY KEY, city_id int,'
	  . ' FOREIGN KEY (city_id) REFERENCES fk.city (city_id) ON DELETE CASCADE)');
$m->sql('INSERT INTO review SELECT c.city_id * 10 + s.seq, c.city_id FROM city c JOIN seq_1_to_2 s', db => 'fk');
$m->sql('DELETE FROM fk.city WHERE city_id IN (7, 8)');
delete $cols{plain_parent};
$cols{plain_parent2} = 'id';
$cols{review} = 'review_id, city_id';
compare_all('after DDL');
is( $node->safe_psql('postgres',
		"SELECT string_agg(format('%s:%s:%s', fk_name, ref_table, on_delete), ' ' ORDER BY fk_name)"
		  . " FROM chameleon.foreign_key WHERE source_table = 'plain_child'"),
	'plain_child_ibfk_1:plain_parent2:set null',
	'the catalogue follows ADD/DROP FOREIGN KEY, the generated name and the rename');

# the table excluded by skip_tables is not replicated, so not followed
is($node->safe_psql('postgres', "SELECT to_regclass('fk.skipped_child') IS NULL"), 't',
	'the skipped referencing table is not replicated');

# ---- detach the running source: stopped once everything is applied
$m->sql('DELETE FROM fk.country WHERE country_id = 6');
$node->safe_psql('postgres', "DELETE FROM chameleon.foreign_key WHERE fk_name = 'by_hand'");
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.detach_replica('fk')");
is($ret, 0, 'detach_replica on a running source succeeds') or diag($err);
like($err, qr/source "fk" detached/, 'it says so');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'chameleon % fk'"), '0',
	'no worker of the source is left');
foreach my $t (sort keys %cols)
{
	is(pg_sum($t, $cols{$t}), my_sum($t, $cols{$t}), "after detach: $t identical (the last change was applied)");
}
my $mysql_fks = $m->sql("SELECT group_concat(concat(TABLE_NAME, '.', CONSTRAINT_NAME, ':', DELETE_RULE, ':', UPDATE_RULE)"
	  . " ORDER BY TABLE_NAME, CONSTRAINT_NAME SEPARATOR ' ')"
	  . " FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'fk' AND TABLE_NAME <> 'skipped_child'");
my $pg_fks = $node->safe_psql('postgres', <<'SQL');
SELECT string_agg(format('%s.%s:%s:%s', c.relname, k.conname,
         CASE k.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT'
                            WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END,
         CASE k.confupdtype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT'
                            WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END), ' ' ORDER BY c.relname, k.conname)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
 WHERE k.contype = 'f' AND k.connamespace = 'fk'::regnamespace
SQL
is($pg_fks, $mysql_fks, 'every MariaDB foreign key exists in PostgreSQL with its actions');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'fk'::regnamespace AND NOT convalidated"),
	'0', 'and every one is validated');

$node->stop('fast');
done_testing();
