#include "json_fields.h"

void
json_w_key_strv (struct json_writer *w, const char *key, const char *const *v)
{
  json_w_key (w, key);
  json_w_begin_array (w);
  for (; *v; v++)
    json_w_string (w, *v);
  json_w_end_array (w);
}
