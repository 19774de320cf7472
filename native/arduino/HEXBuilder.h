// HEXBuilder.h (twin): arduino-esp32's hex helpers (the base of HashBuilder).
//  hex2bytes(out, maxlen, in): reads hex digit pairs from `in`, skipping any other character,
//   stores at most maxlen bytes, returns the bytes the text holds ((digits + 1) / 2).
//  bytes2hex(out, maxlen, in, len): lower-case hex of `in`, as many whole bytes as fit with the
//   NUL in maxlen; returns the characters written. bytes2hex(in, len) returns a String.
//  isHexString(s[, len]): every character is a hex digit.
// Pure functions; any thread; buffers are the caller's.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "WString.h"

class HEXBuilder {
 public:
  static size_t hex2bytes(unsigned char* out, size_t maxlen, const char* in);
  static size_t hex2bytes(unsigned char* out, size_t maxlen, String& in) { return hex2bytes(out, maxlen, in.c_str()); }
  static size_t bytes2hex(char* out, size_t maxlen, const unsigned char* in, size_t len);
  static String bytes2hex(const unsigned char* in, size_t len);
  static bool isHexString(const char* str, size_t len);
  static bool isHexString(const char* str);
  static bool isHexString(String str) { return isHexString(str.c_str(), str.length()); }
};
