
# Copyright (c) chameleon developers
#
# init_replica, copy_schema, sync_tables and their failures against a real
# MariaDB (issue 5): a type-torture table copied and compared value by
# value with what chameleon_binlog decodes from the binlog of the same
# rows; keys, indexes, sequences, grants and replica identity through
# pg_catalog; hostile identifiers; zero dates; values PostgreSQL cannot
# hold going to discarded_rows; keep_existing_schema; failures leaving the
# previous tables in place.

use strict;
use warnings;

use IPC::Run qw(run);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica;

my $m = ChameleonTest::MariaDB->new(name => 'init');
$m->start;

$m->sql(ChameleonTest::MariaDB::slurp_sql('torture.sql'));
$m->sql(<<'SQL');
SET SESSION sql_mode = '';
USE shop;
CREATE TABLE zero_dates (
  id int PRIMARY KEY, d date NOT NULL, dt datetime NOT NULL, note varchar(10)
);
INSERT INTO zero_dates VALUES (1, '0000-00-00', '0000-00-00 00:00:00', 'zero'),
  (2, '2020-00-15', '2020-05-00 10:00:00', 'partial'), (3, '2021-01-02', '2021-01-02 03:04:05', 'fine');
CREATE TABLE latin (id int PRIMARY KEY, name varchar(20)) CHARACTER SET latin1;
INSERT INTO latin VALUES (1, 'café'), (2, 'Ærø');
CREATE TABLE keyless (a int, b varchar(10));
INSERT INTO keyless VALUES (1, 'x'), (1, 'x'), (2, NULL);
CREATE TABLE ukey (code varchar(10) NOT NULL, qty int, UNIQUE KEY uk_code (code), KEY k_qty (qty));
INSERT INTO ukey VALUES ('a', 1), ('b', 2);
CREATE TABLE `x"; DROP TABLE y; --` (`we"ird col` int PRIMARY KEY, `select` text);
INSERT INTO `x"; DROP TABLE y; --` VALUES (1, 'hostile');
CREATE TABLE skipped (id int PRIMARY KEY);
CREATE TABLE big (id int PRIMARY KEY, v varchar(40), KEY k_v (v(10)));
SQL
# a few thousand rows so that several copy workers and chunks are exercised
$m->sql('INSERT INTO shop.big SELECT seq, concat("value-", seq) FROM seq_1_to_20000', db => 'shop');
$m->sql('CREATE DATABASE crm');
$m->sql('CREATE TABLE crm.people (id bigint PRIMARY KEY AUTO_INCREMENT, name text)');
$m->sql("INSERT INTO crm.people (name) VALUES ('ann'), ('bob')");

my $node = chameleon_node('init', database => 'postgres', create_extension => 1,
	conf => ['log_min_messages = debug1', "timezone = 'UTC'", 'max_worker_processes = 16', 'chameleon.copy_workers = 3']);
$node->safe_psql('postgres', 'CREATE ROLE reporting');

my $maria = ChameleonTest::Replica->new($node, $m, 'maria',
	schema_mappings => { shop => 'shop_pg', crm => 'crm_pg' },
	config => [ 'skip_tables: [shop.skipped]', 'grant_select_to: [reporting]' ]);

# ---------- the copy ----------
$maria->init_replica(name => 'init_replica(wait => true) succeeds');
like(slurp_file($node->logfile), qr/WARNING:  2 rows of MySQL table "shop.torture" could not be stored/,
	'the rows PostgreSQL cannot hold are reported in the log');
is($node->safe_psql('postgres', "SELECT status FROM chameleon.show_status"), 'initialised',
	'the source is initialised');
is( $node->safe_psql('postgres',
		"SELECT string_agg(table_name || ':' || state || ':' || rows_copied, ',' ORDER BY schema_name, table_name) FROM chameleon.init_progress"),
	'people:done:2,big:done:20000,keyless:done:3,latin:done:2,torture:done:2,ukey:done:2,x"; DROP TABLE y; --:done:1,zero_dates:done:3',
	'init_progress: every table done with its row count (skipped table absent)');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_namespace WHERE nspname LIKE '\\_chameleon\\_load%'"),
	'0', 'no loading schema left');

