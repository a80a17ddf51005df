// The fused PTB cell window and the fused tied softmax against plain autograd compositions of
// the reference formulas, in double precision: values, gradients, batch-norm statistics.
#include <ATen/ATen.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "enas/core/activations.hpp"
#include "enas/nn/activation_kernels.hpp"
#include "enas/nn/cell_window.hpp"
#include "enas/nn/tied_softmax.hpp"

#include <torch/csrc/autograd/autograd.h>

#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

namespace {

using Acts = enas::TypeList<enas::Tanh, enas::ReLU, enas::Identity, enas::Sigmoid>;

at::Tensor apply_act(std::int64_t id, const at::Tensor& x) {
  switch (id) {
    case 0: return at::tanh(x);
    case 1: return at::relu(x);
    case 2: return x;
    default: return at::sigmoid(x);
  }
}

at::Tensor batch_norm(const at::Tensor& x, const at::Tensor& scale, const at::Tensor& offset, double eps) {
  const auto mean = x.mean(0);
  const auto var = (x - mean).pow(2).mean(0);
  return scale * (x - mean) / at::sqrt(var + eps) + offset;
}

// The reference cell (enas-reference.md §3.1) written with ordinary autograd operations.
at::Tensor reference_cell(const at::Tensor& x_proj, const at::Tensor& s0, const at::Tensor& w_state,
                          const std::vector<at::Tensor>& w_node, const enas::nn::CellPlan& plan, const at::Tensor& mask,
                          const std::vector<at::Tensor>& scale, const std::vector<at::Tensor>& offset) {
  const auto hidden = s0.size(1);
  const bool bn = !scale.empty();
  const auto n = plan.nodes();
  auto s = s0;
  std::vector<at::Tensor> outputs;
  for (std::int64_t t = 0; t < x_proj.size(0); ++t) {
    std::vector<at::Tensor> nodes;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto p = i == 0 ? s : nodes[static_cast<std::size_t>(plan.predecessor[static_cast<std::size_t>(i)])];
      auto hc = i == 0 ? x_proj[t] + at::mm(p * mask, w_state) : at::mm(p * mask, w_node[static_cast<std::size_t>(i - 1)]);
      if (bn) hc = batch_norm(hc, scale[static_cast<std::size_t>(i)], offset[static_cast<std::size_t>(i)], 1.0);
      const auto h = apply_act(plan.activation[static_cast<std::size_t>(i)], hc.narrow(1, 0, hidden));
      const auto c = at::sigmoid(hc.narrow(1, hidden, hidden));
      nodes.push_back(p + c * (h - p));
    }
    std::vector<at::Tensor> loose;
    for (auto l : plan.loose_ends) loose.push_back(nodes[static_cast<std::size_t>(l)]);
    s = at::stack(loose).mean(0);
    if (bn) s = batch_norm(s, scale[static_cast<std::size_t>(n)], offset[static_cast<std::size_t>(n)], 1.0);
    outputs.push_back(s);
  }
  return at::stack(outputs);
}

enas::nn::CellPlan random_plan(std::mt19937& rng, std::int64_t nodes) {
  enas::nn::CellPlan plan;
  std::vector<bool> used(static_cast<std::size_t>(nodes), false);
  for (std::int64_t i = 0; i < nodes; ++i) {
    plan.predecessor.push_back(i == 0 ? -1 : std::uniform_int_distribution<std::int64_t>(0, i - 1)(rng));
    plan.activation.push_back(std::uniform_int_distribution<std::int64_t>(0, 3)(rng));
    if (i > 0) used[static_cast<std::size_t>(plan.predecessor.back())] = true;
  }
  for (std::int64_t i = 0; i < nodes; ++i)
    if (!used[static_cast<std::size_t>(i)]) plan.loose_ends.push_back(i);
  return plan;
}

struct Case {
  at::Tensor x_proj, s0, w_state, mask;
  std::vector<at::Tensor> w_node, scale, offset;
};

Case random_case(std::int64_t steps, std::int64_t batch, std::int64_t hidden, std::int64_t nodes, bool bn) {
  const auto d = at::TensorOptions().dtype(at::kDouble);
  Case c;
  c.x_proj = at::randn({steps, batch, 2 * hidden}, d).requires_grad_();
  c.s0 = at::randn({batch, hidden}, d).requires_grad_();
  c.w_state = (at::randn({hidden, 2 * hidden}, d) * 0.5).requires_grad_();
  c.mask = at::bernoulli(at::full({batch, hidden}, 0.75, d)) / 0.75;
  for (std::int64_t i = 1; i < nodes; ++i) c.w_node.push_back((at::randn({hidden, 2 * hidden}, d) * 0.5).requires_grad_());
  if (bn) {
    for (std::int64_t i = 0; i <= nodes; ++i) {
      const auto width = i < nodes ? 2 * hidden : hidden;
      c.scale.push_back((1 + 0.2 * at::randn({width}, d)).requires_grad_());
      c.offset.push_back((0.2 * at::randn({width}, d)).requires_grad_());
    }
  }
  return c;
}

