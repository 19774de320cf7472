// Faults that make loopback behave like WiFi (issue 10 section 4), pinned over real loopback
// sockets: the link model (the shared air's bandwidth, acknowledgements a round trip after the
// bytes left so space() recovers only then, inbound bytes a one-way delay late, seeded jitter),
// task stalls (async_tcp or the loop task blocked N ms, then resuming) and the seeded scheduling
// jitter; with every knob at 0 the twin behaves as before (no link timer, no jitter generator).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "Arduino.h"
#include "AsyncTCP.h"
#include "tc_loop.h"
#include "tc_peer.h"
#include "tc_test.h"
#include "twin.h"
#include "twin_internal.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Shared by a test and its firmware; every field under mu.
struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<AsyncClient*> clients;
  size_t acked = 0;
  std::vector<Clock::time_point> ackTimes;
  std::vector<Clock::time_point> dataTimes;
  size_t received = 0;
  std::function<void()> onLoop;  // loop task, every pass

  bool waitFor(const std::function<bool()>& pred, int ms) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, milliseconds(ms), pred);
  }
  AsyncClient* client(size_t i) {
    std::lock_guard<std::mutex> lk(mu);
    return i < clients.size() ? clients[i] : nullptr;
  }
};

class LinkFirmware : public twin::Firmware {
 public:
  explicit LinkFirmware(Shared* s) : _s(s), _server(80) {}
  ~LinkFirmware() override {
    std::vector<AsyncClient*> all;
    {
      std::lock_guard<std::mutex> lk(_s->mu);
      all.swap(_s->clients);
    }
    for (AsyncClient* c : all) c->close();
    _server.end();
    for (AsyncClient* c : all) delete c;
  }
  void setup() override {
    Shared* s = _s;
    _server.onClient(
        [s](void*, AsyncClient* c) {
          c->onData([s](void*, AsyncClient*, void*, size_t len) {
            {
              std::lock_guard<std::mutex> lk(s->mu);
              s->received += len;
              s->dataTimes.push_back(Clock::now());
            }
            s->cv.notify_all();
          });
          c->onAck([s](void*, AsyncClient*, size_t len, uint32_t) {
            {
              std::lock_guard<std::mutex> lk(s->mu);
              s->acked += len;
              s->ackTimes.push_back(Clock::now());
            }
            s->cv.notify_all();
          });
          {
            std::lock_guard<std::mutex> lk(s->mu);
            s->clients.push_back(c);
          }
          s->cv.notify_all();
        },
        nullptr);
    _server.begin();
  }
  void loop() override {
    std::function<void()> h;
    {
      std::lock_guard<std::mutex> lk(_s->mu);
      h = _s->onLoop;
    }
    if (h) h();
  }

 private:
  Shared* _s;
  AsyncServer _server;
};

struct Rig {
  Shared s;
  std::unique_ptr<twin::Device> device;
  uint16_t port = 0;
  std::vector<int> fds;
  explicit Rig(twin::Profile profile) {
    Shared* p = &s;
    device = std::make_unique<twin::Device>(
        profile, [p] { return std::unique_ptr<twin::Firmware>(new LinkFirmware(p)); },
        [](twin::LogLevel, const std::string&) {});
    if (device->start() && !device->ports().empty()) port = device->ports()[0];
  }
  ~Rig() {
    for (int fd : fds) ::close(fd);
    device->stop();
  }
  twin::Device::Impl* impl() { return device->impl(); }
  void connect(size_t n) {
    for (size_t i = 0; i < n; ++i) fds.push_back(tcpeer::connectTo(port));
    s.waitFor([&] { return s.clients.size() >= n; }, 5000);
  }
};

twin::Profile linkProfile(uint32_t kbps, uint32_t rtt, uint32_t jitter, uint32_t seed = 1) {
  twin::Profile p;
  p.linkBandwidthKbps = kbps;
  p.linkRttMs = rtt;
  p.linkJitterMs = jitter;
  p.linkSeed = seed;
  return p;
}

// Reads everything fd offers for ms milliseconds; the byte count.
size_t drain(int fd, int ms) {
  size_t got = 0;
  char buf[65536];
  auto end = Clock::now() + milliseconds(ms);
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    got += size_t(n);
  }
  return got;
}

// A loop() that keeps every client's window full (a stream).
void streamFromLoop(Shared& s) {
  static const std::string chunk(4096, 'x');
  std::lock_guard<std::mutex> lk(s.mu);
  s.onLoop = [&s] {
    std::vector<AsyncClient*> cs;
    {
      std::lock_guard<std::mutex> g(s.mu);
      cs = s.clients;
    }
    for (AsyncClient* c : cs) {
      size_t room = c->space();
      if (room == 0) continue;
      c->add(chunk.data(), std::min(room, chunk.size()), ASYNC_WRITE_FLAG_COPY);
      c->send();
    }
  };
}

