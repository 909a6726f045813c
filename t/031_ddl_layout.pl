# Copyright (c) chameleon developers

# 031_ddl_layout.pl
#	The table layout model of src/ddl (cddl_layout.h) against a real
#	MariaDB, statement by statement.
#
# A sequence of CREATE / ALTER / RENAME / DROP statements (reorders, adds,
# drops, renames, retypes, signedness, ENUM/SET label changes and
# reorders, charset conversions, multi-clause ALTERs, LIKE, long unique
# keys, system versioning...) runs on MariaDB.  The same statements go
# through the model (build/ddl/cddl_layout, which prints every table's
# layout after each statement).  After EACH statement:
#  - every table's columns in information_schema.COLUMNS (ORDINAL_POSITION,
#    COLUMN_NAME, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME,
#    IS_NULLABLE) equal the model's, and the model knows the same tables;
#  - the server's SHOW CREATE TABLE, read as a seed (cddl_layout -S), gives
#    the same canonical layout as the one the history built;
#  - a row written to each table gives a TABLE_MAP event whose column
#    types, metadata and nullability (hidden columns included) are what
#    the model says the binlog holds.
#
# Needs: mariadb-server, IPC::Run; no PostgreSQL.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::RealBin/lib";

use Encode qw(encode decode);
use IPC::Run;
use Test::More;

use ChameleonTest::MariaDB;

binmode(STDOUT, ':utf8');
binmode(Test::More->builder->output, ':utf8');
binmode(Test::More->builder->failure_output, ':utf8');

my $root = "$FindBin::RealBin/..";
my $cli = $ENV{CDDL_LAYOUT} // "$root/build/ddl/cddl_layout";
if (!$ENV{CDDL_LAYOUT})
{
	system('make', '-s', '-C', $root, '-f', 'src/ddl/ddl.mk', 'ddl-cli') == 0
	  or BAIL_OUT("cannot build $cli (make -f src/ddl/ddl.mk ddl-cli)");
}

# ---------- the statements ----------

