
# Copyright (c) chameleon developers
#
# Upgrades from 1.0 onward (SPEC section 8, "Upgrades"):
#  - every earlier version has an update path to default_version, and
#    sql/chameleon--1.0.sql is still the file of release 1.0;
#  - CREATE EXTENSION chameleon VERSION 'v' + ALTER EXTENSION chameleon
#    UPDATE gives exactly the catalogue of a fresh CREATE EXTENSION, for
#    every earlier v: pg_dump -s --binary-upgrade (which, unlike a plain
#    pg_dump, shows the extension's members, their initial privileges and
#    their membership), normalised for OIDs, xids and dropped columns and
#    compared object by object; and from the catalogue: the extension
#    (\dx), its members (pg_depend), privileges and initial privileges,
#    comments, and the configuration tables (extconfig, which pg_dump -s
#    does not show).  A database changed on purpose in each of these
#    respects must be told apart (the comparison can fail);
#  - a real 1.0 site: release 1.0 (git commit 2e430ea of this repository)
#    is built into a private installation, a node created with it
#    replicates a MariaDB source, stops (changes in flight, more made while
#    it is down), its data directory is started with the release under
#    test, ALTER EXTENSION chameleon UPDATE, restart: the source is still
#    running, resumes, and nothing is lost or applied twice.  Skipped when
#    the tree has no git history holding that commit.

use strict;
use warnings;

use File::Basename qw(basename);
use IPC::Run qw(run);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica;

# release 1.0, as installed at users' sites
my $RELEASE_1_0 = '2e430ea';

