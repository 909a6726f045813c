# Makefile
#	PGXS build of the chameleon extension, its pure-C libraries (src/binlog,
#	src/ddl, each described by its own make fragment), the chameleon_binlog
#	command-line tool, and the test targets:
#
#	  make && make install        build and install (install needs root)
#	  make installcheck           pg_regress suites (temporary instance)
#	  make unit                   unit tests of the pure-C libraries
#	  make fuzz                   fuzzers, FUZZ_SECONDS each (default 60)
#	  make tap                    TAP suites against real MariaDB + PostgreSQL
#	  make lint                   cppcheck
#
#	tools/run-tests.sh runs all of them the way CI does.

# first rule, so that the fragments below cannot change the default goal
all:

EXTENSION = chameleon
MODULE_big = chameleon
PGFILEDESC = "chameleon - replicate MySQL and MariaDB databases into PostgreSQL"
DATA = $(sort $(wildcard sql/chameleon--*.sql))

FUZZ_SECONDS ?= 60

-include src/binlog/binlog.mk
-include src/binlog/stream.mk
-include src/ddl/ddl.mk

EXT_SRCS = $(sort $(wildcard src/*.c))
LIB_SRCS = $(BINLOG_SRCS) $(filter src/%,$(STREAM_SRCS)) $(DDL_SRCS)
OBJS = $(EXT_SRCS:.c=.o) $(LIB_SRCS:.c=.o)
# PGXS tracks no header dependencies: rebuild every object when a header
# changes (a stale object with an old struct layout crashes at run time)
$(OBJS): $(wildcard src/*.h src/binlog/*.h src/ddl/*.h)

PG_CPPFLAGS = -I$(srcdir)/src $(shell mariadb_config --include) \
	-I$(shell $(PG_CONFIG) --includedir)
# -Wclobbered misfires around PG_TRY's setjmp; variables it matters for are
# volatile
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wno-clobbered
SHLIB_LINK = $(shell mariadb_config --libs) -lpq -lyaml -lz -lzstd

# pg_regress: every sql/*.sql except the install scripts, in name order
REGRESS = $(sort $(patsubst sql/%.sql,%,$(filter-out sql/chameleon--%,$(wildcard sql/*.sql))))
REGRESS_OPTS = --temp-config=$(srcdir)/t/regress.conf \
	--temp-instance=$(CURDIR)/tmp_check_regress --inputdir=$(srcdir)

EXTRA_CLEAN = build tmp_check tmp_check_regress results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# the command-line tool, built by the binlog fragment
ifneq ($(strip $(BINLOG_SRCS)),)
all: build/chameleon_binlog
install: install-cli
.PHONY: install-cli
install-cli: build/chameleon_binlog
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_PROGRAM) build/chameleon_binlog '$(DESTDIR)$(bindir)/chameleon_binlog'
endif

.PHONY: unit fuzz tap lint
# unit tests, the same under valgrind, and the MariaDB test-suite DDL count
unit: $(if $(BINLOG_SRCS),unit-binlog unit-binlog-valgrind) \
	$(if $(DDL_SRCS),unit-ddl unit-ddl-valgrind ddl-corpus)

fuzz: $(if $(BINLOG_SRCS),fuzz-binlog fuzz-wkb) $(if $(DDL_SRCS),fuzz-ddl)

# TAP suites: PostgreSQL::Test::Cluster from the server's PGXS tree, our
# MariaDB harness from t/lib.  PROVE_TESTS selects files (default t/*.pl).
tap:
	rm -rf '$(CURDIR)'/tmp_check
	$(MKDIR_P) '$(CURDIR)'/tmp_check
	PATH="$(bindir):$$PATH" \
	TESTDIR='$(CURDIR)' \
	PG_REGRESS='$(pgxsdir)/src/test/regress/pg_regress' \
	CHAMELEON_BINLOG="$(CURDIR)/build/chameleon_binlog" \
	CHAMELEON_SRC="$(CURDIR)" \
	prove -I $(srcdir)/t/lib -I $(pgxsdir)/src/test/perl $(PROVE_FLAGS) \
		$(or $(PROVE_TESTS),$(sort $(wildcard t/*.pl)))

lint:
	cppcheck --quiet --error-exitcode=1 --std=c11 \
		--enable=warning,performance,portability \
		--suppress=missingIncludeSystem --inline-suppr \
		--library=$(srcdir)/tools/cppcheck-pg.cfg \
		-I src -I src/binlog -I src/ddl src tools
