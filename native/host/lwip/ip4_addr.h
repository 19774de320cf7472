// lwip/ip4_addr.h (twin): lwIP's IPv4 address type and the helpers firmware uses on it. An
// ip4_addr_t holds the address in network byte order, as lwIP and Arduino's IPAddress(uint32_t).
// Value types and macros only: no threading rules, no objects.
#pragma once
#include "lwip/arch.h"
#include "lwip/opt.h"

typedef struct ip4_addr {
  u32_t addr;
} ip4_addr_t;

// Host byte order constants, as in lwIP.
#define IPADDR_NONE ((u32_t)0xffffffffUL)
#define IPADDR_LOOPBACK ((u32_t)0x7f000001UL)
#define IPADDR_ANY ((u32_t)0x00000000UL)
#define IPADDR_BROADCAST ((u32_t)0xffffffffUL)

// a.b.c.d into network byte order (first octet in the lowest-addressed byte).
#define LWIP_MAKEU32(a, b, c, d) \
  (((u32_t)((a) & 0xff) << 24) | ((u32_t)((b) & 0xff) << 16) | ((u32_t)((c) & 0xff) << 8) | (u32_t)((d) & 0xff))
#define IP4_ADDR(ipaddr, a, b, c, d)                                                             \
  (ipaddr)->addr = (u32_t)(((u32_t)((d) & 0xff) << 24) | ((u32_t)((c) & 0xff) << 16) |           \
                           ((u32_t)((b) & 0xff) << 8) | (u32_t)((a) & 0xff))
#define ip4_addr_set_zero(ipaddr) ((ipaddr)->addr = 0)
#define ip4_addr_set_any(ipaddr) ((ipaddr)->addr = 0)
#define ip4_addr_get_u32(src_ipaddr) ((src_ipaddr)->addr)
#define ip4_addr_set_u32(dest_ipaddr, src_u32) ((dest_ipaddr)->addr = (src_u32))
#define ip4_addr_copy(dest, src) ((dest).addr = (src).addr)
#define ip4_addr_isany_val(addr1) ((addr1).addr == 0)
#define ip4_addr_isany(addr1) ((addr1) == NULL || ip4_addr_isany_val(*(addr1)))
#define ip4_addr_cmp(addr1, addr2) ((addr1)->addr == (addr2)->addr)
#define ip4_addr_isloopback(ipaddr) (((ipaddr)->addr & 0xff) == 127)
#define ip4_addr1(ipaddr) ((u8_t)(((const u8_t*)(&(ipaddr)->addr))[0]))
#define ip4_addr2(ipaddr) ((u8_t)(((const u8_t*)(&(ipaddr)->addr))[1]))
#define ip4_addr3(ipaddr) ((u8_t)(((const u8_t*)(&(ipaddr)->addr))[2]))
#define ip4_addr4(ipaddr) ((u8_t)(((const u8_t*)(&(ipaddr)->addr))[3]))
