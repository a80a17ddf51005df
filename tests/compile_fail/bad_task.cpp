// Must NOT compile: the task bound to `TinySpace` has no `reward`. The test passes when the
// compiler's message names the concept and the missing member (tests/CMakeLists.txt,
// compile_fail.bad_task).
#include <enas/enas.hpp>
#include <enas/families/nas_bench_201/space.hpp>

#include <cstdint>
#include <functional>

namespace nb = enas::nas_bench_201;

struct TinySpace : nb::CellDag<3, nb::Skip, nb::NorConv<3>> {};

/// Everything a search task needs but the controller's reward.
struct TaskWithoutReward {
  using Options = enas::train::ImageOptions;
  using Data = enas::data::Cifar10Data;
  using Arch = TinySpace::Arch;
  static constexpr const char* reward_name = "acc";
  static constexpr const char* sample_score_name = "val_acc";
  static constexpr const char* progress_unit = "images";
  static constexpr const enas::io::LogFormat* log_format = &enas::io::kCifarLogFormat;
  std::int64_t batches_per_epoch() const { return 1; }
  std::int64_t units_per_step() const { return 1; }
  void reset_states() {}
  void reset_epoch_stats() {}
  int train_step(const Arch&, std::int64_t) { return 0; }
  std::int64_t draw_reward_batch() { return 0; }
  double score_on(const Arch&, std::int64_t) { return 0.0; }
  double evaluate_valid(const std::function<Arch()>&) { return 0.0; }
};

template <>
struct enas::train::TaskFor<TinySpace> {
  using Search = TaskWithoutReward;
  using Final = TaskWithoutReward;
};

int main() {
  static_assert(sizeof(enas::Supernet<TinySpace, enas::controllers::Random<TinySpace>>) > 0);
  return 0;
}
