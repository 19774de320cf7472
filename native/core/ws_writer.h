// ws_writer.h: RFC 6455 frame encoder into caller-owned buffers (no I/O, no allocation): frame
// headers, Close payloads, and the XOR mask used by both directions.
//
// Threading: pure functions, no state.
// Sizes: a frame header is 2..14 bytes (kMaxFrameHeader); a Close payload is at most 125 bytes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ws_types.h"

namespace twincore {
namespace ws {

constexpr size_t kMaxFrameHeader = 14;
constexpr size_t kMaxControlPayload = 125;
constexpr size_t kMaxCloseReason = kMaxControlPayload - 2;  // 123

// Writes a frame header (minimal length encoding) into out[0..kMaxFrameHeader) and returns its size
// (2..14). mask4 == nullptr: unmasked (server frames); otherwise the MASK bit and the 4 key bytes are
// written (the caller masks the payload with applyMask). Returns 0 (API misuse) if payloadLen has
// bit 63 set, or for a control opcode with payloadLen > 125 or fin == false.
size_t writeFrameHeader(uint8_t* out, Opcode op, bool fin, uint64_t payloadLen, const uint8_t* mask4);

// Writes a Close payload (2-byte big-endian code, then the reason) into out (>= 125 bytes) and
// returns its length. The reason is cut to at most 123 bytes at a UTF-8 character boundary. Returns
// 0 (write an empty Close) if the code may not appear on the wire (e.g. 1005 NoStatus, 1006 Abnormal).
size_t writeClosePayload(uint8_t* out, uint16_t code, const char* reason, size_t reasonLen);

// p[i] ^= mask[(offset + i) % 4] for i in [0, n): masks or unmasks in place. `offset` is the
// position of p[0] within the frame payload, so a payload can be processed in chunks.
void applyMask(uint8_t* p, size_t n, const uint8_t mask[4], uint64_t offset);

}  // namespace ws
}  // namespace twincore
