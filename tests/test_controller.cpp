// Controllers: the samples follow the controller's own probabilities, both sampling paths agree,
// REINFORCE moves probability towards rewarded choices, TF-style Adam.
#include <ATen/ATen.h>

#include <cmath>
#include <map>
#include <vector>

#include "enas/controllers.hpp"
#include "enas/spaces.hpp"
#include "enas/train/tf_adam.hpp"
#include "support.hpp"

#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

namespace {

// 3 nodes, 2 activations: 2·1·2·2·2 = 16 architectures, small enough to enumerate.
using Small = enas::spaces::PtbCell<3, enas::Tanh, enas::ReLU>;

std::vector<std::vector<int>> all_small_arcs() {
  std::vector<std::vector<int>> arcs;
  for (int a0 = 0; a0 < 2; ++a0)
    for (int a2 = 0; a2 < 2; ++a2)
      for (int p2 = 0; p2 < 2; ++p2)
        for (int a4 = 0; a4 < 2; ++a4) arcs.push_back({a0, 0, a2, p2, a4});
  return arcs;
}

at::Tensor as_tokens(const std::vector<std::vector<int>>& arcs) {
  auto t = at::empty({static_cast<std::int64_t>(arcs.size()), Small::num_tokens}, at::kLong);
  for (std::size_t i = 0; i < arcs.size(); ++i)
    for (int j = 0; j < Small::num_tokens; ++j) t[static_cast<std::int64_t>(i)][j] = arcs[i][static_cast<std::size_t>(j)];
  return t;
}

// Pearson chi-square of observed counts against the controller's probabilities of all 16 arcs.
template <class Controller>
double chi_square(Controller& c, const std::map<std::vector<int>, int>& counts, int n) {
  const auto arcs = all_small_arcs();
  const auto probs = c.score(as_tokens(arcs)).log_prob.exp();
  double chi = 0.0;
  for (std::size_t i = 0; i < arcs.size(); ++i) {
    const double expected = n * probs[static_cast<std::int64_t>(i)].template item<double>();
    const auto it = counts.find(arcs[i]);
    const double observed = it == counts.end() ? 0.0 : it->second;
    chi += (observed - expected) * (observed - expected) / expected;
  }
  return chi;
}

enas::ControllerOptions small_options() {
  auto o = Small::controller_defaults();
  o.lstm_size = 16;
  o.temperature = 1.0;  // sharper than the PTB default, so probabilities differ clearly
  o.tanh_constant = 2.5;
  o.init_range = 0.5;
  return o;
}

}  // namespace

TEST_CASE("the controller's probabilities over all architectures sum to one", "[controller]") {
  at::manual_seed(3);
  enas::controllers::Lstm<Small> c(small_options(), 7);
  const auto probs = c.score(as_tokens(all_small_arcs())).log_prob.exp();
  CHECK(probs.sum().item<double>() == Approx(1.0).epsilon(1e-5));
  CHECK(probs.max().item<double>() > 2.0 * probs.min().item<double>());  // not uniform: the test has power
}

TEST_CASE("sampled architectures follow the controller's own probabilities", "[controller][statistics]") {
  at::manual_seed(3);
  enas::controllers::Lstm<Small> c(small_options(), 11);
  const int n = 20000;
  std::map<std::vector<int>, int> batched, one_by_one;
  const auto batch = c.sample(n);  // tensor path, one batched pass
  for (std::int64_t k = 0; k < n; ++k) ++batched[batch.arc(k)];
  for (int k = 0; k < n; ++k) ++one_by_one[c.sample(1).arc(0)];  // host fast path
  // 15 degrees of freedom: P(chi² > 37.7) = 0.001. The seeds are fixed, so the outcome is too.
  CHECK(chi_square(c, batched, n) < 37.7);
  CHECK(chi_square(c, one_by_one, n) < 37.7);
}

TEST_CASE("host fast path and tensor path draw the same architectures", "[controller]") {
  at::manual_seed(5);
  enas::controllers::Lstm<enas::spaces::PtbEnas> c(enas::spaces::PtbEnas::controller_defaults(), 3);
  REQUIRE(c.net()->host_path_available());
  for (int i = 0; i < 100; ++i) {
    auto twin = c.generator().clone();
    const auto host = c.net()->sample_on_host(c.generator());
    at::NoGradGuard no_grad;
    const auto tensor = c.net()->run(1, at::Tensor(), twin);
    REQUIRE(at::equal(host.tokens, tensor.tokens));
    CHECK(host.log_prob.item<double>() == Approx(tensor.log_prob.item<double>()).margin(1e-4));
    CHECK(host.entropy.item<double>() == Approx(tensor.entropy.item<double>()).margin(1e-4));
  }
}

