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
[[maybe_unused]] size_t coreHeld() { return twincore::heap::held(); }

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

}  // namespace
