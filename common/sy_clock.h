/* sy_clock.h - the clocks Switchyard uses. */
#ifndef SY_CLOCK_H
#define SY_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds, for deadlines and latencies. */
int64_t sy_mono_ms(void);
/* Monotonic microseconds, for overhead measurement. */
int64_t sy_mono_us(void);
/* Wall-clock unix seconds, for records shown to people. */
int64_t sy_unix_s(void);
/* Wall-clock unix milliseconds. */
int64_t sy_unix_ms(void);

#endif
