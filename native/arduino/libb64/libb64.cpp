// libb64.cpp: the libb64-style streaming base64 encoder and decoder (rules: cencode.h,
// cdecode.h). Written as small state machines over the three/four steps of a quantum.
#include "cdecode.h"
#include "cencode.h"

namespace {
const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

extern "C" {

void base64_init_encodestate(base64_encodestate* s) {
  s->step = step_A;
  s->result = 0;
  s->stepcount = 0;
}

char base64_encode_value(char v) {
  unsigned u = static_cast<unsigned char>(v);
  return u > 63 ? '=' : kAlphabet[u];
}

// Each input byte completes one or two output characters; the bits left over wait in
// s->result for the next byte (step_B: 2 bits, step_C: 4 bits).
int base64_encode_block(const char* in, int len, char* out, base64_encodestate* s) {
  char* o = out;
  unsigned carry = static_cast<unsigned char>(s->result);
  for (int i = 0; i < len; ++i) {
    unsigned b = static_cast<unsigned char>(in[i]);
    switch (s->step) {
      case step_A:
        *o++ = kAlphabet[b >> 2];
        carry = (b & 0x03) << 4;
        s->step = step_B;
        break;
      case step_B:
        *o++ = kAlphabet[carry | (b >> 4)];
        carry = (b & 0x0f) << 2;
        s->step = step_C;
        break;
      case step_C:
        *o++ = kAlphabet[carry | (b >> 6)];
        *o++ = kAlphabet[b & 0x3f];
        carry = 0;
        s->step = step_A;
        break;
    }
  }
  s->result = char(carry);
  return int(o - out);
}

int base64_encode_blockend(char* out, base64_encodestate* s) {
  char* o = out;
  unsigned carry = static_cast<unsigned char>(s->result);
  if (s->step == step_B) {
    *o++ = kAlphabet[carry];
    *o++ = '=';
    *o++ = '=';
  } else if (s->step == step_C) {
    *o++ = kAlphabet[carry];
    *o++ = '=';
  }
  *o = 0;
  s->step = step_A;
  s->result = 0;
  return int(o - out);
}

int base64_encode_chars(const char* in, int len, char* out) {
  base64_encodestate s;
  base64_init_encodestate(&s);
  int n = base64_encode_block(in, len, out, &s);
  return n + base64_encode_blockend(out + n, &s);
}

int base64_decode_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  if (c == '=') return -2;
  return -1;
}

void base64_init_decodestate(base64_decodestate* s) {
  s->step = step_a;
  s->plainchar = 0;
}

// Four characters make three bytes; the partial byte waits in s->plainchar between calls.
int base64_decode_block(const char* in, const int len, char* out, base64_decodestate* s) {
  char* o = out;
  unsigned partial = static_cast<unsigned char>(s->plainchar);
  for (int i = 0; i < len; ++i) {
    int v = base64_decode_value(in[i]);
    if (v < 0) continue;
    unsigned u = unsigned(v);
    switch (s->step) {
      case step_a:
        partial = (u << 2) & 0xff;
        s->step = step_b;
        break;
      case step_b:
        *o++ = char(partial | (u >> 4));
        partial = (u << 4) & 0xff;
        s->step = step_c;
        break;
      case step_c:
        *o++ = char(partial | (u >> 2));
        partial = (u << 6) & 0xff;
        s->step = step_d;
        break;
      case step_d:
        *o++ = char(partial | u);
        partial = 0;
        s->step = step_a;
        break;
    }
  }
  s->plainchar = char(partial);
  return int(o - out);
}

int base64_decode_chars(const char* in, const int len, char* out) {
  base64_decodestate s;
  base64_init_decodestate(&s);
  int n = base64_decode_block(in, len, out, &s);
  if (n > 0) out[n] = 0;
  return n;
}

}  // extern "C"
