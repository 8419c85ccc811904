/*
 * output_file.h -- replace a file atomically, for readers that may open it
 * at any moment (node_exporter's textfile collector, monitoring agents).
 *
 * The data goes to a temporary file in the target's directory whose name
 * starts with '.' and ends in ".tmp-XXXXXX" (never in ".prom", so the
 * textfile collector ignores it), is flushed to disk, made mode 0644 and
 * renamed over the target; then the directory is synced so the rename
 * survives a crash.  A reader sees the old file or the new one, never a
 * partial one.  A process killed mid-way can leave only the temporary
 * file behind, never a truncated target.
 */
#ifndef DANEPROBE_OUTPUT_FILE_H
#define DANEPROBE_OUTPUT_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Cheap early check, before a long probe run: the target is not a
 * directory and its directory exists and is writable.  Returns 0, or -1
 * with a reason in err.  output_file_write() checks everything again.
 */
int output_file_check(const char *path, char *err, size_t errlen);

/*
 * Atomically replaces `path` with the `len` bytes at `data`.  Returns 0,
 * or -1 with a reason in err; on failure the target is untouched and the
 * temporary file removed.
 */
int output_file_write(
    const char *path, const void *data, size_t len, char *err, size_t errlen);

/*
 * The same with the file's mode given: 0600 for a private key.  The
 * temporary file is created 0600 (mkostemp), so the data is never readable
 * by others on the way, whatever `mode` ends up being.
 */
int output_file_write_mode(const char *path, const void *data, size_t len,
    mode_t mode, char *err, size_t errlen);

#endif
