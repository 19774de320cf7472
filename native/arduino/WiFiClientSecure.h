// WiFiClientSecure.h (twin): not simulated.
#pragma once
#error "twincore: WiFiClientSecure is not simulated (TLS over blocking sockets); the twin runs AsyncTCP servers"
