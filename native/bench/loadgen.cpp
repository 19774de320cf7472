// twincore-loadgen: the benchmark's native WebSocket load generator (one epoll thread, no
// dependency beyond the C++ library and Linux). It drives any server that speaks the reference
// firmware's command language (firmware/ReferenceFirmware.h; bench/peers/server.mjs implements the
// same for ws, Bun and uWebSockets.js) and prints one JSON object on stdout.
//
//   twincore-loadgen --mode MODE --port P[,P...] [--clients N] [--size S] [--duration-ms D]
//                    [--warmup-ms W] [--rate R | --unpaced] [--inflight K] [--concurrency C]
//                    [--path /ws]
// Modes:
//   recv     N clients per port; client 0 of each port sends {"cmd":"start",...} (--rate R or
//            --unpaced; --no-start: the server broadcasts by itself, e.g. autostarted telemetry).
//            Counts telemetry per client over D ms after W ms of warm-up; with a rate, the
//            latency from each message's due time (start sent + (seq-1)*1000/R) to its receipt
//            and each client's inter-arrival times.
//   echo     N connections, each keeping K messages of S bytes in flight (text, echoed back).
//   closed   N clients; {"cmd":"relay","on":true} first; each client keeps K messages in flight,
//            which the server broadcasts to every client; a client sends its next one when its
//            own comes back. Counts every delivery.
//   idle     connects N clients, prints {"connected":N} and waits for a line on stdin (or D ms),
//            then closes them: the caller measures the server's memory meanwhile.
//   churn    C concurrent slots open a connection, complete the handshake, send a close frame
//            and wait for the server's close, for D ms: handshakes per second.
//   ceiling  the generator's own ceiling: an in-process server thread writes pre-framed S-byte
//            messages to N connections as fast as the kernel takes them; recv counts them.
// Bounded: every mode ends after W + D ms (+ 10 s at most for connecting and closing).
//
// Threads: main() runs the client loop; `ceiling` adds one server thread, joined before exit.
// Memory: per connection a small read remainder and a send buffer; nothing grows with time
// except the latency samples (at most kMaxSamples, reservoir-sampled).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
double nowMs() { return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count(); }

constexpr size_t kMaxSamples = 200000;

struct Options {
  std::string mode = "recv";
  std::vector<uint16_t> ports;
  std::string path = "/ws";
  int clients = 100;
  int size = 64;
  int durationMs = 3000;
  int warmupMs = 1000;
  int rate = 0;
  bool unpaced = false;
  bool noStart = false;
  int inflight = 16;
  int concurrency = 64;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "twincore-loadgen: %s\n(see the header of native/bench/loadgen.cpp)\n", why);
  std::exit(2);
}

int intArg(const char* v, int lo, int hi, const char* name) {
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (!*v || *end || n < lo || n > hi) {
    std::string m = std::string(name) + " must be an integer " + std::to_string(lo) + ".." + std::to_string(hi);
    usage(m.c_str());
  }
  return int(n);
}

// ---------------------------------------------------------------------------------------------
// Samples (reservoir) and percentiles.

