/* Permission levels with MLflow's semantics (NO_PERMISSIONS < READ < EDIT <
 * MANAGE; only MANAGE deletes and manages grants). */
#ifndef MG_LEVELS_H
#define MG_LEVELS_H

enum perm_level { LEVEL_NO_PERMISSIONS = 0, LEVEL_READ, LEVEL_EDIT, LEVEL_MANAGE };

/* Parses a level name (MLflow's spelling, case-insensitive); 0 or -EINVAL. */
int level_parse(const char *s, enum perm_level *out);
const char *level_name(enum perm_level l);

#endif
