/* Small writers for keyed fields that several JSON generators in spec/ emit
 * the same way (templates, features.json). */
#ifndef CAPSA_JSON_FIELDS_H
#define CAPSA_JSON_FIELDS_H

#include "json.h"

/* "key": [ "a", "b", ... ] from a NULL-terminated string array. */
void json_w_key_strv (struct json_writer *w, const char *key, const char *const *v);

#endif