std::vector<at::Tensor> leaves(const Case& c) {
  std::vector<at::Tensor> all{c.x_proj, c.s0, c.w_state};
  all.insert(all.end(), c.w_node.begin(), c.w_node.end());
  all.insert(all.end(), c.scale.begin(), c.scale.end());
  all.insert(all.end(), c.offset.begin(), c.offset.end());
  return all;
}

}  // namespace

TEST_CASE("the fused cell window matches plain autograd in value and gradient", "[cells][gradient]") {
  const bool bn = GENERATE(false, true);
  const int seed = GENERATE(1, 2, 3, 4);
  INFO("batch norm " << bn << ", seed " << seed);
  at::manual_seed(seed);
  std::mt19937 rng(static_cast<unsigned>(seed));
  const std::int64_t steps = 5, batch = 4, hidden = 3, nodes = 7;
  const auto plan = random_plan(rng, nodes);
  const auto c = random_case(steps, batch, hidden, nodes, bn);

  enas::nn::CellNorm norm;
  if (bn) {
    norm.scale = c.scale;
    norm.offset = c.offset;
    for (const auto& s : c.scale) {
      norm.running_mean.push_back(at::zeros_like(s).detach());
      norm.running_var.push_back(at::ones_like(s).detach());
    }
  }
  enas::nn::CellWindowConfig cfg;
  cfg.plan = &plan;
  cfg.kernels = enas::nn::activation_kernels<Acts>().data();
  cfg.num_kernels = 4;
  cfg.norm = bn ? &norm : nullptr;
  cfg.mask_h = c.mask;
  cfg.training = true;

  const auto fused = enas::nn::cell_window(c.x_proj, c.s0, c.w_state, c.w_node, cfg);
  const auto reference = reference_cell(c.x_proj, c.s0, c.w_state, c.w_node, plan, c.mask, c.scale, c.offset);
  REQUIRE(fused.sizes() == reference.sizes());
  CHECK(at::allclose(fused, reference, 1e-10, 1e-10));

  const auto upstream = at::randn_like(reference);
  const auto inputs = leaves(c);
  const auto g_fused = torch::autograd::grad({(fused * upstream).sum()}, inputs);
  const auto g_reference = torch::autograd::grad({(reference * upstream).sum()}, inputs);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    INFO("input " << i);
    CHECK(at::allclose(g_fused[i], g_reference[i], 1e-9, 1e-9));
  }

  if (bn) {
    CHECK(norm.running_mean[0].abs().sum().item<double>() > 0);  // updated (exact values: next test)
    // A second forward in inference mode uses the moving statistics, not the batch's.
    cfg.training = false;
    at::NoGradGuard no_grad;
    const auto eval = enas::nn::cell_window(c.x_proj, c.s0, c.w_state, c.w_node, cfg);
    CHECK_FALSE(at::allclose(eval, fused.detach(), 1e-6, 1e-6));
  }
}

TEST_CASE("batch-norm moving averages follow the reference's update", "[cells]") {
  at::manual_seed(9);
  std::mt19937 rng(9);
  const std::int64_t steps = 3, batch = 6, hidden = 2, nodes = 2;
  enas::nn::CellPlan plan;
  plan.predecessor = {-1, 0};
  plan.activation = {0, 1};
  plan.loose_ends = {1};
  const auto c = random_case(steps, batch, hidden, nodes, true);
  enas::nn::CellNorm norm;
  norm.scale = c.scale;
  norm.offset = c.offset;
  for (const auto& s : c.scale) {
    norm.running_mean.push_back(at::zeros_like(s).detach());
    norm.running_var.push_back(at::ones_like(s).detach());
  }
  enas::nn::CellWindowConfig cfg;
  cfg.plan = &plan;
  cfg.kernels = enas::nn::activation_kernels<Acts>().data();
  cfg.num_kernels = 4;
  cfg.norm = &norm;
  cfg.mask_h = c.mask;
  at::NoGradGuard no_grad;
  enas::nn::cell_window(c.x_proj, c.s0, c.w_state, c.w_node, cfg);
  // Node 0 at t = 0 from the zero-initialised averages: mean <- 0.999·0 + 0.001·batch mean.
  // Replay all three steps with the reference cell to get node 0's pre-activations.
  auto s = c.s0;
  auto mean = at::zeros({2 * hidden}, at::kDouble);
  auto var = at::ones({2 * hidden}, at::kDouble);
  for (std::int64_t t = 0; t < steps; ++t) {
    const auto x = c.x_proj[t] + at::mm(s * c.mask, c.w_state);
    const auto m = x.mean(0);
    const auto v = (x - m).pow(2).mean(0);
    mean = 0.999 * mean + 0.001 * m;
    var = 0.999 * var + 0.001 * v;
    s = reference_cell(c.x_proj.narrow(0, t, 1), s, c.w_state, c.w_node, plan, c.mask, c.scale, c.offset)[0];
  }
  CHECK(at::allclose(norm.running_mean[0], mean, 1e-10, 1e-12));
  CHECK(at::allclose(norm.running_var[0], var, 1e-10, 1e-12));
}

