#!/bin/bash
# bench/lib.sh
#	What the benchmark scripts share, sourced by them: build and install
#	chameleon, a temporary directory removed at exit with every server and
#	helper process in it, a throwaway MariaDB (binlog ROW, FULL image and
#	metadata) and PostgreSQL 15 with chameleon preloaded on 127.0.0.1,
#	sysbench's data set, and small arithmetic helpers (awk, not bc).
#
#	Defines: B (the directory), MY_PORT, PG_PORT, SB (sysbench options),
#	my (mariadb client as root), pg (psql as postgres), pg_watch (a query
#	polled from one session), bench_same_tables (the sysbench tables on
#	both sides), BENCH_PIDS (add background processes to stop
#	at exit), now, elapsed, rate, ratio.

# Builds and installs, creates $B and the exit trap; $1 names the script.
bench_setup()
{
	if [ "$(id -u)" -ne 0 ]; then
		echo "$1: run as root" >&2
		exit 2
	fi
	bash tools/install-deps.sh >/dev/null
	export PATH="/usr/lib/postgresql/15/bin:$PATH"
	make -j"$(nproc)" >/dev/null
	make install >/dev/null
	B=$(mktemp -d /tmp/chameleon-bench.XXXXXX)
	chmod 755 "$B"
	MYSQL_PID=
	PG_STARTED=
	BENCH_PIDS=()
	MY_PORT=$(bench_free_port)
	PG_PORT=$(bench_free_port)
	trap bench_cleanup EXIT
}

# Stops the helpers and both servers, removes $B.
bench_cleanup()
{
	for p in "${BENCH_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	[ -n "$PG_STARTED" ] && runuser -u postgres -- pg_ctl -D "$B/pg" -m immediate stop >/dev/null 2>&1 || true
	if [ -n "$MYSQL_PID" ]; then
		kill "$MYSQL_PID" 2>/dev/null || true
		wait "$MYSQL_PID" 2>/dev/null || true
	fi
	rm -rf "$B"
}

# Prints a free TCP port on 127.0.0.1.
bench_free_port()
{
	perl -MIO::Socket::INET -e \
		'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0)->sockport'
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
my() { mariadb --no-defaults --socket="$B/mysql/mysql.sock" -uroot "$@"; }
pg() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$B/pg" -p "$PG_PORT" -d postgres "$@"; }

# pg_watch SQL EVERY: the rows of SQL every EVERY seconds from ONE psql
# session (a psql and a backend started per poll would take more of the
# cores than the polling is worth).  It replaces the shell it runs in with
# psql: run it in the background or on the left of a pipe.  It ends when
# it is killed or when what reads it stops reading.
pg_watch()
{
	exec runuser -u postgres -- psql -X -q -At -F' ' -h "$B/pg" -p "$PG_PORT" -d postgres 2>/dev/null < <(
		while :; do
			echo "$1;"
			sleep "$2"
		done 2>/dev/null
	)
}

# Adds source sb: MariaDB sbtest (user bench) -> PostgreSQL schema sbtest.
bench_add_source()
{
	pg -c "SELECT chameleon.add_source('sb', \$\$db_conn: {host: 127.0.0.1, port: $MY_PORT, user: bench, password: bench}
schema_mappings: {sbtest: sbtest}\$\$)"
}

# Starts MariaDB with database sbtest and user bench/bench (all privileges).
bench_start_mariadb()
{
	mkdir -p "$B/mysql" && chown mysql:mysql "$B/mysql"
	mariadb-install-db --no-defaults --user=mysql --datadir="$B/mysql/data" \
		--auth-root-authentication-method=normal --skip-test-db >/dev/null
	mariadbd --no-defaults --user=mysql --datadir="$B/mysql/data" \
		--socket="$B/mysql/mysql.sock" --port="$MY_PORT" --bind-address=127.0.0.1 \
		--log-bin="$B/mysql/data/binlog" --binlog-format=ROW --binlog-row-image=FULL \
		--binlog-row-metadata=FULL --server-id=1 --innodb-buffer-pool-size=1G \
		--innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
		--log-error="$B/mysql/error.log" &
	MYSQL_PID=$!
	for _ in $(seq 1 120); do
		mariadb-admin --no-defaults --socket="$B/mysql/mysql.sock" ping >/dev/null 2>&1 && break
		sleep 0.5
	done
	my <<SQL
DELETE FROM mysql.global_priv WHERE User = '';
FLUSH PRIVILEGES;
CREATE USER 'bench'@'%' IDENTIFIED BY 'bench';
GRANT ALL ON *.* TO 'bench'@'%';
CREATE DATABASE sbtest;
SQL
}

