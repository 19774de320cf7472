// base64.cpp: arduino-esp32's base64::encode over libb64 (rules: base64.h).
#include "base64.h"

#include "libb64/cencode.h"
#include "twin.h"

String base64::encode(const uint8_t* data, size_t length) {
  size_t size = base64_encode_expected_len(length) + 1;
  char* buffer = static_cast<char*>(twin::heapAlloc(size));
  if (!buffer) return String("-FAIL-");
  base64_encodestate state;
  base64_init_encodestate(&state);
  int len = base64_encode_block(reinterpret_cast<const char*>(data), int(length), buffer, &state);
  base64_encode_blockend(buffer + len, &state);
  String out(buffer);
  twin::heapFree(buffer, size);
  return out;
}

String base64::encode(const String& text) {
  return encode(reinterpret_cast<const uint8_t*>(text.c_str()), text.length());
}
