#!/bin/bash
# tests/buildroot.sh: offline checks of the Buildroot external tree against a Buildroot source
# tree in BUILDROOT_DIR: the defconfig loads, olddefconfig and savedefconfig round-trip without
# drift, boxnet-show-depends lists libmnl, and utils/check-package passes. Downloads nothing.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BR=${BUILDROOT_DIR:?set BUILDROOT_DIR to a Buildroot source tree}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
br() { make -s -C "$BR" O="$OUT" BR2_EXTERNAL="$ROOT" "$@"; }
t() {
	local name=$1
	shift
	if "$@" >"$OUT/log" 2>&1; then echo "ok - buildroot: $name"; else
		echo "not ok - buildroot: $name"
		tail -10 "$OUT/log" | sed 's/^/#   /'
	fi
}

t "boxnet_qemu_x86_64_defconfig loads" br boxnet_qemu_x86_64_defconfig
t "it selects boxnet and libmnl" grep -qx BR2_PACKAGE_LIBMNL=y "$OUT/.config"
t "and boxnet" grep -qx BR2_PACKAGE_BOXNET=y "$OUT/.config"
t "olddefconfig" br olddefconfig
t "savedefconfig gives back the committed defconfig" \
	sh -c "make -s -C '$BR' O='$OUT' BR2_EXTERNAL='$ROOT' savedefconfig BR2_DEFCONFIG='$OUT/saved' &&
		diff -u '$ROOT/configs/boxnet_qemu_x86_64_defconfig' '$OUT/saved'"
t "boxnet-show-depends lists libmnl and host-pkgconf" \
	sh -c "make -s -C '$BR' O='$OUT' BR2_EXTERNAL='$ROOT' boxnet-show-depends | tee /dev/stderr |
		grep -qw libmnl && make -s -C '$BR' O='$OUT' BR2_EXTERNAL='$ROOT' boxnet-show-depends | grep -qw host-pkgconf"
t "boxnet is built from this tree" sh -c "make -s -C '$BR' O='$OUT' BR2_EXTERNAL='$ROOT' printvars VARS=BOXNET_SITE_METHOD |
	grep -qx 'BOXNET_SITE_METHOD=local'"

# check-package needs python3-magic, flake8 and shellcheck; Debian's python3 has the first.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
files=(external.desc Config.in external.mk package/boxnet/* configs/* board/qemu-x86_64/*
	package/boxnet/S41boxnet)
t "utils/check-package passes on the external tree" \
	sh -c "cd '$ROOT' && $py '$BR/utils/check-package' -b ${files[*]} 2>&1 | tee /dev/stderr |
		grep -qx '0 warnings generated'"
