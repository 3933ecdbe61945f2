/* sd-bus from libsystemd, loaded with dlopen on first use: only --systemd-cgroup
 * needs it, and linking it cost every capsa invocation six more libraries
 * (`state`: 647k -> 1589k instructions, +0.9 MB RSS). The calls below keep
 * sd-bus's names; they go through a table filled by sdbus_load(). */
#ifndef CAPSA_SDBUS_DL_H
#define CAPSA_SDBUS_DL_H

#include <systemd/sd-bus.h>

#include "spec/util/error.h"

struct sdbus_fns
{
  int (*open_system) (sd_bus **bus);
  sd_bus *(*flush_close_unref) (sd_bus *bus);
  int (*call) (sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error,
               sd_bus_message **reply);
  int (*call_method) (sd_bus *bus, const char *destination, const char *path,
                      const char *interface, const char *member, sd_bus_error *ret_error,
                      sd_bus_message **reply, const char *types, ...);
  void (*error_free) (sd_bus_error *e);
  int (*error_has_name) (const sd_bus_error *e, const char *name);
  int (*error_is_set) (const sd_bus_error *e);
  int (*message_new_method_call) (sd_bus *bus, sd_bus_message **m, const char *destination,
                                  const char *path, const char *interface, const char *member);
  int (*message_append) (sd_bus_message *m, const char *types, ...);
  int (*message_append_array) (sd_bus_message *m, char type, const void *ptr, size_t size);
  int (*message_open_container) (sd_bus_message *m, char type, const char *contents);
  int (*message_close_container) (sd_bus_message *m);
  sd_bus_message *(*message_unref) (sd_bus_message *m);
};

extern struct sdbus_fns sdbus;

/* dlopen libsystemd.so.0 once; a clear error when it is not installed. */
int sdbus_load (struct error **err);

#ifndef SDBUS_DL_IMPLEMENTATION
#define sd_bus_open_system (*sdbus.open_system)
#define sd_bus_flush_close_unref (*sdbus.flush_close_unref)
#define sd_bus_call (*sdbus.call)
#define sd_bus_call_method (*sdbus.call_method)
#define sd_bus_error_free (*sdbus.error_free)
#define sd_bus_error_has_name (*sdbus.error_has_name)
#define sd_bus_error_is_set (*sdbus.error_is_set)
#define sd_bus_message_new_method_call (*sdbus.message_new_method_call)
#define sd_bus_message_append (*sdbus.message_append)
#define sd_bus_message_append_array (*sdbus.message_append_array)
#define sd_bus_message_open_container (*sdbus.message_open_container)
#define sd_bus_message_close_container (*sdbus.message_close_container)
#define sd_bus_message_unref (*sdbus.message_unref)
#endif

#endif
