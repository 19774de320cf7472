// WString.h (twin): the Arduino `String` class with arduino-esp32's behaviour, on the host.
//
// What matches the board:
//  - Short strings live inside the object (SSO): up to 13 characters never touch the heap, as on
//    the ESP32 (its 15-byte in-object buffer). Longer ones take a heap block of
//    (length + 16) rounded down to a multiple of 16 bytes, and no string may need a block over
//    65535 bytes (arduino-esp32 without PSRAM refuses it: the operation fails).
//  - Heap blocks come from the device's heap (twin::heapAlloc): they count in the device's
//    heapUsed, respect Profile::heapBytes, and fail when the failAllocs fault fires.
//  - "Invalid on allocation failure": a constructor or assignment whose allocation fails leaves
//    the string invalid: `if (s)` is false, length() is 0. A failed concat/+=/reserve leaves the
//    string unchanged and returns false; a failing `a + b` chain (StringSumHelper) invalidates the
//    sum. reserve(0) or a successful assignment makes an invalid string valid again.
//  - Numbers: String(int|unsigned|unsigned char, base) accept bases 2..36 (newlib's itoa: a
//    negative int in a base other than 10 prints its 32-bit two's complement); String(long|
//    unsigned long|long long|unsigned long long, base) accept bases 2..16 and print a negative
//    value as '-' and its magnitude in any base. Digits are lower case. An unsupported base gives
//    "". Floats use dtostrf: String(1.5f) is "1.50"; concat/+ of a float or double uses 2 places.
// Deliberate difference: c_str() of an invalid string is "" here (the board returns a null
// pointer, which most callers then crash on).
// Host difference the types force: `long` is 64-bit on the host and 32-bit on the ESP32.
//
// Threading: a String is a value; one String object must not be used by two threads at once
// (as on the board). Different strings may be used concurrently from any thread.
// Lifetime: the String owns its buffer; the buffer goes back to the device heap it came from
// (the heap header remembers the device), whichever thread destroys the String. c_str(),
// begin() and operator[] references are valid until the next change of the string.
#pragma once
#ifdef __cplusplus

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <initializer_list>

#include "pgmspace.h"

class StringSumHelper;

class String {
  // "Safe bool": `if (s)` and `bool b = s;` compile, arithmetic on a String does not.
  typedef void (String::*StringIfHelperType)() const;
  void StringIfHelper() const {}

 public:
  // A null or invalid source, or a failed allocation, leaves the string invalid.
  String(const char* cstr = "");
  String(const char* cstr, unsigned int length);
  String(const uint8_t* cstr, unsigned int length) : String(reinterpret_cast<const char*>(cstr), length) {}
  String(std::initializer_list<char> list);
  String(const String& str);
  String(const __FlashStringHelper* str) : String(reinterpret_cast<const char*>(str)) {}
  String(String&& rval) noexcept;
  String(StringSumHelper&& rval) noexcept;
  explicit String(char c);
  explicit String(unsigned char value, unsigned char base = 10);
  explicit String(int value, unsigned char base = 10);
  explicit String(unsigned int value, unsigned char base = 10);
  explicit String(long value, unsigned char base = 10);
  explicit String(unsigned long value, unsigned char base = 10);
  explicit String(float value, unsigned int decimalPlaces = 2);
  explicit String(double value, unsigned int decimalPlaces = 2);
  explicit String(long long value, unsigned char base = 10);
  explicit String(unsigned long long value, unsigned char base = 10);
  ~String();

  // Makes room for `size` characters. False on failure (the string is unchanged); reserve on an
  // invalid string makes it valid (and empty) when it succeeds.
  bool reserve(unsigned int size);
  unsigned int length() const { return buffer() ? _len : 0; }
  void clear() { setLen(0); }
  bool isEmpty() const { return length() == 0; }

  String& operator=(const String& rhs);
  String& operator=(const char* cstr);
  String& operator=(const __FlashStringHelper* str) { return *this = reinterpret_cast<const char*>(str); }
  String& operator=(String&& rval) noexcept;
  String& operator=(StringSumHelper&& rval) noexcept;

