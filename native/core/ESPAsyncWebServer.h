// ESPAsyncWebServer.h: twincore's drop-in for ESPAsyncWebServer 3.x. A sketch written for the
// ESP32Async library compiles against twincore's core with no source change (the supported subset
// and every difference: README, "Moving from ESPAsyncWebServer"): the same class names in the
// global namespace (AsyncWebServer, AsyncWebServerRequest, AsyncWebServerResponse and its kinds,
// AsyncWebSocket, AsyncWebSocketClient, ...), the same enum values (WebRequestMethod bits,
// AwsEventType, AwsFrameType, AwsClientStatus) and the same calls.
//
// What differs on purpose (the core's lifetime safety): ws.client(id) returns an
// AsyncWebSocketClientRef (a counted handle) instead of a raw pointer, ws.getClients() a snapshot
// of such handles instead of the live std::list, and an AsyncWebSocketClient* passed to an event
// callback is valid for that callback only.
//
// Threads and lifetimes: AsyncWebServer.h (HTTP) and AsyncWebSocket.h (WebSocket).
#pragma once
#include <Arduino.h>
#include <assert.h>

#include <functional>
#include <list>
#include <vector>

#include "AsyncTCP.h"
#include "AsyncWebServer.h"
#include "AsyncWebSocket.h"
#include "FS.h"

// ESPAsyncWebServer's log macros (its own logging goes to the ESP32 HAL log, as here).
#ifndef async_ws_log_e
#define async_ws_log_e(format, ...) log_e(format, ##__VA_ARGS__)
#define async_ws_log_w(format, ...) log_w(format, ##__VA_ARGS__)
#define async_ws_log_i(format, ...) log_i(format, ##__VA_ARGS__)
#define async_ws_log_d(format, ...) log_d(format, ##__VA_ARGS__)
#define async_ws_log_v(format, ...) log_v(format, ##__VA_ARGS__)
#endif

// ESPAsyncWebServer's helper namespace: the pieces sketches use (empty strings, method names,
// and the header-name and MIME-type constants).
namespace asyncsrv {
inline const String emptyString;
static constexpr const char* empty = "";
static constexpr const char* T_Accept_Ranges = "Accept-Ranges";
static constexpr const char* T_AUTH = "Authorization";
static constexpr const char* T_Cache_Control = "Cache-Control";
static constexpr const char* T_Connection = "Connection";
static constexpr const char* T_Content_Disposition = "Content-Disposition";
static constexpr const char* T_Content_Encoding = "Content-Encoding";
static constexpr const char* T_Content_Length = "Content-Length";
static constexpr const char* T_Content_Location = "Content-Location";
static constexpr const char* T_Content_Type = "Content-Type";
static constexpr const char* T_Cookie = "Cookie";
static constexpr const char* T_CORS_ACAC = "Access-Control-Allow-Credentials";
static constexpr const char* T_CORS_ACAH = "Access-Control-Allow-Headers";
static constexpr const char* T_CORS_ACAM = "Access-Control-Allow-Methods";
static constexpr const char* T_CORS_ACAO = "Access-Control-Allow-Origin";
static constexpr const char* T_CORS_ACMA = "Access-Control-Max-Age";
static constexpr const char* T_CORS_O = "Origin";
static constexpr const char* T_Date = "Date";
static constexpr const char* T_ETag = "ETag";
static constexpr const char* T_EXPECT = "Expect";
static constexpr const char* T_Host = "Host";
static constexpr const char* T_IMS = "If-Modified-Since";
static constexpr const char* T_INM = "If-None-Match";
static constexpr const char* T_Last_Modified = "Last-Modified";
static constexpr const char* T_LOCATION = "Location";
static constexpr const char* T_Server = "Server";
static constexpr const char* T_Transfer_Encoding = "Transfer-Encoding";
static constexpr const char* T_UPGRADE = "Upgrade";
static constexpr const char* T_WWW_AUTH = "WWW-Authenticate";
static constexpr const char* T_retry_after = "Retry-After";
static constexpr const char* T_no_cache = "no-cache";
static constexpr const char* T_none = "none";
static constexpr const char* T_gzip = "gzip";
static constexpr const char* T_attachment = "attachment";
static constexpr const char* T_inline = "inline";
static constexpr const char* T_name = "name";
static constexpr const char* T_filename = "filename";
static constexpr const char* T_app_xform_urlencoded = "application/x-www-form-urlencoded";
static constexpr const char* T_application_javascript = "application/javascript";
static constexpr const char* T_application_json = "application/json";
static constexpr const char* T_application_msgpack = "application/msgpack";
static constexpr const char* T_application_octet_stream = "application/octet-stream";
static constexpr const char* T_application_pdf = "application/pdf";
static constexpr const char* T_image_gif = "image/gif";
static constexpr const char* T_image_jpeg = "image/jpeg";
static constexpr const char* T_image_png = "image/png";
static constexpr const char* T_image_svg_xml = "image/svg+xml";
static constexpr const char* T_image_x_icon = "image/x-icon";
static constexpr const char* T_text_css = "text/css";
static constexpr const char* T_text_event_stream = "text/event-stream";
static constexpr const char* T_text_html = "text/html";
static constexpr const char* T_text_javascript = "text/javascript";
static constexpr const char* T_text_plain = "text/plain";
static constexpr const char* T_text_xml = "text/xml";
inline const char* methodToString(WebRequestMethod m) {
  switch (m) {
    case HTTP_GET: return "GET";
    case HTTP_POST: return "POST";
    case HTTP_DELETE: return "DELETE";
    case HTTP_PUT: return "PUT";
    case HTTP_PATCH: return "PATCH";
    case HTTP_HEAD: return "HEAD";
    case HTTP_OPTIONS: return "OPTIONS";
    default: return "UNKNOWN";
  }
}
}  // namespace asyncsrv

