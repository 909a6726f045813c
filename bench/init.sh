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

if [ "$(id -u)" -ne 0 ]; then
	echo "bench/init.sh: run as root" >&2
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
cleanup()
{
	[ -n "$PG_STARTED" ] && runuser -u postgres -- pg_ctl -D "$B/pg" -m fast stop >/dev/null 2>&1 || true
	if [ -n "$MYSQL_PID" ]; then
		kill "$MYSQL_PID" 2>/dev/null || true
		wait "$MYSQL_PID" 2>/dev/null || true
	fi
	rm -rf "$B"
}
trap cleanup EXIT
free_port()
{
	perl -MIO::Socket::INET -e \
		'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0)->sockport'
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

MY_PORT=$(free_port)
PG_PORT=$(free_port)
mkdir -p "$B/mysql" && chown mysql:mysql "$B/mysql"
mariadb-install-db --no-defaults --user=mysql --datadir="$B/mysql/data" \
	--auth-root-authentication-method=normal --skip-test-db >/dev/null
mariadbd --no-defaults --user=mysql --datadir="$B/mysql/data" \
	--socket="$B/mysql/mysql.sock" --port="$MY_PORT" --bind-address=127.0.0.1 \
	--log-bin="$B/mysql/data/binlog" --binlog-format=ROW --binlog-row-image=FULL \
	--binlog-row-metadata=FULL --server-id=1 --innodb-buffer-pool-size=1G \
	--log-error="$B/mysql/error.log" &
MYSQL_PID=$!
for _ in $(seq 1 120); do
	mariadb-admin --no-defaults --socket="$B/mysql/mysql.sock" ping >/dev/null 2>&1 && break
	sleep 0.5
done
my() { mariadb --no-defaults --socket="$B/mysql/mysql.sock" -uroot "$@"; }
my <<SQL
DELETE FROM mysql.global_priv WHERE User = '';
FLUSH PRIVILEGES;
CREATE USER 'bench'@'%' IDENTIFIED BY 'bench';
GRANT ALL ON *.* TO 'bench'@'%';
CREATE DATABASE sbtest;
SQL

echo "=== sysbench prepare: $TABLES tables x $ROWS rows"
sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$MY_PORT" \
	--mysql-user=bench --mysql-password=bench --mysql-db=sbtest \
	--tables="$TABLES" --table-size="$ROWS" prepare >/dev/null

mkdir -p "$B/pg" && chown postgres "$B/pg"
runuser -u postgres -- initdb -D "$B/pg" --auth=trust >/dev/null
cat >>"$B/pg/postgresql.conf" <<CONF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$B/pg'
shared_preload_libraries = 'chameleon'
max_worker_processes = 16
chameleon.copy_workers = $COPY_WORKERS
max_wal_size = 4GB
maintenance_work_mem = 256MB
CONF
runuser -u postgres -- pg_ctl -D "$B/pg" -l "$B/pg/server.log" -w start >/dev/null
PG_STARTED=1
pg() { runuser -u postgres -- psql -X -q -h "$B/pg" -p "$PG_PORT" -d postgres "$@"; }
pg -c "CREATE EXTENSION chameleon" -c "CREATE SCHEMA raw"

echo "=== chameleon init_replica"
pg -c "SELECT chameleon.add_source('sb', \$\$db_conn: {host: 127.0.0.1, port: $MY_PORT, user: bench, password: bench}
schema_mappings: {sbtest: sbtest}\$\$)"
: >"$B/rss"
(
	while :; do
		ps -o rss=,args= -u postgres | awk '/chameleon init/ { print $1 }' >>"$B/rss"
		sleep 0.2
	done
) &
SAMPLER=$!
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
t0=$(now)
if timeout 1200 pgloader --quiet \
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
