
# Copyright (c) chameleon developers
#
# verify_tables() against MariaDB (issue 14): a source replicating a
# type-torture table, a keyed table, two keyless tables (one compared in
# buckets), tables keyed by case-insensitive text, by an enum and by two
# columns, a type_override column and two sysbench tables.  Rows changed, deleted and inserted in PostgreSQL behind the
# replica's back are found exactly (and nothing else) while sysbench
# writes to the same source; the sysbench tables verify identical under
# live writes five times in a row; repair => true fixes every difference
# and a second verify finds every table identical, with ordered checksums
# equal on both sides; a disabled table is reported, not compared; a
# killed verify leaves the replay free; stop_replica ends a verify with a
# clear state; the NOTIFY carries counts, no values.

use strict;
use warnings;

use IPC::Run qw(run start);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

plan skip_all => 'sysbench is not installed'
  unless grep { -x "$_/sysbench" } split /:/, $ENV{PATH};

my $t_start = time;
my $m = ChameleonTest::MariaDB->new(name => 'verify');
$m->start;
$m->create_user('sb', 'sb-pw', all => 1);

$m->sql(ChameleonTest::MariaDB::slurp_sql('torture.sql'));
$m->sql(<<'SQL');
SET SESSION sql_mode = '';
USE shop;
INSERT INTO torture VALUES
 (5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b'0', b'0', 0, '0000-00-00',
  '0000-00-00 00:00:00', '0000-00-00 00:00:00', '00:00:00', 'é', 'a ', ' ', x'00000000',
  x'00', x'', 'small', 'a,b,c', '"str"', NULL);
CREATE TABLE accounts (id int PRIMARY KEY, owner varchar(20) NOT NULL,
  balance decimal(12,2), note text);
INSERT INTO accounts SELECT seq, concat('owner ', seq), seq * 1.5, IF(seq % 7 = 0, NULL, concat('n', seq))
  FROM seq_1_to_3000;
CREATE TABLE events (a int, b varchar(10));
INSERT INTO events VALUES (1, 'x'), (1, 'x'), (2, NULL), (3, 'y'), (4, 'z'), (NULL, 'n');
CREATE TABLE codes (code varchar(10) NOT NULL PRIMARY KEY, q int) COLLATE utf8mb4_general_ci;
INSERT INTO codes VALUES ('a', 1), ('B', 2), ('ç', 3), ('d ', 4), ('e', 5);
CREATE TABLE order_lines (order_id int NOT NULL, line int NOT NULL, qty int, PRIMARY KEY (order_id, line));
INSERT INTO order_lines SELECT 1 + seq DIV 3, seq % 3, seq FROM seq_0_to_2999;
CREATE TABLE ledger (acct int, amount decimal(10,2));
INSERT INTO ledger SELECT IF(seq % 100 = 0, NULL, seq % 1000), (seq % 5) * 1.25 FROM seq_1_to_3000;
CREATE TABLE sizes (s enum('small','medium','large') NOT NULL PRIMARY KEY, n int);
INSERT INTO sizes VALUES ('large', 3), ('small', 1), ('medium', 2);
CREATE TABLE flags (id int PRIMARY KEY, f tinyint(1));
INSERT INTO flags VALUES (1, 1), (2, 0), (3, NULL), (4, 1);
SQL

my @sysbench = (
	'sysbench', 'oltp_write_only', '--db-driver=mysql',
	'--mysql-host=' . $m->host, '--mysql-port=' . $m->port,
	'--mysql-user=sb', '--mysql-password=sb-pw', '--mysql-db=shop',
	'--tables=2', '--table-size=10000');
my ($sb_out, $sb_err) = ('', '');
ok(run([ @sysbench, 'prepare' ], '>', \$sb_out, '2>', \$sb_err), 'sysbench prepare: 2 tables x 10000 rows')
  or diag($sb_err);

my $node = chameleon_node('verify', database => 'postgres', create_extension => 1,
	conf => [ "timezone = 'UTC'", 'max_worker_processes = 16', 'chameleon.copy_workers = 2' ]);
