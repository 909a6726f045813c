# src/binlog/binlog.mk
#	Make fragment for the pure-C binlog decoder, its CLI, unit tests and
#	fuzzer.  Included by the top-level PGXS Makefile; also usable alone from
#	the repository root:  make -f src/binlog/binlog.mk unit-binlog
#
#	Paths are relative to the repository root.  Every product goes under
#	build/.  Defines BINLOG_SRCS and the targets unit-binlog,
#	unit-binlog-valgrind, fuzz-binlog, fuzz-wkb, build/chameleon_binlog,
#	clean-binlog.
#	Uses its own CBL_* variables; never touches CC/CFLAGS/OBJS.

# keep the includer's default goal (PGXS "all") the default
CBL_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

CBL_DIR		:= src/binlog
CBL_BUILD	:= build
BINLOG_SRCS	:= $(filter-out $(CBL_DIR)/stream.c,$(sort $(wildcard $(CBL_DIR)/*.c)))
CBL_HDRS	:= $(wildcard $(CBL_DIR)/*.h)
# live mode: the network client and the CLI's live glue, when present
CBL_STREAM_SRC := $(if $(wildcard $(CBL_DIR)/stream.c),$(wildcard $(CBL_DIR)/stream.c tools/chameleon_binlog_live.c),)
CBL_STREAM_DEF := $(if $(CBL_STREAM_SRC),-DCBL_HAVE_STREAM,)

CBL_CFLAGS	:= -std=c11 -Wall -Wextra -Werror -O2
CBL_MARIADB_INC = $(shell mariadb_config --include 2>/dev/null)
CBL_MARIADB_LIBS = $(shell mariadb_config --libs 2>/dev/null)
CBL_LIBS	:= -lz -lzstd

CBL_UNIT_SRCS := $(sort $(wildcard t/unit/binlog/*.c))
CBL_UNIT_BINS := $(patsubst t/unit/binlog/%.c,$(CBL_BUILD)/unit-binlog/%,$(CBL_UNIT_SRCS))

FUZZ_SECONDS ?= 60
CBL_FUZZ_CC ?= clang
CBL_FIXTURE_DIRS := $(wildcard $(CHAMELEON_FIXTURES)) $(wildcard /usr/share/mysql/mysql-test/std_data)
CBL_SEED_DIR	:= t/fuzz/seeds/binlog

.PHONY: unit-binlog unit-binlog-valgrind fuzz-binlog fuzz-wkb clean-binlog

$(CBL_BUILD)/chameleon_binlog: tools/chameleon_binlog.c $(BINLOG_SRCS) $(CBL_STREAM_SRC) $(CBL_HDRS)
	@mkdir -p $(CBL_BUILD)
	$(CC) $(CBL_CFLAGS) $(CBL_STREAM_DEF) $(CBL_MARIADB_INC) -o $@ \
		tools/chameleon_binlog.c $(BINLOG_SRCS) $(CBL_STREAM_SRC) \
		$(CBL_LIBS) $(CBL_MARIADB_LIBS)

# unit tests: one program per t/unit/binlog/*.c, each linked with the library
$(CBL_BUILD)/unit-binlog/%: t/unit/binlog/%.c $(BINLOG_SRCS) $(CBL_HDRS)
	@mkdir -p $(CBL_BUILD)/unit-binlog
	$(CC) $(CBL_CFLAGS) -g -I$(CBL_DIR) -o $@ $< $(BINLOG_SRCS) $(CBL_LIBS) -lm

unit-binlog: $(CBL_UNIT_BINS)
	@set -e; for t in $(CBL_UNIT_BINS); do echo "# $$t"; $$t; done

unit-binlog-valgrind: $(CBL_UNIT_BINS)
	@set -e; for t in $(CBL_UNIT_BINS); do echo "# valgrind $$t"; \
		valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite $$t >/dev/null; \
		echo "ok - $$t clean under valgrind"; done

# libFuzzer target, seeded with every fixture binlog found and the hostile
# inputs kept in t/fuzz/seeds/binlog/
$(CBL_BUILD)/binlog_fuzz: t/fuzz/binlog_fuzz.c $(BINLOG_SRCS) $(CBL_HDRS)
	@mkdir -p $(CBL_BUILD)
	$(CBL_FUZZ_CC) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I$(CBL_DIR) -o $@ $< $(BINLOG_SRCS) $(CBL_LIBS) -lm

fuzz-binlog: $(CBL_BUILD)/binlog_fuzz
	@rm -rf $(CBL_BUILD)/fuzz-seed && mkdir -p $(CBL_BUILD)/fuzz-seed $(CBL_BUILD)/fuzz-corpus
	@for d in $(CBL_FIXTURE_DIRS); do \
		find $$d -type f \( -name '*bin*' -o -name '*.00*' -o -name '*relay*' \) ! -name '*.gz' ! -name '*.info' ! -name '*.frm' \
			-size -256k -exec cp {} $(CBL_BUILD)/fuzz-seed/ \; ; done; true
	@if [ -d $(CBL_SEED_DIR) ]; then cp $(CBL_SEED_DIR)/* $(CBL_BUILD)/fuzz-seed/; fi
	$(CBL_BUILD)/binlog_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=262144 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		$(CBL_BUILD)/fuzz-corpus $(CBL_BUILD)/fuzz-seed

# libFuzzer target of the geometry check, seeded with t/fuzz/seeds/wkb/
$(CBL_BUILD)/wkb_fuzz: t/fuzz/wkb_fuzz.c $(BINLOG_SRCS) $(CBL_HDRS)
	@mkdir -p $(CBL_BUILD)
	$(CBL_FUZZ_CC) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I$(CBL_DIR) -o $@ $< $(BINLOG_SRCS) $(CBL_LIBS) -lm

fuzz-wkb: $(CBL_BUILD)/wkb_fuzz
	@mkdir -p $(CBL_BUILD)/fuzz-corpus-wkb
	$(CBL_BUILD)/wkb_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		$(CBL_BUILD)/fuzz-corpus-wkb t/fuzz/seeds/wkb

clean-binlog:
	rm -rf $(CBL_BUILD)/unit-binlog $(CBL_BUILD)/binlog_fuzz $(CBL_BUILD)/fuzz-seed \
		$(CBL_BUILD)/fuzz-corpus $(CBL_BUILD)/chameleon_binlog \
		$(CBL_BUILD)/wkb_fuzz $(CBL_BUILD)/fuzz-corpus-wkb

.DEFAULT_GOAL := $(CBL_SAVED_DEFAULT_GOAL)
