// AsyncWebSocket.cpp: the WebSocket server core. Lifetime and threading rules: AsyncWebSocket.h.
#include "AsyncWebSocket.h"

#include "tc_graveyard.h"

#include <cstdio>
#include <cstring>
#include <new>

#include "tc_heap.h"
#include "ws_handshake.h"
#include "ws_types.h"
#include "ws_writer.h"

namespace twincore {

using port::Lock;

namespace {

constexpr uint8_t kOpText = uint8_t(ws::Opcode::Text);
constexpr uint8_t kOpBinary = uint8_t(ws::Opcode::Binary);
constexpr uint8_t kOpClose = uint8_t(ws::Opcode::Close);
constexpr uint8_t kOpPing = uint8_t(ws::Opcode::Ping);
constexpr uint8_t kOpPong = uint8_t(ws::Opcode::Pong);
constexpr size_t kQueueLen = WS_MAX_QUEUED_MESSAGES;
// Clients closed after one broadcast's unlock; more (rare) are closed by their next poll.
constexpr size_t kCloseBatch = 16;

void fillCtrl(ws::CtrlSlot& s, uint8_t op, const uint8_t* payload, size_t len) {
  if (len > ws::kMaxControlPayload) len = ws::kMaxControlPayload;
  size_t h = ws::writeFrameHeader(s.bytes, static_cast<ws::Opcode>(op), true, len, nullptr);
  if (len) std::memcpy(s.bytes + h, payload, len);
  s.len = uint8_t(h + len);
  s.off = 0;
}

// Adds [p+off, p+n) as far as the window allows; true when the frame is fully added.
bool writeSome(AsyncClient* ac, const uint8_t* p, size_t n, uint32_t& off, size_t& space, bool& wrote) {
  size_t want = n - off;
  if (want > space) want = space;
  size_t took = want ? ac->add(reinterpret_cast<const char*>(p + off), want, ASYNC_WRITE_FLAG_COPY) : 0;
  if (took) wrote = true;
  off += uint32_t(took);
  space -= took;
  if (took < want) space = 0;
  return off >= n;
}

// Under the server's _mu: drops the head of c's data queue.
void popHead(ws::ClientState* c) {
  c->qBytes -= uint32_t(c->q[c->qHead]->frameLength());
  c->q[c->qHead]->unref();
  c->q[c->qHead] = nullptr;
  c->qHead = uint8_t((c->qHead + 1) % kQueueLen);
  c->qCount--;
  c->qOff = 0;
}

// Under the server's _mu: writes what fits of the frame at the head of c's queue, and pops it
// once it is all written. True when it was.
bool writeHead(AsyncClient* ac, ws::ClientState* c, size_t& space, bool& wrote) {
  ws::SharedBuffer* b = c->q[c->qHead];
  if (!writeSome(ac, b->frameData(), b->frameLength(), c->qOff, space, wrote)) return false;
  popHead(c);
  return true;
}

bool writeSlot(AsyncClient* ac, ws::CtrlSlot& s, size_t& space, bool& wrote) {
  uint32_t off = s.off;
  bool done = writeSome(ac, s.bytes, s.len, off, space, wrote);
  s.off = uint8_t(off);
  return done;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Construction, configuration

AsyncWebSocket::AsyncWebSocket(const char* url, AwsEventHandler handler) : _url(url ? url : "/ws") {
  if (handler) onEvent(std::move(handler));
}

AsyncWebSocket::~AsyncWebSocket() {
  end();
  AsyncWebServer* http;
  {
    Lock lk(_mu);
    http = _httpServer;
  }
  if (http) http->removeHandler(this);
  _setBox(_onEvent, static_cast<EventBox*>(nullptr));
  _setBox(_onMessage, static_cast<MessageBox*>(nullptr));
  _setBox(_onHandshake, static_cast<HandshakeBox*>(nullptr));
}

// Puts `fresh` (holding its one reference) in the slot and releases the slot's reference to the
// old box; the last reference destroys it, outside _mu. Takes _mu.
template <class B>
void AsyncWebSocket::_setBox(B*& slot, B* fresh) {
  B* old;
  {
    Lock lk(_mu);
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
    Lock lk(_mu);
    last = --b->refs == 0;
  }
  if (last) {
    b->~B();
    heap::free(b, sizeof(B));
  }
}

template <class B, class F>
static B* makeBox(F&& fn) {
  if (!fn) return nullptr;
  void* mem = heap::alloc(sizeof(B));
  if (!mem) return nullptr;
  return new (mem) B{1, std::forward<F>(fn)};
}

void AsyncWebSocket::onEvent(AwsEventHandler handler) {
  EventBox* b = makeBox<EventBox>(std::move(handler));
  _setBox(_onEvent, b);
}
void AsyncWebSocket::onMessage(AwsMessageHandler handler) {
  MessageBox* b = makeBox<MessageBox>(std::move(handler));
  _setBox(_onMessage, b);
}
void AsyncWebSocket::handleHandshake(AwsHandshakeHandler handler) {
  HandshakeBox* b = makeBox<HandshakeBox>(std::move(handler));
  _setBox(_onHandshake, b);
}

void AsyncWebSocket::addProtocol(const char* name) {
  if (!name || !*name) return;
  Lock lk(_mu);
  if (!_protocols.empty()) _protocols += ',';
  _protocols += name;
}

void AsyncWebSocket::setMaxMessageSize(size_t bytes) {
  Lock lk(_mu);
  _maxMessage = bytes ? bytes : 1;
}
size_t AsyncWebSocket::maxMessageSize() const {
  Lock lk(_mu);
  return _maxMessage;
}
void AsyncWebSocket::setMaxClients(size_t n) {
  Lock lk(_mu);
  _maxClients = n;
}
void AsyncWebSocket::setKeepAlivePeriod(uint16_t seconds) {
  Lock lk(_mu);
  _keepAlive = seconds;
}
void AsyncWebSocket::setCloseClientOnQueueFull(bool close) {
  Lock lk(_mu);
  _closeOnFull = close;
}

void AsyncWebSocket::_attached(AsyncWebServer* s) {
  Lock lk(_mu);
  _httpServer = s;
}
void AsyncWebSocket::_detached(AsyncWebServer* s) {
  Lock lk(_mu);
  if (_httpServer == s) _httpServer = nullptr;
}

// ---------------------------------------------------------------------------------------------
// References and teardown of one client

void AsyncWebSocket::_ref(Client* c) {
  Lock lk(_mu);
  c->refs++;
}

void AsyncWebSocket::_unref(Client* c) {
  Lock lk(_mu);
  _unrefLocked(c);
}

void AsyncWebSocket::_unrefLocked(Client* c) {
  if (--c->refs == 0) _destroy(c);
}

// Under _mu: nothing here calls back (buffer unrefs and heap frees only).
void AsyncWebSocket::_destroy(Client* c) {
  _clearQueuesLocked(c);
  if (c->msg) heap::free(c->msg, c->msgCap);
  c->msg = nullptr;
  AsyncWebSocketClient* w = _wrap(c);
  w->~AsyncWebSocketClient();
  heap::free(w, sizeof(AsyncWebSocketClient));
  _live--;
}

void AsyncWebSocket::_clearQueuesLocked(Client* c) {
  while (c->qCount) {
    popHead(c);
  }
  c->qOff = 0;
  c->fragOpen = false;
  c->pong.len = c->ping.len = 0;
  c->pong.off = c->ping.off = 0;
}

AsyncWebSocket::Client* AsyncWebSocket::_findLocked(uint32_t id) const {
  for (Client* c = _head; c; c = c->next) {
    if (c->id == id) return c;
  }
  return nullptr;
}

// Deletes AsyncClients waiting in the graveyard, except `except` (whose dispatch is on the
// stack). Only with the gate held: a top-level network callback, or end().
void AsyncWebSocket::_drain(AsyncClient* except) {
  Client* dead = detachGrave(_mu, _grave, [except](Client* c) { return except && c->tcp == except; });
  buryGrave(_mu, dead, [this](Client* c) { _unrefLocked(c); });  // the net reference
}

// Closes the TCP side (core-initiated). No lock held; the caller holds a reference.
void AsyncWebSocket::_closeTcp(Client* c, bool abortIt) {
  AsyncClient* ac;
  {
    Lock lk(_mu);
    if (c->tcpClaimed) return;
    c->tcpClaimed = true;
    ac = c->tcp;
    c->ac = nullptr;
    if (c->status == WS_CONNECTED) c->status = WS_DISCONNECTING;
  }
  {
    // Marks this thread (nested disconnect callbacks are not top-level) and, outside every
    // callback, holds the gate so end() waits for this close and the DISCONNECT it delivers.
    NetGuard::Scope mark(_guard, NetGuard::kCore);
    if (abortIt) {
      ac->abort();
    } else {
      ac->close();
    }
    // If the network detached the AsyncClient first, its disconnect callback runs on
    // async_tcp; whichever comes first delivers the DISCONNECT.
    _tcpDown(c);
    Lock lk(_mu);
    pushGrave(_grave, c);
  }
}

// The TCP side is down (the disconnect callback, on any thread). Delivers DISCONNECT now, or
// leaves it to the delivery in progress for this client.
void AsyncWebSocket::_tcpDown(Client* c) {
  bool deliver = false;
  {
    Lock lk(_mu);
    if (c->tcpDown) return;
    c->tcpDown = true;
    c->status = WS_DISCONNECTED;
    c->ac = nullptr;
    if (!c->tcpClaimed) {  // network-originated: its callback deletes the AsyncClient
      c->tcpClaimed = true;
      c->deleteOnExit = true;
    }
    _clearQueuesLocked(c);
    if (c->inList) {  // the list reference becomes this function's
      if (c->prev) c->prev->next = c->next; else _head = c->next;
      if (c->next) c->next->prev = c->prev; else _tail = c->prev;
      c->prev = c->next = nullptr;
      c->inList = false;
      _inList--;
    } else {
      c->refs++;
    }
    if (c->inEvent) {
      c->disconnectPending = true;
    } else if (c->connectDelivered && !c->disconnectDelivered) {
      c->disconnectDelivered = true;
      c->inEvent = true;
      deliver = true;
    }
  }
  if (deliver) {
    _emit(c, WS_EVT_DISCONNECT, nullptr, nullptr, 0);
    Lock lk(_mu);
    c->inEvent = false;
  }
  _unref(c);
}

// ---------------------------------------------------------------------------------------------
// Event delivery (no lock held while user code runs)

bool AsyncWebSocket::_beginEvent(Client* c) {
  Lock lk(_mu);
  if (c->inEvent || c->tcpDown || c->disconnectPending || c->disconnectDelivered) return false;
  c->inEvent = true;
  c->refs++;
  return true;
}

void AsyncWebSocket::_endEvent(Client* c) {
  bool deliver = false;
  {
    Lock lk(_mu);
    if (c->disconnectPending) {
      c->disconnectPending = false;
      if (c->connectDelivered && !c->disconnectDelivered) {
        c->disconnectDelivered = true;
        deliver = true;
      }
    }
    if (!deliver) {
      c->inEvent = false;
      _unrefLocked(c);
      return;
    }
  }
  _emit(c, WS_EVT_DISCONNECT, nullptr, nullptr, 0);
  Lock lk(_mu);
  c->inEvent = false;
  _unrefLocked(c);
}

void AsyncWebSocket::_emit(Client* c, AwsEventType t, void* arg, uint8_t* data, size_t len) {
  EventBox* b;
  {
    Lock lk(_mu);
    b = _takeBox(_onEvent);
    _events[t]++;
  }
  if (!b) return;
  b->fn(this, _wrap(c), t, arg, data, len);
  _dropBox(b);
}

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
      c->close.len = 0;
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
  size_t space = ac->space();
  bool wrote = false;
  while (space > 0) {
    if (c->qCount && c->qOff > 0) {
      if (!writeHead(ac, c, space, wrote)) break;
      continue;
    }
    if (c->pong.len) {
      if (!writeSlot(ac, c->pong, space, wrote)) break;
      c->pong.len = 0;
      c->pong.off = 0;  // the slot is free again: the next ping gets its pong
      continue;
    }
    if (c->ping.len) {
      if (!writeSlot(ac, c->ping, space, wrote)) break;
      c->ping.len = 0;
      c->ping.off = 0;
      continue;
    }
    if (c->closeQueued) {
      if (!c->closeSent) {
        if (!writeSlot(ac, c->close, space, wrote)) break;
        c->closeSent = true;
      }
      break;
    }
    if (c->qCount) {
      if (!writeHead(ac, c, space, wrote)) break;
      continue;
    }
    break;
  }
  if (wrote) ac->send();
  if (c->rxHeld && c->qBytes <= WsDefaults::kStreamResumeBytes) {  // a stream drained: read again
    ac->ack(c->rxHeld);
    c->rxHeld = 0;
  }
  return c->closeSent && c->peerClosed;
}

// Under _mu. Queues our Close frame (once): status DISCONNECTING; whole data frames not yet
// started are dropped (a partly written one completes first).
bool AsyncWebSocket::_queueCloseLocked(Client* c, uint16_t code, const char* reason, size_t reasonLen) {
  if (c->closeQueued || c->tcpClaimed) return false;
  c->closeQueued = true;
  c->status = WS_DISCONNECTING;
  c->closeStartMs = port::millis();
  uint8_t payload[ws::kMaxControlPayload];
  size_t n = code ? ws::writeClosePayload(payload, code, reason, reason ? reasonLen : 0) : 0;
  fillCtrl(c->close, kOpClose, payload, n);
  size_t keep = c->qOff > 0 ? 1 : 0;
  while (c->qCount > keep) {
    size_t last = (c->qHead + c->qCount - 1) % kQueueLen;
    c->qBytes -= uint32_t(c->q[last]->frameLength());
    c->q[last]->unref();
    c->q[last] = nullptr;
    c->qCount--;
  }
  if (c->ping.off == 0) c->ping.len = 0;
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
      _enqueueLocked(c, b, st);
      closeNow = _flushLocked(c);
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
    if (c->status != WS_CONNECTED || !c->ac || c->ping.len) return false;
    fillCtrl(c->ping, kOpPing, data, len);
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

// Frames once, queues to every connected client under the lock, flushes, then closes the
// clients collected (queue full with close-on-full, or handshake complete) after unlocking.
SendStatus AsyncWebSocket::_broadcast(uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf) {
  SendStatus st;
  {
    Lock lk(_mu);
    if (!_running) {
      st.error = SendStatus::kNotRunning;
      return st;
    }
  }
  ws::SharedBuffer* b = _framed(opcode, data, len, buf);
  if (!b) {
    Lock lk(_mu);
    _allocFailures++;
    st.error = SendStatus::kNoMemory;
    return st;
  }
  Client* toClose[kCloseBatch];
  size_t nClose = 0;
  {
    Lock lk(_mu);
    for (Client* c = _head; c; c = c->next) {
      if (c->status != WS_CONNECTED || !c->ac) continue;  // not reachable: not counted
      _enqueueLocked(c, b, st);
      if (_flushLocked(c) && nClose < kCloseBatch) {  // past the batch: closed by its next poll
        c->refs++;
        toClose[nClose++] = c;
      }
    }
  }
  b->unref();
  _closeBatch(toClose, nClose);
  return st;
}

// ---------------------------------------------------------------------------------------------
// Receive path

struct AsyncWebSocket::Receiver final : ws::FrameHandler {
  Receiver(AsyncWebSocket* s, Client* c, const uint8_t* segEnd) : s(s), c(c), segEnd(segEnd) {}
  AsyncWebSocket* s;
  Client* c;
  const uint8_t* segEnd;  // end of the received segment the chunks point into
  bool gone = false;      // the client went down during a delivery
  bool closeNow = false;  // the close handshake completed
  bool internalError = false;
  bool tooBig = false;    // a message beyond onMessage's cap started (1009)

  // Appends a chunk to the reassembly buffer (lazily allocated, grown geometrically).
  void append(const uint8_t* data, size_t len, size_t maxMessage) {
    if (c->msgSkip || len == 0) return;
    size_t need = size_t(c->msgLen) + len;
    if (need > c->msgCap) {
      size_t cap = c->msgCap ? size_t(c->msgCap) * 2 : 256;
      if (cap < need) cap = need;
      if (cap > maxMessage && need <= maxMessage) cap = maxMessage;
      uint8_t* p = static_cast<uint8_t*>(heap::alloc(cap));
      if (!p) {
        c->msgSkip = true;
        internalError = true;
        return;
      }
      if (c->msgLen) std::memcpy(p, c->msg, c->msgLen);
      if (c->msg) heap::free(c->msg, c->msgCap);
      c->msg = p;
      c->msgCap = uint32_t(cap);
    }
    std::memcpy(c->msg + c->msgLen, data, len);
    c->msgLen += uint32_t(len);
  }

  void resetMessage() {
    if (c->msg) heap::free(c->msg, c->msgCap);  // idle clients hold no reassembly buffer
    c->msg = nullptr;
    c->msgLen = c->msgCap = 0;
    c->msgSkip = false;
  }

  // DATA with the chunk NUL-terminated when it is text (ESPAsyncWebServer's guarantee: data[len]
  // is 0 and writable). Inside the segment the byte after the chunk is saved and restored; a
  // chunk ending the segment is copied. False: out of memory for that copy.
  bool emitData(ws::FrameInfo& info, uint8_t* data, size_t len) {
    if (info.message_opcode != kOpText) {
      s->_emit(c, WS_EVT_DATA, &info, data, len);
      return true;
    }
    if (data + len < segEnd) {
      uint8_t saved = data[len];
      data[len] = 0;
      s->_emit(c, WS_EVT_DATA, &info, data, len);
      data[len] = saved;
      return true;
    }
    uint8_t* copy = static_cast<uint8_t*>(heap::alloc(len + 1));
    if (!copy) return false;
    if (len) std::memcpy(copy, data, len);
    copy[len] = 0;
    s->_emit(c, WS_EVT_DATA, &info, copy, len);
    heap::free(copy, len + 1);
    return true;
  }

  bool onDataChunk(const ws::FrameInfo& info, uint8_t* data, size_t len, bool messageDone) override {
    if (c->discarding) return true;  // refused with 1009: skipped until the peer's Close
    MessageBox* mb;
    size_t maxMessage;
    {
      Lock lk(s->_mu);
      mb = s->_takeBox(s->_onMessage);
      maxMessage = s->_maxMessage;
    }
    // The reassembling handler's cap, checked from the frame header before any of it is delivered.
    if (mb && info.index == 0 && uint64_t(c->msgLen) + info.len > maxMessage) {
      s->_dropBox(mb);
      tooBig = true;
      return false;
    }
    if (mb) {
      if (c->msgLen == 0) c->msgText = info.message_opcode == kOpText;
      append(data, len, maxMessage);
    }
    if (!s->_beginEvent(c)) {
      if (mb) s->_dropBox(mb);
      gone = true;
      return false;
    }
    ws::FrameInfo copy = info;
    if (!emitData(copy, data, len)) internalError = true;
    if (mb && messageDone && !c->msgSkip && !internalError) mb->fn(_wrapClient(), c->msgText, c->msg, c->msgLen);
    s->_endEvent(c);
    if (mb) s->_dropBox(mb);
    if (messageDone || !mb) resetMessage();
    if (internalError) return false;
    Lock lk(s->_mu);
    return !(c->tcpDown || c->readStopped);
  }

  bool onControlFrame(ws::Opcode op, uint8_t* payload, size_t len) override {
    AwsEventType ev;
    if (c->discarding && op != ws::Opcode::Close) return true;  // waiting for the peer's Close only
    if (op == ws::Opcode::Ping) {
      Lock lk(s->_mu);
      if (!c->closeQueued && !c->tcpClaimed && c->pong.off == 0) fillCtrl(c->pong, kOpPong, payload, len);
      closeNow = s->_flushLocked(c);
      ev = WS_EVT_PING;
    } else if (op == ws::Opcode::Pong) {
      Lock lk(s->_mu);
      c->pingOutstanding = false;
      ev = WS_EVT_PONG;
    } else {  // Close: echo the code (validated by the parser), then close the TCP
      uint16_t code = len >= 2 ? uint16_t(payload[0] << 8 | payload[1]) : 0;
      Lock lk(s->_mu);
      c->peerClosed = true;
      c->readStopped = true;
      s->_queueCloseLocked(c, code, nullptr, 0);
      closeNow = s->_flushLocked(c);
      return false;
    }
    if (closeNow) return false;
    if (!s->_beginEvent(c)) {
      gone = true;
      return false;
    }
    s->_emit(c, ev, nullptr, payload, len);
    s->_endEvent(c);
    Lock lk(s->_mu);
    return !(c->tcpDown || c->readStopped);
  }

  AsyncWebSocketClient* _wrapClient() { return AsyncWebSocket::_wrap(c); }
};

// rx: async_tcp onData (or the upgrade's leftover bytes). The caller holds a reference.
void AsyncWebSocket::_rx(Client* c, uint8_t* data, size_t len) {
  {
    Lock lk(_mu);
    if (c->tcpDown || c->readStopped || !c->ac) return;
    c->lastRxMs = port::millis();
    c->pingOutstanding = false;  // any traffic proves the peer alive
  }
  const uint8_t* segEnd = data + len;
  bool closeNow = false;
  size_t off = 0;
  while (off < len) {
    Receiver r(this, c, segEnd);
    size_t n = c->parser.feed(data + off, len - off, r);
    off += n;
    if (r.gone) return;
    closeNow = closeNow || r.closeNow;
    const ws::Error* err = c->parser.error();
    uint16_t code = 0;
    const char* reason = nullptr;
    if (err) {
      code = err->closeCode;
      reason = err->reason;
    } else if (r.tooBig) {
      code = ws::close::TooBig;
      reason = "message too big";
    } else if (r.internalError) {
      code = ws::close::InternalError;
      reason = "out of memory";
    }
    if (!code) {
      // A handler stopped the feed: the client is closing or closed (or a delivery ended it).
      Lock lk(_mu);
      if (n == 0 || c->tcpDown || c->readStopped || !c->ac) break;
      continue;
    }
    {
      Lock lk(_mu);
      if (err || r.tooBig) _protocolErrors++; else _allocFailures++;
      // 1009 keeps the framing: discard the rest of the message and what follows, until the
      // peer's Close (then the TCP is closed) or the close timeout, so the peer reads our Close.
      // Otherwise stop reading and close as soon as our Close is written.
      if (r.tooBig) c->discarding = true; else c->readStopped = true;
    }
    if (r.tooBig) r.resetMessage();
    if (_beginEvent(c)) {
      uint16_t cc = code;
      _emit(c, WS_EVT_ERROR, &cc, reinterpret_cast<uint8_t*>(const_cast<char*>(reason)), std::strlen(reason));
      _endEvent(c);
    }
    Lock lk(_mu);
    _queueCloseLocked(c, code, reason, std::strlen(reason));
    if (!r.tooBig) c->peerClosed = true;  // do not wait for the peer's answer
    closeNow = _flushLocked(c) || closeNow;
    if (!r.tooBig || c->tcpDown || !c->ac) break;
  }
  _afterOp(c, closeNow);
}

// ---------------------------------------------------------------------------------------------
// AsyncTCP callbacks (arg = the client). Top-level ones hold the gate and drain the graveyard.

namespace {
// Marks an onData dispatch in flight for end() off async_tcp; cleared after the gate is released.
struct RxMark {
  RxMark(port::Mutex& mu, ws::ClientState* c) : mu(mu), c(c) {
    Lock lk(mu);
    c->rxActive = true;
  }
  ~RxMark() {
    Lock lk(mu);
    c->rxActive = false;
  }
  port::Mutex& mu;
  ws::ClientState* c;
};
}  // namespace

void AsyncWebSocket::_acData(void* arg, AsyncClient* ac, void* data, size_t len) {
  Client* c = static_cast<Client*>(arg);
  AsyncWebSocket* s = c->server;
  RxMark mark(s->_mu, c);
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  s->_ref(c);
  s->_rx(c, static_cast<uint8_t*>(data), len);
  {
    // A stream queued to this client holds more than kStreamHoldBytes: leave this segment
    // unacknowledged (the peer's window closes) until _flushLocked sees it drained.
    Lock lk(s->_mu);
    if (c->ac == ac && c->fragOpen && c->qBytes > WsDefaults::kStreamHoldBytes) {
      ac->ackLater();
      c->rxHeld += uint32_t(len);
    }
  }
  s->_unref(c);
  if (scope.topLevel()) s->_drain(ac);
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
  if (scope.topLevel()) s->_drain(ac);
}

void AsyncWebSocket::_acPoll(void* arg, AsyncClient* ac) {
  Client* c = static_cast<Client*>(arg);
  AsyncWebSocket* s = c->server;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  bool closeNow = false;
  {
    Lock lk(s->_mu);
    uint32_t now = port::millis();
    c->refs++;
    if (c->ac) {
      if (c->status == WS_DISCONNECTING && now - c->closeStartMs >= WsDefaults::kCloseTimeoutMs) {
        closeNow = true;
      } else if (c->status == WS_CONNECTED && c->keepAliveSec) {
        uint32_t period = uint32_t(c->keepAliveSec) * 1000;
        if (c->pingOutstanding) {
          if (now - c->pingSentMs >= period) closeNow = true;  // dead peer
        } else if (now - c->lastRxMs >= period && c->ping.len == 0) {
          fillCtrl(c->ping, kOpPing, nullptr, 0);
          c->pingOutstanding = true;
          c->pingSentMs = now;
        }
      }
      if (!closeNow) closeNow = s->_flushLocked(c);
    }
  }
  s->_afterOp(c, closeNow);
  s->_unref(c);
  if (scope.topLevel()) s->_drain(ac);
}

void AsyncWebSocket::_acTimeout(void* arg, AsyncClient* ac, uint32_t) {
  Client* c = static_cast<Client*>(arg);
  AsyncWebSocket* s = c->server;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  s->_ref(c);
  s->_closeTcp(c, true);  // ack timeout: the peer stopped reading
  s->_unref(c);
  if (scope.topLevel()) s->_drain(ac);
}

void AsyncWebSocket::_acError(void* arg, AsyncClient* ac, int8_t) {
  Client* c = static_cast<Client*>(arg);
  AsyncWebSocket* s = c->server;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);  // the disconnect callback follows
}

void AsyncWebSocket::_acDisconnect(void* arg, AsyncClient* ac) {
  Client* c = static_cast<Client*>(arg);
  AsyncWebSocket* s = c->server;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  s->_ref(c);
  s->_tcpDown(c);
  {
    Lock lk(s->_mu);
    if (c->deleteOnExit) pushGrave(s->_grave, c);
    s->_unrefLocked(c);  // c stays alive: the graveyard holds the net reference
  }
  // AsyncTCP touches nothing after a network-originated disconnect callback: delete it too.
  if (scope.topLevel()) s->_drain(nullptr);
}

// ---------------------------------------------------------------------------------------------
// Handshake (AsyncWebHandler). Runs inside the HTTP server's onData on async_tcp; end() waits
// for it through the HTTP server's gate.

bool AsyncWebSocket::canHandle(AsyncWebServerRequest* request) const {
  {
    Lock lk(_mu);
    if (!_enabled) return false;
  }
  return request->method() == HTTP_GET && request->url() == _url.c_str();
}

void AsyncWebSocket::enable(bool e) {
  Lock lk(_mu);
  _enabled = e;
}

bool AsyncWebSocket::enabled() const {
  Lock lk(_mu);
  return _enabled;
}

void AsyncWebSocket::_upgradeFail(AsyncWebServerRequest* r, int code, const char* extra) {
  {
    Lock lk(_mu);
    _rejected++;
  }
  const char* body = code == 400 ? "Bad WebSocket handshake" : code == 401 ? "Unauthorized" : "Service Unavailable";
  AsyncWebServerResponse* resp = r->beginResponse(code, "text/plain", body);
  if (resp && extra) resp->addHeader("Sec-WebSocket-Version", extra);
  r->send(resp);
}

void AsyncWebSocket::handleRequest(AsyncWebServerRequest* r) {
  NetGuard::Scope mark(_guard, NetGuard::kCore);  // callbacks nested in the upgrade are not top-level
  const char* upgrade = r->_headerValue("Upgrade");
  const char* connection = r->_headerValue("Connection");
  const char* version = r->_headerValue("Sec-WebSocket-Version");
  const char* key = r->_headerValue("Sec-WebSocket-Key");
  if (!upgrade || !ws::headerHasToken(upgrade, std::strlen(upgrade), "websocket") || !connection ||
      !ws::headerHasToken(connection, std::strlen(connection), "upgrade")) {
    _upgradeFail(r, 400, nullptr);
    return;
  }
  if (!version || std::strcmp(version, "13") != 0) {
    _upgradeFail(r, 400, "13");
    return;
  }
  if (!key || !ws::isValidClientKey(key, std::strlen(key))) {
    _upgradeFail(r, 400, nullptr);
    return;
  }
  // Reserve a slot under the lock: concurrent upgrades cannot overshoot the limit.
  bool refused;
  std::string protocols;
  HandshakeBox* hb;
  size_t maxMessage;
  uint16_t keepAlive;
  bool closeOnFull;
  {
    Lock lk(_mu);
    refused = !_running || _inList + _reserved >= _maxClients;
    if (refused) _rejected++; else _reserved++;
    protocols = _protocols;
    hb = _takeBox(_onHandshake);
    maxMessage = _maxMessage;
    keepAlive = _keepAlive;
    closeOnFull = _closeOnFull;
  }
  auto unreserve = [this] {
    Lock lk(_mu);
    _reserved--;
  };
  if (refused) {
    if (hb) _dropBox(hb);
    r->send(503, "text/plain", "Service Unavailable");
    return;
  }
  bool allowed = hb ? hb->fn(r) : true;
  if (hb) _dropBox(hb);
  if (!allowed) {
    unreserve();
    _upgradeFail(r, 401, nullptr);
    return;
  }
  char accept[ws::kAcceptKeyLen + 1];
  if (!ws::computeAcceptKey(key, std::strlen(key), accept)) {
    unreserve();
    _upgradeFail(r, 400, nullptr);
    return;
  }
  // Subprotocol: the first of ours (in our order) that the client offered; never its list.
  const char* chosen = nullptr;
  size_t chosenLen = 0;
  const char* offered = r->_headerValue("Sec-WebSocket-Protocol");
  if (offered && !protocols.empty()) {
    const char* names[16];
    size_t lens[16];
    size_t n = 0;
    std::string copy = protocols;
    char* p = &copy[0];
    while (p && *p && n < 16) {
      char* comma = std::strchr(p, ',');
      if (comma) *comma = '\0';
      names[n] = p;
      lens[n] = std::strlen(p);
      n++;
      p = comma ? comma + 1 : nullptr;
    }
    int i = ws::selectSubprotocol(offered, std::strlen(offered), names, n);
    if (i >= 0) {
      // Point into the server's own string (stable copy below).
      size_t off = size_t(names[i] - copy.data());
      protocols.resize(off + lens[i]);
      chosen = protocols.c_str() + off;
      chosenLen = lens[i];
    }
  }
  char resp[256];
  int respLen = std::snprintf(resp, sizeof resp,
                              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: %s\r\n%s%.*s%s\r\n",
                              accept, chosen ? "Sec-WebSocket-Protocol: " : "", int(chosenLen),
                              chosen ? chosen : "", chosen ? "\r\n" : "");
  if (respLen <= 0 || size_t(respLen) >= sizeof resp) {
    unreserve();
    _upgradeFail(r, 400, nullptr);
    return;
  }
  void* mem = heap::alloc(sizeof(AsyncWebSocketClient));
  if (!mem) {
    {
      Lock lk(_mu);
      _allocFailures++;
    }
    unreserve();
    _upgradeFail(r, 503, nullptr);
    return;
  }
  // No parser limit: DATA streams messages of any size; onMessage's cap is the Receiver's.
  (void)maxMessage;
  ws::ParserLimits limits;
  limits.maxFramePayload = ~uint64_t(0);
  limits.maxMessage = ~uint64_t(0);
  AsyncWebSocketClient* w = new (mem) AsyncWebSocketClient(limits);
  Client* c = &w->_s;
  c->server = this;
  c->id = 0;
  c->refs = 1;  // the net reference (the AsyncClient's callbacks point here)
  c->ac = c->tcp = nullptr;
  c->prev = c->next = c->graveNext = nullptr;
  c->status = WS_DISCONNECTED;
  c->inList = c->inGrave = c->tcpClaimed = c->tcpDown = c->deleteOnExit = false;
  c->inEvent = true;  // CONNECT is being delivered: any DISCONNECT waits for it
  c->connectDelivered = c->disconnectPending = c->disconnectDelivered = false;
  c->closeQueued = c->closeSent = c->peerClosed = c->readStopped = c->pingOutstanding = false;
  c->closeOnQueueFull = closeOnFull;
  c->rxActive = false;
  c->lastRxMs = c->pingSentMs = c->closeStartMs = port::millis();
  c->keepAliveSec = keepAlive;
  for (size_t i = 0; i < kQueueLen; ++i) c->q[i] = nullptr;
  c->qOff = c->qBytes = c->rxHeld = 0;
  c->fragOpen = false;
  c->discarding = false;
  c->qHead = c->qCount = 0;
  c->pong.len = c->pong.off = c->ping.len = c->ping.off = c->close.len = c->close.off = 0;
  c->msg = nullptr;
  c->msgLen = c->msgCap = 0;
  c->msgText = c->msgSkip = false;
  {
    Lock lk(_mu);
    _live++;
  }

  const uint8_t* rest = nullptr;
  size_t restLen = 0;
  AsyncClient* ac = r->_takeClient(&rest, &restLen);
  if (!ac) {  // the HTTP side is closing
    unreserve();
    Lock lk(_mu);
    _unrefLocked(c);
    return;
  }
  c->remoteIp = uint32_t(ac->remoteIP());
  c->remotePort = ac->remotePort();
  c->tcp = ac;
  ac->onData(&AsyncWebSocket::_acData, c);
  ac->onAck(&AsyncWebSocket::_acAck, c);
  ac->onPoll(&AsyncWebSocket::_acPoll, c);
  ac->onTimeout(&AsyncWebSocket::_acTimeout, c);
  ac->onError(&AsyncWebSocket::_acError, c);
  ac->onDisconnect(&AsyncWebSocket::_acDisconnect, c);
  ac->setNoDelay(true);
  bool fail;
  {
    Lock lk(_mu);
    _reserved--;
    fail = !_running || ac->space() < size_t(respLen) || ac->add(resp, size_t(respLen)) != size_t(respLen);
    if (!fail) {
      ac->send();
      c->ac = ac;
      c->id = _nextId++;
      if (_nextId == 0) _nextId = 1;
      c->status = WS_CONNECTED;
      c->prev = _tail;
      if (_tail) _tail->next = c; else _head = c;
      _tail = c;
      c->inList = true;
      _inList++;
      c->refs += 2;  // the list, and this CONNECT delivery
      c->connectDelivered = true;
    } else {
      c->inEvent = false;
    }
  }
  if (fail) {
    c->refs++;  // (under no contention: not yet published)
    _closeTcp(c, true);
    _unref(c);
    return;
  }
  _emit(c, WS_EVT_CONNECT, nullptr, nullptr, 0);
  _endEvent(c);
  if (restLen) {
    _ref(c);
    _rx(c, const_cast<uint8_t*>(rest), restLen);
    _unref(c);
  }
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

void AsyncWebSocket::begin() {
  Lock lk(_mu);
  _running = true;
}

bool AsyncWebSocket::running() const {
  Lock lk(_mu);
  return _running;
}

void AsyncWebSocket::end() {
  AsyncWebServer* http;
  {
    Lock lk(_mu);
    _running = false;
    http = _httpServer;
  }
  // An upgrade that saw _running before we cleared it runs under the HTTP server's gate.
  if (http) http->_waitQuiet();
  // Close every client; each gets its one DISCONNECT (here, or on the thread delivering one
  // of its events).
  for (;;) {
    Client* c = nullptr;
    {
      Lock lk(_mu);
      for (Client* x = _head; x; x = x->next) {
        if (!x->tcpClaimed) {
          c = x;
          c->refs++;
          break;
        }
      }
      // Tell a connected peer why (1001), as far as its window takes it; the graceful TCP
      // close below sends what was added before the FIN.
      if (c && c->status == WS_CONNECTED && c->ac) {
        static const char kReason[] = "server shutting down";
        _queueCloseLocked(c, ws::close::GoingAway, kReason, sizeof kReason - 1);
        _flushLocked(c);
      }
    }
    if (!c) break;
    _closeTcp(c, false);
    _unref(c);
  }
  if (_guard.inScope()) return;  // inside our own callback: the rest completes as it unwinds
  // No callback of this server runs while we hold the gate and none can start for closed
  // clients; an onData blocked at the gate is let through first (it sees the client closed).
  drainGraveOffNet(_guard, _mu, _grave, [this](Client* c) { _unrefLocked(c); });
}

// ---------------------------------------------------------------------------------------------
// Queries

size_t AsyncWebSocket::count() const {
  Lock lk(_mu);
  size_t n = 0;
  for (Client* c = _head; c; c = c->next) n += c->status == WS_CONNECTED;
  return n;
}

AsyncWebSocketClientRef AsyncWebSocket::client(uint32_t id) {
  Lock lk(_mu);
  Client* c = _findLocked(id);
  if (!c) return AsyncWebSocketClientRef();
  c->refs++;
  return AsyncWebSocketClientRef(_wrap(c));
}

bool AsyncWebSocket::hasClient(uint32_t id) const {
  Lock lk(_mu);
  return _findLocked(id) != nullptr;
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

void AsyncWebSocket::cleanupClients(uint16_t maxClients) {
  for (;;) {
    Client* victim = nullptr;
    bool reset = false;
    {
      Lock lk(_mu);
      uint32_t now = port::millis();
      size_t connected = 0;
      for (Client* c = _head; c; c = c->next) connected += c->status == WS_CONNECTED;
      for (Client* c = _head; c; c = c->next) {
        if (c->tcpClaimed) continue;
        if (c->status == WS_DISCONNECTING && now - c->closeStartMs >= WsDefaults::kCloseTimeoutMs) {
          victim = c;  // stuck closing: reset it
          reset = true;
          break;
        }
        if (connected > maxClients && c->status == WS_CONNECTED) {
          victim = c;  // the oldest connected one
          break;
        }
      }
      if (victim) victim->refs++;
    }
    if (!victim) return;
    if (!reset) {
      // Starts the close handshake; a client that cannot take the Close frame is reset.
      _clientClose(victim, ws::close::GoingAway, nullptr);
      Lock lk(_mu);
      reset = victim->status == WS_CONNECTED;
    }
    if (reset) _closeTcp(victim, true);
    _unref(victim);
  }
}

AsyncWebSocket::Stats AsyncWebSocket::stats() const {
  Stats s;
  std::memset(&s, 0, sizeof s);
  Lock lk(_mu);
  for (Client* c = _head; c; c = c->next) {
    s.clients++;
    s.connected += c->status == WS_CONNECTED;
    s.queuedMessages += c->qCount;
    if (c->qCount > s.maxQueueDepth) s.maxQueueDepth = c->qCount;
  }
  for (Client* c = _grave; c; c = c->graveNext) s.graveyard++;
  s.liveObjects = _live;
  for (int i = 0; i < 6; ++i) s.events[i] = _events[i];
  s.dropped = _dropped;
  s.closedOnFull = _closedOnFull;
  s.protocolErrors = _protocolErrors;
  s.rejected = _rejected;
  s.allocFailures = _allocFailures;
  s.heapHeld = heap::held();
  return s;
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
      if (c->ping.len) {
        st.dropped++;
        continue;
      }
      fillCtrl(c->ping, kOpPing, data, len);
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

AsyncWebSocketClientList AsyncWebSocket::getClients() const {
  AsyncWebSocketClientList out;
  size_t n;
  {
    Lock lk(_mu);
    n = _inList;
  }
  out._refs.reserve(n);  // (allocates outside the lock; the list may grow meanwhile: reserve again)
  Lock lk(_mu);
  for (Client* c = _head; c; c = c->next) {
    if (out._refs.size() == out._refs.capacity()) break;  // joined since: not in this snapshot
    c->refs++;
    out._refs.push_back(AsyncWebSocketClientRef(_wrap(c)));
  }
  return out;
}

AsyncWebSocketMessageBuffer AsyncWebSocket::makeBuffer(const uint8_t* data, size_t len) {
  return AsyncWebSocketMessageBuffer(ws::SharedBuffer::copyOf(data, len));
}

// ---------------------------------------------------------------------------------------------
// AsyncWebSocketClient / AsyncWebSocketClientRef

AwsClientStatus AsyncWebSocketClient::status() const {
  Lock lk(_s.server->_mu);
  return AwsClientStatus(_s.status);
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
void AsyncWebSocketClient::keepAlivePeriod(uint16_t seconds) {
  Lock lk(_s.server->_mu);
  _s.keepAliveSec = seconds;
}
uint16_t AsyncWebSocketClient::keepAlivePeriod() const {
  Lock lk(_s.server->_mu);
  return _s.keepAliveSec;
}
void AsyncWebSocketClient::setCloseClientOnQueueFull(bool close) {
  Lock lk(_s.server->_mu);
  _s.closeOnQueueFull = close;
}
bool AsyncWebSocketClient::willCloseClientOnQueueFull() const {
  Lock lk(_s.server->_mu);
  return _s.closeOnQueueFull;
}

AsyncWebSocketClientRef::AsyncWebSocketClientRef(const AsyncWebSocketClientRef& o) : _c(o._c) {
  if (_c) _c->_s.server->_ref(&_c->_s);
}

void AsyncWebSocketClientRef::reset() {
  if (_c) _c->_s.server->_unref(&_c->_s);
  _c = nullptr;
}

}  // namespace twincore
