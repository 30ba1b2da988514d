# bulletin - see README.md.  `make demo` and `make check` install what they
# need with apt-get (as root on Debian 12), so a fresh machine needs nothing
# else.

PREFIX    ?= /usr/local
# bulletin-fetch and bulletin-work, which bulletin runs (beside it in a
# build tree)
LIBEXECDIR ?= $(PREFIX)/lib/bulletin
CC        ?= cc
VERSION   := 0.1.0
B         := build

# Debian packages: to build and run, and in addition to test.
DEB_BUILD := gcc make pkg-config libc6-dev libgmime-3.0-dev libxml2-dev \
	libvectorscan-dev libpcre2-dev libsqlite3-dev libgnutls28-dev \
	libetpan-dev libcurl4-gnutls-dev libjansson-dev
DEB_TEST  := $(DEB_BUILD) libcmocka-dev sqlite3 python3 dovecot-imapd openssl \
	python3-aiosmtpd clang libclang-rt-14-dev llvm-14 groff-base

PKGS      := gmime-3.0 libxml-2.0 libhs libpcre2-8 sqlite3 gnutls libetpan libcurl \
	jansson
WARN      := -Wall -Wextra -Wshadow -Wcast-qual -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings -Wvla -Werror
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DBULLETIN_VERSION='"$(VERSION)"' \
	-DBULLETIN_SHAREDIR='"$(PREFIX)/share/bulletin"' -I$(B) \
	-DBULLETIN_LIBEXECDIR='"$(LIBEXECDIR)"' \
	$(if $(CURL_SONAME),-DCURL_SONAME='"$(CURL_SONAME)"') \
	$(WARN) $(CFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl is not linked: smtp.c loads it by its SONAME when it sends.
CURL_SONAME := $(shell objdump -p $$(pkg-config --variable=libdir libcurl \
	2>/dev/null)/libcurl.so 2>/dev/null | awk '$$1 == "SONAME" { print $$2 }')
LIBS       = $(filter-out -specs=%,$(shell pkg-config --libs \
	$(filter-out libcurl,$(PKGS)) 2>/dev/null))
SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

SRCS      := $(sort $(wildcard mailer/*.c))
# main*.c are the programs' mains; pipeline_proc.c is pipeline.c's
# stand-in in bulletin-fetch (the processing in a child)
LIB_SRCS  := $(filter-out mailer/main%.c mailer/pipeline_proc.c,$(SRCS))
OBJS      := $(LIB_SRCS:mailer/%.c=$(B)/%.o)
SAN_OBJS  := $(LIB_SRCS:mailer/%.c=$(B)/san/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNITS     := $(UNIT_SRCS:tests/unit/%.c=$(B)/%)
SAN_UNITS := $(UNIT_SRCS:tests/unit/%.c=$(B)/san/%)

.PHONY: all deps test-deps demo check unit e2e bench clean install check-style

all: $(B)/bulletin $(B)/bulletin-fetch $(B)/bulletin-work

# Installs the missing Debian packages (needs root; prints the command
# otherwise).
define install_missing
	@missing=""; for p in $(1); do \
		s=$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null); \
		[ "$$s" = installed ] || missing="$$missing $$p"; done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "missing Debian packages:$$missing; as root run: apt-get install$$missing" >&2; exit 1; fi; \
	echo "installing:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null
endef
deps:
	$(call install_missing,$(DEB_BUILD))
test-deps:
	$(call install_missing,$(DEB_TEST))

$(B)/%.o: mailer/%.c $(wildcard mailer/*.h) | $(B)
	@echo "  CC $@"; $(CC) $(ALL_CFLAGS) -c -o $@ $<
$(B)/san/%.o: mailer/%.c $(wildcard mailer/*.h) | $(B)/san
	@echo "  CC $@"; $(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<
$(B)/libbulletin.a: $(OBJS)
	rm -f $@ && ar rcs $@ $^
$(B)/san/libbulletin.a: $(SAN_OBJS)
	rm -f $@ && ar rcs $@ $^
# The starter configuration `bulletin init` writes, compiled in from the
# example that is also installed; paths follow PREFIX.
$(B)/conf_example.h: docs/bulletin.conf.example Makefile | $(B)
	@echo "  GEN $@"; { echo '#define CONF_EXAMPLE \'; \
	sed -e 's|/usr/local/share/bulletin|$(PREFIX)/share/bulletin|g' \
	    -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n" \\/' $<; \
	echo '""'; } >$@
$(B)/main.o: $(B)/conf_example.h
$(B)/bulletin: $(B)/main.o $(B)/libbulletin.a
	@echo "  CC $@"; $(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)
# The helpers link only the libraries they use: an object of the archive
# that needs another one fails the link (see worker.h).
$(B)/bulletin-fetch: $(B)/main_fetch.o $(B)/pipeline_proc.o $(B)/libbulletin.a
	@echo "  CC $@"; $(CC) $(ALL_CFLAGS) -o $@ $^ -Wl,--as-needed \
	$(shell pkg-config --libs sqlite3 gnutls libetpan glib-2.0 2>/dev/null)
$(B)/bulletin-work: $(B)/main_work.o $(B)/libbulletin.a
	@echo "  CC $@"; $(CC) $(ALL_CFLAGS) -o $@ $^ -Wl,--as-needed \
	$(filter-out -specs=%,$(shell pkg-config --libs gmime-3.0 libxml-2.0 \
	libhs libpcre2-8 2>/dev/null))
# fuzz.mk's $(B)/fuzz can make $(B) first: san/ has a rule of its own
$(B) $(B)/san:
	mkdir -p $@

$(B)/test_%: tests/unit/test_%.c tests/unit/unit.h $(B)/libbulletin.a
	@echo "  CC $@"; $(CC) $(ALL_CFLAGS) -Imailer -o $@ $< $(B)/libbulletin.a $(LIBS) -lcmocka
$(B)/san/test_%: tests/unit/test_%.c tests/unit/unit.h $(B)/san/libbulletin.a
	@echo "  CC $@"; $(CC) $(ALL_CFLAGS) $(SAN) -Imailer -o $@ $< $(B)/san/libbulletin.a $(LIBS) -lcmocka

# The main job on the bundled sample inbox: no servers, no config.  Then
# the same mail into a scratch store and this week's digest for a sample
# subscriber, written to files instead of sent.
demo: deps
	$(MAKE) all
	$(B)/bulletin classify --rules filters tests/fixtures/inbox
	@D=$$(mktemp -d /tmp/bulletin-demo.XXXXXX) && \
	printf '[digest]\ntemplates = templates\n' >$$D/bulletin.conf && \
	B="$(B)/bulletin --config $$D/bulletin.conf --store $$D/demo.db --rules filters" && \
	$$B ingest tests/fixtures/inbox && \
	$$B subscriber add member@example.org --name "Demo Member" --categories all && \
	$$B digest --period $$(date -u +%G-W%V) --dry-run --out $$D/digests && \
	echo "this week's digest for member@example.org: $$D/digests/member@example.org.eml" && \
	echo "its HTML part, for a browser: $$D/digests/member@example.org.html"

check: test-deps
	$(MAKE) all $(UNITS) $(SAN_UNITS) $(FUZZ_BINS)
	sh tests/run.sh $(B)

unit: $(UNITS) $(SAN_UNITS)
	sh tests/run.sh $(B) unit

bench: deps
	$(MAKE) all $(B)/gmime-baseline
	sh bench/run.sh $(B)

$(B)/gmime-baseline: bench/gmime_baseline.c | $(B)
	@echo "  CC $@"; $(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS)

check-style:
	@! grep -nE '\b(sprintf|strcpy|strcat|atoi|atol|strtok|gets)\s*\(' mailer/*.c mailer/*.h

# Everything under $(DESTDIR)$(PREFIX); the units' ExecStart and the
# example's paths follow PREFIX.  systemd reads units from
# /usr/local/lib/systemd/system too.
SHARE      = $(DESTDIR)$(PREFIX)/share/bulletin
MANDIR    ?= $(PREFIX)/share/man
UNITDIR   ?= $(PREFIX)/lib/systemd/system
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/filters $(SHARE)/templates \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(UNITDIR)
	install -m 755 $(B)/bulletin $(DESTDIR)$(PREFIX)/bin/bulletin
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 755 $(B)/bulletin-fetch $(B)/bulletin-work $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 filters/*.rules filters/*.inc filters/README.md $(SHARE)/filters/
	install -m 644 templates/*.txt templates/*.html $(SHARE)/templates/
	sed 's|/usr/local/share/bulletin|$(PREFIX)/share/bulletin|g' \
		docs/bulletin.conf.example >$(SHARE)/bulletin.conf.example
	for m in docs/bulletin.1 docs/bulletin.conf.5 docs/bulletin-rules.5; do \
		s=$${m##*.}; sed 's|/usr/local|$(PREFIX)|g' $$m \
			>$(DESTDIR)$(MANDIR)/man$$s/$${m#docs/} || exit 1; done
	for u in systemd/*.service systemd/*.timer; do \
		sed 's|/usr/local/bin/bulletin|$(PREFIX)/bin/bulletin|' $$u \
			>$(DESTDIR)$(UNITDIR)/$${u#systemd/} || exit 1; done

clean:
	rm -rf $(B)

include tests/fuzz/fuzz.mk

# The fault campaign against a real Dovecot and SMTP sink, in full (50
# kills of run and 50 of digest/send, 3000 messages, 1000 subscribers;
# FAULTS_KILLS, FAULTS_MSGS, FAULTS_SUBS, FAULTS_SEED change it), then
# the hostile-message measurements against the default [limits].  `make
# check` runs a short campaign (tests/e2e/faults.sh).
.PHONY: faults valgrind
faults: test-deps
	$(call install_missing,time)
	$(MAKE) all
	BULLETIN=$(CURDIR)/$(B)/bulletin bash tests/faults/campaign.sh
	sh tests/faults/limits.sh $(B)/bulletin

# The unit tests (plain build) and the end-to-end tests with bulletin
# under Valgrind (tests/valgrind.sh; library noise in tests/valgrind.supp).
valgrind: test-deps
	$(call install_missing,valgrind)
	$(MAKE) all $(UNITS) $(FUZZ_BINS)
	sh tests/valgrind.sh $(B)
