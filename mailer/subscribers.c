/*
 * subscribers.c - see subscribers.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sysexits.h>
#include <time.h>

#include "compose.h"
#include "json.h"
#include "log.h"
#include "outbox.h"
#include "subscribers.h"
#include "template.h"
#include "util.h"

static const char *const mode_names[] = {
	[SUB_NONE] = "none",
	[SUB_WEEKLY] = "weekly",
	[SUB_DAILY] = "daily",
	[SUB_INSTANT] = "instant",
};

const char *
subscribers_mode_name(enum sub_mode m)
{
	if ((size_t)m >= ARRAY_SIZE(mode_names))
		return "none";
	return mode_names[m];
}

int
subscribers_mode_parse(const char *s, enum sub_mode *m_r)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mode_names); i++) {
		if (!strcmp(s, mode_names[i])) {
			*m_r = (enum sub_mode)i;
			return 0;
		}
	}
	return -1;
}

int
subscribers_address_ok(const char *addr)
{
	const char *at = strrchr(addr, '@'), *p;
	size_t len = strlen(addr);
	int label = 0;

	if (!at || at == addr || len > SUB_MAX_ADDRESS || at - addr > 64)
		return 0;
	for (p = addr; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"@", c))
			return 0;
	}
	if (addr[0] == '.' || at[-1] == '.' || strstr(addr, ".."))
		return 0;
	/* the domain: labels of letters, digits and inner hyphens */
	for (p = at + 1; ; p++) {
		if (*p == '.' || !*p) {
			if (!label || p[-1] == '-')
				return 0;
			if (!*p)
				break;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && !(*p == '-' && label))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

char *
subscribers_address_of(const char *from)
{
	const char *lt = strrchr(from, '<'), *gt;
	char *a;

	if (lt && (gt = strchr(lt, '>')))
		a = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	else
		a = str_squeeze(from, strlen(from));
	if (!subscribers_address_ok(a)) {
		free(a);
		return NULL;
	}
	return a;
}

int
subscribers_token_new(char tok[SUB_TOKEN_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[SUB_TOKEN_LEN / 2];
	size_t got = 0, i;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_errno(LOG_ERR, "cannot get random bytes");
			return -1;
		}
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(r); i++) {
		tok[2 * i] = hex[r[i] >> 4];
		tok[2 * i + 1] = hex[r[i] & 0xf];
	}
	tok[SUB_TOKEN_LEN] = '\0';
	explicit_bzero(r, sizeof(r));
	return 0;
}

int
subscribers_token_ok(const char *s)
{
	size_t i;

	for (i = 0; i < SUB_TOKEN_LEN; i++)
		if (!s[i] || !strchr("0123456789abcdef", s[i]))
			return 0;
	return s[i] == '\0';
}

