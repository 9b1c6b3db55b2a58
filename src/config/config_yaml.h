/* Internal to src/config: the key table and the YAML reader that applies a
 * file to a config object. */
#ifndef MG_CONFIG_YAML_H
#define MG_CONFIG_YAML_H
#include "config/config.h"

enum config_key_type { CK_STR = 0, CK_BOOL, CK_INT, CK_SIZE, CK_DURATION, CK_ENUM, CK_STRLIST, CK_LISTEN };

struct config_key {
	const char *name;	/* dotted path, e.g. "upstream.url" */
	enum config_key_type type;
	size_t offset;		/* into struct config */
	const char *def;	/* default, in the same syntax as the file */
	const char *help;
	const char *choices;	/* CK_ENUM: "a|b|c" */
};

extern const struct config_key config_keys[];

const struct config_key *config__find_key(const char *name);
int config__set(struct config *cfg, const struct config_key *k, const char *v, const char **why);
void config__clear_listen(struct config *cfg);
int config__add_listen(struct config *cfg, const char *addr, const char *cert, const char *key,
		       bool redirect, const char **why);
/* Applies the YAML file at path; appends "file:line:col: msg" lines to
 * errors and returns -EINVAL if anything was wrong. */
int config_yaml_apply(struct config *cfg, const char *path, struct buf *errors);

#endif
