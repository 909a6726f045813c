#!/bin/bash
# tools/install-deps.sh
#	Installs, as root, the Debian 12 packages chameleon is built and tested
#	with.  Does nothing (and needs no network) when they are all present.
set -euo pipefail

PACKAGES=(
	make gcc clang cppcheck valgrind perl
	postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
	libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
	libmariadb-dev libyaml-dev zlib1g-dev libzstd-dev
	mariadb-server mariadb-client mariadb-test
	sysbench pgloader
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (it installs Debian packages)" >&2
	exit 2
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y "${missing[@]}"
fi
