# src/ddl/ddl.mk
#	Make fragment of the MySQL DDL translator, included by the top-level
#	PGXS Makefile.
#
#	DDL_SRCS      library sources (the lead's Makefile links them into the .so)
#	unit-ddl      build and run the unit tests (TAP: translator, table
#	              layouts), non-zero on failure
#	unit-ddl-valgrind  the same under valgrind (errors and leaks fail)
#	fuzz-ddl      libFuzzer (clang, ASan+UBSan) for $(FUZZ_SECONDS) s (60)
#	ddl-corpus    every DDL statement of the MariaDB test suite, counted
#	ddl-cli       build/ddl/cddl_translate, a command-line translator, and
#	              build/ddl/cddl_layout, the table layout model
#
# Products go to build/ddl/.  Uses its own compiler variables so that the
# PostgreSQL CFLAGS of the extension build are left alone.

DDL_DIR := src/ddl
DDL_SRCS := $(DDL_DIR)/arena.c $(DDL_DIR)/strbuf.c $(DDL_DIR)/quote.c \
	$(DDL_DIR)/keywords.c $(DDL_DIR)/lexer.c $(DDL_DIR)/parse.c \
	$(DDL_DIR)/parse_column.c $(DDL_DIR)/parse_key.c \
	$(DDL_DIR)/parse_create.c \
	$(DDL_DIR)/parse_alter.c $(DDL_DIR)/parse_misc.c $(DDL_DIR)/types.c \
	$(DDL_DIR)/writer.c $(DDL_DIR)/writer_default.c $(DDL_DIR)/translate.c \
	$(DDL_DIR)/translate_create.c $(DDL_DIR)/translate_alter.c \
	$(DDL_DIR)/charset.c $(DDL_DIR)/collation_data.c $(DDL_DIR)/layout.c \
	$(DDL_DIR)/layout_type.c $(DDL_DIR)/layout_alter.c \
	$(DDL_DIR)/layout_keys.c $(DDL_DIR)/layout_sql.c \
	$(DDL_DIR)/layout_changes.c
DDL_HDRS := $(DDL_DIR)/cddl.h $(DDL_DIR)/cddl_layout.h $(DDL_DIR)/ddl_internal.h

DDL_BUILD := build/ddl
DDL_CC ?= gcc
DDL_CLANG ?= clang
DDL_CFLAGS ?= -std=c11 -Wall -Wextra -Werror -fPIC -O1 -g
DDL_OBJS := $(patsubst $(DDL_DIR)/%.c,$(DDL_BUILD)/%.o,$(DDL_SRCS))
DDL_LIB := $(DDL_BUILD)/libcddl.a
DDL_MYSQL_TEST ?= /usr/share/mysql/mysql-test
FUZZ_SECONDS ?= 60

.PHONY: unit-ddl unit-ddl-valgrind fuzz-ddl ddl-corpus ddl-cli

$(DDL_BUILD):
	mkdir -p $@

$(DDL_BUILD)/%.o: $(DDL_DIR)/%.c $(DDL_HDRS) | $(DDL_BUILD)
	$(DDL_CC) $(DDL_CFLAGS) -I$(DDL_DIR) -c -o $@ $<

$(DDL_LIB): $(DDL_OBJS)
	rm -f $@
	ar rcs $@ $(DDL_OBJS)

$(DDL_BUILD)/test_ddl: t/unit/ddl/test_ddl.c t/unit/tap.h $(DDL_LIB) $(DDL_HDRS)
	$(DDL_CC) $(DDL_CFLAGS) -I$(DDL_DIR) -o $@ $< $(DDL_LIB)

$(DDL_BUILD)/test_layout: t/unit/ddl/test_layout.c t/unit/tap.h $(DDL_LIB) $(DDL_HDRS)
	$(DDL_CC) $(DDL_CFLAGS) -I$(DDL_DIR) -o $@ $< $(DDL_LIB)

$(DDL_BUILD)/ddl_corpus: t/unit/ddl/ddl_corpus.c $(DDL_LIB) $(DDL_HDRS)
	$(DDL_CC) $(DDL_CFLAGS) -I$(DDL_DIR) -o $@ $< $(DDL_LIB)

$(DDL_BUILD)/cddl_translate: t/unit/ddl/ddl_cli.c $(DDL_LIB) $(DDL_HDRS)
	$(DDL_CC) $(DDL_CFLAGS) -I$(DDL_DIR) -o $@ $< $(DDL_LIB)

$(DDL_BUILD)/cddl_layout: t/unit/ddl/layout_cli.c $(DDL_LIB) $(DDL_HDRS)
	$(DDL_CC) $(DDL_CFLAGS) -I$(DDL_DIR) -o $@ $< $(DDL_LIB)

unit-ddl: $(DDL_BUILD)/test_ddl $(DDL_BUILD)/test_layout
	$(DDL_BUILD)/test_ddl
	$(DDL_BUILD)/test_layout

unit-ddl-valgrind: $(DDL_BUILD)/test_ddl $(DDL_BUILD)/test_layout
	valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		$(DDL_BUILD)/test_ddl > $(DDL_BUILD)/test_ddl.valgrind.out
	tail -n 1 $(DDL_BUILD)/test_ddl.valgrind.out
	valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		$(DDL_BUILD)/test_layout > $(DDL_BUILD)/test_layout.valgrind.out
	tail -n 1 $(DDL_BUILD)/test_layout.valgrind.out

ddl-cli: $(DDL_BUILD)/cddl_translate $(DDL_BUILD)/cddl_layout

ddl-corpus: $(DDL_BUILD)/ddl_corpus
	$(DDL_BUILD)/ddl_corpus $(DDL_MYSQL_TEST)

# The fuzzer is built from the sources directly, with sanitizers.
$(DDL_BUILD)/ddl_fuzz: t/fuzz/ddl_fuzz.c $(DDL_SRCS) $(DDL_HDRS) | $(DDL_BUILD)
	$(DDL_CLANG) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I$(DDL_DIR) -o $@ t/fuzz/ddl_fuzz.c $(DDL_SRCS)

# Seeds: one file per statement of the round-trip corpus, unit inputs and
# the table layout cases.
$(DDL_BUILD)/fuzz-seed: t/data/ddl_corpus.sql t/data/ddl_alter.sql t/unit/ddl/layout_seed.sql | $(DDL_BUILD)
	rm -rf $@ && mkdir -p $@
	awk 'BEGIN { RS = ";\n"; n = 0 } NF { f = sprintf("$@/s%04d.sql", n++); printf "%s", $$0 > f; close(f) }' \
		t/data/ddl_corpus.sql t/data/ddl_alter.sql t/unit/ddl/layout_seed.sql

fuzz-ddl: $(DDL_BUILD)/ddl_fuzz $(DDL_BUILD)/fuzz-seed
	mkdir -p $(DDL_BUILD)/fuzz-corpus
	$(DDL_BUILD)/ddl_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		$(DDL_BUILD)/fuzz-corpus $(DDL_BUILD)/fuzz-seed
