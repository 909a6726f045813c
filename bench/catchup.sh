#!/bin/bash
# bench/catchup.sh
#	Benchmark of the catch-up of a backlog (SPEC section 7, issue 6), not a
#	test.  A sysbench oltp_write_only data set (TABLES x ROWS, default
#	4 x 250000) in a throwaway MariaDB is copied with init_replica into a
#	throwaway PostgreSQL 15; the replica is NOT started.  sysbench
#	oltp_write_only then runs until the binlog holds at least CHANGES row
#	changes (default 1,000,000; counted with the server's Handler_write,
#	Handler_update and Handler_delete counters), the replica is started and
#	the time until the replica has caught up is measured: reader and
#	replay, end to end.  WAIT_MODE=poll (the default) reads the replay
#	position with short statements until it is the end of the backlog,
#	then one wait_caught_up() confirms it; WAIT_MODE=loop calls
#	wait_caught_up('sb', '1 s') until it returns true, and each call holds
#	a snapshot for up to a second, so that the row versions the replay
#	leaves behind cannot be pruned meanwhile and its index lookups walk
#	them (measured: the replay's CPU 16.1 s instead of 12.4 s);
#	WAIT_MODE=single is one call for the whole catch-up, worse still.
#	The age of the oldest snapshot during the catch-up is printed.
#	REPLAY_ALONE=1: the tables are locked until the reader has read the
#	whole backlog, then the replay applies it alone: its own cost per
#	change against the ceiling's, with the cores to itself like the
#	ceiling has.
#
#	In the same run, the in-backend apply ceiling: a PL/pgSQL loop doing
#	the same mix by key (UPDATE k = k + 1, UPDATE c, DELETE + INSERT) with
#	sysbench's id distribution (--rand-type=special: hot rows) on a copy of
#	the tables made before the catch-up, committing every replay_max_rows
#	(10000) row changes like the replay does; then the same on a second
#	copy with each source transaction in a subtransaction (BEGIN ...
#	EXCEPTION), as the replay runs them.
#
#	It prints row changes/s (target >= 40,000), the ceiling, when the
#	reader finished reading, the CPU time of the workers, of the busiest
#	processes and of the whole machine during the catch-up, and the peak
#	RSS of the reader and replay workers (VmRSS and RssAnon sampled every
#	0.2 s, VmHWM at the end; VmRSS/VmHWM include the shared buffers the
#	worker touched).
#	WHILE_TPS=N: sysbench keeps writing N transactions/s during the
#	catch-up; the time is until the backlog is applied and replay_lag is
#	under 1 s, the rate counts every row change applied meanwhile.
#	PERF=1 also records a CPU profile of both workers (linux-perf), and
#	one of the ceiling's backend, and prints their top symbols.
#	PG_CONF='shared_buffers = 1GB;...' adds postgresql.conf lines; the
#	ceiling runs in the same cluster, so both sides get them.
#	Run as root: bash bench/catchup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

TABLES=${TABLES:-4}
ROWS=${ROWS:-250000}
CHANGES=${CHANGES:-1000000}
THREADS=${THREADS:-4}
# poll: short reads of the replay position, then one wait_caught_up;
# loop: wait_caught_up('sb', '1 s') until true; single: one call
WAIT_MODE=${WAIT_MODE:-poll}
# REPLAY_ALONE=1: the replay waits until the reader has read the whole
# backlog, then applies it alone (its cost per change against the
# ceiling's, without the reader and MariaDB on the cores)
[ "${REPLAY_ALONE:-0}" = 1 ] && WAIT_MODE=poll

. bench/lib.sh
. bench/ceiling.sh
bench_setup bench/catchup.sh
bench_start_mariadb
bench_sysbench_prepare
if [ "${REPLAY_ALONE:-0}" = 1 ]; then
	# one log range for the whole backlog: the reader needs no new range
	# (the lock on the log the held replay keeps would stop it)
	bench_start_pg "chameleon.launcher_naptime = 1" "chameleon.log_partition_events = 100000000"
else
	bench_start_pg "chameleon.launcher_naptime = 1"
fi

