
# Copyright (c) chameleon developers
#
# A real schema end to end: the Sakila sample database (MySQL's public
# DVD-rental schema: foreign keys ON UPDATE CASCADE / ON DELETE RESTRICT /
# SET NULL, ENUM, SET, YEAR, BLOB, TIMESTAMP, BOOLEAN, a MyISAM table kept
# by triggers, views, stored procedures and functions) is loaded into a
# real MariaDB from the binlog fixture mysql-bin.sakila.gz (MySQL 5.5, so
# Sakila 0.8: the geometry column of later releases is added here), copied
# with init_replica while rentals are being written, then replicated while
# a live workload runs: rentals and payments from a second session all
# along, returns, customer updates, keys moved by ON UPDATE CASCADE into
# one to three tables (country, city, address, customer, language, actor,
# category, store, staff, rental, film), deletes with SET NULL and
# CASCADE, a film added with its actors, categories and stock, ALTER TABLE
# adding columns, enum labels and a self-referencing foreign key, a new
# table with foreign keys, a new trigger, geometry values, and views,
# procedures and temporary tables in the stream.  Meanwhile four of the
# tables are copied again by sync_tables(), their swap held back so that
# the cascades into them, the other session's rows and two ALTER TABLE
# reach them as held changes.  Every base table is compared row by row
# with MariaDB, after the copy and after the workload; no error, no
# disabled table, no discarded row.  Then detach_replica() on the running
# source: every MariaDB foreign key exists in PostgreSQL with its columns
# and actions, validated, and every sequence is past its column's maximum.
#
# The fixture is read from $CHAMELEON_FIXTURES (the binlogs folder of the
# shared fixtures); the test is skipped without it.

use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica;

my $fixtures = $ENV{CHAMELEON_FIXTURES};
plan skip_all => 'CHAMELEON_FIXTURES is not set (the shared binlog fixtures folder)'
  unless defined $fixtures && $fixtures ne '';
my $dump = "$fixtures/binlog_connector_java/mysql-bin.sakila.gz";
plan skip_all => "fixture $dump is missing" unless -r $dump;

my $started = time;
my $m = ChameleonTest::MariaDB->new(name => 'sakila', extra => ['default-time-zone = +00:00']);
$m->start;

# ---- load Sakila: the fixture's statements and row events, replayed by
# the mariadb client (BINLOG '...' statements).  Its triggers, views and
# routines name the definer msandbox@'%'.
$m->sql("CREATE USER msandbox\@'%'; GRANT ALL ON sakila.* TO msandbox\@'%'");
{
	my $err = '';
	my $ok = IPC::Run::run([ 'gzip', '-dc', $dump ], '|',
		[ 'mariadb-binlog', '--no-defaults', '-' ], '|',
		[ $m->_client_cmd ], '2>', \$err);
	ok($ok, 'the Sakila binlog loads into MariaDB') or die "loading $dump: $err";
}
is( $m->sql("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sakila' AND TABLE_TYPE = 'BASE TABLE'")
	  . ' ' . $m->sql("SELECT count(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'sakila'")
	  . ' ' . $m->sql("SELECT count(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'sakila'")
	  . ' ' . $m->sql("SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'sakila'")
	  . ' ' . $m->sql('SELECT count(*) FROM sakila.rental'),
	'16 7 6 6 16044', 'Sakila: 16 tables, 7 views, 6 routines, 6 triggers, 16044 rentals');

# Sakila 1.0 onward has address.location GEOMETRY NOT NULL with a SPATIAL
# key; 0.8 has not.  Some films get an original language (the second
# foreign key to language).
$m->sql(<<'SQL', db => 'sakila');
ALTER TABLE address ADD COLUMN location GEOMETRY NULL AFTER phone;
UPDATE address SET location = Point(address_id / 7, city_id / 3);
ALTER TABLE address MODIFY location GEOMETRY NOT NULL, ADD SPATIAL KEY idx_location (location);
UPDATE film SET original_language_id = 1 + film_id % 6 WHERE film_id % 10 = 0;
SQL