# the TIME 838:59:59 row cannot be a PostgreSQL time: discarded, with the reason
is( $node->safe_psql('postgres',
		"SELECT table_name || ' | ' || (row_data->>'id') || ' | ' || (reason ~ 'time') FROM chameleon.discarded_rows ORDER BY 1"),
	"torture | 3 | true\ntorture | 4 | true", 'discarded_rows has the rows (TIME out of range) and the reason');

# ---------- values ----------
my %expected = (
	ti => '-128', tiu => '255', si => '-32768', siu => '65535', mi => '-8388608',
	miu => '16777215', i => '-2147483648', iu => '4294967295',
	bi => '-9223372036854775808', biu => '18446744073709551615',
	de => '12345678901234567890123456789012345.123456789012345678901234567891',
	f => '3.1415927', d => '2.718281828459045', b1 => '1',
	b64 => '1111111111111111111111111111111111111111111111111111111111111110',
	y => '1901', dt => '2024-02-29', dtm => '2024-02-29 23:59:59.123456',
	ts => '2038-01-19 03:14:07.999+00', tm => '12:34:56.000001', c => 'ab', vc => 'héllo 🦎',
	tx => "line1\nline2\ttab\\back", bn => '\\x00ff0000', vb => '\\x000102',
	e => 'medium', st => 'a,c', j => '{"k": [1, 2.5, "x"], "n": null}');
foreach my $col (sort keys %expected)
{
	my $got = $node->safe_psql('postgres', qq{SELECT "$col"::text FROM shop_pg.torture WHERE id = 1});
	my $want = $expected{$col};
	if (!defined $want)
	{
		# negative TIME: no PostgreSQL time holds it
		next;
	}
	is($got, $want, "torture.$col copied exactly");
}
is($node->safe_psql('postgres', "SELECT length(bl), get_byte(bl, 0), get_byte(bl, 1048575) FROM shop_pg.torture WHERE id = 1"),
	'1048576|171|171', '1 MB blob copied as its bytes');
is($node->safe_psql('postgres', "SELECT encode(g, 'hex') FROM shop_pg.torture WHERE id = 1"),
	'0101000000000000000000f03f0000000000000040', 'geometry stored as WKB (bytea)');
is($node->safe_psql('postgres', "SELECT count(*) FROM shop_pg.torture WHERE id = 2 AND num_nulls(ti, tiu, si, de, f, d, b1, y, dt, dtm, ts, tm, c, vc, bn, bl, e, st, j, g) = 20"),
	'1', 'a row of NULLs stays NULL');
is($node->safe_psql('postgres', "SELECT (SELECT typtype FROM pg_type WHERE oid = pg_typeof(e)), pg_typeof(biu)::text, pg_typeof(ts)::text, pg_typeof(b64)::text, pg_typeof(j)::text FROM shop_pg.torture WHERE id = 1"),
	'e|numeric|timestamp with time zone|bit|jsonb', 'column types follow the type map');

is($node->safe_psql('postgres', "SELECT id || ':' || coalesce(d::text, 'null') || ':' || coalesce(dt::text, 'null') FROM shop_pg.zero_dates ORDER BY id"),
	"1:null:null\n2:null:null\n3:2021-01-02:2021-01-02 03:04:05", 'zero dates become NULL, the rows stay');
is($node->safe_psql('postgres', "SELECT string_agg(name, ',' ORDER BY id) FROM shop_pg.latin"),
	'café,Ærø', 'latin1 text converted to UTF-8');
is($node->safe_psql('postgres', q{SELECT "we""ird col" || ' ' || "select" FROM shop_pg."x""; DROP TABLE y; --"}),
	'1 hostile', 'a hostile table name is just a table');
is($node->safe_psql('postgres', "SELECT count(*) FROM shop_pg.big"), '20000', 'big table complete');

