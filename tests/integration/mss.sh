#!/bin/bash
# mss.sh: TCP MSS clamping (clamp_mss). A LAN host at MTU 1500 behind a bridge at 1400 downloads
# from the internet host, which drops the ICMP errors that would tell it of the smaller link:
# with clamping (on by default once the file sets an MTU) the transfer completes in both
# families; with clamp_mss = no it stalls, the control.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink

lan_host lanhost eth1 10.71.0.50/24 10.71.0.1 fd00:71::50/64 fd00:71::1
# The internet host hears no "fragmentation needed" nor "packet too big".
ip netns exec inet nft -f - <<'EOF'
table inet noicmp {
	chain in {
		type filter hook input priority filter; policy accept;
		icmp type destination-unreachable drop
		icmpv6 type packet-too-big drop
	}
}
EOF

CONF=$(conf clamp <<'C'
uplink = eth0
bridge.lan.address = 10.71.0.1/24 fd00:71::1/64
bridge.lan.mtu = 1400
bridge.lan.ports = eth1
C
)
NOCLAMP=$(conf noclamp <<'C'
uplink = eth0
bridge.lan.address = 10.71.0.1/24 fd00:71::1/64
bridge.lan.mtu = 1400
bridge.lan.ports = eth1
clamp_mss = no
C
)

# download ADDR: the bytes lanhost gets of 300000 from the internet host at ADDR.
download() {
	local addr=$1 f=4 pid got
	case $addr in *:*) addr="[$addr]" f=6 ;; esac
	ip netns exec inet timeout 20 socat "TCP$f-LISTEN:7100,reuseaddr" SYSTEM:'head -c 300000 /dev/zero' 2>/dev/null &
	pid=$!
	wait_listen inet 7100
	got=$(ip netns exec lanhost timeout 6 socat -u "TCP$f:$addr:7100,connect-timeout=2" - 2>/dev/null | wc -c)
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	echo "$got"
}

ok "up with clamp_mss = no" "$BOXNET" -c "$NOCLAMP" up
same "the port takes the bridge's MTU, the LAN host keeps 1500" "1400 1500" \
	"$(ip -j link show eth1 | jq '.[0].mtu') $(ip -n lanhost -j link show eth0 | jq '.[0].mtu')"
not "no clamping rule" sh -c "nft list chain inet boxnet forward | grep -q maxseg"
ok "control: the LAN host reaches the internet host" ping_ok lanhost $INET_ADDR
ok "control, IPv4: without clamping, the download stalls" test "$(download $INET_ADDR)" -lt 300000
ok "control, IPv6: without clamping, the download stalls" test "$(download $INET6_ADDR)" -lt 300000

ok "up: clamping on by default, for the bridge's MTU" "$BOXNET" -c "$CONF" up
same "two rules, from and into the segments, before the established accept" \
	"tcp flags syn iifname @segments tcp option maxseg size set rt mtu
tcp flags syn oifname @segments tcp option maxseg size set rt mtu
ct state established,related accept" \
	"$(nft list chain inet boxnet forward | sed -n 's/^\t*//; 4,6p')"
same "IPv4: the whole download arrives" 300000 "$(download $INET_ADDR)"
same "IPv6: the whole download arrives" 300000 "$(download $INET6_ADDR)"
expect_exit "status: up as configured" 0 "$BOXNET" -c "$CONF" status
before=$(nft -a list ruleset)
ok "a no-op up" "$BOXNET" -c "$CONF" up
same "changes no nft handle" "$before" "$(nft -a list ruleset)"
ok "up with clamp_mss = no converges" "$BOXNET" -c "$NOCLAMP" up
not "the rules are gone" sh -c "nft list chain inet boxnet forward | grep -q maxseg"
ok "down" "$BOXNET" -c "$NOCLAMP" down
done_testing
