// The reference firmware (firmware/ReferenceFirmware.*) booted by name through the registry on a
// twin::Device, driven over real loopback sockets with raw bytes: the WebSocket handshake, the
// command protocol, telemetry in order and exactly sized, closes from the callback and from the
// loop task, the HTTP routes (/, /stats, 404), and config validation. Every test ends with the
// device stopped, zero live clients and the core's heap back to its starting value.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ReferenceFirmware.h"
#include "dashboard_html.h"
#include "registry.h"
#include "tc_heap.h"
#include "tc_peer.h"
#include "tc_test.h"
#include "twin.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Rig {
  std::unique_ptr<twin::Device> device;
  uint16_t port = 0;
  std::string error;
  explicit Rig(const FirmwareConfig& config = {}, twin::Profile profile = twin::Profile()) {
    twin::FirmwareFactory factory;
    if (!firmwareFactory("reference", config, &factory, &error)) return;
    device = std::make_unique<twin::Device>(profile, factory, [](twin::LogLevel, const std::string&) {});
    if (device->start() && !device->ports().empty()) port = device->ports()[0];
  }
  ~Rig() {
    if (device) device->stop();
  }
};

using tcpeer::closeCode;
using tcpeer::connectTo;
using tcpeer::Frame;
using tcpeer::frame;
using tcpeer::parseFrames;
using tcpeer::readUntil;
using tcpeer::sendAll;

struct HttpReply {
  int status = 0;
  std::string head, body;
};

// One request, read to EOF (the server answers with Connection: close).
HttpReply httpGet(uint16_t port, const std::string& path) {
  HttpReply r;
  int fd = connectTo(port);
  if (fd < 0) return r;
  sendAll(fd, "GET " + path + " HTTP/1.1\r\nHost: device\r\n\r\n");
  bool eof = false;
  std::string all = readUntil(fd, 3000, [](const std::string&) { return false; }, &eof);
  ::close(fd);
  size_t sep = all.find("\r\n\r\n");
  if (sep == std::string::npos || all.compare(0, 9, "HTTP/1.1 ") != 0) return r;
  r.status = std::atoi(all.c_str() + 9);
  r.head = all.substr(0, sep + 2);
  r.body = all.substr(sep + 4);
  return r;
}

// A raw WebSocket client connection: handshake, then frames in order.
struct WsConn {
  int fd = -1;
  std::string buf;
  bool eof = false;
  explicit WsConn(uint16_t port, const std::string& path = "/ws") {
    fd = connectTo(port);
    if (fd < 0) return;
    sendAll(fd, "GET " + path +
                    " HTTP/1.1\r\nHost: device\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    std::string r = readUntil(fd, 3000, [](const std::string& s) { return s.find("\r\n\r\n") != std::string::npos; });
    if (r.compare(0, 12, "HTTP/1.1 101") != 0 ||
        r.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") == std::string::npos) {
      ::close(fd);
      fd = -1;
      return;
    }
    buf = r.substr(r.find("\r\n\r\n") + 4);
  }
  ~WsConn() {
    if (fd >= 0) ::close(fd);
  }
  bool ok() const { return fd >= 0; }
  void send(uint8_t op, const std::string& payload) { sendAll(fd, frame(op, payload)); }
  void text(const std::string& s) { send(1, s); }
  // Reads frames until pred(frames) holds, EOF, or ms elapse.
  std::vector<Frame> read(int ms, std::function<bool(const std::vector<Frame>&)> pred) {
    std::vector<Frame> frames;
    auto end = Clock::now() + milliseconds(ms);
    char tmp[16384];
    for (;;) {
      auto got = parseFrames(buf);
      frames.insert(frames.end(), got.begin(), got.end());
      if (pred(frames) || eof || Clock::now() >= end) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) {
        eof = true;
        continue;
      }
      buf.append(tmp, size_t(n));
    }
    return frames;
  }
  // The next frame (op 0xff on timeout).
  Frame next(int ms = 3000) {
    std::vector<Frame> f = read(ms, [](const std::vector<Frame>& v) { return !v.empty(); });
    if (f.empty()) return Frame{0xff, std::string()};
    // Put back any extra frame (re-encode unmasked, as the server sent it).
    for (size_t i = f.size(); i-- > 1;) buf.insert(0, serverFrame(f[i]));
    return f[0];
  }
  static std::string serverFrame(const Frame& fr) {
    std::string f;
    f.push_back(char(0x80 | fr.op));
    size_t n = fr.payload.size();
    if (n < 126) {
      f.push_back(char(n));
    } else if (n < 65536) {
      f.push_back(char(126));
      f.push_back(char(n >> 8));
      f.push_back(char(n & 0xff));
    } else {
      f.push_back(char(127));
      for (int i = 7; i >= 0; --i) f.push_back(char((uint64_t(n) >> (8 * i)) & 0xff));
    }
    return f + fr.payload;
  }
  // Skips telemetry; returns the next other text frame's payload ("" on timeout).
  std::string nextReply(int ms = 3000) {
    auto end = Clock::now() + milliseconds(ms);
    while (Clock::now() < end) {
      Frame f = next(int(std::chrono::duration_cast<milliseconds>(end - Clock::now()).count()) + 1);
      if (f.op == 0xff) break;
      if (f.op == 1 && f.payload.compare(0, 10, "{\"t\":\"tm\",") == 0) continue;
      return f.payload;
    }
    return std::string();
  }
  bool closedWithin(int ms) {
    read(ms, [](const std::vector<Frame>&) { return false; });
    return eof;
  }
};

