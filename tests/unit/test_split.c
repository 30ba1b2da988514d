/* test_split.c - message body shapes to items. */
#include "unit.h"

#include "message.h"
#include "split.h"

#define NOV(d) ((int64_t)1763337600 + ((int64_t)(d) - 17) * 86400)
#define MSG_DATE ((int64_t)1763717400)   /* 21 Nov 2025 09:30 UTC */

static struct message *
msg_new(const char *subject)
{
	struct message *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->subject = strdup(subject);
	m->from_name = strdup("Probation Matters");
	m->from_addr = strdup("noreply@example.org");
	m->date = MSG_DATE;
	doc_init(&m->body);
	return m;
}

static struct block *
para(struct message *m, const char *text)
{
	return doc_add(&m->body, BLOCK_PARA, 0, text, NULL);
}

static struct block *
heading(struct message *m, int level, const char *text, const char *url)
{
	return doc_add(&m->body, BLOCK_HEADING, level, text, url);
}

static struct block *
link(struct message *m, const char *text, const char *url)
{
	struct block *b = doc_add(&m->body, BLOCK_PARA, 0, text, url);

	b->link_only = 1;
	return b;
}

static struct block *
bold(struct message *m, const char *text)
{
	struct block *b = doc_add(&m->body, BLOCK_PARA, 0, text, NULL);

	b->strong = 1;
	return b;
}

static size_t
split(const struct message *m, struct item_list *l)
{
	memset(l, 0, sizeof(*l));
	return split_message(m, &limits_default, l);
}

/* No item's text or title contains needle. */
static void
assert_nowhere(const struct item_list *l, const char *needle)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strstr(l->v[i].text, needle) || strstr(l->v[i].title, needle))
			fail_msg("'%s' found in item %zu ('%s'): %s", needle, i,
			    l->v[i].title, l->v[i].text);
	}
}

static void
assert_in_text(const struct item *it, const char *needle)
{
	if (!strstr(it->text, needle))
		fail_msg("'%s' not in item '%s': %s", needle, it->title,
		    it->text);
}

static const char *const post_titles[] = {
	"Reunification two years on: what changed for officers",
	"Caseloads and the NAO: reading between the numbers",
	"Inside the PAC hearing on probation recovery",
};
static const char *const post_urls[] = {
	"https://probationmatters.example.org/2025/11/reunification-two-years/",
	"https://probationmatters.example.org/2025/11/nao-caseloads/",
	"https://probationmatters.example.org/2025/11/pac-hearing/",
};
static const char *const post_bylines[] = {
	"Posted by Jo Bloggs on 17 November 2025",
	"Posted by Sam Carter on 18 November 2025",
	"Posted by Jo Bloggs on 19 November 2025",
};

static void
check_posts(const struct item_list *l, int with_urls)
{
	size_t i;

	assert_int_equal(l->n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(l->v[i].title, post_titles[i]);
		if (with_urls) {
			assert_non_null(l->v[i].url);
			assert_string_equal(l->v[i].url, post_urls[i]);
		}
		assert_int_equal(l->v[i].date, NOV(17 + (int)i));
		assert_in_text(&l->v[i], "excerpt");
		assert_string_equal(l->v[i].source, "Probation Matters");
		assert_int_equal(l->v[i].words, str_words(l->v[i].text));
	}
	assert_nowhere(l, "Posted by");
	assert_nowhere(l, "Continue reading");
	assert_nowhere(l, "Read more");
	assert_nowhere(l, "Share this");
	assert_nowhere(l, "Facebook");
	assert_nowhere(l, "Unsubscribe");
	assert_nowhere(l, "receiving this");
}

/* WordPress-style: post titles as h2 links. */
static void
test_feed_heading_titles(void **state)
{
	struct message *m = msg_new("New posts on Probation Matters");
	struct item_list l;
	size_t i;

	(void)state;
	heading(m, 1, "Probation Matters", "https://probationmatters.example.org/");
	link(m, "View this email in your browser", "https://example.org/v");
	para(m, "Here is what we published this week.");
	for (i = 0; i < 3; i++) {
		heading(m, 2, post_titles[i], post_urls[i]);
		para(m, post_bylines[i]);
		para(m, "An excerpt of the post, long enough to be content.");
		link(m, "Continue reading \xe2\x86\x92", post_urls[i]);
		para(m, "Share this:");
		para(m, "Facebook | Twitter | LinkedIn");
	}
	para(m, "You are receiving this email because you subscribed to "
	    "Probation Matters.");
	link(m, "Unsubscribe", "https://example.org/u");
	assert_int_equal(split(m, &l), 3);
	check_posts(&l, 1);
	assert_nowhere(&l, "published this week");
	item_list_free(&l);
	message_free(&m);
}

/* Titles as link-only paragraphs, with a comment count under each. */
static void
test_feed_link_titles(void **state)
{
	struct message *m = msg_new("Probation Matters digest");
	struct item_list l;
	size_t i;

	(void)state;
	bold(m, "Probation Matters");
	para(m, "Latest posts");
	for (i = 0; i < 3; i++) {
		link(m, post_titles[i], post_urls[i]);
		link(m, "3 Comments", "https://example.org/c");
		para(m, post_bylines[i]);
		para(m, "An excerpt of the post with a few words.");
		link(m, "Read more", post_urls[i]);
	}
	para(m, "Copyright \xc2\xa9 2025 Probation Matters, All rights reserved.");
	assert_int_equal(split(m, &l), 3);
	check_posts(&l, 1);
	assert_nowhere(&l, "Comments");
	assert_nowhere(&l, "Copyright");
	item_list_free(&l);
	message_free(&m);
}

