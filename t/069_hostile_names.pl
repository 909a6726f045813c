
# Copyright (c) chameleon developers
#
# Names with quotes (issue "Names with quotes", point 7): no name received
# from MySQL is ever placed in SQL text except quoted (quote_identifier,
# quote_literal_cstr; chameleon_mysql_ident, chameleon_mysql_literal) or
# as a bound parameter.  A MySQL schema, tables, columns, indexes and
# foreign keys whose names hold a single quote, a double quote, a
# backslash, the dollar tags $q$ and $chameleon$, a newline, a semicolon
# followed by "DROP TABLE y; --", a backtick, non-ASCII letters, 64
# characters and mixed case (and a second MySQL schema of 64 characters)
# go through init_replica, live INSERT / UPDATE / DELETE (ON DELETE CASCADE
# between hostile tables), replicated DDL (qualified, and unqualified in
# the hostile default schema), sync_tables of one table on the running
# source and detach_replica (which creates the foreign keys and sets the
# sequences), into PostgreSQL schemas whose names are as hostile, with a
# hostile grant_select_to role.  Every table is compared on both sides by
# its column names, rows and number of indexes; nothing lands in
# show_errors; the canary tables y (PostgreSQL public.y, MySQL canary.y
# and the replicated y) keep their rows.  translate_ddl() gets the same
# names, enum labels holding $chameleon$ ... $chameleon1000$, and an enum
# type whose quoted schema-qualified name is 257 bytes long.

use strict;
use warnings;

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica;

# ---- the names (this file is read as bytes: non-ASCII names are UTF-8)
my $tail = "; DROP TABLE y; --";
my $S = "Sch'\xc3\xa9\"ma\\\$q\$\n$tail";                        # MySQL schema
my $P = "Pg'sch\"ema\\\$chameleon\$\n$tail\xe6\x97\xa5\xe6\x9c\xac"; # PostgreSQL schema
my $OB = "o'brien";
my $PARENT = "Par\"ent\\\$chameleon\$";
my $CHILD = "chi;ld\nDROP TABLE y; --";
my $FK = "fk'\"`\$q\$;--";
my $LONG = substr('LongMixedCaseTableName' x 3, 0, 64);
my $LONG2 = substr('RenamedLongMixedCaseTableName' x 3, 0, 64);
my $LONGCOL = substr('ColumnWithAVeryLongName_' x 3, 0, 64);
my $LONGIDX = substr('IndexWithAVeryLongName_' x 3, 0, 64);
my $LONGIDX2 = "SecondIndex\xc3\xa9" . ("n" x 52);                # 64 characters
my $NIHON = "\xe6\x97\xa5\xe6\x9c\xac";                          # 日本
my $WIDE = ($NIHON x 8) . ("\xc3\xa9" x 48);                    # 64 characters, 112 bytes
my $EACUTE = "\xc3\xa9" x 64;                                   # é x 64
my $NOKEY = "no key'\"\\";
my $DROPME = "drop'me\"\\\nnow";
my $SKIPPED = "skipped'\"";
my $NEW = "new'\"\\\$q\$\n$tail";
my $RENAMED = "Renamed'\"`\$chameleon\$";
my $S2 = "Long'Schema\xc3\xa9" . ('x' x 49) . 'End';              # 64 characters
my $P2 = "Lo\"ng \$q\$ target";
my $READER = "rea'der\"\$q\$";
my $KID = "kid'\"\\";
my $KID2 = "Kid'\"2\$q\$\nDROP TABLE y";
my $FK2 = "fk2'\"\$chameleon\$\n;--";

