// libb64/cdecode.h (twin): the streaming base64 decoder arduino-esp32 ships (libb64's C API).
// Characters outside the base64 alphabet (line breaks, spaces, '=' padding) are skipped.
//  base64_init_decodestate(&s); n = base64_decode_block(in, len, out, &s) (callable repeatedly,
//  returns the bytes completed). base64_decode_chars decodes a whole text and, when it produced
//  bytes, writes a NUL after them: `out` needs base64_decode_expected_len(len) + 1 bytes.
// Pure functions on caller-owned state and buffers; any thread. C and C++.
#pragma once

#define base64_decode_expected_len(n) ((n * 3) / 4)

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { step_a, step_b, step_c, step_d } base64_decodestep;

typedef struct {
  base64_decodestep step;
  char plainchar;
} base64_decodestate;

// The 6-bit value of a base64 character, or -1 (-2 for '=').
int base64_decode_value(char value_in);
void base64_init_decodestate(base64_decodestate* state_in);
int base64_decode_block(const char* code_in, const int length_in, char* plaintext_out, base64_decodestate* state_in);
int base64_decode_chars(const char* code_in, const int length_in, char* plaintext_out);

#ifdef __cplusplus
}
#endif
