/*
 * config.h - the configuration file (INI, read with GLib's GKeyFile).
 *
 * One table of options with type, default and bounds lives in config.c;
 * every problem is reported as "FILE:LINE: message".  No GLib type leaves
 * config.c.
 */
#ifndef BULLETIN_CONFIG_H
#define BULLETIN_CONFIG_H

#include "util.h"

enum imap_tls { IMAP_TLS_IMAPS = 0, IMAP_TLS_STARTTLS, IMAP_TLS_NONE };
enum imap_after { IMAP_AFTER_KEEP = 0, IMAP_AFTER_SEEN, IMAP_AFTER_MOVE };

/* [imap]; all strings owned by the config.  Line numbers (0 when the key
 * is absent) let config_check() point at the key at fault. */
struct imap_config {
	int enabled;            /* the file has an [imap] section */
	char *host;             /* "" when unset */
	unsigned port;          /* 993 for imaps, 143 otherwise, by default */
	enum imap_tls tls;
	char *ca_file;          /* extra trust anchors (PEM), "" for none */
	char *user;
	char *password_file;    /* "" for $CREDENTIALS_DIRECTORY/imap.pass,
	                         * else imap.pass beside the config file */
	char **folders;         /* n_folders names, at least "INBOX" */
	size_t n_folders, n_folders_cap;
	enum imap_after after;
	char *after_folder;     /* the FOLDER of move:FOLDER, else NULL */
	int allow_plaintext;
	unsigned timeout;       /* seconds, connect and each response */
	unsigned batch;         /* messages per UID FETCH and transaction */

	/* where the keys stand in the file, for config_check() */
	unsigned line_section, line_host, line_user, line_tls,
	    line_password_file, line_ca_file;
	/* raw option strings, parsed in config_load() */
	char *tls_s, *folders_s, *after_s;
};

/* [smtp]; strings owned by the config, "" when unset. */
struct smtp_conf {
	int enabled;            /* the file has an [smtp] section */
	char *url;              /* smtp://host:port or smtps://host:port */
	int tls;                /* enum smtp_tls (smtp.h) */
	char *ca_file;
	char *user;
	char *password_file;    /* "" for $CREDENTIALS_DIRECTORY/smtp.pass,
	                         * else smtp.pass beside the config file */
	char *from;             /* envelope sender and From: address */
	unsigned timeout;       /* seconds */
	unsigned rate;          /* messages per second, 0 = no limit */
	int allow_plaintext;

	unsigned line_section, line_url, line_tls, line_from,
	    line_password_file, line_ca_file;
	char *tls_s;
};

/* [digest]; strings owned by the config. */
struct digest_conf {
	char *name;             /* the list's name in messages */
	char *list_id;          /* List-Id; "" = derived from name and domain */
	char *request_address;  /* where (un)subscribe mail goes; "" = from */
	char *unsubscribe_url;  /* optional https one-click URL prefix */
	char *templates;        /* directory of digest.txt, digest.html, ... */
	char *shipped;          /* the shipped ones, for names templates lacks;
	                         * "" for none */
	char **order;           /* n_order category ids, or none: rules order */
	size_t n_order, n_order_cap;
	int send_empty;         /* empty = send */
	int omit_forwarded;     /* forwarded = omit */
	char *domain;           /* for Message-IDs; "" = from's domain */

	unsigned line_section, line_order, line_unsubscribe_url;
	char *order_s, *empty_s, *forwarded_s;
};

struct config {
	char *path;           /* the file read, or NULL for built-in defaults */
	char *dir;            /* path's directory, or NULL */
	char *store_path;     /* [store] path */
	unsigned keep_days;   /* [store] keep_days: prune older mail; 0 keeps
	                       * everything (retention.h) */
	unsigned lock_wait;   /* [store] lock_wait: seconds a run waits for
	                       * another to finish */
	char *rules_dir;      /* [rules] dir: local rule files */
	char *rules_shipped;  /* [rules] shipped: files dir lacks come from
	                       * here; "" for none */
	struct limits lim;    /* [limits] */
	struct imap_config imap;   /* [imap] */
	struct smtp_conf smtp;     /* [smtp] */
	struct digest_conf digest; /* [digest] */
};

/* Where the file is looked for when no --config is given. */
#define CONFIG_DEFAULT_PATH "/etc/bulletin/bulletin.conf"

/*
 * Reads path (explicit: must exist), or when path is NULL
 * $BULLETIN_CONFIG, else CONFIG_DEFAULT_PATH if it exists, else built-in
 * defaults.  Returns 0, or -1 with *err_r holding one "FILE:LINE: message"
 * line per problem (caller frees).  *cfg is filled either way and must be
 * released with config_free().
 */
int config_load(const char *path, struct config *cfg, char **err_r);
void config_free(struct config *cfg);

/*
 * Checks what config_load() cannot see from the text alone: an [imap]
 * section without host or user, a password file that is missing,
 * unreadable or readable by group or others, plain text to a host that
 * is not loopback without allow_plaintext = true, an unreadable ca_file.
 * Returns 0 when all is well, or -1 with *report_r holding one
 * "FILE:LINE: message" line per problem (caller frees).
 */
int config_check(const struct config *cfg, char **report_r);

/* 1 when host names the loopback interface: "localhost", 127.0.0.0/8 or
 * ::1 (bracketed or not), else 0. */
int config_host_is_loopback(const char *host);

/* Where the IMAP password is read from: password_file, else
 * $CREDENTIALS_DIRECTORY/imap.pass (systemd's LoadCredential=), else
 * imap.pass in the config file's directory, so a hand-run command finds
 * the file the unit loads.  Returns a string the caller frees, or NULL
 * when none applies (built-in defaults). */
char *config_password_path(const struct config *cfg);

/* As config_password_path, for [smtp] and smtp.pass. */
char *config_smtp_password_path(const struct config *cfg);

/* Longest password file accepted, in bytes. */
#define CONFIG_PASSWORD_MAX 1024

/*
 * Reads the password: at most CONFIG_PASSWORD_MAX bytes, one trailing
 * newline (LF or CRLF) stripped; a file that is group- or world-readable,
 * empty, too long or holds a NUL, CR or LF inside is refused.  Returns 0
 * with *pass_r (caller zeroes with config_password_free()), or -1 with
 * *err_r set (caller frees; never contains the password).
 */
int config_password_read(const char *path, char **pass_r, char **err_r);
/* Zeroes and frees *pass, sets it to NULL; NULL is fine. */
void config_password_free(char **pass);

#endif
