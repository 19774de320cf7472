// AsyncWebServer.h: a minimal asynchronous HTTP/1.1 server on AsyncServer, in the API shape of
// ESPAsyncWebServer: handlers (AsyncWebHandler, on(path, method, fn), onNotFound), one request
// per connection, simple fully buffered responses (Connection: close). Its main job is to
// carry the WebSocket upgrade (AsyncWebSocket is an AsyncWebHandler).
//
// Ownership and lifetime:
//  - Each accepted AsyncClient gets an HttpConn (twincore::heap). The server owns both until
//    either the connection is closed (the AsyncClient then waits in the server's graveyard and
//    is deleted on async_tcp, see tc_net_guard.h) or a handler takes the AsyncClient over
//    (AsyncWebServerRequest::_takeClient(), used by the WebSocket upgrade).
//  - An AsyncWebServerRequest lives on the stack of the onData callback that completed the
//    request head: it is valid only while the handler runs. send() must be called before the
//    handler returns; a handler that does not send gets a 500 answer.
//  - Bounds: request head size (the parser answers 431/414/400), and time: a head not
//    complete within kRequestTimeoutMs is answered 408 and closed. A response the peer does
//    not read is closed by the ack timeout (onTimeout).
//  - Handlers added with addHandler() are not owned; on() creates owned handlers. A handler
//    must outlive the server or be removed with removeHandler() (AsyncWebSocket does that
//    itself in its destructor).
//
// Threads:
//  - begin(), end(), addHandler(), removeHandler(), on(), onNotFound() may be called from any
//    task. end() stops listening, closes every HTTP connection in flight and, when called
//    outside this server's callbacks, returns only once no callback of it runs and every
//    HttpConn and AsyncClient it owns is freed. end() does not end the handlers (an
//    AsyncWebSocket's clients are its own: call ws.end()).
//  - Handlers and the not-found function run on async_tcp with no lock of the server held.
//  - One non-recursive mutex (_mu) guards the connection list, the handler list and every
//    HttpConn; no user code, close() or abort() runs with it held.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "AsyncTCP.h"
#include "tc_net_guard.h"
#include "tc_port.h"

namespace twincore {

// Method bit values as in ESPAsyncWebServer.
typedef enum : uint8_t {
  HTTP_GET = 0b00000001,
  HTTP_POST = 0b00000010,
  HTTP_DELETE = 0b00000100,
  HTTP_PUT = 0b00001000,
  HTTP_PATCH = 0b00010000,
  HTTP_HEAD = 0b00100000,
  HTTP_OPTIONS = 0b01000000,
  HTTP_ANY = 0b01111111,
} WebRequestMethod;
typedef uint8_t WebRequestMethodComposite;

class AsyncWebServer;
class AsyncWebServerRequest;
struct HttpConn;

typedef std::function<void(AsyncWebServerRequest*)> ArRequestHandlerFunction;

// All HTTP defaults in one place, each with its reason.
struct HttpDefaults {
  // A request head must complete within this time (slowloris bound; AsyncTCP's rx timeout
  // granularity is a second, the poll 500 ms).
  static constexpr uint32_t kRequestTimeoutMs = 5000;
  // Largest response body send() accepts (fully buffered; the twin's send window is 5.7 KB).
  static constexpr size_t kMaxResponse = 16 * 1024;
};

class AsyncWebHandler {
 public:
  virtual ~AsyncWebHandler() = default;
  virtual bool canHandle(AsyncWebServerRequest* request) = 0;
  virtual void handleRequest(AsyncWebServerRequest* request) = 0;
  // twincore: called (under no lock) when the handler is added to / removed from a server.
  virtual void _attached(AsyncWebServer*) {}
  virtual void _detached(AsyncWebServer*) {}
};

class AsyncWebServerRequest {
 public:
  WebRequestMethod method() const { return _method; }
  const char* methodToString() const;
  // The path without the query string.
  const char* url() const;
  const char* query() const;
  // The value of a request header (case-insensitive name), or nullptr.
  const char* header(const char* name) const;
  bool hasHeader(const char* name) const { return header(name) != nullptr; }
  IPAddress remoteIP() const;
  // The connection's AsyncClient (valid during the handler; do not close or delete it).
  AsyncClient* client() const;

  // Queues a complete response (Content-Length, Connection: close) and closes the connection
  // once it is written. extraHeaders: "Name: value\r\n" lines, may be null. The first call
  // wins; false when already answered or the heap is exhausted (the connection is closed).
  bool send(int code, const char* contentType = nullptr, const char* content = nullptr,
            const char* extraHeaders = nullptr);
  bool send(int code, const char* contentType, const std::string& content) {
    return send(code, contentType, content.c_str());
  }
  bool sent() const { return _sent; }

