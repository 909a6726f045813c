
# Copyright (c) chameleon developers

=pod

=head1 NAME

ChameleonTest::MariaDB - a throwaway MariaDB server for chameleon's TAP tests

=head1 SYNOPSIS

  use ChameleonTest::MariaDB;

  my $m = ChameleonTest::MariaDB->new(
      binlog_row_image    => 'MINIMAL',   # FULL (default), MINIMAL, NOBLOB
      binlog_row_metadata => 'FULL',      # FULL (default), MINIMAL, NO_LOG
      log_bin_compress    => 1,           # default off
      server_id           => 7,           # default 1
      gtid_domain_id      => 0,           # default 0
      gtid_strict_mode    => 1,           # default off
      extra               => [ 'max_allowed_packet = 64M' ],
  );
  $m->start;

  my $port = $m->port;                    # TCP port on $m->host (127.0.0.1)
  $m->sql('CREATE DATABASE d');
  $m->sql('CREATE TABLE t (i int primary key)', db => 'd');
  my $n = $m->sql('SELECT count(*) FROM t', db => 'd');   # "0"
  $m->create_user('repl', 'secret');       # replication user, '%'
  my ($file, $pos) = $m->current_position;
  my @files = $m->binlog_files;            # absolute paths, oldest first
  $m->restart;                             # same port, same data
  $m->kill9;                               # crash it (start() works again)
  $m->stop;                                # also done automatically at exit

=head1 DESCRIPTION

Each object owns one mariadbd process listening on 127.0.0.1 on a free port,
with its own data directory, binary logs, socket and error log inside a
temporary directory.  The server always runs with C<log_bin> and
C<binlog_format=ROW>.  Its configuration is written to F<my.cnf> in the
temporary directory and passed with C<--defaults-file>, so the system's
option files (F</etc/mysql>, F<~/.my.cnf>) are never read; the clients the
module runs use C<--no-defaults>.

The server is stopped, and the temporary directory removed, when the object
is destroyed, at the end of the test script (also when it dies), and on
SIGINT/SIGTERM.  Set C<CHAMELEON_KEEP_TMP=1> to keep the directory for
inspection.  If the test script failed, the tail of each server's error log
is printed with C<diag>.

It works as root (C<mariadbd --user=mysql>, files owned by C<mysql>) and as an
unprivileged user (the server runs as that user).

=head1 CONSTRUCTOR OPTIONS

=over

=item binlog_row_image, binlog_row_metadata

Server variables of the same name (defaults FULL and FULL).

=item log_bin_compress

True to compress binlog events (MariaDB zlib-compressed events).  With
C<log_bin_compress_min_len> (default 10) as the threshold.

=item server_id, gtid_domain_id, gtid_strict_mode, binlog_checksum

Server variables (defaults 1, 0, off, CRC32).

=item extra

A string or a list of lines appended to the C<[mariadbd]> section of
F<my.cnf>, e.g. C<< extra => ['max_binlog_size = 1M'] >>.

=item start_timeout

Seconds to wait for the server to accept connections (default 120).

=item name

A short name used in the temporary directory and in messages.

=back

=head1 METHODS

=over

=item start, stop, restart, kill9

C<start> creates the data directory on first use (C<mariadb-install-db>),
starts the server and waits until it answers a query; it dies with the tail
of the error log when it does not.  C<stop> shuts it down (SIGTERM, waiting
up to 60 s, then SIGKILL).  C<restart> is C<stop> + C<start> on the same
port and data.  C<kill9> sends SIGKILL and reaps the process.  C<is_running>
tells whether the process is alive.

=item host, port, socket, pid, datadir, binlog_dir, basedir, error_log

Where things are.  C<basedir> is the temporary directory holding the rest.

=item sql($sql, %opts)

Runs C<$sql> (any number of statements) with the C<mariadb> client over the
socket as root, or over TCP when C<user> is given.  Returns standard output
(tab-separated rows, no column names, without the final newline).  Dies with
the client's error message on failure.  Options: C<db>, C<user>,
C<password>, C<raw> (pass C<--raw>: no escaping of special characters in
values), C<column_names> (print them).

