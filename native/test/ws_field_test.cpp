// The failures known in the field, each run many rounds on the twin (synchronous close, dual-
// and single-core profiles), plus the paths around them: keepalive, full queues, printf,
// concurrent upgrades against the client limit, allocation and accept failures.
// Every test ends with end(), zero clients and live objects, the core heap back to its start,
// every CONNECT matched by exactly one DISCONNECT (first and last per client id), and after the
// device stops no AsyncClient and no twin heap left (ws_rig.h, Rig::finish()).
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

twin::Profile manySockets() {
  twin::Profile p;
  p.maxConnections = 64;
  return p;
}

// Opens n peers and waits until the server saw n more CONNECTs.
bool openPeers(Rig& rig, std::vector<std::unique_ptr<Peer>>& peers, size_t n, int rcvbuf = 0) {
  size_t base = rig.probe.nConnects();
  for (size_t i = 0; i < n; ++i) {
    peers.emplace_back(new Peer());
    if (!peers.back()->open(rig.port, rcvbuf)) return false;
  }
  return rig.probe.waitFor([&] { return rig.probe.connects >= base + n; }, 5000);
}

std::vector<uint32_t> lastIds(Rig& rig, size_t n) {
  std::lock_guard<std::mutex> lk(rig.probe.mu);
  auto& o = rig.probe.connectOrder;
  return std::vector<uint32_t>(o.end() - long(n), o.end());
}

bool waitDisconnects(Rig& rig, size_t n, int ms = 8000) {
  return rig.probe.waitFor([&] { return rig.probe.disconnects >= n; }, ms);
}

// ---- 1. closeAll() with every client idle, from the loop task -------------------------------

void closeAllIdle(twin::Profile profile, int rounds) {
  Rig rig(nullptr, profile);
  REQUIRE(rig.port != 0);
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::unique_ptr<Peer>> peers;
    REQUIRE(openPeers(rig, peers, 4));
    SendStatus st{};
    rig.onLoop([&] { st = rig.ws()->closeAll(r % 2 ? 4001 : 0, r % 2 ? "bye" : nullptr); });
    CHECK_EQ(st.queued, 4u);
    for (size_t i = 0; i < peers.size(); ++i) {
      uint16_t code = peers[i]->awaitClose();
      CHECK_EQ(code, r % 2 ? 4001 : 1000);
      if ((r + int(i)) % 3 == 0) {
        peers[i]->closeNow();  // does not answer: FIN
      } else {
        peers[i]->send(closeFrame(code));  // answers: the server closes the TCP
        CHECK(peers[i]->awaitEof());
      }
    }
    CHECK(waitDisconnects(rig, size_t(r + 1) * 4));
  }
  rig.finish();
}

TEST(field_closeAll_idle_clients_from_loop) { closeAllIdle(twin::Profile(), 200); }
TEST(field_closeAll_idle_clients_single_core) { closeAllIdle(singleCore(), 30); }

// ---- 2. textAll() with close-on-full and a stalled client ------------------------------------

