# llmtap — build, test and demo. `make` builds build/libllmtap.so; `make test` runs what CI
# checks; `make demo` shows spans from real clients. Missing Debian packages are installed
# by scripts/bootstrap (as root) the first time.

CC      ?= cc
BUILD   ?= build
VERSION := 0.1.0
PYTHON  := /usr/bin/python3

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(WARN) \
           -I. -Ipreload -I$(BUILD)/gen -DLLMTAP_VERSION=\"$(VERSION)\"
LIBDIR  := $(shell gcc -print-multiarch 2>/dev/null | sed 's,^,/usr/lib/,')
# protobuf-c, zlib, nghttp2 (HPACK), brotli and zstd go in statically, their symbols hidden
# (--exclude-libs); cJSON has no Debian archive and is linked dynamically (we never call its
# global-state functions).
STATIC  := $(LIBDIR)/libprotobuf-c.a $(LIBDIR)/libnghttp2.a $(LIBDIR)/libbrotlidec.a \
           $(LIBDIR)/libbrotlicommon.a $(LIBDIR)/libzstd.a $(LIBDIR)/libz.a
LDLIBS  := -lcjson -ldl -lpthread
# SAN=address,undefined or SAN=thread builds an instrumented variant (make asan / make tsan).
ifneq ($(SAN),)
CFLAGS  += -O1 -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SAN)
endif