=item sql_ok($sql, $test_name, %opts)

Like C<sql> but records a test (Test::More C<ok>); returns the output or
undef.

=item sql_error($sql, %opts)

Runs C<$sql> and returns the client's error message, or undef if it
succeeded.

=item create_user($user, $password, %opts)

Removes the anonymous accounts (they would shadow C<user@'%'> for
connections from localhost), then creates C<$user@'%'> with REPLICATION
SLAVE, REPLICATION CLIENT (BINLOG MONITOR), RELOAD, SELECT, SHOW VIEW,
PROCESS, LOCK TABLES, SLAVE MONITOR on C<*.*>.  C<< all => 1 >> grants
ALL PRIVILEGES instead (e.g. for sysbench); C<< grants => '...' >> gives a
custom privilege list.

=item current_position

Returns C<($file, $pos)> from C<SHOW MASTER STATUS> (file name without
directory).

=item current_gtid

Returns C<@@global.gtid_binlog_pos>, e.g. C<0-1-42> (empty before the first
transaction).

=item binlog_files

Returns the absolute paths of the binary log files, oldest first, read from
the index file.  Call C<flush_binlogs> first if you need the current file
closed.

=item flush_binlogs

C<FLUSH BINARY LOGS>: closes the current binlog file and opens a new one.

=back

=cut

package ChameleonTest::MariaDB;

use strict;
use warnings;

use Carp;
use Cwd qw(abs_path);
use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IPC::Run;
use POSIX qw(:sys_wait_h);
use Scalar::Util qw(weaken);
use Time::HiRes qw(usleep time);

our $VERSION = '1.0';

# Every live instance, weakly referenced, so that END can stop them.
my @instances;

# Ports handed out by this process, so two instances never get the same one.
my %ports_used;

# Stop every server still running when the script ends, whatever the reason.
END
{
	my $exit_code = $?;
	my $failed = $exit_code != 0;
	if (!$failed && $INC{'Test/More.pm'})
	{
		my $tb = Test::More->builder;
		$failed = !$tb->is_passing;
	}
	foreach my $m (@instances)
	{
		next unless defined $m;
		$m->_diag_log_tail if $failed;
		$m->_teardown;
	}
	@instances = ();
	$? = $exit_code;
}

# A test interrupted by a signal still runs END (and so stops the servers).
foreach my $sig (qw(INT TERM HUP))
{
	next if defined $SIG{$sig} && $SIG{$sig} ne '' && $SIG{$sig} ne 'DEFAULT';
	$SIG{$sig} = sub { die "killed by SIG$sig\n"; };
}

