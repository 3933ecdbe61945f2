/* Device numbers in config.json (linux.devices, linux.resources.devices) and in
 * `update --resources`: the kernel's dev_t limits, -1 as the only wildcard, the
 * JSON path in every message. Too large a number would be truncated by makedev
 * or the eBPF filter into another device; a negative one acted as a wildcard. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_config.h"

static char *
config_with_linux (const char *linux_)
{
  char *s = NULL;
  if (asprintf (&s, "{\"ociVersion\": \"1.3.0\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}, "
                    "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}]%s}}",
                linux_)
      < 0)
    abort ();
  return s;
}

/* want NULL: the config must parse and validate. */
static void
expect (int line, const char *linux_, const char *want)
{
  unit_expect_config (__FILE__, line, config_with_linux (linux_), want);
}
#define EXPECT(lin, want) expect (__LINE__, lin, want)

#define NODE(maj, min) \
  ", \"devices\": [{\"path\": \"/dev/a\", \"type\": \"c\", \"major\": 1, \"minor\": 3}, " \
  "{\"path\": \"/dev/b\", \"type\": \"c\", \"major\": " maj ", \"minor\": " min "}]"
#define RULE(maj, min) \
  ", \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}, " \
  "{\"allow\": true, \"type\": \"c\", \"major\": " maj ", \"minor\": " min ", \"access\": \"r\"}]}"

static void
test_nodes (void)
{
  EXPECT (NODE ("4095", "1048575"), NULL);
  EXPECT (NODE ("0", "0"), NULL);
  EXPECT (NODE ("4096", "0"),
          "config.json: linux.devices[1].major: value 4096 out of range (0 to 4095)");
  EXPECT (NODE ("1", "1048576"),
          "config.json: linux.devices[1].minor: value 1048576 out of range (0 to 1048575)");
  /* 2^32 + 1 was makedev'd as major 1 */
  EXPECT (NODE ("4294967297", "3"),
          "config.json: linux.devices[1].major: value 4294967297 out of range (0 to 4095)");
  /* a node has one number: no wildcard, no negative */
  EXPECT (NODE ("-1", "3"),
          "config.json: linux.devices[1].major: value -1 out of range (0 to 4095)");
  EXPECT (NODE ("1", "-5"),
          "config.json: linux.devices[1].minor: value -5 out of range (0 to 1048575)");
  /* a fifo has no numbers to check */
  EXPECT (", \"devices\": [{\"path\": \"/dev/f\", \"type\": \"p\", \"major\": -7}]", NULL);
}

static void
test_rules (void)
{
  EXPECT (RULE ("4095", "1048575"), NULL);
  EXPECT (RULE ("-1", "-1"), NULL);
  EXPECT (", \"resources\": {\"devices\": [{\"allow\": true, \"type\": \"c\", \"access\": \"m\"}]}",
          NULL);
  EXPECT (RULE ("-2", "3"), "config.json: linux.resources.devices[1].major: value -2 out of "
                            "range (-1 for any, 0 to 4095)");
  EXPECT (RULE ("1", "-9223372036854775808"),
          "config.json: linux.resources.devices[1].minor: value -9223372036854775808 out of "
          "range (-1 for any, 0 to 1048575)");
  /* 2^32 + 11 was (int32_t) 11 in the eBPF program: c 1:11 */
  EXPECT (RULE ("1", "4294967307"), "config.json: linux.resources.devices[1].minor: value "
                                    "4294967307 out of range (-1 for any, 0 to 1048575)");
  EXPECT (RULE ("4096", "1"), "config.json: linux.resources.devices[1].major: value 4096 out "
                              "of range (-1 for any, 0 to 4095)");
}

/* `capsa update --resources FILE` reads the same rules with no config around. */
static void
test_update_document (void)
{
  struct error *e = NULL;
  const char *doc = "{\"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": 1, "
                    "\"minor\": -3, \"access\": \"rw\"}]}";
  struct spec_resources *r = spec_resources_parse_data (doc, strlen (doc), "stdin", &e);
  CHECK (r == NULL);
  CHECK_STR (e ? e->msg : NULL, "stdin: devices[0].minor: value -3 out of range (-1 for any, 0 "
                                "to 1048575)");
  error_free (&e);
  spec_resources_free (r);
}

int
main (void)
{
  test_nodes ();
  test_rules ();
  test_update_document ();
  return unit_finish ("test_devices_validate");
}
