// ws_receive.cpp: the receive path of the WebSocket core: onData, the frame parser feed, the
// chunked DATA events and onMessage's reassembly, control frames (ping -> pong, pong, the peer's
// Close), protocol errors (1002/1007/1009/1011), and the delivery of every event to the user's
// handler (_beginEvent/_emit/_endEvent).
//
// Rules kept here (AsyncWebSocket.h, LIFETIME AND THREADS; docs/architecture.md T3, T8):
// - The rx state of a client (its parser and reassembly buffer, ws_client.h) is touched only by
//   its onData on async_tcp (or the upgrade's leftover bytes, before any onData), one call at a
//   time, with a reference held and WITHOUT _mu; everything else is read and written under _mu.
// - User callbacks (onEvent, onMessage) run with no lock held. Deliveries for one client never
//   nest: _beginEvent claims the client's event slot under _mu; a DISCONNECT that happens during
//   a delivery is delivered by _endEvent, right after it, on the thread finishing it.
// - _acData marks the dispatch (rxActive) before taking the gate and drains the graveyard at entry
//   and exit, never the AsyncClient being dispatched: AsyncTCP reads it after onData returns (T3).
#include "ws_server_internal.h"

namespace twincore {

using port::Lock;
using namespace wsi;

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
    const size_t have = msgLen(c);
    const size_t need = have + len;
    const size_t capNow = c->msg ? c->msg->cap : 0;
    if (need > capNow) {
      size_t cap = capNow ? capNow * 2 : 256;
      if (cap < need) cap = need;
      if (cap > maxMessage && need <= maxMessage) cap = maxMessage;
      ws::RxMessage* p = static_cast<ws::RxMessage*>(heap::alloc(sizeof(ws::RxMessage) + cap));
      if (!p) {
        c->msgSkip = true;
        internalError = true;
        return;
      }
      p->len = uint32_t(have);
      p->cap = uint32_t(cap);
      if (have) std::memcpy(p->data(), c->msg->data(), have);
      freeMsg(c);
      c->msg = p;
    }
    std::memcpy(c->msg->data() + c->msg->len, data, len);
    c->msg->len += uint32_t(len);
  }

  void resetMessage() {
    freeMsg(c);  // idle clients hold no reassembly buffer
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
    if (mb && info.index == 0 && uint64_t(msgLen(c)) + info.len > maxMessage) {
      s->_dropBox(mb);
      tooBig = true;
      return false;
    }
    if (mb) {
      if (msgLen(c) == 0) c->msgText = info.message_opcode == kOpText;
      append(data, len, maxMessage);
    }
    if (!s->_beginEvent(c)) {
      if (mb) s->_dropBox(mb);
      gone = true;
      return false;
    }
    ws::FrameInfo copy = info;
    if (!emitData(copy, data, len)) internalError = true;
    if (mb && messageDone && !c->msgSkip && !internalError) mb->fn(_wrapClient(), c->msgText, c->msg ? c->msg->data() : nullptr, msgLen(c));
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
      if (!c->closeQueued && !c->tcpClaimed && !(c->ctrl && c->ctrl->pong.off)) {
        if (ws::CtrlFrames* k = ctrlFrames(c)) {
          fillCtrl(k->pong, kOpPong, payload, len);
        } else {
          s->_allocFailures++;  // no pong for this ping
        }
      }
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

// Marks an onData dispatch in flight for end() off async_tcp; cleared after the gate is released.
// Then, for a top-level dispatch, if the client's AsyncClient waits in the graveyard (closed
// during this dispatch), it moves to a tomb and the client is released (the last line touching it).
struct AsyncWebSocket::RxMark {
  RxMark(AsyncWebSocket* s, Client* c) : s(s), c(c) {
    Lock lk(s->_mu);
    c->rxActive = true;
  }
  ~RxMark() {
    Lock lk(s->_mu);
    c->rxActive = false;
    if (top && c->inGrave) s->_entombLocked(c);
  }
  AsyncWebSocket* s;
  Client* c;
  bool top = false;  // the dispatch is a top-level network callback (on async_tcp)
};

void AsyncWebSocket::_acData(void* arg, AsyncClient* ac, void* data, size_t len) {
  Client* c = static_cast<Client*>(arg);
  AsyncWebSocket* s = c->server;
  RxMark mark(s, c);
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  mark.top = scope.topLevel();
  if (scope.topLevel()) s->_drain(ac);
  s->_ref(c);
  s->_rx(c, static_cast<uint8_t*>(data), len);
  bool stopped;
  {
    // A stream queued to this client holds more than kStreamHoldBytes: leave this segment
    // unacknowledged (the peer's window closes) until _flushLocked sees it drained.
    Lock lk(s->_mu);
    if (c->ac == ac && c->fragOpen && c->qBytes > WsDefaults::kStreamHoldBytes) {
      ac->ackLater();
      c->rxHeld += uint32_t(len);
    }
    stopped = c->readStopped || c->tcpDown;
  }
  if (stopped) {  // no more input is read: a message cut short frees its buffer now (rx)
    freeMsg(c);
    c->msgSkip = false;
  }
  s->_unref(c);
  if (scope.topLevel()) s->_drain(ac);
}

}  // namespace twincore