# MySQL identifier, MySQL string literal, PostgreSQL identifier and literal
sub mi { my ($n) = @_; $n =~ s/`/``/g; return "`$n`"; }
sub ml { my ($s) = @_; $s =~ s/\\/\\\\/g; $s =~ s/'/''/g; return "'$s'"; }
sub pi { my ($n) = @_; $n =~ s/"/""/g; return "\"$n\""; }
sub pl { my ($s) = @_; $s =~ s/'/''/g; return "'$s'"; }

# The name PostgreSQL keeps of a longer one: 63 bytes, whole characters.
sub pg_name
{
	my ($n) = @_;
	return $n if length($n) <= 63;
	my $len = 63;
	$len-- while $len > 0 && (ord(substr($n, $len, 1)) & 0xC0) == 0x80;
	return substr($n, 0, $len);
}

sub unhex { return map { pack('H*', $_) } grep { $_ ne '' } split(/\n/, $_[0] // ''); }

my ($qS, $qP) = (mi($S), pi($P));

my $m = ChameleonTest::MariaDB->new(name => 'hostile');
$m->start;
$m->sql(<<"SQL");
CREATE DATABASE canary;
CREATE TABLE canary.y (id int PRIMARY KEY);
INSERT INTO canary.y VALUES (1), (2), (3);
CREATE DATABASE $qS CHARACTER SET utf8mb4;
CREATE TABLE $qS.@{[ mi($OB) ]} (
  id int AUTO_INCREMENT PRIMARY KEY,
  `date` date NOT NULL,
  `Mixed"Ca\$q\$se` enum('a', 'it''s', 'back\\\\slash', '\$q\$') NOT NULL DEFAULT 'a',
  `back``tick\\` varchar(30),
  `$NIHON` varchar(20),
  `sem;col DROP TABLE y; --` int,
  KEY `idx'"\n\$chameleon\$` (`back``tick\\`));
CREATE TABLE $qS.@{[ mi($PARENT) ]} (`Id'` int PRIMARY KEY, `na\nme` varchar(20));
CREATE TABLE $qS.@{[ mi($CHILD) ]} (
  id int AUTO_INCREMENT PRIMARY KEY, `pa're"nt` int, v varchar(10),
  CONSTRAINT @{[ mi($FK) ]} FOREIGN KEY (`pa're"nt`) REFERENCES @{[ mi($PARENT) ]} (`Id'`) ON DELETE CASCADE);
CREATE TABLE $qS.@{[ mi($LONG) ]} (
  id int AUTO_INCREMENT PRIMARY KEY, @{[ mi($LONGCOL) ]} int, `$EACUTE` varchar(10),
  KEY @{[ mi($LONGIDX) ]} (@{[ mi($LONGCOL) ]}));
CREATE TABLE $qS.@{[ mi($WIDE) ]} (`$EACUTE` int PRIMARY KEY, `e'"\$q\$` enum('x', 'y'));
CREATE TABLE $qS.@{[ mi($NOKEY) ]} (a int, `b"` varchar(10));
CREATE TABLE $qS.@{[ mi($DROPME) ]} (id int PRIMARY KEY);
CREATE TABLE $qS.@{[ mi($SKIPPED) ]} (id int PRIMARY KEY);
CREATE TABLE $qS.y (id int PRIMARY KEY, v varchar(10));
CREATE DATABASE @{[ mi($S2) ]};
CREATE TABLE @{[ mi($S2) ]}.@{[ mi($OB) ]} (`Id` int AUTO_INCREMENT PRIMARY KEY, `o'"` varchar(10), `e\$q\$` enum('x', 'y'));
SQL
$m->sql(<<"SQL", db => "canary");
INSERT INTO $qS.@{[ mi($OB) ]} (`date`, `Mixed"Ca\$q\$se`, `back``tick\\`, `$NIHON`, `sem;col DROP TABLE y; --`)
  SELECT '2024-01-01' + INTERVAL seq DAY, ELT(1 + seq % 4, 'a', 'it''s', 'back\\\\slash', '\$q\$'),
         concat('O''Brien \\\\ ', seq), '$NIHON', seq FROM seq_1_to_20;
