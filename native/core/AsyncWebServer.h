// AsyncWebServer.h: the asynchronous HTTP/1.1 server on AsyncServer, in the API shape of
// ESPAsyncWebServer 3.x (the subset networked firmware uses; README "Moving from
// ESPAsyncWebServer" lists it): handlers (on(uri[, method], fn[, onUpload, onBody]), addHandler,
// serveStatic, onNotFound, onRequestBody), requests with headers, query and form parameters and
// bodies, responses built with beginResponse() + addHeader() and streamed to the peer (strings,
// PROGMEM data, files, Streams, fillers, %TEMPLATE% processing, AsyncResponseStream). One request
// per connection (Connection: close). It also carries the WebSocket upgrade (AsyncWebSocket is an
// AsyncWebHandler).
//
// Ownership and lifetime:
//  - Each accepted AsyncClient gets an HttpConn (twincore::heap). The server owns both until
//    either the connection is closed (the AsyncClient then waits in the server's graveyard and
//    is deleted on async_tcp, see tc_net_guard.h) or a handler takes the AsyncClient over
//    (AsyncWebServerRequest::_takeClient(), used by the WebSocket upgrade).
//  - An AsyncWebServerRequest is created when the request head is complete and lives until its
//    connection is freed. For the application it is valid while a handler, body or upload
//    callback runs with it; keeping the pointer past that (to answer later) is a use-after-free
//    once the connection closes, exactly as with upstream. send() must be called before the
//    request handler returns (the first send wins; a handler that sends nothing gets a 500);
//    called from the request handler it starts writing at once, from a body function once the
//    body is complete (a handler's send() after that is ignored).
//  - beginResponse() returns a response owned by the caller until send(response) takes it (send
//    deletes it if the request was already answered); the connection deletes it when freed.
//    Pointers a response reads from (send(code, type, const uint8_t*, len), a template page, a
//    Stream) must stay valid until the response is sent, as with upstream.
//  - Bounds: request head size (the parser answers 431/414/400); a urlencoded body of at most
//    HttpDefaults::kMaxFormBody bytes (413 beyond; other bodies are streamed to onBody, any size);
//    time: a head not complete within kRequestTimeoutMs is answered 408, a body that stalls for
//    as long is closed. A response the peer does not read is closed by the ack timeout.
//  - Handlers added with addHandler() are owned by the server (deleted by reset(), removeHandler()
//    and the destructor), as upstream does; an AsyncWebSocket is the exception: it is the
//    application's (a global) and removes itself in its destructor. on() and serveStatic()
//    create owned handlers.
//
// Threads:
//  - begin(), end(), addHandler(), removeHandler(), on(), serveStatic(), onNotFound(),
//    onRequestBody(), reset() may be called from any task. end() stops listening, closes every
//    HTTP connection in flight and, when called outside this server's callbacks, returns only
//    once no callback of it runs and every HttpConn and AsyncClient it owns is freed. end() does
//    not end the handlers (an AsyncWebSocket's clients are its own: call ws.end()).
//  - Handlers, filters, body/upload functions, the not-found function, template processors and
//    response fillers run on async_tcp with no lock of the server held. Handler settings
//    (setFilter, setDefaultFile, ...) are configuration: set them before begin().
//  - One non-recursive mutex (_mu) guards the connection list, the handler list and every
//    HttpConn; no user code, close() or abort() runs with it held. Response and request objects
//    are destroyed with it held (their destructors must not call into the server).
#pragma once
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <list>
#include <string>
#include <vector>

#include "AsyncTCP.h"
#include "FS.h"
#include "Print.h"
#include "Stream.h"
#include "WString.h"
#include "tc_net_guard.h"
#include "tc_port.h"

namespace twincore {

// Method bits as in ESPAsyncWebServer 3.x (AsyncWebRequestMethod).
typedef enum : uint32_t {
  HTTP_UNKNOWN = 0u,
  HTTP_DELETE = 1u << 0,
  HTTP_GET = 1u << 1,
  HTTP_HEAD = 1u << 2,
  HTTP_POST = 1u << 3,
  HTTP_PUT = 1u << 4,
  HTTP_CONNECT = 1u << 5,
  HTTP_OPTIONS = 1u << 6,
  HTTP_TRACE = 1u << 7,
  HTTP_PATCH = 1u << 20,
  HTTP_INVALID = 1u << 31,
  HTTP_ALL = (1u << 31) - 1,
  HTTP_ANY = (1u << 31) - 1,
} WebRequestMethod;
typedef uint32_t WebRequestMethodComposite;

// RESPONSE_TRY_AGAIN: a filler has no data yet (asked again at the next poll or ack).
#define RESPONSE_TRY_AGAIN 0xFFFFFFFF
#ifndef TEMPLATE_PLACEHOLDER
#define TEMPLATE_PLACEHOLDER '%'
#endif
#ifndef TEMPLATE_PARAM_NAME_LENGTH
#define TEMPLATE_PARAM_NAME_LENGTH 32
#endif

// ESPAsyncWebServer's authentication kinds. Basic and Bearer are checked; Digest is answered and
// checked as Basic (README, "Moving from ESPAsyncWebServer").
typedef enum {
  AUTH_NONE = 0,
  AUTH_BASIC = 1,
  AUTH_DIGEST = 2,
  AUTH_BEARER = 3,
  AUTH_OTHER = 4,
  AUTH_DENIED = 255,
} AsyncAuthType;

class AsyncWebServer;
class AsyncWebServerRequest;
class AsyncWebServerResponse;
class AsyncResponseStream;
class AsyncCallbackWebHandler;
class AsyncStaticWebHandler;
struct HttpConn;

typedef std::function<void(AsyncWebServerRequest*)> ArRequestHandlerFunction;
typedef std::function<void(AsyncWebServerRequest*, const String& filename, size_t index, uint8_t* data, size_t len,
                           bool final)>
    ArUploadHandlerFunction;
typedef std::function<void(AsyncWebServerRequest*, uint8_t* data, size_t len, size_t index, size_t total)>
    ArBodyHandlerFunction;
typedef std::function<bool(AsyncWebServerRequest*)> ArRequestFilterFunction;
typedef std::function<void(void)> ArDisconnectHandler;
typedef std::function<size_t(uint8_t* buffer, size_t maxLen, size_t index)> AwsResponseFiller;
typedef std::function<String(const String&)> AwsTemplateProcessor;

// All HTTP defaults in one place, each with its reason.
struct HttpDefaults {
  // A request head must complete within this time (slowloris bound; AsyncTCP's rx timeout
  // granularity is a second, the poll 500 ms); a body may stall for as long.
  static constexpr uint32_t kRequestTimeoutMs = 5000;
  // Largest urlencoded body parsed into parameters (it is held whole); 413 beyond.
  static constexpr size_t kMaxFormBody = 16 * 1024;
  // Bytes a response produces per fill (one TCP segment): the heap a response in flight takes.
  static constexpr size_t kFillChunk = 1436;
  // Largest AsyncResponseStream body (it is held whole before sending); writes beyond fail.
  static constexpr size_t kMaxStreamBody = 64 * 1024;
};

class AsyncWebParameter {
 public:
  AsyncWebParameter(const String& name, const String& value, bool form = false, bool file = false, size_t size = 0)
      : _name(name), _value(value), _size(size), _isForm(form), _isFile(file) {}
  const String& name() const { return _name; }
  const String& value() const { return _value; }
  size_t size() const { return _size; }
  bool isPost() const { return _isForm; }
  bool isFile() const { return _isFile; }

