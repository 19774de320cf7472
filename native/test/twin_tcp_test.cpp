// The twin's AsyncTCP 3.x surface beyond the accepted-connection rules of twin_test.cpp: client
// connections from the device (to a loopback server run by the test, and to the device's own
// listener), host-name resolution, the connection limit, onPacket/ackPacket, the network
// switches twin::resetAllConnections / twin::setNetworkUp, and every declaration of AsyncTCP.h
// with the board's signature and constness. Real loopback sockets; every wait is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "Arduino.h"
#include "AsyncTCP.h"
#include "tc_loop.h"
#include "tc_peer.h"
#include "tc_test.h"
#include "twin.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string threadName() {
  char b[32] = {0};
  pthread_getname_np(pthread_self(), b, sizeof b);
  return b;
}

struct Ev {
  std::string what;  // connect, disconnect, error, data, ack, accept, packet
  AsyncClient* client;
  long value;
  std::string thread;
};

// Every callback of every watched client, with the thread it ran on. Fields under mu.
struct Rec {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Ev> evs;
  std::map<AsyncClient*, std::string> data;  // bytes received per client (onData)
  std::vector<std::string> logs;

  void add(const char* what, AsyncClient* c, long v = 0) {
    {
      std::lock_guard<std::mutex> lk(mu);
      evs.push_back({what, c, v, threadName()});
    }
    cv.notify_all();
  }
  size_t countLocked(const std::string& what, AsyncClient* c) {
    size_t n = 0;
    for (auto& e : evs) n += (e.what == what && (!c || e.client == c)) ? 1 : 0;
    return n;
  }
  size_t count(const std::string& what, AsyncClient* c = nullptr) {
    std::lock_guard<std::mutex> lk(mu);
    return countLocked(what, c);
  }
  // Waits (bounded) until `what` happened n times for c.
  bool waitCount(const std::string& what, AsyncClient* c, size_t n, int ms) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, milliseconds(ms), [&] { return countLocked(what, c) >= n; });
  }
  bool waitData(AsyncClient* c, size_t n, int ms) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, milliseconds(ms), [&] { return data[c].size() >= n; });
  }
  std::string dataOf(AsyncClient* c) {
    std::lock_guard<std::mutex> lk(mu);
    return data[c];
  }
  // The values of `what` events for c, in order.
  std::vector<long> values(const std::string& what, AsyncClient* c) {
    std::lock_guard<std::mutex> lk(mu);
    std::vector<long> v;
    for (auto& e : evs)
      if (e.what == what && e.client == c) v.push_back(e.value);
    return v;
  }
  // The kinds of c's events, in order.
  std::vector<std::string> kinds(AsyncClient* c) {
    std::lock_guard<std::mutex> lk(mu);
    std::vector<std::string> v;
    for (auto& e : evs)
      if (e.client == c) v.push_back(e.what);
    return v;
  }
  std::vector<std::string> threadsOf(const std::string& what) {
    std::lock_guard<std::mutex> lk(mu);
    std::vector<std::string> v;
    for (auto& e : evs)
      if (e.what == what) v.push_back(e.thread);
    return v;
  }
};

void watch(Rec* r, AsyncClient* c) {
  c->onConnect([r](void*, AsyncClient* cl) { r->add("connect", cl); });
  c->onDisconnect([r](void*, AsyncClient* cl) { r->add("disconnect", cl); });
  c->onError([r](void*, AsyncClient* cl, int8_t err) { r->add("error", cl, err); });
  c->onAck([r](void*, AsyncClient* cl, size_t len, uint32_t) { r->add("ack", cl, long(len)); });
  c->onData([r](void*, AsyncClient* cl, void* d, size_t len) {
    {
      std::lock_guard<std::mutex> lk(r->mu);
      r->data[cl].append(static_cast<const char*>(d), len);
    }
    r->add("data", cl, long(len));
  });
}

// The firmware: optionally an AsyncServer on port 80 whose clients are watched; clients the
// tests make (on the loop task, with make()) are owned here too. Everything left is closed and
// deleted when the firmware is destroyed, on its loop task.
class Fw : public twin::Firmware {
 public:
  Fw(Rec* r, bool withServer) : _r(r), _withServer(withServer), server(80) {}
  ~Fw() override {
    std::vector<AsyncClient*> all;
    {
      std::lock_guard<std::mutex> lk(_mu);
      all = _owned;
      _owned.clear();
    }
    for (AsyncClient* c : all) c->close();
    server.end();
    // A dispatch that took one of them before the close may still be running on async_tcp (as
    // on the board): wait for it before freeing them.
    twin::networkBarrier();
    for (AsyncClient* c : all) delete c;
  }
  void setup() override {
    if (!_withServer) return;
    server.onClient(
        [this](void*, AsyncClient* c) {
          {
            std::lock_guard<std::mutex> lk(_mu);
            _owned.push_back(c);
            _accepted.push_back(c);
          }
          watch(_r, c);
          _r->add("accept", c);
        },
        nullptr);
    server.begin();
  }
  void loop() override {}

  // A watched client owned by the firmware (loop task).
  AsyncClient* make() {
    auto* c = new AsyncClient();
    watch(_r, c);
    std::lock_guard<std::mutex> lk(_mu);
    _owned.push_back(c);
    return c;
  }
  AsyncClient* accepted(size_t i) {
    std::lock_guard<std::mutex> lk(_mu);
    return i < _accepted.size() ? _accepted[i] : nullptr;
  }
  size_t acceptedCount() {
    std::lock_guard<std::mutex> lk(_mu);
    return _accepted.size();
  }

 private:
  Rec* _r;
  bool _withServer;
  std::mutex _mu;  // guards _owned and _accepted (loop task and async_tcp)
  std::vector<AsyncClient*> _owned;
  std::vector<AsyncClient*> _accepted;

 public:
  AsyncServer server;
};

struct Rig {
  Rec rec;
  Fw* fw = nullptr;  // owned by the device; touched on its loop task (or under Fw's lock)
  std::unique_ptr<twin::Device> device;
  uint16_t port = 0;  // the host port of the firmware's port 80 (withServer)
  explicit Rig(bool withServer = true, twin::Profile profile = twin::Profile(), bool start = true) {
    Rec* r = &rec;
    device = std::make_unique<twin::Device>(
        profile,
        [this, r, withServer] {
          auto f = std::make_unique<Fw>(r, withServer);
          fw = f.get();
          return std::unique_ptr<twin::Firmware>(std::move(f));
        },
        [r](twin::LogLevel, const std::string& line) {
          std::lock_guard<std::mutex> lk(r->mu);
          r->logs.push_back(line);
        });
    if (start) this->start();
  }
  bool start() {
    bool ok = device->start();
    if (ok && !device->ports().empty()) port = device->ports()[0];
    return ok;
  }
  ~Rig() { device->stop(); }
  bool loop(std::function<void()> fn) { return tcloop::runOnLoop(*device, std::move(fn), 5000); }
};