struct Samples {
  std::vector<double> v;
  uint64_t seen = 0;
  std::mt19937_64 rng{42};
  void add(double x) {
    ++seen;
    if (v.size() < kMaxSamples) {
      v.push_back(x);
    } else {
      uint64_t j = rng() % seen;
      if (j < kMaxSamples) v[j] = x;
    }
  }
  double pct(double p) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    size_t i = size_t(p / 100.0 * double(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
  }
};

// ---------------------------------------------------------------------------------------------
// Connections.

enum class St : uint8_t { Connecting, Handshake, Open, Closing, Done };

struct Conn {
  int fd = -1;
  int idx = 0;       // client index (within all ports)
  int port = 0;      // index into Options::ports
  St st = St::Connecting;
  std::string in;    // unparsed bytes (a partial frame or the handshake)
  std::string out;   // bytes not yet written
  bool wantOut = false;
  uint64_t got = 0;  // telemetry (recv) or messages (echo/closed) in the window
  uint64_t gotAll = 0;
  double lastAt = 0;
  int inflight = 0;
  std::vector<double> sentAt;  // echo: send times, FIFO
  size_t sentHead = 0;
  uint64_t nextSeq = 0;
  double churnStart = 0;
};

const char kHandshakeTail[] =
    " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// A masked client frame (the mask key is zero: RFC 6455 asks clients to mask; any key is valid).
void appendFrame(std::string& out, uint8_t op, const char* p, size_t n) {
  uint8_t h[14];
  size_t k = 0;
  h[k++] = uint8_t(0x80 | op);
  if (n < 126) {
    h[k++] = uint8_t(0x80 | n);
  } else if (n < 65536) {
    h[k++] = 0x80 | 126;
    h[k++] = uint8_t(n >> 8);
    h[k++] = uint8_t(n);
  } else {
    h[k++] = 0x80 | 127;
    for (int i = 7; i >= 0; --i) h[k++] = uint8_t(uint64_t(n) >> (8 * i));
  }
  h[k++] = 0, h[k++] = 0, h[k++] = 0, h[k++] = 0;
  out.append(reinterpret_cast<char*>(h), k);
  out.append(p, n);
}

class Gen {
 public:
  explicit Gen(const Options& o) : _o(o) {
    _mode = o.mode == "recv" ? Mode::Recv : o.mode == "echo" ? Mode::Echo : o.mode == "closed" ? Mode::Closed
          : o.mode == "idle" ? Mode::Idle : o.mode == "churn" ? Mode::Churn : Mode::Ceiling;
    _timed = _mode == Mode::Recv && (o.rate > 0 || o.noStart);
    _ep = epoll_create1(EPOLL_CLOEXEC);
    _buf.resize(256 * 1024);
  }

  int run();

 private:
  Conn* open(int idx, int port);
  void closeConn(Conn* c);
  void arm(Conn* c);
  void flushOut(Conn* c);
  void onReadable(Conn* c);
  bool parseFrames(Conn* c, const char* p, size_t n);
  void onMessage(Conn* c, uint8_t op, const char* p, size_t n);
  void onOpen(Conn* c);
  void sendText(Conn* c, const std::string& s) {
    appendFrame(c->out, 1, s.data(), s.size());
    flushOut(c);
  }
  void sendPayload(Conn* c);
  void pump(int timeoutMs);
  std::string telemetryPayloadFor(Conn* c);

  enum class Mode { Recv, Echo, Closed, Idle, Churn, Ceiling };
  const Options& _o;
  Mode _mode;
  bool _timed = false;  // recv: time every message (paced or autostarted telemetry)
  int _ep;
  std::vector<char> _buf;
  std::vector<Conn*> _conns;
  int _opened = 0, _failed = 0, _closedEarly = 0;
  bool _counting = false;
  double _t0 = 0;        // start command sent
  double _winStart = 0, _winEnd = 0;
  uint64_t _total = 0;   // in the window
  Samples _lat, _gap;
  bool _relayOn = false;
  uint64_t _churnDone = 0;
  int _churnSlots = 0;
  Samples _hsLat;
};

Conn* Gen::open(int idx, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(_o.ports[size_t(port)]);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return nullptr;
  }
  Conn* c = new Conn();
  c->fd = fd;
  c->idx = idx;
  c->port = port;
  c->out = "GET " + _o.path + kHandshakeTail;
  c->wantOut = true;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = c;
  epoll_ctl(_ep, EPOLL_CTL_ADD, fd, &ev);
  return c;
}

void Gen::arm(Conn* c) {
  epoll_event ev{};
  ev.events = EPOLLIN | (c->out.empty() ? 0u : uint32_t(EPOLLOUT));
  ev.data.ptr = c;
  epoll_ctl(_ep, EPOLL_CTL_MOD, c->fd, &ev);
  c->wantOut = !c->out.empty();
}

