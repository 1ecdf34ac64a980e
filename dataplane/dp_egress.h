/* dp_egress.h - which addresses the gateway may connect to on a client's behalf.
 *
 * A provider's base_url is checked for syntax only when it is stored, and a host name may
 * resolve to anything later (DNS rebinding), so the check is on the address libcurl actually
 * connected to, for every request (a reused connection included): dp_upstream asks here from
 * its pre-request callback, the one place every upstream request goes through. Any future
 * fetch of a client-supplied URL (an image to inline, say) must go through dp_upstream too.
 *
 * - Link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254,
 *   100.100.100.200), unspecified, multicast and broadcast addresses: always refused.
 * - Loopback and private ranges (127/8, 10/8, 172.16/12, 192.168/16, 100.64/10, ::1,
 *   fc00::/7): only for providers the operator marked internal (self-hosted models).
 * - Everything else: allowed.
 * IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses count as their IPv4
 * address. */
#ifndef DP_EGRESS_H
#define DP_EGRESS_H

#include <stdbool.h>

/* NULL when a connection to ip (numeric IPv4 or IPv6, as libcurl reports it) is allowed for a
 * provider that is internal or not; else why not (a string constant). */
const char *dp_egress_refusal(const char *ip, bool internal);

#endif
