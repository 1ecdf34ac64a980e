/* sy_refusal.c - LeaseRefusal values and their wire names. */
#include "sy_refusal.h"

#include <string.h>

static const char *const names[] = {
    [SY__LEASE_REFUSAL__LEASE_REFUSAL_NONE] = "",
    [SY__LEASE_REFUSAL__LEASE_REFUSAL_BUDGET] = "budget",
    [SY__LEASE_REFUSAL__LEASE_REFUSAL_BALANCE] = "balance",
    [SY__LEASE_REFUSAL__LEASE_REFUSAL_KEY_LIMIT] = "key_limit",
    [SY__LEASE_REFUSAL__LEASE_REFUSAL_UNKNOWN_KEY] = "unknown_key",
    [SY__LEASE_REFUSAL__LEASE_REFUSAL_EXPIRED] = "expired",
    [SY__LEASE_REFUSAL__LEASE_REFUSAL_GUARDRAIL] = "guardrail",
};

const char *sy_refusal_name(Sy__LeaseRefusal r)
{
	return (size_t)r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] : "";
}

Sy__LeaseRefusal sy_refusal_parse(const char *name)
{
	for (size_t i = 1; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i] && !strcmp(names[i], name))
			return (Sy__LeaseRefusal)i;
	return SY__LEASE_REFUSAL__LEASE_REFUSAL_BALANCE;
}
