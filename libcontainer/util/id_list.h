#ifndef CAPSA_ID_LIST_H
#define CAPSA_ID_LIST_H

#include <stddef.h>

/* Largest CPU or NUMA node number accepted in a list (keeps bitmaps small). */
#define MAX_LIST_ID 65535u

/* Parse "0-3,7" into a bitmap of unsigned longs; *nbits is one past the
 * highest id set. Empty list -> NULL bitmap, nbits 0; -1 on a malformed list
 * (anything but digits, '-' ranges and ',' separators). */
int id_list_parse (const char *s, unsigned long **out, size_t *nbits);

#endif