 private:
  String _name;
  String _value;
  size_t _size;
  bool _isForm;
  bool _isFile;
};

class AsyncWebHeader {
 public:
  AsyncWebHeader() = default;
  AsyncWebHeader(const String& name, const String& value) : _name(name), _value(value) {}
  AsyncWebHeader(const char* name, const char* value) : _name(name), _value(value) {}
  const String& name() const { return _name; }
  const String& value() const { return _value; }
  String toString() const { return _name + ": " + _value + "\r\n"; }
  explicit operator bool() const { return _name.length() > 0; }
  // "Name: value" (spaces and tabs after the colon skipped); an empty header (false) when it is
  // not one (no colon, no name, a CR or LF).
  static AsyncWebHeader parse(const char* data);
  static AsyncWebHeader parse(const String& data) { return parse(data.c_str()); }

 private:
  String _name;
  String _value;
};

// Middleware (ESPAsyncWebServer 3.x): functions run before a handler, in the order added; each
// calls next() to go on, or answers and returns (the handler then does not run). The server's
// chain runs first, then the chosen handler's. A chain is configuration: add to it before
// begin(). Middleware given by pointer stays the application's; addMiddleware(fn) makes an owned
// one (freed with the chain).
typedef std::function<void(void)> ArMiddlewareNext;
typedef std::function<void(AsyncWebServerRequest* request, ArMiddlewareNext next)> ArMiddlewareCallback;

class AsyncMiddleware {
 public:
  virtual ~AsyncMiddleware() = default;
  virtual void run(AsyncWebServerRequest* request, ArMiddlewareNext next) { next(); }

 private:
  friend class AsyncMiddlewareChain;
  bool _freeOnRemoval = false;
};

class AsyncMiddlewareFunction : public AsyncMiddleware {
 public:
  explicit AsyncMiddlewareFunction(ArMiddlewareCallback fn) : _fn(std::move(fn)) {}
  void run(AsyncWebServerRequest* request, ArMiddlewareNext next) override { _fn(request, std::move(next)); }

 private:
  ArMiddlewareCallback _fn;
};

class AsyncMiddlewareChain {
 public:
  AsyncMiddlewareChain() = default;
  AsyncMiddlewareChain(const AsyncMiddlewareChain&) = delete;
  AsyncMiddlewareChain& operator=(const AsyncMiddlewareChain&) = delete;
  ~AsyncMiddlewareChain();
  void addMiddleware(ArMiddlewareCallback fn);
  void addMiddleware(AsyncMiddleware* middleware);
  void addMiddlewares(std::vector<AsyncMiddleware*> middlewares);
  bool removeMiddleware(AsyncMiddleware* middleware);
  // Runs the chain, then finalizer (unless a middleware did not call next).
  void _runChain(AsyncWebServerRequest* request, ArMiddlewareNext finalizer);
  bool _hasMiddleware() const { return !_middlewares.empty(); }

 protected:
  std::list<AsyncMiddleware*> _middlewares;
};

class AsyncWebHandler : public AsyncMiddlewareChain {
 public:
  virtual ~AsyncWebHandler() = default;
  // The request goes to this handler only when the filter (if any) returns true.
  AsyncWebHandler& setFilter(ArRequestFilterFunction fn);
  bool filter(AsyncWebServerRequest* request);
  // HTTP Basic authentication for this handler (401 with a Basic challenge otherwise). Upstream's
  // default, Digest, is not implemented: any authMethod argument asks for Basic.
  AsyncWebHandler& setAuthentication(const char* username, const char* password, int authMethod = 0);
  AsyncWebHandler& setAuthentication(const String& username, const String& password, int authMethod = 0) {
    return setAuthentication(username.c_str(), password.c_str(), authMethod);
  }
  virtual bool canHandle(AsyncWebServerRequest* request) const { return false; }
  virtual void handleRequest(AsyncWebServerRequest* request) {}
  virtual void handleUpload(AsyncWebServerRequest* request, const String& filename, size_t index, uint8_t* data,
                            size_t len, bool final) {}
  virtual void handleBody(AsyncWebServerRequest* request, uint8_t* data, size_t len, size_t index, size_t total) {}
  virtual bool isRequestHandlerTrivial() const { return true; }
  // The server's middleware does not run for this handler's requests (only its own).
  AsyncWebHandler& setSkipServerMiddlewares(bool state) {
    _skipServerMiddlewares = state;
    return *this;
  }
  AsyncWebHandler& skipServerMiddlewares() { return setSkipServerMiddlewares(true); }
  bool mustSkipServerMiddlewares() const { return _skipServerMiddlewares; }
  // twincore: called (under no lock) when the handler is added to / removed from a server.
  virtual void _attached(AsyncWebServer*) {}
  virtual void _detached(AsyncWebServer*) {}
  // twincore: an owned handler is deleted by the server that removes it (AsyncWebSocket: false).
  virtual bool _ownedByServer() const { return true; }
  // twincore: true when the request must authenticate first (setAuthentication), answered.
  bool _authRequired(AsyncWebServerRequest* request);