// Bytes per second the peers read together over [warm, warm + measure) ms of a stream.
double streamRate(Rig& rig, int warmMs, int measureMs) {
  streamFromLoop(rig.s);
  std::vector<size_t> got(rig.fds.size(), 0);
  std::vector<std::thread> readers;
  for (size_t i = 0; i < rig.fds.size(); ++i) {
    readers.emplace_back([&, i] {
      drain(rig.fds[i], warmMs);
      got[i] = drain(rig.fds[i], measureMs);
    });
  }
  for (auto& t : readers) t.join();
  {
    std::lock_guard<std::mutex> lk(rig.s.mu);
    rig.s.onLoop = nullptr;
  }
  size_t total = 0;
  for (size_t g : got) total += g;
  return double(total) * 1000.0 / measureMs;
}

}  // namespace

TEST(twin_link_bandwidth_limits_measured_throughput) {
  // 4000 kbit/s = 500 000 B/s, a window big enough (64 KiB per 2 ms round trip) not to be the
  // limit: the air is.
  twin::Profile p = linkProfile(4000, 2, 0);
  p.sendWindow = 64 * 1024;
  {
    Rig rig(p);
    REQUIRE(rig.port != 0);
    rig.connect(1);
    double rate = streamRate(rig, 300, 1000);
    CHECK_MSG(rate > 500000 * 0.75 && rate < 500000 * 1.25, "one connection: " << rate << " B/s, want 500000 +-25%");
  }
  {
    // The air is shared: two connections together get the same bandwidth, about half each.
    Rig rig(p);
    REQUIRE(rig.port != 0);
    rig.connect(2);
    double rate = streamRate(rig, 300, 1000);
    CHECK_MSG(rate > 500000 * 0.75 && rate < 500000 * 1.25, "two connections: " << rate << " B/s, want 500000 +-25%");
  }
  {
    // Loopback (the model off) is far faster with the same window.
    twin::Profile off;
    off.sendWindow = 64 * 1024;
    Rig rig(off);
    REQUIRE(rig.port != 0);
    rig.connect(1);
    double rate = streamRate(rig, 200, 500);
    CHECK_MSG(rate > 5 * 500000, "loopback: " << rate << " B/s, want far above the link's 500000");
  }
}

TEST(twin_link_acks_lag_a_round_trip_and_space_recovers_only_then) {
  Rig rig(linkProfile(0, 120, 0));
  REQUIRE(rig.port != 0);
  rig.connect(1);
  AsyncClient* c = rig.s.client(0);
  REQUIRE(c != nullptr);
  const size_t window = rig.device->profile().sendWindow;
  Clock::time_point sent;
  size_t spaceAfterAdd = 0;
  tcloop::runOnLoop(*rig.device, [&] {
    static const std::string msg(1000, 'a');
    c->add(msg.data(), msg.size(), ASYNC_WRITE_FLAG_COPY);
    c->send();
    sent = Clock::now();
    spaceAfterAdd = c->space();
  });
  CHECK_EQ(spaceAfterAdd, window - 1000);
  // The peer gets the bytes a one-way delay (60 ms) after they left.
  std::string got = tcpeer::readUntil(rig.fds[0], 2000, [](const std::string& b) { return b.size() >= 1000; });
  double arrived = msSince(sent);
  CHECK_EQ(got.size(), size_t(1000));
  CHECK_MSG(arrived >= 50 && arrived < 400, "peer got the bytes after " << arrived << " ms, want ~60");
  // Half-way through the round trip the window is still used.
  size_t spaceMid = 0;
  tcloop::runOnLoop(*rig.device, [&] { spaceMid = c->space(); });
  if (msSince(sent) < 110) CHECK_EQ(spaceMid, window - 1000);
  CHECK(rig.s.waitFor([&] { return rig.s.acked >= 1000; }, 3000));
  double lag;
  {
    std::lock_guard<std::mutex> lk(rig.s.mu);
    lag = std::chrono::duration<double, std::milli>(rig.s.ackTimes.front() - sent).count();
  }
  CHECK_MSG(lag >= 115 && lag < 500, "onAck came " << lag << " ms after the send, want ~120 (the round trip)");
  size_t spaceAfterAck = 0;
  tcloop::runOnLoop(*rig.device, [&] { spaceAfterAck = c->space(); });
  CHECK_EQ(spaceAfterAck, window);
}

