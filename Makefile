# Makefile: build, test and install boxnet. Honours CC, CFLAGS, LDFLAGS, PKG_CONFIG, DESTDIR,
# PREFIX and SBINDIR from the environment, adding its own flags rather than replacing them.

VERSION := 0.1.0

CC ?= cc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=
CFLAGS ?= -O2 -g

LIBMNL_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags $(if $(STATIC),--static) libmnl 2>/dev/null)
LIBMNL_LIBS ?= $(shell $(PKG_CONFIG) --libs $(if $(STATIC),--static) libmnl 2>/dev/null || echo -lmnl)

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla -Wundef -Wno-format-nonliteral
HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fno-strict-overflow
override CFLAGS += -std=c11 -D_GNU_SOURCE -DBOXNET_VERSION='"$(VERSION)"' $(WARN) $(HARDEN) \
	$(LIBMNL_CFLAGS) -MMD -MP
ifdef WERROR
override CFLAGS += -Werror
endif
ifdef STATIC
override LDFLAGS += -static
else
override CFLAGS += -fPIE
override LDFLAGS += -pie -Wl,-z,relro,-z,now
endif

ifndef V
Q_CC = @echo "  CC      $@";
Q_LD = @echo "  LD      $@";
endif

SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=build/%.o)
LIB_OBJS := $(filter-out build/main.o,$(OBJS))
UNIT_OBJS := $(patsubst tests/unit/%.c,build/unit/%.o,$(wildcard tests/unit/*.c))

all: boxnet

boxnet: $(OBJS)
	$(Q_LD)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBMNL_LIBS)

build/%.o: src/%.c | build
	$(Q_CC)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build:
	@mkdir -p build

build/unit/%.o: tests/unit/%.c | build
	@mkdir -p build/unit
	$(Q_CC)$(CC) $(CPPFLAGS) $(CFLAGS) -Isrc -c -o $@ $<

build/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(Q_LD)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBMNL_LIBS)

# Both install what they need first (on Debian, as root) or say what is missing.
check:
	@tests/deps test
	@$(MAKE) --no-print-directory -s boxnet build/unit-tests
	@tests/run

qemu-check:
	@tests/deps qemu
	@$(MAKE) --no-print-directory -s boxnet
	@qemu-tests/run

demo:
	@tests/deps test
	@$(MAKE) --no-print-directory -s boxnet
	@tests/demo

install: boxnet
	install -D -m 0755 boxnet $(DESTDIR)$(SBINDIR)/boxnet
	install -D -m 0644 docs/boxnet.8 $(DESTDIR)$(MANDIR)/man8/boxnet.8
	install -D -m 0644 docs/boxnet.conf.5 $(DESTDIR)$(MANDIR)/man5/boxnet.conf.5

clean:
	rm -rf build boxnet .work

.PHONY: all check qemu-check demo install clean

-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d)
