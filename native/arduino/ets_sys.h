// ets_sys.h (twin): same as rom/ets_sys.h (the ESP8266-style path some libraries use).
#pragma once
#include "rom/ets_sys.h"
