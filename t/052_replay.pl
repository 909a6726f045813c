
# Copyright (c) chameleon developers
#
# The replay worker (issue 6) against tables copied from a real MariaDB by
# init_replica: change-log events are written into chameleon.log_event by
# the test itself, following the reader's format, and the replay worker
# started with chameleon._start_worker('replay', ...) applies them.
# Checked: rows by primary key, unique key and full row (duplicates),
# columns matched by name, unknown tables skipped, positions, counters,
# no row-by-row log deletion, DDL (ADD COLUMN, RENAME TABLE, CREATE
# TABLE, key change, DROP TABLE, unmapped and meaningless statements),
# on_error_replay continue and exit, whole transactions only, and the
# apply rate.

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

my $m = ChameleonTest::MariaDB->new(name => 'replay');
$m->start;
$m->sql(<<'SQL');
CREATE DATABASE shop;
USE shop;
CREATE TABLE pk_t (id int PRIMARY KEY, v varchar(20), n int, b varbinary(10), ts timestamp(3) NULL DEFAULT NULL);
INSERT INTO pk_t (id, v, n) VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3);
CREATE TABLE uk_t (code varchar(10) NOT NULL, qty int, UNIQUE KEY uk_code (code));
INSERT INTO uk_t VALUES ('a', 1), ('b', 2);
CREATE TABLE nk_t (a int, b varchar(10));
INSERT INTO nk_t VALUES (1, 'x'), (1, 'x'), (2, NULL);
CREATE TABLE acct (id int PRIMARY KEY, bal int NOT NULL);
INSERT INTO acct SELECT seq, 100 FROM seq_1_to_10;
CREATE TABLE bad (id int PRIMARY KEY, v int);
INSERT INTO bad VALUES (1, 1);
CREATE TABLE bench (id int PRIMARY KEY, v int, s varchar(40));
CREATE TABLE `x"; DROP TABLE y; --` (`we"ird col` int PRIMARY KEY, `select` text);
INSERT INTO `x"; DROP TABLE y; --` VALUES (1, 'hostile');
SQL

my $node = chameleon_node('replay', database => 'postgres', create_extension => 1,
	conf => ["timezone = 'UTC'", 'max_worker_processes = 16', 'log_min_messages = debug1']);
my $r = ChameleonTest::Replica->new($node, $m, 'maria', schema_mappings => { shop => 'shop_pg' });
$r->init_replica(name => 'init_replica succeeds');

my $sid = $r->source_id;
my ($file, $pos) = split(/\|/,
	$node->safe_psql('postgres', "SELECT replay_file, replay_pos FROM chameleon.source WHERE source_id = $sid"));
ok(defined $pos && $pos > 0, "init_replica set the replay position ($file:$pos)");

# ---------- writing the log as the reader does ----------
my $eid = 0;
my @rows;

# An SQL literal (NULL for undef).
sub lit
{
	my ($v) = @_;
	return 'NULL' unless defined $v;
	$v =~ s/'/''/g;
	return "'$v'";
}

# A text[] literal (NULL for undef; undef elements are NULL).
sub arr
{
	my ($a) = @_;
	return 'NULL' unless defined $a;
	return 'ARRAY[]::text[]' unless @$a;
	return 'ARRAY[' . join(',', map { lit($_) } @$a) . ']::text[]';
}

