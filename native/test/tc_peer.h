// tc_peer.h: the one copy of the tests' plain POSIX loopback-client helpers (connect, send,
// reset-close, bounded reads, "closed within N ms") and of the client side of the WebSocket wire
// (upgrade request, masked client frames, Close frames, server-frame parsing).
// Every helper is bounded in time (no call blocks longer than the milliseconds it is given) and
// only talks to 127.0.0.1. Header-only; used by twin_test.cpp, ws_server_test.cpp,
// reference_firmware_test.cpp and ws_rig.h.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tcpeer {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------------
// Plain sockets

// Connects to 127.0.0.1:port; -1 on failure. rcvbuf > 0: that SO_RCVBUF (a stalled peer).
inline int connectTo(uint16_t port, int rcvbuf = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends every byte (stops at the first error; never raises SIGPIPE).
inline void sendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += size_t(n);
  }
}

// Closes with an RST (SO_LINGER 0).
inline void resetClose(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

// Reads until pred(buffer) holds, EOF (or reset), or ms elapse.
inline std::string readUntil(int fd, int ms, std::function<bool(const std::string&)> pred, bool* eof = nullptr) {
  std::string out;
  auto end = Clock::now() + milliseconds(ms);
  char buf[8192];
  if (eof) *eof = false;
  while (Clock::now() < end && !pred(out)) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (eof) *eof = true;
      break;
    }
    out.append(buf, size_t(n));
  }
  return out;
}

// Reads what arrives within ms milliseconds (stops early at EOF).
inline std::string readFor(int fd, int ms) {
  std::string out;
  auto end = Clock::now() + milliseconds(ms);
  char buf[4096];
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    int left = int(std::chrono::duration_cast<milliseconds>(end - Clock::now()).count());
    if (::poll(&p, 1, left < 1 ? 1 : left) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, size_t(n));
  }
  return out;
}

// True when the peer closed (EOF or reset) within ms.
inline bool closedWithin(int fd, int ms) {
  bool eof = false;
  readUntil(fd, ms, [](const std::string&) { return false; }, &eof);
  return eof;
}

// ---------------------------------------------------------------------------------------------
// WebSocket, client side

constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";     // RFC 6455 example
constexpr const char* kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";  // its Sec-WebSocket-Accept

inline const char* key() { return kKey; }

// An upgrade request; an empty key or version leaves that header out.
inline std::string upgradeRequest(const std::string& extra = "", const std::string& path = "/ws",
                                  const std::string& key = kKey, const std::string& version = "13") {
  std::string r = "GET " + path + " HTTP/1.1\r\nHost: device\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  if (!key.empty()) r += "Sec-WebSocket-Key: " + key + "\r\n";
  if (!version.empty()) r += "Sec-WebSocket-Version: " + version + "\r\n";
  return r + extra + "\r\n";
}

inline bool headDone(const std::string& s) { return s.find("\r\n\r\n") != std::string::npos; }

// A client frame, masked unless mask is false (a protocol error).
inline std::string frame(uint8_t op, const std::string& payload, bool fin = true, bool mask = true) {
  std::string f;
  f.push_back(char((fin ? 0x80 : 0) | op));
  size_t n = payload.size();
  uint8_t m = mask ? 0x80 : 0;
  if (n < 126) {
    f.push_back(char(m | n));
  } else if (n < 65536) {
    f.push_back(char(m | 126));
    f.push_back(char(n >> 8));
    f.push_back(char(n & 0xff));
  } else {
    f.push_back(char(m | 127));
    for (int i = 7; i >= 0; --i) f.push_back(char((uint64_t(n) >> (8 * i)) & 0xff));
  }
  const uint8_t k[4] = {0x12, 0x34, 0x56, 0x78};
  if (mask) f.append(reinterpret_cast<const char*>(k), 4);
  for (size_t i = 0; i < n; ++i) f.push_back(char(uint8_t(payload[i]) ^ (mask ? k[i % 4] : 0)));
  return f;
}

// A masked client Close frame carrying code.
inline std::string closeFrame(uint16_t code) {
  std::string p;
  p.push_back(char(code >> 8));
  p.push_back(char(code & 0xff));
  return frame(8, p);
}

struct Frame {
  uint8_t op;
  std::string payload;
};

// The status code of a Close frame (0 when it carries none).
inline uint16_t closeCode(const Frame& f) {
  return f.payload.size() >= 2 ? uint16_t(uint8_t(f.payload[0]) << 8 | uint8_t(f.payload[1])) : 0;
}

// Parses complete unmasked server frames from buf (consumes them; a partial frame stays).
inline std::vector<Frame> parseFrames(std::string& buf) {
  std::vector<Frame> out;
  size_t pos = 0;
  for (;;) {
    if (buf.size() - pos < 2) break;
    uint8_t b0 = uint8_t(buf[pos]), b1 = uint8_t(buf[pos + 1]);
    size_t h = 2;
    uint64_t n = b1 & 0x7f;
    if (n == 126) {
      if (buf.size() - pos < 4) break;
      n = uint64_t(uint8_t(buf[pos + 2])) << 8 | uint8_t(buf[pos + 3]);
      h = 4;
    } else if (n == 127) {
      if (buf.size() - pos < 10) break;
      n = 0;
      for (int i = 0; i < 8; ++i) n = n << 8 | uint8_t(buf[pos + 2 + i]);
      h = 10;
    }
    if (buf.size() - pos < h + n) break;
    out.push_back({uint8_t(b0 & 0x0f), buf.substr(pos + h, size_t(n))});
    pos += h + size_t(n);
  }
  buf.erase(0, pos);
  return out;
}

}  // namespace tcpeer
