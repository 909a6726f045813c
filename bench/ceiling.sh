#!/bin/bash
# bench/ceiling.sh
#	The in-backend apply ceiling the benchmarks compare the replica with,
#	sourced after bench/lib.sh: one PostgreSQL backend running sysbench
#	oltp_write_only's row changes itself (UPDATE k by id, UPDATE c by id,
#	DELETE + INSERT of an id) as plain statements in a PL/pgSQL loop, with
#	sysbench's id distribution, on copies of the replicated tables taken
#	when the replica was initialised.  Uses TABLES, ROWS and pg.
#
#	ceiling_setup SCHEMA...   copies sbtest.sbtest1..TABLES into each
#	                          SCHEMA, with their indexes
#	ceiling SCHEMA SUBXACT ITER   runs ITER transactions in SCHEMA

# Creates each SCHEMA with a copy of the sysbench tables, and the id
# function in the first.
ceiling_setup()
{
	local c i
	for c in "$@"; do
		pg -c "CREATE SCHEMA $c"
		for i in $(seq 1 "$TABLES"); do
			pg -c "CREATE TABLE $c.sbtest$i (LIKE sbtest.sbtest$i INCLUDING ALL)" \
				-c "INSERT INTO $c.sbtest$i SELECT * FROM sbtest.sbtest$i"
		done
	done
	CEIL_ID_FN="$1.sb_id"
	pg <<SQL
-- sysbench 1.0's default --rand-type=special (pct 1, res 75, iter 12):
-- 75 % of the ids among the 1 % around the middle of the table, the rest
-- a sum of 12 uniform draws (bell-shaped around the middle)
CREATE FUNCTION $1.sb_id(n integer) RETURNS integer LANGUAGE plpgsql AS \$f\$
DECLARE
	s float8 := 0;
BEGIN
	IF random() < 0.75 THEN
		RETURN 1 + (n - 1) / 2 - (n - 1) / 200 + floor(random() * greatest((n - 1) / 100, 1))::integer;
	END IF;
	FOR j IN 1 .. 12 LOOP
		s := s + random();
	END LOOP;
	RETURN 1 + floor(s * (n - 1) / 12)::integer;
END
\$f\$;
SQL
}

# one sysbench transaction in schema $1: UPDATE k by id, UPDATE c by id,
# DELETE + INSERT of an id, each id drawn apart, in a table drawn per
# transaction
txn_sql()
{
	local i kw
	echo "CASE v_t"
	for i in $(seq 1 "$TABLES"); do
		kw="WHEN $i THEN"
		[ "$i" -eq "$TABLES" ] && kw="ELSE"
		cat <<SQL
$kw
	UPDATE $1.sbtest$i SET k = k + 1 WHERE id = v_a;
	UPDATE $1.sbtest$i SET c = md5(n::text) WHERE id = v_b;
	DELETE FROM $1.sbtest$i WHERE id = v_id;
	INSERT INTO $1.sbtest$i (id, k, c, pad) VALUES (v_id, v_k, md5(v_k::text), md5(v_id::text));
SQL
	done
	echo "END CASE;"
}
# ceiling SCHEMA SUBXACT ITER: ITER sysbench transactions (4 row changes
# each) in the copy SCHEMA, committing every 10000 row changes as the
# replay does with replay_max_rows; SUBXACT=1: each transaction in a
# subtransaction, as the replay runs them
ceiling()
{
	local body
	body=$(txn_sql "$1")
	[ "$2" = 1 ] && body="BEGIN
$body
EXCEPTION WHEN OTHERS THEN
	RAISE;
END;"
	pg <<SQL
DO \$\$
DECLARE
	v_id integer;
	v_a integer;
	v_b integer;
	v_t integer;
	v_k integer;
BEGIN
	FOR n IN 1 .. $3 LOOP
		v_t := 1 + floor(random() * $TABLES)::integer;
		v_k := floor(random() * $ROWS)::integer;
		v_a := $CEIL_ID_FN($ROWS);
		v_b := $CEIL_ID_FN($ROWS);
		v_id := $CEIL_ID_FN($ROWS);
$body
		IF n % 2500 = 0 THEN
			COMMIT;
		END IF;
	END LOOP;
END
\$\$;
SQL
}
