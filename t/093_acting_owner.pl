
# Copyright (c) chameleon developers
#
# Sources act as their owner (SPEC section 3, "Owners and privileges"):
# mallory, a LOGIN member of chameleon_admin who is not a superuser, can
# do through chameleon exactly what plain SQL lets her do.  Her own source
# initialises, replicates, syncs and detaches into tables she owns; a
# source mapped into alice's schema, with or without keep_existing_schema,
# fails with a clear error and leaves alice's rows alone; without CREATE on
# the database no schema is created; a trigger on her replicated table
# runs as her (it cannot read the stored passwords); a table given to
# another owner stops receiving rows with the reason; the passwords are
# not readable by her.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use ChameleonTest::MariaDB;
use ChameleonTest::Postgres qw(chameleon_node);
use ChameleonTest::Replica qw(poll_until db_conn);

my $m = ChameleonTest::MariaDB->new(name => 'own');
$m->start;
$m->create_user('repl', 'repl-pw');
$m->sql(<<'SQL');
CREATE DATABASE shop CHARACTER SET utf8mb4;
CREATE TABLE shop.items (id int PRIMARY KEY, name varchar(20), n int);
CREATE TABLE shop.orders (id int PRIMARY KEY, item_id int,
  FOREIGN KEY (item_id) REFERENCES shop.items (id) ON DELETE CASCADE);
INSERT INTO shop.items VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3);
INSERT INTO shop.orders VALUES (10, 1), (20, 2);
CREATE DATABASE app CHARACTER SET utf8mb4;
CREATE TABLE app.t (id int PRIMARY KEY, v varchar(20));
INSERT INTO app.t VALUES (1, 'from mysql');
SQL

my $node = chameleon_node('own', create_extension => 1, naptime => 1,
	conf => ["timezone = 'UTC'", 'max_worker_processes = 16']);
$node->safe_psql('postgres', <<'SQL');
CREATE ROLE mallory LOGIN IN ROLE chameleon_admin;
CREATE ROLE alice LOGIN;
CREATE SCHEMA app AUTHORIZATION alice;
CREATE TABLE app.t (id int PRIMARY KEY, v text);
ALTER TABLE app.t OWNER TO alice;
INSERT INTO app.t VALUES (1, 'alice''s row'), (2, 'another of alice''s rows');
GRANT CREATE ON DATABASE postgres TO mallory;
GRANT USAGE ON SCHEMA app TO mallory;
CREATE TABLE public.loot (v text);
GRANT INSERT ON public.loot TO PUBLIC;
SQL
my $conn = db_conn($m);

# Runs SQL as mallory: (exit code, stdout, stderr).
sub as_mallory
{
	my ($sql) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', $sql, extra_params => [ '-U', 'mallory' ]);
	return ($rc, $out, $err);
}