void
subscribers_strv_free(char ***v, size_t n)
{
	size_t i;

	if (!*v)
		return;
	for (i = 0; i < n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
}

static int
strv_has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

int
subscribers_parse_categories(const char *list, const struct ruleset *rs,
    char ***ids_r, size_t *n_r, char **err_r)
{
	char **v = NULL, *id = NULL;
	size_t n = 0, cap = 0, i;
	const char *p = list;
	int ret = -1;

	*ids_r = NULL;
	*n_r = 0;
	while (*p) {
		size_t len;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (!len)
			break;
		id = xstrndup(p, len);
		p += len;
		if (!strcmp(id, "all")) {
			for (i = 0; i < rules_ncategories(rs); i++) {
				const char *c = rules_category_id(rs, i);

				if (strv_has(v, n, c))
					continue;
				xgrow(&v, n, &cap, sizeof(*v));
				v[n++] = xstrdup(c);
			}
		} else if (rules_category_find(rs, id) < 0) {
			*err_r = xasprintf("unknown category '%s'", id);
			goto out;
		} else if (!strv_has(v, n, id)) {
			if (n >= SUB_MAX_CATEGORIES) {
				*err_r = xasprintf("more than %d categories",
				    SUB_MAX_CATEGORIES);
				goto out;
			}
			xgrow(&v, n, &cap, sizeof(*v));
			v[n++] = id;
			id = NULL;
		}
		free(id);
		id = NULL;
	}
	if (!n) {
		*err_r = xstrdup("no category given");
		goto out;
	}
	*ids_r = v;
	*n_r = n;
	v = NULL;
	ret = 0;
out:
	free(id);
	subscribers_strv_free(&v, n);
	return ret;
}

void
subscribers_command_clear(struct sub_command *c)
{
	free(c->args);
	explicit_bzero(c->token, sizeof(c->token));
	memset(c, 0, sizeof(*c));
}

/* 1 when s is a non-empty run of [a-z0-9_-] ids separated by commas or
 * spaces (what a category list may look like), else 0. */
static int
id_list_ok(const char *s)
{
	int any = 0;

	for (; *s; s++) {
		if (islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		    *s == '_' || *s == '-')
			any = 1;
		else if (*s != ',' && *s != ' ')
			return 0;
	}
	return any;
}

enum sub_cmd
subscribers_parse_command(const char *subject, struct sub_command *c_r)
{
	static const struct { const char *word; enum sub_cmd cmd; } words[] = {
		{ "subscribe", SUB_CMD_SUBSCRIBE },
		{ "confirm", SUB_CMD_CONFIRM },
		{ "unsubscribe", SUB_CMD_UNSUBSCRIBE },
	};
	char *s = str_squeeze(subject, strlen(subject));
	char *p = s, *rest;
	enum sub_cmd cmd = SUB_CMD_NONE;
	size_t i, len;

	memset(c_r, 0, sizeof(*c_r));
	/* a reply or forward of our own confirmation message */
	for (;;) {
		if (str_has_prefix_ci(p, "re:"))
			p += 3;
		else if (str_has_prefix_ci(p, "fwd:"))
			p += 4;
		else if (str_has_prefix_ci(p, "fw:"))
			p += 3;
		else
			break;
		p += strspn(p, " ");
	}
	len = strcspn(p, " ");
	rest = p + len + strspn(p + len, " ");
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (len == strlen(words[i].word) &&
		    !strncasecmp(p, words[i].word, len))
			cmd = words[i].cmd;
	switch (cmd) {
	case SUB_CMD_NONE:
		break;
	case SUB_CMD_SUBSCRIBE:
		if (!*rest)
			break;
		if (!id_list_ok(rest)) {
			cmd = SUB_CMD_NONE;
			break;
		}
		c_r->args = xstrdup(rest);
		break;
	case SUB_CMD_CONFIRM:
	case SUB_CMD_UNSUBSCRIBE:
		len = strcspn(rest, " ");
		if (len != SUB_TOKEN_LEN) {
			cmd = SUB_CMD_NONE;
			break;
		}
		memcpy(c_r->token, rest, len);
		c_r->token[len] = '\0';
		if (!subscribers_token_ok(c_r->token)) {
			cmd = SUB_CMD_NONE;
			break;
		}
		rest += len;
		rest += strspn(rest, " ");
		if (!*rest)
			break;
		/* only unsubscribe takes one more word: a category id */
		if (cmd == SUB_CMD_CONFIRM || strchr(rest, ' ') ||
		    strchr(rest, ',') || !id_list_ok(rest)) {
			cmd = SUB_CMD_NONE;
			break;
		}
		c_r->args = xstrdup(rest);
		break;
	}
	if (cmd == SUB_CMD_NONE)
		subscribers_command_clear(c_r);
	c_r->cmd = cmd;
	free(s);
	return cmd;
}

/* Appends cat/mode, or changes cat's mode when it is there. */
static void
plan_put(char ***cats, char ***modes, size_t *n, size_t *cap,
    const char *cat, const char *mode)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (!strcmp((*cats)[i], cat)) {
			free((*modes)[i]);
			(*modes)[i] = xstrdup(mode);
			return;
		}
	}
	if (*n == *cap) {
		size_t c = *cap;

		xgrow(cats, *n, &c, sizeof(**cats));
		xgrow(modes, *n, cap, sizeof(**modes));
	}
	(*cats)[*n] = xstrdup(cat);
	(*modes)[*n] = xstrdup(mode);
	(*n)++;
}