  // --- twincore internals (used by AsyncWebSocket) ---
  // Takes the AsyncClient over: the HTTP server forgets it (no callback of the server runs for
  // it any more, it will not close or delete it). Returns nullptr when the connection is
  // already closing (the server is ending) or a response was sent. *rest/*restLen: bytes that
  // followed the request head in the same segment (valid during the handler).
  AsyncClient* _takeClient(const uint8_t** rest, size_t* restLen);

 private:
  friend class AsyncWebServer;
  AsyncWebServerRequest(AsyncWebServer* s, HttpConn* c, WebRequestMethod m, const uint8_t* rest,
                        size_t restLen)
      : _srv(s), _conn(c), _method(m), _rest(rest), _restLen(restLen) {}
  AsyncWebServer* _srv;
  HttpConn* _conn;
  WebRequestMethod _method;
  const uint8_t* _rest;
  size_t _restLen;
  bool _sent = false;
  bool _taken = false;
};

class AsyncWebServer {
 public:
  explicit AsyncWebServer(uint16_t port);
  ~AsyncWebServer();
  AsyncWebServer(const AsyncWebServer&) = delete;
  AsyncWebServer& operator=(const AsyncWebServer&) = delete;

  // Starts listening (again after end()). When listening fails (boundPort() stays 0) a later
  // begin() retries; begin() on a listening server does nothing. Not concurrently with itself.
  void begin();
  void end();
  bool running() const;

  AsyncWebHandler& addHandler(AsyncWebHandler* handler);
  bool removeHandler(AsyncWebHandler* handler);
  // Adds an owned handler for an exact path and a method mask. Returns it (nullptr when the
  // heap is exhausted).
  AsyncWebHandler* on(const char* uri, WebRequestMethodComposite method, ArRequestHandlerFunction fn);
  void onNotFound(ArRequestHandlerFunction fn);
  void reset();  // removes every handler and the not-found function

  struct Stats {
    uint32_t connections;  // HttpConns alive (open or closing)
    uint32_t requests;     // requests dispatched since construction
    uint32_t errors;       // 4xx/5xx answered by the server itself (parse errors, 404, 408, 503)
    uint32_t upgraded;     // connections taken over by a handler
  };
  Stats stats() const;
  // Twin extension: the host port bound (0 when not listening).
  uint16_t boundPort() { return _server.boundPort(); }

  // --- internals ---
  // Returns once no callback of this server is running (no-op inside one of them).
  void _waitQuiet();
  static void _onClient(void* arg, AsyncClient* ac);
  static void _onData(void* arg, AsyncClient* ac, void* data, size_t len);
  static void _onAck(void* arg, AsyncClient* ac, size_t len, uint32_t time);
  static void _onPoll(void* arg, AsyncClient* ac);
  static void _onTimeout(void* arg, AsyncClient* ac, uint32_t time);
  static void _onDisconnect(void* arg, AsyncClient* ac);

 private:
  friend class AsyncWebServerRequest;
  struct HandlerNode;
  struct RxMark;

  void _drain(AsyncClient* except);
  void _closeTcp(HttpConn* c);
  void _tcpDown(HttpConn* c);
  AsyncClient* _take(HttpConn* c);
  void _unrefLocked(HttpConn* c);
  bool _flushLocked(HttpConn* c);  // true: fully written, close now
  bool _respond(HttpConn* c, int code, const char* contentType, const char* body, size_t bodyLen,
                const char* extraHeaders);
  void _dispatch(HttpConn* c, const uint8_t* rest, size_t restLen);

  AsyncServer _server;
  mutable port::Mutex _mu;
  NetGuard _guard;
  // _mu:
  bool _running = false;
  HttpConn* _conns = nullptr;  // open connections (doubly linked)
  HttpConn* _grave = nullptr;  // closed connections whose AsyncClient awaits deletion
  HandlerNode* _handlers = nullptr;
  ArRequestHandlerFunction _notFound;  // copied under _mu before a call
  uint32_t _live = 0, _requests = 0, _errors = 0, _upgraded = 0;
};

}  // namespace twincore

using twincore::AsyncWebHandler;
using twincore::AsyncWebServer;
using twincore::AsyncWebServerRequest;
using twincore::ArRequestHandlerFunction;
using twincore::WebRequestMethod;
using twincore::WebRequestMethodComposite;
using twincore::HTTP_GET;
using twincore::HTTP_POST;
using twincore::HTTP_DELETE;
using twincore::HTTP_PUT;
using twincore::HTTP_PATCH;
using twincore::HTTP_HEAD;
using twincore::HTTP_OPTIONS;
using twincore::HTTP_ANY;
