# eddy — one Makefile.
#
#   make            libeddy.a, libeddy.so, bin/eddy and the examples (release)
#   make run        build, then start `eddy serve` (PORT, default 8080)
#   make test       everything with AddressSanitizer + UBSan, then all tests
#   make tsan       the threaded tests under ThreadSanitizer
#   make bench      the benchmarks in bench/ (installs the peers); one of
#                   them: make bench BENCH=http
#   make install    libeddy.so/.a, headers, eddy.pc and bin/eddy under
#                   $(DESTDIR)$(PREFIX) (default /usr/local); make uninstall
#   make lint       layering, function sizes, contracts, formatting (make
#                   test runs it first)
#
# Each mode builds into its own directory, so a sanitizer build never mixes
# with a release one: build/release, build/asan, build/tsan.

CC       ?= cc
MODE     ?= release
B        := build/$(MODE)
PORT     ?= 8080

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
BASE     := -std=gnu11 -g -fPIC -pthread -D_GNU_SOURCE -Iinclude -Isrc $(WARN)
ifeq ($(MODE),release)
  OPT    := -O2 -fvisibility=hidden
else ifeq ($(MODE),asan)
  OPT    := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
else ifeq ($(MODE),tsan)
  OPT    := -O1 -fsanitize=thread -fno-omit-frame-pointer
else ifeq ($(MODE),valgrind)
  OPT    := -O1 -fno-omit-frame-pointer
