/* sy_refusal.h - the wire names of LeaseGrant's refusals (proto enum LeaseRefusal), shared by
 * the controlplane that refuses and the dataplane that tells the client why. */
#ifndef SY_REFUSAL_H
#define SY_REFUSAL_H

#include "switchyard.pb-c.h"

/* "budget", "balance", "key_limit", "unknown_key", "expired"; "" for NONE or an unknown
 * value. */
const char *sy_refusal_name(Sy__LeaseRefusal r);
/* The refusal a name stands for (a LeaseGrant.reason from a controlplane that predates
 * LeaseGrant.refusal); NULL or an unknown name is a balance refusal, as such workers read it. */
Sy__LeaseRefusal sy_refusal_parse(const char *name);

#endif
