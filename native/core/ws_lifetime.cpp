// ws_lifetime.cpp: the client lifetime of the WebSocket core: references (_ref/_unref/_destroy,
// AsyncWebSocketClientRef), lookup by id, closing the TCP side (_closeTcp) and its disconnect
// (_tcpDown: DISCONNECT exactly once), the graveyard of AsyncClients, the network callbacks that
// end or time out a client (poll: keepalive and close timeout; timeout, error, disconnect),
// begin()/end(), cleanupClients() and getClients().
//
// Rules kept here (AsyncWebSocket.h, LIFETIME AND THREADS; docs/architecture.md T1, T2, L6):
// - _mu guards the client list, the graveyard, each client's refs/flags/status. A client is
//   freed by its last reference, by whoever drops it (_unrefLocked -> _destroy, under _mu; the
//   destruction calls nothing outside the core).
// - AsyncClient::close()/abort() run the disconnect callback synchronously (T2): they are called
//   with no lock held, after the TCP side is claimed under _mu (tcpClaimed: exactly one party
//   closes and deletes it). The AsyncClient is deleted only in _drain (a top-level network
//   callback of this server, never the AsyncClient being dispatched) or by end() after
//   port::networkBarrier() (tc_graveyard.h).
// - end(): signal (_running = false), wait for upgrades in progress, close every client, then
//   (outside our own callbacks) wait for callbacks in flight and release (docs/architecture.md L1).
#include "ws_server_internal.h"

#include "tc_graveyard.h"

namespace twincore {

using port::Lock;
using namespace wsi;

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
  freeMsg(c);
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
  ctrlRelease(c, true);  // the TCP side is down (or the client is freed): nothing more is sent
}

AsyncWebSocket::Client* AsyncWebSocket::_findLocked(uint32_t id) const {
  for (Client* c = _head; c; c = c->next) {
    if (c->id == id) return c;
  }
  return nullptr;
}

// Deletes AsyncClients waiting in the graveyard, except `except` (whose dispatch is on the
// stack). Only with the gate held: a top-level network callback, or end().
void AsyncWebSocket::_drain(AsyncClient* except, bool exiting) {
  Client* dead = detachGrave(_mu, _grave, [except](Client* c) { return except && c->tcp == except; });
  buryGrave(_mu, dead, [this](Client* c) { _unrefLocked(c); });  // the net reference
  _buryTombs(except);
  if (exiting && except) {  // the end of except's own dispatch: its client need not wait
    Lock lk(_mu);
    for (Client* c = _grave; c; c = c->graveNext) {
      if (c->tcp == except) {
        _entombLocked(c);
        break;
      }
    }
  }
}

// Under _mu, for a graveyard entry with no onData dispatch in the core, only at the end of a
// top-level network callback of its own AsyncClient (on async_tcp, which runs one dispatch at a
// time: no other dispatch can still reach the client through the AsyncClient's callback arg):
// moves the AsyncClient to a free tomb and drops the net reference (the client is freed with
// its last reference, here when nobody else holds one). False when every tomb is taken (it stays
// in the graveyard). Never from another task: async_tcp may be dispatching to the client then.
bool AsyncWebSocket::_entombLocked(Client* c) {
  if (!c->inGrave || c->rxActive || _tombCount >= kTombSlots) return false;
  for (Client** pp = &_grave; *pp; pp = &(*pp)->graveNext) {
    if (*pp == c) {
      *pp = c->graveNext;
      break;
    }
  }
  _tombs[_tombCount++] = c->tcp;
  c->tcp = nullptr;
  c->inGrave = false;
  c->graveNext = nullptr;
  _unrefLocked(c);  // the net reference
  return true;
}

// Deletes the AsyncClients in the tombs, except `except` (whose dispatch is on the stack), with no
// lock held (~AsyncClient of a closed client runs no callback). Only where _drain may run.
void AsyncWebSocket::_buryTombs(AsyncClient* except) {
  AsyncClient* dead[kTombSlots];
  size_t n = 0;
  {
    Lock lk(_mu);
    uint8_t keep = 0;
    for (uint8_t i = 0; i < _tombCount; ++i) {
      if (except && _tombs[i] == except) {
        _tombs[keep++] = _tombs[i];
      } else {
        dead[n++] = _tombs[i];
      }
    }
    for (uint8_t i = keep; i < _tombCount; ++i) _tombs[i] = nullptr;
    _tombCount = keep;
  }
  for (size_t i = 0; i < n; ++i) delete dead[i];
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
        } else if (now - c->lastRxMs >= period && !(c->ctrl && c->ctrl->ping.len)) {
          if (ws::CtrlFrames* k = ctrlFrames(c)) {
            fillCtrl(k->ping, kOpPing, nullptr, 0);
            c->pingOutstanding = true;
            c->pingSentMs = now;
          } else {
            s->_allocFailures++;  // tried again at the next poll
          }
        }
      }
      if (!closeNow) closeNow = s->_flushLocked(c);
    }
  }
  s->_afterOp(c, closeNow);
  s->_unref(c);
  if (scope.topLevel()) s->_drain(ac, true);
}

void AsyncWebSocket::_acTimeout(void* arg, AsyncClient* ac, uint32_t) {
  Client* c = static_cast<Client*>(arg);
  AsyncWebSocket* s = c->server;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  s->_ref(c);
  s->_closeTcp(c, true);  // ack timeout: the peer stopped reading
  s->_unref(c);
  if (scope.topLevel()) s->_drain(ac, true);
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
  // Tombs are made only when no onData of theirs is in the core; the barrier covers a dispatch
  // still returning through AsyncTCP (none can start: every client is closed).
  port::networkBarrier();
  port::Lock gate(_guard.gate());
  _buryTombs(nullptr);
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

// ---------------------------------------------------------------------------------------------
// AsyncWebSocketClient / AsyncWebSocketClientRef (lifetime side)

AwsClientStatus AsyncWebSocketClient::status() const {
  Lock lk(_s.server->_mu);
  return AwsClientStatus(_s.status);
}

void AsyncWebSocketClient::keepAlivePeriod(uint16_t seconds) {
  Lock lk(_s.server->_mu);
  _s.keepAliveSec = seconds;
}
uint16_t AsyncWebSocketClient::keepAlivePeriod() const {
  Lock lk(_s.server->_mu);
  return _s.keepAliveSec;
}

AsyncWebSocketClientRef::AsyncWebSocketClientRef(const AsyncWebSocketClientRef& o) : _c(o._c) {
  if (_c) _c->_s.server->_ref(&_c->_s);
}

void AsyncWebSocketClientRef::reset() {
  if (_c) _c->_s.server->_unref(&_c->_s);
  _c = nullptr;
}

}  // namespace twincore
