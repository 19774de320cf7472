// Compile test of the Arduino core headers: includes every header native/arduino adds for the
// Arduino-ESP32 base and uses the idioms real sketches use (global String objects, F() strings
// handed to print, Serial.printf, String(x, HEX), the min/max of arduino-esp32, libb64 and the
// hash builders as ESPAsyncWebServer calls them), so a header that breaks them fails the build.
// The one test runs the idioms once and checks what they produced.
#include <Arduino.h>
#include <HEXBuilder.h>
#include <HardwareSerial.h>
#include <HashBuilder.h>
#include <IPAddress.h>
#include <MD5Builder.h>
#include <Print.h>
#include <Printable.h>
#include <SHA1Builder.h>
#include <Stream.h>
#include <WCharacter.h>
#include <WString.h>
#include <base64.h>
#include <binary.h>
#include <cbuf.h>
#include <esp32-hal-log.h>
#include <esp32-hal.h>
#include <esp_arduino_version.h>
#include <esp_idf_version.h>
#include <esp_log.h>
#include <esp_random.h>
#include <ets_sys.h>
#include <libb64/cdecode.h>
#include <libb64/cencode.h>
#include <pgmspace.h>
#include <rom/ets_sys.h>
#include <stdlib_noniso.h>

#include <algorithm>
#include <memory>
#include <string>

#include "tc_test.h"

namespace {

// Sketch-style globals (constructed before main, on no device thread).
String gTitle = "twin";
String gEmpty;
const char kPage[] PROGMEM = "<html>hello</html>";
static const uint8_t kBits = B101;

// A user type printed through Printable.
struct Point : public Printable {
  int x = 3, y = -4;
  size_t printTo(Print& p) const override { return p.print(x) + p.print(',') + p.print(y); }
};

// A Print that collects into a std::string.
struct Collect : public Print {
  std::string out;
  size_t write(uint8_t c) override {
    out.push_back(char(c));
    return 1;
  }
};

#if ESP_IDF_VERSION_MAJOR < 5
#error "ESPAsyncWebServer picks the core's SHA1Builder only for IDF >= 5"
#endif
static_assert(ESP_ARDUINO_VERSION >= ESP_ARDUINO_VERSION_VAL(3, 0, 0), "arduino-esp32 3.x API");

}  // namespace

TEST(arduino_core_compile_idioms_build_and_run) {
  Collect c;
  c.print(F("uptime "));
  c.print(millis() < 0xffffffffu ? "ok" : "no");
  c.println();
  c.printf("%s=%d", gTitle.c_str(), 42);
  c.print(Point());
  CHECK_EQ(c.out, std::string("uptime ok\r\ntwin=423,-4"));

  String hex = String(0xBEEF, HEX);
  CHECK(hex == "beef");
  String label = "id:" + String(7) + '/' + hex + F("!");
  CHECK_EQ(label.c_str(), "id:7/beef!");
  CHECK(gEmpty.isEmpty());
  CHECK_EQ(strlen_P(kPage), size_t(18));
  CHECK_EQ(pgm_read_byte(kPage + 1), uint8_t('h'));
  CHECK_EQ(kBits, 5);

  // arduino-esp32's min/max are std::min/std::max (same types); _min/_max take mixed types.
  int a = min(3, 9);
  long b = std::max(2L, 5L);
  CHECK_EQ(a, 3);
  CHECK_EQ(b, 5L);
  CHECK_EQ(_min(3, 9UL), 3UL);
  CHECK_EQ(constrain(15, 0, 10), 10);
  CHECK_EQ(abs(-2.5), 2.5);
  CHECK_EQ(sq(3), 9);
  CHECK_EQ(bit(3), 8UL);
  CHECK(isDigit('7') && !isAlpha('7'));
  byte bb = lowByte(0x1234);
  word w = word(0x12, 0x34);
  boolean yes = true;
  CHECK_EQ(bb, 0x34);
  CHECK_EQ(w, 0x1234u);
  CHECK(yes);

  // IPAddress and Serial as sketches use them.
  IPAddress ip(192, 168, 4, 1);
  Serial.printf("ip %s\n", ip.toString().c_str());
  Serial.println(F("compile test"));
  Serial.print(String(1.5f));
  Serial.println();
  CHECK(ip.toString() == "192.168.4.1");

  // The WebSocket accept computation of ESPAsyncWebServer (RFC 6455 example key).
  SHA1Builder sha1;
  sha1.begin();
  String k = "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  sha1.add(reinterpret_cast<const uint8_t*>(k.c_str()), k.length());
  sha1.calculate();
  uint8_t hash[SHA1_HASH_SIZE];
  sha1.getBytes(hash);
  char buffer[33];
  base64_encodestate st;
  base64_init_encodestate(&st);
  int len = base64_encode_block(reinterpret_cast<const char*>(hash), 20, buffer, &st);
  len += base64_encode_blockend(buffer + len, &st);
  CHECK_EQ(len, 28);
  CHECK_EQ(static_cast<const char*>(buffer), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

  MD5Builder md5;
  md5.begin();
  md5.add("abc");
  md5.calculate();
  char md5hex[33];
  md5.getChars(md5hex);
  CHECK_EQ(static_cast<const char*>(md5hex), "900150983cd24fb0d6963f7d28e17f72");

  std::unique_ptr<cbuf> content(new cbuf(64));
  CHECK_EQ(content->size(), size_t(64));
  CHECK_EQ(base64::encode(String("hi")), String("aGk="));

  log_e("compiled out unless CORE_DEBUG_LEVEL >= 1: %d", 1);
  ESP_LOGD("compile", "debug below the default level: %d", 2);
  (void)esp_random();
  (void)ESP.getFreeHeap();
}
