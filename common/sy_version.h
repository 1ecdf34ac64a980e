/* sy_version.h - the version and git revision every binary prints for --version. */
#ifndef SY_VERSION_H
#define SY_VERSION_H

#include <stdio.h>

/* Print "PROG VERSION (git REVISION)" and a newline to f. */
void sy_version_print(FILE *f, const char *prog);

#endif
