/* fuzz_util.c - see fuzz.h. */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "fuzz.h"
#include "log.h"
#include "message.h"
#include "util.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

static char *tmpdir;

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

void
fuzz_init(void)
{
	int verbose = getenv("FUZZ_VERBOSE") != NULL;

	log_init(verbose ? LOG_DEBUG : LOG_ERR, 0);
	message_init();
	signal(SIGPIPE, SIG_IGN);
	/* fetch and commands print summaries; libFuzzer talks on stderr */
	if (!verbose && !freopen("/dev/null", "w", stdout))
		fuzz_fail(__FILE__, __LINE__, "cannot reopen stdout");
}

char *
fuzz_src(const char *rel)
{
	const char *dir = getenv("BULLETIN_SRCDIR");

	return xasprintf("%s/%s", dir && *dir ? dir : FUZZ_SRCDIR, rel);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
rm_tmpdir(void)
{
	if (tmpdir)
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir)
		return tmpdir;
	if (!base || !*base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	tmpdir = xasprintf("%s/bulletin-fuzz.XXXXXX", base);
	if (!mkdtemp(tmpdir))
		fuzz_fail(__FILE__, __LINE__, "cannot make a scratch directory");
	atexit(rm_tmpdir);
	return tmpdir;
}

char *
fuzz_write(const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", fuzz_tmpdir(), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0)
		fuzz_fail(__FILE__, __LINE__, "cannot write a scratch file");
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			fuzz_fail(__FILE__, __LINE__, "short write");
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return path;
}

struct ruleset *
fuzz_rules(void)
{
	static struct ruleset *rs;
	struct classifier *cl;
	char *dir, *err = NULL;

	if (rs)
		return rs;
	dir = fuzz_src("filters");
	if (rules_load(dir, &rs, &err) < 0) {
		fprintf(stderr, "%s", err);
		fuzz_fail(__FILE__, __LINE__, "shipped rules do not load");
	}
	free(dir);
	/* compiles the databases once, outside any measured input */
	if (!(cl = classifier_new(rs)))
		fuzz_fail(__FILE__, __LINE__, "shipped rules do not compile");
	classifier_free(&cl);
	return rs;
}

int
fuzz_next_part(const uint8_t **data, size_t *size, const char *sep,
    const uint8_t **part_r, size_t *plen_r)
{
	size_t n = strlen(sep);
	const uint8_t *hit;

	if (!*data)
		return 0;
	*part_r = *data;
	hit = memmem(*data, *size, sep, n);
	if (!hit) {
		*plen_r = *size;
		*data = NULL;
		*size = 0;
		return 1;
	}
	*plen_r = (size_t)(hit - *data);
	*size -= *plen_r + n;
	*data = hit + n;
	return 1;
}

void
fuzz_check_utf8(const char *s, const char *what)
{
	if (s && !utf8_valid(s, strlen(s)))
		fuzz_fail(__FILE__, __LINE__, what);
}

void
fuzz_check_composed(const char *msg, size_t len)
{
	static const char *const allowed[] = { "From", "To", "Subject",
		"Date", "Message-Id", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding", "List-Id", "List-Unsubscribe",
		"List-Unsubscribe-Post", "Precedence", "Auto-Submitted" };
	unsigned seen[ARRAY_SIZE(allowed)] = { 0 };
	size_t i, start = 0, k;
	int in_head = 1;

	FUZZ_CHECK(strlen(msg) == len, "NUL inside a composed message");
	for (i = 0; i < len; i++) {
		if (msg[i] == '\r')
			FUZZ_CHECK(i + 1 < len && msg[i + 1] == '\n',
			    "bare CR in a composed message");
		if (msg[i] != '\n')
			continue;
		FUZZ_CHECK(i > 0 && msg[i - 1] == '\r',
		    "bare LF in a composed message");
		FUZZ_CHECK(i - 1 - start <= 998,
		    "line over 998 octets in a composed message");
		if (in_head && i - 1 == start) {
			in_head = 0;
		} else if (in_head && msg[start] != ' ' &&
		    msg[start] != '\t') {
			const char *colon = memchr(msg + start, ':',
			    i - start);

			FUZZ_CHECK(colon, "header line without a colon");
			for (k = 0; k < ARRAY_SIZE(allowed); k++)
				if (strlen(allowed[k]) ==
				    (size_t)(colon - (msg + start)) &&
				    !strncasecmp(msg + start, allowed[k],
				    strlen(allowed[k])))
					break;
			FUZZ_CHECK(k < ARRAY_SIZE(allowed),
			    "unexpected header in a composed message");
			FUZZ_CHECK(++seen[k] == 1,
			    "header twice in a composed message");
		}
		start = i + 1;
	}
	FUZZ_CHECK(len - start <= 998,
	    "last line over 998 octets in a composed message");
	FUZZ_CHECK(!in_head, "composed message without a body");
}
