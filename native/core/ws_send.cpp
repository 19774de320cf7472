// ws_send.cpp: the send path of the WebSocket core: framing (once per message, shared by every
// client it is queued to), the bounded per-client queues, flushing into the TCP window, the
// close handshake's Close frame, sends by client and by id, broadcasts (textAll, binaryAll,
// pingAll, closeAll), printf and message buffers.
//
// Rules kept here (AsyncWebSocket.h, LIFETIME AND THREADS; docs/architecture.md T2, T8):
// - _mu guards every client's queues and flags (ws_client.h). Functions named ...Locked run with
//   it held; they call AsyncClient::add()/send()/ack() (never a callback, rule T2) and nothing else
//   outside the core.
// - No AsyncClient::close()/abort() and no user callback runs with _mu held: a send that ends a
//   client (close-on-full, a completed close handshake) decides under _mu, takes a reference,
//   unlocks, then closes (_afterOp, _closeBatch; more than kCloseBatch in one broadcast are
//   closed by their next poll).
// - Every entry point holds a reference on the client it works on (the caller's, _refById's, or
//   one taken under _mu) and drops it last; a buffer queued to a client holds its own reference.
// - A broadcast holds a port::NetBatch across its clients (docs/architecture.md T9, after _mu):
//   inside it only add()/send()/space() reach AsyncTCP; a paused stream's ack() found due there
//   waits for the batch's end (_inNetBatch/_ackDeferred, under _mu).
// - Queue-full outcome (documented in AsyncWebSocket.h / ws_client.h): dropped for that client
//   (SendStatus::dropped) or, with setCloseClientOnQueueFull, the client is closed
//   (SendStatus::closed). A broadcast counts only clients it could reach.
#include "ws_server_internal.h"

#include <cstdio>