void stalledClientClosed(twin::Profile profile, int rounds) {
  Rig rig([](Probe& p) { p.closeOnFull = true; }, profile);
  REQUIRE(rig.port != 0);
  const int kMsgs = 150;
  const size_t kGood = 3;
  size_t disconnects = 0;
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::unique_ptr<Peer>> good;
    REQUIRE(openPeers(rig, good, kGood));
    std::vector<uint32_t> goodIds = lastIds(rig, kGood);
    std::vector<std::unique_ptr<Peer>> stalled;
    REQUIRE(openPeers(rig, stalled, 1, 1024));  // never reads
    uint32_t stalledId = lastIds(rig, 1)[0];
    // Readers: every good peer reads everything.
    std::vector<std::thread> readers;
    for (auto& g : good) {
      Peer* p = g.get();
      readers.emplace_back([p, kMsgs] {
        p->readFor(15000, [&](const std::vector<Frame>& f) { return int(f.size()) >= kMsgs; });
      });
    }
    // The loop broadcasts one numbered message per loop() while the good peers keep up
    // (the stalled peer's queue fills and it gets closed).
    auto sent = std::make_shared<std::atomic<int>>(0);
    auto closedSeen = std::make_shared<std::atomic<uint32_t>>(0);
    std::string pad(400, 'p');
    rig.setLoopHook([sent, goodIds, pad, closedSeen](AsyncWebSocket* ws) {
      for (int k = 0; k < 2 && sent->load() < kMsgs; ++k) {
        for (uint32_t id : goodIds) {
          AsyncWebSocketClientRef c = ws->client(id);
          if (c && c->queueLen() >= 8) return;  // pace on the good peers only
        }
        SendStatus st = ws->textAll("m" + std::to_string(sent->load()) + pad);
        *closedSeen += st.closed;
        (*sent)++;
      }
    });
    bool allSent = rig.probe.waitFor([&] { return sent->load() >= kMsgs; }, 15000);
    CHECK(allSent);
    for (auto& t : readers) t.join();
    rig.setLoopHook(nullptr);
    for (auto& g : good) {
      CHECK_EQ(int(g->frames.size()), kMsgs);
      for (size_t k = 0; k < g->frames.size(); ++k) {
        if (g->frames[k].payload != "m" + std::to_string(k) + pad) {
          CHECK_MSG(false, "round " << r << ": out of order at " << k);
          break;
        }
      }
    }
    CHECK_EQ(closedSeen->load(), 1u);
    bool stalledGone = false;
    rig.onLoop([&] { stalledGone = !rig.ws()->hasClient(stalledId); });
    CHECK(stalledGone);
    CHECK(rig.probe.waitFor([&] { return rig.probe.log(stalledId).disconnects == 1; }, 3000));
    disconnects += 1;
    for (auto& g : good) g->closeNow();
    stalled[0]->reset();
    disconnects += kGood;
    CHECK(waitDisconnects(rig, disconnects));
  }
  AsyncWebSocket::Stats st{};
  rig.onLoop([&] { st = rig.ws()->stats(); });
  CHECK_EQ(st.closedOnFull, uint32_t(rounds));
  rig.finish();
}

TEST(field_textAll_close_on_full_stalled_client) { stalledClientClosed(twin::Profile(), 20); }
TEST(field_textAll_close_on_full_stalled_client_single_core) { stalledClientClosed(singleCore(), 6); }

// ---- 3. close() inside a DATA handler (client->close, close(id), closeAll) -------------------

void closeInData(twin::Profile profile, int rounds) {
  Rig rig(nullptr, profile);
  REQUIRE(rig.port != 0);
  rig.setEventHook([](AsyncWebSocket* s, AsyncWebSocketClient* c, AwsEventType t, void*, uint8_t* data, size_t len) {
    if (t != WS_EVT_DATA || len < 1) return;
    switch (data[0]) {
      case 'a': c->close(4000, "a"); break;
      case 'b': s->close(c->id(), 4001, "b"); break;
      case 'c': s->closeAll(4002, "c"); break;
      case 'd':  // all three, and a send after them
        c->close(4000, "d");
        s->close(c->id(), 4001);
        s->closeAll(4002);
        CHECK(!c->text("late"));
        break;
    }
  });
  size_t expectDisc = 0;
  for (int r = 0; r < rounds; ++r) {
    char mode = "abcd"[r % 4];
    std::vector<std::unique_ptr<Peer>> peers;
    REQUIRE(openPeers(rig, peers, 2));
    peers[0]->send(frame(1, std::string(1, mode) + "xyz"));
    uint16_t code0 = peers[0]->awaitClose();
    CHECK_EQ(code0, mode == 'c' ? 4002 : mode == 'b' ? 4001 : 4000);
    if (mode == 'c') CHECK_EQ(peers[1]->awaitClose(), 4002);
    // Data after our Close is ignored; then the peer answers.
    peers[0]->send(frame(1, "ignored") + closeFrame(code0));
    CHECK(peers[0]->awaitEof());
    if (mode == 'c') {
      peers[1]->send(closeFrame(4002));
      CHECK(peers[1]->awaitEof());
    } else {
      peers[1]->closeNow();
    }
    expectDisc += 2;
    CHECK(waitDisconnects(rig, expectDisc));
  }
  rig.finish();
}

TEST(field_close_inside_data_handler) { closeInData(twin::Profile(), 200); }
TEST(field_close_inside_data_handler_single_core) { closeInData(singleCore(), 30); }

