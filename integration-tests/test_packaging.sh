#!/usr/bin/env bash
# A distributor builds visor's packages: `make deb` and `make rpm` give a .deb
# and an .rpm with /usr/bin/visor, the man page, README and copyright, library
# dependencies computed from the binary, Recommends docker.io, scripts that
# register/unregister the runtime; lintian finds no errors; the source tree is
# not polluted.  With VISOR_TEST_SYSTEM_INSTALL=1 (root, a disposable
# machine) it also installs the .deb for real and purges it, checking that
# /etc/docker/daemon.json gains runtimes.visor and keeps every other key.
set -u
cd "$(dirname "$0")/.."
fail() { echo "FAIL: $*"; exit 1; }
note() { echo "note: $*"; }

have_deb=1
have_rpm=1
for t in dpkg-buildpackage dh dpkg-deb lintian; do
	command -v $t >/dev/null || { note "$t missing: .deb part skipped"; have_deb=0; }
done
command -v rpmbuild >/dev/null || { note "rpmbuild missing: .rpm part skipped"; have_rpm=0; }
if [ $have_deb = 0 ] && [ $have_rpm = 0 ]; then
	echo "SKIP: needs debhelper, lintian, dpkg-dev and/or rpm (apt-get install debhelper lintian rpm)"
	exit 77
fi

version=$(sed -n 's/^VERSION *?*= *//p' Makefile | head -1)
[ -n "$version" ] || fail "no VERSION in Makefile"
deb=build/visor_${version}_amd64.deb
rpmf=build/visor-${version}-1.x86_64.rpm
tmp=$(mktemp -d /tmp/visor-pkg-test.XXXXXX)
cleanup() {
	rm -rf "$tmp"
}
trap cleanup EXIT

# Sonames the visor binary links against, other than libc's own: each must
# reach the package's dependencies.
needed_libs() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
		grep -v -E '^(libc|libm|libpthread|libdl|librt|ld-linux.*)\.so'
}

if [ $have_deb = 1 ]; then
	rm -f "$deb"
	make -s deb >"$tmp/deb.log" 2>&1 || { tail -30 "$tmp/deb.log"; fail "make deb"; }
	[ -f "$deb" ] || fail "make deb did not produce $deb"
	[ ! -e debian ] || fail "make deb left a debian/ directory in the source tree"

	dpkg-deb -c "$deb" >"$tmp/contents"
	for f in ./usr/bin/visor ./usr/share/man/man8/visor.8.gz ./usr/share/doc/visor/README \
		./usr/share/doc/visor/copyright; do
		grep -q " $f\$" "$tmp/contents" || fail "$f missing from the .deb: $(cat "$tmp/contents")"
	done
	grep -q -- '-rwxr-xr-x root/root .* ./usr/bin/visor$' "$tmp/contents" ||
		fail "/usr/bin/visor not 0755 root:root"
	[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is not $version"
	[ "$(dpkg-deb -f "$deb" Architecture)" = amd64 ] || fail "Architecture is not amd64"
	depends=$(dpkg-deb -f "$deb" Depends)
	echo "Depends: $depends"
	echo "$depends" | grep -q 'libyajl2' || fail "Depends lacks libyajl2"
	dpkg-deb -f "$deb" Recommends | grep -q 'docker.io' || fail "Recommends lacks docker.io"

	# Every library the packaged binary links must be depended on; dpkg-
	# shlibdeps leaves out libraries that are linked but unused, so the
	# expected list comes from the binary itself.
	dpkg-deb -x "$deb" "$tmp/root"
	for so in $(needed_libs "$tmp/root/usr/bin/visor"); do
		path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64/ {print $NF; exit}')
		[ -n "$path" ] || fail "cannot find $so on this system"
		pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)
		[ -n "$pkg" ] || pkg=$(dpkg -S "$path" | head -1 | cut -d: -f1)
		echo "$depends" | grep -q -w -- "$pkg" || fail "binary needs $so ($pkg) but Depends is: $depends"
	done
	for pkg in libyajl2 libseccomp2 libmnl0 libnl-3-200; do
		echo "$depends" | grep -q -w -- "$pkg" ||
			note "Depends has no $pkg: the binary does not use that library yet"
	done

	dpkg-deb -e "$deb" "$tmp/control"
	grep -q 'visor install --reload' "$tmp/control/postinst" || fail "postinst does not run visor install"
	grep -q 'visor uninstall --reload' "$tmp/control/prerm" || fail "prerm does not run visor uninstall"

	lintian "$deb" >"$tmp/lintian" 2>&1
	grep '^[EW]:' "$tmp/lintian" | sed 's/^/lintian: /'
	if grep -q '^E:' "$tmp/lintian"; then
		fail "lintian reports errors"
	fi
fi