INSERT INTO $qS.@{[ mi($PARENT) ]} SELECT seq, concat('parent ', seq) FROM seq_1_to_5;
INSERT INTO $qS.@{[ mi($CHILD) ]} (`pa're"nt`, v) SELECT 1 + seq % 5, concat('c', seq) FROM seq_1_to_20;
INSERT INTO $qS.@{[ mi($LONG) ]} (@{[ mi($LONGCOL) ]}, `$EACUTE`) SELECT seq, 'long' FROM seq_1_to_10;
INSERT INTO $qS.@{[ mi($WIDE) ]} SELECT seq, IF(seq % 2, 'x', 'y') FROM seq_1_to_10;
INSERT INTO $qS.@{[ mi($NOKEY) ]} SELECT seq, 'k"ey''less' FROM seq_1_to_5;
INSERT INTO $qS.@{[ mi($DROPME) ]} SELECT seq FROM seq_1_to_3;
INSERT INTO $qS.@{[ mi($SKIPPED) ]} SELECT seq FROM seq_1_to_3;
INSERT INTO $qS.y SELECT seq, 'mysql y' FROM seq_1_to_4;
INSERT INTO @{[ mi($S2) ]}.@{[ mi($OB) ]} (`o'"`, `e\$q\$`) SELECT concat('r', seq), IF(seq % 2, 'x', 'y') FROM seq_1_to_6;
SQL

my $node = chameleon_node('hostile', create_extension => 1, naptime => 1,
	initdb_extra => [ '--encoding=UTF8', '--locale=C' ],
	conf => [ "timezone = 'UTC'", 'max_worker_processes = 16' ]);
$node->safe_psql('postgres', 'CREATE TABLE public.y (id int); INSERT INTO public.y VALUES (1), (2), (3);'
	  . ' CREATE ROLE ' . pi($READER));

my $json = JSON::PP->new->canonical->latin1;    # the bytes as they are
my $source = "src'\"\$q\$";
my $r = ChameleonTest::Replica->new($node, $m, $source,
	schema_mappings => $json->encode({ $S => $P, $S2 => $P2 }),
	config => [ 'skip_tables: ' . $json->encode([ "$S.$SKIPPED" ]),
		'grant_select_to: ' . $json->encode([$READER]) ]);

# ---- comparisons
# The tables of a MySQL schema, as names.
sub mysql_tables
{
	my ($ms) = @_;
	return sort(unhex($m->sql('SELECT hex(table_name) FROM information_schema.tables WHERE table_schema = '
			  . ml($ms))));
}

# The tables of a PostgreSQL schema, as names.
sub pg_tables
{
	my ($ps) = @_;
	return sort(unhex($node->safe_psql('postgres',
		"SELECT encode(convert_to(relname, 'UTF8'), 'hex') FROM pg_class"
		  . " WHERE relkind = 'r' AND relnamespace = " . pl(pi($ps)) . '::regnamespace')));
}

# Column names and sorted rows of a MySQL table.
sub mysql_table
{
	my ($ms, $t) = @_;
	my @cols = unhex($m->sql('SELECT hex(column_name) FROM information_schema.columns WHERE table_schema = '
		  . ml($ms) . ' AND table_name = ' . ml($t) . ' ORDER BY ordinal_position'));
	my $expr = join(", '|', ", map { 'coalesce(cast(' . mi($_) . " AS char), '<null>')" } @cols);
	my $rows = $m->sql("SELECT concat($expr) FROM " . mi($ms) . '.' . mi($t), raw => 1);
	return (join("\n", map { pg_name($_) } @cols), join("\n", sort split(/\n/, $rows)));
}

# Column names and sorted rows of a PostgreSQL table.
sub pg_table
{
	my ($ps, $t) = @_;
	my $rel = pi($ps) . '.' . pi(pg_name($t));
	my @cols = unhex($node->safe_psql('postgres',
		"SELECT encode(convert_to(attname, 'UTF8'), 'hex') FROM pg_attribute"
		  . ' WHERE attrelid = ' . pl($rel) . '::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum'));
	my $expr = join(" || '|' || ", map { 'coalesce(' . pi($_) . "::text, '<null>')" } @cols);
	my $rows = $node->safe_psql('postgres', "SELECT $expr FROM $rel");
	return (join("\n", @cols), join("\n", sort split(/\n/, $rows)));
}

