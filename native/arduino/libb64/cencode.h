// libb64/cencode.h (twin): the streaming base64 encoder arduino-esp32 ships (libb64's C API).
// Output is standard base64 (RFC 4648 alphabet, '=' padding) with no line breaks.
//  base64_init_encodestate(&s); n = base64_encode_block(in, len, out, &s) (callable repeatedly,
//  returns the characters written); n += base64_encode_blockend(out + n, &s) (padding, then a
//  NUL that is not counted). base64_encode_chars does all three. `out` needs
//  base64_encode_expected_len(len) + 1 bytes. As on the board the macro does not parenthesise
//  its argument: pass a plain value.
// Pure functions on caller-owned state and buffers; any thread. C and C++.
#pragma once

#define base64_encode_expected_len(n) ((((4 * n) / 3) + 3) & ~3)

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { step_A, step_B, step_C } base64_encodestep;

typedef struct {
  base64_encodestep step;
  char result;
  int stepcount;
} base64_encodestate;

void base64_init_encodestate(base64_encodestate* state_in);
char base64_encode_value(char value_in);
int base64_encode_block(const char* plaintext_in, int length_in, char* code_out, base64_encodestate* state_in);
int base64_encode_blockend(char* code_out, base64_encodestate* state_in);
int base64_encode_chars(const char* plaintext_in, int length_in, char* code_out);

#ifdef __cplusplus
}
#endif