my $t_start = time;
my $src = $ENV{CHAMELEON_SRC};
my @git = ('git', '-c', 'safe.directory=' . ($src // '.'), '-C', $src // '.');

# Why release 1.0 cannot be had from the git history (undef: it can).
sub release_missing
{
	return 'CHAMELEON_SRC is not set (the suites run through make tap)'
	  unless defined $src && -d $src;
	return "$src has no .git: the upgrade of a 1.0 site is not tested" unless -e "$src/.git";
	my ($out, $err) = ('', '');
	my $found = eval { run([ @git, 'cat-file', '-e', "$RELEASE_1_0^{commit}" ], '>', \$out, '2>', \$err) };
	return "release 1.0 (git commit $RELEASE_1_0) is not in the history of $src"
	  . ' (a shallow clone?): the upgrade of a 1.0 site is not tested'
	  unless $found;
	return undef;
}

# A file of release 1.0.
sub release_file
{
	my ($path) = @_;
	my ($out, $err) = ('', '');
	run([ @git, 'show', "$RELEASE_1_0:$path" ], '>', \$out, '2>', \$err)
	  or die "git show $RELEASE_1_0:$path: $err";
	return $out;
}

my $missing = release_missing();
note($missing) if $missing;

# ================================================ the catalogue
my $node = chameleon_node('catalogue');

sub pq { my ($db, $sql) = @_; return $node->safe_psql($db, $sql); }

my $default = pq('postgres', "SELECT default_version FROM pg_available_extensions WHERE name = 'chameleon'");
my @versions = split(/\n/, pq('postgres',
	"SELECT version FROM pg_available_extension_versions WHERE name = 'chameleon'"
	  . " ORDER BY string_to_array(version, '.')::int[]"));
ok((grep { $_ eq '1.0' } @versions) && (grep { $_ eq $default } @versions),
	"versions available: @versions; default $default");

# every version reaches the default one, and 1.0 reaches every version
my %to_default = map { split(/ /, $_, 2) } split(/\n/, pq('postgres',
	"SELECT source || ' ' || coalesce(path, '') FROM pg_extension_update_paths('chameleon')"
	  . " WHERE target = '$default' AND source <> target"));
my %from_1_0 = map { split(/ /, $_, 2) } split(/\n/, pq('postgres',
	"SELECT target || ' ' || coalesce(path, '') FROM pg_extension_update_paths('chameleon')"
	  . " WHERE source = '1.0' AND source <> target"));
my @earlier = grep { $_ ne $default } @versions;
is(join(' ', grep { ($to_default{$_} // '') eq '' } @earlier), '',
	"every earlier version has an update path to $default ("
	  . join('; ', map { $to_default{$_} // "$_: none" } @earlier) . ')');
is(join(' ', grep { $_ ne '1.0' && ($from_1_0{$_} // '') eq '' } @versions), '',
	'1.0 has an update path to every later version');

SKIP:
{
	skip $missing, 1 if $missing;
	# never edited: a site's 1.0 catalogue is what this file created
	ok(slurp_file("$src/sql/chameleon--1.0.sql") eq release_file('sql/chameleon--1.0.sql'),
		"sql/chameleon--1.0.sql is byte for byte the file of release 1.0 ($RELEASE_1_0)");
}

# pg_dump -s --binary-upgrade of a database, normalised: what differs
# between two databases holding the same catalogue goes (OIDs,
# relfilenodes, xids, LSNs, dropped columns, the \restrict key), and the
# objects are sorted; a column order, a definition, an owner, a privilege,
# a comment or a membership that differs still shows.
sub normalised_dump
{
	my ($db) = @_;
	my ($dump, $err) = ('', '');
	run([ 'pg_dump', '-s', '--binary-upgrade', '-d', $node->connstr($db) ], '>', \$dump, '2>', \$err)
	  or die "pg_dump of $db failed: $err";
	$dump =~ s/^\\(?:un)?restrict .*\n//mg;
	# a dropped column: its placeholder and the statements that recreate it
	$dump =~ s/^-- For binary upgrade, recreate dropped column\.\n(?:(?!ALTER )[^\n]*\n){0,5}ALTER TABLE ONLY [^\n]* DROP COLUMN "\.+pg\.dropped\.\d+\.+";\n//mg;
	$dump =~ s/^.*"\.+pg\.dropped\.\d+\.+".*\n//mg;
	$dump =~ s/,(\n\)(?:;|\s))/$1/g;
	# identities of this database's objects, and the missing value of a
	# column added with a default (a storage detail)
	$dump =~ s/^SELECT pg_catalog\.binary_upgrade_set_(?:next_\w+|missing_value)\(.*\n//mg;
	$dump =~ s/^-- (?:For binary upgrade, must preserve|set missing value).*\n//mg;
	$dump =~ s/relfrozenxid = '\d+', relminmxid = '\d+'/relfrozenxid = 'X', relminmxid = 'X'/g;
	$dump =~ s/^WHERE oid = '\d+';$/WHERE oid = 'OID';/mg;
	$dump =~ s/(binary_upgrade_create_empty_extension\(.*?)'\{([\d,]*)\}'/$1 . "'{" . join(',', map { 'OID' } split(m{,}, $2)) . "}'"/e;
	$dump =~ s/\n{3,}/\n\n/g;
	# one block per object, sorted; in a block, the GRANTs of an object in
	# one order (the order they were given in does not matter)
	my @blocks = split(/\n(?=--\n-- (?:Name|Data for Name): )/, $dump);
	foreach (@blocks)
	{
		s/((?:^(?:GRANT|REVOKE) .*\n)+)/join('', sort split(m{(?<=\n)}, $1))/mge;
	}
	# initial privileges recorded as the default ones: the same as none
	# recorded (a fresh install's REVOKE ... FROM PUBLIC makes them explicit)
	@blocks = grep {
		!/\A--\n-- Name: [^\n]*; Type: ACL; [^\n]*\n--\n\nSELECT pg_catalog\.binary_upgrade_set_record_init_privs\(true\);\nSELECT pg_catalog\.binary_upgrade_set_record_init_privs\(false\);\s*\z/
	} @blocks;
	return join("\n", sort @blocks) . "\n";
}

# The members of the extension (a CTE for the queries below).
my $members = "WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'chameleon'),"
  . " m AS (SELECT d.classid, d.objid FROM pg_depend d, ext WHERE d.refclassid = 'pg_extension'::regclass"
  . " AND d.refobjid = ext.oid AND d.deptype = 'e')";

# An aclitem[] as text, its items sorted.
sub acl { my ($col) = @_; return "(SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest($col) x)"; }

# The privileges of each member and its initial privileges, by meaning: a
# NULL ACL, and no initial privileges recorded, are the owner's defaults
# (acldefault), as for pg_dump.
my $privileges = "$members SELECT pg_describe_object(m.classid, m.objid, 0) || ': '"
  . " || coalesce(" . acl('o.acl') . " || ' (initial: ' || " . acl('coalesce(i.initprivs, acldefault(o.kind, o.owner))')
  . " || ')', 'no privileges') FROM m LEFT JOIN LATERAL ("
  . "SELECT coalesce(relacl, acldefault(k, relowner)), k, relowner"
  . " FROM pg_class, LATERAL (SELECT (CASE WHEN relkind = 'S' THEN 's' ELSE 'r' END)::\"char\") kk(k)"
  . " WHERE m.classid = 'pg_class'::regclass AND oid = m.objid"
  . " UNION ALL SELECT coalesce(proacl, acldefault('f', proowner)), 'f', proowner FROM pg_proc"
  . " WHERE m.classid = 'pg_proc'::regclass AND oid = m.objid"
  . " UNION ALL SELECT coalesce(nspacl, acldefault('n', nspowner)), 'n', nspowner FROM pg_namespace"
  . " WHERE m.classid = 'pg_namespace'::regclass AND oid = m.objid"
  . " UNION ALL SELECT coalesce(typacl, acldefault('T', typowner)), 'T', typowner FROM pg_type"
  . " WHERE m.classid = 'pg_type'::regclass AND oid = m.objid) o(acl, kind, owner) ON true"
  . " LEFT JOIN pg_init_privs i ON i.classoid = m.classid AND i.objoid = m.objid AND i.objsubid = 0"
  . " UNION ALL SELECT 'column ' || a.attrelid::regclass || '.' || quote_ident(a.attname) || ': '"
  . " || " . acl('a.attacl') . " FROM pg_attribute a JOIN m ON m.classid = 'pg_class'::regclass"
  . " AND m.objid = a.attrelid WHERE a.attacl IS NOT NULL ORDER BY 1";

# The catalogue of one database, facet by facet.
sub catalogue
{
	my ($db) = @_;
	my %c;
	$c{'pg_dump -s --binary-upgrade'} = normalised_dump($db);
	$c{'extension (\dx)'} = pq($db,
		"SELECT e.extname || ' ' || e.extversion || ' schema ' || n.nspname || ' relocatable ' || e.extrelocatable"
		  . " || ' owner ' || r.rolname || ': ' || coalesce(obj_description(e.oid, 'pg_extension'), '')"
		  . " FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace JOIN pg_roles r ON r.oid = e.extowner"
		  . " WHERE e.extname = 'chameleon'");
	$c{'members (pg_depend)'} = pq($db,
		"$members SELECT pg_describe_object(m.classid, m.objid, 0) FROM m ORDER BY 1");
	$c{'privileges and initial privileges'} = pq($db, $privileges);
	$c{'comments'} = pq($db,
		"$members SELECT pg_describe_object(d.classoid, d.objoid, d.objsubid) || ': ' || d.description"
		  . " FROM pg_description d WHERE (d.classoid, d.objoid) IN (SELECT classid, objid FROM m)"
		  . " OR (d.classoid = 'pg_extension'::regclass AND d.objoid = (SELECT oid FROM ext)) ORDER BY 1");
	$c{'configuration tables (extconfig)'} = pq($db,
		"SELECT c.cfg::regclass::text || ' ' || coalesce(c.cond, '') FROM pg_extension e,"
		  . " unnest(e.extconfig, e.extcondition) AS c(cfg, cond) WHERE e.extname = 'chameleon' ORDER BY 1");
	return \%c;
}

my $tmp = PostgreSQL::Test::Utils::tempdir('upgrade');

# A test that two texts are equal, with a unified diff when they are not.
sub same_text
{
	my ($got, $want, $label, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return pass($name) if $got eq $want;
	fail($name);
	(my $file = $label) =~ s/\W+/_/g;
	foreach my $f ([ 'fresh', $want ], [ $file, $got ])
	{
		open(my $fh, '>', "$tmp/$f->[0]") or die "cannot write $tmp/$f->[0]: $!";
		print $fh $f->[1], "\n";
		close($fh);
	}
	my ($diff, $err) = ('', '');
	run([ 'diff', '-u', "$tmp/fresh", "$tmp/$file" ], '>', \$diff, '2>', \$err);
	my @lines = split(/\n/, $diff);
	diag("--- a fresh install\n+++ $label\n"
		  . join("\n", @lines[ 2 .. ($#lines < 300 ? $#lines : 300) ])
		  . ($#lines > 300 ? "\n... (" . ($#lines - 300) . ' more lines)' : ''));
	return 0;
}

pq('postgres', 'CREATE DATABASE fresh');
pq('fresh', 'CREATE EXTENSION chameleon');
is(pq('fresh', "SELECT extversion FROM pg_extension WHERE extname = 'chameleon'"), $default,
	"a fresh CREATE EXTENSION installs $default");
my $fresh = catalogue('fresh');
my @facets = sort keys %$fresh;

foreach my $v (@earlier)
{
	(my $db = "from_$v") =~ s/\W/_/g;
	pq('postgres', "CREATE DATABASE $db");
	pq($db, "CREATE EXTENSION chameleon VERSION '$v'");
	is(pq($db, "SELECT extversion FROM pg_extension WHERE extname = 'chameleon'"), $v, "CREATE EXTENSION chameleon VERSION '$v'");
	pq($db, 'ALTER EXTENSION chameleon UPDATE');
	my $updated = catalogue($db);
	foreach my $facet (@facets)
	{
		same_text($updated->{$facet}, $fresh->{$facet}, "updated from $v",
			"updated from $v: $facet as in a fresh install");
	}
}

# the comparison sees a difference in each facet
pq('postgres', 'CREATE DATABASE tampered');
pq('tampered', 'CREATE EXTENSION chameleon');
pq('postgres', 'CREATE ROLE chameleon_test_tamper');
pq('tampered', <<'SQL');
ALTER TABLE chameleon.source ADD COLUMN tampered int;
ALTER EXTENSION chameleon DROP VIEW chameleon.show_status;
GRANT USAGE ON SCHEMA chameleon TO chameleon_test_tamper;
COMMENT ON EXTENSION chameleon IS 'tampered';
UPDATE pg_extension SET extconfig = array_append(coalesce(extconfig, '{}'), 'chameleon.source'::regclass::oid),
  extcondition = array_append(coalesce(extcondition, '{}'), 'WHERE false') WHERE extname = 'chameleon';
SQL
my $tampered = catalogue('tampered');
is(join(', ', grep { $tampered->{$_} eq $fresh->{$_} } @facets), '',
	'a catalogue changed in each respect differs in every facet (the comparison can fail)');
$node->stop;

# ================================================ a 1.0 site
subtest 'a source created under 1.0 keeps replicating after the update and a restart' => sub {
	plan skip_all => $missing if $missing;
	like(release_file('chameleon.control'), qr/^default_version = '1\.0'$/m,
		"commit $RELEASE_1_0 is release 1.0");

	# release 1.0 in a private installation (a copy of this server)
	my $tree = "$tmp/release-1.0";
	mkdir($tree) or die "mkdir $tree: $!";
	my ($out, $err) = ('', '');
	run([ @git, 'archive', $RELEASE_1_0 ], '|', [ 'tar', '-x', '-C', $tree ], '2>', \$err)
	  or die "git archive $RELEASE_1_0: $err";
	my $t0 = time;
	{
		# a make of its own, not a sub-make of make tap
		local %ENV = %ENV;
		delete @ENV{qw(MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES)};
		($out, $err) = ('', '');
		my $built = run([ 'bash', "$src/tools/private-install.sh", "$tmp/install-1.0", '-C', $tree, '-j2' ],
			'>', \$out, '2>', \$err);
		ok($built, sprintf('release 1.0 built into a private installation (%.0f s)', time - $t0))
		  or diag($err);
		return unless $built;
	}
	my ($inst) = $out =~ m{^(/\S+)\s*\z}m;
	return fail("tools/private-install.sh printed the installation path: $out") unless $inst;
	# the copy of this server may hold the extension files of another
	# release: keep 1.0's only
	($out, $err) = ('', '');
	run([ "$inst/bin/pg_config", '--sharedir' ], '>', \$out, '2>', \$err) or die "pg_config: $err";
	chomp(my $share = $out);
	my %ours = map { basename($_) => 1 } glob("$tree/sql/chameleon--*.sql"), 'chameleon.control';
	unlink(grep { !$ours{ basename($_) } } glob("$share/extension/chameleon*"));
	is(join(' ', map { basename($_) } sort glob("$share/extension/chameleon*")),
		'chameleon--1.0.sql chameleon.control', 'the 1.0 installation holds the files of 1.0');

	my $old = chameleon_node('site_1_0', install_path => $inst, create_extension => 1, naptime => 1,
		conf => [ "timezone = 'UTC'", 'max_worker_processes = 16' ]);
	is( $old->safe_psql('postgres',
			"SELECT default_version || ' ' || installed_version FROM pg_available_extensions WHERE name = 'chameleon'"),
		'1.0 1.0', 'the node runs release 1.0, catalogue 1.0');

	my $m = ChameleonTest::MariaDB->new(name => 'upgrade');
	$m->start;
	$m->sql(<<'SQL');
CREATE DATABASE shop;
USE shop;
CREATE TABLE shop.items (id int PRIMARY KEY, v varchar(40), n int);
CREATE TABLE shop.journal (note varchar(60), n int);
INSERT INTO shop.items SELECT seq, concat('item ', seq), seq FROM seq_1_to_100;
INSERT INTO shop.journal SELECT concat('initial ', seq), seq FROM seq_1_to_20;
SQL
	my $r = ChameleonTest::Replica->new($old, $m, 'shop', schema_mappings => { shop => 'shop' },
		config => 'sleep_loop: 1', init => 1, start => 1);
	$m->sql("UPDATE shop.items SET n = n + 1000 WHERE id <= 10; DELETE FROM shop.items WHERE id > 95;"
		  . " INSERT INTO shop.journal VALUES ('under 1.0', 1)");
	$r->wait_caught_up('1.0: caught up');
	$r->same_rows('shop', 'items', '1.0: items identical');
	my $journal = 21;
	my $tables = $old->safe_psql('postgres', 'SELECT * FROM chameleon.replica_tables ORDER BY 1, 2, 3');
	my $sources = $old->safe_psql('postgres', 'SELECT * FROM chameleon.sources ORDER BY 1');

	# changes in flight when the server stops, more while it is down
	$m->sql(join('', map { "INSERT INTO shop.journal VALUES ('before the stop $_', $_); UPDATE shop.items SET n = n + 1 WHERE id = $_;\n" } 1 .. 50));
	$old->stop('fast');
	$m->sql(join('', map { "INSERT INTO shop.journal VALUES ('while down $_', $_);\n" } 1 .. 50)
		  . "DELETE FROM shop.items WHERE id BETWEEN 50 AND 59; UPDATE shop.items SET v = 'while down' WHERE id < 5;"
		  . " INSERT INTO shop.items VALUES (1000, 'while down', 0)");
	$journal += 100;

	# the same data directory, started with the release under test
	my $new = PostgreSQL::Test::Cluster->new('site_now',
		$ENV{CHAMELEON_PG_INSTALL} ? (install_path => $ENV{CHAMELEON_PG_INSTALL}) : ());
	rename($old->data_dir, $new->data_dir)
	  or die 'cannot move ' . $old->data_dir . ' to ' . $new->data_dir . ": $!";
	$new->append_conf('postgresql.conf', 'port = ' . $new->port . "\n");
	$new->start;
	is( $new->safe_psql('postgres',
			"SELECT default_version || ' ' || installed_version FROM pg_available_extensions WHERE name = 'chameleon'"),
		"$default 1.0", "the data directory runs the release under test ($default), catalogue still 1.0");
	$new->safe_psql('postgres', 'ALTER EXTENSION chameleon UPDATE');
	is($new->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'chameleon'"),
		$default, "ALTER EXTENSION chameleon UPDATE: catalogue $default");
	$new->restart;

	my $r2 = ChameleonTest::Replica->existing($new, $m, 'shop');
	is($r2->status, 'running', 'after the update and a restart the source is still running');
	ok($r2->workers_up, 'its reader and replay run');
	$m->sql("INSERT INTO shop.journal VALUES ('after the update', 1); UPDATE shop.items SET n = -n WHERE id % 7 = 0;"
		  . " INSERT INTO shop.items VALUES (1001, 'after the update', 1)");
	$journal += 1;
	$r2->wait_caught_up('caught up after the update');
	$r2->same_rows('shop', 'items', 'items identical (changes from before, during and after the switch)');
	$r2->same_rows('shop', 'journal', 'journal (no key) identical');
	is($new->safe_psql('postgres', 'SELECT count(*), count(DISTINCT note) FROM shop.journal'), "$journal|$journal",
		'no change lost or applied twice across the switch');
	is($new->safe_psql('postgres', 'SELECT * FROM chameleon.replica_tables ORDER BY 1, 2, 3'), $tables,
		'replica_tables kept');
	is($new->safe_psql('postgres', 'SELECT * FROM chameleon.sources ORDER BY 1'), "$sources|postgres",
		'the source kept, owned by the extension owner (sources.owner, new in 1.1)');
	is($new->safe_psql('postgres', 'SELECT count(*) FROM chameleon.show_errors'), '0', 'no error');
	$new->safe_psql('postgres', "SELECT chameleon.stop_replica('shop')");
	$new->stop('fast');
};

note(sprintf('%.0f s', time - $t_start));
done_testing();
