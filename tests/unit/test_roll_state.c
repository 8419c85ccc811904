/*
 * test_roll_state.c -- the rollover state file: a round trip keeps every
 * field, a torn or corrupt file is refused with the line that is wrong,
 * and each step runs only after the one before it (switch and retire
 * only after their TTL).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/roll_state.h"

#define SPKI_A \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SPKI_B \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static roll_state
sample(void)
{
	roll_state s;

	roll_state_init(&s);
	snprintf(s.host, sizeof(s.host), "mx.example.lab");
	snprintf(s.zone, sizeof(s.zone), "example.lab");
	snprintf(s.cert, sizeof(s.cert), "/etc/mail/cert.pem");
	snprintf(s.key, sizeof(s.key), "/etc/mail/key.pem");
	snprintf(s.next_key, sizeof(s.next_key), "/etc/mail/key.pem.next");
	snprintf(s.next_alg, sizeof(s.next_alg), "rsa");
	snprintf(s.current_spki, sizeof(s.current_spki), SPKI_A);
	snprintf(s.next_spki, sizeof(s.next_spki), SPKI_B);
	s.port = 2525;
	s.done = ROLL_STEP_PUBLISH;
	s.doing = ROLL_STEP_WAIT;
	s.ttl = 30;
	s.visible_at = 1700000000;
	s.switched_at = 0;
	return s;
}

Test(roll_state, round_trip_keeps_every_field)
{
	roll_state s = sample(), t;
	char buf[8192], err[200];
	int n = roll_state_format(&s, buf, sizeof(buf));

	cr_assert_gt(n, 0);
	cr_assert_eq(roll_state_parse(buf, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(memcmp(&s, &t, sizeof(s)), 0);
	cr_assert_not_null(strstr(buf, "\ndone=publish\ndoing=wait\n"));
	cr_assert_str_eq(buf + n - 4, "end\n");
}

Test(roll_state, save_is_private_and_loads_back)
{
	char dir[] = "/tmp/test_roll_state.XXXXXX", path[64], err[300];
	roll_state s = sample(), t;
	struct stat st;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	cr_assert_eq(roll_state_save(path, &s, 1700000123, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(roll_state_load(path, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(t.updated, 1700000123);
	cr_assert_str_eq(t.next_key, s.next_key);
	unlink(path);
	cr_assert_eq(roll_state_load(path, &t, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
	rmdir(dir);
}

Test(roll_state, newline_in_a_value_is_not_written)
{
	roll_state s = sample();
	char buf[8192];

	snprintf(s.cert, sizeof(s.cert), "/tmp/x\ndone=retire");
	cr_assert_eq(roll_state_format(&s, buf, sizeof(buf)), -1);
}

typedef struct bad_file {
	const char *cut;     /* the text is cut before this (NULL: whole) */
	const char *replace; /* and this is put after the cut */
	const char *resume;  /* where the original goes on (NULL: nothing) */
	const char *reason;
} bad_file;

static const bad_file bad_files[] = {
	{ "end\n", "", NULL, "no \"end\" line (the file is torn)" },
	{ "zone=", "zo", NULL, "cut off (the file is torn)" },
	{ "daneprobe", "not a state\n", NULL, "line 1: not a daneprobe" },
	{ "port=", "port=0\n", "zone=", "line 3: bad value for port" },
	{ "done=", "done=later\n", "doing=", "bad value for done" },
	{ "zone=", "colour=blue\n", "zone=", "unknown field \"colour\"" },
	{ "zone=", "host=a\n", "zone=", "host given twice" },
	{ "zone=", "", "cert=", "field zone is missing" },
	{ "doing=", "doing=retire\n", "ttl=", "doing=retire does not follow" },
	{ "end\n", "end\nmore\n", NULL, "text after \"end\"" },
	{ "next_spki=", "next_spki=abc\n",
	    "done=", "next_spki is not a SHA-256" },
	{ "ttl=", "ttl=-5\n", "visible_at=", "bad value for ttl" },
};
#define N_BAD (sizeof(bad_files) / sizeof(bad_files[0]))

ParameterizedTestParameters(roll_state, corrupt_file_says_what_is_wrong)
{
	static size_t idx[N_BAD];

	for (size_t i = 0; i < N_BAD; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, N_BAD);
}

