/* sy_money.h - exact money: int64 counts of 10^-10 USD ("money units").
 *
 * Prices arrive as decimal strings (USD per token, e.g. "0.000000075"); they are parsed
 * exactly into units and every computation on the ledger stays in integers. One unit is
 * 10^-10 USD, so int64 holds about 922 million USD and a price needs at most 10 decimals. */
#ifndef SY_MONEY_H
#define SY_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define SY_MONEY_DECIMALS 10
#define SY_MONEY_SCALE 10000000000LL /* units per USD */

typedef int64_t sy_money;

/* Parse a plain decimal ("1", "0.5", "-2.25", "0.000000075"); no exponent, at most 10
 * decimals, optional leading '-'. 0 or SY_EINVAL. */
int sy_money_parse(const char *s, sy_money *out);
/* Shortest exact decimal string for an amount ("0.000000075", "12", "-0.5"). */
void sy_money_format(sy_money v, char *out, size_t outlen);
/* USD as a double, for JSON output only (never for arithmetic). */
double sy_money_usd(sy_money v);
/* Money from a JSON-number USD amount, rounded to the nearest unit; SY_EINVAL when out of
 * range or not finite. For admin input such as limits and top-ups. */
int sy_money_from_usd(double usd, sy_money *out);

#endif
