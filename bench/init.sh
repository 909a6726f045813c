#!/bin/bash
# bench/init.sh
#	Benchmark of the initial copy (SPEC section 7, issue 5), not a test:
#	a sysbench oltp_write_only data set (TABLES x ROWS, default 4 x 250000)
#	in a throwaway MariaDB is copied into a throwaway PostgreSQL 15 three
#	ways, in the same run, on the same machine:
#
#	  chameleon  SELECT chameleon.init_replica('sb', wait => true)
#	  pgloader   pgloader mysql://... postgresql://... (Debian's pgloader)
#	  raw pipe   mariadb --quick ... | psql -c "\copy ... FROM STDIN" for
#	             every table at once, then the same indexes
#
#	It prints each time, the ratios (chameleon must be >= 1.5x faster than
#	pgloader and within 1.5x of the raw pipe) and the peak RSS of the
#	chameleon init workers.  Run as root: bash bench/init.sh
set -euo pipefail
cd "$(dirname "$0")/.."

TABLES=${TABLES:-4}
ROWS=${ROWS:-250000}
COPY_WORKERS=${COPY_WORKERS:-$TABLES}

. bench/lib.sh
bench_setup bench/init.sh
bench_start_mariadb
bench_sysbench_prepare
bench_start_pg "chameleon.copy_workers = $COPY_WORKERS"
pg -c "CREATE SCHEMA raw"

echo "=== chameleon init_replica"
bench_add_source
: >"$B/rss"
(
	while :; do
		ps -o rss=,args= -u postgres | awk '/chameleon init/ { print $1 }' >>"$B/rss"
		sleep 0.2
	done
) &
SAMPLER=$!
BENCH_PIDS+=("$SAMPLER")
t0=$(now)
pg -c "SELECT chameleon.init_replica('sb', wait => true)"
t1=$(now)
kill "$SAMPLER" 2>/dev/null || true
T_CHAM=$(elapsed "$t0" "$t1")
RSS_KB=$(sort -n "$B/rss" | tail -1)
pg -At -c "SELECT count(*) FROM sbtest.sbtest1"

echo "=== raw pipe: mariadb --quick | psql \\copy, then indexes"
for i in $(seq 1 "$TABLES"); do
	pg -c "CREATE TABLE raw.sbtest$i (id integer NOT NULL, k integer NOT NULL DEFAULT 0, c character(120) NOT NULL DEFAULT '', pad character(60) NOT NULL DEFAULT '')"
done
t0=$(now)
pids=()
for i in $(seq 1 "$TABLES"); do
	(my --quick --batch --skip-column-names -e "SELECT id, k, c, pad FROM sbtest.sbtest$i" |
		pg -c "\\copy raw.sbtest$i FROM STDIN") &
	pids+=($!)
done
wait "${pids[@]}"
pids=()
for i in $(seq 1 "$TABLES"); do
	pg -c "ALTER TABLE raw.sbtest$i ADD PRIMARY KEY (id)" -c "CREATE INDEX ON raw.sbtest$i (k)" &
	pids+=($!)
done
wait "${pids[@]}"
t1=$(now)
T_RAW=$(elapsed "$t0" "$t1")

echo "=== pgloader"
# with its default prefetch (100,000 rows) Debian's pgloader ran out of
# heap here in two runs of two (SBCL "GC in progress", ldb prompt)
t0=$(now)
if timeout 1200 pgloader --quiet --with "prefetch rows = 10000" \
	"mysql://bench:bench@127.0.0.1:$MY_PORT/sbtest" \
	"postgresql://postgres@127.0.0.1:$PG_PORT/postgres" >"$B/pgloader.log" 2>&1; then
	t1=$(now)
	T_PGL=$(elapsed "$t0" "$t1")
else
	T_PGL=
	echo "pgloader failed:"
	tail -5 "$B/pgloader.log"
fi

echo
echo "=== results ($TABLES x $ROWS rows, copy_workers=$COPY_WORKERS)"
echo "chameleon init_replica: ${T_CHAM} s (peak worker RSS ${RSS_KB:-?} kB)"
echo "raw pipe:               ${T_RAW} s"
if [ -n "$T_PGL" ]; then
	echo "pgloader:               ${T_PGL} s"
	echo "pgloader / chameleon:   $(ratio "$T_PGL" "$T_CHAM") (target >= 1.5)"
else
	echo "pgloader:               failed (see above)"
fi
echo "chameleon / raw pipe:   $(ratio "$T_CHAM" "$T_RAW") (target <= 1.5)"