// The integer after "key": in a flat or nested JSON text (first occurrence); -1 when absent.
long jsonInt(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::strtol(json.c_str() + at + key.size() + 3, nullptr, 10);
}

bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

void checkCleanEnd(Rig& rig, size_t heapBefore) {
  rig.device->stop();
  CHECK_EQ(twincore::heap::held(), heapBefore);
  CHECK_EQ(rig.device->counters().clientsAlive.load(), 0);
  CHECK_EQ(rig.device->counters().connectionsOpen.load(), 0);
  CHECK_EQ(rig.device->counters().threadsAlive.load(), 0);
}

}  // namespace

TEST(reference_telemetry_in_order_exact_size) {
  size_t heap0 = twincore::heap::held();
  Rig rig;
  REQUIRE(rig.port != 0);
  WsConn ws(rig.port);
  REQUIRE(ws.ok());
  ws.text("{\"cmd\":\"start\",\"rate\":500,\"size\":100,\"count\":40}");
  Frame started = ws.next();
  CHECK_EQ(int(started.op), 1);
  CHECK_EQ(started.payload, std::string("{\"t\":\"started\",\"rate\":500,\"size\":100,\"count\":40}"));
  auto frames = ws.read(5000, [](const std::vector<Frame>& f) {
    return !f.empty() && contains(f.back().payload, "\"t\":\"done\"");
  });
  REQUIRE(frames.size() == 41);
  for (size_t i = 0; i < 40; ++i) {
    CHECK_EQ(int(frames[i].op), 1);
    CHECK_EQ(frames[i].payload.size(), 100u);
    CHECK_EQ(jsonInt(frames[i].payload, "seq"), long(i + 1));
    CHECK(frames[i].payload.compare(0, 16, "{\"t\":\"tm\",\"seq\":") == 0);
    CHECK(frames[i].payload.compare(frames[i].payload.size() - 5, 5, "xxx\"}") == 0);
  }
  CHECK_EQ(frames[40].payload, std::string("{\"t\":\"done\",\"sent\":40}"));
  // The smallest size: every message still exactly 52 bytes; a stop ends the run.
  ws.text("{\"cmd\":\"start\",\"rate\":1000,\"size\":52}");
  CHECK(contains(ws.next().payload, "\"t\":\"started\""));
  frames = ws.read(3000, [](const std::vector<Frame>& f) { return f.size() >= 10; });
  REQUIRE(frames.size() >= 10);
  for (size_t i = 0; i < frames.size(); ++i) {
    CHECK_EQ(frames[i].payload.size(), 52u);
    CHECK_EQ(jsonInt(frames[i].payload, "seq"), long(i + 1));
  }
  ws.text("{\"cmd\":\"stop\"}");
  // Until "stopped": in order, and every message sent either arrived or was counted as dropped
  // (about 120 messages of queue and window are needed before one can drop, so normally none is).
  std::string stopped;
  long lastSeq = long(frames.size()), received = long(frames.size());
  for (int i = 0; i < 2000; ++i) {
    Frame f = ws.next();
    if (f.op != 1) break;
    if (contains(f.payload, "\"t\":\"tm\"")) {
      CHECK_EQ(f.payload.size(), 52u);
      CHECK_MSG(jsonInt(f.payload, "seq") > lastSeq, jsonInt(f.payload, "seq") << " after " << lastSeq);
      lastSeq = jsonInt(f.payload, "seq");
      ++received;
      continue;
    }
    stopped = f.payload;
    break;
  }
  CHECK(stopped.rfind("{\"t\":\"stopped\",\"sent\":", 0) == 0);
  long sent = jsonInt(stopped, "sent");
  CHECK(sent >= lastSeq);
  CHECK_EQ(received + jsonInt(httpGet(rig.port, "/stats").body, "dropped"), sent);
  // Nothing after "stopped".
  CHECK(ws.read(300, [](const std::vector<Frame>& f) { return !f.empty(); }).empty());
  checkCleanEnd(rig, heap0);
}

