// Must NOT compile: `NotASpace` is not a search space. The test passes when the compiler's message
// names the concept (tests/CMakeLists.txt, compile_fail.bad_space).
#include <enas/enas.hpp>

struct NotASpace {};

int main() {
  enas::controllers::Random<NotASpace> controller;
  (void)controller;
  return 0;
}
