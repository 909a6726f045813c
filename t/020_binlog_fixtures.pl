# t/020_binlog_fixtures.pl
#	Runs build/chameleon_binlog over real binlog files: the shared fixtures
#	($CHAMELEON_FIXTURES, skipped when unset) and MariaDB's mysql-test
#	std_data binlogs.  Checks that every file decodes (exit 0) except the
#	corrupt/truncated ones, which must exit non-zero with a message giving
#	the byte offset; that the json-opaque values listed in the fixtures
#	README come out exactly; that TRANSACTION_PAYLOAD files yield their
#	inner row events; that sakila yields the rows of its 1,374 WRITE_ROWS
#	events; and compares row counts and integer/string values with
#	`mariadb-binlog --base64-output=decode-rows -vv` where it can read the
#	file.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use File::Basename qw(basename);
use File::Spec;
use FindBin;
use JSON::PP;

my $bin = $ENV{CHAMELEON_BINLOG} // "$FindBin::Bin/../build/chameleon_binlog";
my $fixtures = $ENV{CHAMELEON_FIXTURES};
my $std = '/usr/share/mysql/mysql-test/std_data';

plan skip_all => "chameleon_binlog not built at $bin" unless -x $bin;
plan skip_all => 'CHAMELEON_FIXTURES unset and no mysql-test std_data'
  if !(defined $fixtures && -d $fixtures) && !-d $std;

my $tmp = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->allow_nonref;
my $have_oracle = system('sh', '-c', 'command -v mariadb-binlog >/dev/null 2>&1') == 0;

# corrupt or truncated on purpose: must fail with an offset
# (mdev-39404: MariaDB's own test file for MDEV-39404, a crafted GTID event
# whose CRC32 is zeroed; mariadb-binlog must fail on it as well)
my %must_fail = map { $_ => 1 } qw(
  corrupt-relay-bin.000624
  binlog_truncated_event.000001
  binlog_truncated_prev_gtid_event.000001
  ver_5_1-wl2325_r.001
  bug11747416_32228_binlog.000001
  mdev-39404-binlog.000001
);

# Valid files no file reader can decode: they must fail with a message that
# says why (and the offset, checked with the corrupt ones above).
my %unsupported = (
	# MariaDB 10.2 encrypted binlog: without the server's key only the
	# framing can be read (mariadb-binlog fails on it too)
	'binlog_before_20574.bin' => qr/encrypted after START_ENCRYPTION at offset 256; 14 events/,
	# MySQL 5.2 development tree that numbered XID as type 20 (pre-GA
	# WRITE_ROWS elsewhere); mariadb-binlog fails on it too
	'ver_5_1-wl2325_s.001' => qr/event type 20 at offset 411 .*non-standard event numbering/,
);
$must_fail{$_} = 1 for keys %unsupported;

# Read a whole file.
sub slurp
{
	my ($f) = @_;
	open my $fh, '<:raw', $f or return '';
	local $/;
	my $s = <$fh>;
	close $fh;
	return $s // '';
}

# Run a program, capturing exit status, signal, stdout, stderr.
sub run_prog
{
	my @cmd = @_;
	my ($out, $err) = ("$tmp/stdout", "$tmp/stderr");
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open STDOUT, '>', $out or die;
		open STDERR, '>', $err or die;
		exec @cmd or exit 127;
	}
	waitpid $pid, 0;
	return ($? >> 8, $? & 127, slurp($out), slurp($err));
}

# Parse the ordered (name, value) pairs of one image object at $$s pos.
sub parse_image
{
	my ($line, $key) = @_;
	return undef unless $line =~ /"\Q$key\E":(null|\{)/g;
	return undef if $1 eq 'null';
	my @pairs;
	while ($line =~ /\G"((?:[^"\\]++|\\.)*+)":(null|"((?:[^"\\]++|\\.)*+)"),?/gc)
	{
		my ($k, $raw, $v) = ($1, $2, $3);
		push @pairs, [ $json->decode(qq("$k")), ($raw eq 'null' ? undef : $json->decode(qq("$v"))) ];
	}
	return \@pairs;
}

