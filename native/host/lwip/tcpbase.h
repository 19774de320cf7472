// lwip/tcpbase.h (twin): lwIP's TCP connection states, the values AsyncClient::state() and
// AsyncServer::status() return (ESPAsyncWebServer includes this header for AsyncWebServer::state()).
// Declarations only: no threading rules, no objects.
#pragma once

enum tcp_state {
  CLOSED = 0,
  LISTEN = 1,
  SYN_SENT = 2,
  SYN_RCVD = 3,
  ESTABLISHED = 4,
  FIN_WAIT_1 = 5,
  FIN_WAIT_2 = 6,
  CLOSE_WAIT = 7,
  CLOSING = 8,
  LAST_ACK = 9,
  TIME_WAIT = 10
};
