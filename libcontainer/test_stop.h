/* Crash-safety tests stop capsa at named points: with CAPSA_TEST_STOP_AT=<point>
 * in its environment, capsa raises SIGSTOP when it reaches <point>, and the test
 * kills it there with SIGKILL (tests/integration/test_crash_points.py). Unset, a
 * point costs one compare of a cached pointer. Parent side only: children wipe
 * their environment (child_guard.c). */
#ifndef CAPSA_TEST_STOP_H
#define CAPSA_TEST_STOP_H

#define TEST_STOP_ENV "CAPSA_TEST_STOP_AT"

void test_stop_at (const char *point);

#endif
