// The WebSocket core (AsyncWebSocket + AsyncWebServer) over real loopback sockets against a
// twin::Device: handshake answers, echo, protocol errors, broadcasts, close from inside a
// callback, end() with live clients, the one-DISCONNECT-per-CONNECT contract, sizes.
// Every test ends with the device stopped, zero live clients and the core's heap back to its
// starting value.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "AsyncWebServer.h"
#include "AsyncWebSocket.h"
#include "tc_heap.h"
#include "tc_loop.h"
#include "tc_peer.h"
#include "tc_test.h"
#include "twin.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Ev {
  AwsEventType type;
  uint32_t id;
  std::string data;
  uint16_t code = 0;
};

// Shared between a test and its firmware; every field under mu.
struct WsProbe {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Ev> events;
  std::vector<std::string> messages;
  std::map<uint32_t, int> depth;  // event nesting per client (must stay <= 1)
  int maxDepth = 0;
  bool echo = true;                       // onMessage echoes text
  bool closeInData = false;               // client->close() inside WS_EVT_DATA
  bool textAllInData = false;             // textAll() inside WS_EVT_DATA
  std::function<bool(AsyncWebServerRequest*)> handshake;
  size_t maxClients = 8;
  std::vector<const char*> protocols;
  AsyncWebSocket* ws = nullptr;
  AsyncWebServer* http = nullptr;

  size_t count(AwsEventType t) {
    std::lock_guard<std::mutex> lk(mu);
    size_t n = 0;
    for (auto& e : events) n += e.type == t;
    return n;
  }
  bool waitFor(std::function<bool()> pred, int ms) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, milliseconds(ms), pred);
  }
  size_t countLocked(AwsEventType t) {
    size_t n = 0;
    for (auto& e : events) n += e.type == t;
    return n;
  }
};

class WsFirmware : public twin::Firmware {
 public:
  explicit WsFirmware(WsProbe* p) : _p(p), _http(80), _ws("/ws") {}
  ~WsFirmware() override {
    {
      std::lock_guard<std::mutex> lk(_p->mu);
      _p->ws = nullptr;
      _p->http = nullptr;
    }
    _ws.end();
    _http.end();
  }
  void setup() override {
    WsProbe* p = _p;
    _ws.setMaxClients(p->maxClients);
    for (const char* proto : p->protocols) _ws.addProtocol(proto);
    if (p->handshake) _ws.handleHandshake(p->handshake);
    _ws.onEvent([p](AsyncWebSocket* server, AsyncWebSocketClient* c, AwsEventType t, void* arg, uint8_t* data,
                    size_t len) {
      bool closeIt, textAll;
      {
        std::lock_guard<std::mutex> lk(p->mu);
        int d = ++p->depth[c->id()];
        if (d > p->maxDepth) p->maxDepth = d;
        Ev e{t, c->id(), std::string(), 0};
        if (t == WS_EVT_DATA || t == WS_EVT_PING || t == WS_EVT_PONG || t == WS_EVT_ERROR) {
          e.data.assign(reinterpret_cast<const char*>(data), len);
        }
        if (t == WS_EVT_ERROR) e.code = *static_cast<uint16_t*>(arg);
        p->events.push_back(e);
        closeIt = p->closeInData && t == WS_EVT_DATA;
        textAll = p->textAllInData && t == WS_EVT_DATA;
      }
      if (closeIt) c->close(4000, "bye");
      if (textAll) server->textAll("from-data");
      {
        std::lock_guard<std::mutex> lk(p->mu);
        --p->depth[c->id()];
      }
      p->cv.notify_all();
    });
    _ws.onMessage([p](AsyncWebSocketClient* c, bool isText, const uint8_t* data, size_t len) {
      bool echo;
      {
        std::lock_guard<std::mutex> lk(p->mu);
        p->messages.emplace_back(reinterpret_cast<const char*>(data), len);
        echo = p->echo;
      }
      if (echo && isText) c->text(reinterpret_cast<const char*>(data), len);
      p->cv.notify_all();
    });
    _http.addHandler(&_ws);
    _http.on("/hello", HTTP_GET, [](AsyncWebServerRequest* r) { r->send(200, "text/plain", "hi"); });
    _http.begin();
    std::lock_guard<std::mutex> lk(p->mu);
    p->ws = &_ws;
    p->http = &_http;
  }
  void loop() override {}