int
subscribers_plan(const struct ruleset *rs, const struct store_sub *cur,
    const char *categories, const char *mode, const char *instant,
    char ***cats_r, char ***modes_r, size_t *n_r, char **err_r,
    int *usage_r)
{
	char **dig = NULL, **inst = NULL, **cats = NULL, **modes = NULL;
	size_t n_dig = 0, n_inst = 0, n = 0, cap = 0, cap_d = 0, cap_i = 0, i;
	const char *dmode = "weekly";
	enum sub_mode m;
	int ret = -1;

	*usage_r = 0;
	if (mode) {
		if (subscribers_mode_parse(mode, &m) < 0 ||
		    (m != SUB_WEEKLY && m != SUB_DAILY)) {
			*err_r = xasprintf("--mode must be weekly or daily, "
			    "not '%s'", mode);
			*usage_r = 1;
			goto out;
		}
		dmode = mode;
	} else if (cur) {
		for (i = 0; i < cur->n_cats; i++)
			if (strcmp(cur->cats[i].mode, "instant"))
				dmode = cur->cats[i].mode;
	}
	if (categories) {
		if (subscribers_parse_categories(categories, rs, &dig, &n_dig,
		    err_r) < 0)
			goto out;
	} else if (cur) {
		for (i = 0; i < cur->n_cats; i++) {
			xgrow(&dig, n_dig, &cap_d, sizeof(*dig));
			dig[n_dig++] = xstrdup(cur->cats[i].category);
		}
	} else if (subscribers_parse_categories("all", rs, &dig, &n_dig,
	    err_r) < 0) {
		goto out;
	}
	if (instant) {
		if (*instant && strcmp(instant, "none") &&
		    subscribers_parse_categories(instant, rs, &inst, &n_inst,
		    err_r) < 0)
			goto out;
	} else if (cur) {
		for (i = 0; i < cur->n_cats; i++) {
			if (strcmp(cur->cats[i].mode, "instant"))
				continue;
			xgrow(&inst, n_inst, &cap_i, sizeof(*inst));
			inst[n_inst++] = xstrdup(cur->cats[i].category);
		}
	}
	for (i = 0; i < n_dig; i++)
		plan_put(&cats, &modes, &n, &cap, dig[i], dmode);
	for (i = 0; i < n_inst; i++)
		plan_put(&cats, &modes, &n, &cap, inst[i], "instant");
	*cats_r = cats;
	*modes_r = modes;
	*n_r = n;
	cats = modes = NULL;
	ret = 0;
out:
	subscribers_strv_free(&cats, n);
	subscribers_strv_free(&modes, n);
	subscribers_strv_free(&dig, n_dig);
	subscribers_strv_free(&inst, n_inst);
	return ret;
}

static void
print_sub(const struct store_sub *s, int json)
{
	char t[32];
	size_t i;

	if (json) {
		putchar('{');
		json_kstr(stdout, 1, "address", s->address);
		json_kstr(stdout, 0, "name", s->name);
		printf(",\"confirmed\":%s", s->confirmed ? "true" : "false");
		fputs(",\"categories\":{", stdout);
		for (i = 0; i < s->n_cats; i++) {
			if (i)
				putchar(',');
			json_str(stdout, s->cats[i].category);
			putchar(':');
			json_str(stdout, s->cats[i].mode);
		}
		putchar('}');
		json_kdate(stdout, 0, "created", s->created);
		json_kdate(stdout, 0, "changed", s->changed);
		/* the admin's own view: needed to build or test links */
		json_kstr(stdout, 0, "token", s->token);
		fputs("}\n", stdout);
		return;
	}
	time_rfc3339(s->changed, t);
	printf("%s%s%s%s%s  ", s->address, *s->name ? " (" : "", s->name,
	    *s->name ? ")" : "", s->confirmed ? "" : " [unconfirmed]");
	for (i = 0; i < s->n_cats; i++)
		printf("%s%s:%s", i ? "," : "", s->cats[i].category,
		    s->cats[i].mode);
	if (!s->n_cats)
		fputs("(no categories)", stdout);
	printf("  changed %s\n", t);
}

static int
cli_list(struct store *st, const struct sub_opts *o)
{
	struct store_sub *v = NULL;
	size_t n = 0, i;

	if (store_sub_list(st, &v, &n) < 0)
		return EX_SOFTWARE;
	for (i = 0; i < n; i++)
		print_sub(&v[i], o->json);
	store_sub_free(&v, n);
	return EX_OK;
}

