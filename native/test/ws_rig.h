// ws_rig.h: the shared rig of the WebSocket field and lifecycle tests (ws_field_test.cpp,
// ws_lifecycle_test.cpp): a firmware that owns one AsyncWebServer and one AsyncWebSocket and
// records every event with the per-client contract checks (CONNECT first, DISCONNECT once and
// last, never nested), plus plain POSIX WebSocket peers.
//
// Threads: hooks and fields of Probe are set by the test thread and read by device threads,
// always under Probe::mu; hooks are copied under the lock and called without it (a hook may call
// any core API). Never call the core while holding Probe::mu (single-core profile: a device
// thread blocked on a std::mutex keeps the simulated CPU).
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
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

namespace wsrig {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

typedef std::function<void(AsyncWebSocket*, AsyncWebSocketClient*, AwsEventType, void*, uint8_t*, size_t)> EventHook;

inline uint64_t clientKey(uint32_t gen, uint32_t id) { return uint64_t(gen) << 32 | id; }

struct ClientLog {
  int connects = 0;
  int disconnects = 0;
  int events = 0;
  int depth = 0;
};

// Shared between a test and its firmware; every field under mu.
struct Probe {
  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, ClientLog> clients;  // key: generation << 32 | id
  uint32_t generation = 0;                // bumped per created AsyncWebSocket (ids restart)
  std::vector<std::string> violations;
  size_t connects = 0, disconnects = 0, dataEvents = 0, errors = 0;
  std::vector<uint32_t> connectOrder;
  int maxDepth = 0;
  // Callbacks entered after a completed end() (from outside callbacks) and before begin().
  bool ended = false;
  int lateCallbacks = 0;
  std::atomic<int> inCallback{0};
  // Configuration read in setup().
  size_t maxClients = 8;
  uint16_t keepAlive = 0;
  bool closeOnFull = false;
  bool withMessageHandler = false;
  // Hooks (copied under mu, called without it).
  EventHook onEvent;
  std::function<void(AsyncWebSocket*)> loopHook;
  std::function<void(AsyncWebSocketClient*, bool, const uint8_t*, size_t)> onMessage;
  // The firmware's objects (null once destroyed); read under mu, use only on the loop task
  // (or while they are known to live).
  AsyncWebSocket* ws = nullptr;
  AsyncWebServer* http = nullptr;

  // Waits (bounded) until pred() holds; pred runs under mu and is re-evaluated on every event
  // and every few milliseconds (for conditions that change without an event).
  bool waitFor(std::function<bool()> pred, int ms) {
    auto end = Clock::now() + milliseconds(ms);
    std::unique_lock<std::mutex> lk(mu);
    while (!pred()) {
      if (Clock::now() >= end) return false;
      cv.wait_for(lk, milliseconds(5));
    }
    return true;
  }
  size_t nConnects() {
    std::lock_guard<std::mutex> lk(mu);
    return connects;
  }
  size_t nDisconnects() {
    std::lock_guard<std::mutex> lk(mu);
    return disconnects;
  }
  // Every client that connected has disconnected exactly once (call once the server ended).
  void checkBalanced() {
    std::lock_guard<std::mutex> lk(mu);
    CHECK_EQ(connects, disconnects);
    for (auto& kv : clients) {
      CHECK_MSG(kv.second.connects == 1 && kv.second.disconnects == 1,
                "client " << (kv.first >> 32) << "/" << uint32_t(kv.first) << ": " << kv.second.connects << " CONNECT, " << kv.second.disconnects
                          << " DISCONNECT");
    }
    for (auto& v : violations) CHECK_MSG(false, v);
    CHECK(maxDepth <= 1);
    CHECK_EQ(lateCallbacks, 0);
  }
  // The log of client id of the current server.
  ClientLog& log(uint32_t id) { return clients[clientKey(generation, id)]; }
  uint32_t lastConnectedId() {
    std::lock_guard<std::mutex> lk(mu);
    return connectOrder.empty() ? 0 : connectOrder.back();
  }
};

// Records the event and checks the per-client contract. Runs under no core lock.
inline void recordEvent(Probe* p, uint32_t gen, AsyncWebSocketClient* c, AwsEventType t) {
  std::lock_guard<std::mutex> lk(p->mu);
  if (p->ended) p->lateCallbacks++;
  uint32_t id = c->id();
  ClientLog& l = p->clients[clientKey(gen, id)];
  l.events++;
  if (t == WS_EVT_CONNECT) {
    if (l.connects || l.disconnects || l.events != 1) p->violations.push_back("CONNECT not first for " + std::to_string(id));
    l.connects++;
    p->connects++;
    p->connectOrder.push_back(id);
  } else {
    if (!l.connects) p->violations.push_back("event " + std::to_string(int(t)) + " before CONNECT for " + std::to_string(id));
    if (l.disconnects) p->violations.push_back("event " + std::to_string(int(t)) + " after DISCONNECT for " + std::to_string(id));
    if (t == WS_EVT_DISCONNECT) {
      l.disconnects++;
      p->disconnects++;
    }
    if (t == WS_EVT_DATA) p->dataEvents++;
    if (t == WS_EVT_ERROR) p->errors++;
  }
}

class RigFirmware : public twin::Firmware {
 public:
  explicit RigFirmware(Probe* p) : _p(p) {}
  ~RigFirmware() override { destroyServers(); }