TEST_CASE("scoring an architecture gives the log-probability it was sampled with", "[controller]") {
  at::manual_seed(1);
  enas::controllers::Lstm<enas::spaces::PtbEnas> c;
  const auto s = c.sample(8);
  const auto again = c.score(s.tokens);
  CHECK(at::allclose(s.log_prob, again.log_prob, 1e-5, 1e-5));
  CHECK(at::allclose(s.entropy, again.entropy, 1e-5, 1e-5));
  CHECK((s.log_prob < 0).all().item<bool>());
  // Every sample is a valid architecture.
  for (std::int64_t k = 0; k < s.size(); ++k) CHECK_NOTHROW(enas::spaces::PtbEnas::decode(s.arc(k)));
}

TEST_CASE("REINFORCE raises the probability of a rewarded choice", "[controller][reinforce]") {
  at::manual_seed(2);
  auto o = small_options();
  o.lr = 0.05;
  o.entropy_weight = 0.0;
  o.num_aggregate = 10;
  enas::controllers::Lstm<Small> c(o, 13);
  // P(node 0 uses ReLU) = sum over the eight architectures with a[0] = 1.
  auto p_relu = [&] {
    const auto probs = c.score(as_tokens(all_small_arcs())).log_prob.exp();
    return probs.narrow(0, 8, 8).sum().item<double>();
  };
  const double before = p_relu();
  for (int update = 0; update < 40; ++update) {
    const auto batch = c.sample(o.num_aggregate, /*with_grad=*/true);
    std::vector<double> reward;
    for (std::int64_t k = 0; k < batch.size(); ++k) reward.push_back(batch.arc(k)[0] == 1 ? 1.0 : 0.0);
    c.update(batch, reward);
  }
  const double after = p_relu();
  INFO("P(ReLU at node 0): " << before << " -> " << after);
  CHECK(after > before + 0.3);
  CHECK(after > 0.85);
}

TEST_CASE("the baseline is an exponential moving average updated before the loss", "[controller][reinforce]") {
  auto o = small_options();
  o.bl_dec = 0.9;
  o.entropy_weight = 0.0;
  enas::controllers::Lstm<Small> c(o, 1);
  const auto batch = c.sample(3, true);
  const auto stats = c.update(batch, {1.0, 0.0, 2.0});
  // b1 = 0 - 0.1(0 - 1) = 0.1; b2 = 0.1 - 0.1(0.1 - 0) = 0.09; b3 = 0.09 - 0.1(0.09 - 2) = 0.281
  CHECK(stats.baseline[0] == Approx(0.1));
  CHECK(stats.baseline[1] == Approx(0.09));
  CHECK(stats.baseline[2] == Approx(0.281));
  const auto lp = batch.log_prob.detach();
  CHECK(stats.loss[0] == Approx(-lp[0].item<double>() * (1.0 - 0.1)).epsilon(1e-5));
  CHECK(c.baseline() == Approx(0.281));
}

TEST_CASE("the random controller is uniform over the space", "[controller][statistics]") {
  enas::controllers::Random<Small> c(Small::controller_defaults(), 4);
  const int n = 16000;
  std::map<std::vector<int>, int> counts;
  const auto batch = c.sample(n);
  for (std::int64_t k = 0; k < n; ++k) ++counts[batch.arc(k)];
  CHECK(counts.size() == 16);
  CHECK(chi_square(c, counts, n) < 37.7);
  CHECK(batch.log_prob[0].item<double>() == Approx(-std::log(16.0)));
}

TEST_CASE("TfAdam applies TensorFlow's update with epsilon before bias correction", "[controller][optim]") {
  auto w = at::zeros({2}).requires_grad_();
  enas::train::TfAdam adam({w}, {0.1, 0.0, 0.999, 1e-3});
  w.mutable_grad() = at::tensor({2.0f, -0.5f});
  adam.step();
  // t = 1, beta1 = 0: m = g, v = 0.001 g², lr_t = 0.1 sqrt(0.001); w = -lr_t g / (sqrt(v) + eps).
  const double lr_t = 0.1 * std::sqrt(1 - 0.999);
  for (int i = 0; i < 2; ++i) {
    const double g = i == 0 ? 2.0 : -0.5;
    const double expected = -lr_t * g / (std::sqrt(0.001 * g * g) + 1e-3);
    CHECK(w[i].item<double>() == Approx(expected).epsilon(1e-5));
  }
}
