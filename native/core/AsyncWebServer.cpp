// AsyncWebServer.cpp: the minimal HTTP/1.1 server. Lifetime and threading rules: AsyncWebServer.h;
// the AsyncClient graveyard scheme is the same as the WebSocket core's (AsyncWebSocket.h).
#include "AsyncWebServer.h"

#include "tc_graveyard.h"

#include <cstdio>
#include <cstring>
#include <new>

#include "http_request.h"
#include "tc_heap.h"

namespace twincore {

using port::Lock;

// Per-connection state (twincore::heap).
struct HttpConn {
  AsyncWebServer* srv;       // immutable
  AsyncClient* ac;           // usable for add()/send()/space(); null once claimed
  AsyncClient* tcp;          // the object, until deleted (null once handed off)
  uint32_t refs;             // list + net + operations in progress
  uint32_t startMs;          // accept time (request head deadline)
  ws::HttpRequestParser parser;  // rx: async_tcp onData only
  uint8_t* resp;             // the response being written (twincore::heap)
  uint32_t respLen, respOff;
  bool inList, inGrave, tcpClaimed, tcpDown, deleteOnExit, handedOff, responded;
  bool rxActive;             // an onData dispatch is in our code (see drainGraveOffNet in tc_graveyard.h)
  HttpConn *prev, *next, *graveNext;
  HttpConn() : parser(ws::HttpLimits()) {}
};

struct AsyncWebServer::HandlerNode {
  AsyncWebHandler* handler;
  bool owned;
  HandlerNode* next;
};

namespace {

class CallbackHandler final : public AsyncWebHandler {
 public:
  CallbackHandler(const char* uri, WebRequestMethodComposite method, ArRequestHandlerFunction fn)
      : _uri(uri ? uri : "/"), _method(method), _fn(std::move(fn)) {}
  bool canHandle(AsyncWebServerRequest* r) override { return (r->method() & _method) && _uri == r->url(); }
  void handleRequest(AsyncWebServerRequest* r) override {
    if (_fn) _fn(r);
  }

