#include "ReferenceFirmware.h"

#include <cstdio>
#include <cstring>
#include <new>

#include "Arduino.h"
#include "dashboard_html.h"

using twincore::port::Lock;

namespace {

// ---------------------------------------------------------------------------------------------
// A tiny parser for flat JSON objects with string, number, true/false/null values (the command
// language). Reports, never throws; bounded: at most kMaxFields fields.

struct JsonField {
  enum Kind : uint8_t { kString, kInt, kNumber, kBool, kNull };
  std::string key;
  std::string str;  // kString: the decoded UTF-8
  int64_t i = 0;    // kInt (also kBool: 0/1)
  Kind kind = kNull;
};

class FlatJson {
 public:
  static constexpr size_t kMaxFields = 16;

  bool parse(const char* p, size_t n) {
    _p = p;
    _end = p + n;
    _start = p;
    _n = 0;
    ws();
    if (!eat('{')) return fail("expected '{'");
    ws();
    if (eat('}')) return trailing();
    for (;;) {
      if (_n == kMaxFields) return fail("too many fields");
      JsonField& f = _f[_n];
      f = JsonField();
      ws();
      if (!string(&f.key)) return false;
      ws();
      if (!eat(':')) return fail("expected ':'");
      ws();
      if (!value(&f)) return false;
      ++_n;
      ws();
      if (eat(',')) continue;
      if (eat('}')) return trailing();
      return fail("expected ',' or '}'");
    }
  }
  const char* error() const { return _err; }
  size_t errorOffset() const { return _errAt; }
  const JsonField* find(const char* key) const {
    for (size_t i = 0; i < _n; ++i) {
      if (_f[i].key == key) return &_f[i];
    }
    return nullptr;
  }

