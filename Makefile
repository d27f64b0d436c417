# Makefile - build the portal, run a local stack, test, benchmark, fuzz.
# make run | stop | test | bench | fuzz | unit | clean     (see README.md)

CC      ?= gcc
BUILD   := build
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -Ilib -I/usr/include/postgresql -I/usr/include/json-c -MMD -MP
# libxml2 + xmlsec1 (openssl): asked of pkg-config when a recipe runs, after deps.sh has installed them.
XML_CFLAGS = $(shell pkg-config --cflags xmlsec1-openssl)
XML_LIBS   = $(shell pkg-config --libs xmlsec1-openssl)
CFLAGS  += $(XML_CFLAGS)
LDLIBS  = -lfcgi -lpq -ljson-c -lcrypto -largon2 -lcurl -lqrencode $(XML_LIBS) -lz
# GMime (and GLib) parse received mail: linked into the mail gateway, the unit test of the parse
# and the fuzz targets only, never into the workers (lib/mail_parse.c is left out of LIB_SRC).
GMIME_CFLAGS = $(shell pkg-config --cflags gmime-3.0)
GMIME_LIBS   = $(shell pkg-config --libs gmime-3.0)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

MIME_SRC := lib/mail_parse.c
LIB_SRC  := $(filter-out $(MIME_SRC),$(wildcard lib/*.c))
MAILER_SRC := fcgi/mailer.c fcgi/mailer_db.c fcgi/mailer_imap.c fcgi/mailer_queue.c fcgi/mailer_setup.c fcgi/mailer_smtp.c fcgi/mailer_webhooks.c fcgi/invitations.c
# The mail gateway: its main and the ingest, on top of the worker's objects (the one conversation
# write path, the outbox, the settings) without the worker's main.
MAILGATE_SRC := fcgi/mailgate.c fcgi/mail_ingest.c
FCGI_SRC := $(filter-out $(MAILER_SRC) $(MAILGATE_SRC),$(wildcard fcgi/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
FCGI_OBJ := $(FCGI_SRC:%.c=$(BUILD)/%.o)
LIB_SAN_OBJ := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
UNIT_SRC := $(wildcard test/unit/*_test.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(BUILD)/unit/%)
FUZZ_SRC := $(wildcard test/fuzz/*_fuzz.c)

.PHONY: all deps run stop test unit bench fuzz clean install install-setup
all: $(BUILD)/portal $(BUILD)/mailer $(BUILD)/portal-mailgate

deps:
	@nginx/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/portal: $(FCGI_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/mailer: $(MAILER_SRC:%.c=$(BUILD)/%.o) $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/lib/mail_parse.o: CFLAGS += $(GMIME_CFLAGS)
$(BUILD)/portal-mailgate: $(MAILGATE_SRC:%.c=$(BUILD)/%.o) $(filter-out $(BUILD)/fcgi/main.o,$(FCGI_OBJ)) \
		$(LIB_OBJ) $(BUILD)/lib/mail_parse.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(GMIME_LIBS)

# Unit tests: lib/ compiled once with ASan + UBSan (build/san/), linked into each test binary.
SAN_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g $(SAN) -Ilib -I/usr/include/postgresql -I/usr/include/json-c $(XML_CFLAGS)

$(LIB_SAN_OBJ) $(BUILD)/san/lib/mail_parse.o: $(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/unit/%: test/unit/%.c $(LIB_SAN_OBJ) $(wildcard lib/*.h) test/unit/check.h
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -o $@ $< $(filter %.o,$^) $(LDLIBS)

# The parse's unit test links GMime.
$(BUILD)/unit/mail_parse_test: $(BUILD)/san/lib/mail_parse.o
$(BUILD)/unit/mail_parse_test: SAN_CFLAGS += $(GMIME_CFLAGS)
$(BUILD)/unit/mail_parse_test: LDLIBS += $(GMIME_LIBS)

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 $$t $(CURDIR)/../shared/mustache-spec || exit 1; done

run: deps all
	@nginx/stack.sh up

stop:
	@nginx/stack.sh down

# Without an outage (nginx/stack.sh, "Zero-downtime changes"): a new pool of WORKERS workers on a
# socket of its own, renamed onto the one nginx connects to once it answers, the old pool finishing
# its requests; reload = rebuild, migrate, and a new pool of the same size running the new
# program, templates and config.
.PHONY: scale reload
scale:
	@nginx/stack.sh scale "$(WORKERS)"

reload: all
	@nginx/stack.sh reload

test:
	@nginx/deps.sh test
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@test/run.sh

# make backup: PORTAL_VAR/backups/portal-<UTC time>.tar (database, files, config; secret: 0600)
# while the stack serves; make restore FILE=...: into a fresh PORTAL_VAR, then make run (nginx/backup.sh).
.PHONY: backup restore
backup:
	@nginx/backup.sh backup

restore:
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path/to/portal-<time>.tar (restores into a fresh PORTAL_VAR)" >&2; exit 2; }
	@nginx/backup.sh restore "$(FILE)"

# make test-interop: the SAML flows end to end in Chromium against a real identity provider,
# Debian's SimpleSAMLphp on 127.0.0.1 (test/interop/run.sh; its own private stack, torn down after).
.PHONY: test-interop
test-interop:
	@nginx/deps.sh interop
	@$(MAKE) --no-print-directory all
	@test/interop/run.sh

# make bench: wrk through nginx against a stack holding the large data set, in one run: the
# ceiling (../shared/ceiling/run.sh, as root), each route with its ratio to the ceiling's list1q
# req/s, the list pages for the heaviest vs the median contact, on 10k vs 1M tickets, with 1/2/4/8
# workers, the largest worker RSS (also after password logins), then EXPLAIN of the list/detail
# queries (test/bench/run.sh; knobs DUR, CONN, SESSIONS, Q, RUNS=N (medians of N runs),
# BENCH_WORKERS, SMALL_TICKETS, BENCH_SMALL_VAR, SMALL=0, CEILING, CEILING_DIR: see its header).
# Starts, seeds (~3 min) and removes a private stack; BENCH_VAR=dir reuses one (e.g. BENCH_VAR=var
# after make seed-large: used as it is when up, else started and stopped again).
bench: deps all
	@test/bench/run.sh

# make seed-large: 1,000,000 tickets, 100,000 contacts, 10,000 companies, their threads and messages
# and 20,000 members of portal 1 (sql/seed_large.sql, deterministic, ~3 min) into the RUNNING stack
# of PORTAL_VAR (default var/; start it first with make run, same PORTAL_VAR). Needs the demo data.
# Smaller sets: SEED_TICKETS, SEED_CONTACTS, SEED_COMPANIES, SEED_MEMBERS, e.g. 10k tickets with as
# many per contact as the 1M set: SEED_TICKETS=10000 SEED_CONTACTS=1000 SEED_COMPANIES=100
# SEED_MEMBERS=200 make seed-large (what make bench's small stack loads).
.PHONY: seed-large
seed-large:
	@test/bench/seed.sh

FUZZ_SECONDS ?= 60
fuzz:
	@nginx/deps.sh test
	@mkdir -p $(BUILD)/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
		clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib -I/usr/include/json-c $(XML_CFLAGS) \
			$(GMIME_CFLAGS) -o $(BUILD)/fuzz/$$n $$f $(LIB_SRC:%=%) $(MIME_SRC) -I/usr/include/postgresql \
			$(LDLIBS) $(GMIME_LIBS) || exit 1; \
		mkdir -p $(BUILD)/fuzz/$$n.corpus; \
		seeds=$$(test -d test/fuzz/seeds/$$n && echo test/fuzz/seeds/$$n); \
		$(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 $(BUILD)/fuzz/$$n.corpus $$seeds || exit 1; \
	done

clean:
	rm -rf $(BUILD)

# make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc LOCALSTATEDIR=/var RUNSTATEDIR=/run]
# [PORTAL_TLS_CERT= PORTAL_TLS_KEY=]: programs, templates, migrations, the nginx site and the systemd
# units (nginx/install.sh; README, Operations). make install-setup, as root on the host, once:
# user portal, folders, /etc/portal/portal.json, PostgreSQL roles and database, migrations.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
RUNSTATEDIR ?= /run
install: all
	@PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) SYSCONFDIR=$(SYSCONFDIR) LOCALSTATEDIR=$(LOCALSTATEDIR) \
		RUNSTATEDIR=$(RUNSTATEDIR) nginx/install.sh install
install-setup:
	@PREFIX=$(PREFIX) SYSCONFDIR=$(SYSCONFDIR) LOCALSTATEDIR=$(LOCALSTATEDIR) RUNSTATEDIR=$(RUNSTATEDIR) \
		nginx/install.sh setup

-include $(LIB_OBJ:.o=.d) $(LIB_SAN_OBJ:.o=.d) $(FCGI_OBJ:.o=.d) $(MAILER_SRC:%.c=$(BUILD)/%.d) \
	$(MAILGATE_SRC:%.c=$(BUILD)/%.d) $(BUILD)/lib/mail_parse.d $(BUILD)/san/lib/mail_parse.d
