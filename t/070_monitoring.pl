
# Copyright (c) chameleon developers
#
# Monitoring (SPEC 8): the real prometheus-postgres-exporter, connected as a
# role that is only a member of pg_monitor and given
# tools/monitoring/postgres_exporter.yml, is scraped over HTTP while a source
# replicates from MariaDB.  The series exist with the right labels and
# values (no source at all included), and they move: read and replay lag
# rise while changes stream in and the replay waits on a lock, the replayed
# rows follow new changes, a disabled table and its error show up, a stop
# shows.  The alert rules pass "promtool check rules" and their unit tests.

use strict;
use warnings;

use File::Basename qw(dirname);
use HTTP::Tiny;
use IO::Socket::INET;
use IPC::Run;
use Time::HiRes qw(time usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);

my $exporter_bin = '/usr/bin/prometheus-postgres-exporter';
plan skip_all => "$exporter_bin is not installed" unless -x $exporter_bin;

my $srcdir = $ENV{CHAMELEON_SRC} // dirname(__FILE__) . '/..';
my $monitoring = "$srcdir/tools/monitoring";
my $http = HTTP::Tiny->new(timeout => 10);
my ($exporter, $exporter_port);

# the exporter is stopped whatever happens (also when the script dies)
END
{
	if ($exporter)
	{
		local $?;
		$exporter->kill_kill(grace => 5);
	}
}

my $m = ChameleonTest::MariaDB->new(name => 'mon');
$m->start;
$m->create_user('repl', 'repl-pw');
$m->sql(<<'SQL');
CREATE DATABASE shop CHARACTER SET utf8mb4;
USE shop;
CREATE TABLE orders (id int PRIMARY KEY, qty int NOT NULL);
CREATE TABLE audit (id int PRIMARY KEY, n int NOT NULL);
CREATE TABLE ticks (id int AUTO_INCREMENT PRIMARY KEY, note varchar(20));
INSERT INTO orders SELECT seq, 1 FROM seq_1_to_300;
INSERT INTO audit SELECT seq, seq FROM seq_1_to_10;
SQL

my $node = chameleon_node('mon', create_extension => 1, naptime => 2,
	conf => ["timezone = 'UTC'"]);
$node->safe_psql('postgres', 'CREATE ROLE monitor LOGIN IN ROLE pg_monitor');