# ---- PostgreSQL and the source
my $node = chameleon_node('sakila', create_extension => 1, naptime => 1,
	conf => ["timezone = 'UTC'", 'max_worker_processes = 16']);
my $r = ChameleonTest::Replica->new($node, $m, 'sakila', schema_mappings => { sakila => 'sakila' });

# A second MariaDB session writing rentals and payments the way the shop
# does: one transaction each, the BEFORE INSERT triggers set the dates,
# every third one returns the rental before last; $pause seconds apart.
# (Plain statements, not a stored procedure: MariaDB 10.11 fails a running
# procedure's INSERT into payment with "Table 'sakila.customer' doesn't
# exist" once a trigger on payment that updates customer is created.)
sub rent_in_background
{
	my ($n, $seed, $pause) = @_;
	my $script = '';
	for my $i (0 .. $n - 1)
	{
		my $inv = 1 + ($seed * 7919 + $i * 37) % 2000;
		my $cust = 1 + ($seed * 31 + $i * 13) % 300;
		my $amount = 0.99 + $i % 5;
		$script .= "START TRANSACTION;\n"
		  . "INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id) VALUES (NOW(), $inv, $cust, 1);\n"
		  . "SET \@rid = LAST_INSERT_ID();\n"
		  . "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES ($cust, 1, \@rid, $amount, NOW());\n";
		$script .= 'UPDATE rental SET return_date = NOW() + INTERVAL ' . ($i % 7) . " DAY WHERE rental_id = \@rid - 2;\n"
		  if $i % 3 == 0;
		$script .= "COMMIT;\nDO SLEEP($pause);\n";
	}
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ $m->_client_cmd(db => 'sakila') ], '<', \$script, '>', \$out, '2>', \$err);
	return { h => $h, err => \$err };
}

# Wait for it; a test that it succeeded.
sub rent_finish
{
	my ($bg, $name) = @_;
	my $ok = eval { $bg->{h}->finish };
	ok($ok, $name) or diag(${ $bg->{err} });
}

my $rentals_before = $m->sql('SELECT max(rental_id) FROM sakila.rental');
my $bg = rent_in_background(150, 1, 0.02);
$r->init_replica(name => 'init_replica copies Sakila while rentals are written');
rent_finish($bg, 'rentals written during the copy');
cmp_ok($m->sql("SELECT count(*) FROM sakila.rental WHERE rental_id > $rentals_before"), '==', 150,
	'150 rentals were written');
$r->start_replica;

# ---- comparing the two sides

# The base tables of sakila on MariaDB.
sub mysql_tables
{
	return sort split(/\n/, $m->sql("SELECT TABLE_NAME FROM information_schema.TABLES"
		  . " WHERE TABLE_SCHEMA = 'sakila' AND TABLE_TYPE = 'BASE TABLE'"));
}

# One column as text on each side: timestamps and datetimes at the
# microsecond (both sessions in UTC), bytes and geometry (WKB, which is
# what PostgreSQL stores without PostGIS) as hex, everything else as text.
sub column_exprs
{
	my ($col, $type) = @_;
	my $my = "`$col`";
	my $pg = qq{"$col"};
	if ($type =~ /^(timestamp|datetime)$/)
	{
		($my, $pg) = ("DATE_FORMAT($my, '%Y-%m-%d %H:%i:%s.%f')", "to_char($pg, 'YYYY-MM-DD HH24:MI:SS.US')");
	}
	elsif ($type =~ /blob$|binary$/)
	{
		($my, $pg) = ("hex($my)", "upper(encode($pg, 'hex'))");
	}
	elsif ($type =~ /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)$/)
	{
		($my, $pg) = ("hex(ST_AsWKB($my))", "upper(encode($pg, 'hex'))");
	}
	else
	{
		($my, $pg) = ("cast($my AS char)", "${pg}::text");
	}
	return ("coalesce($my, '<null>')", "coalesce($pg, '<null>')");
}

