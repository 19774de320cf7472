// tc_test.h: a tiny unit-test framework for the native tests (host only).
//
//   TEST(name) { ... }        defines and registers a test (names are per file: internal linkage)
//   CHECK(cond)               records a failure with file:line and goes on
//   CHECK_EQ(a, b)            same, printing both values; integers compare by value whatever their
//                             signedness, enums by underlying value, and two C strings
//                             (char* / const char*) by content (nullptr equals only nullptr)
//   CHECK_MSG(cond, msg)      CHECK with an extra message (anything streamable to std::ostream)
//   REQUIRE(cond)             CHECK, and on failure returns from the test function
//
// tc_test_main.cpp runs every test (or those whose name contains argv[1]), prints each failure and
// ends with "core unit tests: <passed> passed, <failed> failed"; exit status 1 if any test failed.
// Threading: tests run one at a time on the main thread; CHECK* may be called from other threads
// only while the test function is still running (failures are recorded under a lock).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <type_traits>

namespace tctest {

using TestFn = void (*)();

struct TestCase {
  const char* name;
  const char* file;
  int line;
  TestFn fn;
  TestCase* next;
};

// Registers a test at static-initialisation time (intrusive list, no allocation).
struct Registrar {
  Registrar(TestCase* tc);
};

void recordFailure(const char* file, int line, const std::string& what);

template <typename T>
std::string show(const T& v) {
  using D = std::decay_t<T>;
  std::ostringstream os;
  if constexpr (std::is_same_v<D, bool>) {
    os << (v ? "true" : "false");
  } else if constexpr (std::is_enum_v<D>) {
    os << static_cast<long long>(static_cast<std::underlying_type_t<D>>(v));
  } else if constexpr (std::is_same_v<D, char> || std::is_same_v<D, signed char> ||
                       std::is_same_v<D, unsigned char>) {
    os << static_cast<int>(v);
  } else if constexpr (std::is_same_v<D, const char*> || std::is_same_v<D, char*>) {
    if (v == nullptr) {
      os << "(null)";
    } else {
      os << '"' << v << '"';
    }
  } else if constexpr (std::is_same_v<D, std::nullptr_t>) {
    os << "nullptr";
  } else {
    os << v;
  }
  return os.str();
}

template <typename A, typename B>
bool equal(const A& a, const B& b) {
  using DA = std::decay_t<A>;
  using DB = std::decay_t<B>;
  constexpr bool strA = std::is_same_v<DA, const char*> || std::is_same_v<DA, char*>;
  constexpr bool strB = std::is_same_v<DB, const char*> || std::is_same_v<DB, char*>;
  if constexpr (strA && strB) {
    if (a == nullptr || b == nullptr) return a == b;
    return std::strcmp(a, b) == 0;
  } else if constexpr (std::is_integral_v<DA> && std::is_integral_v<DB> && !std::is_same_v<DA, bool> &&
                       !std::is_same_v<DB, bool>) {
    if constexpr (std::is_signed_v<DA> != std::is_signed_v<DB>) {
      if constexpr (std::is_signed_v<DA>) {
        return a >= 0 && static_cast<std::make_unsigned_t<DA>>(a) == b;
      } else {
        return b >= 0 && a == static_cast<std::make_unsigned_t<DB>>(b);
      }
    } else {
      return a == b;
    }
  } else {
    return a == b;
  }
}

// Arrays (string literals, char buffers) are compared as pointers to their first element.
template <typename T>
const T& arg(const T& v) {
  return v;
}
template <typename T, size_t N>
const T* arg(const T (&v)[N]) {
  return v;
}

template <typename A, typename B>
void checkEq(const A& a, const B& b, const char* ea, const char* eb, const char* file, int line) {
  if (!equal(a, b)) {
    recordFailure(file, line, std::string(ea) + " == " + eb + " (" + show(a) + " vs " + show(b) + ")");
  }
}

}  // namespace tctest

#define TEST(name)                                                                          \
  static void tc_test_fn_##name();                                                          \
  static ::tctest::TestCase tc_test_case_##name = {#name, __FILE__, __LINE__, &tc_test_fn_##name, \
                                                   nullptr};                                \
  static ::tctest::Registrar tc_test_reg_##name(&tc_test_case_##name);                     \
  static void tc_test_fn_##name()

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) ::tctest::recordFailure(__FILE__, __LINE__, #cond); \
  } while (0)

#define CHECK_MSG(cond, msg)                                                                   \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::ostringstream tc_os_;                                                               \
      tc_os_ << #cond << " -- " << msg;                                                        \
      ::tctest::recordFailure(__FILE__, __LINE__, tc_os_.str());                               \
    }                                                                                          \
  } while (0)

#define CHECK_EQ(a, b) ::tctest::checkEq(::tctest::arg(a), ::tctest::arg(b), #a, #b, __FILE__, __LINE__)

#define REQUIRE(cond)                                                \
  do {                                                               \
    if (!(cond)) {                                                   \
      ::tctest::recordFailure(__FILE__, __LINE__, #cond);            \
      return;                                                        \
    }                                                                \
  } while (0)
