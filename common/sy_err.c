/* sy_err.c - names of error codes. */
#include "sy_err.h"

#include <string.h>

const char *sy_strerror(int code)
{
	static const char *names[] = {
	    "invalid input",
	    "not found",
	    "already exists",
	    "too large",
	    "protocol error",
	    "unsupported protocol version",
	    "storage error",
	    "cryptographic failure",
	    "no key-encryption key configured",
	    "forbidden",
	    "conflict",
	};
	if (code >= SY_EBASE && code < SY_ELAST)
		return names[code - SY_EBASE];
	if (code < 0)
		return strerror(-code);
	return "success";
}