 protected:
  ArRequestFilterFunction _filter;
  String _username;
  String _password;
  bool _skipServerMiddlewares = false;
};

// ESPAsyncWebServer's headers added to every response (a CORS origin, a Server name):
// DefaultHeaders::Instance().addHeader(name, value) in setup(), before begin() (configuration:
// read by every response's constructor on async_tcp, never locked).
class DefaultHeaders {
 public:
  typedef std::list<AsyncWebHeader>::const_iterator ConstIterator;
  void addHeader(const String& name, const String& value) { _headers.emplace_back(name, value); }
  ConstIterator begin() const { return _headers.begin(); }
  ConstIterator end() const { return _headers.end(); }
  DefaultHeaders(const DefaultHeaders&) = delete;
  DefaultHeaders& operator=(const DefaultHeaders&) = delete;
  static DefaultHeaders& Instance() {
    static DefaultHeaders instance;
    return instance;
  }

 private:
  DefaultHeaders() = default;
  std::list<AsyncWebHeader> _headers;
};

// A response: status, headers and a body produced on demand (see _fill). The subclasses below
// are ESPAsyncWebServer's; beginResponse()/beginChunkedResponse()/beginResponseStream() make them.
class AsyncWebServerResponse {
 public:
  AsyncWebServerResponse() {
    for (const AsyncWebHeader& h : DefaultHeaders::Instance()) _headers.push_back(h);
  }
  virtual ~AsyncWebServerResponse();
  AsyncWebServerResponse(const AsyncWebServerResponse&) = delete;
  AsyncWebServerResponse& operator=(const AsyncWebServerResponse&) = delete;

  void setCode(int code) { _code = code; }
  int code() const { return _code; }
  void setContentLength(size_t len) {
    _contentLength = len;
    _sendContentLength = true;
  }
  void setContentType(const char* type) { _contentType = type ? type : ""; }
  void setContentType(const String& type) { _contentType = type; }
  bool addHeader(const char* name, const char* value, bool replaceExisting = true);
  bool addHeader(const String& name, const String& value, bool replaceExisting = true) {
    return addHeader(name.c_str(), value.c_str(), replaceExisting);
  }
  bool addHeader(const char* name, long value, bool replaceExisting = true) {
    return addHeader(name, String(value).c_str(), replaceExisting);
  }
  bool addHeader(const String& name, long value, bool replaceExisting = true) {
    return addHeader(name.c_str(), value, replaceExisting);
  }
  bool addHeader(const AsyncWebHeader& header, bool replaceExisting = true) {
    return header && addHeader(header.name().c_str(), header.value().c_str(), replaceExisting);
  }
  bool removeHeader(const char* name);
  bool removeHeader(const char* name, const char* value);  // only when it has that value
  const AsyncWebHeader* getHeader(const char* name) const;
  const std::list<AsyncWebHeader>& getHeaders() const { return _headers; }
  static const char* responseCodeToString(int code);

  // --- twincore internals (the server calls these on async_tcp, under no lock) ---
  // The status line and headers (Content-Length when known, Connection: close).
  void _assembleHead(String& out, uint8_t version);
  // Up to maxLen body bytes into buf, %TEMPLATE% placeholders replaced when a processor is
  // set; 0 at the end of the body, RESPONSE_TRY_AGAIN when a filler has nothing yet.
  size_t _fill(uint8_t* buf, size_t maxLen);
  virtual bool _sourceValid() const { return true; }
  void _setTemplate(AwsTemplateProcessor cb);

 protected:
  // The raw body, from offset `index`: bytes written, 0 at the end, or RESPONSE_TRY_AGAIN.
  virtual size_t _content(uint8_t* buf, size_t maxLen, size_t index) { return 0; }

  int _code = 200;
  std::list<AsyncWebHeader> _headers;
  String _contentType;
  size_t _contentLength = 0;
  bool _sendContentLength = false;  // false: the body ends when the connection closes

 private:
  int _raw();  // next raw byte, -1 at the end, -2 try again (template mode)
  size_t _index = 0;
  AwsTemplateProcessor _callback;
  // Template state: raw bytes read ahead, the placeholder being read, output pending.
  uint8_t* _ra = nullptr;  // twincore::heap, kFillChunk bytes, while templating
  size_t _raLen = 0, _raPos = 0;
  bool _rawEnd = false;
  bool _inVar = false;
  String _var;
  String _pend;
  size_t _pendPos = 0;
};

// A body held in a String (copied).
class AsyncBasicResponse : public AsyncWebServerResponse {
 public:
  explicit AsyncBasicResponse(int code, const char* contentType = "", const char* content = "");
  AsyncBasicResponse(int code, const String& contentType, const String& content);

 protected:
  size_t _content(uint8_t* buf, size_t maxLen, size_t index) override;
  String _body;
};

// ESPAsyncWebServer's base for custom responses: override _fillBuffer (bytes written, 0 at the
// end, RESPONSE_TRY_AGAIN when nothing is ready) and set _code/_contentType/_contentLength.
class AsyncAbstractResponse : public AsyncWebServerResponse {
 public:
  explicit AsyncAbstractResponse(AwsTemplateProcessor callback = nullptr) { _setTemplate(std::move(callback)); }

 protected:
  virtual size_t _fillBuffer(uint8_t* buf, size_t maxLen) { return 0; }
  size_t _content(uint8_t* buf, size_t maxLen, size_t) override { return _fillBuffer(buf, maxLen); }
};

// A body read in place (not copied): a PROGMEM page or any buffer that outlives the response.
class AsyncProgmemResponse : public AsyncWebServerResponse {
 public:
  AsyncProgmemResponse(int code, const char* contentType, const uint8_t* content, size_t len,
                       AwsTemplateProcessor callback = nullptr);