TEST(reference_commands_and_echo) {
  size_t heap0 = twincore::heap::held();
  Rig rig;
  REQUIRE(rig.port != 0);
  WsConn ws(rig.port);
  REQUIRE(ws.ok());
  ws.text("{\"cmd\":\"echo\",\"data\":\"h\\u00e9llo \\\"q\\\" \\ud83d\\ude00 \xe2\x82\xac\\n\"}");
  CHECK_EQ(ws.nextReply(), std::string("{\"t\":\"echo\",\"data\":\"h\xc3\xa9llo \\\"q\\\" \xf0\x9f\x98\x80 \xe2\x82\xac\\n\"}"));
  // Bad JSON and bad commands get an error, and the connection lives on.
  const char* bad[] = {
      "{", "{\"cmd\":}", "{\"cmd\":\"start\",}", "{\"cmd\":\"x\"} trailing", "{\"cmd\":[1]}", "{\"a\":1}",
      "{\"cmd\":\"nope\"}", "{\"cmd\":\"start\",\"rate\":0}", "{\"cmd\":\"start\",\"rate\":1.5}",
      "{\"cmd\":\"start\",\"size\":10}", "{\"cmd\":\"echo\",\"data\":5}", "{\"cmd\":\"close\",\"code\":1005}",
      "{\"cmd\":\"close\",\"from\":\"elsewhere\"}", "{\"cmd\":\"echo\",\"data\":\"\\ud800\"}",
      "{\"cmd\":\"echo\",\"data\":\"\\x\"}", "{\"cmd\":01}",
  };
  for (const char* b : bad) {
    ws.text(b);
    std::string r = ws.nextReply();
    CHECK_MSG(r.rfind("{\"t\":\"error\",\"error\":\"", 0) == 0, b << " -> " << r);
  }
  // Text not starting with '{' and binary are echoed unchanged.
  ws.text(" {not a command}");
  CHECK_EQ(ws.nextReply(), std::string(" {not a command}"));
  std::string bin;
  for (int i = 0; i < 300; ++i) bin.push_back(char(i * 7));
  ws.send(2, bin);
  Frame b = ws.next();
  CHECK_EQ(int(b.op), 2);
  CHECK(b.payload == bin);
  ws.send(2, std::string());
  b = ws.next();
  CHECK_EQ(int(b.op), 2);
  CHECK(b.payload.empty());
  // Ping -> pong with the payload.
  ws.send(9, "pp");
  b = ws.next();
  CHECK_EQ(int(b.op), 10);
  CHECK_EQ(b.payload, std::string("pp"));
  // stats over the socket.
  ws.text("{\"cmd\":\"stats\"}");
  std::string st = ws.nextReply();
  CHECK(st.compare(0, 14, "{\"t\":\"stats\",\"") == 0);
  CHECK_EQ(jsonInt(st, "connected"), 1);
  CHECK(jsonInt(st, "badCommands") >= long(sizeof bad / sizeof bad[0]));
  CHECK(jsonInt(st, "ping") >= 1);
  // Client close 4001: echoed, the TCP closes.
  ws.send(8, std::string("\x0f\xa1", 2));
  b = ws.next();
  CHECK_EQ(int(b.op), 8);
  CHECK_EQ(closeCode(b), 4001);
  CHECK(ws.closedWithin(3000));
  checkCleanEnd(rig, heap0);
}