/* Bold titles; the link only under "Read more". */
static void
test_feed_strong_titles(void **state)
{
	struct message *m = msg_new("Probation Matters digest");
	struct item_list l;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		bold(m, post_titles[i]);
		para(m, post_bylines[i]);
		para(m, "An excerpt of the post with a few words.");
		link(m, "Read more \xc2\xbb", post_urls[i]);
	}
	assert_int_equal(split(m, &l), 3);
	check_posts(&l, 1);
	item_list_free(&l);
	message_free(&m);
}

/* Text part, each post one paragraph: title, URL, byline, excerpt. */
static void
test_feed_text_paragraphs(void **state)
{
	struct message *m = msg_new("Probation Matters digest");
	struct item_list l;
	struct buf b = BUF_INIT(0);
	size_t i;

	(void)state;
	para(m, "Probation Matters - 3 new posts");
	for (i = 0; i < 3; i++) {
		buf_reset(&b);
		buf_printf(&b, "%s\n%s\n%s\nAn excerpt of the post that runs "
		    "over two lines, as a\ntext part wraps it.\nRead more: %s",
		    post_titles[i],
		    post_urls[i], post_bylines[i], post_urls[i]);
		para(m, b.data);
	}
	para(m, "You are subscribed to Probation Matters.\nTo stop, "
	    "unsubscribe here: https://example.org/u");
	buf_free(&b);
	assert_int_equal(split(m, &l), 3);
	check_posts(&l, 1);
	/* wrapped prose is joined; short lines (a sign-off) are kept */
	assert_in_text(&l.v[0], "runs over two lines, as a text part wraps");
	item_list_free(&l);
	message_free(&m);
}

/* The same digest through doc_from_text (a Feedburner-style text part). */
static void
test_feed_text_digest(void **state)
{
	static const char text[] =
	    "Probation Matters\n"
	    "=================\n"
	    "\n"
	    "Reunification two years on: what changed for officers\n"
	    "https://probationmatters.example.org/2025/11/reunification-two-years/\n"
	    "Posted by Jo Bloggs on 17 November 2025\n"
	    "\n"
	    "An excerpt of the first post, about what the reunification of\n"
	    "probation services meant for officers on the ground.\n"
	    "\n"
	    "Read more: https://probationmatters.example.org/2025/11/reunification-two-years/\n"
	    "\n"
	    "Caseloads and the NAO: reading between the numbers\n"
	    "https://probationmatters.example.org/2025/11/nao-caseloads/\n"
	    "Posted by Sam Carter on 18 November 2025\n"
	    "\n"
	    "An excerpt of the second post on the auditors' caseload figures.\n"
	    "\n"
	    "Inside the PAC hearing on probation recovery\n"
	    "https://probationmatters.example.org/2025/11/pac-hearing/\n"
	    "Posted by Jo Bloggs on 19 November 2025\n"
	    "\n"
	    "An excerpt of the third post, from the committee room.\n"
	    "\n"
	    "--\n"
	    "You are subscribed to Probation Matters.\n"
	    "Unsubscribe: https://example.org/u\n";
	struct message *m = msg_new("Probation Matters digest");
	struct item_list l;

	(void)state;
	doc_from_text(&m->body, text, sizeof(text) - 1);
	assert_int_equal(split(m, &l), 3);
	check_posts(&l, 1);
	item_list_free(&l);
	message_free(&m);
}

/* A union newsletter: masthead, four sections, join-us, follow-us,
 * footer. */
static void
test_newsletter_sections(void **state)
{
	struct message *m = msg_new("[yorks] Branch News - November 2025");
	struct item_list l;

	(void)state;
	free(m->from_name);
	m->from_name = strdup("Napo Yorkshire");
	m->list_id = strdup("yorks-news.napo.example.org");
	link(m, "View this email in your browser", "https://example.org/v");
	heading(m, 1, "Yorkshire Branch News", NULL);
	para(m, "Issue 41 \xc2\xb7 November 2025");
	para(m, "Dear members,");
	para(m, "Welcome to the November bulletin. There is a lot going on.");
	heading(m, 2, "Pay ballot opens on Monday", NULL);
	para(m, "The branch ballot on the pay offer opens on Monday and runs "
	    "for three weeks.");
	link(m, "Read more", "https://napo.example.org/ballot");
	heading(m, 2, "NAO report on probation caseloads", NULL);
	para(m, "The National Audit Office has reported on caseloads.");
	heading(m, 3, "What the branch thinks", NULL);
	para(m, "We think the figures understate the pressure.");
	heading(m, 2, "HMIP inspection of the region", NULL);
	para(m, "Inspectors visited three offices in October.");
	doc_add(&m->body, BLOCK_LIST_ITEM, 1, "Leeds", NULL);
	doc_add(&m->body, BLOCK_LIST_ITEM, 1, "Bradford", NULL);
	heading(m, 2, "Branch AGM", NULL);
	para(m, "The AGM is on 4 December at the Leeds office.");
	heading(m, 2, "Join the union", NULL);
	para(m, "Not a member yet? Membership starts at a few pounds a month.");
	heading(m, 2, "Follow us", NULL);
	para(m, "Twitter Facebook Instagram");
	para(m, "Copyright \xc2\xa9 2025 Napo Yorkshire Branch");
	link(m, "Unsubscribe from this list", "https://example.org/u");
	link(m, "Update your preferences", "https://example.org/p");

	assert_int_equal(split(m, &l), 4);
	assert_string_equal(l.v[0].title, "Pay ballot opens on Monday");
	assert_string_equal(l.v[0].url, "https://napo.example.org/ballot");
	assert_string_equal(l.v[1].title, "NAO report on probation caseloads");
	assert_null(l.v[1].url);
	assert_in_text(&l.v[1], "What the branch thinks");
	assert_in_text(&l.v[1], "understate");
	assert_string_equal(l.v[2].title, "HMIP inspection of the region");
	assert_in_text(&l.v[2], "- Leeds\n- Bradford");
	assert_string_equal(l.v[3].title, "Branch AGM");
	assert_string_equal(l.v[3].text,
	    "The AGM is on 4 December at the Leeds office.");
	assert_string_equal(l.v[0].source, "yorks-news.napo.example.org");
	assert_int_equal(l.v[0].date, MSG_DATE);
	assert_nowhere(&l, "Welcome");
	assert_nowhere(&l, "Dear members");
	assert_nowhere(&l, "Issue 41");
	assert_nowhere(&l, "Membership");
	assert_nowhere(&l, "Twitter");
	assert_nowhere(&l, "Copyright");
	assert_nowhere(&l, "preferences");
	item_list_free(&l);
	message_free(&m);
}

