/* record_parse: the state.json of a container's state dir (our record). */
#include <stdlib.h>
#include <string.h>

#include "libcontainer/container_state.h"
#include "unit.h"

static int
parse (const char *json, struct lc_record *r, struct error **e)
{
  return record_parse (json, strlen (json), r, e);
}

int
main (void)
{
  struct lc_record r;
  struct error *e = NULL;

  CHECK (parse ("{\"id\":\"web\",\"pid\":1913,\"pid_start\":1115897,\"pid_identity\":488619,"
                "\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":\"2026-12-02T07:18:36Z\","
                "\"owner\":\"\",\"poststart\":false,\"poststop\":true,"
                "\"annotations\":{\"k\":\"v\"}}",
                &r, &e)
         == 0);
  CHECK_STR (r.id, "web");
  CHECK (r.pid == 1913 && r.pid_start == 1115897 && r.pid_identity == 488619);
  CHECK (r.has_poststop && !r.has_poststart);
  CHECK (r.annotations_len == 1);
  CHECK_STR (r.annotations_len ? r.annotations[0].value : NULL, "v");
  record_clear (&r);

  /* Found by tests/fuzz/fuzz_state: a pid beyond pid_t was truncated into
   * another process's (4294967297 became pid 1, 1111131111142 a negative one,
   * which kill(2) reads as a process group). An unreadable record is what
   * open_container treats as a dead create, which delete removes. */
  CHECK (parse ("{\"id\":\"x\",\"pid\":4294967297}", &r, &e) < 0);
  CHECK_CONTAINS (e ? e->msg : NULL, "pid 4294967297 out of range");
  CHECK (r.id == NULL && r.pid == 0);
  error_free (&e);
  record_clear (&r);
  CHECK (parse ("{\"id\":\"x\",\"pid\":1111131111142}", &r, &e) < 0);
  error_free (&e);
  record_clear (&r);
  CHECK (parse ("{\"id\":\"x\",\"pid\":-5}", &r, &e) < 0);
  error_free (&e);
  record_clear (&r);
  CHECK (parse ("{\"id\":\"x\",\"pid\":2147483647}", &r, &e) == 0 && r.pid == 2147483647);
  record_clear (&r);

  CHECK (parse ("{\"id\":", &r, &e) < 0);
  CHECK_CONTAINS (e ? e->msg : NULL, "state.json: invalid JSON");
  error_free (&e);
  record_clear (&r);
  return unit_finish ("test_record_parse");
}