// A listening socket of the test on 127.0.0.1 (an ephemeral port).
struct TestServer {
  int fd = -1;
  uint16_t port = 0;
  explicit TestServer(int backlog = 16) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, backlog) != 0) return;
    socklen_t len = sizeof sa;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
  }
  ~TestServer() {
    if (fd >= 0) ::close(fd);
  }
  // The next connection, or -1 when none arrives within ms.
  int accept(int ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return -1;
    return ::accept(fd, nullptr, nullptr);
  }
};

// A port nothing listens on (bound once, then released).
uint16_t closedPort() {
  TestServer s;
  return s.port;
}

// True when the peer's socket sees a reset (ECONNRESET) within ms.
bool seesReset(int fd, int ms) {
  auto end = Clock::now() + milliseconds(ms);
  char b[256];
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::recv(fd, b, sizeof b, 0);
    if (n < 0) return errno == ECONNRESET;
    if (n == 0) return false;  // a FIN, not a reset
  }
  return false;
}

// Connects to 127.0.0.1:port; the errno of a failure in *err.
int tryConnect(uint16_t port, int* err) {
  errno = 0;
  int fd = tcpeer::connectTo(port);
  *err = fd < 0 ? errno : 0;
  return fd;
}

}  // namespace

TEST(twin_tcp_client_connects_echoes_and_closes_from_the_device) {
  TestServer srv;
  REQUIRE(srv.port != 0);
  Rig rig(false);
  AsyncClient* c = nullptr;
  bool ok = false, again = true;
  rig.loop([&] {
    c = rig.fw->make();
    ok = c->connect(IPAddress(127, 0, 0, 1), srv.port);
  });
  REQUIRE(ok);
  int peer = srv.accept(2000);
  REQUIRE(peer >= 0);
  REQUIRE(rig.rec.waitCount("connect", c, 1, 2000));
  CHECK(rig.rec.threadsOf("connect") == std::vector<std::string>{"async_tcp"});
  uint8_t st = 0;
  uint16_t rport = 0, lport = 0, mss = 0;
  IPAddress rip, lip;
  uint32_t raddr4 = 0;
  std::string stateName;
  rig.loop([&] {
    st = c->state();
    again = c->connect(IPAddress(127, 0, 0, 1), srv.port);  // already connected
    rport = c->remotePort();
    lport = c->localPort();
    rip = c->remoteIP();
    lip = c->localIP();
    raddr4 = c->getRemoteAddress4().addr;
    mss = c->getMss();
    stateName = c->stateToString();
    CHECK_EQ(c->write("hello twin"), size_t(10));
  });
  CHECK_EQ(int(st), int(ESTABLISHED));
  CHECK(!again);
  CHECK_EQ(rport, srv.port);
  CHECK(rip == IPAddress(127, 0, 0, 1));
  CHECK(lip == IPAddress(127, 0, 0, 1));
  CHECK_EQ(raddr4, uint32_t(IPAddress(127, 0, 0, 1)));
  CHECK(lport != 0);
  CHECK_EQ(mss, uint16_t(1436));
  CHECK(stateName == "Established");
  // The test echoes what it got: the device sees it as onData, and its write acknowledged.
  std::string got = tcpeer::readUntil(peer, 2000, [](const std::string& s) { return s.size() >= 10; });
  CHECK(got == "hello twin");
  tcpeer::sendAll(peer, got);
  CHECK(rig.rec.waitData(c, 10, 2000));
  CHECK(rig.rec.dataOf(c) == "hello twin");
  CHECK(rig.rec.waitCount("ack", c, 1, 2000));
  CHECK(rig.rec.threadsOf("data") == std::vector<std::string>{"async_tcp"});
  // close() from the device: onDisconnect inside close(), on the loop task; the peer sees EOF.
  size_t during = 0;
  rig.loop([&] {
    c->close();
    during = rig.rec.count("disconnect", c);
  });
  CHECK_EQ(during, size_t(1));
  CHECK(tcpeer::closedWithin(peer, 2000));
  std::this_thread::sleep_for(milliseconds(600));  // a poll period: nothing more for c
  std::vector<std::string> kinds = rig.rec.kinds(c);
  REQUIRE(kinds.size() >= 4);
  CHECK(kinds.front() == "connect");
  CHECK(kinds.back() == "disconnect");
  CHECK_EQ(rig.rec.count("disconnect", c), size_t(1));
  CHECK_EQ(rig.rec.count("error", c), size_t(0));
  ::close(peer);
}

TEST(twin_tcp_client_sees_the_peers_close_and_reset) {
  TestServer srv;
  REQUIRE(srv.port != 0);
  Rig rig(false);
  for (int rst = 0; rst < 2; ++rst) {
    AsyncClient* c = nullptr;
    bool ok = false;
    rig.loop([&] {
      c = rig.fw->make();
      ok = c->connect(IPAddress(127, 0, 0, 1), srv.port);
    });
    REQUIRE(ok);
    int peer = srv.accept(2000);
    REQUIRE(peer >= 0);
    REQUIRE(rig.rec.waitCount("connect", c, 1, 2000));
    if (rst) {
      tcpeer::resetClose(peer);
    } else {
      ::close(peer);
    }
    CHECK(rig.rec.waitCount("disconnect", c, 1, 2000));
    std::this_thread::sleep_for(milliseconds(200));
    CHECK_EQ(rig.rec.count("disconnect", c), size_t(1));
    if (rst) {
      CHECK(rig.rec.values("error", c) == std::vector<long>{ERR_RST});  // a RST: onError first
      CHECK(rig.rec.kinds(c) == (std::vector<std::string>{"connect", "error", "disconnect"}));
    } else {
      CHECK_EQ(rig.rec.count("error", c), size_t(0));  // a FIN: onDisconnect only
    }
    bool disc = false;
    rig.loop([&] { disc = c->disconnected() && c->freeable() && c->free(); });
    CHECK(disc);
  }
}

