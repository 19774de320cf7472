// The ESPAsyncWebServer drop-in over real loopback sockets against a twin::Device: DATA events
// streaming a 1 MiB message in chunks with a few KB of core heap, NUL-terminated text chunks, the
// 1009 of onMessage's cap received by a peer still uploading, a streamed (fragmented) echo with
// bounded memory, the upstream-shaped calls (String overloads, SendStatus results, getClients(),
// client(id) handles, makeBuffer pointers), and the HTTP side: query and form parameters, bodies,
// beginResponse + addHeader, templates, fillers, AsyncResponseStream, redirects, Basic auth and
// static files from LittleFS. Every test ends with the device stopped and the core's heap back
// where it started.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ESPAsyncWebServer.h"
#include "LittleFS.h"
#include "tc_heap.h"
#include "tc_loop.h"
#include "tc_peer.h"
#include "tc_test.h"
#include "twin.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using tcpeer::closeCode;
using tcpeer::closedWithin;
using tcpeer::connectTo;
using tcpeer::Frame;
using tcpeer::frame;
using tcpeer::headDone;
using tcpeer::parseFrames;
using tcpeer::readUntil;
using tcpeer::sendAll;
using tcpeer::upgradeRequest;

typedef std::function<void(AsyncWebServer&, AsyncWebSocket&)> Setup;

class DropinFw : public twin::Firmware {
 public:
  explicit DropinFw(Setup s) : _setup(std::move(s)), server(80), ws("/ws") {}
  ~DropinFw() override {
    ws.end();
    server.end();
  }
  void setup() override {
    if (_setup) _setup(server, ws);
    server.addHandler(&ws);
    server.begin();
  }
  void loop() override {}

 private:
  Setup _setup;

 public:
  AsyncWebServer server;
  AsyncWebSocket ws;
};

struct Rig {
  std::unique_ptr<twin::Device> device;
  uint16_t port = 0;
  explicit Rig(Setup s, twin::Profile profile = twin::Profile()) {
    device = std::make_unique<twin::Device>(
        profile, [s] { return std::unique_ptr<twin::Firmware>(new DropinFw(s)); },
        [](twin::LogLevel, const std::string&) {});
    if (device->start() && !device->ports().empty()) port = device->ports()[0];
  }
  ~Rig() { device->stop(); }
  void onLoop(std::function<void()> fn) { tcloop::runOnLoop(*device, std::move(fn), 5000); }
};

int openWs(uint16_t port, std::string* rest) {
  int fd = connectTo(port);
  if (fd < 0) return -1;
  sendAll(fd, upgradeRequest());
  std::string r = readUntil(fd, 3000, headDone);
  if (r.compare(0, 12, "HTTP/1.1 101") != 0) {
    ::close(fd);
    return -1;
  }
  *rest = r.substr(r.find("\r\n\r\n") + 4);
  return fd;
}

std::vector<Frame> readFrames(int fd, int ms, std::function<bool(const std::vector<Frame>&)> pred, std::string& buf) {
  std::vector<Frame> frames;
  auto end = Clock::now() + milliseconds(ms);
  char tmp[16384];
  for (;;) {
    auto got = parseFrames(buf);
    frames.insert(frames.end(), got.begin(), got.end());
    if (pred(frames) || Clock::now() >= end) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) break;
    buf.append(tmp, size_t(n));
  }
  return frames;
}

std::string pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    s[i] = char(x >> 24);
  }
  return s;
}

// One HTTP exchange, read to EOF (Connection: close).
struct Reply {
  int status = 0;
  std::string head, body;
  std::string header(const std::string& name) const {
    std::string lower = head;
    for (auto& ch : lower) ch = char(std::tolower(ch));
    std::string key = "\r\n";
    for (char ch : name) key += char(std::tolower(ch));
    key += ": ";
    size_t at = lower.find(key);
    if (at == std::string::npos) return "";
    size_t v = at + key.size();
    return head.substr(v, head.find("\r\n", v) - v);
  }
};

Reply http(uint16_t port, const std::string& request) {
  Reply r;
  int fd = connectTo(port);
  if (fd < 0) return r;
  sendAll(fd, request);
  bool eof = false;
  std::string all = readUntil(fd, 5000, [](const std::string&) { return false; }, &eof);
  ::close(fd);
  size_t sep = all.find("\r\n\r\n");
  if (sep == std::string::npos || all.compare(0, 7, "HTTP/1.") != 0) return r;
  r.status = std::atoi(all.c_str() + 9);
  r.head = all.substr(0, sep + 2);
  r.body = all.substr(sep + 4);
  return r;
}