/* add and set: the whole change in one transaction. */
static int
cli_add_set(struct store *st, const struct ruleset *rs,
    const struct sub_opts *o, const char *addr, int add, int64_t now)
{
	struct store_sub cur;
	char **cats = NULL, **modes = NULL, *err = NULL;
	char tok[SUB_TOKEN_LEN + 1];
	size_t n = 0;
	int64_t id = 0;
	int usage, r, in_txn = 0, have = 0;
	int ret = EX_SOFTWARE;

	memset(&cur, 0, sizeof(cur));
	memset(tok, 0, sizeof(tok));
	if (o->name && (strpbrk(o->name, "\r\n") || strlen(o->name) > 200 ||
	    !utf8_valid(o->name, strlen(o->name)))) {
		fprintf(stderr, "bulletin: --name must be one line of at most "
		    "200 bytes of UTF-8\n");
		return EX_USAGE;
	}
	if (store_begin(st) < 0)
		goto out;
	in_txn = 1;
	r = store_sub_get(st, addr, &cur);
	if (r < 0)
		goto out;
	have = r == 0;
	if (add && have) {
		fprintf(stderr, "bulletin: subscriber '%s' already exists "
		    "(use subscriber set)\n", addr);
		ret = EX_DATAERR;
		goto out;
	}
	if (!add && !have) {
		fprintf(stderr, "bulletin: no subscriber '%s'\n", addr);
		ret = EX_DATAERR;
		goto out;
	}
	if (subscribers_plan(rs, have ? &cur : NULL, o->categories, o->mode,
	    o->instant, &cats, &modes, &n, &err, &usage) < 0) {
		fprintf(stderr, "bulletin: %s\n", err);
		ret = usage ? EX_USAGE : EX_DATAERR;
		goto out;
	}
	if (add) {
		if (subscribers_token_new(tok) < 0)
			goto out;
		/* added by the admin: confirmed at once */
		if (store_sub_add(st, addr, o->name ? o->name : "", 1, tok, now,
		    &id) != 0)
			goto out;
	} else {
		id = cur.id;
		if (store_sub_set_name(st, id, o->name ? o->name : cur.name,
		    now) < 0)
			goto out;
	}
	if (store_sub_set_cats(st, id, (const char *const *)cats,
	    (const char *const *)modes, n) < 0)
		goto out;
	if (store_commit(st) < 0)
		goto out;
	in_txn = 0;
	printf("%s %s: %zu categories\n", add ? "added" : "changed", addr, n);
	ret = EX_OK;
out:
	if (in_txn)
		store_rollback(st);
	explicit_bzero(tok, sizeof(tok));
	store_sub_clear(&cur);
	subscribers_strv_free(&cats, n);
	subscribers_strv_free(&modes, n);
	free(err);
	return ret;
}

static int
cli_remove(struct store *st, const char *addr)
{
	struct store_sub cur;
	int r, ret = EX_SOFTWARE;

	r = store_sub_get(st, addr, &cur);
	if (r < 0)
		return EX_SOFTWARE;
	if (r == 1) {
		fprintf(stderr, "bulletin: no subscriber '%s'\n", addr);
		return EX_DATAERR;
	}
	if (store_sub_remove(st, cur.id) == 0) {
		printf("removed %s\n", addr);
		ret = EX_OK;
	}
	store_sub_clear(&cur);
	return ret;
}

int
subscribers_cli(struct store *st, const struct ruleset *rs,
    const struct sub_opts *o, char **args, int nargs)
{
	const char *verb = nargs > 0 ? args[0] : "";
	int64_t now = (int64_t)time(NULL);

	if (!strcmp(verb, "list")) {
		if (nargs != 1) {
			fprintf(stderr, "bulletin: subscriber list takes no "
			    "arguments\n");
			return EX_USAGE;
		}
		return cli_list(st, o);
	}
	if (strcmp(verb, "add") && strcmp(verb, "set") &&
	    strcmp(verb, "remove")) {
		fprintf(stderr, "bulletin: subscriber needs add, set, remove "
		    "or list\n");
		return EX_USAGE;
	}
	if (nargs != 2) {
		fprintf(stderr, "bulletin: subscriber %s needs one ADDRESS\n",
		    verb);
		return EX_USAGE;
	}
	if (!subscribers_address_ok(args[1])) {
		fprintf(stderr, "bulletin: '%s' is not an e-mail address "
		    "(want local@domain)\n", args[1]);
		return EX_DATAERR;
	}
	if (!strcmp(verb, "remove"))
		return cli_remove(st, args[1]);
	return cli_add_set(st, rs, o, args[1], verb[0] == 'a', now);
}

/* --- commands by mail --- */

