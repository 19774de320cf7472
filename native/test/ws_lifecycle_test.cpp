// Lifecycle under load (DESIGN seed 2): end() and destruction of AsyncWebSocket and
// AsyncWebServer with clients in every state (idle, mid-handshake, mid-message, mid-broadcast,
// mid-close, an idle accepted connection), from the loop task, from another thread while the
// loop broadcasts, and from inside user callbacks on async_tcp and on the loop task; restart
// under load; failures during begin() and accept; the device stopping with the core running.
// Each scene checks: end() returns with no callback running and none arriving afterwards, every
// client freed, one DISCONNECT per CONNECT, API calls after end() answer "not running".
#include <cstdio>

#include "ws_rig.h"

using namespace wsrig;

namespace {

twin::Profile singleCore() {
  twin::Profile p;
  p.name = "esp32c3";
  p.dualCore = false;
  return p;
}

// Clients in every state at the moment of shutdown.
struct Scene {
  std::vector<std::unique_ptr<Peer>> peers;  // idle, idle, mid-message, mid-close, stalled
  std::vector<uint32_t> ids;
  int idleTcp = -1;   // accepted, no byte sent
  int halfHttp = -1;  // half an HTTP request head
  ~Scene() {
    if (idleTcp >= 0) ::close(idleTcp);
    if (halfHttp >= 0) ::close(halfHttp);
  }
};

bool buildScene(Rig& rig, Scene& sc) {
  size_t base = rig.probe.nConnects();
  for (int i = 0; i < 5; ++i) {
    sc.peers.emplace_back(new Peer());
    if (!sc.peers.back()->open(rig.port, i == 4 ? 1024 : 0)) return false;
  }
  if (!rig.probe.waitFor([&] { return rig.probe.connects >= base + 5; }, 5000)) return false;
  {
    std::lock_guard<std::mutex> lk(rig.probe.mu);
    auto& o = rig.probe.connectOrder;
    sc.ids.assign(o.end() - 5, o.end());
  }
  std::string f = frame(2, std::string(300, 'h'));
  sc.peers[2]->send(f.substr(0, f.size() / 2));  // half a frame
  sc.idleTcp = connectTo(rig.port);
  sc.halfHttp = connectTo(rig.port);
  sendAll(sc.halfHttp, upgradeRequest().substr(0, 40));
  uint32_t closingId = sc.ids[3];
  rig.onLoop([&] { rig.ws()->close(closingId, 4000); });  // its peer never answers
  return sc.idleTcp >= 0 && sc.halfHttp >= 0 &&
         rig.probe.waitFor([&] { return rig.device->counters().connectionsOpen.load() >= 7; }, 3000);
}

// Every connection of the scene is closed by the server (ws ones by ws.end(), HTTP ones by
// http.end()).
// Returns how many of the idle peers were told why (1001) before the TCP closed (best effort:
// only when their send window had room for the Close frame).
int checkSceneClosed(Scene& sc) {
  int told = 0;
  // A peer that never answers our Close is closed after the close timeout
  // (AsyncWebSocket::kCloseTimeoutMs, 2 s) at the next poll (0.5 s): wait well past that.
  for (size_t i = 0; i < sc.peers.size(); ++i) CHECK_MSG(sc.peers[i]->awaitEof(6000), "ws peer " << i);
  for (size_t i = 0; i < 2; ++i) {
    auto& fr = sc.peers[i]->frames;
    for (size_t k = 0; k < fr.size(); ++k) {
      if (fr[k].op != 8) continue;
      CHECK_EQ(closeCode(fr[k]), 1001);
      CHECK_EQ(k + 1, fr.size());  // nothing after our Close
      told += closeCode(fr[k]) == 1001;
    }
  }
  CHECK(closedWithin(sc.idleTcp, 3000));
  CHECK(closedWithin(sc.halfHttp, 3000));
  return told;
}

// API calls after end(): safe, "not running".
void checkNotRunning(AsyncWebSocket* ws, uint32_t id) {
  CHECK(!ws->running());
  CHECK_EQ(ws->textAll("x").error, SendStatus::kNotRunning);
  CHECK_EQ(ws->binaryAll("x", 1).error, SendStatus::kNotRunning);
  CHECK_EQ(ws->pingAll().error, SendStatus::kNotRunning);
  CHECK_EQ(ws->closeAll().error, SendStatus::kNotRunning);
  CHECK_EQ(ws->text(id, "x").error, SendStatus::kNotRunning);
  CHECK_EQ(ws->ping(id).error, SendStatus::kNotRunning);
  CHECK_EQ(ws->close(id).error, SendStatus::kNotRunning);
  CHECK_EQ(ws->printfAll("%d", 1), 0u);
  CHECK_EQ(ws->printf(id, "%d", 1), 0u);
  CHECK_EQ(ws->count(), 0u);
  CHECK(!ws->hasClient(id));
  CHECK(!ws->client(id));
  ws->cleanupClients(0);
  ws->end();  // idempotent
  AsyncWebSocket::Stats st = ws->stats();
  CHECK_EQ(st.clients, 0u);
  CHECK_EQ(st.liveObjects, 0u);
  CHECK_EQ(st.graveyard, 0u);
}

// Marks the end as complete (no callback may run from now on) and checks none is running.
void markEnded(Rig& rig) {
  CHECK_EQ(rig.probe.inCallback.load(), 0);
  std::lock_guard<std::mutex> lk(rig.probe.mu);
  rig.probe.ended = true;
}

void restartServers(Rig& rig) {
  {
    std::lock_guard<std::mutex> lk(rig.probe.mu);
    rig.probe.ended = false;
  }
  rig.onLoop([&] {
    std::lock_guard<std::mutex> lk(rig.probe.mu);
    rig.probe.http->begin();
    rig.probe.ws->begin();
  });
  std::vector<uint16_t> ports = rig.device->ports();
  CHECK_MSG(ports.size() == 1 && ports[0] == rig.port, "the port rebinds");
}

enum class EndMode { Loop, OtherThread, InNetCallback, InLoopCallback, InHttpHandler, DestroyWsFirst, DestroyHttpFirst };

void endInEveryState(EndMode mode, twin::Profile profile, int rounds) {
  Rig rig([](Probe& p) { p.maxClients = 16; }, profile);
  REQUIRE(rig.port != 0);
  // A broadcast runs from the loop all the time.
  auto broadcasts = std::make_shared<std::atomic<int>>(0);
  std::string payload(700, 'b');
  rig.setLoopHook([broadcasts, payload](AsyncWebSocket* ws) {
    for (int i = 0; i < 4; ++i) {
      ws->textAll(payload);
      (*broadcasts)++;
    }
  });
  int told = 0;
  for (int r = 0; r < rounds; ++r) {
    Scene sc;
    REQUIRE(buildScene(rig, sc));
    uint32_t someId = sc.ids[0];
    uint32_t stalledId = sc.ids[4];
    switch (mode) {
      case EndMode::Loop:
        rig.onLoop([&] {
          rig.ws()->end();
          markEnded(rig);
          checkNotRunning(rig.ws(), someId);
          rig.probe.http->end();
        });
        break;
      case EndMode::OtherThread: {
        // This (test) thread ends the servers while the loop is broadcasting.
        int b0 = broadcasts->load();
        while (broadcasts->load() < b0 + 8) std::this_thread::yield();
        AsyncWebSocket* ws = rig.ws();
        AsyncWebServer* http;
        {
          std::lock_guard<std::mutex> lk(rig.probe.mu);
          http = rig.probe.http;
        }
        ws->end();
        markEnded(rig);
        checkNotRunning(ws, someId);
        http->end();
        break;
      }
      case EndMode::InNetCallback: {
        // A DATA handler (async_tcp) ends the server; the loop then completes the end.
        rig.setEventHook([](AsyncWebSocket* s, AsyncWebSocketClient*, AwsEventType t, void*, uint8_t* d, size_t n) {
          if (t == WS_EVT_DATA && n == 3 && std::memcmp(d, "end", 3) == 0) {
            s->end();
            CHECK_EQ(s->textAll("x").error, SendStatus::kNotRunning);
          }
        });
        sc.peers[0]->send(frame(1, "end"));
        CHECK(sc.peers[1]->awaitEof(3000));  // the callback closed everyone
        rig.setEventHook(nullptr);
        rig.onLoop([&] {
          rig.ws()->end();
          markEnded(rig);
          checkNotRunning(rig.ws(), someId);
          rig.probe.http->end();
        });
        break;
      }
      case EndMode::InLoopCallback: {
        // The stalled client is closed on a full queue by the loop's broadcast: its DISCONNECT
        // runs on the loop task, and ends the server from there.
        rig.setEventHook([stalledId](AsyncWebSocket* s, AsyncWebSocketClient* c, AwsEventType t, void*, uint8_t*,
                                     size_t) {
          if (t == WS_EVT_DISCONNECT && c->id() == stalledId) s->end();
        });
        rig.onLoop([&] { rig.ws()->client(stalledId)->setCloseClientOnQueueFull(true); });
        CHECK(sc.peers[1]->awaitEof(5000));
        rig.setEventHook(nullptr);
        rig.onLoop([&] {
          rig.ws()->end();
          markEnded(rig);
          checkNotRunning(rig.ws(), someId);
          rig.probe.http->end();
        });
        break;
      }
      case EndMode::InHttpHandler: {
        // GET /stop ends the WebSocket server and the HTTP server from an HTTP handler.
        int fd = connectTo(rig.port);
        REQUIRE(fd >= 0);
        sendAll(fd, "GET /stop HTTP/1.1\r\nHost: x\r\n\r\n");
        bool eof = false;
        std::string resp = readUntil(fd, 3000, [](const std::string&) { return false; }, &eof);
        ::close(fd);
        CHECK(eof);
        CHECK(resp.compare(0, 12, "HTTP/1.1 200") == 0);
        CHECK(sc.peers[0]->awaitEof(3000));
        rig.onLoop([&] {
          rig.ws()->end();
          markEnded(rig);
          checkNotRunning(rig.ws(), someId);
          rig.probe.http->end();
        });
        break;
      }
      case EndMode::DestroyWsFirst:
      case EndMode::DestroyHttpFirst:
        rig.onLoop([&] {
          rig.fw->destroyServers(mode == EndMode::DestroyWsFirst);
          markEnded(rig);
        });
        break;
    }
    told += checkSceneClosed(sc);
    std::this_thread::sleep_for(milliseconds(20));  // a late callback would show up here
    rig.probe.checkBalanced();
    if (mode == EndMode::DestroyWsFirst || mode == EndMode::DestroyHttpFirst) {
      {
        std::lock_guard<std::mutex> lk(rig.probe.mu);
        rig.probe.ended = false;
      }
      rig.onLoop([&] { rig.fw->createServers(); });
      std::vector<uint16_t> ports = rig.device->ports();
      CHECK_MSG(ports.size() == 1 && ports[0] == rig.port, "the port rebinds");
    } else {
      restartServers(rig);
    }
    CHECK(rig.probe.waitFor([&] { return rig.device->counters().connectionsOpen.load() == 0; }, 3000));
  }
  CHECK(broadcasts->load() > 0);
  if (mode != EndMode::InLoopCallback) CHECK(told > 0);
  rig.finish();
}

TEST(lifecycle_end_from_loop_in_every_state) { endInEveryState(EndMode::Loop, twin::Profile(), 30); }
TEST(lifecycle_end_from_other_thread_during_broadcast) { endInEveryState(EndMode::OtherThread, twin::Profile(), 30); }
TEST(lifecycle_end_inside_network_callback) { endInEveryState(EndMode::InNetCallback, twin::Profile(), 30); }
TEST(lifecycle_end_inside_loop_callback) { endInEveryState(EndMode::InLoopCallback, twin::Profile(), 20); }
TEST(lifecycle_end_inside_http_handler) { endInEveryState(EndMode::InHttpHandler, twin::Profile(), 30); }
TEST(lifecycle_destroy_ws_then_http) { endInEveryState(EndMode::DestroyWsFirst, twin::Profile(), 20); }
TEST(lifecycle_destroy_http_then_ws) { endInEveryState(EndMode::DestroyHttpFirst, twin::Profile(), 20); }
TEST(lifecycle_end_in_every_state_single_core) {
  endInEveryState(EndMode::Loop, singleCore(), 10);
  endInEveryState(EndMode::OtherThread, singleCore(), 10);
  endInEveryState(EndMode::InNetCallback, singleCore(), 10);
}

// ---- Restart under load ----------------------------------------------------------------------

TEST(lifecycle_restart_100_times_under_load) {
  Rig rig([](Probe& p) { p.maxClients = 16; });
  REQUIRE(rig.port != 0);
  uint16_t port = rig.port;
  auto broadcasts = std::make_shared<std::atomic<int>>(0);
  rig.setLoopHook([broadcasts](AsyncWebSocket* ws) {
    if (ws->textAll("tick " + std::to_string(broadcasts->load()))) (*broadcasts)++;
  });
  // Clients keep reconnecting (bounded), in two threads.
  std::atomic<bool> stop{false};
  std::atomic<int> upgrades{0}, attempts{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 2; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 20000 && !stop.load(); ++i) {
        attempts++;
        Peer p;
        if (!p.open(port, 0, 2000)) {
          std::this_thread::sleep_for(milliseconds(1));
          continue;
        }
        upgrades++;
        p.readFor(5 + (i % 7), [](const std::vector<Frame>&) { return false; });
        if ((i + t) % 3 == 0) p.send(closeFrame(1000));
        if ((i + t) % 4 == 0) p.reset();
      }
    });
  }
  std::vector<uint32_t> oldIds;
  for (int r = 0; r < 100; ++r) {
    std::this_thread::sleep_for(milliseconds(5 + r % 10));
    AsyncWebSocket::Stats st{};
    AsyncWebServer::Stats hs{};
    bool stale = false;
    rig.onLoop([&] {
      AsyncWebSocket* ws = rig.ws();
      AsyncWebServer* http = rig.probe.http;
      ws->end();
      st = ws->stats();
      http->end();
      hs = http->stats();
      for (uint32_t id : oldIds) stale = stale || ws->hasClient(id);
      http->begin();
      ws->begin();
    });
    CHECK_EQ(st.clients, 0u);
    CHECK_EQ(st.liveObjects, 0u);
    CHECK_EQ(st.graveyard, 0u);
    CHECK_EQ(hs.connections, 0u);
    CHECK(!stale);
    std::vector<uint16_t> ports = rig.device->ports();
    CHECK_MSG(ports.size() == 1 && ports[0] == port, "round " << r << ": the port rebinds");
    {
      std::lock_guard<std::mutex> lk(rig.probe.mu);
      oldIds = rig.probe.connectOrder;
    }
  }
  stop = true;
  for (auto& t : clients) t.join();
  CHECK(upgrades.load() > 100);
  std::fprintf(stderr, "  restart: 100 restarts, %d upgrades of %d attempts, %d broadcasts\n", upgrades.load(),
               attempts.load(), broadcasts->load());
  rig.finish();
  int fd = connectTo(port);
  CHECK_MSG(fd < 0, "the port is still bound after the device stopped");
  if (fd >= 0) ::close(fd);
}

