// Declaration-only stand-in (see ../README.md): the task call the port seam uses.
#pragma once
#include "freertos/FreeRTOS.h"
void vTaskDelay(TickType_t ticks);
