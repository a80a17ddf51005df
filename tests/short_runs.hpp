// Short searches and final trainings on a slice of real data, the same checks for every image
// family: the loop runs the steps and controller updates it was asked for, derive ranks its
// samples and its architectures round-trip, and a final training lowers its loss.
#ifndef ENAS_TESTS_SHORT_RUNS_HPP
#define ENAS_TESTS_SHORT_RUNS_HPP

#include <cstdint>
#include <filesystem>
#include <utility>

#include "enas/final_training.hpp"
#include "enas/supernet.hpp"
#include "support.hpp"

#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

namespace enas::test {

/// A search of 10 steps over 2 epochs (batch 32) with 2 controller updates of 3 samples, checked
/// and derived from 5 samples. `o` brings the family's defaults and its network's size.
template <class Space>
void check_short_search(train::ImageOptions o, const data::Cifar10Data& data, const std::filesystem::path& dir,
                        std::uint64_t seed) {
  o.batch_size = 32;
  o.num_epochs = 2;
  o.max_steps = 10;
  o.log_every = 5;
  auto co = Space::controller_defaults();
  co.train_steps = 2;
  co.num_aggregate = 3;
  io::RunLog log(dir, false);
  Supernet<Space> net(o, co, data, at::Device(enas::test::device_name()), seed);
  net.search(log);
  CHECK(net.step() == 10);
  CHECK(net.controller_updates() == 2);
  const auto best = net.derive(5);
  REQUIRE(best.size() == 5);
  CHECK(best.front().score >= best.back().score);
  CHECK(best.front().score >= 0.0);
  CHECK(best.front().score <= 1.0);
  CHECK(Space::format(Space::parse(Space::format(best.front().arch))) == Space::format(best.front().arch));
}

/// Mean training loss of the first and the last `window` of `steps` steps of `run`.
template <class Run>
std::pair<double, double> first_and_last_loss(Run& run, int steps = 60, int window = 10) {
  double first = 0.0, last = 0.0;
  for (int s = 0; s < steps; ++s) {
    const double loss = run.train_step().loss.template item<double>();
    if (s < window) first += loss / window;
    if (s >= steps - window) last += loss / window;
  }
  return {first, last};
}

}  // namespace enas::test

#endif  // ENAS_TESTS_SHORT_RUNS_HPP