// ---- 4. close(id) and cleanupClients() from the loop racing a peer reset ----------------------

void closeRacingReset(twin::Profile profile, int rounds) {
  Rig rig(nullptr, profile);
  REQUIRE(rig.port != 0);
  size_t expectDisc = 0;
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::unique_ptr<Peer>> peers;
    REQUIRE(openPeers(rig, peers, 3));
    std::vector<uint32_t> ids = lastIds(rig, 3);
    std::atomic<int> go{0};
    // The loop spins until the resetter is about to reset, then closes the same client.
    bool posted = rig.device->postToLoop([&rig, &go, ids, r] {
      while (go.load() == 0) std::this_thread::yield();
      AsyncWebSocket* ws = rig.ws();
      if (r % 3 == 0) ws->close(ids[0], 4000);
      if (r % 3 == 1) ws->cleanupClients(2);  // the oldest is ids[0]
      if (r % 3 == 2) {
        ws->close(ids[0]);
        ws->cleanupClients(0);
      }
      go = 2;
    });
    REQUIRE(posted);
    std::thread resetter([&] {
      go = 1;
      peers[0]->reset();
    });
    resetter.join();
    CHECK(rig.probe.waitFor([&] { return go.load() == 2; }, 5000));
    for (size_t i = 1; i < peers.size(); ++i) {
      if (r % 3 == 2) {
        uint16_t code = peers[i]->awaitClose();
        CHECK_EQ(code, 1001);
      }
      peers[i]->closeNow();
    }
    expectDisc += 3;
    CHECK(waitDisconnects(rig, expectDisc));
  }
  rig.finish();
}

TEST(field_close_and_cleanup_race_peer_reset) { closeRacingReset(twin::Profile(), 200); }
TEST(field_close_and_cleanup_race_peer_reset_single_core) { closeRacingReset(singleCore(), 50); }

// ---- 5. cleanupClients(1) while the oldest client is stuck closing ---------------------------

TEST(field_cleanup_converges_while_oldest_stuck_closing) {
  Rig rig([](Probe& p) { p.maxClients = 64; }, manySockets());
  REQUIRE(rig.port != 0);
  const int kRounds = 15;
  std::vector<std::unique_ptr<Peer>> stuck;  // never read, never answer
  size_t expectDisc = 0;
  for (int r = 0; r < kRounds; ++r) {
    std::vector<std::unique_ptr<Peer>> s1;
    REQUIRE(openPeers(rig, s1, 1, 1024));
    uint32_t stuckId = lastIds(rig, 1)[0];
    stuck.push_back(std::move(s1[0]));
    std::vector<std::unique_ptr<Peer>> peers;
    REQUIRE(openPeers(rig, peers, 3));
    size_t maxConnected = 0, lastConnected = 99;
    rig.onLoop([&] {
      AsyncWebSocket* ws = rig.ws();
      if (r % 2) {  // fill its window and queue first: our Close frame cannot even be written
        std::string big(4000, 'z');
        for (int i = 0; i < 40; ++i) ws->text(stuckId, big);
      }
      ws->close(stuckId, 4000);
    });
    // Called repeatedly from the loop: converges to at most 1 connected client.
    for (int k = 0; k < 20; ++k) {
      rig.onLoop([&] {
        AsyncWebSocket* ws = rig.ws();
        ws->cleanupClients(1);
        lastConnected = ws->count();
        if (lastConnected > maxConnected) maxConnected = lastConnected;
      });
      if (k >= 1) CHECK(lastConnected <= 1);
    }
    CHECK(lastConnected <= 1);
    // The two oldest peers got 1001 and answer; the newest stays connected, then leaves.
    for (size_t i = 0; i < 2; ++i) {
      CHECK_EQ(peers[i]->awaitClose(), 1001);
      peers[i]->send(closeFrame(1001));
      CHECK(peers[i]->awaitEof());
    }
    peers[2]->closeNow();
    expectDisc += 3;
    CHECK(waitDisconnects(rig, expectDisc));
  }
  // The stuck ones are reset after the close timeout, by cleanupClients or by their poll;
  // none stays in the list.
  std::this_thread::sleep_for(milliseconds(twincore::WsDefaults::kCloseTimeoutMs + 100));
  rig.onLoop([&] { rig.ws()->cleanupClients(1); });
  CHECK(waitDisconnects(rig, expectDisc + kRounds, 5000));
  AsyncWebSocket::Stats st{};
  rig.onLoop([&] { st = rig.ws()->stats(); });
  CHECK_EQ(st.clients, 0u);
  rig.finish();
}