TEST(twin_tcp_client_refused_reports_error_and_disconnect_once) {
  uint16_t port = closedPort();
  REQUIRE(port != 0);
  Rig rig(false);
  AsyncClient* c = nullptr;
  bool ok = false;
  rig.loop([&] {
    c = rig.fw->make();
    ok = c->connect(IPAddress(127, 0, 0, 1), port);
  });
  CHECK(ok);  // as lwIP: the refusal comes later, from the network
  REQUIRE(rig.rec.waitCount("disconnect", c, 1, 3000));
  std::this_thread::sleep_for(milliseconds(700));
  CHECK(rig.rec.kinds(c) == (std::vector<std::string>{"error", "disconnect"}));
  CHECK(rig.rec.values("error", c) == std::vector<long>{ERR_RST});
  CHECK(rig.rec.threadsOf("error") == std::vector<std::string>{"async_tcp"});
  CHECK_EQ(rig.device->counters().connectionsOpen.load(), 0);
  // The client can connect again afterwards.
  TestServer srv;
  rig.loop([&] { ok = c->connect(IPAddress(127, 0, 0, 1), srv.port); });
  CHECK(ok);
  CHECK(rig.rec.waitCount("connect", c, 1, 2000));
}

TEST(twin_tcp_host_names_resolve_to_loopback_only) {
  TestServer srv;
  REQUIRE(srv.port != 0);
  Rig rig(false);
  AsyncClient *byName = nullptr, *byLiteral = nullptr, *unknown = nullptr;
  bool okName = false, okLiteral = false, okUnknown = false;
  bool nullName = true, emptyName = true, v6Literal = true, lan = true, lanLiteral = true, v6Addr = true;
  std::string dnsText;
  rig.loop([&] {
    byName = rig.fw->make();
    okName = byName->connect("localhost", srv.port);
    byLiteral = rig.fw->make();
    okLiteral = byLiteral->connect("127.0.0.1", srv.port);
    unknown = rig.fw->make();
    okUnknown = unknown->connect("no-such-host.invalid", srv.port);
    AsyncClient* x = rig.fw->make();
    nullName = x->connect(static_cast<const char*>(nullptr), srv.port);
    emptyName = x->connect("", srv.port);
    v6Literal = x->connect("::1", srv.port);
    lan = x->connect(IPAddress(192, 168, 1, 10), srv.port);  // no route beyond loopback
    lanLiteral = x->connect("10.0.0.1", srv.port);
    ip_addr_t six = IPADDR6_INIT(0, 0, 0, 0x01000000);
    v6Addr = x->connect(six, srv.port);
    dnsText = AsyncClient::errorToString(-55);
  });
  CHECK(okName);
  CHECK(okLiteral);
  CHECK(okUnknown);  // the lookup is under way ...
  CHECK(!nullName);
  CHECK(!emptyName);
  CHECK(!v6Literal);
  CHECK(!lan);
  CHECK(!lanLiteral);
  CHECK(!v6Addr);
  CHECK(dnsText == "DNS failed");
  int a = srv.accept(2000), b = srv.accept(2000);
  CHECK(a >= 0 && b >= 0);
  CHECK(rig.rec.waitCount("connect", byName, 1, 2000));
  CHECK(rig.rec.waitCount("connect", byLiteral, 1, 2000));
  // ... and fails on async_tcp: onError(-55) then onDisconnect, once.
  REQUIRE(rig.rec.waitCount("disconnect", unknown, 1, 2000));
  std::this_thread::sleep_for(milliseconds(300));
  CHECK(rig.rec.kinds(unknown) == (std::vector<std::string>{"error", "disconnect"}));
  CHECK(rig.rec.values("error", unknown) == std::vector<long>{-55});
  bool closed = false;
  rig.loop([&] { closed = unknown->state() == CLOSED && !unknown->connecting(); });
  CHECK(closed);
  if (a >= 0) ::close(a);
  if (b >= 0) ::close(b);
}

TEST(twin_tcp_lookup_is_cancelled_by_close_abort_and_delete) {
  // Single core: while the loop task runs the work below, async_tcp cannot run the lookup's
  // failure, so each lookup is still pending when it is cancelled (deleting a client while
  // async_tcp may be calling it back is a use-after-free, on the board as here).
  twin::Profile prof;
  prof.dualCore = false;
  Rig rig(false, prof);
  std::vector<AsyncClient*> gone;
  AsyncClient *closed = nullptr, *aborted = nullptr;
  bool again = true;
  int8_t rc = 0;
  size_t closeCalls = 0, abortCalls = 0;
  rig.loop([&] {
    // All made first, so no two share an address (events are told apart by it).
    closed = rig.fw->make();
    aborted = rig.fw->make();
    for (int i = 0; i < 20; ++i) {
      gone.push_back(new AsyncClient());
      watch(&rig.rec, gone.back());
    }
    for (AsyncClient* c : gone) {
      CHECK(c->connect("nowhere.invalid", 80));
      delete c;  // cancels the lookup, running onDisconnect
    }
    CHECK(closed->connect("nowhere.invalid", 80));
    again = closed->connect("nowhere.invalid", 80);  // a lookup is pending
    closed->close();
    closeCalls = rig.rec.kinds(closed).size();
    CHECK(aborted->connect("nowhere.invalid", 80));
    rc = aborted->abort();
    abortCalls = rig.rec.kinds(aborted).size();
  });
  CHECK(!again);
  CHECK_EQ(closeCalls, size_t(1));
  CHECK_EQ(abortCalls, size_t(2));
  CHECK_EQ(int(rc), int(ERR_ABRT));
  std::this_thread::sleep_for(milliseconds(300));  // the cancelled lookups never report
  for (AsyncClient* c : gone) CHECK(rig.rec.kinds(c) == std::vector<std::string>{"disconnect"});
  CHECK(rig.rec.kinds(closed) == std::vector<std::string>{"disconnect"});
  CHECK(rig.rec.kinds(aborted) == (std::vector<std::string>{"error", "disconnect"}));
  CHECK(rig.rec.values("error", aborted) == std::vector<long>{ERR_ABRT});
  CHECK_EQ(rig.device->counters().clientsAlive.load(), 2);  // closed and aborted, owned by Fw
}

TEST(twin_tcp_client_reaches_the_firmwares_own_server_port) {
  Rig rig(true);
  REQUIRE(rig.port != 0);
  REQUIRE(rig.port != 80);  // mapped: the host port differs from the firmware's
  AsyncClient* c = nullptr;
  bool ok = false;
  uint8_t serverStatus = 0;
  rig.loop([&] {
    c = rig.fw->make();
    ok = c->connect("localhost", 80);
    const AsyncServer& s = rig.fw->server;
    serverStatus = s.status();
  });
  CHECK(ok);
  CHECK_EQ(int(serverStatus), int(LISTEN));
  REQUIRE(rig.rec.waitCount("accept", nullptr, 1, 2000));
  REQUIRE(rig.rec.waitCount("connect", c, 1, 2000));
  AsyncClient* server = rig.fw->accepted(0);
  REQUIRE(server != nullptr);
  uint16_t rport = 0;
  rig.loop([&] {
    rport = c->remotePort();
    c->write("to myself");
  });
  CHECK_EQ(rport, uint16_t(80));  // the firmware's view
  CHECK(rig.rec.waitData(server, 9, 2000));
  CHECK(rig.rec.dataOf(server) == "to myself");
  rig.loop([&] { server->write("back"); });
  CHECK(rig.rec.waitData(c, 4, 2000));
  CHECK(rig.rec.dataOf(c) == "back");
  CHECK_EQ(rig.device->counters().connectionsOpen.load(), 2);  // both ends are the device's
}

