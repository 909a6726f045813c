
# Copyright (c) chameleon developers

# 030_ddl_roundtrip.pl
#	Round trip of the MySQL DDL translator against a real MariaDB and a real
#	PostgreSQL 15 (issue 4, proofs 1 and 2).
#
# Proof 1: every CREATE TABLE of t/data/ddl_corpus.sql is created in
# MariaDB, read back with SHOW CREATE TABLE, translated by the library
# (build/ddl/cddl_translate, the same code as chameleon.translate_ddl) and
# run in PostgreSQL.  Then, through information_schema on the MariaDB side
# and pg_catalog on the PostgreSQL side, each column's type (per SPEC
# section 5, computed here independently of the translator), nullability and
# default, and each index (name, uniqueness, columns) must match.  The
# kept-aside foreign keys must all be creatable at the end.  Each table is
# also translated in the initial copy's mode (-k: pre-data statements
# without keys, then post-data statements) into schema rt_split, which
# must end up identical to rt.
#
# Proof 2: the statements of t/data/ddl_alter.sql run on both sides (INSERTs
# verbatim, DDL translated), then both schemas are compared the same way.
#
# Needs: make ddl-cli (the test builds it when missing), mariadb-server,
# PostgreSQL 15 with PostgreSQL::Test::Cluster, IPC::Run.

use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::RealBin/lib";
use lib '/usr/lib/postgresql/15/lib/pgxs/src/test/perl';

use Encode qw(decode encode);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use ChameleonTest::MariaDB;

# PostgreSQL::Test::Utils ties Test::More's output handles to a tee that has
# no BINMODE: test names and diagnostics are encoded to UTF-8 bytes instead.
binmode(STDOUT, ':utf8');

