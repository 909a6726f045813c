
# Copyright (c) chameleon developers
#
# PostGIS (issue 15, point 2).  MySQL geometry columns become PostGIS
# geometry(Type,SRID) when the postgis extension is installed in the
# database at the time a table is created, else bytea (the WKB), and a
# table keeps that choice for life.
#
# One MariaDB server, one PostgreSQL node, two sources:
#  - "plain" is copied and replicated while PostGIS is not installed:
#    bytea columns holding exactly MariaDB's WKB, in the copy and through
#    INSERT / UPDATE / DELETE (keyed and keyless tables);
#  - then CREATE EXTENSION postgis: "plain"'s existing table stays bytea
#    (ALTER TABLE ADD COLUMN of a point is bytea), a table it creates now
#    is PostGIS geometry;
#  - "gis" is copied and replicated with PostGIS: every geometry type,
#    holes, multi*, collections holding multi* (MariaDB refuses nested
#    collections: the WKB check's unit tests cover them), empty
#    collections, big-endian WKB input, NULLs, SRIDs 0 and 4326
#    (REF_SYSTEM_ID), compared with MariaDB's ST_AsText / ST_SRID; column
#    types geometry(Point,4326)...; SPATIAL keys as GiST; replicated CREATE
#    TABLE and ALTER TABLE ADD COLUMN; values PostGIS cannot hold (an SRID
#    other than the column's, an SRID beyond PostGIS's range) go to
#    discarded_rows in the copy and in replication;
#  - translate_ddl() says bytea without PostGIS, geometry(...) with it.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica;

my @GEO = qw(g p l po mp ml mpo gc pn);

# the tables of both MySQL schemas, and their first rows
my $tables = <<'SQL';
CREATE TABLE shapes (
  id int PRIMARY KEY,
  g geometry,
  p point REF_SYSTEM_ID=4326,
  l linestring,
  po polygon,
  mp multipoint,
  ml multilinestring,
  mpo multipolygon,
  gc geometrycollection,
  pn point NOT NULL,
  SPATIAL KEY (pn)
);
CREATE TABLE nokey (g geometry, n int);
INSERT INTO shapes VALUES (1,
  ST_GeomFromText('POINT(1 2)'),
  ST_GeomFromText('POINT(10 20)', 4326),
  ST_GeomFromText('LINESTRING(0 0,1 1,2 0)'),
  ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 2,1 1),(5 5,6 5,6 6,5 5))'),
  ST_GeomFromText('MULTIPOINT(1 2,3 4)'),
  ST_GeomFromText('MULTILINESTRING((0 0,1 1),(2 2,3 3,4 2))'),
  ST_GeomFromText('MULTIPOLYGON(((0 0,4 0,4 4,0 4,0 0),(1 1,2 1,2 2,1 1)),((10 10,11 10,11 11,10 10)))'),
  ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))'),
  ST_GeomFromText('POINT(5 5)'));
INSERT INTO shapes (id, g, gc, pn) VALUES (2,
  ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326),
  ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'),
  ST_GeomFromText('POINT(0 0)'));
INSERT INTO shapes (id, g, p, gc, pn) VALUES (3,
  ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1.5 -2.25),POLYGON((0 0,1 0,1 1,0 0)),MULTIPOINT(7 8,9 9),MULTIPOLYGON(((0 0,1 0,1 1,0 0))))'),
  ST_GeomFromText('POINT(-71.5 42.25)', 4326),
  ST_GeomFromText('MULTIPOINT(1 2,3 4)'),
  ST_GeomFromWKB(x'00000000013FF00000000000004000000000000000'));
INSERT INTO shapes (id, pn) VALUES (4, ST_GeomFromText('POINT(-1 -1)'));
INSERT INTO nokey VALUES (ST_GeomFromText('POINT(1 1)'), 1), (ST_GeomFromText('LINESTRING(0 0,1 1)', 4326), 2), (NULL, 3);
SQL

