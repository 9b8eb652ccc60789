# mod_oidc_idp: build, run, test, bench.
#
#   make            build mod_oidc_idp.so and oidc-idp-admin
#   make run        install what is missing, build, set up state/ and serve on :8080
#   make test       install what is missing, build, run every suite
#   make check      C unit tests only
#   make bench      wrk benchmark against Apache serving static files
#   make fuzz       run the fuzz targets for a while (FUZZ_SECONDS each,
#                   FUZZ_TARGETS="scope_parse ..." to choose some)
#   make asan       the Apache::Test suite (SQLite) against an ASan+UBSan build
#   make valgrind   the unit tests and the admin tool under valgrind
#   make format     clang-format the C sources in place (make format-check: report)
#   make deb        the Debian package libapache2-mod-oidc-idp_*.deb, here
#                   (debian/, dpkg-buildpackage in a copy of the tree)
#   make manual     the HTML reference manual build/manual/mod_oidc_idp.html

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
# CPPFLAGS, CFLAGS and LDFLAGS from the environment (empty by default) are
# added to the project's own: Debian's build flags (hardening) when the
# package is built (debian/rules, make deb).
BASE_FLAGS := -std=gnu11 -O2 -g $(WARN) -fvisibility=hidden $(APR_INC) $(APR_CPP) $(DEP_CFLAGS) \
    $(CPPFLAGS) $(CFLAGS)
# One set of flags per layer (src/README.md): a layer sees its own headers
# and those below it, never those above; the core sees no httpd header.
CORE_CFLAGS  := $(BASE_FLAGS) -Iinclude/core
HTTPD_CFLAGS := $(CORE_CFLAGS) -Iinclude/httpd -I$(HTTPD_INC)
EP_CFLAGS    := $(HTTPD_CFLAGS) -Iinclude/endpoints

