# dpkg: a .deb built here with dpkg-deb --build, installed with dpkg -i,
# queried (-s, -L), run, and removed.
set -eu
rm -rf /tmp/deb && mkdir -p /tmp/deb/pkg/DEBIAN /tmp/deb/pkg/usr/bin /tmp/deb/pkg/usr/share/doc/visor-hello
cd /tmp/deb
cat >pkg/DEBIAN/control <<'CTL'
Package: visor-hello
Version: 1.2-3
Architecture: all
Maintainer: visor tests <t@example.org>
Description: a greeting for the real-applications suite
 Installed and removed by the visor tests.
CTL
printf '#!/bin/sh\necho "hello from visor-hello $*"\n' >pkg/usr/bin/visor-hello
chmod 755 pkg/usr/bin/visor-hello
echo "copyright: none" >pkg/usr/share/doc/visor-hello/copyright
printf '#!/bin/sh\necho "postinst $1"\n' >pkg/DEBIAN/postinst
chmod 755 pkg/DEBIAN/postinst
dpkg-deb --root-owner-group --build pkg visor-hello.deb | sed 's/ in .*//'
dpkg-deb -I visor-hello.deb | grep -E '^ (Package|Version|Architecture):'
dpkg-deb -c visor-hello.deb | awk '{print $1, $6}'
dpkg -i visor-hello.deb 2>&1 | grep -v -e '^(Reading database' -e '^Selecting previously'
dpkg -s visor-hello | grep -E '^(Package|Status|Version|Architecture):'
dpkg -L visor-hello
visor-hello a b
dpkg -r visor-hello 2>&1 | grep -v '^(Reading database'
dpkg -s visor-hello 2>&1 | head -1 || true
test -e /usr/bin/visor-hello && echo "visor-hello still there" || echo "visor-hello gone"
