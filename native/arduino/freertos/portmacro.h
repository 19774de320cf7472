// freertos/portmacro.h (twin): part of the kernel's configuration and port layer, which the host keeps
// in one place: freertos/FreeRTOS.h (see there for the model, threading and lifetimes). This
// header exists so that code including it directly, as some ESP-IDF code does, compiles.
#pragma once
#include "freertos/FreeRTOS.h"
