/*
 * digest.c - see digest.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "compose.h"
#include "digest.h"
#include "log.h"
#include "outbox.h"
#include "subscribers.h"
#include "template.h"
#include "util.h"

#define DAY 86400
#define EXCERPT_WORDS 40
/* Items one digest run loads; a week of real bulletins is far below. */
#define DIGEST_MAX_ITEMS 100000

static const char *const months[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

/* Days since 1970-01-01, rounding towards minus infinity. */
static int64_t
day_of(int64_t t)
{
	return t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
}

static int64_t
days_from_civil(int y, int m, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return day_of((int64_t)timegm(&tm));
}

/* ISO year and week of day d. */
static void
iso_week(int64_t d, int *year_r, int *week_r)
{
	int64_t wd = ((d + 3) % 7 + 7) % 7;   /* Monday 0; 1970-01-01 Thu */
	int64_t thu = d - wd + 3;
	time_t t = (time_t)(thu * DAY);
	struct tm tm;

	gmtime_r(&t, &tm);
	*year_r = tm.tm_year + 1900;
	*week_r = tm.tm_yday / 7 + 1;
}

/* "16–22 November 2026", "30 November – 6 December 2026", ... */
static void
label_range(int64_t since, int64_t until, char *out, size_t size)
{
	time_t a = (time_t)since, b = (time_t)(until - 1);
	struct tm ta, tb;

	gmtime_r(&a, &ta);
	gmtime_r(&b, &tb);
	if (since / DAY == (until - 1) / DAY)
		snprintf(out, size, "%d %s %d", ta.tm_mday, months[ta.tm_mon],
		    ta.tm_year + 1900);
	else if (ta.tm_year != tb.tm_year)
		snprintf(out, size, "%d %s %d \xe2\x80\x93 %d %s %d",
		    ta.tm_mday, months[ta.tm_mon], ta.tm_year + 1900,
		    tb.tm_mday, months[tb.tm_mon], tb.tm_year + 1900);
	else if (ta.tm_mon != tb.tm_mon)
		snprintf(out, size, "%d %s \xe2\x80\x93 %d %s %d", ta.tm_mday,
		    months[ta.tm_mon], tb.tm_mday, months[tb.tm_mon],
		    tb.tm_year + 1900);
	else
		snprintf(out, size, "%d\xe2\x80\x93%d %s %d", ta.tm_mday,
		    tb.tm_mday, months[tb.tm_mon], tb.tm_year + 1900);
}

static void
week_from_monday(int64_t monday, struct digest_period *p)
{
	int y, w;

	memset(p, 0, sizeof(*p));
	iso_week(monday, &y, &w);
	p->since = monday * DAY;
	p->until = (monday + 7) * DAY;
	snprintf(p->key, sizeof(p->key), "weekly:%04d-W%02d", y, w);
	label_range(p->since, p->until, p->label, sizeof(p->label));
}

static void
day_from(int64_t d, struct digest_period *p)
{
	time_t t = (time_t)(d * DAY);
	struct tm tm;

	memset(p, 0, sizeof(*p));
	gmtime_r(&t, &tm);
	p->daily = 1;
	p->since = d * DAY;
	p->until = (d + 1) * DAY;
	snprintf(p->key, sizeof(p->key), "daily:%04d-%02d-%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	label_range(p->since, p->until, p->label, sizeof(p->label));
}

int
digest_parse_week(const char *s, struct digest_period *p_r)
{
	long y, w;
	int64_t jan4, monday;
	int yy, ww;
	char ys[5], ws[3];

	if (strlen(s) != 8 || s[4] != '-' || s[5] != 'W' ||
	    !isdigit((unsigned char)s[6]) || !isdigit((unsigned char)s[7]))
		return -1;
	memcpy(ys, s, 4);
	ys[4] = '\0';
	memcpy(ws, s + 6, 2);
	ws[2] = '\0';
	if (parse_long(ys, 1970, 9999, &y) < 0 ||
	    parse_long(ws, 1, 53, &w) < 0)
		return -1;
	jan4 = days_from_civil((int)y, 1, 4);
	monday = jan4 - (((jan4 + 3) % 7 + 7) % 7) + 7 * (w - 1);
	/* week 53 exists only in some years */
	iso_week(monday, &yy, &ww);
	if (yy != y || ww != w)
		return -1;
	week_from_monday(monday, p_r);
	return 0;
}

int
digest_parse_day(const char *s, struct digest_period *p_r)
{
	struct tm tm;
	const char *end;
	int64_t d;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 10)
		return -1;
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end || tm.tm_year < 70)
		return -1;
	d = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	day_from(d, p_r);
	/* strptime takes 2026-02-30; the round trip refuses it */
	if (strcmp(p_r->key + 6, s))
		return -1;
	return 0;
}

