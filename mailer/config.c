/*
 * config.c - see config.h.  GKeyFile parses; this file only knows the
 * option table and where in the file each key stands, because GKeyFile
 * keeps no line numbers and a user wants to be told where the error is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"
#include "smtp.h"

#ifndef BULLETIN_SHAREDIR
#define BULLETIN_SHAREDIR "/usr/local/share/bulletin"
#endif

enum opt_type { OPT_STR, OPT_SIZE, OPT_UINT, OPT_BOOL };

struct opt {
	const char *section, *key;
	enum opt_type type;
	size_t off;             /* into struct config */
	long min, max;          /* for numbers */
};

#define OFF(f) offsetof(struct config, f)
static const struct opt opts[] = {
	{ "store", "path", OPT_STR, OFF(store_path), 0, 0 },
	{ "store", "keep_days", OPT_UINT, OFF(keep_days), 0, 36500 },
	{ "store", "lock_wait", OPT_UINT, OFF(lock_wait), 0, 3600 },
	{ "rules", "dir", OPT_STR, OFF(rules_dir), 0, 0 },
	{ "rules", "shipped", OPT_STR, OFF(rules_shipped), 0, 0 },
	{ "limits", "max_message_size", OPT_SIZE, OFF(lim.max_message_size),
	  1024, 1L << 30 },
	{ "limits", "max_parts", OPT_UINT, OFF(lim.max_parts), 1, 100000 },
	{ "limits", "max_depth", OPT_UINT, OFF(lim.max_depth), 1, 200 },
	{ "limits", "max_items", OPT_UINT, OFF(lim.max_items), 1, 100000 },
	{ "limits", "max_item_text", OPT_SIZE, OFF(lim.max_item_text), 256,
	  64L << 20 },
	{ "limits", "max_html", OPT_SIZE, OFF(lim.max_html), 1024, 1L << 30 },
	{ "limits", "max_header", OPT_SIZE, OFF(lim.max_header), 1024,
	  64L << 20 },
	{ "limits", "max_seconds", OPT_UINT, OFF(lim.max_seconds), 0, 86400 },
	{ "imap", "host", OPT_STR, OFF(imap.host), 0, 0 },
	{ "imap", "port", OPT_UINT, OFF(imap.port), 1, 65535 },
	{ "imap", "tls", OPT_STR, OFF(imap.tls_s), 0, 0 },
	{ "imap", "ca_file", OPT_STR, OFF(imap.ca_file), 0, 0 },
	{ "imap", "user", OPT_STR, OFF(imap.user), 0, 0 },
	{ "imap", "password_file", OPT_STR, OFF(imap.password_file), 0, 0 },
	{ "imap", "folders", OPT_STR, OFF(imap.folders_s), 0, 0 },
	{ "imap", "after", OPT_STR, OFF(imap.after_s), 0, 0 },
	{ "imap", "allow_plaintext", OPT_BOOL, OFF(imap.allow_plaintext),
	  0, 1 },
	{ "imap", "timeout", OPT_UINT, OFF(imap.timeout), 1, 3600 },
	{ "imap", "batch", OPT_UINT, OFF(imap.batch), 1, 10000 },
	{ "smtp", "url", OPT_STR, OFF(smtp.url), 0, 0 },
	{ "smtp", "tls", OPT_STR, OFF(smtp.tls_s), 0, 0 },
	{ "smtp", "ca_file", OPT_STR, OFF(smtp.ca_file), 0, 0 },
	{ "smtp", "user", OPT_STR, OFF(smtp.user), 0, 0 },
	{ "smtp", "password_file", OPT_STR, OFF(smtp.password_file), 0, 0 },
	{ "smtp", "from", OPT_STR, OFF(smtp.from), 0, 0 },
	{ "smtp", "timeout", OPT_UINT, OFF(smtp.timeout), 1, 3600 },
	{ "smtp", "rate", OPT_UINT, OFF(smtp.rate), 0, 1000 },
	{ "smtp", "allow_plaintext", OPT_BOOL, OFF(smtp.allow_plaintext),
	  0, 1 },
	{ "digest", "name", OPT_STR, OFF(digest.name), 0, 0 },
	{ "digest", "list_id", OPT_STR, OFF(digest.list_id), 0, 0 },
	{ "digest", "request_address", OPT_STR, OFF(digest.request_address),
	  0, 0 },
	{ "digest", "unsubscribe_url", OPT_STR, OFF(digest.unsubscribe_url),
	  0, 0 },
	{ "digest", "templates", OPT_STR, OFF(digest.templates), 0, 0 },
	{ "digest", "shipped_templates", OPT_STR, OFF(digest.shipped), 0, 0 },
	{ "digest", "order", OPT_STR, OFF(digest.order_s), 0, 0 },
	{ "digest", "empty", OPT_STR, OFF(digest.empty_s), 0, 0 },
	{ "digest", "forwarded", OPT_STR, OFF(digest.forwarded_s), 0, 0 },
	{ "digest", "domain", OPT_STR, OFF(digest.domain), 0, 0 },
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
	char *msg, *c;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* a quoted value may hold "\n" (GKeyFile unescapes it): one
	 * problem stays one line */
	for (c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
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
	cfg->keep_days = 400;
	cfg->lock_wait = 30;
	cfg->rules_dir = xstrdup(BULLETIN_SHAREDIR "/filters");
	cfg->rules_shipped = xstrdup(BULLETIN_SHAREDIR "/filters");
	cfg->lim = limits_default;
	cfg->imap.host = xstrdup("");
	cfg->imap.ca_file = xstrdup("");
	cfg->imap.user = xstrdup("");
	cfg->imap.password_file = xstrdup("");
	cfg->imap.tls_s = xstrdup("imaps");
	cfg->imap.folders_s = xstrdup("INBOX");
	cfg->imap.after_s = xstrdup("keep");
	cfg->imap.timeout = 60;
	cfg->imap.batch = 100;
	cfg->smtp.url = xstrdup("");
	cfg->smtp.tls_s = xstrdup("starttls");
	cfg->smtp.ca_file = xstrdup("");
	cfg->smtp.user = xstrdup("");
	cfg->smtp.password_file = xstrdup("");
	cfg->smtp.from = xstrdup("");
	cfg->smtp.timeout = 60;
	cfg->digest.name = xstrdup("Bulletin");
	cfg->digest.list_id = xstrdup("");
	cfg->digest.request_address = xstrdup("");
	cfg->digest.unsubscribe_url = xstrdup("");
	cfg->digest.templates = xstrdup(BULLETIN_SHAREDIR "/templates");
	cfg->digest.shipped = xstrdup(BULLETIN_SHAREDIR "/templates");
	cfg->digest.order_s = xstrdup("");
	cfg->digest.empty_s = xstrdup("skip");
	cfg->digest.forwarded_s = xstrdup("mark");
	cfg->digest.domain = xstrdup("");
}

/* A value that goes into a header or an SMTP command: no controls. */
static int
header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Turns the [smtp] and [digest] option strings into their parsed forms,
 * reporting bad values at their lines. */
static void
send_finish(struct config *cfg, const char *text, const char *path,
    struct buf *errs)
{
	struct smtp_conf *sc = &cfg->smtp;
	struct digest_conf *dc = &cfg->digest;
	char *p, *comma, *name;
	unsigned line;

	if (text) {
		sc->line_section = find_line(text, "smtp", NULL);
		sc->enabled = sc->line_section != 0;
		sc->line_url = find_line(text, "smtp", "url");
		sc->line_tls = find_line(text, "smtp", "tls");
		sc->line_from = find_line(text, "smtp", "from");
		sc->line_password_file = find_line(text, "smtp",
		    "password_file");
		sc->line_ca_file = find_line(text, "smtp", "ca_file");
		dc->line_section = find_line(text, "digest", NULL);
		dc->line_order = find_line(text, "digest", "order");
		dc->line_unsubscribe_url = find_line(text, "digest",
		    "unsubscribe_url");
	}
	if (!strcmp(sc->tls_s, "starttls"))
		sc->tls = SMTP_TLS_STARTTLS;
	else if (!strcmp(sc->tls_s, "smtps"))
		sc->tls = SMTP_TLS_SMTPS;
	else if (!strcmp(sc->tls_s, "none"))
		sc->tls = SMTP_TLS_NONE;
	else
		problem(errs, path, sc->line_tls, "tls must be starttls, smtps "
		    "or none, not '%s'", sc->tls_s);
	if (*sc->url && strncmp(sc->url, "smtp://", 7) &&
	    strncmp(sc->url, "smtps://", 8))
		problem(errs, path, sc->line_url, "url must start with "
		    "smtp:// or smtps://, not '%s'", sc->url);
	if (!header_safe(sc->from) || (*sc->from && !strchr(sc->from, '@')))
		problem(errs, path, sc->line_from, "from must be an e-mail "
		    "address");
	line = text ? find_line(text, "digest", "request_address") : 0;
	if (!header_safe(dc->request_address) || (*dc->request_address &&
	    !strchr(dc->request_address, '@')))
		problem(errs, path, line, "request_address must be an e-mail "
		    "address");
	if (*dc->unsubscribe_url && strncmp(dc->unsubscribe_url, "https://",
	    8))
		problem(errs, path, dc->line_unsubscribe_url, "unsubscribe_url "
		    "must start with https://");
	line = text ? find_line(text, "digest", "list_id") : 0;
	if (!header_safe(dc->list_id) || !header_safe(dc->name) ||
	    !header_safe(dc->domain) || !header_safe(dc->unsubscribe_url))
		problem(errs, path, line, "[digest] values must not hold "
		    "control characters");
	if (!strcmp(dc->empty_s, "skip"))
		dc->send_empty = 0;
	else if (!strcmp(dc->empty_s, "send"))
		dc->send_empty = 1;
	else
		problem(errs, path, text ? find_line(text, "digest", "empty") :
		    0, "empty must be skip or send, not '%s'", dc->empty_s);
	if (!strcmp(dc->forwarded_s, "mark"))
		dc->omit_forwarded = 0;
	else if (!strcmp(dc->forwarded_s, "omit"))
		dc->omit_forwarded = 1;
	else
		problem(errs, path, text ? find_line(text, "digest",
		    "forwarded") : 0, "forwarded must be mark or omit, not "
		    "'%s'", dc->forwarded_s);
	for (p = dc->order_s; p && *p; p = comma ? comma + 1 : NULL) {
		size_t n;

		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		name = str_squeeze(p, n);
		if (!*name || !header_safe(name)) {
			problem(errs, path, dc->line_order, "order must be a "
			    "comma-separated list of category ids");
			free(name);
			break;
		}
		xgrow(&dc->order, dc->n_order, &dc->n_order_cap,
		    sizeof(*dc->order));
		dc->order[dc->n_order++] = name;
	}
}

static int
parse_bool(const char *v, int *b_r)
{
	static const char *const yes[] = { "true", "yes", "1" };
	static const char *const no[] = { "false", "no", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(v, yes[i])) {
			*b_r = 1;
			return 0;
		}
		if (!strcmp(v, no[i])) {
			*b_r = 0;
			return 0;
		}
	}
	return -1;
}