# The number of indexes of a MySQL table and of its PostgreSQL copy.
sub index_counts
{
	my ($ms, $ps, $t) = @_;
	return ($m->sql('SELECT count(DISTINCT index_name) FROM information_schema.statistics WHERE table_schema = '
			  . ml($ms) . ' AND table_name = ' . ml($t)),
		$node->safe_psql('postgres', 'SELECT count(*) FROM pg_index WHERE indrelid = '
			  . pl(pi($ps) . '.' . pi(pg_name($t))) . '::regclass'));
}

# Every replicated table of both schemas: the same tables, columns,
# indexes and rows on both sides, readable by the grant_select_to role.
sub compare_all
{
	my ($when) = @_;
	foreach my $pair ([ $S, $P ], [ $S2, $P2 ])
	{
		my ($ms, $ps) = @$pair;
		my @mine = grep { $_ ne $SKIPPED } mysql_tables($ms);
		is(join(' | ', pg_tables($ps)), join(' | ', sort map { pg_name($_) } @mine),
			"$when: the same tables in " . ($ms eq $S ? 'the hostile schema' : 'the 64-character schema'));
		foreach my $t (@mine)
		{
			my ($mc, $mr) = mysql_table($ms, $t);
			my ($pc, $pr) = pg_table($ps, $t);
			my ($mi, $pgi) = index_counts($ms, $ps, $t);
			(my $shown = $t) =~ s/\n/\\n/g;
			is($pc, $mc, "$when: table \"$shown\": same column names");
			is($pr, $mr, "$when: table \"$shown\": same rows");
			is($pgi, $mi, "$when: table \"$shown\": as many indexes");
			is($node->safe_psql('postgres', 'SELECT has_table_privilege(' . pl($READER) . ', '
					  . pl(pi($ps) . '.' . pi(pg_name($t))) . ", 'SELECT')"),
				't', "$when: table \"$shown\": granted to grant_select_to");
		}
	}
}

# No failed statement, no disabled table.
sub no_errors
{
	my ($when) = @_;
	is($r->psql('SELECT count(*) FROM chameleon.show_errors'), '0', "$when: show_errors is empty")
	  or diag($r->psql('SELECT error_message, sql_text FROM chameleon.show_errors'));
	is($r->psql('SELECT count(*) FROM chameleon.replica_tables WHERE NOT enabled'), '0',
		"$when: no table disabled");
}

# The canary tables y still exist with their rows.
sub canaries
{
	my ($when) = @_;
	is($node->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM public.y'), '1,2,3',
		"$when: PostgreSQL public.y is intact");
	is($m->sql('SELECT group_concat(id ORDER BY id) FROM canary.y'), '1,2,3', "$when: MySQL canary.y is intact");
	is($m->sql("SELECT count(*) FROM $qS.y"), '4', "$when: MySQL y of the hostile schema is intact");
}

# ---- init_replica
$r->init_replica;
compare_all('after init_replica');
no_errors('after init_replica');
is($r->psql('SELECT count(*) FROM chameleon.replica_tables WHERE schema_name = ' . pl($P)), '8',
	'every table but the skipped one is registered under the hostile PostgreSQL schema');
is($node->safe_psql('postgres', "SELECT string_agg(a.attname || ':' || a.attnotnull, ',') FROM pg_attribute a"
		  . ' WHERE a.attrelid = ' . pl("$qP.\"o'brien\"") . "::regclass AND a.attname = 'date'"),
	'date:false', "o'brien's date NOT NULL column was made nullable (zero dates)");
is($node->safe_psql('postgres', "SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)"
		  . ' FROM pg_attribute a JOIN pg_enum e ON e.enumtypid = a.atttypid WHERE a.attrelid = '
		  . pl("$qP.\"o'brien\"") . '::regclass AND a.attname = \'Mixed"Ca$q$se\''),
	"a,it's,back\\slash,\$q\$", 'the enum type of the hostile column has its labels');