/* Newsletter ending without headings: a rule, then an address. */
static void
test_newsletter_rule_footer(void **state)
{
	struct message *m = msg_new("Branch bulletin");
	struct item_list l;

	(void)state;
	heading(m, 2, "Ballot result", NULL);
	para(m, "Members voted to accept the offer.");
	heading(m, 2, "Workloads survey", NULL);
	para(m, "Please fill in the survey by Friday.");
	doc_add(&m->body, BLOCK_RULE, 0, "", NULL);
	para(m, "Napo Yorkshire Branch");
	para(m, "1 Example Street, Leeds");
	assert_int_equal(split(m, &l), 2);
	assert_string_equal(l.v[1].text, "Please fill in the survey by Friday.");
	item_list_free(&l);
	message_free(&m);
}

/* A blog post with its comment thread. */
static void
test_comments_dropped(void **state)
{
	struct message *m = msg_new("New post: Probation reunification");
	struct item_list l;

	(void)state;
	heading(m, 1, "Probation reunification, a year later", NULL);
	para(m, "Posted on 12 November 2025 by Jo Bloggs");
	para(m, "The article's first paragraph.");
	para(m, "The article's second paragraph.");
	heading(m, 3, "2 comments", NULL);
	para(m, "A reader says something about the article.");
	para(m, "Another reader disagrees.");
	link(m, "Leave a comment", "https://example.org/c");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title,
	    "Probation reunification, a year later");
	assert_int_equal(l.v[0].date, NOV(12));
	assert_string_equal(l.v[0].text, "The article's first paragraph.\n\n"
	    "The article's second paragraph.");
	item_list_free(&l);
	message_free(&m);
}

/* A press alert: masthead lines, a heading title, a date line. */
static void
test_single_press_alert(void **state)
{
	struct message *m = msg_new("Press release: HMIP inspection");
	struct item_list l;

	(void)state;
	para(m, "PRESS RELEASE");
	para(m, "For immediate release");
	heading(m, 1, "Inspectors find probation region under strain", NULL);
	para(m, "Thursday 13 November 2025");
	para(m, "The inspectorate's report on the region, published today, "
	    "finds that staffing gaps have left officers with caseloads far "
	    "above the level the service itself considers safe, and that "
	    "risk assessments were late in a third of the cases examined.");
	para(m, "The union's response follows.");
	para(m, "ENDS");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title,
	    "Inspectors find probation region under strain");
	assert_int_equal(l.v[0].date, NOV(13));
	assert_nowhere(&l, "PRESS RELEASE");
	assert_nowhere(&l, "immediate");
	assert_in_text(&l.v[0], "response follows");
	item_list_free(&l);
	message_free(&m);
}

/* No title line: the cleaned subject. */
static void
test_single_subject_title(void **state)
{
	struct message *m = msg_new("Fwd: RE: [branch] Pay ballot: how to vote");
	struct item_list l;

	(void)state;
	para(m, "Hi all,");
	para(m, "The ballot papers go out on Monday. Please make sure your "
	    "home address is up to date with the union, and vote as soon as "
	    "the paper arrives: turnout matters as much as the result.");
	para(m, "Sent from my iPhone");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title, "Pay ballot: how to vote");
	assert_in_text(&l.v[0], "Hi all,");
	assert_nowhere(&l, "iPhone");
	assert_int_equal(l.v[0].date, MSG_DATE);
	assert_null(l.v[0].url);
	item_list_free(&l);
	message_free(&m);
}

/* A short first line is the title. */
static void
test_single_short_first_line(void **state)
{
	struct message *m = msg_new("branch report");
	struct item_list l;

	(void)state;
	para(m, "Branch meeting with the regional director");
	para(m, "We met the director on Tuesday to raise workloads.");
	para(m, "She agreed to a follow-up meeting.");
	para(m, "In solidarity,\n  Rhian Jones\nBranch Secretary");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title,
	    "Branch meeting with the regional director");
	assert_string_equal(l.v[0].text, "We met the director on Tuesday to "
	    "raise workloads.\n\nShe agreed to a follow-up meeting.\n\n"
	    "In solidarity,\nRhian Jones\nBranch Secretary");
	item_list_free(&l);
	message_free(&m);
}

/* A forwarded article: the note is not an item; the original's fields. */
static void
test_forwarded(void **state)
{
	struct message *m = msg_new("PAC hearing on probation: what was said");
	struct item_list l;

	(void)state;
	m->forwarded = 1;
	m->note = strdup("Thought the branch would want to see this.");
	m->fwd_subject = strdup("Fwd: PAC hearing on probation: what was said");
	m->fwd_from = strdup("member@example.net");
	m->fwd_date = MSG_DATE + 3600;
	m->date = NOV(20);
	para(m, "---------- Forwarded message ---------");
	para(m, "PAC hearing on probation: what was said");
	para(m, "Committee members questioned officials for two hours about "
	    "the recovery plan, the reliance on agency staff and whether the "
	    "caseload targets set last year can be met by the spring.");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title,
	    "PAC hearing on probation: what was said");
	assert_int_equal(l.v[0].date, NOV(20));
	assert_nowhere(&l, "Thought the branch");
	assert_nowhere(&l, "Forwarded");
	assert_in_text(&l.v[0], "Committee members");
	item_list_free(&l);
	message_free(&m);
}

