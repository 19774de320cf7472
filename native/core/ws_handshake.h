// ws_handshake.h: the server side of the RFC 6455 opening handshake, as pure functions over header
// values: Sec-WebSocket-Key check, Sec-WebSocket-Accept computation, token lists (Connection,
// Upgrade) and subprotocol selection. The HTTP head itself is parsed by http_request.h.
//
// Threading: pure functions, no state.
// Sizes: the accept key is 28 characters (+ NUL); the work area is a 96-byte SHA-1 on the stack.
#pragma once
#include <cstddef>
#include <cstdint>

namespace twincore {
namespace ws {

constexpr size_t kAcceptKeyLen = 28;

// out = base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), NUL-terminated (29 bytes).
// Leading/trailing OWS (SP, HTAB) around the key is ignored. Returns false (out = "") if the
// trimmed key is empty or key is nullptr. Validate the key with isValidClientKey() first.
bool computeAcceptKey(const char* key, size_t keyLen, char out[kAcceptKeyLen + 1]);

// True if the value, after trimming OWS, is canonical base64 that decodes to exactly 16 bytes.
bool isValidClientKey(const char* key, size_t len);

// True if the comma-separated list `value` contains `token`, compared case-insensitively with OWS
// around each element trimmed; empty elements are ignored. E.g. ("keep-alive, Upgrade", "upgrade").
bool headerHasToken(const char* value, size_t len, const char* token);

// Index into `supported` of the first protocol, in the server's order of preference, that the client
// offered in its Sec-WebSocket-Protocol list (comma-separated, OWS trimmed, compared exactly: RFC 6455
// subprotocol names are case-sensitive), or -1. The server answers with supported[i], never the list.
int selectSubprotocol(const char* offered, size_t len, const char* const* supported, size_t nSupported);

}  // namespace ws
}  // namespace twincore