// ---- 6. A CONNECT handler that closes its client ---------------------------------------------

void connectCloses(twin::Profile profile, int rounds) {
  Rig rig(nullptr, profile);
  REQUIRE(rig.port != 0);
  rig.setEventHook([](AsyncWebSocket* s, AsyncWebSocketClient* c, AwsEventType t, void*, uint8_t*, size_t) {
    if (t != WS_EVT_CONNECT) return;
    switch (c->id() % 4) {
      case 0: c->close(4003, "no"); break;
      case 1: s->close(c->id(), 4003); break;
      case 2:
        c->text("hello first");
        c->close(4003);
        break;
      case 3: s->closeAll(4003); break;
    }
  });
  for (int r = 0; r < rounds; ++r) {
    Peer p;
    REQUIRE(p.open(rig.port));
    CHECK_EQ(p.awaitClose(), 4003);
    if (r % 2) {
      p.send(closeFrame(4003));
      CHECK(p.awaitEof());
    } else {
      p.closeNow();
    }
    CHECK(waitDisconnects(rig, size_t(r + 1)));
  }
  rig.finish();
}

TEST(field_connect_handler_closes_its_client) { connectCloses(twin::Profile(), 200); }
TEST(field_connect_handler_closes_its_client_single_core) { connectCloses(singleCore(), 30); }

// ---- 7. A handle kept past its disconnect ---------------------------------------------------

TEST(field_ref_kept_past_disconnect) {
  Rig rig;
  REQUIRE(rig.port != 0);
  std::mutex refMu;
  std::vector<AsyncWebSocketClientRef> refs;
  rig.setEventHook([&](AsyncWebSocket* s, AsyncWebSocketClient* c, AwsEventType t, void*, uint8_t*, size_t) {
    if (t != WS_EVT_CONNECT) return;
    AsyncWebSocketClientRef ref = s->client(c->id());
    std::lock_guard<std::mutex> lk(refMu);
    refs.push_back(std::move(ref));
  });
  const int kRounds = 200;
  for (int r = 0; r < kRounds; ++r) {
    Peer p;
    REQUIRE(p.open(rig.port));
    CHECK(rig.probe.waitFor([&] { return rig.probe.connects >= size_t(r + 1); }, 3000));
    if (r % 2) p.reset(); else p.closeNow();
    CHECK(waitDisconnects(rig, size_t(r + 1)));
    AsyncWebSocketClientRef ref;
    {
      std::lock_guard<std::mutex> lk(refMu);
      REQUIRE(!refs.empty());
      ref = refs.back();
      if (r % 2 == 0) refs.pop_back();  // every other one is dropped now, the rest at the end
    }
    REQUIRE(bool(ref));
    uint32_t id = ref->id();
    // From the test thread (any task may use a handle) ...
    CHECK(!ref->text("late"));
    CHECK(!ref->binary("late", 4));
    CHECK(!ref->ping());
    CHECK_EQ(ref->printf("%d", 5), 0u);
    CHECK_EQ(ref->status(), WS_DISCONNECTED);
    CHECK(!ref->canSend());
    CHECK_EQ(ref->queueLen(), 0u);
    ref->close();
    // ... and from the loop task, through the server.
    rig.onLoop([&] {
      AsyncWebSocket* ws = rig.ws();
      CHECK(!ws->hasClient(id));
      CHECK(!ws->client(id));
      CHECK_EQ(ws->text(id, "x").notConnected, 1u);
      CHECK_EQ(ws->close(id).notConnected, 1u);
      CHECK(!ref->text("late"));
    });
    ref.reset();
  }
  AsyncWebSocket::Stats st{};
  rig.onLoop([&] { st = rig.ws()->stats(); });
  CHECK_EQ(st.liveObjects, uint32_t(kRounds / 2));  // the refs still held keep their objects
  // Kept past end(): still safe; dropping them frees the clients.
  rig.onLoop([&] {
    rig.ws()->end();
    st = rig.ws()->stats();
  });
  CHECK_EQ(st.liveObjects, uint32_t(kRounds / 2));
  {
    std::lock_guard<std::mutex> lk(refMu);
    for (auto& r : refs) CHECK(!r->text("after end"));
    refs.clear();
  }
  rig.onLoop([&] { st = rig.ws()->stats(); });
  CHECK_EQ(st.liveObjects, 0u);
  rig.finish();
}

