
# Copyright (c) chameleon developers
#
# Runs the pgTAP catalogue suites (t/pgtap/*.sql) with pg_prove against a
# fresh instance with chameleon and pgtap installed.

use strict;
use warnings;

use File::Basename qw(dirname);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::Postgres qw(chameleon_node);

my $dir = dirname(__FILE__) . '/pgtap';
my @suites = sort glob("$dir/*.sql");
plan skip_all => 'pg_prove is not installed'
  unless grep { -x "$_/pg_prove" } split /:/, $ENV{PATH};

my $node = chameleon_node('pgtap', create_extension => 1);
$node->safe_psql('postgres', 'CREATE EXTENSION pgtap');

foreach my $suite (@suites)
{
	my ($stdout, $stderr) = ('', '');
	my $ok = IPC::Run::run(
		[
			'pg_prove', '--verbose', '--host', $node->host,
			'--port', $node->port, '--dbname', 'postgres', $suite
		],
		'>', \$stdout, '2>', \$stderr);
	ok($ok, "pgTAP suite $suite passes");
	diag("$stdout\n$stderr") unless $ok;
	like($stdout, qr/^Result: PASS/m, "pg_prove reports PASS for $suite");
}

done_testing();