/* GKeyFile knows only whole-line comments, so "port = 993  # imaps"
 * would be a bad number and "from = a@b.org # ours" a bad address taken
 * silently.  Free text (the list's name) may hold " #". */
static int
trailing_comment(const struct opt *o, const char *v)
{
	if (!strcmp(o->section, "digest") && (!strcmp(o->key, "name") ||
	    !strcmp(o->key, "list_id")))
		return 0;
	return strstr(v, " #") || strstr(v, "\t#");
}

/* A mailbox name goes into IMAP commands: not empty, no controls. */
static int
folder_ok(const char *s)
{
	return *s && header_safe(s);
}

/* Turns the [imap] option strings into their parsed forms, reporting bad
 * values at their lines. */
static void
imap_finish(struct config *cfg, const char *text, const char *path,
    struct buf *errs)
{
	struct imap_config *ic = &cfg->imap;
	char *p, *comma, *name;

	if (text) {
		ic->enabled = find_line(text, "imap", NULL) != 0;
		ic->line_section = find_line(text, "imap", NULL);
		ic->line_host = find_line(text, "imap", "host");
		ic->line_user = find_line(text, "imap", "user");
		ic->line_tls = find_line(text, "imap", "tls");
		ic->line_password_file = find_line(text, "imap",
		    "password_file");
		ic->line_ca_file = find_line(text, "imap", "ca_file");
	}
	if (!strcmp(ic->tls_s, "imaps"))
		ic->tls = IMAP_TLS_IMAPS;
	else if (!strcmp(ic->tls_s, "starttls"))
		ic->tls = IMAP_TLS_STARTTLS;
	else if (!strcmp(ic->tls_s, "none"))
		ic->tls = IMAP_TLS_NONE;
	else
		problem(errs, path, ic->line_tls, "tls must be imaps, starttls "
		    "or none, not '%s'", ic->tls_s);
	if (!ic->port)
		ic->port = ic->tls == IMAP_TLS_IMAPS ? 993 : 143;

