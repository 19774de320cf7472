// AsyncWebServer.h of the twincore library (Arduino / PlatformIO): forwards to the core's header
// (native/core/AsyncWebServer.h: what it declares, its threads and lifetimes).
#pragma once
#include "../native/core/AsyncWebServer.h"
