/* cp_audit.h - the ledger invariants, checked from one read transaction.
 *
 * For every org: its credits equal the sum of its credit ledger; its posted debits equal the
 * sum of its generations' costs; its pending debits equal what its live leases hold; and the
 * balance the workers show (GET /credits: the snapshot on the Org entity) is
 * credits - posted - pending. For every key: its usage counters (total and the current day,
 * week and month) equal the sums of its generations' costs (a deleted key's counters are
 * gone; its generations still count for its org), and its pending debits what its leases
 * hold. A snapshot not yet published (the publisher runs every few hundred ms) is
 * reported, not counted as a violation. LMDB allows this beside a running controlplane. */
#ifndef CP_AUDIT_H
#define CP_AUDIT_H

#include "cp_store.h"

#include <stddef.h>
#include <stdio.h>

/* Audit the store in dir, printing findings to out: 0 the invariants hold, 1 they do not,
 * -1 the store cannot be read. */
int cp_audit_run(const char *dir, FILE *out);
/* Audit an open store; *violations counts what does not hold. 0 or a negative code. */
int cp_audit_store(struct cp_store *s, FILE *out, size_t *violations);

#endif
