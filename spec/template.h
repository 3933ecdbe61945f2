/* The parts of config.json that the default template (`capsa spec`) and the
 * hardened one (`capsa spec --hardened`) write alike, kept in one place so
 * the two templates cannot drift apart by accident. */
#ifndef CAPSA_SPEC_TEMPLATE_H
#define CAPSA_SPEC_TEMPLATE_H

#include <stdbool.h>

#include "util/json.h"

/* runc's default linux.maskedPaths and linux.readonlyPaths (NULL-terminated):
 * the default template writes them, the hardened one adds to them, and the
 * audit compares configs with them. */
extern const char *const template_masked_paths[];
extern const char *const template_readonly_paths[];

/* One mounts[] entry; `options` NULL leaves the key out. */
void template_write_mount (struct json_writer *w, const char *dest, const char *type,
                           const char *source, const char *const *options);

/* "process": uid/gid 0, `sh`, the usual PATH and TERM, cwd /, RLIMIT_NOFILE
 * 1024 and noNewPrivileges. `caps` fill bounding, effective and permitted,
 * and also ambient when `ambient` is set. */
void template_write_process (struct json_writer *w, bool terminal, const char *const *caps,
                             bool ambient);

/* "root" (rootfs, read-only) and "hostname". */
void template_write_root_and_hostname (struct json_writer *w);

/* "uidMappings"/"gidMappings": container id 0 is `host_id`, one id wide. */
void template_write_id_mapping (struct json_writer *w, const char *key, unsigned host_id);

/* "devices": one rule denying every device; the runtime adds its default set. */
void template_write_deny_all_devices (struct json_writer *w);

/* "namespaces": one { "type": ... } per NULL-terminated name. */
void template_write_namespaces (struct json_writer *w, const char *const *types);

#endif
