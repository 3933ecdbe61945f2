/* config.json mounts[].options through the option table (mountopt_parse). The
 * input is the option list, one option per line. Checked against a model:
 * an empty option, or an unknown one holding a comma (it would smuggle extra
 * options to the filesystem), fails with a message; otherwise the fs data
 * string is exactly the unknown options, in order, joined by commas, and the
 * flag sets never contradict themselves. A line is also tried as a
 * rootfsPropagation value. Seeds: corpus/mount_options/. */
#include <sys/mount.h>

#include "fuzz_common.h"
#include "libcontainer/mountopt.h"

#ifndef MOUNT_ATTR__ATIME
#define MOUNT_ATTR__ATIME 0x00000070
#endif

/* The model is harness code: no coverage feedback from it. */
__attribute__ ((no_sanitize ("coverage"))) static bool
known (const char *opt)
{
  for (size_t i = 0; mountopt_name_at (i); i++)
    if (strcmp (mountopt_name_at (i), opt) == 0)
      return true;
  return false;
}

static bool
is_propagation (unsigned long v)
{
  unsigned long kind = v & ~(unsigned long) MS_REC;
  return kind == MS_PRIVATE || kind == MS_SLAVE || kind == MS_SHARED || kind == MS_UNBINDABLE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = fuzz_cstr (data, size);
  size_t n = 1;
  for (char *c = text; *c; c++)
    n += *c == '\n';
  char **opts = calloc (n, sizeof *opts);
  FUZZ_ASSERT (opts != NULL);
  size_t k = 0;
  for (char *line = text, *nl; line; line = nl ? nl + 1 : NULL)
    {
      nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      opts[k++] = line;
    }

  /* The model. */
  bool expect_ok = true;
  char *expect_data = calloc (1, size + 2);
  size_t elen = 0;
  FUZZ_ASSERT (expect_data != NULL);
  for (size_t i = 0; i < n && expect_ok; i++)
    {
      bool is_known = opts[i][0] != '\0' && known (opts[i]);
      if (opts[i][0] == '\0' || (!is_known && strchr (opts[i], ',')))
        expect_ok = false;
      else if (!is_known)
        {
          if (elen)
            expect_data[elen++] = ',';
          size_t l = strlen (opts[i]);
          memcpy (expect_data + elen, opts[i], l + 1);
          elen += l;
        }
    }

  struct mount_opts o;
  struct error *e = NULL;
  int rc = mountopt_parse (opts, n, &o, &e);
  fuzz_check_outcome (rc == 0, e);
  FUZZ_ASSERT ((rc == 0) == expect_ok);
  if (rc == 0)
    {
      FUZZ_ASSERT (expect_data[0] ? o.data && strcmp (o.data, expect_data) == 0 : o.data == NULL);
      FUZZ_ASSERT ((o.flags & o.clear_flags) == 0);
      /* Only the atime field may be in both: cleared whole, one mode set. */
      FUZZ_ASSERT ((o.rec_attr_set & o.rec_attr_clr & ~(uint64_t) MOUNT_ATTR__ATIME) == 0);
      FUZZ_ASSERT (o.propagation == 0 || is_propagation (o.propagation));
      FUZZ_ASSERT (!o.is_bind || (o.flags & MS_BIND));
      FUZZ_ASSERT (!o.recursive_bind || (o.is_bind && (o.flags & MS_REC)));
      FUZZ_ASSERT (!o.idmap_recursive || o.idmap);
    }
  else
    FUZZ_ASSERT (o.data == NULL);
  mountopt_free (&o);
  error_free (&e);

  unsigned long prop = 0;
  if (mountopt_propagation (opts[0], &prop) == 0)
    FUZZ_ASSERT (known (opts[0]) && is_propagation (prop));

  free (expect_data);
  free (opts);
  free (text);
  return 0;
}
