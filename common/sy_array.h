/* sy_array.h - growing a malloc'ed array by doubling. */
#ifndef SY_ARRAY_H
#define SY_ARRAY_H

#include <stddef.h>

/* Room for element n of array v (*cap elements of size bytes each): v itself while n < *cap,
 * else v reallocated to twice *cap elements (first when *cap is 0) with *cap updated. NULL
 * when out of memory, with v and *cap unchanged (v still belongs to the caller). */
void *sy_array_grow(void *v, size_t n, size_t *cap, size_t size, size_t first);

#endif
