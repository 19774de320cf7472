// lwip/pbuf.h (twin): lwIP's packet buffer, as AsyncClient::onPacket hands received data over.
//
// Here a pbuf is one heap block (the struct followed by its payload) made by the twin for each
// received segment delivered to onPacket; chains (next) are never built. The receiver owns it:
// AsyncClient::ackPacket(pb) acknowledges its bytes and frees it, pbuf_free(pb) only frees it (the
// receive window then stays smaller by pb->len, as on the board).
// Threads: any thread may free or read a pbuf it owns; reference counts are not atomic (as in
// lwIP, where pbufs are used under the core lock): share one across threads only with a lock.
#pragma once
#include "lwip/arch.h"
#include "lwip/err.h"
#include "lwip/opt.h"

struct pbuf {
  struct pbuf* next;  // next pbuf of a chain (always null in the twin)
  void* payload;      // the data
  u16_t tot_len;      // bytes in this pbuf and all that follow it
  u16_t len;          // bytes in this pbuf
  u8_t type_internal;
  u8_t flags;
  u8_t ref;           // references: pbuf_free releases the memory when it drops to 0
  u8_t if_idx;
};

#ifdef __cplusplus
extern "C" {
#endif
// Drops one reference of p (and, when that frees p, of the rest of its chain). Returns how many
// pbufs were freed. A null p frees nothing.
u8_t pbuf_free(struct pbuf* p);
// Adds a reference to p.
void pbuf_ref(struct pbuf* p);
// Copies up to len bytes from offset of the chain into dataptr; returns the count copied.
u16_t pbuf_copy_partial(const struct pbuf* p, void* dataptr, u16_t len, u16_t offset);
#ifdef __cplusplus
}
#endif
