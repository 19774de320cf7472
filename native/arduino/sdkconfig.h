// sdkconfig.h (twin): the ESP-IDF build configuration values firmware and libraries test, as
// Arduino-ESP32 3.0 (ESP-IDF 5.1) sets them for a classic dual-core ESP32. Macros only.
//
// These are the board's compile-time defaults. The twin's run-time Profile can differ from them
// (a single-core profile, another connection limit or TCP window): the profile decides what the
// simulated device does; these values only steer how the firmware is compiled, as on a board
// whose sdkconfig was fixed at build time. CONFIG_FREERTOS_UNICORE is deliberately not defined.
// Threading and lifetimes: nothing (constants).
#pragma once

// Target
#define CONFIG_IDF_TARGET "esp32"
#define CONFIG_IDF_TARGET_ESP32 1
#define CONFIG_IDF_FIRMWARE_CHIP_ID 0x0000
#define CONFIG_SOC_CPU_CORES_NUM 2
#define CONFIG_ESP32_DEFAULT_CPU_FREQ_MHZ 240
#define CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ 240
#define CONFIG_ESPTOOLPY_FLASHSIZE "4MB"
#define CONFIG_ESP_CONSOLE_UART_BAUDRATE 115200
#define CONFIG_CONSOLE_UART_BAUDRATE 115200

// FreeRTOS
#define CONFIG_FREERTOS_HZ 1000
#define CONFIG_FREERTOS_NUMBER_OF_CORES 2
#define CONFIG_FREERTOS_MAX_TASK_NAME_LEN 16
#define CONFIG_FREERTOS_TIMER_TASK_PRIORITY 1
#define CONFIG_FREERTOS_TIMER_TASK_STACK_DEPTH 2048
#define CONFIG_FREERTOS_TIMER_QUEUE_LENGTH 10
#define CONFIG_FREERTOS_IDLE_TASK_STACKSIZE 1536
#define CONFIG_FREERTOS_ISR_STACKSIZE 1536
#define CONFIG_FREERTOS_THREAD_LOCAL_STORAGE_POINTERS 1
#define CONFIG_FREERTOS_SUPPORT_STATIC_ALLOCATION 1
#define CONFIG_FREERTOS_CHECK_STACKOVERFLOW_CANARY 1

// Arduino core
#define CONFIG_ARDUINO_RUNNING_CORE 1
#define CONFIG_ARDUINO_EVENT_RUNNING_CORE 1
#define CONFIG_ARDUINO_LOOP_STACK_SIZE 8192
#define CONFIG_ARDUINO_SERIAL_EVENT_TASK_RUNNING_CORE -1
#define CONFIG_ARDUINO_UDP_RUNNING_CORE -1
#define CONFIG_ARDUINO_UDP_TASK_PRIORITY 3

// AsyncTCP: the library's own default (any core); its other CONFIG_ASYNC_TCP_* keep the
// library's defaults.
#define CONFIG_ASYNC_TCP_RUNNING_CORE -1

// ESP system: task watchdog (initialised at boot, 5 s, no panic), esp_timer task, main task
#define CONFIG_ESP_TASK_WDT 1
#define CONFIG_ESP_TASK_WDT_EN 1
#define CONFIG_ESP_TASK_WDT_INIT 1
#define CONFIG_ESP_TASK_WDT_TIMEOUT_S 5
#define CONFIG_ESP_TASK_WDT_CHECK_IDLE_TASK_CPU0 1
#define CONFIG_ESP_INT_WDT 1
#define CONFIG_ESP_INT_WDT_TIMEOUT_MS 300
#define CONFIG_ESP_TIMER_TASK_STACK_SIZE 4096
#define CONFIG_ESP_TIMER_TASK_AFFINITY_CPU0 1
#define CONFIG_ESP_MAIN_TASK_STACK_SIZE 3584
#define CONFIG_ESP_SYSTEM_EVENT_TASK_STACK_SIZE 2304
#define CONFIG_ESP_SYSTEM_EVENT_QUEUE_SIZE 32

// WiFi present (ESPAsyncWebServer and others test these)
#define CONFIG_ESP32_WIFI_ENABLED 1
#define CONFIG_ESP_WIFI_ENABLED 1
#define CONFIG_SOC_WIFI_SUPPORTED 1

// lwIP: the numbers the twin's default Profile also uses (native/host/twin.h)
#define CONFIG_LWIP_MAX_ACTIVE_TCP 16
#define CONFIG_LWIP_MAX_LISTENING_TCP 16
#define CONFIG_LWIP_MAX_SOCKETS 10
#define CONFIG_LWIP_TCP_MSS 1436
#define CONFIG_LWIP_TCP_SND_BUF_DEFAULT 5760
#define CONFIG_LWIP_TCP_WND_DEFAULT 5760
#define CONFIG_LWIP_TCP_RECVMBOX_SIZE 6
#define CONFIG_LWIP_TCPIP_TASK_STACK_SIZE 3072
#define CONFIG_LWIP_IPV6 1
#define CONFIG_LWIP_DHCP_MAX_NTP_SERVERS 1
#define CONFIG_LWIP_SO_REUSE 1

// Logging
#define CONFIG_LOG_DEFAULT_LEVEL 1
#define CONFIG_LOG_MAXIMUM_LEVEL 5
#define CONFIG_ARDUHAL_LOG_DEFAULT_LEVEL 0