# small chunks: many of them under load
my $r = ChameleonTest::Replica->new($node, $m, 'src',
	schema_mappings => { shop => 'shop' },
	config => [ 'verify_chunk_rows: 500',
		'type_override: {"tinyint(1)": {override_to: boolean, override_tables: [shop.flags]}}' ],
	init => 1, start => 1);

my @all = qw(accounts codes events flags ledger order_lines sbtest1 sbtest2 sizes torture);

# verify_tables(wait => true) of some tables (all: NULL); returns its error or ''
sub verify
{
	my (%o) = @_;
	my $tables = $o{tables} ? "'{" . join(',', map { "shop.$_" } @{ $o{tables} }) . "}'" : 'NULL';
	my ($ret, $out, $err) = $node->psql('postgres',
		"SELECT chameleon.verify_tables('src', $tables, repair => " . ($o{repair} ? 'true' : 'false')
		  . ', wait => true)');
	return $ret == 0 ? '' : $err;
}

# table => "state checked different repaired" of verify_status
sub status
{
	my %s;
	for (split /\n/, $r->psql("SELECT table_name, state, rows_checked, rows_different, rows_repaired"
			  . " FROM chameleon.verify_status WHERE source_name = 'src'"))
	{
		my ($t, @v) = split /\|/;
		$s{$t} = join(' ', @v);
	}
	return \%s;
}

# the mismatches of a table as sorted "difference key repaired" lines
sub mismatches
{
	my ($table) = @_;
	return $r->psql("SELECT m FROM (SELECT difference || ' ' || key::text || ' ' || CASE WHEN repaired THEN 't' ELSE 'f' END AS m"
		  . " FROM chameleon.verify_mismatches WHERE source_name = 'src' AND table_name = '$table') s"
		  . ' ORDER BY m COLLATE "C"');
}

# ---------- after the copy, idle ----------
is(verify(), '', 'verify_tables of every table succeeds');
my $s = status();
is_deeply([ sort keys %$s ], \@all, 'verify_status: one row per replicated table');
is($s->{$_} =~ s/ \d+ / N /r, 'identical N 0 0', "$_ identical after the copy") for @all;
is($s->{accounts}, 'identical 3000 0 0', 'accounts: 3000 rows checked');
is($s->{events}, 'identical 6 0 0', 'events (keyless): 6 rows checked');
is($s->{ledger}, 'identical 3000 0 0', 'ledger (keyless, in buckets, duplicates and NULLs): 3000 rows checked');
is($r->psql("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'shop.flags'::regclass AND attname = 'f'"),
	'boolean', 'flags.f is a boolean (type_override), compared as one');
like($r->psql("SELECT error FROM chameleon.verify_status WHERE table_name = 'torture'"),
	qr/^2 rows not compared: their MySQL values cannot be stored/,
	'torture: the two rows PostgreSQL cannot hold (TIME beyond 24 h) are left out, and said so');
like($r->psql("SELECT position FROM chameleon.verify_status WHERE table_name = 'accounts'"),
	qr/^\S+\.\d+:\d+$/, 'verify_status.position is the binlog position of the last chunk');

# ---------- changes behind the replica's back ----------
$r->psql(<<'SQL');
UPDATE shop.accounts SET balance = balance + 1 WHERE id = 10;
UPDATE shop.accounts SET note = NULL WHERE id = 20;
DELETE FROM shop.accounts WHERE id IN (30, 2999);
INSERT INTO shop.accounts VALUES (5000, 'ghost', 1, 'x'), (0, 'zero', 0, NULL);
DELETE FROM shop.events WHERE ctid = (SELECT ctid FROM shop.events WHERE a = 1 LIMIT 1);
UPDATE shop.codes SET code = 'b' WHERE code = 'B';
INSERT INTO shop.codes VALUES ('zz', 9);
DELETE FROM shop.order_lines WHERE order_id = 2 AND line = 1;
UPDATE shop.order_lines SET qty = -1 WHERE order_id = 900 AND line = 2;
DELETE FROM shop.ledger WHERE ctid = (SELECT ctid FROM shop.ledger WHERE acct = 7 AND amount = 2.5 LIMIT 1);
DELETE FROM shop.ledger WHERE ctid = (SELECT ctid FROM shop.ledger WHERE acct IS NULL LIMIT 1);
DELETE FROM shop.sizes WHERE s = 'medium';
UPDATE shop.flags SET f = NOT f WHERE id = 4;
SQL
my %expected = (
	accounts => join("\n",
		'changed {"id": "10"} f', 'changed {"id": "20"} f', 'extra {"id": "0"} f',
		'extra {"id": "5000"} f', 'missing {"id": "2999"} f', 'missing {"id": "30"} f'),
	events => 'missing {"a": "1", "b": "x"} f',
	codes => join("\n", 'extra {"code": "b"} f', 'extra {"code": "zz"} f', 'missing {"code": "B"} f'),
	order_lines => join("\n", 'changed {"line": "2", "order_id": "900"} f', 'missing {"line": "1", "order_id": "2"} f'),
	ledger => join("\n", 'missing {"acct": "7", "amount": "2.50"} f', 'missing {"acct": null, "amount": "0.00"} f'),
	sizes => 'missing {"s": "medium"} f',
	flags => 'changed {"id": "4"} f');

