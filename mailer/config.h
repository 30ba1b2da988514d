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

struct config {
	char *path;           /* the file read, or NULL for built-in defaults */
	char *store_path;     /* [store] path */
	char *rules_dir;      /* [rules] dir */
	struct limits lim;    /* [limits] */
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

#endif
