// AsyncWebServer.cpp: the HTTP/1.1 server. Lifetime and threading rules: AsyncWebServer.h; the
// AsyncClient graveyard scheme is the same as the WebSocket core's (AsyncWebSocket.h).
// Responses (AsyncWebServerResponse and its kinds) and the handlers are in web_responses.cpp and
// web_handlers.cpp.
#include "AsyncWebServer.h"

#include "tc_graveyard.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "http_request.h"
#include "tc_heap.h"

namespace twincore {

using port::Lock;

// Per-connection state (twincore::heap).
struct HttpConn {
  enum Phase : uint8_t { kHead, kBody, kDone };
  AsyncWebServer* srv;       // immutable
  AsyncClient* ac;           // usable for add()/send()/space(); null once claimed
  AsyncClient* tcp;          // the object, until deleted (null once handed off)
  uint32_t refs;             // list + net + operations in progress
  uint32_t startMs;          // accept time (request head deadline)
  uint32_t lastRxMs;         // last body bytes (body stall deadline)
  Phase phase;               // _mu (poll reads it for the deadlines)
  AsyncWebHandler* handler;  // _mu: chosen at the head; nulled when removed from the server
  // rx: async_tcp onData only (and the destroyer, once no reference is left)
  ws::HttpRequestParser parser;
  AsyncWebServerRequest* req;  // from the complete head (new), deleted with the connection
  size_t bodyGot;
  bool formBody;               // application/x-www-form-urlencoded: parsed into parameters
  String form;
  // response (_mu; the response object is filled on async_tcp outside the lock, one pump at a time)
  AsyncWebServerResponse* resp;
  uint8_t* head;               // the status line and headers (twincore::heap)
  uint32_t headLen, headOff;
  bool bodyDone;
  bool inList, inGrave, tcpClaimed, tcpDown, deleteOnExit, handedOff, responded;
  bool rxActive;             // an onData dispatch is in our code (see drainGraveOffNet in tc_graveyard.h)
  HttpConn *prev, *next, *graveNext;
  HttpConn() : parser(ws::HttpLimits()) {}
};

struct AsyncWebServer::HandlerNode {
  AsyncWebHandler* handler;
  HandlerNode* next;
};

namespace {

WebRequestMethod parseMethod(const char* m) {
  static const struct {
    const char* name;
    WebRequestMethod m;
  } kMethods[] = {{"GET", HTTP_GET},       {"POST", HTTP_POST},       {"DELETE", HTTP_DELETE},
                  {"PUT", HTTP_PUT},       {"PATCH", HTTP_PATCH},     {"HEAD", HTTP_HEAD},
                  {"OPTIONS", HTTP_OPTIONS}, {"CONNECT", HTTP_CONNECT}, {"TRACE", HTTP_TRACE}};
  for (const auto& k : kMethods) {
    if (!std::strcmp(m, k.name)) return k.m;
  }
  return HTTP_UNKNOWN;
}

bool startsWithCaseless(const char* s, const char* prefix) {
  for (; *prefix; ++s, ++prefix) {
    char a = *s, b = *prefix;
    if (a >= 'A' && a <= 'Z') a = char(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = char(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// Content-Length: digits only, at most 10 of them (fits size_t on a 32-bit board: < 4 GiB).
bool parseLength(const char* v, size_t* out) {
  size_t n = 0, digits = 0;
  for (; *v; ++v, ++digits) {
    if (*v < '0' || *v > '9' || digits == 9) return false;
    n = n * 10 + size_t(*v - '0');
  }
  if (!digits) return false;
  *out = n;
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// AsyncWebServerRequest

AsyncWebServerRequest::~AsyncWebServerRequest() {
  delete _response;
  if (_tempObject) std::free(_tempObject);
}

const String& AsyncWebServerRequest::_empty() {
  static const String kEmpty;
  return kEmpty;
}

const char* AsyncWebServerRequest::methodToString() const {
  switch (_method) {
    case HTTP_GET: return "GET";
    case HTTP_POST: return "POST";
    case HTTP_DELETE: return "DELETE";
    case HTTP_PUT: return "PUT";
    case HTTP_PATCH: return "PATCH";
    case HTTP_HEAD: return "HEAD";
    case HTTP_OPTIONS: return "OPTIONS";
    case HTTP_CONNECT: return "CONNECT";
    case HTTP_TRACE: return "TRACE";
    default: return "UNKNOWN";
  }
}

bool AsyncWebServerRequest::isWebSocketUpgrade() const {
  const char* up = _headerValue("Upgrade");
  return _method == HTTP_GET && up && startsWithCaseless(up, "websocket");
}

IPAddress AsyncWebServerRequest::remoteIP() const {
  Lock lk(_srv->_mu);
  return _conn->ac ? _conn->ac->remoteIP() : IPAddress();
}

AsyncClient* AsyncWebServerRequest::client() const {
  Lock lk(_srv->_mu);
  return _conn->ac;
}

const AsyncWebHeader* AsyncWebServerRequest::getHeader(const char* name) const {
  if (!name) return nullptr;
  for (const AsyncWebHeader& h : _headers) {
    if (h.name().equalsIgnoreCase(name)) return &h;
  }
  return nullptr;
}

const AsyncWebHeader* AsyncWebServerRequest::getHeader(size_t i) const {
  for (const AsyncWebHeader& h : _headers) {
    if (i-- == 0) return &h;
  }
  return nullptr;
}

const String& AsyncWebServerRequest::header(const char* name) const {
  const AsyncWebHeader* h = getHeader(name);
  return h ? h->value() : _empty();
}

const String& AsyncWebServerRequest::header(size_t i) const {
  const AsyncWebHeader* h = getHeader(i);
  return h ? h->value() : _empty();
}

const String& AsyncWebServerRequest::headerName(size_t i) const {
  const AsyncWebHeader* h = getHeader(i);
  return h ? h->name() : _empty();
}

const char* AsyncWebServerRequest::_headerValue(const char* name) const {
  const AsyncWebHeader* h = getHeader(name);
  return h ? h->value().c_str() : nullptr;
}

const AsyncWebParameter* AsyncWebServerRequest::getParam(const char* name, bool post, bool file) const {
  if (!name) return nullptr;
  for (const AsyncWebParameter& p : _params) {
    if (p.isPost() == post && p.isFile() == file && p.name() == name) return &p;
  }
  return nullptr;
}

const AsyncWebParameter* AsyncWebServerRequest::getParam(size_t num) const {
  for (const AsyncWebParameter& p : _params) {
    if (num-- == 0) return &p;
  }
  return nullptr;
}

const String& AsyncWebServerRequest::arg(const char* name) const {
  if (name) {
    for (const AsyncWebParameter& p : _params) {
      if (p.name() == name) return p.value();
    }
  }
  return _empty();
}

const String& AsyncWebServerRequest::arg(size_t i) const {
  const AsyncWebParameter* p = getParam(i);
  return p ? p->value() : _empty();
}

const String& AsyncWebServerRequest::argName(size_t i) const {
  const AsyncWebParameter* p = getParam(i);
  return p ? p->name() : _empty();
}

bool AsyncWebServerRequest::hasArg(const char* name) const {
  if (!name) return false;
  for (const AsyncWebParameter& p : _params) {
    if (p.name() == name) return true;
  }
  return false;
}

String AsyncWebServerRequest::urlDecode(const String& text) {
  String out;
  const char* s = text.c_str();
  unsigned int n = text.length();
  out.reserve(n);
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (unsigned int i = 0; i < n; ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < n && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += char(hex(s[i + 1]) << 4 | hex(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// "a=1&b&c=%20" -> (a, 1), (b, ""), (c, " ").
void AsyncWebServerRequest::_addParams(const char* text, size_t len, bool post) {
  size_t i = 0;
  while (i < len) {
    size_t end = i;
    while (end < len && text[end] != '&') ++end;
    if (end > i) {
      size_t eq = i;
      while (eq < end && text[eq] != '=') ++eq;
      String name, value;
      name.concat(text + i, unsigned(eq - i));
      if (eq < end) value.concat(text + eq + 1, unsigned(end - eq - 1));
      name = urlDecode(name);
      if (name.length()) _params.emplace_back(name, urlDecode(value), post);
    }
    i = end + 1;
  }
}

void AsyncWebServerRequest::send(AsyncWebServerResponse* response) {
  if (_sent || _taken) {
    delete response;
    return;
  }
  _sent = true;
  if (_complete && !_deferSend) {
    _srv->_start(_conn, response);  // written now (null: closed unanswered)
  } else {
    _response = response;  // during the body or a middleware chain: started when it ends
  }
}

String& AsyncWebServerRequest::_attr(const char* name) {
  for (AsyncWebHeader& a : _attributes) {
    if (a.name() == name) return const_cast<String&>(a.value());
  }
  _attributes.emplace_back(name ? name : "", "");
  return const_cast<String&>(_attributes.back().value());
}

const String* AsyncWebServerRequest::_findAttr(const char* name) const {
  for (const AsyncWebHeader& a : _attributes) {
    if (name && a.name() == name) return &a.value();
  }
  return nullptr;
}

AsyncWebHeader AsyncWebHeader::parse(const char* data) {
  if (!data || !*data || std::strchr(data, '\n') || std::strchr(data, '\r')) return AsyncWebHeader();
  const char* colon = std::strchr(data, ':');
  if (!colon || colon == data) return AsyncWebHeader();
  const char* v = colon + 1;
  while (*v == ' ' || *v == '\t') ++v;
  String name;
  name.concat(data, unsigned(colon - data));
  return AsyncWebHeader(name, String(v));
}

void AsyncWebServerRequest::onDisconnect(ArDisconnectHandler fn) {
  ArDisconnectHandler old;
  Lock lk(_srv->_mu);
  old.swap(_onDisconnect);
  _onDisconnect = std::move(fn);
}

AsyncWebServerResponse* AsyncWebServerRequest::getResponse() const { return _response ? _response : _started; }

bool AsyncWebServerRequest::removeHeader(const char* name) {
  for (auto it = _headers.begin(); it != _headers.end(); ++it) {
    if (name && it->name().equalsIgnoreCase(name)) {
      _headers.erase(it);
      return true;
    }
  }
  return false;
}

void AsyncWebServerRequest::redirect(const char* url, int code) {
  AsyncWebServerResponse* r = beginResponse(code);
  if (r) r->addHeader("Location", url ? url : "/");
  send(r);
}

AsyncWebServerResponse* AsyncWebServerRequest::beginResponse(int code, const char* contentType, const char* content,
                                                             AwsTemplateProcessor callback) {
  if (callback) {  // a template page is read in place (as upstream: it is in flash)
    return new (std::nothrow) AsyncProgmemResponse(code, contentType, reinterpret_cast<const uint8_t*>(content ? content : ""),
                                                   content ? std::strlen(content) : 0, std::move(callback));
  }
  return new (std::nothrow) AsyncBasicResponse(code, contentType, content);
}

AsyncWebServerResponse* AsyncWebServerRequest::beginResponse(int code, const char* contentType, const uint8_t* content,
                                                             size_t len, AwsTemplateProcessor callback) {
  return new (std::nothrow) AsyncProgmemResponse(code, contentType, content, len, std::move(callback));
}

AsyncWebServerResponse* AsyncWebServerRequest::beginResponse(fs::FS& fs, const String& path, const char* contentType,
                                                             bool download, AwsTemplateProcessor callback) {
  return new (std::nothrow) AsyncFileResponse(fs, path, contentType, download, std::move(callback));
}

AsyncWebServerResponse* AsyncWebServerRequest::beginResponse(fs::File content, const String& path,
                                                             const char* contentType, bool download,
                                                             AwsTemplateProcessor callback) {
  return new (std::nothrow) AsyncFileResponse(content, path, contentType, download, std::move(callback));
}

AsyncWebServerResponse* AsyncWebServerRequest::beginResponse(Stream& stream, const char* contentType, size_t len,
                                                             AwsTemplateProcessor callback) {
  return new (std::nothrow) AsyncStreamResponse(stream, contentType, len, std::move(callback));
}

AsyncWebServerResponse* AsyncWebServerRequest::beginResponse(const char* contentType, size_t len,
                                                             AwsResponseFiller callback,
                                                             AwsTemplateProcessor templateCallback) {
  return new (std::nothrow) AsyncCallbackResponse(contentType, len, std::move(callback), std::move(templateCallback));
}

AsyncWebServerResponse* AsyncWebServerRequest::beginChunkedResponse(const char* contentType,
                                                                    AwsResponseFiller callback,
                                                                    AwsTemplateProcessor templateCallback) {
  return new (std::nothrow) AsyncCallbackResponse(contentType, 0, std::move(callback), std::move(templateCallback), true);
}

AsyncResponseStream* AsyncWebServerRequest::beginResponseStream(const char* contentType, size_t bufferSize) {
  return new (std::nothrow) AsyncResponseStream(contentType, bufferSize);
}

void AsyncWebServerRequest::send(fs::FS& fs, const String& path, const char* contentType, bool download,
                                 AwsTemplateProcessor callback) {
  AsyncFileResponse* r = new (std::nothrow) AsyncFileResponse(fs, path, contentType, download, std::move(callback));
  if (r && !r->_sourceValid()) {
    delete r;
    send(404);
    return;
  }
  send(r);
}

void AsyncWebServerRequest::send(fs::File content, const String& path, const char* contentType, bool download,
                                 AwsTemplateProcessor callback) {
  if (!content) {
    send(404);
    return;
  }
  send(beginResponse(content, path, contentType, download, std::move(callback)));
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
  for (AsyncWebRewrite* r : _rewrites) delete r;
}

AsyncWebRewrite& AsyncWebServer::addRewrite(AsyncWebRewrite* rewrite) {
  _rewrites.push_back(rewrite);
  return *rewrite;
}

bool AsyncWebServer::removeRewrite(AsyncWebRewrite* rewrite) {
  for (auto it = _rewrites.begin(); it != _rewrites.end(); ++it) {
    if (*it == rewrite) {
      delete rewrite;
      _rewrites.erase(it);
      return true;
    }
  }
  return false;
}

bool AsyncWebServer::removeRewrite(const char* from, const char* to) {
  for (AsyncWebRewrite* r : _rewrites) {
    if (r->from() == from && (r->toUrl() == to || (r->toUrl() + "?" + r->params()) == to)) return removeRewrite(r);
  }
  return false;
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

tcp_state AsyncWebServer::state() const { return static_cast<tcp_state>(const_cast<AsyncServer&>(_server).status()); }

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
  bool added = false;
  if (mem) {
    Lock lk(_mu);
    HandlerNode** pp = &_handlers;
    while (*pp && (*pp)->handler != handler) pp = &(*pp)->next;
    if (!*pp) {  // (already there: it stays once)
      *pp = new (mem) HandlerNode{handler, nullptr};
      added = true;
    }
  }
  if (!added) heap::free(mem, sizeof(HandlerNode));
  if (added) handler->_attached(this);
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
    if (found) {
      for (HttpConn* c = _conns; c; c = c->next) {
        if (c->handler == handler) c->handler = nullptr;  // a request still in its body: not found
      }
    }
  }
  if (!found) return false;
  _waitQuiet();  // a request being dispatched to it finishes first
  handler->_detached(this);
  if (handler->_ownedByServer()) delete handler;
  heap::free(found, sizeof(HandlerNode));
  return true;
}

AsyncCallbackWebHandler& AsyncWebServer::on(AsyncURIMatcher uri, WebRequestMethodComposite method,
                                            ArRequestHandlerFunction onRequest, ArUploadHandlerFunction onUpload,
                                            ArBodyHandlerFunction onBody) {
  AsyncCallbackWebHandler* h = new AsyncCallbackWebHandler();
  h->setUri(uri);
  h->setMethod(method);
  h->onRequest(std::move(onRequest));
  h->onUpload(std::move(onUpload));
  h->onBody(std::move(onBody));
  addHandler(h);
  return *h;
}

AsyncStaticWebHandler& AsyncWebServer::serveStatic(const char* uri, fs::FS& fs, const char* path,
                                                   const char* cacheControl) {
  AsyncStaticWebHandler* h = new AsyncStaticWebHandler(uri, fs, path, cacheControl);
  addHandler(h);
  return *h;
}

void AsyncWebServer::onNotFound(ArRequestHandlerFunction fn) {
  ArRequestHandlerFunction old;
  {
    Lock lk(_mu);
    old.swap(_notFound);
    _notFound = std::move(fn);
  }
}

void AsyncWebServer::onRequestBody(ArBodyHandlerFunction fn) {
  ArBodyHandlerFunction old;
  {
    Lock lk(_mu);
    old.swap(_onBody);
    _onBody = std::move(fn);
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
  onRequestBody(nullptr);
}

AsyncWebServer::Stats AsyncWebServer::stats() const {
  Lock lk(_mu);
  return Stats{_live, _requests, _errors, _upgraded};
}

// ---------------------------------------------------------------------------------------------
// Connections

void AsyncWebServer::_unrefLocked(HttpConn* c) {
  if (--c->refs) return;
  _destroyLocked(c);
}

// Under _mu, the last reference gone: the request, the response and the connection.
void AsyncWebServer::_destroyLocked(HttpConn* c) {
  if (c->head) heap::free(c->head, c->headLen);
  delete c->resp;
  delete c->req;
  c->~HttpConn();
  heap::free(c, sizeof(HttpConn));
  _live--;
}

void AsyncWebServer::_drain(AsyncClient* except) {
  HttpConn* dead = detachGrave(_mu, _grave, [except](HttpConn* c) { return except && c->tcp == except; });
  buryGrave(_mu, dead, [this](HttpConn* c) { _unrefLocked(c); });  // the net reference
}

// The caller holds a reference. Runs the request's onDisconnect function (once, no lock held).
void AsyncWebServer::_tcpDown(HttpConn* c) {
  ArDisconnectHandler fn;
  {
    Lock lk(_mu);
    if (c->tcpDown || c->handedOff) return;
    c->tcpDown = true;
    c->ac = nullptr;
    if (!c->tcpClaimed) {
      c->tcpClaimed = true;
      c->deleteOnExit = true;
    }
    if (c->req) fn.swap(c->req->_onDisconnect);
    if (c->inList) {
      if (c->prev) c->prev->next = c->next; else _conns = c->next;
      if (c->next) c->next->prev = c->prev;
      c->prev = c->next = nullptr;
      c->inList = false;
      _unrefLocked(c);  // the list reference (the caller holds another)
    }
  }
  if (fn) fn();
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
  c->phase = HttpConn::kDone;
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

// Takes r (may be null: the connection is closed unanswered). Runs on async_tcp, no lock held;
// the caller holds a reference.
bool AsyncWebServer::_start(HttpConn* c, AsyncWebServerResponse* r) {
  if (r && !r->_sourceValid()) {
    delete r;
    r = new (std::nothrow) AsyncBasicResponse(500, "text/plain", "Internal Server Error");
  }
  uint8_t* head = nullptr;
  size_t headLen = 0;
  bool headOnly = c->req && c->req->method() == HTTP_HEAD;
  if (r) {
    String h;
    r->_assembleHead(h, c->req ? c->req->version() : 1);
    headLen = h.length();
    head = headLen ? static_cast<uint8_t*>(heap::alloc(headLen)) : nullptr;
    if (head) std::memcpy(head, h.c_str(), headLen);
  }
  bool closeNow = false, taken = false;
  {
    Lock lk(_mu);
    if (!c->responded && c->ac && !c->tcpClaimed) {
      c->responded = true;
      c->phase = HttpConn::kDone;
      if (r && r->code() >= 400) _errors++;
      if (r && head) {
        if (c->req) c->req->_started = r;
        c->resp = r;
        c->head = head;
        c->headLen = uint32_t(headLen);
        c->headOff = 0;
        c->bodyDone = headOnly;
        taken = true;
      } else {
        closeNow = true;  // out of memory: close without an answer
      }
    }
  }
  if (!taken) {
    delete r;
    if (head) heap::free(head, headLen);
    if (closeNow) _closeTcp(c);
    return false;
  }
  _pump(c);
  return true;
}

// The server's own answers (parse errors, timeouts, limits).
void AsyncWebServer::_answer(HttpConn* c, int code, const char* text) {
  _start(c, new (std::nothrow) AsyncBasicResponse(code, "text/plain", text));
}

// Writes the head, then body chunks as far as the TCP window takes (the fill runs outside the
// lock: a template processor or filler is user code); closes once everything is added. Runs on
// async_tcp; the caller holds a reference.
void AsyncWebServer::_pump(HttpConn* c) {
  uint8_t* buf = nullptr;
  size_t bufLen = 0;
  bool closeNow = false;
  for (;;) {
    AsyncWebServerResponse* r;
    size_t want;
    {
      Lock lk(_mu);
      AsyncClient* ac = c->ac;
      if (!ac || !c->resp || c->tcpClaimed) break;
      size_t space = ac->space();
      if (c->headOff < c->headLen) {
        size_t n = c->headLen - c->headOff;
        if (n > space) n = space;
        size_t took = n ? ac->add(reinterpret_cast<const char*>(c->head + c->headOff), n, ASYNC_WRITE_FLAG_COPY) : 0;
        c->headOff += uint32_t(took);
        if (took) ac->send();
        if (c->headOff < c->headLen) break;  // the window is full
        space = ac->space();
      }
      if (c->bodyDone) {
        closeNow = true;
        break;
      }
      if (space == 0) break;
      want = space < HttpDefaults::kFillChunk ? space : HttpDefaults::kFillChunk;
      r = c->resp;
    }
    if (!buf) {
      bufLen = HttpDefaults::kFillChunk;
      buf = static_cast<uint8_t*>(heap::alloc(bufLen));
      if (!buf) {
        closeNow = true;  // out of memory: the body cannot be sent
        break;
      }
    }
    size_t n = r->_fill(buf, want);
    if (n == RESPONSE_TRY_AGAIN) break;  // the next poll or ack asks again
    if (n > want) n = want;
    Lock lk(_mu);
    if (!c->ac || c->tcpClaimed) break;
    if (n == 0) {
      c->bodyDone = true;
      continue;  // closes on the next round
    }
    size_t took = c->ac->add(reinterpret_cast<const char*>(buf), n, ASYNC_WRITE_FLAG_COPY);
    c->ac->send();
    if (took < n) {  // (cannot happen: space was checked) the body is cut: end it here
      c->bodyDone = true;
    }
  }
  if (buf) heap::free(buf, bufLen);
  if (closeNow) _closeTcp(c);
}

AsyncWebHandler* AsyncWebServer::_choose(AsyncWebServerRequest* req) {
  for (size_t i = 0;; ++i) {
    AsyncWebHandler* h = nullptr;
    {
      Lock lk(_mu);
      HandlerNode* n = _handlers;
      for (size_t k = 0; n && k < i; ++k) n = n->next;
      if (n) h = n->handler;
    }
    if (!h) return nullptr;
    if (h->filter(req) && h->canHandle(req)) return h;
  }
}

// The head is complete (rx, async_tcp): the request object, its handler, then the body or the
// dispatch. The caller holds a reference.
void AsyncWebServer::_head(HttpConn* c, const uint8_t* rest, size_t restLen) {
  AsyncWebServerRequest* req = new (std::nothrow) AsyncWebServerRequest(this, c);
  if (!req) {
    c->parser.release();
    _start(c, nullptr);
    return;
  }
  ws::HttpRequestParser& p = c->parser;
  req->_method = parseMethod(p.method());
  req->_version = p.httpMinor();
  req->_url = AsyncWebServerRequest::urlDecode(String(p.path()));
  req->_addParams(p.query(), std::strlen(p.query()), false);
  p.forEachHeader([req](const char* name, const char* value) { req->_headers.emplace_back(name, value); });
  p.release();
  req->_host = req->header("Host");
  req->_contentType = req->header("Content-Type");
  req->_rest = rest;
  req->_restLen = restLen;
  {
    Lock lk(_mu);
    c->req = req;
    _requests++;
  }
  for (AsyncWebRewrite* rw : _rewrites) {  // configuration: not changed while running
    if (rw->match(req)) {
      req->_url = rw->toUrl();
      req->_addParams(rw->params().c_str(), rw->params().length(), false);
    }
  }
  const char* te = req->_headerValue("Transfer-Encoding");
  const char* cl = req->_headerValue("Content-Length");
  if (te) {
    _answer(c, 411, "Length Required (chunked request bodies are not supported)");
    return;
  }
  if (cl && !parseLength(cl, &req->_contentLength)) {
    _answer(c, 400, "Bad Request");
    return;
  }
  AsyncWebHandler* h = _choose(req);
  if (h && h->_authRequired(req)) {  // answered 401
    AsyncWebServerResponse* r = req->_response;
    req->_response = nullptr;
    _start(c, r);
    return;
  }
  {
    Lock lk(_mu);
    c->handler = h;
  }
  if (req->_contentLength == 0) {
    _handle(c);
    return;
  }
  c->formBody = startsWithCaseless(req->_contentType.c_str(), "application/x-www-form-urlencoded");
  if (c->formBody && req->_contentLength > HttpDefaults::kMaxFormBody) {
    _answer(c, 413, "Content Too Large");
    return;
  }
  const char* expect = req->_headerValue("Expect");
  if (expect && startsWithCaseless(expect, "100-continue")) {
    static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    Lock lk(_mu);
    if (c->ac && c->ac->space() >= sizeof kContinue - 1) {
      c->ac->add(kContinue, sizeof kContinue - 1, ASYNC_WRITE_FLAG_COPY);
      c->ac->send();
    }
  }
  {
    Lock lk(_mu);
    c->phase = HttpConn::kBody;
    c->lastRxMs = port::millis();
  }
  req->_rest = nullptr;  // the bytes after the head are the body's
  req->_restLen = 0;
  if (restLen) _body(c, const_cast<uint8_t*>(rest), restLen);
}

// Body bytes (rx, async_tcp): parameters of a form, else the handler's (or the server's) body
// function in pieces; the dispatch once Content-Length bytes arrived (extra bytes are ignored).
void AsyncWebServer::_body(HttpConn* c, uint8_t* data, size_t len) {
  AsyncWebServerRequest* req = c->req;
  size_t left = req->_contentLength - c->bodyGot;
  size_t n = len < left ? len : left;
  if (c->formBody) {
    if (n && !c->form.concat(reinterpret_cast<const char*>(data), unsigned(n))) {
      _answer(c, 503, "Service Unavailable");
      return;
    }
  } else if (n) {
    AsyncWebHandler* h;
    ArBodyHandlerFunction fallback;
    {
      Lock lk(_mu);
      h = c->handler;
      if (!h) fallback = _onBody;
    }
    if (h) {
      h->handleBody(req, data, n, c->bodyGot, req->_contentLength);
    } else if (fallback) {
      fallback(req, data, n, c->bodyGot, req->_contentLength);
    }
  }
  c->bodyGot += n;
  {
    Lock lk(_mu);
    c->lastRxMs = port::millis();
    if (c->responded || c->tcpClaimed) return;
  }
  if (c->bodyGot < req->_contentLength) return;
  if (c->formBody) {
    req->_addParams(c->form.c_str(), c->form.length(), true);
    c->form = String();
  }
  _handle(c);
}

// The request is complete (rx, async_tcp): its handler (or not-found), then the response.
void AsyncWebServer::_handle(HttpConn* c) {
  AsyncWebServerRequest* req = c->req;
  AsyncWebHandler* h;
  {
    Lock lk(_mu);
    c->phase = HttpConn::kDone;
    h = c->handler;
  }
  req->_complete = true;
  if (req->_sent) {  // answered from a body function: that answer stands
    AsyncWebServerResponse* r = req->_response;
    req->_response = nullptr;
    _start(c, r);
    return;
  }
  ArRequestHandlerFunction nf;
  if (!h) {
    Lock lk(_mu);
    nf = _notFound;
  }
  // The server's middleware (unless the handler skips it), the handler's, then the handler (or
  // the not-found function). With middleware, the answer is written when the chain returns.
  AsyncWebHandler* chainOf = h ? h : &_catchAll;
  bool serverChain = !chainOf->mustSkipServerMiddlewares();
  req->_deferSend = (serverChain && _hasMiddleware()) || chainOf->_hasMiddleware();
  auto inner = [h, req, &nf, chainOf] {
    chainOf->_runChain(req, [h, req, &nf] {
      if (h) {
        h->handleRequest(req);
      } else if (nf) {
        nf(req);
      } else {
        req->send(404, "text/plain", "Not Found");
      }
    });
  };
  if (serverChain) {
    _runChain(req, inner);
  } else {
    inner();
  }
  req->_deferSend = false;
  if (req->_taken) return;
  if (req->_sent) {
    AsyncWebServerResponse* r = req->_response;
    req->_response = nullptr;
    if (r || !req->_started) _start(c, r);
    return;
  }
  req->send(500, "text/plain", "No response");
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
  c->startMs = c->lastRxMs = port::millis();
  c->phase = HttpConn::kHead;
  c->handler = nullptr;
  c->req = nullptr;
  c->bodyGot = 0;
  c->formBody = false;
  c->resp = nullptr;
  c->head = nullptr;
  c->headLen = c->headOff = 0;
  c->bodyDone = false;
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
  HttpConn::Phase phase;
  {
    Lock lk(s->_mu);
    if (c->tcpDown || c->tcpClaimed || c->responded) return;  // (drained at the next event)
    phase = c->phase;
  }
  // c stays alive to the end: `mark` holds a reference.
  uint8_t* p = static_cast<uint8_t*>(data);
  if (phase == HttpConn::kHead) {
    size_t consumed = 0;
    ws::HttpRequestParser::Result r = c->parser.feed(p, len, &consumed);
    if (r == ws::HttpRequestParser::Result::Error) {
      int code = c->parser.errorStatus() ? c->parser.errorStatus() : 400;
      c->parser.release();
      s->_answer(c, code, AsyncWebServerResponse::responseCodeToString(code));
    } else if (r == ws::HttpRequestParser::Result::Done) {
      s->_head(c, p + consumed, len - consumed);
    }
  } else if (phase == HttpConn::kBody) {
    s->_body(c, p, len);
  }
  if (scope.topLevel()) s->_drain(ac);
}

void AsyncWebServer::_onAck(void* arg, AsyncClient* ac, size_t, uint32_t) {
  HttpConn* c = static_cast<HttpConn*>(arg);
  AsyncWebServer* s = c->srv;
  NetGuard::Scope scope(s->_guard, NetGuard::kNetwork);
  if (scope.topLevel()) s->_drain(ac);
  bool pump;
  {
    Lock lk(s->_mu);
    pump = c->resp && !c->tcpClaimed;
    c->refs++;
  }
  if (pump) s->_pump(c);
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
  bool pump = false, headLate = false, bodyLate = false;
  {
    Lock lk(s->_mu);
    c->refs++;
    if (!c->tcpClaimed) {
      uint32_t now = port::millis();
      if (c->resp) {
        pump = true;
      } else if (!c->responded && c->phase == HttpConn::kHead && now - c->startMs >= HttpDefaults::kRequestTimeoutMs) {
        headLate = true;
      } else if (!c->responded && c->phase == HttpConn::kBody && now - c->lastRxMs >= HttpDefaults::kRequestTimeoutMs) {
        bodyLate = true;
      }
    }
  }
  if (headLate) {
    c->parser.release();  // safe: onData runs on this thread only, and not now
    s->_answer(c, 408, "Request Timeout");
  }
  if (bodyLate) s->_answer(c, 408, "Request Timeout");
  if (pump) s->_pump(c);
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
