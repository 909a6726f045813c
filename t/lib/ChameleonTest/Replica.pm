
# Copyright (c) chameleon developers

=pod

=head1 NAME

ChameleonTest::Replica - a MariaDB source replicated into a chameleon node

=head1 SYNOPSIS

  use ChameleonTest::Replica qw(poll_until db_conn mariadb_rows pg_rows);

  # creates the replication user on $m if it is missing, add_source,
  # init_replica (a test), start_replica and both workers up (a test)
  my $r = ChameleonTest::Replica->new($node, $m, 'bank',
      schema_mappings => { bank => 'bank' },      # or a YAML flow string
      config          => [ 'skip_tables: [bank.ignored]', 'sleep_loop: 1' ],
      database        => 'postgres',              # default
      user            => 'repl', password => 'repl-pw',   # defaults
      init            => 1,                       # default off
      start           => 1);                      # default off

  # a source that exists already (e.g. on a node started again)
  my $same = ChameleonTest::Replica->existing($node2, $m, 'bank');

  $r->init_replica;                  # ok(): init_replica(wait => true) succeeded
  $r->start_replica;                 # ok(): both workers run
  $r->stop_replica;                  # ok(): no worker runs
  $r->workers_up(except => [$pid]);  # true once both run (none of these pids)
  $r->workers_up(role => 'replay');  # the replay only
  $r->workers_down;                  # true once neither runs
  my $pid = $r->worker_pid('reader');    # undef when not running
  $r->wait_caught_up('after the load', timeout => '120 s');  # is(..., 't')
  my $done = $r->caught_up('1 s');   # the same without a test
  $r->psql('SELECT ...');            # safe_psql in the source's database
  $r->same_result($pg_sql, $mariadb_sql, 'same totals', db => 'bank');
  $r->same_rows('bank', 'account', 'account identical');

  ok(poll_until(sub { $m->sql('SELECT 1') eq '1' }, timeout => 30,
      name => 'MariaDB answers'), 'MariaDB answers');
  my $yaml = db_conn($m);            # db_conn: {host: ..., port: ..., ...}

=head1 DESCRIPTION

The lines every replication test used to copy: the replication user on the
MariaDB server, C<chameleon.add_source> with its C<db_conn> block,
C<init_replica(..., wait =E<gt> true)>, C<start_replica> and "both workers
up" (C<pg_stat_activity> backend types C<chameleon reader SOURCE> and
C<chameleon replay SOURCE>), C<wait_caught_up> asserted true, and the
comparison of a table between both sides.

=head1 CONSTRUCTOR

=over

=item new($node, $mariadb, $source, %opts)

