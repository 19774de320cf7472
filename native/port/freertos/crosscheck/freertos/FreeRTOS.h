// Declaration-only stand-in (see ../README.md): the FreeRTOS types the port seam uses.
#pragma once
#include <stdint.h>
typedef int32_t BaseType_t;
typedef uint32_t TickType_t;
#define pdTRUE ((BaseType_t)1)
#define pdFALSE ((BaseType_t)0)
#define portMAX_DELAY ((TickType_t)0xffffffffUL)
typedef struct StaticSemaphore { void* opaque[20]; } StaticSemaphore_t;
typedef struct QueueDefinition* SemaphoreHandle_t;
