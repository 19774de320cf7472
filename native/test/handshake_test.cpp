// handshake_test.cpp: opening-handshake helpers (ws_handshake.h).
#include <cstring>
#include <string>

#include "tc_test.h"
#include "ws_handshake.h"

using namespace twincore::ws;

namespace {

std::string accept(const char* key) {
  char out[kAcceptKeyLen + 1];
  if (!computeAcceptKey(key, std::strlen(key), out)) return "<false>";
  CHECK_EQ(std::strlen(out), kAcceptKeyLen);
  return out;
}

bool validKey(const char* k) { return isValidClientKey(k, std::strlen(k)); }
bool hasToken(const char* v, const char* t) { return headerHasToken(v, std::strlen(v), t); }

}  // namespace

TEST(handshake_rfc6455_example_accept_key) {
  CHECK_EQ(accept("dGhlIHNhbXBsZSBub25jZQ=="), std::string("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
  CHECK_EQ(accept("  dGhlIHNhbXBsZSBub25jZQ==\t"), std::string("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
  // Second known pair (from the ws library's tests / MDN).
  CHECK_EQ(accept("x3JJHMbDL1EzLkh9GBhXDw=="), std::string("HSmrc0sMlYUkAGmm5OPpG2HaGWk="));
}

TEST(handshake_accept_key_rejects_empty) {
  char out[kAcceptKeyLen + 1] = "junk";
  CHECK(!computeAcceptKey("", 0, out));
  CHECK_EQ(out[0], '\0');
  CHECK(!computeAcceptKey("   ", 3, out));
  CHECK(!computeAcceptKey(nullptr, 5, out));
  // Only keyLen bytes are used.
  CHECK(computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ==garbage", 24, out));
  CHECK_EQ(static_cast<const char*>(out), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(handshake_client_key_validation) {
  CHECK(validKey("dGhlIHNhbXBsZSBub25jZQ=="));
  CHECK(validKey(" dGhlIHNhbXBsZSBub25jZQ== "));
  CHECK(validKey("AAAAAAAAAAAAAAAAAAAAAA=="));
  CHECK(!validKey(""));
  CHECK(!validKey("dGhlIHNhbXBsZSBub25jZQ"));      // unpadded
  CHECK(!validKey("dGhlIHNhbXBsZSBub25jZR=="));    // non-canonical last char
  CHECK(!validKey("dGhlIHNhbXBsZSBub25jZQ=a"));
  CHECK(!validKey("Zm9vYmFy"));                    // 6 bytes
  CHECK(!validKey("dGhlIHNhbXBsZSBub25jZXM="));    // 17 bytes
  CHECK(!validKey("dGhlIHNhbXBsZSBub25j"));        // 15 bytes
  CHECK(!validKey("dGhlIHNhbXBs ZSBub25jZQ=="));   // inner space
  CHECK(!isValidClientKey(nullptr, 0));
}

TEST(handshake_header_has_token) {
  CHECK(hasToken("Upgrade", "upgrade"));
  CHECK(hasToken("keep-alive, Upgrade", "upgrade"));
  CHECK(hasToken("keep-alive,Upgrade", "Upgrade"));
  CHECK(hasToken("  UPGRADE\t,keep-alive", "upgrade"));
  CHECK(hasToken(",,upgrade,,", "upgrade"));
  CHECK(hasToken("websocket", "WebSocket"));
  CHECK(!hasToken("keep-alive", "upgrade"));
  CHECK(!hasToken("upgrades", "upgrade"));
  CHECK(!hasToken("upgrad", "upgrade"));
  CHECK(!hasToken("up grade", "upgrade"));
  CHECK(!hasToken("", "upgrade"));
  CHECK(!hasToken("upgrade", ""));
  CHECK(!headerHasToken(nullptr, 0, "upgrade"));
  CHECK(!headerHasToken("upgrade", 7, nullptr));
  CHECK(!headerHasToken("keep-alive, upgrade", 12, "upgrade"));  // only len bytes count
}

TEST(handshake_select_subprotocol_uses_server_preference) {
  const char* const supported[] = {"graphql-ws", "chat", "superchat"};
  const char* offered = "superchat, chat";
  CHECK_EQ(selectSubprotocol(offered, std::strlen(offered), supported, 3), 1);
  offered = "superchat";
  CHECK_EQ(selectSubprotocol(offered, std::strlen(offered), supported, 3), 2);
  offered = "mqtt, xmpp";
  CHECK_EQ(selectSubprotocol(offered, std::strlen(offered), supported, 3), -1);
  offered = "CHAT";  // names are case-sensitive
  CHECK_EQ(selectSubprotocol(offered, std::strlen(offered), supported, 3), -1);
  offered = " chat ,graphql-ws";
  CHECK_EQ(selectSubprotocol(offered, std::strlen(offered), supported, 3), 0);
  offered = "chat";
  CHECK_EQ(selectSubprotocol(offered, std::strlen(offered), supported, 0), -1);
  CHECK_EQ(selectSubprotocol(offered, std::strlen(offered), nullptr, 3), -1);
  CHECK_EQ(selectSubprotocol("", 0, supported, 3), -1);
}