# Every row of a table on both sides, compared: one test.  A column
# missing on either side fails it; the rows are then compared on the
# columns both have.
sub same_table
{
	my ($table, $when) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my @cols = map { [ split(/\t/) ] } split(/\n/, $m->sql("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS"
		  . " WHERE TABLE_SCHEMA = 'sakila' AND TABLE_NAME = '$table' ORDER BY ORDINAL_POSITION"));
	my %pgcols = map { $_ => 1 } split(/\n/, $node->safe_psql('postgres', "SELECT attname FROM pg_attribute"
		  . " WHERE attrelid = 'sakila.\"$table\"'::regclass AND attnum > 0 AND NOT attisdropped"));
	my @missing = grep { !delete $pgcols{ $_->[0] } } @cols;
	my @extra = sort keys %pgcols;
	my %miss = map { $_->[0] => 1 } @missing;
	my (@my, @pg);
	foreach my $c (grep { !$miss{ $_->[0] } } @cols)
	{
		my ($me, $pe) = column_exprs(@$c);
		push @my, $me;
		push @pg, $pe;
	}
	my @myrows = sort split(/\n/, $m->sql("SET SESSION time_zone = '+00:00';"
		  . ' SELECT concat_ws(\'|\', ' . join(', ', @my) . ") FROM sakila.`$table`", raw => 1));
	my @pgrows = sort split(/\n/, $node->safe_psql('postgres',
		'SELECT concat_ws(\'|\', ' . join(', ', @pg) . qq{) FROM sakila."$table"}));
	my %count;
	$count{$_}++ foreach @myrows;
	$count{$_}-- foreach @pgrows;
	my @only_my = grep { $count{$_} > 0 } sort keys %count;
	my @only_pg = grep { $count{$_} < 0 } sort keys %count;
	my $ok = ok(@myrows > 0 && !@only_my && !@only_pg && !@missing && !@extra,
		sprintf('%s: %s identical (%d rows on MariaDB, %d in PostgreSQL)', $when, $table, scalar @myrows, scalar @pgrows));
	if (!$ok)
	{
		diag('columns missing in PostgreSQL: ' . join(', ', map { $_->[0] } @missing)) if @missing;
		diag('columns only in PostgreSQL: ' . join(', ', @extra)) if @extra;
		diag(sprintf('%d rows only on MariaDB, %d only in PostgreSQL', scalar @only_my, scalar @only_pg));
		diag('MariaDB:    ' . substr($_, 0, 300)) foreach @only_my[ 0 .. ($#only_my < 4 ? $#only_my : 4) ];
		diag('PostgreSQL: ' . substr($_, 0, 300)) foreach @only_pg[ 0 .. ($#only_pg < 4 ? $#only_pg : 4) ];
	}
	return scalar @myrows;
}

# Caught up, then every base table compared; returns the number of rows.
sub compare_all
{
	my ($when) = @_;
	$r->wait_caught_up("$when: caught up", timeout => '120 s');
	my @tables = mysql_tables();
	is( $node->safe_psql('postgres',
			"SELECT string_agg(relname, ' ' ORDER BY relname COLLATE \"C\") FROM pg_class"
			  . " WHERE relnamespace = 'sakila'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f')"),
		join(' ', sort @tables), "$when: PostgreSQL has every base table of sakila, no view");
	my $rows = 0;
	$rows += same_table($_, $when) foreach @tables;
	return (scalar @tables, $rows);
}

# No error, no disabled table, no discarded row.
sub clean
{
	my ($when) = @_;
	is($r->psql("SELECT string_agg(coalesce(table_name, '-') || ': ' || error_message, E'\\n')"
			  . " FROM chameleon.show_errors WHERE source_name = 'sakila'"), '', "$when: show_errors is empty");
	is($r->psql("SELECT string_agg(source_table, ' ') FROM chameleon.replica_tables"
			  . " WHERE source_name = 'sakila' AND NOT enabled"), '', "$when: no table is disabled");
	is($r->psql("SELECT string_agg(table_name || ': ' || reason, E'\\n') FROM chameleon.discarded_rows"
			  . " WHERE source_name = 'sakila'"), '', "$when: no row was discarded");
}

my ($ntables, $nrows) = compare_all('after the copy');
clean('after the copy');
is($r->psql("SELECT count(*) FROM chameleon.replica_tables WHERE source_name = 'sakila' AND consistent"), $ntables,
	'every table is consistent');
is($r->psql("SELECT pg_typeof(location)::text || ' ' || pg_typeof(release_year)::text || ' '"
		  . " || pg_typeof(special_features)::text || ' ' || (SELECT typtype::text FROM pg_type WHERE oid = pg_typeof(rating))"
		  . ' FROM sakila.address, sakila.film LIMIT 1'),
	'bytea smallint text e', 'geometry, YEAR, SET and ENUM columns have the types of the type map');

# ---- the live workload, with rentals and payments written by a second
# session all along
$bg = rent_in_background(400, 2, 0.02);
my $t_live = time;

# returns, customer updates (text beyond ASCII)
$m->sql(<<'SQL', db => 'sakila');
UPDATE rental SET return_date = NOW() WHERE return_date IS NULL AND customer_id > 300;
UPDATE customer SET email = lower(email), active = 0 WHERE customer_id BETWEEN 400 AND 450;
UPDATE customer SET first_name = 'ZOË', last_name = 'O''BRIEN-ÅSTRÖM' WHERE customer_id = 401;
SQL

# sync_tables of tables the cascades below reach (city, film_actor,
# payment, film), that the other session writes (payment) and that DDL
# changes (payment, film): a PostgreSQL session keeps their swap waiting,
# so that everything below reaches them as held changes (chameleon.log_held)
my @synced = qw(city payment film_actor film);
my ($pin, $pout, $perr) = ('', '', '');
my $pg_locker = IPC::Run::start([ 'psql', '-X', '-A', '-t', '-d', $node->connstr('postgres') ],
	'<', \$pin, '>', \$pout, '2>', \$perr, IPC::Run::timeout(300));
$pin .= 'BEGIN; LOCK TABLE ' . join(', ', map { "sakila.$_" } @synced) . " IN ACCESS SHARE MODE; SELECT 'pglocked';\n";
$pg_locker->pump until $pout =~ /pglocked/;
$r->psql("SELECT chameleon.sync_tables('sakila', '{" . join(',', map { "sakila.$_" } @synced) . "}')");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 4 FROM chameleon.init_progress WHERE source_name = 'sakila' AND state = 'swapping'"
		  . ' AND table_name IN (' . join(', ', map { "'$_'" } @synced) . ')'),
	'sync_tables: the four tables are copied and wait to be swapped in');

# a new table whose foreign keys CASCADE and SET NULL; reviews of film 999
# (deleted below), of film 1000 (moved below) and by customer 598
$m->sql(<<'SQL', db => 'sakila');
CREATE TABLE review (
  review_id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  film_id SMALLINT UNSIGNED NOT NULL,
  customer_id SMALLINT UNSIGNED NULL,
  stars TINYINT UNSIGNED NOT NULL,
  body TEXT,
  tags SET('funny','long','classic') DEFAULT NULL,
  posted TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY idx_review_film (film_id),
  CONSTRAINT fk_review_film FOREIGN KEY (film_id) REFERENCES film (film_id) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT fk_review_customer FOREIGN KEY (customer_id) REFERENCES customer (customer_id) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO review (film_id, customer_id, stars, body, tags)
  SELECT film_id, 400 + film_id % 50, 1 + film_id % 5, concat('Review of ', title, ' ★'),
         ELT(1 + film_id % 4, NULL, 'funny', 'long,classic', '')
    FROM film WHERE film_id % 7 = 0 OR film_id IN (999, 1000);
INSERT INTO review (film_id, customer_id, stars, body) VALUES (5, 598, 4, 'by 598'), (6, 598, 2, NULL);
SQL

# ON UPDATE CASCADE: country -> city; city -> address; address -> store,
# staff, customer (addresses 1, 3, 4 are those of store 1 and of both
# staff); customer -> payment, rental, review; language -> film (both of
# its keys, 1000 rows); actor (also renumbered, each key taking the next
# one's) and category -> part of the primary key of film_actor and
# film_category; store -> customer, inventory, staff;
# staff 2 -> store, payment, rental (8000 rows each); rental -> payment
my $addr500 = $m->sql('SELECT address_id FROM sakila.customer WHERE customer_id = 500');
my $cities = join(', ', split(/\n/, $m->sql('SELECT DISTINCT city_id FROM sakila.address WHERE address_id <= 4')));
$m->sql(<<"SQL", db => 'sakila');
UPDATE country SET country_id = 200 WHERE country_id = 103;
UPDATE city SET city_id = 1000 + city_id WHERE city_id IN ($cities);
UPDATE address SET address_id = 1000 + address_id WHERE address_id IN (1, 3, 4);
UPDATE address SET address_id = 2000 WHERE address_id = $addr500;
UPDATE customer SET customer_id = 1000 WHERE customer_id = 599;
UPDATE language SET language_id = 100 + language_id WHERE language_id IN (1, 2);
UPDATE actor SET actor_id = 500 + actor_id WHERE actor_id IN (1, 2);
UPDATE actor SET actor_id = actor_id + 1 WHERE actor_id >= 195 ORDER BY actor_id DESC;
UPDATE category SET category_id = 100 WHERE category_id = 16;
UPDATE store SET store_id = 20 WHERE store_id = 2;
UPDATE staff SET staff_id = 20 WHERE staff_id = 2;
UPDATE rental SET rental_id = 100000 + rental_id WHERE customer_id = 450;
SQL

# columns added (one in the middle of the table) with a self-referencing
# key, a column added to payment while the other session inserts into
# it, and a trigger that makes each payment update its customer (the key
# is added with foreign_key_checks off: the in-place ALTER, which does not
# make the rentals being written fail their own key checks)
$m->sql(<<'SQL', db => 'sakila');
ALTER TABLE customer ADD COLUMN loyalty_points INT NOT NULL DEFAULT 0 AFTER active,
  ADD COLUMN referred_by SMALLINT UNSIGNED NULL;
SET SESSION foreign_key_checks = 0;
ALTER TABLE customer ADD CONSTRAINT fk_customer_referrer FOREIGN KEY (referred_by) REFERENCES customer (customer_id)
  ON DELETE SET NULL ON UPDATE CASCADE;
SET SESSION foreign_key_checks = 1;
UPDATE customer SET referred_by = 598 WHERE customer_id BETWEEN 560 AND 570;
UPDATE customer SET referred_by = 1000, loyalty_points = 50 WHERE customer_id BETWEEN 571 AND 575;
ALTER TABLE payment ADD COLUMN note VARCHAR(60) NULL AFTER amount;
CREATE TRIGGER payment_points AFTER INSERT ON payment FOR EACH ROW
  UPDATE customer SET loyalty_points = loyalty_points + 1 WHERE customer_id = NEW.customer_id;
UPDATE payment SET note = concat('refund ', payment_id) WHERE customer_id = 450;
SQL

# film: a key moved (film_actor, film_category, inventory and review follow;
# the upd_film trigger moves film_text), a new film with its actors,
# categories and stock (ins_film fills film_text), a new enum label,
# SET and YEAR values, titles changed (upd_film)
$m->sql(<<'SQL', db => 'sakila');
UPDATE film SET film_id = 1500 WHERE film_id = 1000;
ALTER TABLE film MODIFY rating ENUM('G','PG','PG-13','R','NC-17','X') DEFAULT 'G',
  MODIFY special_features SET('Trailers','Commentaries','Deleted Scenes','Behind the Scenes','Director''s Cut') DEFAULT NULL;
START TRANSACTION;
INSERT INTO film (title, description, release_year, language_id, rental_duration, rental_rate, length,
                  replacement_cost, rating, special_features)
  VALUES ('CHAMELEON REPLICA', 'A Thoughtful Tale of a Lizard And a Binlog who must Follow a Database in Postgres',
          2155, 101, 5, 3.99, 123, 24.99, 'X', 'Trailers,Director''s Cut');
SET @f = LAST_INSERT_ID();
INSERT INTO film_actor (actor_id, film_id) SELECT actor_id, @f FROM actor WHERE actor_id % 40 = 1;
INSERT INTO film_category (film_id, category_id) VALUES (@f, 5), (@f, 11);
INSERT INTO inventory (film_id, store_id) VALUES (@f, 1), (@f, 1), (@f, 20);
INSERT INTO review (film_id, customer_id, stars, body, tags) VALUES (@f, 401, 5, 'Schön', 'classic');
COMMIT;
UPDATE film SET rating = 'X', release_year = 1901, special_features = 'Commentaries,Deleted Scenes,Behind the Scenes'
  WHERE film_id BETWEEN 30 AND 40;
UPDATE film SET release_year = NULL, special_features = '' WHERE film_id = 3;
UPDATE film SET title = concat(title, ' II'), description = concat(description, ', Again') WHERE film_id BETWEEN 10 AND 20;
SQL

# geometry values of other kinds; a new address with a line
$m->sql(<<'SQL', db => 'sakila');
UPDATE address SET location = ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))') WHERE address_id = 5;
UPDATE address SET location = ST_GeomFromText('MULTIPOINT(1 1, -2.5 3.25)'), address2 = '' WHERE address_id = 6;
INSERT INTO address (address, district, city_id, postal_code, phone, location)
  VALUES ('1 Binlog Lane', 'Replica', 1, '12345', '555-0100', ST_GeomFromText('LINESTRING(1 1, 2 2, 3 5)'));
