/* cp_rankings.h - the admin API's rankings: the models and apps that used the most tokens.
 *
 *   GET    /api/v1/rankings?period=day|week|month&limit=&org_id=
 *
 * Over the current UTC day, week (from Monday) or month (default week) up to now: the top
 * `limit` (default 10, at most 100) models and apps by tokens (prompt + completion), each
 * with requests, prompt_tokens, completion_tokens and usage (USD). An app is what a
 * generation's client called itself (X-Title or X-OpenRouter-Title, else its HTTP-Referer);
 * generations without one rank no app. A global key ranks every org (or org_id's); an
 * org-scoped key its own org only. */
#ifndef CP_RANKINGS_H
#define CP_RANKINGS_H

#include "cp_reports.h"

#include <stdbool.h>

#define CP_RANKINGS_LIMIT_MAX 100

/* True for the rankings path (method not considered). */
bool cp_rankings_match(const char *path);
/* Serve one request; always fills c->res. */
void cp_rankings_serve(const struct cp_reports_call *c);

#endif
