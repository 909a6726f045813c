#!/bin/bash
# bench/verify.sh
#	Benchmark of verify_tables() (issue 14), not a test: a sysbench
#	oltp_write_only data set (TABLES x ROWS, default 4 x 250000) in a
#	throwaway MariaDB is copied with init_replica, replicated, then
#	verified twice in the same run:
#
#	  idle    SELECT chameleon.verify_tables('sb', wait => true), nothing
#	          writing
#	  loaded  the same while sysbench writes RATE transactions/s (default
#	          1000) to the same tables
#
#	It prints each time, the rows verified per second, and the ratio to
#	init_replica's time (target: verifying costs no more than copying,
#	ratio <= 1), the replay lag while the loaded verify runs, and that
#	every table was found identical.  Run as root: bash bench/verify.sh
#
#	CHAMELEON_PG_INSTALL=<private install>/usr/lib/postgresql/15 uses a
#	private installation (tools/private-install.sh) instead of building
#	and installing into the system; KEEP_LOG=<file> keeps the PostgreSQL
#	server log.
set -euo pipefail
cd "$(dirname "$0")/.."

TABLES=${TABLES:-4}
ROWS=${ROWS:-250000}
RATE=${RATE:-1000}
COPY_WORKERS=${COPY_WORKERS:-$TABLES}
CHUNK_ROWS=${CHUNK_ROWS:-10000}

. bench/lib.sh
if [ -n "${CHAMELEON_PG_INSTALL:-}" ]; then
	# bench_setup without the system install: the private one's binaries first
	[ "$(id -u)" -eq 0 ] || { echo "bench/verify.sh: run as root" >&2; exit 2; }
	export PATH="$CHAMELEON_PG_INSTALL/bin:$PATH"
	B=$(mktemp -d /tmp/chameleon-bench.XXXXXX)
	chmod 755 "$B"
	MYSQL_PID=
	PG_STARTED=
	BENCH_PIDS=()
	MY_PORT=$(bench_free_port)
	PG_PORT=$(bench_free_port)
	trap bench_cleanup EXIT
else
	bench_setup bench/verify.sh
fi
bench_start_mariadb
bench_sysbench_prepare
bench_start_pg "chameleon.copy_workers = $COPY_WORKERS"
TOTAL=$((TABLES * ROWS))

echo "=== init_replica"
bench_add_source
pg -c "SELECT chameleon.alter_source('sb', 'verify_chunk_rows: $CHUNK_ROWS')" >/dev/null
t0=$(now)
pg -c "SELECT chameleon.init_replica('sb', wait => true)"
t1=$(now)
T_INIT=$(elapsed "$t0" "$t1")
pg -c "SELECT chameleon.start_replica('sb')"
pg -At -c "SELECT chameleon.wait_caught_up('sb', '2 min')"

# Verifies every table (wait), prints the seconds it took; $1 names it.
verify_all()
{
	local a b
	a=$(now)
	pg -c "SELECT chameleon.verify_tables('sb', wait => true)" >/dev/null
	b=$(now)
	elapsed "$a" "$b"
}

# The verify_status outcome: "N identical" or the states found.
outcome()
{
	pg -At -c "SELECT string_agg(n || ' ' || state, ', ' ORDER BY state)
	             FROM (SELECT state, count(*) AS n FROM chameleon.verify_status GROUP BY state) s"
}

echo "=== verify_tables, idle"
T_IDLE=$(verify_all)
O_IDLE=$(outcome)

echo "=== verify_tables, under $RATE transactions/s"
commits() { my -N -e "SHOW GLOBAL STATUS LIKE 'Com_commit'" | awk '{ print $2 }'; }
sysbench oltp_write_only "${SB[@]}" --threads=4 --rate="$RATE" --time=3600 \
	--report-interval=0 run >"$B/sysbench.log" 2>&1 &
SBPID=$!
BENCH_PIDS+=("$SBPID")
sleep 5
: >"$B/lag"
(
	while :; do
		pg -At -c "SELECT extract(epoch FROM replay_lag) FROM chameleon.show_status" >>"$B/lag" 2>/dev/null || true
		sleep 0.2
	done
) &
LAGPID=$!
BENCH_PIDS+=("$LAGPID")
c0=$(commits)
t0=$(now)
T_LOAD=$(verify_all)
t1=$(now)
c1=$(commits)
O_LOAD=$(outcome)
kill "$LAGPID" 2>/dev/null || true
kill "$SBPID" 2>/dev/null || true
wait "$SBPID" 2>/dev/null || true
TPS=$(rate "$((c1 - c0))" "$(elapsed "$t0" "$t1")")
LAG_MAX=$(sort -n "$B/lag" | tail -1)
LAG_P50=$(sort -n "$B/lag" | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "?") }')

[ -n "${KEEP_LOG:-}" ] && cp "$B/pg/server.log" "$KEEP_LOG"
echo
echo "=== results ($TABLES x $ROWS rows, copy_workers=$COPY_WORKERS, verify_chunk_rows=$CHUNK_ROWS)"
echo "init_replica:            ${T_INIT} s ($(rate "$TOTAL" "$T_INIT") rows/s)"
echo "verify_tables, idle:     ${T_IDLE} s ($(rate "$TOTAL" "$T_IDLE") rows/s), ratio to init $(ratio "$T_IDLE" "$T_INIT") (target <= 1): $O_IDLE"
echo "verify_tables, loaded:   ${T_LOAD} s ($(rate "$TOTAL" "$T_LOAD") rows/s), ratio to init $(ratio "$T_LOAD" "$T_INIT") (target <= 1): $O_LOAD"
echo "load during the verify:  ${TPS:-?} transactions/s (asked $RATE); replay_lag p50 ${LAG_P50:-?} s, max ${LAG_MAX:-?} s"
