
# Copyright (c) chameleon developers

=pod

=head1 NAME

ChameleonTest::FakeServers - hostile MySQL and PostgreSQL servers for the
security tests

=head1 SYNOPSIS

  use ChameleonTest::FakeServers qw(fake_mysql mysql_proxy fake_pg slurp);

  # a MySQL server that greets, then asks for the password in clear text
  my $f = fake_mysql(mode => 'clear', log => "$dir/clear.log");
  # modes: clear (AuthSwitchRequest to mysql_clear_password), dialog (to
  # the dialog plugin), hang (accepts, never sends a byte), ok (accepts
  # any login, answers OK to every command), infile (accepts any login,
  # answers the first query with a LOAD DATA LOCAL INFILE request for
  # file => PATH), native (checks the mysql_native_password answer
  # against passwords => [...], logs "#MATCH <password>")
  my $port = $f->{port};

  # a proxy to a real server that stops forwarding, for good, the
  # connection on which the client sent bytes matching freeze
  my $p = mysql_proxy(port => $m->port, freeze => qr/FROM `app`.`big`/,
      log => "$dir/proxy.log");

  # a PostgreSQL server answering the pgsql copy's catalogue queries with
  # the rows of a scenario (see fake_pg below)
  my $pg = fake_pg(scenario => \%rows, log => "$dir/pg.log",
      hang_on => qr/^COPY/);                 # optional: never answer the COPY

  my $bytes = slurp("$dir/clear.log");   # what the clients sent, and events
  $f->stop;                               # also at exit

=head1 DESCRIPTION

Each server listens on 127.0.0.1 on a free port in a process of its own and
serves every connection in a child process, so that a connection it keeps
hanging does not keep others out.  Everything a client sends is appended
to the log file as it arrives, with event lines C<#EVENT ...> between; the
tests search it for what must never arrive (a password, a file's content).
All processes of a server are killed by C<stop> or when the object goes
away.

=cut

package ChameleonTest::FakeServers;

use strict;
use warnings;

use Carp;
use Digest::SHA qw(sha1);
use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use POSIX ();

our @EXPORT_OK = qw(fake_mysql mysql_proxy fake_pg slurp);

# Reads a whole file ('' when missing).
sub slurp
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or return '';
	local $/;
	my $data = <$fh>;
	close($fh);
	return $data // '';
}

# Appends bytes to the log (opened per write: several processes share it).
sub _log
{
	my ($path, $bytes) = @_;
	open(my $fh, '>>:raw', $path) or die "cannot append to $path: $!";
	print $fh $bytes;
	close($fh);
}

# Starts a listener process; $serve->($client_socket) runs per connection.
sub _listen
{
	my ($log, $serve) = @_;
	my $listen = IO::Socket::INET->new(
		LocalAddr => '127.0.0.1',
		LocalPort => 0,
		Listen => 16,
		ReuseAddr => 1) or croak "cannot listen: $!";
	my $port = $listen->sockport;
	_log($log, '');
	my $pid = fork();
	croak "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		# a process group of its own: stop() kills the connections too
		POSIX::setpgid(0, 0);
		$SIG{CHLD} = 'IGNORE';
		while (1)
		{
			my $c = $listen->accept or next;
			my $child = fork();
			if (defined $child && $child == 0)
			{
				close($listen);
				$c->autoflush(1);
				binmode($c);
				_log($log, "\n#EVENT connection\n");
				eval { $serve->($c) };
				_log($log, "\n#EVENT error $@\n") if $@;
				POSIX::_exit(0);
			}
			close($c);
		}
	}
	close($listen);
	return bless { pid => $pid, port => $port, log => $log }, __PACKAGE__;
}

# Kills the server and its connections.
sub stop
{
	my ($self) = @_;
	return unless $self->{pid};
	kill 'KILL', -$self->{pid};
	kill 'KILL', $self->{pid};
	waitpid($self->{pid}, 0);
	$self->{pid} = undef;
}

sub DESTROY { $_[0]->stop; }

# Reads exactly n bytes (undef at EOF), logging them.
sub _read_n
{
	my ($c, $n, $log) = @_;
	my $buf = '';
	while (length($buf) < $n)
	{
		my $got = sysread($c, my $chunk, $n - length($buf));
		return undef unless $got;
		_log($log, $chunk);
		$buf .= $chunk;
	}
	return $buf;
}