// ---- Keepalive: a ping with a pong deadline closes a dead peer -------------------------------

TEST(field_keepalive_closes_dead_peer_keeps_live_one) {
  Rig rig([](Probe& p) { p.keepAlive = 1; });
  REQUIRE(rig.port != 0);
  std::vector<std::unique_ptr<Peer>> peers;
  REQUIRE(openPeers(rig, peers, 4));
  std::vector<uint32_t> ids = lastIds(rig, 4);
  // Peers 0 and 1 answer pings; 2 and 3 are silent (connected, never answer).
  std::atomic<bool> stop{false};
  std::atomic<int> pings{0};
  std::vector<std::thread> live;
  for (int i = 0; i < 2; ++i) {
    Peer* p = peers[size_t(i)].get();
    live.emplace_back([p, &stop, &pings] {
      size_t seen = 0;
      while (!stop.load()) {
        p->readFor(50, [](const std::vector<Frame>&) { return false; });
        for (; seen < p->frames.size(); ++seen) {
          if (p->frames[seen].op == 9) {
            pings++;
            p->send(frame(10, p->frames[seen].payload));
          }
        }
      }
    });
  }
  auto t0 = Clock::now();
  CHECK(waitDisconnects(rig, 2, 6000));
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
  CHECK_MSG(took >= 1500, "dead peers closed after " << took << " ms");
  std::this_thread::sleep_for(milliseconds(1200));
  stop = true;
  for (auto& t : live) t.join();
  CHECK(pings.load() >= 2);
  {
    std::lock_guard<std::mutex> lk(rig.probe.mu);
    CHECK_EQ(rig.probe.log(ids[0]).disconnects, 0);
    CHECK_EQ(rig.probe.log(ids[1]).disconnects, 0);
    CHECK_EQ(rig.probe.log(ids[2]).disconnects, 1);
    CHECK_EQ(rig.probe.log(ids[3]).disconnects, 1);
  }
  CHECK(peers[2]->awaitEof(1000));
  rig.finish();
}

// ---- Full queue: close vs drop --------------------------------------------------------------

TEST(field_queue_full_close_vs_drop) {
  Rig rig;
  REQUIRE(rig.port != 0);
  for (int r = 0; r < 10; ++r) {
    std::vector<std::unique_ptr<Peer>> peers;
    REQUIRE(openPeers(rig, peers, 2, 1024));  // neither reads
    std::vector<uint32_t> ids = lastIds(rig, 2);
    SendStatus total{};
    bool dropFalse = false, closeFalse = false;
    size_t connectedAfter = 0;
    rig.onLoop([&] {
      AsyncWebSocket* ws = rig.ws();
      ws->client(ids[1])->setCloseClientOnQueueFull(true);
      CHECK(!ws->client(ids[0])->willCloseClientOnQueueFull());
      std::string big(2000, 'q');
      for (int i = 0; i < 60; ++i) {
        SendStatus s = ws->textAll(big);
        total.queued += s.queued;
        total.dropped += s.dropped;
        total.closed += s.closed;
      }
      AsyncWebSocketClientRef d = ws->client(ids[0]);
      CHECK(d && d->queueIsFull());
      dropFalse = !d->text("more");
      closeFalse = !ws->client(ids[1]);  // closed and gone
      connectedAfter = ws->count();
    });
    CHECK(dropFalse);
    CHECK(closeFalse);
    CHECK_EQ(total.closed, 1u);
    CHECK(total.dropped > 0);
    CHECK_EQ(connectedAfter, 1u);
    // (The DISCONNECT may follow on async_tcp: a CONNECT still being delivered there when
    // the loop closed the client delivers it when it returns.)
    CHECK(rig.probe.waitFor([&] { return rig.probe.log(ids[1]).disconnects == 1; }, 3000));
    {
      std::lock_guard<std::mutex> lk(rig.probe.mu);
      CHECK_EQ(rig.probe.log(ids[0]).disconnects, 0);
    }
    // The dropping client still gets a consistent stream (whole frames) once it reads.
    CHECK(peers[0]->readFor(3000, [](const std::vector<Frame>& f) { return f.size() >= WS_MAX_QUEUED_MESSAGES; }));
    for (auto& f : peers[0]->frames) CHECK(f.op == 1 && f.payload.size() == 2000);
    peers[0]->closeNow();
    peers[1]->closeNow();
    CHECK(waitDisconnects(rig, size_t(r + 1) * 2));
  }
  rig.finish();
}

