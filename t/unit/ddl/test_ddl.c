/*-------------------------------------------------------------------------
 *
 * test_ddl.c
 *	  Unit tests of the MySQL DDL translator (src/ddl), TAP output.
 *
 * Each case feeds one MySQL statement to cddl_parse() + cddl_translate()
 * and compares the exact PostgreSQL text (statements joined by newlines),
 * the kept-aside foreign keys, the parsed tree, or the error position and
 * token.  The "pg_chameleon" cases are the statements that are known to
 * stop pg_chameleon's replica (issue 4, proof 3).  Exit status is non-zero
 * when any case fails.  Runs under valgrind without errors or leaks.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cddl.h"
#include "../tap.h"

/* Appends the texts of a statement list, one per line, into buf. */
static void
join(const cddl_sql *s, char *buf, size_t size)
{
	size_t		n = 0;

	buf[0] = '\0';
	for (; s; s = s->next)
	{
		int			k = snprintf(buf + n, size - n, "%s%s", n ? "\n" : "", s->text);

		if (k < 0 || (size_t) k >= size - n)
			return;
		n += (size_t) k;
	}
}

/* Translates every statement of sql with opts; joins statements/fks/notes. */
static bool
run(const char *sql, const cddl_options *opts, char *stmts, char *fks,
	char *notes, size_t size, cddl_error *err)
{
	cddl_doc   *doc = cddl_parse(sql, strlen(sql), err);
	const cddl_stmt *st;

	stmts[0] = fks[0] = notes[0] = '\0';
	if (doc == NULL)
		return false;
	for (st = doc->stmts; st; st = st->next)
	{
		cddl_output out;
		size_t		n;

		if (!cddl_translate(doc, st, opts, &out, err))
		{
			cddl_doc_free(doc);
			return false;
		}
		n = strlen(stmts);
		join(out.statements, stmts + n + (n ? 1 : 0), size - n - 1);
		if (n && stmts[n + 1])
			stmts[n] = '\n';
		n = strlen(fks);
		join(out.foreign_keys, fks + n + (n ? 1 : 0), size - n - 1);
		if (n && fks[n + 1])
			fks[n] = '\n';
		n = strlen(notes);
		join(out.notes, notes + n + (n ? 1 : 0), size - n - 1);
		if (n && notes[n + 1])
			notes[n] = '\n';
	}
	cddl_doc_free(doc);
	return true;
}

static cddl_options default_opts = {.target_schema = "public", .mysql_schema = "db"};

/* Checks the statements produced for sql. */
static void
expect_opts(const char *name, const char *sql, const cddl_options *opts,
			const char *expected)
{
	static char stmts[65536],
				fks[65536],
				notes[65536];
	cddl_error	err;
	bool		good = run(sql, opts, stmts, fks, notes, sizeof(stmts), &err);

	if (!good)
		printf("# error: %s at %zu (%s)\n", err.message, err.position, err.token);
	else if (strcmp(stmts, expected) != 0)
		printf("# input:    %s\n# expected: %s\n# got:      %s\n", sql, expected, stmts);
	ok(good && strcmp(stmts, expected) == 0, name);
}

/* Checks the statements produced for sql with the default options. */
static void
expect(const char *name, const char *sql, const char *expected)
{
	expect_opts(name, sql, &default_opts, expected);
}

/* Checks the foreign keys kept aside for sql. */
static void
expect_fk(const char *name, const char *sql, const char *expected)
{
	static char stmts[65536],
				fks[65536],
				notes[65536];
	cddl_error	err;
	bool		good = run(sql, &default_opts, stmts, fks, notes, sizeof(stmts), &err);

	if (good && strcmp(fks, expected) != 0)
		printf("# expected: %s\n# got:      %s\n", expected, fks);
	ok(good && strcmp(fks, expected) == 0, name);
}

/* Checks that a note containing the text is produced for sql. */
static void
expect_note(const char *name, const char *sql, const char *fragment)
{
	static char stmts[65536],
				fks[65536],
				notes[65536];
	cddl_error	err;
	bool		good = run(sql, &default_opts, stmts, fks, notes, sizeof(stmts), &err);

	if (good && strstr(notes, fragment) == NULL)
		printf("# notes: %s\n", notes);
	ok(good && strstr(notes, fragment) != NULL, name);
}

/* Checks that sql is rejected at byte position pos with the given token. */
static void
expect_error(const char *name, const char *sql, size_t pos, const char *token)
{
	cddl_error	err;
	cddl_doc   *doc = cddl_parse(sql, strlen(sql), &err);
	bool		good = doc == NULL && err.set && err.position == pos &&
		strcmp(err.token, token) == 0;

	if (!good)
		printf("# got %s: \"%s\" at %zu token \"%s\"\n", doc ? "success" : "error",
			   err.message, err.position, err.token);
	cddl_doc_free(doc);
	ok(good, name);
}

/* Checks the kind of the first statement of sql. */
static void
expect_kind(const char *name, const char *sql, cddl_stmt_kind kind)
{
	cddl_error	err;
	cddl_doc   *doc = cddl_parse(sql, strlen(sql), &err);
	bool		good = doc != NULL && doc->stmts != NULL && doc->stmts->kind == kind;

	if (!good)
		printf("# %s\n", doc ? cddl_stmt_kind_name(doc->stmts ? doc->stmts->kind : CDDL_STMT_IGNORED) : err.message);
	cddl_doc_free(doc);
	ok(good, name);
}