# ---------- the same rows through the binlog decoder ----------
SKIP:
{
	my $cli = $ENV{CHAMELEON_BINLOG};
	skip 'chameleon_binlog not available', 1 unless $cli && -x $cli;
	my ($json, $jerr) = ('', '');
	run([ $cli, $m->binlog_files ], '>', \$json, '2>', \$jerr);
	my @after;
	foreach my $line (split /\n/, $json)
	{
		next unless $line =~ /"op":"insert"/ && $line =~ /"table":"torture"/;
		my $ev = decode_json($line);
		push @after, $ev->{after} if ($ev->{after}{id} // '') =~ /^[13]$/;
	}
	my $bad = 0;
	my $checked = 0;
	foreach my $img (@after)
	{
		next unless $img->{id} eq '1';
		foreach my $col (sort keys %$img)
		{
			# the CLI prints geometry as PostGIS EWKB, the copy stores WKB
			next if $col eq 'id' || $col eq 'g';
			my $v = $img->{$col};
			my $lit = defined $v ? "'" . ($v =~ s/'/''/gr) . "'" : 'NULL';
			my $same = $node->safe_psql('postgres',
				qq{SELECT (${lit}::text)::${\ pgtype($node, $col)} IS NOT DISTINCT FROM "$col" FROM shop_pg.torture WHERE id = 1});
			$checked++;
			if ($same ne 't')
			{
				$bad++;
				diag("column $col: binlog gives " . (defined $v ? $v : 'NULL'));
			}
		}
	}
	ok($checked >= 25 && $bad == 0, "copy and binlog decoder agree on $checked values ($bad differ)");
}

sub pgtype
{
	my ($node, $col) = @_;
	return $node->safe_psql('postgres',
		"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'shop_pg.torture'::regclass AND attname = '$col'");
}

# ---------- keys, indexes, sequences, grants, identity ----------
is( $node->safe_psql('postgres',
		"SELECT source_table || ':' || identity || ':' || array_to_string(key_columns, ',') FROM chameleon.replica_tables ORDER BY source_schema, source_table"),
	join("\n", 'people:primary key:id', 'big:primary key:id', 'keyless:full row:',
		'latin:primary key:id', 'torture:primary key:id', 'ukey:unique key:code',
		'x"; DROP TABLE y; --:primary key:we"ird col', 'zero_dates:primary key:id'),
	'replica identity per table');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_index WHERE indrelid = 'shop_pg.ukey'::regclass AND indisunique"),
	'1', 'unique key built');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_index WHERE indrelid = 'shop_pg.big'::regclass"),
	'2', 'primary key and the prefix index (as a full index) built');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_index WHERE indrelid = 'shop_pg.ukey'::regclass AND NOT indisunique"),
	'1', 'secondary index built');
$node->safe_psql('postgres', "INSERT INTO crm_pg.people (name) VALUES ('carl')");
is($node->safe_psql('postgres', "SELECT max(id) FROM crm_pg.people"), '3',
	'the identity sequence continues after the copied rows');
is($node->safe_psql('postgres', "SELECT has_table_privilege('reporting', 'shop_pg.torture', 'SELECT')"),
	't', 'grant_select_to applied');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.replica_table WHERE snapshot_file IS NULL OR snapshot_pos IS NULL"),
	'0', 'every table has its snapshot coordinates');
like($node->safe_psql('postgres', "SELECT read_position FROM chameleon.show_status"),
	qr/^mysql-bin\.\d+:\d+/, 'the stream position is the earliest snapshot');

# ---------- sync_tables: one table again, the others stay ----------
$m->sql("UPDATE shop.ukey SET qty = 42 WHERE code = 'a'; UPDATE shop.latin SET name = 'changed' WHERE id = 1");
$node->safe_psql('postgres', "SELECT chameleon.sync_tables('maria', '{shop.ukey}', wait => true)");
is($node->safe_psql('postgres', "SELECT qty FROM shop_pg.ukey WHERE code = 'a'"), '42', 'the synced table has the new value');
is($node->safe_psql('postgres', "SELECT name FROM shop_pg.latin WHERE id = 1"), 'café', 'the other tables are untouched');
is($node->safe_psql('postgres', "SELECT status FROM chameleon.show_status"), 'synced', 'state synced');

