// base64.h (twin): arduino-esp32's base64 helper class: base64::encode(bytes) and
// base64::encode(String) give the standard base64 text (no line breaks). When the device heap
// cannot hold the work buffer, the result is "-FAIL-", as on the board.
// Pure functions; any thread. The result String is the caller's.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "WString.h"

class base64 {
 public:
  static String encode(const uint8_t* data, size_t length);
  static String encode(const String& text);
};