if [ $have_rpm = 1 ]; then
	rm -f "$rpmf"
	make -s rpm >"$tmp/rpm.log" 2>&1 || { tail -30 "$tmp/rpm.log"; fail "make rpm"; }
	[ -f "$rpmf" ] || fail "make rpm did not produce $rpmf"
	rpm -qpl "$rpmf" >"$tmp/rpmfiles" 2>/dev/null
	for f in /usr/bin/visor /usr/share/doc/visor/README /usr/share/doc/visor/copyright; do
		grep -qx "$f" "$tmp/rpmfiles" || fail "$f missing from the .rpm: $(cat "$tmp/rpmfiles")"
	done
	grep -q '^/usr/share/man/man8/visor\.8' "$tmp/rpmfiles" || fail "man page missing from the .rpm"
	rpm -qp --requires "$rpmf" >"$tmp/requires" 2>/dev/null
	grep -qx 'libyajl.so.2()(64bit)' "$tmp/requires" || fail "rpm Requires lacks libyajl: $(cat "$tmp/requires")"
	# Unpack the payload (rpm2archive ships with rpm; no cpio needed).
	mkdir -p "$tmp/rpmroot"
	rpm2archive - <"$rpmf" | tar -xzf - -C "$tmp/rpmroot" || fail "cannot unpack the .rpm"
	for so in $(needed_libs "$tmp/rpmroot/usr/bin/visor"); do
		grep -qxF "$so()(64bit)" "$tmp/requires" || fail "rpm Requires lacks $so: $(cat "$tmp/requires")"
	done
	rpm -qp --scripts "$rpmf" >"$tmp/scripts" 2>/dev/null
	grep -q 'postinstall scriptlet' "$tmp/scripts" || fail "no %post"
	grep -q 'visor install --reload' "$tmp/scripts" || fail "%post does not run visor install"
	grep -q 'preuninstall scriptlet' "$tmp/scripts" || fail "no %preun"
	grep -q 'visor uninstall --reload' "$tmp/scripts" || fail "%preun does not run visor uninstall"
fi

if [ "${VISOR_TEST_SYSTEM_INSTALL:-0}" != 1 ]; then
	note "system install/purge not run (set VISOR_TEST_SYSTEM_INSTALL=1 on a disposable machine)"
	exit 0
fi
[ $have_deb = 1 ] || fail "VISOR_TEST_SYSTEM_INSTALL=1 needs the .deb tools"
[ "$(id -u)" = 0 ] || fail "VISOR_TEST_SYSTEM_INSTALL=1 needs root"
if dpkg -s visor >/dev/null 2>&1; then
	fail "a visor package is already installed; refusing to purge it"
fi

# Pre-seed daemon.json with keys of our own, and put the original back after.
cfg=/etc/docker/daemon.json
had_cfg=0
[ -e $cfg ] && { cp -a $cfg "$tmp/daemon.json.orig"; had_cfg=1; }
had_bak=0
[ -e $cfg.bak ] && { cp -a $cfg.bak "$tmp/daemon.json.bak.orig"; had_bak=1; }
had_dir=1
[ -d /etc/docker ] || had_dir=0
restore() {
	apt-get purge -y -qq visor >/dev/null 2>&1
	rm -f $cfg $cfg.bak
	[ $had_cfg = 1 ] && cp -a "$tmp/daemon.json.orig" $cfg
	[ $had_bak = 1 ] && cp -a "$tmp/daemon.json.bak.orig" $cfg.bak
	[ $had_dir = 0 ] && rmdir /etc/docker 2>/dev/null
	cleanup
}
trap restore EXIT
mkdir -p /etc/docker
printf '{"log-level": "warn", "max-file": 1.50, "runtimes": {"other": {"path": "/bin/true"}}}\n' >$cfg

# --no-install-recommends: the test must not pull in docker.io.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "./$deb" \
	>"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log"; fail "apt-get install ./$deb"; }
[ -x /usr/bin/visor ] || fail "/usr/bin/visor not installed"
man -w visor >/dev/null 2>&1 || [ -e /usr/share/man/man8/visor.8.gz ] || fail "man page not installed"
grep -q '"visor": {' $cfg || fail "postinst did not register runtimes.visor: $(cat $cfg)"
grep -q '"path": "/usr/bin/visor"' $cfg || fail "runtimes.visor.path is not /usr/bin/visor: $(cat $cfg)"
grep -q '"log-level": "warn"' $cfg || fail "install lost log-level: $(cat $cfg)"
grep -q '"max-file": 1.50' $cfg || fail "install re-spelled 1.50: $(cat $cfg)"
grep -q '"other": {' $cfg || fail "install lost the other runtime: $(cat $cfg)"

DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq visor >"$tmp/apt.log" 2>&1 ||
	{ cat "$tmp/apt.log"; fail "apt-get purge visor"; }
[ ! -e /usr/bin/visor ] || fail "/usr/bin/visor still there after purge"
grep -q '"visor"' $cfg && fail "runtimes.visor survived the purge: $(cat $cfg)"
grep -q '"log-level": "warn"' $cfg || fail "purge lost log-level: $(cat $cfg)"
grep -q '"max-file": 1.50' $cfg || fail "purge re-spelled 1.50: $(cat $cfg)"
grep -q '"other": {' $cfg || fail "purge lost the other runtime: $(cat $cfg)"
exit 0