// ---- Failures during begin() and accept ------------------------------------------------------

bool serves(Rig& rig) {
  Peer p;
  if (!p.open(rig.port)) return false;
  p.closeNow();
  return true;
}

TEST(lifecycle_listen_accept_alloc_failures_release_and_keep_serving) {
  Rig rig;
  REQUIRE(rig.port != 0);
  twin::Faults& faults = rig.device->faults();
  for (int r = 0; r < 10; ++r) {
    // begin() fails to bind: not listening; a later begin() listens on the same port.
    uint16_t bound1 = 1, bound2 = 0;
    rig.onLoop([&] {
      AsyncWebServer* http = rig.probe.http;
      http->end();
      faults.failListen = 1;
      http->begin();
      bound1 = http->boundPort();
      http->begin();
      bound2 = http->boundPort();
    });
    CHECK_EQ(bound1, 0);
    CHECK_EQ(bound2, rig.port);
    CHECK(serves(rig));
    // A fresh server whose first begin() fails.
    rig.onLoop([&] {
      rig.fw->destroyServers();
      faults.failListen = 1;
      rig.fw->createServers();
      bound1 = rig.probe.http->boundPort();
      rig.probe.http->begin();
      bound2 = rig.probe.http->boundPort();
    });
    CHECK_EQ(bound1, 0);
    CHECK_EQ(bound2, rig.port);
    CHECK(serves(rig));
    // Accept failures and the HttpConn allocation failing on accept: reset, nothing kept.
    for (int k = 0; k < 2; ++k) {
      if (k == 0) faults.failAccepts = 1; else faults.failAllocs = 1;
      int fd = connectTo(rig.port);
      if (fd >= 0) {
        sendAll(fd, upgradeRequest());
        CHECK(closedWithin(fd, 3000));
        ::close(fd);
      }
      faults.failAccepts = 0;
      faults.failAllocs = 0;
      CHECK(serves(rig));
    }
  }
  CHECK(rig.probe.waitFor([&] { return rig.device->counters().connectionsOpen.load() == 0; }, 3000));
  AsyncWebServer::Stats hs{};
  rig.onLoop([&] { hs = rig.probe.http->stats(); });
  CHECK_EQ(hs.connections, 0u);
  rig.finish();
}