void Gen::closeConn(Conn* c) {
  if (c->fd >= 0) {
    epoll_ctl(_ep, EPOLL_CTL_DEL, c->fd, nullptr);
    ::close(c->fd);
    c->fd = -1;
  }
  if (c->st != St::Closing && c->st != St::Done) ++_closedEarly;
  c->st = St::Done;
}

void Gen::flushOut(Conn* c) {
  if (c->fd < 0 || c->st == St::Connecting) return;
  while (!c->out.empty()) {
    ssize_t n = ::send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c->out.erase(0, size_t(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    closeConn(c);
    return;
  }
  bool want = !c->out.empty();
  if (want != c->wantOut) arm(c);
}

std::string Gen::telemetryPayloadFor(Conn* c) {
  // "c<idx>:<seq>;" padded to size (not starting with '{': not a command).
  char head[48];
  int n = std::snprintf(head, sizeof head, "c%d:%llu;", c->idx, static_cast<unsigned long long>(c->nextSeq++));
  std::string s(head, size_t(n));
  if (int(s.size()) < _o.size) s.append(size_t(_o.size) - s.size(), 'x');
  return s;
}

void Gen::sendPayload(Conn* c) {
  std::string s = telemetryPayloadFor(c);
  appendFrame(c->out, 1, s.data(), s.size());
  if (_mode == Mode::Echo) {
    if (c->sentAt.size() > 4096 && c->sentHead * 2 > c->sentAt.size()) {
      c->sentAt.erase(c->sentAt.begin(), c->sentAt.begin() + long(c->sentHead));
      c->sentHead = 0;
    }
    c->sentAt.push_back(nowMs());
  }
  c->inflight++;
}

void Gen::onOpen(Conn* c) {
  ++_opened;
  if (_mode == Mode::Churn) {
    _hsLat.add(nowMs() - c->churnStart);
    static const char bye[2] = {0x03, char(0xe8)};  // 1000
    appendFrame(c->out, 8, bye, 2);
    c->st = St::Closing;
    flushOut(c);
    return;
  }
}

void Gen::onMessage(Conn* c, uint8_t op, const char* p, size_t n) {
  if (op == 9) {  // ping -> pong
    appendFrame(c->out, 10, p, n);
    flushOut(c);
    return;
  }
  if (op == 8) {
    if (c->st != St::Closing) {
      appendFrame(c->out, 8, p, n < 2 ? n : 2);
      flushOut(c);
    }
    c->st = St::Closing;
    return;
  }
  if (op != 1 && op != 2) return;
  if (_mode == Mode::Recv || _mode == Mode::Ceiling) {
    static const char kTm[] = "{\"t\":\"tm\",\"seq\":";
    bool tm = _mode == Mode::Ceiling || (n >= sizeof kTm - 1 && std::memcmp(p, kTm, sizeof kTm - 1) == 0);
    if (!tm) return;
    c->gotAll++;
    if (!_counting) return;
    c->got++;
    _total++;
    if (!_timed) return;  // unpaced: counting only (the clock would cost more than the parse)
    double t = nowMs();
    if (c->lastAt > 0) _gap.add(t - c->lastAt);
    if (_o.rate > 0 && !_o.noStart) {
      uint64_t seq = std::strtoull(p + sizeof kTm - 1, nullptr, 10);
      double due = _t0 + double(seq - 1) * 1000.0 / _o.rate;
      _lat.add(t - due);
    }
    c->lastAt = t;
    return;
  }
  double t = nowMs();
  if (_mode == Mode::Echo) {
    if (n > 0 && p[0] == '{') return;  // a reply to a command
    if (c->sentHead < c->sentAt.size()) {
      if (_counting) _lat.add(t - c->sentAt[c->sentHead]);
      c->sentHead++;
    }
    c->inflight--;
    if (_counting) {
      c->got++;
      _total++;
    }
    sendPayload(c);  // written after the whole read is parsed (one send per read)
    return;
  }
  if (_mode == Mode::Closed) {
    if (n > 0 && p[0] == '{') {
      if (std::string(p, n).find("\"relay\"") != std::string::npos) _relayOn = true;
      return;
    }
    if (_counting) {
      c->got++;
      _total++;
    }
    // Mine? "c<idx>:"
    if (n > 1 && p[0] == 'c' && std::atoi(p + 1) == c->idx) {
      c->inflight--;
      sendPayload(c);  // written after the whole read is parsed
    }
    return;
  }
}

bool Gen::parseFrames(Conn* c, const char* p, size_t n) {
  // Uses c->in as the remainder buffer only when a frame spans reads.
  std::string joined;
  if (!c->in.empty()) {
    c->in.append(p, n);
    joined.swap(c->in);
    p = joined.data();
    n = joined.size();
  }
  size_t off = 0;
  while (off + 2 <= n) {
    const uint8_t* h = reinterpret_cast<const uint8_t*>(p + off);
    uint8_t op = h[0] & 0x0f;
    bool masked = h[1] & 0x80;
    uint64_t len = h[1] & 0x7f;
    size_t hl = 2;
    if (len == 126) {
      if (off + 4 > n) break;
      len = uint64_t(h[2]) << 8 | h[3];
      hl = 4;
    } else if (len == 127) {
      if (off + 10 > n) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = len << 8 | h[2 + i];
      hl = 10;
    }
    if (masked) hl += 4;
    if (len > (64u << 20)) return false;
    if (off + hl + len > n) break;
    onMessage(c, op, p + off + hl, size_t(len));
    if (c->fd < 0) return false;
    off += hl + size_t(len);
  }
  if (off < n) c->in.assign(p + off, n - off);
  return true;
}

void Gen::onReadable(Conn* c) {
  for (int rounds = 0; rounds < 8 && c->fd >= 0; ++rounds) {
    // A frame left over from the last read goes in front of the next one (no join copy).
    size_t k = 0;
    if (c->st == St::Open && !c->in.empty() && c->in.size() < _buf.size() / 2) {
      k = c->in.size();
      std::memcpy(_buf.data(), c->in.data(), k);
      c->in.clear();
    }
    ssize_t n = ::recv(c->fd, _buf.data() + k, _buf.size() - k, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (k) c->in.assign(_buf.data(), k);
      return;
    }
    if (n == 0) {
      if (c->st == St::Closing && _mode == Mode::Churn) {
        ::close(c->fd);
        epoll_ctl(_ep, EPOLL_CTL_DEL, c->fd, nullptr);
        c->fd = -1;
        c->st = St::Done;
        ++_churnDone;
        return;
      }
      closeConn(c);
      return;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      closeConn(c);
      return;
    }
    if (c->st == St::Handshake) {
      c->in.append(_buf.data(), size_t(n));
      size_t e = c->in.find("\r\n\r\n");
      if (e == std::string::npos) {
        if (c->in.size() > 8192) closeConn(c);
        continue;
      }
      if (c->in.compare(0, 12, "HTTP/1.1 101") != 0) {
        ++_failed;
        closeConn(c);
        return;
      }
      std::string rest = c->in.substr(e + 4);
      c->in.clear();
      c->st = St::Open;
      onOpen(c);
      if (!rest.empty() && !parseFrames(c, rest.data(), rest.size())) {
        closeConn(c);
        return;
      }
      continue;
    }
    if (!parseFrames(c, _buf.data(), k + size_t(n))) {
      closeConn(c);
      return;
    }
    if (!c->out.empty()) flushOut(c);
    if (c->fd < 0) return;
    if (k + size_t(n) < _buf.size()) return;
  }
}

void Gen::pump(int timeoutMs) {
  epoll_event evs[256];
  int n = epoll_wait(_ep, evs, 256, timeoutMs);
  for (int i = 0; i < n; ++i) {
    Conn* c = static_cast<Conn*>(evs[i].data.ptr);
    if (c->fd < 0) continue;
    if (c->st == St::Connecting && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) {
        ++_failed;
        closeConn(c);
        continue;
      }
      c->st = St::Handshake;
      flushOut(c);
      if (c->fd < 0) continue;
    }
    if (evs[i].events & EPOLLOUT) flushOut(c);
    if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) onReadable(c);
  }
}