# UTF-8 bytes of a (character) string, for test names and diag().
sub u8 { return encode('UTF-8', join('', map { $_ // '' } @_)); }

my $root = "$FindBin::RealBin/..";
my $cli = $ENV{CDDL_TRANSLATE} // "$root/build/ddl/cddl_translate";
if (!$ENV{CDDL_TRANSLATE})
{
	# always (incrementally): a stale binary would test old code
	system('make', '-s', '-C', $root, '-f', 'src/ddl/ddl.mk', 'ddl-cli') == 0
	  or BAIL_OUT("cannot build $cli (make -f src/ddl/ddl.mk ddl-cli)");
}

# ---------- the servers ----------

my $m = ChameleonTest::MariaDB->new(name => 'ddl');
$m->start;
$m->sql('CREATE DATABASE rt CHARACTER SET utf8mb4');

my $node = PostgreSQL::Test::Cluster->new('ddl');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning\n");
$node->start;
$node->safe_psql('postgres', 'CREATE SCHEMA rt; CREATE SCHEMA rt_split');

# ---------- helpers ----------

# Splits a corpus file into statements (";" at end of line), without the
# comment lines that precede them.
sub read_statements
{
	my ($path) = @_;
	open(my $fh, '<:encoding(UTF-8)', $path) or die "$path: $!";
	my $text = do { local $/; <$fh> };
	close($fh);
	my @out;
	foreach my $s (split(/;\s*\n/, $text))
	{
		$s =~ s/^(?:\s*--[^\n]*\n)+//;
		$s =~ s/^\s+|\s+$//g;
		push @out, $s if $s ne '' && $s !~ /^--/;
	}
	return @out;
}

# Translates a MySQL script; returns ($pg_script, \@foreign_keys, $error).
# The script is the CLI's output: statements ending with ";" and the
# kept-aside foreign keys as "-- FK: ..." comment lines; with $split (the
# initial copy's mode, into schema rt_split) the post-data statements
# follow a "-- POST-DATA" line.
sub translate
{
	my ($sql, $split) = @_;
	my ($out, $err) = ('', '');
	my $in = encode('UTF-8', $sql);
	my @args = $split ? ('-s', 'rt_split', '-m', 'rt', '-k') : ('-s', 'rt', '-m', 'rt');
	IPC::Run::run([ $cli, @args ], '<', \$in, '>', \$out, '2>', \$err);
	$out = decode('UTF-8', $out);
	$err = decode('UTF-8', $err);
	return ('', [], $1) if $err =~ /^ERROR: (.*)$/m;
	my @fks = ($out =~ /^-- FK: (.*)$/mg);
	return ($out, \@fks, undef);
}

# Runs PostgreSQL statements one by one (autocommit); returns the error or undef.
sub pg_run
{
	my (@stmts) = @_;
	return undef unless @stmts;
	my ($ret, $out, $err) = $node->psql('postgres', join("\n", @stmts),
		on_error_stop => 1, extra_params => [ '-v', 'VERBOSITY=terse' ]);
	return $ret == 0 ? undef : ($err || "psql exit $ret");
}

# SQL literal for PostgreSQL or MariaDB (no backslash escapes needed in PG).
sub pg_lit { my ($s) = @_; $s =~ s/'/''/g; return "'$s'"; }

# Undo MySQL quoting of a literal shown in information_schema.
sub mysql_unquote
{
	my ($s) = @_;
	return $s unless $s =~ /^'(.*)'$/s;
	$s = $1;
	$s =~ s/''/'/g;
	$s =~ s/\\(.)/$1 eq 'n' ? "\n" : $1 eq 't' ? "\t" : $1 eq '0' ? '' : $1/ge;
	return $s;
}

# FNV-1a, as the translator uses for long derived names.
sub fnv1a
{
	my ($s) = @_;
	my $h = 2166136261;
	foreach my $b (unpack('C*', encode('UTF-8', $s)))
	{
		$h ^= $b;
		$h = ($h * 16777619) % 4294967296;
	}
	return $h;
}

# The PostgreSQL name of a derived object ("<table>_<index>", "<table>_pkey").
sub derived_name
{
	my ($full) = @_;
	my $bytes = encode('UTF-8', $full);
	return $full if length($bytes) <= 63;
	my $tail = sprintf('_%08x', fnv1a($full));
	my $keep = 63 - length($tail);
	$keep-- while $keep > 0 && (ord(substr($bytes, $keep, 1)) & 0xC0) == 0x80;
	return decode('UTF-8', substr($bytes, 0, $keep)) . $tail;
}

# SPEC section 5: the PostgreSQL type expected for a MariaDB column.
sub expected_type
{
	my ($c) = @_;
	my $dt = lc $c->{data_type};
	my $ct = lc $c->{column_type};
	my $u = $ct =~ /unsigned|zerofill/;
	my $fsp = $c->{datetime_precision};
	my $p = ($ct =~ /^\w+\((\d+)/) ? $1 : undef;
	return $u ? 'integer' : 'smallint' if $dt eq 'smallint';
	return 'smallint' if $dt eq 'tinyint' || $dt eq 'year';
	return 'integer' if $dt eq 'mediumint';
	return $u ? 'bigint' : 'integer' if $dt eq 'int';
	return $u ? 'numeric(20,0)' : 'bigint' if $dt eq 'bigint';
	return "numeric($c->{numeric_precision},$c->{numeric_scale})" if $dt eq 'decimal';
	return 'real' if $dt eq 'float';
	return 'double precision' if $dt eq 'double';
	return "bit($p)" if $dt eq 'bit';
	return 'date' if $dt eq 'date';
	return ($fsp ? "timestamp($fsp)" : 'timestamp') . ' without time zone' if $dt eq 'datetime';
	return ($fsp ? "timestamp($fsp)" : 'timestamp') . ' with time zone' if $dt eq 'timestamp';
	return ($fsp ? "time($fsp)" : 'time') . ' without time zone' if $dt eq 'time';
	return "character($c->{char_length})" if $dt eq 'char';
	return "character varying($c->{char_length})" if $dt eq 'varchar';
	return $c->{json} ? 'jsonb' : 'text' if $dt =~ /^(tiny|medium|long)?text$/;
	return 'bytea' if $dt =~ /^(binary|varbinary|(tiny|medium|long)?blob)$/;
	return 'enum:' . join(',', map { mysql_unquote($_) } ($c->{column_type} =~ /('(?:[^']|'')*')/g)) if $dt eq 'enum';
	return 'text' if $dt eq 'set';
	return 'jsonb' if $dt eq 'json';
	return 'bytea' if $dt =~ /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)$/;
	return 'inet' if $dt eq 'inet6' || $dt eq 'inet4';
	return 'uuid' if $dt eq 'uuid';
	return "unknown $dt";
}

# Canonical default of a MariaDB column (undef: none expected in PostgreSQL).
sub expected_default
{
	my ($c, $pgtype) = @_;
	return 'AUTO' if $c->{extra} =~ /auto_increment/i;
	my $d = $c->{column_default};
	return undef if !defined $d || $d eq 'NULL';
	return 'NOW' if $d =~ /^current_timestamp(\(\d*\))?$/i;
	return 'CURDATE' if $d =~ /^curdate\(\)$/i;
	return 'UUID' if $d =~ /^uuid\(\)$/i;
	if ($d =~ /^b'([01]+)'$/) { return oct("0b$1"); }
	if ($d =~ /^-?[\d.]+(e[+-]?\d+)?$/i) { return 0 + $d; }
	if ($d =~ /^'/)
	{
		my $v = mysql_unquote($d);
		return undef if $pgtype =~ /^(date|timestamp)/ && $v =~ /^0000-00-00/;
		return 'BYTES' if $pgtype eq 'bytea';
		return 0 + $v if $pgtype =~ /^(smallint|integer|bigint|numeric|real|double)/ && $v =~ /^-?[\d.]+$/;
		return $v;
	}
	return undef;    # expressions are not translated
}

# Canonical form of a PostgreSQL default expression.
sub pg_default
{
	my ($expr, $identity, $pgtype) = @_;
	return 'AUTO' if $identity;
	return undef unless defined $expr;
	return 'AUTO' if $expr =~ /^nextval\(/;
	return 'NOW' if $expr =~ /^CURRENT_TIMESTAMP$/i;
	return 'CURDATE' if $expr =~ /^CURRENT_DATE$/i;
	return 'UUID' if $expr =~ /gen_random_uuid/;
	return 'BYTES' if $pgtype eq 'bytea';
	my $v = $expr;
	$v =~ s/^\((.*)\)$/$1/;
	for (1 .. 2)	# ('x'::text)::enum_type: casts inside parentheses too
	{
		1 while $v =~ s/::[\w." ]+(\(\d+(,\d+)?\))?( with(out)? time zone)?$//;
		$v =~ s/^\((.*)\)$/$1/;
	}
	if ($v =~ /^'(.*)'$/s) { $v = $1; $v =~ s/''/'/g; }
	return oct("0b$v") if $pgtype =~ /^bit/ && $v =~ /^[01]+$/;
	$v =~ s/\+00$// if $pgtype =~ /with time zone/;
	return 0 + $v if $pgtype =~ /^(smallint|integer|bigint|numeric|real|double)/ && $v =~ /^-?[\d.]+(e[+-]?\d+)?$/i;
	return $v;
}

# Columns of every MariaDB table of schema rt: {table => [ {..}, .. ]}.
sub mariadb_columns
{
	my $json = $m->sql(
		q{SELECT c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE,
		         c.IS_NULLABLE, IFNULL(c.COLUMN_DEFAULT, '\\N'), c.EXTRA,
		         IFNULL(c.NUMERIC_PRECISION, ''), IFNULL(c.NUMERIC_SCALE, ''),
		         IFNULL(c.DATETIME_PRECISION, ''), IFNULL(c.CHARACTER_MAXIMUM_LENGTH, ''),
		         (SELECT count(*) FROM information_schema.CHECK_CONSTRAINTS k
		           WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
		             AND k.CHECK_CLAUSE = CONCAT('json_valid(`', c.COLUMN_NAME, '`)'))
		    FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = 'rt'
		   ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION},
		raw => 1);
	my %t;
	foreach my $row (split(/\n/, decode('UTF-8', $json)))
	{
		my @f = split(/\t/, $row, -1);
		push @{ $t{ $f[0] } }, {
			name => $f[1], data_type => $f[2], column_type => $f[3],
			nullable => $f[4] eq 'YES', column_default => $f[5] eq '\\N' ? undef : $f[5],
			extra => $f[6], numeric_precision => $f[7], numeric_scale => $f[8],
			datetime_precision => $f[9], char_length => $f[10], json => $f[11] > 0 };
	}
	return \%t;
}

# Indexes of every MariaDB table of rt: {table => {index => "u|cols"}} (no FULLTEXT/SPATIAL).
sub mariadb_indexes
{
	my $out = $m->sql(
		q{SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE,
		         GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ',')
		    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'rt'
		   GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE},
		raw => 1);
	my %t;
	foreach my $row (split(/\n/, decode('UTF-8', $out)))
	{
		my ($table, $index, $nonunique, $type, $cols) = split(/\t/, $row, -1);
		next if $type eq 'FULLTEXT' || $type eq 'SPATIAL';
		my $kind = $index eq 'PRIMARY' ? 'p' : $nonunique ? 'i' : 'u';
		my $name = derived_name($index eq 'PRIMARY' ? "${table}_pkey" : "${table}_$index");
		$t{$table}{$name} = "$kind|$cols";
	}
	return \%t;
}

# Columns of every PostgreSQL table of schema $schema (default rt), same
# shape as mariadb_columns.
sub pg_columns
{
	my ($schema) = @_;
	$schema //= 'rt';
	my $out = $node->safe_psql('postgres', qq{
		SELECT concat_ws(chr(31), c.relname, a.attname,
		       CASE WHEN t.typtype = 'e' THEN 'enum:' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
		            ELSE format_type(a.atttypid, a.atttypmod) END,
		       a.attnotnull, a.attidentity <> '', coalesce(pg_get_expr(d.adbin, d.adrelid), chr(30)))
		  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		  JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
		  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		 WHERE n.nspname = '$schema' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
		 ORDER BY c.relname, a.attnum});
	my %t;
	foreach my $row (split(/\n/, decode('UTF-8', $out)))
	{
		my @f = split(/\x1f/, $row, -1);
		push @{ $t{ $f[0] } }, { name => $f[1], type => $f[2], notnull => $f[3] eq 't',
			identity => $f[4] eq 't', default => $f[5] eq "\x1e" ? undef : $f[5] };
	}
	return \%t;
}

# Indexes of every PostgreSQL table of $schema (default rt): {table => {index => "u|cols"}}.
sub pg_indexes
{
	my ($schema) = @_;
	$schema //= 'rt';
	my $out = $node->safe_psql('postgres', qq{
		SELECT concat_ws(chr(31), c.relname, i.relname,
		       CASE WHEN x.indisprimary THEN 'p' WHEN x.indisunique THEN 'u' ELSE 'i' END,
		       (SELECT string_agg(a.attname, ',' ORDER BY k.n)
		          FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
		          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum))
		  FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid
		  JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = '$schema'});
	my %t;
	foreach my $row (split(/\n/, decode('UTF-8', $out)))
	{
		my ($table, $index, $kind, $cols) = split(/\x1f/, $row, -1);
		$t{$table}{$index} = "$kind|$cols";
	}
	return \%t;
}

# Compares one table on both sides; $names: also compare index names;
# $by_name: compare the columns as a set (PostgreSQL cannot place an added
# column FIRST or AFTER another one: it goes to the end).
sub compare_table
{
	my ($table, $mcols, $pcols, $midx, $pidx, $names, $by_name) = @_;
	my (@want, @got);
	foreach my $c (@{ $mcols // [] })
	{
		my $type = expected_type($c);
		push @want, join(' | ', $c->{name}, $type, $c->{nullable} ? 'null' : 'not null',
			'default ' . (expected_default($c, $type) // '-'));
	}
	foreach my $c (@{ $pcols // [] })
	{
		push @got, join(' | ', $c->{name}, $c->{type}, $c->{notnull} ? 'not null' : 'null',
			'default ' . (pg_default($c->{default}, $c->{identity}, $c->{type}) // '-'));
	}
	if ($by_name)
	{
		@want = sort @want;
		@got = sort @got;
	}
	my $ok = is_deeply(\@got, \@want, u8("$table: columns, types, nullability, defaults"));
	my %mi = %{ $midx // {} };
	my %pi = %{ $pidx // {} };
	if (!$names)
	{
		%mi = map { $_ => 1 } values %mi;
		%pi = map { $_ => 1 } values %pi;
	}
	$ok = is_deeply(\%pi, \%mi, u8("$table: indexes")) && $ok;
	return $ok;
}

# ---------- proof 1: CREATE TABLE round trip ----------

my @creates = read_statements("$root/t/data/ddl_corpus.sql");
cmp_ok(scalar(@creates), '>=', 150, 'corpus has at least 150 CREATE TABLE statements');

my (@tables, @all_fks, @translated);
my $created = 0;
foreach my $sql (@creates)
{
	my ($name) = $sql =~ /^CREATE TABLE (?:IF NOT EXISTS )?(`(?:[^`]|``)+`|\S+)/i;
	$name =~ s/^`(.*)`$/$1/s;
	$name =~ s/``/`/g;
	my $err = $m->sql_error(encode('UTF-8', $sql), db => 'rt');
	if (defined $err)
	{
		diag(u8("MariaDB refused $name: $err"));
		next;
	}
	$created++;
	my $show = decode('UTF-8', $m->sql("SHOW CREATE TABLE `" . encode('UTF-8', $name =~ s/`/``/gr) . "`", db => 'rt', raw => 1));
	$show =~ s/^[^\t]*\t//;
	my ($script, $fks, $terr) = translate($show);
	if (!ok(!defined $terr, u8("$name: SHOW CREATE TABLE translates")))
	{
		diag(u8("$terr\n$show"));
		next;
	}
	# the initial copy's mode: no key before the data, all of them after
	my ($split) = translate($show, 1);
	my ($pre, $post) = split(/^-- POST-DATA\n/m, $split, 2);
	$post //= '';
	ok($pre !~ /PRIMARY KEY|CREATE (UNIQUE )?INDEX|COMMENT ON/
		  && ($post ne '' || $show !~ /^\s+(PRIMARY |UNIQUE )?KEY /m),
		u8("$name: initial copy: keys and indexes only after the data"))
	  or diag(u8($split));
	push @translated, { name => $name, show => $show, script => $script,
		split => $split, fks => $fks };
}
is($created, scalar(@creates), 'MariaDB accepts every corpus statement');

# Run the translations in PostgreSQL: all at once in one transaction (fast);
# if that fails, table by table to find the culprits.
my %pg_errors;
if (defined pg_run("BEGIN;", (map { $_->{script}, $_->{split} } @translated), "COMMIT;"))
{
	$node->safe_psql('postgres', 'DROP SCHEMA rt CASCADE; DROP SCHEMA rt_split CASCADE; '
		  . 'CREATE SCHEMA rt; CREATE SCHEMA rt_split');
	foreach my $t (@translated)
	{
		my $err = pg_run($t->{script}) // pg_run($t->{split});
		$pg_errors{ $t->{name} } = $err if defined $err;
	}
}
foreach my $t (@translated)
{
	my $name = $t->{name};
	my $perr = $pg_errors{$name};
	if (!ok(!defined $perr, u8("$name: translation (both modes) runs in PostgreSQL")))
	{
		diag(u8("$perr\n$t->{show}\n$t->{script}\n$t->{split}"));
		next;
	}
	push @tables, $name;
	push @all_fks, @{ $t->{fks} };
}

my $mcols = mariadb_columns();
my $midx = mariadb_indexes();
my $pcols = pg_columns();
my $pidx = pg_indexes();
my $matched = 0;
foreach my $t (@tables)
{
	$matched++ if compare_table($t, $mcols->{$t}, $pcols->{$t}, $midx->{$t}, $pidx->{$t}, 1);
}

# the initial copy's mode (pre-data, then post-data) gives the same tables
my $scols = pg_columns('rt_split');
foreach my $c (map { @$_ } values %$scols)
{
	# defaults name the schema of enum types and sequences
	$c->{default} =~ s/\brt_split\./rt./g if defined $c->{default};
}
my $sidx = pg_indexes('rt_split');
my $split_matched = 0;
foreach my $t (@tables)
{
	$split_matched++
	  if is_deeply([ $scols->{$t}, $sidx->{$t} ], [ $pcols->{$t}, $pidx->{$t} ],
		u8("$t: initial copy's split gives the same table"));
}

# foreign keys: as many as MariaDB has, and all creatable (detach_replica's job)
my $mfk = $m->sql(q{SELECT count(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'rt'});
is(scalar(@all_fks), $mfk, 'every foreign key is kept aside');
my $fkerr = pg_run(@all_fks);
ok(!defined $fkerr, 'kept-aside foreign keys can be created in PostgreSQL') or diag(u8($fkerr));
$fkerr = pg_run(map { /^ALTER TABLE (\S+) ADD CONSTRAINT (\S+)/ ? "ALTER TABLE $1 VALIDATE CONSTRAINT $2;" : () } @all_fks);
ok(!defined $fkerr, 'kept-aside foreign keys validate') or diag(u8($fkerr));

cmp_ok($matched, '>=', 150, "round trip: $matched of " . scalar(@creates) . " tables match ($created created)");
diag("proof 1: " . scalar(@creates) . " statements, $created created on both sides, $matched matching, "
	  . "$split_matched identical in the initial copy's mode");

# ---------- proof 2: ALTER sequences ----------

$node->safe_psql('postgres', 'DROP SCHEMA rt CASCADE; CREATE SCHEMA rt');
$m->sql('DROP DATABASE rt; CREATE DATABASE rt');

my $steps = 0;
foreach my $sql (read_statements("$root/t/data/ddl_alter.sql"))
{
	my $err = $m->sql_error(encode('UTF-8', $sql), db => 'rt');
	if (!ok(!defined $err, u8("MariaDB: $sql")))
	{
		diag(u8($err));
		next;
	}
	if ($sql =~ /^INSERT/i)
	{
		my $perr = pg_run("SET search_path = rt; $sql;");
		ok(!defined $perr, u8("PostgreSQL: $sql")) or diag(u8($perr));
		next;
	}
	my ($script, $fks, $terr) = translate($sql);
	ok(!defined $terr, u8("translates: $sql")) or diag(u8($terr));
	next if defined $terr;
	my $perr = pg_run($script);
	ok(!defined $perr, u8("PostgreSQL runs the translation of: $sql")) or diag(u8("$perr\n$script"));
	$steps++;
}

$mcols = mariadb_columns();
$midx = mariadb_indexes();
$pcols = pg_columns();
$pidx = pg_indexes();
is_deeply([ sort keys %$pcols ], [ sort keys %$mcols ], 'after the ALTER sequences: same tables');
foreach my $t (sort keys %$mcols)
{
	compare_table($t, $mcols->{$t}, $pcols->{$t}, $midx->{$t}, $pidx->{$t}, 0, 1);
}
diag("proof 2: $steps DDL statements applied on both sides");

done_testing();
