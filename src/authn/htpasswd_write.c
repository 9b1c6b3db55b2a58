/* htpasswd writer: temp file in the same directory -> fsync -> rename ->
 * fsync the directory, so a crash leaves either the old file or the new one. */
#include "authn/htpasswd_write.h"
#include "core/buf.h"
#include "core/mem.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool htpasswd_valid_user(const char *user)
{
	size_t n = strlen(user);
	if (n == 0 || n > 127)
		return false;
	for (const char *p = user; *p; p++)
		if (*p == ':' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return user[0] != '#';
}

int htpasswd_write_user(const char *path, const char *user, const char *hash, bool create, const char **err)
{
	struct buf out;
	buf_init(&out, 64 << 20);
	bool replaced = false;
	size_t ul = strlen(user);
	if (!create) {
		FILE *f = fopen(path, "re");
		if (f == NULL) {
			*err = "cannot read the file (use -c to create it)";
			buf_free(&out);
			return -errno;
		}
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		while ((n = getline(&line, &cap, f)) != -1) {
			if (strncmp(line, user, ul) == 0 && line[ul] == ':') {
				if (!replaced)
					buf_printf(&out, "%s:%s\n", user, hash);
				replaced = true;
				continue;
			}
			buf_append(&out, line, (size_t)n);
			if (n > 0 && line[n - 1] != '\n')
				buf_appends(&out, "\n");
		}
		free(line);
		fclose(f);
	}
	if (!replaced && buf_printf(&out, "%s:%s\n", user, hash)) {
		*err = "file too large";
		buf_free(&out);
		return -EFBIG;
	}
	char *dcopy = mem_strdup(path);
	char *dir = dirname(dcopy);
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	int rc = 0;
	if (fd == -1) {
		rc = -errno;
		*err = "cannot create a temporary file next to it";
		goto out;
	}
	fchmod(fd, 0600);
	size_t off = 0;
	while (off < out.len) {
		ssize_t w = write(fd, out.data + off, out.len - off);
		if (w == -1) {
			rc = -errno;
			*err = "write failed";
			close(fd);
			unlink(tmp);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		rc = -errno;
		*err = "fsync failed";
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		rc = -errno;
		*err = "rename failed";
		unlink(tmp);
		goto out;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd != -1) {
		fsync(dfd);
		close(dfd);
	}
out:
	free(dcopy);
	mem_wipe(out.data, out.len);
	buf_free(&out);
	return rc;
}