# ---------- under load ----------
my ($run_out, $run_err) = ('', '');
my $sb = start([ @sysbench, '--threads=2', '--rate=400', '--time=600', '--report-interval=0', 'run' ],
	'>', \$run_out, '2>', \$run_err);
ok(poll_until(sub { $m->sql('SELECT count(*) FROM information_schema.processlist WHERE user = "sb"') >= 2 },
		timeout => 30), 'sysbench writes');

# MySQL changes to the torture table, replicated while the load runs
$m->sql(q{UPDATE torture SET vc = 'changé 🦎', de = de + 1, ts = '2001-02-03 04:05:06.789',
	j = '{"a": [true, null]}', bl = x'00', bn = x'0102', b64 = b'101', e = 'large', st = 'b,c'
	WHERE id = 1; DELETE FROM torture WHERE id = 2;
	INSERT INTO torture (id, vc, tm, dtm, y, d) VALUES (6, 'new', '-12:00:00', '2020-01-01 00:00:00.5', 2155, 1e-300)},
	db => 'shop');
$r->wait_caught_up('torture changes replicated under load');

for my $n (1 .. 5)
{
	is(verify(), '', "run $n under load: verify_tables succeeds");
	$s = status();
	is($s->{sbtest1}, 'identical 10000 0 0', "run $n: sbtest1 identical under live writes");
	is($s->{sbtest2}, 'identical 10000 0 0', "run $n: sbtest2 identical under live writes");
	is($s->{torture} =~ s/ \d+ / N /r, 'identical N 0 0', "run $n: torture identical after replicated changes");
	for my $t (sort keys %expected)
	{
		is(mismatches($t), $expected{$t}, "run $n: $t: exactly the rows changed behind the replica's back");
	}
}
is($s->{accounts}, 'different 3002 6 0', 'accounts: 3000 MySQL rows and 2 extra checked, 6 different');
is($r->psql("SELECT (mysql_row->>'f') || ' ' || (pg_row->>'f') FROM chameleon.verify_mismatches WHERE table_name = 'flags'"),
	't f', 'flags: the MySQL value as PostgreSQL stores it (boolean) against the PostgreSQL one');

# a row only PostgreSQL holds, in a table sysbench writes to
$r->psql("INSERT INTO shop.sbtest2 (id, k, c, pad) VALUES (1000000, 1, 'c', 'pad')");
is(verify(tables => ['sbtest2']), '', 'verify_tables of sbtest2 under load');
is(mismatches('sbtest2'), 'extra {"id": "1000000"} f', 'sbtest2: the extra row is found, nothing else');
$expected{sbtest2} = 'extra {"id": "1000000"} t';

# ---------- repair, under load ----------
is(verify(repair => 1), '', 'verify_tables with repair => true succeeds');
$s = status();
for my $t (sort keys %expected)
{
	(my $want = $expected{$t}) =~ s/ f$/ t/mg;
	is(mismatches($t), $want, "$t: every difference repaired");
	like($s->{$t}, qr/^repaired \d+ (\d+) \1$/, "$t: state repaired, rows_repaired = rows_different");
}

