// sha1_base64_test.cpp: SHA-1 (tc_sha1.h) against FIPS 180 / known vectors, and base64 (tc_base64.h)
// against RFC 4648 section 10 plus canonical-form rejections.
#include <string>
#include <vector>

#include "tc_base64.h"
#include "tc_sha1.h"
#include "tc_test.h"

using namespace twincore::ws;

namespace {

std::string hex(const uint8_t* p, size_t n) {
  static const char d[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::string sha1Hex(const std::string& s) {
  uint8_t out[kSha1DigestLen];
  sha1(reinterpret_cast<const uint8_t*>(s.data()), s.size(), out);
  return hex(out, sizeof(out));
}

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7 + 3);
  return v;
}

std::string b64(const std::string& s) {
  char out[64];
  const size_t n = base64Encode(reinterpret_cast<const uint8_t*>(s.data()), s.size(), out, sizeof(out));
  CHECK_EQ(n, std::strlen(out));
  return std::string(out);
}

int decodedSize(const char* s) { return base64DecodedSize(s, std::strlen(s)); }

}  // namespace

TEST(sha1_known_vectors) {
  CHECK_EQ(sha1Hex(""), std::string("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
  CHECK_EQ(sha1Hex("abc"), std::string("a9993e364706816aba3e25717850c26c9cd0d89d"));
  CHECK_EQ(sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
           std::string("84983e441c3bd26ebaae4aa1f95129e5e54670f1"));
  CHECK_EQ(sha1Hex("The quick brown fox jumps over the lazy dog"),
           std::string("2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"));
}

TEST(sha1_million_a_incremental) {
  Sha1 s;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) s.update(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size());
  uint8_t out[kSha1DigestLen];
  s.finish(out);
  CHECK_EQ(hex(out, 20), std::string("34aa973cd4c4daa4f61eeb2bdbad27316534016f"));
}

TEST(sha1_padding_boundaries_and_every_split) {
  struct Vec {
    size_t n;
    const char* digest;
  } const vecs[] = {
      {55, "ddf57317ef34bfee3b6df83d359098930eb278bc"}, {56, "a0d492bb0fc889d0eca3bc137066ab6f4f74f369"},
      {57, "11a02dcf95859677a62e75024067c22b165d890f"}, {63, "c55856749bef509bdfe6bfebfc7bf4e793e82132"},
      {64, "bede92be29c3874e1b54ddc77988d606fc857a8e"}, {65, "b05a80522b053d6dc7e0a517d0e70212c7dad11f"},
      {119, "504e27376a6e0f0dba8295b85cb25dc4dfa17d23"}, {120, "82134b02fb3f702491be9bed581eeab59334acb2"},
      {128, "a09133e6730ffe899efb70204cb5646cd5dc24ee"}, {200, "892b673ca3c696ab13ab8aab3cf3abfbc3aaeb3b"},
  };
  for (const Vec& v : vecs) {
    const std::vector<uint8_t> in = pattern(v.n);
    uint8_t out[kSha1DigestLen];
    sha1(in.data(), in.size(), out);
    CHECK_MSG(hex(out, 20) == v.digest, "one-shot, n=" << v.n);
    for (size_t cut = 0; cut <= v.n; ++cut) {
      Sha1 s;
      s.update(in.data(), cut);
      s.update(in.data() + cut, v.n - cut);
      s.finish(out);
      CHECK_MSG(hex(out, 20) == v.digest, "n=" << v.n << " cut=" << cut);
    }
    Sha1 s;
    for (size_t i = 0; i < v.n; ++i) s.update(in.data() + i, 1);
    s.finish(out);
    CHECK_MSG(hex(out, 20) == v.digest, "byte by byte, n=" << v.n);
  }
}

TEST(sha1_reset_reuses_the_object) {
  Sha1 s;
  uint8_t out[kSha1DigestLen];
  s.update(reinterpret_cast<const uint8_t*>("xyz"), 3);
  s.finish(out);
  s.reset();
  s.update(reinterpret_cast<const uint8_t*>("abc"), 3);
  s.finish(out);
  CHECK_EQ(hex(out, 20), std::string("a9993e364706816aba3e25717850c26c9cd0d89d"));
}

TEST(base64_rfc4648_vectors) {
  CHECK_EQ(b64(""), std::string(""));
  CHECK_EQ(b64("f"), std::string("Zg=="));
  CHECK_EQ(b64("fo"), std::string("Zm8="));
  CHECK_EQ(b64("foo"), std::string("Zm9v"));
  CHECK_EQ(b64("foob"), std::string("Zm9vYg=="));
  CHECK_EQ(b64("fooba"), std::string("Zm9vYmE="));
  CHECK_EQ(b64("foobar"), std::string("Zm9vYmFy"));
  const uint8_t all[3] = {0xFB, 0xFF, 0xBF};
  char out[8];
  CHECK_EQ(base64Encode(all, 3, out, sizeof(out)), 4u);
  CHECK_EQ(static_cast<const char*>(out), "+/+/");
}

TEST(base64_encode_capacity) {
  const uint8_t in[5] = {1, 2, 3, 4, 5};
  char out[9];
  CHECK_EQ(base64EncodedLen(5), 8u);
  CHECK_EQ(base64Encode(in, 5, out, 8), 0u);  // no room for the NUL
  CHECK_EQ(base64Encode(in, 5, out, 9), 8u);
  CHECK_EQ(static_cast<const char*>(out), "AQIDBAU=");
  CHECK_EQ(base64Encode(in, 0, out, 1), 0u);
  CHECK_EQ(out[0], '\0');
  CHECK_EQ(base64Encode(in, 1, nullptr, 0), 0u);
  CHECK_EQ(base64Encode(in, 1, out, 0), 0u);
}

TEST(base64_decoded_size_of_canonical_input) {
  CHECK_EQ(decodedSize(""), 0);
  CHECK_EQ(decodedSize("Zg=="), 1);
  CHECK_EQ(decodedSize("Zm8="), 2);
  CHECK_EQ(decodedSize("Zm9v"), 3);
  CHECK_EQ(decodedSize("Zm9vYmFy"), 6);
  CHECK_EQ(decodedSize("dGhlIHNhbXBsZSBub25jZQ=="), 16);
  CHECK_EQ(decodedSize("+/+/"), 3);
}

TEST(base64_decoded_size_rejects_non_canonical) {
  CHECK_EQ(decodedSize("Zg="), -1);       // length not a multiple of 4
  CHECK_EQ(decodedSize("Zg"), -1);        // unpadded
  CHECK_EQ(decodedSize("Zh=="), -1);      // unused bits set
  CHECK_EQ(decodedSize("Zm9="), -1);      // unused bits set
  CHECK_EQ(decodedSize("Z==="), -1);      // three pads
  CHECK_EQ(decodedSize("===="), -1);
  CHECK_EQ(decodedSize("=Zg="), -1);      // pad not at the end
  CHECK_EQ(decodedSize("Zg=a"), -1);
  CHECK_EQ(decodedSize("Zg==Zg=="), -1);  // pad in the middle
  CHECK_EQ(decodedSize("Zm 9"), -1);      // whitespace
  CHECK_EQ(decodedSize("Zm9v\n"), -1);
  CHECK_EQ(decodedSize("Zm-_"), -1);      // base64url alphabet
  CHECK_EQ(base64DecodedSize(nullptr, 4), -1);
}

TEST(base64_roundtrip_lengths_are_consistent) {
  for (size_t n = 0; n < 64; ++n) {
    const std::vector<uint8_t> in = pattern(n);
    char out[100];
    const size_t len = base64Encode(in.data(), n, out, sizeof(out));
    CHECK_EQ(len, base64EncodedLen(n));
    CHECK_EQ(base64DecodedSize(out, len), int(n));
  }
}
