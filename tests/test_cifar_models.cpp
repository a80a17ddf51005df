// CIFAR-10 macro and micro models: TF padding semantics, op shapes, parameter counts against
// hand-computed values, gradients reaching exactly the sampled path, drop-path, controllers over
// these spaces, and tiny searches on real images.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "enas/enas.hpp"
#include "cifar_support.hpp"
#include "host_reads.hpp"
#include "short_runs.hpp"
#include "support.hpp"

#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

namespace {

using enas::ops::OpKind;

std::set<const void*> ids_of(const std::vector<at::Tensor>& ps) {
  std::set<const void*> s;
  for (const auto& p : ps) s.insert(p.unsafeGetTensorImpl());
  return s;
}

// Small spaces whose parameter counts are worked out by hand below.
using SmallMacro = enas::spaces::Macro<3, enas::ops::Conv<3>, enas::ops::SepConv<5>, enas::ops::MaxPool<3>>;
using SmallMicro = enas::spaces::Micro<1, enas::ops::SepConv<3>, enas::ops::Identity>;

}  // namespace

TEST_CASE("SAME convolution and pooling pad as TensorFlow does", "[cifar][ops]") {
  // Stride 2 on 32 pixels with a 3×3 kernel: TF pads 0 before and 1 after.
  const auto x = at::arange(16.0).view({1, 1, 4, 4});
  const auto w = at::ones({1, 1, 3, 3});
  const auto y = enas::nn::same_conv2d(x, w, 2);
  REQUIRE(y.size(2) == 2);
  // Output (0, 0) sums rows 0..2, columns 0..2 (no padding before): 0+1+2+4+5+6+8+9+10 = 45.
  CHECK(y[0][0][0][0].item<double>() == 45.0);
  // Output (1, 1) sums rows 2..3, columns 2..3 and the zero pad: 10+11+14+15 = 50.
  CHECK(y[0][0][1][1].item<double>() == 50.0);
  // Average pooling excludes the padding: the same window averages 4 values, not 9.
  const auto avg = enas::nn::same_pool2d(x, OpKind::kAvgPool, 3, 2);
  CHECK(avg[0][0][1][1].item<double>() == Approx(12.5));
  CHECK(avg[0][0][0][0].item<double>() == Approx(5.0));
  const auto mx = enas::nn::same_pool2d(x - 100, OpKind::kMaxPool, 3, 2);
  CHECK(mx[0][0][1][1].item<double>() == -85.0);  // padding never wins
  // Stride 1: symmetric padding keeps the size.
  CHECK(enas::nn::same_pool2d(x, OpKind::kAvgPool, 3, 1).sizes() == x.sizes());
}

TEST_CASE("every cell op keeps or halves the resolution as asked", "[cifar][ops]") {
  const auto x = at::randn({2, 6, 8, 8});
  for (auto kind : {OpKind::kSepConv, OpKind::kConv, OpKind::kAvgPool, OpKind::kMaxPool, OpKind::kIdentity}) {
    for (std::int64_t k : {3, 5}) {
      for (std::int64_t stride : {1, 2}) {
        enas::nn::CellOp op(kind, kind == OpKind::kIdentity ? 1 : k, 6, stride, true);
        const auto y = op->forward(x);
        INFO("kind " << static_cast<int>(kind) << " k " << k << " stride " << stride);
        CHECK(y.size(0) == 2);
        CHECK(y.size(1) == 6);
        CHECK(y.size(2) == 8 / stride);
        CHECK(y.size(3) == 8 / stride);
      }
    }
  }
  enas::nn::FactorizedReduction fr(6, 10);
  CHECK(fr->forward(x).sizes() == at::IntArrayRef({2, 10, 4, 4}));
  for (auto kind : {OpKind::kConv, OpKind::kSepConv, OpKind::kMaxPool, OpKind::kAvgPool}) {
    enas::nn::MacroBranch branch(kind, 5, 6);
    CHECK(branch->forward(x).sizes() == x.sizes());
    enas::nn::MacroFixedOp fixed(kind, 3, 6, 6);
    CHECK(fixed->forward(x).sizes() == x.sizes());
  }
}

