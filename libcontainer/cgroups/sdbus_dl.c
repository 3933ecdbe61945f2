#define _GNU_SOURCE
#ifdef HAVE_LIBSYSTEMD
#define SDBUS_DL_IMPLEMENTATION
#include "sdbus_dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

struct sdbus_fns sdbus;

static const struct
{
  const char *name;
  size_t offset;
} symbols[] = {
  { "sd_bus_open_system", offsetof (struct sdbus_fns, open_system) },
  { "sd_bus_flush_close_unref", offsetof (struct sdbus_fns, flush_close_unref) },
  { "sd_bus_call", offsetof (struct sdbus_fns, call) },
  { "sd_bus_call_method", offsetof (struct sdbus_fns, call_method) },
  { "sd_bus_error_free", offsetof (struct sdbus_fns, error_free) },
  { "sd_bus_error_has_name", offsetof (struct sdbus_fns, error_has_name) },
  { "sd_bus_error_is_set", offsetof (struct sdbus_fns, error_is_set) },
  { "sd_bus_message_new_method_call", offsetof (struct sdbus_fns, message_new_method_call) },
  { "sd_bus_message_append", offsetof (struct sdbus_fns, message_append) },
  { "sd_bus_message_append_array", offsetof (struct sdbus_fns, message_append_array) },
  { "sd_bus_message_open_container", offsetof (struct sdbus_fns, message_open_container) },
  { "sd_bus_message_close_container", offsetof (struct sdbus_fns, message_close_container) },
  { "sd_bus_message_unref", offsetof (struct sdbus_fns, message_unref) },
};

int
sdbus_load (struct error **err)
{
  static void *lib;
  if (lib)
    return 0;
  void *h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return error_set (err, ENOENT, "systemd cgroup driver: cannot load libsystemd.so.0 (%s)",
                      dlerror ());
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
    {
      void *sym = dlsym (h, symbols[i].name);
      if (sym == NULL)
        {
          dlclose (h);
          return error_set (err, ENOENT, "systemd cgroup driver: libsystemd lacks %s",
                            symbols[i].name);
        }
      *(void **) ((char *) &sdbus + symbols[i].offset) = sym;
    }
  lib = h;
  return 0;
}
#endif
