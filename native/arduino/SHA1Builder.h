// SHA1Builder.h (twin): arduino-esp32's SHA-1 builder (FIPS 180-4), a HashBuilder (use and
// rules: HashBuilder.h). getHashSize() is 20; getChars writes 40 hex characters and a NUL.
#pragma once
#include "HashBuilder.h"

#define SHA1_HASH_SIZE 20

class SHA1Builder : public HashBuilder {
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
  size_t getHashSize() const override { return SHA1_HASH_SIZE; }

 private:
  uint32_t _state[5] = {0, 0, 0, 0, 0};
  uint64_t _bytes = 0;
  uint8_t _block[64] = {0};
  uint8_t _digest[SHA1_HASH_SIZE] = {0};
  void compress(const uint8_t* block);
};
