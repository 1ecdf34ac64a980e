/* tool_curve.h - the CURVE flags the test tools share (header-only: each file in tests/tools/
 * is its own binary): --curve-secret-file F --curve-server-key F make the tool a CURVE client
 * with that key, like a dataplane. */
#ifndef TOOL_CURVE_H
#define TOOL_CURVE_H

#include "sy_curve.h"

#include <getopt.h>
#include <stdio.h>

/* getopt_long entries; their short codes are TOOL_CURVE_SECRET and TOOL_CURVE_SERVER. */
#define TOOL_CURVE_SECRET 'S'
#define TOOL_CURVE_SERVER 'K'
#define TOOL_CURVE_OPTIONS                                                                         \
	{"curve-secret-file", required_argument, NULL, TOOL_CURVE_SECRET},                         \
	{                                                                                          \
		"curve-server-key", required_argument, NULL, TOOL_CURVE_SERVER                     \
	}

/* The two file names as getopt hands them over. */
struct tool_curve_args {
	const char *secret, *server;
};

/* Take opt if it is one of the CURVE flags; true if it was. */
static inline bool tool_curve_opt(struct tool_curve_args *a, int opt, const char *arg)
{
	if (opt == TOOL_CURVE_SECRET)
		a->secret = arg;
	else if (opt == TOOL_CURVE_SERVER)
		a->server = arg;
	return opt == TOOL_CURVE_SECRET || opt == TOOL_CURVE_SERVER;
}

/* Load the keys when the flags were given (c stays unset without them): 0, or 2 (the tools'
 * usage and protocol error status) with the reason printed. */
static inline int tool_curve_load(const char *tool, const struct tool_curve_args *a,
                                  struct sy_curve *c)
{
	const char *why = "--curve-secret-file and --curve-server-key go together";
	if (!a->secret && !a->server)
		return 0;
	if (a->secret && a->server && !sy_curve_load(c, a->secret, a->server, &why))
		return 0;
	fprintf(stderr, "%s: %s\n", tool, why);
	return 2;
}

#endif