C<$node> is a C<PostgreSQL::Test::Cluster> with the extension created in
C<database>; C<$mariadb> a started C<ChameleonTest::MariaDB>.  Creates
C<user> on the MariaDB server (C<create_user>: replication privileges)
unless an account of that name exists, then adds the source with
C<db_conn> (127.0.0.1, the server's port, C<user>, C<password>),
C<schema_mappings> and the C<config> lines (a string or a list of YAML
lines).  With C<init> it runs C<init_replica> (see below), with C<start>
C<start_replica>.

=item existing($node, $mariadb, $source, %opts)

The object for a source that exists already in C<$node> (C<database>):
nothing is created.

=back

=head1 METHODS

=over

=item init_replica(%opts)

C<init_replica(source, wait =E<gt> true)>, recorded as a test (the error as
diagnostics); returns true when it succeeded.  C<name> gives the test name.

=item start_replica(%opts), stop_replica(%opts)

Start (stop) the source and record as a test that both workers run (that
neither does).  C<name> gives the test name.

=item workers_up(%opts), workers_down

Poll (C<poll_query_until>) until both workers of the source run, or until
neither does; return true or false, record no test.  C<role> (C<reader> or
C<replay>) waits for that one only; C<except> (a list of pids) also waits
until none of these pids is in C<pg_stat_activity> (workers that were
killed and must be replaced).

=item worker_pid($role)

The pid of the C<reader> or C<replay> worker of the source, or undef.

=item wait_caught_up($name, %opts), caught_up($timeout)

C<chameleon.wait_caught_up(source, timeout)> (default C<60 s>):
C<wait_caught_up> records a test that it returned true, C<caught_up>
only returns the result.

=item same_result($pg_sql, $mariadb_sql, $name, %mariadb_opts)

Runs one query on each side and records a test that the outputs are equal,
MariaDB's tab-separated columns read as psql's C<|>.  C<%mariadb_opts> go
to C<ChameleonTest::MariaDB::sql> (e.g. C<db>).

=item same_rows($schema, $table, $name, %opts)

Records a test that the table has the same rows on both sides: every
column as text (C<NULL> as C<E<lt>nullE<gt>>), rows sorted (C<mariadb_rows>,
C<pg_rows>).  C<pg_schema> names the PostgreSQL schema (default the same),
C<mariadb> another server holding the table.

=item node, mariadb, source, database, source_id, status, psql($sql)

Accessors (C<status> is the source's state now); C<psql> is C<safe_psql>
in the source's database.

=back

=head1 FUNCTIONS

=over

=item poll_until($code, %opts)

Calls C<$code> until it returns true (then returns 1) or until C<timeout>
seconds (default 60) have passed (then returns 0, with a diagnostic naming
C<name> when given).  C<interval> seconds between calls (default 0.1; 0
for code that waits by itself).  For everything that is not one SQL query
on the node (that is C<poll_query_until>).

=item db_conn($mariadb, %opts)

The C<db_conn> YAML line for a MariaDB server (C<user>, C<password>).

=item mariadb_rows($mariadb, $schema, $table), pg_rows($node, $schema, $table, $database)

The rows of a table as sorted lines, columns joined by C<|> in their
order, each as text, C<NULL> as C<E<lt>nullE<gt>>.

=back

=cut

package ChameleonTest::Replica;

use strict;
use warnings;

use Carp;
use Exporter 'import';
use Test::More;
use Time::HiRes qw(time usleep);

our @EXPORT_OK = qw(poll_until db_conn mariadb_rows pg_rows);

my $DEFAULT_USER = 'repl';
my $DEFAULT_PASSWORD = 'repl-pw';

# Calls $code until it returns true or the timeout passes.
sub poll_until
{
	my ($code, %o) = @_;
	my $timeout = $o{timeout} // 60;
	my $interval = $o{interval} // 0.1;
	my $deadline = time + $timeout;
	while (1)
	{
		return 1 if $code->();
		last if time >= $deadline;
		usleep(int($interval * 1_000_000)) if $interval > 0;
	}
	diag("poll_until: \"$o{name}\" still false after $timeout s") if defined $o{name};
	return 0;
}

# A YAML flow value: plain when safe, single-quoted otherwise.
sub _yaml_scalar
{
	my ($s) = @_;
	return $s if $s =~ /^[A-Za-z0-9_.\/-]+$/ && $s !~ /^[-.]/;
	$s =~ s/'/''/g;
	return "'$s'";
}

# The db_conn line of a source reading from $m.
sub db_conn
{
	my ($m, %o) = @_;
	return sprintf('db_conn: {host: %s, port: %d, user: %s, password: %s}',
		$m->host, $m->port, _yaml_scalar($o{user} // $DEFAULT_USER),
		_yaml_scalar($o{password} // $DEFAULT_PASSWORD));
}

sub new
{
	my ($class, $node, $m, $source, %o) = @_;
	my %known = map { $_ => 1 } qw(schema_mappings config database user password init start);
	foreach my $k (keys %o)
	{
		croak "unknown option \"$k\" for ChameleonTest::Replica->new" unless $known{$k};
	}
	croak 'schema_mappings is required' unless defined $o{schema_mappings};
	my $self = $class->existing($node, $m, $source, database => $o{database});

	my $user = $o{user} // $DEFAULT_USER;
	my $password = $o{password} // $DEFAULT_PASSWORD;
	(my $qu = $user) =~ s/'/''/g;
	$m->create_user($user, $password)
	  if $m->sql("SELECT count(*) FROM mysql.user WHERE user = '$qu'") eq '0';

	my $maps = $o{schema_mappings};
	$maps = '{' . join(', ', map { _yaml_scalar($_) . ': ' . _yaml_scalar($maps->{$_}) } sort keys %$maps) . '}'
	  if ref $maps;
	my @extra = !defined $o{config} ? () : ref $o{config} ? @{ $o{config} } : ($o{config});
	my $config = join("\n", db_conn($m, user => $user, password => $password),
		"schema_mappings: $maps", @extra) . "\n";
	$self->psql('SELECT chameleon.add_source(' . _lit($source) . ', ' . _lit($config) . ')');

	$self->init_replica if $o{init};
	$self->start_replica if $o{start};
	return $self;
}

sub existing
{
	my ($class, $node, $m, $source, %o) = @_;
	return bless {
		node     => $node,
		mariadb  => $m,
		source   => $source,
		database => $o{database} // 'postgres',
	}, $class;
}

sub node     { return $_[0]->{node}; }
sub mariadb  { return $_[0]->{mariadb}; }
sub source   { return $_[0]->{source}; }
sub database { return $_[0]->{database}; }

# safe_psql in the source's database.
sub psql
{
	my ($self, $sql) = @_;
	return $self->{node}->safe_psql($self->{database}, $sql);
}

sub source_id
{
	my ($self) = @_;
	$self->{source_id} //= $self->psql(
		'SELECT source_id FROM chameleon.source WHERE source_name = ' . _lit($self->{source}));
	return $self->{source_id};
}

# An SQL string literal.
sub _lit
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

sub init_replica
{
	my ($self, %o) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($rc, $out, $err) = $self->{node}->psql($self->{database},
		'SELECT chameleon.init_replica(' . _lit($self->{source}) . ', wait => true)');
	my $ok = ok($rc == 0, $o{name} // "init_replica('$self->{source}') succeeds");
	diag($err) unless $ok;
	return $ok;
}

sub start_replica
{
	my ($self, %o) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$self->psql('SELECT chameleon.start_replica(' . _lit($self->{source}) . ')');
	return ok($self->workers_up, $o{name} // "start_replica('$self->{source}'): the reader and the replay run");
}

sub stop_replica
{
	my ($self, %o) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$self->psql('SELECT chameleon.stop_replica(' . _lit($self->{source}) . ')');
	return ok($self->workers_down, $o{name} // "stop_replica('$self->{source}'): no worker runs");
}

# The backend types of the source's workers (all, or one role).
sub _types
{
	my ($self, $role) = @_;
	my @roles = defined $role ? ($role) : qw(reader replay);
	return join(', ', map { _lit("chameleon $_ $self->{source}") } @roles);
}

sub workers_up
{
	my ($self, %o) = @_;
	my $n = defined $o{role} ? 1 : 2;
	my $sql = "SELECT count(*) = $n FROM pg_stat_activity WHERE backend_type IN (" . $self->_types($o{role}) . ')';
	my @except = grep { defined && /^\d+$/ } @{ $o{except} // [] };
	$sql .= ' AND NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid IN (' . join(', ', @except) . '))'
	  if @except;
	return $self->{node}->poll_query_until($self->{database}, $sql);
}

sub workers_down
{
	my ($self) = @_;
	return $self->{node}->poll_query_until($self->{database},
		'SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type IN (' . $self->_types . ')');
}

sub worker_pid
{
	my ($self, $role) = @_;
	croak "worker_pid: role is reader or replay" unless ($role // '') =~ /^(reader|replay)$/;
	my ($rc, $out) = $self->{node}->psql($self->{database},
		'SELECT pid FROM pg_stat_activity WHERE backend_type = ' . $self->_types($role));
	return ($rc == 0 && $out =~ /^(\d+)$/) ? $1 : undef;
}

sub status
{
	my ($self) = @_;
	return $self->psql('SELECT status FROM chameleon.source WHERE source_name = ' . _lit($self->{source}));
}

# chameleon.wait_caught_up: true or false, no test.
sub caught_up
{
	my ($self, $timeout) = @_;
	return $self->psql('SELECT chameleon.wait_caught_up(' . _lit($self->{source}) . ', '
		  . _lit($timeout // '60 s') . ')') eq 't';
}

sub wait_caught_up
{
	my ($self, $name, %o) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $ok = ok($self->caught_up($o{timeout}), $name // "$self->{source}: wait_caught_up returns true");
	diag('show_status: ' . $self->psql('SELECT status, read_position, replay_position, last_error'
			  . ' FROM chameleon.show_status WHERE source_name = ' . _lit($self->{source})))
	  unless $ok;
	return $ok;
}

sub same_result
{
	my ($self, $pg_sql, $my_sql, $name, %my_opts) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $mine = join("\n", map { join('|', split(/\t/, $_, -1)) } split(/\n/, $self->{mariadb}->sql($my_sql, %my_opts)));
	return is($self->psql($pg_sql), $mine, $name);
}

sub same_rows
{
	my ($self, $schema, $table, $name, %o) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return is(pg_rows($self->{node}, $o{pg_schema} // $schema, $table, $self->{database}),
		mariadb_rows($o{mariadb} // $self->{mariadb}, $schema, $table), $name);
}

# The rows of a MariaDB table as sorted text lines, NULL shown as <null>.
sub mariadb_rows
{
	my ($m, $schema, $table) = @_;
	(my $qt = $table) =~ s/\\/\\\\/g;
	$qt =~ s/'/''/g;
	(my $qs = $schema) =~ s/'/''/g;
	my @cols = split(/\n/, $m->sql("SELECT column_name FROM information_schema.columns"
		  . " WHERE table_schema = '$qs' AND table_name = '$qt' ORDER BY ordinal_position"));
	croak "MariaDB table $schema.$table has no columns" unless @cols;
	my $expr = join(", '|', ", map { "coalesce(cast(`" . ($_ =~ s/`/``/gr) . "` AS char), '<null>')" } @cols);
	my $out = $m->sql("SELECT concat($expr) FROM `" . ($schema =~ s/`/``/gr) . '`.`' . ($table =~ s/`/``/gr) . '`',
		raw => 1);
	return join("\n", sort split(/\n/, $out));
}

# The rows of a PostgreSQL table as sorted text lines, NULL shown as <null>.
sub pg_rows
{
	my ($node, $schema, $table, $database) = @_;
	$database //= 'postgres';
	my $rel = join('.', map { '"' . ($_ =~ s/"/""/gr) . '"' } $schema, $table);
	my @cols = split(/\n/, $node->safe_psql($database, "SELECT attname FROM pg_attribute WHERE attrelid = "
		  . _lit($rel) . "::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum"));
	my $expr = join(" || '|' || ", map { "coalesce(\"" . ($_ =~ s/"/""/gr) . "\"::text, '<null>')" } @cols);
	return join("\n", sort split(/\n/, $node->safe_psql($database, "SELECT $expr FROM $rel")));
}

1;
