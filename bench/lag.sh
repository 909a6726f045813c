#!/bin/bash
# bench/lag.sh
#	Benchmark of the replication lag under a steady load (SPEC section 7,
#	issue 6), not a test.  A sysbench oltp_write_only data set (TABLES x
#	ROWS, default 4 x 250000) in a throwaway MariaDB is copied with
#	init_replica into a throwaway PostgreSQL 15 and the replica is started.
#	sysbench then runs at a fixed RATE (default 1000 transactions/s) for
#	DURATION seconds (default 120) while one psql session samples
#	show_status.replay_lag and read_lag every 100 ms.
#
#	It prints p50/p99/max of both lags (target: replay_lag p99 < 1 s), the
#	rate sysbench achieved, and the peak RSS of the reader and replay
#	workers (VmRSS and RssAnon sampled every 0.2 s, VmHWM at the end;
#	VmRSS/VmHWM include the shared buffers the worker touched).
#	Then (SEARCH_RATES, default "2000 3000 4000 6000 8000", empty: none)
#	each rate runs for SEARCH_SECS (default 30) the same way, until p99
#	reaches 1 s or sysbench cannot keep the rate: the highest steady rate
#	with replay_lag p99 under 1 s, printed beside the rate the in-backend
#	ceiling implies (bench/ceiling.sh, measured in the same run before the
#	replica starts: CEIL_TXNS sysbench transactions, default 50000, of 4
#	row changes each, on a copy of the tables).
#	Run as root: bash bench/lag.sh   (DURATION=60 bash bench/lag.sh: shorter;
#	KEEP_SAMPLES=/tmp/lag.txt keeps the samples)
set -euo pipefail
cd "$(dirname "$0")/.."

TABLES=${TABLES:-4}
ROWS=${ROWS:-250000}
DURATION=${DURATION:-120}
RATE=${RATE:-1000}
THREADS=${THREADS:-4}
SEARCH_RATES=${SEARCH_RATES-2000 3000 4000 6000 8000}
SEARCH_SECS=${SEARCH_SECS:-30}
CEIL_TXNS=${CEIL_TXNS:-50000}

. bench/lib.sh
. bench/ceiling.sh
bench_setup bench/lag.sh
bench_start_mariadb
bench_sysbench_prepare
bench_start_pg "chameleon.launcher_naptime = 1"

echo "=== init_replica, start_replica"
bench_add_source
pg -c "SELECT chameleon.init_replica('sb', wait => true)" >/dev/null

echo "=== ceiling: PL/pgSQL loop, the same mix by key, on a copy, before the replica starts"
ceiling_setup ceil
pg -c "VACUUM ANALYZE" >/dev/null
tc=$(now)
ceiling ceil 0 "$CEIL_TXNS"
CEILING=$(rate $((CEIL_TXNS * 4)) "$(elapsed "$tc" "$(now)")")

pg -c "SELECT chameleon.start_replica('sb')" >/dev/null
ok=$(pg -At -c "SELECT chameleon.wait_caught_up('sb', '10 min')")
echo "caught up after the start: $ok"
pg -c "VACUUM ANALYZE" >/dev/null

echo "=== sysbench oltp_write_only --rate=$RATE --time=$DURATION ($THREADS threads), lag sampled every 100 ms"
: >"$B/rss"
bench_rss_sampler "$B/rss" 0 &
SAMPLER=$!
BENCH_PIDS+=("$SAMPLER")
# one session, one query every 100 ms: seconds of replay_lag and read_lag
LAG_SQL="SELECT extract(epoch FROM replay_lag), extract(epoch FROM read_lag) FROM chameleon.show_status WHERE source_name = 'sb'"
pg_watch "$LAG_SQL" 0.1 >"$B/lag" &
LAGGER=$!
t0=$(now)
sysbench oltp_write_only "${SB[@]}" --threads="$THREADS" --rate="$RATE" --time="$DURATION" \
	--report-interval=0 run >"$B/sysbench.log"
t1=$(now)
# the sampler stops once sysbench does: the lag after the load is not part of it
kill "$LAGGER" 2>/dev/null || true
pkill -P "$LAGGER" 2>/dev/null || true
sleep 0.3
kill "$SAMPLER" 2>/dev/null || true
SAMPLER=
ok=$(pg -At -c "SELECT chameleon.wait_caught_up('sb', '10 min')")
t2=$(now)

