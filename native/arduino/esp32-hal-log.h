// esp32-hal-log.h (twin): arduino-esp32's HAL log. log_e/log_w/log_i/log_d/log_v print
//   [<ms>][E][file.cpp:123] function(): message
// as one device log line (twin level Error, Warn, Info, Debug, Debug) when the build's
// CORE_DEBUG_LEVEL (0 none .. 5 verbose) lets them through. As on the board, the default
// CORE_DEBUG_LEVEL is 0: nothing is printed unless the build defines it (PlatformIO
// build_flags = -DCORE_DEBUG_LEVEL=3, or the twin's own defines); calls below the level compile
// to nothing and do not evaluate their arguments.
// log_printf writes raw text to the console (as Serial does: one log line per '\n').
// Threading: any thread; lines go to the calling thread's device (stderr off device threads).
// C and C++.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define ARDUHAL_LOG_LEVEL_NONE 0
#define ARDUHAL_LOG_LEVEL_ERROR 1
#define ARDUHAL_LOG_LEVEL_WARN 2
#define ARDUHAL_LOG_LEVEL_INFO 3
#define ARDUHAL_LOG_LEVEL_DEBUG 4
#define ARDUHAL_LOG_LEVEL_VERBOSE 5

#ifndef CORE_DEBUG_LEVEL
#define CORE_DEBUG_LEVEL ARDUHAL_LOG_LEVEL_NONE
#endif
#ifndef ARDUHAL_LOG_LEVEL
#define ARDUHAL_LOG_LEVEL CORE_DEBUG_LEVEL
#endif

#ifdef __cplusplus
extern "C" {
#endif
// The file name part of a path ("src/a/b.cpp" -> "b.cpp").
const char* pathToFileName(const char* path);
int log_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Hex dump of len bytes, 16 per log line.
void log_print_buf(const uint8_t* b, size_t len);
// One formatted HAL log line (what log_x expands to).
void twinHalLog(char level, const char* file, int line, const char* func, const char* fmt, ...)
    __attribute__((format(printf, 5, 6)));
#ifdef __cplusplus
}
#endif

#define TWIN_HAL_LOG(letter, format, ...) twinHalLog(letter, __FILE__, __LINE__, __FUNCTION__, format, ##__VA_ARGS__)

#if ARDUHAL_LOG_LEVEL >= ARDUHAL_LOG_LEVEL_VERBOSE
#define log_v(format, ...) TWIN_HAL_LOG('V', format, ##__VA_ARGS__)
#define log_buf_v(b, l) log_print_buf(b, l)
#else
#define log_v(format, ...) \
  do {                     \
  } while (0)
#define log_buf_v(b, l) \
  do {                  \
  } while (0)
#endif
#if ARDUHAL_LOG_LEVEL >= ARDUHAL_LOG_LEVEL_DEBUG
#define log_d(format, ...) TWIN_HAL_LOG('D', format, ##__VA_ARGS__)
#define log_buf_d(b, l) log_print_buf(b, l)
#else
#define log_d(format, ...) \
  do {                     \
  } while (0)
#define log_buf_d(b, l) \
  do {                  \
  } while (0)
#endif
#if ARDUHAL_LOG_LEVEL >= ARDUHAL_LOG_LEVEL_INFO
#define log_i(format, ...) TWIN_HAL_LOG('I', format, ##__VA_ARGS__)
#define log_buf_i(b, l) log_print_buf(b, l)
#else
#define log_i(format, ...) \
  do {                     \
  } while (0)
#define log_buf_i(b, l) \
  do {                  \
  } while (0)
#endif
#if ARDUHAL_LOG_LEVEL >= ARDUHAL_LOG_LEVEL_WARN
#define log_w(format, ...) TWIN_HAL_LOG('W', format, ##__VA_ARGS__)
#define log_buf_w(b, l) log_print_buf(b, l)
#else
#define log_w(format, ...) \
  do {                     \
  } while (0)
#define log_buf_w(b, l) \
  do {                  \
  } while (0)
#endif
#if ARDUHAL_LOG_LEVEL >= ARDUHAL_LOG_LEVEL_ERROR
#define log_e(format, ...) TWIN_HAL_LOG('E', format, ##__VA_ARGS__)
#define log_buf_e(b, l) log_print_buf(b, l)
#else
#define log_e(format, ...) \
  do {                     \
  } while (0)
#define log_buf_e(b, l) \
  do {                  \
  } while (0)
#endif
// "None" level: printed whenever logging is compiled in at all.
#if ARDUHAL_LOG_LEVEL > ARDUHAL_LOG_LEVEL_NONE
#define log_n(format, ...) TWIN_HAL_LOG('E', format, ##__VA_ARGS__)
#else
#define log_n(format, ...) \
  do {                     \
  } while (0)
#endif

#define isr_log_e log_e
#define isr_log_w log_w
#define isr_log_i log_i
#define isr_log_d log_d
#define isr_log_v log_v
