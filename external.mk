include $(sort $(wildcard $(BR2_EXTERNAL_BOXNET_PATH)/package/*/*.mk))