SQL

# deletes: rentals whose payments keep the payment with rental_id NULL
# (SET NULL); film 999 with its stock and rentals (review rows CASCADE,
# del_film deletes film_text); customer 598 (review.customer_id and the
# customers it referred SET NULL)
$m->sql(<<'SQL', db => 'sakila');
DELETE FROM rental WHERE customer_id BETWEEN 301 AND 320 AND rental_date < '2005-06-01';
START TRANSACTION;
DELETE r FROM rental r JOIN inventory i USING (inventory_id) WHERE i.film_id = 999;
DELETE FROM inventory WHERE film_id = 999;
DELETE FROM film_actor WHERE film_id = 999;
DELETE FROM film_category WHERE film_id = 999;
DELETE FROM film WHERE film_id = 999;
COMMIT;
START TRANSACTION;
DELETE FROM payment WHERE customer_id = 598;
DELETE FROM rental WHERE customer_id = 598;
DELETE FROM customer WHERE customer_id = 598;
COMMIT;
SQL

# statements with no PostgreSQL meaning: a view, a procedure, a procedure
# using a temporary table (rewards_report), staff's picture replaced
$m->sql(<<'SQL', db => 'sakila');
CREATE VIEW review_summary AS SELECT film_id, count(*) AS reviews, avg(stars) AS stars FROM review GROUP BY film_id;
CREATE PROCEDURE chameleon_noop() SELECT 1;
DROP PROCEDURE chameleon_noop;
CALL rewards_report(1, 0.01, @customers);
UPDATE staff SET picture = concat(x'89504e470d0a1a0a', repeat(x'00ff', 3000), x'0000') WHERE staff_id = 2;
SQL

