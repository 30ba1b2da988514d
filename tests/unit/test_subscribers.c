/* test_subscribers.c - mail commands, addresses, category lists, modes,
 * tokens and the add/set plan. */
#include "unit.h"

#include "rules.h"
#include "store.h"
#include "subscribers.h"
#include "util.h"

static struct ruleset *rs;

static int
setup(void **state)
{
	char *err = NULL;

	(void)state;
	if (rules_load("filters", &rs, &err) < 0) {
		fprintf(stderr, "%s", err);
		free(err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rules_free(&rs);
	return 0;
}

#define TOK "0123456789abcdef0123456789abcdef"

static void
test_commands(void **state)
{
	struct sub_command c;

	(void)state;
	assert_int_equal(subscribers_parse_command("subscribe", &c),
	    SUB_CMD_SUBSCRIBE);
	assert_null(c.args);
	subscribers_command_clear(&c);
	assert_int_equal(subscribers_parse_command("  SUBSCRIBE nao,pac ", &c),
	    SUB_CMD_SUBSCRIBE);
	assert_string_equal(c.args, "nao,pac");
	subscribers_command_clear(&c);
	assert_int_equal(subscribers_parse_command("subscribe nao pac", &c),
	    SUB_CMD_SUBSCRIBE);
	subscribers_command_clear(&c);
	assert_int_equal(subscribers_parse_command("confirm " TOK, &c),
	    SUB_CMD_CONFIRM);
	assert_string_equal(c.token, TOK);
	assert_null(c.args);
	subscribers_command_clear(&c);
	assert_int_equal(subscribers_parse_command("Re: Fwd: confirm " TOK,
	    &c), SUB_CMD_CONFIRM);
	subscribers_command_clear(&c);
	assert_int_equal(subscribers_parse_command("unsubscribe " TOK, &c),
	    SUB_CMD_UNSUBSCRIBE);
	assert_null(c.args);
	subscribers_command_clear(&c);
	assert_int_equal(subscribers_parse_command("unsubscribe " TOK " nao",
	    &c), SUB_CMD_UNSUBSCRIBE);
	assert_string_equal(c.args, "nao");
	subscribers_command_clear(&c);
}

static void
test_not_commands(void **state)
{
	static const char *const subjects[] = {
		"",
		"Weekly bulletin",
		"Subscribe to our newsletter today!",
		"subscriber news",
		"confirm",
		"confirm 1234",
		"confirm " TOK " extra",
		"confirm " TOK "0",
		"confirm 0123456789ABCDEF0123456789ABCDEF",
		"unsubscribe",
		"unsubscribe " TOK " nao pac",
		"unsubscribe " TOK " nao,pac",
		"unsubscribe " TOK " <script>",
		"Unsubscribe from our list",
		"How to unsubscribe",
	};
	struct sub_command c;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(subjects); i++) {
		if (subscribers_parse_command(subjects[i], &c) != SUB_CMD_NONE)
			fail_msg("'%s' taken for a command", subjects[i]);
		assert_null(c.args);
		subscribers_command_clear(&c);
	}
}

static void
test_addresses(void **state)
{
	static const char *const good[] = {
		"a@example.org", "first.last+tag@sub.example.co.uk",
		"x_y-z@a-b.example", "A@EXAMPLE.ORG",
	};
	static const char *const bad[] = {
		"", "a", "@example.org", "a@", "a@@example.org",
		"a b@example.org", "a@example..org", "a@-example.org",
		"a@example-.org", ".a@example.org", "a.@example.org",
		"a..b@example.org", "<a@example.org>", "a@example.org\r\nBcc: x",
		"a@exa mple.org", "\"a\"@example.org", "a,b@example.org",
		"a@[127.0.0.1]", "é@example.org",
	};
	char longaddr[300];
	char *a;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good); i++)
		if (!subscribers_address_ok(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (subscribers_address_ok(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	memset(longaddr, 'a', sizeof(longaddr));
	memcpy(longaddr + 250, "@x.org", 7);
	assert_false(subscribers_address_ok(longaddr));

	a = subscribers_address_of("Ann Example <ann@example.org>");
	assert_string_equal(a, "ann@example.org");
	free(a);
	a = subscribers_address_of("  ann@example.org ");
	assert_string_equal(a, "ann@example.org");
	free(a);
	assert_null(subscribers_address_of("Ann <not an address>"));
	assert_null(subscribers_address_of(""));
}

static void
test_tokens(void **state)
{
	char a[SUB_TOKEN_LEN + 1], b[SUB_TOKEN_LEN + 1];

	(void)state;
	assert_int_equal(subscribers_token_new(a), 0);
	assert_int_equal(subscribers_token_new(b), 0);
	assert_int_equal(strlen(a), SUB_TOKEN_LEN);
	assert_true(subscribers_token_ok(a));
	assert_string_not_equal(a, b);
	assert_true(subscribers_token_ok(TOK));
	assert_false(subscribers_token_ok(TOK "0"));
	assert_false(subscribers_token_ok("0123456789abcdef"));
	assert_false(subscribers_token_ok("g123456789abcdef0123456789abcdef"));
	assert_false(subscribers_token_ok(""));
}

static void
test_categories(void **state)
{
	char **v = NULL, *err = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(subscribers_parse_categories("pac,nao,pac", rs, &v,
	    &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "pac");
	assert_string_equal(v[1], "nao");
	subscribers_strv_free(&v, n);
	assert_null(v);

	assert_int_equal(subscribers_parse_categories("all", rs, &v, &n,
	    &err), 0);
	assert_int_equal(n, rules_ncategories(rs));
	subscribers_strv_free(&v, n);

	assert_int_equal(subscribers_parse_categories("nao, bogus", rs, &v,
	    &n, &err), -1);
	assert_null(v);
	assert_string_equal(err, "unknown category 'bogus'");
	free(err);
	err = NULL;
	assert_int_equal(subscribers_parse_categories(" , ", rs, &v, &n, &err),
	    -1);
	free(err);
}

static void
test_modes(void **state)
{
	enum sub_mode m;

	(void)state;
	assert_int_equal(subscribers_mode_parse("daily", &m), 0);
	assert_int_equal(m, SUB_DAILY);
	assert_string_equal(subscribers_mode_name(SUB_INSTANT), "instant");
	assert_int_equal(subscribers_mode_parse("hourly", &m), -1);
}

static const char *
mode_of(char **cats, char **modes, size_t n, const char *cat)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(cats[i], cat))
			return modes[i];
	return "none";
}

static void
test_plan(void **state)
{
	char **cats = NULL, **modes = NULL, *err = NULL;
	struct store_sub cur;
	struct store_sub_cat cc[2];
	size_t n = 0;
	int usage;

	(void)state;
	/* add: every category weekly by default */
	assert_int_equal(subscribers_plan(rs, NULL, NULL, NULL, NULL, &cats,
	    &modes, &n, &err, &usage), 0);
	assert_int_equal(n, rules_ncategories(rs));
	assert_string_equal(mode_of(cats, modes, n, "nao"), "weekly");
	subscribers_strv_free(&cats, n);
	subscribers_strv_free(&modes, n);

	/* instant wins, and adds its category */
	assert_int_equal(subscribers_plan(rs, NULL, "nao", "daily", "pac",
	    &cats, &modes, &n, &err, &usage), 0);
	assert_int_equal(n, 2);
	assert_string_equal(mode_of(cats, modes, n, "nao"), "daily");
	assert_string_equal(mode_of(cats, modes, n, "pac"), "instant");
	subscribers_strv_free(&cats, n);
	subscribers_strv_free(&modes, n);

	assert_int_equal(subscribers_plan(rs, NULL, "nao", "instant", NULL,
	    &cats, &modes, &n, &err, &usage), -1);
	assert_int_equal(usage, 1);
	free(err);
	assert_int_equal(subscribers_plan(rs, NULL, "nao", NULL, "nope",
	    &cats, &modes, &n, &err, &usage), -1);
	assert_int_equal(usage, 0);
	free(err);

	/* set: what is not given stays */
	memset(&cur, 0, sizeof(cur));
	cc[0].category = (char *)(uintptr_t)"nao";
	cc[0].mode = (char *)(uintptr_t)"daily";
	cc[1].category = (char *)(uintptr_t)"pac";
	cc[1].mode = (char *)(uintptr_t)"instant";
	cur.cats = cc;
	cur.n_cats = 2;
	assert_int_equal(subscribers_plan(rs, &cur, "hmip", NULL, NULL,
	    &cats, &modes, &n, &err, &usage), 0);
	assert_int_equal(n, 2);
	assert_string_equal(mode_of(cats, modes, n, "hmip"), "daily");
	assert_string_equal(mode_of(cats, modes, n, "pac"), "instant");
	assert_string_equal(mode_of(cats, modes, n, "nao"), "none");
	subscribers_strv_free(&cats, n);
	subscribers_strv_free(&modes, n);
	/* --instant none turns instant categories into digest ones */
	assert_int_equal(subscribers_plan(rs, &cur, NULL, "weekly", "none",
	    &cats, &modes, &n, &err, &usage), 0);
	assert_string_equal(mode_of(cats, modes, n, "pac"), "weekly");
	assert_string_equal(mode_of(cats, modes, n, "nao"), "weekly");
	subscribers_strv_free(&cats, n);
	subscribers_strv_free(&modes, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_not_commands),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_plan),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