# ---- live replication
$r->start_replica;
$m->sql(<<"SQL");
INSERT INTO $qS.@{[ mi($OB) ]} (`date`, `Mixed"Ca\$q\$se`, `back``tick\\`) VALUES ('2030-05-05', 'it''s', 'new '' row');
UPDATE $qS.@{[ mi($OB) ]} SET `back``tick\\` = 'upd\\\\ated', `Mixed"Ca\$q\$se` = '\$q\$' WHERE id % 3 = 0;
DELETE FROM $qS.@{[ mi($OB) ]} WHERE id IN (2, 4);
INSERT INTO $qS.@{[ mi($PARENT) ]} VALUES (6, 'six');
INSERT INTO $qS.@{[ mi($CHILD) ]} (`pa're"nt`, v) VALUES (6, 'of six');
UPDATE $qS.@{[ mi($CHILD) ]} SET v = 'moved' WHERE `pa're"nt` = 2;
DELETE FROM $qS.@{[ mi($PARENT) ]} WHERE `Id'` = 3;
UPDATE $qS.@{[ mi($LONG) ]} SET @{[ mi($LONGCOL) ]} = -@{[ mi($LONGCOL) ]} WHERE id < 4;
DELETE FROM $qS.@{[ mi($LONG) ]} WHERE id = 10;
INSERT INTO $qS.@{[ mi($LONG) ]} (@{[ mi($LONGCOL) ]}, `$EACUTE`) VALUES (99, 'added');
UPDATE $qS.@{[ mi($WIDE) ]} SET `e'"\$q\$` = 'x' WHERE `$EACUTE` = 2;
DELETE FROM $qS.@{[ mi($WIDE) ]} WHERE `$EACUTE` = 3;
INSERT INTO $qS.@{[ mi($NOKEY) ]} VALUES (6, 'six');
UPDATE $qS.@{[ mi($NOKEY) ]} SET `b"` = 'chan''ged' WHERE a = 2;
DELETE FROM $qS.@{[ mi($NOKEY) ]} WHERE a = 3;
INSERT INTO $qS.@{[ mi($DROPME) ]} VALUES (4);
INSERT INTO $qS.@{[ mi($SKIPPED) ]} VALUES (4);
UPDATE $qS.y SET v = 'changed' WHERE id = 1;
INSERT INTO @{[ mi($S2) ]}.@{[ mi($OB) ]} (`o'"`, `e\$q\$`) VALUES ('new', 'y');
UPDATE @{[ mi($S2) ]}.@{[ mi($OB) ]} SET `e\$q\$` = 'y', `o'"` = 'up''d' WHERE `Id` = 1;
DELETE FROM @{[ mi($S2) ]}.@{[ mi($OB) ]} WHERE `Id` = 2;
SQL
$r->wait_caught_up('live changes: caught up');
compare_all('after live changes');
is($r->psql("SELECT count(*) FROM $qP." . pi($CHILD) . ' WHERE "pa\'re""nt" = 3'), '0',
	'ON DELETE CASCADE between the hostile tables was applied');
no_errors('after live changes');

# ---- replicated DDL
$m->sql(<<"SQL");
CREATE TABLE $qS.@{[ mi($NEW) ]} (id int AUTO_INCREMENT PRIMARY KEY, `e'num"` enum('x', 'y''z', 'w\\\\'),
  `v"al\$q\$` varchar(10), KEY `k'"\n;--` (`v"al\$q\$`));