// ---- pingAll / closeAll / printf / printfAll -------------------------------------------------

TEST(field_pingAll_closeAll_printf_printfAll) {
  Rig rig;
  REQUIRE(rig.port != 0);
  for (int r = 0; r < 20; ++r) {
    std::vector<std::unique_ptr<Peer>> peers;
    REQUIRE(openPeers(rig, peers, 3));
    std::vector<uint32_t> ids = lastIds(rig, 3);
    size_t n1 = 0, n2 = 0, n3 = 0;
    SendStatus ping{}, tooBig{}, closeSt{};
    rig.onLoop([&] {
      AsyncWebSocket* ws = rig.ws();
      n1 = ws->printf(ids[0], "to %u: %d", unsigned(ids[0]), r);
      n2 = ws->printfAll("all %d %s", r, std::string(300, 'a').c_str());
      n3 = ws->client(ids[1])->printf("client %d", r);
      uint8_t payload[3] = {1, 2, 3};
      ping = ws->pingAll(payload, 3);
      uint8_t big[200] = {0};
      tooBig = ws->pingAll(big, sizeof big);
    });
    CHECK(n1 > 0);
    CHECK_EQ(n2, std::string("all " + std::to_string(r) + " ").size() + 300);
    CHECK(n3 > 0);
    CHECK_EQ(ping.queued, 3u);
    CHECK_EQ(tooBig.error, SendStatus::kTooBig);
    for (size_t i = 0; i < 3; ++i) {
      size_t want = i == 2 ? 2 : 3;  // texts, then the ping
      CHECK(peers[i]->readFor(3000, [&](const std::vector<Frame>& f) { return f.size() >= want; }));
      auto& f = peers[i]->frames;
      REQUIRE(f.size() >= want);
      size_t k = 0;
      if (i == 0) CHECK_EQ(f[k++].payload, "to " + std::to_string(ids[0]) + ": " + std::to_string(r));
      CHECK_EQ(f[k++].payload, "all " + std::to_string(r) + " " + std::string(300, 'a'));
      if (i == 1) CHECK_EQ(f[k++].payload, "client " + std::to_string(r));
      CHECK_EQ(int(f[k].op), 9);
      CHECK_EQ(f[k].payload, std::string("\x01\x02\x03", 3));
      peers[i]->send(frame(10, f[k].payload));
    }
    CHECK(rig.probe.waitFor([&] {
      size_t n = 0;
      for (uint32_t id : ids) n += rig.probe.log(id).events;
      return n >= 6;  // CONNECT + PONG each
    }, 3000));
    rig.onLoop([&] { closeSt = rig.ws()->closeAll(4004, "restart"); });
    CHECK_EQ(closeSt.queued, 3u);
    for (auto& p : peers) {
      CHECK_EQ(p->awaitClose(), 4004);
      p->send(closeFrame(4004));
      CHECK(p->awaitEof());
    }
    CHECK(waitDisconnects(rig, size_t(r + 1) * 3));
  }
  rig.finish();
}

// ---- Concurrent upgrades racing the client limit ---------------------------------------------