// The middleware ESPAsyncWebServer ships, over the core's chain (AsyncWebServer.h): they run on
// async_tcp one request at a time; configure them before begin().
class AsyncAuthenticationMiddleware : public AsyncMiddleware {
 public:
  void setUsername(const char* username) { _username = username ? username : ""; }
  void setPassword(const char* password) { _credentials = password ? password : ""; }
  void setToken(const char* token) { _credentials = token ? token : ""; }
  // A Digest hash (MD5 of user:realm:password) cannot be checked against Basic credentials: a
  // middleware given one refuses every request (README, "Moving from ESPAsyncWebServer").
  void setPasswordHash(const char* hash) {
    _credentials = hash ? hash : "";
    _isHash = true;
  }
  bool isHash() const { return _isHash; }
  void setRealm(const char* realm) { _realm = realm ? realm : ""; }
  void setAuthFailureMessage(const char* message) { _failMsg = message ? message : ""; }
  void setAuthType(AsyncAuthType type) { _type = type; }
  void setAuthentificationFunction(std::function<bool(AsyncWebServerRequest*)> fn) { _fn = std::move(fn); }
  bool generateHash() { return false; }  // (Digest hashes are not used: Basic compares the password)
  bool hasCredentials() const { return _credentials.length() > 0; }
  const String& username() const { return _username; }
  const String& realm() const { return _realm; }
  AsyncAuthType authType() const { return _type; }
  bool allowed(AsyncWebServerRequest* request) const {
    if (_fn) return _fn(request);
    switch (_type) {
      case AUTH_NONE: return true;
      case AUTH_DENIED: return false;
      case AUTH_BEARER: {
        const String& h = request->header("Authorization");
        return h.startsWith("Bearer ") && h.substring(7) == _credentials;
      }
      default: return !_isHash && request->authenticate(_username.c_str(), _credentials.c_str());
    }
  }
  void run(AsyncWebServerRequest* request, ArMiddlewareNext next) override {
    if (allowed(request)) {
      next();
    } else if (_type == AUTH_DENIED || _type == AUTH_BEARER || _type == AUTH_OTHER) {
      request->send(401, "text/plain", _failMsg.length() ? _failMsg : String("Unauthorized"));
    } else {
      request->requestAuthentication(_realm.c_str());
    }
  }

 private:
  String _username, _credentials, _failMsg;
  String _realm = "Login Required";
  AsyncAuthType _type = AUTH_NONE;
  bool _isHash = false;
  std::function<bool(AsyncWebServerRequest*)> _fn;
};

class AsyncAuthorizationMiddleware : public AsyncMiddleware {
 public:
  explicit AsyncAuthorizationMiddleware(std::function<bool(AsyncWebServerRequest*)> fn) : _code(403), _fn(std::move(fn)) {}
  AsyncAuthorizationMiddleware(int code, std::function<bool(AsyncWebServerRequest*)> fn) : _code(code), _fn(std::move(fn)) {}
  void run(AsyncWebServerRequest* request, ArMiddlewareNext next) override {
    if (_fn && !_fn(request)) {
      request->send(_code);
    } else {
      next();
    }
  }

 private:
  int _code;
  std::function<bool(AsyncWebServerRequest*)> _fn;
};

