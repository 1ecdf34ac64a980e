/* dp_egress.c - the address policy for upstream connections. */
#include "dp_egress.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#define FORBIDDEN "a link-local, cloud metadata or non-unicast address"
#define PRIVATE "a loopback or private address (allowed only for providers marked internal)"

static bool in4(uint32_t a, uint32_t net, unsigned bits)
{
	uint32_t mask = bits ? ~(uint32_t)0 << (32 - bits) : 0;
	return (a & mask) == net;
}

static const char *refusal4(uint32_t a, bool internal)
{
	if (in4(a, 0xA9FE0000, 16) || /* 169.254/16 link-local, metadata */
	    a == 0x646464C8 ||        /* 100.100.100.200 (Alibaba metadata) */
	    in4(a, 0x00000000, 8) ||  /* 0/8 "this network" */
	    in4(a, 0xE0000000, 4) ||  /* multicast */
	    in4(a, 0xF0000000, 4))    /* reserved, broadcast */
		return FORBIDDEN;
	if (in4(a, 0x7F000000, 8) || in4(a, 0x0A000000, 8) || in4(a, 0xAC100000, 12) ||
	    in4(a, 0xC0A80000, 16) || in4(a, 0x64400000, 10))
		return internal ? NULL : PRIVATE;
	return NULL;
}

static uint32_t v4_at(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static const char *refusal6(const unsigned char *b, bool internal)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
	static const unsigned char loopback[16] = {[15] = 1};
	static const unsigned char unspecified[16] = {0};
	/* fd00:ec2::254, AWS's metadata service over IPv6 */
	static const unsigned char ec2[16] = {0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54};
	if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12))
		return refusal4(v4_at(b + 12), internal);
	if ((b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* fe80::/10 link-local */
	    b[0] == 0xff ||                            /* multicast */
	    !memcmp(b, ec2, 16) || !memcmp(b, unspecified, 16))
		return FORBIDDEN;
	if (!memcmp(b, loopback, 16) || (b[0] & 0xfe) == 0xfc) /* ::1, fc00::/7 */
		return internal ? NULL : PRIVATE;
	return NULL;
}

const char *dp_egress_refusal(const char *ip, bool internal)
{
	unsigned char b[16];
	if (ip && inet_pton(AF_INET, ip, b) == 1)
		return refusal4(v4_at(b), internal);
	if (ip && inet_pton(AF_INET6, ip, b) == 1)
		return refusal6(b, internal);
	return "an address that could not be checked";
}