HWM_READER=$(bench_hwm reader)
HWM_REPLAY=$(bench_hwm replay)
# samples: reader VmRSS, RssAnon, replay VmRSS, RssAnon
RSS_READER=$(bench_rss_peak "$B/rss" 1)
RSS_REPLAY=$(bench_rss_peak "$B/rss" 3)
CHECK=$(bench_same_tables)
# pN: the value below which N % of the samples fall (nearest rank)
pct()
{
	awk -v col="$1" 'NF >= col && $col != "" { print $col }' "$B/lag" | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "no samples"; exit }
			i50 = int(NR * 0.50 + 0.999999); i99 = int(NR * 0.99 + 0.999999)
			printf "p50 %.3f s, p99 %.3f s, max %.3f s (%d samples)", v[i50], v[i99], v[NR], NR
		}'
}

echo
echo "=== results ($TABLES x $ROWS rows, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "sysbench: $(elapsed "$t0" "$t1") s at --rate=$RATE, $THREADS threads: $(grep -m1 'transactions:' "$B/sysbench.log" | sed 's/^ *//')"
echo "replay_lag: $(pct 1)  (target p99 < 1 s)"
echo "read_lag:   $(pct 2)"
awk '$1 != "" { n++; if ($1 > 0) a++; if ($1 >= 0.5) b++; if ($1 >= 1) c++ }
	END { if (n) printf "replay_lag samples > 0: %.1f %%, >= 0.5 s: %.1f %%, >= 1 s: %.1f %%\n", 100 * a / n, 100 * b / n, 100 * c / n }' "$B/lag"
echo "(lags are measured from the binlog event timestamps, which have a 1 s resolution: a pending event reads 0-1 s older than it is)"
[ -n "${KEEP_SAMPLES:-}" ] && cp "$B/lag" "$KEEP_SAMPLES" && echo "samples (replay_lag read_lag, s) kept in $KEEP_SAMPLES"
echo "caught up after the load: $ok in $(elapsed "$t1" "$t2") s; tables: $CHECK"
echo "ceiling (PL/pgSQL loop, same run): $CEILING row changes/s = $((CEILING / 4)) transactions/s"
echo "peak RSS reader: ${RSS_READER} sampled, VmHWM ${HWM_READER} kB"
echo "peak RSS replay: ${RSS_REPLAY} sampled, VmHWM ${HWM_REPLAY} kB"

# ---- the highest steady rate with replay_lag p99 under 1 s
if [ -n "$SEARCH_RATES" ]; then
	echo
	echo "=== search: $SEARCH_SECS s per rate, replay_lag p99 < 1 s (the ceiling implies $((CEILING / 4)) transactions/s)"
	best=$RATE
	for r in $SEARCH_RATES; do
		pg -At -c "SELECT chameleon.wait_caught_up('sb', '10 min')" >/dev/null
		pg_watch "$LAG_SQL" 0.1 >"$B/lag" &
		LAGGER=$!
		sysbench oltp_write_only "${SB[@]}" --threads="$THREADS" --rate="$r" --time="$SEARCH_SECS" \
			--report-interval=0 run >"$B/sysbench.log"
		kill "$LAGGER" 2>/dev/null || true
		pkill -P "$LAGGER" 2>/dev/null || true
		sleep 0.3
		tps=$(awk '/transactions:/ { gsub(/\(/, "", $3); print int($3) }' "$B/sysbench.log")
		p99=$(awk 'NF >= 1 && $1 != "" { print $1 }' "$B/lag" | sort -g | awk '{ v[NR] = $1 } END { i = int(NR * 0.99 + 0.999999); print (NR ? v[i] : 99) }')
		echo "rate $r: sysbench $tps tps, replay_lag $(pct 1)"
		if awk -v p="$p99" 'BEGIN { exit !(p < 1) }' && [ "$tps" -ge $((r * 95 / 100)) ]; then
			best=$r
		else
			break
		fi
	done
	echo "highest steady rate with replay_lag p99 < 1 s: $best transactions/s = $((best * 4)) row changes/s ($(ratio $((best * 4)) "$CEILING") of the ceiling's $CEILING)"
fi