namespace twincore {

using port::Lock;
using namespace wsi;

// ---------------------------------------------------------------------------------------------
// Send path

// Under _mu. Queues a framed buffer (the caller keeps its own reference). A full queue with
// close-on-full ends the client without a Close frame (there is no room for one): it is marked
// as a finished close handshake, so the _flushLocked() that follows every enqueue (or, for a
// broadcast past its close batch, the next poll's) reports it done and the TCP is closed.
bool AsyncWebSocket::_enqueueLocked(Client* c, ws::SharedBuffer* buf, SendStatus& st) {
  if (c->fragOpen) {  // a fragmented message is being streamed to it: nothing may interleave
    st.dropped++;
    _dropped++;
    return false;
  }
  if (c->qCount >= kQueueLen) {
    if (c->closeOnQueueFull) {
      st.closed++;
      _closedOnFull++;
      c->status = WS_DISCONNECTING;  // nothing more is queued to it
      c->closeQueued = c->closeSent = c->peerClosed = true;
      c->closeStartMs = port::millis();
    } else {
      st.dropped++;
      _dropped++;
    }
    return false;
  }
  buf->ref();
  c->q[(c->qHead + c->qCount) % kQueueLen] = buf;
  c->qCount++;
  c->qBytes += uint32_t(buf->frameLength());
  st.queued++;
  return true;
}

// Under _mu. Writes what the TCP window takes: a partly written frame first, then control
// frames (pong, ping, close), then data. Nothing follows our Close frame. Returns true when
// the close handshake is complete and the TCP should be closed.
bool AsyncWebSocket::_flushLocked(Client* c) {
  AsyncClient* ac = c->ac;
  if (!ac) return false;
  bool full = false, wrote = false;
  while (!full) {  // an item left incomplete with the window open again is retried
    if (c->qCount && c->qOff > 0) {
      writeHead(ac, c, full, wrote);
      continue;
    }
    ws::CtrlFrames* k = c->ctrl;
    if (k && k->pong.len) {
      if (!writeSlot(ac, k->pong, full, wrote)) continue;
      k->pong.len = 0;
      k->pong.off = 0;  // the slot is free again: the next ping gets its pong
      continue;
    }
    if (k && k->ping.len) {
      if (!writeSlot(ac, k->ping, full, wrote)) continue;
      k->ping.len = 0;
      k->ping.off = 0;
      continue;
    }
    if (c->closeQueued) {
      if (!c->closeSent) {  // (a Close not yet sent has its slot: _queueCloseLocked)
        if (!writeSlot(ac, k->close, full, wrote)) continue;
        c->closeSent = true;
      }
      break;
    }
    if (c->qCount) {
      writeHead(ac, c, full, wrote);
      continue;
    }
    break;
  }
  if (wrote) ac->send();
  ctrlRelease(c, false);  // an idle client keeps no control frame block
  if (c->rxHeld && c->qBytes <= WsDefaults::kStreamResumeBytes) {  // a stream drained: read again
    if (_inNetBatch) {
      _ackDeferred = true;  // after the batch (_broadcast)
    } else {
      ac->ack(c->rxHeld);
      c->rxHeld = 0;
    }
  }
  return c->closeSent && c->peerClosed;
}

// Under _mu, for a connected client: one data message (framed, the caller keeps its reference)
// to c, counted in st; true when the TCP should now be closed (close-on-full). The AsyncClient is
// touched once per call:
//  - nothing waiting (no queued frame, no control frame, no open stream): the frame goes straight
//    into the window (one add(), one send(); a second add() only if a short add found the window
//    reopened); only a part the window did not take is queued;
//  - otherwise: queued, then flushed (also when frames were already waiting: see below).
// The queue-full outcome is _enqueueLocked's (dropped, or closed with close-on-full).
bool AsyncWebSocket::_sendLocked(Client* c, ws::SharedBuffer* b, SendStatus& st) {
  AsyncClient* ac = c->ac;
  if (c->qCount == 0 && !c->fragOpen && !c->ctrl) {
    uint32_t off = 0;
    bool full = false, wrote = false;
    while (!writeSome(ac, b->frameData(), b->frameLength(), off, full, wrote) && !full) {
    }
    if (wrote) ac->send();
    st.queued++;
    if (off < b->frameLength()) {  // the rest waits for the window (the queue is empty: it fits)
      b->ref();
      c->q[c->qHead] = b;
      c->qCount = 1;
      c->qOff = off;
      c->qBytes += uint32_t(b->frameLength());
    }
    return false;
  }
  if (!_enqueueLocked(c, b, st)) return c->closeSent && c->peerClosed;  // dropped, or close-on-full
  // Flushed now even when the queue was already waiting for the window: leaving it to the next
  // onAck (or poll) lost whole stretches of a broadcast for one reader under the weak-wifi link
  // with jitter (2 of 5 runs of scenarios/wifi.json dropped 323-692 messages; 0 of 10 with this
  // flush). Why the ack-driven flush fell behind there is not yet understood.
  return _flushLocked(c);
}

// Under _mu. Queues our Close frame (once): status DISCONNECTING; whole data frames not yet
// started are dropped (a partly written one completes first).
bool AsyncWebSocket::_queueCloseLocked(Client* c, uint16_t code, const char* reason, size_t reasonLen) {
  if (c->closeQueued || c->tcpClaimed) return false;
  c->closeQueued = true;
  c->status = WS_DISCONNECTING;
  c->closeStartMs = port::millis();
  if (ws::CtrlFrames* k = ctrlFrames(c)) {
    uint8_t payload[ws::kMaxControlPayload];
    size_t n = code ? ws::writeClosePayload(payload, code, reason, reason ? reasonLen : 0) : 0;
    fillCtrl(k->close, kOpClose, payload, n);
    if (k->ping.off == 0) k->ping.len = 0;
  } else {  // no memory for a Close frame: the TCP is closed at the next flush, without one
    _allocFailures++;
    c->closeSent = c->peerClosed = true;
  }
  size_t keep = c->qOff > 0 ? 1 : 0;
  while (c->qCount > keep) {
    size_t last = (c->qHead + c->qCount - 1) % kQueueLen;
    c->qBytes -= uint32_t(c->q[last]->frameLength());
    c->q[last]->unref();
    c->q[last] = nullptr;
    c->qCount--;
  }
  c->fragOpen = false;  // an open stream is abandoned: nothing follows our Close
  return true;
}

// After an operation on one client: closes the TCP when asked (no lock held).
void AsyncWebSocket::_afterOp(Client* c, bool closeTcp) {
  if (closeTcp) _closeTcp(c, false);
}

void AsyncWebSocket::_closeBatch(Client** list, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    _closeTcp(list[i], false);
    _unref(list[i]);
  }
}

