// tc_port_impl.h of the twincore library (Arduino / PlatformIO): the core's port seam on the board
// is the FreeRTOS one (native/port/freertos/tc_port_impl.h: a FreeRTOS mutex, esp_timer millis(),
// malloc). The desktop twin builds with native/port/std instead and never sees this file.
#pragma once
#include "../native/port/freertos/tc_port_impl.h"
