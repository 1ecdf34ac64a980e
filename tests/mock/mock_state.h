/* mock_state.h - what the mock remembers across requests: counters, fault states, the last
 * chat request. Thread-safe; every call takes one short lock. */
#ifndef MOCK_STATE_H
#define MOCK_STATE_H

#include <stddef.h>

struct mock_state;

/* NULL on allocation failure. */
struct mock_state *mock_state_new(void);
/* Idempotent; sets *sp to NULL. */
void mock_state_free(struct mock_state **sp);
/* Count one chat request under "<prefix>|<model>", remember it as the last one, and return
 * its sequence number (1 for the first since start or reset). */
unsigned long mock_state_record(struct mock_state *s, const char *prefix, const char *model,
                                const char *path, const char *auth, const char *body, size_t len);
/* Remember the last request's anthropic-version and anthropic-beta headers (NULL = absent),
 * shown by mock_state_last_json. */
void mock_state_note_anthropic(struct mock_state *s, const char *version, const char *beta);
/* How many earlier faulty requests used this fault key (0 for the first); counts this one. */
unsigned long mock_state_fault_seq(struct mock_state *s, const char *key);
/* {"requests":{"<prefix>|<model>":n,...},"prefixes":{"<prefix>":n,...},"total":n}
 * (malloc'ed). */
char *mock_state_stats_json(struct mock_state *s);
/* {"path","authorization","body"} of the last chat request (with "anthropic_version" and
 * "anthropic_beta" when it had them), or {} before the first (malloc'ed). body is the parsed JSON, or the raw text when it did not parse. */
char *mock_state_last_json(struct mock_state *s);
/* Forget counters, fault states and the last request. */
void mock_state_reset(struct mock_state *s);

#endif
