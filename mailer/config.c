/*
 * config.c - see config.h.  GKeyFile parses; this file only knows the
 * option table and where in the file each key stands, because GKeyFile
 * keeps no line numbers and a user wants to be told where the error is.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "config.h"

#ifndef BULLETIN_SHAREDIR
#define BULLETIN_SHAREDIR "/usr/local/share/bulletin"
#endif

enum opt_type { OPT_STR, OPT_SIZE, OPT_UINT };

struct opt {
	const char *section, *key;
	enum opt_type type;
	size_t off;             /* into struct config */
	long min, max;          /* for numbers */
};

#define OFF(f) offsetof(struct config, f)
static const struct opt opts[] = {
	{ "store", "path", OPT_STR, OFF(store_path), 0, 0 },
	{ "rules", "dir", OPT_STR, OFF(rules_dir), 0, 0 },
	{ "limits", "max_message_size", OPT_SIZE, OFF(lim.max_message_size),
	  1024, 1L << 30 },
	{ "limits", "max_parts", OPT_UINT, OFF(lim.max_parts), 1, 100000 },
	{ "limits", "max_depth", OPT_UINT, OFF(lim.max_depth), 1, 200 },
	{ "limits", "max_items", OPT_UINT, OFF(lim.max_items), 1, 100000 },
	{ "limits", "max_item_text", OPT_SIZE, OFF(lim.max_item_text), 256,
	  64L << 20 },
	{ "limits", "max_html", OPT_SIZE, OFF(lim.max_html), 1024, 1L << 30 },
};

/* Line of "[section]" (key NULL) or of "key =" inside it; 0 if unknown. */
static unsigned
find_line(const char *text, const char *section, const char *key)
{
	const char *p = text;
	unsigned line = 0, found = 0;
	int in = 0;

	while (p && *p) {
		const char *eol = strchr(p, '\n'), *s = p;
		size_t n;

		line++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '[') {
			n = strlen(section);
			in = !strncmp(s + 1, section, n) && s[1 + n] == ']';
			if (in && !key)
				return line;
		} else if (in && key) {
			n = strlen(key);
			if (!strncmp(s, key, n) &&
			    strspn(s + n, " \t") + s + n < (eol ? eol : s + strlen(s)) &&
			    s[n + strspn(s + n, " \t")] == '=')
				found = line;
		}
		p = eol ? eol + 1 : NULL;
	}
	return found;
}

static void problem(struct buf *errs, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
problem(struct buf *errs, const char *file, unsigned line, const char *fmt,
    ...)
{
	char *msg;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_printf(errs, "%s:%u: %s\n", file, line, msg);
	free(msg);
}

static const struct opt *
opt_find(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opts); i++)
		if (!strcmp(opts[i].section, section) &&
		    (!key || !strcmp(opts[i].key, key)))
			return &opts[i];
	return NULL;
}

static void
set_defaults(struct config *cfg)
{
	const char *home = getenv("STATE_DIRECTORY");

	/* systemd's StateDirectory= when there, the FHS place otherwise */
	cfg->store_path = home && *home ?
	    xasprintf("%s/bulletin.db", home) :
	    xstrdup("/var/lib/bulletin/bulletin.db");
	cfg->rules_dir = xstrdup(BULLETIN_SHAREDIR "/filters");
	cfg->lim = limits_default;
}

int
config_load(const char *path, struct config *cfg, char **err_r)
{
	struct buf errs = BUF_INIT(0);
	GKeyFile *kf = NULL;
	GError *gerr = NULL;
	gchar *text = NULL, **groups = NULL, **keys;
	gsize len;
	size_t i, j;
	int explicit = path != NULL;

	memset(cfg, 0, sizeof(*cfg));
	set_defaults(cfg);
	if (!path && (path = getenv("BULLETIN_CONFIG")) && *path)
		explicit = 1;
	if (!path || !*path)
		path = CONFIG_DEFAULT_PATH;
	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		if (!explicit && g_error_matches(gerr, G_FILE_ERROR,
		    G_FILE_ERROR_NOENT))
			goto out;
		buf_printf(&errs, "%s:0: cannot read: %s\n", path,
		    gerr->message);
		goto out;
	}
	cfg->path = xstrdup(path);
	kf = g_key_file_new();
	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &gerr)) {
		buf_printf(&errs, "%s:0: %s\n", path, gerr->message);
		goto out;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (i = 0; groups[i]; i++) {
		if (!opt_find(groups[i], NULL)) {
			problem(&errs, path, find_line(text, groups[i], NULL),
			    "unknown section '%s'", groups[i]);
			continue;
		}
		keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		for (j = 0; keys && keys[j]; j++) {
			const struct opt *o = opt_find(groups[i], keys[j]);
			unsigned line = find_line(text, groups[i], keys[j]);
			gchar *v = g_key_file_get_string(kf, groups[i], keys[j],
			    NULL);
			char *dst = (char *)cfg + (o ? o->off : 0);
			long n;

			if (!o) {
				problem(&errs, path, line,
				    "unknown key '%s' in section '%s'",
				    keys[j], groups[i]);
			} else if (o->type == OPT_STR) {
				free(*(char **)dst);
				*(char **)dst = xstrdup(v ? v : "");
			} else if (!v || parse_long(v, o->min, o->max, &n) < 0) {
				problem(&errs, path, line, "%s must be a "
				    "number from %ld to %ld", o->key, o->min,
				    o->max);
			} else if (o->type == OPT_SIZE) {
				*(size_t *)dst = (size_t)n;
			} else {
				*(unsigned *)dst = (unsigned)n;
			}
			g_free(v);
		}
		g_strfreev(keys);
	}
out:
	if (gerr)
		g_error_free(gerr);
	g_strfreev(groups);
	if (kf)
		g_key_file_free(kf);
	g_free(text);
	if (errs.len) {
		*err_r = buf_detach(&errs);
		return -1;
	}
	return 0;
}

void
config_free(struct config *cfg)
{
	free(cfg->path);
	free(cfg->store_path);
	free(cfg->rules_dir);
	memset(cfg, 0, sizeof(*cfg));
}
