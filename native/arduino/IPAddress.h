// IPAddress.h (twin): Arduino's IPAddress as arduino-esp32 3.x has it: an IPv4 or IPv6 address
// (16 bytes, the IPv4 one in the last 4), a Printable value type.
//  - IPAddress(a,b,c,d), IPAddress(uint32_t) (network byte order in memory, as lwIP's
//    ip4_addr_t: 192.168.1.2 is 0x0201A8C0 on the little-endian ESP32), IPAddress(const uint8_t*
//    4 bytes), IPAddress(IPType, const uint8_t* bytes, zone), IPAddress(const char*) (parsed;
//    0.0.0.0 if it does not parse), 16 octets for IPv6.
//  - fromString(): "a.b.c.d" (four decimal octets 0..255) or an IPv6 text (with "::", an
//    embedded IPv4 tail and a "%zone" number); false and the address unchanged otherwise.
//  - toString(): "a.b.c.d" or the RFC 5952 short IPv6 form ("%zone" appended on request).
//  - operator uint32_t (0 for IPv6), operator[] (the IPv4 octets; writing one makes it IPv4),
//    ==/!= between addresses (type and bytes) and with a uint32_t or 4 bytes.
//  - INADDR_NONE is the IPAddress 0.0.0.0 (as on the board). Including this header first undefines
//    the C library's INADDR_NONE macro (which lwIP also defines on the board, where including it
//    after Arduino.h hides the IPAddress the same way).
// Threading: a value; one object must not be changed by two threads at once.
// Lifetime: copies everything it is given; toString() returns an owned String.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<netinet/in.h>)
#include <netinet/in.h>
#endif
#endif
#ifdef INADDR_NONE
#undef INADDR_NONE
#endif

#include "Printable.h"
#include "WString.h"

enum IPType { IPv4, IPv6 };

class IPAddress : public Printable {
 public:
  IPAddress() : IPAddress(IPv4) {}
  explicit IPAddress(IPType type) : _type(type), _zone(0) { memset(_bytes, 0, sizeof _bytes); }
  IPAddress(uint8_t a, uint8_t b, uint8_t c, uint8_t d) : IPAddress(IPv4) {
    _bytes[12] = a;
    _bytes[13] = b;
    _bytes[14] = c;
    _bytes[15] = d;
  }
  IPAddress(uint8_t o1, uint8_t o2, uint8_t o3, uint8_t o4, uint8_t o5, uint8_t o6, uint8_t o7, uint8_t o8,
            uint8_t o9, uint8_t o10, uint8_t o11, uint8_t o12, uint8_t o13, uint8_t o14, uint8_t o15,
            uint8_t o16, uint8_t z = 0)
      : _type(IPv6), _zone(z) {
    const uint8_t b[16] = {o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11, o12, o13, o14, o15, o16};
    memcpy(_bytes, b, 16);
  }
  IPAddress(uint32_t address) : IPAddress(IPv4) { memcpy(_bytes + 12, &address, 4); }
  IPAddress(const uint8_t* address) : IPAddress(IPv4) {
    if (address) memcpy(_bytes + 12, address, 4);
  }
  IPAddress(IPType type, const uint8_t* address, uint8_t z = 0) : IPAddress(type) {
    if (!address) return;
    if (type == IPv4) {
      memcpy(_bytes + 12, address, 4);
    } else {
      memcpy(_bytes, address, 16);
      _zone = z;
    }
  }
  IPAddress(const char* address) : IPAddress(IPv4) { fromString(address); }
  IPAddress(const IPAddress&) = default;
  IPAddress& operator=(const IPAddress&) = default;

  bool fromString(const char* address);
  bool fromString(const String& address) { return fromString(address.c_str()); }

  operator uint32_t() const {
    uint32_t v = 0;
    if (_type == IPv4) memcpy(&v, _bytes + 12, 4);
    return v;
  }
  bool operator==(const IPAddress& o) const {
    return _type == o._type && memcmp(_bytes, o._bytes, 16) == 0 && zone() == o.zone();
  }
  bool operator!=(const IPAddress& o) const { return !(*this == o); }
  bool operator==(uint32_t addr) const { return _type == IPv4 && uint32_t(*this) == addr; }
  bool operator!=(uint32_t addr) const { return !(*this == addr); }
  bool operator==(const uint8_t* addr) const { return addr && _type == IPv4 && memcmp(_bytes + 12, addr, 4) == 0; }

  // IPv4: the octets 0..3; IPv6: the bytes 0..15. Out of range: reads 0; a write goes to a
  // scratch byte. Writing an octet of an IPv6 address makes it the IPv4 address 0.0.0.0 first.
  uint8_t operator[](int index) const {
    if (_type == IPv4) return (index >= 0 && index < 4) ? _bytes[12 + index] : 0;
    return (index >= 0 && index < 16) ? _bytes[index] : 0;
  }
  uint8_t& operator[](int index) {
    static thread_local uint8_t scratch;
    if (index < 0 || index >= 4) return scratch = 0, scratch;
    if (_type != IPv4) {
      _type = IPv4;
      memset(_bytes, 0, 12);
      _zone = 0;
    }
    return _bytes[12 + index];
  }
  IPAddress& operator=(const uint8_t* address) { return *this = IPAddress(address); }
  IPAddress& operator=(uint32_t address) { return *this = IPAddress(address); }
  IPAddress& operator=(const char* address) { return *this = IPAddress(address); }

  size_t printTo(Print& p) const override;
  String toString(bool includeZone = false) const;

  IPType type() const { return _type; }
  uint8_t zone() const { return _type == IPv6 ? _zone : 0; }
  // The 16 bytes (IPv6) or 4 bytes (IPv4) of the address.
  const uint8_t* raw_address() const { return _type == IPv4 ? _bytes + 12 : _bytes; }
  void clear() { *this = IPAddress(); }
  bool isV4() const { return _type == IPv4; }
  bool isV6() const { return _type == IPv6; }
  bool isAny() const {
    static const uint8_t zero[16] = {0};
    return memcmp(_bytes, zero, 16) == 0;
  }
  static bool isValid(const char* arg) { return IPAddress().fromString(arg); }
  static bool isValid(const String& arg) { return isValid(arg.c_str()); }

 private:
  uint8_t _bytes[16];
  IPType _type;
  uint8_t _zone;
  bool fromString4(const char* address);
  bool fromString6(const char* address);
};

extern const IPAddress INADDR_NONE;   // 0.0.0.0
extern const IPAddress IN6ADDR_ANY;   // ::
