// The firmwares the host can boot, by name (host only; PlatformIO builds firmware/main.cpp).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "twin.h"

using FirmwareConfig = std::map<std::string, std::string>;

// Constructs the firmware on the calling thread (tests); a twin::Device needs firmwareFactory,
// which constructs it on the device's loop task. nullptr and *error on an unknown name or bad config.
std::unique_ptr<twin::Firmware> makeFirmware(const std::string& name, const FirmwareConfig& config,
                                             std::string* error);
std::vector<std::string> firmwareNames();
// A factory for twin::Device that builds the named firmware on the loop task. Validates the
// name and config first (false and *error on failure).
bool firmwareFactory(const std::string& name, const FirmwareConfig& config, twin::FirmwareFactory* out,
                     std::string* error);
