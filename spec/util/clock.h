/* Deadlines and poll intervals in milliseconds on the monotonic clock, which
 * wall-clock changes (NTP, date -s) do not move. */
#ifndef CAPSA_CLOCK_H
#define CAPSA_CLOCK_H

#include <stdint.h>

int64_t clock_monotonic_ms (void);

#endif
