// Must NOT compile: `ControllerWithoutSeed` samples and updates but cannot be built the way
// Supernet builds its controller, `Controller(ControllerOptions, std::uint64_t seed)`. The test
// passes when the compiler's message names the concept and that missing constructor
// (tests/CMakeLists.txt, compile_fail.bad_controller).
#include <enas/enas.hpp>

#include <cstdint>
#include <vector>

using Space = enas::spaces::PtbEnas;

struct ControllerWithoutSeed {
  using space_type = Space;
  static constexpr bool is_trainable = false;
  explicit ControllerWithoutSeed(enas::ControllerOptions options) : options_(options) {}
  enas::controllers::SampleBatch sample(std::int64_t, bool = false) { return {}; }
  enas::controllers::UpdateStats update(const enas::controllers::SampleBatch&, const std::vector<double>&) { return {}; }
  const enas::ControllerOptions& options() const { return options_; }

 private:
  enas::ControllerOptions options_;
};

int main() {
  static_assert(sizeof(enas::Supernet<Space, ControllerWithoutSeed>) > 0);
  return 0;
}
