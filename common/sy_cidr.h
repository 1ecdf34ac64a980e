/* sy_cidr.h - IP addresses and CIDR ranges, for allowed_ips and --trusted-proxies.
 *
 * IPv4 and IPv6; an IPv4-mapped IPv6 address (::ffff:10.0.0.1, what a dual-stack socket
 * reports for an IPv4 peer) is the IPv4 address, so one rule matches both spellings. */
#ifndef SY_CIDR_H
#define SY_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* One address or range: family AF_INET or AF_INET6, prefix bits of addr significant. */
struct sy_cidr {
	int family;
	uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
	unsigned bits;    /* 32 or 128 for a single address */
};

/* Parse "10.0.0.1", "10.0.0.0/8", "2001:db8::1" or "2001:db8::/32" (host bits under the
 * prefix must be zero). 0 or SY_EINVAL. */
int sy_cidr_parse(const char *s, struct sy_cidr *out);
/* Parse a single address (no prefix); also accepts surrounding spaces. 0 or SY_EINVAL. */
int sy_cidr_parse_addr(const char *s, size_t len, struct sy_cidr *out);
/* The socket address sa (AF_INET or AF_INET6) as a single address. 0 or SY_EINVAL. */
int sy_cidr_from_sockaddr(const struct sockaddr *sa, struct sy_cidr *out);
/* True if the single address a lies in range r. */
bool sy_cidr_contains(const struct sy_cidr *r, const struct sy_cidr *a);
/* Parse a comma-separated list ("10.0.0.0/8,::1") into v (room for max). Returns the count,
 * or SY_EINVAL (with *bad set to the offending item's offset) or SY_ETOOBIG. */
int sy_cidr_parse_list(const char *s, struct sy_cidr *v, size_t max, size_t *bad);

#endif