# ---------- failures leave the previous tables in place ----------
$node->safe_psql('postgres', "SELECT chameleon.alter_source('maria', 'db_conn: {password: wrong}')");
my ($rc, $out, $err) = $node->psql('postgres', "SELECT chameleon.init_replica('maria', wait => true)");
isnt($rc, 0, 'init_replica with a wrong password fails');
like($err, qr/could not connect to MySQL server 127\.0\.0\.1:\d+ as "repl"/, 'the error names the server and user');
unlike($err, qr/wrong/, 'and not the password');
is($node->safe_psql('postgres', "SELECT status FROM chameleon.show_status"), 'error', 'source in state error');
like($node->safe_psql('postgres', "SELECT last_error FROM chameleon.show_status"), qr/could not connect/, 'last_error says why');
ok($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.show_errors") > 0, 'show_errors has it');
is($node->safe_psql('postgres', "SELECT count(*) FROM shop_pg.big"), '20000', 'the previous tables are untouched');

$node->safe_psql('postgres', "SELECT chameleon.alter_source('maria', 'db_conn: {password: repl-pw}')");
$m->sql("SET GLOBAL binlog_format = 'STATEMENT'");
($rc, $out, $err) = $node->psql('postgres', "SELECT chameleon.init_replica('maria', wait => true)");
like($err, qr/binary log in STATEMENT format.*binlog_format=ROW/s, 'a server not in ROW format is refused with a hint');
$m->sql("SET GLOBAL binlog_format = 'ROW'");

ChameleonTest::Replica->new($node, $m, 'ghost', schema_mappings => { nosuch => 'ghost_pg' });
($rc, $out, $err) = $node->psql('postgres', "SELECT chameleon.init_replica('ghost', wait => true)");
like($err, qr/MySQL schema "nosuch" of source "ghost" does not exist/, 'a missing MySQL schema is named');

# a user without REPLICATION CLIENT is told what to grant
$m->sql("CREATE USER 'weak'\@'%' IDENTIFIED BY 'weak-pw'; GRANT SELECT ON *.* TO 'weak'\@'%'");
ChameleonTest::Replica->new($node, $m, 'weak', user => 'weak', password => 'weak-pw',
	schema_mappings => { crm => 'crm_weak' });
($rc, $out, $err) = $node->psql('postgres', "SELECT chameleon.init_replica('weak', wait => true)");
like($err, qr/MySQL error 1227 .*SHOW MASTER STATUS.*Grant the MySQL user SELECT, RELOAD, REPLICATION CLIENT and REPLICATION SLAVE/s,
	'missing privileges: the error says which to grant');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_namespace WHERE nspname = 'crm_weak'"), '0', 'and nothing was created');

# ---------- copy_schema and keep_existing_schema ----------
ChameleonTest::Replica->new($node, $m, 'structure', schema_mappings => { crm => 'crm_struct' });
$node->safe_psql('postgres', "SELECT chameleon.copy_schema('structure', wait => true)");
is($node->safe_psql('postgres', "SELECT count(*) FROM crm_struct.people"), '0', 'copy_schema creates the table without data');

$node->safe_psql('postgres', "SELECT chameleon.drop_source('structure')");
$node->safe_psql('postgres', 'CREATE INDEX my_own_index ON crm_struct.people (name)');
$node->safe_psql('postgres', 'CREATE TABLE crm_struct.orders (id int PRIMARY KEY, person bigint REFERENCES crm_struct.people (id))');
my $keep = ChameleonTest::Replica->new($node, $m, 'keep',
	schema_mappings => { crm => 'crm_struct' }, config => 'keep_existing_schema: true');
$keep->init_replica(name => 'init_replica with keep_existing_schema succeeds');
is($node->safe_psql('postgres', "SELECT count(*) FROM crm_struct.people"), '2', 'data reloaded in place');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_class WHERE relname = 'my_own_index'"), '1', 'the user index is kept');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_constraint WHERE conrelid = 'crm_struct.orders'::regclass AND contype = 'f'"),
	'1', 'the foreign key to it is kept');