LAYERS     := core httpd endpoints
HEADERS    := $(wildcard include/*/*.h)
CORE_SRCS  := $(wildcard src/core/*.c)
HTTPD_SRCS := $(wildcard src/httpd/*.c)
EP_SRCS    := $(wildcard src/endpoints/*.c)
SRCS       := $(CORE_SRCS) $(HTTPD_SRCS) $(EP_SRCS)
TOOL_SRCS  := $(wildcard tools/*.c)

B          := build
comma      := ,

.PHONY: all module admin objects check test run bench fuzz asan valgrind deps-build deps-test deps-deb clean \
        distclean install format format-check deb manual

all: module admin

module: $(B)/mod_oidc_idp.so
admin: $(B)/oidc-idp-admin

# The module is compiled and linked by apxs (libtool) from a copy of the
# tree in build/apxs (its objects land there, folders kept).
# The generated build/schema.c goes in as src/core/schema.c (the schema
# version and migrations, src/core/migrate.c).
# $(call apxs_module,FOLDER,EXTRA CFLAGS,EXTRA LIBS): the recipe, shared by
# the module and its sanitizer build (make asan).
define apxs_module
	@rm -rf $(1)/src && mkdir -p $(1)
	cp mod_oidc_idp.c $(1)/ && cp -r src $(1)/ && rm -f $(1)/src/README.md
	cp $(B)/schema.c $(1)/src/core/schema.c
	cd $(1) && $(APXS) -c -o mod_oidc_idp.la \
	    $(addprefix -Wc$(comma),$(WARN) -std=gnu11 -fvisibility=hidden $(CPPFLAGS) $(CFLAGS) $(2)) \
	    $(addprefix -Wl$(comma),$(LDFLAGS)) \
	    $(addprefix -I$(CURDIR)/include/,$(LAYERS)) \
	    $(DEP_CFLAGS) mod_oidc_idp.c $(SRCS) src/core/schema.c $(DEP_LIBS) $(3) > build.log 2>&1 || (grep -E -A3 "error:|warning:|undefined" build.log; false)
	# a new file renamed into place: a running httpd keeps its mapping of the old one
	cp $(1)/.libs/mod_oidc_idp.so $@.tmp && mv -f $@.tmp $@
	@nm -D --defined-only $@ | awk '$$2 ~ /[TDB]/ {print $$3}' | grep -v '^oidc_idp_module$$' \
	    | grep -v '^_' | sed 's/^/exported symbol: /' | (! grep .) || (echo "only oidc_idp_module may be exported" && false)
endef

$(B)/mod_oidc_idp.so: mod_oidc_idp.c $(SRCS) $(B)/schema.c $(HEADERS) Makefile
	$(call apxs_module,$(B)/apxs,,)

# The same module with AddressSanitizer and UndefinedBehaviorSanitizer (gcc's
# runtimes, every finding fatal), for tests/asan.sh: Debian's apache2 is not
# instrumented, so httpd runs with libasan and libubsan preloaded.
SAN_FLAGS := -O1 -g -U_FORTIFY_SOURCE -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
$(B)/asan/mod_oidc_idp.so: mod_oidc_idp.c $(SRCS) $(B)/schema.c $(HEADERS) Makefile
	$(call apxs_module,$(B)/asan/apxs,$(SAN_FLAGS),-lasan -lubsan)

# The schema files and migrations, embedded into the admin tool and the core
# (the folder too: its time changes when a migration is added or removed).
$(B)/schema.c: conf/schema.sqlite3.sql conf/schema.pgsql.sql conf/migrations \
	    $(wildcard conf/migrations/*.sql) scripts/embed-sql.sh
	@mkdir -p $(B)
	sh scripts/embed-sql.sh conf/schema.sqlite3.sql conf/schema.pgsql.sql \
	    $(sort $(wildcard conf/migrations/*.sql)) > $@.tmp && mv -f $@.tmp $@

# Every source compiled once per layer into build/obj/<layer>/ with that
# layer's flags: the unit tests, the admin tool and the source checks
# (tests/check_sources.sh reads these objects' symbols) use them.
CORE_OBJS  := $(patsubst src/%.c,$(B)/obj/%.o,$(CORE_SRCS)) $(B)/obj/core/schema.o
HTTPD_OBJS := $(patsubst src/%.c,$(B)/obj/%.o,$(HTTPD_SRCS))
EP_OBJS    := $(patsubst src/%.c,$(B)/obj/%.o,$(EP_SRCS))
TOOL_OBJS  := $(patsubst tools/%.c,$(B)/obj/tools/%.o,$(TOOL_SRCS))

$(B)/obj/core/%.o: src/core/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -c -o $@ $<

$(B)/obj/core/schema.o: $(B)/schema.c include/core/oidp_schema.h
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -c -o $@ $<

$(B)/obj/httpd/%.o: src/httpd/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(HTTPD_CFLAGS) -c -o $@ $<

$(B)/obj/endpoints/%.o: src/endpoints/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(EP_CFLAGS) -c -o $@ $<

$(B)/obj/tools/%.o: tools/%.c $(wildcard tools/*.h) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -Itools -c -o $@ $<

$(B)/obj/front/mod_oidc_idp.o: mod_oidc_idp.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(EP_CFLAGS) -c -o $@ $<

objects: $(CORE_OBJS) $(HTTPD_OBJS) $(EP_OBJS) $(TOOL_OBJS) $(B)/obj/front/mod_oidc_idp.o

$(B)/libcore.a: $(CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/liboidp.a: $(CORE_OBJS) $(HTTPD_OBJS) $(EP_OBJS)
	rm -f $@ && ar rcs $@ $^

# The admin tool is httpd-free: its own files and the core.
$(B)/oidc-idp-admin: $(TOOL_OBJS) $(B)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJS) $(B)/libcore.a $(APR_LIBS) $(DEP_LIBS)

# ---------------------------------------------------------------- tests
# tests/unit/core/test_*.c test the core with no httpd header at all
# (CORE_CFLAGS, linked against the core only); tests/unit/httpd/test_*.c
# test the httpd glue, with tests/unit/stub.c standing in for the ap_*
# functions of httpd those objects call (mod_auth_openidc's test/stub.c
# pattern). The linker takes from the archives only the objects a test
# reaches.
UNIT_CORE  := $(patsubst tests/unit/core/%.c,$(B)/unit/%,$(wildcard tests/unit/core/test_*.c))
UNIT_HTTPD := $(patsubst tests/unit/httpd/%.c,$(B)/unit/%,$(wildcard tests/unit/httpd/test_*.c))
UNIT_TESTS := $(UNIT_CORE) $(UNIT_HTTPD)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

$(UNIT_CORE): $(B)/unit/%: tests/unit/core/%.c tests/unit/unit.c tests/unit/unit.h $(B)/libcore.a $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -Itests/unit -o $@ $< tests/unit/unit.c $(B)/libcore.a \
	    $(APR_LIBS) $(DEP_LIBS) $(CHECK_LIBS)

$(UNIT_HTTPD): $(B)/unit/%: tests/unit/httpd/%.c tests/unit/unit.c tests/unit/unit_httpd.c tests/unit/stub.c \
	    tests/unit/unit.h tests/unit/unit_httpd.h $(B)/liboidp.a $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(HTTPD_CFLAGS) -Itests/unit -o $@ $< tests/unit/unit.c tests/unit/unit_httpd.c tests/unit/stub.c \
	    $(B)/liboidp.a $(APR_LIBS) $(DEP_LIBS) $(CHECK_LIBS)

check: $(UNIT_TESTS)
	@sh tests/run-unit.sh $(UNIT_TESTS)

# Sanitizers and leaks (tests/README.md): both are steps of `make test`.
asan: deps-test $(B)/asan/mod_oidc_idp.so admin
	sh tests/asan.sh

valgrind: deps-test $(UNIT_TESTS) admin
	sh tests/valgrind.sh

deps-build:
	@sh scripts/deps.sh build

deps-test:
	@sh scripts/deps.sh test

deps-deb:
	@sh scripts/deps.sh deb

# The Debian package, built from a copy of the tree (git's files, or all
# but build/) in build/deb, copied here: libapache2-mod-oidc-idp_V_ARCH.deb.
# DEB_OUT=DIR puts it elsewhere.
DEB_OUT ?= .
deb: deps-deb
	sh scripts/build-deb.sh $(DEB_OUT)

manual:
	sh docs/manual/build.sh $(B)/manual

test: deps-test
	$(MAKE) all objects
	sh tests/run-all.sh

run: deps-build
	$(MAKE) all
	sh scripts/run.sh

bench: deps-test
	$(MAKE) all
	sh bench/run.sh

FUZZ_SECONDS ?= 30
fuzz: deps-test
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

install: all
	$(APXS) -i -n oidc_idp $(B)/mod_oidc_idp.so
	install -m 0755 $(B)/oidc-idp-admin /usr/local/sbin/oidc-idp-admin

clean:
	rm -rf $(B)

distclean: clean
	rm -rf state tests/t tests/logs tests/state tests/conf/apache_test_config.pm tests/e2e/output
	find tests/conf -name '*.conf' ! -name httpd-base.conf -delete

# ---------------------------------------------------------------- format
# clang-format 14 with .clang-format (scripts/deps.sh test installs it);
# tests/check_sources.sh checks the same files.
FORMAT_SRCS := $(wildcard mod_oidc_idp.c src/*/*.c include/*/*.h tools/*.c tools/*.h \
    tests/unit/*.c tests/unit/*.h tests/unit/*/*.c tests/unit/*/*.h tests/fuzz/*.c tests/fuzz/*.h)

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	clang-format --dry-run -Werror $(FORMAT_SRCS)
