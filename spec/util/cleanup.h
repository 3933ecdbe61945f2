/* __attribute__((cleanup)) helpers: every error path is also a clean path.
 * Move ownership out with steal_pointer()/steal_fd(). */
#ifndef CAPSA_CLEANUP_H
#define CAPSA_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep (void *p) { free (*(void **) p); }
static inline void cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}
static inline void cleanup_fclosep (FILE **f) { if (*f) fclose (*f); }
static inline void cleanup_closedirp (DIR **d) { if (*d) closedir (*d); }
static inline void cleanup_strvp (char ***v)
{
  if (*v)
    {
      for (char **i = *v; *i; i++)
        free (*i);
      free (*v);
    }
}

#define _cleanup_free_ __attribute__ ((cleanup (cleanup_freep)))
#define _cleanup_close_ __attribute__ ((cleanup (cleanup_closep)))
#define _cleanup_fclose_ __attribute__ ((cleanup (cleanup_fclosep)))
#define _cleanup_closedir_ __attribute__ ((cleanup (cleanup_closedirp)))
#define _cleanup_strv_ __attribute__ ((cleanup (cleanup_strvp)))

static inline void *steal_ptr_ (void **p) { void *r = *p; *p = NULL; return r; }
#define steal_pointer(pp) ((__typeof__ (*(pp))) steal_ptr_ ((void **) (pp)))
static inline int steal_fd (int *fd) { int r = *fd; *fd = -1; return r; }

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))
#define UNLIKELY(x) __builtin_expect (!!(x), 0)

#endif