void
digest_week_of(int64_t t, int complete, struct digest_period *p_r)
{
	int64_t d = day_of(t);
	int64_t monday = d - ((d + 3) % 7 + 7) % 7;

	week_from_monday(complete ? monday - 7 : monday, p_r);
}

void
digest_day_of(int64_t t, int complete, struct digest_period *p_r)
{
	int64_t d = day_of(t);

	day_from(complete ? d - 1 : d, p_r);
}

static long
index_of(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return (long)i;
	return -1;
}

/* The item's first wanted category by order, or -1. */
static long
first_section(const struct digest_item *it, const char *const *order,
    size_t n_order, const char *const *wanted, size_t n_wanted)
{
	long best = -1, k;
	size_t i;

	for (i = 0; i < it->n_labels; i++) {
		if (index_of(wanted, n_wanted, it->labels[i]) < 0)
			continue;
		k = index_of(order, n_order, it->labels[i]);
		if (k >= 0 && (best < 0 || k < best))
			best = k;
	}
	return best;
}

/* For qsort_r: newest first, then by id. */
static int
cmp_newest(const void *a, const void *b, void *ctx)
{
	const struct digest_item *items = ctx;
	const struct digest_item *x = &items[*(const size_t *)a];
	const struct digest_item *y = &items[*(const size_t *)b];

	if (x->when != y->when)
		return x->when > y->when ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

size_t
digest_group(const struct digest_item *items, size_t n,
    const char *const *order, size_t n_order, const char *const *wanted,
    size_t n_wanted, struct digest_section **secs_r)
{
	struct digest_section *secs = NULL;
	size_t n_secs = 0, cap = 0, i, k;
	long *first = xcalloc(n ? n : 1, sizeof(*first));

	for (i = 0; i < n; i++)
		first[i] = first_section(&items[i], order, n_order, wanted,
		    n_wanted);
	for (k = 0; k < n_order; k++) {
		struct digest_section s = { order[k], NULL, 0 };

		for (i = 0; i < n; i++) {
			if (first[i] != (long)k)
				continue;
			s.items = xrealloc(s.items, (s.n + 1) *
			    sizeof(*s.items));
			s.items[s.n++] = i;
		}
		if (!s.n)
			continue;
		qsort_r(s.items, s.n, sizeof(*s.items), cmp_newest,
		    (void *)(uintptr_t)items);
		xgrow(&secs, n_secs, &cap, sizeof(*secs));
		secs[n_secs++] = s;
	}
	free(first);
	*secs_r = secs;
	return n_secs;
}

void
digest_sections_free(struct digest_section **secs, size_t n)
{
	size_t i;

	if (!*secs)
		return;
	for (i = 0; i < n; i++)
		free((*secs)[i].items);
	free(*secs);
	*secs = NULL;
}

char *
digest_other_labels(const struct digest_item *it, const char *const *order,
    size_t n_order, const char *const *wanted, size_t n_wanted,
    const char *section)
{
	struct buf b = BUF_INIT(0);
	const char *p;
	size_t k, i;

	for (k = 0; k < n_order; k++) {
		if (!strcmp(order[k], section) ||
		    index_of(wanted, n_wanted, order[k]) < 0)
			continue;
		for (i = 0; i < it->n_labels; i++)
			if (!strcmp(it->labels[i], order[k]))
				break;
		if (i == it->n_labels)
			continue;
		if (b.len)
			buf_addstr(&b, ", ");
		for (p = order[k]; *p; p++)
			buf_addc(&b, (char)toupper((unsigned char)*p));
	}
	return buf_detach(&b);
}

size_t
digest_order(const struct config *cfg, const struct ruleset *rs,
    const char ***v_r)
{
	size_t n_cat = rules_ncategories(rs), n = 0, i;
	const char **v = xcalloc(n_cat + 1, sizeof(*v));
	const char *id;

	for (i = 0; i < cfg->digest.n_order; i++) {
		long k = rules_category_find(rs, cfg->digest.order[i]);

		if (k < 0) {
			log_warn("[digest] order: unknown category '%s' "
			    "ignored", cfg->digest.order[i]);
			continue;
		}
		id = rules_category_id(rs, (size_t)k);
		if (index_of(v, n, id) < 0)
			v[n++] = id;
	}
	for (i = 0; i < n_cat; i++) {
		id = rules_category_id(rs, i);
		if (index_of(v, n, id) < 0)
			v[n++] = id;
	}
	*v_r = v;
	return n;
}

/* --- the run --- */

struct run {
	const struct config *cfg;
	const struct ruleset *rs;
	struct store *st;
	const struct digest_opts *o;
	struct digest_period per;
	struct sender snd;
	const char **order;
	size_t n_order;
	struct item_copy *items;
	size_t n_items, cap_items;
	struct tpl *txt, *html;
	struct outbox_run *ob;  /* queues and sends meanwhile (not dry_run) */
	int64_t now;
	size_t n_subs, n_queued, n_written, n_empty, n_already;
};

static void
format_date(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t) {
		snprintf(out, size, "undated");
		return;
	}
	gmtime_r(&tt, &tm);
	snprintf(out, size, "%d %s %d", tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900);
}

