/* spec/state.c: `capsa state` JSON in runc's shape, hook state, round trip. */
#include <stdlib.h>
#include <string.h>

#include "spec/state.h"
#include "unit.h"

static struct spec_state
sample (struct spec_kv *ann, size_t ann_len)
{
  return (struct spec_state){
    .oci_version = "1.3.0",
    .id = "web",
    .pid = 4242,
    .status = "running",
    .bundle = "/srv/bundle",
    .rootfs = "/srv/bundle/rootfs",
    .created = "2024-05-01T10:11:12.123456789Z",
    .owner = "",
    .annotations = ann,
    .annotations_len = ann_len,
  };
}

static void
test_state_json (void)
{
  struct spec_state s = sample (NULL, 0);
  char *out = NULL;
  struct error *e = NULL;
  CHECK (spec_state_to_json (&s, true, &out, &e) == 0);
  CHECK_STR (out, "{\n"
                  "  \"ociVersion\": \"1.3.0\",\n"
                  "  \"id\": \"web\",\n"
                  "  \"pid\": 4242,\n"
                  "  \"status\": \"running\",\n"
                  "  \"bundle\": \"/srv/bundle\",\n"
                  "  \"rootfs\": \"/srv/bundle/rootfs\",\n"
                  "  \"created\": \"2024-05-01T10:11:12.123456789Z\",\n"
                  "  \"owner\": \"\"\n"
                  "}");
  free (out);

  struct spec_kv ann[] = { { "a", "1" }, { "b.c", "x\"y" } };
  s = sample (ann, 2);
  s.pid = 0;
  s.status = "stopped";
  CHECK (spec_state_to_json (&s, false, &out, &e) == 0);
  CHECK_STR (out, "{\"ociVersion\":\"1.3.0\",\"id\":\"web\",\"pid\":0,\"status\":\"stopped\","
                  "\"bundle\":\"/srv/bundle\",\"rootfs\":\"/srv/bundle/rootfs\","
                  "\"created\":\"2024-05-01T10:11:12.123456789Z\","
                  "\"annotations\":{\"a\":\"1\",\"b.c\":\"x\\\"y\"},\"owner\":\"\"}");

  /* Round trip. */
  struct spec_state *back = spec_state_parse (out, strlen (out), &e);
  CHECK (back != NULL);
  if (back)
    {
      CHECK_STR (back->oci_version, "1.3.0");
      CHECK_STR (back->id, "web");
      CHECK (back->pid == 0);
      CHECK_STR (back->status, "stopped");
      CHECK_STR (back->bundle, "/srv/bundle");
      CHECK_STR (back->rootfs, "/srv/bundle/rootfs");
      CHECK_STR (back->created, "2024-05-01T10:11:12.123456789Z");
      CHECK_STR (back->owner, "");
      CHECK (back->annotations_len == 2);
      CHECK_STR (spec_kv_get (back->annotations, back->annotations_len, "b.c"), "x\"y");
      char *again = NULL;
      CHECK (spec_state_to_json (back, false, &again, &e) == 0);
      CHECK_STR (again, out);
      free (again);
    }
  spec_state_free (back);
  free (out);
}

static void
test_hook_json (void)
{
  struct spec_kv ann[] = { { "k", "v" } };
  struct spec_state s = sample (ann, 1);
  char *out = NULL;
  struct error *e = NULL;
  CHECK (spec_state_hook_json (&s, &out, &e) == 0);
  CHECK_STR (out, "{\"ociVersion\":\"1.3.0\",\"id\":\"web\",\"status\":\"running\",\"pid\":4242,"
                  "\"bundle\":\"/srv/bundle\",\"annotations\":{\"k\":\"v\"}}");
  free (out);
  s = sample (NULL, 0);
  s.pid = 0;
  s.status = "stopped";
  CHECK (spec_state_hook_json (&s, &out, &e) == 0);
  CHECK_STR (out, "{\"ociVersion\":\"1.3.0\",\"id\":\"web\",\"status\":\"stopped\","
                  "\"bundle\":\"/srv/bundle\"}");
  free (out);
}

static void
test_parse_errors (void)
{
  struct error *e = NULL;
  const char *no_id = "{\"ociVersion\": \"1.3.0\", \"status\": \"created\"}";
  CHECK (spec_state_parse (no_id, strlen (no_id), &e) == NULL);
  CHECK_STR (e ? e->msg : NULL, "state.json: id: missing required field");
  error_free (&e);
  const char *bad_pid = "{\"ociVersion\": \"1\", \"id\": \"x\", \"status\": \"created\", \"pid\": \"1\"}";
  CHECK (spec_state_parse (bad_pid, strlen (bad_pid), &e) == NULL);
  CHECK_STR (e ? e->msg : NULL, "state.json: pid: expected integer, got string");
  error_free (&e);
  CHECK (spec_state_parse ("nope", 4, &e) == NULL);
  CHECK_CONTAINS (e ? e->msg : NULL, "state.json: invalid JSON: ");
  error_free (&e);
}

int
main (void)
{
  test_state_json ();
  test_hook_json ();
  test_parse_errors ();
  return unit_finish ("test_state");
}