sub lit { my ($s) = @_; $s =~ s/'/''/g; return "'$s'"; }

my $alice_rows = $node->safe_psql('postgres', 'SELECT string_agg(id || v, \',\' ORDER BY id) FROM app.t');

# ---- the legitimate path: mallory's own source
my ($rc, $out, $err) = as_mallory("SELECT chameleon.add_source('m', " . lit("$conn\nschema_mappings: {shop: shop}") . ')');
is($rc, 0, 'mallory adds a source') or diag($err);
is($node->safe_psql('postgres', "SELECT owner FROM chameleon.sources WHERE source_name = 'm'"), 'mallory',
	'sources.owner is the role that ran add_source');
($rc, $out, $err) = as_mallory("SELECT chameleon.init_replica('m', wait => true)");
is($rc, 0, 'init_replica as mallory') or diag($err);
is($node->safe_psql('postgres',
		"SELECT string_agg(DISTINCT pg_get_userbyid(c.relowner), ',') FROM pg_class c"
		  . " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'shop' AND c.relkind = 'r'"),
	'mallory', 'the replicated tables belong to mallory');
is($node->safe_psql('postgres', "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'shop'"),
	'mallory', 'so does the schema chameleon created for her');
($rc, $out, $err) = as_mallory("SELECT chameleon.start_replica('m')");
is($rc, 0, 'start_replica as mallory') or diag($err);
$m->sql("INSERT INTO shop.items VALUES (4, 'four', 4); UPDATE shop.items SET n = 20 WHERE id = 2; DELETE FROM shop.items WHERE id = 1");
($rc, $out, $err) = as_mallory("SELECT chameleon.wait_caught_up('m', '60 s')");
is("$rc:$out", '0:t', 'replication as mallory catches up') or diag($err);
is($node->safe_psql('postgres', "SELECT string_agg(id || ':' || n, ',' ORDER BY id) FROM shop.items"),
	'2:20,3:3,4:4', 'rows replicated into her tables');
is($node->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM shop.orders'), '20',
	'the cascade (as her) removed the child row');

# ---- a trigger on her table runs as her: no stored password leaks
$node->psql('postgres', <<'SQL', extra_params => [ '-U', 'mallory' ]);
CREATE FUNCTION shop.steal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public.loot SELECT password FROM chameleon.source_secret;
	RETURN NEW;
END $$;
CREATE TRIGGER steal BEFORE INSERT ON shop.items FOR EACH ROW EXECUTE FUNCTION shop.steal();
ALTER TABLE shop.items ENABLE ALWAYS TRIGGER steal;
SQL
$m->sql("INSERT INTO shop.items VALUES (5, 'five', 5)");
$m->sql("INSERT INTO shop.orders VALUES (30, 3)");
ok(poll_until(sub { $node->safe_psql('postgres', "SELECT NOT enabled FROM chameleon.replica_tables WHERE table_name = 'items'") eq 't' },
		timeout => 60), 'the row whose trigger reads the secrets fails: the table is disabled');
like($node->safe_psql('postgres', "SELECT disabled_reason FROM chameleon.replica_table WHERE table_name = 'items'"),
	qr/permission denied for table source_secret/, 'because the trigger ran as mallory');
is($node->safe_psql('postgres', 'SELECT count(*) FROM public.loot'), '0', 'nothing was copied out');
($rc, $out, $err) = as_mallory("SELECT chameleon.wait_caught_up('m', '60 s')");
is($node->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM shop.orders'), '20,30',
	'the other tables go on');
($rc, $out, $err) = as_mallory('SELECT count(*) FROM chameleon.source_secret');
like($err, qr/permission denied/, 'mallory cannot read the stored passwords');

# ---- sync_tables as mallory puts the table back
as_mallory('DROP TRIGGER steal ON shop.items');
($rc, $out, $err) = as_mallory("SELECT chameleon.sync_tables('m', ARRAY['shop.items'], wait => true)");
is($rc, 0, 'sync_tables as mallory') or diag($err);
($rc, $out, $err) = as_mallory("SELECT chameleon.wait_caught_up('m', '60 s')");
is($node->safe_psql('postgres', "SELECT string_agg(id || ':' || n, ',' ORDER BY id) FROM shop.items"),
	'2:20,3:3,4:4,5:5', 'the synced table has every row');

# ---- a table handed to another role stops receiving rows, with the reason
$node->safe_psql('postgres', 'ALTER TABLE shop.orders OWNER TO alice');
$m->sql('INSERT INTO shop.orders VALUES (40, 4)');
ok(poll_until(sub { $node->safe_psql('postgres', "SELECT NOT enabled FROM chameleon.replica_tables WHERE table_name = 'orders'") eq 't' },
		timeout => 60), 'a table owned by alice is not written by mallory\'s source');
like($node->safe_psql('postgres', "SELECT disabled_reason FROM chameleon.replica_table WHERE table_name = 'orders'"),
	qr/not owned by role "mallory"/, 'the reason names the owner');
is($node->safe_psql('postgres', 'SELECT count(*) FROM shop.orders WHERE id = 40'), '0', 'and the row is not there');
$node->safe_psql('postgres', 'ALTER TABLE shop.orders OWNER TO mallory');

# ---- detach as mallory: foreign keys created as her
($rc, $out, $err) = as_mallory("SELECT chameleon.sync_tables('m', ARRAY['shop.orders'], wait => true)");
is($rc, 0, 'sync_tables of the given-back table') or diag($err);
($rc, $out, $err) = as_mallory("SELECT chameleon.detach_replica('m')");
is($rc, 0, 'detach_replica as mallory') or diag($err);
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_constraint WHERE conrelid = 'shop.orders'::regclass AND contype = 'f' AND convalidated"),
	'1', 'the foreign key exists, validated');

# ---- attacks: alice's schema and table
($rc, $out, $err) = as_mallory("SELECT chameleon.add_source('k', " . lit("$conn\nschema_mappings: {app: app}\nkeep_existing_schema: true") . ')');
is($rc, 0, 'a source mapped into alice\'s schema can be declared') or diag($err);
($rc, $out, $err) = as_mallory("SELECT chameleon.init_replica('k', wait => true)");
isnt($rc, 0, 'keep_existing_schema into alice\'s table: init_replica fails');
like($err, qr/not owned by role "mallory"/, 'with a clear error naming the owner');
is($node->safe_psql('postgres', 'SELECT string_agg(id || v, \',\' ORDER BY id) FROM app.t'), $alice_rows,
	'alice\'s rows are untouched');
as_mallory("SELECT chameleon.drop_source('k')");

($rc, $out, $err) = as_mallory("SELECT chameleon.add_source('r', " . lit("$conn\nschema_mappings: {app: app}") . ')');
($rc, $out, $err) = as_mallory("SELECT chameleon.init_replica('r', wait => true)");
isnt($rc, 0, 'a copy into alice\'s schema fails');
like($err, qr/must be owner of table t|permission denied for schema app/, 'with PostgreSQL\'s own error');
is($node->safe_psql('postgres', 'SELECT string_agg(id || v, \',\' ORDER BY id) FROM app.t'), $alice_rows,
	'alice\'s table is still hers, with her rows');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_namespace WHERE nspname LIKE '\\_chameleon\\_load%'"), '0',
	'no loading schema left behind');
as_mallory("SELECT chameleon.drop_source('r')");

# ---- without CREATE on the database, no schema appears
$node->safe_psql('postgres', 'REVOKE CREATE ON DATABASE postgres FROM mallory');
($rc, $out, $err) = as_mallory("SELECT chameleon.add_source('n', " . lit("$conn\nschema_mappings: {shop: newshop}") . ')');
($rc, $out, $err) = as_mallory("SELECT chameleon.init_replica('n', wait => true)");
isnt($rc, 0, 'without CREATE on the database init_replica fails');
like($err, qr/permission denied for database/, 'with the reason');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_namespace WHERE nspname = 'newshop'"), '0',
	'no schema created');
is($node->safe_psql('postgres', "SELECT count(*) FROM chameleon.show_errors WHERE source_name = 'n'") > 0 ? 1 : 0, 1,
	'the failure is in show_errors');

$node->stop;
$m->stop;
done_testing();
