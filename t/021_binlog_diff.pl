
# Copyright (c) chameleon developers
#
# t/021_binlog_diff.pl
#	Differential test of the binlog decoder (issue 3, proof 1): the local
#	MariaDB writes binlogs of a table holding every column type with edge
#	values (min/max of each integer width signed and unsigned, 65-digit
#	decimals, negative TIME(6), zero dates, YEAR 0, BIT(1)/BIT(64), ENUM/SET
#	incl. the empty set and the invalid enum, 4-byte UTF-8, latin1, binary
#	with trailing zero bytes, 1 MB blobs, JSON, geometry with and without
#	SRID, NULL in every column) under INSERT, UPDATE and DELETE, with
#	binlog_row_image FULL / MINIMAL / NOBLOB, binlog_row_metadata FULL /
#	NO_LOG and log_bin_compress ON.  Every row image chameleon_binlog prints
#	is compared value by value with `mariadb-binlog --base64-output=
#	decode-rows -vv` on the same file, both normalised to one notation
#	(see compare_value for each type's rule).
#
#	binlog_row_metadata=NO_LOG leaves column names, signedness, charsets
#	and ENUM/SET labels out of the binlog.  chameleon_binlog then prints
#	what the binlog alone says ("raw" mode below): @N names, integers as
#	signed, ENUM/SET as their number, TEXT/BLOB as bytes, CHAR/VARCHAR as
#	UTF-8 when the bytes are valid UTF-8 (otherwise NULL plus an "errors"
#	entry), BINARY not re-padded.  Given the column list from
#	information_schema (--columns FILE, the same information the reader
#	worker adds through the TABLE_MAP hook) it should print exactly what
#	it prints with FULL metadata; that option is not written yet, so those
#	checks are TODO tests.
use strict;
use warnings;

use Encode qw(decode encode);
use File::Temp qw(tempdir);
use IPC::Run qw(run);
use JSON::PP;
use Test::More;
use Time::Local qw(timegm);
use ChameleonTest::MariaDB;

my $cli = $ENV{CHAMELEON_BINLOG} // 'build/chameleon_binlog';
plan skip_all => "chameleon_binlog not built ($cli)" unless -x $cli;
plan skip_all => 'mariadb-binlog is not installed'
  unless grep { -x "$_/mariadb-binlog" } split(/:/, $ENV{PATH}), '/usr/bin';

my $dir = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->utf8->allow_nonref;

# The table: [name, SQL type, kind, extra].  Kinds drive the comparison.
my @enum_labels = ('a', 'b', 'c ', "'q");
my @set_labels = ('x', 'y', 'z');
my @cols = (
	[ 'id', 'int NOT NULL PRIMARY KEY', 'int' ],
	[ 'ti', 'tinyint', 'int' ],
	[ 'tiu', 'tinyint unsigned', 'uint' ],
	[ 'si', 'smallint', 'int' ],
	[ 'siu', 'smallint unsigned', 'uint' ],
	[ 'mi', 'mediumint', 'int' ],
	[ 'miu', 'mediumint unsigned', 'uint' ],
	[ 'i', 'int', 'int' ],
	[ 'iu', 'int unsigned', 'uint' ],
	[ 'bi', 'bigint', 'int' ],
	[ 'biu', 'bigint unsigned', 'uint' ],
	[ 'd65', 'decimal(65,30)', 'exact' ],
	[ 'd10', 'decimal(10,2)', 'exact' ],
	[ 'd0', 'decimal(20,0)', 'exact' ],
	[ 'f', 'float', 'float' ],
	[ 'db', 'double', 'double' ],
	[ 'b1', 'bit(1)', 'bit' ],
	[ 'b64', 'bit(64)', 'bit' ],
	[ 'b13', 'bit(13)', 'bit' ],
	[ 'y', 'year', 'year' ],
	[ 'dt', 'date', 'date' ],
	[ 'dtm', 'datetime', 'datetime' ],
	[ 'dtm6', 'datetime(6)', 'datetime' ],
	[ 'ts', 'timestamp NULL', 'timestamp' ],
	[ 'ts6', 'timestamp(6) NULL', 'timestamp' ],
	[ 'tm', 'time', 'exact' ],
	[ 'tm6', 'time(6)', 'exact' ],
	[ 'tm3', 'time(3)', 'exact' ],
	[ 'c10', 'char(10) CHARACTER SET utf8mb4', 'char', 'utf8' ],
	[ 'vc', 'varchar(300) CHARACTER SET utf8mb4', 'char', 'utf8' ],
	[ 'cl', 'char(5) CHARACTER SET latin1', 'char', 'latin1' ],
	[ 'vcl', 'varchar(50) CHARACTER SET latin1', 'char', 'latin1' ],
	[ 'txl', 'text CHARACTER SET latin1', 'text', 'latin1' ],
	[ 'tt', 'tinytext', 'text', 'utf8' ],
	[ 'tx', 'text', 'text', 'utf8' ],
	[ 'mt', 'mediumtext', 'text', 'utf8' ],
	[ 'lt', 'longtext', 'text', 'utf8' ],
	[ 'bn', 'binary(8)', 'binary', 8 ],
	[ 'vb', 'varbinary(20)', 'varbinary' ],
	[ 'tb', 'tinyblob', 'blob' ],
	[ 'bl', 'blob', 'blob' ],
	[ 'mb', 'mediumblob', 'blob' ],
	[ 'lb', 'longblob', 'blob' ],
	[ 'e', "enum('a','b','c ','\\'q')", 'enum' ],
	[ 'st', "set('x','y','z')", 'set' ],
	[ 'j', 'json', 'text', 'utf8' ],
	[ 'g', 'geometry', 'geometry' ],
	[ 'p', 'point', 'geometry' ],
);
my %colno = map { $cols[$_][0] => $_ + 1 } 0 .. $#cols;

