/* sy_proc.h - start-up helpers the Switchyard binaries share: numeric command-line
 * arguments and the signal set a daemon blocks before it creates threads or a signalfd. */
#ifndef SY_PROC_H
#define SY_PROC_H

#include <signal.h>
#include <stdbool.h>

/* Parse s as a whole decimal integer in [min, max] into *out; false (and *out untouched) for
 * anything else: empty, trailing characters, out of range or overflow. */
bool sy_parse_num(const char *s, long long min, long long max, long long *out);
/* Block SIGTERM and SIGINT in the calling thread (threads created later inherit the mask) and
 * ignore SIGPIPE; *set receives the blocked set, for signalfd() or sigwait(). */
void sy_block_term_signals(sigset_t *set);
/* A process holding secrets (API keys, provider credentials, the KEK) leaves no core file and
 * cannot be attached to by other processes of its user: PR_SET_DUMPABLE 0 and RLIMIT_CORE 0,
 * unless allow_core_dumps (an operator's --allow-core-dumps, for debugging). Forked children
 * inherit both. */
void sy_proc_protect_secrets(bool allow_core_dumps);

#endif