 protected:
  size_t _content(uint8_t* buf, size_t maxLen, size_t index) override;
  const uint8_t* _data;
  size_t _len;
};

// A body from a filler callback: known length (beginResponse(type, len, filler)) or, chunked,
// until the filler returns 0 (sent close-delimited: no Content-Length, the connection closes).
class AsyncCallbackResponse : public AsyncWebServerResponse {
 public:
  AsyncCallbackResponse(const char* contentType, size_t len, AwsResponseFiller callback,
                        AwsTemplateProcessor templateCallback = nullptr, bool chunked = false);

 protected:
  size_t _content(uint8_t* buf, size_t maxLen, size_t index) override;
  AwsResponseFiller _filler;
  size_t _len;
  bool _chunked;
};
typedef AsyncCallbackResponse AsyncChunkedResponse;

// A body read from a Stream (len bytes).
class AsyncStreamResponse : public AsyncWebServerResponse {
 public:
  AsyncStreamResponse(Stream& stream, const char* contentType, size_t len, AwsTemplateProcessor callback = nullptr);

 protected:
  size_t _content(uint8_t* buf, size_t maxLen, size_t index) override;
  Stream* _stream;
  size_t _len;
};

// A file (the File is kept open until the response is freed). Content-Type from the extension
// unless given; download = true adds Content-Disposition: attachment; a "<path>.gz" file found
// instead of path is sent with Content-Encoding: gzip.
class AsyncFileResponse : public AsyncWebServerResponse {
 public:
  AsyncFileResponse(fs::FS& fs, const String& path, const char* contentType = "", bool download = false,
                    AwsTemplateProcessor callback = nullptr);
  AsyncFileResponse(fs::File content, const String& path, const char* contentType = "", bool download = false,
                    AwsTemplateProcessor callback = nullptr);
  ~AsyncFileResponse() override;
  bool _sourceValid() const override { return bool(_file); }
  static const char* contentTypeFor(const String& path);

 protected:
  size_t _content(uint8_t* buf, size_t maxLen, size_t index) override;
  void _setup(const String& path, const char* contentType, bool download);
  fs::File _file;
};

// A Print the handler writes the body into (held whole, at most HttpDefaults::kMaxStreamBody),
// then send(response).
class AsyncResponseStream : public AsyncWebServerResponse, public Print {
 public:
  explicit AsyncResponseStream(const char* contentType, size_t bufferSize = 1460);
  ~AsyncResponseStream() override;
  size_t write(uint8_t c) override { return write(&c, 1); }
  size_t write(const uint8_t* data, size_t len) override;
  using Print::write;
  size_t available() const { return _len - _pos; }

 protected:
  size_t _content(uint8_t* buf, size_t maxLen, size_t index) override;
  uint8_t* _buf = nullptr;  // twincore::heap
  size_t _cap = 0, _len = 0, _pos = 0;
};

class AsyncWebServerRequest {
 public:
  ~AsyncWebServerRequest();
  WebRequestMethod method() const { return _method; }
  const char* methodToString() const;
  uint8_t version() const { return _version; }  // 1 for HTTP/1.1, 0 for HTTP/1.0
  // The path without the query string, %-decoded.
  const String& url() const { return _url; }
  const String& host() const { return _host; }
  const String& contentType() const { return _contentType; }
  size_t contentLength() const { return _contentLength; }
  bool multipart() const { return false; }
  bool isWebSocketUpgrade() const;
  IPAddress remoteIP() const;
  // The connection's AsyncClient (valid during the handler; do not close or delete it).
  AsyncClient* client() const;

  // Headers (case-insensitive names; repeated headers joined with ", ").
  const String& header(const char* name) const;
  const String& header(const String& name) const { return header(name.c_str()); }
  const String& header(size_t i) const;
  const String& header(int i) const { return i < 0 ? _empty() : header(size_t(i)); }
  const String& headerName(size_t i) const;
  const String& headerName(int i) const { return i < 0 ? _empty() : headerName(size_t(i)); }
  bool hasHeader(const char* name) const { return getHeader(name) != nullptr; }
  bool hasHeader(const String& name) const { return hasHeader(name.c_str()); }
  const AsyncWebHeader* getHeader(const char* name) const;
  const AsyncWebHeader* getHeader(const String& name) const { return getHeader(name.c_str()); }
  const AsyncWebHeader* getHeader(size_t i) const;
  const AsyncWebHeader* getHeader(int i) const { return i < 0 ? nullptr : getHeader(size_t(i)); }
  size_t headers() const { return _headers.size(); }
  const std::list<AsyncWebHeader>& getHeaders() const { return _headers; }
  bool removeHeader(const char* name);
  void removeHeaders() { _headers.clear(); }
  size_t getHeaderNames(std::vector<const char*>& names) const {
    for (const AsyncWebHeader& h : _headers) names.push_back(h.name().c_str());
    return _headers.size();
  }
  void addInterestingHeader(const char*) {}  // (every header is kept, as upstream 3.x does)
  void addInterestingHeader(const String&) {}
  bool isHTTP() const { return !isWebSocketUpgrade(); }
  // Called once when the connection closes (answered or not, by either side), on the thread
  // that closes it (async_tcp, or the task calling server.end()), with no lock held. Not for a
  // WebSocket upgrade (the connection is the WebSocket's then).
  void onDisconnect(ArDisconnectHandler fn);

