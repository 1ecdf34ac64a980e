/* cp_ratelease.h - the controlplane's side of rate leases: request tokens of a rate-limit
 * window handed to workers, never more than the window's limit across all of them.
 *
 * A counter is "<kind>:<key hash or org id>" (dp_ratelease.h); its window is a whole UTC
 * minute or day, named by its first unix second. The table lives in memory only: windows
 * are at most a day long and a restarted controlplane starts every window of the moment
 * from zero (docs/money.md states what that costs). */
#ifndef CP_RATELEASE_H
#define CP_RATELEASE_H

#include "cp_zmq.h"

#include <stdbool.h>
#include <stdint.h>

struct cp_ratelease;

struct cp_ratelease *cp_ratelease_new(void);
void cp_ratelease_free(struct cp_ratelease **rp);

/* Grant up to want tokens of the counter's window starting at window_start (window_s long,
 * limit tokens in all): min(want, limit - granted so far). *exhausted: none left after this
 * grant. A window that is not current at now_s (or malformed) grants nothing. A limit that
 * changed during the window applies from then on: the newest limit asked with counts. */
uint32_t cp_ratelease_grant(struct cp_ratelease *r, const char *counter, int64_t window_start,
                            uint32_t window_s, uint32_t limit, uint32_t want, int64_t now_s,
                            bool *exhausted);
/* Tokens of a window given back unused (never more than were granted). */
void cp_ratelease_return(struct cp_ratelease *r, const char *counter, int64_t window_start,
                         uint32_t amount);
/* Tokens used beyond a grant (tpm), counted into the window all the same. */
void cp_ratelease_charge(struct cp_ratelease *r, const char *counter, int64_t window_start,
                         uint32_t amount);
/* Forget the windows that ended before now_s. */
void cp_ratelease_sweep(struct cp_ratelease *r, int64_t now_s);
/* Tokens granted (net of returns) of a window; 0 when unknown. */
uint32_t cp_ratelease_granted(const struct cp_ratelease *r, const char *counter,
                              int64_t window_start);

/* A RateleaseRequest or RateleaseReturn from the usage channel: applied, and a request
 * answered on router. Other bodies are not its business (false). */
bool cp_ratelease_on_message(struct cp_ratelease *r, void *router, const struct cp_zmsg *m);

#endif
