/* cp_billing.h - the admin API's money endpoints.
 *
 *   POST   /api/v1/orgs/{id}/credits            {amount, note}: top-up (negative: refund)
 *   GET    /api/v1/orgs/{id}/credits            credits, debits, balance
 *   GET    /api/v1/orgs/{id}/ledger             the credit ledger, oldest first
 *   GET    /api/v1/orgs/{id}/budgets            every budget with its spend
 *   PUT    /api/v1/orgs/{id}/budgets/{period}   {limit_usd}; daily|weekly|monthly|lifetime
 *   GET    /api/v1/orgs/{id}/budgets/{period}
 *   DELETE /api/v1/orgs/{id}/budgets/{period}
 *   GET    /api/v1/orgs/{id}/leases             live leases (what workers hold)
 *   GET    /api/v1/activity[.csv]?org_id=&from=&to=&group_by=...  (cp_activity.h)
 *
 * cp_admin authenticates the management key and opens the transaction, then hands requests
 * on these paths here. Scoped management keys reach only their own org (404 otherwise) and
 * only read money controls: top-ups, refunds, creating, raising and deleting budgets need a
 * global key (403); lowering an existing budget is allowed. */
#ifndef CP_BILLING_H
#define CP_BILLING_H

#include "cp_admin.h"
#include "cp_store.h"

#include <stdbool.h>
#include <stdint.h>

/* One authenticated request on a money path. */
struct cp_billing_call {
	struct cp_txn **t;         /* the request's transaction (write unless GET); committed
				     * here when a change succeeds */
	const Sy__MgmtKey *caller; /* the management key */
	const struct cp_request *req;
	struct cp_response *res;
	int64_t now; /* unix seconds */
	/* Called in the transaction just before a change commits, with the answer's status:
	 * appends the audit entry (cp_auditlog). 0 or a negative code (nothing commits). */
	int (*audit)(void *arg, unsigned status);
	void *audit_arg;
};

/* Audit (c->audit) and commit the call's transaction; on failure the response is set (500).
 * status: the answer's. */
bool cp_billing_commit(const struct cp_billing_call *c, unsigned status);
/* True if path is one of the money endpoints above (method not considered). */
bool cp_billing_match(const char *path);
/* Serve one request; always fills c->res. */
void cp_billing_serve(const struct cp_billing_call *c);

#endif
