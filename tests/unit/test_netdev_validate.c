/* linux.netDevices in config.json: the kernel's rules for device names (length,
 * characters, "%d" templates only as a target), no device listed twice, no two
 * devices under one name in the container, a network namespace to move them to.
 * Every message names the JSON path with the device's key. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_config.h"

/* netns: the namespaces entry for network ("" for none). */
static char *
config_with (const char *netns, const char *devices)
{
  char *s = NULL;
  if (asprintf (&s, "{\"ociVersion\": \"1.3.0\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}, "
                    "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}%s], "
                    "\"netDevices\": {%s}}}",
                netns, devices)
      < 0)
    abort ();
  return s;
}

/* want NULL: the config must parse and validate. */
static void
expect (int line, const char *netns, const char *devices, const char *want)
{
  unit_expect_config (__FILE__, line, config_with (netns, devices), want);
}
#define NET ", {\"type\": \"network\"}"
#define EXPECT(dev, want) expect (__LINE__, NET, dev, want)

static void
test_valid (void)
{
  EXPECT ("", NULL);
  EXPECT ("\"eth5\": {}", NULL);
  EXPECT ("\"eth5\": {\"name\": \"ctr0\"}, \"eth6\": {}", NULL);
  EXPECT ("\"eth5\": {\"name\": \"\"}", NULL); /* empty: keep the host name */
  EXPECT ("\"abcdefghijklmno\": {\"name\": \"ABCDEFGHIJKLMNO\"}", NULL); /* 15 bytes */
  EXPECT ("\"eth5\": {\"name\": \"net%d\"}, \"eth6\": {\"name\": \"net%d\"}", NULL);
  /* Swapping names is fine: each target is unique in the container. */
  EXPECT ("\"eth5\": {\"name\": \"eth6\"}, \"eth6\": {\"name\": \"eth5\"}", NULL);
  /* Joined by path (a pod's namespace): the devices go there. */
  expect (__LINE__, ", {\"type\": \"network\", \"path\": \"/run/netns/x\"}", "\"eth5\": {}", NULL);
}

static void
test_names (void)
{
  EXPECT ("\"eth5\": {\"name\": \"abcdefghijklmnop\"}",
          "config.json: linux.netDevices[\"eth5\"].name: invalid device name "
          "\"abcdefghijklmnop\": longer than 15 bytes (IFNAMSIZ)");
  EXPECT ("\"abcdefghijklmnop\": {}",
          "config.json: linux.netDevices[\"abcdefghijklmnop\"]: invalid host device name: "
          "longer than 15 bytes (IFNAMSIZ)");
  EXPECT ("\"\": {}",
          "config.json: linux.netDevices[\"\"]: invalid host device name: must not be empty");
  EXPECT ("\"eth5\": {\"name\": \"a/b\"}",
          "config.json: linux.netDevices[\"eth5\"].name: invalid device name \"a/b\": "
          "must not contain '/', ':' or white space");
  EXPECT ("\"eth5\": {\"name\": \"a:b\"}",
          "config.json: linux.netDevices[\"eth5\"].name: invalid device name \"a:b\": "
          "must not contain '/', ':' or white space");
  EXPECT ("\"eth5\": {\"name\": \"a b\"}",
          "config.json: linux.netDevices[\"eth5\"].name: invalid device name \"a b\": "
          "must not contain '/', ':' or white space");
  EXPECT ("\"eth5\": {\"name\": \"a\\tb\"}",
          "config.json: linux.netDevices[\"eth5\"].name: invalid device name \"a\tb\": "
          "must not contain '/', ':' or white space");
  EXPECT ("\"eth/5\": {}",
          "config.json: linux.netDevices[\"eth/5\"]: invalid host device name: "
          "must not contain '/', ':' or white space");
  EXPECT ("\"eth5\": {\"name\": \"..\"}",
          "config.json: linux.netDevices[\"eth5\"].name: invalid device name \"..\": "
          "\".\" and \"..\" are not device names");
  EXPECT ("\".\": {}", "config.json: linux.netDevices[\".\"]: invalid host device name: "
                       "\".\" and \"..\" are not device names");
  EXPECT ("\"eth%d\": {}",
          "config.json: linux.netDevices[\"eth%d\"]: invalid host device name: "
          "must not contain '%'");
  EXPECT ("\"eth5\": {\"name\": \"n%s\"}",
          "config.json: linux.netDevices[\"eth5\"].name: invalid device name \"n%s\": "
          "a template may hold one \"%d\" and no other '%'");
  EXPECT ("\"eth5\": {\"name\": \"n%d%d\"}",
          "config.json: linux.netDevices[\"eth5\"].name: invalid device name \"n%d%d\": "
          "a template may hold one \"%d\" and no other '%'");
  /* The parser's type errors name the same path. */
  EXPECT ("\"eth5\": {\"name\": 23}",
          "config.json: linux.netDevices[\"eth5\"].name: expected string, got number");
}

static void
test_duplicates (void)
{
  EXPECT ("\"eth5\": {}, \"eth5\": {\"name\": \"x\"}",
          "config.json: linux.netDevices[\"eth5\"]: listed twice");
  EXPECT ("\"eth5\": {\"name\": \"ctr0\"}, \"eth6\": {\"name\": \"ctr0\"}",
          "config.json: linux.netDevices[\"eth6\"].name: \"ctr0\" is also the name of "
          "linux.netDevices[\"eth5\"] in the container");
  EXPECT ("\"eth5\": {\"name\": \"eth6\"}, \"eth6\": {}",
          "config.json: linux.netDevices[\"eth6\"]: \"eth6\" is also the name of "
          "linux.netDevices[\"eth5\"] in the container");
}

static void
test_needs_netns (void)
{
  expect (__LINE__, "", "\"eth5\": {}",
          "config.json: linux.netDevices: moving network devices needs a network namespace in "
          "linux.namespaces (they would stay on the host)");
  expect (__LINE__, "", "", NULL); /* an empty map asks for nothing */
}

int
main (void)
{
  test_valid ();
  test_names ();
  test_duplicates ();
  test_needs_netns ();
  return unit_finish ("test_netdev_validate");
}
