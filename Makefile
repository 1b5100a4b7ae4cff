# eddy — one Makefile.
#
#   make            libeddy.a, libeddy.so, bin/eddy and the examples (release)
#   make run        build, then start `eddy serve` (PORT, default 8080)
#   make test       everything with AddressSanitizer + UBSan, then all tests
#   make tsan       the threaded tests under ThreadSanitizer
#   make bench      the benchmarks in bench/ (installs the peers)
#   make lint       size budgets, banned functions, header comments
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

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
EX_SRC   := $(sort $(wildcard examples/*.c))
EX_BIN   := $(EX_SRC:examples/%.c=$(B)/examples/%)
TEST_SRC := $(sort $(wildcard tests/unit/*.c tests/e2e/*.c tests/support/*.c))
TEST_OBJ := $(TEST_SRC:%.c=$(B)/%.o)
# The tests that exercise threads; `make tsan` runs exactly these.
TSAN_MODULES := async signal threadpool fs join stall log thread port shared pool http_res spin thread_stress startup_faults
TSAN_SRC := $(wildcard $(TSAN_MODULES:%=tests/unit/test_%.c) tests/support/*.c)
TEST_CFLAGS := $(shell pkg-config --cflags criterion libcurl 2>/dev/null)
TEST_LIBS   := $(shell pkg-config --libs criterion libcurl 2>/dev/null || \
                 echo -lcriterion -lcurl)

.PHONY: all run test tsan bench lint clean deps examples soak valgrind fuzz
all: deps $(B)/libeddy.a $(B)/libeddy.so bin/eddy examples

deps: build/.deps-ok
build/.deps-ok: scripts/deps.sh
	@scripts/deps.sh build
	@mkdir -p build && touch $@

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/tests/%.o: CFLAGS += $(TEST_CFLAGS) -Itests
# Under TSan the tests build against tests/tsan/criterion (see its header).
build/tsan/tests/%.o: CFLAGS += -Itests/tsan -Wno-format-zero-length

$(B)/libeddy.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libeddy.so: $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bin/eddy: $(B)/bin/eddy.o $(B)/libeddy.a
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

run: all
	./bin/eddy serve --port $(PORT)

# The test binary finds the sanitized eddy and examples through these.
# Leaks are checked inside each test (close_loop / assert_no_leaks call
# LeakSanitizer): Criterion 2.4.1's runner itself leaks 48 bytes when tests
# carry timeouts, so the check at the runner's exit is off.
TEST_ENV = EDDY_BIN=$(CURDIR)/build/asan/bin/eddy \
           EDDY_EXAMPLES=$(CURDIR)/build/asan/examples \
           ASAN_OPTIONS=detect_leaks=1:leak_check_at_exit=0:abort_on_error=0 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test: deps
	$(MAKE) MODE=asan build/asan/tests/all build/asan/bin/eddy examples
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

bench: all
	bench/run.sh

lint:
	scripts/lint.sh

clean:
	rm -rf build bin/eddy

-include $(shell find build -name '*.d' 2>/dev/null)
