#!/bin/bash
# reapply.sh: up on a box that is already up changes nothing, for configs whose settings the
# kernel might otherwise drift from (MTUs that differ between a bridge and its ports).
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
MTU=$(conf mtu <<'EOC'
uplink = eth0
bridge.jumbo.address = 10.0.0.1/24
bridge.jumbo.mtu = 9000
ns.small.bridge = jumbo
ns.small.address = 10.0.0.2/24
ns.small.mtu = 1500
ns.big.bridge = jumbo
ns.big.address = 10.0.0.3/24
EOC
)
ok "up" "$BOXNET" -c "$MTU" up
same "the bridge keeps its MTU when a smaller port joins" 9000 "$(ip -j link show jumbo | jq '.[0].mtu')"
same "a namespace's own MTU wins over the bridge's" 1500 "$(ip -n small -j link show eth0 | jq '.[0].mtu')"
same "other namespaces inherit the bridge's" 9000 "$(ip -n big -j link show eth0 | jq '.[0].mtu')"
built=$(snapshot 1)
ok "up again" "$BOXNET" -c "$MTU" up
same "changes nothing" "$built" "$(snapshot 1)"
ok "down" "$BOXNET" -c "$MTU" down
done_testing
