# test_boxnet.py: boxnet in a full Buildroot image, in Buildroot's own runtime-test framework.
#
# For a machine that can download and build: copy (or link) this file into Buildroot's
# support/testing/tests/package/, then, from the Buildroot tree:
#   support/testing/run-tests -d DL_DIR -o OUT_DIR tests.package.test_boxnet
# BOXNET_BR2_EXTERNAL names the boxnet tree when this file is not inside it.
import os

import infra.basetest

BOXNET = os.environ.get(
    "BOXNET_BR2_EXTERNAL",
    os.path.abspath(os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..")))


class TestBoxnet(infra.basetest.BRTest):
    br2_external = [BOXNET]
    # The shipped defconfig's image, plus the test network: eth0 is the uplink, eth1 the
    # "internet" host 198.51.100.1, in a namespace of its own (qemu-tests/testnet).
    config = \
        """
        BR2_x86_64=y
        BR2_TOOLCHAIN_BUILDROOT_MUSL=y
        BR2_PACKAGE_HOST_LINUX_HEADERS_CUSTOM_6_18=y
        BR2_STATIC_LIBS=y
        BR2_TARGET_GENERIC_GETTY_PORT="ttyS0"
        BR2_ROOTFS_OVERLAY="{0}/rootfs-overlay {0}/qemu-tests/testnet"
        BR2_LINUX_KERNEL=y
        BR2_LINUX_KERNEL_CUSTOM_VERSION=y
        BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE="6.18.7"
        BR2_LINUX_KERNEL_USE_CUSTOM_CONFIG=y
        BR2_LINUX_KERNEL_CUSTOM_CONFIG_FILE="board/qemu/x86_64/linux.config"
        BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES="{0}/board/qemu-x86_64/linux.fragment"
        BR2_LINUX_KERNEL_NEEDS_HOST_LIBELF=y
        BR2_PACKAGE_IPROUTE2=y
        BR2_PACKAGE_NFTABLES=y
        BR2_PACKAGE_BOXNET=y
        BR2_TARGET_ROOTFS_CPIO=y
        BR2_TARGET_ROOTFS_CPIO_GZIP=y
        # BR2_TARGET_ROOTFS_TAR is not set
        """.format(BOXNET)

    def boot(self):
        kernel = os.path.join(self.builddir, "images", "bzImage")
        initrd = os.path.join(self.builddir, "images", "rootfs.cpio.gz")
        # Two NICs joined by a QEMU hub, and no host network.
        self.emulator.boot(arch="x86_64",
                           kernel=kernel,
                           kernel_cmdline=["console=ttyS0"],
                           options=["-M", "pc", "-initrd", initrd,
                                    "-netdev", "hubport,id=uplink,hubid=0",
                                    "-device", "virtio-net-pci,netdev=uplink",
                                    "-netdev", "hubport,id=internet,hubid=0",
                                    "-device", "virtio-net-pci,netdev=internet"])
        self.emulator.login()

    def ping(self, ns, addr):
        return self.emulator.run(f"ip netns exec {ns} ping -c 1 -W 2 {addr}")[1] == 0

    def test_run(self):
        self.boot()
        # S41boxnet built the box at boot.
        self.assertRunOk("boxnet status")
        output, _ = self.emulator.run("ip netns list")
        self.assertIn("red", "\n".join(output))
        self.assertIn("blue", "\n".join(output))
        self.assertRunOk("nft list table inet boxnet")
        self.assertRunOk("test $(cat /proc/sys/net/ipv4/ip_forward) = 1")

        # Gateway, neighbour, internet.
        self.assertTrue(self.ping("red", "172.30.0.1"))
        self.assertTrue(self.ping("red", "172.30.0.3"))
        self.assertTrue(self.ping("blue", "198.51.100.1"))

        # NAT: the internet host counts pings from the uplink's address, none from 172.30.0.0/24.
        for cmd in ["nft add table ip seen",
                    "nft add chain ip seen in '{ type filter hook input priority 0; }'",
                    "nft add rule ip seen in ip saddr 198.51.100.2 icmp type echo-request counter",
                    "nft add rule ip seen in ip saddr 172.30.0.0/24 counter"]:
            self.assertRunOk(f"ip netns exec inet {cmd}")
        self.assertTrue(self.ping("red", "198.51.100.1"))
        output, _ = self.emulator.run("ip netns exec inet nft list chain ip seen in")
        rules = "\n".join(output)
        self.assertIn("198.51.100.2 icmp type echo-request counter packets 1", rules)
        self.assertIn("172.30.0.0/24 counter packets 0", rules)

        # Nothing gets in from the internet, even with a route to the segment.
        self.assertRunOk("ip netns exec inet ip route add 172.30.0.0/24 via 198.51.100.2")
        self.assertFalse(self.ping("inet", "172.30.0.2"))

        # The init script: reload changes nothing, stop removes it all, start builds it again.
        self.assertRunOk("/etc/init.d/S41boxnet reload")
        self.assertRunOk("boxnet status")
        self.assertRunOk("/etc/init.d/S41boxnet stop")
        self.assertRunOk("! ip link show br0")
        self.assertRunOk("! nft list table inet boxnet")
        self.assertRunOk("/etc/init.d/S41boxnet start")
        self.assertTrue(self.ping("blue", "172.30.0.2"))
