#!/bin/bash
# tests/openwrt.sh: the OpenWrt package's init script, driven function by function with stand-ins
# for OpenWrt's shell libraries, uci, procd and boxnet (tests/openwrt/). Needs no privileges.
cd "$(dirname "$0")/.." || exit 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
t() {
	local name=$1
	shift
	if "$@" >"$T/out" 2>&1; then echo "ok - $name"; else
		echo "not ok - $name"
		tail -5 "$T/out" | sed 's/^/#   /'
	fi
}

# A root for the init script: its absolute paths point into $R.
R=$T/root
export UCI_DIR=$R/uci LOG=$R/log
mkdir -p "$UCI_DIR" "$R/etc/config" "$R/etc/init.d" "$R/bin" "$R/usr/sbin"
cp tests/openwrt/uci "$R/bin/uci"
cp tests/openwrt/boxnet "$R/usr/sbin/boxnet"
cp tests/openwrt/firewall "$R/etc/init.d/firewall"
: >"$R/etc/config/firewall"
sed -e "s|/usr/sbin/boxnet|$R/usr/sbin/boxnet|; s|/var/run/boxnet|$R/var/run/boxnet|" \
	-e "s|/lib/functions/network.sh|$PWD/tests/openwrt/network.sh|" \
	-e "s|/etc/config/firewall|$R/etc/config/firewall|; s|/etc/init.d/firewall|$R/etc/init.d/firewall|g" \
	openwrt/boxnet/files/boxnet.init >"$R/boxnet.init"
# run FUNCTION: the init script's function, as rc.common would call it, in a shell of its own.
run() {
	: >"$LOG"
	PATH=$R/bin:$PATH sh -c ". tests/openwrt/functions.sh; . tests/openwrt/rc.common; . '$R/boxnet.init'; $1"
}
fw() { "$R/bin/uci" -q get "firewall.$1"; }
logged() { grep -qx -- "$1" "$LOG"; }

cat >"$UCI_DIR/boxnet" <<'EOC'
config boxnet 'globals'
	option uplink 'wan'

config bridge 'br0'
	list address '10.0.0.1/24'
	list address '10.0.1.1/24'
	option isolate '0'

config ns 'red'
	option bridge 'br0'
	list address '10.0.0.2/24'

config bridge 'br1'
	option address '10.1.0.1/24'
	option masquerade 'no'

config ns 'vpn'
	list peer '10.9.0.1/30'
	list peer 'fd00:9::1/64'
	list address '10.9.0.2/30'
	list address 'fd00:9::2/64'
	option masquerade 'ipv4'

config ns 'db'
	option peer '10.9.0.5/30'
	option address '10.9.0.6/30'
	option hostif 'vdb'
	option masquerade '0'
EOC
t "start: runs boxnet up on the config translated from UCI" run start_service
t "...wan resolved to its device (pppoe-wan)" grep -qx 'uplink = pppoe-wan' "$UCI_DIR/given-up.conf"
t "...globals, bridges and namespaces translate" diff -u - "$UCI_DIR/given-up.conf" <<'EOC'
uplink = pppoe-wan
bridge.br0.address = 10.0.0.1/24 10.0.1.1/24
bridge.br0.isolate = 0
bridge.br1.address = 10.1.0.1/24
bridge.br1.masquerade = no
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24
ns.vpn.peer = 10.9.0.1/30 fd00:9::1/64
ns.vpn.address = 10.9.0.2/30 fd00:9::2/64
ns.vpn.masquerade = ipv4
ns.db.peer = 10.9.0.5/30
ns.db.address = 10.9.0.6/30
ns.db.hostif = vdb
ns.db.masquerade = 0
EOC
t "...which the real boxnet accepts" ./boxnet -c "$UCI_DIR/given-up.conf" check
t "...and keeps as the applied config" cmp "$UCI_DIR/given-up.conf" "$R/var/run/boxnet/applied.conf"
t "firewall: zone boxnet holds the bridges and peer host ends" test "$(fw boxnet.device)" = "br0 br1 bx-vpn vdb"
t "...input, output and forward within the zone accepted" test "$(fw boxnet).$(fw boxnet.name).$(fw boxnet.input).$(fw \
	boxnet.output).$(fw boxnet.forward)" = zone.boxnet.ACCEPT.ACCEPT.ACCEPT
t "...a forwarding boxnet -> wan" test "$(fw boxnet_wan).$(fw boxnet_wan.src).$(fw boxnet_wan.dest)" = forwarding.boxnet.wan
nomasq="$(fw boxnet_nat1.src_ip) $(fw boxnet_nat2.src_ip) $(fw boxnet_nat3.src_ip) $(fw boxnet_nat1.target)"
t "...wan's masquerading stopped for subnets not masqueraded (off, or the other family)" test \
	"$nomasq $(fw boxnet_nat1.src) $(fw boxnet_nat4)" = "10.1.0.1/24 fd00:9::1/64 10.9.0.5/30 ACCEPT wan "