TEST_CASE("modules follow train() and eval(): batch or moving statistics, dropout, the auxiliary head", "[cifar][ops][mode]") {
  at::manual_seed(3);
  // A fresh batch norm's moving statistics are mean 0, variance 1: in evaluation mode it is
  // x / sqrt(1 + eps); in training mode every channel of the batch comes out with mean 0.
  enas::nn::Norm norm(4, 1e-3);
  const auto x = at::randn({8, 4, 5, 5}) * 3.0 + 2.0;
  norm->eval();
  CHECK(at::allclose(norm->forward(x), x / std::sqrt(1.0 + 1e-3), 1e-5, 1e-6));
  norm->train();
  CHECK(norm->forward(x).mean({0, 2, 3}).abs().max().item<double>() < 1e-5);

  // A micro fixed network with dropout and the auxiliary head: eval() is deterministic and has no
  // auxiliary logits; train() draws dropout (two passes differ) and computes them. train(false)
  // on the network reaches every submodule.
  enas::nn::MicroModelOptions o;
  o.num_layers = 3;
  o.image.out_filters = 4;
  o.image.keep_prob = 0.5;
  o.use_aux_head = true;
  enas::nn::MicroFixedModel<enas::spaces::MicroEnas> model(enas::spaces::MicroEnas::parse("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"), o);
  const auto images = at::randn({2, 3, 32, 32});
  at::NoGradGuard no_grad;
  model->eval();
  for (const auto& m : model->modules()) CHECK_FALSE(m->is_training());
  const auto a = model->forward(images);
  CHECK_FALSE(a.aux_logits.defined());
  CHECK(at::equal(a.logits, model->forward(images).logits));
  model->train();
  const auto b = model->forward(images);
  REQUIRE(b.aux_logits.defined());
  CHECK_FALSE(at::equal(b.logits, model->forward(images).logits));
}

TEST_CASE("macro parameter counts match hand-computed values", "[cifar][macro][params]") {
  enas::nn::ImageModelOptions o;
  o.out_filters = 4;
  // Search, F = 4: stem 3·3·3·4 + 8 = 116; per layer conv3 176 + sep5 148 + max 24 = 348, ×3;
  // skip BNs 2 × 8; pooling points after layers 0 and 1 reduce 2 and 3 outputs, 24 each; fc 40.
  enas::nn::MacroSharedModel<SmallMacro> shared(o);
  CHECK(enas::nn::count_parameters(*shared) == 116 + 3 * 348 + 16 + 5 * 24 + 40);
  // Fixed "0 | 1 1 | 2 0 1" with F doubling 4 → 8 → 16: stem 116; layer 0 conv3 176; reductions of
  // the stem and layer 0 (both read later) 2 × 48; layer 1 sep5 at 8: 360, its skip projection
  // 2·8 → 8: 144; reductions of layers 0 and 1 (the stem is not read after layer 1) 2 × 160;
  // layer 2 max pool at 16: 288, projection 2·16 → 16: 544; fc 160.
  enas::nn::MacroFixedModel<SmallMacro> fixed(SmallMacro::parse("0 1 1 2 0 1"), o);
  CHECK(enas::nn::count_parameters(*fixed) == 116 + 176 + 96 + 360 + 144 + 320 + 288 + 544 + 160);
}

