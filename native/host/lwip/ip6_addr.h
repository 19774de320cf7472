// lwip/ip6_addr.h (twin): lwIP's IPv6 address type (ESP-IDF builds lwIP with IPv6 and scopes),
// declared so IPv6-aware members of AsyncTCP compile. The twin's network is IPv4 only: the IPv6
// accessors return the zero address (AsyncTCP.h).
// Value types and macros only: no threading rules, no objects.
#pragma once
#include "lwip/arch.h"
#include "lwip/opt.h"

typedef struct ip6_addr {
  u32_t addr[4];
#if LWIP_IPV6_SCOPES
  u8_t zone;
#endif
} ip6_addr_t;

#if LWIP_IPV6_SCOPES
#define ip6_addr_clear_zone(ip6addr) ((ip6addr)->zone = 0)
#else
#define ip6_addr_clear_zone(ip6addr)
#endif
#define ip6_addr_set_zero(ip6addr)                                                       \
  do {                                                                                   \
    (ip6addr)->addr[0] = 0;                                                              \
    (ip6addr)->addr[1] = 0;                                                              \
    (ip6addr)->addr[2] = 0;                                                              \
    (ip6addr)->addr[3] = 0;                                                              \
    ip6_addr_clear_zone(ip6addr);                                                        \
  } while (0)
#define ip6_addr_set_any(ip6addr) ip6_addr_set_zero(ip6addr)
#define ip6_addr_isany_val(ip6addr) \
  (((ip6addr).addr[0] == 0) && ((ip6addr).addr[1] == 0) && ((ip6addr).addr[2] == 0) && ((ip6addr).addr[3] == 0))
#define ip6_addr_isany(ip6addr) (((ip6addr) == NULL) || ip6_addr_isany_val(*(ip6addr)))