 private:
  WsProbe* _p;
  AsyncWebServer _http;
  AsyncWebSocket _ws;
};

struct Rig {
  WsProbe probe;
  std::unique_ptr<twin::Device> device;
  uint16_t port = 0;
  explicit Rig(std::function<void(WsProbe&)> config = nullptr, twin::Profile profile = twin::Profile()) {
    if (config) config(probe);
    WsProbe* p = &probe;
    device = std::make_unique<twin::Device>(
        profile, [p] { return std::unique_ptr<twin::Firmware>(new WsFirmware(p)); },
        [](twin::LogLevel, const std::string&) {});
    if (device->start() && !device->ports().empty()) port = device->ports()[0];
  }
  ~Rig() { device->stop(); }
  void onLoop(std::function<void()> fn) { tcloop::runOnLoop(*device, std::move(fn), 5000); }
};

using tcpeer::closeCode;
using tcpeer::closedWithin;
using tcpeer::connectTo;
using tcpeer::Frame;
using tcpeer::frame;
using tcpeer::headDone;
using tcpeer::kAccept;
using tcpeer::kKey;
using tcpeer::parseFrames;
using tcpeer::readUntil;
using tcpeer::sendAll;
using tcpeer::upgradeRequest;

// Opens a WebSocket; returns the fd (or -1). Leftover bytes after the 101 head go to *rest.
int openWs(uint16_t port, std::string* rest = nullptr, const std::string& extra = "") {
  int fd = connectTo(port);
  if (fd < 0) return -1;
  sendAll(fd, upgradeRequest(extra));
  std::string r = readUntil(fd, 3000, headDone);
  if (r.compare(0, 12, "HTTP/1.1 101") != 0) {
    ::close(fd);
    return -1;
  }
  if (rest) *rest = r.substr(r.find("\r\n\r\n") + 4);
  return fd;
}

// Reads frames until pred(frames) holds or ms elapse.
std::vector<Frame> readFrames(int fd, int ms, std::function<bool(const std::vector<Frame>&)> pred,
                              std::string carry = "") {
  std::vector<Frame> frames;
  std::string buf = carry;
  auto end = Clock::now() + milliseconds(ms);
  char tmp[8192];
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

// Ends the server from the loop task and checks the clean end.
void checkCleanEnd(Rig& rig, size_t heapBefore) {
  AsyncWebSocket::Stats st{};
  rig.onLoop([&] {
    rig.probe.ws->end();
    st = rig.probe.ws->stats();
  });
  CHECK_EQ(st.clients, 0u);
  CHECK_EQ(st.graveyard, 0u);
  CHECK_EQ(st.liveObjects, 0u);
  CHECK_EQ(rig.probe.count(WS_EVT_CONNECT), rig.probe.count(WS_EVT_DISCONNECT));
  CHECK(rig.probe.maxDepth <= 1);
  rig.device->stop();
  CHECK_EQ(twincore::heap::held(), heapBefore);
  CHECK_EQ(rig.device->counters().clientsAlive.load(), 0);
}

}  // namespace

// An idle client's whole core heap is its object (measured with twincore::heap in
// core_perf_idle_client_heap); the budget is 512 bytes on a 64-bit host.
TEST(ws_client_state_fits_in_512) {
  CHECK(sizeof(AsyncWebSocketClient) <= 512);
  CHECK(sizeof(twincore::ws::ClientState) + sizeof(twincore::ws::SharedBuffer) <= 512);
}