INSERT INTO $qS.@{[ mi($NEW) ]} (`e'num"`, `v"al\$q\$`) VALUES ('y''z', 'one'), ('w\\\\', 'two'), ('x', 'three');
ALTER TABLE $qS.@{[ mi($OB) ]} ADD COLUMN `added'"\\\$chameleon\$` int DEFAULT 5;
INSERT INTO $qS.@{[ mi($OB) ]} (`date`, `added'"\\\$chameleon\$`) VALUES ('2031-01-01', 7);
ALTER TABLE $qS.@{[ mi($OB) ]} DROP COLUMN `sem;col DROP TABLE y; --`;
ALTER TABLE $qS.@{[ mi($OB) ]} RENAME COLUMN `$NIHON` TO `$NIHON'"\nx`;
UPDATE $qS.@{[ mi($OB) ]} SET `$NIHON'"\nx` = 'renamed' WHERE id = 1;
RENAME TABLE $qS.@{[ mi($NEW) ]} TO $qS.@{[ mi($RENAMED) ]};
INSERT INTO $qS.@{[ mi($RENAMED) ]} (`e'num"`, `v"al\$q\$`) VALUES ('x', 'four');
UPDATE $qS.@{[ mi($RENAMED) ]} SET `v"al\$q\$` = 'ONE' WHERE id = 1;
CREATE INDEX `ix'"\$q\$;--` ON $qS.@{[ mi($CHILD) ]} (v, `pa're"nt`);
CREATE INDEX @{[ mi($LONGIDX2) ]} ON $qS.@{[ mi($LONG) ]} (`$EACUTE`);
DROP TABLE $qS.@{[ mi($DROPME) ]};
INSERT INTO $qS.@{[ mi($CHILD) ]} (`pa're"nt`, v) VALUES (1, 'after ddl');
ALTER TABLE @{[ mi($S2) ]}.@{[ mi($OB) ]} ADD COLUMN `n"ew\$chameleon\$` int DEFAULT 1, ADD KEY `k'"` (`o'"`);
INSERT INTO @{[ mi($S2) ]}.@{[ mi($OB) ]} (`o'"`) VALUES ('ddl');
SQL
$r->wait_caught_up('replicated DDL: caught up');
compare_all('after replicated DDL');
no_errors('after replicated DDL');
is($r->psql('SELECT count(*) FROM pg_indexes WHERE schemaname = ' . pl($P) . ' AND tablename = ' . pl($CHILD)
		  . " AND indexdef LIKE '%(v, \"pa''re\"\"nt\")%'"), '1',
	'CREATE INDEX with a hostile name reached the child table');

# ---- more DDL, unqualified, the hostile schema being the default one
$m->sql(<<"SQL", db => $S);
ALTER TABLE @{[ mi($OB) ]} CHANGE `back``tick\\` `Back"Tick'2\\` varchar(40);
ALTER TABLE @{[ mi($OB) ]} MODIFY `Mixed"Ca\$q\$se` enum('a', 'it''s', 'back\\\\slash', '\$q\$', 'new''label\$chameleon\$') NOT NULL DEFAULT 'a';
UPDATE @{[ mi($OB) ]} SET `Mixed"Ca\$q\$se` = 'new''label\$chameleon\$' WHERE id = 5;
ALTER TABLE @{[ mi($OB) ]} ALTER COLUMN `Back"Tick'2\\` SET DEFAULT 'de''f\\\\ault\$q\$';
INSERT INTO @{[ mi($OB) ]} (`date`) VALUES ('2033-03-03');
DROP INDEX `idx'"\n\$chameleon\$` ON @{[ mi($OB) ]};
CREATE TABLE @{[ mi($KID) ]} (id int PRIMARY KEY, `p'id` int,
  CONSTRAINT @{[ mi($FK2) ]} FOREIGN KEY (`p'id`) REFERENCES @{[ mi($PARENT) ]} (`Id'`) ON DELETE CASCADE);