# ---------------------------------------------------------------- MySQL

# Writes one MySQL packet.
sub _my_write
{
	my ($c, $seq, $payload) = @_;
	my $len = length($payload);
	syswrite($c, pack('CvC', $len & 0xff, $len >> 8, $seq & 0xff) . $payload);
}

# Reads one MySQL packet: (seq, payload) or () at EOF.
sub _my_read
{
	my ($c, $log) = @_;
	my $head = _read_n($c, 4, $log);
	return () unless defined $head;
	my ($l0, $l1, $seq) = unpack('CvC', $head);
	my $payload = _read_n($c, $l0 | ($l1 << 8), $log);
	return () unless defined $payload;
	return ($seq, $payload);
}

my $SALT = 'abcdefghijklmnopqrst';    # 20 bytes of scramble

# The initial handshake packet (protocol 10), offering plugin $plugin.
sub _greeting
{
	my ($plugin) = @_;
	# LONG_PASSWORD, LONG_FLAG, CONNECT_WITH_DB, LOCAL_FILES, PROTOCOL_41,
	# TRANSACTIONS, SECURE_CONNECTION, MULTI_RESULTS, PLUGIN_AUTH
	my $caps = 0x1 | 0x4 | 0x8 | 0x80 | 0x200 | 0x2000 | 0x8000 | 0x20000 | 0x80000;
	return pack('C', 10) . "8.0.99-fake\0" . pack('V', 7)
	  . substr($SALT, 0, 8) . "\0"
	  . pack('v', $caps & 0xffff) . pack('C', 45) . pack('v', 2)
	  . pack('v', $caps >> 16) . pack('C', 21) . ("\0" x 10)
	  . substr($SALT, 8, 12) . "\0" . "$plugin\0";
}

my $OK = pack('C*', 0, 0, 0, 2, 0, 0, 0);

# mysql_native_password's answer for a password and the scramble.
sub _native_scramble
{
	my ($password) = @_;
	my $h1 = sha1($password);
	my $h2 = sha1($h1);
	return $h1 ^ sha1($SALT . $h2);
}

# The auth response of a HandshakeResponse41 payload (lenenc or 1-byte length).
sub _auth_response
{
	my ($p) = @_;
	my $pos = 32;                          # flags, max packet, charset, filler
	my $nul = index($p, "\0", $pos);      # user name
	return '' if $nul < 0;
	$pos = $nul + 1;
	my $len = ord(substr($p, $pos, 1));
	return substr($p, $pos + 1, $len);
}

# Answers commands with OK (or, in infile mode, the first with a file request).
sub _my_commands
{
	my ($c, $log, %o) = @_;
	my $asked = 0;
	while (my ($seq, $p) = _my_read($c, $log))
	{
		my $cmd = ord($p);
		return if $cmd == 1;              # COM_QUIT
		if ($o{infile} && !$asked && $cmd == 3)
		{
			$asked = 1;
			_my_write($c, 1, pack('C', 0xfb) . $o{infile});
			# the client answers with the file's content (or nothing) and
			# an empty packet
			_log($log, "\n#EVENT infile requested\n");
			while (my ($s2, $data) = _my_read($c, $log))
			{
				last if $data eq '';
			}
			_log($log, "\n#EVENT infile answered\n");
			_my_write($c, 4, $OK);
			next;
		}
		_my_write($c, 1, $OK);
	}
}

=pod

=head2 fake_mysql(mode => ..., log => PATH, %options)

See the synopsis for the modes.  Returns an object with C<port>, C<log> and
C<stop>.

=cut