 private:
  std::string _uri;
  WebRequestMethodComposite _method;
  ArRequestHandlerFunction _fn;
};

const char* reasonPhrase(int code) {
  switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 426: return "Upgrade Required";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
  }
}

WebRequestMethod parseMethod(const char* m) {
  if (!std::strcmp(m, "GET")) return HTTP_GET;
  if (!std::strcmp(m, "POST")) return HTTP_POST;
  if (!std::strcmp(m, "DELETE")) return HTTP_DELETE;
  if (!std::strcmp(m, "PUT")) return HTTP_PUT;
  if (!std::strcmp(m, "PATCH")) return HTTP_PATCH;
  if (!std::strcmp(m, "HEAD")) return HTTP_HEAD;
  if (!std::strcmp(m, "OPTIONS")) return HTTP_OPTIONS;
  return WebRequestMethod(0);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// AsyncWebServerRequest

const char* AsyncWebServerRequest::methodToString() const { return _conn->parser.method(); }
const char* AsyncWebServerRequest::url() const { return _conn->parser.path(); }
const char* AsyncWebServerRequest::query() const { return _conn->parser.query(); }
const char* AsyncWebServerRequest::header(const char* name) const { return _conn->parser.header(name); }
IPAddress AsyncWebServerRequest::remoteIP() const {
  Lock lk(_srv->_mu);
  return _conn->ac ? _conn->ac->remoteIP() : IPAddress();
}
AsyncClient* AsyncWebServerRequest::client() const {
  Lock lk(_srv->_mu);
  return _conn->ac;
}

bool AsyncWebServerRequest::send(int code, const char* contentType, const char* content, const char* extraHeaders) {
  if (_sent || _taken) return false;
  _sent = true;
  return _srv->_respond(_conn, code, contentType, content, content ? std::strlen(content) : 0, extraHeaders);
}

AsyncClient* AsyncWebServerRequest::_takeClient(const uint8_t** rest, size_t* restLen) {
  if (_sent || _taken) return nullptr;
  AsyncClient* ac = _srv->_take(_conn);
  if (!ac) return nullptr;
  _taken = true;
  if (rest) *rest = _rest;
  if (restLen) *restLen = _restLen;
  return ac;
}

// ---------------------------------------------------------------------------------------------
// AsyncWebServer

AsyncWebServer::AsyncWebServer(uint16_t port) : _server(port) {}

AsyncWebServer::~AsyncWebServer() {
  end();
  reset();
}

void AsyncWebServer::begin() {
  {
    Lock lk(_mu);
    _running = true;
  }
  // Not "if already running": a begin() whose listen failed (port taken, no socket) must be
  // retryable; only an AsyncServer already listening makes this a no-op.
  if (_server.status() == LISTEN) return;
  _server.setNoDelay(true);
  _server.onClient(&AsyncWebServer::_onClient, this);
  _server.begin();
}

bool AsyncWebServer::running() const {
  Lock lk(_mu);
  return _running;
}

void AsyncWebServer::end() {
  {
    Lock lk(_mu);
    _running = false;
  }
  _server.end();  // no onClient runs once it returns
  for (;;) {
    HttpConn* c = nullptr;
    {
      Lock lk(_mu);
      for (HttpConn* x = _conns; x; x = x->next) {
        if (!x->tcpClaimed) {
          c = x;
          c->refs++;
          break;
        }
      }
    }
    if (!c) break;
    _closeTcp(c);
    Lock lk(_mu);
    _unrefLocked(c);
  }
  if (_guard.inScope()) return;  // inside our own callback: completes as it unwinds
  drainGraveOffNet(_guard, _mu, _grave, [this](HttpConn* c) { _unrefLocked(c); });
}

void AsyncWebServer::_waitQuiet() {
  if (_guard.inScope()) return;
  Lock gate(_guard.gate());
}

AsyncWebHandler& AsyncWebServer::addHandler(AsyncWebHandler* handler) {
  void* mem = heap::alloc(sizeof(HandlerNode));
  if (mem) {
    HandlerNode* n = new (mem) HandlerNode{handler, false, nullptr};
    Lock lk(_mu);
    HandlerNode** pp = &_handlers;
    while (*pp) pp = &(*pp)->next;
    *pp = n;
  }
  if (mem) handler->_attached(this);
  return *handler;
}

bool AsyncWebServer::removeHandler(AsyncWebHandler* handler) {
  HandlerNode* found = nullptr;
  {
    Lock lk(_mu);
    for (HandlerNode** pp = &_handlers; *pp; pp = &(*pp)->next) {
      if ((*pp)->handler == handler) {
        found = *pp;
        *pp = found->next;
        break;
      }
    }
  }
  if (!found) return false;
  _waitQuiet();  // a request being dispatched to it finishes first
  handler->_detached(this);
  if (found->owned) {
    handler->~AsyncWebHandler();
    heap::free(handler, sizeof(CallbackHandler));
  }
  heap::free(found, sizeof(HandlerNode));
  return true;
}

AsyncWebHandler* AsyncWebServer::on(const char* uri, WebRequestMethodComposite method, ArRequestHandlerFunction fn) {
  void* hm = heap::alloc(sizeof(CallbackHandler));
  void* nm = heap::alloc(sizeof(HandlerNode));
  if (!hm || !nm) {
    heap::free(hm, sizeof(CallbackHandler));
    heap::free(nm, sizeof(HandlerNode));
    return nullptr;
  }
  CallbackHandler* h = new (hm) CallbackHandler(uri, method, std::move(fn));
  HandlerNode* n = new (nm) HandlerNode{h, true, nullptr};
  Lock lk(_mu);
  HandlerNode** pp = &_handlers;
  while (*pp) pp = &(*pp)->next;
  *pp = n;
  return h;
}

void AsyncWebServer::onNotFound(ArRequestHandlerFunction fn) {
  ArRequestHandlerFunction old;
  {
    Lock lk(_mu);
    old.swap(_notFound);
    _notFound = std::move(fn);
  }
}

void AsyncWebServer::reset() {
  for (;;) {
    AsyncWebHandler* h;
    {
      Lock lk(_mu);
      if (!_handlers) break;
      h = _handlers->handler;
    }
    removeHandler(h);
  }
  onNotFound(nullptr);
}

AsyncWebServer::Stats AsyncWebServer::stats() const {
  Lock lk(_mu);
  return Stats{_live, _requests, _errors, _upgraded};
}

// ---------------------------------------------------------------------------------------------
// Connections

void AsyncWebServer::_unrefLocked(HttpConn* c) {
  if (--c->refs) return;
  if (c->resp) heap::free(c->resp, c->respLen);
  c->~HttpConn();
  heap::free(c, sizeof(HttpConn));
  _live--;
}

void AsyncWebServer::_drain(AsyncClient* except) {
  HttpConn* dead = detachGrave(_mu, _grave, [except](HttpConn* c) { return except && c->tcp == except; });
  buryGrave(_mu, dead, [this](HttpConn* c) { _unrefLocked(c); });  // the net reference
}

void AsyncWebServer::_tcpDown(HttpConn* c) {
  Lock lk(_mu);
  if (c->tcpDown || c->handedOff) return;
  c->tcpDown = true;
  c->ac = nullptr;
  if (!c->tcpClaimed) {
    c->tcpClaimed = true;
    c->deleteOnExit = true;
  }
  if (c->inList) {
    if (c->prev) c->prev->next = c->next; else _conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = nullptr;
    c->inList = false;
    _unrefLocked(c);  // the list reference (the caller holds another)
  }
}

void AsyncWebServer::_closeTcp(HttpConn* c) {
  AsyncClient* ac;
  {
    Lock lk(_mu);
    if (c->tcpClaimed) return;
    c->tcpClaimed = true;
    ac = c->tcp;
    c->ac = nullptr;
  }
  {
    NetGuard::Scope mark(_guard, NetGuard::kCore);
    ac->close();
  }
  _tcpDown(c);
  Lock lk(_mu);
  pushGrave(_grave, c);
}

AsyncClient* AsyncWebServer::_take(HttpConn* c) {
  Lock lk(_mu);
  if (c->tcpClaimed || c->responded || !c->ac) return nullptr;
  AsyncClient* ac = c->ac;
  c->tcpClaimed = true;
  c->handedOff = true;
  c->ac = nullptr;
  c->tcp = nullptr;
  if (c->inList) {
    if (c->prev) c->prev->next = c->next; else _conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = nullptr;
    c->inList = false;
    c->refs--;  // the list reference (the dispatching onData holds another)
  }
  c->refs--;  // the net reference: the AsyncClient is no longer ours
  _upgraded++;
  return ac;
}

bool AsyncWebServer::_flushLocked(HttpConn* c) {
  if (!c->resp) return false;
  if (c->ac && c->respOff < c->respLen) {
    size_t space = c->ac->space();
    size_t want = c->respLen - c->respOff;
    if (want > space) want = space;
    if (want) {
      size_t took = c->ac->add(reinterpret_cast<const char*>(c->resp + c->respOff), want, ASYNC_WRITE_FLAG_COPY);
      c->respOff += uint32_t(took);
      if (took) c->ac->send();
    }
  }
  return c->respOff >= c->respLen;
}

bool AsyncWebServer::_respond(HttpConn* c, int code, const char* contentType, const char* body, size_t bodyLen,
                              const char* extraHeaders) {
  if (bodyLen > HttpDefaults::kMaxResponse) bodyLen = HttpDefaults::kMaxResponse;
  char head[512];
  int n = std::snprintf(head, sizeof head,
                        "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %u\r\nConnection: close\r\n%s\r\n", code,
                        reasonPhrase(code), contentType ? "Content-Type: " : "", contentType ? contentType : "",
                        contentType ? "\r\n" : "", unsigned(bodyLen), extraHeaders ? extraHeaders : "");
  if (n <= 0 || size_t(n) >= sizeof head) n = 0;
  size_t total = size_t(n) + bodyLen;
  uint8_t* buf = n ? static_cast<uint8_t*>(heap::alloc(total)) : nullptr;
  bool closeNow;
  bool ok = buf != nullptr;
  {
    Lock lk(_mu);
    if (code >= 400) _errors++;
    if (c->responded || !c->ac) {
      heap::free(buf, total);
      return false;
    }
    c->responded = true;
    if (buf) {
      std::memcpy(buf, head, size_t(n));
      if (bodyLen) std::memcpy(buf + n, body, bodyLen);
      c->resp = buf;
      c->respLen = uint32_t(total);
      c->respOff = 0;
      closeNow = _flushLocked(c);
    } else {
      closeNow = true;  // out of memory: close without an answer
    }
    c->refs++;
  }
  if (closeNow) _closeTcp(c);
  Lock lk(_mu);
  _unrefLocked(c);
  return ok;
}

void AsyncWebServer::_dispatch(HttpConn* c, const uint8_t* rest, size_t restLen) {
  WebRequestMethod m = parseMethod(c->parser.method());
  AsyncWebServerRequest req(this, c, m, rest, restLen);
  AsyncWebHandler* chosen = nullptr;
  {
    Lock lk(_mu);
    _requests++;
  }
  for (size_t i = 0;; ++i) {
    AsyncWebHandler* h = nullptr;
    {
      Lock lk(_mu);
      HandlerNode* n = _handlers;
      for (size_t k = 0; n && k < i; ++k) n = n->next;
      if (n) h = n->handler;
    }
    if (!h) break;
    if (h->canHandle(&req)) {
      chosen = h;
      break;
    }
  }
  if (chosen) {
    chosen->handleRequest(&req);
  } else {
    ArRequestHandlerFunction nf;
    {
      Lock lk(_mu);
      nf = _notFound;
    }
    if (nf) {
      nf(&req);
    } else {
      req.send(404, "text/plain", "Not Found");
    }
  }
  if (!req._taken && !req._sent) req.send(500, "text/plain", "No response");
}

// ---------------------------------------------------------------------------------------------
// AsyncTCP callbacks

void AsyncWebServer::_onClient(void* arg, AsyncClient* ac) {
  AsyncWebServer* s = static_cast<AsyncWebServer*>(arg);
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(nullptr);
  bool running;
  {
    Lock lk(s->_mu);
    running = s->_running;
  }
  void* mem = running ? heap::alloc(sizeof(HttpConn)) : nullptr;
  if (!mem) {
    // No callbacks are set yet; AsyncTCP touches nothing after onClient returns.
    ac->abort();
    delete ac;
    return;
  }
  HttpConn* c = new (mem) HttpConn();
  c->srv = s;
  c->ac = c->tcp = ac;
  c->refs = 2;  // list + net
  c->startMs = port::millis();
  c->resp = nullptr;
  c->respLen = c->respOff = 0;
  c->inList = true;
  c->inGrave = c->tcpClaimed = c->tcpDown = c->deleteOnExit = c->handedOff = c->responded = false;
  c->rxActive = false;
  c->prev = c->graveNext = nullptr;
  ac->onData(&AsyncWebServer::_onData, c);
  ac->onAck(&AsyncWebServer::_onAck, c);
  ac->onPoll(&AsyncWebServer::_onPoll, c);
  ac->onTimeout(&AsyncWebServer::_onTimeout, c);
  ac->onDisconnect(&AsyncWebServer::_onDisconnect, c);
  Lock lk(s->_mu);
  c->next = s->_conns;
  if (s->_conns) s->_conns->prev = c;
  s->_conns = c;
  s->_live++;
}

// Marks an onData dispatch in flight (and holds a reference) until after the gate is released.
struct AsyncWebServer::RxMark {
  RxMark(AsyncWebServer* s, HttpConn* c) : s(s), c(c) {
    Lock lk(s->_mu);
    c->rxActive = true;
    c->refs++;
  }
  ~RxMark() {
    Lock lk(s->_mu);
    c->rxActive = false;
    s->_unrefLocked(c);
  }
  AsyncWebServer* s;
  HttpConn* c;
};

void AsyncWebServer::_onData(void* arg, AsyncClient* ac, void* data, size_t len) {
  HttpConn* c = static_cast<HttpConn*>(arg);
  AsyncWebServer* s = c->srv;
  RxMark mark(s, c);
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  {
    Lock lk(s->_mu);
    if (c->tcpDown || c->tcpClaimed || c->responded) return;  // (drained at the next event)
  }
  // c stays alive to the end: `mark` holds a reference.
  size_t consumed = 0;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  ws::HttpRequestParser::Result r = c->parser.feed(p, len, &consumed);
  if (r == ws::HttpRequestParser::Result::Error) {
    int code = c->parser.errorStatus() ? c->parser.errorStatus() : 400;
    const char* why = reasonPhrase(code);
    c->parser.release();
    s->_respond(c, code, "text/plain", why, std::strlen(why), nullptr);
  } else if (r == ws::HttpRequestParser::Result::Done) {
    s->_dispatch(c, p + consumed, len - consumed);
    c->parser.release();
  }
  if (scope.topLevel()) s->_drain(ac);
}

void AsyncWebServer::_onAck(void* arg, AsyncClient* ac, size_t, uint32_t) {
  HttpConn* c = static_cast<HttpConn*>(arg);
  AsyncWebServer* s = c->srv;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  bool closeNow;
  {
    Lock lk(s->_mu);
    closeNow = c->resp && !c->tcpClaimed && s->_flushLocked(c);
    c->refs++;
  }
  if (closeNow) s->_closeTcp(c);
  {
    Lock lk(s->_mu);
    s->_unrefLocked(c);
  }
  if (scope.topLevel()) s->_drain(ac);
}

void AsyncWebServer::_onPoll(void* arg, AsyncClient* ac) {
  HttpConn* c = static_cast<HttpConn*>(arg);
  AsyncWebServer* s = c->srv;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  bool closeNow = false, timedOut = false;
  {
    Lock lk(s->_mu);
    c->refs++;
    if (!c->tcpClaimed) {
      if (c->resp) {
        closeNow = s->_flushLocked(c);
      } else if (!c->responded && port::millis() - c->startMs >= HttpDefaults::kRequestTimeoutMs) {
        timedOut = true;
      }
    }
  }
  if (timedOut) {
    c->parser.release();  // safe: onData runs on this thread only, and not now
    s->_respond(c, 408, "text/plain", "Request Timeout", 15, nullptr);
  }
  if (closeNow) s->_closeTcp(c);
  {
    Lock lk(s->_mu);
    s->_unrefLocked(c);
  }
  if (scope.topLevel()) s->_drain(ac);
}

void AsyncWebServer::_onTimeout(void* arg, AsyncClient* ac, uint32_t) {
  HttpConn* c = static_cast<HttpConn*>(arg);
  AsyncWebServer* s = c->srv;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  {
    Lock lk(s->_mu);
    c->refs++;
  }
  s->_closeTcp(c);  // the peer does not read its answer
  {
    Lock lk(s->_mu);
    s->_unrefLocked(c);
  }
  if (scope.topLevel()) s->_drain(ac);
}

void AsyncWebServer::_onDisconnect(void* arg, AsyncClient* ac) {
  HttpConn* c = static_cast<HttpConn*>(arg);
  AsyncWebServer* s = c->srv;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  {
    Lock lk(s->_mu);
    c->refs++;
  }
  s->_tcpDown(c);
  {
    Lock lk(s->_mu);
    if (c->deleteOnExit) pushGrave(s->_grave, c);
    s->_unrefLocked(c);
  }
  if (scope.topLevel()) s->_drain(nullptr);
}

}  // namespace twincore
