#!/bin/bash
# tests/packaging.sh: what the packages install, the init scripts without a config, and the
# OpenWrt init script's shellcheck. Needs no privileges.
cd "$(dirname "$0")/.." || exit 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
t() {
	local name=$1
	shift
	if "$@" >"$T/log" 2>&1; then echo "ok - $name"; else
		echo "not ok - $name"
		tail -5 "$T/log" | sed 's/^/#   /'
	fi
}

# make install: binary and man pages, and the init script or unit on request.
t "make install" make -s install DESTDIR="$T/a" PREFIX=/usr
t "installs boxnet, boxnet(8), boxnet.conf(5)" test -x "$T/a/usr/sbin/boxnet" -a -f "$T/a/usr/share/man/man8/boxnet.8" \
	-a -f "$T/a/usr/share/man/man5/boxnet.conf.5"
t "make install INIT=sysv adds S41boxnet" sh -c "make -s install DESTDIR='$T/b' INIT=sysv && test -x '$T/b/etc/init.d/S41boxnet'"
t "make install INIT=systemd adds the unit, pointing at SBINDIR" sh -c "make -s install DESTDIR='$T/c' INIT=systemd \
	SBINDIR=/sbin && grep -qx 'ExecStart=/sbin/boxnet \$BOXNET_ARGS -c \${BOXNET_CONF} up' '$T/c/usr/lib/systemd/system/boxnet.service'"
t "make install INIT=other is refused" sh -c "! make -s install DESTDIR='$T/d' INIT=upstart"

# Cross builds: a compiler whose name ends in musl-gcc (Buildroot's, OpenWrt's) never sees the
# build host's uapi headers, which only Debian's musl-gcc wrapper (exactly that name) gets; and
# a build directory built with another compiler or other flags is rebuilt, not reused.
mkdir -p "$T/cc"
for name in x86_64-buildroot-linux-musl-gcc musl-gcc; do
	printf '#!/bin/sh\necho "$*" >>"%s/cc/%s.log"\nexec cc "$@"\n' "$T" "$name" >"$T/cc/$name"
	chmod +x "$T/cc/$name"
done
t "a cross compiler named *-musl-gcc builds boxnet" make -s BUILDDIR="$T/x" OUT="$T/x/boxnet" \
	CC="$T/cc/x86_64-buildroot-linux-musl-gcc" "$T/x/boxnet"
t "...and never sees the build host's uapi headers" sh -c "! grep -q uapi '$T/cc/x86_64-buildroot-linux-musl-gcc.log'"
t "Debian's musl-gcc wrapper gets them" sh -c "make -s BUILDDIR='$T/m' CC='$T/cc/musl-gcc' '$T/m/main.o' &&
	grep -q -- '-isystem $T/m/uapi' '$T/cc/musl-gcc.log'"
rm -f "$T/cc/x86_64-buildroot-linux-musl-gcc.log"
t "a host build, then a cross build in the same directory" sh -c "make -s BUILDDIR='$T/y' OUT='$T/y/boxnet' \
	'$T/y/boxnet' && make -s BUILDDIR='$T/y' OUT='$T/y/boxnet' CC='$T/cc/x86_64-buildroot-linux-musl-gcc' '$T/y/boxnet'"
t "...recompiles every object and relinks with the cross compiler" sh -c "test \$(grep -c -- ' -c ' \
	'$T/cc/x86_64-buildroot-linux-musl-gcc.log') = $(ls src/*.c | wc -l) && grep -q -- '-o $T/y/boxnet' \
	'$T/cc/x86_64-buildroot-linux-musl-gcc.log'"

# Buildroot: the hash file holds LICENSE's (legal-info checks it); HARDEN= leaves hardening,
# PIE and RELRO included, to the build system; the init script comes from the package only.
t "package/boxnet/boxnet.hash matches LICENSE" sh -c "grep '^sha256 ' package/boxnet/boxnet.hash |
	awk '{print \$2 \"  \" \$3}' | sha256sum -c --quiet"
t "HARDEN= adds no -pie, relro or stack protector of boxnet's own" sh -c "make -s -n -B BUILDDIR='$T/h' \
	OUT='$T/h/boxnet' HARDEN= '$T/h/boxnet' | grep -e -pie -e relro -e stack-protector -e -fPIE; test \$? = 1"
t "the firmware overlay carries no init script of its own" test ! -e rootfs-overlay/etc/init.d