/* The cases from issue 4, proof 3: each one stopped pg_chameleon. */
static void
test_pg_chameleon_failures(void)
{
	const char *fk =
		"CREATE TABLE child (id int NOT NULL AUTO_INCREMENT, parent_id int NOT NULL, "
		"PRIMARY KEY (id), KEY parent_id (parent_id), CONSTRAINT fk_parent FOREIGN KEY "
		"(parent_id) REFERENCES parent (id) ON DELETE CASCADE) ENGINE=InnoDB";

	expect("pg_chameleon: CREATE TABLE with FOREIGN KEY ... ON DELETE CASCADE", fk,
		   "CREATE TABLE public.child (id integer GENERATED BY DEFAULT AS IDENTITY NOT NULL, "
		   "parent_id integer NOT NULL, CONSTRAINT child_pkey PRIMARY KEY (id))\n"
		   "CREATE INDEX child_parent_id ON public.child (parent_id)");
	expect_fk("pg_chameleon: the foreign key is kept aside", fk,
			  "ALTER TABLE public.child ADD CONSTRAINT fk_parent FOREIGN KEY (parent_id) "
			  "REFERENCES public.parent (id) ON DELETE CASCADE NOT VALID");
	expect("pg_chameleon: DROP TABLE a, b", "DROP TABLE a, b",
		   "DROP TABLE IF EXISTS public.a, public.b");
	expect("pg_chameleon: ALTER TABLE t ENGINE=InnoDB", "ALTER TABLE t ENGINE=InnoDB", "");
	expect("pg_chameleon: ALTER TABLE t ALTER COLUMN c SET DEFAULT 5",
		   "ALTER TABLE t ALTER COLUMN c SET DEFAULT 5",
		   "ALTER TABLE public.t ALTER COLUMN c SET DEFAULT '5'");
	expect("pg_chameleon: ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
		   "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4", "");
	expect("pg_chameleon: DEFAULT CURRENT_TIMESTAMP(3)",
		   "CREATE TABLE t (id int PRIMARY KEY, ts datetime(3) DEFAULT CURRENT_TIMESTAMP(3))",
		   "CREATE TABLE public.t (id integer NOT NULL, ts timestamp(3) without time zone "
		   "DEFAULT CURRENT_TIMESTAMP, CONSTRAINT t_pkey PRIMARY KEY (id))");
	expect("pg_chameleon: CREATE TABLE `my-table`",
		   "CREATE TABLE `my-table` (`my-col` varchar(10))",
		   "CREATE TABLE public.\"my-table\" (\"my-col\" character varying(10))");
	expect("pg_chameleon: multi-line comment before DROP TABLE",
		   "/* multi\nline */ DROP TABLE t5", "DROP TABLE IF EXISTS public.t5");
	expect("pg_chameleon: ALTER TABLE t ADD INDEX idx_c (c)",
		   "ALTER TABLE t ADD INDEX idx_c (c)", "CREATE INDEX t_idx_c ON public.t (c)");
	expect("pg_chameleon: DROP PRIMARY KEY, ADD PRIMARY KEY (a,b)",
		   "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a,b)",
		   "ALTER TABLE public.t DROP CONSTRAINT IF EXISTS t_pkey\n"
		   "ALTER TABLE public.t ADD CONSTRAINT t_pkey PRIMARY KEY (a, b)");
	expect("pg_chameleon: RENAME TABLE a TO b, c TO d", "RENAME TABLE a TO b, c TO d",
		   "ALTER TABLE public.a RENAME TO b\n"
		   "ALTER INDEX IF EXISTS public.a_pkey RENAME TO b_pkey\n"
		   "ALTER TABLE public.c RENAME TO d\n"
		   "ALTER INDEX IF EXISTS public.c_pkey RENAME TO d_pkey");
	expect("pg_chameleon: ALTER TABLE t ADD PARTITION",
		   "ALTER TABLE t ADD PARTITION (PARTITION p3 VALUES LESS THAN (2000), "
		   "PARTITION p4 VALUES LESS THAN MAXVALUE)", "");
	expect("pg_chameleon: CREATE TABLE t LIKE s", "CREATE TABLE t LIKE s",
		   "CREATE TABLE public.t (LIKE public.s INCLUDING ALL)\n"
		   "DO 'DECLARE r record; BEGIN FOR r IN SELECT n.relname AS newname, o.relname AS oldname FROM (SELECT c.relname, row_number() OVER (ORDER BY c.oid) AS k FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ''public.t''::regclass) n JOIN (SELECT c.relname, row_number() OVER (ORDER BY c.oid) AS k FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ''public.s''::regclass) o USING (k) LOOP IF left(r.oldname, length(''s'') + 1) = ''s'' || ''_'' AND r.newname <> ''t'' || substr(r.oldname, length(''s'') + 1) THEN EXECUTE format(''ALTER INDEX %I.%I RENAME TO %I'', ''public'', r.newname, ''t'' || substr(r.oldname, length(''s'') + 1)); END IF; END LOOP; END'");
}

/* Lexer features. */
static void
test_lexer(void)
{
	expect("doubled backquotes", "DROP TABLE `a``b`", "DROP TABLE IF EXISTS public.\"a`b\"");
	expect("unicode identifier", "DROP TABLE `tâble`", "DROP TABLE IF EXISTS public.\"tâble\"");
	expect("unquoted unicode identifier", "DROP TABLE tâble", "DROP TABLE IF EXISTS public.\"tâble\"");
	expect("identifier starting with digits", "DROP TABLE 1st_table", "DROP TABLE IF EXISTS public.\"1st_table\"");
	expect("upper-case identifier is quoted", "DROP TABLE Users", "DROP TABLE IF EXISTS public.\"Users\"");
	expect("reserved word is quoted", "DROP TABLE `select`, `user`, `order`",
		   "DROP TABLE IF EXISTS public.\"select\", public.\"user\", public.\"order\"");
	expect("unreserved keyword is not quoted", "DROP TABLE `account`",
		   "DROP TABLE IF EXISTS public.account");
	expect("injection in a table name is one identifier",
		   "CREATE TABLE `x\"; DROP TABLE y; --` (a int)",
		   "CREATE TABLE public.\"x\"\"; DROP TABLE y; --\" (a integer)");
	expect("# comment", "# hello\nDROP TABLE t # bye", "DROP TABLE IF EXISTS public.t");
	expect("-- comment", "-- hello\nDROP TABLE t -- bye", "DROP TABLE IF EXISTS public.t");
	expect("executable comment content is parsed",
		   "CREATE TABLE t (a int) /*!50100 ENGINE=InnoDB */ /*!50100 PARTITION BY HASH (a) PARTITIONS 4 */",
		   "CREATE TABLE public.t (a integer)");
	expect("MariaDB executable comment", "DROP TABLE /*M!100000 IF EXISTS */ t",
		   "DROP TABLE IF EXISTS public.t");
	expect("optimizer hint comment", "DROP /*+ hint */ TABLE t", "DROP TABLE IF EXISTS public.t");
	expect("string escapes", "CREATE TABLE t (a varchar(10) DEFAULT 'it\\'s\\n')",
		   "CREATE TABLE public.t (a character varying(10) DEFAULT 'it''s\n')");
	expect("backslash default uses E''", "CREATE TABLE t (a varchar(10) DEFAULT 'a\\\\b')",
		   "CREATE TABLE public.t (a character varying(10) DEFAULT E'a\\\\b')");
	expect("double-quoted string default", "CREATE TABLE t (a varchar(10) DEFAULT \"x'y\")",
		   "CREATE TABLE public.t (a character varying(10) DEFAULT 'x''y')");
	expect("_utf8mb4 introducer", "CREATE TABLE t (a varchar(10) DEFAULT _utf8mb4'abc')",
		   "CREATE TABLE public.t (a character varying(10) DEFAULT 'abc')");
	expect("X'' default on binary", "CREATE TABLE t (a varbinary(4) DEFAULT X'0A0b')",
		   "CREATE TABLE public.t (a bytea DEFAULT E'\\\\x0a0b'::bytea)");
	expect("b'' default on bit", "CREATE TABLE t (a bit(4) DEFAULT b'101')",
		   "CREATE TABLE public.t (a bit(4) DEFAULT B'0101')");
	expect("0x default on int", "CREATE TABLE t (a int DEFAULT 0x10)",
		   "CREATE TABLE public.t (a integer DEFAULT 16)");
	expect("negative default", "CREATE TABLE t (a int DEFAULT -1)",
		   "CREATE TABLE public.t (a integer DEFAULT (-1))");
	expect("several statements", "DROP TABLE a; DROP TABLE b;",
		   "DROP TABLE IF EXISTS public.a\nDROP TABLE IF EXISTS public.b");
	expect("schema-qualified names", "DROP TABLE db.a, `db`.`b`",
		   "DROP TABLE IF EXISTS public.a, public.b");
}