void
digest_item_copy(struct item_copy *d, const struct store_item *it,
    unsigned excerpt_words)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->id = it->id;
	d->msg_id = it->msg_id;
	d->when = it->date ? it->date : it->received;
	d->title = xstrdup(it->title);
	d->source = xstrdup(it->source);
	d->url = it->url ? xstrdup(it->url) : NULL;
	d->excerpt = str_first_words(it->text ? it->text : "", excerpt_words);
	d->labels = xcalloc(it->n_labels + 1, sizeof(*d->labels));
	for (i = 0; i < it->n_labels; i++)
		d->labels[i] = xstrdup(it->labels[i]);
	d->n_labels = it->n_labels;
}

void
digest_item_clear(struct item_copy *d)
{
	size_t i;

	free(d->title);
	free(d->source);
	free(d->url);
	free(d->excerpt);
	free(d->date);
	for (i = 0; i < d->n_labels; i++)
		free(d->labels[i]);
	free(d->labels);
	memset(d, 0, sizeof(*d));
}

static int
load_item(void *ctx, const struct store_item *it)
{
	struct run *r = ctx;
	struct item_copy *d;
	char date[48];

	if (r->n_items >= DIGEST_MAX_ITEMS) {
		log_err("more than %d items in the period", DIGEST_MAX_ITEMS);
		return -1;
	}
	xgrow(&r->items, r->n_items, &r->cap_items, sizeof(*r->items));
	d = &r->items[r->n_items++];
	digest_item_copy(d, it, EXCERPT_WORDS);
	format_date(d->when, date, sizeof(date));
	d->date = xstrdup(date);
	return 0;
}

static void
items_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n_items; i++)
		digest_item_clear(&r->items[i]);
	free(r->items);
}

static const char *
category_name(const struct ruleset *rs, const char *id)
{
	long k = rules_category_find(rs, id);

	return k >= 0 ? rules_category_name(rs, (size_t)k) : id;
}

/* A file name from an address: [A-Za-z0-9@._-], the rest '_'. */
static char *
safe_name(const char *addr)
{
	char *s = xstrdup(addr), *p;

	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("@._-", *p))
			*p = '_';
	if (s[0] == '.')
		s[0] = '_';
	return s;
}

static int
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ret = -1;

	if (!f) {
		log_errno(LOG_ERR, "cannot write '%s'", path);
		return -1;
	}
	if (fwrite(data, 1, len, f) == len)
		ret = 0;
	if (fclose(f) != 0)
		ret = -1;
	if (ret < 0)
		log_errno(LOG_ERR, "cannot write '%s'", path);
	return ret;
}

static int
instant_item(const struct store_sub *s, const struct item_copy *it)
{
	size_t i, j;

	for (i = 0; i < s->n_cats; i++) {
		if (strcmp(s->cats[i].mode, "instant"))
			continue;
		for (j = 0; j < it->n_labels; j++)
			if (!strcmp(it->labels[j], s->cats[i].category))
				return 1;
	}
	return 0;
}