// A framed buffer holding one reference for the caller, or nullptr (out of memory).
ws::SharedBuffer* AsyncWebSocket::_framed(uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf) {
  if (buf) {
    if (buf->frame(opcode)) {
      buf->ref();
      return buf;
    }
    data = buf->payload();  // framed differently (or being framed): send a copy
    len = buf->length();
  }
  ws::SharedBuffer* b = ws::SharedBuffer::copyOf(data, len);
  if (!b) return nullptr;
  if (!b->frame(opcode)) {
    b->unref();
    return nullptr;
  }
  return b;
}

bool AsyncWebSocket::_clientSend(Client* c, uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf) {
  {
    Lock lk(_mu);
    if (c->status != WS_CONNECTED || !c->ac) return false;
    c->refs++;
  }
  return _send(c, opcode, data, len, buf).queued != 0;
}

// Frames, queues and flushes to one client the caller holds a reference to, which it drops;
// closes the TCP when that finished the close (close-on-full, or a completed handshake).
SendStatus AsyncWebSocket::_send(Client* c, uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf) {
  SendStatus st;
  ws::SharedBuffer* b = _framed(opcode, data, len, buf);
  bool closeNow = false;
  {
    Lock lk(_mu);
    if (!b) {
      _allocFailures++;
      st.error = SendStatus::kNoMemory;
    } else if (c->status == WS_CONNECTED && c->ac) {
      closeNow = _sendLocked(c, b, st);
    } else {
      st.notConnected = 1;
    }
  }
  if (b) b->unref();
  _afterOp(c, closeNow);
  _unref(c);
  return st;
}

// One frame of a fragmented message (AsyncWebSocketClient::sendFragment). A continuation that
// finds the ring full is merged into the queued tail frame (a fragment of the same message not
// yet started: nothing else is queued after a stream's first frame), so its frames are never
// dropped; the memory they take is bounded by the receive hold in _acData.
bool AsyncWebSocket::_clientFragment(Client* c, uint8_t opcode, bool fin, const void* data, size_t len) {
  const bool first = opcode == kOpText || opcode == kOpBinary;
  if (!first && opcode != uint8_t(ws::Opcode::Continuation)) return false;
  ws::SharedBuffer* b = ws::SharedBuffer::copyOf(data, len);
  bool ok = false, fail = false;
  ws::SharedBuffer* merged = nullptr;  // the tail frame replaced by a merge (unref outside)
  bool closeNow = false;
  {
    Lock lk(_mu);
    if (c->status != WS_CONNECTED || !c->ac || first == c->fragOpen) {
      // not connected, or out of sequence
    } else if (!b) {
      _allocFailures++;
      fail = !first;  // a stream that cannot be completed ends the client
    } else if (first && c->qCount >= kQueueLen) {
      _dropped++;
    } else if (c->qCount < kQueueLen) {
      if (b->frame(opcode, fin)) {
        SendStatus st;
        c->fragOpen = false;  // (_enqueueLocked refuses while open)
        ok = _enqueueLocked(c, b, st);
        c->fragOpen = ok ? !fin : !first;
      }
    } else {
      size_t tail = (c->qHead + c->qCount - 1) % kQueueLen;
      ws::SharedBuffer* t = c->q[tail];
      bool started = tail == c->qHead && c->qOff > 0;
      if (!started) {
        uint8_t tailOp = t->frameData()[0] & 0x0F;
        ws::SharedBuffer* m = ws::SharedBuffer::create(t->length() + len);
        if (m) {
          std::memcpy(m->payload(), t->payload(), t->length());
          if (len) std::memcpy(m->payload() + t->length(), data, len);
          if (m->frame(tailOp, fin)) {
            c->qBytes += uint32_t(m->frameLength()) - uint32_t(t->frameLength());
            c->q[tail] = m;
            merged = t;
            c->fragOpen = !fin;
            ok = true;
          } else {
            m->unref();
          }
        }
      }
      if (!ok) {
        _allocFailures++;
        fail = true;
      }
    }
    if (ok) closeNow = _flushLocked(c);
    c->refs++;
  }
  if (b) b->unref();
  if (merged) merged->unref();
  if (fail) _clientClose(c, ws::close::InternalError, "out of memory");
  _afterOp(c, closeNow);
  _unref(c);
  return ok;
}