/* SPEC section 5 type table, one column per row. */
static void
test_types(void)
{
	expect("integer types",
		   "CREATE TABLE t (a tinyint, b smallint, c tinyint unsigned, d mediumint, "
		   "e mediumint unsigned, f smallint unsigned, g int, h int unsigned, i bigint, "
		   "j bigint unsigned, k int(11) zerofill, l bool, m integer)",
		   "CREATE TABLE public.t (a smallint, b smallint, c smallint, d integer, "
		   "e integer, f integer, g integer, h bigint, i bigint, j numeric(20,0), "
		   "k bigint, l smallint, m integer)");
	expect("numeric types",
		   "CREATE TABLE t (a decimal(10,2), b decimal(5), c decimal, d float, e double, "
		   "f double precision, g real, h float(30), i numeric(65,30) unsigned)",
		   "CREATE TABLE public.t (a numeric(10,2), b numeric(5,0), c numeric(10,0), d real, "
		   "e double precision, f double precision, g double precision, h double precision, "
		   "i numeric(65,30))");
	expect("bit and year", "CREATE TABLE t (a bit(1), b bit(64), c bit, d year, e year(4))",
		   "CREATE TABLE public.t (a bit(1), b bit(64), c bit(1), d smallint, e smallint)");
	expect("temporal types",
		   "CREATE TABLE t (a date, b datetime, c datetime(6), d timestamp, e timestamp(3), "
		   "f time, g time(2))",
		   "CREATE TABLE public.t (a date, b timestamp without time zone, "
		   "c timestamp(6) without time zone, d timestamp with time zone, "
		   "e timestamp(3) with time zone, f time without time zone, g time(2) without time zone)");
	expect("string types",
		   "CREATE TABLE t (a char(3), b varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, "
		   "c tinytext, d text, e mediumtext, f longtext, g char, h national varchar(5), "
		   "i nchar(2))",
		   "CREATE TABLE public.t (a character(3), b character varying(255), c text, d text, "
		   "e text, f text, g character(1), h character varying(5), i character(2))");
	expect("binary types",
		   "CREATE TABLE t (a binary(16), b varbinary(20), c tinyblob, d blob, e mediumblob, "
		   "f longblob, g varchar(10) CHARACTER SET binary)",
		   "CREATE TABLE public.t (a bytea, b bytea, c bytea, d bytea, e bytea, f bytea, g bytea)");
	expect("set and json", "CREATE TABLE t (a set('x','y'), b json)",
		   "CREATE TABLE public.t (a text, b jsonb)");
	expect("MariaDB json (longtext + json_valid)",
		   "CREATE TABLE t (j longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL "
		   "CHECK (json_valid(`j`)))",
		   "CREATE TABLE public.t (j jsonb)");
	expect("geometry types",
		   "CREATE TABLE t (a geometry, b point NOT NULL, c polygon, d geometrycollection)",
		   "CREATE TABLE public.t (a bytea, b bytea NOT NULL, c bytea, d bytea)");
	{
		cddl_options o = default_opts;

		o.postgis = true;
		expect_opts("geometry with PostGIS", "CREATE TABLE t (a geometry, SPATIAL KEY sa (a))", &o,
					"CREATE TABLE public.t (a geometry)\n"
					"CREATE INDEX t_sa ON public.t USING gist (a)");
		expect_opts("every geometry type with PostGIS",
					"CREATE TABLE t (a point, b linestring, c polygon, d multipoint, "
					"e multilinestring, f multipolygon, g geometrycollection, h geomcollection, "
					"i geometry)", &o,
					"CREATE TABLE public.t (a geometry(Point), b geometry(LineString), "
					"c geometry(Polygon), d geometry(MultiPoint), e geometry(MultiLineString), "
					"f geometry(MultiPolygon), g geometry, h geometry, i geometry)");
		expect_opts("MariaDB REF_SYSTEM_ID with PostGIS",
					"CREATE TABLE t (a point REF_SYSTEM_ID=4326 NOT NULL, b geometry REF_SYSTEM_ID = 3857, "
					"c geometrycollection REF_SYSTEM_ID=4326, d polygon REF_SYSTEM_ID=0)", &o,
					"CREATE TABLE public.t (a geometry(Point,4326) NOT NULL, b geometry(Geometry,3857), "
					"c geometry(Geometry,4326), d geometry(Polygon))");
		expect_opts("MySQL 8 SRID (SHOW CREATE TABLE's versioned comment) with PostGIS",
					"CREATE TABLE t (a point NOT NULL /*!80003 SRID 4326 */, b multipolygon SRID 2154)", &o,
					"CREATE TABLE public.t (a geometry(Point,4326) NOT NULL, b geometry(MultiPolygon,2154))");
		expect_opts("an SRID beyond PostGIS's range is left out",
					"CREATE TABLE t (a point SRID 4294967295, b point SRID 1000000)", &o,
					"CREATE TABLE public.t (a geometry(Point), b geometry(Point))");
		expect_opts("ALTER TABLE ADD and MODIFY geometry with PostGIS",
					"ALTER TABLE t ADD COLUMN p point SRID 4326, MODIFY l linestring NOT NULL", &o,
					"ALTER TABLE public.t ADD COLUMN p geometry(Point,4326)\n"
					"ALTER TABLE public.t ALTER COLUMN l DROP IDENTITY IF EXISTS\n"
					"ALTER TABLE public.t ALTER COLUMN l DROP DEFAULT, ALTER COLUMN l TYPE geometry(LineString) "
					"USING l::geometry(LineString), ALTER COLUMN l SET NOT NULL");
	}
	expect("geometry SRID without PostGIS",
		   "CREATE TABLE t (a point REF_SYSTEM_ID=4326, b polygon SRID 4326, SPATIAL KEY (a))",
		   "CREATE TABLE public.t (a bytea, b bytea)");
	expect("enum type", "CREATE TABLE t (e enum('a','b''c') NOT NULL DEFAULT 'a')",
		   "DO $chameleon$BEGIN CREATE TYPE public.t_e AS ENUM ('a', 'b''c'); "
		   "EXCEPTION WHEN duplicate_object THEN ALTER TYPE public.t_e ADD VALUE IF NOT EXISTS 'a'; "
		   "ALTER TYPE public.t_e ADD VALUE IF NOT EXISTS 'b''c' AFTER 'a'; END$chameleon$\n"
		   "CREATE TABLE public.t (e public.t_e DEFAULT 'a' NOT NULL)");
	expect("enum labels holding dollar-quote tags",
		   "CREATE TABLE t (e enum('$chameleon$','$chameleon12$x'))",
		   "DO $chameleon111$BEGIN CREATE TYPE public.t_e AS ENUM ('$chameleon$', '$chameleon12$x'); "
		   "EXCEPTION WHEN duplicate_object THEN ALTER TYPE public.t_e ADD VALUE IF NOT EXISTS '$chameleon$'; "
		   "ALTER TYPE public.t_e ADD VALUE IF NOT EXISTS '$chameleon12$x' AFTER '$chameleon$'; END$chameleon111$\n"
		   "CREATE TABLE public.t (e public.t_e)");
	expect("MariaDB types", "CREATE TABLE t (a inet6, b uuid, c inet4)",
		   "CREATE TABLE public.t (a inet, b uuid, c inet)");
}

