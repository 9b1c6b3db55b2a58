/* Writing htpasswd files: set one user's hash, durably and atomically. */
#ifndef MG_HTPASSWD_WRITE_H
#define MG_HTPASSWD_WRITE_H
#include <stdbool.h>

/* Sets user's entry to hash in path (replacing an existing line, keeping all
 * other lines as they are). create: start a new file even if one exists.
 * Writes a temporary file in the same directory with mode 0600, fsyncs it,
 * renames it over path and fsyncs the directory. Returns 0 or -errno, with a
 * message in *err (static string). */
int htpasswd_write_user(const char *path, const char *user, const char *hash, bool create, const char **err);
/* true when user is a valid htpasswd user name (no ':', no control chars, 1..127 bytes). */
bool htpasswd_valid_user(const char *user);

#endif
