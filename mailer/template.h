/*
 * template.h - user-editable templates (templates/digest.txt, digest.html,
 * ...) rendered against a small plain-C data model.
 *
 * The language is a Mustache subset, and nothing more (docs/templates.md):
 *
 *	{{name}}            a value, escaped for the template's mode
 *	{{#name}}...{{/name}} a loop over a list, or a block shown when the
 *	                    value is true (non-empty, non-zero)
 *	{{^name}}...{{/name}} a block shown when the value is false or absent
 *	{{! comment }}      dropped
 *
 * There is no unescaped output, no partial and no delimiter change, so a
 * value can never become markup.  A line holding only a section or
 * comment tag disappears from the output with its newline.
 *
 * Pure logic: no I/O besides reading the template file in tpl_load(), no
 * GLib, no GMime.  Errors come back as "FILE:LINE: message" in *err_r
 * (caller frees).
 *
 * Usage:
 *	struct tpl *t;
 *	struct tpl_data *d = tpl_data_new(), *s;
 *	char *out, *err;
 *
 *	if (tpl_load("templates/digest.html", TPL_HTML, &t, &err) < 0)
 *		...report err...
 *	tpl_data_set(d, "period", "17-23 November 2025");
 *	s = tpl_data_add(d, "sections");
 *	tpl_data_set(s, "label", "NAO");
 *	if (tpl_render(t, d, &out, NULL, &err) < 0)
 *		...
 *	tpl_data_free(&d);
 *	tpl_free(&t);
 */
#ifndef BULLETIN_TEMPLATE_H
#define BULLETIN_TEMPLATE_H

#include <stddef.h>

/* How {{name}} values are written out. */
enum tpl_mode {
	TPL_TEXT = 0,   /* as they are (values are UTF-8 without controls) */
	TPL_HTML,       /* & < > " ' as entities */
};

/* Ceilings: a template file, section nesting, rendered output, and the
 * steps of one render, nodes visited and passes over list elements
 * (sections nested over the same list repeat the work, without output,
 * as many times as the list has elements to the power of the nesting). */
#define TPL_MAX_FILE   (1024 * 1024)
#define TPL_MAX_DEPTH  16
#define TPL_MAX_OUTPUT (16 * 1024 * 1024)
#define TPL_MAX_STEPS  (4 * 1024 * 1024)

struct tpl;        /* a parsed template */
struct tpl_data;   /* a map from names to values and lists of maps */

/*
 * Reads and parses the template at path.  Returns 0 and *tpl_r (caller
 * frees with tpl_free), or -1 with *err_r set ("FILE:LINE: message", or
 * "FILE: message" when the file cannot be read; caller frees).
 */
int tpl_load(const char *path, enum tpl_mode mode, struct tpl **tpl_r,
    char **err_r);

/* As tpl_load, from len bytes of text; name is what errors call the file.
 * text is copied; nothing is borrowed after the call. */
int tpl_parse(const char *name, const char *text, size_t len,
    enum tpl_mode mode, struct tpl **tpl_r, char **err_r);

void tpl_free(struct tpl **t);

/*
 * Renders t against d.  Returns 0 with *out_r (NUL-terminated, caller
 * frees) and, when len_r is not NULL, its length; or -1 with *err_r
 * ("FILE:LINE: unknown variable 'x'", "FILE:LINE: 'x' is a list",
 * "FILE: output larger than N bytes", "FILE: more than N steps to
 * render"; caller frees).  A {{name}} that no
 * enclosing map defines is an error, so a misspelt name is not silently
 * blank; a section over an absent name is simply false.
 */
int tpl_render(const struct tpl *t, const struct tpl_data *d, char **out_r,
    size_t *len_r, char **err_r);

/*
 * The data model.  Names are [A-Za-z0-9_]; setting a name again replaces
 * its value.  Every value is copied.  A name in an inner map (a list
 * element) hides the same name outside it; names not found inside are
 * looked up outwards, as in Mustache.
 */
struct tpl_data *tpl_data_new(void);
void tpl_data_free(struct tpl_data **d);   /* frees the whole tree */

/* One line of text: invalid UTF-8 becomes U+FFFD; CR, LF and tab become
 * spaces; other control characters are dropped.  NULL is "".  True when
 * non-empty.  Use this for anything that came from mail. */
void tpl_data_set(struct tpl_data *d, const char *name, const char *value);
/* As tpl_data_set, keeping line breaks (CRLF and CR become LF). */
void tpl_data_set_text(struct tpl_data *d, const char *name,
    const char *value);
/* A number, written in decimal; true when non-zero. */
void tpl_data_set_int(struct tpl_data *d, const char *name, long value);
/* A flag for {{#name}} / {{^name}}; {{name}} writes nothing. */
void tpl_data_set_bool(struct tpl_data *d, const char *name, int value);
/*
 * A link.  Only http:, https: and mailto: URLs (scheme in any case, no
 * white space or control characters, valid UTF-8, at most TPL_MAX_URL
 * bytes) are kept;
 * anything else sets the name to "" (false, so {{#name}} hides the link)
 * and returns -1.  Returns 0 when kept.
 */
#define TPL_MAX_URL 2048
int tpl_data_set_url(struct tpl_data *d, const char *name, const char *url);
/* Appends a new empty map to the list called name (creating the list,
 * replacing any other value of that name) and returns it; it is owned by
 * d.  An empty or absent list is false. */
struct tpl_data *tpl_data_add(struct tpl_data *d, const char *name);

/* Returns 1 when url would be kept by tpl_data_set_url, else 0. */
int tpl_url_ok(const char *url);

#endif