# a disabled table is reported, not compared
$r->psql("UPDATE chameleon.replica_table SET enabled = false WHERE source_table = 'order_lines'");
is(verify(tables => ['order_lines']), '', 'verify_tables of a disabled table');
is($r->psql("SELECT state || ': ' || error FROM chameleon.verify_status WHERE table_name = 'order_lines'"),
	'error: table is disabled; not compared', 'a disabled table is reported as such');
$r->psql("UPDATE chameleon.replica_table SET enabled = true WHERE source_table = 'order_lines'");

# a verify killed in the middle leaves the replay free
$r->psql("SELECT chameleon.alter_source('src', 'verify_pause: 200ms')");
$r->psql("SELECT chameleon.verify_tables('src', '{shop.sbtest1}')");
my $vpid;
ok(poll_until(sub {
			$vpid = $r->psql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'chameleon verify src'");
			$vpid ne '' && $r->psql("SELECT rows_checked > 0 FROM chameleon.verify_status WHERE table_name = 'sbtest1'") eq 't';
		}, timeout => 60), 'a verify is under way');
$r->psql("SELECT pg_terminate_backend($vpid)");
ok(poll_until(sub { $r->psql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'chameleon verify src'") eq '0' },
		timeout => 30), 'the killed verify is gone');
like($r->psql("SELECT state || ': ' || error FROM chameleon.verify_status WHERE table_name = 'sbtest1'"),
	qr/^error: the verify worker ended before it finished/, 'its table shows the verify ended');
$r->wait_caught_up('the replay goes on after a killed verify');

$sb->kill_kill;
$sb->finish;
$r->wait_caught_up('the load is applied');

# ---------- everything identical, and the notification ----------
$r->psql("SELECT chameleon.alter_source('src', 'verify_pause: 0s')");
my ($ret, $out, $err) = $node->psql('postgres',
	"LISTEN chameleon; SELECT chameleon.verify_tables('src', wait => true); SELECT 1");
is($ret, 0, 'a last verify succeeds') or diag($err);
$s = status();
is($s->{$_} =~ s/ \d+ / N /r, 'identical N 0 0', "$_ identical after the repair") for @all;
like($out, qr/Asynchronous notification "chameleon" with payload "\{"source": "src", "event": "verify", "detail": "verified 10 tables: 10 identical"\}"/,
	'NOTIFY chameleon: the outcome, as counts');
unlike($out, qr/ghost|owner/, 'no row value in the notification');
for my $t (qw(accounts events codes order_lines ledger sizes))
{
	$r->same_rows('shop', $t, "$t: the same rows on both sides");
}
for my $t (qw(sbtest1 sbtest2))
{
	is( $r->psql("SELECT md5(string_agg(concat_ws('|', id, k, c::text, pad::text), E'\\n' ORDER BY id)) FROM shop.$t"),
		$m->sql("SET SESSION group_concat_max_len = 1073741824;"
			  . " SELECT md5(group_concat(concat_ws('|', id, k, c, pad) ORDER BY id SEPARATOR '\\n')) FROM $t",
			db => 'shop'),
		"$t: ordered checksums agree");
}

# ---------- stop_replica during a verify ----------
$r->psql("SELECT chameleon.alter_source('src', 'verify_pause: 300ms')");
$r->psql("SELECT chameleon.verify_tables('src', '{shop.sbtest1,shop.sbtest2}')");
ok(poll_until(sub { $r->psql("SELECT rows_checked > 0 FROM chameleon.verify_status WHERE table_name = 'sbtest1'") eq 't' },
		timeout => 60), 'a verify is under way');
$r->stop_replica(name => 'stop_replica during the verify stops the workers');
ok(poll_until(sub { $r->psql("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'chameleon verify src'") eq '0' },
		timeout => 30), 'the verify ends within seconds');
is($r->psql("SELECT string_agg(table_name || ' ' || state || ' ' || (error ~ 'stopped'), ', ' ORDER BY table_name)"
		  . " FROM chameleon.verify_status WHERE table_name LIKE 'sbtest%'"),
	'sbtest1 error true, sbtest2 error true', 'both tables say the source was stopped');
like($r->psql("SELECT error FROM chameleon.verify_run"), qr/stopped by stop_replica/,
	'the run records why it ended');

note(sprintf('080_verify: %.0f s', time - $t_start));
done_testing();
