/* spec_process_parse_data: the process.json `capsa exec --process` reads. */
#include <stdlib.h>
#include <string.h>

#include "spec/config.h"
#include "spec/parse_util.h"
#include "unit.h"

static struct spec_process *
parse (const char *json, struct error **e)
{
  return spec_process_parse_data (json, strlen (json), "process.json", e);
}

int
main (void)
{
  struct error *e = NULL;
  struct spec_process *p = parse ("{\"terminal\":true,\"user\":{\"uid\":1000,\"gid\":100,"
                                  "\"additionalGids\":[5,6]},\"args\":[\"sh\",\"-c\",\"id\"],"
                                  "\"env\":[\"A=1\"],\"cwd\":\"/tmp\",\"noNewPrivileges\":true,"
                                  "\"capabilities\":{\"bounding\":[\"CAP_KILL\"]}}",
                                  &e);
  CHECK (p != NULL);
  if (p)
    {
      CHECK (p->terminal);
      CHECK (p->user.uid == 1000 && p->user.gid == 100);
      CHECK (p->args_len == 3);
      CHECK_STR (p->args[2], "id");
      CHECK_STR (p->cwd, "/tmp");
      CHECK (p->env_len == 1);
      CHECK (p->no_new_privileges);
      spec_process_free (p);
    }

  CHECK (parse ("{\"args\":[\"sh\"],\"cwd\":\"rel\"}", &e) == NULL);
  CHECK_CONTAINS (e ? e->msg : NULL, "cwd");
  error_free (&e);
  CHECK (parse ("{\"cwd\":\"/\"}", &e) == NULL);
  CHECK_CONTAINS (e ? e->msg : NULL, "args");
  error_free (&e);
  CHECK (parse ("{\"args\":[\"sh\"],\"user\":{\"uid\":\"x\"}}", &e) == NULL);
  CHECK_CONTAINS (e ? e->msg : NULL, "user.uid");
  error_free (&e);
  CHECK (parse ("[1]", &e) == NULL);
  error_free (&e);
  CHECK (parse ("{", &e) == NULL);
  CHECK_CONTAINS (e ? e->msg : NULL, "invalid JSON");
  error_free (&e);
  return unit_finish ("test_process_parse");
}
