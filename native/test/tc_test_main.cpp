// tc_test_main.cpp: runs every registered TEST (see tc_test.h).
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "tc_test.h"

namespace tctest {
namespace {

struct Registry {
  TestCase* head = nullptr;
  TestCase* tail = nullptr;
};

Registry& registry() {
  static Registry r;  // function-local: safe whatever the static-initialisation order
  return r;
}

std::mutex g_mu;
const char* g_current = "";
int g_failures = 0;  // failures recorded in the current test

}  // namespace

Registrar::Registrar(TestCase* tc) {
  Registry& r = registry();
  tc->next = nullptr;
  if (r.tail) {
    r.tail->next = tc;
  } else {
    r.head = tc;
  }
  r.tail = tc;
}

void recordFailure(const char* file, int line, const std::string& what) {
  std::lock_guard<std::mutex> lock(g_mu);
  ++g_failures;
  std::fprintf(stderr, "FAIL %s: %s:%d: %s\n", g_current, file, line, what.c_str());
  std::fflush(stderr);
}

}  // namespace tctest

#include <csignal>

int main(int argc, char** argv) {
  // Tests write to sockets their peers close on purpose: a write error, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  using namespace tctest;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0;
  int failed = 0;
  for (TestCase* tc = registry().head; tc; tc = tc->next) {
    if (filter && !std::strstr(tc->name, filter)) continue;
    {
      std::lock_guard<std::mutex> lock(g_mu);
      g_current = tc->name;
      g_failures = 0;
    }
    tc->fn();
    int f;
    {
      std::lock_guard<std::mutex> lock(g_mu);
      f = g_failures;
    }
    if (f == 0) {
      ++passed;
    } else {
      ++failed;
      std::fprintf(stderr, "FAILED %s (%s:%d)\n", tc->name, tc->file, tc->line);
    }
  }
  std::printf("core unit tests: %d passed, %d failed\n", passed, failed);
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}
