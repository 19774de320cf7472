// IPAddress: the part of Arduino's IPAddress that firmware for this project uses (IPv4 only).
// Value type; no threading rules.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

class IPAddress {
 public:
  IPAddress() : _addr(0) {}
  IPAddress(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
      : _addr(uint32_t(a) | uint32_t(b) << 8 | uint32_t(c) << 16 | uint32_t(d) << 24) {}
  // Network byte order in memory, as lwIP's ip4_addr_t and Arduino's IPAddress(uint32_t).
  explicit IPAddress(uint32_t addr) : _addr(addr) {}
  operator uint32_t() const { return _addr; }
  uint8_t operator[](int i) const { return uint8_t(_addr >> (8 * i)); }
  bool operator==(const IPAddress& o) const { return _addr == o._addr; }
  bool operator!=(const IPAddress& o) const { return _addr != o._addr; }
  // Arduino returns String; std::string on the host. Firmware that uses `.toString().c_str()`
  // compiles against both.
  std::string toString() const {
    char b[16];
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", (*this)[0], (*this)[1], (*this)[2], (*this)[3]);
    return b;
  }

 private:
  uint32_t _addr;
};
