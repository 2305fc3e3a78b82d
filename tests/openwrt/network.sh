# tests/openwrt/network.sh: /lib/functions/network.sh's network_get_device over a fixed table.
# shellcheck shell=sh
network_get_device() {
	case $2 in
	wan) eval "$1=pppoe-wan" ;;
	lan) eval "$1=br-lan" ;;
	*) eval "$1=" && return 1 ;;
	esac
}