TEST(twin_link_inbound_bytes_reach_the_firmware_a_one_way_delay_late) {
  Rig rig(linkProfile(0, 200, 0));
  REQUIRE(rig.port != 0);
  rig.connect(1);
  auto sent = Clock::now();
  tcpeer::sendAll(rig.fds[0], "hello");
  CHECK(rig.s.waitFor([&] { return rig.s.received >= 5; }, 3000));
  double late;
  {
    std::lock_guard<std::mutex> lk(rig.s.mu);
    late = std::chrono::duration<double, std::milli>(rig.s.dataTimes.front() - sent).count();
  }
  CHECK_MSG(late >= 95 && late < 600, "onData came " << late << " ms after the peer sent, want ~100 (half the round trip)");
  // The peer's FIN follows its data, as late: onDisconnect after the bytes, not before.
  ::shutdown(rig.fds[0], SHUT_WR);
  CHECK(rig.s.waitFor([&] { return rig.s.clients.empty() || !rig.s.clients[0]->connected(); }, 3000));
}

TEST(twin_link_jitter_draws_are_seeded_and_bounded) {
  auto draws = [](uint32_t seed) -> std::vector<uint32_t> {
    Rig rig(linkProfile(0, 10, 50, seed));
    std::vector<uint32_t> out;
    CHECK(rig.port != 0);
    twin::Device::Impl* d = rig.impl();
    // On async_tcp, where the model draws them.
    d->runOnNet([&] {
      for (int i = 0; i < 32; ++i) out.push_back(d->linkJitterUs());
    });
    return out;
  };
  std::vector<uint32_t> a = draws(7), b = draws(7), c = draws(8);
  REQUIRE(a.size() == 32);
  CHECK(a == b);
  CHECK(a != c);
  uint32_t hi = *std::max_element(a.begin(), a.end());
  uint32_t lo = *std::min_element(a.begin(), a.end());
  CHECK(hi <= 50000);
  CHECK_MSG(hi - lo > 10000, "draws spread " << lo << ".." << hi << " us, want them across 0..50 ms");
}

TEST(twin_link_sched_jitter_is_seeded_per_thread_role) {
  // The loop task's and async_tcp's generators start from the seed and the role: the same seed
  // gives the same states (reproducible decisions), another seed others, 0 none at all.
  auto states = [](uint32_t seed) -> std::pair<uint64_t, uint64_t> {
    twin::Profile p;
    p.schedJitterSeed = seed;
    Rig rig(p);
    std::pair<uint64_t, uint64_t> st{0, 0};
    CHECK(rig.port != 0);
    tcloop::runOnLoop(*rig.device, [&] {
      twin::JitterRng* r = twin::tlsJitter;
      st.first = r ? 1 : 0;
    });
    rig.impl()->runOnNet([&] { st.second = twin::tlsJitter ? 1 : 0; });
    return st;
  };
  CHECK(states(0) == (std::pair<uint64_t, uint64_t>{0, 0}));
  CHECK(states(5) == (std::pair<uint64_t, uint64_t>{1, 1}));
  // The sequence a thread draws from a seed repeats: a fresh firmware task (seeded by its name)
  // records its generator's first states; two runs with the same seed agree, another seed not.
  auto firstStates = [](uint32_t seed) -> std::vector<uint64_t> {
    twin::Profile p;
    p.schedJitterSeed = seed;
    auto out = std::make_shared<std::vector<uint64_t>>();
    auto mu = std::make_shared<std::mutex>();
    Rig rig(p);
    CHECK(rig.port != 0);
    twin::startTask(rig.device.get(), [out, mu] {
      for (int i = 0; i < 8; ++i) {
        std::lock_guard<std::mutex> lk(*mu);
        out->push_back(twin::tlsJitter ? twin::tlsJitter->state : 0);
        if (twin::tlsJitter) twin::jitterSlow();
      }
    }, "jitterProbe");
    auto end = Clock::now() + milliseconds(3000);
    while (Clock::now() < end) {
      std::this_thread::sleep_for(milliseconds(10));
      std::lock_guard<std::mutex> lk(*mu);
      if (out->size() == 8) break;
    }
    rig.device->stop();  // joins the task
    return *out;
  };
  std::vector<uint64_t> a = firstStates(11), b = firstStates(11), c = firstStates(12);
  REQUIRE(a.size() == 8);
  CHECK(a == b);
  CHECK(a != c);
}