TEST_CASE("micro parameter counts match hand-computed values", "[cifar][micro][params]") {
  enas::nn::MicroModelOptions o;
  o.image.out_filters = 4;
  o.num_layers = 3;  // 5 cells, reductions at cells 1 and 3: F = 4, 8, 8, 16, 16
  o.use_aux_head = false;
  // Fixed, normal n2 = sep3(0) + id(1), reduce n2 = id(0) + sep3(1):
  // stem 348; cells 256, 624, 432, 1760, 1312 (calibration, base, ops); fc 160.
  enas::nn::MicroFixedModel<SmallMicro> fixed(SmallMicro::parse("0 0 1 1 0 1 1 0"), o);
  CHECK(enas::nn::count_parameters(*fixed) == 348 + 256 + 624 + 432 + 1760 + 1312 + 160);
  // Search: every (slot, input) pair holds a sep 3×3 stack; three output projections per cell.
  enas::nn::MicroSharedModel<SmallMicro> shared(o);
  CHECK(enas::nn::count_parameters(*shared) == 348 + 648 + 1584 + 1472 + 4576 + 4416 + 160);
  // The reference sizes quoted in docs/results.md.
  enas::nn::MicroModelOptions full;
  full.image.out_filters = 36;
  full.num_layers = 15;
  using Micro = enas::spaces::MicroEnas;
  enas::nn::MicroFixedModel<Micro> published(
      Micro::parse("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"), full);
  CHECK(enas::nn::count_parameters(*published) == 4'389'220);
  CHECK(enas::nn::count_parameters(*published->aux) == 494'848);
}

TEST_CASE("a macro search step gives gradients to exactly the sampled path", "[cifar][macro][gradient]") {
  at::manual_seed(1);
  enas::nn::ImageModelOptions o;
  o.out_filters = 4;
  enas::nn::MacroSharedModel<SmallMacro> model(o);
  // ops: conv3, max, sep5; layer 2 skips from layer 0 (bit 1) only.
  const auto arch = SmallMacro::parse("0 2 0 1 0 1");
  const auto f = model->forward(at::randn({4, 3, 32, 32}), arch);
  at::cross_entropy_loss(f.logits, at::randint(10, {4}, at::kLong)).backward();
  auto has_grad = [](torch::nn::Module& m) {
    bool any = false, all = true;
    for (const auto& p : m.parameters()) {
      any = any || p.grad().defined();
      all = all && p.grad().defined();
    }
    return std::make_pair(any, all);
  };
  const std::vector<int> chosen{0, 2, 1};
  for (int l = 0; l < 3; ++l) {
    for (int op = 0; op < 3; ++op) {
      INFO("layer " << l << " op " << op);
      auto g = has_grad(*model->branches[static_cast<std::size_t>(l * 3 + op)]);
      if (op == chosen[static_cast<std::size_t>(l)]) {
        CHECK(g.second);
      } else {
        CHECK_FALSE(g.first);
      }
    }
  }
  // Pooling point 0 (after layer 0): layer 1 reads layer 0's output; layer 2 reads (bit 1) layer 0's.
  // The stem is never read after layer 0: its reductions stay untouched.
  CHECK_FALSE(has_grad(*model->reductions[0][0]).first);
  CHECK(has_grad(*model->reductions[0][1]).second);
  CHECK(has_grad(*model->reductions[1][1]).second);  // layer 0 again, for layer 2's skip
  CHECK(has_grad(*model->reductions[1][2]).second);  // layer 1, layer 2's input
  CHECK_FALSE(has_grad(*model->reductions[1][0]).first);
}

TEST_CASE("micro search cells read h(i-2) and h(i-1) as docs/deviations.md states", "[cifar][micro]") {
  // L = 3: cells 0 (32 px, F), 1 (reduction: 16 px, 2F), 2 (16 px, 2F), 3 (reduction: 8 px, 4F), 4.
  using Micro = enas::spaces::MicroEnas;
  enas::nn::MicroModelOptions o;
  o.image.out_filters = 4;
  o.num_layers = 3;
  enas::nn::MicroSharedModel<Micro> model(o);
  const auto pools = o.pool_layers();
  REQUIRE(pools[0] == 1);
  REQUIRE(pools[1] == 3);
  // A reduction cell brings both of its inputs (h(i-2) and h(i-1), at twice its resolution) down
  // with a factorized reduction: it does not read h(i-1) twice.
  for (auto l : pools) {
    CHECK_FALSE(model->calibrate0[static_cast<std::size_t>(l)]->reduce.is_empty());
    CHECK_FALSE(model->calibrate1[static_cast<std::size_t>(l)]->reduce.is_empty());
  }
  // The normal cell after a reduction reads the raw pre-reduction output as h(i-2) and reduces it
  // with its own factorized reduction, as the fixed network does; h(i-1) (the reduction cell's
  // output) is already at its resolution and width.
  for (auto l : {pools[0] + 1, pools[1] + 1}) {
    CHECK_FALSE(model->calibrate0[static_cast<std::size_t>(l)]->reduce.is_empty());
    CHECK(model->calibrate1[static_cast<std::size_t>(l)]->reduce.is_empty());
    CHECK(model->calibrate1[static_cast<std::size_t>(l)]->project.is_empty());
  }
  // The first cell reads the stem (3F channels at 32 px) twice: projected to F, not reduced.
  CHECK(model->calibrate0[0]->reduce.is_empty());
  CHECK_FALSE(model->calibrate0[0]->project.is_empty());
  CHECK_FALSE(model->calibrate1[0]->project.is_empty());
}

TEST_CASE("a micro search step gives gradients to exactly the sampled ops and inputs", "[cifar][micro][gradient]") {
  at::manual_seed(2);
  using Micro = enas::spaces::MicroEnas;
  enas::nn::MicroModelOptions o;
  o.image.out_filters = 4;
  o.num_layers = 3;
  enas::nn::MicroSharedModel<Micro> model(o);
  enas::controllers::Random<Micro> random(Micro::controller_defaults(), 5);
  const auto arch = Micro::decode(random.sample(1).arc(0));
  const auto f = model->forward(at::randn({4, 3, 32, 32}), arch);
  (at::cross_entropy_loss(f.logits, at::randint(10, {4}, at::kLong)) +
   0.4 * at::cross_entropy_loss(f.aux_logits, at::randint(10, {4}, at::kLong)))
      .backward();
  const auto pools = o.pool_layers();
  for (std::int64_t l = 0; l < o.num_layers + 2; ++l) {
    const bool reduce = l == pools[0] || l == pools[1];
    const auto& cell = arch.cells[reduce ? 1 : 0];
    for (int node = 2; node < 7; ++node) {
      for (int slot = 0; slot < 2; ++slot) {
        for (int input = 0; input < node; ++input) {
          for (int op = 0; op < Micro::num_ops; ++op) {
            auto& m = model->slot_ops[decltype(model)::Impl::slot_index(l, node, slot, input, op)];
            const auto params = m->parameters();
            if (params.empty()) continue;  // pooling and identity hold no weights
            const auto& n = cell[static_cast<std::size_t>(node - 2)];
            const bool sampled = slot == 0 ? (n.x_id == input && n.x_op == op) : (n.y_id == input && n.y_op == op);
            INFO("cell " << l << " node " << node << " slot " << slot << " input " << input << " op " << op);
            for (const auto& p : params) CHECK(p.grad().defined() == sampled);
          }
        }
      }
    }
    const auto unused = arch.unused(reduce ? 1 : 0);
    for (int id = 0; id < 7; ++id) {
      const bool out = std::find(unused.begin(), unused.end(), id) != unused.end();
      CHECK(model->final_weights[static_cast<std::size_t>(l * 7 + id)].grad().defined() == out);
    }
  }
}

TEST_CASE("drop-path keeps the expected fraction and follows the schedule", "[cifar][micro][drop_path]") {
  enas::nn::MicroModelOptions o;
  o.image.out_filters = 4;
  o.num_layers = 6;
  o.drop_path_keep = 0.6;
  using Micro = enas::spaces::MicroEnas;
  enas::nn::MicroFixedModel<Micro> model(
      Micro::parse("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"), o);
  // §5.6: k_l = 1 − (l + 1)/(L + 2)·(1 − 0.6), ramped by training progress.
  CHECK(model->drop_path_keep(0, 1.0) == Approx(1.0 - 1.0 / 8.0 * 0.4));
  CHECK(model->drop_path_keep(7, 1.0) == Approx(0.6));
  CHECK(model->drop_path_keep(7, 0.5) == Approx(0.8));
  CHECK(model->drop_path_keep(7, 0.0) == Approx(1.0));
  CHECK(model->drop_path_keep(7, 2.0) == Approx(0.6));  // progress saturates at 1
}

TEST_CASE("the controller samples macro and micro architectures by its own probabilities", "[cifar][controller][statistics]") {
  // Macro<3, two ops>: 2^3 op choices × 2^3 skip bits = 64 architectures.
  using TinyMacro = enas::spaces::Macro<3, enas::ops::Conv<3>, enas::ops::MaxPool<3>>;
  // Micro<1, two ops>: per cell 2 inputs × 2 ops × 2 × 2 = 16, two cells = 256 architectures.
  using TinyMicro = enas::spaces::Micro<1, enas::ops::SepConv<3>, enas::ops::Identity>;
  auto check_space = [](auto tag, int num_arcs, double critical) {
    using Space = typename decltype(tag)::type;
    at::manual_seed(4);
    auto o = Space::controller_defaults();
    o.lstm_size = 16;
    o.init_range = 0.5;
    enas::controllers::Lstm<Space> c(o, 9);
    const int n = 40000;
    const auto batch = c.sample(n);
    std::map<std::vector<int>, int> counts;
    for (std::int64_t k = 0; k < n; ++k) ++counts[batch.arc(k)];
    // All architectures, as tokens, by counting up in the space's token ranges.
    constexpr auto bounds = enas::token_bounds<Space::num_tokens>(Space::program);
    std::vector<std::vector<int>> arcs;
    std::vector<int> t(Space::num_tokens, 0);
    for (;;) {
      arcs.push_back(t);
      int p = Space::num_tokens - 1;
      while (p >= 0 && ++t[static_cast<std::size_t>(p)] == bounds[static_cast<std::size_t>(p)]) t[static_cast<std::size_t>(p--)] = 0;
      if (p < 0) break;
    }
    REQUIRE(static_cast<int>(arcs.size()) == num_arcs);
    auto tokens = at::empty({num_arcs, Space::num_tokens}, at::kLong);
    for (int i = 0; i < num_arcs; ++i)
      for (int j = 0; j < Space::num_tokens; ++j) tokens[i][j] = arcs[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
    const auto probs = c.score(tokens).log_prob.exp();
    CHECK(probs.sum().template item<double>() == Approx(1.0).epsilon(1e-4));
    double chi = 0.0;
    for (int i = 0; i < num_arcs; ++i) {
      const double expected = n * probs[i].template item<double>();
      const auto it = counts.find(arcs[static_cast<std::size_t>(i)]);
      const double observed = it == counts.end() ? 0.0 : it->second;
      chi += (observed - expected) * (observed - expected) / expected;
    }
    INFO("chi-square " << chi << " over " << num_arcs - 1 << " degrees of freedom");
    CHECK(chi < critical);
    // The host fast path draws what the tensor path draws.
    for (int i = 0; i < 50; ++i) {
      auto twin = c.generator().clone();
      const auto host = c.net()->sample_on_host(c.generator());
      at::NoGradGuard no_grad;
      const auto tensor = c.net()->run(1, at::Tensor(), twin);
      REQUIRE(at::equal(host.tokens, tensor.tokens));
      CHECK(host.log_prob.template item<double>() == Approx(tensor.log_prob.template item<double>()).margin(1e-4));
      CHECK(host.skip_penalty.template item<double>() == Approx(tensor.skip_penalty.template item<double>()).margin(1e-4));
    }
  };
  check_space(enas::TypeTag<TinyMacro>{}, 64, 103.4);    // P(χ²₆₃ > 103.4) = 0.001
  check_space(enas::TypeTag<TinyMicro>{}, 256, 330.5);   // P(χ²₂₅₅ > 330.5) = 0.001
}

TEST_CASE("macro op logits use the full tanh constant, micro op logits C / op_tanh_reduce", "[cifar][controller]") {
  // The macro controller has no op_tanh_reduce factor (§6.2): its op logits reach ±1.5, so the
  // best of 6 ops can reach p = e^1.5 / (e^1.5 + 5e^−1.5) = 0.80. Dividing by the 2.5 the script
  // passes would cap them at ±0.6 and p at 0.40.
  at::manual_seed(12);
  auto macro = enas::spaces::MacroEnas::controller_defaults();
  macro.lstm_size = 8;
  macro.init_range = 1.0;      // LSTM outputs of order 1 ...
  macro.op_tanh_reduce = 2.5;  // as scripts/cifar10_macro_search.sh passes it: no effect
  enas::controllers::Lstm<enas::spaces::MacroEnas> m(macro, 1);
  {
    at::NoGradGuard no_grad;
    m.net()->w_soft.mul_(100.0);  // ... and op scores of order 100: the tanh saturates
  }
  enas::controllers::DecisionTrace trace;
  m.net()->sample_on_host(m.generator(), &trace);
  double largest = 0.0, best_p = 0.0;
  for (const auto& d : trace.decisions) {
    if (d.kind != enas::Instr::kChooseOp) continue;
    double z = 0.0;
    for (int j = 0; j < d.width; ++j) {
      const auto jj = static_cast<std::size_t>(j);
      CHECK(d.logits[jj] == Approx(1.5 * std::tanh(d.raw[jj])).margin(1e-9));
      largest = std::max(largest, std::abs(d.logits[jj]));
      z += std::exp(d.logits[jj]);
    }
    for (int j = 0; j < d.width; ++j) best_p = std::max(best_p, std::exp(d.logits[static_cast<std::size_t>(j)]) / z);
  }
  CHECK(largest > 1.45);
  CHECK(best_p > 0.5);

  // Micro (§6.3): (1.10 / 2.5)·tanh(h·w_soft + b_soft), then + [¼, ¼, −¼, −¼, −¼] in the normal cell.
  auto micro = enas::spaces::MicroEnas::controller_defaults();
  micro.lstm_size = 8;
  enas::controllers::Lstm<enas::spaces::MicroEnas> c(micro, 2);
  c.net()->sample_on_host(c.generator(), &trace);
  int op_decisions = 0;
  for (const auto& d : trace.decisions) {
    if (d.kind != enas::Instr::kChooseOp) continue;
    const bool normal = d.token < enas::spaces::MicroEnas::tokens_per_cell;
    for (int j = 0; j < d.width; ++j) {
      const double fixed = normal ? (j < 2 ? 0.25 : -0.25) : 0.0;
      CHECK(d.logits[static_cast<std::size_t>(j)] == Approx(1.10 / 2.5 * std::tanh(d.raw[static_cast<std::size_t>(j)]) + fixed).margin(1e-9));
    }
    ++op_decisions;
  }
  CHECK(op_decisions == 20);
}

TEST_CASE("the macro skip penalty is the KL of the true skip probability from the target", "[cifar][controller]") {
  // With zero attention weights every q is 0, so a = 0 and P(skip) = σ(0) = 1/2 for every bit.
  // Per bit KL = ½ log(½ / 0.4) + ½ log(½ / 0.6) = ½ log(0.25 / 0.24); layer ℓ has ℓ bits, and the
  // penalty averages the per-layer sums over layers 1..L−1: (L/2)·KL_bit. By hand for L = 12:
  // 6 · ½ · log(25/24) = 3 · 0.0408219945... = 0.12246598...
  using Space = enas::spaces::MacroEnas;
  auto o = Space::controller_defaults();
  o.lstm_size = 8;
  enas::controllers::Lstm<Space> c(o, 3);
  {
    at::NoGradGuard no_grad;
    c.net()->w_attn_1.zero_();
    c.net()->w_attn_2.zero_();
  }
  const double expected = 3.0 * std::log(25.0 / 24.0);
  const auto host = c.sample(1);
  CHECK(host.skip_penalty[0].item<double>() == Approx(expected).epsilon(1e-6));
  const auto batch = c.sample(4, /*with_grad=*/true);
  for (std::int64_t k = 0; k < 4; ++k) CHECK(batch.skip_penalty[k].item<double>() == Approx(expected).epsilon(1e-6));
  // It enters each sample's loss with weight 0.8: with reward = baseline the advantage is 0 and
  // the loss is the penalty alone. (b0 = 0.5, R = 0.5: b stays 0.5, R − b = 0.)
  c.set_baseline(0.5);
  const double entropy_bonus = o.entropy_weight * batch.entropy[0].item<double>();
  const auto stats = c.update(enas::controllers::SampleBatch{batch.tokens.narrow(0, 0, 1), batch.log_prob.narrow(0, 0, 1),
                                                              batch.entropy.narrow(0, 0, 1), batch.skip_penalty.narrow(0, 0, 1)},
                              {0.5 - entropy_bonus});
  CHECK(stats.loss[0] == Approx(0.8 * expected).epsilon(1e-5));
}

TEST_CASE("a micro cell pair and a macro network train on real CIFAR-10 images", "[cifar][search][slow]") {
  auto real = enas::test::small_real_cifar10();
  if (!real) {
    WARN("skipped: CIFAR-10 not found (data/cifar-10-batches-bin, $ENAS_DATA_DIR or ../shared/data)");
    return;
  }
  const auto& data = *real;
  const auto out = std::filesystem::temp_directory_path() / ("enas_test_cifar_" + std::to_string(::getpid()));

  SECTION("micro search") {
    auto o = enas::train::ImageOptions::micro_search_defaults();
    o.out_filters = 4;
    o.num_layers = 3;
    enas::test::check_short_search<enas::spaces::MicroEnas>(o, data, out / "micro", 1);
  }
  SECTION("macro search") {
    auto o = enas::train::ImageOptions::macro_search_defaults();
    o.out_filters = 4;
    enas::test::check_short_search<enas::spaces::MacroOf<6>>(o, data, out / "macro", 2);
  }
  SECTION("micro final training lowers the loss") {
    using Micro = enas::spaces::MicroEnas;
    auto o = enas::train::ImageOptions::micro_final_defaults();
    o.batch_size = 32;
    o.out_filters = 8;
    o.num_layers = 3;
    o.num_epochs = 6;
    o.lr_max = 0.05;
    // Without drop-path and cutout, so that 60 steps (6 passes over the 320 images) show the
    // trend through the noise of batches of 32 (with them, 40 steps sometimes did not).
    o.drop_path_keep_prob = 1.0;
    o.cutout_size = 0;
    enas::FinalTraining<Micro> run(
        Micro::parse("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"), o, data,
        at::Device(enas::test::device_name()), 3);
    const auto [first, last] = enas::test::first_and_last_loss(run);
    INFO("loss " << first << " -> " << last);
    CHECK(last < first);
  }
  std::filesystem::remove_all(out);
}

TEST_CASE("bf16 mixed precision trains a micro network as float does and its search steps read nothing back",
          "[cifar][micro][mixed_precision][host_reads]") {
  auto real = enas::test::small_real_cifar10();
  if (!real) {
    WARN("skipped: CIFAR-10 not found (data/cifar-10-batches-bin, $ENAS_DATA_DIR or ../shared/data)");
    return;
  }
  using Micro = enas::spaces::MicroEnas;
  const at::Device device(enas::test::device_name());
  const auto arc = Micro::parse("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1");
  auto o = enas::train::ImageOptions::micro_final_defaults();
  o.batch_size = 32;
  o.out_filters = 8;
  o.num_layers = 3;
  o.num_epochs = 6;
  o.drop_path_keep_prob = 1.0;
  o.cutout_size = 0;

  SECTION("the loss falls under bf16 autocast as it does in float") {
    // Small, because bf16 products are slow on CPUs without bf16 units: 24 steps on the same 16
    // images (one batch an epoch), whose loss falls clearly within so few steps.
    const auto sixteen = enas::test::small_real_cifar10(16, 64);
    o.batch_size = 16;
    o.out_filters = 4;
    auto losses = [&](bool mixed) {
      o.mixed_precision = mixed;
      at::manual_seed(3);
      enas::FinalTraining<Micro> run(arc, o, *sixteen, device, 3);
      return enas::test::first_and_last_loss(run, 24, 6);
    };
    const auto [first32, last32] = losses(false);
    const auto [first16, last16] = losses(true);
    INFO("float " << first32 << " -> " << last32 << ", bf16 " << first16 << " -> " << last16);
    CHECK(last32 < first32);
    CHECK(last16 < first16);
    CHECK(first16 == Approx(first32).epsilon(0.05));  // the same start, to bf16's precision
    CHECK(first16 - last16 > 0.5 * (first32 - last32));
  }
  SECTION("autocast runs the network in bf16 and the loss in float") {
    o.mixed_precision = true;
    enas::train::TaskFor<Micro>::Final task(arc, o, *real, device, 4);
    at::Tensor logits;
    {
      const enas::AutocastScope scope(device, true);
      const auto images = at::randn({2, 3, 32, 32}, at::TensorOptions().device(device));
      logits = task.model()->forward(images.contiguous(at::MemoryFormat::ChannelsLast), 1.0).logits;
    }
    CHECK(logits.scalar_type() == at::kBFloat16);
    CHECK(task.train_step(0).loss.scalar_type() == at::kFloat);
    for (const auto& p : task.model()->parameters()) CHECK(p.scalar_type() == at::kFloat);
  }
  SECTION("micro search steps between log lines make no host read") {
    auto so = enas::train::ImageOptions::micro_search_defaults();
    so.batch_size = 32;
    so.out_filters = 4;
    so.num_layers = 3;
    enas::Supernet<Micro> net(so, Micro::controller_defaults(), *real, device, 5);
    enas::test::HostReads reads;
    for (int s = 0; s < 6; ++s) net.train_step();
    CHECK(reads.reads() == 0);
  }
}

TEST_CASE("the static (CUDA graph) micro and macro final steps compute what the plain steps compute",
          "[cifar][final][cuda_graph][host_reads]") {
  // With --cuda_graphs the batch, learning rate and drop-path progress go through static tensors
  // (on CUDA the step is then captured and replayed); the smaller last batch of an epoch takes the
  // plain step. Losses, gradient norms, correct counts and the weights after the steps must be the
  // plain steps', across an epoch boundary (48 images: batches of 32 and 16), with drop-path, the
  // auxiliary head and dropout on (off on CUDA, where a replayed graph draws its random numbers
  // at other offsets), and no step may read a value back to the host. On the CPU both run the
  // same operations, so they agree to float rounding; cuDNN may pick other algorithms per run.
  auto real = enas::test::small_real_cifar10(48, 64);
  if (!real) {
    WARN("skipped: CIFAR-10 not found (data/cifar-10-batches-bin, $ENAS_DATA_DIR or ../shared/data)");
    return;
  }
  const at::Device device(enas::test::device_name());
  auto compare = [&](auto space_tag, const typename decltype(space_tag)::type::Arch& arc, enas::train::ImageOptions o) {
    using Space = typename decltype(space_tag)::type;
    o.batch_size = 32;
    o.out_filters = 4;
    o.num_epochs = 3;
    if (device.is_cuda()) o.keep_prob = o.drop_path_keep_prob = 1.0;
    const double tolerance = device.is_cuda() ? 1e-3 : 1e-6;
    auto run = [&](bool graphs) {
      o.cuda_graphs = graphs;
      at::manual_seed(13);
      typename enas::train::TaskFor<Space>::Final task(arc, o, *real, device, 13);
      std::vector<double> seen;
      std::vector<enas::train::StepResult> results;
      {
        enas::test::HostReads reads;
        for (std::int64_t s = 0; s < 5; ++s) results.push_back(task.train_step(s));
        CHECK(reads.reads() == 0);
      }
      for (std::size_t s = 0; s < results.size(); ++s) {
        CHECK(results[s].lr == Approx(task.lr_at(static_cast<std::int64_t>(s))));
        CHECK(results[s].batch == (s % 2 == 0 ? 32 : 16));
        seen.push_back(results[s].loss.template item<double>());
        seen.push_back(results[s].grad_norm.template item<double>());
        seen.push_back(static_cast<double>(results[s].correct.template item<std::int64_t>()));
      }
      for (const auto& p : task.model()->parameters()) seen.push_back(p.abs().sum().template item<double>());
      return seen;
    };
    enas::test::check_all_close(run(false), run(true), tolerance);
  };
  SECTION("micro") {
    using Micro = enas::spaces::MicroEnas;
    auto o = enas::train::ImageOptions::micro_final_defaults();
    o.num_layers = 3;
    o.drop_path_keep_prob = 0.6;
    o.use_aux_heads = true;
    compare(enas::TypeTag<Micro>{}, Micro::parse("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"), o);
  }
  SECTION("macro") {
    using Macro = enas::spaces::MacroOf<6>;
    enas::controllers::Lstm<Macro> controller(Macro::controller_defaults(), 5);
    auto o = enas::train::ImageOptions::macro_final_defaults();
    o.num_layers = 6;
    compare(enas::TypeTag<Macro>{}, Macro::decode(controller.sample(1).arc(0)), o);
  }
}

TEST_CASE("batch norm over channels-last CPU tensors computes what at::batch_norm computes", "[cifar][norm]") {
  // nn::batch_norm_batch_stats takes its own loops for channels-last float and double CPU tensors
  // (LibTorch's kernel is slow there): outputs, the three gradients and the moving statistics
  // must be at::batch_norm's on NCHW copies of the same values, with any number of threads.
  at::manual_seed(17);
  const int threads = at::get_num_threads();
  for (const auto dtype : {at::kFloat, at::kDouble}) {
    for (const auto& shape : std::vector<std::vector<std::int64_t>>{{32, 20, 32, 32}, {3, 5, 3, 3}, {2, 7, 1, 1}}) {
      const auto x = (at::randn(shape, dtype) * 3 + 2).contiguous(at::MemoryFormat::ChannelsLast);
      const auto scale = at::rand({shape[1]}, dtype) + 0.5, offset = at::randn({shape[1]}, dtype);
      const auto grad = at::randn(shape, dtype);
      REQUIRE(enas::nn::channels_last_norm_applies(x, scale, offset));
      auto run = [&](bool loops, int n_threads) {
        at::set_num_threads(n_threads);
        auto xi = x.clone(loops ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous).requires_grad_();
        auto s = scale.clone().requires_grad_(), o = offset.clone().requires_grad_();
        auto mean = at::full({shape[1]}, 0.5, dtype), var = at::full({shape[1]}, 2.0, dtype);
        const auto y = loops ? enas::nn::batch_norm_batch_stats(xi, s, o, mean, var, 0.1, 1e-5)
                             : at::batch_norm(xi, s, o, mean, var, true, 0.1, 1e-5, false);
        y.backward(grad);
        return std::vector<at::Tensor>{y.contiguous(), xi.grad().contiguous(), s.grad(), o.grad(), mean, var};
      };
      const auto expected = run(false, 1);
      for (int n : {1, 2}) {
        const auto got = run(true, n);
        const double tol = dtype == at::kFloat ? 2e-4 : 1e-10;
        for (std::size_t k = 0; k < got.size(); ++k) {
          INFO("dtype " << dtype << ", shape " << shape[0] << "x" << shape[1] << "x" << shape[2] << ", threads " << n
                        << ", tensor " << k << " (y, dx, dscale, doffset, moving mean, moving var)");
          const double scale_k = 1.0 + expected[k].abs().max().item<double>();
          CHECK((got[k] - expected[k]).abs().max().item<double>() <= tol * scale_k);
        }
      }
      const auto a = run(true, 1), b = run(true, 2);
      for (std::size_t k = 0; k < a.size(); ++k) CHECK(at::equal(a[k], b[k]));  // the thread count changes nothing
    }
  }
  at::set_num_threads(threads);
  // The layouts and types it does not take go to at::batch_norm unchanged.
  const auto nchw = at::randn({4, 3, 5, 5});
  CHECK_FALSE(enas::nn::channels_last_norm_applies(nchw, at::ones({3}), at::zeros({3})));
  CHECK_FALSE(enas::nn::channels_last_norm_applies(nchw.contiguous(at::MemoryFormat::ChannelsLast).to(at::kBFloat16),
                                                   at::ones({3}), at::zeros({3})));
}