# The systemd unit: valid, early like nftables.service (no default dependencies that would
# order network-pre.target after basic.target), after nftables.service and re-run with it
# (its flush ruleset removes boxnet's table), options from /etc/default/boxnet as S41boxnet.
unit=package/boxnet/boxnet.service
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/sbin/boxnet|$PWD/boxnet|" $unit >"$T/boxnet.service"
	t "systemd-analyze verify: the unit" sh -c "systemd-analyze --man=no verify '$T/boxnet.service' 2>&1 | tee /dev/stderr |
		grep -q .; test \$? = 1"
else
	echo "skip - systemd-analyze verify needs systemd's package"
fi
t "unit: DefaultDependencies=no, before network-pre.target" sh -c "grep -qx DefaultDependencies=no $unit &&
	grep -q '^Before=network-pre.target' $unit && ! grep -q '^After=.*basic.target' $unit"
t "unit: after nftables.service, reloaded and restarted with it" sh -c "grep -q '^After=.*nftables.service' $unit &&
	grep -qx PartOf=nftables.service $unit && grep -qx ReloadPropagatedFrom=nftables.service $unit"
t "unit: options from /etc/default/boxnet, like S41boxnet" grep -qx EnvironmentFile=-/etc/default/boxnet $unit
t "unit: capabilities bounded" grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_SYS_ADMIN CAP_SYS_RESOURCE' $unit

# systemd-networkd: no .network file systemd ships (nspawn's 80-container-ve.network matches
# ve-*) may match the host ends boxnet names by default; boxnet's own 10-boxnet.network does.
printf 'bridge.br0.address = 10.0.0.1/24\nns.red.bridge = br0\nns.red.address = 10.0.0.2/24\nns.vpn.peer = 10.9.0.1/30\n' \
	>"$T/names.conf"
names=$(./boxnet -c "$T/names.conf" plan | sed -n 's/^ip link add name \([^ ]*\) .* type veth .*/\1/p')
globs() { sed -n 's/^Name=//p' "$@" | tr ' ' '\n' | grep .; }
matches() { # NAME FILE...: does a Name= pattern of the files match NAME?
	local n=$1 g
	shift
	for g in $(globs "$@"); do
		# shellcheck disable=SC2053 # a glob on purpose
		[[ $n == $g ]] && return 0
	done
	return 1
}
shipped=(/usr/lib/systemd/network/*.network)
if [ -e "${shipped[0]}" ]; then
	taken=$(for n in $names; do matches "$n" "${shipped[@]}" && echo "$n"; done)
	t "default host ends ($(echo $names)) match no .network file systemd ships" test -z "$taken"
else
	echo "skip - default names against systemd's .network files: needs systemd's package"
fi
missed=$(for n in $names; do matches "$n" package/boxnet/10-boxnet.network || echo "$n"; done)
t "10-boxnet.network marks the default host ends unmanaged" sh -c "test -n '$names' -a -z '$missed' &&
	grep -qx Unmanaged=yes package/boxnet/10-boxnet.network"
t "make install INIT=systemd adds 10-boxnet.network" test -f "$T/c/usr/lib/systemd/network/10-boxnet.network"

# S41boxnet: without a config it has nothing to do, and says so. /etc/default/boxnet is
# replaced by one that points at a missing config.
echo "BOXNET_CONF=$T/none.conf" >"$T/default"
sed "s|/etc/default/\$DAEMON|$T/default|g" package/boxnet/S41boxnet >"$T/S40"
t "S41boxnet start without a config: exit 0, nothing to do" sh -c "sh '$T/S40' start | grep -q 'nothing to do'"
t "S41boxnet stop without a config: exit 0" sh "$T/S40" stop
t "S41boxnet reload without a config: exit 0" sh "$T/S40" reload
t "S41boxnet status without a config: exit 3" sh -c "sh '$T/S40' status; test \$? = 3"
t "S41boxnet with a bad argument: usage, exit 1" sh -c "sh '$T/S40' bogus | grep -q Usage; sh '$T/S40' bogus; test \$? = 1"

# OpenWrt: the init script and its UCI translation are tested in tests/openwrt.sh.
if command -v shellcheck >/dev/null; then
	t "shellcheck: init scripts" shellcheck -s sh package/boxnet/S41boxnet openwrt/boxnet/files/boxnet.init \
		qemu-tests/testnet/etc/init.d/S30uplink
	t "shellcheck: CI and benchmark scripts" shellcheck .ci/run bench/run bench/gen
fi