# [session settings (not logged), statement]
my @steps = (
	[ '', 'CREATE TABLE t1 (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, a int, b varchar(20), c text)' ],
	[ '', 'ALTER TABLE t1 MODIFY b varchar(20) AFTER id' ],
	[ '', 'ALTER TABLE t1 ADD d decimal(10,2) FIRST' ],
	[ '', "ALTER TABLE t1 ADD COLUMN (e enum('one','two'), f set('x','y','z'))" ],
	[ '', 'ALTER TABLE t1 CHANGE a a_big bigint unsigned NOT NULL' ],
	[ '', 'ALTER TABLE t1 DROP COLUMN d' ],
	[ '', 'ALTER TABLE t1 RENAME COLUMN c TO c_text' ],
	[ '', "ALTER TABLE t1 MODIFY e enum('zero','one','two','three  ') NOT NULL" ],
	[ '', "ALTER TABLE t1 MODIFY e enum('three','two','one','zero')" ],
	[ '', 'ALTER TABLE t1 ADD g int AFTER b, ADD h int AFTER g, DROP f' ],
	[ '', 'ALTER TABLE t1 ALTER g SET DEFAULT 5, ALTER COLUMN h DROP DEFAULT' ],
	[ '', 'ALTER TABLE t1 MODIFY a_big int SIGNED' ],
	[ '', 'ALTER TABLE t1 CONVERT TO CHARACTER SET latin1' ],
	[ '', 'ALTER TABLE t1 DEFAULT CHARSET=utf8mb3, ADD i varchar(10)' ],
	[ '', 'ALTER TABLE t1 CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci' ],
	[ '', 'ALTER TABLE t1 ENGINE=InnoDB, ROW_FORMAT=DYNAMIC' ],
	[ '', 'ALTER TABLE t1 ADD INDEX ix_b (b), ADD UNIQUE KEY uk_g (g)' ],
	[ '', 'ALTER TABLE t1 DROP INDEX ix_b, DROP KEY uk_g' ],
	[ '', 'ALTER TABLE t1 RENAME TO t1r' ],
	[ '', 'RENAME TABLE t1r TO t1' ],
	[ '', 'CREATE TABLE t2 LIKE t1' ],
	[ '', 'ALTER TABLE t2 ADD x int FIRST, CHANGE b b varchar(30) CHARACTER SET latin1 AFTER x, DROP h' ],
	[ '', 'RENAME TABLE t1 TO tmp, t2 TO t1, tmp TO t2' ],
	[ '', 'CREATE TABLE t3 (a int, b blob, c varchar(1000), UNIQUE KEY ub (b), UNIQUE KEY uc (c))' ],
	[ '', 'ALTER TABLE t3 ADD d int FIRST' ],
	[ '', 'ALTER TABLE t3 DROP INDEX ub' ],
	[ '', 'ALTER TABLE t3 MODIFY c varchar(100)' ],
	[ '', 'CREATE TABLE t4 (id int PRIMARY KEY, v int AS (`id` * 2) VIRTUAL, s int AS (`id` + 1) STORED, h int INVISIBLE, z varchar(5))' ],
	[ '', 'ALTER TABLE t4 ADD w int AFTER v, MODIFY h bigint INVISIBLE FIRST' ],
	[ '', 'CREATE TABLE t5 (id int PRIMARY KEY, a int) WITH SYSTEM VERSIONING' ],
	[ 'SET SESSION system_versioning_alter_history = KEEP;', 'ALTER TABLE t5 ADD b varchar(3) FIRST' ],
	[ 'SET SESSION system_versioning_alter_history = KEEP;', 'ALTER TABLE t5 DROP SYSTEM VERSIONING' ],
	[ '', 'CREATE TABLE t6 (a tinyint, b smallint unsigned, c mediumint zerofill, d float(10), e float(30), '
		  . 'f double(8,3), g bit, h year, i datetime(0), j timestamp(3) NULL, k time(6), l char, m nchar(3), '
		  . 'n binary, o varbinary(7), p tinyblob, q text(100), r blob(70000), s json, t geometry, u point, '
		  . 'v inet6, w uuid, x varchar(10) BINARY, y varchar(5) CHARACTER SET latin1 COLLATE latin1_german1_ci, '
		  . 'z bool, za varchar(10) COMPRESSED, zb decimal(5), zc int(4) unsigned zerofill, zd tinytext)' ],
	[ '', 'ALTER TABLE t6 CONVERT TO CHARACTER SET ucs2' ],
	[ '', 'CREATE TABLE t7 (a varchar(10), b text) CHARACTER SET latin1 COLLATE latin1_bin' ],
	[ '', 'ALTER TABLE t7 ADD c varchar(3) CHARACTER SET utf8mb4, COLLATE latin1_general_ci' ],
	[ '', 'ALTER TABLE t7 CHANGE a a varchar(10), ADD d tinytext' ],
	[ '', 'ALTER TABLE t7 CONVERT TO CHARACTER SET DEFAULT' ],
	[ '', 'DROP TABLE IF EXISTS t7, nosuch' ],
	[ '', 'TRUNCATE TABLE t2' ],
	[ '', 'CREATE TABLE t8 (id int, p int, FOREIGN KEY (p) REFERENCES t4 (id))' ],
	[ '', 'ALTER TABLE t8 ADD PRIMARY KEY (id)' ],
	[ '', 'ALTER TABLE t8 ADD UNIQUE (p)' ],
	[ '', 'ALTER TABLE t8 DROP PRIMARY KEY, ADD q int NOT NULL FIRST' ],
	[ '', 'CREATE INDEX ix_q ON t8 (q)' ],
	[ '', 'DROP INDEX ix_q ON t8' ],
	[ '', 'CREATE UNIQUE INDEX uh ON t8 (q) USING HASH' ],
	[ '', 'ALTER TABLE t8 ADD t text, ADD UNIQUE KEY ut (t)' ],
	[ '', 'ALTER TABLE t8 DROP COLUMN t' ],
	[ '', 'ALTER TABLE t1 CHANGE COLUMN b bb varchar(20) FIRST, MODIFY COLUMN g int AFTER bb' ],
	[ '', 'ALTER TABLE t1 ADD COLUMN IF NOT EXISTS g int, DROP COLUMN IF EXISTS nosuch' ],
	[ '', 'ALTER TABLE t1 RENAME COLUMN bb TO b, RENAME COLUMN g TO bb' ],
	[ '', "ALTER TABLE t1 MODIFY e enum('three','two','one','zero','four') CHARACTER SET latin1" ],
	[ '', 'CREATE OR REPLACE TABLE t2 (k int)' ],
	[ '', 'CREATE TABLE IF NOT EXISTS t2 (zz int)' ],
	[ '', "ALTER TABLE t4 ALTER COLUMN z SET DEFAULT 'q', CHANGE s s bigint AS (`id` + 2) STORED" ],
	[ '', 'CREATE TABLE `Mixed Case` (`Col A` int, `col-b` varchar(3))' ],
	[ '', 'ALTER TABLE `Mixed Case` CHANGE `col a` `COL A` bigint, MODIFY `COL-B` char(2) AFTER `Col A`' ],
	[ '', 'ALTER TABLE t6 MODIFY za varchar(20), ADD ze varchar(30000) CHARACTER SET latin1' ],
	[ "SET SESSION sql_mode = '';", 'ALTER TABLE t2 ADD big varchar(20000), ADD small varchar(3)' ],
	[ '', 'DROP TABLE t2, t3' ],
	[ '', 'ALTER TABLE t1 ADD p1 int, ADD p2 int AFTER p1, ADD p3 int FIRST' ],
	[ '', 'ALTER TABLE t1 DROP p1, CHANGE p2 p1 int FIRST' ],
	[ '', 'ALTER TABLE t1 ADD PRIMARY KEY (id, p1), DROP PRIMARY KEY' ],
	[ '', 'ALTER TABLE t1 MODIFY i varchar(10) CHARACTER SET binary, MODIFY c_text text CHARACTER SET binary' ],
	[ '', "ALTER TABLE t1 ADD s set('a','b') AFTER e" ],
	[ '', "ALTER TABLE t1 MODIFY s set('b','a','c','d','e','f','g','h','i') NOT NULL" ],
	[ '', "ALTER TABLE t1 MODIFY s set('i','h') CHARACTER SET latin2 COLLATE latin2_bin FIRST" ],
	[ '', 'CREATE TABLE t9 LIKE t4' ],
	[ '', 'ALTER TABLE t9 ADD COLUMN b varchar(3), ADD COLUMN c int FIRST, ADD INDEX (b), RENAME COLUMN z TO zz' ],
	[ '', 'CREATE TABLE lt.t10 (a char(3) CHARACTER SET latin1 COLLATE DEFAULT, b char(3) COLLATE DEFAULT) COLLATE utf8mb4_bin' ],
);