/* type_override (SPEC section 3). */
static void
test_type_override(void)
{
	static const char *const all[] = {"*"};
	static const char *const one[] = {"db.t"};
	cddl_type_override ov[2] = {
		{"tinyint(1)", "boolean", all, 1},
		{"int(10) unsigned", "integer", one, 1}
	};
	cddl_options o = default_opts;

	o.overrides = ov;
	o.noverrides = 2;
	expect_opts("override tinyint(1) -> boolean for *",
				"CREATE TABLE t (a tinyint(1) NOT NULL DEFAULT 0, b tinyint(4), c bool DEFAULT 1)", &o,
				"CREATE TABLE public.t (a boolean DEFAULT false NOT NULL, b smallint, c boolean DEFAULT true)");
	expect_opts("override for one table", "CREATE TABLE t (a int unsigned)", &o,
				"CREATE TABLE public.t (a integer)");
	expect_opts("override not for another table", "CREATE TABLE u (a int(10) unsigned)", &o,
				"CREATE TABLE public.u (a bigint)");
	expect_opts("override with qualified table", "CREATE TABLE db.t (a int(10) unsigned)", &o,
				"CREATE TABLE public.t (a integer)");
	expect_opts("override in MODIFY",
				"ALTER TABLE t MODIFY a tinyint(1) NOT NULL", &o,
				"ALTER TABLE public.t ALTER COLUMN a DROP IDENTITY IF EXISTS\n"
				"ALTER TABLE public.t ALTER COLUMN a DROP DEFAULT, ALTER COLUMN a TYPE boolean "
				"USING a::text::boolean, ALTER COLUMN a SET NOT NULL");
}

/* Defaults, identity, keys in CREATE TABLE. */
static void
test_create(void)
{
	expect("defaults",
		   "CREATE TABLE t (a int DEFAULT NULL, b varchar(5) NOT NULL DEFAULT '', "
		   "c timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(), "
		   "d datetime DEFAULT '0000-00-00 00:00:00', e date DEFAULT '2020-01-02', "
		   "f decimal(5,2) DEFAULT 1.50, g double DEFAULT 1e3, h date DEFAULT curdate())",
		   "CREATE TABLE public.t (a integer, b character varying(5) DEFAULT '' NOT NULL, "
		   "c timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL, "
		   "d timestamp without time zone, e date DEFAULT '2020-01-02', "
		   "f numeric(5,2) DEFAULT 1.50, g double precision DEFAULT 1e3, h date DEFAULT CURRENT_DATE)");
	expect_note("zero date dropped with a reason",
				"CREATE TABLE t (d datetime DEFAULT '0000-00-00 00:00:00')", "zero date");
	expect_note("untranslatable expression dropped with a reason",
				"CREATE TABLE t (a int DEFAULT (1 + rand()))", "expression not translated");
	expect("keys of every kind",
		   "CREATE TABLE t (id bigint unsigned NOT NULL AUTO_INCREMENT, a varchar(200), "
		   "b int, c text, PRIMARY KEY (id), UNIQUE KEY ua (a(10)), KEY kb (b DESC, a), "
		   "FULLTEXT KEY fc (c), INDEX (b)) AUTO_INCREMENT=42",
		   "CREATE SEQUENCE IF NOT EXISTS public.t_id_seq START WITH 42\n"
		   "CREATE TABLE public.t (id numeric(20,0) DEFAULT nextval('public.t_id_seq'::regclass) NOT NULL, "
		   "a character varying(200), b integer, c text, CONSTRAINT t_pkey PRIMARY KEY (id))\n"
		   "ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id\n"
		   "CREATE UNIQUE INDEX t_ua ON public.t (a)\n"
		   "CREATE INDEX t_kb ON public.t (b DESC, a)\n"
		   "CREATE INDEX t_b ON public.t (b)");
	expect("identity start", "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY) AUTO_INCREMENT=7",
		   "CREATE TABLE public.t (id integer GENERATED BY DEFAULT AS IDENTITY (START WITH 7) NOT NULL, "
		   "CONSTRAINT t_pkey PRIMARY KEY (id))");
	expect("inline unique and comments",
		   "CREATE TABLE IF NOT EXISTS t (a int UNIQUE COMMENT 'the a') COMMENT='table t'",
		   "CREATE TABLE IF NOT EXISTS public.t (a integer)\n"
		   "CREATE UNIQUE INDEX IF NOT EXISTS t_a ON public.t (a)\n"
		   "COMMENT ON COLUMN public.t.a IS 'the a'\n"
		   "COMMENT ON TABLE public.t IS 'table t'");
	expect("generated and invisible columns",
		   "CREATE TABLE t (a int, b int AS (a * 2) VIRTUAL, c int GENERATED ALWAYS AS (a + 1) STORED, "
		   "d int INVISIBLE)",
		   "CREATE TABLE public.t (a integer, b integer, c integer, d integer)");
	expect("SHOW CREATE TABLE output",
		   "CREATE TABLE `actor` (\n"
		   "  `actor_id` smallint(5) unsigned NOT NULL AUTO_INCREMENT,\n"
		   "  `first_name` varchar(45) NOT NULL,\n"
		   "  `last_update` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n"
		   "  PRIMARY KEY (`actor_id`),\n"
		   "  KEY `idx_actor_last_name` (`first_name`)\n"
		   ") ENGINE=InnoDB AUTO_INCREMENT=201 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
		   "CREATE TABLE public.actor (actor_id integer GENERATED BY DEFAULT AS IDENTITY (START WITH 201) NOT NULL, "
		   "first_name character varying(45) NOT NULL, "
		   "last_update timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL, "
		   "CONSTRAINT actor_pkey PRIMARY KEY (actor_id))\n"
		   "CREATE INDEX actor_idx_actor_last_name ON public.actor (first_name)");
	expect("partitioned table",
		   "CREATE TABLE t (a int, b date) PARTITION BY RANGE (YEAR(b)) "
		   "(PARTITION p0 VALUES LESS THAN (2000), PARTITION p1 VALUES LESS THAN MAXVALUE)",
		   "CREATE TABLE public.t (a integer, b date)");
	expect("CREATE OR REPLACE TABLE", "CREATE OR REPLACE TABLE t (a int)",
		   "DROP TABLE IF EXISTS public.t\nCREATE TABLE public.t (a integer)");
	{
		/* derived names longer than 63 bytes: cut, plus a hash of the full name */
		static char s1[65536],
					s2[65536],
					f[65536],
					n[65536];
		cddl_error	err;
		const char *prefix = "CREATE INDEX a_very_long_table_name_that_goes_on_and_on_a_very_long_";
		bool		ok1 = run("CREATE INDEX a_very_long_index_name_that_goes_on_and_on_and_on_forever ON "
							  "a_very_long_table_name_that_goes_on_and_on (a)",
							  &default_opts, s1, f, n, sizeof(s1), &err);
		bool		ok2 = run("CREATE INDEX a_very_long_index_name_that_goes_on_and_on_and_on_forevex ON "
							  "a_very_long_table_name_that_goes_on_and_on (a)",
							  &default_opts, s2, f, n, sizeof(s2), &err);
		size_t		pl = strlen(prefix);

		ok(ok1 && ok2 && strncmp(s1, prefix, pl) == 0 && strncmp(s2, prefix, pl) == 0 &&
			   strlen(s1) > pl + 8 && strncmp(s1 + pl + 8, " ON ", 4) == 0 &&
			   strcmp(s1, s2) != 0 && pl + 8 - strlen("CREATE INDEX ") == 63,
			   "long derived names are cut to 63 bytes and stay distinct");
		if (!(ok1 && ok2))
			printf("# %s\n", err.message);
		else
			printf("# %s\n# %s\n", s1, s2);
	}
	{
		cddl_options o = default_opts;

		o.defer_keys = true;
		expect_opts("defer_keys leaves the keys out of the pre-data statements",
					"CREATE TABLE t (a int NOT NULL, b int, PRIMARY KEY (a), KEY kb (b))", &o,
					"CREATE TABLE public.t (a integer NOT NULL, b integer)");
	}
}

