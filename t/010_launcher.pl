
# Copyright (c) chameleon developers
#
# The launcher: starts with the server, waits patiently in a database
# without the extension, wakes up at commit of a catalogue change, survives
# a broken catalogue, comes back after kill -9 and pg_terminate_backend,
# and lets the server shut down promptly.

use strict;
use warnings;

use Time::HiRes qw(time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::Postgres qw(chameleon_node launcher_pid);

# naptime 300 s: anything that happens faster was a wake-up, not a poll
my $node = chameleon_node('launcher', database => 'chamdb', naptime => 300);

# the database does not exist yet: the launcher retries until it does
$node->safe_psql('postgres', 'CREATE DATABASE chamdb');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'chameleon launcher' AND datname = 'chamdb'"),
	'launcher connects to chameleon.database once it exists');
is( $node->safe_psql('postgres',
		"SELECT application_name FROM pg_stat_activity WHERE backend_type = 'chameleon launcher'"),
	'chameleon launcher',
	'launcher reports its application_name');

# it waits in a database without the extension, without dying
my $pid = launcher_pid($node);
ok(defined $pid, 'launcher pid known');
$node->wait_for_log(qr/waiting for CREATE EXTENSION chameleon in database "chamdb"/);
pass('launcher says it waits for CREATE EXTENSION');

# CREATE EXTENSION wakes it at commit
my $log_offset = -s $node->logfile;
my $t0 = time;
$node->safe_psql('chamdb', 'CREATE EXTENSION chameleon');
$node->wait_for_log(qr/chameleon launcher found the extension in database "chamdb"/, $log_offset);
ok(time - $t0 < 60, 'launcher woke up at CREATE EXTENSION, long before its 300 s naptime');
is(launcher_pid($node), $pid, 'the same launcher process waited patiently');

# a new source gets a slot at commit of add_source
$t0 = time;
$node->safe_psql('chamdb', q{SELECT chameleon.add_source('s1', 'db_conn: {user: u}
schema_mappings: {a: a}')});
ok( $node->poll_query_until('chamdb',
		"SELECT count(*) = 1 FROM chameleon._worker_status() WHERE source_name = 's1' AND launcher_pid IS NOT NULL"),
	'the new source has a slot');
ok(time - $t0 < 60, 'slot assigned at commit, not at the next naptime');

# dropping it frees the slot
$node->safe_psql('chamdb', q{SELECT chameleon.drop_source('s1')});
ok( $node->poll_query_until('chamdb',
		"SELECT count(*) = 0 FROM chameleon._worker_status()"),
	'the dropped source has no slot');

# a broken catalogue is an error in the log, not a dead launcher
$log_offset = -s $node->logfile;
$node->safe_psql('chamdb', 'ALTER TABLE chameleon.source RENAME COLUMN desired_state TO broken');
$node->safe_psql('chamdb', q{SELECT chameleon._wake_launcher()});
$node->wait_for_log(qr/ERROR:.*desired_state/, $log_offset);
pass('the launcher reports the broken catalogue');
is(launcher_pid($node), $pid, 'and keeps running');
$node->safe_psql('chamdb', 'ALTER TABLE chameleon.source RENAME COLUMN broken TO desired_state');
$node->safe_psql('chamdb', q{SELECT chameleon.add_source('s2', 'db_conn: {user: u}
schema_mappings: {b: b}')});
ok( $node->poll_query_until('chamdb',
		"SELECT count(*) = 1 FROM chameleon._worker_status() WHERE source_name = 's2'"),
	'and recovers once the catalogue is repaired');

# pg_terminate_backend: the postmaster restarts it
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'chameleon launcher' AND pid <> $pid"),
	'launcher is back after pg_terminate_backend');
my $pid2 = launcher_pid($node);
ok( $node->poll_query_until('chamdb',
		"SELECT count(*) = 1 FROM chameleon._worker_status() WHERE source_name = 's2' AND launcher_pid = $pid2"),
	'the new launcher took over the slots');

# kill -9: crash restart of the whole server, then the launcher again
kill 'KILL', $pid2;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'chameleon launcher' AND pid NOT IN ($pid, $pid2)"),
	'launcher is back after kill -9');

# shutdown is prompt: the launcher exits on SIGTERM while it sleeps
my $pid3 = launcher_pid($node);
ok(defined $pid3 && kill(0, $pid3), 'the current launcher is alive before the stop');
$t0 = time;
$node->stop('fast');
my $elapsed = time - $t0;
ok($elapsed < 10, "server stopped in " . sprintf('%.1f', $elapsed) . " s");
ok(!kill(0, $pid3), 'no launcher process left after the stop');

# a server started again starts a launcher again
$node->start;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'chameleon launcher'"),
	'launcher starts with the server');
$node->stop('fast');

done_testing();
