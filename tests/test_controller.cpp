// Controllers: every formula against independent numbers (tests/baselines), the samples follow
// the controller's own probabilities, both sampling paths agree, REINFORCE moves probability
// towards rewarded choices, TF-style Adam.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "enas/controllers.hpp"
#include "enas/spaces.hpp"
#include "enas/optim/tf_adam.hpp"
#include "baselines/controller_baseline.hpp"
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
  enas::optim::TfAdam adam({w}, {0.1, 0.0, 0.999, 1e-3});
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

// ---------------------------------------------------------------------------------------------
// Every formula of the three controllers against tests/baselines/controller_baseline.py, which
// computes them in float64 from enas-reference.md §6 alone (not from this library).

namespace {

// One space's baseline, gathered from its namespace in the generated header.
struct Baseline {
  int lstm_size = 0;
  double tanh_constant = 0, temperature = 0, entropy_weight = 0, bl_dec = 0, lr = 0, skip_weight = 0;
  std::vector<std::pair<std::string, std::vector<float>>> weights;       // parameter name -> values
  std::vector<std::pair<std::string, std::vector<double>>> after_adam;  // the same after one step
  std::vector<std::vector<int>> tokens;
  std::vector<int> width;  // of each decision
  std::vector<std::vector<double>> raw, logits, decision_log_prob, decision_entropy_sampled, decision_entropy_full;
  std::vector<double> log_prob, entropy, entropy_sampled, entropy_full, skip_penalty;
  std::vector<double> task_reward, reward, baseline_after, loss;
  double baseline_start = 0, grad_norm = 0;
};

template <class T, std::size_t N>
std::vector<T> vec(const T (&a)[N]) {
  return std::vector<T>(a, a + N);
}
template <class T, std::size_t R, std::size_t C>
std::vector<std::vector<T>> rows(const T (&a)[R][C]) {
  std::vector<std::vector<T>> out;
  for (std::size_t r = 0; r < R; ++r) out.push_back(std::vector<T>(a[r], a[r] + C));
  return out;
}

#define ENAS_BASELINE_OF(ns)                                                                                        \
  [] {                                                                                                              \
    namespace b = enas_baseline::ns;                                                                                \
    Baseline x;                                                                                                     \
    x.lstm_size = b::lstm_size;                                                                                     \
    x.tanh_constant = b::tanh_constant;                                                                             \
    x.temperature = b::temperature;                                                                                 \
    x.entropy_weight = b::entropy_weight;                                                                           \
    x.bl_dec = b::bl_dec;                                                                                           \
    x.lr = b::lr;                                                                                                   \
    x.skip_weight = b::skip_weight;                                                                                 \
    x.weights = {{"w_lstm", vec(b::w_lstm)},     {"g_emb", vec(b::g_emb)},       {"w_emb", vec(b::w_emb)},         \
                 {"w_soft", vec(b::w_soft)},     {"w_attn_1", vec(b::w_attn_1)}, {"w_attn_2", vec(b::w_attn_2)},   \
                 {"v_attn", vec(b::v_attn)}};                                                                       \
    x.after_adam = {{"w_lstm", vec(b::w_lstm_after)},     {"g_emb", vec(b::g_emb_after)},                           \
                    {"w_emb", vec(b::w_emb_after)},       {"w_soft", vec(b::w_soft_after)},                         \
                    {"w_attn_1", vec(b::w_attn_1_after)}, {"w_attn_2", vec(b::w_attn_2_after)},                     \
                    {"v_attn", vec(b::v_attn_after)}};                                                              \
    for (const auto& t : rows(b::tokens)) x.tokens.push_back(t);                                                    \
    x.width = vec(b::decision_width);                                                                               \
    x.raw = rows(b::raw);                                                                                           \
    x.logits = rows(b::logits);                                                                                     \
    x.decision_log_prob = rows(b::decision_log_prob);                                                               \
    x.decision_entropy_sampled = rows(b::decision_entropy_sampled);                                                 \
    x.decision_entropy_full = rows(b::decision_entropy_full);                                                       \
    x.log_prob = vec(b::log_prob);                                                                                  \
    x.entropy = vec(b::entropy);                                                                                    \
    x.entropy_sampled = vec(b::entropy_sampled);                                                                    \
    x.entropy_full = vec(b::entropy_full);                                                                          \
    x.skip_penalty = vec(b::skip_penalty);                                                                          \
    x.task_reward = vec(b::task_reward);                                                                            \
    x.reward = vec(b::reward);                                                                                      \
    x.baseline_after = vec(b::baseline_after);                                                                      \
    x.loss = vec(b::loss);                                                                                          \
    x.baseline_start = b::baseline_start;                                                                           \
    x.grad_norm = b::grad_norm;                                                                                     \
    return x;                                                                                                       \
  }()

Baseline micro_baseline() {
  auto x = ENAS_BASELINE_OF(micro);
  x.weights.emplace_back("b_soft", vec(enas_baseline::micro::b_soft));
  x.after_adam.emplace_back("b_soft", vec(enas_baseline::micro::b_soft_after));
  return x;
}

/// The space's reference defaults with the baseline's LSTM size, after checking that the space's
/// defaults are the values the script took from the spec.
template <class Space>
enas::ControllerOptions baseline_options(const Baseline& b) {
  auto o = Space::controller_defaults();
  CHECK(o.tanh_constant == b.tanh_constant);
  CHECK(o.temperature == b.temperature);
  CHECK(o.entropy_weight == b.entropy_weight);
  CHECK(o.bl_dec == b.bl_dec);
  CHECK(o.lr == b.lr);
  CHECK(o.skip_weight == b.skip_weight);
  o.lstm_size = b.lstm_size;
  return o;
}

template <class Net>
void load_weights(Net& net, const Baseline& b) {
  at::NoGradGuard no_grad;
  auto params = net->named_parameters();
  REQUIRE(params.size() == b.weights.size());
  for (const auto& [name, values] : b.weights) {
    REQUIRE(params.contains(name));
    auto& p = params[name];
    REQUIRE(p.numel() == static_cast<std::int64_t>(values.size()));
    p.copy_(at::tensor(values, at::kFloat).view(p.sizes()));
  }
}

at::Tensor tokens_of(const std::vector<std::vector<int>>& arcs) {
  auto t = at::empty({static_cast<std::int64_t>(arcs.size()), static_cast<std::int64_t>(arcs[0].size())}, at::kLong);
  for (std::size_t i = 0; i < arcs.size(); ++i)
    for (std::size_t j = 0; j < arcs[i].size(); ++j) t[static_cast<std::int64_t>(i)][static_cast<std::int64_t>(j)] = arcs[i][j];
  return t;
}

/// Compares a trace of all samples (rows) with the baseline, within `tol` (absolute).
void check_trace(const enas::controllers::DecisionTrace& trace, const Baseline& b, std::int64_t row, std::size_t sample,
                 double tol) {
  REQUIRE(trace.decisions.size() == b.width.size());
  std::size_t offset = 0;
  for (std::size_t d = 0; d < trace.decisions.size(); ++d) {
    const auto& got = trace.decisions[d];
    const auto w = static_cast<std::size_t>(b.width[d]);
    INFO("sample " << sample << ", decision " << d << " (token " << got.token << ")");
    REQUIRE(got.width == b.width[d]);
    for (std::size_t j = 0; j < w; ++j) {
      CHECK(got.raw[static_cast<std::size_t>(row) * w + j] == Approx(b.raw[sample][offset + j]).margin(tol));
      CHECK(got.logits[static_cast<std::size_t>(row) * w + j] == Approx(b.logits[sample][offset + j]).margin(tol));
    }
    const auto r = static_cast<std::size_t>(row);
    CHECK(got.log_prob[r] == Approx(b.decision_log_prob[sample][d]).margin(tol));
    CHECK(got.entropy_sampled[r] == Approx(b.decision_entropy_sampled[sample][d]).margin(tol));
    CHECK(got.entropy_full[r] == Approx(b.decision_entropy_full[sample][d]).margin(tol));
    offset += w;
  }
}

void check_totals(const enas::controllers::SampleBatch& s, const Baseline& b, std::int64_t row, std::size_t sample,
                  double tol) {
  INFO("sample " << sample);
  CHECK(s.log_prob[row].item<double>() == Approx(b.log_prob[sample]).margin(tol));
  CHECK(s.entropy[row].item<double>() == Approx(b.entropy[sample]).margin(tol));
  CHECK(s.skip_penalty[row].item<double>() == Approx(b.skip_penalty[sample]).margin(tol));
}

/// Scores every baseline sample on the host path, the float32 tensor path (all samples in one
/// batch) and the float64 tensor path, then applies one REINFORCE update and compares all of it.
template <class Space>
void check_against_baseline(const Baseline& b) {
  using Impl = enas::controllers::LstmNetImpl<Space>;
  const auto options = baseline_options<Space>(b);
  enas::controllers::Lstm<Space> controller(options, 0);
  load_weights(controller.net(), b);
  const auto tokens = tokens_of(b.tokens);
  const auto k = tokens.size(0);
  // float32 accumulations over ~50 LSTM steps: agreement to a few 1e-6 is what float32 allows.
  constexpr double kFloatTol = 5e-6;
  constexpr double kDoubleTol = 1e-10;

  SECTION("host fast path") {
    for (std::int64_t i = 0; i < k; ++i) {
      enas::controllers::DecisionTrace trace;
      const auto s = controller.net()->score_on_host(b.tokens[static_cast<std::size_t>(i)], &trace);
      check_trace(trace, b, 0, static_cast<std::size_t>(i), kFloatTol);
      check_totals(s, b, 0, static_cast<std::size_t>(i), kFloatTol);
    }
  }
  SECTION("tensor path, float32, all samples in one batch") {
    at::NoGradGuard no_grad;
    enas::controllers::DecisionTrace trace;
    const auto s = controller.net()->run(k, tokens, controller.generator(), &trace);
    REQUIRE(trace.rows == k);
    for (std::int64_t i = 0; i < k; ++i) {
      check_trace(trace, b, i, static_cast<std::size_t>(i), kFloatTol);
      check_totals(s, b, i, static_cast<std::size_t>(i), kFloatTol);
    }
  }
  SECTION("tensor path, float64") {
    at::NoGradGuard no_grad;
    auto twin = std::dynamic_pointer_cast<Impl>(controller.net()->clone());
    twin->to(at::kDouble);
    enas::controllers::DecisionTrace trace;
    const auto s = twin->run(k, tokens, controller.generator(), &trace);
    for (std::int64_t i = 0; i < k; ++i) {
      check_trace(trace, b, i, static_cast<std::size_t>(i), kDoubleTol);
      check_totals(s, b, i, static_cast<std::size_t>(i), kDoubleTol);
    }
  }
  SECTION("REINFORCE with the EMA baseline and the entropy bonus, then one TF Adam step") {
    controller.set_baseline(b.baseline_start);
    const auto batch = controller.score(tokens, /*with_grad=*/true);
    const auto stats = controller.update(batch, b.task_reward);
    for (std::size_t i = 0; i < b.reward.size(); ++i) {
      INFO("sample " << i);
      CHECK(stats.reward[i] == Approx(b.reward[i]).margin(kFloatTol));
      CHECK(stats.baseline[i] == Approx(b.baseline_after[i]).margin(kFloatTol));
      CHECK(stats.loss[i] == Approx(b.loss[i]).margin(kFloatTol));
    }
    CHECK(stats.grad_norm == Approx(b.grad_norm).epsilon(1e-5));
    auto params = controller.net()->named_parameters();
    for (const auto& [name, values] : b.after_adam) {
      const at::Tensor got = params[name].detach().to(at::kDouble).contiguous();
      REQUIRE(got.numel() == static_cast<std::int64_t>(values.size()));
      const double* g = got.data_ptr<double>();
      double worst = 0.0;
      for (std::size_t i = 0; i < values.size(); ++i) worst = std::max(worst, std::abs(g[i] - values[i]));
      INFO(name << ": largest difference after the Adam step " << worst);
      CHECK(worst < kFloatTol);
    }
  }
}

}  // namespace

TEST_CASE("the PTB controller computes the spec's numbers", "[controller][baseline]") {
  check_against_baseline<enas::spaces::PtbEnas>(ENAS_BASELINE_OF(ptb));
}

TEST_CASE("the macro controller computes the spec's numbers", "[controller][baseline][cifar]") {
  check_against_baseline<enas::spaces::MacroEnas>(ENAS_BASELINE_OF(macro));
}

TEST_CASE("the micro controller computes the spec's numbers", "[controller][baseline][cifar]") {
  check_against_baseline<enas::spaces::MicroEnas>(micro_baseline());
}