  void setup() override { createServers(); }

  // Creates, configures and starts both servers (loop task).
  void createServers() {
    _http.reset(new AsyncWebServer(80));
    _ws.reset(new AsyncWebSocket("/ws"));
    Probe* p = _p;
    size_t maxClients;
    uint16_t keepAlive;
    bool closeOnFull, withMessage;
    uint32_t gen;
    {
      std::lock_guard<std::mutex> lk(p->mu);
      gen = ++p->generation;
      maxClients = p->maxClients;
      keepAlive = p->keepAlive;
      closeOnFull = p->closeOnFull;
      withMessage = p->withMessageHandler;
    }
    _ws->setMaxClients(maxClients);
    _ws->setKeepAlivePeriod(keepAlive);
    _ws->setCloseClientOnQueueFull(closeOnFull);
    _ws->onEvent([p, gen](AsyncWebSocket* s, AsyncWebSocketClient* c, AwsEventType t, void* arg, uint8_t* data, size_t len) {
      p->inCallback++;
      uint32_t id = c->id();
      EventHook hook;
      {
        std::lock_guard<std::mutex> lk(p->mu);
        int d = ++p->clients[clientKey(gen, id)].depth;
        if (d > p->maxDepth) p->maxDepth = d;
        hook = p->onEvent;
      }
      recordEvent(p, gen, c, t);
      if (hook) hook(s, c, t, arg, data, len);
      {
        std::lock_guard<std::mutex> lk(p->mu);
        --p->clients[clientKey(gen, id)].depth;
      }
      p->cv.notify_all();
      p->inCallback--;
    });
    if (withMessage) {
      _ws->onMessage([p](AsyncWebSocketClient* c, bool isText, const uint8_t* data, size_t len) {
        std::function<void(AsyncWebSocketClient*, bool, const uint8_t*, size_t)> hook;
        {
          std::lock_guard<std::mutex> lk(p->mu);
          hook = p->onMessage;
        }
        if (hook) hook(c, isText, data, len);
      });
    }
    _http->addHandler(_ws.get());
    _http->on("/hello", HTTP_GET, [](AsyncWebServerRequest* r) { r->send(200, "text/plain", "hi"); });
    // Ends both servers from inside an HTTP handler (async_tcp, inside the HTTP server's
    // callback, outside the WebSocket server's).
    AsyncWebServer* http = _http.get();
    AsyncWebSocket* ws = _ws.get();
    _http->on("/stop", HTTP_GET, [http, ws](AsyncWebServerRequest* r) {
      ws->end();
      r->send(200, "text/plain", "stopping");
      http->end();
    });
    _http->begin();
    std::lock_guard<std::mutex> lk(p->mu);
    p->ws = _ws.get();
    p->http = _http.get();
  }

  void loop() override {
    std::function<void(AsyncWebSocket*)> hook;
    AsyncWebSocket* ws;
    {
      std::lock_guard<std::mutex> lk(_p->mu);
      hook = _p->loopHook;
      ws = _p->ws;
    }
    if (hook && ws) hook(ws);
  }

  // Destroys the WebSocket server, then the HTTP server (loop task). order: true = ws first.
  void destroyServers(bool wsFirst = true) {
    {
      std::lock_guard<std::mutex> lk(_p->mu);
      _p->ws = nullptr;
      _p->http = nullptr;
    }
    if (wsFirst) {
      _ws.reset();
      _http.reset();
    } else {
      _http.reset();
      _ws.reset();
    }
  }

 private:
  Probe* _p;
  std::unique_ptr<AsyncWebServer> _http;
  std::unique_ptr<AsyncWebSocket> _ws;
};

struct Rig {
  Probe probe;
  std::unique_ptr<twin::Device> device;
  RigFirmware* fw = nullptr;  // loop task only
  uint16_t port = 0;
  size_t heap0 = 0;

  explicit Rig(std::function<void(Probe&)> config = nullptr, twin::Profile profile = twin::Profile()) {
    heap0 = twincore::heap::held();
    if (config) config(probe);
    Probe* p = &probe;
    RigFirmware** fwp = &fw;
    device.reset(new twin::Device(
        profile,
        [p, fwp] {
          RigFirmware* f = new RigFirmware(p);
          *fwp = f;
          return std::unique_ptr<twin::Firmware>(f);
        },
        [](twin::LogLevel, const std::string&) {}));
    if (device->start() && !device->ports().empty()) port = device->ports()[0];
  }
  ~Rig() { device->stop(); }

