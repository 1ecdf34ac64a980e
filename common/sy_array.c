/* sy_array.c - growing a malloc'ed array by doubling. */
#include "sy_array.h"

#include <stdint.h>
#include <stdlib.h>

void *sy_array_grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap ? *cap * 2 : first;
	if (ncap < *cap || ncap > SIZE_MAX / size)
		return NULL;
	void *p = realloc(v, ncap * size);
	if (p)
		*cap = ncap;
	return p;
}
