#!/bin/bash
# bench/reader_idle.sh
#	Memory of an idle reader (issue "hostile bytes", point 4), not a test:
#	a source of TABLES small tables (default 500) is copied and started,
#	then nothing happens on MariaDB for DURATION seconds (default 600)
#	while the reader reloads its table cache every 5 s.  Every STEP seconds
#	(default 60) the reader's memory contexts are logged with
#	pg_log_backend_memory_contexts() and the "Grand total" line read back
#	from the server log, with its RssAnon.  Flat numbers mean no leak.
#	Run as root: bash bench/reader_idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."

TABLES=${TABLES:-500}
DURATION=${DURATION:-600}
STEP=${STEP:-60}
ROWS=1

. bench/lib.sh
bench_setup bench/reader_idle.sh
bench_start_mariadb
for i in $(seq 1 "$TABLES"); do
	echo "CREATE TABLE sbtest.t$i (id int PRIMARY KEY, v varchar(20)); INSERT INTO sbtest.t$i VALUES (1, 'x');"
done | my
bench_start_pg "chameleon.launcher_naptime = 1" "log_min_messages = log"
bench_add_source
pg -c "SELECT chameleon.init_replica('sb', wait => true)" >/dev/null
pg -c "SELECT chameleon.start_replica('sb')" >/dev/null
pg -c "SELECT chameleon.wait_caught_up('sb', '60 s')" >/dev/null

pid=$(pg -At -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'chameleon reader sb'")
echo "=== reader $pid, $TABLES tables, idle for $DURATION s"
printf '%8s %16s %14s\n' "seconds" "context bytes" "RssAnon kB"
start=$(now)
for s in $(seq 0 "$STEP" "$DURATION"); do
	while [ "$(elapsed "$start" "$(now)" | cut -d. -f1)" -lt "$s" ]; do sleep 1; done
	pg -At -c "SELECT pg_log_backend_memory_contexts($pid)" >/dev/null
	sleep 1
	total=$(grep "\[$pid\]" "$B/pg/server.log" | grep "Grand total" | tail -1 |
		sed -E 's/.*Grand total: ([0-9]+) bytes.*/\1/')
	anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")
	printf '%8s %16s %14s\n' "$s" "$total" "$anon"
done