my $m = ChameleonTest::MariaDB->new(name => 'gis');
$m->start;
$m->create_user('repl', 'repl-pw');
$m->sql("CREATE DATABASE plain; USE plain; $tables CREATE DATABASE gis; USE gis; $tables");
# values PostGIS cannot hold in these columns (bytea holds them)
$m->sql("INSERT INTO gis.shapes (id, p, pn) VALUES (5, ST_GeomFromText('POINT(1 1)', 3857), ST_GeomFromText('POINT(0 0)'));"
	  . "INSERT INTO gis.shapes (id, g, pn) VALUES (6, ST_GeomFromText('POINT(1 1)', 1000000), ST_GeomFromText('POINT(0 0)'))");

my $node = chameleon_node('gis', create_extension => 1, naptime => 2,
	conf => ['max_worker_processes = 16']);

# MultiPoint text as MariaDB writes it: PostGIS 3 puts each point in parentheses
sub norm
{
	my ($s) = @_;
	$s =~ s/MULTIPOINT\(((?:\([^()]*\),?)+)\)/'MULTIPOINT(' . ($1 =~ s{[()]}{}gr) . ')'/ge;
	return $s;
}

# Rows of a table as "id|text @srid|..." (NULL: <null>), from MariaDB.
sub my_geo
{
	my ($schema, $table, $where, @cols) = @_;
	my $expr = join(", '|', ", map { "coalesce(concat(ST_AsText(`$_`), ' \@', ST_SRID(`$_`)), '<null>')" } @cols);
	return join("\n", map { norm($_) }
		  split(/\n/, $m->sql("SELECT concat(id, '|', $expr) FROM `$schema`.`$table` WHERE $where ORDER BY id")));
}

# The same from PostgreSQL (PostGIS columns).
sub pg_geo
{
	my ($schema, $table, $where, @cols) = @_;
	my $expr = join(" || '|' || ", map { "coalesce(ST_AsText($_) || ' \@' || ST_SRID($_), '<null>')" } @cols);
	return join("\n", map { norm($_) }
		  split(/\n/, $node->safe_psql('postgres', "SELECT id || '|' || $expr FROM $schema.$table WHERE $where ORDER BY id")));
}

# Rows as "id|<WKB hex>|..." from MariaDB (the bytes after the SRID) ...
sub my_wkb
{
	my ($schema, $table, $where, @cols) = @_;
	my $expr = join(", '|', ", map { "coalesce(lower(substr(hex(`$_`), 9)), '<null>')" } @cols);
	return $m->sql("SELECT concat(id, '|', $expr) FROM `$schema`.`$table` WHERE $where ORDER BY id");
}

# ... and from PostgreSQL's bytea columns.
sub pg_wkb
{
	my ($schema, $table, $where, @cols) = @_;
	my $expr = join(" || '|' || ", map { "coalesce(encode($_, 'hex'), '<null>')" } @cols);
	return $node->safe_psql('postgres', "SELECT id || '|' || $expr FROM $schema.$table WHERE $where ORDER BY id");
}

# The columns of a PostgreSQL table with their types.
sub pg_types
{
	my ($rel) = @_;
	return $node->safe_psql('postgres',
		"SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)"
		  . " FROM pg_attribute WHERE attrelid = '$rel'::regclass AND attnum > 0 AND NOT attisdropped");
}

# translate_ddl's statements for one MySQL statement.
sub translate
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', "SELECT string_agg(s, E'\\n') FROM chameleon.translate_ddl(\$\$$sql\$\$, 's') s");
}

my $ddl = 'CREATE TABLE t (id int PRIMARY KEY, p point REF_SYSTEM_ID=4326 NOT NULL, c geometrycollection, SPATIAL KEY sp (p))';