  // Appends; false (string unchanged) on failure or a null/invalid argument.
  bool concat(const String& str);
  bool concat(const char* cstr);
  bool concat(const char* cstr, unsigned int length);
  bool concat(const uint8_t* cstr, unsigned int length) { return concat(reinterpret_cast<const char*>(cstr), length); }
  bool concat(char c);
  bool concat(unsigned char num);
  bool concat(int num);
  bool concat(unsigned int num);
  bool concat(long num);
  bool concat(unsigned long num);
  bool concat(float num);
  bool concat(double num);
  bool concat(long long num);
  bool concat(unsigned long long num);
  bool concat(const __FlashStringHelper* str) { return concat(reinterpret_cast<const char*>(str)); }

  // A failed append leaves the string unchanged, unsignalled (as on the board).
  template <class T>
  String& operator+=(const T& rhs) {
    concat(rhs);
    return *this;
  }
  String& operator+=(const char* cstr) {
    concat(cstr);
    return *this;
  }

  friend StringSumHelper& operator+(const StringSumHelper& lhs, const String& rhs);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, const char* cstr);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, char c);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, unsigned char num);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, int num);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, unsigned int num);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, long num);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, unsigned long num);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, float num);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, double num);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, long long num);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, unsigned long long num);
  friend StringSumHelper& operator+(const StringSumHelper& lhs, const __FlashStringHelper* rhs);

  operator StringIfHelperType() const { return buffer() ? &String::StringIfHelper : 0; }
  int compareTo(const String& s) const;
  bool equals(const String& s) const;
  bool equals(const char* cstr) const;
  bool operator==(const String& rhs) const { return equals(rhs); }
  bool operator==(const char* cstr) const { return equals(cstr); }
  bool operator!=(const String& rhs) const { return !equals(rhs); }
  bool operator!=(const char* cstr) const { return !equals(cstr); }
  bool operator<(const String& rhs) const { return compareTo(rhs) < 0; }
  bool operator>(const String& rhs) const { return compareTo(rhs) > 0; }
  bool operator<=(const String& rhs) const { return compareTo(rhs) <= 0; }
  bool operator>=(const String& rhs) const { return compareTo(rhs) >= 0; }
  bool equalsIgnoreCase(const String& s) const;
  unsigned char equalsConstantTime(const String& s) const;
  bool startsWith(const String& prefix) const { return startsWith(prefix, 0); }
  bool startsWith(const char* prefix) const { return startsWith(String(prefix)); }
  bool startsWith(const __FlashStringHelper* prefix) const { return startsWith(reinterpret_cast<const char*>(prefix)); }
  bool startsWith(const String& prefix, unsigned int offset) const;
  bool endsWith(const String& suffix) const;
  bool endsWith(const char* suffix) const { return endsWith(String(suffix)); }
  bool endsWith(const __FlashStringHelper* suffix) const { return endsWith(reinterpret_cast<const char*>(suffix)); }

  // Out of range: charAt/[] give 0, setCharAt does nothing, a written `s[99]` goes to a scratch
  // char (per thread) and is lost.
  char charAt(unsigned int index) const { return (*this)[index]; }
  void setCharAt(unsigned int index, char c);
  char operator[](unsigned int index) const;
  char& operator[](unsigned int index);
  // Copies at most bufsize-1 characters from index, always NUL-terminated.
  void getBytes(unsigned char* buf, unsigned int bufsize, unsigned int index = 0) const;
  void toCharArray(char* buf, unsigned int bufsize, unsigned int index = 0) const {
    getBytes(reinterpret_cast<unsigned char*>(buf), bufsize, index);
  }
  const char* c_str() const { return buffer() ? buffer() : ""; }
  char* begin() { return buffer() ? wbuffer() : nullptr; }
  char* end() { return buffer() ? wbuffer() + _len : nullptr; }
  const char* begin() const { return c_str(); }
  const char* end() const { return c_str() + length(); }

  // -1 when not found or fromIndex is past the end.
  int indexOf(char ch) const { return indexOf(ch, 0); }
  int indexOf(char ch, unsigned int fromIndex) const;
  int indexOf(const String& str) const { return indexOf(str, 0); }
  int indexOf(const String& str, unsigned int fromIndex) const;
  int lastIndexOf(char ch) const { return lastIndexOf(ch, length() - 1); }
  int lastIndexOf(char ch, unsigned int fromIndex) const;
  int lastIndexOf(const String& str) const { return lastIndexOf(str, length() - str.length()); }
  int lastIndexOf(const String& str, unsigned int fromIndex) const;
  // Swaps the bounds when beginIndex > endIndex; clamps endIndex to the length.
  String substring(unsigned int beginIndex) const { return substring(beginIndex, length()); }
  String substring(unsigned int beginIndex, unsigned int endIndex) const;

  void replace(char find, char replace);
  // Every non-overlapping occurrence, left to right. When growing the string fails, it is left
  // unchanged (and a warning is logged, as on the board).
  void replace(const String& find, const String& replace);
  void replace(const char* find, const String& replace) { this->replace(String(find), replace); }
  void replace(const __FlashStringHelper* find, const String& replace) {
    this->replace(reinterpret_cast<const char*>(find), replace);
  }
  void replace(const char* find, const char* replace) { this->replace(String(find), String(replace)); }
  void replace(const __FlashStringHelper* find, const char* replace) {
    this->replace(reinterpret_cast<const char*>(find), String(replace));
  }
  void replace(const __FlashStringHelper* find, const __FlashStringHelper* replace) {
    this->replace(reinterpret_cast<const char*>(find), reinterpret_cast<const char*>(replace));
  }
  void remove(unsigned int index);
  void remove(unsigned int index, unsigned int count);
  void toLowerCase();
  void toUpperCase();
  void trim();

  // atol/atof of the text: leading blanks skipped, stops at the first non-number; 0 if none.
  long toInt() const;
  float toFloat() const;
  double toDouble() const;

 protected:
  // The board's in-object buffer: 14 characters + NUL; it is used for up to 13 (as there).
  static constexpr unsigned kSsoBytes = 15;
  // arduino-esp32 without PSRAM: no heap block over this.
  static constexpr unsigned kCapacityMax = 65535;
  enum Mode : uint8_t { kInvalid = 0, kSso = 1, kHeap = 2 };

  const char* buffer() const { return _mode == kSso ? _u.sso : (_mode == kHeap ? _u.heap.buf : nullptr); }
  char* wbuffer() const { return const_cast<char*>(buffer()); }
  unsigned int capacity() const { return _mode == kSso ? kSsoBytes - 1 : (_mode == kHeap ? _u.heap.cap : 0); }
  void setLen(unsigned int n) {
    if (!buffer()) return;
    _len = n;
    wbuffer()[n] = 0;
  }
  void init() {
    _mode = kInvalid;
    _len = 0;
    _u.heap.buf = nullptr;
    _u.heap.cap = 0;
  }
  void invalidate();
  bool changeBuffer(unsigned int maxStrLen);
  String& copy(const char* cstr, unsigned int length);
  void move(String& rhs) noexcept;

 private:
  union {
    struct {
      char* buf;     // heap block of cap + 1 bytes, from twin::heapAlloc
      uint32_t cap;  // characters it holds, without the NUL
    } heap;
    char sso[kSsoBytes];
  } _u;
  uint32_t _len;
  uint8_t _mode;
};

// The temporary of an `a + b + c` chain: each `+` appends to it in place. A failed append
// invalidates the whole sum.
class StringSumHelper : public String {
 public:
  StringSumHelper(const String& s) : String(s) {}
  StringSumHelper(const char* p) : String(p) {}
  StringSumHelper(char c) : String(c) {}
  StringSumHelper(unsigned char num) : String(num) {}
  StringSumHelper(int num) : String(num) {}
  StringSumHelper(unsigned int num) : String(num) {}
  StringSumHelper(long num) : String(num) {}
  StringSumHelper(unsigned long num) : String(num) {}
  StringSumHelper(float num) : String(num) {}
  StringSumHelper(double num) : String(num) {}
  StringSumHelper(long long num) : String(num) {}
  StringSumHelper(unsigned long long num) : String(num) {}
};

extern const String emptyString;

#endif  // __cplusplus
