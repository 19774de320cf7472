// Print.h (twin): Arduino's Print base class as arduino-esp32 has it. A subclass implements
// write(uint8_t) (and, for speed, write(const uint8_t*, size_t)); everything else formats
// through those. Every print/println returns the bytes the writes reported.
//
// Board behaviour kept:
//  - println() ends lines with "\r\n".
//  - Integers: print(n, base) with base 2..36 (bases below 2 print in 10; base 0 writes the low
//    byte as a raw byte), upper-case digits (print(255, HEX) is "FF", unlike String(255, HEX)
//    which is "ff"). A negative number prints '-' only in base 10; in other bases its
//    two's-complement bits: 32 of them for int and for a long that fits 32 bits (the ESP32's
//    long is 32-bit), 64 for long long (and for host longs beyond 32 bits).
//  - Floats: print(x, digits) rounds to `digits` places (default 2); "nan", "inf", and "ovf"
//    beyond +-4294967040 (the board prints the integer part through a 32-bit unsigned long).
//  - printf formats with vsnprintf (any length) and returns the formatted length, as the board
//    does (not what the writes reported).
//  - availableForWrite() is 0 ("a single write may block") unless the subclass says otherwise.
//  - getWriteError()/clearWriteError(): the error a subclass sets with setWriteError().
//
// Threading: a Print object is used by one task at a time unless the subclass says otherwise
// (HardwareSerial: any thread). Lifetime: arguments are only read during the call.
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "Printable.h"
#include "WString.h"

#define DEC 10
#define HEX 16
#define OCT 8
#define BIN 2

struct tm;

class Print {
 public:
  Print() : write_error(0) {}
  virtual ~Print() {}
  int getWriteError() { return write_error; }
  void clearWriteError() { setWriteError(0); }

  virtual size_t write(uint8_t) = 0;
  size_t write(const char* str) {
    if (str == nullptr) return 0;
    return write(reinterpret_cast<const uint8_t*>(str), strlen(str));
  }
  // Default: one write(uint8_t) per byte, summing what they report.
  virtual size_t write(const uint8_t* buffer, size_t size);
  size_t write(const char* buffer, size_t size) { return write(reinterpret_cast<const uint8_t*>(buffer), size); }

  size_t vprintf(const char* format, va_list arg);
  size_t printf(const char* format, ...) __attribute__((format(printf, 2, 3)));

  virtual int availableForWrite() { return 0; }

  size_t print(const __FlashStringHelper* ifsh) { return print(reinterpret_cast<const char*>(ifsh)); }
  size_t print(const String& s);
  size_t print(const char str[]);
  size_t print(char c);
  size_t print(unsigned char n, int base = DEC);
  size_t print(int n, int base = DEC);
  size_t print(unsigned int n, int base = DEC);
  size_t print(long n, int base = DEC);
  size_t print(unsigned long n, int base = DEC);
  size_t print(long long n, int base = DEC);
  size_t print(unsigned long long n, int base = DEC);
  size_t print(double n, int digits = 2);
  size_t print(const Printable& x);
  // strftime of *timeinfo with format (default "%c"), at most 63 characters.
  size_t print(struct tm* timeinfo, const char* format = nullptr);

  size_t println(const __FlashStringHelper* ifsh) { return print(ifsh) + println(); }
  size_t println(const String& s) { return print(s) + println(); }
  size_t println(const char c[]) { return print(c) + println(); }
  size_t println(char c) { return print(c) + println(); }
  size_t println(unsigned char n, int base = DEC) { return print(n, base) + println(); }
  size_t println(int n, int base = DEC) { return print(n, base) + println(); }
  size_t println(unsigned int n, int base = DEC) { return print(n, base) + println(); }
  size_t println(long n, int base = DEC) { return print(n, base) + println(); }
  size_t println(unsigned long n, int base = DEC) { return print(n, base) + println(); }
  size_t println(long long n, int base = DEC) { return print(n, base) + println(); }
  size_t println(unsigned long long n, int base = DEC) { return print(n, base) + println(); }
  size_t println(double n, int digits = 2) { return print(n, digits) + println(); }
  size_t println(const Printable& x) { return print(x) + println(); }
  size_t println(struct tm* timeinfo, const char* format = nullptr) { return print(timeinfo, format) + println(); }
  size_t println();

  virtual void flush() {}

 protected:
  void setWriteError(int err = 1) { write_error = err; }

 private:
  int write_error;
  size_t printNumber(unsigned long long n, int base);
  size_t printFloat(double number, int digits);
};