/* A letter with headed paragraphs is one article (a branch report). */
static void
test_letter_one_item(void **state)
{
	struct message *m = msg_new("Branch report - November 2025");
	struct item_list l;

	(void)state;
	para(m, "Dear members,");
	para(m, "Here is the report from the branch executive.");
	heading(m, 3, "Workload", NULL);
	para(m, "Workload is still the issue members raise most often.");
	heading(m, 3, "Duty rotas", NULL);
	para(m, "Rotas will be published four weeks ahead from January.");
	para(m, "In solidarity,\nRhian Jones");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title, "Branch report - November 2025");
	assert_in_text(&l.v[0], "Dear members,");
	assert_in_text(&l.v[0], "Duty rotas");
	assert_in_text(&l.v[0], "Rhian Jones");
	item_list_free(&l);
	message_free(&m);

	/* the same with a masthead and links is a newsletter */
	m = msg_new("Branch news");
	heading(m, 1, "Branch News", NULL);
	para(m, "Issue 12");
	para(m, "Dear members,");
	heading(m, 3, "Workload", NULL);
	para(m, "Workload is still the issue members raise most often.");
	link(m, "Read more", "https://example.org/workload");
	heading(m, 3, "Duty rotas", NULL);
	para(m, "Rotas will be published four weeks ahead from January.");
	assert_int_equal(split(m, &l), 2);
	assert_string_equal(l.v[0].title, "Workload");
	assert_string_equal(l.v[0].url, "https://example.org/workload");
	item_list_free(&l);
	message_free(&m);
}

/* A report notice: "Key findings" and "Conclusion" are its parts. */
static void
test_report_subheads(void **state)
{
	struct message *m = msg_new("New NAO report: Managing the caseload");
	struct item_list l;

	(void)state;
	link(m, "View this email in your browser", "https://example.org/v");
	para(m, "New report");
	heading(m, 1, "Managing the caseload", NULL);
	para(m, "Published 17 November 2025 \xc2\xb7 Ministry of Justice");
	para(m, "The auditors looked at caseloads across the service.");
	heading(m, 2, "Key findings", NULL);
	doc_add(&m->body, BLOCK_LIST_ITEM, 1, "Caseloads are above target.",
	    NULL);
	heading(m, 2, "Conclusion on value for money", NULL);
	para(m, "Value for money has not yet been shown.");
	link(m, "Read the full report", "https://nao.example.org/report");
	para(m, "Follow us: LinkedIn | Bluesky");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title,
	    "New NAO report: Managing the caseload");
	assert_string_equal(l.v[0].url, "https://nao.example.org/report");
	assert_int_equal(l.v[0].date, NOV(17));
	assert_in_text(&l.v[0], "Key findings\n\n- Caseloads are above");
	assert_in_text(&l.v[0], "not yet been shown.");
	assert_nowhere(&l, "Published");
	assert_nowhere(&l, "New report");
	assert_nowhere(&l, "LinkedIn");
	item_list_free(&l);
	message_free(&m);
}

/* A press notice in a text part: masthead, embargo date, ENDS, notes. */
static void
test_press_notice_text(void **state)
{
	static const char text[] =
	    "PRESS NOTICE\n"
	    "\n"
	    "Committee of Public Accounts\n"
	    "Embargoed until 00:01 Wednesday 19 November 2025\n"
	    "\n"
	    "Probation recovery still off track, MPs warn\n"
	    "\n"
	    "The Committee says in a report published today that the service\n"
	    "remains under strain, and that the recovery plan relies on agency\n"
	    "staff the Ministry cannot afford to keep paying for.\n"
	    "\n"
	    "ENDS\n"
	    "\n"
	    "Notes to editors\n"
	    "\n"
	    "1. The Committee examines the value for money of spending.\n"
	    "\n"
	    "Media enquiries: 020 7946 0000\n";
	struct message *m = msg_new("Probation recovery still off track, MPs warn");
	struct item_list l;

	(void)state;
	doc_from_text(&m->body, text, sizeof(text) - 1);
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title,
	    "Probation recovery still off track, MPs warn");
	assert_int_equal(l.v[0].date, NOV(19));
	assert_in_text(&l.v[0], "cannot afford to keep paying for.");
	assert_nowhere(&l, "ENDS");
	assert_nowhere(&l, "editors");
	assert_nowhere(&l, "Media enquiries");
	assert_nowhere(&l, "PRESS NOTICE");
	item_list_free(&l);
	message_free(&m);
}

/* A cuttings alert: "Full article:" labels the URL; the footer is cut. */
static void
test_press_cutting(void **state)
{
	struct message *m = msg_new("[Press alert] Staff at breaking point");
	struct item_list l;

	(void)state;
	heading(m, 3, "PRESS ALERT | Keyword: probation | 16 November 2025",
	    NULL);
	heading(m, 3, "Staff at breaking point", NULL);
	para(m, "The Courier, 16 November 2025, page 9");
	para(m, "Officers say they are being pushed to the limit.");
	para(m, "Full article:\nhttps://courier.example.com/news/breaking-point");
	doc_add(&m->body, BLOCK_RULE, 0, "", NULL);
	para(m, "This alert was sent to you by a cuttings service. Do not\n"
	    "forward outside your organisation. Manage your keywords\n"
	    "https://cuttings.example.com/edit\n"
	    "Stop these alerts\n"
	    "https://cuttings.example.com/stop");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title, "Staff at breaking point");
	assert_string_equal(l.v[0].url,
	    "https://courier.example.com/news/breaking-point");
	assert_nowhere(&l, "Full article");
	assert_nowhere(&l, "keywords");
	assert_nowhere(&l, "PRESS ALERT");
	item_list_free(&l);
	message_free(&m);
}