TEST(ws_handshake_101_and_echo) {
  size_t heap0 = twincore::heap::held();
  Rig rig;
  REQUIRE(rig.port != 0);
  int fd = connectTo(rig.port);
  REQUIRE(fd >= 0);
  sendAll(fd, upgradeRequest());
  std::string head = readUntil(fd, 3000, headDone);
  CHECK(head.compare(0, 12, "HTTP/1.1 101") == 0);
  CHECK(head.find(std::string("Sec-WebSocket-Accept: ") + kAccept + "\r\n") != std::string::npos);
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_CONNECT) == 1; }, 2000));
  sendAll(fd, frame(1, "hello"));
  auto fr = readFrames(fd, 3000, [](const std::vector<Frame>& f) { return !f.empty(); },
                       head.substr(head.find("\r\n\r\n") + 4));
  REQUIRE(fr.size() >= 1);
  CHECK_EQ(int(fr[0].op), 1);
  CHECK_EQ(fr[0].payload, std::string("hello"));
  // A fragmented message is reassembled for onMessage.
  sendAll(fd, frame(1, "ab", false) + frame(0, "cd", true));
  fr = readFrames(fd, 3000, [](const std::vector<Frame>& f) { return !f.empty(); });
  REQUIRE(fr.size() >= 1);
  CHECK_EQ(fr[0].payload, std::string("abcd"));
  // Ping -> pong with the same payload, and a PING event.
  sendAll(fd, frame(9, "pp"));
  fr = readFrames(fd, 3000, [](const std::vector<Frame>& f) { return !f.empty(); });
  REQUIRE(fr.size() >= 1);
  CHECK_EQ(int(fr[0].op), 10);
  CHECK_EQ(fr[0].payload, std::string("pp"));
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_PING) == 1; }, 2000));
  // Client close: the server echoes 1000 and closes the TCP; one DISCONNECT.
  sendAll(fd, frame(8, std::string("\x03\xe8", 2)));
  fr = readFrames(fd, 3000, [](const std::vector<Frame>& f) { return !f.empty(); });
  REQUIRE(fr.size() >= 1);
  CHECK_EQ(int(fr[0].op), 8);
  CHECK_EQ(closeCode(fr[0]), 1000);
  CHECK(closedWithin(fd, 3000));
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_DISCONNECT) == 1; }, 2000));
  ::close(fd);
  checkCleanEnd(rig, heap0);
}

TEST(ws_bad_handshakes_get_http_status) {
  size_t heap0 = twincore::heap::held();
  Rig rig([](WsProbe& p) {
    p.handshake = [](AsyncWebServerRequest* r) { return r->header("X-Deny") == nullptr; };
  });
  REQUIRE(rig.port != 0);
  struct Case {
    std::string request;
    const char* status;
    const char* mustContain;
  } cases[] = {
      {upgradeRequest("", "/ws", ""), "HTTP/1.1 400", nullptr},
      {upgradeRequest("", "/ws", "short"), "HTTP/1.1 400", nullptr},
      {upgradeRequest("", "/ws", kKey, "8"), "HTTP/1.1 400", "Sec-WebSocket-Version: 13\r\n"},
      {upgradeRequest("X-Deny: 1\r\n"), "HTTP/1.1 401", nullptr},
      {upgradeRequest("", "/nope"), "HTTP/1.1 404", nullptr},
      {"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400", nullptr},
      {"BAD\r\n\r\n", "HTTP/1.1 400", nullptr},
      {"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200", "\r\n\r\nhi"},
      {"GET /" + std::string(4000, 'a') + " HTTP/1.1\r\n\r\n", "HTTP/1.1 414", nullptr},
      {"GET / HTTP/1.1\r\nX: " + std::string(4000, 'a') + "\r\n\r\n", "HTTP/1.1 431", nullptr},
  };
  for (auto& c : cases) {
    int fd = connectTo(rig.port);
    REQUIRE(fd >= 0);
    sendAll(fd, c.request);
    bool eof = false;
    std::string r = readUntil(fd, 3000, [](const std::string&) { return false; }, &eof);
    CHECK_MSG(r.compare(0, 12, c.status) == 0, c.request.substr(0, 60) + " -> " + r.substr(0, 40));
    if (c.mustContain) CHECK_MSG(r.find(c.mustContain) != std::string::npos, r);
    CHECK(eof);  // Connection: close
    ::close(fd);
  }
  CHECK_EQ(rig.probe.count(WS_EVT_CONNECT), 0u);
  checkCleanEnd(rig, heap0);
}