bool AsyncWebSocket::_clientPing(Client* c, const uint8_t* data, size_t len) {
  if (len > ws::kMaxControlPayload) return false;
  bool ok = false, closeNow = false;
  {
    Lock lk(_mu);
    if (c->status != WS_CONNECTED || !c->ac || (c->ctrl && c->ctrl->ping.len)) return false;
    ws::CtrlFrames* k = ctrlFrames(c);
    if (!k) {
      _allocFailures++;
      return false;
    }
    fillCtrl(k->ping, kOpPing, data, len);
    ok = true;
    closeNow = _flushLocked(c);
    if (closeNow) c->refs++;
  }
  if (closeNow) {
    _closeTcp(c, false);
    _unref(c);
  }
  return ok;
}

void AsyncWebSocket::_clientClose(Client* c, uint16_t code, const char* message) {
  bool closeNow = false;
  {
    Lock lk(_mu);
    if (c->status != WS_CONNECTED || !c->ac) return;
    _queueCloseLocked(c, code ? code : ws::close::Normal, message, message ? std::strlen(message) : 0);
    closeNow = _flushLocked(c);
    if (closeNow) c->refs++;
  }
  if (closeNow) {
    _closeTcp(c, false);
    _unref(c);
  }
}

AsyncWebSocket::Client* AsyncWebSocket::_refById(uint32_t id, SendStatus& st) {
  Lock lk(_mu);
  if (!_running) {
    st.error = SendStatus::kNotRunning;
    return nullptr;
  }
  Client* c = _findLocked(id);
  if (!c || c->status != WS_CONNECTED || !c->ac) {
    st.notConnected = 1;
    return nullptr;
  }
  c->refs++;
  return c;
}

SendStatus AsyncWebSocket::_sendTo(uint32_t id, uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf) {
  SendStatus st;
  Client* c = _refById(id, st);
  return c ? _send(c, opcode, data, len, buf) : st;
}

// Frames once (before locking: the copy allocates), then ONE acquisition of _mu for the whole
// broadcast: each connected client is touched once (_sendLocked: one add() and one send() on its
// AsyncClient, none when its queue waits for acks; before: space(), add(), send() per client and
// a second lock round for the running check). Clients whose close completed
// (close-on-full) are closed after unlocking.
SendStatus AsyncWebSocket::_broadcast(uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf) {
  SendStatus st;
  ws::SharedBuffer* b = _framed(opcode, data, len, buf);
  Client* toClose[kCloseBatch];
  size_t nClose = 0;
  {
    Lock lk(_mu);
    if (!_running) {
      st.error = SendStatus::kNotRunning;
    } else if (!b) {
      _allocFailures++;
      st.error = SendStatus::kNoMemory;
    } else {
      {
        // One hold of the network stack's lock per 32 clients instead of one per call (the
        // twin; nothing on the board). Only add/send reach AsyncTCP inside (T9).
        port::NetBatch nb;
        _inNetBatch = true;
        for (Client* c = _head; c; c = c->next) {
          if (c->status != WS_CONNECTED || !c->ac) continue;  // not reachable: not counted
          nb.next();
          if (_sendLocked(c, b, st) && nClose < kCloseBatch) {  // past the batch: closed by its next poll
            c->refs++;
            toClose[nClose++] = c;
          }
        }
        _inNetBatch = false;
      }
      if (_ackDeferred) {  // streams that drained during the batch read again
        _ackDeferred = false;
        for (Client* c = _head; c; c = c->next) {
          if (c->ac && c->rxHeld && c->qBytes <= WsDefaults::kStreamResumeBytes) {
            c->ac->ack(c->rxHeld);
            c->rxHeld = 0;
          }
        }
      }
    }
  }
  if (b) b->unref();
  _closeBatch(toClose, nClose);
  return st;
}