# ---------- wait => false, and NOTIFY chameleon at the end ----------
my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN chameleon');
$node->safe_psql('postgres', "SELECT chameleon.init_replica('maria')");
ok( $node->poll_query_until('postgres',
		"SELECT status = 'initialised' FROM chameleon.show_status WHERE source_name = 'maria'"),
	'init_replica in the background finishes');
my $notified = $listener->query_safe('SELECT 1');
$notified .= $listener->{stdout} // '';
like($notified, qr/Asynchronous notification "chameleon" with payload "\{"source": "maria", "event": "init_replica done", "detail": "8 tables, \d+ rows copied, 2 rows discarded"\}"/,
	'NOTIFY chameleon announces the end of the copy');
$listener->quit;

# ---------- a pgsql source: another PostgreSQL database ----------
$node->safe_psql('postgres', 'CREATE DATABASE srcdb');
$node->safe_psql('srcdb', q{
CREATE SCHEMA app;
CREATE TABLE app.items (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	name text NOT NULL DEFAULT 'none', price numeric(10,2), tags text[], doc jsonb);
CREATE INDEX items_name ON app.items (name);
CREATE TABLE app.nokey (a int, b bytea);
INSERT INTO app.items (name, price, tags, doc) SELECT 'item ' || g, g / 3.0, ARRAY['a', 'b\tc'], '{"g": 1}' FROM generate_series(1, 1000) g;
INSERT INTO app.nokey VALUES (1, '\x00ff'), (NULL, NULL);
});
my ($pghost, $pgport) = ($node->host, $node->port);
$node->safe_psql('postgres', "SELECT chameleon.add_source('pgsrc', \$\$type: pgsql\ndb_conn: {host: '$pghost', port: $pgport, user: " . getpwuid($<) . ", database: srcdb}\nschema_mappings: {app: app_copy}\$\$)");
($rc, $out, $err) = $node->psql('postgres', "SELECT chameleon.init_replica('pgsrc', wait => true)");
is($rc, 0, 'init_replica of a pgsql source succeeds') or diag($err);
is( $node->safe_psql('postgres', 'SELECT count(*), sum(price), max(id) FROM app_copy.items'),
	$node->safe_psql('srcdb', 'SELECT count(*), sum(price), max(id) FROM app.items'),
	'pgsql source: rows copied');
is( $node->safe_psql('postgres', "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM app_copy.items t"),
	$node->safe_psql('srcdb', "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM app.items t"),
	'pgsql source: values identical');
is($node->safe_psql('postgres', "SELECT string_agg(encode(b, 'hex'), ',') FROM app_copy.nokey"), '00ff', 'bytea copied');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app_copy' AND tablename = 'items'"),
	'2', 'pgsql source: primary key and index rebuilt');
is($node->safe_psql('postgres', "SELECT identity || ':' || array_to_string(key_columns, ',') FROM chameleon.replica_tables WHERE source_name = 'pgsrc' ORDER BY source_table"),
	"primary key:id\nfull row:", 'pgsql source: replica identity');
$node->safe_psql('postgres', "INSERT INTO app_copy.items (name) VALUES ('new')");
is($node->safe_psql('postgres', "SELECT max(id) FROM app_copy.items"), '1001', 'pgsql source: identity continues');

# ---------- a job whose source is gone when it starts: no crash ----------
# init_replica in a transaction that then rolls back: the job worker finds
# no source, and records nothing (it used to dereference a missing row)
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $log_offset = -s $node->logfile;
($rc, $out, $err) = $node->psql('postgres', "BEGIN;
SELECT chameleon.add_source('phantom', \$\$db_conn: {host: 127.0.0.1, port: 9, user: x, password: y}
schema_mappings: {phantom: phantom}\$\$);
SELECT chameleon.init_replica('phantom');
SELECT pg_sleep(3);
ROLLBACK;");
ok($node->wait_for_log(qr/init_replica of source "phantom" failed after the source was dropped/, $log_offset),
	'a job whose source was rolled back says so in the log');
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started,
	'and the server did not restart');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.sources WHERE source_name = 'phantom'"),
	'0', 'the rolled-back source left nothing');

$node->stop;
done_testing();