	if (!strcmp(ic->after_s, "keep")) {
		ic->after = IMAP_AFTER_KEEP;
	} else if (!strcmp(ic->after_s, "seen")) {
		ic->after = IMAP_AFTER_SEEN;
	} else if (!strncmp(ic->after_s, "move:", 5) &&
	    folder_ok(ic->after_s + 5)) {
		ic->after = IMAP_AFTER_MOVE;
		ic->after_folder = xstrdup(ic->after_s + 5);
	} else {
		problem(errs, path, text ? find_line(text, "imap", "after") : 0,
		    "after must be keep, seen or move:FOLDER, not '%s'",
		    ic->after_s);
	}

	for (p = ic->folders_s; p; p = comma ? comma + 1 : NULL) {
		size_t n;

		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		name = str_squeeze(p, n);
		if (!folder_ok(name)) {
			problem(errs, path, text ?
			    find_line(text, "imap", "folders") : 0,
			    "folders must be a comma-separated list of "
			    "folder names");
			free(name);
			break;
		}
		xgrow(&ic->folders, ic->n_folders, &ic->n_folders_cap,
		    sizeof(*ic->folders));
		ic->folders[ic->n_folders++] = name;
	}
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
	cfg->dir = strrchr(path, '/') ? xstrndup(path,
	    (size_t)(strrchr(path, '/') - path + (path[0] == '/' &&
	    strrchr(path, '/') == path))) : xstrdup(".");
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
			} else if (v && trailing_comment(o, v)) {
				problem(&errs, path, line, "a comment goes on "
				    "a line of its own: '#' after a value is "
				    "part of the value");
			} else if (o->type == OPT_STR) {
				free(*(char **)dst);
				*(char **)dst = xstrdup(v ? v : "");
			} else if (o->type == OPT_BOOL) {
				if (!v || parse_bool(v, (int *)dst) < 0)
					problem(&errs, path, line, "%s must be "
					    "true or false", o->key);
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
	imap_finish(cfg, text, path, &errs);
	send_finish(cfg, text, path, &errs);
	goto done;
out:
	imap_finish(cfg, NULL, path ? path : "", &errs);
	send_finish(cfg, NULL, path ? path : "", &errs);
done:
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

static void
imap_config_free(struct imap_config *ic)
{
	size_t i;

	free(ic->host);
	free(ic->ca_file);
	free(ic->user);
	free(ic->password_file);
	for (i = 0; i < ic->n_folders; i++)
		free(ic->folders[i]);
	free(ic->folders);
	free(ic->after_folder);
	free(ic->tls_s);
	free(ic->folders_s);
	free(ic->after_s);
}

static void
send_config_free(struct config *cfg)
{
	struct smtp_conf *sc = &cfg->smtp;
	struct digest_conf *dc = &cfg->digest;
	size_t i;

	free(sc->url);
	free(sc->tls_s);
	free(sc->ca_file);
	free(sc->user);
	free(sc->password_file);
	free(sc->from);
	free(dc->name);
	free(dc->list_id);
	free(dc->request_address);
	free(dc->unsubscribe_url);
	free(dc->templates);
	free(dc->shipped);
	for (i = 0; i < dc->n_order; i++)
		free(dc->order[i]);
	free(dc->order);
	free(dc->order_s);
	free(dc->empty_s);
	free(dc->forwarded_s);
	free(dc->domain);
}

void
config_free(struct config *cfg)
{
	free(cfg->path);
	free(cfg->dir);
	free(cfg->store_path);
	free(cfg->rules_dir);
	free(cfg->rules_shipped);
	imap_config_free(&cfg->imap);
	send_config_free(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

int
config_host_is_loopback(const char *host)
{
	unsigned char addr[16];
	char tmp[64];
	size_t n = strlen(host);

	if (!strcasecmp(host, "localhost") || !strcasecmp(host, "localhost."))
		return 1;
	if (inet_pton(AF_INET, host, addr) == 1)
		return addr[0] == 127;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' &&
	    n - 2 < sizeof(tmp)) {
		memcpy(tmp, host + 1, n - 2);
		tmp[n - 2] = '\0';
		host = tmp;
	}
	if (inet_pton(AF_INET6, host, addr) == 1)
		return !memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	return 0;
}

static char *
password_path(const struct config *cfg, const char *file, const char *name)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");

	if (file && *file)
		return xstrdup(file);
	if (dir && *dir)
		return xasprintf("%s/%s", dir, name);
	if (cfg->dir)
		return xasprintf("%s/%s", cfg->dir, name);
	return NULL;
}

char *
config_password_path(const struct config *cfg)
{
	return password_path(cfg, cfg->imap.password_file, "imap.pass");
}

void
config_password_free(char **pass)
{
	if (!*pass)
		return;
	explicit_bzero(*pass, strlen(*pass));
	free(*pass);
	*pass = NULL;
}

char *
config_smtp_password_path(const struct config *cfg)
{
	return password_path(cfg, cfg->smtp.password_file, "smtp.pass");
}

/* The host of an smtp:// or smtps:// URL, for the loopback test; caller
 * frees. */
static char *
url_host(const char *url)
{
	const char *p = strstr(url, "://"), *end;

	if (!p)
		return xstrdup("");
	p += 3;
	if (strchr(p, '@') && strchr(p, '@') < p + strcspn(p, "/"))
		p = strchr(p, '@') + 1;
	if (*p == '[') {
		end = strchr(p, ']');
		return end ? xstrndup(p, (size_t)(end - p + 1)) : xstrdup(p);
	}
	end = p + strcspn(p, ":/");
	return xstrndup(p, (size_t)(end - p));
}

/* [smtp]'s share of config_check(). */
static void
check_smtp_section(const struct config *cfg, const char *file,
    struct buf *errs)
{
	const struct smtp_conf *sc = &cfg->smtp;
	char *pass = NULL, *err = NULL, *ppath = NULL, *host = NULL;

	if (!sc->enabled)
		return;
	if (!*sc->url)
		problem(errs, file, sc->line_section, "[smtp] needs a url");
	if (!*sc->from)
		problem(errs, file, sc->line_section, "[smtp] needs a from "
		    "address");
	host = url_host(sc->url);
	if (sc->tls == SMTP_TLS_NONE && *host && !sc->allow_plaintext &&
	    !config_host_is_loopback(host))
		problem(errs, file, sc->line_tls, "tls = none would send mail "
		    "in clear to '%s', which is not loopback; use starttls or "
		    "smtps, or set allow_plaintext = true", host);
	if (*sc->ca_file && access(sc->ca_file, R_OK) < 0)
		problem(errs, file, sc->line_ca_file, "cannot read ca_file "
		    "'%s': %s", sc->ca_file, strerror(errno));
	if (*sc->user) {
		ppath = config_smtp_password_path(cfg);
		if (!ppath) {
			problem(errs, file, sc->line_section, "[smtp] user "
			    "needs a password_file (or "
			    "$CREDENTIALS_DIRECTORY/smtp.pass)");
		} else if (config_password_read(ppath, &pass, &err) < 0) {
			problem(errs, file, *sc->password_file ?
			    sc->line_password_file : sc->line_section, "%s",
			    err);
			free(err);
		}
	}
	config_password_free(&pass);
	free(ppath);
	free(host);
}

int
config_password_read(const char *path, char **pass_r, char **err_r)
{
	char *buf = xmalloc(CONFIG_PASSWORD_MAX + 2);
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd = -1;
	int ret = -1;

	*pass_r = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*err_r = xasprintf("cannot read password file '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		*err_r = xasprintf("password file '%s' is not a regular file",
		    path);
		goto out;
	}
	if (sb.st_mode & 077) {
		*err_r = xasprintf("password file '%s' is readable by others "
		    "(mode %04o; chmod 600 it)", path,
		    (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	/* one byte over the maximum tells a long file from a full one */
	while (len < CONFIG_PASSWORD_MAX + 1) {
		n = read(fd, buf + len, CONFIG_PASSWORD_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err_r = xasprintf("cannot read password file '%s': %s",
			    path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONFIG_PASSWORD_MAX) {
		*err_r = xasprintf("password file '%s' is longer than %d bytes",
		    path, CONFIG_PASSWORD_MAX);
		goto out;
	}
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (!len) {
		*err_r = xasprintf("password file '%s' is empty", path);
		goto out;
	}
	if (strlen(buf) != len || strpbrk(buf, "\r\n")) {
		*err_r = xasprintf("password file '%s' must hold one line",
		    path);
		goto out;
	}
	*pass_r = buf;
	buf = NULL;
	ret = 0;
out:
	if (buf) {
		explicit_bzero(buf, CONFIG_PASSWORD_MAX + 2);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

int
config_check(const struct config *cfg, char **report_r)
{
	const struct imap_config *ic = &cfg->imap;
	const char *file = cfg->path ? cfg->path : "(defaults)";
	struct buf errs = BUF_INIT(0);
	char *pass = NULL, *err = NULL, *ppath = NULL;

	*report_r = NULL;
	check_smtp_section(cfg, file, &errs);
	if (!ic->enabled)
		goto out;
	if (!*ic->host)
		problem(&errs, file, ic->line_section,
		    "[imap] needs a host");
	if (!*ic->user)
		problem(&errs, file, ic->line_section,
		    "[imap] needs a user");
	if (ic->tls == IMAP_TLS_NONE && *ic->host && !ic->allow_plaintext &&
	    !config_host_is_loopback(ic->host))
		problem(&errs, file, ic->line_tls, "tls = none would send the "
		    "password in clear to '%s', which is not loopback; use "
		    "imaps or starttls, or set allow_plaintext = true",
		    ic->host);
	if (*ic->ca_file && access(ic->ca_file, R_OK) < 0)
		problem(&errs, file, ic->line_ca_file, "cannot read ca_file "
		    "'%s': %s", ic->ca_file, strerror(errno));
	ppath = config_password_path(cfg);
	if (!ppath) {
		problem(&errs, file, ic->line_section, "[imap] needs a "
		    "password_file (or $CREDENTIALS_DIRECTORY/imap.pass)");
	} else if (config_password_read(ppath, &pass, &err) < 0) {
		problem(&errs, file, *ic->password_file ?
		    ic->line_password_file : ic->line_section, "%s", err);
		free(err);
	}
	config_password_free(&pass);
	free(ppath);
out:
	if (errs.len) {
		*report_r = buf_detach(&errs);
		return -1;
	}
	return 0;
}