/* Quoted headers an unwrapper left behind are not text. */
static void
test_header_remnant(void **state)
{
	struct message *m = msg_new("Eastfield branch report");
	struct item_list l;

	(void)state;
	m->forwarded = 1;
	m->date = 0;
	m->fwd_date = NOV(14);
	para(m, "<secretary@branch.example.org>\nSent: 13 November 2025 17:42\n"
	    "To: members <members@branch.example.org>\n"
	    "Subject: Eastfield branch report");
	para(m, "Dear colleagues,");
	para(m, "This is the branch report for November.");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title, "Eastfield branch report");
	assert_string_equal(l.v[0].text, "Dear colleagues,\n\n"
	    "This is the branch report for November.");
	/* no date on the original: the forward's */
	assert_int_equal(l.v[0].date, NOV(14));
	item_list_free(&l);
	message_free(&m);
}

/* Byline and date lines; sentences that merely start with "By". */
static void
test_dates(void **state)
{
	static const struct {
		const char *line;
		int64_t date;    /* 0: not a byline, stays in the text */
	} cases[] = {
		{ "Posted by Jo Bloggs on 17 November 2025", NOV(17) },
		{ "Posted: 17 Nov 2025 02:15 AM PST", NOV(17) },
		{ "Published on November 18, 2025", NOV(18) },
		{ "Monday 17th November 2025", NOV(17) },
		{ "2025-11-19", NOV(19) },
		{ "19/11/2025", NOV(19) },
		{ "By Sam Carter, 18 Sept 2025", NOV(18) - 61 * 86400 },
		{ "By 17 November 2025 all branches must reply.", 0 },
		{ "Pay ballot opens 17 November 2025", 0 },
		{ "Posted on 31 February 2025", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct message *m = msg_new("Date test article title");
		struct item_list l;

		heading(m, 1, "Date test", NULL);
		para(m, cases[i].line);
		para(m, "Body.");
		assert_int_equal(split(m, &l), 1);
		if (cases[i].date) {
			if (l.v[0].date != cases[i].date)
				fail_msg("'%s': date %lld", cases[i].line,
				    (long long)l.v[0].date);
			assert_string_equal(l.v[0].text, "Body.");
		} else {
			assert_int_equal(l.v[0].date, MSG_DATE);
			assert_in_text(&l.v[0], cases[i].line);
		}
		item_list_free(&l);
		message_free(&m);
	}
}

/* A text newsletter whose masthead is underlined like its sections. */
static void
test_text_newsletter_masthead(void **state)
{
	static const char text[] =
	    "BRANCH NEWSLETTER\n"
	    "=================\n"
	    "Issue 22 - November 2025\n"
	    "\n"
	    "Dear members,\n"
	    "\n"
	    "Ballot opens\n"
	    "============\n"
	    "\n"
	    "The ballot on the pay offer opens on Monday.\n"
	    "\n"
	    "AGM\n"
	    "===\n"
	    "\n"
	    "The AGM is on 4 December.\n";
	struct message *m = msg_new("[cymru] Newsletter");
	struct item_list l;

	(void)state;
	doc_from_text(&m->body, text, sizeof(text) - 1);
	assert_int_equal(split(m, &l), 2);
	assert_string_equal(l.v[0].title, "Ballot opens");
	assert_string_equal(l.v[1].title, "AGM");
	assert_nowhere(&l, "Dear members");
	item_list_free(&l);
	message_free(&m);
}

static void
test_clean_subject(void **state)
{
	static const char *const cases[][2] = {
		{ "Fwd: RE: [branch] Title", "Title" },
		{ "Re: Re: Re: pay", "pay" },
		{ "AW: WG: Ballot", "Ballot" },
		{ "Fw:Ballot", "Ballot" },
		{ "[napo-yorks] [EXTERNAL] Fwd: News", "News" },
		{ "Re[2]: the offer", "the offer" },
		{ "RE : spaced", "spaced" },
		{ "  lots   of\tspace  ", "lots of space" },
		{ "Report (fwd)", "Report" },
		{ "Reunification update", "Reunification update" },
		{ "Trade union news", "Trade union news" },
		{ "[unclosed tag", "[unclosed tag" },
		{ "Fwd:", "" },
		{ "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = split_clean_subject(cases[i][0]);

		assert_string_equal(s, cases[i][1]);
		free(s);
	}
	{
		char *s = split_clean_subject(NULL);

		assert_string_equal(s, "");
		free(s);
	}
}

/* Every kind of boilerplate line, inside one article; the footer lines
 * (and "Follow us", which heads a section of its own) last, since they end
 * the article. */
static void
test_boilerplate(void **state)
{
	static const char *const inline_junk[] = {
		"Manage your preferences",
		"View this email in your browser",
		"Forward to a friend",
		"Facebook \xc2\xb7 X \xc2\xb7 Instagram \xc2\xb7 LinkedIn",
		"Share this:",
		"Continue reading",
	};
	static const char *const footer_junk[] = {
		"Unsubscribe",
		"You are subscribed to the branch list.",
		"You are receiving this email because you are a member.",
		"Sent from my iPhone",
		"Follow us on Twitter and Facebook",
		"Copyright \xc2\xa9 2025 Napo",
	};
	struct message *m = msg_new("Reunification: what next");
	struct item_list l;
	size_t i, k;

	(void)state;
	para(m, "The first paragraph of the article, which is real.");
	for (i = 0; i < ARRAY_SIZE(inline_junk); i++) {
		struct block *b = para(m, inline_junk[i]);

		if (strcmp(inline_junk[i], "Continue reading") == 0) {
			b->url = strdup("https://example.org/article");
			b->link_only = 1;
		}
	}
	para(m, "A second paragraph between the junk.");
	for (i = 0; i < ARRAY_SIZE(footer_junk); i++)
		para(m, footer_junk[i]);
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title, "Reunification: what next");
	assert_string_equal(l.v[0].text, "The first paragraph of the article, "
	    "which is real.\n\nA second paragraph between the junk.");
	assert_string_equal(l.v[0].url, "https://example.org/article");
	item_list_free(&l);
	message_free(&m);

	/* each footer line alone ends the article, and is not in it */
	for (k = 0; k < ARRAY_SIZE(footer_junk); k++) {
		m = msg_new("Reunification: what next");
		para(m, "The first paragraph of the article, which is real.");
		para(m, footer_junk[k]);
		para(m, "Napo, 1 Example Street, London");
		assert_int_equal(split(m, &l), 1);
		assert_string_equal(l.v[0].text, "The first paragraph of the "
		    "article, which is real.");
		item_list_free(&l);
		message_free(&m);
	}
}

/* Prose that merely mentions boilerplate words stays. */
static void
test_boilerplate_prose_kept(void **state)
{
	struct message *m = msg_new("Picket");
	struct item_list l;
	const char *p = "Join us on the picket line on Friday, and read more "
	    "about the dispute on the website; members who want to unsubscribe "
	    "from the strike fund must tell the branch treasurer in writing "
	    "before the end of the month, because the rules of the fund say so "
	    "and the auditors will check.";

	(void)state;
	para(m, p);
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].text, p);
	item_list_free(&l);
	message_free(&m);
}