/* The initial copy's split: cddl_translate_table(), pre-data and post-data. */
static void
test_initial_copy(void)
{
	static const char *const all[] = {"*"};
	static const char *const other[] = {"db.other"};
	cddl_type_override ov[2] = {
		{"tinyint(1)", "boolean", all, 1},
		{"int(11)", "text", other, 1}
	};
	cddl_options o = default_opts;
	const char *show =
		"CREATE TABLE `film` (\n"
		"  `film_id` smallint(5) unsigned NOT NULL AUTO_INCREMENT,\n"
		"  `title` varchar(128) NOT NULL,\n"
		"  `rating` enum('G','PG') DEFAULT 'G',\n"
		"  `active` tinyint(1) NOT NULL DEFAULT 1,\n"
		"  `n` int(11) DEFAULT NULL COMMENT 'count',\n"
		"  PRIMARY KEY (`film_id`),\n"
		"  UNIQUE KEY `uk_title` (`title`(20)),\n"
		"  KEY `idx_n` (`n`),\n"
		"  CONSTRAINT `fk_n` FOREIGN KEY (`n`) REFERENCES `other` (`id`)\n"
		") ENGINE=InnoDB AUTO_INCREMENT=42 DEFAULT CHARSET=utf8mb4";
	char		pre[8192],
				post[8192],
				fks[8192];
	cddl_output out;
	cddl_error	err;
	cddl_doc   *doc;

	o.target_schema = "load";
	o.overrides = ov;
	o.noverrides = 2;
	doc = cddl_translate_table(show, strlen(show), &o, &out, &err);
	if (doc == NULL)
		printf("# error: %s at %zu (%s)\n", err.message, err.position, err.token);
	join(doc ? out.statements : NULL, pre, sizeof(pre));
	join(doc ? out.post_data : NULL, post, sizeof(post));
	join(doc ? out.foreign_keys : NULL, fks, sizeof(fks));
	ok(doc != NULL && strcmp(pre,
								 "DO $chameleon$BEGIN CREATE TYPE load.film_rating AS ENUM ('G', 'PG'); "
								 "EXCEPTION WHEN duplicate_object THEN ALTER TYPE load.film_rating ADD VALUE IF NOT EXISTS 'G'; "
								 "ALTER TYPE load.film_rating ADD VALUE IF NOT EXISTS 'PG' AFTER 'G'; END$chameleon$\n"
								 "CREATE TABLE load.film (film_id integer GENERATED BY DEFAULT AS IDENTITY (START WITH 42) NOT NULL, "
								 "title character varying(128) NOT NULL, rating load.film_rating DEFAULT 'G', "
								 "active boolean DEFAULT true NOT NULL, n integer)") == 0 &&
		   out.nstatements == 2,
		   "initial copy: pre-data creates the types and the table, without keys");
	if (doc)
		printf("# pre-data: %s\n", pre);
	ok(doc != NULL && strcmp(post,
								 "ALTER TABLE load.film ADD CONSTRAINT film_pkey PRIMARY KEY (film_id)\n"
								 "CREATE UNIQUE INDEX film_uk_title ON load.film (title)\n"
								 "CREATE INDEX film_idx_n ON load.film (n)\n"
								 "COMMENT ON COLUMN load.film.n IS 'count'") == 0 &&
		   out.npost_data == 4,
		   "initial copy: post-data builds the keys and indexes after the data");
	if (doc)
		printf("# post-data: %s\n", post);
	ok(doc != NULL && strcmp(fks,
								 "ALTER TABLE load.film ADD CONSTRAINT fk_n FOREIGN KEY (n) "
								 "REFERENCES load.other (id) NOT VALID") == 0,
		   "initial copy: foreign keys kept aside");
	ok(doc != NULL && doc->stmts->columns != NULL &&
		   strcmp(doc->stmts->columns->name, "film_id") == 0,
		   "initial copy: the parsed table is returned");
	cddl_doc_free(doc);

	doc = cddl_translate_table("DROP TABLE t", 12, &o, &out, &err);
	ok(doc == NULL && err.set && out.statements == NULL && out.post_data == NULL,
		   "initial copy: anything but CREATE TABLE is refused");
	cddl_doc_free(doc);
	doc = cddl_translate_table("CREATE TABLE a (i int); CREATE TABLE b (i int)", 46,
							   &o, &out, &err);
	ok(doc == NULL && err.set, "initial copy: two statements are refused");
	cddl_doc_free(doc);
	doc = cddl_translate_table("CREATE TABLE a (i int", 21, NULL, &out, &err);
	ok(doc == NULL && err.set && err.position == 21,
		   "initial copy: a syntax error carries its position");
	cddl_doc_free(doc);
}

