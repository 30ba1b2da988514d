/*
 * gmime_baseline.c - bare GMime 3 parse-and-decode of a Maildir or an mbox,
 * the yardstick `bulletin classify` and `bulletin ingest` are measured
 * against in bench/run.sh.
 *
 * usage: gmime-baseline PATH
 *
 * PATH is a Maildir (a directory: every file in cur/ and new/ is parsed
 * from its own file stream) or an mbox (one parser in mbox mode over the
 * whole file).  Every message is walked, message/rfc822 parts included,
 * and every leaf is decoded: text parts to UTF-8 with
 * g_mime_text_part_get_text(), other parts through their transfer encoding
 * into a null stream.  Prints one line:
 *
 *	messages N bytes B seconds S decoded D
 *
 * B is the input size in bytes, S the wall time of parsing and decoding,
 * D the bytes of decoded content: a check that both paths did the same
 * work (an mbox decodes a little more, one '>' per escaped "From " line).
 * Exit status 0, or 1 when PATH cannot be read or no message parsed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

/* nesting limit for multiparts and forwards, as a real reader would have */
#define MAX_DEPTH 32

struct totals {
	unsigned long messages;
	unsigned long failed;
	unsigned long long bytes;
	unsigned long long decoded;	/* bytes of decoded leaf content */
	GMimeStream *null;		/* sink for non-text leaves; owned */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void decode_leaf(GMimePart *part, struct totals *t)
{
	GMimeDataWrapper *content;
	char *text;
	ssize_t n;

	if (GMIME_IS_TEXT_PART(part)) {
		text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
		if (text) {
			t->decoded += strlen(text);
			g_free(text);
		}
		return;
	}
	content = g_mime_part_get_content(part);
	if (!content)
		return;
	n = g_mime_data_wrapper_write_to_stream(content, t->null);
	if (n > 0)
		t->decoded += (unsigned long long)n;
}

static void walk(GMimeObject *obj, int depth, struct totals *t);

static void walk_message(GMimeMessage *msg, int depth, struct totals *t)
{
	GMimeObject *body;
	const char *subject;

	/* headers are decoded too: the subject comes back as UTF-8 */
	subject = g_mime_message_get_subject(msg);
	if (subject)
		t->decoded += strlen(subject);
	body = g_mime_message_get_mime_part(msg);
	if (body)
		walk(body, depth + 1, t);
}

static void walk(GMimeObject *obj, int depth, struct totals *t)
{
	GMimeMultipart *mp;
	GMimeMessage *inner;
	int i, count;

	if (depth > MAX_DEPTH)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		mp = GMIME_MULTIPART(obj);
		count = g_mime_multipart_get_count(mp);
		for (i = 0; i < count; i++)
			walk(g_mime_multipart_get_part(mp, i), depth + 1, t);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (inner)
			walk_message(inner, depth, t);
	} else if (GMIME_IS_PART(obj)) {
		decode_leaf(GMIME_PART(obj), t);
	}
}

/* Parses one message from parser; returns 1, or 0 when none could be. */
static int parse_one(GMimeParser *parser, struct totals *t)
{
	GMimeMessage *msg;

	msg = g_mime_parser_construct_message(parser, NULL);
	if (!msg)
		return 0;
	walk_message(msg, 0, t);
	g_object_unref(msg);
	t->messages++;
	return 1;
}

static int parse_file(const char *path, struct totals *t)
{
	GMimeStream *stream;
	GMimeParser *parser;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "gmime-baseline: cannot open '%s': %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0)
		t->bytes += (unsigned long long)st.st_size;
	stream = g_mime_stream_fs_new(fd);	/* owns fd from here */
	parser = g_mime_parser_new_with_stream(stream);
	if (!parse_one(parser, t)) {
		fprintf(stderr, "gmime-baseline: cannot parse '%s'\n", path);
		t->failed++;
	}
	g_object_unref(parser);
	g_object_unref(stream);
	return 0;
}

static int run_maildir(const char *path, struct totals *t)
{
	static const char *const subdirs[] = { "cur", "new" };
	char file[4096];
	struct dirent *de;
	size_t i;
	DIR *dir;
	int n, found = 0;

	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		n = snprintf(file, sizeof(file), "%s/%s", path, subdirs[i]);
		if (n < 0 || (size_t)n >= sizeof(file))
			return -1;
		dir = opendir(file);
		if (!dir)
			continue;
		found = 1;
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			n = snprintf(file, sizeof(file), "%s/%s/%s", path,
			    subdirs[i], de->d_name);
			if (n < 0 || (size_t)n >= sizeof(file)) {
				fprintf(stderr, "gmime-baseline: path too long "
				    "in '%s/%s'\n", path, subdirs[i]);
				t->failed++;
				continue;
			}
			parse_file(file, t);
		}
		closedir(dir);
	}
	if (!found) {
		fprintf(stderr, "gmime-baseline: '%s' has neither cur/ nor "
		    "new/\n", path);
		return -1;
	}
	return 0;
}

static int run_mbox(const char *path, struct totals *t)
{
	GMimeStream *stream;
	GMimeParser *parser;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "gmime-baseline: cannot open '%s': %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0)
		t->bytes = (unsigned long long)st.st_size;
	stream = g_mime_stream_fs_new(fd);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);
	while (!g_mime_parser_eos(parser)) {
		if (!parse_one(parser, t)) {
			/* the parser cannot resync after this: stop here */
			fprintf(stderr, "gmime-baseline: cannot parse '%s' "
			    "after message %lu\n", path, t->messages);
			t->failed++;
			break;
		}
	}
	g_object_unref(parser);
	g_object_unref(stream);
	return 0;
}

int main(int argc, char **argv)
{
	struct totals t = { 0 };
	struct stat st;
	double t0, t1;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: gmime-baseline MAILDIR|MBOX\n");
		return 2;
	}
	if (stat(argv[1], &st) < 0) {
		fprintf(stderr, "gmime-baseline: cannot open '%s': %s\n",
		    argv[1], strerror(errno));
		return 1;
	}
	g_mime_init();
	t.null = g_mime_stream_null_new();
	t0 = now();
	if (S_ISDIR(st.st_mode))
		ret = run_maildir(argv[1], &t);
	else
		ret = run_mbox(argv[1], &t);
	t1 = now();
	g_object_unref(t.null);
	g_mime_shutdown();
	if (ret < 0)
		return 1;
	printf("messages %lu bytes %llu seconds %.3f decoded %llu\n",
	    t.messages, t.bytes, t1 - t0, t.decoded);
	if (t.failed)
		fprintf(stderr, "gmime-baseline: %lu failed\n", t.failed);
	return t.messages ? 0 : 1;
}