void upgradesRaceLimit(twin::Profile profile, int rounds) {
  const size_t K = 3, N = 10;
  Rig rig([](Probe& p) { p.maxClients = 3; }, profile);
  REQUIRE(rig.port != 0);
  std::atomic<size_t> overLimit{0};
  rig.setEventHook([&](AsyncWebSocket* s, AsyncWebSocketClient*, AwsEventType t, void*, uint8_t*, size_t) {
    if (t == WS_EVT_CONNECT && s->count() > K) overLimit++;
  });
  size_t expectDisc = 0;
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::unique_ptr<Peer>> peers(N);
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> ts;
    for (size_t i = 0; i < N; ++i) {
      peers[i].reset(new Peer());
      Peer* p = peers[i].get();
      ts.emplace_back([p, &rig, &ready, &go] {
        p->fd = connectTo(rig.port);
        ready++;
        while (!go.load()) std::this_thread::yield();
        if (p->fd < 0) return;
        sendAll(p->fd, upgradeRequest());
        p->head = readUntil(p->fd, 5000, headDone, &p->eof);
      });
    }
    while (ready.load() < int(N)) std::this_thread::yield();
    go = true;
    for (auto& t : ts) t.join();
    size_t ok = 0, busy = 0;
    for (auto& p : peers) {
      if (p->status() == 101) ok++;
      if (p->status() == 503) busy++;
    }
    CHECK_EQ(ok, K);
    CHECK_EQ(busy, N - K);
    size_t connected = 0;
    rig.onLoop([&] { connected = rig.ws()->count(); });
    CHECK_EQ(connected, K);
    for (auto& p : peers) p->closeNow();
    expectDisc += ok;
    CHECK(waitDisconnects(rig, expectDisc));
    // Wait for the refused connections' sockets to go too (the twin's socket budget).
    CHECK(rig.probe.waitFor([&] { return rig.device->counters().connectionsOpen.load() == 0; }, 3000));
  }
  CHECK_EQ(overLimit.load(), 0u);
  rig.finish();
}

TEST(field_concurrent_upgrades_race_client_limit) { upgradesRaceLimit(twin::Profile(), 30); }
TEST(field_concurrent_upgrades_race_client_limit_single_core) { upgradesRaceLimit(singleCore(), 10); }

// ---- Allocation and accept failures ---------------------------------------------------------

// A fresh peer upgrades and echoes: the server still works.
void checkServes(Rig& rig) {
  Peer p;
  REQUIRE(p.open(rig.port));
  p.send(frame(1, "ping?"));
  CHECK(p.readFor(3000, [](const std::vector<Frame>& f) { return !f.empty(); }));
  if (!p.frames.empty()) CHECK_EQ(p.frames[0].payload, "ping?");
  p.closeNow();
}