/* MariaDB forms found in the mysql-test corpus (engine attributes, periods...). */
static void
test_mariadb_forms(void)
{
	expect("engine-defined table option, backquoted (SHOW CREATE TABLE)",
		   "CREATE TABLE t (id int NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB `PAGE_COMPRESSED`='1' `x y`=2",
		   "CREATE TABLE public.t (id integer NOT NULL, CONSTRAINT t_pkey PRIMARY KEY (id))");
	expect("engine-defined column and index attributes",
		   "CREATE TABLE t (a int fkey=vvv, b char(10) FIELD_FORMAT='X' `o`=1, KEY ka (a) kkey=v) tkey=1",
		   "CREATE TABLE public.t (a integer, b character(10))\n"
		   "CREATE INDEX t_ka ON public.t (a)");
	expect("engine-defined attributes in ALTER TABLE",
		   "ALTER TABLE t MODIFY d CHAR(10) NOT NULL XPATH='@', ADD KEY kb (b) kk=v",
		   "ALTER TABLE public.t ALTER COLUMN d DROP IDENTITY IF EXISTS\n"
		   "ALTER TABLE public.t ALTER COLUMN d DROP DEFAULT, ALTER COLUMN d TYPE character(10) "
		   "USING d::character(10), ALTER COLUMN d SET NOT NULL\n"
		   "CREATE INDEX t_kb ON public.t (b)");
	expect("system versioning: AS ROW START/END columns are NOT NULL",
		   "CREATE TABLE t (a int, s bigint unsigned as row start, e bigint unsigned as row end, "
		   "period for system_time(s, e)) WITH SYSTEM VERSIONING",
		   "CREATE TABLE public.t (a integer, s numeric(20,0) NOT NULL, e numeric(20,0) NOT NULL)");
	expect("application period: WITHOUT OVERLAPS keys use the period's columns",
		   "CREATE TABLE t (id int NOT NULL, s date NOT NULL, e date NOT NULL, "
		   "PERIOD FOR app (s, e), UNIQUE KEY uk (id, app WITHOUT OVERLAPS), "
		   "PRIMARY KEY (id, app WITHOUT OVERLAPS))",
		   "CREATE TABLE public.t (id integer NOT NULL, s date NOT NULL, e date NOT NULL, "
		   "CONSTRAINT t_pkey PRIMARY KEY (id, e, s))\n"
		   "CREATE UNIQUE INDEX t_uk ON public.t (id, e, s)");
	expect_note("WITHOUT OVERLAPS is noted",
				"CREATE TABLE t (id int, s date, e date, PERIOD FOR app (s, e), "
				"UNIQUE KEY uk (id, app WITHOUT OVERLAPS))", "WITHOUT OVERLAPS");
	expect("WITHOUT OVERLAPS in ALTER TABLE: no index (period unknown)",
		   "ALTER TABLE t ADD UNIQUE KEY uk (id, p WITHOUT OVERLAPS)", "");
	expect_fk("inline REFERENCES become foreign keys",
			  "CREATE TABLE t (x int references p(x), y int constraint fk references p(y) on delete cascade)",
			  "ALTER TABLE public.t ADD CONSTRAINT t_x_fkey FOREIGN KEY (x) REFERENCES public.p (x) NOT VALID\n"
			  "ALTER TABLE public.t ADD CONSTRAINT fk FOREIGN KEY (y) REFERENCES public.p (y) ON DELETE CASCADE NOT VALID");
	expect_kind("CREATE TABLE without columns (engine discovery) is recognised",
				"CREATE TABLE t1 ENGINE=CONNECT TABLE_TYPE=ODBC CATFUNC=Sources",
				CDDL_STMT_CREATE_TABLE_SELECT);
	expect_error("CREATE TABLE without columns nor engine is an error",
				 "CREATE TABLE t1", 15, "");
	expect("ALTER TABLE CONVERT PARTITION/TABLE: no PostgreSQL action",
		   "ALTER TABLE t1 CONVERT PARTITION p2 TO TABLE tp2; "
		   "ALTER TABLE t CONVERT TABLE tp TO PARTITION p0 VALUES LESS THAN (10)", "");
	expect("ADD CONSTRAINT IF NOT EXISTS ... CHECK",
		   "ALTER TABLE t1 ADD CONSTRAINT IF NOT EXISTS `min` CHECK (a+b > 100)", "");
	expect("DEFAULT NEXT VALUE FOR a sequence is dropped",
		   "CREATE TABLE t (a int DEFAULT NEXT VALUE FOR s1, b int DEFAULT (previous value for db.s2))",
		   "CREATE TABLE public.t (a integer, b integer)");
	expect("trailing REMOVE PARTITIONING",
		   "ALTER TABLE t1 ADD COLUMN b int REMOVE PARTITIONING",
		   "ALTER TABLE public.t1 ADD COLUMN b integer");
	expect("mariadb_schema.date",
		   "CREATE TABLE t (a mariadb_schema.date)", "CREATE TABLE public.t (a date)");
	expect("_charset 0x.. default and qualified column default",
		   "CREATE TABLE t (a char(1) DEFAULT _latin1 0x41, x int, y int DEFAULT test.t.x)",
		   "CREATE TABLE public.t (a character(1), x integer, y integer)");
}