t "...each in its family" test "$(fw boxnet_nat1.family) $(fw boxnet_nat2.family)" = "ipv4 ipv6"
t "...committed, and the firewall reloaded" sh -c "grep -qx 'uci commit firewall' '$LOG' && grep -qx 'firewall reload' '$LOG'"
run reload_service
t "reload without a change: up again, no firewall reload" sh -c "grep -qx 'boxnet -c $R/var/run/boxnet/uci.conf up' '$LOG' &&
	! grep -q -e firewall -e commit '$LOG'"
run service_triggers
t "triggers: procd_add_reload_trigger boxnet" logged "reload_trigger boxnet"
t "...procd_add_interface_trigger interface.*.up wan" logged "interface_trigger interface.*.up wan /etc/init.d/boxnet reload"
run status_service >"$T/status"
t "status: boxnet status on the applied config" sh -c "grep -qx 'boxnet -c $R/var/run/boxnet/applied.conf status' '$LOG'"

# An edit that is not applied yet: stop takes down what was built.
cp "$UCI_DIR/boxnet" "$T/boxnet.uci"
sed -i 's/br1/br9/' "$UCI_DIR/boxnet"
cp "$R/var/run/boxnet/applied.conf" "$T/applied"
t "stop after editing UCI" run stop_service
t "...runs boxnet down on the applied config" sh -c "grep -qx 'boxnet -c $R/var/run/boxnet/applied.conf down' '$LOG' &&
	cmp '$T/applied' '$UCI_DIR/given-down.conf' && grep -q br1 '$UCI_DIR/given-down.conf'"
t "...forgets it" test ! -e "$R/var/run/boxnet/applied.conf"
t "...removes the firewall zone, forwarding and nat rules, and reloads" sh -c "test ! -s '$UCI_DIR/firewall.flat' &&
	grep -qx 'firewall reload' '$LOG'"
run stop_service
t "stop again: nothing to take down, no firewall reload" sh -c "! grep -q -e boxnet -e firewall '$LOG'"

cp "$T/boxnet.uci" "$UCI_DIR/boxnet"
run start_service
sed -i "s/option uplink 'wan'/option uplink 'wan'\n\toption enabled '0'/" "$UCI_DIR/boxnet"
t "enabled 0, reload" run reload_service
t "...takes the box down, applied config and firewall zone with it" sh -c "grep -qx 'boxnet -c $R/var/run/boxnet/applied.conf down' \
	'$LOG' && ! grep -q ' up$' '$LOG' && test ! -e '$R/var/run/boxnet/applied.conf' -a ! -s '$UCI_DIR/firewall.flat'"
cp "$T/boxnet.uci" "$UCI_DIR/boxnet"
run start_service
printf "config boxnet 'globals'\n\toption uplink 'wan'\n" >"$UCI_DIR/boxnet"
t "every section deleted, reload" run reload_service
t "...takes the box down" sh -c "grep -qx 'boxnet -c $R/var/run/boxnet/applied.conf down' '$LOG' && ! grep -q ' up$' '$LOG' &&
	test ! -s '$UCI_DIR/firewall.flat'"
run status_service >"$T/status"
t "status without a box: exit 3, says so" sh -c "test $? = 3 && grep -q 'not built' '$T/status'"

# A device name as uplink stays as it is; no uplink, no forwarding and no nat rules.
printf "config boxnet 'g'\n\toption uplink 'eth1'\nconfig bridge 'br0'\n\toption address '10.0.0.1/24'\n" >"$UCI_DIR/boxnet"
run start_service
t "uplink eth1, not a logical interface, stays eth1" grep -qx 'uplink = eth1' "$UCI_DIR/given-up.conf"
printf "config bridge 'br0'\n\toption address '10.0.0.1/24'\n" >"$UCI_DIR/boxnet"
run reload_service
t "no uplink: zone only, no forwarding to wan" test "$(fw boxnet.device).$(fw boxnet_wan)" = "br0."
printf "config bridge\n\toption address '10.0.0.1/24'\n" >"$UCI_DIR/boxnet"
run start_service 2>"$T/err"
t "an anonymous section is refused with a message, nothing built" sh -c "test $? = 1 && grep -q 'needs a name' '$T/err' &&
	! grep -q ' up$' '$LOG'"

if command -v shellcheck >/dev/null; then
	t "shellcheck: the init script and the stand-ins" shellcheck -s sh openwrt/boxnet/files/boxnet.init tests/openwrt/*
else
	echo "skip - shellcheck: not installed"
fi
