// web_handlers.cpp: the request handlers of AsyncWebServer.h (filters, Basic authentication, the
// callback handler behind on(), the static file handler behind serveStatic()). Handlers run on
// async_tcp; their settings are configuration (set before begin()).
#include <cstdio>
#include <cstring>

#include "AsyncWebServer.h"
#include "tc_base64.h"

namespace twincore {

// ---------------------------------------------------------------------------------------------
// Middleware

AsyncMiddlewareChain::~AsyncMiddlewareChain() {
  for (AsyncMiddleware* m : _middlewares) {
    if (m->_freeOnRemoval) delete m;
  }
}

void AsyncMiddlewareChain::addMiddleware(ArMiddlewareCallback fn) {
  AsyncMiddlewareFunction* m = new AsyncMiddlewareFunction(std::move(fn));
  m->_freeOnRemoval = true;
  _middlewares.push_back(m);
}

void AsyncMiddlewareChain::addMiddleware(AsyncMiddleware* middleware) {
  if (middleware) _middlewares.push_back(middleware);
}

void AsyncMiddlewareChain::addMiddlewares(std::vector<AsyncMiddleware*> middlewares) {
  for (AsyncMiddleware* m : middlewares) addMiddleware(m);
}

bool AsyncMiddlewareChain::removeMiddleware(AsyncMiddleware* middleware) {
  for (auto it = _middlewares.begin(); it != _middlewares.end(); ++it) {
    if (*it == middleware) {
      if (middleware->_freeOnRemoval) delete middleware;
      _middlewares.erase(it);
      return true;
    }
  }
  return false;
}

void AsyncMiddlewareChain::_runChain(AsyncWebServerRequest* request, ArMiddlewareNext finalizer) {
  if (_middlewares.empty()) {
    finalizer();
    return;
  }
  // next() of middleware i runs middleware i + 1 (the last one's runs the finalizer).
  struct Step {
    static void run(std::list<AsyncMiddleware*>::iterator it, std::list<AsyncMiddleware*>::iterator end,
                    AsyncWebServerRequest* request, const ArMiddlewareNext& finalizer) {
      if (it == end) {
        finalizer();
        return;
      }
      AsyncMiddleware* m = *it;
      ++it;
      m->run(request, [it, end, request, &finalizer] { run(it, end, request, finalizer); });
    }
  };
  Step::run(_middlewares.begin(), _middlewares.end(), request, finalizer);
}

// ---------------------------------------------------------------------------------------------
// AsyncWebHandler

AsyncWebHandler& AsyncWebHandler::setFilter(ArRequestFilterFunction fn) {
  _filter = std::move(fn);
  return *this;
}

bool AsyncWebHandler::filter(AsyncWebServerRequest* request) { return !_filter || _filter(request); }

AsyncWebHandler& AsyncWebHandler::setAuthentication(const char* username, const char* password, int) {
  _username = username ? username : "";
  _password = password ? password : "";
  return *this;
}

bool AsyncWebHandler::_authRequired(AsyncWebServerRequest* request) {
  if (!_username.length() && !_password.length()) return false;
  if (request->authenticate(_username.c_str(), _password.c_str())) return false;
  request->requestAuthentication();
  return true;
}

bool AsyncWebServerRequest::authenticate(const char* username, const char* password, const char*, bool) const {
  const char* auth = _headerValue("Authorization");
  if (!auth || std::strncmp(auth, "Basic ", 6) != 0 || !username || !password) return false;
  String plain = String(username) + ":" + password;
  size_t cap = ws::base64EncodedLen(plain.length()) + 1;
  char out[160];
  if (cap > sizeof out) return false;  // credentials longer than 117 bytes are not supported
  ws::base64Encode(reinterpret_cast<const uint8_t*>(plain.c_str()), plain.length(), out, cap);
  const char* token = auth + 6;
  while (*token == ' ') ++token;
  return std::strcmp(token, out) == 0;
}

void AsyncWebServerRequest::requestAuthentication(AsyncAuthType method, const char* realm, const char* failMsg) {
  if (method == AUTH_BASIC || method == AUTH_DIGEST) {
    requestAuthentication(realm, method == AUTH_DIGEST);
    return;
  }
  send(401, "text/plain", failMsg && *failMsg ? failMsg : "Unauthorized");
}

AsyncAuthType AsyncWebServerRequest::authType() const {
  const char* a = _headerValue("Authorization");
  if (!a) return AUTH_NONE;
  if (!std::strncmp(a, "Basic ", 6)) return AUTH_BASIC;
  if (!std::strncmp(a, "Digest ", 7)) return AUTH_DIGEST;
  if (!std::strncmp(a, "Bearer ", 7)) return AUTH_BEARER;
  return AUTH_OTHER;
}

String AsyncWebServerRequest::authChallenge() const {
  const char* a = _headerValue("Authorization");
  if (!a) return String();
  const char* sp = std::strchr(a, ' ');
  return String(sp ? sp + 1 : a);
}

void AsyncWebServerRequest::requestAuthentication(const char* realm, bool) {
  AsyncWebServerResponse* r = beginResponse(401, "text/plain", "Unauthorized");
  if (r) {
    String v = String("Basic realm=\"") + (realm && *realm ? realm : "Login Required") + "\"";
    r->addHeader("WWW-Authenticate", v.c_str());
  }
  send(r);
}

// ---------------------------------------------------------------------------------------------
// AsyncCallbackWebHandler

// ---------------------------------------------------------------------------------------------
// AsyncURIMatcher, AsyncWebRewrite

AsyncURIMatcher::AsyncURIMatcher(String uri, uint16_t modifiers) : _value(uri), _modifiers(modifiers) {
  if (modifiers & CaseInsensitive) _value.toLowerCase();
  if (!_value.length()) {
    _type = kAll;
  } else if (_value.endsWith("*")) {
    _type = kPrefix;
    _value = _value.substring(0, _value.length() - 1);
  } else if (_value.lastIndexOf("/*.") >= 0) {
    _type = kExtension;
  } else {
    _type = kCompatible;
  }
}

AsyncURIMatcher::AsyncURIMatcher(String uri, Type type, uint16_t modifiers) : _value(uri), _type(type), _modifiers(modifiers) {
  if (modifiers & CaseInsensitive) _value.toLowerCase();
}

bool AsyncURIMatcher::matches(AsyncWebServerRequest* request) const { return matches(request->url()); }

bool AsyncURIMatcher::matches(const String& url) const {
  String path = url;
  if (_modifiers & CaseInsensitive) path.toLowerCase();
  switch (_type) {
    case kAll: return true;
    case kNone: return false;
    case kExact: return path == _value;
    case kPrefix: return path.startsWith(_value);
    case kExtension: {
      int split = _value.lastIndexOf("/*.");
      return split >= 0 && path.startsWith(_value.substring(0, unsigned(split))) &&
             path.endsWith(_value.substring(unsigned(split + 2)));
    }
    case kCompatible: return path == _value || path.startsWith(_value + "/");
  }
  return false;
}

AsyncWebRewrite::AsyncWebRewrite(const char* from, const char* to) : _from(from ? from : ""), _toUrl(to ? to : "") {
  int q = _toUrl.indexOf('?');
  if (q > 0) {
    _params = _toUrl.substring(unsigned(q + 1));
    _toUrl = _toUrl.substring(0, unsigned(q));
  }
}

bool AsyncWebRewrite::match(AsyncWebServerRequest* request) { return _from == request->url() && filter(request); }

// ---------------------------------------------------------------------------------------------
// AsyncCallbackWebHandler

bool AsyncCallbackWebHandler::canHandle(AsyncWebServerRequest* request) const {
  if (!_onRequest || request->isWebSocketUpgrade() || !(_method & request->method())) return false;
  return _uri.matches(request);
}

void AsyncCallbackWebHandler::handleRequest(AsyncWebServerRequest* request) {
  if (_onRequest) {
    _onRequest(request);
  } else {
    request->send(404, "text/plain", "Not found");
  }
}

void AsyncCallbackWebHandler::handleUpload(AsyncWebServerRequest* request, const String& filename, size_t index,
                                           uint8_t* data, size_t len, bool final) {
  if (_onUpload) _onUpload(request, filename, index, data, len, final);
}

void AsyncCallbackWebHandler::handleBody(AsyncWebServerRequest* request, uint8_t* data, size_t len, size_t index,
                                         size_t total) {
  if (_onBody) _onBody(request, data, len, index, total);
}

// ---------------------------------------------------------------------------------------------
// AsyncStaticWebHandler

AsyncStaticWebHandler::AsyncStaticWebHandler(const char* uri, fs::FS& fs, const char* path, const char* cacheControl)
    : _fs(fs), _uri(uri ? uri : "/"), _path(path ? path : "/"), _cacheControl(cacheControl ? cacheControl : "") {
  if (!_uri.length() || _uri[0] != '/') _uri = String("/") + _uri;
  if (!_path.length() || _path[0] != '/') _path = String("/") + _path;
  _isDir = _path[_path.length() - 1] == '/';
  // Without the trailing '/' (the root becomes ""), so the default file can be appended.
  if (_uri[_uri.length() - 1] == '/') _uri = _uri.substring(0, _uri.length() - 1);
  if (_path[_path.length() - 1] == '/') _path = _path.substring(0, _path.length() - 1);
}

AsyncStaticWebHandler& AsyncStaticWebHandler::setIsDir(bool isDir) {
  _isDir = isDir;
  return *this;
}
AsyncStaticWebHandler& AsyncStaticWebHandler::setDefaultFile(const char* filename) {
  _defaultFile = filename ? filename : "";
  return *this;
}
AsyncStaticWebHandler& AsyncStaticWebHandler::setCacheControl(const char* cacheControl) {
  _cacheControl = cacheControl ? cacheControl : "";
  return *this;
}
AsyncStaticWebHandler& AsyncStaticWebHandler::setLastModified(const char* lastModified) {
  _lastModified = lastModified ? lastModified : "";
  return *this;
}
AsyncStaticWebHandler& AsyncStaticWebHandler::setLastModified(struct tm* lastModified) {
  char buf[40];
  if (!lastModified || !std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", lastModified)) return *this;
  return setLastModified(buf);
}
AsyncStaticWebHandler& AsyncStaticWebHandler::setLastModified(time_t lastModified) {
  struct tm t;
  return setLastModified(gmtime_r(&lastModified, &t));
}
AsyncStaticWebHandler& AsyncStaticWebHandler::setLastModified() {
  time_t now = std::time(nullptr);
  if (now < 1600000000) return *this;  // the clock is not set (no NTP yet): nothing meaningful to send
  return setLastModified(now);
}
AsyncStaticWebHandler& AsyncStaticWebHandler::setTemplateProcessor(AwsTemplateProcessor newCallback) {
  _callback = std::move(newCallback);
  return *this;
}
AsyncStaticWebHandler& AsyncStaticWebHandler::setTryGzipFirst(bool value) {
  _tryGzipFirst = value;
  return *this;
}

// A regular file at path or path + ".gz" (in the preferred order); *found: path (without .gz).
fs::File AsyncStaticWebHandler::_open(const String& path, String* found) const {
  String gz = path + ".gz";
  const String* order[2] = {_tryGzipFirst ? &gz : &path, _tryGzipFirst ? &path : &gz};
  for (const String* p : order) {
    if (!_fs.exists(*p)) continue;
    fs::File f = _fs.open(*p, "r");
    if (f && !f.isDirectory()) {
      *found = path;
      return f;
    }
  }
  return fs::File();
}

fs::File AsyncStaticWebHandler::_find(AsyncWebServerRequest* request, String* found) const {
  String rest = request->url().substring(_uri.length());
  bool dirOnly = (_isDir && rest.length() == 0) || (rest.length() && rest[rest.length() - 1] == '/');
  String path = _path + rest;
  if (!dirOnly) {
    fs::File f = _open(path, found);
    if (f) return f;
  }
  if (!_defaultFile.length()) return fs::File();
  if (!path.length() || path[path.length() - 1] != '/') path += "/";
  path += _defaultFile;
  return _open(path, found);
}

bool AsyncStaticWebHandler::canHandle(AsyncWebServerRequest* request) const {
  if (request->method() != HTTP_GET || request->isWebSocketUpgrade() || !request->url().startsWith(_uri)) return false;
  // The path must continue the uri at a '/' ("/static" serves "/static/x", not "/staticx").
  const String& url = request->url();
  if (_uri.length() && url.length() > _uri.length() && url[_uri.length()] != '/') return false;
  String found;
  fs::File f = _find(request, &found);
  if (!f) return false;
  request->_tempFile = f;
  return true;
}

void AsyncStaticWebHandler::handleRequest(AsyncWebServerRequest* request) {
  fs::File f = request->_tempFile;
  request->_tempFile = fs::File();
  String found;
  if (!f) f = _find(request, &found);
  if (!f) {
    request->send(404);
    return;
  }
  // The logical path (for the Content-Type): the file's path without a ".gz" the request lacks.
  String path = f.path();
  if (path.endsWith(".gz") && !request->url().endsWith(".gz")) path = path.substring(0, path.length() - 3);
  char etag[16] = "";
  if (!_callback) {
    time_t t = f.getLastWrite();
    uint32_t v = t > 0 ? uint32_t(t) : uint32_t(f.size());
    std::snprintf(etag, sizeof etag, "\"%08lx\"", static_cast<unsigned long>(v));
  }
  bool notModified = (*etag && request->header("If-None-Match") == etag) ||
                     (!*etag && _lastModified.length() && request->header("If-Modified-Since") == _lastModified);
  AsyncWebServerResponse* r;
  if (notModified) {
    f.close();
    r = new (std::nothrow) AsyncBasicResponse(304);
  } else {
    r = new (std::nothrow) AsyncFileResponse(f, path, "", false, _callback);
  }
  if (!r) {
    request->send(r);
    return;
  }
  if (!notModified) {
    if (*etag) r->addHeader("ETag", etag);
    if (_lastModified.length()) r->addHeader("Last-Modified", _lastModified.c_str());
  }
  r->addHeader("Cache-Control", _cacheControl.length() ? _cacheControl.c_str() : "no-cache", false);
  request->send(r);
}

}  // namespace twincore