ParameterizedTest(size_t *i, roll_state, corrupt_file_says_what_is_wrong)
{
	const bad_file *b = &bad_files[*i];
	roll_state s = sample(), t;
	char good[8192], bad[8192], err[200] = "";
	const char *cut, *resume;

	cr_assert_gt(roll_state_format(&s, good, sizeof(good)), 0);
	cr_assert_not_null(cut = strstr(good, b->cut));
	snprintf(
	    bad, sizeof(bad), "%.*s%s", (int)(cut - good), good, b->replace);
	if (b->resume != NULL) {
		cr_assert_not_null(resume = strstr(cut, b->resume));
		strcat(bad, resume);
	}
	cr_assert_eq(roll_state_parse(bad, &t, err, sizeof(err)), -1,
	    "accepted:\n%s", bad);
	cr_assert_not_null(
	    strstr(err, b->reason), "\"%s\" lacks \"%s\"", err, b->reason);
}

Test(roll_state, steps_run_in_order)
{
	roll_state s = sample();
	char err[200];
	long left;

	s.done = ROLL_STEP_NONE;
	s.doing = ROLL_STEP_NONE;
	cr_assert_eq(roll_state_next(&s), ROLL_STEP_STAGE);
	cr_assert_eq(roll_state_gate(&s, ROLL_STEP_STAGE, 0, false, &left, err,
	                 sizeof(err)),
	    ROLL_GATE_GO);
	cr_assert_eq(roll_state_gate(&s, ROLL_STEP_PUBLISH, 0, false, &left,
	                 err, sizeof(err)),
	    ROLL_GATE_REFUSE);
	cr_assert_str_eq(err, "publish refused: stage is not done yet");
	roll_state_begin(&s, ROLL_STEP_STAGE);
	cr_assert_eq(s.doing, ROLL_STEP_STAGE);
	roll_state_finish(&s, ROLL_STEP_STAGE);
	cr_assert_eq(s.done, ROLL_STEP_STAGE);
	cr_assert_eq(s.doing, ROLL_STEP_NONE);
	cr_assert_eq(roll_state_gate(&s, ROLL_STEP_STAGE, 0, false, &left, err,
	                 sizeof(err)),
	    ROLL_GATE_DONE);
	cr_assert_eq(roll_state_gate(&s, ROLL_STEP_PUBLISH, 0, false, &left,
	                 err, sizeof(err)),
	    ROLL_GATE_GO);
	cr_assert_eq(roll_state_gate(
	                 &s, ROLL_STEP_WAIT, 0, false, &left, err, sizeof(err)),
	    ROLL_GATE_REFUSE);
}

Test(roll_state, switch_waits_for_the_wait_step)
{
	roll_state s = sample();
	char err[200];
	long left;

	s.done = ROLL_STEP_PUBLISH;
	s.doing = ROLL_STEP_NONE;
	cr_assert_eq(roll_state_gate(&s, ROLL_STEP_SWITCH, 1700000010, false,
	                 &left, err, sizeof(err)),
	    ROLL_GATE_REFUSE);
	cr_assert_str_eq(err, "switch refused: wait is not done yet");
	cr_assert_eq(roll_state_wait_left(&s, 1700000010), 20);
	cr_assert_eq(roll_state_wait_left(&s, 1700000031), 0);
	/* the test-only override: switch right after publish */
	cr_assert_eq(roll_state_gate(&s, ROLL_STEP_SWITCH, 1700000010, true,
	                 &left, err, sizeof(err)),
	    ROLL_GATE_GO);
	s.done = ROLL_STEP_WAIT;
	cr_assert_eq(roll_state_gate(&s, ROLL_STEP_SWITCH, 1700000031, false,
	                 &left, err, sizeof(err)),
	    ROLL_GATE_GO);
}

Test(roll_state, retire_waits_one_ttl_after_switch)
{
	roll_state s = sample();
	char err[200];
	long left;

	s.done = ROLL_STEP_SWITCH;
	s.doing = ROLL_STEP_NONE;
	s.switched_at = 1700000100;
	cr_assert_eq(roll_state_gate(&s, ROLL_STEP_RETIRE, 1700000110, false,
	                 &left, err, sizeof(err)),
	    ROLL_GATE_WAIT);
	cr_assert_eq(left, 20);
	cr_assert_eq(roll_state_gate(&s, ROLL_STEP_RETIRE, 1700000110, true,
	                 &left, err, sizeof(err)),
	    ROLL_GATE_WAIT, "the override is for switch only");
	cr_assert_eq(roll_state_gate(&s, ROLL_STEP_RETIRE, 1700000130, false,
	                 &left, err, sizeof(err)),
	    ROLL_GATE_GO);
	cr_assert_eq(left, 0);
	roll_state_finish(&s, ROLL_STEP_RETIRE);
	cr_assert_eq(roll_state_next(&s), ROLL_STEP_COUNT);
}