void AsyncWebSocket::_acAck(void* arg, AsyncClient* ac, size_t, uint32_t) {
  Client* c = static_cast<Client*>(arg);
  AsyncWebSocket* s = c->server;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  bool closeNow;
  {
    Lock lk(s->_mu);
    closeNow = s->_flushLocked(c);
    c->refs++;
  }
  s->_afterOp(c, closeNow);
  s->_unref(c);
  if (scope.topLevel()) s->_drain(ac, true);
}

bool AsyncWebSocket::availableForWrite(uint32_t id) const {
  Lock lk(_mu);
  Client* c = _findLocked(id);
  return c && c->status == WS_CONNECTED && c->ac && c->qCount < kQueueLen;
}

bool AsyncWebSocket::availableForWriteAll() const {
  Lock lk(_mu);
  for (Client* c = _head; c; c = c->next) {
    if (c->status == WS_CONNECTED && c->qCount >= kQueueLen) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Sends by id and broadcasts

SendStatus AsyncWebSocket::text(uint32_t id, const char* message) {
  return _sendTo(id, kOpText, message, message ? std::strlen(message) : 0, nullptr);
}
SendStatus AsyncWebSocket::text(uint32_t id, const char* message, size_t len) {
  return _sendTo(id, kOpText, message, len, nullptr);
}
SendStatus AsyncWebSocket::text(uint32_t id, const AsyncWebSocketMessageBuffer& buffer) {
  if (!buffer) return SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
  return _sendTo(id, kOpText, nullptr, 0, buffer._buffer());
}
SendStatus AsyncWebSocket::binary(uint32_t id, const void* data, size_t len) {
  return _sendTo(id, kOpBinary, data, len, nullptr);
}
SendStatus AsyncWebSocket::binary(uint32_t id, const AsyncWebSocketMessageBuffer& buffer) {
  if (!buffer) return SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
  return _sendTo(id, kOpBinary, nullptr, 0, buffer._buffer());
}

SendStatus AsyncWebSocket::ping(uint32_t id, const uint8_t* data, size_t len) {
  SendStatus st;
  if (len > ws::kMaxControlPayload) {
    st.error = SendStatus::kTooBig;
    return st;
  }
  Client* c = _refById(id, st);
  if (!c) return st;
  AsyncWebSocketClientRef ref(_wrap(c));  // adopts the reference
  if (_clientPing(&ref->_s, data, len)) st.queued = 1; else st.dropped = 1;
  return st;
}

SendStatus AsyncWebSocket::close(uint32_t id, uint16_t code, const char* message) {
  SendStatus st;
  Client* c = _refById(id, st);
  if (!c) return st;
  AsyncWebSocketClientRef ref(_wrap(c));  // adopts the reference
  _clientClose(&ref->_s, code, message);
  st.queued = 1;
  return st;
}

SendStatus AsyncWebSocket::textAll(const char* message) {
  return _broadcast(kOpText, message, message ? std::strlen(message) : 0, nullptr);
}
SendStatus AsyncWebSocket::textAll(const char* message, size_t len) {
  return _broadcast(kOpText, message, len, nullptr);
}
SendStatus AsyncWebSocket::textAll(const AsyncWebSocketMessageBuffer& buffer) {
  if (!buffer) return SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
  return _broadcast(kOpText, nullptr, 0, buffer._buffer());
}
SendStatus AsyncWebSocket::binaryAll(const void* data, size_t len) {
  return _broadcast(kOpBinary, data, len, nullptr);
}
SendStatus AsyncWebSocket::binaryAll(const AsyncWebSocketMessageBuffer& buffer) {
  if (!buffer) return SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
  return _broadcast(kOpBinary, nullptr, 0, buffer._buffer());
}

SendStatus AsyncWebSocket::pingAll(const uint8_t* data, size_t len) {
  SendStatus st;
  if (len > ws::kMaxControlPayload) {
    st.error = SendStatus::kTooBig;
    return st;
  }
  Client* toClose[kCloseBatch];
  size_t nClose = 0;
  {
    Lock lk(_mu);
    if (!_running) {
      st.error = SendStatus::kNotRunning;
      return st;
    }
    for (Client* c = _head; c; c = c->next) {
      if (c->status != WS_CONNECTED || !c->ac) continue;
      ws::CtrlFrames* k = c->ctrl && c->ctrl->ping.len ? nullptr : ctrlFrames(c);
      if (!k) {  // a ping is still waiting (or no memory for one)
        if (!(c->ctrl && c->ctrl->ping.len)) _allocFailures++;
        st.dropped++;
        continue;
      }
      fillCtrl(k->ping, kOpPing, data, len);
      st.queued++;
      if (_flushLocked(c) && nClose < kCloseBatch) {
        c->refs++;
        toClose[nClose++] = c;
      }
    }
  }
  _closeBatch(toClose, nClose);
  return st;
}

SendStatus AsyncWebSocket::closeAll(uint16_t code, const char* message) {
  SendStatus st;
  Client* toClose[kCloseBatch];
  size_t nClose = 0;
  {
    Lock lk(_mu);
    if (!_running) {
      st.error = SendStatus::kNotRunning;
      return st;
    }
    size_t mlen = message ? std::strlen(message) : 0;
    for (Client* c = _head; c; c = c->next) {
      if (c->status != WS_CONNECTED || !c->ac) continue;
      _queueCloseLocked(c, code ? code : ws::close::Normal, message, mlen);
      st.queued++;
      if (_flushLocked(c) && nClose < kCloseBatch) {
        c->refs++;
        toClose[nClose++] = c;
      }
    }
  }
  _closeBatch(toClose, nClose);
  return st;
}

// ---------------------------------------------------------------------------------------------
// printf and buffers

size_t AsyncWebSocket::_vprintf(uint32_t id, bool all, const char* format, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, format, ap2);
  va_end(ap2);
  if (n < 0) return 0;
  ws::SharedBuffer* b = ws::SharedBuffer::create(size_t(n) + 1);
  if (!b) {
    Lock lk(_mu);
    _allocFailures++;
    return 0;
  }
  std::vsnprintf(reinterpret_cast<char*>(b->payload()), size_t(n) + 1, format, ap);
  b->truncate(size_t(n));
  SendStatus st = all ? _broadcast(kOpText, nullptr, 0, b) : _sendTo(id, kOpText, nullptr, 0, b);
  b->unref();
  return st.queued ? size_t(n) : 0;
}

size_t AsyncWebSocket::printf(uint32_t id, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  size_t n = _vprintf(id, false, format, ap);
  va_end(ap);
  return n;
}

size_t AsyncWebSocket::printfAll(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  size_t n = _vprintf(0, true, format, ap);
  va_end(ap);
  return n;
}

AsyncWebSocketMessageBuffer AsyncWebSocket::makeBuffer(size_t len) {
  ws::SharedBuffer* b = ws::SharedBuffer::create(len + 1);
  if (b) {
    std::memset(b->payload(), 0, len + 1);
    b->truncate(len);
  }
  return AsyncWebSocketMessageBuffer(b);
}

// The heap handles of ESPAsyncWebServer's makeBuffer() pattern: sent (or not) and deleted.
namespace {
struct OwnedBuffer {
  explicit OwnedBuffer(AsyncWebSocketMessageBuffer* p) : p(p) {}
  ~OwnedBuffer() { delete p; }
  const AsyncWebSocketMessageBuffer& get() const { return *p; }
  explicit operator bool() const { return p && *p; }
  AsyncWebSocketMessageBuffer* p;
};
}  // namespace

SendStatus AsyncWebSocket::text(uint32_t id, AsyncWebSocketMessageBuffer* buffer) {
  OwnedBuffer b(buffer);
  return b ? text(id, b.get()) : SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
}
SendStatus AsyncWebSocket::binary(uint32_t id, AsyncWebSocketMessageBuffer* buffer) {
  OwnedBuffer b(buffer);
  return b ? binary(id, b.get()) : SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
}
SendStatus AsyncWebSocket::textAll(AsyncWebSocketMessageBuffer* buffer) {
  OwnedBuffer b(buffer);
  return b ? textAll(b.get()) : SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
}
SendStatus AsyncWebSocket::binaryAll(AsyncWebSocketMessageBuffer* buffer) {
  OwnedBuffer b(buffer);
  return b ? binaryAll(b.get()) : SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
}
bool AsyncWebSocketClient::text(AsyncWebSocketMessageBuffer* buffer) {
  OwnedBuffer b(buffer);
  return b && text(b.get());
}
bool AsyncWebSocketClient::binary(AsyncWebSocketMessageBuffer* buffer) {
  OwnedBuffer b(buffer);
  return b && binary(b.get());
}


AsyncWebSocketMessageBuffer AsyncWebSocket::makeBuffer(const uint8_t* data, size_t len) {
  return AsyncWebSocketMessageBuffer(ws::SharedBuffer::copyOf(data, len));
}

bool AsyncWebSocketClient::text(const char* message) {
  return _s.server->_clientSend(&_s, kOpText, message, message ? std::strlen(message) : 0, nullptr);
}
bool AsyncWebSocketClient::text(const char* message, size_t len) {
  return _s.server->_clientSend(&_s, kOpText, message, len, nullptr);
}
bool AsyncWebSocketClient::text(const AsyncWebSocketMessageBuffer& buffer) {
  return buffer && _s.server->_clientSend(&_s, kOpText, nullptr, 0, buffer._buffer());
}
bool AsyncWebSocketClient::binary(const void* data, size_t len) {
  return _s.server->_clientSend(&_s, kOpBinary, data, len, nullptr);
}
bool AsyncWebSocketClient::binary(const AsyncWebSocketMessageBuffer& buffer) {
  return buffer && _s.server->_clientSend(&_s, kOpBinary, nullptr, 0, buffer._buffer());
}
bool AsyncWebSocketClient::ping(const uint8_t* data, size_t len) { return _s.server->_clientPing(&_s, data, len); }
bool AsyncWebSocketClient::sendFragment(uint8_t opcode, bool fin, const uint8_t* data, size_t len) {
  return _s.server->_clientFragment(&_s, opcode, fin, data, len);
}

size_t AsyncWebSocketClient::printf(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, format, ap2);
  va_end(ap2);
  size_t out = 0;
  if (n >= 0) {
    ws::SharedBuffer* b = ws::SharedBuffer::create(size_t(n) + 1);
    if (b) {
      std::vsnprintf(reinterpret_cast<char*>(b->payload()), size_t(n) + 1, format, ap);
      b->truncate(size_t(n));
      if (_s.server->_clientSend(&_s, kOpText, nullptr, 0, b)) out = size_t(n);
      b->unref();
    }
  }
  va_end(ap);
  return out;
}

void AsyncWebSocketClient::close(uint16_t code, const char* message) { _s.server->_clientClose(&_s, code, message); }

size_t AsyncWebSocketClient::queueLen() const {
  Lock lk(_s.server->_mu);
  return _s.qCount;
}
bool AsyncWebSocketClient::queueIsFull() const {
  Lock lk(_s.server->_mu);
  return _s.qCount >= kQueueLen;
}
bool AsyncWebSocketClient::canSend() const {
  Lock lk(_s.server->_mu);
  return _s.status == WS_CONNECTED && _s.ac && _s.qCount < kQueueLen && _s.ac->space() > 0;
}
void AsyncWebSocketClient::setCloseClientOnQueueFull(bool close) {
  Lock lk(_s.server->_mu);
  _s.closeOnQueueFull = close;
}
bool AsyncWebSocketClient::willCloseClientOnQueueFull() const {
  Lock lk(_s.server->_mu);
  return _s.closeOnQueueFull;
}

}  // namespace twincore
