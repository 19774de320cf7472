// ws_server.cpp: AsyncWebSocket as an AsyncWebHandler: construction, configuration, the handler
// boxes, the HTTP upgrade (handshake glue: checks, subprotocol, 101, the client's creation and
// its CONNECT) and the counters (stats()).
//
// Rules kept here (AsyncWebSocket.h, LIFETIME AND THREADS; docs/architecture.md T8, L6):
// - _mu guards the configuration, the handler slots and the counters; setters take it briefly.
// - handleRequest() runs inside the HTTP server's onData on async_tcp, under the HTTP server's
//   gate (end() waits for it through AsyncWebServer::_waitQuiet()) and marks this server's
//   NetGuard as kCore, so callbacks nested in the upgrade are not top-level. The handshake
//   handler and CONNECT run with no lock held; an upgrade holds a slot (_reserved) under _mu
//   so concurrent upgrades cannot pass setMaxClients().
// - A new client starts with the net reference; the list reference and the CONNECT delivery's
//   are taken under _mu when it is published; a failed publish aborts the TCP (no CONNECT, so no
//   DISCONNECT).
#include "ws_server_internal.h"

#include <cstdio>

#include "ws_handshake.h"

namespace twincore {

using port::Lock;
using namespace wsi;

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
  c->ctrl = nullptr;
  c->msg = nullptr;
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
  s.graveyard += _tombCount;
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

}  // namespace twincore