ok( $node->poll_query_until('postgres',
		"SELECT string_agg(DISTINCT source_table, ' ') = 'city film film_actor payment'"
		  . " FROM chameleon.log_held WHERE event_kind IN ('X', 'N', 'Y')"),
	'foreign-key actions on the synced tables are held (city, film, film_actor, payment)')
  or diag($r->psql('SELECT source_table, event_kind, count(*) FROM chameleon.log_held GROUP BY 1, 2'));
$node->poll_query_until('postgres', "SELECT count(*) = 2 FROM chameleon.log_held WHERE event_kind = 'Q'");
is($r->psql("SELECT string_agg(source_table || ': ' || after_values[1], E'\\n' ORDER BY event_id)"
		  . " FROM chameleon.log_held WHERE event_kind = 'Q'"),
	"payment: ALTER TABLE payment ADD COLUMN note VARCHAR(60) NULL AFTER amount\n"
	  . "film: ALTER TABLE film MODIFY rating ENUM('G','PG','PG-13','R','NC-17','X') DEFAULT 'G',\n"
	  . "  MODIFY special_features SET('Trailers','Commentaries','Deleted Scenes','Behind the Scenes','Director''s Cut') DEFAULT NULL",
	'so is the DDL on them, to run on their new copies');
$pin .= "COMMIT; \\q\n";
$pg_locker->finish;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 4 FROM chameleon.init_progress WHERE source_name = 'sakila' AND state = 'done'"
		  . ' AND table_name IN (' . join(', ', map { "'$_'" } @synced) . ')'),
	'the sync finishes');

