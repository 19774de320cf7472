// pgmspace, IPAddress, cbuf, the MD5/SHA-1 builders (RFC 1321 / FIPS 180 vectors) and libb64
// (RFC 4648 vectors) against the behaviour of arduino-esp32.
#include <Arduino.h>
#include <MD5Builder.h>
#include <SHA1Builder.h>
#include <base64.h>
#include <cbuf.h>
#include <libb64/cdecode.h>
#include <libb64/cencode.h>

#include <string>
#include <vector>

#include "tc_test.h"

namespace {
struct Collect : public Print {
  std::string out;
  size_t write(uint8_t c) override {
    out.push_back(char(c));
    return 1;
  }
};

const char kFlash[] PROGMEM = "flash text";
const uint16_t kWords[] PROGMEM = {0x1234, 0xBEEF};
const uint32_t kDwords[] PROGMEM = {0xDEADBEEF};
const float kFloats[] PROGMEM = {1.25f};
const char* const kTable[] PROGMEM = {kFlash};

std::string md5Of(const std::string& text) {
  MD5Builder m;
  m.begin();
  m.add(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  m.calculate();
  return std::string(m.toString().c_str());
}

std::string sha1Of(const std::string& text, size_t chunk = 0) {
  SHA1Builder h;
  h.begin();
  if (chunk == 0) chunk = text.size() ? text.size() : 1;
  for (size_t i = 0; i < text.size(); i += chunk)
    h.add(reinterpret_cast<const uint8_t*>(text.data()) + i, std::min(chunk, text.size() - i));
  h.calculate();
  char out[41];
  h.getChars(out);
  return out;
}

std::string b64(const std::string& in) {
  std::vector<char> out(base64_encode_expected_len(in.size()) + 1);
  int n = base64_encode_chars(in.data(), int(in.size()), out.data());
  return std::string(out.data(), size_t(n));
}

std::string unb64(const std::string& in) {
  std::vector<char> out(base64_decode_expected_len(in.size()) + 1);
  int n = base64_decode_chars(in.data(), int(in.size()), out.data());
  return std::string(out.data(), size_t(n));
}
}  // namespace

TEST(arduino_core_pgmspace_reads_and_string_functions) {
  char buf[32];
  CHECK_EQ(strlen_P(kFlash), 10u);
  CHECK_EQ(std::string(strcpy_P(buf, kFlash)), "flash text");
  CHECK_EQ(strcmp_P("flash text", kFlash), 0);
  CHECK(strncmp_P("flash", kFlash, 5) == 0);
  memcpy_P(buf, kFlash, 5);
  buf[5] = 0;
  CHECK_EQ(std::string(buf), "flash");
  strncpy_P(buf, kFlash, 3);
  buf[3] = 0;
  CHECK_EQ(std::string(buf), "fla");
  CHECK_EQ(snprintf_P(buf, sizeof buf, PSTR("%s=%d"), "n", 5), 3);
  CHECK_EQ(std::string(buf), "n=5");
  sprintf_P(buf, PSTR("%02x"), 10);
  CHECK_EQ(std::string(buf), "0a");
  CHECK_EQ(pgm_read_byte(kFlash + 6), uint8_t('t'));
  CHECK_EQ(pgm_read_word(&kWords[1]), 0xBEEF);
  CHECK_EQ(pgm_read_dword(&kDwords[0]), 0xDEADBEEFu);
  CHECK_EQ(pgm_read_float(&kFloats[0]), 1.25f);
  CHECK_EQ(static_cast<const char*>(pgm_read_ptr(&kTable[0])), kFlash);
  CHECK_EQ(strstr_P("a flash text", kFlash) != nullptr, true);
  const __FlashStringHelper* fs = F("helper");
  Collect c;
  CHECK_EQ(c.print(fs), 6u);
  CHECK_EQ(c.print(FPSTR(kFlash)), 10u);
  CHECK_EQ(c.out, "helperflash text");
  char dst[8] = "ab";
  CHECK_EQ(strlcpy(dst, "abcdefghij", sizeof dst), 10u);
  CHECK_EQ(std::string(dst), "abcdefg");
  strlcpy(dst, "ab", sizeof dst);
  CHECK_EQ(strlcat(dst, "cdefghij", sizeof dst), 10u);
  CHECK_EQ(std::string(dst), "abcdefg");
}

TEST(arduino_core_ipaddress_constructs_parses_prints_compares) {
  IPAddress a(192, 168, 1, 2);
  CHECK_EQ(uint32_t(a), 0x0201A8C0u);  // network byte order in memory, as lwIP
  CHECK(IPAddress(uint32_t(0x0201A8C0)) == a);
  const uint8_t bytes[4] = {192, 168, 1, 2};
  CHECK(IPAddress(bytes) == a);
  CHECK(a == bytes);
  CHECK(IPAddress("192.168.1.2") == a);
  CHECK(a == 0x0201A8C0u);
  CHECK(a != IPAddress(10, 0, 0, 1));
  CHECK_EQ(a[0], 192);
  CHECK_EQ(a[3], 2);
  CHECK_EQ(a[7], 0);
  CHECK(a.toString() == "192.168.1.2");
  IPAddress b;
  CHECK(b == INADDR_NONE);
  CHECK(b.toString() == "0.0.0.0");
  b[0] = 10;
  b[3] = 7;
  CHECK(b.toString() == "10.0.0.7");
  CHECK(b.fromString(String("172.16.254.1")));
  CHECK(b.toString() == "172.16.254.1");
  for (const char* bad : {"256.1.1.1", "1.2.3", "1.2.3.4.5", "a.b.c.d", "", "1..2.3", "1.2.3.4 ", "1234.1.1.1"}) {
    IPAddress keep(1, 2, 3, 4);
    CHECK_MSG(!keep.fromString(bad), "accepted '" << bad << "'");
    CHECK_MSG(keep == IPAddress(1, 2, 3, 4), "changed by '" << bad << "'");
  }
  CHECK(!IPAddress().fromString((const char*)nullptr));
  CHECK(IPAddress::isValid("8.8.8.8"));
  CHECK(!IPAddress::isValid("8.8.8"));
  Collect c;
  CHECK_EQ(c.print(a), 11u);
  CHECK_EQ(c.out, "192.168.1.2");
  IPAddress assigned;
  assigned = "10.1.2.3";
  CHECK(assigned == IPAddress(10, 1, 2, 3));
}

TEST(arduino_core_ipaddress_ipv6_text_forms) {
  IPAddress v6;
  CHECK(v6.fromString("2001:db8::1"));
  CHECK(v6.type() == IPv6);
  CHECK(v6.toString() == "2001:db8::1");
  CHECK_EQ(uint32_t(v6), 0u);
  CHECK(v6 != IPAddress(0, 0, 0, 1));
  CHECK(IPAddress("::").toString() == "::");
  CHECK(IPAddress("::1").toString() == "::1");
  CHECK(IPAddress("FE80:0:0:0:0:0:0:1").toString() == "fe80::1");
  CHECK(IPAddress("2001:db8:0:1:0:0:0:1").toString() == "2001:db8:0:1::1");  // longest zero run
  CHECK(IPAddress("1:0:0:2:0:0:0:3").toString() == "1:0:0:2::3");
  CHECK(IPAddress("::ffff:192.168.1.2").toString() == "::ffff:c0a8:102");
  IPAddress zoned("fe80::1%3");
  CHECK_EQ(zoned.zone(), 3);
  CHECK(zoned.toString(true) == "fe80::1%3");
  CHECK(zoned.toString() == "fe80::1");
  for (const char* bad : {":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "1:", ":1", "fe80::1%x"}) {
    IPAddress keep(1, 2, 3, 4);
    CHECK_MSG(!keep.fromString(bad), "accepted '" << bad << "'");
  }
}

TEST(arduino_core_cbuf_ring_semantics) {
  cbuf b(8);  // holds 7 bytes
  CHECK_EQ(b.size(), 8u);
  CHECK(b.empty());
  CHECK_EQ(b.room(), 7u);
  CHECK_EQ(b.write("abcdefghij", 10), 7u);
  CHECK(b.full());
  CHECK_EQ(b.write('x'), 0u);
  char out[16];
  CHECK_EQ(b.read(out, 4), 4u);
  CHECK_EQ(std::string(out, 4), "abcd");
  CHECK_EQ(b.write("123", 3), 3u);  // wraps around the end
  CHECK_EQ(b.available(), 6u);
  CHECK_EQ(b.peek(), 'e');
  CHECK_EQ(b.peek(out, 16), 6u);
  CHECK_EQ(std::string(out, 6), "efg123");
  CHECK_EQ(b.resize(4), 8u);  // cannot hold what is stored: refused
  CHECK_EQ(b.resizeAdd(8), 16u);  // keeps the bytes, in order
  CHECK_EQ(b.room(), 9u);
  CHECK_EQ(b.read(), 'e');
  CHECK_EQ(b.remove(2), 3u);
  CHECK_EQ(b.read(out, 16), 3u);
  CHECK_EQ(std::string(out, 3), "123");
  CHECK_EQ(b.read(), -1);
  CHECK_EQ(b.peek(), -1);
  b.write("zz", 2);
  b.flush();
  CHECK(b.empty());
  cbuf none(0);
  CHECK_EQ(none.size(), 0u);
  CHECK_EQ(none.write('a'), 0u);
  CHECK_EQ(none.read(), -1);
}

TEST(arduino_core_md5_known_vectors) {
  // RFC 1321, appendix A.5.
  CHECK_EQ(md5Of(""), "d41d8cd98f00b204e9800998ecf8427e");
  CHECK_EQ(md5Of("a"), "0cc175b9c0f1b6a831c399e269772661");
  CHECK_EQ(md5Of("abc"), "900150983cd24fb0d6963f7d28e17f72");
  CHECK_EQ(md5Of("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK_EQ(md5Of("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK_EQ(md5Of("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
           "57edf4a22be3c955ac49da2e2107b67a");
  MD5Builder m;
  m.begin();
  m.add(String("mess"));
  m.add("age ");
  m.addHexString("646967657374");  // "digest"
  m.calculate();
  uint8_t raw[16];
  m.getBytes(raw);
  CHECK_EQ(raw[0], 0xf9);
  CHECK_EQ(raw[15], 0xd0);
  CHECK_EQ(m.getHashSize(), 16u);
  CHECK(m.toString() == "f96b697d7cb7938d525a2f31aaf161d0");
  // addStream reads what the stream has.
  struct Src : public Stream {
    std::string t = "message digest";
    size_t p = 0;
    int available() override { return int(t.size() - p); }
    int read() override { return p < t.size() ? t[p++] : -1; }
    int peek() override { return p < t.size() ? t[p] : -1; }
    size_t write(uint8_t) override { return 0; }
  } src;
  src.setTimeout(0);
  MD5Builder ms;
  ms.begin();
  CHECK(ms.addStream(src, 100));
  ms.calculate();
  CHECK(ms.toString() == "f96b697d7cb7938d525a2f31aaf161d0");
}

TEST(arduino_core_sha1_known_vectors) {
  // FIPS 180 examples.
  CHECK_EQ(sha1Of("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK_EQ(sha1Of(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK_EQ(sha1Of(two), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK_EQ(sha1Of(two, 7), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");  // across block edges
  CHECK_EQ(sha1Of(std::string(1000000, 'a'), 4093), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  SHA1Builder h;
  h.begin();
  h.add("abc");
  h.calculate();
  CHECK(h.toString() == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK_EQ(h.getHashSize(), 20u);
  h.begin();  // starts over
  h.calculate();
  CHECK(h.toString() == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  uint8_t bytes[3];
  CHECK_EQ(HEXBuilder::hex2bytes(bytes, sizeof bytes, "0a:ff-10"), 3u);
  CHECK_EQ(bytes[1], 0xff);
  CHECK(HEXBuilder::bytes2hex(bytes, 3) == "0aff10");
  CHECK(HEXBuilder::isHexString("00aAfF"));
  CHECK(!HEXBuilder::isHexString("0x"));
}

TEST(arduino_core_libb64_rfc4648_round_trips) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    CHECK_EQ(b64(plain[i]), std::string(coded[i]));
    CHECK_EQ(unb64(coded[i]), std::string(plain[i]));
    CHECK(base64::encode(String(plain[i])) == coded[i]);
  }
  CHECK_EQ(base64_encode_expected_len(6), 8);
  CHECK_EQ(base64_encode_expected_len(4), 8);
  // Every byte value, encoded one byte per call, equals the one-shot encoding.
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(char(i));
  std::string oneShot = b64(all);
  base64_encodestate es;
  base64_init_encodestate(&es);
  std::vector<char> out(400);
  int n = 0;
  for (char ch : all) n += base64_encode_block(&ch, 1, out.data() + n, &es);
  n += base64_encode_blockend(out.data() + n, &es);
  CHECK_EQ(std::string(out.data(), size_t(n)), oneShot);
  CHECK_EQ(unb64(oneShot), all);
  // Decoding skips line breaks, spaces and padding, also across calls.
  CHECK_EQ(unb64("Zm9v\r\nYmFy"), "foobar");
  base64_decodestate ds;
  base64_init_decodestate(&ds);
  char dec[16];
  int m = base64_decode_block("Zm9", 3, dec, &ds);
  m += base64_decode_block("vYg==", 5, dec + m, &ds);
  CHECK_EQ(std::string(dec, size_t(m)), "foob");
  CHECK_EQ(base64_decode_value('='), -2);
  CHECK_EQ(base64_decode_value('*'), -1);
  CHECK_EQ(base64_decode_value('/'), 63);
}