INSERT INTO @{[ mi($KID) ]} VALUES (1, 1), (2, 2), (3, 5);
DELETE FROM @{[ mi($PARENT) ]} WHERE `Id'` = 1;
ALTER TABLE @{[ mi($KID) ]} RENAME TO @{[ mi($KID2) ]};
INSERT INTO @{[ mi($KID2) ]} VALUES (4, 4);
DELETE FROM @{[ mi($PARENT) ]} WHERE `Id'` = 2;
TRUNCATE @{[ mi($NOKEY) ]};
INSERT INTO @{[ mi($NOKEY) ]} VALUES (7, 'truncated');
DROP INDEX `k'"\n;--` ON @{[ mi($RENAMED) ]};
RENAME TABLE @{[ mi($LONG) ]} TO @{[ mi($LONG2) ]};
ALTER TABLE @{[ mi($LONG2) ]} ADD COLUMN @{[ mi('Second' . substr($LONGCOL, 6)) ]} int DEFAULT 2;
INSERT INTO @{[ mi($LONG2) ]} (@{[ mi($LONGCOL) ]}) VALUES (100);
SQL
$r->wait_caught_up('unqualified DDL: caught up');
compare_all('after unqualified DDL');
no_errors('after unqualified DDL');
is($r->psql("SELECT count(*) FROM $qP." . pi($KID2) . ' WHERE "p\'id" IN (1, 2)'), '0',
	'ON DELETE CASCADE followed the key of a table created and renamed by DDL');

# ---- sync_tables of one table while the source runs
$m->sql("INSERT INTO $qS." . mi($OB) . " (`date`) VALUES ('2032-02-02')");
$r->psql('SELECT chameleon.sync_tables(' . pl($source) . ', ARRAY[' . pl("$S.$OB") . '], wait => true)');
$m->sql("UPDATE $qS." . mi($OB) . " SET `Back\"Tick'2\\` = 'after sync' WHERE id = 1");
$m->sql("INSERT INTO $qS." . mi($RENAMED) . " (`e'num\"`) VALUES ('w\\\\')");
$r->wait_caught_up('sync_tables: caught up');
compare_all('after sync_tables');
no_errors('after sync_tables');
canaries('while replicating');

# ---- detach_replica: foreign keys and sequences
$m->sql("INSERT INTO $qS." . mi($CHILD) . " (`pa're\"nt`, v) VALUES (5, 'last')");
my ($rc, $out, $err) = $node->psql('postgres', 'SELECT chameleon.detach_replica(' . pl($source) . ')');
is($rc, 0, 'detach_replica succeeds') or diag($err);
unlike($err, qr/WARNING/, 'detach_replica warns about nothing') or diag($err);
compare_all('after detach_replica');
is($node->safe_psql('postgres', "SELECT string_agg(format('%s:%s:%s:%s:%s', conrelid::regclass, conname,"
		  . " confrelid::regclass, confdeltype, convalidated), ',' ORDER BY conname)"
		  . ' FROM pg_constraint WHERE contype = \'f\' AND connamespace = ' . pl($qP) . '::regnamespace'),
	join(',', "$qP." . pi($CHILD) . ":$FK:$qP." . pi($PARENT) . ':c:t',
		"$qP." . pi($KID2) . ":$FK2:$qP." . pi($PARENT) . ':c:t'),
	'the foreign keys exist with their names, their parent, ON DELETE CASCADE, validated');
foreach my $t ($OB, $CHILD, $LONG2, $RENAMED)
{
	my $rel = pl("$qP." . pi(pg_name($t)));
	(my $shown = $t) =~ s/\n/\\n/g;
	is($node->safe_psql('postgres', "SELECT nextval(pg_get_serial_sequence($rel, 'id')) > max(id) FROM $qP." . pi(pg_name($t))),
		't', "detach set the sequence of \"$shown\" past its rows");
}
is($node->safe_psql('postgres', 'SELECT nextval(pg_get_serial_sequence(' . pl(pi($P2) . '.' . pi($OB))
		  . ", 'Id')) > max(\"Id\") FROM " . pi($P2) . '.' . pi($OB)),
	't', 'detach set the sequence of the table of the 64-character schema past its rows');
canaries('after detach_replica');

