// pgmspace.h (twin): AVR-style program-memory helpers as arduino-esp32 provides them. On the
// ESP32 (and on the host) flash-resident constants are ordinary addressable memory, so PROGMEM is
// empty, PSTR(s) is s, and every *_P function is its plain C counterpart; pgm_read_* read through
// the pointer. Header only.
//
// Threading: pure functions, callable from any thread. Lifetimes: the caller owns every buffer.
#pragma once
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef PROGMEM
#define PROGMEM
#endif
#define PGM_P const char*
#define PGM_VOID_P const void*
#define PSTR(s) (s)
#ifndef PSTRN
#define PSTRN(s, n) (s)
#endif

// F() and FPSTR() turn a flash string into the distinct pointer type String/Print overload on.
class __FlashStringHelper;
#ifndef FPSTR
#define FPSTR(str_pointer) (reinterpret_cast<const __FlashStringHelper*>(str_pointer))
#endif
#ifndef F
#define F(string_literal) (FPSTR(PSTR(string_literal)))
#endif

#define pgm_read_byte(addr) (*reinterpret_cast<const uint8_t*>(addr))
#define pgm_read_word(addr) (*reinterpret_cast<const uint16_t*>(addr))
#define pgm_read_dword(addr) (*reinterpret_cast<const uint32_t*>(addr))
#define pgm_read_float(addr) (*reinterpret_cast<const float*>(addr))
#define pgm_read_ptr(addr) (*reinterpret_cast<const void* const*>(addr))
#define pgm_read_byte_near(addr) pgm_read_byte(addr)
#define pgm_read_word_near(addr) pgm_read_word(addr)
#define pgm_read_dword_near(addr) pgm_read_dword(addr)
#define pgm_read_float_near(addr) pgm_read_float(addr)
#define pgm_read_ptr_near(addr) pgm_read_ptr(addr)
#define pgm_read_byte_far(addr) pgm_read_byte(addr)
#define pgm_read_word_far(addr) pgm_read_word(addr)
#define pgm_read_dword_far(addr) pgm_read_dword(addr)
#define pgm_read_float_far(addr) pgm_read_float(addr)
#define pgm_read_ptr_far(addr) pgm_read_ptr(addr)

#define pgm_get_far_address(x) ((uintptr_t)(&(x)))

#define memchr_P(s, c, n) memchr((s), (c), (n))
#define memcmp_P(a, b, n) memcmp((a), (b), (n))
#define memccpy_P(d, s, c, n) memccpy((d), (s), (c), (n))
#define memcpy_P(d, s, n) memcpy((d), (s), (n))
#define memmem_P(h, hl, n, nl) memmem((h), (hl), (n), (nl))
#define memrchr_P(s, c, n) memrchr((s), (c), (n))
#define strcat_P(d, s) strcat((d), (s))
#define strchr_P(s, c) strchr((s), (c))
#define strchrnul_P(s, c) strchrnul((s), (c))
#define strcmp_P(a, b) strcmp((a), (b))
#define strcpy_P(d, s) strcpy((d), (s))
#define strcasecmp_P(a, b) strcasecmp((a), (b))
#define strcspn_P(s, r) strcspn((s), (r))
#define strlcat_P(d, s, n) strlcat((d), (s), (n))
#define strlcpy_P(d, s, n) strlcpy((d), (s), (n))
#define strlen_P(s) strlen(s)
#define strnlen_P(s, n) strnlen((s), (n))
#define strncmp_P(a, b, n) strncmp((a), (b), (n))
#define strncasecmp_P(a, b, n) strncasecmp((a), (b), (n))
#define strncat_P(d, s, n) strncat((d), (s), (n))
#define strncpy_P(d, s, n) strncpy((d), (s), (n))
#define strpbrk_P(s, a) strpbrk((s), (a))
#define strrchr_P(s, c) strrchr((s), (c))
#define strsep_P(sp, d) strsep((sp), (d))
#define strspn_P(s, a) strspn((s), (a))
#define strstr_P(h, n) strstr((h), (n))
#define sprintf_P(s, ...) sprintf((s), __VA_ARGS__)
#define snprintf_P(s, n, ...) snprintf((s), (n), __VA_ARGS__)
#define vsnprintf_P(s, n, f, a) vsnprintf((s), (n), (f), (a))
#define printf_P(...) printf(__VA_ARGS__)