TEST(reference_close_from_callback_and_from_loop) {
  size_t heap0 = twincore::heap::held();
  Rig rig;
  REQUIRE(rig.port != 0);
  for (const char* from : {"callback", "loop"}) {
    WsConn ws(rig.port);
    REQUIRE(ws.ok());
    ws.text(std::string("{\"cmd\":\"close\",\"code\":4000,\"from\":\"") + from + "\"}");
    Frame f = ws.next();
    CHECK_MSG(f.op == 8, from);
    CHECK_EQ(closeCode(f), 4000);
    ws.send(8, std::string("\x0f\xa0", 2));  // answer the close
    CHECK_MSG(ws.closedWithin(3000), from);
  }
  // During a broadcast, with another client listening: the listener keeps its sequence.
  WsConn listener(rig.port), victim(rig.port);
  REQUIRE(listener.ok());
  REQUIRE(victim.ok());
  listener.text("{\"cmd\":\"start\",\"rate\":1000,\"size\":64,\"count\":300}");
  victim.text("{\"cmd\":\"close\",\"code\":4000,\"from\":\"loop\"}");
  auto frames = listener.read(5000, [](const std::vector<Frame>& f) {
    return !f.empty() && contains(f.back().payload, "\"t\":\"done\"");
  });
  long expect = 1;
  for (auto& f : frames) {
    if (contains(f.payload, "\"t\":\"tm\"")) CHECK_EQ(jsonInt(f.payload, "seq"), expect++);
  }
  CHECK_EQ(expect, 301);
  CHECK(victim.closedWithin(3000));
  checkCleanEnd(rig, heap0);
}

TEST(reference_http_routes) {
  size_t heap0 = twincore::heap::held();
  Rig rig;
  REQUIRE(rig.port != 0);
  HttpReply page = httpGet(rig.port, "/");
  CHECK_EQ(page.status, 200);
  CHECK(contains(page.head, "Content-Type: text/html"));
  CHECK(contains(page.body, "id=\"status\""));
  CHECK(contains(page.body, "id=\"seq\""));
  CHECK(contains(page.body, "id=\"count\""));
  CHECK(contains(page.body, "id=\"rate\""));
  CHECK(page.body.size() < 6 * 1024);
  CHECK_EQ(page.body.size(), std::strlen(kDashboardHtml));

  WsConn ws(rig.port);
  REQUIRE(ws.ok());
  HttpReply stats = httpGet(rig.port, "/stats?x=1");
  CHECK_EQ(stats.status, 200);
  CHECK(contains(stats.head, "Content-Type: application/json"));
  CHECK(stats.body.front() == '{' && stats.body.back() == '}');
  CHECK_EQ(jsonInt(stats.body, "connected"), 1);
  CHECK_EQ(jsonInt(stats.body, "clients"), 1);
  CHECK_EQ(jsonInt(stats.body, "connect"), 1);
  CHECK_EQ(jsonInt(stats.body, "disconnect"), 0);
  for (const char* k : {"maxQueueDepth", "dropped", "closedOnFull", "protocolErrors", "rejected", "heapHeld",
                        "uptimeMs", "seq", "sent", "pong", "error", "ping", "data"}) {
    CHECK_MSG(jsonInt(stats.body, k) >= 0, k);
  }
  CHECK(contains(stats.body, "\"queues\":{\""));
  CHECK(contains(stats.body, "\"running\":false"));
  CHECK(contains(stats.body, "\"wsPath\":\"/ws\""));

  HttpReply nf = httpGet(rig.port, "/nope");
  CHECK_EQ(nf.status, 404);
  HttpReply post;
  {
    int fd = connectTo(rig.port);
    sendAll(fd, "POST /stats HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n");
    std::string all = readUntil(fd, 3000, [](const std::string&) { return false; });
    ::close(fd);
    CHECK_MSG(all.compare(0, 12, "HTTP/1.1 404") == 0 || all.compare(0, 12, "HTTP/1.1 405") == 0, all.substr(0, 40));
  }
  checkCleanEnd(rig, heap0);
}

