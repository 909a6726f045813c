
# Copyright (c) chameleon developers
#
# The README's SQL runs (issue "operations", point 6).  Every ```sql block
# of README.md is cut into statements (dollar quotes kept whole) and each
# statement is run against a real MariaDB and PostgreSQL, in the README's
# order, with the README's names (source shop, MySQL schema shop, user
# usr_replica): the connection port is the test server's, the pg_chameleon
# file of load_config() is written for it.  MySQL statements (the GRANT
# block) run on MariaDB.  A statement may fail only because of the state
# it finds (a source already dropped, a job still running: SQLSTATEs 55000,
# 42704, 42710 and 22023 of a readable message); an unknown function,
# view, column or a syntax error (42883, 42P01, 42703, 42601...) fails
# the test.  Then the README's main path runs for real and must succeed:
# add_source, init_replica, start_replica, a change, wait_caught_up,
# verify_tables, stop_replica, detach_replica.

use strict;
use warnings;

use File::Temp qw(tempdir);
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until);

my $root = $ENV{CHAMELEON_SRC} // "$FindBin::RealBin/..";
open(my $fh, '<', "$root/README.md") or BAIL_OUT("cannot read README.md: $!");
my $readme = do { local $/; <$fh> };
close($fh);

# ---- the blocks and their statements
my @blocks;
while ($readme =~ /^```sql\n(.*?)^```/msg)
{
	push @blocks, $1;
}
ok(@blocks >= 8, scalar(@blocks) . ' SQL blocks in the README');

# Splits a block into statements at ';' outside quotes and dollar quotes.
sub statements
{
	my ($text) = @_;
	my @out;
	my $cur = '';
	my $dollar;
	my $quote = 0;
	while (length $text)
	{
		if (defined $dollar)
		{
			if ($text =~ s/^(.*?\Q$dollar\E)//s) { $cur .= $1; undef $dollar; next; }
			$cur .= $text;
			last;
		}
		if ($quote)
		{
			if ($text =~ s/^([^']*')//s) { $cur .= $1; $quote = 0; next; }
			$cur .= $text;
			last;
		}
		if ($text =~ s/^(\$[A-Za-z_]*\$)//) { $cur .= $1; $dollar = $1; next; }
		if ($text =~ s/^'//) { $cur .= "'"; $quote = 1; next; }
		if ($text =~ s/^--[^\n]*//) { next; }
		if ($text =~ s/^;//)
		{
			push @out, $cur if $cur =~ /\S/;
			$cur = '';
			next;
		}
		$text =~ s/^(.)//s;
		$cur .= $1;
	}
	push @out, $cur if $cur =~ /\S/;
	s/^\s+|\s+$//g for @out;
	return @out;
}

my $m = ChameleonTest::MariaDB->new(name => 'readme');
$m->start;
my $port = $m->port;
$m->sql(<<'SQL');
CREATE USER 'usr_replica'@'%' IDENTIFIED BY 'secret';
GRANT ALL ON *.* TO 'usr_replica'@'%';
CREATE DATABASE shop CHARACTER SET utf8mb4;
CREATE TABLE shop.orders (id int PRIMARY KEY, item_id int, qty int);
CREATE TABLE shop.items (id int PRIMARY KEY, name varchar(40), flag tinyint(1));
CREATE TABLE shop.audit_log (id int PRIMARY KEY, note text);
INSERT INTO shop.items VALUES (1, 'one', 1), (2, 'two', 0);
INSERT INTO shop.orders VALUES (10, 1, 3), (20, 2, 1);
SQL

my $node = chameleon_node('readme', create_extension => 0, naptime => 1,
	conf => ["timezone = 'UTC'", 'max_worker_processes = 16']);
my $dir = tempdir(CLEANUP => 1);
chmod(0755, $dir);
my $file = "$dir/default.yml";
open(my $yml, '>', $file) or die;
print $yml <<"YML";
type_override:
  "tinyint(1)": {override_to: boolean, override_tables: ["*"]}
sources:
  fromfile:
    db_conn: {host: 127.0.0.1, port: $port, user: usr_replica, password: secret}
    schema_mappings: {shop: shop_file}
YML
close($yml);
chmod(0644, $file);

# Runs one statement; (sqlstate or '', message).
sub run_pg
{
	my ($sql) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql;",
		on_error_stop => 1);
	return ('', $out) if $rc == 0;
	my ($state) = $err =~ /ERROR:\s+([0-9A-Z]{5}):/;
	return ($state // '?????', $err);
}

my %state_errors = map { $_ => 1 } qw(55000 42704 42710 22023 55006);
my $n = 0;
for my $b (0 .. $#blocks)
{
	my $text = $blocks[$b];
	$text =~ s/port: 3306/port: $port/g;
	$text =~ s{/etc/pg_chameleon/default\.yml}{$file}g;
	my $mysql = $text =~ /IDENTIFIED BY|GRANT REPLICATION/;
	for my $stmt (statements($text))
	{
		$n++;
		my $what = 'block ' . ($b + 1) . ': ' . (split /\n/, $stmt)[0];
		if ($mysql)
		{
			my $ok = eval { $m->sql($stmt); 1 };
			ok($ok, "MySQL $what") or diag($@);
			next;
		}
		my ($state, $msg) = run_pg($stmt);
		if ($state eq '' || $state_errors{$state})
		{
			pass("$what" . ($state ? " ($state: a state error)" : ''));
			note($msg) if $state;
		}
		else
		{
			fail("$what: $state");
			diag($msg);
		}
	}
}
ok($n >= 40, "$n statements run");

# ---- the main path, for real
$node->safe_psql('postgres', q{SELECT chameleon.drop_source(source_name) FROM chameleon.sources});
my $add = (grep { /add_source\('shop'/ } map { statements($_) } @blocks)[0];
$add =~ s/port: 3306/port: $port/;
$node->safe_psql('postgres', $add);
$node->safe_psql('postgres', q{SELECT chameleon.init_replica('shop', wait => true)});
$node->safe_psql('postgres', q{SELECT chameleon.start_replica('shop')});
$m->sql("INSERT INTO shop.orders VALUES (30, 1, 7); UPDATE shop.items SET flag = 0 WHERE id = 1");
is($node->safe_psql('postgres', q{SELECT chameleon.wait_caught_up('shop', '1 min')}), 't',
	'the README main path: replicated and caught up');
is($node->safe_psql('postgres', q{SELECT string_agg(id || ':' || flag, ',' ORDER BY id) FROM shop.items}),
	'1:false,2:false', 'type_override of the README example: tinyint(1) as boolean');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_tables WHERE schemaname = 'shop' AND tablename = 'audit_log'}),
	'0', 'skip_tables of the README example');
$node->safe_psql('postgres', q{SELECT chameleon.verify_tables('shop', wait => true)});
is($node->safe_psql('postgres', q{SELECT string_agg(DISTINCT state, ',') FROM chameleon.verify_status WHERE source_name = 'shop'}),
	'identical', 'verify_tables: identical');
$node->safe_psql('postgres', q{SELECT chameleon.detach_replica('shop')});
is($node->safe_psql('postgres', q{SELECT count(*) FROM chameleon.sources}), '0', 'detach_replica: the source is gone');

$node->stop;
$m->stop;
done_testing();