TEST(ws_client_limit_503_and_subprotocol) {
  size_t heap0 = twincore::heap::held();
  Rig rig([](WsProbe& p) {
    p.maxClients = 2;
    p.protocols = {"v2.proto", "v1.proto"};
  });
  REQUIRE(rig.port != 0);
  int a = connectTo(rig.port);
  sendAll(a, upgradeRequest("Sec-WebSocket-Protocol: v1.proto, v2.proto\r\n"));
  std::string ha = readUntil(a, 3000, headDone);
  CHECK(ha.compare(0, 12, "HTTP/1.1 101") == 0);
  CHECK(ha.find("Sec-WebSocket-Protocol: v2.proto\r\n") != std::string::npos);  // ours, not the list
  int b = openWs(rig.port, nullptr, "Sec-WebSocket-Protocol: other\r\n");
  CHECK(b >= 0);
  int c = connectTo(rig.port);
  sendAll(c, upgradeRequest());
  std::string hc = readUntil(c, 3000, headDone);
  CHECK(hc.compare(0, 12, "HTTP/1.1 503") == 0);
  ::close(a);
  ::close(b);
  ::close(c);
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_DISCONNECT) == 2; }, 3000));
  checkCleanEnd(rig, heap0);
}

TEST(ws_protocol_errors_get_close_codes) {
  size_t heap0 = twincore::heap::held();
  Rig rig;
  REQUIRE(rig.port != 0);
  struct Case {
    std::string bytes;
    uint16_t code;
  } cases[] = {
      {frame(1, "x", true, false), 1002},                  // unmasked
      {frame(1, std::string("\xff\xfe", 2)), 1007},        // invalid UTF-8
      {frame(2, std::string(20000, 'b')), 1009},          // too big
      {frame(3, "x"), 1002},                               // reserved opcode
  };
  for (auto& c : cases) {
    std::string rest;
    int fd = openWs(rig.port, &rest);
    REQUIRE(fd >= 0);
    sendAll(fd, c.bytes);
    auto fr = readFrames(fd, 3000, [](const std::vector<Frame>& f) { return !f.empty() && f.back().op == 8; }, rest);
    REQUIRE(!fr.empty());
    CHECK_EQ(int(fr.back().op), 8);
    CHECK_EQ(closeCode(fr.back()), c.code);
    CHECK(closedWithin(fd, 3000));
    ::close(fd);
  }
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_DISCONNECT) == 4; }, 3000));
  CHECK_EQ(rig.probe.count(WS_EVT_ERROR), 4u);
  checkCleanEnd(rig, heap0);
}

TEST(ws_close_inside_data_handler_disconnects_once_after_it) {
  size_t heap0 = twincore::heap::held();
  Rig rig([](WsProbe& p) {
    p.closeInData = true;
    p.echo = false;
  });
  REQUIRE(rig.port != 0);
  std::string rest;
  int fd = openWs(rig.port, &rest);
  REQUIRE(fd >= 0);
  sendAll(fd, frame(1, "x"));
  auto fr = readFrames(fd, 3000, [](const std::vector<Frame>& f) { return !f.empty(); }, rest);
  REQUIRE(!fr.empty());
  CHECK_EQ(int(fr[0].op), 8);
  CHECK_EQ(closeCode(fr[0]), 4000);
  sendAll(fd, frame(8, std::string("\x0f\xa0", 2)));  // answer the close
  CHECK(closedWithin(fd, 3000));
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_DISCONNECT) == 1; }, 3000));
  {
    std::lock_guard<std::mutex> lk(rig.probe.mu);
    CHECK_EQ(rig.probe.events.front().type, WS_EVT_CONNECT);
    CHECK_EQ(rig.probe.events.back().type, WS_EVT_DISCONNECT);
  }
  ::close(fd);
  checkCleanEnd(rig, heap0);
}