  // Attributes: named values a middleware leaves for the next ones and the handler.
  void setAttribute(const char* name, const char* value) { _attr(name) = value ? value : ""; }
  void setAttribute(const char* name, bool value) { _attr(name) = value ? "1" : ""; }
  void setAttribute(const char* name, long value) { _attr(name) = String(value); }
  void setAttribute(const char* name, float value, unsigned int decimalPlaces = 2) {
    _attr(name) = String(value, decimalPlaces);
  }
  void setAttribute(const char* name, double value, unsigned int decimalPlaces = 2) {
    _attr(name) = String(value, decimalPlaces);
  }
  bool hasAttribute(const char* name) const { return _findAttr(name) != nullptr; }
  const String& getAttribute(const char* name, const String& defaultValue = String()) const {
    const String* v = _findAttr(name);
    return v ? *v : defaultValue;
  }
  bool getAttribute(const char* name, bool defaultValue) const {
    const String* v = _findAttr(name);
    return v ? v->length() > 0 : defaultValue;
  }
  long getAttribute(const char* name, long defaultValue) const {
    const String* v = _findAttr(name);
    return v ? v->toInt() : defaultValue;
  }
  float getAttribute(const char* name, float defaultValue) const {
    const String* v = _findAttr(name);
    return v ? v->toFloat() : defaultValue;
  }
  double getAttribute(const char* name, double defaultValue) const {
    const String* v = _findAttr(name);
    return v ? v->toDouble() : defaultValue;
  }

  // Parameters: the query string's (post false) and a urlencoded body's (post true).
  size_t params() const { return _params.size(); }
  bool hasParam(const char* name, bool post = false, bool file = false) const {
    return getParam(name, post, file) != nullptr;
  }
  bool hasParam(const String& name, bool post = false, bool file = false) const {
    return hasParam(name.c_str(), post, file);
  }
  const AsyncWebParameter* getParam(const char* name, bool post = false, bool file = false) const;
  const AsyncWebParameter* getParam(const String& name, bool post = false, bool file = false) const {
    return getParam(name.c_str(), post, file);
  }
  const AsyncWebParameter* getParam(size_t num) const;
  const AsyncWebParameter* getParam(int num) const { return num < 0 ? nullptr : getParam(size_t(num)); }
  // arg(): the value of the first parameter of that name, query or body ("" when absent).
  size_t args() const { return params(); }
  const String& arg(const char* name) const;
  const String& arg(const String& name) const { return arg(name.c_str()); }
  const String& arg(size_t i) const;
  const String& arg(int i) const { return i < 0 ? _empty() : arg(size_t(i)); }
  const String& argName(size_t i) const;
  const String& argName(int i) const { return i < 0 ? _empty() : argName(size_t(i)); }
  bool hasArg(const char* name) const;
  bool hasArg(const String& name) const { return hasArg(name.c_str()); }
  static String urlDecode(const String& text);

  // Answers. The first send wins; later ones are ignored (a response passed in is deleted).
  void send(AsyncWebServerResponse* response);
  void send(int code, const char* contentType = "", const char* content = "", AwsTemplateProcessor callback = nullptr) {
    send(beginResponse(code, contentType, content, callback));
  }
  void send(int code, const String& contentType, const char* content = "", AwsTemplateProcessor callback = nullptr) {
    send(beginResponse(code, contentType.c_str(), content, callback));
  }
  void send(int code, const String& contentType, const String& content, AwsTemplateProcessor callback = nullptr) {
    send(beginResponse(code, contentType.c_str(), content.c_str(), callback));
  }
  void send(int code, const char* contentType, const uint8_t* content, size_t len, AwsTemplateProcessor callback = nullptr) {
    send(beginResponse(code, contentType, content, len, callback));
  }
  void send(int code, const String& contentType, const uint8_t* content, size_t len,
            AwsTemplateProcessor callback = nullptr) {
    send(beginResponse(code, contentType.c_str(), content, len, callback));
  }
  void send(fs::FS& fs, const String& path, const char* contentType = "", bool download = false,
            AwsTemplateProcessor callback = nullptr);
  void send(fs::FS& fs, const String& path, const String& contentType, bool download = false,
            AwsTemplateProcessor callback = nullptr) {
    send(fs, path, contentType.c_str(), download, callback);
  }
  void send(fs::File content, const String& path, const char* contentType = "", bool download = false,
            AwsTemplateProcessor callback = nullptr);
  void send(Stream& stream, const char* contentType, size_t len, AwsTemplateProcessor callback = nullptr) {
    send(beginResponse(stream, contentType, len, callback));
  }
  void send(Stream& stream, const String& contentType, size_t len, AwsTemplateProcessor callback = nullptr) {
    send(beginResponse(stream, contentType.c_str(), len, callback));
  }
  void send(const char* contentType, size_t len, AwsResponseFiller callback, AwsTemplateProcessor templateCallback = nullptr) {
    send(beginResponse(contentType, len, callback, templateCallback));
  }
  void send(const String& contentType, size_t len, AwsResponseFiller callback,
            AwsTemplateProcessor templateCallback = nullptr) {
    send(beginResponse(contentType.c_str(), len, callback, templateCallback));
  }
  void sendChunked(const char* contentType, AwsResponseFiller callback, AwsTemplateProcessor templateCallback = nullptr) {
    send(beginChunkedResponse(contentType, callback, templateCallback));
  }
  void sendChunked(const String& contentType, AwsResponseFiller callback, AwsTemplateProcessor templateCallback = nullptr) {
    send(beginChunkedResponse(contentType.c_str(), callback, templateCallback));
  }
  // PROGMEM pages (on the ESP32 flash is addressable: these are send() with a pointer).
  void send_P(int code, const String& contentType, const uint8_t* content, size_t len,
              AwsTemplateProcessor callback = nullptr) {
    send(code, contentType, content, len, callback);
  }
  void send_P(int code, const String& contentType, const char* content, AwsTemplateProcessor callback = nullptr) {
    send(beginResponse(code, contentType.c_str(), content, callback));
  }
  void redirect(const char* url, int code = 302);
  void redirect(const String& url, int code = 302) { redirect(url.c_str(), code); }