# ======================================================================
# Without PostGIS: bytea
# ======================================================================
is(translate($ddl), 'CREATE TABLE s.t (id integer NOT NULL, p bytea NOT NULL, c bytea, CONSTRAINT t_pkey PRIMARY KEY (id))',
	'translate_ddl without PostGIS: bytea, no spatial index');

my $plain = ChameleonTest::Replica->new($node, $m, 'plain', schema_mappings => { plain => 'plain' },
	config => 'sleep_loop: 1', init => 1, start => 1);
is(pg_types('plain.shapes'),
	'id integer, g bytea, p bytea, l bytea, po bytea, mp bytea, ml bytea, mpo bytea, gc bytea, pn bytea',
	'without PostGIS every geometry column is bytea');
is(pg_wkb('plain', 'shapes', 'true', @GEO), my_wkb('plain', 'shapes', 'true', @GEO),
	'copy without PostGIS: the bytes of the WKB, NULLs kept');

$m->sql(<<'SQL');
USE plain;
INSERT INTO shapes (id, g, p, po, pn) VALUES (10, ST_GeomFromText('POINT(3 4)', 4326), ST_GeomFromText('POINT(1 1)', 4326),
  ST_GeomFromText('POLYGON((0 0,3 0,3 3,0 3,0 0),(1 1,2 1,2 2,1 1))'), ST_GeomFromText('POINT(9 9)'));
UPDATE shapes SET g = ST_GeomFromText('LINESTRING(1 1,2 2)', 4326), p = NULL, gc = ST_GeomFromText('GEOMETRYCOLLECTION EMPTY') WHERE id = 1;
UPDATE shapes SET pn = ST_GeomFromText('POINT(8 8)') WHERE id = 2;
DELETE FROM shapes WHERE id = 4;
UPDATE nokey SET n = 10 WHERE n = 1;
DELETE FROM nokey WHERE n = 2;
INSERT INTO nokey VALUES (ST_GeomFromText('MULTIPOINT(1 1,2 2)', 4326), 4);
SQL
$plain->wait_caught_up('plain: caught up after INSERT / UPDATE / DELETE');
is(pg_wkb('plain', 'shapes', 'true', @GEO), my_wkb('plain', 'shapes', 'true', @GEO),
	'replication without PostGIS: the same bytes as MariaDB after INSERT / UPDATE / DELETE');
is($node->safe_psql('postgres', "SELECT string_agg(n || ':' || coalesce(encode(g, 'hex'), '<null>'), ',' ORDER BY n) FROM plain.nokey"),
	$m->sql("SELECT group_concat(n, ':', coalesce(lower(substr(hex(g), 9)), '<null>') ORDER BY n) FROM plain.nokey"),
	'keyless table without PostGIS: rows found by their bytea before-image');

# ======================================================================
# PostGIS installed: new tables are PostGIS, the existing ones stay bytea
# ======================================================================
$node->safe_psql('postgres', 'CREATE EXTENSION postgis');

is(translate($ddl),
	"CREATE TABLE s.t (id integer NOT NULL, p geometry(Point,4326) NOT NULL, c geometry, CONSTRAINT t_pkey PRIMARY KEY (id))\n"
	  . 'CREATE INDEX t_sp ON s.t USING gist (p)',
	'translate_ddl with PostGIS: geometry(Point,4326), geometry for a collection, a GiST index');
is(translate('ALTER TABLE t ADD COLUMN l linestring REF_SYSTEM_ID=4326, ADD COLUMN m multipolygon'),
	"ALTER TABLE s.t ADD COLUMN l geometry(LineString,4326)\nALTER TABLE s.t ADD COLUMN m geometry(MultiPolygon)",
	'translate_ddl with PostGIS: ALTER TABLE ADD COLUMN');