rent_finish($bg, 'rentals and payments written during the live workload');
my $live_seconds = time - $t_live;

# the workload did what it says: on MariaDB, then in PostgreSQL
my $facts = <<'SQL';
SELECT (SELECT count(*) FROM sakila.city WHERE country_id = 200),
       (SELECT count(*) FROM sakila.film WHERE language_id = 101),
       (SELECT count(*) FROM sakila.film WHERE original_language_id IS NOT NULL),
       (SELECT count(*) FROM sakila.film WHERE original_language_id IN (1, 2)),
       (SELECT count(*) FROM sakila.inventory WHERE film_id = 1500),
       (SELECT count(*) FROM sakila.review WHERE film_id IN (999, 1000)),
       (SELECT count(*) FROM sakila.review WHERE film_id = 1500),
       (SELECT count(*) FROM sakila.customer WHERE referred_by IS NULL AND customer_id BETWEEN 560 AND 570),
       (SELECT count(*) FROM sakila.review WHERE customer_id IS NULL),
       (SELECT count(*) FROM sakila.staff WHERE address_id > 1000),
       (SELECT count(*) FROM sakila.film_actor WHERE actor_id > 500),
       (SELECT count(*) FROM sakila.film_actor WHERE actor_id = 195),
       (SELECT count(*) FROM sakila.film_category WHERE category_id = 100),
       (SELECT CASE WHEN count(*) > 2300 THEN 'many' END FROM sakila.inventory WHERE store_id = 20),
       (SELECT CASE WHEN count(*) > 7900 THEN 'many' END FROM sakila.payment WHERE staff_id = 20),
       (SELECT count(*) FROM sakila.payment WHERE rental_id > 100000 AND customer_id = 450),
       (SELECT count(*) FROM sakila.film_text WHERE title = 'CHAMELEON REPLICA' OR film_id = 1500),
       (SELECT CASE WHEN count(*) > 40 THEN 'many' END FROM sakila.payment WHERE rental_id IS NULL)
