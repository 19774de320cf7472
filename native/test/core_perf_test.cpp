// core_perf_test.cpp: performance properties of the WebSocket core (issue 11): what a broadcast
// costs per client (a printed micro-benchmark, not a timed assertion), the core heap an idle
// client holds, and the core heap returning to its baseline once the last client has left.
// Real sockets against a twin device (ws_rig.h); every test ends with end() and the leak checks.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "ws_rig.h"

namespace {

using namespace wsrig;

// Reads and discards everything the peers receive until stopped (keeps their windows open).
struct Drain {
  std::vector<int> fds;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bytes{0};
  std::thread th;
  void start() {
    th = std::thread([this] {
      std::vector<pollfd> p;
      for (int fd : fds) p.push_back(pollfd{fd, POLLIN, 0});
      char tmp[65536];
      while (!stop.load()) {
        if (::poll(p.data(), p.size(), 5) <= 0) continue;
        for (auto& x : p) {
          if (!(x.revents & POLLIN)) continue;
          ssize_t n = ::recv(x.fd, tmp, sizeof tmp, MSG_DONTWAIT);
          if (n > 0) bytes += uint64_t(n);
        }
      }
    });
  }
  void finish() {
    stop = true;
    if (th.joinable()) th.join();
  }
  ~Drain() { finish(); }
};

// Heap the core holds now (twincore::heap, all servers of the process).
size_t coreHeld() { return twincore::heap::held(); }

TEST(core_perf_broadcast_bench) {
  // Wide windows: the numbers measure the core's send path (frame once, queue, add/send per
  // client), not TCP backpressure. Printed, never asserted (machines differ).
  twin::Profile prof;
  prof.maxConnections = 40;
  prof.sendWindow = 1u << 20;
  const size_t kClients = 32;
  Rig rig([&](Probe& p) { p.maxClients = kClients; }, prof);
  REQUIRE(rig.port != 0);
  std::vector<std::unique_ptr<Peer>> peers;
  Drain drain;
  for (size_t i = 0; i < kClients; ++i) {
    peers.emplace_back(new Peer);
    REQUIRE(peers.back()->open(rig.port));
    drain.fds.push_back(peers.back()->fd);
  }
  CHECK(rig.probe.waitFor([&] { return rig.probe.connects == kClients; }, 5000));
  drain.start();
  const std::string msg(64, 'x');
  const int kBatches = 40, kPerBatch = 50;
  uint64_t ns = 0;
  uint32_t queued = 0, dropped = 0;
  for (int b = 0; b < kBatches; ++b) {
    rig.onLoop([&] {
      AsyncWebSocket* ws = rig.ws();
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < kPerBatch; ++i) {
        SendStatus st = ws->textAll(msg.data(), msg.size());
        queued += st.queued;
        dropped += st.dropped;
      }
      ns += uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    });
    // Let the batch drain (bounded) so every batch starts from empty queues.
    rig.probe.waitFor([&] { return drain.bytes.load() >= uint64_t(b + 1) * kPerBatch * kClients * (msg.size() + 2); }, 2000);
  }
  const double msgs = double(kBatches) * kPerBatch;
  std::printf("[core_perf] textAll(64 B) to %zu clients: %.0f ns per broadcast, %.0f ns per client-message "
              "(%u queued, %u dropped over %.0f broadcasts)\n",
              kClients, double(ns) / msgs, double(ns) / (msgs * kClients), queued, dropped, msgs);
  CHECK_EQ(queued + dropped, uint32_t(msgs) * kClients);
  drain.finish();
  for (auto& p : peers) p->closeNow();
  rig.finish();
}