/*
 * White space as str_squeeze() has it (tabs, runs, U+00A0), short lines
 * kept apart and long ones joined, a paragraph cut at a URL line, word
 * counts: the shapes split.c squeezes line by line and word by word.
 */
static void
test_squeeze_shapes(void **state)
{
	struct message *m = msg_new("Branch secretary's report to members");
	struct item_list l;
	size_t i;

	(void)state;
	para(m, "  The\tbranch \xc2\xa0met\xc2\xa0\xc2\xa0on  Tuesday"
	    "\xc2\xa0" "and voted to accept the offer by a wide margin.  ");
	para(m, "In solidarity,\n  Rhian   Jones\n\nBranch\tSecretary");
	para(m, "This line of prose is well over forty bytes long, so\n"
	    "the paragraph is joined up\nwith its short lines.");
	para(m, "A short line\nhttps://example.org/report\nAnother line");
	para(m, "To UNSUBSCRIBE from these emails click here");
	assert_int_equal(split(m, &l), 1);
	assert_in_text(&l.v[0], "The branch met on Tuesday and voted");
	assert_in_text(&l.v[0], "margin.\n\nIn solidarity,\nRhian Jones\n"
	    "Branch Secretary\n\n");
	assert_in_text(&l.v[0], "long, so the paragraph is joined up with "
	    "its short lines.");
	assert_in_text(&l.v[0], "\n\nA short line\n\nAnother line");
	assert_nowhere(&l, "example.org");
	assert_nowhere(&l, "UNSUBSCRIBE");
	assert_nowhere(&l, "\xc2\xa0");
	assert_nowhere(&l, "\t");
	assert_string_equal(l.v[0].url, "https://example.org/report");
	for (i = 0; i < l.n; i++)
		assert_int_equal(l.v[i].words, str_words(l.v[i].text));
	item_list_free(&l);
	message_free(&m);
}

static void
test_limits_many_headings(void **state)
{
	struct message *m = msg_new("Huge");
	struct limits lim = limits_default;
	struct item_list l;
	char t[32];
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		snprintf(t, sizeof(t), "Heading %d", i);
		heading(m, 2, t, NULL);
		para(m, "Some text under it.");
	}
	assert_int_equal(split(m, &l), limits_default.max_items);
	assert_int_equal(l.n, limits_default.max_items);
	assert_string_equal(l.v[0].title, "Heading 0");
	item_list_free(&l);

	lim.max_items = 7;
	memset(&l, 0, sizeof(l));
	assert_int_equal(split_message(m, &lim, &l), 7);
	assert_string_equal(l.v[6].title, "Heading 6");
	/* appends to what is there */
	assert_int_equal(split_message(m, &lim, &l), 7);
	assert_int_equal(l.n, 14);
	item_list_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	message_free(&m);
}

static void
test_empty(void **state)
{
	struct message *m = msg_new("");
	struct item_list l;

	(void)state;
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title, "(no subject)");
	assert_string_equal(l.v[0].text, "");
	assert_int_equal(l.v[0].words, 0);
	item_list_free(&l);

	/* blocks that are all empty, white space or boilerplate */
	heading(m, 2, "", NULL);
	para(m, " \n\t ");
	doc_add(&m->body, BLOCK_RULE, 0, "", NULL);
	para(m, "Unsubscribe");
	link(m, "", "https://example.org/pixel");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title, "(no subject)");
	item_list_free(&l);

	/* free(NULL)-style tolerance */
	item_list_free(&l);
	message_free(&m);
}

/* Only a subject; and only text. */
static void
test_title_fallbacks(void **state)
{
	struct message *m = msg_new("Re: [x] Only a subject");
	struct item_list l;

	(void)state;
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title, "Only a subject");
	item_list_free(&l);
	message_free(&m);

	m = msg_new("Re:");
	para(m, "Some words of a long message that has no title at all and "
	    "a subject that cleans to nothing, so the title comes from the "
	    "text itself, cut after ten words or so, which is enough.");
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].title, "Some words of a long message that "
	    "has no title\xe2\x80\xa6");
	item_list_free(&l);
	message_free(&m);
}

