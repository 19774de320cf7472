// MD5Builder.h (twin): arduino-esp32's MD5 builder (RFC 1321), a HashBuilder (use and rules:
// HashBuilder.h). getHashSize() is 16; getChars writes 32 hex characters and a NUL.
#pragma once
#include "HashBuilder.h"

#define ESP_ROM_MD5_DIGEST_LEN 16

class MD5Builder : public HashBuilder {
 public:
  void begin() override;
  using HashBuilder::add;
  void add(const uint8_t* data, size_t len) override;
  using HashBuilder::addHexString;
  bool addStream(Stream& stream, const size_t maxLen) override { return addFromStream(stream, maxLen); }
  void calculate() override;
  void getBytes(uint8_t* output) override;
  void getChars(char* output) override;
  String toString() override;
  size_t getHashSize() const override { return ESP_ROM_MD5_DIGEST_LEN; }

 private:
  uint32_t _state[4] = {0, 0, 0, 0};
  uint64_t _bytes = 0;       // message length so far
  uint8_t _block[64] = {0};  // the unfinished 64-byte block
  uint8_t _digest[ESP_ROM_MD5_DIGEST_LEN] = {0};
  void compress(const uint8_t* block);
};
