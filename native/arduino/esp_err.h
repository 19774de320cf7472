// esp_err.h (twin): ESP-IDF 5.1 error codes and checks, on the host.
//
// ESP_ERROR_CHECK(x) on a failing x does what the board does: it prints the failure (here: an
// error line in the device log, in ESP-IDF's words) and aborts, which resets the board; here
// the device restarts (twin::requestRestart: on the loop task or a task the call does not
// return). ESP_ERROR_CHECK_WITHOUT_ABORT logs and yields the code.
// Threading: any thread. Lifetimes: esp_err_to_name returns static strings.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int esp_err_t;

#define ESP_OK 0
#define ESP_FAIL -1

#define ESP_ERR_NO_MEM 0x101
#define ESP_ERR_INVALID_ARG 0x102
#define ESP_ERR_INVALID_STATE 0x103
#define ESP_ERR_INVALID_SIZE 0x104
#define ESP_ERR_NOT_FOUND 0x105
#define ESP_ERR_NOT_SUPPORTED 0x106
#define ESP_ERR_TIMEOUT 0x107
#define ESP_ERR_INVALID_RESPONSE 0x108
#define ESP_ERR_INVALID_CRC 0x109
#define ESP_ERR_INVALID_VERSION 0x10A
#define ESP_ERR_INVALID_MAC 0x10B
#define ESP_ERR_NOT_FINISHED 0x10C
#define ESP_ERR_NOT_ALLOWED 0x10D

#define ESP_ERR_WIFI_BASE 0x3000
#define ESP_ERR_MESH_BASE 0x4000
#define ESP_ERR_FLASH_BASE 0x6000
#define ESP_ERR_HW_CRYPTO_BASE 0xc000
#define ESP_ERR_MEMPROT_BASE 0xd000

// The code's name ("ESP_ERR_NO_MEM"), or "UNKNOWN ERROR".
const char* esp_err_to_name(esp_err_t code);
// The same into buf (always terminated); returns buf.
const char* esp_err_to_name_r(esp_err_t code, char* buf, size_t buflen);

void twin_esp_error_check_failed(esp_err_t rc, const char* file, int line, const char* function,
                                 const char* expression);
void twin_esp_error_check_failed_without_abort(esp_err_t rc, const char* file, int line, const char* function,
                                               const char* expression);

#define ESP_ERROR_CHECK(x)                                                                 \
  do {                                                                                     \
    esp_err_t err_rc_ = (x);                                                               \
    if (err_rc_ != ESP_OK) twin_esp_error_check_failed(err_rc_, __FILE__, __LINE__, __func__, #x); \
  } while (0)

#define ESP_ERROR_CHECK_WITHOUT_ABORT(x)                                                   \
  __extension__({                                                                          \
    esp_err_t err_rc_ = (x);                                                               \
    if (err_rc_ != ESP_OK)                                                                 \
      twin_esp_error_check_failed_without_abort(err_rc_, __FILE__, __LINE__, __func__, #x); \
    err_rc_;                                                                               \
  })

#ifdef __cplusplus
}
#endif