endif
CFLAGS   += $(BASE) $(OPT)
LDFLAGS  += $(filter -fsanitize=%,$(OPT)) -pthread
LDLIBS   += -lm
LDLIBS   += -ljansson
# db layer: SQLite and PostgreSQL's client library (Debian packages)
CFLAGS   += $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
LDLIBS   += -lsqlite3 -lpq

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
EX_SRC   := $(sort $(wildcard examples/*.c))
EX_BIN   := $(EX_SRC:examples/%.c=$(B)/examples/%)
TEST_SRC := $(sort $(wildcard tests/unit/*.c tests/e2e/*.c tests/support/*.c))
TEST_OBJ := $(TEST_SRC:%.c=$(B)/%.o)
# The tests that exercise threads; `make tsan` runs exactly these.
TSAN_MODULES := async signal threadpool fs join stall log thread port shared pool http_res spin thread_stress respool client_dns db_sqlite access_log metrics_text startup_faults
TSAN_SRC := $(wildcard $(TSAN_MODULES:%=tests/unit/test_%.c) tests/support/*.c)
TEST_CFLAGS := $(shell pkg-config --cflags criterion libcurl 2>/dev/null)
TEST_LIBS   := $(shell pkg-config --libs criterion libcurl 2>/dev/null || \
                 echo -lcriterion -lcurl)

.PHONY: all run test tsan bench lint clean deps examples soak valgrind fuzz \
        install uninstall
all: deps $(B)/libeddy.a $(B)/libeddy.so bin/eddy examples

deps: build/.deps-ok
build/.deps-ok: scripts/deps.sh
	@scripts/deps.sh build
	@mkdir -p build && touch $@

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The dashboard page is built into its object (.incbin in the .c).
$(B)/src/app/dashboard.o: src/app/dashboard.html

$(B)/tests/%.o: CFLAGS += $(TEST_CFLAGS) -Itests
# Under TSan the tests build against tests/tsan/criterion (see its header).
build/tsan/tests/%.o: CFLAGS += -Itests/tsan -Wno-format-zero-length

$(B)/libeddy.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The version is in include/eddy/version.h only; the soname carries the
# major number (libeddy.so.0), the file the whole version.
VERSION  := $(shell awk '/^\#define EDDY_VERSION_(MAJOR|MINOR|PATCH) / \
              { v = v (v == "" ? "" : ".") $$3 } END { print v }' \
              include/eddy/version.h)
SONAME   := libeddy.so.$(firstword $(subst ., ,$(VERSION)))

$(B)/libeddy.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS)

# bin/eddy.c is the command, bin/serve*.c its `eddy serve` app.
BIN_SRC  := $(sort $(wildcard bin/*.c))
$(B)/bin/eddy: $(BIN_SRC:%.c=$(B)/%.o) $(B)/libeddy.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bin/eddy: $(B)/bin/eddy
	cp $< $@

examples: $(EX_BIN)
$(B)/examples/%: $(B)/examples/%.o $(B)/libeddy.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/all: $(TEST_OBJ) $(B)/libeddy.a
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LDLIBS)

# The unit tests alone (make valgrind).
UNIT_OBJ := $(filter $(B)/tests/unit/% $(B)/tests/support/%,$(TEST_OBJ))
$(B)/tests/unit-all: $(UNIT_OBJ) $(B)/libeddy.a
	$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LDLIBS)

$(B)/tests/threaded: $(TSAN_SRC:%.c=$(B)/%.o) $(B)/tests/tsan/runner.o $(B)/libeddy.a
	$(CC) $(LDFLAGS) -o $@ $^ -lcurl $(LDLIBS)

# The program the cluster e2e tests drive (tests/cluster/app.c).
$(B)/tests/cluster-app: $(B)/tests/cluster/app.o $(B)/libeddy.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

run: all
	./bin/eddy serve --port $(PORT)

# The test binary finds the sanitized eddy and examples through these.
# Leaks are checked inside each test (close_loop / assert_no_leaks call
# LeakSanitizer): Criterion 2.4.1's runner itself leaks 48 bytes when tests
# carry timeouts, so the check at the runner's exit is off.
TEST_ENV = EDDY_ROOT=$(CURDIR) EDDY_BIN=$(CURDIR)/build/asan/bin/eddy \
           EDDY_EXAMPLES=$(CURDIR)/build/asan/examples \
           ASAN_OPTIONS=detect_leaks=1:leak_check_at_exit=0:abort_on_error=0 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test: deps
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory MODE=release build/release/libeddy.a \
	  build/release/bin/eddy # for the install test
	$(MAKE) MODE=asan build/asan/tests/all build/asan/bin/eddy examples \
	  build/asan/tests/cluster-app
	@$(MAKE) --no-print-directory MODE=asan fuzz-smoke
	$(TEST_ENV) build/asan/tests/all --jobs 2 $(TESTFLAGS)

tsan: deps
	$(MAKE) MODE=tsan build/tsan/tests/threaded
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  $(TEST_ENV) setarch -R build/tsan/tests/threaded $(TESTFLAGS)

# Fuzz harnesses (tests/fuzz/fuzz_*.c) need clang's libFuzzer. `make test`
# replays their corpus and regression files through a plain driver, so it
# needs no clang; `make fuzz` runs the real fuzzer.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
fuzz-smoke: $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
	@for f in $^; do n=$$(basename $$f); \
	  $$f tests/fuzz/corpus/$${n#fuzz_} tests/fuzz/regression/$${n#fuzz_} \
	    || exit 1; done
$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/libeddy.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz: deps
	scripts/deps.sh fuzz
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

# make soak SOAK_SECONDS=N: mixed load against the release eddy serve and
# http-static; prints RSS and fds per second, fails on a failed request, an
# fd left open or RSS growing after warm-up (tests/support/soak.c).
SOAK_SECONDS ?= 60
soak: deps
	$(MAKE) MODE=release build/release/bin/eddy examples build/release/tests/soak-run
	build/release/tests/soak-run $(SOAK_SECONDS)
$(B)/tests/soak-run: $(B)/tests/soak/main.o $(B)/tests/support/soak.o
	$(CC) $(LDFLAGS) -o $@ $^

# make valgrind: the unit tests under memcheck (no leaks, no errors).
# Criterion forks a child per test: --trace-children follows them.
valgrind: deps
	$(MAKE) MODE=valgrind build/valgrind/tests/unit-all examples
	scripts/valgrind.sh build/valgrind/tests/unit-all $(TESTFLAGS)

# make bench BENCH=http runs one (BENCH="http pool": those); see bench/run.sh.
bench: all
	bench/run.sh $(BENCH)

# Lint checks the release library's exports, so it builds it first.
# make install PREFIX=/usr DESTDIR=/tmp/stage: the libraries (shared, with
# its soname and dev links, and static), the headers, eddy.pc and the eddy
# command. eddy.pc's Libs.private is LDLIBS (what a static link needs).
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
PCDIR      ?= $(LIBDIR)/pkgconfig
D          := $(DESTDIR)
HEADERS    := $(wildcard include/eddy/*.h)

install: $(B)/libeddy.a $(B)/libeddy.so $(B)/bin/eddy
	install -d $(D)$(LIBDIR) $(D)$(INCLUDEDIR)/eddy $(D)$(BINDIR) $(D)$(PCDIR)
	install -m 644 $(B)/libeddy.a $(D)$(LIBDIR)/libeddy.a
	install -m 755 $(B)/libeddy.so $(D)$(LIBDIR)/libeddy.so.$(VERSION)
	ln -sf libeddy.so.$(VERSION) $(D)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(D)$(LIBDIR)/libeddy.so
	install -m 644 include/eddy.h $(D)$(INCLUDEDIR)/eddy.h
	install -m 644 $(HEADERS) $(D)$(INCLUDEDIR)/eddy/
	install -m 755 $(B)/bin/eddy $(D)$(BINDIR)/eddy
	printf '%s\n' 'prefix=$(PREFIX)' \
	  'libdir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))' \
	  'includedir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))' \
	  '' 'Name: eddy' \
	  'Description: C runtime for event-driven network servers' \
	  'Version: $(VERSION)' 'Cflags: -I$${includedir}' \
	  'Libs: -L$${libdir} -leddy' \
	  'Libs.private: $(strip -pthread $(LDLIBS))' > $(D)$(PCDIR)/eddy.pc

uninstall:
	rm -f $(D)$(LIBDIR)/libeddy.a $(D)$(LIBDIR)/libeddy.so \
	  $(D)$(LIBDIR)/$(SONAME) $(D)$(LIBDIR)/libeddy.so.$(VERSION) \
	  $(D)$(INCLUDEDIR)/eddy.h $(HEADERS:include/%=$(D)$(INCLUDEDIR)/%) \
	  $(D)$(BINDIR)/eddy $(D)$(PCDIR)/eddy.pc
	-rmdir $(D)$(INCLUDEDIR)/eddy 2>/dev/null

lint: deps
	@$(MAKE) --no-print-directory MODE=release build/release/libeddy.so
	scripts/lint.sh

clean:
	rm -rf build bin/eddy

-include $(shell find build -name '*.d' 2>/dev/null)
