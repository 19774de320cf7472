// Printable.h (twin): the Arduino interface of objects that print themselves (IPAddress, user
// types): Print::print(const Printable&) calls printTo(p), which returns the bytes it wrote.
// Threading and lifetime: those of the implementing object; printTo must not keep `p`.
#pragma once
#include <stddef.h>

class Print;

class Printable {
 public:
  virtual ~Printable() {}
  virtual size_t printTo(Print& p) const = 0;
};
