/* sy_version.c - version string from build/gen/sy_revision.h (the Makefile rewrites it when
 * the git revision changes, so only this file is rebuilt). */
#include "sy_version.h"

#include "sy_revision.h"

void sy_version_print(FILE *f, const char *prog)
{
	fprintf(f, "%s %s (git %s)\n", prog, SY_VERSION, SY_REVISION);
}