// at::parallel_for is inline in LibTorch's headers: without OpenMP in enas's own compilation it
// runs its loop on one thread, whatever LibTorch's thread count (cmake/EnasOpenMP.cmake).
TEST_CASE("the cell's group members run on two threads at once where enas has OpenMP", "[cells]") {
#if defined(ENAS_WITH_OPENMP)
  const int before = at::get_num_threads();
  at::set_num_threads(2);
  std::atomic<int> arrived{0};
  std::mutex mutex;
  std::set<std::thread::id> threads;
  enas::nn::detail::for_each_member(2, /*cpu=*/true, [&](std::int64_t) {
    ++arrived;
    // Both members in flight at once, or five seconds gone: one thread would run them in turn.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (arrived.load() < 2 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    const std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  at::set_num_threads(before);
  CHECK(threads.size() == 2);
#else
  WARN("skipped: enas is compiled without OpenMP here (cmake/EnasOpenMP.cmake says why)");
#endif
}

TEST_CASE("a malformed cell plan is refused with the node named", "[cells]") {
  enas::nn::CellPlan plan;
  plan.predecessor = {-1, 0, 2};  // node 2 cannot read itself
  plan.activation = {0, 0, 0};
  plan.loose_ends = {2};
  enas::nn::CellWindowConfig cfg;
  cfg.plan = &plan;
  cfg.kernels = enas::nn::activation_kernels<Acts>().data();
  cfg.num_kernels = 4;
  const auto x = at::zeros({2, 1, 4});
  const auto s = at::zeros({1, 2});
  const std::vector<at::Tensor> w{at::zeros({2, 4}), at::zeros({2, 4})};
  CHECK_THROWS_WITH(enas::nn::cell_window(x, s, at::zeros({2, 4}), w, cfg),
                    enas::test::Contains("node 2 has predecessor 2"));
}

TEST_CASE("the fused tied softmax matches cross-entropy over tied logits", "[cells][gradient]") {
  at::manual_seed(4);
  const auto d = at::TensorOptions().dtype(at::kDouble);
  const auto hidden = at::randn({12, 5}, d).requires_grad_();
  const auto embedding = at::randn({9, 5}, d).requires_grad_();
  const auto target = at::randint(9, {12}, at::kLong);
  const auto fused = enas::nn::tied_softmax_ce_sum(hidden, embedding, target);
  const auto reference =
      at::cross_entropy_loss(at::mm(hidden, embedding.t()), target, {}, at::Reduction::Sum);
  CHECK(fused.item<double>() == Approx(reference.item<double>()).epsilon(1e-12));
  const auto gf = torch::autograd::grad({fused * 0.7}, {hidden, embedding});
  const auto gr = torch::autograd::grad({reference * 0.7}, {hidden, embedding});
  CHECK(at::allclose(gf[0], gr[0], 1e-10, 1e-12));
  CHECK(at::allclose(gf[1], gr[1], 1e-10, 1e-12));
  at::NoGradGuard no_grad;
  CHECK(enas::nn::tied_softmax_ce_sum(hidden, embedding, target).item<double>() ==
        Approx(reference.item<double>()).epsilon(1e-12));
}

TEST_CASE("log-softmax written over its input is exact", "[cells]") {
  at::manual_seed(5);
  const auto x = at::randn({64, 1000}) * 5;
  auto y = x.clone();
  enas::nn::log_softmax_in_place(y);
  CHECK(at::equal(y, at::log_softmax(x, 1)));
}

TEST_CASE("softmax written over its input is exact", "[cells]") {
  // The tied softmax keeps its probabilities in the logits' buffer.
  at::manual_seed(6);
  const auto x = at::randn({64, 1000}) * 5;
  auto y = x.clone();
  at::softmax_out(y, y, 1, c10::nullopt);
  CHECK(at::equal(y, at::softmax(x, 1)));
}
