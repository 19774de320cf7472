// sha1.h: SHA-1 (FIPS 180-4), incremental and one-shot. Used only for the WebSocket accept key;
// not for anything that needs collision resistance.
//
// Threading: no shared state; one instance per use, used by one thread at a time.
// Size: sizeof(Sha1) == 96 bytes (five 32-bit words, a 64-bit length, a 64-byte block).
#pragma once
#include <cstddef>
#include <cstdint>

namespace twincore {
namespace ws {

constexpr size_t kSha1DigestLen = 20;

class Sha1 {
 public:
  Sha1() { reset(); }
  void reset();
  void update(const uint8_t* data, size_t n);
  // Writes the digest; the object must be reset() before it is used again.
  void finish(uint8_t out[kSha1DigestLen]);

 private:
  void block(const uint8_t* p);
  uint32_t _h[5];
  uint64_t _total;  // bytes hashed so far
  uint8_t _buf[64];
};

void sha1(const uint8_t* data, size_t n, uint8_t out[kSha1DigestLen]);

}  // namespace ws
}  // namespace twincore
