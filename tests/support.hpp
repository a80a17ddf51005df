// Helpers shared by the test files.
#ifndef ENAS_TESTS_SUPPORT_HPP
#define ENAS_TESTS_SUPPORT_HPP

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "enas/data/locate.hpp"

namespace enas::test {

/// The published PTB cell (scripts/ptb_final.sh, enas-reference.md §3.6).
inline const char* kSeedPtbArc = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1";

/// The device of the training tests (tasks, searches, final trainings, host reads, mixed
/// precision): $ENAS_TEST_DEVICE ("cpu", "cuda", "cuda:1"), the CPU when unset. Format, data and
/// exact-resume tests stay on the CPU: their contract is bit-exact there.
inline std::string device_name() {
  const char* env = std::getenv("ENAS_TEST_DEVICE");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("cpu");
}

/// The folder of a real data set (data/<name>, $ENAS_DATA_DIR/<name>, ../shared/data/<name>),
/// or empty when it is not on this machine.
inline std::filesystem::path real_data_dir(const std::string& name, const std::vector<std::string>& files) {
  return enas::data::find_data_dir(name, files, ENAS_PROJECT_DIR);
}

}  // namespace enas::test

#endif  // ENAS_TESTS_SUPPORT_HPP