TEST(reference_config_autostart_and_limits) {
  size_t heap0 = twincore::heap::held();
  {
    Rig rig({{"rate", "200"}, {"size", "80"}, {"count", "5"}, {"wsPath", "/tm"}, {"maxMessage", "64"}});
    REQUIRE(rig.port != 0);
    WsConn wrong(rig.port, "/ws");
    CHECK(!wrong.ok());
    WsConn ws(rig.port, "/tm");
    REQUIRE(ws.ok());
    // Autostarted run: it may have ended before this client connected; start another.
    ws.text("{\"cmd\":\"start\",\"rate\":200,\"size\":80,\"count\":5}");
    auto frames = ws.read(3000, [](const std::vector<Frame>& f) {
      return !f.empty() && contains(f.back().payload, "\"t\":\"done\"");
    });
    REQUIRE(frames.size() >= 7);
    CHECK(contains(frames[frames.size() - 7].payload, "\"t\":\"started\""));
    for (size_t i = frames.size() - 6, k = 1; k <= 5; ++i, ++k) CHECK_EQ(frames[i].payload.size(), 80u);
    // maxMessage 64: a bigger command is refused with 1009 (other messages are echoed, any size).
    ws.text("{\"cmd\":\"echo\",\"data\":\"" + std::string(100, 'a') + "\"}");
    Frame f = ws.next();
    CHECK_EQ(int(f.op), 8);
    CHECK_EQ(closeCode(f), 1009);
    HttpReply stats = httpGet(rig.port, "/stats");
    CHECK(jsonInt(stats.body, "runs") >= 2);
    CHECK_EQ(jsonInt(stats.body, "maxMessage"), 64);
    checkCleanEnd(rig, heap0);
  }
  struct Bad {
    FirmwareConfig cfg;
    const char* mustContain;
  } bad[] = {
      {{{"nope", "1"}}, "unknown config key 'nope'"},
      {{{"port", "70000"}}, "'port'"},
      {{{"maxClients", "0"}}, "'maxClients'"},
      {{{"maxMessage", "x"}}, "'maxMessage'"},
      {{{"rate", "1001"}}, "'rate'"},
      {{{"size", "10"}}, "'size'"},
      {{{"closeOnQueueFull", "yes"}}, "'closeOnQueueFull'"},
      {{{"wsPath", "ws"}}, "'wsPath'"},
      {{{"wsPath", "/"}}, "'wsPath'"},
  };
  for (auto& b : bad) {
    Rig rig(b.cfg);
    CHECK(!rig.device);
    CHECK_MSG(contains(rig.error, b.mustContain), rig.error);
  }
  std::string error;
  twin::FirmwareFactory factory;
  CHECK(firmwareFactory("reference", {{"closeOnQueueFull", "true"}, {"keepAliveSec", "20"}, {"port", "8080"}}, &factory,
                        &error));
  CHECK_EQ(error, std::string());
  bool listed = false;
  for (auto& n : firmwareNames()) listed = listed || n == "reference";
  CHECK(listed);
}

TEST(reference_single_core_profile) {
  // ESP32-C3: async_tcp and the loop task serialised; the same protocol holds.
  size_t heap0 = twincore::heap::held();
  twin::Profile p;
  p.name = "esp32c3";
  p.dualCore = false;
  Rig rig({}, p);
  REQUIRE(rig.port != 0);
  WsConn a(rig.port), b(rig.port);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  a.text("{\"cmd\":\"start\",\"rate\":1000,\"size\":200,\"count\":100}");
  // At 1000 messages/s a client's queue (WS_MAX_QUEUED_MESSAGES) plus its send window hold about
  // 45 ms of telemetry; when async_tcp is starved longer than that (a loaded CI machine under TSan
  // does it), textAll drops for that client, as on a board. So the check is the accounting, not
  // "no drops": each client sees its messages in order and whole, and every message of the run
  // (100 telemetry + "done", to each of 2 clients) was either delivered or counted as dropped.
  long delivered = 0;
  for (WsConn* c : {&a, &b}) {
    auto frames = c->read(5000, [](const std::vector<Frame>& f) {
      return !f.empty() && contains(f.back().payload, "\"t\":\"done\"");
    });
    long last = 0, tm = 0;
    for (auto& f : frames) {
      if (contains(f.payload, "\"t\":\"done\"")) {
        CHECK_EQ(f.payload, std::string("{\"t\":\"done\",\"sent\":100}"));
        ++delivered;
        continue;
      }
      if (!contains(f.payload, "\"t\":\"tm\"")) continue;
      CHECK_EQ(f.payload.size(), 200u);
      long seq = jsonInt(f.payload, "seq");
      CHECK_MSG(seq > last && seq <= 100, "seq " << seq << " after " << last);
      last = seq;
      ++tm;
    }
    CHECK_MSG(tm >= 20, "only " << tm << " of 100 telemetry messages reached a client");
    delivered += tm;
  }
  HttpReply stats = httpGet(rig.port, "/stats");
  long dropped = jsonInt(stats.body, "dropped");  // the server's count (first "dropped" in /stats)
  CHECK_EQ(delivered + dropped, 2 * 101L);
  std::printf("[single-core] 1000 msg/s to 2 clients: %ld delivered, %ld dropped on full queues\n", delivered,
              dropped);
  b.text("{\"cmd\":\"close\",\"code\":4000,\"from\":\"loop\"}");
  Frame f = b.next();
  CHECK_EQ(int(f.op), 8);
  CHECK_EQ(closeCode(f), 4000);
  checkCleanEnd(rig, heap0);
}