  AsyncWebServerResponse* beginResponse(int code, const char* contentType = "", const char* content = "",
                                        AwsTemplateProcessor callback = nullptr);
  AsyncWebServerResponse* beginResponse(int code, const String& contentType, const char* content = "",
                                        AwsTemplateProcessor callback = nullptr) {
    return beginResponse(code, contentType.c_str(), content, callback);
  }
  AsyncWebServerResponse* beginResponse(int code, const String& contentType, const String& content,
                                        AwsTemplateProcessor callback = nullptr) {
    return beginResponse(code, contentType.c_str(), content.c_str(), callback);
  }
  AsyncWebServerResponse* beginResponse(int code, const char* contentType, const uint8_t* content, size_t len,
                                        AwsTemplateProcessor callback = nullptr);
  AsyncWebServerResponse* beginResponse(int code, const String& contentType, const uint8_t* content, size_t len,
                                        AwsTemplateProcessor callback = nullptr) {
    return beginResponse(code, contentType.c_str(), content, len, callback);
  }
  AsyncWebServerResponse* beginResponse(fs::FS& fs, const String& path, const char* contentType = "",
                                        bool download = false, AwsTemplateProcessor callback = nullptr);
  AsyncWebServerResponse* beginResponse(fs::FS& fs, const String& path, const String& contentType,
                                        bool download = false, AwsTemplateProcessor callback = nullptr) {
    return beginResponse(fs, path, contentType.c_str(), download, callback);
  }
  AsyncWebServerResponse* beginResponse(fs::File content, const String& path, const char* contentType = "",
                                        bool download = false, AwsTemplateProcessor callback = nullptr);
  AsyncWebServerResponse* beginResponse(Stream& stream, const char* contentType, size_t len,
                                        AwsTemplateProcessor callback = nullptr);
  AsyncWebServerResponse* beginResponse(Stream& stream, const String& contentType, size_t len,
                                        AwsTemplateProcessor callback = nullptr) {
    return beginResponse(stream, contentType.c_str(), len, callback);
  }
  AsyncWebServerResponse* beginResponse(const char* contentType, size_t len, AwsResponseFiller callback,
                                        AwsTemplateProcessor templateCallback = nullptr);
  AsyncWebServerResponse* beginResponse(const String& contentType, size_t len, AwsResponseFiller callback,
                                        AwsTemplateProcessor templateCallback = nullptr) {
    return beginResponse(contentType.c_str(), len, callback, templateCallback);
  }
  AsyncWebServerResponse* beginChunkedResponse(const char* contentType, AwsResponseFiller callback,
                                               AwsTemplateProcessor templateCallback = nullptr);
  AsyncWebServerResponse* beginChunkedResponse(const String& contentType, AwsResponseFiller callback,
                                               AwsTemplateProcessor templateCallback = nullptr) {
    return beginChunkedResponse(contentType.c_str(), callback, templateCallback);
  }
  AsyncResponseStream* beginResponseStream(const char* contentType, size_t bufferSize = 1460);
  AsyncResponseStream* beginResponseStream(const String& contentType, size_t bufferSize = 1460) {
    return beginResponseStream(contentType.c_str(), bufferSize);
  }
  AsyncWebServerResponse* beginResponse_P(int code, const String& contentType, const uint8_t* content, size_t len,
                                          AwsTemplateProcessor callback = nullptr) {
    return beginResponse(code, contentType.c_str(), content, len, callback);
  }
  AsyncWebServerResponse* beginResponse_P(int code, const String& contentType, const char* content,
                                          AwsTemplateProcessor callback = nullptr) {
    return beginResponse(code, contentType.c_str(), content, callback);
  }
  bool isSent() const { return _sent; }
  bool sent() const { return _sent; }
  // The response sent (nullptr before send()). With middleware, it is written when the chain
  // returns, so a middleware may still add headers after next(); without middleware it is
  // written at send(), and changing it afterwards has no effect on the wire.
  AsyncWebServerResponse* getResponse() const;

  // HTTP Basic authentication (Digest is not implemented; see AsyncWebHandler).
  bool authenticate(const char* username, const char* password, const char* realm = nullptr,
                    bool passwordIsHash = false) const;
  void requestAuthentication(const char* realm = nullptr, bool isDigest = true);
  void requestAuthentication(AsyncAuthType method, const char* realm = nullptr, const char* failMsg = nullptr);
  // The Authorization header's scheme, and what follows it.
  AsyncAuthType authType() const;
  String authChallenge() const;

  // ESPAsyncWebServer's per-request user slot, freed with free() when the request ends (as
  // upstream does: allocate it with malloc), and a File slot closed then.
  void* _tempObject = nullptr;
  fs::File _tempFile;

  // --- twincore internals ---
  // A request header's value or nullptr (the core's own lookups).
  const char* _headerValue(const char* name) const;
  // Takes the AsyncClient over: the HTTP server forgets it (no callback of the server runs for
  // it any more, it will not close or delete it). Returns nullptr when the connection is
  // already closing (the server is ending) or a response was sent. *rest/*restLen: bytes that
  // followed the request head in the same segment (valid during the handler).
  AsyncClient* _takeClient(const uint8_t** rest, size_t* restLen);

 private:
  friend class AsyncWebServer;
  AsyncWebServerRequest(AsyncWebServer* s, HttpConn* c) : _srv(s), _conn(c) {}
  static const String& _empty();
  void _addParams(const char* text, size_t len, bool post);
  String& _attr(const char* name);
  const String* _findAttr(const char* name) const;
  std::list<AsyncWebHeader> _attributes;  // (name, value) pairs
  ArDisconnectHandler _onDisconnect;  // the server's _mu (set by a handler, run once by _tcpDown)

