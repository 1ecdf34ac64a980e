/* sy_clock.c - clock_gettime wrappers. */
#include "sy_clock.h"

#include <time.h>

static int64_t ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sy_mono_ms(void)
{
	return ns(CLOCK_MONOTONIC) / 1000000;
}
int64_t sy_mono_us(void)
{
	return ns(CLOCK_MONOTONIC) / 1000;
}
int64_t sy_unix_s(void)
{
	return ns(CLOCK_REALTIME) / 1000000000;
}
int64_t sy_unix_ms(void)
{
	return ns(CLOCK_REALTIME) / 1000000;
}
