/* The files of a container's state dir that capsa reads back: state.json (our
 * record, which a crash or a full disk may leave cut short) and the saved
 * cgroup manager beside it. A record that parses goes out as `capsa state`
 * prints it (and as hooks read it) and must come back unchanged through the OCI
 * state parser; a cgroup manager that loads saves to a fixed point.
 * Seeds: corpus/state/. */
#include "fuzz_common.h"
#include "libcontainer/cgroups/cgroup.h"
#include "libcontainer/container_state.h"
#include "spec/state.h"

static bool
same (const char *a, const char *b)
{
  return strcmp (a ? a : "", b ? b : "") == 0;
}

/* record -> `capsa state` JSON -> spec_state: nothing lost or changed. */
static void
check_state_round_trip (const struct lc_record *r, enum lc_status st)
{
  struct spec_state *s = record_to_state (r, st);
  FUZZ_ASSERT (s != NULL);
  char *json = NULL, *hook = NULL;
  struct error *e = NULL;
  FUZZ_ASSERT (spec_state_to_json (s, st & 1, &json, &e) == 0 && e == NULL);
  struct spec_state *back = spec_state_parse (json, strlen (json), &e);
  if (back == NULL)
    fprintf (stderr, "state JSON does not parse back: %s\n%s\n", e->msg, json);
  FUZZ_ASSERT (back != NULL);
  FUZZ_ASSERT (same (back->id, s->id) && same (back->status, s->status) && back->pid == s->pid);
  FUZZ_ASSERT (same (back->bundle, s->bundle) && same (back->rootfs, s->rootfs));
  FUZZ_ASSERT (same (back->created, s->created) && same (back->owner, s->owner));
  FUZZ_ASSERT (back->annotations_len == s->annotations_len);
  for (size_t i = 0; i < s->annotations_len; i++)
    FUZZ_ASSERT (same (back->annotations[i].key, s->annotations[i].key)
                 && same (back->annotations[i].value, s->annotations[i].value));
  FUZZ_ASSERT (spec_state_hook_json (s, &hook, &e) == 0);
  fuzz_assert_json (hook);
  free (hook);
  free (json);
  spec_state_free (back);
  spec_state_free (s);
}

static void
check_cgroup_file (const uint8_t *data, size_t size)
{
  char *saved = fuzz_cstr (data, size);
  struct cgroup_manager *m = NULL, *m2 = NULL;
  struct error *e = NULL;
  int rc = cgroup_manager_load (saved, &m, &e);
  fuzz_check_outcome (rc == 0, e);
  error_free (&e);
  if (rc == 0)
    {
      char *once = cgroup_manager_save (m);
      FUZZ_ASSERT (once != NULL);
      FUZZ_ASSERT (cgroup_manager_load (once, &m2, &e) == 0);
      char *twice = cgroup_manager_save (m2);
      FUZZ_ASSERT (twice != NULL && strcmp (once, twice) == 0);
      free (once);
      free (twice);
      cgroup_manager_free (m2);
      cgroup_manager_free (m);
    }
  free (saved);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct lc_record r;
  struct error *e = NULL;
  int rc = record_parse ((const char *) data, size, &r, &e);
  fuzz_check_outcome (rc == 0, e);
  error_free (&e);
  if (rc == 0)
    {
      check_state_round_trip (&r, (enum lc_status) (size % (LC_STOPPED + 1)));
      record_clear (&r);
    }
  check_cgroup_file (data, size);
  return 0;
}