/*
 * One subscriber's digest.  Returns 0 (done or nothing due), -1 on a
 * store or write error, -2 on a template or compose error.
 */
static int
one(struct run *r, const struct store_sub *s)
{
	const char *want_mode = r->per.daily ? "daily" : "weekly";
	const char **wanted = xcalloc(s->n_cats + 1, sizeof(*wanted));
	struct digest_item *di = xcalloc(r->n_items + 1, sizeof(*di));
	size_t *map = xcalloc(r->n_items + 1, sizeof(*map));
	int *fwd = xcalloc(r->n_items + 1, sizeof(*fwd));
	struct digest_section *secs = NULL;
	struct tpl_data *d = NULL, *sec, *ti;
	struct compose_head h;
	struct buf subj = BUF_INIT(4096);
	char *text = NULL, *html = NULL, *msg = NULL, *err = NULL;
	char *unsub = NULL, *unsub_url = NULL, *tmp = NULL, *key = NULL;
	char *base = NULL, *path = NULL;
	size_t n_wanted = 0, n = 0, n_secs = 0, total = 0, len, i, j;
	int in_read = 0, rc, ret = -1;

	for (i = 0; i < s->n_cats; i++)
		if (!strcmp(s->cats[i].mode, want_mode))
			wanted[n_wanted++] = s->cats[i].category;
	if (!n_wanted) {
		ret = 0;
		goto out;
	}
	r->n_subs++;
	if (!r->o->dry_run) {
		rc = store_outbox_has(r->st, s->id, "digest", r->per.key);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			r->n_already++;
			ret = 0;
			goto out;
		}
	}
	/* one read transaction for the look-ups: one lock, not one per
	 * item (the sending thread writes meanwhile; WAL lets it) */
	if (store_begin_read(r->st) < 0)
		goto out;
	in_read = 1;
	for (i = 0; i < r->n_items; i++) {
		const struct item_copy *it = &r->items[i];

		free(key);
		key = xasprintf("msg:%lld", (long long)it->msg_id);
		rc = store_outbox_has(r->st, s->id, "forward", key);
		if (rc < 0)
			goto out;
		/* forwarded: the bulletin went to this subscriber on its own
		 * because of this item (one of its instant categories) */
		if (rc == 1 && !instant_item(s, it))
			rc = 0;
		if (rc == 1 && r->cfg->digest.omit_forwarded)
			continue;
		di[n].id = it->id;
		di[n].when = it->when;
		di[n].labels = (const char *const *)it->labels;
		di[n].n_labels = it->n_labels;
		fwd[n] = rc;
		map[n++] = i;
	}
	if (store_commit(r->st) < 0)
		goto out;
	in_read = 0;
	n_secs = digest_group(di, n, r->order, r->n_order, wanted, n_wanted,
	    &secs);
	for (i = 0; i < n_secs; i++)
		total += secs[i].n;
	if (!total && !r->cfg->digest.send_empty) {
		r->n_empty++;
		ret = 0;
		goto out;
	}

	free(tmp);
	tmp = xasprintf("unsubscribe %s", s->token);
	unsub = outbox_mailto(r->snd.request, tmp);
	d = tpl_data_new();
	tpl_data_set(d, "list_name", r->cfg->digest.name);
	tpl_data_set(d, "frequency", want_mode);
	tpl_data_set(d, "period", r->per.label);
	tpl_data_set(d, "to", s->address);
	tpl_data_set_int(d, "total", (long)total);
	tpl_data_set_url(d, "unsubscribe_url", unsub);
	buf_printf(&subj, "%s %s digest, %s: %zu item%s", r->cfg->digest.name,
	    want_mode, r->per.label, total, total == 1 ? "" : "s");
	for (i = 0; i < n_secs; i++) {
		const char *cat = secs[i].category;
		char *anchor = xasprintf("%s", cat);

		buf_printf(&subj, "%s%s %zu", i ? ", " : " (", cat,
		    secs[i].n);
		sec = tpl_data_add(d, "sections");
		tpl_data_set(sec, "label", cat);
		tpl_data_set(sec, "name", category_name(r->rs, cat));
		tpl_data_set_int(sec, "count", (long)secs[i].n);
		tpl_data_set(sec, "anchor", anchor);
		free(anchor);
		free(tmp);
		tmp = xasprintf("unsubscribe %s %s", s->token, cat);
		free(unsub_url);
		unsub_url = outbox_mailto(r->snd.request, tmp);
		tpl_data_set_url(sec, "stop_url", unsub_url);
		for (j = 0; j < secs[i].n; j++) {
			size_t k = secs[i].items[j];
			const struct item_copy *it = &r->items[map[k]];
			char *other = digest_other_labels(&di[k], r->order,
			    r->n_order, wanted, n_wanted, cat);

			ti = tpl_data_add(sec, "items");
			tpl_data_set(ti, "title", it->title);
			tpl_data_set(ti, "source", it->source);
			tpl_data_set(ti, "date", it->date);
			tpl_data_set(ti, "excerpt", it->excerpt);
			if (!it->url || tpl_data_set_url(ti, "url", it->url) < 0)
				tpl_data_set_bool(ti, "url", 0);
			tpl_data_set_bool(ti, "attached", 0);
			tpl_data_set(ti, "other_labels", other);
			tpl_data_set_bool(ti, "forwarded", fwd[k]);
			free(other);
		}
	}
	if (n_secs)
		buf_addc(&subj, ')');
	free(unsub_url);
	unsub_url = NULL;
	if (tpl_render(r->txt, d, &text, NULL, &err) < 0 ||
	    tpl_render(r->html, d, &html, NULL, &err) < 0) {
		log_err("%s", err);
		ret = -2;
		goto out;
	}
	if (*r->cfg->digest.unsubscribe_url)
		unsub_url = xasprintf("%s%stoken=%s",
		    r->cfg->digest.unsubscribe_url,
		    strchr(r->cfg->digest.unsubscribe_url, '?') ? "&" : "?",
		    s->token);
	memset(&h, 0, sizeof(h));
	h.from = r->snd.from_hdr;
	h.to = s->address;
	h.subject = subj.data ? subj.data : "";
	h.list_id = r->snd.list_id;
	h.unsub_mailto = unsub;
	h.unsub_url = unsub_url;
	h.msgid_domain = r->snd.domain;
	h.date = r->now;
	if (compose_digest(&h, text, html, NULL, 0, &msg, &len, NULL, &err)
	    < 0) {
		log_err("digest for %s: %s", s->address, err);
		ret = -2;
		goto out;
	}
	if (r->o->out_dir) {
		base = safe_name(s->address);
		path = xasprintf("%s/%s.eml", r->o->out_dir, base);
		if (write_file(path, msg, len) < 0)
			goto out;
		free(path);
		path = xasprintf("%s/%s.html", r->o->out_dir, base);
		if (write_file(path, html, strlen(html)) < 0)
			goto out;
		r->n_written++;
		printf("%s: %zu items -> %s/%s.eml\n", s->address, total,
		    r->o->out_dir, base);
	}
	if (!r->o->dry_run) {
		/* the outbox row is the record that this digest is owed:
		 * a second run finds it and queues nothing.  The sending
		 * thread writes it (fsynced, before it sends the message)
		 * while we render the next ones. */
		rc = outbox_run_queue(r->ob, s->id, "digest", r->per.key, 0,
		    s->address, msg, len, r->now);
		msg = NULL;
		if (rc < 0)
			goto out;
		r->n_queued++;
		if (!r->o->out_dir)
			printf("%s: %zu items queued\n", s->address, total);
	}
	ret = 0;
