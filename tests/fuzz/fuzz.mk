# tests/fuzz/fuzz.mk - libFuzzer targets (tests/fuzz/README.md), included
# by the Makefile.  The mailer/ sources are compiled again with clang and
# -fsanitize=fuzzer-no-link,address,undefined into $(B)/fuzz/; each
# target links one tests/fuzz/fuzz_NAME.c against them.
#
#   make fuzz                         every target for FUZZ_SECONDS (60)
#   make fuzz FUZZ_TARGETS=imap FUZZ_SECONDS=600
#
# `make check` builds them and tests/e2e/fuzz.sh replays every seed and
# stored crash reproducer.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= message rules template config imap commands
FUZZ_WORK    ?= /var/tmp/bulletin-fuzz
FUZZ_ALL     := message rules template config imap commands
FUZZ_BINS    := $(FUZZ_ALL:%=$(B)/fuzz/fuzz_%)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# gcc's -Werror guards the sources; clang's own warnings are shown, not
# fatal, so a new clang cannot break `make check`
FUZZ_CFLAGS   = $(filter-out -Werror,$(ALL_CFLAGS)) $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link
FUZZ_OBJS    := $(LIB_SRCS:mailer/%.c=$(B)/fuzz/%.o)

.PHONY: fuzz fuzz-build

$(B)/fuzz/%.o: mailer/%.c $(wildcard mailer/*.h) | $(B)/fuzz
	@echo "  FUZZCC $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
$(B)/fuzz/libbulletin.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^
$(B)/fuzz/fuzz_util.o: tests/fuzz/fuzz_util.c tests/fuzz/fuzz.h \
    $(wildcard mailer/*.h) | $(B)/fuzz
	@echo "  FUZZCC $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -Imailer \
		-DFUZZ_SRCDIR='"$(CURDIR)"' -c -o $@ $<
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h \
    $(B)/fuzz/fuzz_util.o $(B)/fuzz/libbulletin.a
	@echo "  FUZZLD $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -Imailer \
		-fsanitize=fuzzer -o $@ $< $(B)/fuzz/fuzz_util.o \
		$(B)/fuzz/libbulletin.a $(LIBS)
$(B)/fuzz:
	mkdir -p $@

fuzz-build: $(FUZZ_BINS)

# Working corpora and findings live in $(FUZZ_WORK), never in the tree;
# tests/fuzz/minimise.sh merges what is worth keeping into the seeds.
fuzz: test-deps
	$(MAKE) fuzz-build
	sh tests/fuzz/run.sh $(B)/fuzz $(FUZZ_SECONDS) $(FUZZ_WORK) $(FUZZ_TARGETS)