TEST(ws_broadcast_from_loop_reaches_everyone_and_survives_resets) {
  size_t heap0 = twincore::heap::held();
  Rig rig([](WsProbe& p) { p.echo = false; });
  REQUIRE(rig.port != 0);
  const int kClients = 6;
  std::vector<int> fds;
  std::vector<std::string> rests(kClients);
  for (int i = 0; i < kClients; ++i) {
    int fd = openWs(rig.port, &rests[size_t(i)]);
    REQUIRE(fd >= 0);
    fds.push_back(fd);
  }
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_CONNECT) == kClients; }, 3000));
  // Reset two clients while broadcasting from the loop task.
  std::atomic<int> sent{0};
  std::thread resetter([&] {
    std::this_thread::sleep_for(milliseconds(5));
    for (int i = 0; i < 2; ++i) {
      linger l{1, 0};
      setsockopt(fds[size_t(i)], SOL_SOCKET, SO_LINGER, &l, sizeof l);
      ::close(fds[size_t(i)]);
      fds[size_t(i)] = -1;
    }
  });
  SendStatus last{};
  for (int round = 0; round < 10; ++round) {
    rig.onLoop([&] {
      for (int k = 0; k < 5; ++k) {
        std::string msg = "m" + std::to_string(sent.load());
        last = rig.probe.ws->textAll(msg);
        sent++;
      }
    });
  }
  resetter.join();
  CHECK(last.queued + last.dropped + last.closed <= kClients);
  // Surviving clients get every message, in order.
  for (int i = 2; i < kClients; ++i) {
    auto fr = readFrames(fds[size_t(i)], 5000, [&](const std::vector<Frame>& f) { return int(f.size()) >= sent.load(); },
                         rests[size_t(i)]);
    CHECK_EQ(int(fr.size()), sent.load());
    for (size_t k = 0; k < fr.size(); ++k) {
      if (fr[k].payload != "m" + std::to_string(k)) {
        CHECK_MSG(false, "out of order at " + std::to_string(k));
        break;
      }
    }
  }
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_DISCONNECT) == 2; }, 3000));
  size_t connected = 0;
  rig.onLoop([&] { connected = rig.probe.ws->count(); });
  CHECK_EQ(connected, size_t(kClients - 2));
  checkCleanEnd(rig, heap0);  // end() with 4 live clients: each gets one DISCONNECT
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

TEST(ws_ref_outlives_disconnect_and_end_is_safe_after) {
  size_t heap0 = twincore::heap::held();
  Rig rig([](WsProbe& p) { p.echo = false; });
  REQUIRE(rig.port != 0);
  int fd = openWs(rig.port);
  REQUIRE(fd >= 0);
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_CONNECT) == 1; }, 2000));
  uint32_t id = 0;
  {
    std::lock_guard<std::mutex> lk(rig.probe.mu);
    id = rig.probe.events.front().id;
  }
  AsyncWebSocketClientRef ref;
  rig.onLoop([&] { ref = rig.probe.ws->client(id); });
  REQUIRE(bool(ref));
  ::close(fd);
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_DISCONNECT) == 1; }, 3000));
  bool sentOk = true;
  AwsClientStatus st = WS_CONNECTED;
  rig.onLoop([&] {
    sentOk = ref->text("late");
    st = ref->status();
    ref.reset();
  });
  CHECK(!sentOk);
  CHECK_EQ(st, WS_DISCONNECTED);
  SendStatus after{};
  rig.onLoop([&] {
    rig.probe.ws->end();
    after = rig.probe.ws->textAll("x");
    rig.probe.ws->end();  // idempotent
  });
  CHECK_EQ(after.error, SendStatus::kNotRunning);
  checkCleanEnd(rig, heap0);
}

TEST(ws_full_queue_drops_and_counts) {
  size_t heap0 = twincore::heap::held();
  Rig rig([](WsProbe& p) { p.echo = false; });
  REQUIRE(rig.port != 0);
  int fd = openWs(rig.port);  // never reads
  REQUIRE(fd >= 0);
  CHECK(rig.probe.waitFor([&] { return rig.probe.countLocked(WS_EVT_CONNECT) == 1; }, 2000));
  uint32_t dropped = 0, queued = 0;
  AsyncWebSocket::Stats st{};
  rig.onLoop([&] {
    std::string big(4000, 'z');
    for (int i = 0; i < 200; ++i) {
      SendStatus s = rig.probe.ws->textAll(big);
      dropped += s.dropped;
      queued += s.queued;
    }
    st = rig.probe.ws->stats();
  });
  CHECK(dropped > 0);
  CHECK(queued > 0);
  CHECK(st.maxQueueDepth <= WS_MAX_QUEUED_MESSAGES);
  ::close(fd);
  checkCleanEnd(rig, heap0);
}