  AsyncWebServer* _srv;
  HttpConn* _conn;
  WebRequestMethod _method = HTTP_UNKNOWN;
  uint8_t _version = 1;
  String _url;
  String _host;
  String _contentType;
  size_t _contentLength = 0;
  std::list<AsyncWebHeader> _headers;
  std::list<AsyncWebParameter> _params;
  AsyncWebServerResponse* _response = nullptr;  // taken by the connection after the handler
  const uint8_t* _rest = nullptr;  // bytes after the head (valid during the first dispatch)
  size_t _restLen = 0;
  bool _sent = false;
  bool _taken = false;
  bool _complete = false;   // head and body in: send() writes at once (unless _deferSend)
  bool _deferSend = false;  // middleware runs: written when the chain returns
  AsyncWebServerResponse* _started = nullptr;  // the response the connection writes (not owned)
};

// ESPAsyncWebServer's URI matchers for on(): exact, prefix ("/p*" or prefix()), a directory
// (dir(): "/d/..."), an extension ("/d/*.ext" or ext()), all(), none(); the default for a plain
// string is "exactly uri, or uri + '/...'". CaseInsensitive compares lower-cased. Regex matchers
// (ASYNCWEBSERVER_REGEX) are not supported.
class AsyncURIMatcher {
 public:
  static constexpr uint16_t None = 0;
  static constexpr uint16_t CaseInsensitive = 1;
  AsyncURIMatcher() : _type(kNone) {}
  AsyncURIMatcher(const char* uri, uint16_t modifiers = None) : AsyncURIMatcher(String(uri ? uri : ""), modifiers) {}
  AsyncURIMatcher(String uri, uint16_t modifiers = None);
  bool matches(AsyncWebServerRequest* request) const;
  bool matches(const String& path) const;
  static AsyncURIMatcher all() { return AsyncURIMatcher(String(), kAll, None); }
  static AsyncURIMatcher none() { return AsyncURIMatcher(String(), kNone, None); }
  static AsyncURIMatcher exact(String c, uint16_t modifiers = None) { return AsyncURIMatcher(c, kExact, modifiers); }
  static AsyncURIMatcher prefix(String c, uint16_t modifiers = None) { return AsyncURIMatcher(c, kPrefix, modifiers); }
  static AsyncURIMatcher dir(String c, uint16_t modifiers = None) {
    if (!c.length() || c[c.length() - 1] != '/') c += '/';
    return AsyncURIMatcher(c, kPrefix, modifiers);
  }
  static AsyncURIMatcher ext(String c, uint16_t modifiers = None) { return AsyncURIMatcher(c, kExtension, modifiers); }

 private:
  enum Type : uint8_t { kNone, kAll, kExact, kPrefix, kExtension, kCompatible };
  AsyncURIMatcher(String uri, Type type, uint16_t modifiers);
  String _value;
  Type _type;
  uint16_t _modifiers = None;
};

// ESPAsyncWebServer's rewrites: a request for exactly `from` (and the filter, if any) is handled
// as `to` (its query string adds parameters). Applied in the order added, before a handler is
// chosen.
class AsyncWebRewrite {
 public:
  AsyncWebRewrite(const char* from, const char* to);
  virtual ~AsyncWebRewrite() = default;
  AsyncWebRewrite& setFilter(ArRequestFilterFunction fn) {
    _filter = std::move(fn);
    return *this;
  }
  bool filter(AsyncWebServerRequest* request) const { return !_filter || _filter(request); }
  const String& from() const { return _from; }
  const String& toUrl() const { return _toUrl; }
  const String& params() const { return _params; }
  virtual bool match(AsyncWebServerRequest* request);

 protected:
  String _from;
  String _toUrl;
  String _params;
  ArRequestFilterFunction _filter;
};

// ESPAsyncWebServer's URI rules for on(uri, ...): "" matches everything; "/p*" any path starting
// with /p; "/d/*.ext" any path under /d ending with .ext; otherwise exactly uri or uri + "/...".
class AsyncCallbackWebHandler : public AsyncWebHandler {
 public:
  AsyncCallbackWebHandler() = default;
  void setUri(const AsyncURIMatcher& uri) { _uri = uri; }
  void setMethod(WebRequestMethodComposite method) { _method = method; }
  void onRequest(ArRequestHandlerFunction fn) { _onRequest = std::move(fn); }
  void onUpload(ArUploadHandlerFunction fn) { _onUpload = std::move(fn); }
  void onBody(ArBodyHandlerFunction fn) { _onBody = std::move(fn); }
  bool canHandle(AsyncWebServerRequest* request) const override;
  void handleRequest(AsyncWebServerRequest* request) override;
  void handleUpload(AsyncWebServerRequest* request, const String& filename, size_t index, uint8_t* data, size_t len,
                    bool final) override;
  void handleBody(AsyncWebServerRequest* request, uint8_t* data, size_t len, size_t index, size_t total) override;
  bool isRequestHandlerTrivial() const override { return !_onRequest; }

 private:
  AsyncURIMatcher _uri;
  WebRequestMethodComposite _method = HTTP_ANY;
  ArRequestHandlerFunction _onRequest;
  ArUploadHandlerFunction _onUpload;
  ArBodyHandlerFunction _onBody;
};

// serveStatic(uri, fs, path): GET uri + "/x" serves path + "/x" from fs ("<file>.gz" with
// Content-Encoding: gzip when only that exists); a directory (or a path ending in '/') serves
// its default file (index.htm unless setDefaultFile). ETag from the file's time (or size) and
// If-None-Match give 304; Cache-Control from the argument or setCacheControl (else no-cache).
class AsyncStaticWebHandler : public AsyncWebHandler {
 public:
  AsyncStaticWebHandler(const char* uri, fs::FS& fs, const char* path, const char* cacheControl);
  AsyncStaticWebHandler& setIsDir(bool isDir);
  AsyncStaticWebHandler& setDefaultFile(const char* filename);
  AsyncStaticWebHandler& setCacheControl(const char* cacheControl);
  AsyncStaticWebHandler& setLastModified(const char* lastModified);
  AsyncStaticWebHandler& setLastModified(struct tm* lastModified);
  AsyncStaticWebHandler& setLastModified(time_t lastModified);
  AsyncStaticWebHandler& setLastModified();  // now (when the clock is set)
  AsyncStaticWebHandler& setTemplateProcessor(AwsTemplateProcessor newCallback);
  AsyncStaticWebHandler& setTryGzipFirst(bool value);
  bool canHandle(AsyncWebServerRequest* request) const override;
  void handleRequest(AsyncWebServerRequest* request) override;