Reply get(uint16_t port, const std::string& path, const std::string& extra = "") {
  return http(port, "GET " + path + " HTTP/1.1\r\nHost: device\r\n" + extra + "\r\n");
}

}  // namespace

// ---- WebSocket ---------------------------------------------------------------------------------

TEST(dropin_event_values_are_upstreams) {
  CHECK_EQ(int(WS_EVT_CONNECT), 0);
  CHECK_EQ(int(WS_EVT_DISCONNECT), 1);
  CHECK_EQ(int(WS_EVT_PING), 2);
  CHECK_EQ(int(WS_EVT_PONG), 3);
  CHECK_EQ(int(WS_EVT_ERROR), 4);
  CHECK_EQ(int(WS_EVT_DATA), 5);
  CHECK_EQ(int(WS_TEXT), 1);
  CHECK_EQ(int(WS_BINARY), 2);
  CHECK_EQ(int(WS_CONTINUATION), 0);
  CHECK_EQ(int(WS_DISCONNECT), 8);
  CHECK_EQ(int(WS_PING), 9);
  CHECK_EQ(int(WS_PONG), 10);
  CHECK_EQ(uint32_t(HTTP_GET), 2u);
  CHECK_EQ(uint32_t(HTTP_POST), 8u);
  CHECK_EQ(uint32_t(HTTP_DELETE), 1u);
  CHECK_EQ(DEFAULT_MAX_WS_CLIENTS, 8);
}