// The same broadcast to clients that stopped reading (tiny receive buffers, lwIP's 5.7 KB
// window): their queues fill and wait for acks, so most messages are dropped for them. What a
// broadcast costs per such client. Printed, not asserted.
TEST(core_perf_broadcast_bench_stalled) {
  twin::Profile prof;
  prof.maxConnections = 40;
  const size_t kClients = 32;
  Rig rig([&](Probe& p) { p.maxClients = kClients; }, prof);
  REQUIRE(rig.port != 0);
  std::vector<std::unique_ptr<Peer>> peers;
  for (size_t i = 0; i < kClients; ++i) {
    peers.emplace_back(new Peer);
    REQUIRE(peers.back()->open(rig.port, 2048));
  }
  CHECK(rig.probe.waitFor([&] { return rig.probe.connects == kClients; }, 5000));
  const std::string msg(64, 'x');
  rig.onLoop([&] {  // fill every window and queue first
    for (int i = 0; i < 400; ++i) rig.ws()->textAll(msg.data(), msg.size());
  });
  const int kBatches = 20, kPerBatch = 100;
  uint64_t ns = 0;
  uint32_t queued = 0, dropped = 0;
  for (int b = 0; b < kBatches; ++b) {
    rig.onLoop([&] {
      AsyncWebSocket* ws = rig.ws();
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < kPerBatch; ++i) {
        SendStatus st = ws->textAll(msg.data(), msg.size());
        queued += st.queued;
        dropped += st.dropped;
      }
      ns += uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    });
  }
  const double msgs = double(kBatches) * kPerBatch;
  std::printf("[core_perf] textAll(64 B) to %zu stalled clients: %.0f ns per broadcast, %.0f ns per client-message "
              "(%u queued, %u dropped)\n",
              kClients, double(ns) / msgs, double(ns) / (msgs * kClients), queued, dropped);
  CHECK_EQ(queued + dropped, uint32_t(msgs) * kClients);
  CHECK(dropped > 0);
  for (auto& p : peers) p->reset();
  rig.finish();
}

// An idle connected client holds at most 512 bytes of core heap in all (the client object;
// control frames, the reassembly buffer and queued messages only while in use), measured with
// twincore::heap after each client has exchanged a message, a ping and a broadcast.
TEST(core_perf_idle_client_heap) {
  std::printf("sizeof(AsyncWebSocketClient) = %zu bytes (ClientState %zu, CtrlFrames %zu when in use)\n",
              sizeof(AsyncWebSocketClient), sizeof(twincore::ws::ClientState), sizeof(twincore::ws::CtrlFrames));
  CHECK(sizeof(AsyncWebSocketClient) <= 512);
  const size_t kClients = 8;
  Rig rig([&](Probe& p) {
    p.maxClients = kClients;
    p.withMessageHandler = true;
  });
  REQUIRE(rig.port != 0);
  rig.onLoop([] {});  // setup() has run: both servers exist
  const size_t base = coreHeld();
  std::vector<std::unique_ptr<Peer>> peers;
  for (size_t i = 0; i < kClients; ++i) {
    peers.emplace_back(new Peer);
    REQUIRE(peers.back()->open(rig.port));
  }
  CHECK(rig.probe.waitFor([&] { return rig.probe.connects == kClients; }, 5000));
  for (auto& p : peers) {
    p->send(frame(1, std::string(300, 'a'), false));  // a fragmented message: reassembled
    p->send(frame(0, std::string(300, 'b'), true));
    p->send(frame(9, "are you there"));                // a ping: answered with a pong
  }
  CHECK(rig.probe.waitFor([&] { return rig.probe.dataEvents >= 2 * kClients; }, 5000));
  SendStatus st;
  rig.onLoop([&] { st = rig.ws()->textAll(std::string(2000, 'z')); });
  CHECK_EQ(st.queued, uint16_t(kClients));
  for (auto& p : peers) {
    CHECK(p->readFor(3000, [](const std::vector<Frame>& f) {
      bool pong = false, text = false;
      for (auto& x : f) {
        pong = pong || x.op == 10;
        text = text || (x.op == 1 && x.payload.size() == 2000);
      }
      return pong && text;
    }));
  }
  // Idle now: every client holds its object only (the AsyncClients are the twin's, not the core's).
  size_t perClient = 0;
  CHECK(rig.probe.waitFor([&] {
    perClient = (coreHeld() - base) / kClients;
    return perClient <= 512;
  }, 2000));
  std::printf("[core_perf] idle client: %zu bytes of core heap each (%zu clients)\n", (coreHeld() - base) / kClients, kClients);
  CHECK(perClient <= 512);
  for (auto& p : peers) p->closeNow();
  rig.finish();
}