my $create = "CREATE TABLE t (\n  "
  . join(",\n  ", map { "$_->[0] $_->[1]" } @cols)
  . "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

# Rows with edge values; row 2 is NULL in every column but the key.
my $workload = <<'EOF';
SET SESSION sql_mode = '';
SET SESSION time_zone = '+00:00';
INSERT INTO t VALUES (1,
 -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
 -9223372036854775808, 18446744073709551615,
 '-99999999999999999999999999999999999.999999999999999999999999999999',
 '-12345678.91', 12345678901234567890,
 -1.5e38, 1.7976931348623157e308,
 b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
 b'1010101010101',
 0, '0000-00-00', '0000-00-00 00:00:00', '1000-01-01 00:00:00.000001',
 '1970-01-01 00:00:01', '2038-01-19 03:14:07.999999',
 '-838:59:59', '-838:59:59.000000', '-00:00:00.001',
 'héllo😀', CONCAT('4-byte 😀 𝄞 ', REPEAT('ü', 200)),
 _latin1 X'636166E9', 'Grüße', 'ÀÉÎÕÜ latin1',
 'tiny', 'text with\nnew line', 'medium', 'long',
 X'0102000000000000', X'00FF00', X'', X'DEADBEEF00', X'00', X'7F',
 '\'q', '',
 '{"a": [1, 2.5, "x", null, true], "b": {"c": "😀"}}',
 ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'), POINT(1.5, -2.25));
INSERT INTO t (id) VALUES (2);
INSERT INTO t VALUES (3,
 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, 0,
 '99999999999999999999999999999999999.999999999999999999999999999999',
 '-0.50', 0,
 1.17549435e-38, -2.2250738585072014e-308,
 b'0', b'1000000000000000000000000000000000000000000000000000000000000001', b'0',
 2155, '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999',
 '2038-01-19 03:14:07', '1970-01-01 00:00:01.000001',
 '838:59:59', '838:59:59.000000', '00:00:00.5',
 '', '', '', '', '', '', '', '', '',
 X'00', X'', X'00', X'', X'', REPEAT(X'AB', 1048576),
 'a', 'x,y,z',
 '[]', ST_GeomFromText('POINT(0 0)', 4326), NULL);
INSERT INTO t (id, ti, dt, dtm, ts, tm6, e, st, d65, f, db, vb, bn)
 VALUES (4, 0, '2020-00-15', '2020-05-00 10:00:00', '0000-00-00 00:00:00',
  '-00:00:00.000001', 'zzz', 'y,z', '0.000000000000000000000000000001',
  0, -0.0, X'5C78', X'FF');
UPDATE t SET ti = ti - 1, vc = 'updated', lb = X'01', e = 'b', st = 'y' WHERE id = 3;
UPDATE t SET tx = 'now set', j = '{"k": 1}', tm3 = '-12:00:00.25' WHERE id = 2;
UPDATE t SET lb = REPEAT(X'00', 1048576), biu = 9223372036854775808 WHERE id = 4;
DELETE FROM t WHERE id = 1;
DELETE FROM t WHERE id = 4;
EOF

my $m = ChameleonTest::MariaDB->new(name => 'diff', binlog_row_metadata => 'FULL');
$m->start;
$m->sql('CREATE DATABASE d');

# the column list as information_schema gives it, for --columns
my $columns_file = "$dir/columns.tsv";

# Run a program; return (ok, stdout, stderr) with stdout as raw bytes.
sub run_raw
{
	my @cmd = @_;
	my ($out, $err) = ('', '');
	my $ok = run(\@cmd, '<', \undef, '>', \$out, '2>', \$err);
	return ($ok, $out, $err);
}

# Parse mariadb-binlog -vv output: list of { op, images => [ {N => [text, is_null]} ] }.
sub oracle_changes
{
	my ($file) = @_;
	my ($ok, $out, $err) = run_raw('mariadb-binlog', '--no-defaults',
		'--base64-output=decode-rows', '-vv', $file);
	die "mariadb-binlog failed on $file: $err" unless $ok && $err !~ /ERROR/;
	my (@changes, $img);
	for my $l (split /\n/, $out)
	{
		next unless substr($l, 0, 3) eq '###';
		if ($l =~ /^### (INSERT INTO|UPDATE|DELETE FROM) `d`\.`t`$/)
		{
			my $op = { 'INSERT INTO' => 'insert', 'UPDATE' => 'update', 'DELETE FROM' => 'delete' }->{$1};
			push @changes, { op => $op, images => [] };
			next;
		}
		if ($l =~ /^### (?:SET|WHERE)$/)
		{
			$img = {};
			push @{ $changes[-1]{images} }, $img;
			next;
		}
		if ($l =~ /^###   \@(\d+)=(.*) \/\* (\S+).*? is_null=(\d) \*\/$/s)
		{
			my ($n, $text, $type, $isnull) = ($1, $2, $3, $4);
			$text =~ s/ +$//;
			$img->{$n} = [ $text, $isnull ];
			next;
		}
		die "unparsed mariadb-binlog line: " . substr($l, 0, 200);
	}
	return \@changes;
}

# Decode with chameleon_binlog: list of { op, images => [ [ [name, value], ... ] ], errors }.
sub our_changes
{
	my ($file, @opts) = @_;
	my ($ok, $out, $err) = run_raw($cli, @opts, $file);
	return (undef, $err) unless $ok;
	my @changes;
	for my $line (split /\n/, $out)
	{
		next unless $line =~ /^\{"op":/;
		my $obj = $json->decode($line);
		my @images;
		for my $key ('before', 'after')
		{
			next unless defined $obj->{$key};
			# keep the column order of the line (JSON::PP hashes lose it)
			my @names;
			my ($start) = $line =~ /"\Q$key\E":\{/g ? pos($line) : undef;
			pos($line) = $start;
			while ($line =~ /\G"((?:[^"\\]++|\\.)*+)":(?:null|"(?:[^"\\]++|\\.)*+"),?/gc)
			{
				push @names, $json->decode(qq("$1"));
			}
			push @images, [ map { [ $_, $obj->{$key}{$_} ] } @names ];
		}
		push @changes, { op => $obj->{op}, images => \@images, errors => $obj->{errors} // [] };
	}
	return (\@changes, $err);
}

# The bytes mariadb-binlog printed for a quoted string ('...' with \xNN for
# bytes below 0x20).
sub oracle_bytes
{
	my ($text) = @_;
	return undef unless $text =~ /^'(.*)'$/s;
	my $s = $1;
	$s =~ s/\\x([0-9a-fA-F]{2})/chr(hex($1))/ge;
	return $s;
}

# "\x..." bytea text to bytes.
sub bytea
{
	my ($v) = @_;
	return undef unless defined $v && $v =~ /^\\x((?:[0-9a-f]{2})*)$/;
	return pack('H*', $1);
}

# Oracle TIMESTAMP (epoch[.frac]) from our "YYYY-MM-DD HH:MM:SS[.f]+00".
sub ts_to_epoch
{
	my ($v) = @_;
	return undef unless $v =~ /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?\+00$/;
	my $e = timegm($6, $5, $4, $3, $2 - 1, $1);
	return $e . ($7 // '');
}

# undef when the condition holds, else the problem description.
sub chk
{
	my ($cond, $bad) = @_;
	return $cond ? undef : $bad;
}

# Compare one value; returns undef when equal, else a description.
# $mode: 'meta' (names, signedness, charsets, labels known) or 'raw'.
sub compare_value
{
	my ($col, $o, $ours, $mode) = @_;
	my ($name, undef, $kind, $extra) = @$col;
	my ($text, $isnull) = @$o;
	my $show = defined $ours ? (length($ours) > 80 ? substr($ours, 0, 80) . '...' : $ours) : 'null';
	$show = encode('UTF-8', $show);    # diagnostics are bytes, like the oracle's
	my $want = length($text) > 80 ? substr($text, 0, 80) . '...' : $text;
	my $bad = "$name: mariadb-binlog $want, chameleon_binlog $show";

	if ($isnull)
	{
		return defined $ours ? $bad : undef;
	}
	if ($kind eq 'int' || $kind eq 'uint')
	{
		my ($s, $u) = $text =~ /^(-?\d+)(?: \((\d+)\))?$/ or return "$bad (oracle form)";
		my $exp = ($kind eq 'uint' && $mode eq 'meta') ? ($u // $s) : $s;
		return chk(defined $ours && $ours eq $exp, $bad);
	}
	if ($kind eq 'exact')
	{
		(my $t = $text) =~ s/^'(.*)'$/$1/;
		return chk(defined $ours && $ours eq $t, $bad);
	}
	if ($kind eq 'float')
	{
		# mariadb-binlog prints FLOAT with %g (6 significant digits)
		return $bad unless defined $ours && $ours =~ /^-?[\d.]+(?:e[+-]\d+)?$/;
		return undef if $ours == $text;
		return abs($ours - $text) <= 5e-6 * abs($text) ? undef : $bad;
	}
	if ($kind eq 'double')
	{
		# %.20g vs shortest round-trip text: the same double either way
		return chk(defined $ours && $ours =~ /^-?[\d.]+(?:e[+-]\d+)?$/ && $ours == $text
			  && ($ours =~ /^-/ ? 1 : 0) == ($text =~ /^-/ ? 1 : 0), $bad);
	}
	if ($kind eq 'bit')
	{
		my ($b) = $text =~ /^b'([01]+)'$/ or return "$bad (oracle form)";
		return chk(defined $ours && $ours eq $b, $bad);
	}
	if ($kind eq 'year')
	{
		# mariadb-binlog prints the stored 0 as 1900 (YEAR has no 1900)
		my $exp = $text eq '1900' ? '0' : $text;
		return chk(defined $ours && $ours eq $exp, $bad);
	}
	if ($kind eq 'date' || $kind eq 'datetime')
	{
		my ($t) = $text =~ /^'(.*)'$/ or return "$bad (oracle form)";
		$t =~ s/^(\d{4}):(\d\d):(\d\d)$/$1-$2-$3/;    # DATE printed with colons
		# zero dates (zero year+month+day, or a zero month or day) become NULL
		if ($t =~ /^(\d{4})-(\d\d)-(\d\d)/ && ($2 eq '00' || $3 eq '00'))
		{
			return defined $ours ? "$bad (zero date must be NULL)" : undef;
		}
		return chk(defined $ours && $ours eq $t, $bad);
	}
	if ($kind eq 'timestamp')
	{
		if ($text =~ /^0(?:\.0+)?$/)
		{
			return defined $ours ? "$bad (zero TIMESTAMP must be NULL)" : undef;
		}
		my $e = defined $ours ? ts_to_epoch($ours) : undef;
		return chk(defined $e && $e eq $text, $bad);
	}
	my $bytes = oracle_bytes($text);
	return "$bad (oracle form)" unless defined $bytes;
	if ($kind eq 'enum')
	{
		# the oracle prints the index of an enum without quotes
		my $idx = $text;
		return "$bad (oracle form)" unless $idx =~ /^\d+$/;
	}
	if ($kind eq 'char' || $kind eq 'text')
	{
		my $cs = $extra eq 'latin1' ? 'iso-8859-1' : 'UTF-8';
		if ($mode eq 'raw' && $kind eq 'text')
		{
			my $b = bytea($ours);
			return chk(defined $b && $b eq $bytes, $bad);
		}
		if ($mode eq 'raw')
		{
			# charset unknown: UTF-8 if valid, else NULL and an error entry
			my $u = eval { decode('UTF-8', $bytes, Encode::FB_CROAK | Encode::LEAVE_SRC) };
			return (defined $ours ? "$bad (not valid UTF-8: must be NULL)" : undef) unless defined $u;
			return chk(defined $ours && encode('UTF-8', $ours) eq $bytes, $bad);
		}
		my $exp = decode($cs, $bytes);
		return chk(defined $ours && $ours eq $exp, $bad);
	}
	if ($kind eq 'binary' || $kind eq 'varbinary')
	{
		if ($mode eq 'raw')
		{
			my $u = eval { decode('UTF-8', $bytes, Encode::FB_CROAK | Encode::LEAVE_SRC) };
			return (defined $ours ? "$bad (not valid UTF-8: must be NULL)" : undef) unless defined $u;
			return chk(defined $ours && encode('UTF-8', $ours) eq $bytes, $bad);
		}
		# BINARY(n) is logged without its trailing zero bytes: re-padded
		my $exp = $kind eq 'binary' ? $bytes . ("\0" x ($extra - length($bytes))) : $bytes;
		my $b = bytea($ours);
		return chk(defined $b && $b eq $exp, $bad);
	}
	if ($kind eq 'blob')
	{
		my $b = bytea($ours);
		return chk(defined $b && $b eq $bytes, $bad);
	}
	if ($kind eq 'geometry')
	{
		# 4-byte SRID + WKB; we print hex EWKB (SRID folded in when not 0)
		return "$bad (oracle form)" if length($bytes) < 9;
		my $srid = unpack('V', substr($bytes, 0, 4));
		my $wkb = substr($bytes, 4);
		my $exp;
		if ($srid == 0)
		{
			$exp = unpack('H*', $wkb);
		}
		else
		{
			my $le = ord(substr($wkb, 0, 1)) == 1;
			my $type = $le ? unpack('V', substr($wkb, 1, 4)) : unpack('N', substr($wkb, 1, 4));
			$type |= 0x20000000;
			$exp = unpack('H*', substr($wkb, 0, 1)
				  . ($le ? pack('V', $type) . pack('V', $srid) : pack('N', $type) . pack('N', $srid))
				  . substr($wkb, 5));
		}
		return chk(defined $ours && $ours eq $exp, $bad);
	}
	return "$name: no comparison rule for kind $kind";
}

# ENUM/SET as the oracle prints them (index, b'bits') vs our label text.
sub compare_enum_set
{
	my ($col, $o, $ours, $mode) = @_;
	my ($name, undef, $kind) = @$col;
	my ($text, $isnull) = @$o;
	my $bad = "$name: mariadb-binlog $text, chameleon_binlog " . ($ours // 'null');
	return (defined $ours ? $bad : undef) if $isnull;
	my $num;
	if ($kind eq 'enum')
	{
		return "$bad (oracle form)" unless $text =~ /^(\d+)$/;
		$num = $1;
	}
	else
	{
		return "$bad (oracle form)" unless $text =~ /^b'([01]+)'$/;
		$num = oct("0b$1");
	}
	return chk(defined $ours && $ours eq $num, $bad) if $mode eq 'raw';
	my $exp;
	if ($kind eq 'enum')
	{
		$exp = $num == 0 ? '' : $enum_labels[ $num - 1 ];
	}
	else
	{
		$exp = join(',', map { $set_labels[$_] } grep { $num & (1 << $_) } 0 .. $#set_labels);
	}
	return chk(defined $ours && $ours eq $exp, $bad);
}

# Compare every change of one binlog; returns the number of values checked.
sub compare_changes
{
	my ($label, $theirs, $ours, $mode) = @_;
	my @problems;
	my $checked = 0;
	is(scalar @$ours, scalar @$theirs, "$label: same number of row changes as mariadb-binlog");
	is(join(',', map { $_->{op} } @$ours), join(',', map { $_->{op} } @$theirs),
		"$label: same operations in the same order");
	for my $i (0 .. $#$theirs)
	{
		my ($t, $c) = ($theirs->[$i], $ours->[$i]);
		last unless $c;
		if (@{ $t->{images} } != @{ $c->{images} })
		{
			push @problems, "change $i: " . scalar(@{ $t->{images} }) . ' images vs ' . scalar(@{ $c->{images} });
			next;
		}
		for my $k (0 .. $#{ $t->{images} })
		{
			my ($ti, $ci) = ($t->{images}[$k], $c->{images}[$k]);
			my @tn = sort { $a <=> $b } keys %$ti;
			my @cn = map {
				my $n = $_->[0];
				$n =~ /^\@(\d+)$/ ? $1 : ($colno{$n} // "?$n")
			} @$ci;
			if ("@tn" ne "@cn")
			{
				push @problems, "change $i image $k: columns (@tn) vs (@cn)";
				next;
			}
			if ($mode eq 'meta' && grep { $_->[0] =~ /^\@/ } @$ci)
			{
				push @problems, "change $i image $k: column names missing";
			}
			for my $p (@$ci)
			{
				my $n = $p->[0] =~ /^\@(\d+)$/ ? $1 : $colno{ $p->[0] };
				my $col = $cols[ $n - 1 ];
				my $r = $col->[2] =~ /^(enum|set)$/
				  ? compare_enum_set($col, $ti->{$n}, $p->[1], $mode)
				  : compare_value($col, $ti->{$n}, $p->[1], $mode);
				$checked++;
				push @problems, "change $i image $k: $r" if defined $r;
			}
		}
	}
	is(scalar @problems, 0, "$label: all $checked values agree with mariadb-binlog")
	  or diag(join("\n", @problems[ 0 .. ($#problems > 30 ? 30 : $#problems) ]));
	return $checked;
}

# The configurations: [label, row image, row metadata, compression].
my @configs = (
	[ 'FULL image, FULL metadata', 'FULL', 'FULL', 0 ],
	[ 'MINIMAL image, FULL metadata', 'MINIMAL', 'FULL', 0 ],
	[ 'NOBLOB image, FULL metadata', 'NOBLOB', 'FULL', 0 ],
	[ 'FULL image, NO_LOG metadata', 'FULL', 'NO_LOG', 0 ],
	[ 'MINIMAL image, NO_LOG metadata', 'MINIMAL', 'NO_LOG', 0 ],
	[ 'FULL image, FULL metadata, log_bin_compress', 'FULL', 'FULL', 1 ],
	[ 'NOBLOB image, NO_LOG metadata, log_bin_compress', 'NOBLOB', 'NO_LOG', 1 ],
);

for my $cfg (@configs)
{
	my ($label, $image, $meta, $compress) = @$cfg;
	$m->sql("SET GLOBAL binlog_row_metadata = $meta; "
		  . 'SET GLOBAL log_bin_compress = ' . ($compress ? 'ON' : 'OFF') . ';');
	$m->sql("DROP TABLE IF EXISTS t; $create", db => 'd');
	$m->flush_binlogs;
	$m->sql("SET SESSION binlog_row_image = $image;\n$workload", db => 'd');
	$m->flush_binlogs;
	my @files = $m->binlog_files;
	my $file = $files[-2];

	if (!-e $columns_file)
	{
		my $tsv = $m->sql(q{SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION,
			c.COLUMN_NAME, c.COLUMN_TYPE, IFNULL(co.ID, 63)
			FROM information_schema.COLUMNS c
			LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = c.COLLATION_NAME
			WHERE c.TABLE_SCHEMA = 'd' ORDER BY 1, 2, 3});
		open(my $fh, '>', $columns_file) or die "cannot write $columns_file: $!";
		print $fh "$tsv\n";
		close $fh;
	}

	my $theirs = oracle_changes($file);
	if ($compress)
	{
		my ($ok, $out) = run_raw('mariadb-binlog', '--no-defaults', $file);
		like($out, qr/Write_compressed_rows|Update_compressed_rows/,
			"$label: the binlog holds compressed row events");
	}
	my ($ours, $err) = our_changes($file);
	ok($ours, "$label: chameleon_binlog decodes the file") or diag($err);
	next unless $ours;
	my $mode = $meta eq 'FULL' ? 'meta' : 'raw';
	compare_changes($label, $theirs, $ours, $mode);

	if ($mode eq 'raw')
	{
		# what cannot be known without metadata is reported, not guessed
		my @errs = map { @{ $_->{errors} } } @$ours;
		ok(scalar(grep { $_->{column} eq '@31' } @errs) > 0,
			"$label: latin1 CHAR without metadata is reported in \"errors\"");

		# with the column list from information_schema: as with FULL metadata
	  TODO:
		{
			local $TODO = 'chameleon_binlog --columns (information_schema column '
			  . 'list for NO_LOG/MINIMAL metadata, as the reader worker\'s TABLE_MAP '
			  . 'hook does) is not implemented yet';
			my ($full, $ferr) = our_changes($file, '--columns', $columns_file);
			ok($full, "$label: chameleon_binlog --columns decodes the file");
			if ($full)
			{
				compare_changes("$label, --columns", $theirs, $full, 'meta');
				is(scalar(map { @{ $_->{errors} } } @$full), 0,
					"$label, --columns: no conversion errors");
			}
		}
	}
	else
	{
		is(scalar(map { @{ $_->{errors} } } @$ours), 0, "$label: no conversion errors");
	}
}

done_testing();