SQL
is($m->sql($facts), join("\t", 35, 1000, 100, 0, 8, 0, 1, 11, 2, 2, 44, 0, 57, 'many', 'many', 26, 2, 'many'),
	'MariaDB performed the cascades, SET NULLs and triggers');
my ($ntables2, $nrows2) = compare_all('after the workload');
clean('after the workload');
$r->same_result($facts, $facts, 'so did PostgreSQL');
is($r->psql("SELECT replayed_ddl FROM chameleon.show_status WHERE source_name = 'sakila'"), '5',
	'5 DDL statements replayed (CREATE TABLE, 4 ALTER TABLE), the others skipped');

# ---- detach the running source: a last cascade is in flight
$m->sql('UPDATE sakila.country SET country_id = 201 WHERE country_id = 200');
# detach applies what the reader has logged: wait until it has logged this
# (detach stops the reader at once; a change not read yet is not replicated)
my ($end_file, $end_pos) = $m->current_position;
ok( $node->poll_query_until('postgres',
		"SELECT read_file = '$end_file' AND read_pos >= $end_pos FROM chameleon.source"
		  . " WHERE source_name = 'sakila'"),
	'the reader has logged the change to country');
my ($ret, $out, $err) = $node->psql('postgres', "SELECT chameleon.detach_replica('sakila')");
is($ret, 0, 'detach_replica on the running source succeeds') or diag($err);
unlike($err, qr/WARNING/, 'without warnings') or diag($err);
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'chameleon % sakila'"), '0',
	'no worker of the source is left');
