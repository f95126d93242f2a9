# visor — one build.  `make` builds build/visor; `make test` runs unit + integration tests.
# Sources are discovered: every .c under the component folders except */tests/.
VERSION    ?= 0.1.0
CC         ?= cc
PREFIX     ?= /usr
DESTDIR    ?=
BUILD      := build
# `make DEBUG=1` builds build-debug/visor with the run-time lock-order checks
# of lib/lockdep.h; the integration tests run on it with
# VISOR=$PWD/build-debug/visor ./integration-tests/run.sh.  The default build
# has no checks (the lock wrappers are plain pthread calls).
LOCKDEP    := -DVISOR_LOCKDEP
ifeq ($(DEBUG),1)
BUILD      := build-debug
MODE_CFLAGS := $(LOCKDEP)
endif
PKGS       := yajl libseccomp libmnl libnl-3.0 libnl-route-3.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lyajl -lseccomp -lmnl -lnl-route-3 -lnl-3)
WARN       := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS     ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -DVISOR_VERSION='"$(VERSION)"' -I. $(PKG_CFLAGS) $(CFLAGS) $(MODE_CFLAGS)
LDLIBS     := $(PKG_LIBS) -lpthread

COMPONENTS := lib runtime sentry platform gofer netstack
# sentry/vdso/image/ is the vDSO's own source: built apart (below), never linked in.
SRCS       := $(shell find $(COMPONENTS) -name '*.c' -not -path '*/tests/*' -not -path '*/fuzz/*' -not -path '*/vdso/image/*' | sort)
ASM_SRCS   := $(shell find $(COMPONENTS) -name '*.S' -not -path '*/tests/*' | sort)
MAIN_SRC   := runtime/main.c
LIB_SRCS   := $(filter-out $(MAIN_SRC),$(SRCS))
OBJS       := $(SRCS:%.c=$(BUILD)/obj/%.o) $(ASM_SRCS:%.S=$(BUILD)/obj/%.o)

# Unit tests: every */tests/test_*.c is one cmocka binary, linked against all
# library objects built with AddressSanitizer, UBSan and the lock-order checks.
# VISOR_SOURCE_DIR lets a test read the tree's own files (sentry/LOCKING.md).
TEST_SRCS  := $(shell find $(COMPONENTS) -path '*/tests/test_*.c' | sort)
TEST_BINS  := $(TEST_SRCS:%.c=$(BUILD)/tests/%)
SAN        := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/san/%.o) $(ASM_SRCS:%.S=$(BUILD)/san/%.o)

.PHONY: all test unit-test integration-test demo bench clean fmt lint install uninstall fuzz
all: $(BUILD)/visor

$(BUILD)/visor: $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -DVISOR_UNIT_TEST $(LOCKDEP) -MMD -MP -c -o $@ $<

$(BUILD)/san/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The vDSO the Sentry maps into the app (sentry/vdso/): a position-independent
# shared object with no libc, no relocations and no writable data, laid out by
# its linker script as Linux's; sentry/vdso/vdso_blob.S embeds it (.incbin).
VDSO_SO     := $(BUILD)/vdso/vdso.so
VDSO_CFLAGS := -std=gnu11 $(WARN) -I. -O2 -fPIC -shared -nostdlib -fno-stack-protector \
	       -ffreestanding -fno-builtin -fno-jump-tables -mno-red-zone -fno-sanitize=all \
	       -Wl,-T,sentry/vdso/image/vdso.lds -Wl,--hash-style=both -Wl,--eh-frame-hdr \
	       -Wl,-soname=linux-vdso.so.1 -Wl,--no-undefined -Wl,-z,max-page-size=4096 \
	       -Wl,-Bsymbolic -Wl,--build-id=none