static void
test_huge_paragraph(void **state)
{
	struct message *m = msg_new("Big");
	struct limits lim = limits_default;
	struct item_list l;
	size_t n = 200000, i;
	char *big = malloc(n * 2 + 1);

	(void)state;
	assert_non_null(big);
	for (i = 0; i < n; i++) {
		big[2 * i] = (char)0xc3;       /* "é" */
		big[2 * i + 1] = (char)0xa9;
	}
	big[2 * n] = '\0';
	para(m, big);
	para(m, "more after");
	free(big);
	lim.max_item_text = 1001;
	memset(&l, 0, sizeof(l));
	assert_int_equal(split_message(m, &lim, &l), 1);
	assert_int_equal(strlen(l.v[0].text), 1000);
	assert_true(utf8_valid(l.v[0].text, strlen(l.v[0].text)));
	assert_int_equal(l.v[0].words, 1);
	item_list_free(&l);

	/* a huge "title" is cut too */
	message_free(&m);
	m = msg_new("Big title");
	big = malloc(5001);
	assert_non_null(big);
	for (i = 0; i < 5000; i++)
		big[i] = i % 7 == 6 ? ' ' : 'a';
	big[5000] = '\0';
	heading(m, 1, big, NULL);
	para(m, "body");
	free(big);
	assert_int_equal(split(m, &l), 1);
	assert_true(strlen(l.v[0].title) <= 300);
	assert_true(strlen(l.v[0].title) > 0);
	item_list_free(&l);
	message_free(&m);
}

static void
test_source(void **state)
{
	struct message *m = msg_new("x");
	struct item_list l;

	(void)state;
	para(m, "text");
	free(m->from_name);
	m->from_name = NULL;
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].source, "noreply@example.org");
	item_list_free(&l);
	free(m->from_addr);
	m->from_addr = NULL;
	assert_int_equal(split(m, &l), 1);
	assert_string_equal(l.v[0].source, "unknown");
	item_list_free(&l);
	message_free(&m);
}

/* Random blocks from a small vocabulary of the shapes above: no crash,
 * and the contract holds (titles never empty, limits kept). */
static void
test_random_blocks(void **state)
{
	static const char *const words[] = {
		"Unsubscribe", "Read more", "Posted by Jo on 17 November 2025",
		"Join us", "3 comments", "Issue 4", "Dear members,", "\xc3\xa9",
		"\xff\xfe", "https://example.org/a", "Copyright \xc2\xa9 2025",
		"Key findings", "Title", "text", "\n", "  ", "Follow us", "ENDS",
		"From: x", "Sent: y", "Share this:", "Facebook", "Twitter", ".",
		":", "a longer sentence of several plain words",
	};
	struct limits lim = limits_default;
	unsigned seed = 12345;
	int round;

	(void)state;
	lim.max_items = 5;
	lim.max_item_text = 64;
	for (round = 0; round < 300; round++) {
		struct message *m = msg_new(round % 3 ? "Re: [x] Random" : "");
		struct item_list l;
		struct buf b = BUF_INIT(0);
		int nb, i, k;
		size_t n, j;

		nb = (int)(seed % 40);
		for (i = 0; i < nb; i++) {
			struct block *bl;
			int nw;

			seed = seed * 1103515245u + 12345u;
			nw = (int)((seed >> 8) % 6);
			buf_reset(&b);
			for (k = 0; k < nw; k++) {
				seed = seed * 1103515245u + 12345u;
				if (k)
					buf_addc(&b, (seed >> 20) & 1 ? ' ' : '\n');
				buf_addstr(&b, words[(seed >> 8) % ARRAY_SIZE(words)]);
			}
			bl = doc_add(&m->body, (enum block_kind)((seed >> 4) % 5),
			    (int)((seed >> 12) % 4) + 1, b.data ? b.data : "",
			    (seed >> 16) & 1 ? "https://example.org/x" : NULL);
			bl->link_only = (seed >> 17) & 1;
			bl->strong = (seed >> 18) & 1;
		}
		buf_free(&b);
		memset(&l, 0, sizeof(l));
		n = split_message(m, &lim, &l);
		assert_true(n >= 1 && n <= 5);
		for (j = 0; j < l.n; j++) {
			assert_true(l.v[j].title[0] != '\0');
			assert_true(strlen(l.v[j].text) <= 64);
			assert_non_null(l.v[j].source);
			assert_int_equal(l.v[j].words, str_words(l.v[j].text));
		}
		item_list_free(&l);
		message_free(&m);
	}
}

/* ---------------------------------------------------------------------
 * End to end: raw fixtures through message_parse().
 */
struct fixture_case {
	const char *file;
	size_t n;
	const char *titles[5];
	const char *url0;        /* first item's url, or NULL to skip */
	int64_t date0;           /* first item's date, or 0 to skip */
};

static const struct fixture_case fixture_cases[] = {
	{ "wordpress-new-posts.eml", 3, {
		"Reunification two years on: what changed for officers",
		"Caseloads and the NAO: reading between the numbers",
		"Inside the PAC hearing on probation recovery",
	}, "https://probationmatters.example.org/2025/11/reunification-two-years/",
	   NOV(17) },
	{ "blogger-digest.txt.eml", 3, {
		"Officers speak: a year of the unified service",
		"What the auditors counted, and what they didn't",
		"A branch view of the inspection season",
	}, "https://frontlineprobation.example.net/2025/11/officers-speak.html",
	   NOV(14) },
	{ "union-newsletter.eml", 4, {
		"Pay ballot: papers go out on 24 November",
		"NAO report: caseloads still above safe levels",
		"Public Accounts Committee questions the recovery plan",
		"HMIP inspection of the North East region",
	}, NULL, 0 },
	{ "union-newsletter.txt.eml", 4, {
		"Pay ballot opens",
		"What the NAO found on caseloads",
		"MPs question officials at the PAC",
		"Inspection report on the Wales region",
	}, NULL, 0 },
	{ "press-alert.eml", 1, {
		"Union says inspection confirms probation staffing crisis",
	}, NULL, NOV(19) },
	{ "forwarded-article.eml", 1, {
		"Reunification review: what the branch told the minister",
	}, NULL, 0 },
};

