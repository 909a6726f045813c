#!/bin/bash
# bench/binlog_decode.sh
#	Benchmark (not a test) of the binlog decoder, issue 3: a throwaway
#	MariaDB (t/lib/ChameleonTest/MariaDB.pm) logs a sysbench load of
#	ROWS row inserts (4 tables, oltp_write_only prepare, binlog_row_image
#	FULL); then the binlog files are decoded
#	  1. by chameleon_binlog (JSON lines to /dev/null),
#	  2. by the library alone (bench/binlog_decode_lib.c: every value
#	     formatted to its PostgreSQL text, nothing printed),
#	  3. by mariadb-binlog --base64-output=decode-rows -vv, for comparison,
#	and the row images per second of each are printed (best of RUNS runs,
#	one core: the programs are single-threaded).
#
#	Usage: bench/binlog_decode.sh [ROWS]   (default 1000000)
#	Environment: CHAMELEON_BINLOG (default build/chameleon_binlog), RUNS (3),
#	KEEP=1 to keep the work directory.  Runs as root (the server then runs
#	as mysql) or as any user.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${1:-1000000}
RUNS=${RUNS:-3}
CLI=${CHAMELEON_BINLOG:-build/chameleon_binlog}
TABLES=4
PER_TABLE=$(( (ROWS + TABLES - 1) / TABLES ))

for p in sysbench mariadb-binlog mariadbd; do
	command -v $p >/dev/null 2>&1 || [ -x /usr/sbin/$p ] || { echo "$p is not installed" >&2; exit 1; }
done
[ -x "$CLI" ] || make -f src/binlog/binlog.mk "$CLI" >/dev/null

WORK=$(mktemp -d /tmp/chameleon_bench_XXXXXX)
chmod 755 "$WORK"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

# the library-only driver
${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -Isrc/binlog -o "$WORK/binlog_decode_lib" \
	bench/binlog_decode_lib.c $(ls src/binlog/*.c | grep -v stream.c) -lz -lzstd

echo "# generating a binlog of $((PER_TABLE * TABLES)) sysbench rows ($TABLES tables)" >&2
perl -It/lib -MChameleonTest::MariaDB -e '
	my ($work, $per) = @ARGV;
	my $m = ChameleonTest::MariaDB->new(name => "bench", binlog_row_image => "FULL",
		extra => ["max_binlog_size = 1G", "innodb_buffer_pool_size = 512M"]);
	$m->start;
	$m->create_user("bench", "bench-pw", all => 1);
	$m->sql("CREATE DATABASE sbtest");
	$m->flush_binlogs;
	system("sysbench", "oltp_write_only", "--db-driver=mysql", "--mysql-host=127.0.0.1",
		"--mysql-port=" . $m->port, "--mysql-user=bench", "--mysql-password=bench-pw",
		"--mysql-db=sbtest", "--tables=4", "--table-size=$per", "--threads=4", "prepare") == 0
		or die "sysbench prepare failed\n";
	$m->flush_binlogs;
	my @f = $m->binlog_files;
	pop @f;					# the empty current file
	shift @f;				# the file before the load
	system("cp", @f, $work) == 0 or die "cp failed\n";
	$m->stop;
' "$WORK" "$PER_TABLE" >"$WORK/prepare.log" 2>&1 || { cat "$WORK/prepare.log" >&2; exit 1; }
chmod 644 "$WORK"/mysql-bin.*
FILES=$(ls "$WORK"/mysql-bin.* | sort)
SIZE=$(cat $FILES | wc -c)

# best wall-clock time of RUNS runs of a command (stdout to /dev/null)
best_time()
{
	local best=""
	for _ in $(seq "$RUNS"); do
		local s e t
		s=$(date +%s.%N)
		"$@" >/dev/null
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
	done
	echo "$best"
}

IMAGES=$("$WORK/binlog_decode_lib" $FILES | awk '/^images/ {print $2}')
ROWCHG=$("$CLI" $FILES | grep -c '^{"op":')
T_CLI=$(best_time "$CLI" $FILES)
T_LIB=$(best_time "$WORK/binlog_decode_lib" $FILES)
T_ORA=$(best_time mariadb-binlog --no-defaults --base64-output=decode-rows -vv $FILES)

printf 'binlog: %d files, %d bytes, %d row changes, %d row images\n' \
	"$(echo $FILES | wc -w)" "$SIZE" "$ROWCHG" "$IMAGES"
printf '%-44s %8.3f s  %12.0f row images/s\n' \
	"chameleon_binlog (JSON lines to /dev/null)" "$T_CLI" "$(echo "$IMAGES / $T_CLI" | bc -l)" \
	"library only (values to PostgreSQL text)" "$T_LIB" "$(echo "$IMAGES / $T_LIB" | bc -l)" \
	"mariadb-binlog --base64-output=decode-rows -vv" "$T_ORA" "$(echo "$IMAGES / $T_ORA" | bc -l)"
