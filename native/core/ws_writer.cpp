// ws_writer.cpp: frame encoder (see ws_writer.h).
#include "ws_writer.h"

#include <cstring>

namespace twincore {
namespace ws {

size_t writeFrameHeader(uint8_t* out, Opcode op, bool fin, uint64_t payloadLen, const uint8_t* mask4) {
  if ((payloadLen >> 63) != 0) return 0;
  if (isControl(op) && (payloadLen > kMaxControlPayload || !fin)) return 0;
  const uint8_t maskBit = mask4 ? 0x80 : 0x00;
  size_t n = 0;
  out[n++] = uint8_t((fin ? 0x80 : 0x00) | (static_cast<uint8_t>(op) & 0x0F));
  if (payloadLen < 126) {
    out[n++] = uint8_t(maskBit | payloadLen);
  } else if (payloadLen <= 0xFFFF) {
    out[n++] = uint8_t(maskBit | 126);
    out[n++] = uint8_t(payloadLen >> 8);
    out[n++] = uint8_t(payloadLen);
  } else {
    out[n++] = uint8_t(maskBit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out[n++] = uint8_t(payloadLen >> shift);
  }
  if (mask4) {
    std::memcpy(out + n, mask4, 4);
    n += 4;
  }
  return n;
}

size_t writeClosePayload(uint8_t* out, uint16_t code, const char* reason, size_t reasonLen) {
  if (!isValidCloseCodeOnWire(code)) return 0;
  out[0] = uint8_t(code >> 8);
  out[1] = uint8_t(code);
  if (reason == nullptr) reasonLen = 0;
  if (reasonLen > kMaxCloseReason) {
    // Cut before the character that straddles the limit: back up while the first byte left out
    // is a continuation byte (10xxxxxx).
    reasonLen = kMaxCloseReason;
    while (reasonLen > 0 && (uint8_t(reason[reasonLen]) & 0xC0) == 0x80) --reasonLen;
  }
  if (reasonLen) std::memcpy(out + 2, reason, reasonLen);
  return 2 + reasonLen;
}

void applyMask(uint8_t* p, size_t n, const uint8_t mask[4], uint64_t offset) {
  // The mask rotated so that key[0] applies to p[0].
  const unsigned phase = unsigned(offset & 3);
  uint8_t key[4];
  for (unsigned i = 0; i < 4; ++i) key[i] = mask[(phase + i) & 3];
  size_t i = 0;
  if (n >= 8) {
    uint32_t k;
    std::memcpy(&k, key, 4);  // byte order follows memory order, so no endianness question
    for (; n - i >= 4; i += 4) {
      uint32_t w;
      std::memcpy(&w, p + i, 4);
      w ^= k;
      std::memcpy(p + i, &w, 4);
    }
  }
  for (; i < n; ++i) p[i] ^= key[i & 3];
}

}  // namespace ws
}  // namespace twincore