# CPU seconds (user + system) a worker of source sb used since it started
# (the workers start with start_replica): what a row change costs it,
# whatever else competes for the cores
worker_cpu()
{
	local pid
	pid=$(pg -At -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'chameleon $1 sb'")
	[ -n "$pid" ] && awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / hz }' "/proc/$pid/stat" 2>/dev/null || echo "?"
}
echo "=== init_replica (the replica is not started)"
bench_add_source
pg -c "SELECT chameleon.init_replica('sb', wait => true)" >/dev/null

# a copy of the tables for the ceiling, taken now (same data as the replica)
ceiling_setup ceil ceil2
pg -c "VACUUM ANALYZE"

handler_changes()
{
	my -N -B -e "SELECT sum(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS
		WHERE VARIABLE_NAME IN ('HANDLER_WRITE', 'HANDLER_UPDATE', 'HANDLER_DELETE')"
}
echo "=== sysbench oltp_write_only ($THREADS threads) until the binlog holds >= $CHANGES row changes"
base=$(handler_changes)
done_changes=0
t0=$(now)
while [ "$done_changes" -lt "$CHANGES" ]; do
	# 4 row changes per transaction (index update, update, delete, insert)
	events=$(( (CHANGES - done_changes) / 4 + 1000 ))
	sysbench oltp_write_only "${SB[@]}" --threads="$THREADS" --time=0 --events="$events" \
		--report-interval=0 run >"$B/sysbench.log"
	done_changes=$(( $(handler_changes) - base ))
done
t1=$(now)
echo "sysbench: $done_changes row changes in $(elapsed "$t0" "$t1") s ($(grep -m1 'transactions:' "$B/sysbench.log" | sed 's/^ *//'))"
read -r BINLOG_FILE BINLOG_POS < <(my -N -B -e "SHOW MASTER STATUS" | awk '{ print $1, $2 }')
echo "binlog ends at $BINLOG_FILE:$BINLOG_POS ($(du -sh "$B/mysql/data" | cut -f1) data dir incl. binlogs)"

ROWS_BEFORE=$(pg -At -c "SELECT replayed_rows FROM chameleon.show_status WHERE source_name = 'sb'")

echo "=== start_replica, wait_caught_up"
: >"$B/samples"
bench_rss_sampler "$B/samples" 1 &
SAMPLER=$!
BENCH_PIDS+=("$SAMPLER")
(
	# when the reader's position reaches the end of the binlog
	pg_watch "SELECT read_file, read_pos FROM chameleon.source WHERE source_name = 'sb'" 0.1 |
		while read -r f p; do
			if [ "$f $p" = "$BINLOG_FILE $BINLOG_POS" ]; then
				date +%s.%N >"$B/read_done"
				break
			fi
		done
) &
READ_WATCH=$!
BENCH_PIDS+=("$READ_WATCH")
: >"$B/xmin_age"
(
	# the oldest snapshot of any backend, as a transaction age (it holds
	# back pruning and index tuple killing for the tables the replay writes)
	while :; do
		pg -At -F' ' -c "SELECT age(backend_xmin), replace(backend_type, ' ', '_') FROM pg_stat_activity
			WHERE pid <> pg_backend_pid() AND backend_xmin IS NOT NULL ORDER BY 1 DESC LIMIT 1" 2>/dev/null >>"$B/xmin_age" || true
		sleep 1
	done
) &
XMIN_WATCH=$!
BENCH_PIDS+=("$XMIN_WATCH")
# the machine's CPU time (all processes), to tell what else used the cores
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# "pid ticks name" of every process (user + system)
cpu_procs()
{
	for f in /proc/[0-9]*/stat; do
		cat "$f" 2>/dev/null || true
	done | awk '{ name = $0; sub(/^[^(]*\(/, "", name); sub(/\).*$/, "", name); rest = $0; sub(/^.*\) /, "", rest);
		split(rest, a, " "); gsub(/ /, "_", name); print $1, a[12] + a[13], name }'
}
CPU0=$(cpu_busy)
cpu_procs >"$B/procs0"
LOCK_PID=
if [ "${REPLAY_ALONE:-0}" = 1 ]; then
	# the tables are locked until the reader has read the whole backlog:
	# the replay's first round waits, then applies the backlog alone
	tabs=$(seq -s, -f 'sbtest.sbtest%g' 1 "$TABLES")
	runuser -u postgres -- env PGAPPNAME=bench_lock psql -X -q -h "$B/pg" -p "$PG_PORT" -d postgres \
		-c "BEGIN" -c "LOCK TABLE $tabs IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(3600)" >/dev/null 2>&1 &
	LOCK_PID=$!
	BENCH_PIDS+=("$LOCK_PID")
	for _ in $(seq 1 100); do
		[ "$(pg -At -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			WHERE a.application_name = 'bench_lock' AND l.mode = 'AccessExclusiveLock' AND l.granted")" -ge "$TABLES" ] && break
		sleep 0.1
	done