$m->sql(<<'SQL');
USE plain;
ALTER TABLE shapes ADD COLUMN extra point REF_SYSTEM_ID=4326;
UPDATE shapes SET extra = ST_GeomFromText('POINT(4 5)', 4326) WHERE id = 1;
CREATE TABLE later (id int PRIMARY KEY, p point REF_SYSTEM_ID=4326, g geometry);
INSERT INTO later VALUES (1, ST_GeomFromText('POINT(1 2)', 4326), ST_GeomFromText('LINESTRING(0 0,1 1)')), (2, NULL, NULL);
SQL
$plain->wait_caught_up('plain: caught up after DDL with PostGIS installed');
like(pg_types('plain.shapes'), qr/, extra bytea$/,
	'a table created as bytea stays bytea: ALTER TABLE ADD COLUMN point gives bytea');
is(pg_wkb('plain', 'shapes', 'true', @GEO, 'extra'), my_wkb('plain', 'shapes', 'true', @GEO, 'extra'),
	'the bytea table goes on receiving WKB after PostGIS was installed');
is(pg_types('plain.later'), 'id integer, p geometry(Point,4326), g geometry',
	'a table created after PostGIS was installed is PostGIS geometry');
is(pg_geo('plain', 'later', 'true', qw(p g)), my_geo('plain', 'later', 'true', qw(p g)),
	'its values, with their SRIDs');

# ======================================================================
# With PostGIS: the initial copy
# ======================================================================
my $gis = ChameleonTest::Replica->new($node, $m, 'gis', schema_mappings => { gis => 'gis' },
	config => 'sleep_loop: 1', init => 1);
is(pg_types('gis.shapes'),
	'id integer, g geometry, p geometry(Point,4326), l geometry(LineString), po geometry(Polygon),'
	  . ' mp geometry(MultiPoint), ml geometry(MultiLineString), mpo geometry(MultiPolygon), gc geometry,'
	  . ' pn geometry(Point)',
	'with PostGIS: geometry with type and SRID (REF_SYSTEM_ID from information_schema)');
is(pg_types('gis.nokey'), 'g geometry, n integer', 'keyless table: geometry');
like($node->safe_psql('postgres', "SELECT indexdef FROM pg_indexes WHERE schemaname = 'gis' AND tablename = 'shapes' AND indexdef LIKE '%gist%'"),
	qr/USING gist \(pn\)/, 'the SPATIAL key is a GiST index');
note('gis.shapes after the copy:');
note(pg_geo('gis', 'shapes', 'true', @GEO));
is(pg_geo('gis', 'shapes', 'id < 5', @GEO), my_geo('gis', 'shapes', 'id < 5', @GEO),
	'copy with PostGIS: ST_AsText and ST_SRID as in MariaDB (holes, multi*, collections, empty ones, NULLs, SRIDs 0 and 4326)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM gis.shapes WHERE id >= 5'), '0',
	'the rows PostGIS cannot hold are not copied');
like($node->safe_psql('postgres', "SELECT reason FROM chameleon.discarded_rows WHERE table_name = 'shapes' AND row_data->>'id' = '5'"),
	qr/SRID \(3857\) does not match column SRID \(4326\)/, 'copy: an SRID other than the column\'s goes to discarded_rows');
like($node->safe_psql('postgres', "SELECT reason FROM chameleon.discarded_rows WHERE table_name = 'shapes' AND row_data->>'id' = '6'"),
	qr/column "g": SRID 1000000 is beyond the range of PostGIS/, 'copy: an SRID beyond PostGIS\'s range goes to discarded_rows');
is($node->safe_psql('postgres', "SELECT string_agg(n || ':' || coalesce(ST_AsText(g) || ' \@' || ST_SRID(g), '<null>'), ',' ORDER BY n) FROM gis.nokey"),
	$m->sql("SELECT group_concat(n, ':', coalesce(concat(ST_AsText(g), ' \@', ST_SRID(g)), '<null>') ORDER BY n) FROM gis.nokey"),
	'copy with PostGIS: keyless table');

