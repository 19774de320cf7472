// lwip/ip_addr.h (twin): lwIP's dual-stack address type ip_addr_t (a tagged union of IPv4 and
// IPv6, as ESP-IDF builds lwIP) and the helpers firmware uses on it. AsyncClient::connect(ip_addr_t)
// and AsyncServer(ip_addr_t, port) take it; the twin's network carries only the IPv4 case.
// Value types and macros only: no threading rules, no objects.
#pragma once
#include "lwip/arch.h"
#include "lwip/ip4_addr.h"
#include "lwip/ip6_addr.h"
#include "lwip/opt.h"

enum lwip_ip_addr_type {
  IPADDR_TYPE_V4 = 0U,
  IPADDR_TYPE_V6 = 6U,
  IPADDR_TYPE_ANY = 46U
};

typedef struct ip_addr {
  union {
    ip6_addr_t ip6;
    ip4_addr_t ip4;
  } u_addr;
  u8_t type;  // lwip_ip_addr_type
} ip_addr_t;

#if LWIP_IPV6_SCOPES
#define TWIN_IPADDR6_ZONE_INIT , 0
#else
#define TWIN_IPADDR6_ZONE_INIT
#endif
// Initialisers: u32val in network byte order.
#define IPADDR4_INIT(u32val) {{{{u32val, 0ul, 0ul, 0ul} TWIN_IPADDR6_ZONE_INIT}}, IPADDR_TYPE_V4}
#define IPADDR4_INIT_BYTES(a, b, c, d) IPADDR4_INIT((u32_t)(((u32_t)((d) & 0xff) << 24) | ((u32_t)((c) & 0xff) << 16) | ((u32_t)((b) & 0xff) << 8) | (u32_t)((a) & 0xff)))
#define IPADDR6_INIT(a, b, c, d) {{{{a, b, c, d} TWIN_IPADDR6_ZONE_INIT}}, IPADDR_TYPE_V6}

#define IP_GET_TYPE(ipaddr) ((ipaddr)->type)
#define IP_SET_TYPE_VAL(ipaddr, iptype) ((ipaddr).type = (iptype))
#define IP_SET_TYPE(ipaddr, iptype)                   \
  do {                                                \
    if ((ipaddr) != NULL) IP_SET_TYPE_VAL(*(ipaddr), iptype); \
  } while (0)
#define IP_IS_V4_VAL(ipaddr) (IP_GET_TYPE(&(ipaddr)) == IPADDR_TYPE_V4)
#define IP_IS_V6_VAL(ipaddr) (IP_GET_TYPE(&(ipaddr)) == IPADDR_TYPE_V6)
#define IP_IS_ANY_TYPE_VAL(ipaddr) (IP_GET_TYPE(&(ipaddr)) == IPADDR_TYPE_ANY)
#define IP_IS_V4(ipaddr) (((ipaddr) == NULL) || IP_IS_V4_VAL(*(ipaddr)))
#define IP_IS_V6(ipaddr) (((ipaddr) != NULL) && IP_IS_V6_VAL(*(ipaddr)))
#define ip_2_ip4(ipaddr) (&((ipaddr)->u_addr.ip4))
#define ip_2_ip6(ipaddr) (&((ipaddr)->u_addr.ip6))
#define IP_ADDR4(ipaddr, a, b, c, d)               \
  do {                                             \
    IP4_ADDR(ip_2_ip4(ipaddr), a, b, c, d);        \
    (ipaddr)->u_addr.ip6.addr[1] = 0;              \
    (ipaddr)->u_addr.ip6.addr[2] = 0;              \
    (ipaddr)->u_addr.ip6.addr[3] = 0;              \
    ip6_addr_clear_zone(ip_2_ip6(ipaddr));         \
    IP_SET_TYPE_VAL(*(ipaddr), IPADDR_TYPE_V4);    \
  } while (0)
#define ip_addr_set_zero(ipaddr)                   \
  do {                                             \
    ip6_addr_set_zero(ip_2_ip6(ipaddr));           \
    IP_SET_TYPE_VAL(*(ipaddr), 0);                 \
  } while (0)
#define ip_addr_set_zero_ip4(ipaddr)               \
  do {                                             \
    ip6_addr_set_zero(ip_2_ip6(ipaddr));           \
    IP_SET_TYPE_VAL(*(ipaddr), IPADDR_TYPE_V4);    \
  } while (0)
#define ip_addr_set_ip4_u32(ipaddr, val)           \
  do {                                             \
    if (ipaddr) {                                  \
      ip_addr_set_zero_ip4(ipaddr);                \
      ip4_addr_set_u32(ip_2_ip4(ipaddr), val);     \
    }                                              \
  } while (0)
#define ip_addr_get_ip4_u32(ipaddr) \
  (((ipaddr) && IP_IS_V4(ipaddr)) ? ip4_addr_get_u32(ip_2_ip4(ipaddr)) : 0)
#define ip_addr_isany_val(ipaddr) \
  (IP_IS_V6_VAL(ipaddr) ? ip6_addr_isany_val(*ip_2_ip6(&(ipaddr))) : ip4_addr_isany_val(*ip_2_ip4(&(ipaddr))))
#define ip_addr_isloopback(ipaddr) (IP_IS_V4(ipaddr) && ip4_addr_isloopback(ip_2_ip4(ipaddr)))
