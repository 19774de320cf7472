// web_responses.cpp: the HTTP responses of AsyncWebServer.h (status and headers, the body kinds,
// %TEMPLATE% processing). Threads: a response is built by one task (the handler's) and then
// filled by async_tcp only (AsyncWebServer::_pump), never concurrently.
#include <cstdio>
#include <cstring>

#include "AsyncWebServer.h"
#include "tc_heap.h"

namespace twincore {

// ---------------------------------------------------------------------------------------------
// AsyncWebServerResponse

AsyncWebServerResponse::~AsyncWebServerResponse() {
  if (_ra) heap::free(_ra, HttpDefaults::kFillChunk);
}

const char* AsyncWebServerResponse::responseCodeToString(int code) {
  switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
  }
}

bool AsyncWebServerResponse::addHeader(const char* name, const char* value, bool replaceExisting) {
  if (!name || !*name) return false;
  for (auto it = _headers.begin(); it != _headers.end(); ++it) {
    if (it->name().equalsIgnoreCase(name)) {
      if (!replaceExisting) return false;
      *it = AsyncWebHeader(name, value ? value : "");
      return true;
    }
  }
  _headers.emplace_back(name, value ? value : "");
  return true;
}

bool AsyncWebServerResponse::removeHeader(const char* name) {
  for (auto it = _headers.begin(); it != _headers.end(); ++it) {
    if (name && it->name().equalsIgnoreCase(name)) {
      _headers.erase(it);
      return true;
    }
  }
  return false;
}

bool AsyncWebServerResponse::removeHeader(const char* name, const char* value) {
  for (auto it = _headers.begin(); it != _headers.end(); ++it) {
    if (name && value && it->name().equalsIgnoreCase(name) && it->value() == value) {
      _headers.erase(it);
      return true;
    }
  }
  return false;
}

const AsyncWebHeader* AsyncWebServerResponse::getHeader(const char* name) const {
  for (const AsyncWebHeader& h : _headers) {
    if (name && h.name().equalsIgnoreCase(name)) return &h;
  }
  return nullptr;
}

void AsyncWebServerResponse::_assembleHead(String& out, uint8_t version) {
  char line[64];
  std::snprintf(line, sizeof line, "HTTP/1.%u %d %s\r\n", unsigned(version ? 1 : 0), _code, responseCodeToString(_code));
  out = line;
  bool noBody = _code == 204 || _code == 304 || (_code >= 100 && _code < 200);
  if (_contentType.length() && !getHeader("Content-Type")) {
    out += "Content-Type: ";
    out += _contentType;
    out += "\r\n";
  }
  if (noBody) {
    _sendContentLength = false;
  } else if (_sendContentLength && !getHeader("Content-Length")) {
    std::snprintf(line, sizeof line, "Content-Length: %lu\r\n", static_cast<unsigned long>(_contentLength));
    out += line;
  }
  for (const AsyncWebHeader& h : _headers) {
    if (h.name().equalsIgnoreCase("Connection")) continue;  // one request per connection
    out += h.name();
    out += ": ";
    out += h.value();
    out += "\r\n";
  }
  out += "Connection: close\r\n\r\n";
}

void AsyncWebServerResponse::_setTemplate(AwsTemplateProcessor cb) {
  _callback = std::move(cb);
  if (_callback) _sendContentLength = false;  // the length changes: the body ends at the close
}

// Template mode: the next raw byte, read ahead kFillChunk at a time.
int AsyncWebServerResponse::_raw() {
  if (_raPos < _raLen) return _ra[_raPos++];
  if (_rawEnd) return -1;
  if (!_ra) {
    _ra = static_cast<uint8_t*>(heap::alloc(HttpDefaults::kFillChunk));
    if (!_ra) {
      _rawEnd = true;
      return -1;
    }
  }
  size_t n = _content(_ra, HttpDefaults::kFillChunk, _index);
  if (n == RESPONSE_TRY_AGAIN) return -2;
  if (n == 0) {
    _rawEnd = true;
    return -1;
  }
  if (n > HttpDefaults::kFillChunk) n = HttpDefaults::kFillChunk;
  _index += n;
  _raLen = n;
  _raPos = 1;
  return _ra[0];
}

