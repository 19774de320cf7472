// stdlib_noniso.h (twin): the non-standard number<->text conversions of arduino-esp32.
//  itoa/utoa     newlib's: bases 2..36, lower-case digits; a negative int prints '-' only in base
//                10 (other bases print its two's complement); an unsupported base writes "" and
//                returns NULL.
//  ltoa/ultoa/lltoa/ulltoa   arduino-esp32's: bases 2..16, lower-case digits; a negative value
//                prints '-' and its magnitude in any base; an unsupported base writes "" and
//                returns the buffer.
//  dtostrf       fixed-point text with `prec` places, right-aligned in `width` (spaces); "nan" and
//                "inf" for those values (a negative infinity also prints "inf", as on the board).
// The caller provides a buffer big enough (33 bytes for any 32-bit value in base 2, 66 for
// 64-bit; dtostrf: width+1, and at least 312 + prec for any double).
// Threading: pure functions, any thread. The caller owns every buffer.
#pragma once
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

char* itoa(int val, char* s, int radix);
char* utoa(unsigned int val, char* s, int radix);
char* ltoa(long val, char* s, int radix);
char* ultoa(unsigned long val, char* s, int radix);
char* lltoa(long long val, char* s, int radix);
char* ulltoa(unsigned long long val, char* s, int radix);
char* dtostrf(double val, signed int width, unsigned int prec, char* s);

// BSD strlcpy/strlcat, which the board's newlib has and glibc before 2.38 lacks: copy/append
// with the destination's full size, always NUL-terminated (size > 0); return the length the
// result would have had.
#if defined(__GLIBC__) && !(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 38))
#define TWIN_NEEDS_STRLCPY 1
size_t strlcpy(char* dst, const char* src, size_t size);
size_t strlcat(char* dst, const char* src, size_t size);
#endif

#ifdef __cplusplus
}
#endif
