/* Minimal unit-test harness: CHECK() records failures, the closing line is
 * "N passed, N failed" so ctest and CI can read it. */
#ifndef CAPSA_UNIT_H
#define CAPSA_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (cond)                                                                    \
      unit_passed++;                                                             \
    else                                                                         \
      {                                                                          \
        unit_failed++;                                                           \
        fprintf (stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      }                                                                          \
  } while (0)

#define CHECK_STR(a, b)                                                               \
  do {                                                                                \
    const char *a_ = (a), *b_ = (b);                                                  \
    if (a_ && b_ && strcmp (a_, b_) == 0)                                             \
      unit_passed++;                                                                  \
    else                                                                              \
      {                                                                               \
        unit_failed++;                                                                \
        fprintf (stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__,  \
                 b_ ? b_ : "(null)", a_ ? a_ : "(null)");                             \
      }                                                                               \
  } while (0)

/* a contains b */
#define CHECK_CONTAINS(a, b)                                                           \
  do {                                                                                 \
    const char *a_ = (a), *b_ = (b);                                                   \
    if (a_ && b_ && strstr (a_, b_))                                                   \
      unit_passed++;                                                                   \
    else                                                                               \
      {                                                                                \
        unit_failed++;                                                                 \
        fprintf (stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
                 a_ ? a_ : "(null)", b_ ? b_ : "(null)");                              \
      }                                                                                \
  } while (0)

static inline int
unit_finish (const char *name)
{
  printf ("%s: %d passed, %d failed\n", name, unit_passed, unit_failed);
  return unit_failed ? 1 : 0;
}

#endif
