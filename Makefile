# mod_oidc_idp: build, run, test, bench.
#
#   make            build mod_oidc_idp.so and oidc-idp-admin
#   make run        install what is missing, build, set up state/ and serve on :8080
#   make test       install what is missing, build, run every suite
#   make check      C unit tests only
#   make bench      wrk benchmark against Apache serving static files
#   make fuzz       run the fuzz targets for a while (FUZZ_SECONDS each)

APXS       ?= $(shell command -v apxs 2>/dev/null || echo /usr/bin/apxs)
CC         ?= gcc
PKGS       := jansson openssl
HTTPD_INC  := $(shell $(APXS) -q INCLUDEDIR 2>/dev/null)
APR_INC    := $(shell apr-1-config --includes 2>/dev/null) $(shell apu-1-config --includes 2>/dev/null)
APR_CPP    := $(shell apr-1-config --cppflags --cflags 2>/dev/null)
APR_LIBS   := $(shell apr-1-config --link-ld --libs 2>/dev/null) $(shell apu-1-config --link-ld --libs 2>/dev/null)
DEP_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEP_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN       := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS_ALL := -std=gnu11 -O2 -g $(WARN) -fvisibility=hidden -Iinclude -I$(HTTPD_INC) \
              $(APR_INC) $(APR_CPP) $(DEP_CFLAGS)

HEADERS    := $(wildcard include/*.h)
SRCS       := $(wildcard src/*.c)
# what builds without httpd: shared by the module, the admin tool and the unit tests
PURE_SRCS  := src/jose.c src/util.c src/form.c src/store.c

B          := build
comma      := ,

.PHONY: all module admin check test run bench fuzz deps-build deps-test clean distclean install

all: module admin

module: $(B)/mod_oidc_idp.so
admin: $(B)/oidc-idp-admin

# The module is compiled and linked by apxs (libtool); objects land in build/apxs.
$(B)/mod_oidc_idp.so: mod_oidc_idp.c $(SRCS) $(HEADERS) Makefile
	@mkdir -p $(B)/apxs/src
	cp mod_oidc_idp.c $(B)/apxs/ && cp $(SRCS) $(B)/apxs/src/
	cd $(B)/apxs && $(APXS) -c -o mod_oidc_idp.la \
	    $(addprefix -Wc$(comma),$(WARN) -std=gnu11 -fvisibility=hidden) -I$(CURDIR)/include \
	    $(DEP_CFLAGS) mod_oidc_idp.c $(addprefix src/,$(notdir $(SRCS))) $(DEP_LIBS) > build.log 2>&1 || (grep -E -A3 "error:|warning:|undefined" build.log; false)
	# a new file renamed into place: a running httpd keeps its mapping of the old one
	cp $(B)/apxs/.libs/mod_oidc_idp.so $@.tmp && mv -f $@.tmp $@
	@nm -D --defined-only $@ | awk '$$2 ~ /[TDB]/ {print $$3}' | grep -v '^oidc_idp_module$$' \
	    | grep -v '^_' | sed 's/^/exported symbol: /' | (! grep .) || (echo "only oidc_idp_module may be exported" && false)

# The schema files, embedded into the admin tool.
$(B)/schema.c: conf/schema.sqlite3.sql conf/schema.pgsql.sql scripts/embed-sql.sh
	@mkdir -p $(B)
	sh scripts/embed-sql.sh conf/schema.sqlite3.sql conf/schema.pgsql.sql > $@

$(B)/oidc-idp-admin: $(wildcard tools/*.c tools/*.h) $(PURE_SRCS) $(B)/schema.c $(HEADERS)
	$(CC) $(CFLAGS_ALL) -Itools -o $@ $(wildcard tools/*.c) $(PURE_SRCS) $(B)/schema.c \
	    $(APR_LIBS) $(DEP_LIBS)

# ---------------------------------------------------------------- tests
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/test_*.c))
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
# Unit tests link an archive of every src/*.c, compiled once with the
# module's warnings: the linker takes from it only the objects a test
# reaches, and tests/unit/stub.c stands in for the ap_* functions of httpd
# those objects call (mod_auth_openidc's test/stub.c pattern).
UNIT_OBJS  := $(patsubst src/%.c,$(B)/unit/obj/%.o,$(SRCS)) $(B)/unit/obj/schema.o
UNIT_SUPPORT := tests/unit/stub.c tests/unit/unit.c

$(B)/unit/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(B)/unit/obj
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/unit/obj/schema.o: $(B)/schema.c
	@mkdir -p $(B)/unit/obj
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/unit/liboidp.a: $(UNIT_OBJS)
	rm -f $@ && ar rcs $@ $(UNIT_OBJS)

$(B)/unit/test_%: tests/unit/test_%.c $(UNIT_SUPPORT) tests/unit/unit.h $(B)/unit/liboidp.a $(HEADERS)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(UNIT_SUPPORT) $(B)/unit/liboidp.a \
	    $(APR_LIBS) $(DEP_LIBS) $(CHECK_LIBS)

check: $(UNIT_TESTS)
	@sh tests/run-unit.sh $(UNIT_TESTS)

deps-build:
	@sh scripts/deps.sh build

deps-test:
	@sh scripts/deps.sh test

test: deps-test
	$(MAKE) all
	sh tests/run-all.sh

run: deps-build
	$(MAKE) all
	sh scripts/run.sh

bench: deps-test
	$(MAKE) all
	sh bench/run.sh

FUZZ_SECONDS ?= 30
fuzz: deps-test
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

install: all
	$(APXS) -i -n oidc_idp $(B)/mod_oidc_idp.so
	install -m 0755 $(B)/oidc-idp-admin /usr/local/sbin/oidc-idp-admin

clean:
	rm -rf $(B)

distclean: clean
	rm -rf state tests/t tests/logs tests/state tests/conf/apache_test_config.pm tests/e2e/output
	find tests/conf -name '*.conf' ! -name httpd-base.conf -delete