# ---- translate_ddl with the same names
# Runs what translate_ddl() gives for each MySQL statement into a schema.
sub run_translated
{
	my ($schema, $name, @stmts) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $sql = 'DO $body_x7$ DECLARE s text; BEGIN';
	$sql .= ' FOR s IN SELECT * FROM chameleon.translate_ddl(' . pl($_) . ', ' . pl($schema)
	  . ') LOOP EXECUTE s; END LOOP;'
	  foreach @stmts;
	my ($rc, $out, $err) = $node->psql('postgres', "$sql END \$body_x7\$");
	return is($rc, 0, $name) || diag($err);
}

my $T = "tr'\"\\\$q\$\n$tail";
$node->safe_psql('postgres', 'CREATE SCHEMA ' . pi($T));
run_translated($T, 'translate_ddl: CREATE TABLE, RENAME COLUMN and RENAME TABLE with hostile names run',
	'CREATE TABLE ' . mi($OB) . " (id int AUTO_INCREMENT PRIMARY KEY, `date` date NOT NULL,"
	  . " `Mixed\"Ca\$q\$se` enum('a', 'it''s') DEFAULT 'a', `back``tick\\` varchar(5) DEFAULT 'x''y',"
	  . " KEY `idx'\"\n\$chameleon\$` (`back``tick\\`),"
	  . ' CONSTRAINT ' . mi($FK) . ' FOREIGN KEY (id) REFERENCES ' . mi($PARENT) . " (`Id'`) ON DELETE CASCADE)",
	'ALTER TABLE ' . mi($OB) . " RENAME COLUMN `date` TO `d'\"\$q\$`",
	'RENAME TABLE ' . mi($OB) . ' TO ' . mi($RENAMED));
is($node->safe_psql('postgres', 'SELECT string_agg(attname, \',\' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '
		  . pl(pi($T) . '.' . pi($RENAMED)) . '::regclass AND attnum > 0'),
	"id,d'\"\$q\$,Mixed\"Ca\$q\$se,back`tick\\", 'translate_ddl: the table and its columns have the hostile names');
is($node->safe_psql('postgres', 'INSERT INTO ' . pi($T) . '.' . pi($RENAMED) . " (\"d'\"\"\$q\$\") VALUES ('2024-01-01')"
		  . ' RETURNING id, "Mixed""Ca$q$se", "back`tick\\"'),
	"1|a|x'y", 'translate_ddl: the identity, the enum default and the quoted default work');

# enum labels holding every tag $chameleon$, $chameleon1$ ... $chameleon1000$
my $labels = join(', ', map { "'\$chameleon" . ($_ || '') . "\$'" } 0 .. 1000);
run_translated($T, 'translate_ddl: an enum whose labels hold the dollar-quote tags runs',
	"CREATE TABLE tags (e enum($labels, 'x\$chameleon1000\$; DROP TABLE y; --'))");
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_enum e JOIN pg_attribute a ON a.atttypid = e.enumtypid'
		  . ' WHERE a.attrelid = ' . pl(pi($T) . '.tags') . "::regclass AND a.attname = 'e'"),
	'1002', 'translate_ddl: the labels holding the tags stay labels');

# the longest quoted enum type: a schema and a table and column made of double quotes
my $DQ = '"' x 63;
$node->safe_psql('postgres', 'CREATE SCHEMA ' . pi($DQ));
run_translated($DQ, 'translate_ddl: an enum type whose quoted name is 257 bytes long runs',
	'CREATE TABLE ' . mi('"' x 31) . ' (' . mi('"' x 31) . " enum('a', 'b'), `x; DROP TABLE y; --` int)");
is($node->safe_psql('postgres', "SELECT string_agg(coalesce(e.enumlabel, a.atttypid::regtype::text), ',' ORDER BY a.attnum, e.enumsortorder)"
		  . ' FROM pg_attribute a LEFT JOIN pg_enum e ON e.enumtypid = a.atttypid WHERE a.attrelid = '
		  . pl(pi($DQ) . '.' . pi('"' x 31)) . '::regclass AND a.attnum > 0'),
	'a,b,integer', 'translate_ddl: the enum column has its whole type');
canaries('after translate_ddl');

$node->stop;
$m->stop;
done_testing();