TEST(twin_tcp_client_connections_count_toward_max_connections) {
  TestServer srv;
  twin::Profile prof;
  prof.maxConnections = 2;
  Rig rig(true, prof);
  REQUIRE(rig.port != 0);
  AsyncClient *c1 = nullptr, *c2 = nullptr;
  bool ok1 = false, ok2 = true;
  rig.loop([&] {
    c1 = rig.fw->make();
    ok1 = c1->connect(IPAddress(127, 0, 0, 1), srv.port);
  });
  REQUIRE(ok1);
  int out = srv.accept(2000);
  REQUIRE(out >= 0);
  REQUIRE(rig.rec.waitCount("connect", c1, 1, 2000));
  int in1 = tcpeer::connectTo(rig.port);
  REQUIRE(in1 >= 0);
  REQUIRE(rig.rec.waitCount("accept", nullptr, 1, 2000));
  CHECK_EQ(rig.device->counters().connectionsOpen.load(), 2);
  // Both slots are taken: a client connect fails at once, an incoming one waits unanswered.
  rig.loop([&] {
    c2 = rig.fw->make();
    ok2 = c2->connect(IPAddress(127, 0, 0, 1), srv.port);
  });
  CHECK(!ok2);
  int in2 = tcpeer::connectTo(rig.port);  // the kernel completes it (backlog)
  REQUIRE(in2 >= 0);
  std::this_thread::sleep_for(milliseconds(300));
  CHECK_EQ(rig.fw->acceptedCount(), size_t(1));
  CHECK(rig.device->counters().connectionsDeferred.load() >= 1);
  // The client connection closes: its slot goes to the waiting incoming one.
  rig.loop([&] { c1->close(); });
  CHECK(rig.rec.waitCount("accept", nullptr, 2, 2000));
  CHECK_EQ(rig.device->counters().connectionsOpen.load(), 2);
  ::close(out);
  ::close(in1);
  ::close(in2);
}

TEST(twin_tcp_connecting_client_is_syn_sent_and_close_cancels_it) {
  // A test server with a full accept queue: the kernel drops further SYNs, so the device's
  // connection stays in SYN_SENT.
  TestServer srv(0);
  REQUIRE(srv.port != 0);
  int filler = tcpeer::connectTo(srv.port);
  REQUIRE(filler >= 0);
  Rig rig(false);
  AsyncClient *c = nullptr, *d = nullptr;
  bool ok = false, again = true;
  uint8_t st = 0;
  bool connecting = false, isFree = true;
  size_t space = 1;
  std::string name;
  rig.loop([&] {
    c = rig.fw->make();
    ok = c->connect(IPAddress(127, 0, 0, 1), srv.port);
    again = c->connect(IPAddress(127, 0, 0, 1), srv.port);
    st = c->state();
    connecting = c->connecting();
    isFree = c->free();
    space = c->space();
    name = c->stateToString();
  });
  CHECK(ok);
  CHECK(!again);  // already connecting
  CHECK_EQ(int(st), int(SYN_SENT));
  CHECK(connecting);
  CHECK(!isFree);
  CHECK_EQ(space, size_t(0));
  CHECK(name == "SYN Sent");
  CHECK_EQ(rig.device->counters().connectionsOpen.load(), 1);  // a pcb from the start
  // close() cancels it: onDisconnect now, on the caller; never onConnect.
  size_t during = 0;
  rig.loop([&] {
    c->close();
    during = rig.rec.count("disconnect", c);
  });
  CHECK_EQ(during, size_t(1));
  // abort() on a second connecting client: onError(ERR_ABRT) + onDisconnect.
  int8_t rc = 0;
  rig.loop([&] {
    d = rig.fw->make();
    if (d->connect(IPAddress(127, 0, 0, 1), srv.port)) rc = d->abort();
  });
  CHECK_EQ(int(rc), int(ERR_ABRT));
  CHECK(rig.rec.kinds(d) == (std::vector<std::string>{"error", "disconnect"}));
  // resetAllConnections() resets a connecting client too: onError(ERR_RST) + onDisconnect.
  AsyncClient* e = nullptr;
  rig.loop([&] {
    e = rig.fw->make();
    ok = e->connect(IPAddress(127, 0, 0, 1), srv.port);
  });
  CHECK(ok);
  twin::resetAllConnections(rig.device.get());
  CHECK(rig.rec.kinds(e) == (std::vector<std::string>{"error", "disconnect"}));
  CHECK(rig.rec.values("error", e) == std::vector<long>{ERR_RST});
  // Free the queue: nothing more for any of them.
  int a = srv.accept(500);
  if (a >= 0) ::close(a);
  ::close(filler);
  std::this_thread::sleep_for(milliseconds(1500));  // past a SYN retransmission
  CHECK(rig.rec.kinds(c) == std::vector<std::string>{"disconnect"});
  CHECK(rig.rec.kinds(d) == (std::vector<std::string>{"error", "disconnect"}));
  CHECK(rig.rec.kinds(e) == (std::vector<std::string>{"error", "disconnect"}));
  CHECK(rig.device->counters().connectionsOpen.load() == 0);
  for (int i = 0; i < 4; ++i) {
    int x = srv.accept(50);
    if (x >= 0) ::close(x);
  }
}

