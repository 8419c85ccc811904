/*
 * replay.c -- runs a fuzz target over files once, without libFuzzer, so
 * the seed corpora and every crash reproducer are regression tests in the
 * normal (gcc) and sanitizer builds of `make check`.
 *
 * Usage: replay_<name> [FILE|DIR]...  With no argument it reads
 * $abs_top_srcdir/tests/fuzz/corpus/<name>/ (the test harness sets
 * abs_top_srcdir).  Fails when there is nothing to replay: a missing
 * corpus must not pass silently.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Reads a whole file; returns 0 or -1 (reason printed). */
static int
replay_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nbuf = realloc(buf, cap = cap ? cap * 2 : 4096);

			if (nbuf == NULL) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	(*count)++;
	return 0;
}

static int
replay_path(const char *path, size_t *count)
{
	struct stat st;
	struct dirent **ents;
	int n, rc = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, count);
	/* Sorted, so a failure names the same first file every time. */
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char file[4096];

		if (ents[i]->d_name[0] != '.') {
			snprintf(file, sizeof(file), "%s/%s", path,
			    ents[i]->d_name);
			if (replay_file(file, count) < 0)
				rc = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
main(int argc, char **argv)
{
	char dir[4096];
	const char *top = getenv("abs_top_srcdir");
	size_t count = 0;
	int rc = 0;

	if (argc < 2) {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
		    top != NULL ? top : ".", fuzz_target_name);
		rc = replay_path(dir, &count);
	}
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) < 0)
			rc = -1;
	printf("replay %s: %zu inputs replayed\n",
	    fuzz_target_name, count);
	if (count == 0) {
		fprintf(stderr, "replay %s: nothing to replay\n",
		    fuzz_target_name);
		return 1;
	}
	return rc < 0 ? 1 : 0;
}