fi
t0=$(now)
pg -c "SELECT chameleon.start_replica('sb')" >/dev/null
if [ -n "$LOCK_PID" ]; then
	# at most an hour for the reader
	for _ in $(seq 1 36000); do
		[ -f "$B/read_done" ] && break
		sleep 0.1
	done
	sleep 1
	CPU_REPLAY_HELD=$(worker_cpu replay)
	T_READ_ALONE=$(elapsed "$t0" "$(cat "$B/read_done")")
	CPU0=$(cpu_busy)
	cpu_procs >"$B/procs0"
	t0=$(now)
	pg -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bench_lock'" >/dev/null
	wait "$LOCK_PID" 2>/dev/null || true
	LOCK_PID=
fi
PERF_PID=
if [ "${PERF:-0}" = 1 ]; then
	# PERF=1: a CPU profile of both workers for the whole catch-up
	for _ in $(seq 1 50); do
		n=$(pg -At -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('chameleon reader sb', 'chameleon replay sb')")
		[ "$n" = 2 ] && break
		sleep 0.1
	done
	pids=$(pg -At -c "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE backend_type IN ('chameleon reader sb', 'chameleon replay sb')")
	perf record -q -F 499 -g -p "$pids" -o "$B/perf.data" >/dev/null 2>&1 &
	PERF_PID=$!
	BENCH_PIDS+=("$PERF_PID")
fi
LOAD_PID=
if [ "${WHILE_TPS:-0}" -gt 0 ]; then
	# the same backlog while MySQL keeps writing WHILE_TPS transactions/s:
	# done when the backlog is applied and replay_lag is under 1 s
	sysbench oltp_write_only "${SB[@]}" --threads="$THREADS" --rate="$WHILE_TPS" --time=0 \
		--events=0 --report-interval=0 run >"$B/sysbench_load.log" 2>&1 &
	LOAD_PID=$!
	BENCH_PIDS+=("$LOAD_PID")
	ok=f
	for _ in $(seq 1 36000); do
		res=$(pg -At -F' ' -c "SELECT replayed_rows - $ROWS_BEFORE >= $done_changes AND replay_lag < interval '1 s',
			replayed_rows - $ROWS_BEFORE FROM chameleon.show_status WHERE source_name = 'sb'")
		ok=${res%% *}
		APPLIED_LAG=${res##* }
		[ "$ok" = t ] && break
		sleep 0.1
	done
	t_lag=$(now)
	kill -TERM "$LOAD_PID" 2>/dev/null || true
	wait "$LOAD_PID" 2>/dev/null || true
	LOAD_PID=
	ok=$(pg -At -c "SELECT chameleon.wait_caught_up('sb', '10 min')")
elif [ "$WAIT_MODE" = poll ]; then
	# no call that lasts: the replay position is read by short statements
	# until it reaches the end of the backlog, then one wait_caught_up
	# confirms it (nothing then holds a snapshot for long, as in the
	# ceiling's run)
	# at most an hour (72000 polls), as the loop mode
	pg_watch "SELECT replay_file, replay_pos FROM chameleon.source WHERE source_name = 'sb'" 0.05 |
		for _ in $(seq 1 72000); do
			read -r f p || break
			[ "$f $p" = "$BINLOG_FILE $BINLOG_POS" ] && break
		done || true
	t_poll=$(now)
	ok=$(pg -At -c "SELECT chameleon.wait_caught_up('sb', '10 s')")
elif [ "$WAIT_MODE" = single ]; then
	ok=$(pg -At -c "SELECT chameleon.wait_caught_up('sb', '60 min')")
else
	# short calls: one call lasting the whole catch-up would hold its
	# statement's snapshot all along, and with it the xmin horizon
	ok=f
	for _ in $(seq 1 3600); do
		ok=$(pg -At -c "SELECT chameleon.wait_caught_up('sb', '1 s')")
		[ "$ok" = t ] && break
	done
fi
t1=$(now)
CPU1=$(cpu_busy)
cpu_procs >"$B/procs1"
if [ -n "$PERF_PID" ]; then
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" 2>/dev/null || true
fi
kill "$XMIN_WATCH" 2>/dev/null || true
XMIN_WATCH=
kill "$SAMPLER" 2>/dev/null || true
SAMPLER=
kill "$READ_WATCH" 2>/dev/null || true
READ_WATCH=
T_CATCH=$(elapsed "$t0" "$t1")
[ -n "${t_lag:-}" ] && T_CATCH=$(elapsed "$t0" "$t_lag")
[ -n "${t_poll:-}" ] && T_CATCH=$(elapsed "$t0" "$t_poll")
T_READ=
[ -f "$B/read_done" ] && T_READ=$(elapsed "$t0" "$(cat "$B/read_done")")

CPU_READER=$(worker_cpu reader)
CPU_REPLAY=$(worker_cpu replay)
HWM_READER=$(bench_hwm reader)
HWM_REPLAY=$(bench_hwm replay)
# samples: time, reader VmRSS, RssAnon, replay VmRSS, RssAnon
RSS_READER=$(bench_rss_peak "$B/samples" 2)
RSS_REPLAY=$(bench_rss_peak "$B/samples" 4)
ROWS_AFTER=$(pg -At -c "SELECT replayed_rows FROM chameleon.show_status WHERE source_name = 'sb'")
APPLIED=$((ROWS_AFTER - ROWS_BEFORE))
CHECK=$(bench_same_tables)
pg -c "SELECT chameleon.stop_replica('sb')" >/dev/null

echo "=== ceiling: PL/pgSQL loop, same mix by key, on the copy"
# the same number of row changes, commit every 10000 (replay_max_rows)
ITER=$(( APPLIED / 4 ))
t2=$(now)
CEIL_PERF=
if [ "${PERF:-0}" = 1 ]; then
	# the ceiling's profile too (the whole machine; its backend is the
	# busiest process)
	perf record -q -a -F 499 -g -o "$B/perf_ceil.data" >/dev/null 2>&1 &
	CEIL_PERF=$!
	BENCH_PIDS+=("$CEIL_PERF")
fi
ceiling ceil 0 "$ITER"
t3=$(now)
if [ -n "$CEIL_PERF" ]; then
	kill -INT "$CEIL_PERF" 2>/dev/null || true
	wait "$CEIL_PERF" 2>/dev/null || true
fi
ceiling ceil2 1 "$ITER"
t4=$(now)
T_CEIL=$(elapsed "$t2" "$t3")
T_CEIL_SUB=$(elapsed "$t3" "$t4")

echo
echo "=== results ($TABLES x $ROWS rows, sysbench $THREADS threads, $(nproc) cores, shared_buffers $(pg -At -c 'SHOW shared_buffers'), load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "backlog:                  $done_changes row changes in MariaDB, $APPLIED applied (replayed_rows)"
echo "wait_caught_up returned:  $ok (WAIT_MODE=$WAIT_MODE); tables: $CHECK"
echo "oldest snapshot during the catch-up: $(sort -n "$B/xmin_age" | tail -1 | awk '{ print $1 " transactions old, held by " $2 }') (backend_xmin, sampled every second)"
CATCH_RATE=$(rate "${APPLIED_LAG:-$APPLIED}" "$T_CATCH")
if [ -n "${APPLIED_LAG:-}" ]; then
	echo "catch-up under ${WHILE_TPS} tps:   replay_lag under 1 s and the backlog applied after ${T_CATCH} s; ${APPLIED_LAG} row changes applied = ${CATCH_RATE} row changes/s"
else
	echo "catch-up end to end:      ${T_CATCH} s = ${CATCH_RATE} row changes/s"
fi
if [ -n "${T_READ_ALONE:-}" ]; then
	echo "  reader at binlog end:   ${T_READ_ALONE} s after start_replica, the replay held = $(rate "$APPLIED" "$T_READ_ALONE") row changes/s read"
else
	echo "  reader at binlog end:   ${T_READ:-?} s after start_replica = $(rate "$APPLIED" "${T_READ:-0}") row changes/s read"
fi
echo "ceiling (PL/pgSQL loop):  $((ITER * 4)) row changes in ${T_CEIL} s = $(rate $((ITER * 4)) "$T_CEIL") row changes/s"
echo "  with a subtransaction per source transaction: ${T_CEIL_SUB} s = $(rate $((ITER * 4)) "$T_CEIL_SUB") row changes/s"
echo "catch-up / ceiling:       $(ratio "$CATCH_RATE" "$(rate $((ITER * 4)) "$T_CEIL")") (target >= 1.0)"
echo "CPU used:                 reader ${CPU_READER} s, replay ${CPU_REPLAY} s (user + system, since start_replica)"
if [ -n "${CPU_REPLAY_HELD:-}" ]; then
	echo "  REPLAY_ALONE=1: the catch-up above is the replay alone, from the release of the tables; it used $(awk -v a="$CPU_REPLAY_HELD" -v b="$CPU_REPLAY" 'BEGIN { printf "%.1f", b - a }') s CPU"
fi
echo "  the busiest processes:  $(awk -v hz="$(getconf CLK_TCK)" 'NR == FNR { t0[$1] = $2; next }
	{ d = $2 - t0[$1]; if (d > 0) printf "%.1f %s/%s\n", d / hz, $3, $1 }' "$B/procs0" "$B/procs1" |
	sort -rn | head -6 | awk '{ printf "%s%s %s s", (NR > 1 ? ", " : ""), $2, $1 }')"
echo "  the whole machine:      $(awk -v a="$CPU0" -v b="$CPU1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz }') s busy of $(awk -v t="$(elapsed "$t0" "$t1")" -v n="$(nproc)" 'BEGIN { printf "%.1f", t * n }') s ($(nproc) cores until wait_caught_up returned)"
echo "peak RSS reader:          ${RSS_READER} sampled, VmHWM ${HWM_READER} kB"
echo "peak RSS replay:          ${RSS_REPLAY} sampled, VmHWM ${HWM_REPLAY} kB"
if [ "${PERF:-0}" = 1 ] && [ -s "$B/perf.data" ]; then
	echo "=== profile (self time, top symbols per worker)"
	perf report -q --stdio --no-children -i "$B/perf.data" --sort pid,dso,symbol \
		--percent-limit 0.7 -g none 2>/dev/null | sed 's/^ *//' | head -80
	# PERF_KEEP=FILE keeps the recording for perf report
	[ -n "${PERF_KEEP:-}" ] && cp "$B/perf.data" "$PERF_KEEP"
	if [ -s "$B/perf_ceil.data" ]; then
		echo "=== profile of the ceiling's backend (self time, top symbols)"
		cpid=$(perf report -q --stdio --no-children -i "$B/perf_ceil.data" --comm postgres --sort pid -g none 2>/dev/null |
			awk 'NR == 1 { sub(/:.*/, "", $2); print $2 }')
		perf report -q --stdio --no-children -i "$B/perf_ceil.data" --pid "$cpid" --sort dso,symbol \
			--percent-limit 0.7 -g none 2>/dev/null | sed 's/^ *//' | head -40
		[ -n "${PERF_KEEP:-}" ] && cp "$B/perf_ceil.data" "$PERF_KEEP.ceil"
	fi
fi