TEST(twin_tcp_on_packet_holds_the_receive_window_until_ack_packet) {
  TestServer srv;
  REQUIRE(srv.port != 0);
  Rig rig(false);
  struct Held {
    std::mutex mu;
    std::vector<pbuf*> pbufs;
    std::string bytes;
    bool ackAtOnce = false;
    bool wellFormed = true;
  };
  auto held = std::make_shared<Held>();
  AsyncClient* c = nullptr;
  bool ok = false;
  rig.loop([&] {
    c = rig.fw->make();
    c->onPacket(
        [held](void*, AsyncClient* cl, pbuf* pb) {
          char copy[2048];
          u16_t n = pbuf_copy_partial(pb, copy, sizeof copy, 0);
          std::lock_guard<std::mutex> lk(held->mu);
          held->wellFormed = held->wellFormed && pb->next == nullptr && pb->len == pb->tot_len && pb->len > 0 &&
                             n == (pb->len < sizeof copy ? pb->len : sizeof copy) &&
                             std::memcmp(copy, pb->payload, n) == 0;
          held->bytes.append(static_cast<const char*>(pb->payload), pb->len);
          if (held->ackAtOnce) {
            cl->ackPacket(pb);
          } else {
            held->pbufs.push_back(pb);
          }
        },
        nullptr);
    ok = c->connect(IPAddress(127, 0, 0, 1), srv.port);
  });
  REQUIRE(ok);
  int peer = srv.accept(2000);
  REQUIRE(peer >= 0);
  REQUIRE(rig.rec.waitCount("connect", c, 1, 2000));
  std::string sent;
  for (int i = 0; i < 20000; ++i) sent.push_back(char('a' + i % 26));
  std::thread writer([&] { tcpeer::sendAll(peer, sent); });
  // Nothing acknowledged: delivery stops at the receive window.
  auto size = [&] {
    std::lock_guard<std::mutex> lk(held->mu);
    return held->bytes.size();
  };
  auto end = Clock::now() + milliseconds(2000);
  while (size() < 5760 && Clock::now() < end) std::this_thread::sleep_for(milliseconds(5));
  std::this_thread::sleep_for(milliseconds(300));
  CHECK_EQ(size(), size_t(5760));
  CHECK_EQ(rig.rec.count("data", c), size_t(0));  // onPacket replaces onData
  // ackPacket reopens it; from now on each packet is acknowledged in the handler.
  rig.loop([&] {
    std::vector<pbuf*> list;
    {
      std::lock_guard<std::mutex> lk(held->mu);
      list.swap(held->pbufs);
      held->ackAtOnce = true;
    }
    for (pbuf* p : list) c->ackPacket(p);
  });
  end = Clock::now() + milliseconds(3000);
  while (size() < sent.size() && Clock::now() < end) std::this_thread::sleep_for(milliseconds(5));
  writer.join();
  {
    std::lock_guard<std::mutex> lk(held->mu);
    CHECK(held->bytes == sent);
    CHECK(held->wellFormed);
  }
  ::close(peer);
}

TEST(twin_tcp_reset_all_connections_resets_accepted_and_client_ones_once) {
  TestServer srv;
  Rig rig(true);
  REQUIRE(rig.port != 0 && srv.port != 0);
  for (int round = 0; round < 2; ++round) {
    // One accepted connection and one client connection.
    size_t acceptedBefore = rig.fw->acceptedCount();
    int in = tcpeer::connectTo(rig.port);
    REQUIRE(in >= 0);
    REQUIRE(rig.rec.waitCount("accept", nullptr, acceptedBefore + 1, 2000));
    AsyncClient* acc = rig.fw->accepted(acceptedBefore);
    AsyncClient* out = nullptr;
    bool ok = false;
    rig.loop([&] {
      out = rig.fw->make();
      ok = out->connect(IPAddress(127, 0, 0, 1), srv.port);
    });
    REQUIRE(ok);
    int outPeer = srv.accept(2000);
    REQUIRE(outPeer >= 0);
    REQUIRE(rig.rec.waitCount("connect", out, 1, 2000));
    // From the test thread, then from the loop task: every callback has run when it returns.
    std::vector<std::string> accKinds, outKinds;
    if (round == 0) {
      twin::resetAllConnections(rig.device.get());
      accKinds = rig.rec.kinds(acc);
      outKinds = rig.rec.kinds(out);
    } else {
      rig.loop([&] {
        twin::resetAllConnections(rig.device.get());
        accKinds = rig.rec.kinds(acc);
        outKinds = rig.rec.kinds(out);
      });
    }
    CHECK(accKinds == (std::vector<std::string>{"accept", "error", "disconnect"}));
    CHECK(outKinds == (std::vector<std::string>{"connect", "error", "disconnect"}));
    CHECK(rig.rec.values("error", acc) == std::vector<long>{ERR_RST});
    CHECK(rig.rec.values("error", out) == std::vector<long>{ERR_RST});
    CHECK(seesReset(in, 2000));
    CHECK(seesReset(outPeer, 2000));
    std::this_thread::sleep_for(milliseconds(600));  // nothing more (a poll period)
    CHECK(rig.rec.kinds(acc) == (std::vector<std::string>{"accept", "error", "disconnect"}));
    CHECK(rig.rec.kinds(out) == (std::vector<std::string>{"connect", "error", "disconnect"}));
    ::close(in);
    ::close(outPeer);
  }
  for (const std::string& t : rig.rec.threadsOf("error")) CHECK(t == "async_tcp");
  // The network is still up: the device accepts again.
  int again = tcpeer::connectTo(rig.port);
  CHECK(again >= 0);
  CHECK(rig.rec.waitCount("accept", nullptr, 3, 2000));
  if (again >= 0) ::close(again);
  twin::resetAllConnections(nullptr);  // ignored
}

TEST(twin_tcp_network_down_refuses_new_connections_and_up_restores) {
  TestServer srv;
  Rig rig(true);
  REQUIRE(rig.port != 0 && srv.port != 0);
  // An accepted and a client connection before the network goes down.
  int in = tcpeer::connectTo(rig.port);
  REQUIRE(in >= 0);
  REQUIRE(rig.rec.waitCount("accept", nullptr, 1, 2000));
  AsyncClient* acc = rig.fw->accepted(0);
  AsyncClient* out = nullptr;
  bool ok = false;
  rig.loop([&] {
    out = rig.fw->make();
    ok = out->connect(IPAddress(127, 0, 0, 1), srv.port);
  });
  REQUIRE(ok);
  int outPeer = srv.accept(2000);
  REQUIRE(outPeer >= 0);
  REQUIRE(rig.rec.waitCount("connect", out, 1, 2000));

  twin::setNetworkUp(rig.device.get(), false);
  CHECK(!twin::networkUp(rig.device.get()));
  int err = 0;
  int refused = tryConnect(rig.port, &err);
  CHECK(refused < 0);
  CHECK_EQ(err, ECONNREFUSED);
  if (refused >= 0) ::close(refused);
  bool okIp = true, okName = true, okLookup = false;
  uint8_t status = 0;
  AsyncClient* lookup = nullptr;
  rig.loop([&] {
    AsyncClient* x = rig.fw->make();
    okIp = x->connect(IPAddress(127, 0, 0, 1), srv.port);
    okName = x->connect("localhost", srv.port);
    lookup = rig.fw->make();
    okLookup = lookup->connect("example.invalid", srv.port);  // still a lookup that fails
    status = rig.fw->server.status();
  });
  CHECK(!okIp);
  CHECK(!okName);
  CHECK(okLookup);
  CHECK(rig.rec.waitCount("error", lookup, 1, 2000));
  CHECK_EQ(int(status), int(LISTEN));  // the server keeps its state, as lwIP's listen pcb
  CHECK(rig.device->ports() == std::vector<uint16_t>{rig.port});
  // Existing connections keep working both ways.
  tcpeer::sendAll(in, "still here");
  CHECK(rig.rec.waitData(acc, 10, 2000));
  rig.loop([&] { out->write("me too"); });
  CHECK(tcpeer::readUntil(outPeer, 2000, [](const std::string& s) { return s.size() >= 6; }) == "me too");
  CHECK_EQ(rig.rec.count("disconnect", acc) + rig.rec.count("disconnect", out), size_t(0));

  // Up again: the same port accepts, clients connect.
  twin::setNetworkUp(rig.device.get(), true);
  CHECK(twin::networkUp(rig.device.get()));
  int back = tryConnect(rig.port, &err);
  CHECK(back >= 0);
  CHECK(rig.rec.waitCount("accept", nullptr, 2, 2000));
  AsyncClient* out2 = nullptr;
  rig.loop([&] {
    out2 = rig.fw->make();
    ok = out2->connect(IPAddress(127, 0, 0, 1), srv.port);
  });
  CHECK(ok);
  int outPeer2 = srv.accept(2000);
  CHECK(outPeer2 >= 0);
  CHECK(rig.rec.waitCount("connect", out2, 1, 2000));
  // Down and up twice in a row from the loop task (a device thread) ends up.
  rig.loop([&] {
    twin::setNetworkUp(rig.device.get(), false);
    twin::setNetworkUp(rig.device.get(), true);
    twin::setNetworkUp(rig.device.get(), false);
    twin::setNetworkUp(rig.device.get(), true);
  });
  int third = tryConnect(rig.port, &err);
  CHECK(third >= 0);
  CHECK(rig.rec.waitCount("accept", nullptr, 3, 2000));
  for (int fd : {in, outPeer, back, outPeer2, third})
    if (fd >= 0) ::close(fd);
}

