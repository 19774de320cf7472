// HashBuilder.h (twin): arduino-esp32's base of MD5Builder and SHA1Builder.
// Use: begin(); add(...) any number of times (bytes, C string, String, hex text, or up to maxLen
// bytes read from a Stream); calculate(); then getBytes()/getChars() (lower-case hex, the
// caller gives 2*getHashSize()+1 bytes)/toString(). begin() starts over.
// Threading: one task at a time per builder. Lifetime: holds no pointers to its inputs.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "HEXBuilder.h"
#include "Stream.h"
#include "WString.h"

class HashBuilder : public HEXBuilder {
 public:
  virtual ~HashBuilder() {}
  virtual void begin() = 0;
  virtual void add(const uint8_t* data, size_t len) = 0;
  void add(const char* data) {
    if (data) add(reinterpret_cast<const uint8_t*>(data), strlen(data));
  }
  void add(String data) { add(reinterpret_cast<const uint8_t*>(data.c_str()), data.length()); }
  // Adds the bytes the hex text stands for (non-hex characters skipped).
  void addHexString(const char* data);
  void addHexString(String data) { addHexString(data.c_str()); }
  // Reads up to maxLen bytes that the stream has available (no waiting) and adds them; false
  // when the stream had nothing.
  virtual bool addStream(Stream& stream, const size_t maxLen) = 0;
  virtual void calculate() = 0;
  virtual void getBytes(uint8_t* output) = 0;
  virtual void getChars(char* output) = 0;
  virtual String toString() = 0;
  virtual size_t getHashSize() const = 0;

 protected:
  // The shared addStream: feeds up to maxLen available bytes through add().
  bool addFromStream(Stream& stream, size_t maxLen);
};