# ======================================================================
# With PostGIS: replication
# ======================================================================
$gis->start_replica;
$m->sql(<<'SQL');
USE gis;
INSERT INTO shapes VALUES (10,
  ST_GeomFromText('MULTIPOLYGON(((0 0,4 0,4 4,0 4,0 0),(1 1,2 1,2 2,1 1)))', 4326),
  ST_GeomFromText('POINT(1.5 -2.5)', 4326),
  ST_GeomFromText('LINESTRING(0 0,5 5)'),
  ST_GeomFromText('POLYGON((0 0,3 0,3 3,0 3,0 0),(1 1,2 1,2 2,1 1))'),
  ST_GeomFromText('MULTIPOINT(0 0,1 1,2 2)'),
  ST_GeomFromText('MULTILINESTRING((0 0,1 0),(1 1,2 1))'),
  ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5),(5.2 5.1,5.8 5.1,5.8 5.7,5.2 5.1)))'),
  ST_GeomFromText('GEOMETRYCOLLECTION(MULTILINESTRING((0 0,1 1),(2 2,3 3)),POINT(1 1))'),
  ST_GeomFromText('POINT(2 2)'));
INSERT INTO shapes (id, gc, pn) VALUES (11, ST_GeomFromText('POINT(3 3)'), ST_GeomFromText('POINT(3 3)'));
UPDATE shapes SET g = ST_GeomFromText('LINESTRING(1 1,2 2)', 4326), p = NULL, gc = ST_GeomFromText('GEOMETRYCOLLECTION EMPTY') WHERE id = 1;
UPDATE shapes SET p = ST_GeomFromText('POINT(0 0)', 4326), mp = ST_GeomFromText('MULTIPOINT(9 9)'), pn = ST_GeomFromText('POINT(8 8)') WHERE id = 2;
UPDATE shapes SET id = 12 WHERE id = 3;
DELETE FROM shapes WHERE id = 4;
UPDATE nokey SET n = 10 WHERE n = 1;
UPDATE nokey SET g = ST_GeomFromText('POINT(7 7)') WHERE n = 2;
DELETE FROM nokey WHERE n = 3;
INSERT INTO nokey VALUES (ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'), 4), (NULL, 5);
START TRANSACTION;
INSERT INTO shapes (id, p, pn) VALUES (13, ST_GeomFromText('POINT(1 1)', 3857), ST_GeomFromText('POINT(0 0)'));
INSERT INTO shapes (id, g, pn) VALUES (14, ST_GeomFromText('POINT(1 1)', 4294967295), ST_GeomFromText('POINT(0 0)'));
INSERT INTO shapes (id, pn) VALUES (15, ST_GeomFromText('POINT(15 15)'));
COMMIT;
SQL
$gis->wait_caught_up('gis: caught up after INSERT / UPDATE / DELETE');
is(pg_geo('gis', 'shapes', 'id NOT IN (5, 6, 13, 14)', @GEO), my_geo('gis', 'shapes', 'id NOT IN (5, 6, 13, 14)', @GEO),
	'replication with PostGIS: ST_AsText and ST_SRID as in MariaDB after INSERT / UPDATE / DELETE');
is($node->safe_psql('postgres', "SELECT string_agg(n || ':' || coalesce(ST_AsText(g) || ' \@' || ST_SRID(g), '<null>'), ',' ORDER BY n) FROM gis.nokey"),
	$m->sql("SELECT group_concat(n, ':', coalesce(concat(ST_AsText(g), ' \@', ST_SRID(g)), '<null>') ORDER BY n) FROM gis.nokey"),
	'keyless table with PostGIS: rows found by their geometry before-image');
like($node->safe_psql('postgres', "SELECT reason FROM chameleon.discarded_rows WHERE table_name = 'shapes' AND row_data->>'id' = '13'"),
	qr/SRID \(3857\) does not match column SRID \(4326\)/, 'replication: an SRID other than the column\'s goes to discarded_rows');
like($node->safe_psql('postgres', "SELECT reason FROM chameleon.discarded_rows WHERE table_name = 'shapes' AND row_data->>'id' = '14'"),
	qr/column "g": SRID 4294967295 is beyond the range of PostGIS/, 'replication: an SRID beyond PostGIS\'s range goes to discarded_rows');
like($node->safe_psql('postgres', "SELECT row_data->>'g' FROM chameleon.discarded_rows WHERE table_name = 'shapes' AND row_data->>'id' = '14'"),
	qr/^SRID=4294967295;0101000000/, 'the discarded row shows the geometry with its SRID');
is($node->safe_psql('postgres', "SELECT enabled FROM chameleon.replica_tables WHERE source_name = 'gis' AND source_table = 'shapes'"),
	't', 'the table stays enabled');

# ---- replicated DDL with geometry
$m->sql(<<'SQL');
USE gis;
CREATE TABLE roads (id int PRIMARY KEY, path linestring REF_SYSTEM_ID=4326 NOT NULL, area multipolygon, SPATIAL KEY (path));
INSERT INTO roads VALUES (1, ST_GeomFromText('LINESTRING(0 0,1 1,2 1)', 4326), ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)))')),
  (2, ST_GeomFromText('LINESTRING(5 5,6 6)', 4326), NULL);
