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
#include <stdlib.h>

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

#ifdef __cplusplus
}
#endif
