# tests/openwrt/functions.sh: a stand-in for OpenWrt's /lib/functions.sh, enough for the init
# script: config_load sources $UCI_DIR/NAME (UCI's file syntax is shell), with the callbacks.
# shellcheck shell=sh disable=SC2034,SC1090,SC2154
config_cb() { :; }
option_cb() { :; }
list_cb() { :; }
config_set() { eval "CONFIG_$1_$2=\$3"; }
config_get() { eval "$1=\${CONFIG_$2_$3:-\$4}"; }
config_load() {
	CONFIG_SECTIONS="" CONFIG_NUM_SECTIONS=0 CONFIG_SECTION=""
	[ -f "$UCI_DIR/$1" ] || return 1
	. "$UCI_DIR/$1"
}
config() {
	CONFIG_NUM_SECTIONS=$((CONFIG_NUM_SECTIONS + 1))
	# Anonymous sections get names as uci export -n gives them.
	CONFIG_SECTION=${2:-$(printf 'cfg%02x%04x' "$CONFIG_NUM_SECTIONS" 4660)}
	CONFIG_SECTIONS="$CONFIG_SECTIONS $CONFIG_SECTION"
	config_set "$CONFIG_SECTION" TYPE "$1"
	config_cb "$1" "$CONFIG_SECTION"
}
option() {
	_n=$1
	shift
	config_set "$CONFIG_SECTION" "$_n" "$*"
	option_cb "$_n" "$*"
}
list() {
	_n=$1
	shift
	config_get _cur "$CONFIG_SECTION" "$_n"
	config_get _len "$CONFIG_SECTION" "${_n}_LENGTH" 0
	_len=$((_len + 1))
	config_set "$CONFIG_SECTION" "${_n}_LENGTH" "$_len"
	config_set "$CONFIG_SECTION" "${_n}_ITEM$_len" "$*"
	config_set "$CONFIG_SECTION" "$_n" "${_cur:+$_cur }$*"
	list_cb "$_n" "$*"
}
config_foreach() {
	_fn=$1 _type=$2
	shift
	[ $# -eq 0 ] || shift
	for _s in $CONFIG_SECTIONS; do
		config_get _t "$_s" TYPE
		[ -z "$_type" ] || [ "$_t" = "$_type" ] || continue
		"$_fn" "$_s" "$@"
	done
}
config_list_foreach() {
	_i=1
	config_get _len "$1" "${2}_LENGTH" 0
	while [ "$_i" -le "$_len" ]; do
		config_get _v "$1" "${2}_ITEM$_i"
		"$3" "$_v"
		_i=$((_i + 1))
	done
}