sub fake_mysql
{
	my (%o) = @_;
	my $log = $o{log} or croak 'fake_mysql: log is required';
	my $mode = $o{mode} // 'clear';
	my $serve = sub {
		my ($c) = @_;
		if ($mode eq 'hang')
		{
			# accept, then say nothing; the client gives up or is stopped
			_log($log, "\n#EVENT hanging\n");
			while (sysread($c, my $buf, 4096)) { _log($log, $buf); }
			_log($log, "\n#EVENT closed\n");
			return;
		}
		_my_write($c, 0, _greeting('mysql_native_password'));
		my ($seq, $resp) = _my_read($c, $log) or return;
		_log($log, sprintf("\n#EVENT client flags %08x\n", unpack('V', $resp)));
		if ($mode eq 'clear' || $mode eq 'dialog')
		{
			my $switch = $mode eq 'clear'
			  ? pack('C', 0xfe) . "mysql_clear_password\0"
			  : pack('C', 0xfe) . "dialog\0" . pack('C', 0x04) . "Password: ";
			_my_write($c, $seq + 1, $switch);
			_log($log, "\n#EVENT asked for $mode\n");
			# whatever the client sends now would be the password
			while (my ($s, $p) = _my_read($c, $log))
			{
				_log($log, "\n#EVENT answer\n");
				_my_write($c, $s + 1, pack('C', 0xff) . pack('v', 1045) . '#28000denied');
			}
			_log($log, "\n#EVENT closed\n");
			return;
		}
		if ($mode eq 'native')
		{
			my $got = _auth_response($resp);
			foreach my $pw (@{ $o{passwords} // [] })
			{
				_log($log, "\n#MATCH $pw\n") if $got eq _native_scramble($pw);
			}
			_log($log, "\n#EMPTY\n") if $got eq '';
		}
		_my_write($c, $seq + 1, $OK);
		_my_commands($c, $log, infile => $mode eq 'infile' ? $o{file} : undef);
		_log($log, "\n#EVENT closed\n");
	};
	return _listen($log, $serve);
}

=pod

=head2 mysql_proxy(port => N, freeze => qr/.../, log => PATH)

Forwards every connection to 127.0.0.1:N; once the bytes a client sent on a
connection match C<freeze>, nothing more is forwarded on it in either
direction (the connection stays open: the server seems to hang), and the
log gets C<#EVENT frozen>.

=cut

sub mysql_proxy
{
	my (%o) = @_;
	my $log = $o{log} or croak 'mysql_proxy: log is required';
	my $serve = sub {
		my ($c) = @_;
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $o{port})
		  or die "cannot reach the server: $!";
		binmode($s);
		my $sel = IO::Select->new($c, $s);
		my $sent = '';
		while (1)
		{
			foreach my $h ($sel->can_read)
			{
				my $n = sysread($h, my $buf, 65536);
				return unless $n;
				if ($h == $c)
				{
					$sent .= $buf;
					$sent = substr($sent, -65536) if length($sent) > 131072;
					if ($sent =~ $o{freeze})
					{
						_log($log, "\n#EVENT frozen\n");
						# keep both ends open, forward nothing, until the client goes
						while (sysread($c, my $x, 4096)) { }
						_log($log, "\n#EVENT client gone\n");
						return;
					}
					syswrite($s, $buf);
				}
				else
				{
					syswrite($c, $buf);
				}
			}
		}
	};
	return _listen($log, $serve);
}

# ----------------------------------------------------------- PostgreSQL

# Writes one backend message.
sub _pg_msg
{
	my ($c, $type, $body) = @_;
	syswrite($c, $type . pack('N', length($body) + 4) . $body);
}

# A RowDescription of text columns.
sub _pg_rowdesc
{
	my ($n) = @_;
	my $body = pack('n', $n);
	$body .= "c$_\0" . pack('NnNnNn', 0, 0, 25, 0xffff, 0xffffffff, 0) for 1 .. $n;
	return $body;
}

# A DataRow; undef is NULL.
sub _pg_datarow
{
	my (@vals) = @_;
	my $body = pack('n', scalar @vals);
	foreach my $v (@vals)
	{
		$body .= defined $v ? pack('N', length($v)) . $v : pack('N', 0xffffffff);
	}
	return $body;
}

# The rows of the scenario for a query, by what the query asks.
sub _pg_rows
{
	my ($sc, $sql) = @_;
	return $sc->{keys} if $sql =~ /WITH ORDINALITY/;
	return $sc->{indexes} if $sql =~ /indnkeyatts/;
	return $sc->{columns} if $sql =~ /pg_attribute/;
	return [ [ $sc->{table} // 't', '1' ] ] if $sql =~ /relname, greatest/;
	return [ ['1'] ] if $sql =~ /count\(\*\) FROM pg_catalog.pg_namespace/;
	return undef;
}

=pod

=head2 fake_pg(scenario => {...}, log => PATH)

A PostgreSQL server (protocol 3, no authentication) for one pgsql copy.
The scenario gives the rows of the copy's catalogue queries, as arrays of
column values in the order the copy asks for them: C<table> (the one
table's name), C<columns> (attnum, attname, type schema, type name,
typmod, not null t/f, identity, default expression), C<indexes> (oid, name,
primary, unique, access method, key count, expressions, predicate,
constraint type), C<keys> (index oid, position, attnum, option, default
opclass, opclass schema, opclass name) and C<copy> (the COPY text rows).
Every other statement gets "command complete".  With C<hang_on =E<gt>
qr/.../>, a simple-protocol statement that matches gets no answer at all.

=cut

sub fake_pg
{
	my (%o) = @_;
	my $log = $o{log} or croak 'fake_pg: log is required';
	my $sc = $o{scenario} // {};
	my $serve = sub {
		my ($c) = @_;
		# SSLRequest / GSSENCRequest: no; then the startup message
		while (1)
		{
			my $len = _read_n($c, 4, $log) // return;
			my $rest = _read_n($c, unpack('N', $len) - 4, $log) // return;
			my $code = unpack('N', $rest);
			if ($code == 80877103 || $code == 80877104)
			{
				syswrite($c, 'N');
				next;
			}
			last;
		}
		_pg_msg($c, 'R', pack('N', 0));
		foreach my $p ([ 'server_version', '15.0' ], [ 'server_encoding', 'UTF8' ],
			[ 'client_encoding', 'UTF8' ], [ 'DateStyle', 'ISO, MDY' ],
			[ 'integer_datetimes', 'on' ], [ 'standard_conforming_strings', 'on' ])
		{
			_pg_msg($c, 'S', "$p->[0]\0$p->[1]\0");
		}
		_pg_msg($c, 'K', pack('NN', 1, 2));
		_pg_msg($c, 'Z', 'I');
		my $query;
		while (1)
		{
			my $type = _read_n($c, 1, $log) // return;
			my $len = _read_n($c, 4, $log) // return;
			my $body = _read_n($c, unpack('N', $len) - 4, $log) // return;
			return if $type eq 'X';
			if ($type eq 'P')
			{
				(undef, $query) = split(/\0/, $body, 3);
				_pg_msg($c, '1', '');
			}
			elsif ($type eq 'B') { _pg_msg($c, '2', ''); }
			elsif ($type eq 'E')
			{
				my $rows = _pg_rows($sc, $query);
				if (defined $rows)
				{
					_pg_msg($c, 'T', _pg_rowdesc(@$rows ? scalar @{ $rows->[0] } : 1));
					_pg_msg($c, 'D', _pg_datarow(@$_)) foreach @$rows;
					_pg_msg($c, 'C', 'SELECT ' . scalar(@$rows) . "\0");
				}
				else
				{
					_pg_msg($c, 'n', '');
					_pg_msg($c, 'C', "OK\0");
				}
			}
			elsif ($type eq 'S') { _pg_msg($c, 'Z', 'T'); }
			elsif ($type eq 'Q')
			{
				(my $sql = $body) =~ s/\0$//;
				if (defined $o{hang_on} && $sql =~ $o{hang_on})
				{
					_log($log, "\n#EVENT hanging\n");
					while (sysread($c, my $x, 4096)) { }
					_log($log, "\n#EVENT closed\n");
					return;
				}
				if ($sql =~ /^COPY/)
				{
					my @rows = @{ $sc->{copy} // [] };
					my $ncols = scalar @{ $sc->{columns} // [] };
					_pg_msg($c, 'H', pack('Cn', 0, $ncols) . pack('n', 0) x $ncols);
					_pg_msg($c, 'd', "$_\n") foreach @rows;
					_pg_msg($c, 'c', '');
					_pg_msg($c, 'C', 'COPY ' . scalar(@rows) . "\0");
				}
				else
				{
					_pg_msg($c, 'C', "SET\0") foreach split(/;/, $sql);
				}
				_pg_msg($c, 'Z', 'T');
			}
			# D (describe) needs no answer of its own: E answers with the rows
		}
	};
	return _listen($log, $serve);
}

1;
