
# Copyright (c) chameleon developers

=pod

=head1 NAME

ChameleonTest::Postgres - PostgreSQL 15 test instances with chameleon preloaded

=head1 SYNOPSIS

  use ChameleonTest::Postgres qw(chameleon_node launcher_pid);

  my $node = chameleon_node('main',
      database         => 'chamdb',     # chameleon.database (default postgres)
      create_database  => 1,            # CREATE DATABASE it if needed
      create_extension => 1,            # CREATE EXTENSION chameleon in it
      naptime          => 10,           # chameleon.launcher_naptime, seconds
      initdb_extra     => ['--encoding=UTF8', '--locale=C'],  # initdb options
      conf             => ['log_min_messages = debug1'],
      install_path     => $dir);        # default $ENV{CHAMELEON_PG_INSTALL}
  my $pid = launcher_pid($node);        # undef when no launcher runs

=head1 DESCRIPTION

A thin layer over Debian's C<PostgreSQL::Test::Cluster>: a new instance in a
temporary directory, listening on a Unix socket of its own, with
C<shared_preload_libraries = 'chameleon'>, started, and stopped by the
Cluster module when the test script ends (also when it dies).

With C<CHAMELEON_PG_INSTALL> set to the path F<tools/private-install.sh>
prints, the instance runs from that private installation instead of the
system's; the C<install_path> option names another one (e.g. an older
release built by F<t/012_upgrade.pl>).

=cut

package ChameleonTest::Postgres;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT_OK = qw(chameleon_node launcher_pid);

# Creates, configures and starts an instance with chameleon preloaded.
sub chameleon_node
{
	my ($name, %opts) = @_;
	my $db = $opts{database} // 'postgres';
	# CHAMELEON_PG_INSTALL: a private installation (tools/private-install.sh)
	my $inst = $opts{install_path} // $ENV{CHAMELEON_PG_INSTALL};
	my @install = $inst ? (install_path => $inst) : ();
	my $node = PostgreSQL::Test::Cluster->new($name, @install);

	$node->init(extra => $opts{initdb_extra} // []);
	$node->append_conf('postgresql.conf',
		join("\n",
			"shared_preload_libraries = 'chameleon'",
			"chameleon.database = '$db'",
			"chameleon.launcher_naptime = " . ($opts{naptime} // 10),
			# Cluster.pm turns it off; a crashed worker must not stop the server
			"restart_after_crash = on",
			@{ $opts{conf} // [] })
		  . "\n");
	return $node if $opts{no_start};

	$node->start;
	if ($opts{create_database} && $db ne 'postgres')
	{
		$node->safe_psql('postgres', qq{CREATE DATABASE "$db"});
	}
	$node->safe_psql($db, 'CREATE EXTENSION chameleon')
	  if $opts{create_extension};
	return $node;
}

# Returns the pid of the chameleon launcher of a node, or undef.
sub launcher_pid
{
	my ($node) = @_;
	my ($ret, $out) = $node->psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'chameleon launcher'");
	return undef if $ret != 0 || $out eq '';
	return $out;
}

1;