out:
	if (in_read)
		store_rollback(r->st);
	free(path);
	free(base);
	free(key);
	free(tmp);
	free(unsub);
	free(unsub_url);
	free(text);
	free(html);
	free(msg);
	free(err);
	buf_free(&subj);
	tpl_data_free(&d);
	digest_sections_free(&secs, n_secs);
	free(fwd);
	free(map);
	free(di);
	free(wanted);
	return ret;
}

static int
load_tpl(const struct config *cfg, const char *name, enum tpl_mode mode,
    struct tpl **t_r)
{
	char *path = outbox_template(cfg, name), *err = NULL;
	int ret = 0;

	if (tpl_load(path, mode, t_r, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		ret = -1;
	}
	free(err);
	free(path);
	return ret;
}

/* Subscribers read per page. */
#define SUB_PAGE 256

int
digest_run(const struct config *cfg, const struct ruleset *rs,
    struct store *st, const struct digest_opts *o, int64_t now)
{
	struct store_sub *subs = NULL;
	struct store_query q;
	struct run r;
	char *err = NULL;
	size_t n_subs = 0, i;
	int64_t after = 0;
	int found = 0, rc;
	int ret = EX_SOFTWARE;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.rs = rs;
	r.st = st;
	r.o = o;
	r.now = now;
	if (o->period && o->day) {
		fprintf(stderr, "bulletin: give --period or --day, not "
		    "both\n");
		ret = EX_USAGE;
		goto out;
	}
	if (o->period && digest_parse_week(o->period, &r.per) < 0) {
		fprintf(stderr, "bulletin: bad --period '%s' (want an ISO "
		    "week such as 2026-W47)\n", o->period);
		ret = EX_USAGE;
		goto out;
	}
	if (o->day && !strcmp(o->day, "last")) {
		digest_day_of(now, 1, &r.per);   /* what the daily timer runs */
	} else if (o->day && digest_parse_day(o->day, &r.per) < 0) {
		fprintf(stderr, "bulletin: bad --day '%s' (want "
		    "YYYY-MM-DD or last)\n", o->day);
		ret = EX_USAGE;
		goto out;
	}
	if (!o->period && !o->day)
		digest_week_of(now, 1, &r.per);
	if (o->out_dir && mkdir(o->out_dir, 0755) < 0 && errno != EEXIST) {
		log_errno(LOG_ERR, "cannot create '%s'", o->out_dir);
		ret = EX_CANTCREAT;
		goto out;
	}
	if (outbox_sender(cfg, o->dry_run, &r.snd, &err) < 0) {
		log_err("%s", err);
		ret = EX_CONFIG;
		goto out;
	}
	if (load_tpl(cfg, "digest.txt", TPL_TEXT, &r.txt) < 0 ||
	    load_tpl(cfg, "digest.html", TPL_HTML, &r.html) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	r.n_order = digest_order(cfg, rs, &r.order);
	memset(&q, 0, sizeof(q));
	q.since = r.per.since;
	q.until = r.per.until;
	if (store_items(st, &q, load_item, &r) != 0)
		goto out;
	if (!o->dry_run && outbox_run_start(cfg, st, now, &r.ob) < 0)
		goto out;
	/* a page of subscribers at a time: memory stays flat */
	for (;;) {
		if (store_sub_page(st, after, SUB_PAGE, &subs, &n_subs) < 0)
			goto out;
		if (n_subs == 0)
			break;
		after = subs[n_subs - 1].id;
		for (i = 0; i < n_subs; i++) {
			if (!subs[i].confirmed)
				continue;
			if (o->to && strcasecmp(o->to, subs[i].address))
				continue;
			found = 1;
			rc = one(&r, &subs[i]);
			if (rc == -2) {
				ret = EX_CONFIG;
				goto out;
			}
			if (rc < 0) {
				ret = o->out_dir ? EX_CANTCREAT : EX_SOFTWARE;
				goto out;
			}
		}
		store_sub_free(&subs, n_subs);
		n_subs = 0;
	}
	if (o->to && !found) {
		fprintf(stderr, "bulletin: no confirmed subscriber '%s'\n",
		    o->to);
		ret = EX_DATAERR;
		goto out;
	}
	printf("digest %s (%s): %zu items; %zu subscribers due, %zu %s, "
	    "%zu with nothing new, %zu already queued\n", r.per.key + (r.per.daily ? 6 : 7),
	    r.per.label, r.n_items, r.n_subs, o->dry_run ? r.n_written :
	    r.n_queued, o->dry_run ? "written" : "queued", r.n_empty,
	    r.n_already);
	ret = EX_OK;
out:
	/* what was handed over is queued in any case; sent unless we
	 * failed (then it waits for the next send, as before) */
	rc = outbox_run_finish(&r.ob, ret != EX_OK);
	if (ret == EX_OK)
		ret = rc;
	store_sub_free(&subs, n_subs);
	items_free(&r);
	free(r.order);
	tpl_free(&r.txt);
	tpl_free(&r.html);
	outbox_sender_clear(&r.snd);
	free(err);
	return ret;
}