  // Runs fn on the loop task and waits for it (bounded).
  bool onLoop(std::function<void()> fn, int ms = 20000) { return tcloop::runOnLoop(*device, std::move(fn), ms); }
  AsyncWebSocket* ws() {
    std::lock_guard<std::mutex> lk(probe.mu);
    return probe.ws;
  }
  void setLoopHook(std::function<void(AsyncWebSocket*)> h) {
    std::lock_guard<std::mutex> lk(probe.mu);
    probe.loopHook = std::move(h);
  }
  void setEventHook(EventHook h) {
    std::lock_guard<std::mutex> lk(probe.mu);
    probe.onEvent = std::move(h);
  }

  // end() from the loop task, then the clean-end checks, the device stop and the leak checks.
  void finish() {
    setLoopHook(nullptr);
    AsyncWebSocket::Stats st{};
    bool haveWs = false;
    onLoop([&] {
      AsyncWebSocket* w;
      {
        std::lock_guard<std::mutex> lk(probe.mu);
        w = probe.ws;
      }
      if (!w) return;
      haveWs = true;
      w->end();
      st = w->stats();
    });
    if (haveWs) {
      CHECK_EQ(st.clients, 0u);
      CHECK_EQ(st.graveyard, 0u);
      CHECK_EQ(st.liveObjects, 0u);
    }
    probe.checkBalanced();
    if (std::getenv("WSRIG_VERBOSE")) {
      std::lock_guard<std::mutex> lk(probe.mu);
      std::fprintf(stderr, "  [rig] %zu CONNECT, %zu DISCONNECT, %zu DATA\n", probe.connects, probe.disconnects,
                   probe.dataEvents);
    }
    device->stop();
    CHECK_EQ(twincore::heap::held(), heap0);
    CHECK_EQ(device->counters().clientsAlive.load(), 0);
    CHECK_EQ(device->counters().threadsAlive.load(), 0);
    CHECK_EQ(device->counters().heapUsed.load(), 0);
  }
};

// ---------------------------------------------------------------------------------------------
// POSIX peers (the helpers live in tc_peer.h)

using tcpeer::closeCode;
using tcpeer::closedWithin;
using tcpeer::closeFrame;
using tcpeer::connectTo;
using tcpeer::Frame;
using tcpeer::frame;
using tcpeer::headDone;
using tcpeer::key;
using tcpeer::parseFrames;
using tcpeer::readUntil;
using tcpeer::resetClose;
using tcpeer::sendAll;
using tcpeer::upgradeRequest;

// A WebSocket peer over a POSIX socket.
struct Peer {
  int fd = -1;
  std::string buf;  // received, unparsed
  std::vector<Frame> frames;
  bool eof = false;
  std::string head;

  Peer() = default;
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  ~Peer() { closeNow(); }

  // Connects and upgrades; true on 101. rcvbuf > 0: a tiny receive buffer (a stalled peer).
  bool open(uint16_t port, int rcvbuf = 0, int ms = 5000) {
    fd = connectTo(port, rcvbuf);
    if (fd < 0) return false;
    sendAll(fd, upgradeRequest());
    head = readUntil(fd, ms, headDone, &eof);
    size_t e = head.find("\r\n\r\n");
    if (e != std::string::npos) buf = head.substr(e + 4);
    return head.compare(0, 12, "HTTP/1.1 101") == 0;
  }
  int status() const { return head.size() >= 12 ? std::atoi(head.c_str() + 9) : 0; }
  void send(const std::string& bytes) { sendAll(fd, bytes); }
  // Reads (bounded) until pred(frames) holds or EOF. Parsed frames accumulate in `frames`.
  bool readFor(int ms, std::function<bool(const std::vector<Frame>&)> pred) {
    auto end = Clock::now() + milliseconds(ms);
    char tmp[16384];
    for (;;) {
      auto got = parseFrames(buf);
      frames.insert(frames.end(), got.begin(), got.end());
      if (pred(frames)) return true;
      if (eof || fd < 0 || Clock::now() >= end) return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) {
        eof = true;
        continue;
      }
      buf.append(tmp, size_t(n));
    }
  }
  bool hasOp(uint8_t op) const {
    for (auto& f : frames) {
      if (f.op == op) return true;
    }
    return false;
  }
  // Waits for the server's Close frame; returns its code (0 if none).
  uint16_t awaitClose(int ms = 5000) {
    readFor(ms, [](const std::vector<Frame>& f) {
      for (auto& x : f) {
        if (x.op == 8) return true;
      }
      return false;
    });
    for (auto& f : frames) {
      if (f.op == 8) return closeCode(f) ? closeCode(f) : 1005;
    }
    return 0;
  }
  // Waits for the server to close the TCP (EOF).
  bool awaitEof(int ms = 5000) {
    readFor(ms, [](const std::vector<Frame>&) { return false; });
    return eof;
  }
  void closeNow() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  void reset() {
    if (fd >= 0) resetClose(fd);
    fd = -1;
  }
};

}  // namespace wsrig
