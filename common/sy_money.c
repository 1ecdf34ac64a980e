/* sy_money.c - exact decimal parsing and formatting of money units. */
#include "sy_money.h"
#include "sy_err.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int sy_money_parse(const char *s, sy_money *out)
{
	bool neg = false;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (!*s)
		return SY_EINVAL;
	int64_t whole = 0, frac = 0;
	int fdigits = 0;
	bool any = false, dot = false;
	for (; *s; s++) {
		if (*s == '.') {
			if (dot)
				return SY_EINVAL;
			dot = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			return SY_EINVAL;
		any = true;
		int d = *s - '0';
		if (!dot) {
			if (whole > (INT64_MAX / SY_MONEY_SCALE - 9) / 10)
				return SY_EINVAL;
			whole = whole * 10 + d;
		} else {
			if (fdigits == SY_MONEY_DECIMALS) {
				if (d != 0)
					return SY_EINVAL; /* finer than one unit */
				continue;
			}
			frac = frac * 10 + d;
			fdigits++;
		}
	}
	if (!any)
		return SY_EINVAL;
	for (; fdigits < SY_MONEY_DECIMALS; fdigits++)
		frac *= 10;
	int64_t v = whole * SY_MONEY_SCALE + frac;
	*out = neg ? -v : v;
	return 0;
}

void sy_money_format(sy_money v, char *out, size_t outlen)
{
	/* written from the right, without printf: it runs twice per request (response, log) */
	char buf[48], *p = buf + sizeof(buf);
	bool neg = v < 0;
	uint64_t a = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t whole = a / (uint64_t)SY_MONEY_SCALE, frac = a % (uint64_t)SY_MONEY_SCALE;
	*--p = '\0';
	if (frac) {
		int digits = SY_MONEY_DECIMALS;
		for (; frac % 10 == 0; frac /= 10)
			digits--; /* no trailing zeros */
		for (; digits; digits--, frac /= 10)
			*--p = (char)('0' + frac % 10);
		*--p = '.';
	}
	do
		*--p = (char)('0' + whole % 10);
	while (whole /= 10);
	if (neg)
		*--p = '-';
	size_t n = (size_t)(buf + sizeof(buf) - 1 - p);
	if (!outlen)
		return;
	n = n < outlen - 1 ? n : outlen - 1; /* cut, as snprintf would */
	memcpy(out, p, n);
	out[n] = '\0';
}

double sy_money_usd(sy_money v)
{
	return (double)v / (double)SY_MONEY_SCALE;
}

int sy_money_from_usd(double usd, sy_money *out)
{
	if (!isfinite(usd) || fabs(usd) > 9.0e8)
		return SY_EINVAL;
	*out = (sy_money)llround(usd * (double)SY_MONEY_SCALE);
	return 0;
}