 private:
  bool fail(const char* why) {
    _err = why;
    _errAt = size_t(_p - _start);
    return false;
  }
  bool eat(char c) {
    if (_p < _end && *_p == c) {
      ++_p;
      return true;
    }
    return false;
  }
  void ws() {
    while (_p < _end && (*_p == ' ' || *_p == '\t' || *_p == '\n' || *_p == '\r')) ++_p;
  }
  bool trailing() {
    ws();
    return _p == _end ? true : fail("trailing characters");
  }
  bool literal(const char* word) {
    size_t n = std::strlen(word);
    if (size_t(_end - _p) < n || std::memcmp(_p, word, n) != 0) return fail("invalid value");
    _p += n;
    return true;
  }
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  bool hex4(uint32_t* out) {
    if (_end - _p < 4) return fail("bad \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = hex(_p[i]);
      if (h < 0) return fail("bad \\u escape");
      v = v << 4 | uint32_t(h);
    }
    _p += 4;
    *out = v;
    return true;
  }
  static void utf8(std::string* s, uint32_t cp) {
    if (cp < 0x80) {
      s->push_back(char(cp));
    } else if (cp < 0x800) {
      s->push_back(char(0xC0 | cp >> 6));
      s->push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(char(0xE0 | cp >> 12));
      s->push_back(char(0x80 | (cp >> 6 & 0x3F)));
      s->push_back(char(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(char(0xF0 | cp >> 18));
      s->push_back(char(0x80 | (cp >> 12 & 0x3F)));
      s->push_back(char(0x80 | (cp >> 6 & 0x3F)));
      s->push_back(char(0x80 | (cp & 0x3F)));
    }
  }
  // The input is a text message, so already valid UTF-8 (the core checks): bytes >= 0x80 are
  // copied as they are.
  bool string(std::string* out) {
    if (!eat('"')) return fail("expected a string");
    for (;;) {
      if (_p >= _end) return fail("unterminated string");
      char c = *_p++;
      if (c == '"') return true;
      if (uint8_t(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (_p >= _end) return fail("unterminated string");
      c = *_p++;
      switch (c) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!hex4(&cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (_end - _p < 2 || _p[0] != '\\' || _p[1] != 'u') return fail("lone surrogate");
            _p += 2;
            if (!hex4(&lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return fail("lone surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(out, cp);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
  }
  bool digits() {
    const char* s = _p;
    while (_p < _end && *_p >= '0' && *_p <= '9') ++_p;
    return _p != s;
  }
  bool number(JsonField* f) {
    const char* s = _p;
    bool neg = eat('-');
    const char* d = _p;
    if (!digits()) return fail("invalid number");
    if (*d == '0' && _p - d > 1) return fail("invalid number");
    bool integral = true;
    if (eat('.')) {
      integral = false;
      if (!digits()) return fail("invalid number");
    }
    if (_p < _end && (*_p == 'e' || *_p == 'E')) {
      integral = false;
      ++_p;
      if (!eat('+')) eat('-');
      if (!digits()) return fail("invalid number");
    }
    f->kind = JsonField::kNumber;
    f->str.assign(s, size_t(_p - s));
    if (integral && _p - d <= 18) {  // fits an int64 without overflow checks
      int64_t v = 0;
      for (const char* q = d; q < _p; ++q) v = v * 10 + (*q - '0');
      f->i = neg ? -v : v;
      f->kind = JsonField::kInt;
    }
    return true;
  }
  bool value(JsonField* f) {
    if (_p >= _end) return fail("expected a value");
    char c = *_p;
    if (c == '"') {
      f->kind = JsonField::kString;
      return string(&f->str);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(f);
    if (c == 't') {
      f->kind = JsonField::kBool;
      f->i = 1;
      return literal("true");
    }
    if (c == 'f') {
      f->kind = JsonField::kBool;
      return literal("false");
    }
    if (c == 'n') {
      f->kind = JsonField::kNull;
      return literal("null");
    }
    if (c == '{' || c == '[') return fail("nested objects and arrays are not supported");
    return fail("invalid value");
  }

  const char* _p = nullptr;
  const char* _end = nullptr;
  const char* _start = nullptr;
  const char* _err = "";
  size_t _errAt = 0;
  JsonField _f[kMaxFields];
  size_t _n = 0;
};

// Appends s as a JSON string literal (quotes included). s is UTF-8; only '"', '\\' and control
// characters are escaped.
void appendJsonString(std::string* out, const char* s, size_t n) {
  out->push_back('"');
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (uint8_t(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(uint8_t(c)));
          out->append(buf);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void appendJsonString(std::string* out, const std::string& s) { appendJsonString(out, s.data(), s.size()); }

void appendKV(std::string* out, const char* key, unsigned long v, bool comma = true) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s\"%s\":%lu", comma ? "," : "", key, v);
  out->append(buf);
}

void appendKB(std::string* out, const char* key, bool v) {
  out->append(",\"");
  out->append(key);
  out->append(v ? "\":true" : "\":false");
}

void replyError(AsyncWebSocketClient* c, const std::string& why) {
  std::string r = "{\"t\":\"error\",\"error\":";
  appendJsonString(&r, why);
  r.push_back('}');
  c->text(r);
}

// An optional unsigned integer field in [lo, hi]; def when absent.
bool uintField(const FlatJson& j, const char* key, uint32_t lo, uint32_t hi, uint32_t def, uint32_t* out,
               std::string* err) {
  const JsonField* f = j.find(key);
  if (!f) {
    *out = def;
    return true;
  }
  if (f->kind != JsonField::kInt || f->i < int64_t(lo) || f->i > int64_t(hi)) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "'%s' must be an integer %lu..%lu", key, static_cast<unsigned long>(lo),
                  static_cast<unsigned long>(hi));
    *err = buf;
    return false;
  }
  *out = uint32_t(f->i);
  return true;
}

// Close codes an endpoint may send (RFC 6455 7.4.1/7.4.2; 1004-1006 and 1015 are reserved).
bool sendableCloseCode(uint32_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

const char* const kEventNames[6] = {"connect", "disconnect", "ping", "pong", "error", "data"};  // by AwsEventType

uint32_t clampU32(uint32_t v, uint32_t lo, uint32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

}  // namespace

// ---------------------------------------------------------------------------------------------

ReferenceFirmware::ReferenceFirmware(const ReferenceConfig& cfg)
    : _cfg(cfg), server(cfg.port), ws(cfg.wsPath.c_str()) {}

ReferenceFirmware::~ReferenceFirmware() {
  // No new connection first, then every WebSocket client closed (each gets its DISCONNECT).
  // Both return only when none of their callbacks runs or can run any more.
  server.end();
  ws.end();
}

void ReferenceFirmware::setup() {
  _bootMs = millis();
  ws.setMaxMessageSize(_cfg.maxMessage);
  ws.setMaxClients(_cfg.maxClients);
  ws.setKeepAlivePeriod(uint16_t(_cfg.keepAliveSec > 65535 ? 65535 : _cfg.keepAliveSec));
  ws.setCloseClientOnQueueFull(_cfg.closeOnQueueFull);
  ws.onEvent([this](AsyncWebSocket*, AsyncWebSocketClient* c, AwsEventType t, void* arg, uint8_t* data, size_t len) {
    onEvent(c, t, arg, data, len);
  });
  server.addHandler(&ws);
  server.on("/", HTTP_GET, [](AsyncWebServerRequest* r) {
    // The page is in flash: sent in place, not copied.
    r->send(200, "text/html; charset=utf-8", reinterpret_cast<const uint8_t*>(kDashboardHtml), sizeof kDashboardHtml - 1);
  });
  server.on("/stats", HTTP_GET, [this](AsyncWebServerRequest* r) {
    AsyncWebServerResponse* resp = r->beginResponse(200, "application/json", statsJson().c_str());
    if (resp) resp->addHeader("Cache-Control", "no-store");
    r->send(resp);
  });
  server.onNotFound([](AsyncWebServerRequest* r) { r->send(404, "text/plain", "Not Found\n"); });
  if (_cfg.rate) {
    Lock lk(_bcMu);
    startLocked(_cfg.rate, _cfg.size, _cfg.count);
  }
  server.begin();
  Serial.printf("reference firmware: port %u, WebSocket %s, maxMessage %lu, maxClients %lu%s\n",
                unsigned(_cfg.port), _cfg.wsPath.c_str(), static_cast<unsigned long>(_cfg.maxMessage),
                static_cast<unsigned long>(_cfg.maxClients), _cfg.rate ? ", telemetry autostarted" : "");
}

void ReferenceFirmware::loop() {
  PendingClose closes[kMaxPendingCloses];
  size_t nCloses;
  {
    Lock lk(_bcMu);
    nCloses = _nPending;
    for (size_t i = 0; i < nCloses; ++i) closes[i] = _pending[i];
    _nPending = 0;
    if (_running) sendTelemetryLocked(millis());
  }
  for (size_t i = 0; i < nCloses; ++i) ws.close(closes[i].id, closes[i].code);
}

void ReferenceFirmware::startLocked(uint32_t rate, uint32_t size, uint32_t count) {
  _running = true;
  _unpaced = false;
  _rate = clampU32(rate, 1, kMaxRate);
  _size = clampU32(size, kMinTelemetry, kMaxTelemetry);
  _count = count > kMaxCount ? kMaxCount : count;
  _seq = 0;
  _runStartMs = millis();
  _runs++;
}

void ReferenceFirmware::broadcastOneLocked(uint32_t now) {
  ++_seq;
  char head[64];
  int n = std::snprintf(head, sizeof head, "{\"t\":\"tm\",\"seq\":%lu,\"ts\":%lu,\"pad\":\"",
                        static_cast<unsigned long>(_seq), static_cast<unsigned long>(now));
  size_t used = size_t(n) + 2;  // + "\"}"
  _tm.assign(head, size_t(n));
  if (_size > used) _tm.append(_size - used, 'x');
  _tm.append("\"}");
  SendStatus st = ws.textAll(_tm.data(), _tm.size());
  _totalSent++;
  _reached += st.queued;
  _bcDropped += st.dropped;
}

void ReferenceFirmware::sendTelemetryLocked(uint32_t now) {
  if (_unpaced) {
    for (uint32_t burst = 0; burst < kMaxUnpacedBurst && (!_count || _seq < _count); ++burst) {
      if (!ws.availableForWriteAll()) break;
      broadcastOneLocked(now);
    }
  } else {
    uint32_t elapsed = now - _runStartMs;
    uint64_t due = uint64_t(elapsed) * _rate / 1000 + 1;  // message k is due at (k-1)*1000/rate ms
    if (_count && due > _count) due = _count;
    if (due > uint64_t(_seq) + _rate) {
      // More than a second behind (the loop task was starved): forget the backlog.
      _runStartMs = now - uint32_t(uint64_t(_seq) * 1000 / _rate);
      due = uint64_t(_seq) + 1;
    }
    for (uint32_t burst = 0; _seq < due && burst < kMaxBurst; ++burst) broadcastOneLocked(now);
  }
  if (_count && _seq >= _count) {
    _running = false;
    std::string done = "{\"t\":\"done\"";
    appendKV(&done, "sent", _seq);
    done.push_back('}');
    ws.textAll(done);
  }
}

void ReferenceFirmware::onEvent(AsyncWebSocketClient* c, AwsEventType type, void* arg, uint8_t* data, size_t len) {
  if (_cfg.logEvents && (type == WS_EVT_CONNECT || type == WS_EVT_DISCONNECT)) {
    Serial.printf("ws client %lu %s\n", (unsigned long)c->id(), type == WS_EVT_CONNECT ? "connected" : "disconnected");
  }
  if (type == WS_EVT_CONNECT) {
    c->_tempObject = new (std::nothrow) ClientRx();
  } else if (type == WS_EVT_DISCONNECT) {
    delete static_cast<ClientRx*>(c->_tempObject);
    c->_tempObject = nullptr;
  } else if (type == WS_EVT_DATA) {
    onData(c, *static_cast<const AwsFrameInfo*>(arg), data, len);
  }
  Lock lk(_statsMu);
  if (unsigned(type) < 6) _events[type]++;
  if (type == WS_EVT_CONNECT) {
    if (_nIds < kMaxTrackedClients) _ids[_nIds++] = c->id();
  } else if (type == WS_EVT_DISCONNECT) {
    for (size_t i = 0; i < _nIds; ++i) {
      if (_ids[i] == c->id()) {
        _ids[i] = _ids[--_nIds];
        break;
      }
    }
  }
}

void ReferenceFirmware::countMessage(bool isCommand) {
  Lock lk(_statsMu);
  _messages++;
  if (isCommand) _commands++;
}

// One DATA chunk: a command is reassembled (at most maxMessage bytes) and run when complete; any
// other message is echoed, whole when it came in one chunk, else fragment by fragment as it
// arrives (a message refused at its first fragment, the queue being full, is skipped whole).
void ReferenceFirmware::onData(AsyncWebSocketClient* c, const AwsFrameInfo& info, const uint8_t* data, size_t len) {
  ClientRx* rx = static_cast<ClientRx*>(c->_tempObject);
  if (!rx) return;  // (out of memory at CONNECT: its messages are ignored)
  const bool first = info.num == 0 && info.index == 0;
  const bool last = info.final && info.index + len == info.len;
  const bool isText = info.message_opcode == WS_TEXT;
  if (first) {
    if (isText && len > 0 && data[0] == '{') {
      rx->mode = ClientRx::kCommand;
      rx->cmd.clear();
    } else if (last) {
      countMessage(false);
      if (isText && _relay.load()) {
        ws.textAll(reinterpret_cast<const char*>(data), len);
      } else if (isText) {
        c->text(reinterpret_cast<const char*>(data), len);
      } else {
        c->binary(data, len);
      }
      rx->mode = ClientRx::kIdle;
      return;
    } else {
      rx->mode = ClientRx::kEcho;
    }
  }
  switch (rx->mode) {
    case ClientRx::kCommand:
      if (rx->cmd.size() + len > _cfg.maxMessage) {
        rx->mode = ClientRx::kSkip;
        rx->cmd = std::string();
        c->close(1009, "command too big");
        break;
      }
      rx->cmd.append(reinterpret_cast<const char*>(data), len);
      if (last) {
        rx->mode = ClientRx::kIdle;
        countMessage(true);
        std::string cmd;
        cmd.swap(rx->cmd);
        command(c, cmd.data(), cmd.size());
      }
      break;
    case ClientRx::kEcho:
      if (!c->sendFragment(first ? (isText ? WS_TEXT : WS_BINARY) : WS_CONTINUATION, last, data, len)) {
        rx->mode = ClientRx::kSkip;
      } else if (last) {
        rx->mode = ClientRx::kIdle;
        countMessage(false);
      }
      break;
    case ClientRx::kSkip:
    case ClientRx::kIdle:
      break;
  }
  if (last && rx->mode == ClientRx::kSkip) rx->mode = ClientRx::kIdle;
}

void ReferenceFirmware::command(AsyncWebSocketClient* c, const char* json, size_t len) {
  FlatJson j;
  std::string err;
  if (!j.parse(json, len)) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "bad json at %lu: %s", static_cast<unsigned long>(j.errorOffset()), j.error());
    err = buf;
  }
  const JsonField* cmd = err.empty() ? j.find("cmd") : nullptr;
  if (err.empty() && (!cmd || cmd->kind != JsonField::kString)) err = "missing \"cmd\" (a string)";

  const JsonField* unpacedField = err.empty() ? j.find("unpaced") : nullptr;
  bool unpaced = unpacedField && unpacedField->kind == JsonField::kBool && unpacedField->i;
  if (err.empty() && cmd->str == "start" && unpacedField && unpacedField->kind != JsonField::kBool) {
    err = "'unpaced' must be true or false";
  } else if (err.empty() && cmd->str == "start" && unpaced) {
    uint32_t size, count;
    if (j.find("rate")) {
      err = "'rate' and 'unpaced' exclude each other";
    } else if (uintField(j, "size", kMinTelemetry, kMaxTelemetry, kDefaultSize, &size, &err) &&
               uintField(j, "count", 0, kMaxCount, 0, &count, &err)) {
      std::string r = "{\"t\":\"started\"";
      appendKV(&r, "rate", 0);
      appendKV(&r, "size", size);
      appendKV(&r, "count", count);
      r.append(",\"unpaced\":true}");
      Lock lk(_bcMu);
      startLocked(kMaxRate, size, count);
      _unpaced = true;
      c->text(r);
    }
  } else if (err.empty() && cmd->str == "relay") {
    const JsonField* on = j.find("on");
    if (!on || on->kind != JsonField::kBool) {
      err = "'on' must be true or false";
    } else {
      _relay = on->i != 0;
      c->text(on->i ? "{\"t\":\"relay\",\"on\":true}" : "{\"t\":\"relay\",\"on\":false}");
    }
  } else if (err.empty() && cmd->str == "start") {
    uint32_t rate, size, count;
    if (uintField(j, "rate", 1, kMaxRate, kDefaultRate, &rate, &err) &&
        uintField(j, "size", kMinTelemetry, kMaxTelemetry, kDefaultSize, &size, &err) &&
        uintField(j, "count", 0, kMaxCount, 0, &count, &err)) {
      std::string r = "{\"t\":\"started\"";
      appendKV(&r, "rate", rate);
      appendKV(&r, "size", size);
      appendKV(&r, "count", count);
      r.push_back('}');
      // Under _bcMu: the reply is queued before the first telemetry message of the run.
      Lock lk(_bcMu);
      startLocked(rate, size, count);
      c->text(r);
    }
  } else if (err.empty() && cmd->str == "stop") {
    Lock lk(_bcMu);
    _running = false;
    std::string r = "{\"t\":\"stopped\"";
    appendKV(&r, "sent", _seq);
    r.push_back('}');
    c->text(r);  // under _bcMu: no telemetry of this run follows it
  } else if (err.empty() && cmd->str == "echo") {
    const JsonField* d = j.find("data");
    if (!d || d->kind != JsonField::kString) {
      err = "'data' must be a string";
    } else {
      std::string r = "{\"t\":\"echo\",\"data\":";
      appendJsonString(&r, d->str);
      r.push_back('}');
      c->text(r);
    }
  } else if (err.empty() && cmd->str == "close") {
    uint32_t code = 1000;
    const JsonField* from = j.find("from");
    bool fromLoop = from && from->kind == JsonField::kString && from->str == "loop";
    if (!uintField(j, "code", 1000, 4999, 1000, &code, &err)) {
    } else if (!sendableCloseCode(code)) {
      err = "'code' is not a close code an endpoint may send";
    } else if (from && !(from->kind == JsonField::kString && (from->str == "loop" || from->str == "callback"))) {
      err = "'from' must be \"callback\" or \"loop\"";
    } else if (!fromLoop) {
      c->close(uint16_t(code));  // right inside this DATA delivery
    } else {
      Lock lk(_bcMu);
      if (_nPending == kMaxPendingCloses) {
        err = "too many pending closes";
      } else {
        _pending[_nPending++] = PendingClose{c->id(), uint16_t(code)};
      }
    }
  } else if (err.empty() && cmd->str == "stats") {
    std::string body = statsJson();
    std::string r = "{\"t\":\"stats\",";
    r.append(body, 1, std::string::npos);
    c->text(r);
  } else if (err.empty()) {
    err = "unknown cmd ";
    appendJsonString(&err, cmd->str.data(), cmd->str.size() > 32 ? 32 : cmd->str.size());
  }

  if (!err.empty()) {
    {
      Lock lk(_statsMu);
      _badCommands++;
    }
    replyError(c, err);
  }
}

std::string ReferenceFirmware::statsJson() {
  bool running;
  uint32_t rate, size, count, seq, runs, totalSent, reached, bcDropped;
  bool unpaced;
  {
    Lock lk(_bcMu);
    running = _running;
    unpaced = _unpaced;
    rate = _rate;
    size = _size;
    count = _count;
    seq = _seq;
    runs = _runs;
    totalSent = _totalSent;
    reached = _reached;
    bcDropped = _bcDropped;
  }
  uint32_t events[6], messages, commands, badCommands;
  uint32_t ids[kMaxTrackedClients];
  size_t nIds;
  {
    Lock lk(_statsMu);
    for (int i = 0; i < 6; ++i) events[i] = _events[i];
    messages = _messages;
    commands = _commands;
    badCommands = _badCommands;
    nIds = _nIds;
    for (size_t i = 0; i < nIds; ++i) ids[i] = _ids[i];
  }
  AsyncWebSocket::Stats st = ws.stats();

  std::string s;
  s.reserve(768);
  s.push_back('{');
  appendKV(&s, "clients", st.clients, false);
  appendKV(&s, "connected", st.connected);
  appendKV(&s, "maxQueueDepth", st.maxQueueDepth);
  appendKV(&s, "queuedMessages", st.queuedMessages);
  s.append(",\"queues\":{");
  bool first = true;
  for (size_t i = 0; i < nIds; ++i) {
    AsyncWebSocketClientRef ref = ws.client(ids[i]);
    if (!ref) continue;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s\"%lu\":%lu", first ? "" : ",", static_cast<unsigned long>(ids[i]),
                  static_cast<unsigned long>(ref->queueLen()));
    s.append(buf);
    first = false;
  }
  s.append("},\"events\":{");
  for (int i = 0; i < 6; ++i) appendKV(&s, kEventNames[i], events[i], i != 0);
  s.push_back('}');
  appendKV(&s, "messages", messages);
  appendKV(&s, "commands", commands);
  appendKV(&s, "badCommands", badCommands);
  appendKV(&s, "dropped", st.dropped);
  appendKV(&s, "closedOnFull", st.closedOnFull);
  appendKV(&s, "protocolErrors", st.protocolErrors);
  appendKV(&s, "rejected", st.rejected);
  appendKV(&s, "allocFailures", st.allocFailures);
  appendKV(&s, "heapHeld", static_cast<unsigned long>(st.heapHeld));
  s.append(",\"broadcast\":{");
  s.append(running ? "\"running\":true" : "\"running\":false");
  appendKB(&s, "unpaced", unpaced);
  appendKV(&s, "seq", seq);
  appendKV(&s, "sent", seq);
  appendKV(&s, "rate", rate);
  appendKV(&s, "size", size);
  appendKV(&s, "count", count);
  appendKV(&s, "runs", runs);
  appendKV(&s, "totalSent", totalSent);
  appendKV(&s, "reached", reached);
  appendKV(&s, "dropped", bcDropped);
  s.push_back('}');
  s.append(",\"wsPath\":");
  appendJsonString(&s, _cfg.wsPath);
  appendKV(&s, "maxMessage", _cfg.maxMessage);
  appendKV(&s, "maxClients", _cfg.maxClients);
  appendKB(&s, "closeOnQueueFull", _cfg.closeOnQueueFull);
  appendKV(&s, "uptimeMs", millis() - _bootMs);
  s.push_back('}');
  return s;
}