// Removes the named request headers before the handler (filter) / all but the named ones (keep).
class AsyncHeaderFilterMiddleware : public AsyncMiddleware {
 public:
  void filter(const char* name) { _names.push_back(name); }
  void unFilter(const char* name) { _names.remove(name); }
  void run(AsyncWebServerRequest* request, ArMiddlewareNext next) override {
    for (const char* n : _names) request->removeHeader(n);
    next();
  }

 private:
  std::list<const char*> _names;
};

class AsyncHeaderFreeMiddleware : public AsyncMiddleware {
 public:
  void keep(const char* name) { _keep.push_back(name); }
  void unKeep(const char* name) { _keep.remove(name); }
  void run(AsyncWebServerRequest* request, ArMiddlewareNext next) override {
    std::vector<String> drop;
    for (const AsyncWebHeader& h : request->getHeaders()) {
      bool kept = false;
      for (const char* k : _keep) kept = kept || h.name().equalsIgnoreCase(k);
      if (!kept) drop.push_back(h.name());
    }
    for (const String& n : drop) request->removeHeader(n.c_str());
    next();
  }

 private:
  std::list<const char*> _keep;
};

// One block per request to a Print (Serial): the request line and headers, then the status and
// the time taken.
class AsyncLoggingMiddleware : public AsyncMiddleware {
 public:
  void setOutput(Print& output) { _out = &output; }
  void setEnabled(bool enabled) { _enabled = enabled; }
  bool isEnabled() const { return _enabled && _out; }
  void run(AsyncWebServerRequest* request, ArMiddlewareNext next) override {
    if (!isEnabled()) {
      next();
      return;
    }
    _out->printf("* Connection from %s\n> %s %s HTTP/1.%u\n", request->remoteIP().toString().c_str(),
                 request->methodToString(), request->url().c_str(), unsigned(request->version()));
    for (const AsyncWebHeader& h : request->getHeaders()) {
      if (h.value().length()) _out->printf("> %s: %s\n", h.name().c_str(), h.value().c_str());
    }
    _out->println(">");
    uint32_t start = millis();
    next();
    AsyncWebServerResponse* r = request->getResponse();
    _out->printf("* Processed in %lu ms\n< HTTP/1.%u %d\n", (unsigned long)(millis() - start),
                 unsigned(request->version()), r ? r->code() : 0);
  }

 private:
  Print* _out = nullptr;
  bool _enabled = true;
};

// CORS: answers a preflight (OPTIONS with Origin) itself, adds the headers to other answers.
class AsyncCorsMiddleware : public AsyncMiddleware {
 public:
  void setOrigin(const char* origin) { _origin = origin; }
  void setMethods(const char* methods) { _methods = methods; }
  void setHeaders(const char* headers) { _headers = headers; }
  void setAllowCredentials(bool credentials) { _credentials = credentials; }
  void setMaxAge(uint32_t seconds) { _maxAge = seconds; }
  void addCORSHeaders(AsyncWebServerRequest* request, AsyncWebServerResponse* response) {
    response->addHeader(asyncsrv::T_CORS_ACAO, _origin.c_str());
    response->addHeader(asyncsrv::T_CORS_ACAM, _methods.c_str());
    response->addHeader(asyncsrv::T_CORS_ACAH, _headers.c_str());
    response->addHeader(asyncsrv::T_CORS_ACAC, _credentials ? "true" : "false");
    response->addHeader(asyncsrv::T_CORS_ACMA, String(_maxAge).c_str());
  }
  void run(AsyncWebServerRequest* request, ArMiddlewareNext next) override {
    if (request->method() == HTTP_OPTIONS && request->hasHeader(asyncsrv::T_CORS_O)) {
      AsyncWebServerResponse* response = request->beginResponse(200);
      if (response) addCORSHeaders(request, response);
      request->send(response);
      return;
    }
    next();
    AsyncWebServerResponse* response = request->getResponse();
    if (response) addCORSHeaders(request, response);
  }

 private:
  String _origin = "*";
  String _methods = "*";
  String _headers = "*";
  bool _credentials = true;
  uint32_t _maxAge = 86400;
};

// At most maxRequests per window (seconds), counted over every request it sees; beyond, 429
// with Retry-After.
class AsyncRateLimitMiddleware : public AsyncMiddleware {
 public:
  void setMaxRequests(size_t maxRequests) { _max = maxRequests; }
  void setWindowSize(uint32_t seconds) { _windowMs = seconds * 1000; }
  bool isRequestAllowed(uint32_t& retryAfterSeconds) {
    uint32_t now = millis();
    while (!_times.empty() && now - _times.front() >= _windowMs) _times.pop_front();
    if (_times.size() >= _max) {
      retryAfterSeconds = (_windowMs - (now - _times.front())) / 1000 + 1;
      return false;
    }
    _times.push_back(now);
    return true;
  }
  void run(AsyncWebServerRequest* request, ArMiddlewareNext next) override {
    uint32_t retry = 0;
    if (isRequestAllowed(retry)) {
      next();
      return;
    }
    AsyncWebServerResponse* response = request->beginResponse(429);
    if (response) response->addHeader(asyncsrv::T_retry_after, long(retry));
    request->send(response);
  }