// When the last client leaves, the core heap is back to its pre-connection baseline within one
// poll interval, without any further connection: clients that closed (their Close answered, so
// the TCP is closed from inside their own onData) in the middle of large fragmented messages,
// with messages queued to them, a reset one, and one closed by the server.
TEST(core_perf_heap_baseline_after_last_client) {
  twin::Profile prof;
  const size_t kClients = 6;
  Rig rig(
      [&](Probe& p) {
        p.maxClients = kClients;
        p.withMessageHandler = true;
      },
      prof);
  REQUIRE(rig.port != 0);
  rig.onLoop([] { });
  rig.onLoop([&] { rig.ws()->setMaxMessageSize(16 * 1024); });
  const size_t base = coreHeld();
  std::vector<std::unique_ptr<Peer>> peers;
  for (size_t i = 0; i < kClients; ++i) {
    peers.emplace_back(new Peer);
    REQUIRE(peers.back()->open(rig.port));
  }
  CHECK(rig.probe.waitFor([&] { return rig.probe.connects == kClients; }, 5000));
  // Every client: a complete 12 KiB message in 3 fragments, then the start of another one
  // (its reassembly buffer stays allocated), and large broadcasts queued to it.
  for (auto& p : peers) {
    p->send(frame(2, std::string(4096, 'a'), false));
    p->send(frame(0, std::string(4096, 'b'), false));
    p->send(frame(0, std::string(4096, 'c'), true));
    p->send(frame(1, std::string(6000, 'd'), false));
  }
  CHECK(rig.probe.waitFor([&] { return rig.probe.dataEvents >= 4 * kClients; }, 5000));
  rig.onLoop([&] {
    for (int i = 0; i < 4; ++i) rig.ws()->binaryAll(std::string(8000, 'q').data(), 8000);
  });
  CHECK(coreHeld() > base + kClients * 6000);
  // Leaving: client 0 is reset, client 1 is closed by the server (it answers), the others send
  // their Close in the middle of their message (the last one leaves last).
  peers[0]->reset();
  CHECK(rig.probe.waitFor([&] { return rig.probe.disconnects >= 1; }, 3000));
  uint32_t id1 = 0;
  {
    std::lock_guard<std::mutex> lk(rig.probe.mu);
    id1 = rig.probe.connectOrder[1];
  }
  rig.onLoop([&] { rig.ws()->close(id1, 1000, "bye"); });
  CHECK_EQ(peers[1]->awaitClose(), 1000);
  peers[1]->send(closeFrame(1000));
  CHECK(peers[1]->awaitEof());
  for (size_t i = 2; i < kClients; ++i) {
    peers[i]->send(closeFrame(1001));
    CHECK_EQ(peers[i]->awaitClose(), 1001);
    CHECK(peers[i]->awaitEof());
  }
  CHECK(rig.probe.waitFor([&] { return rig.probe.disconnects == kClients; }, 3000));
  auto t0 = std::chrono::steady_clock::now();
  bool back = rig.probe.waitFor([&] { return coreHeld() == base; }, int(prof.pollIntervalMs) + 250);
  long ms = long(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  std::printf("[core_perf] after the last client left: core heap %zu bytes over the baseline, %s after %ld ms\n",
              coreHeld() - base, back ? "back" : "NOT back", ms);
  CHECK_MSG(back, "core heap " << coreHeld() << " vs baseline " << base);
  AsyncWebSocket::Stats stats{};
  rig.onLoop([&] { stats = rig.ws()->stats(); });
  CHECK_EQ(stats.liveObjects, 0u);
  for (auto& p : peers) p->closeNow();
  rig.finish();
}

}  // namespace