TEST(twin_tcp_server_begun_while_network_down_listens_once_up) {
  Rig rig(true, twin::Profile(), false);
  twin::setNetworkUp(rig.device.get(), false);  // before start: recorded
  REQUIRE(rig.start());
  REQUIRE(rig.port != 0);  // bound: the port is known
  int err = 0;
  int fd = tryConnect(rig.port, &err);
  CHECK(fd < 0);
  CHECK_EQ(err, ECONNREFUSED);
  if (fd >= 0) ::close(fd);
  twin::setNetworkUp(rig.device.get(), true);
  fd = tryConnect(rig.port, &err);
  CHECK(fd >= 0);
  CHECK(rig.rec.waitCount("accept", nullptr, 1, 2000));
  if (fd >= 0) ::close(fd);
  // end() while down frees the (socketless) listener; begin() while up listens again.
  twin::setNetworkUp(rig.device.get(), false);
  uint8_t afterEnd = 1, afterBegin = 0;
  rig.loop([&] {
    rig.fw->server.end();
    afterEnd = rig.fw->server.status();
  });
  twin::setNetworkUp(rig.device.get(), true);
  rig.loop([&] {
    rig.fw->server.begin();
    afterBegin = rig.fw->server.status();
  });
  CHECK_EQ(int(afterEnd), int(CLOSED));
  CHECK_EQ(int(afterBegin), int(LISTEN));
  fd = tryConnect(rig.port, &err);  // the same host port: the map keeps it
  CHECK(fd >= 0);
  CHECK(rig.rec.waitCount("accept", nullptr, 2, 2000));
  if (fd >= 0) ::close(fd);
}

// ---- the declarations: every public member with the board's signature and constness ----

namespace sig {
template <class T>
constexpr bool same(T, T) {
  return true;
}
}  // namespace sig

// TWIN_SIG(member, type): &member has exactly that type (so also that constness).
#define TWIN_SIG(member, ...) static_assert(sig::same<__VA_ARGS__>(&member, &member), #member)

