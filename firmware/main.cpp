// main.cpp: the PlatformIO sketch entry for a real board (never compiled on the host: CMake
// excludes it; the twin boots ReferenceFirmware through firmware/host/registry.cpp).
// Joins the WiFi network given at build time (TWINCORE_WIFI_SSID / TWINCORE_WIFI_PASS, see
// platformio.ini), prints the dashboard URL on Serial, then runs one ReferenceFirmware with the
// defaults of ReferenceConfig. The WiFi part is compiled only for the ESP32 (the arm-none-eabi
// cross-check builds this file too, against the twin's declaration headers).
#include "Arduino.h"
#include "ReferenceFirmware.h"

#if defined(ARDUINO_ARCH_ESP32)
#include <WiFi.h>
#endif

#ifndef TWINCORE_WIFI_SSID
#define TWINCORE_WIFI_SSID ""
#endif
#ifndef TWINCORE_WIFI_PASS
#define TWINCORE_WIFI_PASS ""
#endif

namespace {
// The sketch's one firmware object, constructed on first use in setup() (no dependence on the
// order of static initialisation); never destroyed: a board does not stop.
ReferenceFirmware* firmware() {
  static ReferenceFirmware fw{ReferenceConfig()};
  return &fw;
}
}  // namespace

void setup() {
  Serial.begin(115200);
#if defined(ARDUINO_ARCH_ESP32)
  WiFi.mode(WIFI_STA);
  WiFi.setSleep(false);  // modem sleep adds 100+ ms latency to every WebSocket frame
  WiFi.begin(TWINCORE_WIFI_SSID, TWINCORE_WIFI_PASS);
  Serial.printf("twincore: joining WiFi '%s'", TWINCORE_WIFI_SSID);
  while (WiFi.status() != WL_CONNECTED) {
    delay(250);
    Serial.print(".");
  }
  Serial.println("");
  Serial.printf("twincore: dashboard http://%s/  WebSocket ws://%s/ws\n", WiFi.localIP().toString().c_str(),
                WiFi.localIP().toString().c_str());
#endif
  firmware()->setup();
}

void loop() { firmware()->loop(); }