/* ALTER TABLE actions. */
static void
test_alter(void)
{
	expect("ADD COLUMN nullable", "ALTER TABLE t ADD COLUMN c varchar(10) AFTER b",
		   "ALTER TABLE public.t ADD COLUMN c character varying(10)");
	expect("ADD COLUMN NOT NULL fills existing rows like MySQL",
		   "ALTER TABLE t ADD c int NOT NULL",
		   "ALTER TABLE public.t ADD COLUMN c integer NOT NULL DEFAULT 0\n"
		   "ALTER TABLE public.t ALTER COLUMN c DROP DEFAULT");
	expect("ADD several columns", "ALTER TABLE t ADD (a int, b text), ADD COLUMN c int DEFAULT 3",
		   "ALTER TABLE public.t ADD COLUMN a integer\n"
		   "ALTER TABLE public.t ADD COLUMN b text\n"
		   "ALTER TABLE public.t ADD COLUMN c integer DEFAULT 3");
	expect("DROP COLUMN", "ALTER TABLE t DROP COLUMN a, DROP b",
		   "ALTER TABLE public.t DROP COLUMN a\nALTER TABLE public.t DROP COLUMN b");
	expect("MODIFY", "ALTER TABLE t MODIFY COLUMN a bigint NOT NULL DEFAULT 1",
		   "ALTER TABLE public.t ALTER COLUMN a DROP IDENTITY IF EXISTS\n"
		   "ALTER TABLE public.t ALTER COLUMN a DROP DEFAULT, ALTER COLUMN a TYPE bigint USING a::bigint, "
		   "ALTER COLUMN a SET DEFAULT 1, ALTER COLUMN a SET NOT NULL");
	expect("CHANGE with rename", "ALTER TABLE t CHANGE a b varchar(20)",
		   "ALTER TABLE public.t RENAME COLUMN a TO b\n"
		   "ALTER TABLE public.t ALTER COLUMN b DROP IDENTITY IF EXISTS\n"
		   "ALTER TABLE public.t ALTER COLUMN b DROP DEFAULT, ALTER COLUMN b TYPE character varying(20) "
		   "USING b::character varying(20), ALTER COLUMN b DROP NOT NULL");
	expect("MODIFY to auto_increment", "ALTER TABLE t MODIFY id int NOT NULL AUTO_INCREMENT",
		   "ALTER TABLE public.t ALTER COLUMN id DROP IDENTITY IF EXISTS\n"
		   "ALTER TABLE public.t ALTER COLUMN id DROP DEFAULT, ALTER COLUMN id TYPE integer USING id::integer, "
		   "ALTER COLUMN id SET NOT NULL\n"
		   "ALTER TABLE public.t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY");
	expect("MODIFY enum adds values",
		   "ALTER TABLE t MODIFY e enum('a','b','c')",
		   "DO $chameleon$BEGIN CREATE TYPE public.t_e AS ENUM ('a', 'b', 'c'); "
		   "EXCEPTION WHEN duplicate_object THEN ALTER TYPE public.t_e ADD VALUE IF NOT EXISTS 'a'; "
		   "ALTER TYPE public.t_e ADD VALUE IF NOT EXISTS 'b' AFTER 'a'; "
		   "ALTER TYPE public.t_e ADD VALUE IF NOT EXISTS 'c' AFTER 'b'; END$chameleon$\n"
		   "ALTER TABLE public.t ALTER COLUMN e DROP IDENTITY IF EXISTS\n"
		   "ALTER TABLE public.t ALTER COLUMN e DROP DEFAULT, ALTER COLUMN e TYPE public.t_e "
		   "USING e::text::public.t_e, ALTER COLUMN e DROP NOT NULL");
	expect("RENAME COLUMN", "ALTER TABLE t RENAME COLUMN a TO b",
		   "ALTER TABLE public.t RENAME COLUMN a TO b");
	expect("ALTER COLUMN DROP DEFAULT", "ALTER TABLE t ALTER c DROP DEFAULT",
		   "ALTER TABLE public.t ALTER COLUMN c DROP DEFAULT");
	expect("SET DEFAULT string", "ALTER TABLE t ALTER COLUMN c SET DEFAULT 'x'",
		   "ALTER TABLE public.t ALTER COLUMN c SET DEFAULT 'x'");
	expect("ADD UNIQUE / DROP INDEX / RENAME INDEX",
		   "ALTER TABLE t ADD UNIQUE KEY u (a, b), DROP INDEX i, RENAME INDEX j TO k",
		   "CREATE UNIQUE INDEX t_u ON public.t (a, b)\n"
		   "DROP INDEX IF EXISTS public.t_i\n"
		   "ALTER INDEX IF EXISTS public.t_j RENAME TO t_k");
	expect_fk("ADD CONSTRAINT FOREIGN KEY kept aside",
			  "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (b) ON UPDATE SET NULL",
			  "ALTER TABLE public.t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES public.u (b) "
			  "ON UPDATE SET NULL NOT VALID");
	expect("DROP FOREIGN KEY does nothing", "ALTER TABLE t DROP FOREIGN KEY f", "");
	expect("RENAME TO is applied last", "ALTER TABLE t ADD COLUMN x int, RENAME TO u",
		   "ALTER TABLE public.t ADD COLUMN x integer\n"
		   "ALTER TABLE public.t RENAME TO u\n"
		   "ALTER INDEX IF EXISTS public.t_pkey RENAME TO u_pkey");
	expect("options and partition operations are ignored",
		   "ALTER TABLE t ENGINE=InnoDB, ROW_FORMAT=DYNAMIC, ALGORITHM=INPLACE, LOCK=NONE, FORCE",
		   "");
	expect("DROP PARTITION", "ALTER TABLE t DROP PARTITION p1, p2", "");
	expect("TRUNCATE", "TRUNCATE t", "TRUNCATE TABLE public.t");
	expect("TRUNCATE TABLE", "TRUNCATE TABLE db.t", "TRUNCATE TABLE public.t");
	expect("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX u ON t (a(5), b) USING BTREE",
		   "CREATE UNIQUE INDEX t_u ON public.t (a, b)");
	expect("DROP INDEX", "DROP INDEX i ON t", "DROP INDEX IF EXISTS public.t_i");
	expect("DROP INDEX PRIMARY", "DROP INDEX `PRIMARY` ON t",
		   "ALTER TABLE public.t DROP CONSTRAINT IF EXISTS t_pkey");
	expect("RENAME TABLE across schemas",
		   "RENAME TABLE db.a TO db.b", "ALTER TABLE public.a RENAME TO b\n"
		   "ALTER INDEX IF EXISTS public.a_pkey RENAME TO b_pkey");
}

/* Statements without PostgreSQL meaning and recognised forms. */
static void
test_classification(void)
{
	expect_kind("CREATE VIEW is ignored", "CREATE VIEW v AS SELECT 1", CDDL_STMT_IGNORED);
	expect_kind("GRANT is ignored", "GRANT ALL ON *.* TO 'u'@'%'", CDDL_STMT_IGNORED);
	expect_kind("temporary table is ignored", "CREATE TEMPORARY TABLE t (a int)", CDDL_STMT_IGNORED);
	expect_kind("DROP TEMPORARY TABLE is ignored", "DROP TEMPORARY TABLE IF EXISTS t", CDDL_STMT_IGNORED);
	expect_kind("trigger body with semicolons is ignored",
				"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET @a = 1; SET @b = 2; END",
				CDDL_STMT_IGNORED);
	expect_kind("CREATE TABLE ... SELECT is recognised",
				"CREATE TABLE t AS SELECT * FROM u", CDDL_STMT_CREATE_TABLE_SELECT);
	expect_kind("CREATE TABLE (cols) SELECT is recognised",
				"CREATE TABLE t (a int) SELECT 1 AS a", CDDL_STMT_CREATE_TABLE_SELECT);
	expect("ignored statements produce nothing", "OPTIMIZE TABLE t; SET NAMES utf8; ANALYZE TABLE t", "");
	expect("empty input produces nothing", "  /* nothing */ ;; ", "");
}

/* Errors carry the byte position and the token. */
static void
test_errors(void)
{
	expect_error("double comma", "CREATE TABLE t (a int,, b int)", 22, ",");
	expect_error("unknown type", "CREATE TABLE t (a integr)", 18, "integr");
	expect_error("unterminated string", "CREATE TABLE t (a int DEFAULT 'abc)", 30, "'");
	expect_error("unterminated identifier", "DROP TABLE `abc", 11, "`");
	expect_error("unterminated comment", "DROP TABLE t /* x", 13, "/*");
	expect_error("truncated statement", "ALTER TABLE t ADD COLUMN", 24, "");
	expect_error("garbage after statement", "DROP TABLE t t2", 13, "t2");
	expect_error("empty identifier", "DROP TABLE ``", 11, "``");
	expect_error("statement starting with a symbol", "(((", 0, "(");
}