TWIN_SIG(AsyncClient::operator==, bool (AsyncClient::*)(const AsyncClient&) const);
TWIN_SIG(AsyncClient::operator!=, bool (AsyncClient::*)(const AsyncClient&) const);
static_assert(sig::same<bool (AsyncClient::*)(ip_addr_t, uint16_t)>(&AsyncClient::connect, &AsyncClient::connect), "");
static_assert(sig::same<bool (AsyncClient::*)(const IPAddress&, uint16_t)>(&AsyncClient::connect, &AsyncClient::connect), "");
static_assert(sig::same<bool (AsyncClient::*)(const char*, uint16_t)>(&AsyncClient::connect, &AsyncClient::connect), "");
static_assert(sig::same<void (AsyncClient::*)()>(&AsyncClient::close, &AsyncClient::close), "");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static_assert(sig::same<void (AsyncClient::*)(bool)>(&AsyncClient::close, &AsyncClient::close), "");
TWIN_SIG(AsyncClient::stop, void (AsyncClient::*)());
#pragma GCC diagnostic pop
TWIN_SIG(AsyncClient::abort, int8_t (AsyncClient::*)());
TWIN_SIG(AsyncClient::free, bool (AsyncClient::*)());
TWIN_SIG(AsyncClient::canSend, bool (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::space, size_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::add, size_t (AsyncClient::*)(const char*, size_t, uint8_t));
TWIN_SIG(AsyncClient::send, bool (AsyncClient::*)());
static_assert(sig::same<size_t (AsyncClient::*)(const char*, size_t, uint8_t)>(&AsyncClient::write, &AsyncClient::write), "");
static_assert(sig::same<size_t (AsyncClient::*)(const char*)>(&AsyncClient::write, &AsyncClient::write), "");
TWIN_SIG(AsyncClient::state, uint8_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::connecting, bool (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::connected, bool (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::disconnecting, bool (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::disconnected, bool (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::freeable, bool (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::getMss, uint16_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::getRxTimeout, uint32_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::setRxTimeout, void (AsyncClient::*)(uint32_t));
TWIN_SIG(AsyncClient::getAckTimeout, uint32_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::setAckTimeout, void (AsyncClient::*)(uint32_t));
TWIN_SIG(AsyncClient::setNoDelay, void (AsyncClient::*)(bool) const);
TWIN_SIG(AsyncClient::getNoDelay, bool (AsyncClient::*)());
TWIN_SIG(AsyncClient::setKeepAlive, void (AsyncClient::*)(uint32_t, uint8_t));
TWIN_SIG(AsyncClient::getRemoteAddress, uint32_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::getRemotePort, uint16_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::remotePort, uint16_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::getLocalAddress, uint32_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::getLocalPort, uint16_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::localPort, uint16_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::getRemoteAddress4, ip4_addr_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::getLocalAddress4, ip4_addr_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::getRemoteAddress6, ip6_addr_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::getLocalAddress6, ip6_addr_t (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::remoteIP6, IPAddress (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::localIP6, IPAddress (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::remoteIP, IPAddress (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::localIP, IPAddress (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::onConnect, void (AsyncClient::*)(AcConnectHandler, void*));
TWIN_SIG(AsyncClient::onDisconnect, void (AsyncClient::*)(AcConnectHandler, void*));
TWIN_SIG(AsyncClient::onAck, void (AsyncClient::*)(AcAckHandler, void*));
TWIN_SIG(AsyncClient::onError, void (AsyncClient::*)(AcErrorHandler, void*));
TWIN_SIG(AsyncClient::onData, void (AsyncClient::*)(AcDataHandler, void*));
TWIN_SIG(AsyncClient::onPacket, void (AsyncClient::*)(AcPacketHandler, void*));
TWIN_SIG(AsyncClient::onTimeout, void (AsyncClient::*)(AcTimeoutHandler, void*));
TWIN_SIG(AsyncClient::onPoll, void (AsyncClient::*)(AcConnectHandler, void*));
TWIN_SIG(AsyncClient::ackPacket, void (AsyncClient::*)(struct pbuf*));
TWIN_SIG(AsyncClient::ack, size_t (AsyncClient::*)(size_t));
TWIN_SIG(AsyncClient::ackLater, void (AsyncClient::*)());
TWIN_SIG(AsyncClient::errorToString, const char* (*)(int8_t));
TWIN_SIG(AsyncClient::stateToString, const char* (AsyncClient::*)() const);
TWIN_SIG(AsyncClient::_recv, int8_t (AsyncClient::*)(tcp_pcb*, pbuf*, int8_t));
TWIN_SIG(AsyncClient::pcb, tcp_pcb* (AsyncClient::*)());
TWIN_SIG(AsyncServer::onClient, void (AsyncServer::*)(AcConnectHandler, void*));
TWIN_SIG(AsyncServer::begin, void (AsyncServer::*)());
TWIN_SIG(AsyncServer::end, void (AsyncServer::*)());
TWIN_SIG(AsyncServer::setNoDelay, void (AsyncServer::*)(bool));
TWIN_SIG(AsyncServer::getNoDelay, bool (AsyncServer::*)() const);
TWIN_SIG(AsyncServer::status, uint8_t (AsyncServer::*)() const);

static_assert(std::is_default_constructible_v<AsyncClient>, "AsyncClient()");
static_assert(std::is_constructible_v<AsyncClient, tcp_pcb*>, "AsyncClient(tcp_pcb*)");
static_assert(!std::is_copy_constructible_v<AsyncClient> && !std::is_copy_assignable_v<AsyncClient>, "noncopyable");
static_assert(!std::is_move_constructible_v<AsyncClient> && !std::is_move_assignable_v<AsyncClient>, "nonmovable");
static_assert(std::is_constructible_v<AsyncServer, ip_addr_t, uint16_t>, "AsyncServer(ip_addr_t, port)");
static_assert(std::is_constructible_v<AsyncServer, IPAddress, uint16_t>, "AsyncServer(IPAddress, port)");
static_assert(std::is_convertible_v<uint16_t, AsyncServer>, "AsyncServer(port) is not explicit");

static_assert(std::is_same_v<AcConnectHandler, std::function<void(void*, AsyncClient*)>>, "");
static_assert(std::is_same_v<AcAckHandler, std::function<void(void*, AsyncClient*, size_t, uint32_t)>>, "");
static_assert(std::is_same_v<AcErrorHandler, std::function<void(void*, AsyncClient*, int8_t)>>, "");
static_assert(std::is_same_v<AcDataHandler, std::function<void(void*, AsyncClient*, void*, size_t)>>, "");
static_assert(std::is_same_v<AcPacketHandler, std::function<void(void*, AsyncClient*, struct pbuf*)>>, "");
static_assert(std::is_same_v<AcTimeoutHandler, std::function<void(void*, AsyncClient*, uint32_t)>>, "");

static_assert(ASYNC_WRITE_FLAG_COPY == 0x01 && ASYNC_WRITE_FLAG_MORE == 0x02, "write flags");
static_assert(CONFIG_ASYNC_TCP_RUNNING_CORE == -1 && CONFIG_ASYNC_TCP_USE_WDT == 1 &&
                  CONFIG_ASYNC_TCP_STACK_SIZE == 16384 && CONFIG_ASYNC_TCP_PRIORITY == 10 &&
                  CONFIG_ASYNC_TCP_QUEUE_SIZE == 64 && CONFIG_ASYNC_TCP_MAX_ACK_TIME == 5000,
              "AsyncTCP defaults");
static_assert(ASYNCTCP_VERSION_NUM >= ASYNCTCP_VERSION_VAL(3, 5, 0) && ASYNCTCP_VERSION_MAJOR == 3, "version");
#ifndef ASYNCTCP_FORK_ESP32Async
#error "ASYNCTCP_FORK_ESP32Async"
#endif
#if !LWIP_IPV4 || !LWIP_IPV6
#error "lwIP options"
#endif
static_assert(std::is_same_v<err_t, s8_t> && ERR_OK == 0 && ERR_MEM == -1 && ERR_RTE == -4 && ERR_CONN == -11 &&
                  ERR_ABRT == -13 && ERR_RST == -14 && ERR_CLSD == -15 && ERR_ARG == -16,
              "lwIP err_t");
static_assert(CLOSED == 0 && LISTEN == 1 && SYN_SENT == 2 && ESTABLISHED == 4 && TIME_WAIT == 10, "tcp_state");
static_assert(IPADDR_TYPE_V4 == 0 && IPADDR_TYPE_V6 == 6 && IPADDR_TYPE_ANY == 46, "ip types");
static_assert(std::is_same_v<decltype(pbuf::len), u16_t> && std::is_same_v<decltype(pbuf::payload), void*> &&
                  std::is_same_v<decltype(pbuf::next), pbuf*>,
              "pbuf");

TEST(twin_tcp_declarations_compile_with_board_signatures_and_behave_off_device) {
  // Off any device (no default device here): everything is a safe no-op with the board's
  // "not connected" answers.
  REQUIRE(twin::contextDevice() == nullptr);
  const AsyncServer s(80);
  CHECK_EQ(int(s.status()), int(CLOSED));
  CHECK(!s.getNoDelay());
  CHECK_EQ(s.boundPort(), uint16_t(0));
  AsyncServer byPort = 8080;  // implicit, as on the board
  CHECK_EQ(int(byPort.status()), int(CLOSED));
  ip_addr_t any = IPADDR4_INIT(0);
  AsyncServer byLwip(any, 81);
  AsyncServer byIp(IPAddress(127, 0, 0, 1), 82);
  byLwip.setNoDelay(true);
  CHECK(byLwip.getNoDelay());

  AsyncClient c;
  const AsyncClient& cc = c;
  CHECK_EQ(int(cc.state()), int(CLOSED));
  CHECK(!cc.connecting() && !cc.connected() && !cc.disconnecting() && cc.disconnected() && cc.freeable());
  CHECK(!cc.canSend());
  CHECK_EQ(cc.space(), size_t(0));
  CHECK_EQ(cc.getMss(), uint16_t(0));
  CHECK_EQ(cc.getRemoteAddress(), uint32_t(0));
  CHECK_EQ(cc.getLocalAddress(), uint32_t(0));
  CHECK_EQ(cc.getRemotePort(), uint16_t(0));
  CHECK_EQ(cc.getLocalPort(), uint16_t(0));
  CHECK_EQ(cc.remotePort(), uint16_t(0));
  CHECK_EQ(cc.localPort(), uint16_t(0));
  CHECK_EQ(cc.getRemoteAddress4().addr, uint32_t(0));
  CHECK_EQ(cc.getLocalAddress4().addr, uint32_t(0));
  ip6_addr_t r6 = cc.getRemoteAddress6(), l6 = cc.getLocalAddress6();
  CHECK(ip6_addr_isany_val(r6) && ip6_addr_isany_val(l6));
  CHECK(cc.remoteIP() == IPAddress() && cc.localIP() == IPAddress());
  CHECK(cc.remoteIP6() == IPAddress() && cc.localIP6() == IPAddress());
  CHECK(std::string(cc.stateToString()) == "Closed");
  CHECK_EQ(cc.getAckTimeout(), uint32_t(CONFIG_ASYNC_TCP_MAX_ACK_TIME));  // off device: the macro
  cc.setNoDelay(true);
  CHECK(!c.getNoDelay());
  c.setRxTimeout(3);
  c.setAckTimeout(700);
  CHECK_EQ(cc.getRxTimeout(), uint32_t(3));
  CHECK_EQ(cc.getAckTimeout(), uint32_t(700));
  c.setKeepAlive(1000, 3);  // no connection: nothing (the board would dereference null)
  CHECK(c.free());
  CHECK_EQ(c.add("x", 1, ASYNC_WRITE_FLAG_COPY | ASYNC_WRITE_FLAG_MORE), size_t(0));
  CHECK(!c.send());
  CHECK_EQ(c.write("x"), size_t(0));
  CHECK_EQ(c.write(nullptr), size_t(0));
  CHECK_EQ(c.ack(10), size_t(0));
  c.ackLater();
  c.ackPacket(nullptr);
  CHECK(c.pcb() == nullptr);
  CHECK_EQ(int(c.abort()), int(ERR_CONN));
  bool called = false;
  c.onConnect([&](void*, AsyncClient*) { called = true; });
  c.onDisconnect([&](void*, AsyncClient*) { called = true; });
  c.onAck([&](void*, AsyncClient*, size_t, uint32_t) { called = true; });
  c.onError([&](void*, AsyncClient*, int8_t) { called = true; });
  c.onData([&](void*, AsyncClient*, void*, size_t) { called = true; });
  c.onPacket([&](void*, AsyncClient*, pbuf*) { called = true; });
  c.onTimeout([&](void*, AsyncClient*, uint32_t) { called = true; });
  c.onPoll([&](void*, AsyncClient*) { called = true; });
  CHECK(!c.connect(IPAddress(127, 0, 0, 1), 80));  // no device to connect from
  CHECK(!c.connect(any, 80));
  CHECK(!c.connect("localhost", 80));
  c.close();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  c.close(true);
  c.stop();
#pragma GCC diagnostic pop
  CHECK(!called);  // nothing to close: no callback
  CHECK_EQ(int(c._recv(nullptr, nullptr, ERR_OK)), int(ERR_CONN));
  AsyncClient other;
  CHECK(c == other);  // as AsyncTCP: two unconnected clients compare equal
  CHECK(!(c != other));
  CHECK(std::string(AsyncClient::errorToString(ERR_RST)) == "Connection reset");
  CHECK(std::string(AsyncClient::errorToString(ERR_ABRT)) == "Connection aborted");
  CHECK(std::string(AsyncClient::errorToString(-55)) == "DNS failed");
  CHECK(std::string(AsyncClient::errorToString(42)) == "UNKNOWN");

  // lwIP helpers.
  ip_addr_t a;
  IP_ADDR4(&a, 127, 0, 0, 1);
  CHECK(IP_IS_V4_VAL(a) && !IP_IS_V6_VAL(a));
  CHECK_EQ(ip_2_ip4(&a)->addr, uint32_t(IPAddress(127, 0, 0, 1)));
  CHECK(ip_addr_isloopback(&a));
  ip_addr_set_zero(&a);
  CHECK(ip_addr_isany_val(a));
  ip4_addr_t four;
  IP4_ADDR(&four, 10, 1, 2, 3);
  CHECK_EQ(ip4_addr1(&four), 10);
  CHECK_EQ(ip4_addr4(&four), 3);
}

TEST(twin_tcp_client_members_on_a_device) {
  TestServer srv;
  Rig rig(false);
  uint32_t ackTimeout = 0;
  bool pcbNull = false, pcbSet = false, eq = true, selfEq = false;
  std::string logged;
  AsyncClient* c = nullptr;
  rig.loop([&] {
    auto* bogus = new AsyncClient(reinterpret_cast<tcp_pcb*>(&srv));  // no pcbs here: logged
    delete bogus;
    c = rig.fw->make();
    ackTimeout = c->getAckTimeout();  // the profile's setting
    pcbNull = c->pcb() == nullptr;
    c->setNoDelay(true);  // nothing to apply it to yet
    c->connect(IPAddress(127, 0, 0, 1), srv.port);
  });
  {
    std::lock_guard<std::mutex> lk(rig.rec.mu);
    for (auto& l : rig.rec.logs) logged += l;
  }
  CHECK(logged.find("tcp_pcb") != std::string::npos);
  CHECK_EQ(ackTimeout, uint32_t(5000));
  CHECK(pcbNull);
  int peer = srv.accept(2000);
  REQUIRE(peer >= 0);
  REQUIRE(rig.rec.waitCount("connect", c, 1, 2000));
  bool noDelay = false;
  rig.loop([&] {
    AsyncClient unconnected;
    pcbSet = c->pcb() != nullptr;
    eq = *c == unconnected;
    selfEq = *c == *c;
    c->setNoDelay(true);
    c->setKeepAlive(2000, 3);
    noDelay = c->getNoDelay();
  });
  CHECK(pcbSet);
  CHECK(!eq);
  CHECK(selfEq);
  CHECK(noDelay);
  ::close(peer);
}
