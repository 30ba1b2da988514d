/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share: where the
 * shipped rules and templates are, a private scratch directory, the
 * shipped rule set loaded once, and checks that abort on a broken
 * invariant (so libFuzzer reports it like a crash).
 */
#ifndef BULLETIN_FUZZ_H
#define BULLETIN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

/* libFuzzer's entry points. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Quiet logging, GMime set up, SIGPIPE ignored, stdout to /dev/null;
 * with $FUZZ_VERBOSE set, debug logging and stdout kept. */
void fuzz_init(void);

/* The repository: $BULLETIN_SRCDIR, else the one the fuzzer was built
 * from.  Returns srcdir/rel; caller frees. */
char *fuzz_src(const char *rel);

/* A private directory, made on first use and removed at exit. */
const char *fuzz_tmpdir(void);

/* Writes len bytes to fuzz_tmpdir()/name (mode 0600) and returns the
 * path (caller frees).  Aborts when it cannot. */
char *fuzz_write(const char *name, const void *data, size_t len);

/* The shipped filters/, loaded and compiled once; aborts when they do
 * not load. */
struct ruleset *fuzz_rules(void);

/* Splits data at the next occurrence of sep: *part_r and *plen_r get
 * what precedes it, *data and *size advance past it (or to the end).
 * Returns 0 when nothing was left to split. */
int fuzz_next_part(const uint8_t **data, size_t *size, const char *sep,
    const uint8_t **part_r, size_t *plen_r);

/* Checks a message compose.c built: CRLF line ends only, no line over
 * 998 octets, and at the top only the headers compose.h lists, each
 * once.  Aborts otherwise. */
void fuzz_check_composed(const char *msg, size_t len);

/* Checks s is strict UTF-8 (what every string of the message model
 * promises); aborts otherwise. */
void fuzz_check_utf8(const char *s, const char *what);

/* Aborts with what when cond is false: a broken invariant is a finding. */
#define FUZZ_CHECK(cond, what) \
	((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, (what)))
void fuzz_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));

#endif
