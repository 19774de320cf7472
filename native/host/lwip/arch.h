// lwip/arch.h (twin): lwIP's fixed-width integer names (u8_t ... s32_t), as every lwIP header uses
// them. Typedefs only: no threading rules, no objects.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8_t;
typedef int8_t s8_t;
typedef uint16_t u16_t;
typedef int16_t s16_t;
typedef uint32_t u32_t;
typedef int32_t s32_t;