# Find the server binaries; Debian installs mariadbd in /usr/sbin.
sub _find_program
{
	my ($name) = @_;
	foreach my $dir (split(/:/, $ENV{PATH} // ''), '/usr/sbin', '/usr/bin')
	{
		return "$dir/$name" if $dir ne '' && -x "$dir/$name";
	}
	croak "cannot find program \"$name\" (is mariadb-server installed?)";
}

# A TCP port on 127.0.0.1 nobody is listening on right now.
sub _free_port
{
	for (my $try = 0; $try < 200; $try++)
	{
		my $port = 20000 + int(rand(30000));
		next if $ports_used{$port};
		my $sock = IO::Socket::INET->new(
			LocalAddr => '127.0.0.1',
			LocalPort => $port,
			Proto     => 'tcp',
			ReuseAddr => 0,
			Listen    => 1);
		next unless $sock;
		close($sock);
		$ports_used{$port} = 1;
		return $port;
	}
	croak "no free TCP port found on 127.0.0.1";
}

# Build an instance; nothing runs until start().
sub new
{
	my ($class, %opts) = @_;
	my %known = map { $_ => 1 } qw(binlog_row_image binlog_row_metadata
	  log_bin_compress log_bin_compress_min_len server_id gtid_domain_id
	  gtid_strict_mode binlog_checksum extra start_timeout name);
	foreach my $k (keys %opts)
	{
		croak "unknown option \"$k\" for ChameleonTest::MariaDB->new"
		  unless $known{$k};
	}
	my $name = $opts{name} // 'mariadb';
	$name =~ s/[^A-Za-z0-9_]/_/g;

	# A short base directory: the socket path must stay under 108 bytes.
	my $tmproot = $ENV{TMPDIR} // '/tmp';
	$tmproot = '/tmp' if length($tmproot) > 40 || !-d $tmproot;
	my $base = tempdir("chameleon_${name}_XXXXXX", DIR => $tmproot);
	$base = abs_path($base);

	my $self = bless {
		name      => $name,
		base      => $base,
		datadir   => "$base/data",
		binlogdir => "$base/binlog",
		tmpdir    => "$base/tmp",
		socket    => "$base/mysqld.sock",
		pidfile   => "$base/mysqld.pid",
		errlog    => "$base/error.log",
		cnf       => "$base/my.cnf",
		host      => '127.0.0.1',
		port      => undef,
		pid       => undef,
		as_root   => ($> == 0),
		owner_pid => $$,
		opts      => {
			binlog_row_image         => 'FULL',
			binlog_row_metadata      => 'FULL',
			log_bin_compress         => 0,
			log_bin_compress_min_len => 10,
			server_id                => 1,
			gtid_domain_id           => 0,
			gtid_strict_mode         => 0,
			binlog_checksum          => 'CRC32',
			start_timeout            => 120,
			extra                    => [],
			%opts,
		},
	}, $class;
	push @instances, $self;
	weaken($instances[-1]);
	return $self;
}

sub host       { return $_[0]->{host}; }
sub port       { return $_[0]->{port}; }
sub socket     { return $_[0]->{socket}; }
sub pid        { return $_[0]->{pid}; }
sub datadir    { return $_[0]->{datadir}; }
sub binlog_dir { return $_[0]->{binlogdir}; }
sub basedir    { return $_[0]->{base}; }
sub error_log  { return $_[0]->{errlog}; }

# Give the directory tree to the mysql account when we run as root.
sub _chown_mysql
{
	my ($self, @paths) = @_;
	return unless $self->{as_root};
	my (undef, undef, $uid, $gid) = getpwnam('mysql')
	  or croak "running as root but there is no \"mysql\" account";
	IPC::Run::run([ 'chown', '-R', "$uid:$gid", @paths ])
	  or croak "chown of @paths failed";
}

# Write my.cnf for the server from the options.
sub _write_cnf
{
	my ($self) = @_;
	my $o = $self->{opts};
	my $extra = ref($o->{extra}) ? join("\n", @{ $o->{extra} }) : $o->{extra};
	my $cnf = <<"EOF";
# written by ChameleonTest::MariaDB
[mariadbd]
datadir = $self->{datadir}
socket = $self->{socket}
pid-file = $self->{pidfile}
tmpdir = $self->{tmpdir}
log-error = $self->{errlog}
port = $self->{port}
bind-address = 127.0.0.1
skip-name-resolve
server-id = $o->{server_id}
log-bin = $self->{binlogdir}/mysql-bin
log-bin-index = $self->{binlogdir}/mysql-bin.index
binlog-format = ROW
binlog-row-image = $o->{binlog_row_image}
binlog-row-metadata = $o->{binlog_row_metadata}
binlog-checksum = $o->{binlog_checksum}
log-bin-compress = @{[ $o->{log_bin_compress} ? 'ON' : 'OFF' ]}
log-bin-compress-min-len = $o->{log_bin_compress_min_len}
gtid-domain-id = $o->{gtid_domain_id}
gtid-strict-mode = @{[ $o->{gtid_strict_mode} ? 'ON' : 'OFF' ]}
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
max-allowed-packet = 64M
max-connections = 60
performance-schema = OFF
innodb-buffer-pool-size = 32M
innodb-log-file-size = 32M
innodb-flush-log-at-trx-commit = 2
innodb-doublewrite = 0
sync-binlog = 0
key-buffer-size = 1M
$extra
EOF
	open(my $fh, '>', $self->{cnf}) or croak "cannot write $self->{cnf}: $!";
	print $fh $cnf;
	close($fh);
	chmod(0644, $self->{cnf});
}

# Create the data directory with mariadb-install-db (first start only).
sub _install_db
{
	my ($self) = @_;
	mkdir($self->{datadir}) or croak "mkdir $self->{datadir}: $!";
	mkdir($self->{binlogdir}) or croak "mkdir $self->{binlogdir}: $!";
	# temporary tables of its own: other programs clean up /tmp
	mkdir($self->{tmpdir}) or croak "mkdir $self->{tmpdir}: $!";
	$self->_chown_mysql($self->{base});
	my @cmd = (
		_find_program('mariadb-install-db'),
		'--no-defaults',
		"--datadir=$self->{datadir}",
		'--auth-root-authentication-method=normal',
		'--skip-test-db',
		'--skip-name-resolve');
	push @cmd, '--user=mysql' if $self->{as_root};
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(\@cmd, '<', \undef, '>', \$out, '2>', \$err);
	croak "mariadb-install-db failed:\n$out$err" unless $ok;
	$self->{installed} = 1;
}

# Start the server and wait until it answers.
sub start
{
	my ($self) = @_;
	croak "MariaDB $self->{name} is already running (pid $self->{pid})"
	  if $self->is_running;
	my $fixed_port = defined $self->{port};
	for (my $attempt = 1;; $attempt++)
	{
		$self->{port} = _free_port() unless defined $self->{port};
		$self->_write_cnf;
		$self->_install_db unless $self->{installed};
		my $ok = eval { $self->_spawn_and_wait; 1 };
		return $self if $ok;
		my $err = $@;
		# Somebody else took the port between our check and the bind: retry.
		if (!$fixed_port && $attempt < 4 && $self->_log_tail(30) =~ /Address already in use|Can't start server: Bind/)
		{
			$self->{port} = undef;
			next;
		}
		die $err;
	}
}

# Fork mariadbd and poll until it accepts queries or gives up.
sub _spawn_and_wait
{
	my ($self) = @_;
	my $log_size = -s $self->{errlog} // 0;
	my @cmd = (_find_program('mariadbd'), "--defaults-file=$self->{cnf}");
	push @cmd, '--user=mysql' if $self->{as_root};

	my $pid = fork();
	croak "fork failed: $!" unless defined $pid;
	if ($pid == 0)
	{
		# Own process group: a Ctrl-C in the terminal reaches only the test,
		# whose END block then shuts the server down properly.
		setpgrp(0, 0);
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', "$self->{base}/mariadbd.out");
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or POSIX::_exit(127);
	}
	$self->{pid} = $pid;

	my $deadline = time() + $self->{opts}{start_timeout};
	while (1)
	{
		my $r = waitpid($pid, WNOHANG);
		if ($r == $pid)
		{
			my $status = $?;
			$self->{pid} = undef;
			die "MariaDB $self->{name} exited during start-up (status $status); "
			  . "error log $self->{errlog} ends with:\n"
			  . $self->_log_tail(30, $log_size);
		}
		if (-S $self->{socket})
		{
			my $err = $self->sql_error('SELECT 1');
			return 1 unless defined $err;
		}
		if (time() > $deadline)
		{
			$self->_teardown_process;
			die "MariaDB $self->{name} did not accept connections within "
			  . "$self->{opts}{start_timeout} s; error log $self->{errlog} ends with:\n"
			  . $self->_log_tail(30, $log_size);
		}
		usleep(100_000);
	}
}

# True if our mariadbd process is alive.
sub is_running
{
	my ($self) = @_;
	return 0 unless defined $self->{pid};
	my $r = waitpid($self->{pid}, WNOHANG);
	if ($r == $self->{pid} || $r == -1)
	{
		$self->{pid} = undef;
		return 0;
	}
	return 1;
}

# SIGTERM (clean shutdown), wait, SIGKILL if it takes too long.
sub _teardown_process
{
	my ($self, $timeout) = @_;
	$timeout //= 60;
	return unless defined $self->{pid};
	return if $$ != $self->{owner_pid};    # a forked child must not stop it
	local $?;
	my $pid = $self->{pid};
	kill('TERM', $pid);
	my $deadline = time() + $timeout;
	while (time() < $deadline)
	{
		my $r = waitpid($pid, WNOHANG);
		last if $r == $pid || $r == -1;
		usleep(50_000);
	}
	if (kill(0, $pid) && waitpid($pid, WNOHANG) == 0)
	{
		kill('KILL', $pid);
		waitpid($pid, 0);
	}
	$self->{pid} = undef;
}

# Stop the server (clean shutdown).
sub stop
{
	my ($self) = @_;
	$self->_teardown_process;
	return $self;
}

# Stop and start again on the same port with the same data.
sub restart
{
	my ($self) = @_;
	$self->stop;
	$self->start;
	return $self;
}

# Crash the server: SIGKILL, then reap it.
sub kill9
{
	my ($self) = @_;
	return $self unless defined $self->{pid};
	local $?;
	kill('KILL', $self->{pid});
	waitpid($self->{pid}, 0);
	$self->{pid} = undef;
	return $self;
}

# Stop the server and remove the temporary directory.
sub _teardown
{
	my ($self) = @_;
	return if $$ != $self->{owner_pid};
	$self->_teardown_process;
	if (!$ENV{CHAMELEON_KEEP_TMP} && -d $self->{base})
	{
		remove_tree($self->{base}, { safe => 0 });
	}
}

sub DESTROY
{
	my ($self) = @_;
	local ($@, $!, $?);
	eval { $self->_teardown; };
}

# The last $n lines of the error log written after byte $from.
sub _log_tail
{
	my ($self, $n, $from) = @_;
	open(my $fh, '<', $self->{errlog}) or return "(no error log: $!)\n";
	seek($fh, $from, 0) if $from;
	my @lines = <$fh>;
	close($fh);
	@lines = @lines[-$n .. -1] if @lines > $n;
	return join('', @lines);
}

# Print the error log tail as TAP diagnostics.
sub _diag_log_tail
{
	my ($self) = @_;
	return unless -f $self->{errlog};
	my $tail = $self->_log_tail(15);
	$tail =~ s/^/  /mg;
	if ($INC{'Test/More.pm'})
	{
		Test::More::diag("MariaDB $self->{name} error log ($self->{errlog}) ends with:\n$tail");
	}
}

# Client command line for the options of sql().
sub _client_cmd
{
	my ($self, %o) = @_;
	my @cmd = (_find_program('mariadb'), '--no-defaults', '--batch',
		'--default-character-set=utf8mb4');
	if (defined $o{user})
	{
		push @cmd, '--protocol=TCP', '-h', $self->{host}, '-P', $self->{port},
		  '-u', $o{user};
		push @cmd, "--password=$o{password}" if defined $o{password};
	}
	else
	{
		push @cmd, '--protocol=SOCKET', '-S', $self->{socket}, '-u', 'root';
	}
	push @cmd, '--skip-column-names' unless $o{column_names};
	push @cmd, '--raw' if $o{raw};
	push @cmd, '-D', $o{db} if defined $o{db};
	return @cmd;
}

# Run SQL; return (ok, stdout, stderr).
sub _run_sql
{
	my ($self, $sql, %o) = @_;
	my @cmd = $self->_client_cmd(%o);
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(\@cmd, '<', \$sql, '>', \$out, '2>', \$err);
	chomp($out);
	return ($ok, $out, $err);
}

# The text of an SQL file of the tests' data (t/data), for sql().
sub slurp_sql
{
	my ($name) = @_;
	my $dir = defined $ENV{CHAMELEON_SRC} ? "$ENV{CHAMELEON_SRC}/t/data" : 't/data';
	open(my $fh, '<:raw', "$dir/$name") or croak "cannot read $dir/$name: $!";
	local $/;
	my $text = <$fh>;
	close($fh);
	return $text;
}

# Run SQL through the mariadb client; die with its message on error.
sub sql
{
	my ($self, $sql, %o) = @_;
	my ($ok, $out, $err) = $self->_run_sql($sql, %o);
	if (!$ok)
	{
		$err =~ s/\s+$//;
		my $shown = length($sql) > 300 ? substr($sql, 0, 300) . '...' : $sql;
		croak "MariaDB $self->{name}: $err\n  while running: $shown\n";
	}
	return $out;
}

# Run SQL as a test: ok() when it succeeds, the error as diagnostics if not.
sub sql_ok
{
	my ($self, $sql, $name, %o) = @_;
	my ($ok, $out, $err) = $self->_run_sql($sql, %o);
	require Test::More;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	Test::More::ok($ok, $name // "SQL succeeds: $sql")
	  or Test::More::diag($err);
	return $ok ? $out : undef;
}

# Run SQL; return the error message, or undef when it succeeded.
sub sql_error
{
	my ($self, $sql, %o) = @_;
	my ($ok, $out, $err) = $self->_run_sql($sql, %o);
	return undef if $ok;
	$err =~ s/\s+$//;
	return $err eq '' ? 'mariadb client failed' : $err;
}

# Create a login usable over TCP with replication privileges.
sub create_user
{
	my ($self, $user, $password, %o) = @_;
	(my $qu = $user) =~ s/'/''/g;
	(my $qp = $password) =~ s/'/''/g;
	my $anon = $self->sql("SELECT host FROM mysql.user WHERE user = ''");
	my $sql = '';
	foreach my $h (grep { $_ ne '' } split(/\n/, $anon))
	{
		$h =~ s/'/''/g;
		$sql .= "DROP USER ''\@'$h';\n";
	}
	my $grants = $o{grants}
	  // ($o{all} ? 'ALL PRIVILEGES'
		: 'REPLICATION SLAVE, REPLICATION CLIENT, RELOAD, SELECT, SHOW VIEW, '
		  . 'PROCESS, LOCK TABLES, SLAVE MONITOR');
	$sql .= "CREATE USER '$qu'\@'%' IDENTIFIED BY '$qp';\n";
	$sql .= "GRANT $grants ON *.* TO '$qu'\@'%';\n";
	$sql .= "FLUSH PRIVILEGES;\n";
	$self->sql($sql);
	return $self;
}

# (file, position) of the end of the binary log.
sub current_position
{
	my ($self) = @_;
	my $row = $self->sql('SHOW MASTER STATUS');
	my ($file, $pos) = split(/\t/, $row);
	croak "SHOW MASTER STATUS returned nothing: is log_bin on?"
	  unless defined $pos;
	return ($file, $pos);
}

# The server's current binlog GTID position (e.g. "0-1-42").
sub current_gtid
{
	my ($self) = @_;
	return $self->sql('SELECT @@global.gtid_binlog_pos');
}

# Close the current binlog file and start a new one.
sub flush_binlogs
{
	my ($self) = @_;
	$self->sql('FLUSH BINARY LOGS');
	return $self;
}

# Absolute paths of all binlog files, oldest first.
sub binlog_files
{
	my ($self) = @_;
	my $index = "$self->{binlogdir}/mysql-bin.index";
	open(my $fh, '<', $index) or croak "cannot read $index: $!";
	my @files;
	while (my $line = <$fh>)
	{
		chomp $line;
		next if $line eq '';
		$line = "$self->{binlogdir}/$line" unless $line =~ m{^/};
		push @files, $line;
	}
	close($fh);
	return @files;
}

1;
