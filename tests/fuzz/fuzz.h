/*
 * fuzz.h -- what every fuzz target in tests/fuzz/ provides.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput(), the libFuzzer entry
 * point, and fuzz_target_name, the folder of its seeds under corpus/.
 * Built with clang -fsanitize=fuzzer (tests/fuzz/run) they are libFuzzer
 * programs; linked with replay.c they are plain `make check` programs that
 * feed every file of corpus/<name>/ once, so seeds and crash reproducers
 * stay regression tests in gcc and sanitizer builds.
 *
 * A target asserts what the module's header promises with FUZZ_CHECK.  It
 * aborts: libFuzzer treats an abort as a crash and saves the input.
 */
#ifndef DANEPROBE_FUZZ_H
#define DANEPROBE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern const char fuzz_target_name[];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n",	\
		    #cond, __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

/* A NUL-terminated copy of the input, for APIs that take C strings; the
 * caller frees it.  Aborts on allocation failure (a fuzz run has no
 * better answer). */
static inline char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s != NULL);
	for (size_t i = 0; i < size; i++)
		s[i] = (char)data[i];
	s[size] = '\0';
	return s;
}

#endif