struct mail_run {
	const struct config *cfg;
	const struct ruleset *rs;
	struct store *st;
	struct sender snd;
	int64_t now;
	int64_t *ids;         /* the batch's messages: id, then work later */
	char **subjects, **froms;
	size_t n, cap;
	size_t done;
};

static int
collect(void *ctx, int64_t id, const char *subject, const char *from,
    int64_t received)
{
	struct mail_run *r = ctx;
	size_t c = r->cap, c2 = r->cap;

	(void)received;
	if (r->n == r->cap) {
		xgrow(&r->ids, r->n, &r->cap, sizeof(*r->ids));
		xgrow(&r->subjects, r->n, &c, sizeof(*r->subjects));
		xgrow(&r->froms, r->n, &c2, sizeof(*r->froms));
	}
	r->ids[r->n] = id;
	r->subjects[r->n] = xstrdup(subject);
	r->froms[r->n] = xstrdup(from);
	r->n++;
	return 0;
}

/* Renders and queues the confirmation for s. 0 or -1 (logged). */
static int
queue_confirm(struct mail_run *r, const struct store_sub *s, int64_t msg_id)
{
	struct tpl *t = NULL;
	struct tpl_data *d = tpl_data_new(), *c;
	struct compose_head h;
	char *path = outbox_template(r->cfg, "confirm.txt");
	char *subj = NULL, *url = NULL, *unsub = NULL, *text = NULL;
	char *msg = NULL, *err = NULL, *key = NULL;
	size_t len, i;
	long ci;
	int ret = -1;

	if (tpl_load(path, TPL_TEXT, &t, &err) < 0)
		goto out;
	subj = xasprintf("confirm %s", s->token);
	url = outbox_mailto(r->snd.request, subj);
	free(subj);
	subj = xasprintf("unsubscribe %s", s->token);
	unsub = outbox_mailto(r->snd.request, subj);
	tpl_data_set(d, "list_name", r->cfg->digest.name);
	tpl_data_set(d, "to", s->address);
	tpl_data_set(d, "frequency", "weekly");
	tpl_data_set_url(d, "confirm_url", url);
	for (i = 0; i < s->n_cats; i++) {
		c = tpl_data_add(d, "categories");
		ci = rules_category_find(r->rs, s->cats[i].category);
		tpl_data_set(c, "label", s->cats[i].category);
		tpl_data_set(c, "name", ci >= 0 ?
		    rules_category_name(r->rs, (size_t)ci) :
		    s->cats[i].category);
	}
	if (tpl_render(t, d, &text, NULL, &err) < 0)
		goto out;
	free(subj);
	subj = xasprintf("Please confirm your subscription to %s",
	    r->cfg->digest.name);
	memset(&h, 0, sizeof(h));
	h.from = r->snd.from_hdr;
	h.to = s->address;
	h.subject = subj;
	h.list_id = r->snd.list_id;
	h.unsub_mailto = unsub;
	h.msgid_domain = r->snd.domain;
	h.date = r->now;
	if (compose_digest(&h, text, NULL, NULL, 0, &msg, &len, NULL, &err) < 0)
		goto out;
	key = xasprintf("msg:%lld", (long long)msg_id);
	if (store_outbox_add(r->st, s->id, "confirm", key, msg_id, s->address,
	    msg, len, r->now) < 0)
		goto out;
	ret = 0;
out:
	if (err)
		log_err("cannot queue a confirmation: %s", err);
	free(err);
	free(key);
	free(msg);
	free(text);
	free(unsub);
	free(url);
	free(subj);
	free(path);
	tpl_data_free(&d);
	tpl_free(&t);
	return ret;
}

/*
 * Acts on one command.  Returns 1 when the message was a command (and
 * has been recorded as one), 0 when it was not, -1 on a store error.
 * Called inside a transaction.
 */