// With a processor: "%name%" (name of 1..TEMPLATE_PARAM_NAME_LENGTH bytes) is replaced by
// processor(name), "%%" by "%"; a '%' not closed within that many bytes is sent as it is.
size_t AsyncWebServerResponse::_fill(uint8_t* buf, size_t maxLen) {
  if (!_callback) {
    size_t n = _content(buf, maxLen, _index);
    if (n != RESPONSE_TRY_AGAIN) _index += n;
    return n;
  }
  size_t n = 0;
  while (n < maxLen) {
    if (_pendPos < _pend.length()) {
      size_t k = _pend.length() - _pendPos;
      if (k > maxLen - n) k = maxLen - n;
      std::memcpy(buf + n, _pend.c_str() + _pendPos, k);
      n += k;
      _pendPos += k;
      continue;
    }
    if (_pend.length()) {
      _pend = String();
      _pendPos = 0;
    }
    int ch = _raw();
    if (ch == -2) return n ? n : RESPONSE_TRY_AGAIN;
    if (ch < 0) {
      if (_inVar) {  // unterminated: as it is
        _inVar = false;
        _pend = String(char(TEMPLATE_PLACEHOLDER)) + _var;
        _var = String();
        continue;
      }
      break;
    }
    if (!_inVar) {
      if (ch == TEMPLATE_PLACEHOLDER) {
        _inVar = true;
        _var = String();
      } else {
        buf[n++] = uint8_t(ch);
      }
      continue;
    }
    if (ch == TEMPLATE_PLACEHOLDER) {
      _inVar = false;
      _pend = _var.length() ? _callback(_var) : String(char(TEMPLATE_PLACEHOLDER));
      _var = String();
      continue;
    }
    if (_var.length() >= TEMPLATE_PARAM_NAME_LENGTH || ch == '\n' || ch == '\r') {
      _inVar = false;  // not a placeholder: the '%' and what followed, as they are
      _pend = String(char(TEMPLATE_PLACEHOLDER)) + _var + char(ch);
      _var = String();
      continue;
    }
    _var += char(ch);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// The body kinds

AsyncBasicResponse::AsyncBasicResponse(int code, const char* contentType, const char* content) : _body(content ? content : "") {
  _code = code;
  _contentType = contentType ? contentType : "";
  setContentLength(_body.length());
}

AsyncBasicResponse::AsyncBasicResponse(int code, const String& contentType, const String& content) : _body(content) {
  _code = code;
  _contentType = contentType;
  setContentLength(_body.length());
}

size_t AsyncBasicResponse::_content(uint8_t* buf, size_t maxLen, size_t index) {
  size_t len = _body.length();
  if (index >= len) return 0;
  size_t n = len - index < maxLen ? len - index : maxLen;
  std::memcpy(buf, _body.c_str() + index, n);
  return n;
}

AsyncProgmemResponse::AsyncProgmemResponse(int code, const char* contentType, const uint8_t* content, size_t len,
                                           AwsTemplateProcessor callback)
    : _data(content), _len(content ? len : 0) {
  _code = code;
  _contentType = contentType ? contentType : "";
  setContentLength(_len);
  _setTemplate(std::move(callback));
}

size_t AsyncProgmemResponse::_content(uint8_t* buf, size_t maxLen, size_t index) {
  if (index >= _len) return 0;
  size_t n = _len - index < maxLen ? _len - index : maxLen;
  std::memcpy(buf, _data + index, n);
  return n;
}

AsyncCallbackResponse::AsyncCallbackResponse(const char* contentType, size_t len, AwsResponseFiller callback,
                                             AwsTemplateProcessor templateCallback, bool chunked)
    : _filler(std::move(callback)), _len(len), _chunked(chunked) {
  _code = 200;
  _contentType = contentType ? contentType : "";
  if (!chunked) setContentLength(len);
  _setTemplate(std::move(templateCallback));
}

size_t AsyncCallbackResponse::_content(uint8_t* buf, size_t maxLen, size_t index) {
  if (!_filler) return 0;
  if (!_chunked) {
    if (index >= _len) return 0;
    if (maxLen > _len - index) maxLen = _len - index;
  }
  size_t n = _filler(buf, maxLen, index);
  if (n == RESPONSE_TRY_AGAIN) return n;
  return n > maxLen ? maxLen : n;
}

AsyncStreamResponse::AsyncStreamResponse(Stream& stream, const char* contentType, size_t len,
                                         AwsTemplateProcessor callback)
    : _stream(&stream), _len(len) {
  _code = 200;
  _contentType = contentType ? contentType : "";
  setContentLength(len);
  _setTemplate(std::move(callback));
}

// What the Stream has now (as upstream: nothing available ends the body).
size_t AsyncStreamResponse::_content(uint8_t* buf, size_t maxLen, size_t index) {
  if (index >= _len) return 0;
  if (maxLen > _len - index) maxLen = _len - index;
  int avail = _stream->available();
  size_t n = 0;
  while (n < maxLen && avail-- > 0) {
    int b = _stream->read();
    if (b < 0) break;
    buf[n++] = uint8_t(b);
  }
  return n;
}

const char* AsyncFileResponse::contentTypeFor(const String& path) {
  static const struct {
    const char* ext;
    const char* type;
  } kTypes[] = {{".html", "text/html"},         {".htm", "text/html"},          {".css", "text/css"},
                {".js", "application/javascript"}, {".mjs", "application/javascript"}, {".json", "application/json"},
                {".png", "image/png"},          {".gif", "image/gif"},          {".jpg", "image/jpeg"},
                {".jpeg", "image/jpeg"},        {".ico", "image/x-icon"},       {".svg", "image/svg+xml"},
                {".webp", "image/webp"},        {".woff", "font/woff"},         {".woff2", "font/woff2"},
                {".ttf", "font/ttf"},           {".eot", "application/vnd.ms-fontobject"},
                {".xml", "text/xml"},           {".pdf", "application/pdf"},    {".zip", "application/zip"},
                {".gz", "application/x-gzip"},  {".txt", "text/plain"},         {".csv", "text/csv"},
                {".wasm", "application/wasm"},  {".mp3", "audio/mpeg"},         {".mp4", "video/mp4"}};
  for (const auto& t : kTypes) {
    if (path.endsWith(t.ext)) return t.type;
  }
  return "application/octet-stream";
}

AsyncFileResponse::AsyncFileResponse(fs::FS& fs, const String& path, const char* contentType, bool download,
                                     AwsTemplateProcessor callback) {
  _code = 200;
  bool gz = false;
  if (!download && !fs.exists(path) && fs.exists(path + ".gz")) {
    _file = fs.open(path + ".gz", "r");
    gz = bool(_file);
  } else {
    _file = fs.open(path, "r");
  }
  if (_file && _file.isDirectory()) _file.close();
  _setup(path, contentType, download);
  if (gz && _file) addHeader("Content-Encoding", "gzip");
  _setTemplate(gz ? AwsTemplateProcessor() : std::move(callback));
}

AsyncFileResponse::AsyncFileResponse(fs::File content, const String& path, const char* contentType, bool download,
                                     AwsTemplateProcessor callback)
    : _file(content) {
  _code = 200;
  bool gz = String(_file ? _file.name() : "").endsWith(".gz") && !path.endsWith(".gz");
  _setup(path, contentType, download);
  if (gz) addHeader("Content-Encoding", "gzip");
  _setTemplate(gz ? AwsTemplateProcessor() : std::move(callback));
}

AsyncFileResponse::~AsyncFileResponse() {
  if (_file) _file.close();
}

void AsyncFileResponse::_setup(const String& path, const char* contentType, bool download) {
  _contentType = contentType && *contentType ? contentType : contentTypeFor(path);
  if (_file) setContentLength(_file.size());
  if (download) {
    int slash = path.lastIndexOf('/');
    String name = slash >= 0 ? path.substring(unsigned(slash + 1)) : path;
    addHeader("Content-Disposition", (String("attachment; filename=\"") + name + "\"").c_str());
  }
}

size_t AsyncFileResponse::_content(uint8_t* buf, size_t maxLen, size_t index) {
  if (!_file) return 0;
  return _file.read(buf, maxLen);
}

AsyncResponseStream::AsyncResponseStream(const char* contentType, size_t bufferSize) {
  _code = 200;
  _contentType = contentType ? contentType : "";
  setContentLength(0);
  if (bufferSize > HttpDefaults::kMaxStreamBody) bufferSize = HttpDefaults::kMaxStreamBody;
  if (bufferSize) {
    _buf = static_cast<uint8_t*>(heap::alloc(bufferSize));
    if (_buf) _cap = bufferSize;
  }
}

AsyncResponseStream::~AsyncResponseStream() {
  if (_buf) heap::free(_buf, _cap);
}

size_t AsyncResponseStream::write(const uint8_t* data, size_t len) {
  if (!len) return 0;
  if (_len + len > _cap) {
    size_t cap = _cap ? _cap : 256;
    while (cap < _len + len) cap *= 2;
    if (cap > HttpDefaults::kMaxStreamBody) cap = HttpDefaults::kMaxStreamBody;
    if (cap < _len + len) len = cap - _len;  // full: what fits
    if (cap > _cap) {
      uint8_t* p = static_cast<uint8_t*>(heap::alloc(cap));
      if (!p) return 0;
      if (_len) std::memcpy(p, _buf, _len);
      if (_buf) heap::free(_buf, _cap);
      _buf = p;
      _cap = cap;
    }
  }
  if (len) std::memcpy(_buf + _len, data, len);
  _len += len;
  setContentLength(_len);
  return len;
}

size_t AsyncResponseStream::_content(uint8_t* buf, size_t maxLen, size_t index) {
  if (index >= _len) return 0;
  size_t n = _len - index < maxLen ? _len - index : maxLen;
  std::memcpy(buf, _buf + index, n);
  return n;
}

}  // namespace twincore
