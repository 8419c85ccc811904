/*
 * output_file.c -- atomic replacement of an output file: temporary file in
 * the same directory, write, fsync, fchmod (0644 unless told), rename,
 * fsync directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/output_file.h"

/* Splits path into its directory ("." when none) and its last component.
 * Returns 0, or -1 when the last component is empty, "." or "..". */
static int
split_path(const char *path, char *dir, size_t dirlen, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	if (**base == '\0' || strcmp(*base, ".") == 0 ||
	    strcmp(*base, "..") == 0)
		return -1;
	if (slash == NULL)
		snprintf(dir, dirlen, ".");
	else if (slash == path)
		snprintf(dir, dirlen, "/");
	else
		snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
	return 0;
}

int
output_file_check(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	const char *base;
	struct stat st;

	if (strlen(path) >= sizeof(dir) ||
	    split_path(path, dir, sizeof(dir), &base) != 0) {
		snprintf(err, errlen, "%s: not a file name", path);
		return -1;
	}
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "%s: directory %s: %s", path, dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s is not a directory", path, dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "%s: directory %s is not writable: %s",
		    path, dir, strerror(errno));
		return -1;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		return -1;
	}
	return 0;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Makes the rename durable; some file systems refuse fsync on a
 * directory (EINVAL), which is no reason to fail the write. */
static int
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		rc = -1;
	close(fd);
	return rc;
}

/* Writes and flushes the temporary file; 0 or -1 with the failing step. */
static int
fill_temp(int fd, const void *data, size_t len, mode_t mode, const char **step)
{
	if (write_all(fd, data, len) != 0)
		*step = "write";
	else if (fsync(fd) != 0)
		*step = "fsync";
	else if (fchmod(fd, mode) != 0)
		*step = "fchmod";
	else
		return 0;
	return -1;
}

int
output_file_write(
    const char *path, const void *data, size_t len, char *err, size_t errlen)
{
	return output_file_write_mode(path, data, len, 0644, err, errlen);
}

int
output_file_write_mode(const char *path, const void *data, size_t len,
    mode_t mode, char *err, size_t errlen)
{
	char dir[4096], tmp[4096 + 300];
	const char *base, *step = NULL;
	int fd, saved;

	if (output_file_check(path, err, errlen) != 0)
		return -1;
	split_path(path, dir, sizeof(dir), &base);
	/* Hidden and without the target's suffix: collectors skip it. */
	snprintf(tmp, sizeof(tmp), "%s/.%.200s.tmp-XXXXXX", dir, base);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		snprintf(err, errlen,
		    "%s: cannot create a temporary file in "
		    "%s: %s",
		    path, dir, strerror(errno));
		return -1;
	}
	if (fill_temp(fd, data, len, mode, &step) != 0) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) != 0) {
		saved = errno;
		step = "close";
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		saved = errno;
		step = "rename";
		goto fail;
	}
	if (sync_dir(dir) != 0) {
		/* The new file is in place; only durability is in doubt. */
		snprintf(err, errlen, "%s: written, but fsync of %s failed: %s",
		    path, dir, strerror(errno));
		return -1;
	}
	return 0;
fail:
	unlink(tmp);
	snprintf(err, errlen, "%s: %s of temporary file %s failed: %s", path,
	    step, tmp, strerror(saved));
	return -1;
}
