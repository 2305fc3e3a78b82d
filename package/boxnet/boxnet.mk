################################################################################
#
# boxnet
#
################################################################################

BOXNET_VERSION = 0.1.0
BOXNET_SITE = $(BR2_EXTERNAL_BOXNET_PATH)
BOXNET_SITE_METHOD = local
BOXNET_LICENSE = MIT
BOXNET_LICENSE_FILES = LICENSE
BOXNET_DEPENDENCIES = host-pkgconf libmnl
# Build output, caches and tests of the source tree are not part of the package.
BOXNET_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude /.work --exclude /build --exclude /boxnet --exclude /tests \
	--exclude /qemu-tests

# Hardening comes from Buildroot's own settings (BR2_SSP_*, BR2_FORTIFY_SOURCE_*, BR2_PIC_PIE,
# BR2_RELRO_*): HARDEN= drops boxnet's own, PIE and RELRO included. A static toolchain links
# everything statically.
BOXNET_MAKE_OPTS = HARDEN= $(if $(BR2_STATIC_LIBS),STATIC=1)

define BOXNET_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(TARGET_CONFIGURE_OPTS) $(MAKE) -C $(@D) \
		$(BOXNET_MAKE_OPTS) boxnet
endef

define BOXNET_INSTALL_TARGET_CMDS
	$(TARGET_MAKE_ENV) $(TARGET_CONFIGURE_OPTS) $(MAKE) -C $(@D) \
		$(BOXNET_MAKE_OPTS) DESTDIR=$(TARGET_DIR) PREFIX=/usr install
endef

define BOXNET_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(@D)/package/boxnet/S41boxnet \
		$(TARGET_DIR)/etc/init.d/S41boxnet
endef

define BOXNET_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(BOXNET_PKGDIR)/boxnet.service \
		$(TARGET_DIR)/usr/lib/systemd/system/boxnet.service
	$(INSTALL) -D -m 0644 $(BOXNET_PKGDIR)/10-boxnet.network \
		$(TARGET_DIR)/usr/lib/systemd/network/10-boxnet.network
endef

define BOXNET_LINUX_CONFIG_FIXUPS
	$(call KCONFIG_ENABLE_OPT,CONFIG_NAMESPACES)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NET_NS)
	$(call KCONFIG_ENABLE_OPT,CONFIG_VETH)
	$(call KCONFIG_ENABLE_OPT,CONFIG_BRIDGE)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NETFILTER)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NF_CONNTRACK)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NF_NAT)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NF_TABLES)
	$(call KCONFIG_ENABLE_OPT,CONFIG_IPV6)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NF_TABLES_IPV4)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NF_TABLES_IPV6)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NF_TABLES_INET)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NFT_NAT)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NFT_MASQ)
	$(call KCONFIG_ENABLE_OPT,CONFIG_NFT_CT)
endef

$(eval $(generic-package))