ALTER TABLE shapes ADD COLUMN loc point REF_SYSTEM_ID=4326, ADD COLUMN any_shape geometry;
UPDATE shapes SET loc = ST_GeomFromText('POINT(30 40)', 4326), any_shape = ST_GeomFromText('MULTIPOINT(1 1,2 2)') WHERE id = 1;
INSERT INTO shapes (id, pn, loc) VALUES (16, ST_GeomFromText('POINT(1 1)'), ST_GeomFromText('POINT(-120 45)', 4326));
UPDATE roads SET path = ST_GeomFromText('LINESTRING(9 9,8 8)', 4326) WHERE id = 2;
DELETE FROM roads WHERE id = 1;
SQL
$gis->wait_caught_up('gis: caught up after CREATE TABLE and ALTER TABLE ADD COLUMN');
is(pg_types('gis.roads'), 'id integer, path geometry(LineString,4326), area geometry(MultiPolygon)',
	'replicated CREATE TABLE: geometry(LineString,4326), geometry(MultiPolygon)');
like($node->safe_psql('postgres', "SELECT indexdef FROM pg_indexes WHERE schemaname = 'gis' AND tablename = 'roads' AND indexdef LIKE '%gist%'"),
	qr/USING gist \(path\)/, 'replicated SPATIAL key: a GiST index');
like(pg_types('gis.shapes'), qr/, loc geometry\(Point,4326\), any_shape geometry$/,
	'replicated ALTER TABLE ADD COLUMN: geometry(Point,4326), geometry');
is(pg_geo('gis', 'roads', 'true', qw(path area)), my_geo('gis', 'roads', 'true', qw(path area)),
	'rows of the replicated table');
note('gis.shapes after replication:');
note(pg_geo('gis', 'shapes', 'true', @GEO, qw(loc any_shape)));
note(pg_wkb('plain', 'shapes', 'true', @GEO, 'extra'));
is(pg_geo('gis', 'shapes', 'id NOT IN (5, 6, 13, 14)', @GEO, qw(loc any_shape)),
	my_geo('gis', 'shapes', 'id NOT IN (5, 6, 13, 14)', @GEO, qw(loc any_shape)),
	'rows of the altered table, new columns included');
is($node->safe_psql('postgres',
		"SELECT string_agg(source_table || '=' || postgis, ',' ORDER BY source_schema, source_table) FROM chameleon.replica_table"),
	'nokey=true,roads=true,shapes=true,later=true,nokey=false,shapes=false',
	'replica_table.postgis records each table\'s choice');
is($node->safe_psql('postgres', "SELECT string_agg(DISTINCT status, ',') FROM chameleon.show_status"), 'running',
	'both sources run');

$node->stop('fast');
done_testing();