TEST(twin_link_stall_async_tcp_blocks_callbacks_then_resumes) {
  twin::Profile p;
  Rig rig(p);
  REQUIRE(rig.port != 0);
  rig.connect(1);
  auto start = Clock::now();
  CHECK(twin::stallTask(rig.device.get(), twin::StallTask::AsyncTcp, 300));
  std::this_thread::sleep_for(milliseconds(20));
  tcpeer::sendAll(rig.fds[0], "ping");  // arrives in the kernel meanwhile
  CHECK(rig.s.waitFor([&] { return rig.s.received >= 4; }, 3000));
  double late;
  {
    std::lock_guard<std::mutex> lk(rig.s.mu);
    late = std::chrono::duration<double, std::milli>(rig.s.dataTimes.front() - start).count();
  }
  CHECK_MSG(late >= 290 && late < 1500, "onData came " << late << " ms after a 300 ms stall began");
  // Resumed: the next bytes come at once.
  auto again = Clock::now();
  tcpeer::sendAll(rig.fds[0], "more");
  CHECK(rig.s.waitFor([&] { return rig.s.received >= 8; }, 3000));
  CHECK_MSG(msSince(again) < 200, "after the stall onData took " << msSince(again) << " ms");
  CHECK(!twin::stallTask(rig.device.get(), twin::StallTask::AsyncTcp, 0));
  CHECK(!twin::stallTask(rig.device.get(), twin::StallTask::AsyncTcp, 60001));
}

TEST(twin_link_stall_loop_blocks_loop_passes_and_stop_ends_it) {
  twin::Profile p;
  Rig rig(p);
  REQUIRE(rig.port != 0);
  CHECK(twin::stallTask(rig.device.get(), twin::StallTask::Loop, 400));
  std::this_thread::sleep_for(milliseconds(60));
  int64_t before = rig.device->counters().loopIterations.load();
  std::this_thread::sleep_for(milliseconds(200));
  int64_t during = rig.device->counters().loopIterations.load();
  CHECK_MSG(during == before, "loop() ran " << (during - before) << " passes during the stall");
  std::this_thread::sleep_for(milliseconds(400));
  CHECK_MSG(rig.device->counters().loopIterations.load() > during, "loop() did not resume after the stall");
  // A long stall ends when the device stops.
  CHECK(twin::stallTask(rig.device.get(), twin::StallTask::Loop, 60000));
  CHECK(twin::stallTask(rig.device.get(), twin::StallTask::AsyncTcp, 60000));
  std::this_thread::sleep_for(milliseconds(50));
  auto t = Clock::now();
  rig.device->stop();
  CHECK_MSG(msSince(t) < 3000, "stop took " << msSince(t) << " ms with both tasks stalled");
}

TEST(twin_link_off_keeps_the_loopback_fast_path) {
  twin::Profile p;  // every link and jitter knob 0
  CHECK(!p.linkModel());
  Rig rig(p);
  REQUIRE(rig.port != 0);
  rig.connect(1);
  AsyncClient* c = rig.s.client(0);
  REQUIRE(c != nullptr);
  CHECK(!rig.impl()->linkOn);
  bool jitterOnLoop = true;
  Clock::time_point sent;
  tcloop::runOnLoop(*rig.device, [&] {
    jitterOnLoop = twin::tlsJitter != nullptr;
    static const std::string msg(1000, 'a');
    c->add(msg.data(), msg.size(), ASYNC_WRITE_FLAG_COPY);
    c->send();
    sent = Clock::now();
  });
  CHECK(!jitterOnLoop);
  std::string got = tcpeer::readUntil(rig.fds[0], 2000, [](const std::string& b) { return b.size() >= 1000; });
  CHECK_EQ(got.size(), size_t(1000));
  CHECK(rig.s.waitFor([&] { return rig.s.acked >= 1000; }, 2000));
  {
    std::lock_guard<std::mutex> lk(rig.s.mu);
    double lag = std::chrono::duration<double, std::milli>(rig.s.ackTimes.front() - sent).count();
    CHECK_MSG(lag < 60, "loopback onAck came after " << lag << " ms");
  }
  bool armed = true;
  rig.impl()->runOnNet([&] { armed = rig.impl()->linkTimerDue != 0; });
  CHECK(!armed);
}

TEST(twin_link_named_links_and_limits) {
  twin::Profile p;
  CHECK(twin::namedLink("good-wifi", &p));
  CHECK_EQ(p.linkBandwidthKbps, 20000u);
  CHECK_EQ(p.linkRttMs, 13u);
  CHECK(p.linkModel());
  CHECK(twin::namedLink("weak-wifi", &p));
  CHECK_EQ(p.linkBandwidthKbps, 2000u);
  CHECK_EQ(p.linkRttMs, 40u);
  CHECK(twin::namedLink("loopback", &p));
  CHECK(!p.linkModel());
  CHECK(!twin::namedLink("5g", &p));
  std::string err;
  p.linkRttMs = twin::limits::linkRttMs.hi + 1;
  CHECK(!twin::validateProfile(p, &err));
  CHECK_MSG(err.find("linkRttMs") != std::string::npos, err);
}
