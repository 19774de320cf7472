// Declaration-only stand-in (see ../README.md): the semaphore calls the port seam uses, with
// the signatures of ESP-IDF's FreeRTOS (where these are macros over the queue API).
#pragma once
#include "freertos/FreeRTOS.h"
SemaphoreHandle_t xSemaphoreCreateMutexStatic(StaticSemaphore_t* buffer);
BaseType_t xSemaphoreTake(SemaphoreHandle_t sem, TickType_t ticks);
BaseType_t xSemaphoreGive(SemaphoreHandle_t sem);
void vSemaphoreDelete(SemaphoreHandle_t sem);
