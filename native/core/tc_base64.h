// base64.h: standard base64 (RFC 4648 section 4, with '=' padding), encode and canonical check.
//
// Threading: pure functions, no state.
// Sizes: encoding n bytes needs 4*ceil(n/3) characters plus a NUL.
#pragma once
#include <cstddef>
#include <cstdint>

namespace twincore {
namespace ws {

// Characters base64Encode writes for n input bytes (without the NUL).
constexpr size_t base64EncodedLen(size_t n) { return ((n + 2) / 3) * 4; }

// Encodes n bytes into out (NUL-terminated). Returns the length written (without the NUL), or 0 if
// cap < base64EncodedLen(n) + 1 (nothing meaningful is written then). n == 0 writes "" and returns 0.
size_t base64Encode(const uint8_t* in, size_t n, char* out, size_t cap);

// Returns the number of bytes [s, s+n) decodes to, or -1 if it is not canonical base64: length a
// multiple of 4, alphabet A-Z a-z 0-9 + /, at most two '=' and only at the end, unused bits of the
// last character zero, no whitespace. "" decodes to 0 bytes.
int base64DecodedSize(const char* s, size_t n);

}  // namespace ws
}  // namespace twincore
