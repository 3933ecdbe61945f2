/* config.json: any byte string either parses (and validates) or fails with a
 * message; a parsed config validates again, and `capsa audit` over it gives a
 * well-formed, severity-ordered report whose JSON parses back.
 * Seeds: corpus/config/. */
#include "fuzz_common.h"
#include "spec/audit.h"
#include "spec/config.h"

static void
check_audit (const struct spec_config *c, bool selinux, bool apparmor)
{
  struct audit_host host = { .selinux_enabled = selinux, .apparmor_enabled = apparmor };
  struct audit_report *r = NULL;
  struct error *e = NULL;
  int rc = audit_config (c, &host, &r, &e);
  fuzz_check_outcome (rc == 0, e);
  error_free (&e);
  if (rc < 0)
    return;
  for (size_t i = 0; i < r->len; i++)
    {
      const struct audit_finding *f = &r->findings[i];
      FUZZ_ASSERT (f->rule && f->rule[0] && f->path && f->message && f->message[0] && f->fix);
      FUZZ_ASSERT (i == 0 || r->findings[i - 1].severity >= f->severity);
    }
  char *json = NULL;
  rc = audit_report_json (r, false, &json, &e);
  fuzz_check_outcome (rc == 0, e);
  error_free (&e);
  if (json)
    fuzz_assert_json (json);
  free (json);
  audit_report_free (r);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct error *e = NULL;
  struct spec_config *c = spec_config_parse_data ((const char *) data, size, "config.json", &e);
  fuzz_check_outcome (c != NULL, e);
  error_free (&e);
  if (c == NULL)
    return 0;
  FUZZ_ASSERT (c->oci_version != NULL);
  FUZZ_ASSERT (spec_config_validate (c, "config.json", &e) == 0 && e == NULL);
  check_audit (c, size & 1, size & 2);
  spec_config_free (c);
  return 0;
}