$(VDSO_SO): sentry/vdso/image/vdso.c sentry/vdso/image/vdso.lds sentry/vdso/vvar.h
	@mkdir -p $(dir $@)
	$(CC) $(VDSO_CFLAGS) -o $@ sentry/vdso/image/vdso.c
	@if readelf -rW $@ | grep -q 'Relocation section'; then \
	  echo "vdso.so must have no relocations"; rm -f $@; exit 1; fi
$(BUILD)/obj/sentry/vdso/vdso_blob.o $(BUILD)/san/sentry/vdso/vdso_blob.o: $(VDSO_SO)
$(BUILD)/obj/sentry/vdso/vdso_blob.o $(BUILD)/san/sentry/vdso/vdso_blob.o: \
	ALL_CFLAGS += -DVDSO_SO='"$(VDSO_SO)"'

$(BUILD)/libvisor-san.a: $(SAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/%: %.c $(BUILD)/libvisor-san.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -DVISOR_UNIT_TEST $(LOCKDEP) -DVISOR_SOURCE_DIR='"$(CURDIR)"' \
		-MMD -MP -o $@ $< $(BUILD)/libvisor-san.a $(LDLIBS) -lcmocka

unit-test: $(TEST_BINS) $(BUILD)/visor
	@./integration-tests/run-unit.sh $(TEST_BINS)

integration-test: $(BUILD)/visor
	@./integration-tests/run.sh

# The test command the README and CI give: unit tests, then integration tests,
# then one closing line "N passed, N failed".
test: $(TEST_BINS) $(BUILD)/visor
	@rm -f $(BUILD)/test-results
	@./integration-tests/run-unit.sh $(TEST_BINS); u=$$?; \
	 ./integration-tests/run.sh; i=$$?; \
	 ./integration-tests/summary.sh $(BUILD)/test-results; s=$$?; \
	 [ $$u -eq 0 ] && [ $$i -eq 0 ] && [ $$s -eq 0 ]

# Fuzzing with clang's libFuzzer: every DIR/fuzz/fuzz_NAME.c is a target,
# built under -fsanitize=fuzzer,address,undefined and the lock-order checks
# with only the objects it needs (netstack/fuzz/ targets with the netstack,
# the others with their own list below), and run FUZZ_SECONDS each from its
# seed corpus DIR/fuzz/corpus/fuzz_NAME/ (read only: what it finds goes to
# build-fuzz/corpus/fuzz_NAME/).  Needs clang and libclang-rt-14-dev (Debian 12).
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_BUILD    := build-fuzz
FUZZ_SRCS     := $(sort $(shell find $(COMPONENTS) -path '*/fuzz/fuzz_*.c'))
FUZZ_BINS     := $(addprefix $(FUZZ_BUILD)/,$(notdir $(FUZZ_SRCS:.c=)))
FUZZ_LIB_SRCS := $(filter netstack/%,$(LIB_SRCS)) lib/lockdep.c lib/memtrim.c
FUZZ_CFLAGS   := -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -O1 -g $(LOCKDEP) \
		 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

$(FUZZ_BUILD)/fuzz_%: netstack/fuzz/fuzz_%.c $(FUZZ_LIB_SRCS) $(wildcard netstack/*.h netstack/fuzz/*.h lib/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS) -lpthread

# The Sentry's netlink request parsers, over the netstack's interfaces.
RTNL_FUZZ_SRCS := sentry/socket/rtnetlink.c sentry/socket/sock_diag.c sentry/socket/netif.c
$(FUZZ_BUILD)/fuzz_rtnetlink: sentry/socket/fuzz/fuzz_rtnetlink.c $(RTNL_FUZZ_SRCS) $(FUZZ_LIB_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(RTNL_FUZZ_SRCS) $(FUZZ_LIB_SRCS) -lpthread

# config.json and process.json (runtime/oci.c, its seccomp part oci_seccomp.c) over yajl and libseccomp.
OCI_FUZZ_SRCS := runtime/oci.c runtime/oci_seccomp.c runtime/jpath.c lib/verr.c lib/fileutil.c lib/log.c lib/json.c
$(FUZZ_BUILD)/fuzz_oci: runtime/fuzz/fuzz_oci.c $(OCI_FUZZ_SRCS) runtime/oci.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(OCI_FUZZ_SRCS) $(PKG_LIBS)

# The Gofer's request decoder and operations (gofer/server.c), alone.
GOFER_FUZZ_SRCS := gofer/server.c gofer/names.c gofer/transport.c gofer/attr.c gofer/xattr.c lib/log.c lib/json.c lib/memtrim.c
$(FUZZ_BUILD)/fuzz_gofer_server: gofer/fuzz/fuzz_gofer_server.c $(GOFER_FUZZ_SRCS) $(wildcard gofer/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(GOFER_FUZZ_SRCS) -lpthread

# The Sentry's decoding of Gofer replies (sentry/fs/gofer_client.c), alone.
GOFERC_FUZZ_SRCS := sentry/fs/gofer_client.c lib/lockdep.c lib/log.c lib/json.c lib/memtrim.c
$(FUZZ_BUILD)/fuzz_gofer_client: sentry/fs/fuzz/fuzz_gofer_client.c $(GOFERC_FUZZ_SRCS) gofer/protocol.h sentry/fs/gofer_client.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(GOFERC_FUZZ_SRCS) -lpthread

# The ELF loader (sentry/loader) into a real mm (sentry/mm) over a fake platform.
ELF_FUZZ_SRCS := sentry/loader/loader.c $(filter sentry/mm/%,$(LIB_SRCS)) lib/lockdep.c lib/log.c lib/json.c
$(FUZZ_BUILD)/fuzz_elf_loader: sentry/loader/fuzz/fuzz_elf_loader.c $(ELF_FUZZ_SRCS) $(wildcard sentry/loader/*.h sentry/mm/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(ELF_FUZZ_SRCS) -lpthread

# rt_sigreturn's frame decoding (sentry/kernel/sigframe.c) over a real mm.
SIGRET_FUZZ_SRCS := sentry/kernel/sigframe.c $(filter sentry/mm/%,$(LIB_SRCS)) lib/lockdep.c lib/log.c lib/json.c
$(FUZZ_BUILD)/fuzz_sigreturn: sentry/kernel/fuzz/fuzz_sigreturn.c $(SIGRET_FUZZ_SRCS) sentry/kernel/sigframe.h $(wildcard sentry/mm/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(SIGRET_FUZZ_SRCS) -lpthread

fuzz: $(FUZZ_BINS)
	@for s in $(FUZZ_SRCS); do n=$$(basename $$s .c); f=$(FUZZ_BUILD)/$$n; \
	  seeds=$$(dirname $$s)/corpus/$$n; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$n $$seeds; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/$$n- \
	    $(FUZZ_BUILD)/corpus/$$n $$seeds || exit 1; \
	done

demo:
	./integration-tests/demo.sh

bench: $(BUILD)/visor
	./bench/run.sh
	./bench/start_exit.sh || [ $$? -eq 77 ]
	./bench/net_bench.sh
	./bench/realwork.sh
	./bench/net_bridge.sh
	./bench/net_nginx.sh
	./bench/net_redis.sh
	./bench/idle_pss.sh || [ $$? -eq 77 ]

fmt:
	clang-format -i $$(find $(COMPONENTS) -name '*.[ch]')

lint:
	clang-tidy $(SRCS) -- $(ALL_CFLAGS)
	cppcheck --quiet --error-exitcode=1 --enable=warning $(COMPONENTS)

install: $(BUILD)/visor
	install -D -m 0755 $(BUILD)/visor $(DESTDIR)$(PREFIX)/bin/visor
	install -D -m 0644 packaging/visor.8 $(DESTDIR)$(PREFIX)/share/man/man8/visor.8

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/visor $(DESTDIR)$(PREFIX)/share/man/man8/visor.8

clean:
	rm -rf $(BUILD)

-include packaging/packaging.mk
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