TEST(field_alloc_and_accept_failures_refuse_or_close_without_leaks) {
  Rig rig([](Probe& p) { p.withMessageHandler = true; });
  REQUIRE(rig.port != 0);
  {
    std::lock_guard<std::mutex> lk(rig.probe.mu);
    rig.probe.onMessage = [](AsyncWebSocketClient* c, bool, const uint8_t* d, size_t n) {
      c->text(reinterpret_cast<const char*>(d), n);
    };
  }
  twin::Faults& faults = rig.device->faults();
  // During the upgrade: one or two allocations fail at each stage of the connection (the
  // HttpConn on accept, the request head buffer on the first bytes, the client object or the
  // error answer once the head is complete). The connection is refused (reset, or an HTTP
  // error and a close), never upgraded, and the server serves the next one.
  for (int stage = 0; stage < 3; ++stage) {
    for (int n = 1; n <= 2; ++n) {
      for (int rep = 0; rep < 4; ++rep) {
        std::string req = upgradeRequest();
        int64_t open0 = rig.device->counters().connectionsTotal.load();
        if (stage == 0) faults.failAllocs = n;
        int fd = connectTo(rig.port);
        REQUIRE(fd >= 0);
        CHECK(rig.probe.waitFor([&] { return rig.device->counters().connectionsTotal.load() > open0; }, 2000));
        if (stage == 1) {
          std::this_thread::sleep_for(milliseconds(5));
          faults.failAllocs = n;
          sendAll(fd, req);
        } else if (stage == 2) {
          sendAll(fd, req.substr(0, 10));
          std::this_thread::sleep_for(milliseconds(20));
          faults.failAllocs = n;
          sendAll(fd, req.substr(10));
        } else {
          sendAll(fd, req);
        }
        bool eof = false;
        std::string r = readUntil(fd, 3000, [](const std::string&) { return false; }, &eof);
        faults.failAllocs = 0;
        CHECK_MSG(eof, "stage " << stage << " n " << n);
        CHECK_MSG(r.compare(0, 12, "HTTP/1.1 101") != 0, "upgraded despite the failure: stage " << stage);
        ::close(fd);
        checkServes(rig);
      }
    }
  }
  // The client object itself: arm the core heap's own injection inside the handshake handler
  // (the next core allocation is the AsyncWebSocketClient): 503, nothing leaks.
  rig.onLoop([&] { rig.ws()->handleHandshake([](AsyncWebServerRequest*) {
    twincore::heap::failNextAllocs(1);
    return true;
  }); });
  for (int i = 0; i < 10; ++i) {
    Peer p;
    CHECK(!p.open(rig.port));
    CHECK_EQ(p.status(), 503);
  }
  rig.onLoop([&] { rig.ws()->handleHandshake(nullptr); });
  checkServes(rig);
  // Accept failures: the connection is reset, the server keeps listening.
  for (int i = 0; i < 10; ++i) {
    faults.failAccepts = 1;
    int fd = connectTo(rig.port);
    if (fd >= 0) {
      sendAll(fd, upgradeRequest());
      CHECK(closedWithin(fd, 3000));
      ::close(fd);
    }
    checkServes(rig);
  }
  // During a broadcast (the shared frame) and per-client sends: kNoMemory / false, the
  // clients stay connected and later sends work.
  std::vector<std::unique_ptr<Peer>> peers;
  REQUIRE(openPeers(rig, peers, 3));
  std::vector<uint32_t> ids = lastIds(rig, 3);
  for (int i = 0; i < 20; ++i) {
    SendStatus a{}, b{}, c{};
    bool one = true;
    size_t pf = 1;
    rig.onLoop([&] {
      AsyncWebSocket* ws = rig.ws();
      twincore::heap::failNextAllocs(1);
      a = ws->textAll("lost");
      twincore::heap::failNextAllocs(1);
      b = ws->text(ids[0], "lost");
      twincore::heap::failNextAllocs(1);
      one = ws->client(ids[1])->text("lost");
      twincore::heap::failNextAllocs(1);
      pf = ws->printfAll("lost %d", i);
      twincore::heap::failNextAllocs(0);
      c = ws->textAll("kept" + std::to_string(i));
    });
    CHECK_EQ(a.error, SendStatus::kNoMemory);
    CHECK_EQ(b.error, SendStatus::kNoMemory);
    CHECK(!one);
    CHECK_EQ(pf, 0u);
    CHECK_EQ(c.queued, 3u);
  }
  for (auto& p : peers) {
    CHECK(p->readFor(3000, [](const std::vector<Frame>& f) { return f.size() >= 20; }));
    CHECK_EQ(p->frames.size(), 20u);
    for (size_t k = 0; k < p->frames.size(); ++k) CHECK_EQ(p->frames[k].payload, "kept" + std::to_string(k));
  }
  // Receive side: the reassembly buffer cannot be allocated: 1011, the client is closed.
  for (int i = 0; i < 5; ++i) {
    Peer p;
    REQUIRE(p.open(rig.port));
    CHECK(rig.probe.waitFor([&] { return rig.device->counters().connectionsOpen.load() >= 4; }, 2000));
    faults.failAllocs = 1;
    p.send(frame(1, "needs a buffer"));
    CHECK_EQ(p.awaitClose(), 1011);
    faults.failAllocs = 0;
    CHECK(p.awaitEof());
  }
  for (auto& p : peers) p->closeNow();
  checkServes(rig);
  rig.finish();
}

TEST(field_client_state_size) {
  std::printf("sizeof(AsyncWebSocketClient) = %zu bytes (ClientState %zu, SharedBuffer %zu)\n",
              sizeof(AsyncWebSocketClient), sizeof(twincore::ws::ClientState), sizeof(twincore::ws::SharedBuffer));
  // The idle budget (the object is all an idle client holds: core_perf_idle_client_heap).
  CHECK(sizeof(AsyncWebSocketClient) <= 512);
}

}  // namespace