same_table('city', 'after detach');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.sources WHERE source_name = 'sakila'"), '0',
	'the source is gone');

# every MariaDB foreign key, with its columns and actions
my @mysql_fks = sort split(/\n/, $m->sql(<<'SQL'));
SELECT concat(rc.TABLE_NAME, '.', rc.CONSTRAINT_NAME, '(', group_concat(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION),
              ') -> ', rc.REFERENCED_TABLE_NAME, '(', group_concat(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION),
              ') ON DELETE ', rc.DELETE_RULE, ' ON UPDATE ', rc.UPDATE_RULE)
  FROM information_schema.REFERENTIAL_CONSTRAINTS rc
  JOIN information_schema.KEY_COLUMN_USAGE k
    ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = rc.TABLE_NAME
   AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME AND k.REFERENCED_TABLE_NAME IS NOT NULL
 WHERE rc.CONSTRAINT_SCHEMA = 'sakila'
 GROUP BY rc.TABLE_NAME, rc.CONSTRAINT_NAME
SQL
my @pg_fks = sort split(/\n/, $node->safe_psql('postgres', <<'SQL'));
SELECT format('%s.%s(%s) -> %s(%s) ON DELETE %s ON UPDATE %s', c.relname, k.conname,
         (SELECT string_agg(a.attname, ',' ORDER BY u.i) FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
            JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n),
         r.relname,
         (SELECT string_agg(a.attname, ',' ORDER BY u.i) FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
            JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n),
         CASE k.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT'
                            WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END,
         CASE k.confupdtype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT'
                            WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
 WHERE k.contype = 'f' AND k.connamespace = 'sakila'::regnamespace
SQL
cmp_ok(scalar @mysql_fks, '==', 25, 'MariaDB has 25 foreign keys (22 of Sakila, 2 of review, 1 self-referencing)');
is(join("\n", @pg_fks), join("\n", @mysql_fks),
	'every MariaDB foreign key exists in PostgreSQL with its columns and ON DELETE / ON UPDATE actions');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
		  . " AND connamespace = 'sakila'::regnamespace AND convalidated"), scalar @mysql_fks,
	'and every one is validated');

# every AUTO_INCREMENT column: its sequence is past the column's maximum
my @auto = split(/\n/, $m->sql("SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS"
	  . " WHERE TABLE_SCHEMA = 'sakila' AND EXTRA LIKE '%auto_increment%' ORDER BY 1"));
my @bad_seq;
foreach my $tc (@auto)
{
	my ($t, $c) = split(/\t/, $tc);
	my $past = $node->safe_psql('postgres',
		"SELECT nextval(pg_get_serial_sequence('sakila.$t', '$c')) > (SELECT coalesce(max($c), 0) FROM sakila.$t)");
	push @bad_seq, "$t.$c" unless $past eq 't';
}
cmp_ok(scalar @auto, '==', 14, '14 AUTO_INCREMENT columns');
is(join(' ', @bad_seq), '', 'every one has a sequence past its maximum');

my $duration = time - $started;
note(sprintf('%d tables, %d rows compared after the copy, %d after the workload (%.0f s of it), %d foreign keys; %.0f s in all',
		$ntables2, $nrows, $nrows2, $live_seconds, scalar @mysql_fks, $duration));

$node->stop('fast');
done_testing();
