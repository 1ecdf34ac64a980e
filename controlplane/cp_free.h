/* cp_free.h - each org's count of today's requests to `:free` models (GET /key's
 * free_model_daily_requests), kept beside its money and published with its balance. */
#ifndef CP_FREE_H
#define CP_FREE_H

#include "switchyard.pb-c.h"

#include <stdbool.h>
#include <stdint.h>

struct cp_txn;

/* Count r (a usage record applied for the first time) when it was a `:free` request: into
 * its org's counter of the UTC day it was created (a later day restarts it, an earlier one
 * is not counted), and mark the org for publishing. 0 or SY_ESTORE. */
int cp_free_count(struct cp_txn *t, const Sy__UsageRecord *r, int64_t now);
/* Set o's free_requests_today / free_requests_day from its counter; true if they changed. */
bool cp_free_publish(struct cp_txn *t, Sy__Org *o);

#endif