# Decode a file with chameleon_binlog; returns a result hash.
sub decode_file
{
	my ($f) = @_;
	my ($rc, $sig, $out, $err) = run_prog($bin, $f);
	my (@events, @rows);
	for my $line (split /\n/, $out)
	{
		my $obj = eval { $json->decode($line) };
		if (!$obj)
		{
			push @events, { type => 'BAD_JSON', line => $line };
			next;
		}
		if (exists $obj->{op})
		{
			$obj->{before_pairs} = parse_image($line, 'before');
			$obj->{after_pairs} = parse_image($line, 'after');
			push @rows, $obj;
		}
		else
		{
			push @events, $obj;
		}
	}
	return { rc => $rc, sig => $sig, err => $err, events => \@events, rows => \@rows };
}

# Images as mariadb-binlog prints them: list of [ [col, text, type], ... ].
sub oracle_images
{
	my ($f) = @_;
	my ($rc, $sig, $out, $err) = run_prog('mariadb-binlog', '--base64-output=decode-rows', '-vv', $f);
	return undef if $rc != 0 || $err =~ /ERROR/;
	my (@images, $cur, $changes);
	$changes = 0;
	for my $l (split /\n/, $out)
	{
		if ($l =~ /^### (INSERT INTO|UPDATE|DELETE FROM) /) { $changes++; next; }
		if ($l =~ /^### (SET|WHERE)$/) { $cur = []; push @images, $cur; next; }
		if ($l =~ /^###   \@(\d+)=(.*) \/\* (\S+)/ && $cur) { push @$cur, [ $1, $2, $3 ]; }
	}
	return { images => \@images, changes => $changes };
}

# Our images in the same order as mariadb-binlog prints them.
sub our_images
{
	my ($r) = @_;
	my @img;
	for my $row (@{ $r->{rows} })
	{
		push @img, $row->{before_pairs} if $row->{before_pairs};
		push @img, $row->{after_pairs} if $row->{after_pairs};
	}
	return \@img;
}

# Compare integers and plain strings with the oracle.
sub compare_with_oracle
{
	my ($name, $r, $o) = @_;
	my $ours = our_images($r);
	is(scalar(@{ $r->{rows} }), $o->{changes}, "$name: row changes match mariadb-binlog");
	is(scalar(@$ours), scalar(@{ $o->{images} }), "$name: row images match mariadb-binlog");
	my ($checked, $bad) = (0, 0);
	for my $i (0 .. $#$ours)
	{
		my $mine = $ours->[$i];
		my $theirs = $o->{images}[$i] or last;
		next if @$mine != @$theirs;
		for my $j (0 .. $#$mine)
		{
			my ($text, $type) = ($theirs->[$j][1], $theirs->[$j][2]);
			my $v = $mine->[$j][1];
			if ($text eq 'NULL')
			{
				$checked++;
				$bad++, diag("$name image $i col $j: want NULL, got $v") if defined $v;
			}
			elsif ($type =~ /^(TINYINT|SHORTINT|MEDIUMINT|INT|LONGINT)$/
				&& $text =~ /^(-?\d+)(?: \((\d+)\))?$/)
			{
				my ($s, $u) = ($1, $2);
				$checked++;
				if (!defined $v || ($v ne $s && !(defined $u && $v eq $u)))
				{
					$bad++;
					diag("$name image $i col $j: mariadb-binlog $text, ours " . ($v // 'null'));
				}
			}
			elsif ($type =~ /^(VARSTRING|STRING)/ && $text =~ /^'([A-Za-z0-9 _.,:-]*)'$/)
			{
				my $s = $1;
				$checked++;
				if (!defined $v || ($v ne $s && $v !~ /^\Q$s\E *$/))
				{
					$bad++;
					diag("$name image $i col $j: mariadb-binlog '$s', ours " . ($v // 'null'));
				}
			}
		}
	}
	is($bad, 0, "$name: $checked integer/string/NULL values agree with mariadb-binlog");
}

my @files;
if (defined $fixtures && -d $fixtures)
{
	for my $d (sort glob("$fixtures/*"))
	{
		next unless -d $d;
		push @files, grep { -f $_ && !/README/ } sort glob("$d/*");
	}
}
else
{
	note('CHAMELEON_FIXTURES unset: shared fixtures skipped');
}
if (-d $std)
{
	push @files, grep { -f $_ && !/\.(info|frm|MYI|MYD|ibd|cnf|opt|txt|pem|key)$/ }
	  sort(glob("$std/*binlog*"), glob("$std/*-bin.*"), glob("$std/*relay-bin*"),
		glob("$std/*.bin"), glob("$std/rpl/*bin*"));
}

my %seen;
@files = grep { !$seen{$_}++ } @files;

my %results;
for my $f (@files)
{
	my $name = basename($f);
	my $path = $f;
	if ($name =~ /\.gz$/)
	{
		($path = "$tmp/$name") =~ s/\.gz$//;
		system("gzip -dc '$f' > '$path'") == 0 or die "gunzip $f";
		$name =~ s/\.gz$//;
	}
	my $r = decode_file($path);
	$results{$name} = $r;
	is($r->{sig}, 0, "$name: no crash");
	my @bad = grep { $_->{type} eq 'BAD_JSON' } @{ $r->{events} };
	is(scalar @bad, 0, "$name: every output line is JSON");
	if ($must_fail{$name})
	{
		isnt($r->{rc}, 0, "$name: corrupt input exits non-zero");
		like($r->{err}, qr/byte offset \d+/, "$name: error message gives the byte offset");
		like($r->{err}, $unsupported{$name}, "$name: unsupported format named in the message")
		  if $unsupported{$name};
	}
	else
	{
		is($r->{rc}, 0, "$name: decodes without error") or diag($r->{err});
	}

	if ($have_oracle && !$must_fail{$name} && $r->{rc} == 0)
	{
		my $o = oracle_images($path);
		compare_with_oracle($name, $r, $o) if $o && $o->{changes} > 0;
	}
}

SKIP:
{
	skip 'shared fixtures not available', 12 unless defined $fixtures && -d $fixtures;

	# json-opaque: first column of successive row events' after images
	my $r = $results{'json-opaque.binlog'};
	my @want = (
		'{"a": "base64:type15:VQ=="}', '{"b": "2012-03-18"}',
		'{"c": "2012-03-18 11:30:45.000000"}', '{"c": "87:31:46.654321"}',
		'{"d": "123.456"}', '{"e": "9.00"}', '{"e": [0, 1, true, false]}', '{"e": null}');
	my @got = map { $_->{after_pairs} ? $_->{after_pairs}[0][1] : undef }
	  grep { $_->{after_pairs} } @{ $r->{rows} };
	is_deeply([ @got[ 0 .. $#want ] ], \@want, 'json-opaque: README values reproduced exactly');

	# TRANSACTION_PAYLOAD files yield their inner row events
	for my $n (qw(transaction_compression.000001 mysql-bin.compressed))
	{
		my $t = $results{$n};
		my @payload = grep { $_->{type} eq 'TRANSACTION_PAYLOAD' } @{ $t->{events} };
		my @inner_rows = grep { $_->{in_payload} && $_->{type} =~ /ROWS/ && $_->{type} ne 'ROWS_QUERY' }
		  @{ $t->{events} };
		ok(@payload > 0, "$n: TRANSACTION_PAYLOAD present");
		ok(@inner_rows > 0, "$n: row events inside the payload");
		ok(@{ $t->{rows} } > 0, "$n: row changes decoded from the payload");
	}

	# sakila: 1,374 WRITE_ROWS events, every row an insert
	my $s = $results{'mysql-bin.sakila'};
	my @w = grep { $_->{type} eq 'WRITE_ROWS_V1' } @{ $s->{events} };
	is(scalar @w, 1374, 'sakila: 1,374 WRITE_ROWS_V1 events');
	my @ins = grep { $_->{op} eq 'insert' } @{ $s->{rows} };
	ok(@ins >= 1374, 'sakila: at least one row per WRITE_ROWS event');
	is(scalar @ins, scalar @{ $s->{rows} }, 'sakila: every row change is an insert');

	# MariaDB 10.5 FULL metadata: column names come from the TABLE_MAP
	my $m = $results{'mariadb-bin.000001'};
	my @named = grep { $_->{after_pairs} && $_->{after_pairs}[0][0] eq 'id' } @{ $m->{rows} };
	ok(@named > 0, 'mariadb-bin.000001: column names from FULL row metadata');
}

SKIP:
{
	skip 'std_data not available', 1 unless -d $std;
	my $r = $results{'mdev35643_mysql_80_binlog.000001'};
	skip 'mdev35643 file missing', 1 unless $r;
	ok(scalar(grep { $_->{in_payload} } @{ $r->{events} }) > 0,
		'mdev35643 (MySQL 8.0): events decoded from TRANSACTION_PAYLOAD');
}

done_testing();