 private:
  size_t _max = 0;
  uint32_t _windowMs = 0;
  std::list<uint32_t> _times;
};

// ESPAsyncWebServer's AsyncWebSocketMessageHandler: per-kind callbacks over one AwsEventHandler
// (ws.onEvent(handler.eventHandler())). onMessage gets messages that arrived in one chunk
// (final, index 0, whole length); onFragment every other chunk. Keep the object alive as long as
// the server may deliver events (a global, as upstream's examples do): eventHandler() refers to it.
class AsyncWebSocketMessageHandler {
 public:
  AwsEventHandler eventHandler() const {
    const AsyncWebSocketMessageHandler* self = this;
    return [self](AsyncWebSocket* server, AsyncWebSocketClient* client, AwsEventType type, void* arg, uint8_t* data,
                  size_t len) { self->_event(server, client, type, arg, data, len); };
  }
  void onConnect(std::function<void(AsyncWebSocket* server, AsyncWebSocketClient* client)> fn) { _onConnect = fn; }
  void onDisconnect(std::function<void(AsyncWebSocket* server, uint32_t clientId)> fn) { _onDisconnect = fn; }
  void onError(std::function<void(AsyncWebSocket* server, AsyncWebSocketClient* client, uint16_t errorCode,
                                  const char* reason, size_t len)>
                   fn) {
    _onError = fn;
  }
  void onMessage(std::function<void(AsyncWebSocket* server, AsyncWebSocketClient* client, const uint8_t* data, size_t len)> fn) {
    _onMessage = fn;
  }
  void onFragment(std::function<void(AsyncWebSocket* server, AsyncWebSocketClient* client, const AwsFrameInfo* frameInfo,
                                     const uint8_t* data, size_t len)>
                      fn) {
    _onFragment = fn;
  }

 private:
  void _event(AsyncWebSocket* server, AsyncWebSocketClient* client, AwsEventType type, void* arg, uint8_t* data,
              size_t len) const {
    if (type == WS_EVT_CONNECT) {
      if (_onConnect) _onConnect(server, client);
    } else if (type == WS_EVT_DISCONNECT) {
      if (_onDisconnect) _onDisconnect(server, client->id());
    } else if (type == WS_EVT_ERROR) {
      if (_onError) _onError(server, client, *static_cast<uint16_t*>(arg), reinterpret_cast<const char*>(data), len);
    } else if (type == WS_EVT_DATA) {
      const AwsFrameInfo* info = static_cast<const AwsFrameInfo*>(arg);
      if (info->final && info->index == 0 && info->len == len) {
        if (_onMessage) _onMessage(server, client, data, len);
      } else if (_onFragment) {
        _onFragment(server, client, info, data, len);
      }
    }
  }
  std::function<void(AsyncWebSocket*, AsyncWebSocketClient*)> _onConnect;
  std::function<void(AsyncWebSocket*, uint32_t)> _onDisconnect;
  std::function<void(AsyncWebSocket*, AsyncWebSocketClient*, uint16_t, const char*, size_t)> _onError;
  std::function<void(AsyncWebSocket*, AsyncWebSocketClient*, const uint8_t*, size_t)> _onMessage;
  std::function<void(AsyncWebSocket*, AsyncWebSocketClient*, const AwsFrameInfo*, const uint8_t*, size_t)> _onFragment;
};

#define ASYNCWEBSERVER_FORK_ESP32Async
#define ASYNCWEBSERVER_TWINCORE 1
// The ESPAsyncWebServer version whose API this drop-in follows.
#define ASYNCWEBSERVER_VERSION_MAJOR 3
#define ASYNCWEBSERVER_VERSION_MINOR 12
#define ASYNCWEBSERVER_VERSION_PATCH 0
#define ASYNCWEBSERVER_VERSION_VAL(major, minor, patch) ((major << 16) | (minor << 8) | (patch))
#define ASYNCWEBSERVER_VERSION_NUM \
  ASYNCWEBSERVER_VERSION_VAL(ASYNCWEBSERVER_VERSION_MAJOR, ASYNCWEBSERVER_VERSION_MINOR, ASYNCWEBSERVER_VERSION_PATCH)
#define ASYNCWEBSERVER_VERSION "3.12.0"