cmp_ok(scalar(@steps), '>=', 50, 'at least 50 statements');

# ---------- helpers ----------

# Undoes the mariadb client's batch escaping (\t, \n, \\, \0).
sub unescape
{
	my ($s) = @_;
	my %map = ('t' => "\t", 'n' => "\n", '\\' => '\\', '0' => "\0");
	$s =~ s/\\([tn\\0])/$map{$1}/g;
	return $s;
}

# Runs the model CLI with the given arguments and input; returns its lines.
sub run_cli
{
	my ($input, @args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ $cli, @args ], '<', \$input, '>', \$out, '2>', \$err)
	  or BAIL_OUT("$cli failed: $err");
	return split(/\n/, decode('UTF-8', $out));
}

# Splits CLI output into { step => { table => { cols => [...], binlog, sql } } }
# and the list of ERROR lines.
sub parse_cli
{
	my (@lines) = @_;
	my (%r, @errors);
	my ($step, $table);
	foreach my $l (@lines)
	{
		if ($l =~ /^== (\d+)$/) { $step = $1; $r{$step} //= {}; }
		elsif ($l =~ /^TABLE [^.]*\.(.*)$/) { $table = $1; $r{$step}{$table} = { cols => [] }; }
		elsif ($l =~ /^COL (.*)$/) { push @{ $r{$step}{$table}{cols} }, $1; }
		elsif ($l =~ /^BINLOG ?(.*)$/) { $r{$step}{$table}{binlog} = $1; }
		elsif ($l =~ /^SQL (.*)$/) { $r{$step}{$table}{sql} = $1; }
		elsif ($l =~ /^ERROR/) { push @errors, "step $step: $l"; }
	}
	return (\%r, \@errors);
}

# Reads the TABLE_MAP events of binlog files: returns a list of
# [ file, position, table, "type:meta:null ..." ] for tables of schema lt.
sub table_maps
{
	my (@files) = @_;
	my %metalen = (4 => 1, 5 => 1, 15 => 2, 141 => 2, 252 => 1, 140 => 1,
		245 => 1, 255 => 1, 246 => 2, 16 => 2, 254 => 2, 17 => 1, 18 => 1, 19 => 1);
	my @maps;
	foreach my $f (@files)
	{
		open(my $fh, '<:raw', $f) or die "$f: $!";
		my $data = do { local $/; <$fh> };
		close($fh);
		my $pos = 4;
		while ($pos + 19 <= length($data))
		{
			my ($ts, $type, $sid, $size) = unpack('V C V V', substr($data, $pos, 13));
			last if $size < 19;
			my $body = substr($data, $pos + 19, $size - 19 - 4);    # CRC32
			if ($type == 19)
			{
				my $i = 8;
				my $sl = ord(substr($body, $i, 1));
				my $schema = substr($body, $i + 1, $sl);
				$i += $sl + 2;
				my $tl = ord(substr($body, $i, 1));
				my $table = decode('UTF-8', substr($body, $i + 1, $tl));
				$i += $tl + 2;
				my $n = ord(substr($body, $i, 1));    # < 251 columns here
				$i++;
				my @types = unpack('C*', substr($body, $i, $n));
				$i += $n;
				my $ml = ord(substr($body, $i, 1));
				$i++;
				my $meta = substr($body, $i, $ml);
				$i += $ml;
				my $nulls = substr($body, $i, int(($n + 7) / 8));
				my ($k, @cols) = (0);
				foreach my $c (0 .. $n - 1)
				{
					my $l = $metalen{ $types[$c] } // 0;
					my $m = unpack('H*', substr($meta, $k, $l));
					$k += $l;
					my $null = vec($nulls, $c, 1) ? 'Y' : 'N';
					push @cols, "$types[$c]:$m:$null";
				}
				(my $file = $f) =~ s{.*/}{};
				push @maps, [ $file, $pos, $table, join(' ', @cols) ] if $schema eq 'lt';
			}
			$pos += $size;
		}
	}
	return \@maps;
}

# ---------- run it on the server ----------

# MINIMAL row metadata, as in the bug this model is for (no column names in
# TABLE_MAP); types, metadata and null bits are logged all the same
my $m = ChameleonTest::MariaDB->new(name => 'layout', binlog_row_metadata => 'MINIMAL');
$m->start;
$m->sql('CREATE DATABASE lt CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci');
$m->flush_binlogs;

my (@server, @seeds);    # per step: { table => [col lines] }; [table, show create]
my @marks;               # per step: [file, position] at its end
my $columns_sql = q{SELECT table_name, ordinal_position, column_name, column_type,
	IFNULL(character_set_name, 'NULL'), IFNULL(collation_name, 'NULL'), is_nullable
	FROM information_schema.columns WHERE table_schema = 'lt'
	ORDER BY table_name, ordinal_position};
foreach my $k (0 .. $#steps)
{
	my ($pre, $stmt) = @{ $steps[$k] };
	my $err = $m->sql_error("$pre$stmt", db => 'lt');
	BAIL_OUT("statement " . ($k + 1) . " failed on the server: $err\n  $stmt")
	  if defined $err;
	my %cols;
	foreach my $row (split(/\n/, decode('UTF-8', $m->sql($columns_sql))))
	{
		my ($t, @f) = map { unescape($_) } split(/\t/, $row, -1);
		push @{ $cols{$t} }, join("\t", @f);
	}
	push @server, \%cols;

	# SHOW CREATE TABLE of every table, and a row through each for TABLE_MAP
	my ($show, $dml) = ('', "SET SESSION sql_mode = '';\n");
	foreach my $t (sort keys %cols)
	{
		(my $q = $t) =~ s/`/``/g;
		$show .= "SHOW CREATE TABLE `$q`;\n";
		$dml .= "INSERT IGNORE INTO `$q` () VALUES ();\nDELETE FROM `$q`;\n";
	}
	my @shown;
	if ($show ne '')
	{
		foreach my $row (split(/\n/, decode('UTF-8', $m->sql(encode('UTF-8', $show), db => 'lt'))))
		{
			my ($t, $text) = split(/\t/, $row, 2);
			push @shown, [ unescape($t), unescape($text) ];
		}
		$m->sql(encode('UTF-8', $dml), db => 'lt');
	}
	push @seeds, \@shown;
	push @marks, [ $m->current_position ];
}
$m->flush_binlogs;

# ---------- run it through the model ----------

my @opts = ('-s', 'lt', '-c', 'utf8mb4', '-C', 'utf8mb4_general_ci');
my $script = join('', map { "$_->[1];\n" } @steps);
my ($model, $errors) = parse_cli(run_cli(encode('UTF-8', $script), @opts));
is_deeply($errors, [], 'the model applies every statement');

my (@seed_input, @seed_of);
foreach my $k (0 .. $#steps)
{
	foreach my $s (@{ $seeds[$k] })
	{
		push @seed_input, $s->[1];
		push @seed_of, [ $k + 1, $s->[0] ];
	}
}
my ($seeded, $seed_errors) =
  parse_cli(run_cli(encode('UTF-8', join("\n-- next\n", @seed_input)), @opts, '-S'));
is_deeply($seed_errors, [], 'every SHOW CREATE TABLE is read as a seed');

# ---------- compare, statement by statement ----------

foreach my $k (1 .. scalar(@steps))
{
	my $stmt = $steps[ $k - 1 ][1];
	my $short = length($stmt) > 60 ? substr($stmt, 0, 60) . '...' : $stmt;
	my $srv = $server[ $k - 1 ];
	my $mod = $model->{$k} // {};
	is_deeply([ sort keys %$mod ], [ sort keys %$srv ], "step $k: same tables ($short)");
	foreach my $t (sort keys %$srv)
	{
		is_deeply($mod->{$t}{cols} // [], $srv->{$t},
			"step $k: $t columns as information_schema says");
	}
}
foreach my $i (0 .. $#seed_of)
{
	my ($k, $t) = @{ $seed_of[$i] };
	my $seed = $seeded->{ $i + 1 }{$t};
	my $hist = $model->{$k}{$t};
	is($seed->{sql} // '(none)', $hist->{sql} // '(none)',
		"step $k: $t from SHOW CREATE TABLE equals the history's layout");
	is_deeply($seed->{cols} // [], $server[ $k - 1 ]{$t} // [],
		"step $k: $t seeded from SHOW CREATE TABLE matches information_schema");
}

# the step of a binlog position: the first whose end mark is after it
sub step_of
{
	my ($file, $pos) = @_;
	foreach my $k (0 .. $#marks)
	{
		my ($mf, $mp) = @{ $marks[$k] };
		return $k + 1 if $file lt $mf || ($file eq $mf && $pos < $mp);
	}
	return undef;
}

my $maps = table_maps($m->binlog_files);
my %seen;
foreach my $map (@$maps)
{
	my ($file, $pos, $t, $cols) = @$map;
	my $k = step_of($file, $pos);
	next if !defined $k || $seen{"$k/$t"}++;
	is($cols, $model->{$k}{$t}{binlog} // '(none)',
		"step $k: TABLE_MAP of $t (types, metadata, nullability) as the model says");
}
cmp_ok(scalar(keys %seen), '>=', 150, 'TABLE_MAP events were compared');

done_testing();