# Appends one event; returns its id.
sub ev
{
	my (%e) = @_;
	$eid++;
	push @rows,
	  sprintf("(%d, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())",
		$sid, $eid, lit($e{kind}), lit($e{schema} // 'shop'), lit($e{table}),
		arr($e{bn}), arr($e{bv}), arr($e{an}), arr($e{av}), lit($e{query}),
		lit($e{file}), $e{pos} // 'NULL', lit($e{gtid}));
	return $eid;
}

sub ins { my ($t, $n, $v, %o) = @_; return ev(kind => 'I', table => $t, an => $n, av => $v, %o); }
sub upd { my ($t, $n, $b, $a) = @_; return ev(kind => 'U', table => $t, bn => $n, bv => $b, an => $n, av => $a); }
sub del { my ($t, $n, $b) = @_; return ev(kind => 'D', table => $t, bn => $n, bv => $b); }
sub ddl { my ($q, %o) = @_; return ev(kind => 'Q', query => $q, %o); }

# Ends a source transaction (C event with the position after it).
sub commit_txn
{
	$pos += 100;
	return ev(kind => 'C', schema => undef, file => $file, pos => $pos, gtid => "0-1-$pos");
}

# Writes the pending events, the batch row and the read position in one transaction.
sub flush_log
{
	return unless @rows;
	my $first = $eid - @rows + 1;
	my $sql = "BEGIN;\nINSERT INTO chameleon.log_event (source_id, event_id, event_kind, source_schema,"
	  . " source_table, before_names, before_values, after_names, after_values, query,"
	  . " binlog_file, binlog_pos, gtid, event_time) VALUES\n" . join(",\n", @rows) . ";\n"
	  . "INSERT INTO chameleon.log_batch (source_id, batch_id, first_event_id, last_event_id, binlog_file, binlog_pos)"
	  . " VALUES ($sid, $eid, $first, $eid, '$file', $pos);\n"
	  . "UPDATE chameleon.source SET read_event_id = $eid, read_file = '$file', read_pos = $pos,"
	  . " read_gtid = '0-1-$pos', last_read = now() WHERE source_id = $sid;\nCOMMIT;\n";
	@rows = ();
	$node->safe_psql('postgres', $sql);
}

sub pq { return $node->safe_psql('postgres', $_[0]); }

# Waits until the replay has applied every event written.
sub wait_replayed
{
	my ($what) = @_;
	ok($node->poll_query_until('postgres',
			"SELECT replay_event_id >= $eid FROM chameleon.source WHERE source_id = $sid"),
		"replay reaches event $eid ($what)")
	  or diag(pq("SELECT status, last_error FROM chameleon.source WHERE source_id = $sid"));
}

my @pk = qw(id v n b ts);

# ---------- DML: keys of every kind ----------
ins('pk_t', \@pk, [4, 'four', 4, '\x0102', '2024-01-01 00:00:00.5+00']);
upd('pk_t', \@pk, [1, 'one', 1, undef, undef], [1, 'uno', 1, undef, undef]);
del('pk_t', \@pk, [2, 'two', 2, undef, undef]);
commit_txn();
upd('uk_t', [qw(code qty)], ['a', 1], ['a', 10]);
del('uk_t', [qw(code qty)], ['b', 2]);
ins('uk_t', [qw(code qty)], ['c', undef]);
commit_txn();
upd('nk_t', [qw(a b)], [1, 'x'], [1, 'y']);
del('nk_t', [qw(a b)], [2, undef]);
commit_txn();
ins('x"; DROP TABLE y; --', ['we"ird col', 'select'], [2, 'two']);
# columns by name, in another order, with one the target does not have
ins('pk_t', [qw(zzz n id v)], ['ignored', 5, 5, 'five']);
commit_txn();
ins('unknown', ['id'], [1]);
ins('pk_t', \@pk, [6, 'six', 6, undef, undef], schema => 'other');
commit_txn();
flush_log();
my $last_pos = $pos;

my $pid = pq("SELECT chameleon._start_worker('replay', $sid, 'maria')");
ok($pid > 0, 'replay worker started');
wait_replayed('DML');
is(pq("SELECT application_name FROM pg_stat_activity WHERE pid = $pid"), 'chameleon replay maria',
	'the worker reports its application_name');

is(pq("SELECT string_agg(id || ':' || v || ':' || n || ':' || coalesce(b::text, '-') || ':' || coalesce(ts::text, '-'), ',' ORDER BY id) FROM shop_pg.pk_t"),
	'1:uno:1:-:-,3:three:3:-:-,4:four:4:\x0102:2024-01-01 00:00:00.5+00,5:five:5:-:-',
	'primary key table: insert (bytea, timestamptz), update, delete, columns by name');
is(pq("SELECT string_agg(code || ':' || coalesce(qty::text, 'null'), ',' ORDER BY code) FROM shop_pg.uk_t"),
	'a:10,c:null', 'unique key table: update, delete, insert of NULL');
is(pq("SELECT string_agg(a || ':' || coalesce(b, 'null'), ',' ORDER BY a, b) FROM shop_pg.nk_t"),
	'1:x,1:y', 'keyless table: one of two duplicate rows updated, NULL row deleted');
is(pq(qq{SELECT string_agg("we""ird col" || ':' || "select", ',' ORDER BY 1) FROM shop_pg."x""; DROP TABLE y; --"}),
	'1:hostile,2:two', 'hostile identifiers');
is(pq("SELECT replayed_rows || '/' || skipped_rows || '/' || replayed_ddl FROM chameleon.source WHERE source_id = $sid"),
	'10/2/0', 'counters: 10 rows replayed, 2 skipped (not replicated), no DDL');
is(pq("SELECT replay_file || ':' || replay_pos || ' ' || replay_gtid FROM chameleon.source WHERE source_id = $sid"),
	"$file:$last_pos 0-1-$last_pos", 'replay position is the last C event');
# applied events are not deleted one by one: their partition of the log
# is dropped whole once the replay has passed it (t/064_log_recycle.pl)
is(pq("SELECT count(*) FROM chameleon.log_event WHERE source_id = $sid"
	  . " AND event_id > (SELECT replay_event_id FROM chameleon.source WHERE source_id = $sid)"),
	'0', 'every logged event applied');
is(pq("SELECT coalesce(sum(n_tup_del + n_tup_upd), 0) FROM pg_stat_user_tables"
	  . " WHERE relid IN (SELECT partition FROM chameleon._log_partitions($sid))"),
	'0', 'applied events are not deleted from the log row by row');
is(pq("SELECT count(*) FROM chameleon.log_batch WHERE source_id = $sid AND replayed_at IS NULL"), '0',
	'log batch marked replayed');
is(pq("SELECT last_replay IS NOT NULL AND replay_pending_since IS NULL FROM chameleon.source WHERE source_id = $sid"),
	't', 'last_replay set, nothing pending');
is(pq("SELECT identity || ':' || array_to_string(key_columns, ',') FROM chameleon.replica_tables ORDER BY source_table"),
	"primary key:id\nprimary key:id\nprimary key:id\nfull row:\nprimary key:id\nunique key:code\nprimary key:we\"ird col",
	'identities from the initial copy');

# the read position moves on while nothing is pending: the replay follows
pq("UPDATE chameleon.source SET read_pos = read_pos + 50 WHERE source_id = $sid");
ok($node->poll_query_until('postgres',
		"SELECT replay_pos = read_pos FROM chameleon.source WHERE source_id = $sid"),
	'idle: the replay position catches up with the read position');
$pos += 50;
ok($node->poll_query_until('postgres',
		"SELECT consistent FROM chameleon.source WHERE source_id = $sid"),
	'the source is consistent once the replay passed every table\'s point');

# ---------- DDL ----------
ddl('ALTER TABLE pk_t ADD COLUMN extra int');
commit_txn();
ins('pk_t', [qw(id v n extra)], [7, 'seven', 7, 77]);
commit_txn();
ddl('RENAME TABLE pk_t TO pk_renamed');
commit_txn();
upd('pk_renamed', [qw(id v n)], [3, 'three', 3], [3, 'three', 33]);
commit_txn();
ddl('CREATE TABLE newt (id int PRIMARY KEY, s varchar(5))');
commit_txn();
ins('newt', [qw(id s)], [1, 'a']);
commit_txn();
ddl('CREATE TABLE kc (a int NOT NULL, b int)');
commit_txn();
ddl('ALTER TABLE kc ADD UNIQUE KEY uk_a (a)');
commit_txn();
ins('kc', [qw(a b)], [1, 2]);
upd('kc', [qw(a b)], [1, 2], [1, 3]);
commit_txn();
ddl('DROP TABLE uk_t');
commit_txn();
ddl('CREATE TABLE elsewhere (id int)', schema => 'other');
commit_txn();
ddl('CREATE VIEW v AS SELECT 1');
commit_txn();
flush_log();
wait_replayed('DDL');

is(pq("SELECT id || ':' || n || ':' || coalesce(extra::text, '-') FROM shop_pg.pk_renamed WHERE id IN (3, 7) ORDER BY id"),
	"3:33:-\n7:7:77", 'ADD COLUMN then RENAME TABLE: rows applied to the renamed table');
is(pq("SELECT to_regclass('shop_pg.pk_t') IS NULL AND to_regclass('shop_pg.uk_t') IS NULL"), 't',
	'renamed and dropped tables are gone');
is(pq("SELECT string_agg(source_table || '=' || table_name || ':' || identity || ':' || array_to_string(key_columns, ',') || ':' || consistent, ' ' ORDER BY source_table) FROM chameleon.replica_tables WHERE source_table IN ('pk_renamed', 'newt', 'kc', 'uk_t', 'pk_t')"),
	'kc=kc:unique key:a:true newt=newt:primary key:id:true pk_renamed=pk_renamed:primary key:id:true',
	'replica_table follows CREATE (identity from keys), key change, RENAME and DROP');
is(pq("SELECT (SELECT string_agg(id || s, ',') FROM shop_pg.newt) || ' ' || (SELECT string_agg(a || ':' || b, ',') FROM shop_pg.kc)"),
	'1a 1:3', 'rows of created tables applied (update by the new unique key)');
is(pq("SELECT to_regclass('shop_pg.elsewhere') IS NULL AND to_regclass('shop_pg.v') IS NULL"), 't',
	'statements on unmapped schemas and without PostgreSQL meaning are skipped');
is(pq("SELECT replayed_ddl FROM chameleon.source WHERE source_id = $sid"), '6', 'six DDL statements counted');
is(pq("SELECT count(*) FROM chameleon.error_log"), '0', 'no error so far');

# ---------- on_error_replay: continue ----------
# a value the column cannot hold goes to discarded_rows (the table stays);
# a row the table refuses (its CHECK constraint) disables the table
pq('ALTER TABLE shop_pg.bad ADD CONSTRAINT small CHECK (v < 100)');
ins('pk_renamed', [qw(id v)], [10, 'ten']);
ins('bad', [qw(id v)], [2, 'not a number']);
ins('pk_renamed', [qw(id v)], [11, 'eleven']);
commit_txn();
ins('bad', [qw(id v)], [4, 500]);
commit_txn();
ins('bad', [qw(id v)], [3, 3]);
commit_txn();
ddl('ALTER TABLE pk_renamed FROBNICATE everything');
commit_txn();
ins('pk_renamed', [qw(id v)], [12, 'twelve']);
commit_txn();
flush_log();
wait_replayed('errors, continue');

is(pq("SELECT string_agg(id::text, ',' ORDER BY id) FROM shop_pg.pk_renamed WHERE id >= 10"), '10,11,12',
	'continue: the other tables of the failing transaction and later ones are applied');
is(pq("SELECT count(*) FROM chameleon.discarded_rows WHERE table_name = 'bad' AND row_data->>'id' = '2'"
		  . " AND row_data->>'v' = 'not a number' AND reason ~ 'invalid input syntax'"),
	'1', 'continue: a value the column cannot hold goes to discarded_rows with the reason');
is(pq("SELECT enabled::text || ' ' || (disabled_reason ~ 'check constraint') FROM chameleon.replica_table WHERE source_table = 'bad'"),
	'false true', 'continue: the table that refuses a row is disabled with the reason');
is(pq("SELECT string_agg(id::text, ',') FROM shop_pg.bad"), '1', 'continue: nothing applied to the disabled table');
is(pq("SELECT count(*) FROM chameleon.show_errors WHERE table_name = 'bad' AND sql_text ~ '^INSERT INTO shop_pg.bad' AND error_message ~ 'check constraint'"),
	'1', 'show_errors has the statement and the message of the failing row');
is(pq("SELECT count(*) FROM chameleon.show_errors WHERE sql_text ~ 'FROBNICATE' AND error_message ~ 'cannot parse'"),
	'1', 'show_errors has the statement that cannot be parsed');
is(pq("SELECT tables_disabled FROM chameleon.show_status"), '1', 'show_status counts the disabled table');
# TODO: assert the NOTIFY chameleon {"event": "table disabled"} payload (needs a LISTEN session kept open)

# ---------- whole transactions only ----------
pq("SELECT chameleon.alter_source('maria', 'replay_max_rows: 50')");
my $poll_sql = <<"SQL";
SET client_min_messages = notice;
DO \$\$DECLARE s bigint; n int := 0; bad int := 0; BEGIN
  LOOP
    SELECT sum(bal) INTO s FROM shop_pg.acct;
    n := n + 1;
    IF s <> 1000 THEN bad := bad + 1; END IF;
    EXIT WHEN (SELECT replay_event_id FROM chameleon.source WHERE source_id = $sid) >= %d OR n > 200000;
  END LOOP;
  RAISE NOTICE 'samples %% broken %%', n, bad;
END\$\$;
SQL
my %bal = map { $_ => 100 } 1 .. 10;

# moves one unit from a to b: two row images in one source transaction
sub transfer
{
	my ($a, $b) = @_;
	upd('acct', [qw(id bal)], [$a, $bal{$a}], [$a, $bal{$a} - 1]);
	$bal{$a}--;
	upd('acct', [qw(id bal)], [$b, $bal{$b}], [$b, $bal{$b} + 1]);
	$bal{$b}++;
}
my $target_start = $eid;
for my $i (1 .. 300)
{
	transfer(1 + $i % 10, 1 + ($i * 7 + 3) % 10) if (1 + $i % 10) != (1 + ($i * 7 + 3) % 10);
	transfer(1 + ($i * 3) % 10, 1 + ($i + 5) % 10);
	commit_txn();
}
# one transaction far bigger than replay_max_rows and than a fetch chunk
for my $i (1 .. 1500) { transfer(1 + $i % 10, 1 + ($i + 1) % 10); }
commit_txn();
my $target = $eid;
my ($pout, $perr) = ('', '');
my $poller = IPC::Run::start(
	[ 'psql', '-X', '-d', $node->connstr('postgres'), '-v', 'ON_ERROR_STOP=1', '-c', sprintf($poll_sql, $target) ],
	'>', \$pout, '2>', \$perr);
flush_log();
wait_replayed('transfers');
$poller->finish;
like($perr, qr/samples \d+ broken 0/, 'a reader polling during the replay never sees half a transaction');
diag($perr =~ /(samples \d+ broken \d+)/ ? $1 : $perr);
is(pq("SELECT string_agg(bal::text, ',' ORDER BY id) FROM shop_pg.acct"),
	join(',', map { $bal{$_} } 1 .. 10), 'balances after the transfers');

# ---------- apply rate ----------
pq("SELECT chameleon.alter_source('maria', 'replay_max_rows: 10000')");
my $n = 50000;      # rows; a C event after every 10
my $groups = $n / 10;

# Writes $n generated row events of one kind for bench, a C every 10 rows.
sub bench_events
{
	my ($kind) = @_;
	my $base = $eid;
	my $names = "'{id,v,s}'::text[]";
	my $vals = "ARRAY[id::text, (id * 2)::text, 'row ' || id]";
	my $vals2 = "ARRAY[id::text, (id * 2 + 1)::text, 'row ' || id]";
	my ($bn, $bv, $an, $av) = ('NULL', 'NULL', 'NULL', 'NULL');
	($an, $av) = ($names, $vals) if $kind eq 'I';
	($bn, $bv, $an, $av) = ($names, $vals, $names, $vals2) if $kind eq 'U';
	($bn, $bv) = ($names, $vals2) if $kind eq 'D';
	my $total = $n + $groups;
	pq(<<"SQL");
BEGIN;
INSERT INTO chameleon.log_event (source_id, event_id, event_kind, source_schema, source_table,
  before_names, before_values, after_names, after_values, binlog_file, binlog_pos, gtid, event_time)
SELECT $sid, $base + g, CASE WHEN g % 11 = 0 THEN 'C' ELSE '$kind' END, 'shop',
  CASE WHEN g % 11 = 0 THEN NULL ELSE 'bench' END,
  (CASE WHEN g % 11 = 0 THEN NULL ELSE $bn END)::text[], (CASE WHEN g % 11 = 0 THEN NULL ELSE $bv END)::text[],
  (CASE WHEN g % 11 = 0 THEN NULL ELSE $an END)::text[], (CASE WHEN g % 11 = 0 THEN NULL ELSE $av END)::text[],
  CASE WHEN g % 11 = 0 THEN '$file' END, CASE WHEN g % 11 = 0 THEN $pos + g END, NULL, now()
FROM (SELECT g, g - g / 11 AS id FROM generate_series(1, $total) g) s;
UPDATE chameleon.source SET read_event_id = $base + $total, read_file = '$file', read_pos = $pos + $total
 WHERE source_id = $sid;
COMMIT;
SQL
	$eid = $base + $total;
	$pos += $total;
}

my %rate;
foreach my $kind (qw(I U D))
{
	pq("SELECT pg_stat_reset()");
	my $t0 = time;
	bench_events($kind);
	wait_replayed("bench $kind");
	my $dt = time - $t0;
	$rate{$kind} = int($n / $dt);
	diag(sprintf("apply rate %s: %d rows in %.2f s = %d rows/s (incl. writing the log)", $kind, $n, $dt, $rate{$kind}));
	if ($kind eq 'I')
	{
		is(pq("SELECT count(*) || ':' || sum(v) FROM shop_pg.bench"), "$n:" . ($n * ($n + 1)), 'bench inserts applied');
	}
	elsif ($kind eq 'U')
	{
		is(pq("SELECT count(*) || ':' || sum(v) FROM shop_pg.bench"), "$n:" . ($n * ($n + 1) + $n), 'bench updates applied');
	}
	else
	{
		is(pq("SELECT count(*) FROM shop_pg.bench"), '0', 'bench deletes applied');
	}
}
ok($rate{U} > 5000, "update apply rate is usable ($rate{U} rows/s)");

# ---------- on_error_replay: exit ----------
pq("SELECT chameleon.alter_source('maria', 'on_error_replay: exit')");
my $before = pq("SELECT replay_event_id FROM chameleon.source WHERE source_id = $sid");
ins('pk_renamed', [qw(id v)], [21, 'fine']);
commit_txn();
ins('pk_renamed', [qw(id v)], [20, 'fine too']);
pq('ALTER TABLE shop_pg.kc ADD CONSTRAINT small CHECK (b < 100)');
ins('kc', [qw(a b)], [2, 500]);
commit_txn();
flush_log();
ok($node->poll_query_until('postgres',
		"SELECT status = 'error' FROM chameleon.source WHERE source_id = $sid"),
	'exit: the source enters state error');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'chameleon replay maria'"),
	'exit: the worker stops');
is(pq("SELECT count(*) FROM shop_pg.pk_renamed WHERE id IN (20, 21)"), '0',
	'exit: nothing of the round is applied, not even the transaction before the failure');
is(pq("SELECT replay_event_id FROM chameleon.source WHERE source_id = $sid"), $before,
	'exit: the replay position did not move');
is(pq("SELECT count(*) FROM chameleon.log_event WHERE source_id = $sid AND event_id > $before"), '5',
	'exit: the events stay in the log');
like(pq("SELECT last_error FROM chameleon.show_status"), qr/check constraint/, 'exit: last_error has the reason');
is(pq("SELECT count(*) FROM chameleon.show_errors WHERE table_name = 'kc'"), '1', 'exit: show_errors has the failure');
is(pq("SELECT enabled FROM chameleon.replica_table WHERE source_table = 'kc'"), 't', 'exit: no table disabled');

done_testing();
