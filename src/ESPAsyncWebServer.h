// ESPAsyncWebServer.h of the twincore library (Arduino / PlatformIO): forwards to the core's header
// (native/core/ESPAsyncWebServer.h: what it declares, its threads and lifetimes).
#pragma once
#include "../native/core/ESPAsyncWebServer.h"