# sysbench oltp_write_only prepare of $TABLES x $ROWS into sbtest.
bench_sysbench_prepare()
{
	SB=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$MY_PORT"
		--mysql-user=bench --mysql-password=bench --mysql-db=sbtest
		--tables="$TABLES" --table-size="$ROWS")
	echo "=== sysbench prepare: $TABLES tables x $ROWS rows"
	sysbench oltp_write_only "${SB[@]}" prepare >/dev/null
}

# Starts PostgreSQL with chameleon; arguments (and PG_CONF, ';'-separated)
# are extra postgresql.conf lines.
bench_start_pg()
{
	mkdir -p "$B/pg" && chown postgres "$B/pg"
	runuser -u postgres -- initdb -D "$B/pg" --auth=trust >/dev/null
	{
		echo "port = $PG_PORT"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$B/pg'"
		echo "shared_preload_libraries = 'chameleon'"
		echo "max_worker_processes = 16"
		echo "max_wal_size = 4GB"
		echo "maintenance_work_mem = 256MB"
		for line in "$@"; do
			echo "$line"
		done
		# PG_CONF: more lines, separated by ';' (say "shared_buffers = 1GB")
		if [ -n "${PG_CONF:-}" ]; then
			tr ';' '\n' <<<"$PG_CONF"
		fi
	} >>"$B/pg/postgresql.conf"
	runuser -u postgres -- pg_ctl -D "$B/pg" -l "$B/pg/server.log" -w start >/dev/null
	PG_STARTED=1
	pg -c "CREATE EXTENSION chameleon"
}

# Appends, every 0.2 s until killed, "[time] rss anon rss anon" (kB) of
# source sb's reader and replay to file $1; $2 = 1 prefixes the time.
bench_rss_sampler()
{
	local r p
	while :; do
		# VmRSS and RssAnon (private memory) of each worker, kB
		r=$(ps -o pid=,args= -u postgres | awk '/chameleon reader sb/ { print $1 }' | head -1)
		p=$(ps -o pid=,args= -u postgres | awk '/chameleon replay sb/ { print $1 }' | head -1)
		r=$(awk '/^VmRSS/ { v = $2 } /^RssAnon/ { a = $2 } END { print v + 0, a + 0 }' "/proc/${r:-0}/status" 2>/dev/null || echo "0 0")
		p=$(awk '/^VmRSS/ { v = $2 } /^RssAnon/ { a = $2 } END { print v + 0, a + 0 }' "/proc/${p:-0}/status" 2>/dev/null || echo "0 0")
		if [ "${2:-0}" = 1 ]; then
			echo "$(date +%s.%N) $r $p" >>"$1"
		else
			echo "$r $p" >>"$1"
		fi
		sleep 0.2
	done
}

# Peak VmHWM (kB) of source sb's worker $1 (reader or replay), or "?".
bench_hwm()
{
	local pid
	pid=$(pg -At -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'chameleon $1 sb'")
	[ -n "$pid" ] && awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo "?"
}

# Peak "VmRSS kB (RssAnon kB)" of the worker whose VmRSS is in column $2
# (RssAnon in the next) of a bench_rss_sampler file $1.
bench_rss_peak()
{
	awk -v c="$2" '{ if ($c > m) m = $c; if ($(c + 1) > a) a = $(c + 1) } END { printf "%d kB (RssAnon %d kB)", m, a }' "$1"
}

# "sbtestN:same" (or DIFFERENT, with both sides) for each sysbench table:
# row count, sum(k) and sum(id) on MariaDB against the replica.
bench_same_tables()
{
	local i m p
	for i in $(seq 1 "$TABLES"); do
		m=$(my -N -B -e "SELECT count(*), sum(k), sum(id) FROM sbtest.sbtest$i" | tr '\t' '|')
		p=$(pg -At -c "SELECT count(*), sum(k), sum(id) FROM sbtest.sbtest$i")
		[ "$m" = "$p" ] && echo "sbtest$i:same" || echo "sbtest$i:DIFFERENT($m vs $p)"
	done | tr '\n' ' '
}
