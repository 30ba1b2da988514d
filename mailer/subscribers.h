/*
 * subscribers.h - who gets what: addresses, tokens, delivery modes, the
 * `subscriber` command and the (un)subscribe commands that arrive by
 * mail.
 *
 * The parsing helpers are pure (no store, no I/O) so the unit tests link
 * them alone; subscribers_cli() and subscribers_mail_run() work on the
 * store.  A token is the subscriber's only secret: it goes into the
 * messages sent to that subscriber and never into a log.
 */
#ifndef BULLETIN_SUBSCRIBERS_H
#define BULLETIN_SUBSCRIBERS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "rules.h"
#include "store.h"

/* How one category reaches a subscriber; SUB_NONE has no store row. */
enum sub_mode { SUB_NONE = 0, SUB_WEEKLY, SUB_DAILY, SUB_INSTANT };

/* "weekly", "daily", "instant" or "none". */
const char *subscribers_mode_name(enum sub_mode m);
/* Parses one of those names.  Returns 0, or -1 when s is none of them. */
int subscribers_mode_parse(const char *s, enum sub_mode *m_r);

/* Longest address accepted (RFC 5321's path limit less the brackets). */
#define SUB_MAX_ADDRESS 254
/* A token: 32 lower-case hex digits (128 bits from getrandom). */
#define SUB_TOKEN_LEN 32
/* Most categories one list may name. */
#define SUB_MAX_CATEGORIES 64

/*
 * 1 when addr is a plain addr-spec we are willing to put in an envelope
 * and a header: local@domain, printable ASCII, no white space, none of
 * <>()[]\,;:" and no quoting, a domain of dot-separated labels, at most
 * SUB_MAX_ADDRESS bytes.  Else 0.
 */
int subscribers_address_ok(const char *addr);

/* The address inside a From value ("Name <a@b>" or "a@b"), lower-cased
 * domain kept as written; NULL when none passes subscribers_address_ok.
 * Caller frees. */
char *subscribers_address_of(const char *from);

/* Fills tok with a fresh token.  Returns 0, or -1 when the kernel has no
 * randomness to give (never a weak token). */
int subscribers_token_new(char tok[SUB_TOKEN_LEN + 1]);
/* 1 when s looks like a token, else 0. */
int subscribers_token_ok(const char *s);

/*
 * Parses a category list: ids separated by commas (and, in mail, spaces),
 * or "all" for every category of rs.  Every id must be a category of rs.
 * Returns 0 with *ids_r (n_r ids, no duplicates, in the list's order;
 * free with subscribers_strv_free), or -1 with *err_r naming the first
 * unknown id (caller frees).  An empty list is an error.
 */
int subscribers_parse_categories(const char *list, const struct ruleset *rs,
    char ***ids_r, size_t *n_r, char **err_r);
void subscribers_strv_free(char ***v, size_t n);

/* What a message's subject asks for. */
enum sub_cmd {
	SUB_CMD_NONE = 0,
	SUB_CMD_SUBSCRIBE,     /* "subscribe [categories]" */
	SUB_CMD_CONFIRM,       /* "confirm TOKEN" */
	SUB_CMD_UNSUBSCRIBE,   /* "unsubscribe TOKEN [CATEGORY]" */
};
struct sub_command {
	enum sub_cmd cmd;
	char token[SUB_TOKEN_LEN + 1];   /* confirm, unsubscribe */
	char *args;   /* subscribe: the category list, NULL for all;
			 unsubscribe: the category, NULL for everything.
			 Owned; release with subscribers_command_clear() */
};

/*
 * Parses a subject (any "Re:"/"Fwd:" prefixes and surrounding spaces
 * ignored; the command word in any case).  Only an exact form counts:
 * the word, then for confirm and unsubscribe a well-formed token, then
 * nothing more than the documented arguments, each [a-z0-9_-] ids.
 * Returns the command (SUB_CMD_NONE for an ordinary subject, which is
 * then left alone) and fills *c_r.  Whether the category ids exist is
 * for the caller to check.
 */
enum sub_cmd subscribers_parse_command(const char *subject,
    struct sub_command *c_r);
void subscribers_command_clear(struct sub_command *c);

/*
 * Builds the category → mode map for `subscriber add` and `set`.  For
 * add, cur is NULL; for set, the subscriber's present categories, whose
 * values stand in for options not given.  categories ("all" or a list;
 * NULL: every category for add, unchanged for set), mode (weekly or
 * daily; NULL: weekly, or the present digest mode), instant (a list, ""
 * or "none" for no instant category; NULL: none, or unchanged).  A
 * category in instant gets instant whether or not categories names it.
 * Returns 0 with n_r parallel arrays *cats_r and *modes_r (free both
 * with subscribers_strv_free), or -1 with *err_r and *usage_r (1 for a
 * bad mode, 0 for an unknown category).
 */
int subscribers_plan(const struct ruleset *rs, const struct store_sub *cur,
    const char *categories, const char *mode, const char *instant,
    char ***cats_r, char ***modes_r, size_t *n_r, char **err_r,
    int *usage_r);

/* Options of the `subscriber` command (borrowed). */
struct sub_opts {
	const char *name, *categories, *mode, *instant;
	int json;
};

/*
 * Runs `subscriber add|set|remove|list` with args (args[0] is the verb).
 * Prints to stdout, errors to stderr.  Returns a sysexits.h code:
 * EX_USAGE for a bad verb, option or missing address, EX_DATAERR for a
 * malformed address, an unknown category, an address already there
 * (add) or not there (set, remove), EX_SOFTWARE on a store error.
 */
int subscribers_cli(struct store *st, const struct ruleset *rs,
    const struct sub_opts *o, char **args, int nargs);

/*
 * The pass after fetch: looks at messages stored since the "commands"
 * mark whose subject is a command, acts on it, and records the message
 * as a command (its items are dropped, so no digest lists it).  A
 * subscribe adds an unconfirmed subscriber and queues a confirmation
 * (templates/confirm.txt); confirm and unsubscribe need the right token
 * and change nothing otherwise.  Returns a sysexits.h code.
 */
int subscribers_mail_run(const struct config *cfg, const struct ruleset *rs,
    struct store *st, int64_t now);

#endif