/* The parsed tree as other components use it. */
static void
test_tree(void)
{
	const char *sql = "CREATE TABLE db.t (id int(10) unsigned NOT NULL, e enum('x','y'), "
		"PRIMARY KEY (id)) ENGINE=InnoDB";
	cddl_error	err;
	cddl_doc   *doc = cddl_parse(sql, strlen(sql), &err);
	const cddl_stmt *st = doc ? doc->stmts : NULL;
	const cddl_column *c = st ? st->columns : NULL;
	char		pg[128] = "";
	cddl_type	t;
	cddl_doc   *tdoc;

	ok(st && st->kind == CDDL_STMT_CREATE_TABLE && strcmp(st->table.schema, "db") == 0 &&
		   strcmp(st->table.name, "t") == 0, "tree: table name and schema");
	ok(c && strcmp(c->name, "id") == 0 && c->type.base == CDDL_T_INT &&
		   c->type.is_unsigned && c->not_null &&
		   strcmp(c->type.column_type, "int(10) unsigned") == 0, "tree: column type");
	ok(c && c->next && c->next->type.base == CDDL_T_ENUM &&
		   strcmp(c->next->type.column_type, "enum('x','y')") == 0, "tree: enum labels");
	ok(st && st->keys && st->keys->kind == CDDL_KEY_PRIMARY &&
		   strcmp(st->keys->parts->column, "id") == 0, "tree: primary key columns");
	ok(st && st->options.engine && strcmp(st->options.engine, "InnoDB") == 0,
		   "tree: table options");
	if (c)
		cddl_pg_type(&c->type, &default_opts, "db", "t", "id", pg, sizeof(pg));
	ok(strcmp(pg, "bigint") == 0, "cddl_pg_type for the initial copy");
	ok(c && c->next && cddl_pg_type(&c->next->type, &default_opts, "db", "t", "e", pg, sizeof(pg)) &&
	   strcmp(pg, "public.t_e") == 0 &&
	   !cddl_pg_type(&c->next->type, &default_opts, "db", "t", "e", pg, 10),
	   "cddl_pg_type: an enum type that does not fit is refused, not cut");
	cddl_doc_free(doc);

	tdoc = cddl_parse_type("decimal(12,4) unsigned zerofill", 31, &t, &err);
	ok(tdoc && t.base == CDDL_T_DECIMAL && t.length == 12 && t.scale == 4 &&
		   strcmp(t.column_type, "decimal(12,4) unsigned zerofill") == 0,
		   "cddl_parse_type on information_schema COLUMN_TYPE");
	cddl_doc_free(tdoc);

	sql = "RENAME TABLE a.b TO c.d";
	doc = cddl_parse(sql, strlen(sql), &err);
	ok(doc && doc->stmts->kind == CDDL_STMT_RENAME_TABLE &&
		   strcmp(doc->stmts->renames->from.schema, "a") == 0 &&
		   strcmp(doc->stmts->renames->to.name, "d") == 0, "tree: rename pairs");
	cddl_doc_free(doc);

	sql = "ALTER TABLE t CHANGE a b int, ENGINE=InnoDB";
	doc = cddl_parse(sql, strlen(sql), &err);
	ok(doc && doc->stmts->cmds->kind == CDDL_AT_CHANGE_COLUMN &&
		   strcmp(doc->stmts->cmds->old_name, "a") == 0 &&
		   strcmp(doc->stmts->cmds->new_name, "b") == 0 &&
		   doc->stmts->cmds->next->kind == CDDL_AT_IGNORED, "tree: alter commands");
	cddl_doc_free(doc);
}

/* Embedded NUL bytes and non-terminated buffers are handled by length. */
static void
test_robustness(void)
{
	const char buf[] = {'D', 'R', 'O', 'P', ' ', 'T', 'A', 'B', 'L', 'E', ' ', 't', '\0', 'x'};
	cddl_error	err;
	cddl_doc   *doc = cddl_parse(buf, sizeof(buf), &err);
	char		big[20000];
	size_t		i;

	ok(doc == NULL && err.set, "NUL byte in the input is an error");
	cddl_doc_free(doc);
	doc = cddl_parse("DROP TABLE tXXXX", 12, &err);
	ok(doc && strcmp(doc->stmts->tables->name.name, "t") == 0, "length bounds the input");
	cddl_doc_free(doc);
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = '(';
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "CREATE TABLE t (a int DEFAULT ", 30);
	doc = cddl_parse(big, strlen(big), &err);
	ok(doc == NULL && err.set, "deep nesting is an error, not a crash");
	cddl_doc_free(doc);
}

/* fillfactor (SPEC section 3): WITH (fillfactor = N) on the created table. */
static void
test_fillfactor(void)
{
	static const char *const all[] = {"*"};
	static const char *const two[] = {"db.t", "other.u"};
	static const char *const again[] = {"db.t"};
	cddl_fillfactor ff[3] = {
		{70, all, 1},
		{30, two, 2},
		{40, again, 1}
	};
	cddl_options o = default_opts;
	cddl_options none = default_opts;

	o.fillfactors = ff;
	o.nfillfactors = 3;
	ok(cddl_fillfactor_for(&o, "db", "t") == 40, "the last entry naming a table wins");
	ok(cddl_fillfactor_for(&o, "other", "u") == 30, "a table of another schema");
	ok(cddl_fillfactor_for(&o, "db", "v") == 70, "\"*\" for the tables named nowhere");
	ok(cddl_fillfactor_for(&none, "db", "t") == 0, "no fillfactor: 0");
	ok(cddl_fillfactor_for(NULL, "db", "t") == 0, "no options: 0");
	expect_opts("CREATE TABLE gets the table's fillfactor",
				"CREATE TABLE t (a int PRIMARY KEY)", &o,
				"CREATE TABLE public.t (a integer NOT NULL, CONSTRAINT t_pkey PRIMARY KEY (a)) WITH (fillfactor = 40)");
	expect_opts("qualified with another schema",
				"CREATE TABLE other.u (a int)", &o,
				"CREATE TABLE public.u (a integer) WITH (fillfactor = 30)");
	{
		static char stmts[65536],
					fks[65536],
					notes[65536];
		const char *want = "CREATE TABLE public.v (LIKE public.t INCLUDING ALL) WITH (fillfactor = 70)\n";
		cddl_error	err;
		bool		good = run("CREATE TABLE v LIKE t", &o, stmts, fks, notes, sizeof(stmts), &err);

		ok(good && strncmp(stmts, want, strlen(want)) == 0,
		   "CREATE TABLE ... LIKE gets the new table's");
	}
	expect_opts("no fillfactor: no WITH", "CREATE TABLE t (a int)", &none,
				"CREATE TABLE public.t (a integer)");
}

int
main(void)
{
	test_pg_chameleon_failures();
	test_lexer();
	test_types();
	test_type_override();
	test_fillfactor();
	test_create();
	test_initial_copy();
	test_mariadb_forms();
	test_alter();
	test_classification();
	test_errors();
	test_tree();
	test_robustness();
	return done_testing();
}