 private:
  // The file for this request's path (opened), or a false File.
  fs::File _find(AsyncWebServerRequest* request, String* path) const;
  fs::File _open(const String& path, String* found) const;
  fs::FS& _fs;
  String _uri;
  String _path;
  String _defaultFile = "index.htm";
  String _cacheControl;
  String _lastModified;
  AwsTemplateProcessor _callback;
  bool _isDir;
  bool _tryGzipFirst = true;
};

class AsyncWebServer : public AsyncMiddlewareChain {
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
  tcp_state state() const;

  // Handlers are tried in the order added; the first whose filter and canHandle() accept the
  // request gets it. Returns *handler (the server owns it, see above). Adding a handler that is
  // already there does nothing (it stays once).
  AsyncWebHandler& addHandler(AsyncWebHandler* handler);
  bool removeHandler(AsyncWebHandler* handler);
  AsyncCallbackWebHandler& on(AsyncURIMatcher uri, ArRequestHandlerFunction onRequest) {
    return on(std::move(uri), HTTP_ANY, std::move(onRequest));
  }
  AsyncCallbackWebHandler& on(AsyncURIMatcher uri, WebRequestMethodComposite method, ArRequestHandlerFunction onRequest,
                              ArUploadHandlerFunction onUpload = nullptr, ArBodyHandlerFunction onBody = nullptr);
  // Rewrites (owned by the server; see AsyncWebRewrite). Configuration: before begin().
  AsyncWebRewrite& addRewrite(AsyncWebRewrite* rewrite);
  AsyncWebRewrite& rewrite(const char* from, const char* to) { return addRewrite(new AsyncWebRewrite(from, to)); }
  bool removeRewrite(AsyncWebRewrite* rewrite);
  bool removeRewrite(const char* from, const char* to);
  AsyncStaticWebHandler& serveStatic(const char* uri, fs::FS& fs, const char* path, const char* cacheControl = nullptr);
  void onNotFound(ArRequestHandlerFunction fn);
  // The handler that takes requests no other handler took (its function is onNotFound's): its
  // middleware chain and skipServerMiddlewares() apply to them. Configuration: before begin().
  AsyncWebHandler& catchAllHandler() { return _catchAll; }
  // Bodies of requests no handler took (ESPAsyncWebServer's catch-all body function).
  void onRequestBody(ArBodyHandlerFunction fn);
  void reset();  // removes every handler, the not-found and the body function

  struct Stats {
    uint32_t connections;  // HttpConns alive (open or closing)
    uint32_t requests;     // requests dispatched since construction
    uint32_t errors;       // 4xx/5xx answers
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
  void _destroyLocked(HttpConn* c);
  void _answer(HttpConn* c, int code, const char* text);  // the server's own plain answers
  bool _start(HttpConn* c, AsyncWebServerResponse* r);    // takes r; false: already answered
  void _pump(HttpConn* c);  // writes head and body as far as the window takes; closes when done
  void _head(HttpConn* c, const uint8_t* rest, size_t restLen);
  void _body(HttpConn* c, uint8_t* data, size_t len);
  void _handle(HttpConn* c);
  AsyncWebHandler* _choose(AsyncWebServerRequest* req);

  AsyncServer _server;
  mutable port::Mutex _mu;
  NetGuard _guard;
  // _mu:
  bool _running = false;
  HttpConn* _conns = nullptr;  // open connections (doubly linked)
  HttpConn* _grave = nullptr;  // closed connections whose AsyncClient awaits deletion
  HandlerNode* _handlers = nullptr;
  std::list<AsyncWebRewrite*> _rewrites;  // configuration (set before begin())
  AsyncWebHandler _catchAll;              // configuration: its middleware only
  ArRequestHandlerFunction _notFound;  // copied under _mu before a call
  ArBodyHandlerFunction _onBody;       // copied under _mu before a call
  uint32_t _live = 0, _requests = 0, _errors = 0, _upgraded = 0;
};

}  // namespace twincore

using twincore::ArBodyHandlerFunction;
using twincore::ArDisconnectHandler;
using twincore::ArMiddlewareCallback;
using twincore::ArMiddlewareNext;
using twincore::AsyncMiddleware;
using twincore::AsyncMiddlewareChain;
using twincore::AsyncMiddlewareFunction;
using twincore::ArRequestFilterFunction;
using twincore::ArRequestHandlerFunction;
using twincore::ArUploadHandlerFunction;
using twincore::AsyncBasicResponse;
using twincore::AsyncCallbackResponse;
using twincore::AsyncAbstractResponse;
using twincore::AsyncAuthType;
using twincore::AUTH_BASIC;
using twincore::AUTH_BEARER;
using twincore::AUTH_DENIED;
using twincore::AUTH_DIGEST;
using twincore::AUTH_NONE;
using twincore::AUTH_OTHER;
using twincore::AsyncCallbackWebHandler;
using twincore::AsyncURIMatcher;
using twincore::AsyncWebRewrite;
using twincore::AsyncChunkedResponse;
using twincore::AsyncFileResponse;
using twincore::AsyncProgmemResponse;
using twincore::AsyncResponseStream;
using twincore::AsyncStaticWebHandler;
using twincore::AsyncStreamResponse;
using twincore::AsyncWebHandler;
using twincore::AsyncWebHeader;
using twincore::DefaultHeaders;
using twincore::AsyncWebParameter;
using twincore::AsyncWebServer;
using twincore::AsyncWebServerRequest;
using twincore::AsyncWebServerResponse;
using twincore::AwsResponseFiller;
using twincore::AwsTemplateProcessor;
using twincore::WebRequestMethod;
using twincore::WebRequestMethodComposite;
using twincore::HTTP_ALL;
using twincore::HTTP_ANY;
using twincore::HTTP_CONNECT;
using twincore::HTTP_DELETE;
using twincore::HTTP_GET;
using twincore::HTTP_HEAD;
using twincore::HTTP_INVALID;
using twincore::HTTP_OPTIONS;
using twincore::HTTP_PATCH;
using twincore::HTTP_POST;
using twincore::HTTP_PUT;
using twincore::HTTP_TRACE;
using twincore::HTTP_UNKNOWN;