// A 1 MiB binary message (one frame, then 64 fragments) reaches a DATA handler in chunks with
// AwsFrameInfo offsets; no onMessage: nothing is reassembled, the core holds a few KB at most.
TEST(dropin_data_streams_a_1mib_message_in_chunks_with_little_heap) {
  size_t heap0 = twincore::heap::held();
  struct Tally {
    std::mutex mu;
    std::string got;
    size_t chunks = 0, maxHeap = 0, errors = 0, finals = 0;
    bool offsetsOk = true;
    uint64_t nextIndex = 0;
  };
  auto t = std::make_shared<Tally>();
  {
    Rig rig([t](AsyncWebServer&, AsyncWebSocket& ws) {
      ws.onEvent([t](AsyncWebSocket*, AsyncWebSocketClient*, AwsEventType type, void* arg, uint8_t* data, size_t len) {
        std::lock_guard<std::mutex> lk(t->mu);
        if (type == WS_EVT_ERROR) t->errors++;
        if (type != WS_EVT_DATA) return;
        AwsFrameInfo* info = static_cast<AwsFrameInfo*>(arg);
        if (info->index != t->nextIndex) t->offsetsOk = false;
        t->nextIndex = info->index + len == info->len ? 0 : info->index + len;
        if (info->message_opcode != WS_BINARY) t->offsetsOk = false;
        t->got.append(reinterpret_cast<const char*>(data), len);
        t->chunks++;
        if (info->final && info->index + len == info->len) t->finals++;
        size_t h = twincore::heap::held();
        if (h > t->maxHeap) t->maxHeap = h;
      });
    });
    REQUIRE(rig.port != 0);
    std::string rest;
    int fd = openWs(rig.port, &rest);
    REQUIRE(fd >= 0);
    const std::string msg = pattern(1 << 20, 7);
    sendAll(fd, frame(2, msg));
    std::string fragmented;
    for (int i = 0; i < 64; ++i) {
      fragmented += frame(i == 0 ? 2 : 0, msg.substr(size_t(i) * 16384, 16384), i == 63);
    }
    sendAll(fd, fragmented);
    auto end = Clock::now() + milliseconds(10000);
    for (;;) {
      {
        std::lock_guard<std::mutex> lk(t->mu);
        if (t->got.size() >= 2 * msg.size() || Clock::now() >= end) break;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    {
      std::lock_guard<std::mutex> lk(t->mu);
      CHECK_EQ(t->got.size(), 2 * msg.size());
      CHECK(t->got == msg + msg);
      CHECK(t->offsetsOk);
      CHECK_EQ(t->errors, 0u);
      CHECK_EQ(t->finals, 2u);
      CHECK(t->chunks >= 2 * 64);
      // The connection's own state is allocated before the transfer: what grows is per chunk.
      CHECK_MSG(t->maxHeap - heap0 < 8 * 1024, "core heap during the transfer: " << (t->maxHeap - heap0) << " B");
    }
    sendAll(fd, tcpeer::closeFrame(1000));
    CHECK(closedWithin(fd, 3000));
    ::close(fd);
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}

// Upstream guarantees data[len] == 0 for text chunks (examples write it): inside a segment and
// at its end (the copy path). ASan would report the write past a chunk ending the segment.
TEST(dropin_text_chunks_are_nul_terminated) {
  size_t heap0 = twincore::heap::held();
  auto bad = std::make_shared<std::atomic<int>>(0);
  auto seen = std::make_shared<std::atomic<size_t>>(0);
  {
    Rig rig([bad, seen](AsyncWebServer&, AsyncWebSocket& ws) {
      ws.onEvent([bad, seen](AsyncWebSocket*, AsyncWebSocketClient* c, AwsEventType type, void* arg, uint8_t* data,
                             size_t len) {
        if (type != WS_EVT_DATA) return;
        AwsFrameInfo* info = static_cast<AwsFrameInfo*>(arg);
        if (info->opcode == WS_TEXT || info->message_opcode == WS_TEXT) {
          if (data[len] != 0) (*bad)++;
          data[len] = 0;  // as upstream examples do
          if (std::strlen(reinterpret_cast<char*>(data)) != len) (*bad)++;
        }
        *seen += len;
      });
    });
    REQUIRE(rig.port != 0);
    std::string rest;
    int fd = openWs(rig.port, &rest);
    REQUIRE(fd >= 0);
    // Small messages packed in one segment, then a long one spread over many segments.
    std::string many;
    size_t total = 0;
    for (int i = 0; i < 50; ++i) {
      std::string m = "message " + std::to_string(i);
      many += frame(1, m);
      total += m.size();
    }
    std::string big(100000, 'x');
    total += big.size();
    sendAll(fd, many + frame(1, big));
    auto end = Clock::now() + milliseconds(5000);
    while (seen->load() < total && Clock::now() < end) std::this_thread::sleep_for(milliseconds(5));
    CHECK_EQ(seen->load(), total);
    CHECK_EQ(bad->load(), 0);
    ::close(fd);
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}

// onMessage keeps a cap: a 1 MiB upload beyond it is refused with 1009, and the peer, still
// uploading, receives that Close (the core reads and discards until the peer's Close, then closes
// at once) - in every one of 10 runs.
TEST(dropin_1009_reaches_a_peer_that_is_still_uploading) {
  size_t heap0 = twincore::heap::held();
  auto messages = std::make_shared<std::atomic<int>>(0);
  {
    Rig rig([messages](AsyncWebServer&, AsyncWebSocket& ws) {
      ws.setMaxMessageSize(1024);
      ws.onMessage([messages](AsyncWebSocketClient*, bool, const uint8_t*, size_t) { (*messages)++; });
    });
    REQUIRE(rig.port != 0);
    const std::string upload = frame(2, pattern(1 << 20, 3));
    int got1009 = 0;
    for (int run = 0; run < 10; ++run) {
      std::string buf;
      int fd = openWs(rig.port, &buf);
      REQUIRE(fd >= 0);
      sendAll(fd, frame(1, "small"));
      std::thread sender([fd, &upload] { sendAll(fd, upload); });
      auto fr = readFrames(fd, 5000, [](const std::vector<Frame>& f) { return !f.empty() && f.back().op == 8; }, buf);
      sender.join();
      bool is1009 = !fr.empty() && fr.back().op == 8 && closeCode(fr.back()) == 1009;
      got1009 += is1009;
      // Answered: the server closes the TCP at once (not after its 2 s close timeout).
      auto t0 = Clock::now();
      sendAll(fd, tcpeer::closeFrame(1009));
      CHECK(closedWithin(fd, 1500));
      CHECK(Clock::now() - t0 < milliseconds(1500));
      ::close(fd);
    }
    CHECK_EQ(got1009, 10);
    CHECK_EQ(messages->load(), 10);  // the small message before each upload
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}

// sendFragment echo: a 1 MiB message echoed chunk by chunk while it arrives; the peer reads the
// echo only after sending everything, so the receive hold must pause it; the core's heap stays
// bounded and the echo is exact.
TEST(dropin_fragment_echo_of_1mib_holds_bounded_memory) {
  size_t heap0 = twincore::heap::held();
  auto maxHeap = std::make_shared<std::atomic<size_t>>(0);
  auto failed = std::make_shared<std::atomic<int>>(0);
  {
    Rig rig([maxHeap, failed](AsyncWebServer&, AsyncWebSocket& ws) {
      ws.onEvent([maxHeap, failed](AsyncWebSocket*, AsyncWebSocketClient* c, AwsEventType type, void* arg,
                                   uint8_t* data, size_t len) {
        if (type != WS_EVT_DATA) return;
        AwsFrameInfo* info = static_cast<AwsFrameInfo*>(arg);
        bool first = info->num == 0 && info->index == 0;
        bool last = info->final && info->index + len == info->len;
        uint8_t op = first ? info->message_opcode : uint8_t(WS_CONTINUATION);
        if (!c->sendFragment(op, last, data, len)) (*failed)++;
        size_t h = twincore::heap::held();
        size_t m = maxHeap->load();
        while (h > m && !maxHeap->compare_exchange_weak(m, h)) {
        }
      });
    });
    REQUIRE(rig.port != 0);
    std::string buf;
    int fd = openWs(rig.port, &buf);
    REQUIRE(fd >= 0);
    const std::string msg = pattern(1 << 20, 11);
    std::atomic<bool> sent{false};
    std::thread sender([&] {
      sendAll(fd, frame(2, msg));
      sent = true;
    });
    std::this_thread::sleep_for(milliseconds(300));  // the peer does not read yet: the hold engages
    std::string echo;
    bool fin = false;
    auto end = Clock::now() + milliseconds(15000);
    char tmp[16384];
    while (!fin && Clock::now() < end) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      buf.append(tmp, size_t(n));
      for (auto& f : parseFrames(buf)) echo += f.payload;  // a Binary fragment, continuations, FIN
      if (echo.size() >= msg.size()) fin = true;
    }
    sender.join();
    CHECK(sent.load());
    CHECK_EQ(echo.size(), msg.size());
    CHECK(echo == msg);
    CHECK_EQ(failed->load(), 0);
    size_t peak = maxHeap->load() - heap0;
    CHECK_MSG(peak < 64 * 1024, "core heap peak during a 1 MiB echo: " << peak << " B");
    std::printf("fragment echo of 1 MiB: core heap peak %zu B\n", peak);
    sendAll(fd, tcpeer::closeFrame(1000));
    CHECK(closedWithin(fd, 3000));
    ::close(fd);
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}

// Upstream's calls: String overloads, results compared with AsyncWebSocket::DISCARDED/ENQUEUED,
// text() false on a closed client, count(), getClients() iteration, client(id) handles,
// makeBuffer() pointers, cleanupClients(n).
TEST(dropin_upstream_websocket_calls) {
  size_t heap0 = twincore::heap::held();
  {
    auto wsp = std::make_shared<std::atomic<AsyncWebSocket*>>(nullptr);
    Rig rig([wsp](AsyncWebServer&, AsyncWebSocket& ws) {
      ws.onEvent([](AsyncWebSocket* server, AsyncWebSocketClient* client, AwsEventType type, void* arg, uint8_t* data,
                    size_t len) {
        if (type == WS_EVT_CONNECT) client->text(String("hello ") + String(client->id()));
      });
      *wsp = &ws;
    });
    REQUIRE(rig.port != 0);
    AsyncWebSocket* ws = wsp->load();
    REQUIRE(ws != nullptr);
    std::string b1, b2;
    int f1 = openWs(rig.port, &b1);
    int f2 = openWs(rig.port, &b2);
    REQUIRE(f1 >= 0);
    REQUIRE(f2 >= 0);
    auto w1 = readFrames(f1, 3000, [](const std::vector<Frame>& f) { return !f.empty(); }, b1);
    auto w2 = readFrames(f2, 3000, [](const std::vector<Frame>& f) { return !f.empty(); }, b2);
    REQUIRE(!w1.empty());
    REQUIRE(!w2.empty());
    CHECK(w1[0].payload.compare(0, 6, "hello ") == 0);
    uint32_t id1 = uint32_t(std::atoi(w1[0].payload.c_str() + 6));
    bool allEnq = false, closedFalse = false, refNull = false, iterOk = false, bufOk = false;
    size_t count = 0;
    rig.onLoop([&] {
      count = ws->count();
      allEnq = ws->textAll(String("to all")) == AsyncWebSocket::ENQUEUED;
      size_t n = 0;
      for (auto& c : ws->getClients()) {
        c.text("iter");
        n++;
      }
      iterOk = n == 2 && ws->getClients().size() == 2;
      auto ref = ws->client(id1);
      refNull = ref != nullptr && ws->client(999999) == nullptr;
      AsyncWebSocketMessageBuffer* buffer = ws->makeBuffer(5);
      std::memcpy(buffer->get(), "bufXY", 5);
      bufOk = buffer->get()[5] == 0 && ws->textAll(buffer) == AsyncWebSocket::ENQUEUED;
      ref->close();
      closedFalse = !ref->text("after close") && !ws->text(id1, "after close");
    });
    CHECK_EQ(count, 2u);
    CHECK(allEnq);
    CHECK(iterOk);
    CHECK(refNull);
    CHECK(bufOk);
    CHECK(closedFalse);
    auto r1 = readFrames(f1, 3000, [](const std::vector<Frame>& f) { return !f.empty() && f.back().op == 8; }, b1);
    REQUIRE(r1.size() >= 4);
    CHECK_EQ(r1[0].payload, std::string("to all"));
    CHECK_EQ(r1[1].payload, std::string("iter"));
    CHECK_EQ(r1[2].payload, std::string("bufXY"));
    CHECK_EQ(closeCode(r1[3]), 1000);
    sendAll(f1, tcpeer::closeFrame(1000));
    CHECK(closedWithin(f1, 3000));
    bool one = false, discarded = false;
    // One client left: cleanupClients(0) closes it (1001); then nothing is connected.
    rig.onLoop([&] {
      one = ws->count() == 1;
      ws->cleanupClients(0);
      discarded = ws->textAll("nobody") == AsyncWebSocket::DISCARDED;
    });
    CHECK(one);
    CHECK(discarded);
    auto r2 = readFrames(f2, 3000, [](const std::vector<Frame>& f) { return !f.empty() && f.back().op == 8; }, b2);
    REQUIRE(!r2.empty());
    CHECK_EQ(closeCode(r2.back()), 1001);
    ::close(f1);
    ::close(f2);
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}

// ---- HTTP --------------------------------------------------------------------------------------

TEST(dropin_http_params_form_body_and_headers) {
  size_t heap0 = twincore::heap::held();
  {
    Rig rig([](AsyncWebServer& server, AsyncWebSocket&) {
      server.on("/get", HTTP_GET, [](AsyncWebServerRequest* r) {
        String out;
        if (r->hasParam("a")) out += "a=" + r->getParam("a")->value() + ";";
        if (r->hasParam("sp")) out += "sp=" + r->getParam("sp")->value() + ";";
        if (!r->hasParam("a", true)) out += "no-post-a;";
        out += "n=" + String(unsigned(r->params())) + ";";
        out += "ua=" + r->header("User-Agent") + ";";
        out += "url=" + r->url();
        r->send(200, "text/plain", out);
      });
      server.on("/form", HTTP_POST, [](AsyncWebServerRequest* r) {
        String out = r->getParam("x", true) ? r->getParam("x", true)->value() : String("none");
        out += "|" + r->arg("y");
        r->send(200, "text/plain", out);
      });
      server.on(
          "/body", HTTP_POST, [](AsyncWebServerRequest* r) { r->send(200, "text/plain", String(r->contentLength())); },
          nullptr,
          [](AsyncWebServerRequest* r, uint8_t* data, size_t len, size_t index, size_t total) {
            if (index == 0) r->_tempObject = std::calloc(1, sizeof(size_t));
            *static_cast<size_t*>(r->_tempObject) += len;
          });
      server.onNotFound([](AsyncWebServerRequest* r) { r->send(404, "text/plain", "nope " + r->url()); });
    });
    REQUIRE(rig.port != 0);
    Reply a = get(rig.port, "/get?a=1&sp=hello%20world+x", "User-Agent: probe/1\r\n");
    CHECK_EQ(a.status, 200);
    CHECK_EQ(a.body, std::string("a=1;sp=hello world x;no-post-a;n=2;ua=probe/1;url=/get"));
    CHECK_EQ(a.header("Content-Length"), std::string("54"));
    CHECK_EQ(a.header("Connection"), std::string("close"));
    std::string form = "x=%C3%A9t%C3%A9&y=two+words";
    Reply f = http(rig.port, "POST /form HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                             "Content-Length: " + std::to_string(form.size()) + "\r\n\r\n" + form);
    CHECK_EQ(f.status, 200);
    CHECK_EQ(f.body, std::string("\xC3\xA9t\xC3\xA9|two words"));
    std::string body(200000, 'b');
    Reply b = http(rig.port, "POST /body HTTP/1.1\r\nHost: d\r\nContent-Type: application/octet-stream\r\n"
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    CHECK_EQ(b.status, 200);
    CHECK_EQ(b.body, std::string("200000"));
    Reply n = get(rig.port, "/missing");
    CHECK_EQ(n.status, 404);
    CHECK_EQ(n.body, std::string("nope /missing"));
    Reply big = http(rig.port, "POST /form HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                               "Content-Length: 999999\r\n\r\n");
    CHECK_EQ(big.status, 413);
    Reply chunked = http(rig.port, "POST /body HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    CHECK_EQ(chunked.status, 411);
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}

TEST(dropin_http_responses) {
  size_t heap0 = twincore::heap::held();
  static const char kPage[] = "<p>%GREETING%, %NAME%! 100%% sure. %UNKNOWN_THAT_IS_FAR_TOO_LONG_TO_BE_A_NAME_AT_ALL</p>";
  {
    Rig rig([](AsyncWebServer& server, AsyncWebSocket&) {
      server.on("/hdr", HTTP_GET | HTTP_HEAD, [](AsyncWebServerRequest* r) {
        AsyncWebServerResponse* resp = r->beginResponse(201, "application/json", "{\"ok\":true}");
        resp->addHeader("X-Test", "yes");
        resp->addHeader("Cache-Control", "no-store");
        r->send(resp);
      });
      server.on("/tpl", HTTP_GET, [](AsyncWebServerRequest* r) {
        r->send_P(200, "text/html", kPage, [](const String& var) -> String {
          if (var == "GREETING") return "Hello";
          if (var == "NAME") return String("twin");
          return String();
        });
      });
      server.on("/bin", HTTP_GET, [](AsyncWebServerRequest* r) {
        static const uint8_t kData[] = {0, 1, 2, 3, 255};
        r->send(200, "application/octet-stream", kData, sizeof kData);
      });
      server.on("/fill", HTTP_GET, [](AsyncWebServerRequest* r) {
        r->send("text/plain", 10000, [](uint8_t* buf, size_t maxLen, size_t index) -> size_t {
          size_t n = maxLen < 10000 - index ? maxLen : 10000 - index;
          for (size_t i = 0; i < n; ++i) buf[i] = uint8_t('a' + (index + i) % 26);
          return n;
        });
      });
      server.on("/chunked", HTTP_GET, [](AsyncWebServerRequest* r) {
        r->sendChunked("text/plain", [](uint8_t* buf, size_t maxLen, size_t index) -> size_t {
          if (index >= 5000) return 0;
          size_t n = maxLen < 700 ? maxLen : 700;
          std::memset(buf, 'c', n);
          return n;
        });
      });
      server.on("/stream", HTTP_GET, [](AsyncWebServerRequest* r) {
        AsyncResponseStream* s = r->beginResponseStream("application/json");
        s->print("{\"n\":");
        s->printf("%d", 42);
        s->print("}");
        r->send(s);
      });
      server.on("/go", HTTP_GET, [](AsyncWebServerRequest* r) { r->redirect("/hdr"); });
      server.on("/big", HTTP_GET, [](AsyncWebServerRequest* r) { r->send(200, "text/plain", String('z') + std::string(60000, 'z').c_str()); });
      server.on("/private", HTTP_GET, [](AsyncWebServerRequest* r) { r->send(200, "text/plain", "secret"); })
          .setAuthentication("admin", "pw");
      server.on("/quiet", HTTP_GET, [](AsyncWebServerRequest*) {});
    });
    REQUIRE(rig.port != 0);
    Reply h = get(rig.port, "/hdr");
    CHECK_EQ(h.status, 201);
    CHECK_EQ(h.header("X-Test"), std::string("yes"));
    CHECK_EQ(h.header("Content-Type"), std::string("application/json"));
    CHECK_EQ(h.body, std::string("{\"ok\":true}"));
    Reply t = get(rig.port, "/tpl");
    CHECK_EQ(t.status, 200);
    CHECK_EQ(t.body, std::string("<p>Hello, twin! 100% sure. %UNKNOWN_THAT_IS_FAR_TOO_LONG_TO_BE_A_NAME_AT_ALL</p>"));
    CHECK_EQ(t.header("Content-Length"), std::string());
    Reply b = get(rig.port, "/bin");
    CHECK_EQ(b.body, std::string("\x00\x01\x02\x03\xff", 5));
    Reply f = get(rig.port, "/fill");
    CHECK_EQ(f.body.size(), 10000u);
    CHECK_EQ(f.body[26], 'a');
    Reply c = get(rig.port, "/chunked");
    CHECK_EQ(c.body, std::string(5600, 'c'));
    Reply s = get(rig.port, "/stream");
    CHECK_EQ(s.body, std::string("{\"n\":42}"));
    CHECK_EQ(s.header("Content-Length"), std::string("8"));
    Reply g = get(rig.port, "/go");
    CHECK_EQ(g.status, 302);
    CHECK_EQ(g.header("Location"), std::string("/hdr"));
    Reply big = get(rig.port, "/big");
    CHECK_EQ(big.body.size(), 60001u);
    Reply denied = get(rig.port, "/private");
    CHECK_EQ(denied.status, 401);
    CHECK(denied.header("WWW-Authenticate").find("Basic realm=") == 0);
    Reply ok = get(rig.port, "/private", "Authorization: Basic YWRtaW46cHc=\r\n");  // admin:pw
    CHECK_EQ(ok.status, 200);
    CHECK_EQ(ok.body, std::string("secret"));
    Reply quiet = get(rig.port, "/quiet");
    CHECK_EQ(quiet.status, 500);
    Reply head = http(rig.port, "HEAD /hdr HTTP/1.1\r\nHost: d\r\n\r\n");
    CHECK_EQ(head.status, 201);
    CHECK_EQ(head.body, std::string());
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}

// serveStatic from LittleFS: default file, .gz variants, ETag/304, Cache-Control, 404 outside.
TEST(dropin_http_static_files_from_littlefs) {
  size_t heap0 = twincore::heap::held();
  {
    Rig rig([](AsyncWebServer& server, AsyncWebSocket&) {
      LittleFS.begin(true);
      File f = LittleFS.open("/www/index.html", "w", true);
      f.print("<h1>home</h1>");
      f.close();
      f = LittleFS.open("/www/app.js.gz", "w", true);
      f.write(reinterpret_cast<const uint8_t*>("\x1f\x8b fake gzip"), 12);
      f.close();
      f = LittleFS.open("/www/sub/data.json", "w", true);
      f.print("{\"v\":1}");
      f.close();
      server.serveStatic("/", LittleFS, "/www/").setDefaultFile("index.html").setCacheControl("max-age=60");
    });
    REQUIRE(rig.port != 0);
    Reply root = get(rig.port, "/");
    CHECK_EQ(root.status, 200);
    CHECK_EQ(root.body, std::string("<h1>home</h1>"));
    CHECK_EQ(root.header("Content-Type"), std::string("text/html"));
    CHECK_EQ(root.header("Cache-Control"), std::string("max-age=60"));
    std::string etag = root.header("ETag");
    CHECK(!etag.empty());
    Reply again = get(rig.port, "/index.html", "If-None-Match: " + etag + "\r\n");
    CHECK_EQ(again.status, 304);
    CHECK_EQ(again.body, std::string());
    Reply js = get(rig.port, "/app.js");
    CHECK_EQ(js.status, 200);
    CHECK_EQ(js.header("Content-Encoding"), std::string("gzip"));
    CHECK_EQ(js.header("Content-Type"), std::string("application/javascript"));
    CHECK_EQ(js.body.size(), 12u);
    Reply sub = get(rig.port, "/sub/data.json");
    CHECK_EQ(sub.body, std::string("{\"v\":1}"));
    CHECK_EQ(sub.header("Content-Type"), std::string("application/json"));
    Reply none = get(rig.port, "/nothing.txt");
    CHECK_EQ(none.status, 404);
    Reply escape = get(rig.port, "/../../etc/passwd");
    CHECK(escape.status == 404 || escape.status == 400);
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}

// Middleware (server and handler chains, a refusal, headers added after next()), rewrites and
// URI matchers, as ESPAsyncWebServer 3.x sketches use them.
TEST(dropin_http_middleware_rewrites_and_matchers) {
  size_t heap0 = twincore::heap::held();
  {
    Rig rig([](AsyncWebServer& server, AsyncWebSocket& ws) {
      server.addMiddleware([](AsyncWebServerRequest* r, ArMiddlewareNext next) {
        next();
        if (r->getResponse()) r->getResponse()->addHeader("X-Server-Chain", "1");
      });
      AsyncCallbackWebHandler& h = server.on("/guarded", HTTP_GET, [](AsyncWebServerRequest* r) { r->send(200, "text/plain", "in"); });
      h.addMiddleware([](AsyncWebServerRequest* r, ArMiddlewareNext next) {
        if (r->hasParam("user") && r->getParam("user")->value() == "anon") {
          r->send(403, "text/plain", "anon");
          return;
        }
        next();
      });
      server.on(AsyncURIMatcher::exact("/exact"), HTTP_GET, [](AsyncWebServerRequest* r) { r->send(200, "text/plain", "exact"); });
      server.on(AsyncURIMatcher::prefix("/pre"), HTTP_GET, [](AsyncWebServerRequest* r) { r->send(200, "text/plain", "prefix " + r->url()); });
      server.on("/img/*.png", HTTP_GET, [](AsyncWebServerRequest* r) { r->send(200, "text/plain", "png"); });
      server.on(AsyncURIMatcher("/Case", AsyncURIMatcher::CaseInsensitive), HTTP_GET,
                [](AsyncWebServerRequest* r) { r->send(200, "text/plain", "case"); });
      server.rewrite("/old", "/exact?from=old");
      // A WebSocket guarded by middleware: a second client is refused with 503.
      ws.addMiddleware([&ws](AsyncWebServerRequest* r, ArMiddlewareNext next) {
        if (ws.count() >= 1) {
          r->send(503, "text/plain", "busy");
        } else {
          next();
        }
      });
    });
    REQUIRE(rig.port != 0);
    Reply in = get(rig.port, "/guarded");
    CHECK_EQ(in.status, 200);
    CHECK_EQ(in.header("X-Server-Chain"), std::string("1"));
    Reply anon = get(rig.port, "/guarded?user=anon");
    CHECK_EQ(anon.status, 403);
    CHECK_EQ(anon.header("X-Server-Chain"), std::string("1"));
    CHECK_EQ(get(rig.port, "/exact").body, std::string("exact"));
    CHECK_EQ(get(rig.port, "/exact/x").status, 404);
    CHECK_EQ(get(rig.port, "/prefixed/more").body, std::string("prefix /prefixed/more"));
    CHECK_EQ(get(rig.port, "/img/a/b.png").body, std::string("png"));
    CHECK_EQ(get(rig.port, "/img/a/b.jpg").status, 404);
    CHECK_EQ(get(rig.port, "/CASE").body, std::string("case"));
    Reply old = get(rig.port, "/old");
    CHECK_EQ(old.body, std::string("exact"));
    std::string b1;
    int f1 = openWs(rig.port, &b1);
    CHECK(f1 >= 0);
    int f2 = connectTo(rig.port);
    REQUIRE(f2 >= 0);
    sendAll(f2, upgradeRequest());
    std::string r2 = readUntil(f2, 3000, headDone);
    CHECK(r2.compare(0, 12, "HTTP/1.1 503") == 0);
    ::close(f2);
    if (f1 >= 0) ::close(f1);
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}

// request->onDisconnect(fn): called once when the connection closes, answered or not.
TEST(dropin_http_request_on_disconnect) {
  size_t heap0 = twincore::heap::held();
  auto calls = std::make_shared<std::atomic<int>>(0);
  {
    Rig rig([calls](AsyncWebServer& server, AsyncWebSocket&) {
      server.on("/bye", HTTP_GET, [calls](AsyncWebServerRequest* r) {
        r->onDisconnect([calls] { (*calls)++; });
        r->send(200, "text/plain", "bye");
      });
    });
    REQUIRE(rig.port != 0);
    CHECK_EQ(get(rig.port, "/bye").body, std::string("bye"));
    CHECK_EQ(get(rig.port, "/bye").body, std::string("bye"));
    auto end = Clock::now() + milliseconds(3000);
    while (calls->load() < 2 && Clock::now() < end) std::this_thread::sleep_for(milliseconds(5));
    CHECK_EQ(calls->load(), 2);
  }
  CHECK_EQ(calls->load(), 2);
  CHECK_EQ(twincore::heap::held(), heap0);
}