# No source yet: the queries must run and return nothing.
start_exporter();
my $s = poll_scrape(sub { defined value($_[0], 'pg_up') }, 'a first scrape');
is( join(',', map { value($s, $_) // 'absent' }
		qw(pg_up pg_exporter_last_scrape_error pg_exporter_user_queries_load_error)),
	'1,0,0', 'no source: the exporter connects, loads the queries and runs them without error');
is(scalar(grep { $_->{name} =~ /^chameleon_/ } @{ $s->{series} }), 0, 'no source: no chameleon series');
is( $node->safe_psql('postgres', q{SELECT count(*) > 0 AND bool_and(NOT r.rolsuper)
		AND NOT bool_or(pg_has_role(r.oid, 'chameleon_admin', 'MEMBER'))
		AND bool_and(pg_has_role(r.oid, 'pg_monitor', 'MEMBER'))
	  FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid WHERE r.rolname = 'monitor'}),
	't', 'the exporter is connected as a pg_monitor member that is neither superuser nor chameleon_admin');

# A replicating source.
my $mport = $m->port;
$node->safe_psql('postgres', "SELECT chameleon.add_source('shop', \$\$db_conn: {host: 127.0.0.1, port: $mport, user: repl, password: repl-pw}
schema_mappings: {shop: shop}
replica_batch_size: 100\$\$)");
$node->safe_psql('postgres', "SELECT chameleon.init_replica('shop', wait => true)");
$node->safe_psql('postgres', "SELECT chameleon.start_replica('shop')");
# a first change: the replay marks the source consistent as it passes
# the copy's position
$m->sql('INSERT INTO shop.orders VALUES (1000, 1)');
is($node->safe_psql('postgres', "SELECT chameleon.wait_caught_up('shop', '60 s')"), 't', 'the source is caught up');

$s = poll_scrape(
	sub {
		(value($_[0], 'chameleon_status', state => 'running') // 0) == 1
		  && (value($_[0], 'chameleon_source_consistent') // 0) == 1
		  && (value($_[0], 'chameleon_source_replay_running') // 0) == 1
		  && (value($_[0], 'chameleon_source_reader_running') // 0) == 1;
	},
	'source running and consistent');
is( join(',', map { "$_->{labels}{state}=$_->{value}" }
		sort { $a->{labels}{state} cmp $b->{labels}{state} } series($s, 'chameleon_status')),
	'error=0,initialised=0,initialising=0,ready=0,running=1,stopped=0,synced=0,syncing=0',
	'chameleon_status: one series per state, 1 for running');

my @names = qw(chameleon_init_rows_copied chameleon_init_rows_estimated
  chameleon_init_tables chameleon_init_tables_active chameleon_init_tables_done
  chameleon_init_tables_failed chameleon_source_consistent chameleon_source_errors_total
  chameleon_source_last_read_timestamp_seconds chameleon_source_last_replay_timestamp_seconds
  chameleon_source_read_lag_seconds chameleon_source_reader_running
  chameleon_source_replay_behind chameleon_source_replay_lag_seconds
  chameleon_source_replay_running chameleon_source_replayed_ddl_total
  chameleon_source_replayed_rows_total chameleon_source_skipped_rows_total
  chameleon_source_tables_disabled chameleon_source_tables_replicated chameleon_status);
my %seen;
foreach my $x (grep { $_->{name} =~ /^chameleon_/ } @{ $s->{series} })
{
	my $labels = join(',', sort keys %{ $x->{labels} });
	$seen{"$x->{name}\{$labels\}"}++ if ($x->{labels}{source} // '') eq 'shop';
}
is_deeply(
	[ sort keys %seen ],
	[ sort map { $_ eq 'chameleon_status' ? "$_\{server,source,state\}" : "$_\{server,source\}" } @names ],
	'every metric exists, labelled with source (and the exporter\'s server label)');
is_deeply(
	{ map { $_ => $s->{types}{$_} } @names },
	{ map { $_ => (/_total$/ ? 'counter' : 'gauge') } @names },
	'the *_total series are counters, the others gauges');

my %st = status_row();
is_deeply(
	{ map { $_ => value($s, "chameleon_source_$_") } qw(consistent read_lag_seconds replay_lag_seconds
		  replay_behind tables_replicated tables_disabled errors_total reader_running replay_running) },
	{ consistent => 1, read_lag_seconds => 0, replay_lag_seconds => 0, replay_behind => 0,
	  tables_replicated => 3, tables_disabled => 0, errors_total => 0, reader_running => 1,
	  replay_running => 1 },
	'caught up: consistent, both lags 0 (present, not absent), 3 tables, no error, both workers');
is_deeply(
	{ map { $_ => value($s, "chameleon_source_${_}_total") } qw(replayed_rows replayed_ddl skipped_rows) },
	{ map { $_ => $st{$_} } qw(replayed_rows replayed_ddl skipped_rows) },
	'the counters are those of show_status');
my $init = $node->safe_psql('postgres', q{SELECT count(*), count(*) FILTER (WHERE state = 'done'),
	sum(rows_copied), sum(rows_estimated) FROM chameleon.init_progress});
is( join('|', map { value($s, "chameleon_init_$_") } qw(tables tables_done rows_copied rows_estimated))
	  . '|' . value($s, 'chameleon_init_tables_active') . '|' . value($s, 'chameleon_init_tables_failed'),
	"$init|0|0", 'the initial copy: tables done / total and rows copied / estimated as in init_progress');
is(value($s, 'chameleon_init_rows_copied'), 310, 'the initial copy copied every row');

# The reader commits its position every few seconds while MySQL is idle:
# last_read is the reader's heartbeat.
my $last_read = value($s, 'chameleon_source_last_read_timestamp_seconds');
ok(abs($last_read - time) < 60, 'last_read is a recent Unix time');
ok(!poll_scrape(sub { value($_[0], 'chameleon_source_last_read_timestamp_seconds') > $last_read },
		'last_read moves')->{timed_out},
	'last_read moves forward while MySQL is idle');

# Replayed rows follow new changes.
my $replayed = value($s, 'chameleon_source_replayed_rows_total');
$m->sql('UPDATE shop.orders SET qty = 2 WHERE id <= 50');
ok( !poll_scrape(sub { value($_[0], 'chameleon_source_replayed_rows_total') == $replayed + 50 },
		'50 more rows replayed')->{timed_out},
	'chameleon_source_replayed_rows_total rises by the 50 changed rows');
$replayed += 50;

# Lags.  A session holds shop.orders locked and a big transaction (more
# rows than replica_batch_size) writes to it: while the reader logs it
# batch by batch, both lags are above 0 and the replay, woken by each batch,
# records the oldest pending change; then it waits on the lock with the
# whole transaction pending, and replay_lag keeps rising.  A writer then
# streams single-row transactions, which the reader logs behind it: read_lag
# is above 0 whenever the reader is reading such a stream.
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE shop.orders IN ACCESS EXCLUSIVE MODE');
$m->sql('INSERT INTO orders SELECT 10000 + seq, 3 FROM seq_1_to_20000', db => 'shop');
my $writer = IPC::Run::start(
	[ 'perl', '-e', 'for my $i (1 .. 200000) { print "INSERT INTO ticks (note) VALUES (\x27stream\x27);\n" }' ],
	'|', [ 'mariadb', '--no-defaults', '--protocol=SOCKET', '-S', $m->socket, '-u', 'root', 'shop' ],
	'>', \my $wout, '2>', \my $werr);
my ($max_read_lag, $max_replay_lag) = (0, 0);
poll_scrape(
	sub {
		my $r = value($_[0], 'chameleon_source_read_lag_seconds');
		my $p = value($_[0], 'chameleon_source_replay_lag_seconds');
		$max_read_lag = $r if $r > $max_read_lag;
		$max_replay_lag = $p if $p > $max_replay_lag;
		return $max_read_lag > 0 && $max_replay_lag > 0;
	},
	'both lags above 0');
$writer->kill_kill(grace => 5);
ok($max_read_lag > 0, "read lag rose above 0 while the reader read changes ($max_read_lag s)");
ok($max_replay_lag > 0, "replay lag rose above 0 while the replay waited on the lock ($max_replay_lag s)");
$s = poll_scrape(
	sub {
		value($_[0], 'chameleon_source_read_lag_seconds') == 0
		  && value($_[0], 'chameleon_source_replay_lag_seconds') > $max_replay_lag + 1;
	},
	'read lag back to 0, replay lag growing');
ok(value($s, 'chameleon_source_replay_lag_seconds') > $max_replay_lag + 1,
	'once everything is read, read lag is back to 0 while the blocked replay\'s lag keeps rising');
is( value($s, 'chameleon_source_replay_behind') . '|' . value($s, 'chameleon_source_replayed_rows_total'),
	"1|$replayed", 'meanwhile the replay is behind the read position and replays nothing');

$locker->query_safe('COMMIT');
$locker->quit;
my $ticks;
$s = poll_scrape(
	sub {
		# (re-read: the killed writer's last insert may commit late)
		$ticks = $m->sql('SELECT count(*) FROM shop.ticks');
		value($_[0], 'chameleon_source_replay_lag_seconds') == 0
		  && value($_[0], 'chameleon_source_replay_behind') == 0
		  && value($_[0], 'chameleon_source_replayed_rows_total') == $replayed + 20000 + $ticks;
	},
	'caught up after the lock');
is( join('|', map { value($s, "chameleon_source_$_") } qw(read_lag_seconds replay_lag_seconds replay_behind replayed_rows_total)),
	join('|', 0, 0, 0, $replayed + 20000 + $ticks),
	"lock released: both lags back to 0 and every row replayed (20000 orders, $ticks streamed)");
%st = status_row();
is(value($s, 'chameleon_source_replayed_rows_total'), $st{replayed_rows}, 'as show_status counts them');

# A change PostgreSQL refuses disables its table (on_error_replay: continue).
$node->safe_psql('postgres', 'ALTER TABLE shop.audit ADD CONSTRAINT audit_n_positive CHECK (n > 0)');
$m->sql('INSERT INTO shop.audit VALUES (100, -1)');
$s = poll_scrape(sub { value($_[0], 'chameleon_source_tables_disabled') == 1 }, 'a table disabled');
is( join('|', map { value($s, "chameleon_source_$_") } qw(tables_disabled tables_replicated errors_total))
	  . '|' . value($s, 'chameleon_status', state => 'running'),
	'1|2|1|1', 'a failing change: tables_disabled 1, tables_replicated 2, errors_total 1, still running');
is(value($s, 'chameleon_source_errors_total'),
	$node->safe_psql('postgres', "SELECT count(*) FROM chameleon.show_errors WHERE source_name = 'shop'"),
	'errors_total is the count of show_errors');

# stop_replica: the state and the workers follow.
$node->safe_psql('postgres', "SELECT chameleon.stop_replica('shop')");
$s = poll_scrape(
	sub {
		value($_[0], 'chameleon_status', state => 'stopped') == 1
		  && value($_[0], 'chameleon_source_reader_running') == 0
		  && value($_[0], 'chameleon_source_replay_running') == 0;
	},
	'stopped, no workers');
is( join('|', value($s, 'chameleon_status', state => 'running'), value($s, 'chameleon_status', state => 'stopped'),
		value($s, 'chameleon_source_reader_running'), value($s, 'chameleon_source_replay_running')),
	'0|1|0|0', 'stop_replica: state stopped, no reader, no replay');

# The alert rules.
SKIP:
{
	my ($promtool) = grep { -x $_ } map { "$_/promtool" } split(/:/, $ENV{PATH} // ''), '/usr/bin';
	skip 'promtool is not installed', 2 unless $promtool;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ $promtool, 'check', 'rules', "$monitoring/chameleon-alerts.yml" ],
		'>', \$out, '2>', \$err);
	ok($ok && $out =~ /SUCCESS/, 'promtool check rules accepts chameleon-alerts.yml') or diag("$out$err");
	($out, $err) = ('', '');
	$ok = IPC::Run::run([ $promtool, 'test', 'rules', "$monitoring/chameleon-alerts.test.yml" ],
		'>', \$out, '2>', \$err);
	ok($ok && $out =~ /SUCCESS/, 'promtool test rules: the alert unit tests pass') or diag("$out$err");
}

$exporter->kill_kill(grace => 5);
undef $exporter;
$node->stop('fast');
done_testing();

# Starts the exporter on a free port of 127.0.0.1, connected to the node's
# Unix socket as "monitor", with the default collectors off; waits until it
# answers.
sub start_exporter
{
	my $log = "$PostgreSQL::Test::Utils::log_path/exporter.log";
	for my $attempt (1 .. 3)
	{
		my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
		  or die "no free port: $!";
		$exporter_port = $probe->sockport;
		close($probe);
		local $ENV{DATA_SOURCE_NAME} = 'host=' . $node->host . ' port=' . $node->port
		  . ' user=monitor dbname=postgres sslmode=disable';
		$exporter = IPC::Run::start(
			[ $exporter_bin, "--web.listen-address=127.0.0.1:$exporter_port",
			  "--extend.query-path=$monitoring/postgres_exporter.yml",
			  '--disable-default-metrics', '--disable-settings-metrics',
			  '--no-collector.database', '--no-collector.bgwriter', '--log.level=warn' ],
			'<', \undef, '>>', $log, '2>>', $log);
		my $deadline = time + 30;
		while (time < $deadline)
		{
			return if $http->get("http://127.0.0.1:$exporter_port/")->{success};
			last unless $exporter->pumpable;
			usleep(100_000);
		}
		$exporter->kill_kill(grace => 5);
		undef $exporter;
	}
	BAIL_OUT("prometheus-postgres-exporter did not start; see $log");
}

# One scrape of /metrics: {series => [{name, labels, value}], types => {name => type}}.
sub scrape
{
	my $r = $http->get("http://127.0.0.1:$exporter_port/metrics");
	die "scrape failed: $r->{status} $r->{reason}\n" unless $r->{success};
	my (@series, %types);
	foreach my $line (split(/\n/, $r->{content}))
	{
		if ($line =~ /^# TYPE (\S+) (\S+)/)
		{
			$types{$1} = $2;
			next;
		}
		next if $line =~ /^#/ || $line !~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
		my ($name, $labels, $value) = ($1, $2 // '', $3);
		my %l;
		$l{$1} = $2 while $labels =~ /(\w+)="((?:[^"\\]|\\.)*)"/g;
		push @series, { name => $name, labels => \%l, value => $value + 0 };
	}
	return { series => \@series, types => \%types };
}

# The series of a scrape named $name whose labels include %want (and
# source="shop" for chameleon series unless given).
sub series
{
	my ($s, $name, %want) = @_;
	$want{source} //= 'shop' if $name =~ /^chameleon_/;
	return grep {
		my $x = $_;
		$x->{name} eq $name && !grep { ($x->{labels}{$_} // '') ne $want{$_} } keys %want
	} @{ $s->{series} };
}

# The value of the one series matching, or undef.
sub value
{
	my @m = series(@_);
	return @m == 1 ? $m[0]{value} : undef;
}

# Scrapes until $check->($scrape) is true (at most 90 s); returns the last
# scrape, marked {timed_out} (with a diagnostic) when it never was.
sub poll_scrape
{
	my ($check, $what) = @_;
	my $deadline = time + 90;
	my $s;
	while (time < $deadline)
	{
		$s = scrape();
		my $ok = eval { no warnings 'uninitialized'; $check->($s) };
		return $s if $ok;
		usleep(100_000);
	}
	diag("timed out waiting for: $what; last scrape:\n" . join("\n",
			map {
				my $x = $_;
				"$x->{name}\{" . join(',', map { "$_=\"$x->{labels}{$_}\"" } sort keys %{ $x->{labels} })
				  . "\} $x->{value}"
			} grep { $_->{name} =~ /^chameleon_/ } @{ $s->{series} }));
	$s->{timed_out} = 1;
	return $s;
}

# show_status of the source as a hash.
sub status_row
{
	my $row = $node->safe_psql('postgres',
		"SELECT replayed_rows, replayed_ddl, skipped_rows FROM chameleon.show_status WHERE source_name = 'shop'");
	my %h;
	@h{qw(replayed_rows replayed_ddl skipped_rows)} = split(/\|/, $row);
	return %h;
}