static void
test_fixtures(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(fixture_cases); i++) {
		const struct fixture_case *fc = &fixture_cases[i];
		char path[256], *raw, *err = NULL;
		struct message *m;
		struct item_list l;
		size_t len;

		snprintf(path, sizeof(path), FIXTURES "split/%s", fc->file);
		raw = unit_read_file(path, &len);
		m = message_parse(raw, len, &limits_default, &err);
		if (!m)
			fail_msg("%s: %s", fc->file, err ? err : "?");
		memset(&l, 0, sizeof(l));
		split_message(m, &limits_default, &l);
		for (k = 0; k < l.n; k++) {
			if (l.n == fc->n &&
			    strcmp(l.v[k].title, fc->titles[k]) == 0)
				continue;
			/* what the splitter made of it, to see why */
			for (k = 0; k < l.n; k++)
				print_message("# %s: item %zu: '%s' <%s>\n",
				    fc->file, k, l.v[k].title,
				    l.v[k].url ? l.v[k].url : "");
			break;
		}
		if (l.n != fc->n)
			fail_msg("%s: %zu items, want %zu", fc->file, l.n,
			    fc->n);
		for (k = 0; k < fc->n; k++)
			assert_string_equal(l.v[k].title, fc->titles[k]);
		if (fc->url0) {
			assert_non_null(l.v[0].url);
			assert_string_equal(l.v[0].url, fc->url0);
		}
		if (fc->date0)
			assert_int_equal(l.v[0].date, fc->date0);
		for (k = 0; k < l.n; k++) {
			assert_null(strstr(l.v[k].text, "nsubscribe"));
			assert_null(strstr(l.v[k].text, "Thought you"));
		}
		item_list_free(&l);
		message_free(&m);
		free(raw);
	}
}

/* The sample inbox against its ground truth (tests/fixtures/inbox.expect:
 * file, item count, then "title|labels" per item). */
static void
test_inbox_expect(void **state)
{
	char *exp = unit_read_file(FIXTURES "inbox.expect", NULL), *line, *next;
	unsigned checked = 0;

	(void)state;
	for (line = exp; line && *line; line = next) {
		char *f[64], *p, path[512], *raw, *err = NULL;
		size_t nf = 0, len, k;
		struct message *m;
		struct item_list l;
		FILE *fp;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		for (p = line; p && nf < ARRAY_SIZE(f); nf++) {
			f[nf] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (nf < 2)
			continue;
		snprintf(path, sizeof(path), FIXTURES "inbox/cur/%s", f[0]);
		if (!(fp = fopen(path, "rb")))
			snprintf(path, sizeof(path), FIXTURES "inbox/new/%s", f[0]);
		else
			fclose(fp);
		raw = unit_read_file(path, &len);
		m = message_parse(raw, len, &limits_default, &err);
		if (!m)
			fail_msg("%s: %s", f[0], err ? err : "?");
		memset(&l, 0, sizeof(l));
		split_message(m, &limits_default, &l);
		if (l.n != strtoul(f[1], NULL, 10) || l.n != nf - 2)
			fail_msg("%s: %zu items, want %s", f[0], l.n, f[1]);
		for (k = 0; k < l.n; k++) {
			char *bar = strrchr(f[k + 2], '|');

			if (bar)
				*bar = '\0';
			if (strcmp(l.v[k].title, f[k + 2]) != 0)
				fail_msg("%s: item %zu '%s', want '%s'", f[0], k,
				    l.v[k].title, f[k + 2]);
		}
		item_list_free(&l);
		message_free(&m);
		free(raw);
		checked++;
	}
	assert_true(checked >= 18);
	free(exp);
}

/* GMime is set up once per process: it cannot be set up again after
 * message_shutdown(). */
static int
group_setup(void **state)
{
	(void)state;
	message_init();
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	message_shutdown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feed_heading_titles),
		cmocka_unit_test(test_feed_link_titles),
		cmocka_unit_test(test_feed_strong_titles),
		cmocka_unit_test(test_feed_text_paragraphs),
		cmocka_unit_test(test_feed_text_digest),
		cmocka_unit_test(test_newsletter_sections),
		cmocka_unit_test(test_newsletter_rule_footer),
		cmocka_unit_test(test_comments_dropped),
		cmocka_unit_test(test_single_press_alert),
		cmocka_unit_test(test_single_subject_title),
		cmocka_unit_test(test_single_short_first_line),
		cmocka_unit_test(test_forwarded),
		cmocka_unit_test(test_letter_one_item),
		cmocka_unit_test(test_report_subheads),
		cmocka_unit_test(test_press_notice_text),
		cmocka_unit_test(test_press_cutting),
		cmocka_unit_test(test_header_remnant),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_text_newsletter_masthead),
		cmocka_unit_test(test_clean_subject),
		cmocka_unit_test(test_boilerplate),
		cmocka_unit_test(test_boilerplate_prose_kept),
		cmocka_unit_test(test_squeeze_shapes),
		cmocka_unit_test(test_limits_many_headings),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_title_fallbacks),
		cmocka_unit_test(test_huge_paragraph),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_random_blocks),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_inbox_expect),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
