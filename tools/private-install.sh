#!/bin/bash
# tools/private-install.sh DIR [make arguments...]
#	Builds a private PostgreSQL 15 installation under DIR: a copy of the
#	system's server binaries, libraries and share files, with this tree's
#	extension installed into it (make install DESTDIR=...).  PostgreSQL
#	finds its share and library directories relative to its binary, so a
#	server started from DIR/usr/lib/postgresql/15/bin loads the extension
#	installed there and never the system's one.
#
#	Used to run the TAP suites of two trees side by side on one machine,
#	and by the upgrade test to hold an older release.  Prints the install
#	path to pass to PostgreSQL::Test::Cluster (CHAMELEON_PG_INSTALL).
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 DIR [make arguments...]" >&2
	exit 2
fi
dir=$1
shift
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bindir=$(pg_config --bindir)
pkglibdir=$(pg_config --pkglibdir)
sharedir=$(pg_config --sharedir)

# the server itself: copied once (the extension's files are replaced below)
if [ ! -x "$dir$bindir/postgres" ]; then
	mkdir -p "$dir$bindir" "$dir$pkglibdir" "$dir$sharedir"
	cp -a "$bindir/." "$dir$bindir/"
	cp -a "$pkglibdir/." "$dir$pkglibdir/"
	cp -a "$sharedir/." "$dir$sharedir/"
fi

# extensions installed on the system after the copy was made (PostGIS for
# t/071_postgis.pl...): their files, without overwriting anything
cp -an "$pkglibdir/." "$dir$pkglibdir/"
cp -an "$sharedir/extension/." "$dir$sharedir/extension/"
if [ -d "$sharedir/contrib" ]; then
	mkdir -p "$dir$sharedir/contrib"
	cp -an "$sharedir/contrib/." "$dir$sharedir/contrib/"
fi

# the copy holds the system's chameleon: only this tree's may be found
rm -f "$dir$pkglibdir/chameleon.so" "$dir$sharedir"/extension/chameleon.control \
	"$dir$sharedir"/extension/chameleon--*.sql
rm -rf "$dir$pkglibdir"/bitcode/chameleon*

make -s "$@" >/dev/null
make -s install DESTDIR="$dir" "$@" >/dev/null
echo "$dir${bindir%/bin}"
