// Print.cpp: Arduino's Print on the host (rules: Print.h).
#include "Print.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

#include <memory>

size_t Print::write(const uint8_t* buffer, size_t size) {
  size_t n = 0;
  while (size--) n += write(*buffer++);
  return n;
}

size_t Print::vprintf(const char* format, va_list arg) {
  char small[64];
  va_list copy;
  va_copy(copy, arg);
  int len = vsnprintf(small, sizeof small, format, copy);
  va_end(copy);
  if (len < 0) return 0;
  if (size_t(len) < sizeof small) {
    write(reinterpret_cast<const uint8_t*>(small), size_t(len));
    return size_t(len);
  }
  std::unique_ptr<char[]> big(new char[size_t(len) + 1]);
  vsnprintf(big.get(), size_t(len) + 1, format, arg);
  write(reinterpret_cast<const uint8_t*>(big.get()), size_t(len));
  return size_t(len);
}

size_t Print::printf(const char* format, ...) {
  va_list arg;
  va_start(arg, format);
  size_t n = vprintf(format, arg);
  va_end(arg);
  return n;
}

size_t Print::print(const String& s) { return write(s.c_str(), s.length()); }
size_t Print::print(const char str[]) { return write(str); }
size_t Print::print(char c) { return write(uint8_t(c)); }
size_t Print::print(unsigned char n, int base) { return print((unsigned long)n, base); }
size_t Print::print(int n, int base) { return print((long)n, base); }
size_t Print::print(unsigned int n, int base) { return print((unsigned long)n, base); }

size_t Print::print(long n, int base) {
  if (base == 0) return write(uint8_t(n));
  if (base == 10 && n < 0) {
    size_t t = print('-');
    return t + printNumber(0ULL - (unsigned long long)n, 10);
  }
  // The board's long is 32 bits: a value that fits prints its 32-bit pattern.
  if (n >= INT32_MIN && n <= INT32_MAX) return printNumber(uint32_t(n), base);
  return printNumber((unsigned long long)n, base);
}

size_t Print::print(unsigned long n, int base) {
  if (base == 0) return write(uint8_t(n));
  return printNumber(n, base);
}

size_t Print::print(long long n, int base) {
  if (base == 0) return write(uint8_t(n));
  if (base == 10 && n < 0) {
    size_t t = print('-');
    return t + printNumber(0ULL - (unsigned long long)n, 10);
  }
  return printNumber((unsigned long long)n, base);
}

size_t Print::print(unsigned long long n, int base) {
  if (base == 0) return write(uint8_t(n));
  return printNumber(n, base);
}

size_t Print::print(double n, int digits) { return printFloat(n, digits); }
size_t Print::print(const Printable& x) { return x.printTo(*this); }

size_t Print::print(struct tm* timeinfo, const char* format) {
  if (!timeinfo) return 0;
  char buf[64];
  size_t n = strftime(buf, sizeof buf, format ? format : "%c", timeinfo);
  if (n == 0) return 0;
  return print(buf);
}

size_t Print::println() { return print("\r\n"); }

size_t Print::printNumber(unsigned long long n, int base) {
  if (base < 2) base = 10;
  if (base > 36) base = 36;
  char buf[8 * sizeof(unsigned long long) + 1];
  char* p = buf + sizeof buf - 1;
  *p = 0;
  do {
    unsigned d = unsigned(n % unsigned(base));
    n /= unsigned(base);
    *--p = char(d < 10 ? '0' + d : 'A' + d - 10);
  } while (n);
  return write(p);
}

// The board's method: round at the last place, print the integer part as an unsigned 32-bit
// number, then peel decimal digits off the remainder one by one.
size_t Print::printFloat(double number, int digits) {
  if (isnan(number)) return print("nan");
  if (isinf(number)) return print("inf");
  if (number > 4294967040.0 || number < -4294967040.0) return print("ovf");
  size_t n = 0;
  if (number < 0.0) {
    n += print('-');
    number = -number;
  }
  if (digits < 0) digits = 0;
  double rounding = 0.5;
  for (int i = 0; i < digits; ++i) rounding /= 10.0;
  number += rounding;
  uint32_t whole = uint32_t(number);
  double rest = number - double(whole);
  n += print((unsigned long)whole);
  if (digits > 0) n += print('.');
  while (digits-- > 0) {
    rest *= 10.0;
    int d = int(rest);
    n += print(d);
    rest -= d;
  }
  return n;
}
