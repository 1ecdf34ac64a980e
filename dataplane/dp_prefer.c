/* dp_prefer.c - soft speed preferences against measured percentiles. */
#include "dp_prefer.h"
#include "sy_prefs.h"

#include <math.h>
#include <string.h>

/* The measured value for percentile name, NAN when unknown. */
static double measured(const char *pct, const Sy__Percentiles *p, double own)
{
	if (p) {
		double v[] = {p->p50, p->p75, p->p90, p->p99};
		for (size_t i = 0; i < 4; i++)
			if (!strcmp(pct, sy_prefs_percentiles[i]))
				return v[i];
	}
	return !strcmp(pct, "p50") && own > 0 ? own : NAN;
}

/* True if a known measurement is on the wrong side of a cutoff of pref. higher: the
 * measurement should be at least the cutoff (throughput), else at most (latency). */
static bool misses(const json_t *pref, const Sy__Percentiles *p, double own, double scale,
                   bool higher)
{
	if (json_is_number(pref)) {
		double m = measured("p50", p, own), cut = json_number_value(pref) * scale;
		return !isnan(m) && (higher ? m < cut : m > cut);
	}
	const char *k;
	const json_t *x;
	json_object_foreach((json_t *)pref, k, x)
	{
		double m = measured(k, p, own), cut = json_number_value(x) * scale;
		if (!isnan(m) && (higher ? m < cut : m > cut))
			return true;
	}
	return false;
}

bool dp_prefer_missed(const json_t *prefs, const struct dp_prefer_speed *s)
{
	const json_t *tp = json_object_get(prefs, "preferred_min_throughput");
	const json_t *lat = json_object_get(prefs, "preferred_max_latency");
	return (tp && misses(tp, s->tps_p, s->tps, 1.0, true)) ||
	       (lat && misses(lat, s->ttft_p, s->ttft_ms, 1000.0, false)); /* seconds -> ms */
}