// ---------------------------------------------------------------------------------------------
// `ceiling`: a server thread writing pre-framed messages as fast as the kernel takes them.

struct BlastServer {
  int lfd = -1;
  uint16_t port = 0;
  std::atomic<bool> stop{false};
  std::thread th;
  int size = 64;
  int expect = 0;

  bool start(int clients, int sz) {
    size = sz;
    expect = clients;
    lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(lfd, 1024) != 0) return false;
    socklen_t l = sizeof sa;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &l);
    port = ntohs(sa.sin_port);
    th = std::thread([this] { run(); });
    return true;
  }
  void run() {
    // One 64 KiB block of back-to-back server frames.
    std::string frame;
    std::string payload = "{\"t\":\"tm\",\"seq\":1,";
    payload.append(size_t(std::max(0, size - int(payload.size()))), 'x');
    frame.push_back(char(0x81));
    if (payload.size() < 126) {
      frame.push_back(char(payload.size()));
    } else {
      frame.push_back(char(126));
      frame.push_back(char(payload.size() >> 8));
      frame.push_back(char(payload.size() & 0xff));
    }
    frame += payload;
    std::string block;
    while (block.size() + frame.size() <= 65536) block += frame;
    std::vector<int> fds;
    const char resp[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    while (int(fds.size()) < expect && !stop) {
      pollfd p{lfd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      char req[4096];
      size_t got = 0;
      while (got < sizeof req) {  // the handshake request, blocking
        ssize_t n = ::recv(fd, req + got, sizeof req - got, 0);
        if (n <= 0) break;
        got += size_t(n);
        if (std::string(req, got).find("\r\n\r\n") != std::string::npos) break;
      }
      (void)!::send(fd, resp, sizeof resp - 1, MSG_NOSIGNAL);
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      fds.push_back(fd);
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (int fd : fds) {
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.fd = fd;
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    epoll_event evs[256];
    std::vector<size_t> off(65536, 0);
    while (!stop) {
      int n = epoll_wait(ep, evs, 256, 50);
      for (int i = 0; i < n; ++i) {
        int fd = evs[i].data.fd;
        size_t& o = off[size_t(fd) % off.size()];
        ssize_t w = ::send(fd, block.data() + o, block.size() - o, MSG_NOSIGNAL);
        if (w > 0) o = (o + size_t(w)) % block.size();  // whole frames: the block repeats
      }
    }
    for (int fd : fds) ::close(fd);
    ::close(ep);
  }
  void end() {
    stop = true;
    if (th.joinable()) th.join();
    if (lfd >= 0) ::close(lfd);
  }
};

int Gen::run() {
  const std::string& m = _o.mode;
  BlastServer blast;
  Options& o = const_cast<Options&>(_o);
  if (m == "ceiling") {
    if (!blast.start(o.clients, o.size)) usage("ceiling: cannot listen on 127.0.0.1");
    o.ports = {blast.port};
  }
  int perPort = o.clients;
  int total = m == "churn" ? 0 : perPort * int(o.ports.size());
  // Connect in waves of 64 (a listen backlog of 16 on the board side).
  double connectDeadline = nowMs() + 10000 + total * 5.0;
  int next = 0;
  while (_opened + _failed + _closedEarly < total && nowMs() < connectDeadline) {
    while (next < total && next - (_opened + _failed + _closedEarly) < 64) {
      Conn* c = open(next, next / perPort);
      if (c) _conns.push_back(c); else ++_failed;
      ++next;
    }
    pump(5);
  }
  int connected = 0;
  for (Conn* c : _conns) connected += c->st == St::Open ? 1 : 0;
  double start = nowMs();
  if (m == "idle") {
    std::printf("{\"connected\":%d}\n", connected);
    std::fflush(stdout);
    double end = start + o.durationMs;
    while (nowMs() < end) {
      pollfd p{0, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) break;
      pump(20);
    }
  } else if (m == "churn") {
    _winStart = start;
    _winEnd = start + o.durationMs;
    std::vector<Conn*> slots(size_t(o.concurrency), nullptr);
    int idx = 0;
    while (nowMs() < _winEnd) {
      for (auto& s : slots) {
        if (s && s->fd >= 0) continue;
        if (s) {
          delete s;
          s = nullptr;
        }
        s = open(idx++, 0);
        if (s) s->churnStart = nowMs(); else ++_failed;
      }
      pump(2);
    }
    _total = _churnDone;
    for (auto& s : slots) {
      if (s) {
        if (s->fd >= 0) {
          epoll_ctl(_ep, EPOLL_CTL_DEL, s->fd, nullptr);
          ::close(s->fd);
        }
        delete s;
      }
    }
  } else {
    // recv / ceiling / echo / closed
    if (m == "closed" && !_conns.empty()) {
      sendText(_conns[0], "{\"cmd\":\"relay\",\"on\":true}");
      double until = nowMs() + 3000;
      while (!_relayOn && nowMs() < until) pump(5);
    }
    if (m == "recv" && !o.noStart) {
      char cmd[160];
      if (o.unpaced) {
        std::snprintf(cmd, sizeof cmd, "{\"cmd\":\"start\",\"unpaced\":true,\"size\":%d,\"count\":0}", o.size);
      } else {
        std::snprintf(cmd, sizeof cmd, "{\"cmd\":\"start\",\"rate\":%d,\"size\":%d,\"count\":0}", o.rate > 0 ? o.rate : 10, o.size);
      }
      // Client 0 of each port starts its server.
      for (size_t pi = 0; pi < o.ports.size(); ++pi) {
        Conn* c = _conns[pi * size_t(perPort)];
        if (c->st == St::Open) sendText(c, cmd);
      }
    }
    _t0 = nowMs();
    if (m == "echo" || m == "closed") {
      for (Conn* c : _conns) {
        if (c->st != St::Open) continue;
        for (int k = 0; k < o.inflight; ++k) sendPayload(c);
        flushOut(c);
      }
    }
    _winStart = _t0 + o.warmupMs;
    _winEnd = _winStart + o.durationMs;
    while (nowMs() < _winStart) pump(5);
    for (Conn* c : _conns) c->lastAt = 0;
    _counting = true;
    while (nowMs() < _winEnd) pump(5);
    _counting = false;
    if (m == "recv" && !o.noStart) {
      for (size_t pi = 0; pi < o.ports.size(); ++pi) {
        Conn* c = _conns[pi * size_t(perPort)];
        if (c->st == St::Open) sendText(c, "{\"cmd\":\"stop\"}");
      }
    }
    if (m == "closed" && !_conns.empty() && _conns[0]->st == St::Open) {
      sendText(_conns[0], "{\"cmd\":\"relay\",\"on\":false}");
    }
  }
  double elapsed = (m == "idle" ? nowMs() - start : _winEnd - _winStart) / 1000.0;
  // Per-client figures.
  uint64_t minGot = UINT64_MAX, maxGot = 0;
  int open = 0;
  for (Conn* c : _conns) {
    if (c->st == St::Open) open++;
    minGot = std::min(minGot, c->got);
    maxGot = std::max(maxGot, c->got);
  }
  if (_conns.empty()) minGot = 0;
  // Close: a close frame each, then a short wait for the servers' FINs.
  for (Conn* c : _conns) {
    if (c->fd >= 0 && c->st == St::Open) {
      static const char bye[2] = {0x03, char(0xe8)};
      appendFrame(c->out, 8, bye, 2);
      c->st = St::Closing;
      flushOut(c);
    }
  }
  double until = nowMs() + 2000;
  for (;;) {
    bool any = false;
    for (Conn* c : _conns) any = any || c->fd >= 0;
    if (!any || nowMs() > until) break;
    pump(10);
  }
  for (Conn* c : _conns) {
    if (c->fd >= 0) ::close(c->fd);
    delete c;
  }
  if (m == "ceiling") blast.end();
  Samples& lat = m == "churn" ? _hsLat : _lat;
  std::printf(
      "{\"mode\":\"%s\",\"clients\":%d,\"connected\":%d,\"openAtEnd\":%d,\"failed\":%d,\"closedEarly\":%d,"
      "\"seconds\":%.3f,\"messages\":%llu,\"perSecond\":%.1f,\"perClientMin\":%llu,\"perClientMax\":%llu,"
      "\"latencyMs\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"n\":%llu},\"gapMs\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}}\n",
      m.c_str(), m == "churn" ? int(_churnDone) : total, connected, open, _failed, _closedEarly, elapsed,
      static_cast<unsigned long long>(_total), elapsed > 0 ? double(_total) / elapsed : 0.0,
      static_cast<unsigned long long>(minGot), static_cast<unsigned long long>(maxGot), lat.pct(50), lat.pct(99),
      lat.pct(100), static_cast<unsigned long long>(lat.seen), _gap.pct(50), _gap.pct(99), _gap.pct(100));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> const char* {
      if (i + 1 >= argc) usage((a + " needs a value").c_str());
      return argv[++i];
    };
    if (a == "--mode") {
      o.mode = val();
    } else if (a == "--port") {
      std::string v = val();
      size_t p = 0;
      while (p <= v.size()) {
        size_t e = v.find(',', p);
        if (e == std::string::npos) e = v.size();
        o.ports.push_back(uint16_t(intArg(v.substr(p, e - p).c_str(), 1, 65535, "--port")));
        p = e + 1;
      }
    } else if (a == "--path") {
      o.path = val();
    } else if (a == "--clients") {
      o.clients = intArg(val(), 1, 20000, "--clients");
    } else if (a == "--size") {
      o.size = intArg(val(), 52, 65536, "--size");
    } else if (a == "--duration-ms") {
      o.durationMs = intArg(val(), 100, 600000, "--duration-ms");
    } else if (a == "--warmup-ms") {
      o.warmupMs = intArg(val(), 0, 60000, "--warmup-ms");
    } else if (a == "--rate") {
      o.rate = intArg(val(), 1, 1000, "--rate");
    } else if (a == "--unpaced") {
      o.unpaced = true;
    } else if (a == "--no-start") {
      o.noStart = true;
    } else if (a == "--inflight") {
      o.inflight = intArg(val(), 1, 1024, "--inflight");
    } else if (a == "--concurrency") {
      o.concurrency = intArg(val(), 1, 1024, "--concurrency");
    } else {
      usage(("unknown argument " + a).c_str());
    }
  }
  static const char* modes[] = {"recv", "echo", "closed", "idle", "churn", "ceiling"};
  bool known = false;
  for (const char* m : modes) known = known || o.mode == m;
  if (!known) usage("--mode must be recv, echo, closed, idle, churn or ceiling");
  if (o.mode != "ceiling" && o.ports.empty()) usage("--port is required");
  if (o.rate && o.unpaced) usage("--rate and --unpaced exclude each other");
  Gen g(o);
  return g.run();
}