// ---- The device stops with the core running --------------------------------------------------

void stopWithCoreRunning(twin::Profile profile, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    size_t heap0 = twincore::heap::held();
    auto rig = std::unique_ptr<Rig>(new Rig([](Probe& p) { p.maxClients = 16; }, profile));
    REQUIRE(rig->port != 0);
    rig->setLoopHook([](AsyncWebSocket* ws) {
      for (int i = 0; i < 3; ++i) ws->textAll(std::string(500, 'x'));
    });
    Scene sc;
    REQUIRE(buildScene(*rig, sc));
    if (r % 2) sc.peers[1]->reset();  // a reset racing the stop
    rig->device->stop();
    const twin::Counters& cn = rig->device->counters();
    CHECK_EQ(cn.threadsAlive.load(), 0);
    CHECK_EQ(cn.clientsAlive.load(), 0);
    CHECK_EQ(cn.heapUsed.load(), 0);
    CHECK_EQ(cn.connectionsOpen.load(), 0);
    CHECK_EQ(cn.serversListening.load(), 0);
    CHECK_EQ(twincore::heap::held(), heap0);
    rig->probe.checkBalanced();
    for (auto& p : sc.peers) {
      if (p->fd >= 0) CHECK(p->awaitEof(2000));
    }
    uint16_t port = rig->port;
    rig.reset();
    int fd = connectTo(port);
    CHECK(fd < 0);
    if (fd >= 0) ::close(fd);
  }
}

TEST(lifecycle_device_stop_with_core_running) { stopWithCoreRunning(twin::Profile(), 20); }
TEST(lifecycle_device_stop_with_core_running_single_core) { stopWithCoreRunning(singleCore(), 6); }

}  // namespace
