#!/bin/bash
# tools/install-deps.sh
#	Installs, as root, the Debian 12 packages chameleon is built and tested
#	with.  Does nothing (and needs no network) when they are all present.
#	The monitoring packages (prometheus-postgres-exporter, and prometheus
#	for promtool) are installed without their recommendations, and the
#	services they start are stopped and disabled: the tests run their own
#	exporter.
set -euo pipefail

PACKAGES=(
	make gcc clang cppcheck valgrind perl
	postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
	libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
	libmariadb-dev libyaml-dev zlib1g-dev libzstd-dev
	mariadb-server mariadb-client mariadb-test
	sysbench pgloader postgresql-15-postgis-3
)
MONITORING_PACKAGES=(prometheus-postgres-exporter prometheus)
MONITORING_SERVICES=(prometheus-postgres-exporter prometheus)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (it installs Debian packages)" >&2
	exit 2
fi

# The packages of the list given that are not installed.
missing_of()
{
	local pkg
	for pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
			echo "$pkg"
		fi
	done
}

# Stops a service a package started and keeps it from starting at boot,
# with systemd or with the init.d script when systemd is not running.
stop_service()
{
	local svc=$1
	if [ -d /run/systemd/system ]; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	elif [ -x "/etc/init.d/$svc" ]; then
		"/etc/init.d/$svc" stop >/dev/null 2>&1 || true
		update-rc.d "$svc" disable >/dev/null 2>&1 || true
	fi
}

mapfile -t missing < <(missing_of "${PACKAGES[@]}")
mapfile -t missing_mon < <(missing_of "${MONITORING_PACKAGES[@]}")

export DEBIAN_FRONTEND=noninteractive
if [ "${#missing[@]}" -gt 0 ] || [ "${#missing_mon[@]}" -gt 0 ]; then
	apt-get update
fi
if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps.sh: installing ${missing[*]}"
	apt-get install -y "${missing[@]}"
fi
if [ "${#missing_mon[@]}" -gt 0 ]; then
	echo "install-deps.sh: installing ${missing_mon[*]}"
	apt-get install -y --no-install-recommends "${missing_mon[@]}"
	for svc in "${MONITORING_SERVICES[@]}"; do
		stop_service "$svc"
	done
fi
