// ws_server_internal.h: what the WebSocket core's implementation files share (ws_server.cpp,
// ws_send.cpp, ws_receive.cpp, ws_lifetime.cpp); not for user code. Opcode constants, the frame
// write helpers of the send path, and the handler boxes (AsyncWebSocket::Box).
//
// Threads and locks: every helper named ...Slot/...Head/writeSome and popHead runs with the
// owning server's _mu held (they touch a client's queues, ws_client.h) and calls only
// AsyncClient::add(), which never runs a callback (rule T2). _setBox and _dropBox take _mu
// themselves and destroy a box (a user std::function) with no lock held; _takeBox runs under _mu.
// Lifetimes: a Box is freed by its last reference (the slot's or a running callback's).
// Rules of the whole core: AsyncWebSocket.h (LIFETIME AND THREADS), docs/architecture.md T8/L6.
#pragma once
#include <cstring>
#include <new>
#include <utility>

#include "AsyncWebSocket.h"
#include "tc_heap.h"
#include "ws_types.h"
#include "ws_writer.h"

namespace twincore {
namespace wsi {

constexpr uint8_t kOpText = uint8_t(ws::Opcode::Text);
constexpr uint8_t kOpBinary = uint8_t(ws::Opcode::Binary);
constexpr uint8_t kOpClose = uint8_t(ws::Opcode::Close);
constexpr uint8_t kOpPing = uint8_t(ws::Opcode::Ping);
constexpr uint8_t kOpPong = uint8_t(ws::Opcode::Pong);
constexpr size_t kQueueLen = WS_MAX_QUEUED_MESSAGES;
// Clients closed after one broadcast's unlock; more (rare) are closed by their next poll.
constexpr size_t kCloseBatch = 16;

inline void fillCtrl(ws::CtrlSlot& s, uint8_t op, const uint8_t* payload, size_t len) {
  if (len > ws::kMaxControlPayload) len = ws::kMaxControlPayload;
  size_t h = ws::writeFrameHeader(s.bytes, static_cast<ws::Opcode>(op), true, len, nullptr);
  if (len) std::memcpy(s.bytes + h, payload, len);
  s.len = uint8_t(h + len);
  s.off = 0;
}

// Adds [p+off, p+n) as far as the window takes it (AsyncClient::add() takes what fits, as
// AsyncTCP's does: no space() call before it). True when the frame is fully added. A short add
// reads space() once (the window is full: the sender now waits for acks) and sets `full`, unless
// it took something and the window opened meanwhile (an ack on the other core): then the caller
// goes on writing.
inline bool writeSome(AsyncClient* ac, const uint8_t* p, size_t n, uint32_t& off, bool& full, bool& wrote) {
  size_t want = n - off;
  size_t took = want ? ac->add(reinterpret_cast<const char*>(p + off), want, ASYNC_WRITE_FLAG_COPY) : 0;
  if (took) wrote = true;
  off += uint32_t(took);
  if (took < want) {
    const bool open = ac->space() > 0;
    full = took == 0 || !open;
  }
  return off >= n;
}

// Under the server's _mu: drops the head of c's data queue.
inline void popHead(ws::ClientState* c) {
  c->qBytes -= uint32_t(c->q[c->qHead]->frameLength());
  c->q[c->qHead]->unref();
  c->q[c->qHead] = nullptr;
  c->qHead = uint8_t((c->qHead + 1) % kQueueLen);
  c->qCount--;
  c->qOff = 0;
}

// Under the server's _mu: writes what fits of the frame at the head of c's queue, and pops it
// once it is all written. True when it was.
inline bool writeHead(AsyncClient* ac, ws::ClientState* c, bool& full, bool& wrote) {
  ws::SharedBuffer* b = c->q[c->qHead];
  if (!writeSome(ac, b->frameData(), b->frameLength(), c->qOff, full, wrote)) return false;
  popHead(c);
  return true;
}

inline bool writeSlot(AsyncClient* ac, ws::CtrlSlot& s, bool& full, bool& wrote) {
  uint32_t off = s.off;
  bool done = writeSome(ac, s.bytes, s.len, off, full, wrote);
  s.off = uint8_t(off);
  return done;
}

// Under the server's _mu: c's control frames, allocated (zeroed) on first use; null when the
// heap is exhausted (the caller counts the failure).
inline ws::CtrlFrames* ctrlFrames(ws::ClientState* c) {
  if (!c->ctrl) {
    void* m = heap::alloc(sizeof(ws::CtrlFrames));
    if (!m) return nullptr;
    c->ctrl = new (m) ws::CtrlFrames();
  }
  return c->ctrl;
}

// Under the server's _mu: frees c's control frames once none waits to be written (our Close
// counts until it is fully added), or at once with `force` (the TCP side is down).
inline void ctrlRelease(ws::ClientState* c, bool force) {
  ws::CtrlFrames* k = c->ctrl;
  if (!k) return;
  if (!force && (k->pong.len || k->ping.len || (c->closeQueued && !c->closeSent))) return;
  k->~CtrlFrames();
  heap::free(k, sizeof(ws::CtrlFrames));
  c->ctrl = nullptr;
}

// rx (or _destroy): the reassembly buffer's length, and its release.
inline size_t msgLen(const ws::ClientState* c) { return c->msg ? c->msg->len : 0; }
inline void freeMsg(ws::ClientState* c) {
  if (!c->msg) return;
  heap::free(c->msg, sizeof(ws::RxMessage) + c->msg->cap);
  c->msg = nullptr;
}

}  // namespace wsi

// Puts `fresh` (holding its one reference) in the slot and releases the slot's reference to the
// old box; the last reference destroys it, outside _mu. Takes _mu.
template <class B>
void AsyncWebSocket::_setBox(B*& slot, B* fresh) {
  B* old;
  {
    port::Lock lk(_mu);
    old = slot;
    slot = fresh;
    if (old && --old->refs != 0) old = nullptr;
  }
  if (old) {
    old->~B();
    heap::free(old, sizeof(B));
  }
}

template <class B>
B* AsyncWebSocket::_takeBox(B* slot) {
  if (slot) slot->refs++;
  return slot;
}

// Releases a reference taken with _takeBox; the last one destroys the box, outside _mu. Takes _mu.
template <class B>
void AsyncWebSocket::_dropBox(B* b) {
  bool last;
  {
    port::Lock lk(_mu);
    last = --b->refs == 0;
  }
  if (last) {
    b->~B();
    heap::free(b, sizeof(B));
  }
}

template <class B, class F>
B* makeBox(F&& fn) {
  if (!fn) return nullptr;
  void* mem = heap::alloc(sizeof(B));
  if (!mem) return nullptr;
  return new (mem) B{1, std::forward<F>(fn)};
}

}  // namespace twincore