PROTO_DIR := export/otlp
PROTOS    := $(shell find $(PROTO_DIR) -name '*.proto' 2>/dev/null | sort)
PROTO_C   := $(patsubst $(PROTO_DIR)/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
PROTO_O   := $(PROTO_C:.c=.o)

CORE_SRC  := $(sort $(wildcard preload/*.c preload/*/*.c export/*.c))
HOOK_SRC  := $(sort $(wildcard hooks/*.c))
CORE_O    := $(patsubst %.c,$(BUILD)/obj/%.o,$(CORE_SRC))
HOOK_O    := $(patsubst %.c,$(BUILD)/obj/%.o,$(HOOK_SRC))

UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

BOOT      := $(BUILD)/.bootstrap

.PHONY: all lib unit integ drivers lint test demo fuzz fuzz-smoke clean format bootstrap asan tsan \
        integ-asan integ-tsan bench bench-bin cli install
all: lib

$(BOOT): scripts/bootstrap
	@mkdir -p $(BUILD)
	@scripts/bootstrap
	@touch $@
bootstrap: $(BOOT)

lib: $(BUILD)/libllmtap.so $(BUILD)/llmtap

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: $(PROTO_DIR)/%.proto | $(BOOT)
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=$(PROTO_DIR) --c_out=$(BUILD)/gen $<

$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c
	$(CC) -O2 -g -fPIC -fvisibility=hidden -I$(BUILD)/gen -c $< -o $@

# Every object may include generated headers: build them first.
$(CORE_O) $(HOOK_O): | $(PROTO_C) $(BOOT)
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libllmtap_core.a: $(CORE_O) $(PROTO_O)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libllmtap.so: $(CORE_O) $(HOOK_O) $(PROTO_O) hooks/exports.map
	$(CC) -shared $(LDFLAGS) -o $@ $(CORE_O) $(HOOK_O) $(PROTO_O) $(STATIC) $(LDLIBS) \
	    -Wl,--version-script=hooks/exports.map -Wl,--exclude-libs,ALL -Wl,-z,now \
	    -Wl,-z,relro -Wl,--no-undefined

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libllmtap_core.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -fvisibility=default -Itests/unit $< -o $@ \
	    $(BUILD)/libllmtap_core.a \
	    $(LIBDIR)/libbrotlienc.a $(STATIC) $(LDLIBS) -lcmocka -lm

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# Small C programs the integration tests and benchmarks drive under the agent (TLS over
# memory BIOs, fork/exec/spawn patterns, racing threads): plain C, no llmtap headers.
DRIVER_SRC := $(sort $(wildcard tests/drivers/*.c))
DRIVER_BIN := $(patsubst tests/drivers/%.c,$(BUILD)/drivers/%,$(DRIVER_SRC))
$(BUILD)/drivers/%: tests/drivers/%.c | $(BOOT)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) $< -o $@ -lssl -lcrypto -lpthread -ldl
drivers: $(DRIVER_BIN)

# Benchmarks (`make bench`, issue 5): C programs in tests/bench/ (plain ones use OpenSSL only
# and run under the agent; those that measure llmtap's internals link the core archive), run
# by scripts/bench, which writes docs/PERFORMANCE.md. Not part of `make test`.
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_BIN := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libllmtap_core.a | $(BOOT)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -fvisibility=default $< -o $@ $(BUILD)/libllmtap_core.a \
	    $(LIBDIR)/libbrotlienc.a $(STATIC) $(LDLIBS) -lssl -lcrypto -lm
bench-bin: lib drivers $(BENCH_BIN)
bench: bench-bin
	$(PYTHON) scripts/bench $(BENCH_ARGS)

integ: lib drivers
	cd tests/integ && $(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Sanitizer builds of the library, each in its own tree: build/asan (ASan+UBSan), build/tsan.
asan:
	@$(MAKE) --no-print-directory lib BUILD=$(BUILD)/asan SAN=address,undefined
tsan:
	@$(MAKE) --no-print-directory lib BUILD=$(BUILD)/tsan SAN=thread

# The integration suite against a sanitizer build: the runtime is preloaded ahead of the
# library, and any sanitizer report in a client's stderr fails its test (tests/integ/conftest.py).
# tests/sanitizer/early_init.c works around a sanitizer/glibc deadlock in curl (see there).
$(BUILD)/%/early_init.so: tests/sanitizer/early_init.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O1 $< -o $@ -ldl
integ-asan: asan drivers $(BUILD)/asan/early_init.so
	cd tests/integ && LLMTAP_TEST_LIB=$(abspath $(BUILD)/asan/libllmtap.so) \
	    LLMTAP_TEST_SANITIZER=$$(gcc -print-file-name=libasan.so):$(abspath \
	    $(BUILD)/asan/early_init.so) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)
# Threaded cases only (-m threads) against ThreadSanitizer.
integ-tsan: tsan drivers $(BUILD)/tsan/early_init.so
	cd tests/integ && LLMTAP_TEST_LIB=$(abspath $(BUILD)/tsan/libllmtap.so) \
	    LLMTAP_TEST_SANITIZER=$$(gcc -print-file-name=libtsan.so):$(abspath \
	    $(BUILD)/tsan/early_init.so) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider -m threads $(PYTEST_ARGS)

test: $(BOOT)
	$(MAKE) lib
	$(MAKE) unit
	$(MAKE) lint
	$(MAKE) fuzz-smoke
	$(MAKE) integ
	$(MAKE) integ-asan
	$(MAKE) integ-tsan

demo: lib
	scripts/demo

# The `llmtap` command (cli/, issue 6): runs a program under the library, prints the summary
# table, shows (`view`) and renders (`report`) a JSON-lines trace. Not preloaded: plain C
# with cJSON. The report page template is embedded in the binary at build time.
CLI_SRC   := $(sort $(wildcard cli/*.c))
CLI_O     := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRC)) $(BUILD)/gen/report_html.o
$(BUILD)/gen/report_html.c: share/llmtap/report.html
	@mkdir -p $(dir $@)
	@{ echo '/* Generated by make from $< (the llmtap report template); do not edit. */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const unsigned char cli_report_html[];'; \
	  echo 'extern const size_t cli_report_html_len;'; \
	  echo 'const unsigned char cli_report_html[] = {'; \
	  od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; \
	  echo 'const size_t cli_report_html_len = sizeof(cli_report_html);'; } > $@.tmp
	@mv $@.tmp $@
$(BUILD)/gen/report_html.o: $(BUILD)/gen/report_html.c
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/llmtap: $(CLI_O)
	$(CC) $(LDFLAGS) -o $@ $(CLI_O) -lcjson -lm
cli: $(BUILD)/llmtap
# The CLI's fuzz target (tests/fuzz/fuzz_cli_spans.c) compiles the cli/ sources in.
$(BUILD)/fuzz/fuzz_cli_spans: $(CLI_SRC) $(wildcard cli/*.h)

# make install [PREFIX=/usr/local] [DESTDIR=…]: the command, the library, the data files and
# the man page. The command finds the library at <bindir>/../lib/libllmtap.so.
PREFIX  ?= /usr/local
install: lib
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	    $(DESTDIR)$(PREFIX)/share/llmtap $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/llmtap $(DESTDIR)$(PREFIX)/bin/llmtap
	install -m 0644 $(BUILD)/libllmtap.so $(DESTDIR)$(PREFIX)/lib/libllmtap.so
	install -m 0644 share/llmtap/report.html $(DESTDIR)$(PREFIX)/share/llmtap/report.html
	if [ -f share/llmtap/prices.json ]; then install -m 0644 share/llmtap/prices.json \
	    $(DESTDIR)$(PREFIX)/share/llmtap/prices.json; fi
	install -m 0644 share/man/man1/llmtap.1 $(DESTDIR)$(PREFIX)/share/man/man1/llmtap.1

# libFuzzer targets (clang): one per parser; `make fuzz` runs each for FUZZ_SECONDS.
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
# Fuzz targets link only the pure modules (parsers, decoders, adapters, spans).
FUZZ_CORE := preload/buf.c preload/bufpool.c preload/exchange.c preload/log.c preload/trace/span.c \
             $(sort $(wildcard preload/http/*.c preload/genai/*.c))
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_CORE) | $(BOOT)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -I. -Ipreload \
	    $< $(FUZZ_CORE) -o $@ -lcjson -lnghttp2 -lbrotlidec -lzstd -lz -ldl -lpthread
fuzz: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p $(BUILD)/corpus/$$n; \
	    printf '%-14s %ss ... ' $$n $(FUZZ_SECONDS); \
	    if $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(BUILD)/corpus/$$n \
	        tests/fuzz/corpus/$$n > $(BUILD)/fuzz/$$n.log 2>&1; then \
	        grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' $(BUILD)/fuzz/$$n.log | \
	            sed 's/.*: */ok, runs: /'; \
	    else echo FAILED; tail -40 $(BUILD)/fuzz/$$n.log; exit 1; fi; done
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5

# Static checks: clang-tidy (checks in .clang-tidy) and cppcheck over the library's sources.
TIDY_FLAGS := -std=c11 -D_GNU_SOURCE -I. -Ipreload -I$(BUILD)/gen -DLLMTAP_VERSION=\"x\"
lint: $(PROTO_C)
	@echo "clang-tidy: $(words $(CORE_SRC) $(HOOK_SRC) $(CLI_SRC)) files"
	@printf '%s\n' $(CORE_SRC) $(HOOK_SRC) $(CLI_SRC) | xargs -P2 -I{} sh -c \
	    'clang-tidy -quiet {} -- $(TIDY_FLAGS) 2>/dev/null || exit 255'
	cppcheck -q --std=c11 --enable=warning,performance,portability --inline-suppr \
	    --error-exitcode=1 -I. -Ipreload -D_GNU_SOURCE preload hooks export cli

format:
	clang-format -i $(CORE_SRC) $(HOOK_SRC) $(CLI_SRC) $(wildcard cli/*.h preload/*.h \
	    preload/*/*.h export/*.h hooks/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