// The benchmark's modes (bench/run.ts): unpaced telemetry saturates without dropping (a slow
// reader holds everyone back instead), and relay broadcasts ordinary messages from the handler.
TEST(perf_reference_unpaced_telemetry_sends_back_to_back_and_drops_nothing) {
  size_t heap0 = twincore::heap::held();
  {
    Rig rig;
    REQUIRE(rig.port != 0);
    WsConn a(rig.port), b(rig.port);
    REQUIRE(a.ok() && b.ok());
    a.text("{\"cmd\":\"start\",\"unpaced\":true,\"rate\":5}");
    CHECK(contains(a.next().payload, "'rate' and 'unpaced' exclude each other"));
    a.text("{\"cmd\":\"start\",\"unpaced\":1}");
    CHECK(contains(a.next().payload, "'unpaced' must be true or false"));
    auto t0 = Clock::now();
    a.text("{\"cmd\":\"start\",\"unpaced\":true,\"size\":64,\"count\":3000}");
    CHECK_EQ(a.next().payload, std::string("{\"t\":\"started\",\"rate\":0,\"size\":64,\"count\":3000,\"unpaced\":true}"));
    // Both read at once (a reader that stops holds the broadcast back: nothing is dropped).
    std::vector<Frame> got[2];
    WsConn* ws[2] = {&a, &b};
    auto end = Clock::now() + milliseconds(10000);
    auto done = [](const std::vector<Frame>& f) { return !f.empty() && contains(f.back().payload, "\"t\":\"done\""); };
    while (Clock::now() < end && !(done(got[0]) && done(got[1]))) {
      for (int k = 0; k < 2; ++k) {
        if (done(got[k])) continue;
        auto f = ws[k]->read(5, [](const std::vector<Frame>& v) { return !v.empty(); });
        got[k].insert(got[k].end(), f.begin(), f.end());
      }
    }
    for (auto& frames : got) {
      REQUIRE(frames.size() == 3001);
      for (size_t i = 0; i < 3000; ++i) {
        CHECK_EQ(frames[i].payload.size(), 64u);
        CHECK_EQ(jsonInt(frames[i].payload, "seq"), long(i + 1));
      }
    }
    // 3000 messages well under the 3 s a paced run at the 1000/s maximum would take.
    CHECK(Clock::now() - t0 < std::chrono::milliseconds(2500));
    HttpReply st = httpGet(rig.port, "/stats");
    CHECK(contains(st.body, "\"unpaced\":true") || contains(st.body, "\"unpaced\":false"));
    CHECK_EQ(jsonInt(st.body.substr(st.body.find("\"broadcast\"")), "dropped"), 0L);
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}

TEST(perf_reference_relay_broadcasts_messages_from_the_handler) {
  size_t heap0 = twincore::heap::held();
  {
    Rig rig;
    REQUIRE(rig.port != 0);
    WsConn a(rig.port), b(rig.port);
    REQUIRE(a.ok() && b.ok());
    a.text("hello");
    CHECK_EQ(a.next().payload, std::string("hello"));  // echo by default
    a.text("{\"cmd\":\"relay\",\"on\":true}");
    CHECK_EQ(a.next().payload, std::string("{\"t\":\"relay\",\"on\":true}"));
    b.text("to everyone");
    CHECK_EQ(a.next().payload, std::string("to everyone"));
    CHECK_EQ(b.next().payload, std::string("to everyone"));
    a.text("{\"cmd\":\"relay\",\"on\":false}");
    CHECK_EQ(a.next().payload, std::string("{\"t\":\"relay\",\"on\":false}"));
    b.text("just me");
    CHECK_EQ(b.next().payload, std::string("just me"));
    CHECK_EQ(a.next(300).op, 0xff);  // nothing for a
  }
  CHECK_EQ(twincore::heap::held(), heap0);
}
