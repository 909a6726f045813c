#!/bin/bash
# tools/run-tests.sh
#	Runs every test of chameleon the way CI does: installs the Debian
#	packages, builds and installs the extension and the CLI (as root), then
#	runs each suite as an unprivileged user over a copy of the tree (initdb
#	and pg_regress refuse to run as root):
#
#	  regress  pg_regress over sql/*.sql (temporary instance)
#	  unit     unit tests of the pure-C libraries (src/binlog, src/ddl)
#	  fuzz     their fuzzers, FUZZ_SECONDS each (default 60)
#	  tap      TAP suites t/*.pl: launcher, pgTAP catalogue, real MariaDB
#	  lint     cppcheck
#
#	Environment: SUITES (default "regress unit fuzz tap lint"),
#	FUZZ_SECONDS, PROVE_TESTS (a subset of t/*.pl), CHAMELEON_TEST_USER
#	(default postgres), CHAMELEON_FIXTURES (binlog fixtures, optional).
#	Prints "suites: N passed, N failed" and exits non-zero on any failure.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "run-tests.sh: run as root (it installs packages and the extension)" >&2
	exit 2
fi

bash tools/install-deps.sh || exit 2
export PATH="/usr/lib/postgresql/15/bin:$PATH"

echo "=== build"
make -j"$(nproc)" || exit 1
make install || exit 1

TEST_USER=${CHAMELEON_TEST_USER:-postgres}
WORK=$(mktemp -d /tmp/chameleon-tests.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp -a "$ROOT/." "$WORK/tree"
chown -R "$TEST_USER" "$WORK"

if [ -z "${CHAMELEON_FIXTURES:-}" ] && [ -d "$ROOT/../shared/fixtures/binlogs" ]; then
	CHAMELEON_FIXTURES=$(cd "$ROOT/../shared/fixtures/binlogs" && pwd)
fi

passed=0
failed=0
failed_names=()

# Runs one suite as the test user in the copied tree.
run_suite()
{
	local name=$1
	shift
	echo "=== $name"
	if runuser -u "$TEST_USER" -- env \
		PATH="$PATH" \
		HOME="$WORK" \
		FUZZ_SECONDS="${FUZZ_SECONDS:-60}" \
		PROVE_TESTS="${PROVE_TESTS:-}" \
		CHAMELEON_FIXTURES="${CHAMELEON_FIXTURES:-}" \
		make -C "$WORK/tree" "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		if [ "$name" = regress ] && [ -f "$WORK/tree/regression.diffs" ]; then
			head -c 20000 "$WORK/tree/regression.diffs"
		fi
	fi
}

for suite in ${SUITES:-regress unit fuzz tap lint}; do
	case "$suite" in
		regress) run_suite regress installcheck ;;
		unit) run_suite unit unit ;;
		fuzz) run_suite fuzz fuzz ;;
		tap) run_suite tap tap ;;
		lint) run_suite lint lint ;;
		*) echo "run-tests.sh: unknown suite $suite" >&2; exit 2 ;;
	esac
done

[ "$failed" -eq 0 ] || echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
