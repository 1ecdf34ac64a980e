/* sy_cidr.c - inet_pton plus a prefix compare. */
#include "sy_cidr.h"
#include "sy_err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TEXT_MAX 64 /* longer than any IPv6 address with a prefix */

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* ::ffff:a.b.c.d becomes a.b.c.d. */
static void unmap(struct sy_cidr *c)
{
	if (c->family == AF_INET6 && !memcmp(c->addr, v4_mapped, 12) && c->bits >= 96) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = AF_INET;
		c->bits -= 96;
	}
}

static int parse_ip(const char *s, struct sy_cidr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		out->bits = 32;
	} else if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		out->bits = 128;
	} else {
		return SY_EINVAL;
	}
	return 0;
}

int sy_cidr_parse_addr(const char *s, size_t len, struct sy_cidr *out)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	char buf[TEXT_MAX];
	if (!len || len >= sizeof(buf))
		return SY_EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	int rc = parse_ip(buf, out);
	if (!rc)
		unmap(out);
	return rc;
}

int sy_cidr_parse(const char *s, struct sy_cidr *out)
{
	char buf[TEXT_MAX];
	if (strlen(s) >= sizeof(buf))
		return SY_EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (parse_ip(buf, out))
		return SY_EINVAL;
	if (slash) {
		char *end;
		const char *p = slash + 1;
		if (!isdigit((unsigned char)*p))
			return SY_EINVAL;
		unsigned long bits = strtoul(p, &end, 10);
		if (*end || bits > out->bits || end - p > 3)
			return SY_EINVAL;
		out->bits = (unsigned)bits;
		/* host bits set under a prefix are almost always a typo for another range */
		for (unsigned i = out->bits; i < (out->family == AF_INET ? 32u : 128u); i++)
			if (out->addr[i / 8] & (0x80 >> (i % 8)))
				return SY_EINVAL;
	}
	unmap(out);
	return 0;
}

int sy_cidr_from_sockaddr(const struct sockaddr *sa, struct sy_cidr *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa)
		return SY_EINVAL;
	if (sa->sa_family == AF_INET) {
		memcpy(out->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		out->family = AF_INET;
		out->bits = 32;
	} else if (sa->sa_family == AF_INET6) {
		memcpy(out->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		out->family = AF_INET6;
		out->bits = 128;
		unmap(out);
	} else {
		return SY_EINVAL;
	}
	return 0;
}

bool sy_cidr_contains(const struct sy_cidr *r, const struct sy_cidr *a)
{
	if (r->family != a->family)
		return false;
	unsigned full = r->bits / 8, rest = r->bits % 8;
	if (memcmp(r->addr, a->addr, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (r->addr[full] & mask) == (a->addr[full] & mask);
}

int sy_cidr_parse_list(const char *s, struct sy_cidr *v, size_t max, size_t *bad)
{
	size_t n = 0;
	const char *p = s;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[TEXT_MAX];
		*bad = (size_t)(p - s);
		if (!len || len >= sizeof(item))
			return SY_EINVAL;
		if (n == max)
			return SY_ETOOBIG;
		memcpy(item, p, len);
		item[len] = '\0';
		if (sy_cidr_parse(item, &v[n]))
			return SY_EINVAL;
		n++;
		if (!comma)
			return (int)n;
		p = comma + 1;
	}
}