static int
handle(struct mail_run *r, int64_t id, const char *subject, const char *from)
{
	struct sub_command c;
	struct store_sub s;
	char **cats = NULL, *err = NULL, *addr = NULL;
	const char *result = "";
	char tok[SUB_TOKEN_LEN + 1];
	size_t n = 0, i;
	int64_t sid;
	int rc, ret = -1;

	memset(&s, 0, sizeof(s));
	memset(tok, 0, sizeof(tok));
	if (subscribers_parse_command(subject, &c) == SUB_CMD_NONE)
		return 0;
	switch (c.cmd) {
	case SUB_CMD_NONE:
		break;
	case SUB_CMD_SUBSCRIBE:
		if (subscribers_parse_categories(c.args ? c.args : "all",
		    r->rs, &cats, &n, &err) < 0) {
			/* not one of ours after all: an ordinary bulletin */
			ret = 0;
			goto out;
		}
		if (!(addr = subscribers_address_of(from))) {
			result = "subscribe: no usable sender address";
			break;
		}
		rc = store_sub_get(r->st, addr, &s);
		if (rc < 0)
			goto out;
		if (rc == 0 && s.confirmed) {
			result = "subscribe: already subscribed";
			break;
		}
		if (rc == 1) {
			if (subscribers_token_new(tok) < 0 ||
			    store_sub_add(r->st, addr, "", 0, tok, r->now,
			    &sid) != 0)
				goto out;
		} else {
			sid = s.id;
		}
		{
			const char **modes = xcalloc(n + 1, sizeof(*modes));

			for (i = 0; i < n; i++)
				modes[i] = "weekly";
			rc = store_sub_set_cats(r->st, sid,
			    (const char *const *)cats, modes, n);
			free(modes);
			if (rc < 0)
				goto out;
		}
		store_sub_clear(&s);
		if (store_sub_get(r->st, addr, &s) != 0 ||
		    queue_confirm(r, &s, id) < 0)
			goto out;
		result = "subscribe: confirmation queued";
		break;
	case SUB_CMD_CONFIRM:
	case SUB_CMD_UNSUBSCRIBE:
		rc = store_sub_by_token(r->st, c.token, &s);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			result = "unknown token: nothing changed";
			break;
		}
		if (c.cmd == SUB_CMD_CONFIRM) {
			if (store_sub_confirm(r->st, s.id, r->now) < 0)
				goto out;
			result = "confirmed";
		} else if (c.args) {
			if (store_sub_del_cat(r->st, s.id, c.args) < 0)
				goto out;
			result = "unsubscribed from one category";
		} else {
			if (store_sub_remove(r->st, s.id) < 0)
				goto out;
			result = "unsubscribed";
		}
		break;
	}
	/* the token stays out of the log: the message id says which */
	log_info("message %lld: %s", (long long)id, result);
	if (store_mark_command(r->st, id, result) < 0)
		goto out;
	r->done++;
	ret = 1;
out:
	explicit_bzero(tok, sizeof(tok));
	subscribers_command_clear(&c);
	subscribers_strv_free(&cats, n);
	store_sub_clear(&s);
	free(addr);
	free(err);
	return ret;
}

int
subscribers_mail_run(const struct config *cfg, const struct ruleset *rs,
    struct store *st, int64_t now)
{
	struct mail_run r;
	char *err = NULL;
	int64_t mark;
	size_t i;
	int in_txn = 0;
	int ret = EX_SOFTWARE;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.rs = rs;
	r.st = st;
	r.now = now;
	if (outbox_sender(cfg, 1, &r.snd, &err) < 0) {
		log_err("%s", err);
		ret = EX_CONFIG;
		goto out;
	}
	for (;;) {
		if (store_mark_get(st, "commands", &mark) < 0)
			goto out;
		for (i = 0; i < r.n; i++) {
			free(r.subjects[i]);
			free(r.froms[i]);
		}
		r.n = 0;
		if (store_messages_after(st, mark, 200, collect, &r) != 0)
			goto out;
		if (!r.n)
			break;
		/* a batch and its mark move together */
		if (store_begin(st) < 0)
			goto out;
		in_txn = 1;
		for (i = 0; i < r.n; i++)
			if (handle(&r, r.ids[i], r.subjects[i],
			    r.froms[i]) < 0)
				goto out;
		if (store_mark_set(st, "commands", r.ids[r.n - 1]) < 0 ||
		    store_commit(st) < 0)
			goto out;
		in_txn = 0;
	}
	if (r.done)
		printf("handled %zu subscription commands\n", r.done);
	ret = EX_OK;
out:
	if (in_txn)
		store_rollback(st);
	for (i = 0; i < r.n; i++) {
		free(r.subjects[i]);
		free(r.froms[i]);
	}
	free(r.ids);
	free(r.subjects);
	free(r.froms);
	outbox_sender_clear(&r.snd);
	free(err);
	return ret;
}
