/* Monotonic and wall clocks. */
#ifndef UIPSEC_UTIL_CLOCK_H
#define UIPSEC_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Seconds on CLOCK_MONOTONIC (lifetimes, timers). */
static inline uint64_t clock_mono_sec(void)
{
	return clock_mono_ns() / 1000000000ull;
}

/* Seconds since the epoch (for printing add/use times like ip xfrm). */
static inline uint64_t clock_wall_sec(void)
{
	return (uint64_t)time(NULL);
}

#endif
