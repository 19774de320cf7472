// esp_arduino_version.h (twin): the arduino-esp32 and ESP-IDF versions whose API the twin
// follows (arduino-esp32 3.3 on ESP-IDF 5.5). Libraries test these to pick code paths (e.g.
// ESPAsyncWebServer uses the core's SHA1Builder when ESP_IDF_VERSION_MAJOR >= 5). Header only.
#pragma once
#include "esp_idf_version.h"

#define ESP_ARDUINO_VERSION_MAJOR 3
#define ESP_ARDUINO_VERSION_MINOR 3
#define ESP_ARDUINO_VERSION_PATCH 0
#define ESP_ARDUINO_VERSION_VAL(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define ESP_ARDUINO_VERSION \
  ESP_ARDUINO_VERSION_VAL(ESP_ARDUINO_VERSION_MAJOR, ESP_ARDUINO_VERSION_MINOR, ESP_ARDUINO_VERSION_PATCH)
#define ESP_ARDUINO_VERSION_STR "3.3.0"
