// The NAS-Bench-201 family (include/enas/families/nas_bench_201): its architecture strings as the
// benchmark publishes them, its networks' parameter counts against an independent torch.nn build
// (tests/baselines/nas_bench_201_params.py), the sampled path's gradients, and a short search and
// final training on real CIFAR-10 images through Supernet and FinalTraining.
#include <enas/enas.hpp>
#include <enas/families/nas_bench_201.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "baselines/nas_bench_201_baseline.hpp"
#include "cifar_support.hpp"
#include "short_runs.hpp"
#include "support.hpp"
#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

namespace {

using Space = enas::nas_bench_201::NasBench201;

/// Architecture strings in the benchmark's format: the best-known CIFAR-10 cell (three 3×3
/// convolutions and a skip), the largest and the smallest cells, and a cell with every op.
const char* const kPublished[] = {
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
};

}  // namespace

TEST_CASE("NAS-Bench-201 strings round-trip exactly and map to the benchmark's op ids", "[nas_bench_201][arc]") {
  for (const char* text : kPublished) {
    INFO(text);
    const auto arch = Space::parse(text);
    CHECK(Space::format(arch) == text);
    CHECK(Space::parse(enas::format_arch<Space>(arch)) == arch);  // the integer tokens too
  }
  // Op ids in the benchmark's order, edges (0→1), (0→2), (1→2), (0→3), (1→3), (2→3), counted by hand.
  const auto best = Space::parse(kPublished[0]);
  CHECK((Space::encode(best) == std::vector<int>{3, 3, 3, 1, 3, 3}));
  const auto mixed = Space::parse(kPublished[3]);
  CHECK((Space::encode(mixed) == std::vector<int>{4, 2, 1, 2, 1, 1}));
  CHECK(mixed.op(1, 3) == 1);
  CHECK(Space::op_name(0) == "none");
  CHECK(Space::op_name(4) == "avg_pool_3x3");
  // 5 ops on 6 edges: 15,625 cells, the benchmark's count.
  CHECK(std::exp(enas::uniform_entropy<Space::num_tokens>(Space::program)) == Approx(15625.0));
}

TEST_CASE("malformed NAS-Bench-201 strings are refused with the position and what was expected", "[nas_bench_201][arc]") {
  auto message = [](const std::string& text) {
    try {
      Space::parse(text);
    } catch (const enas::ArcError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  using enas::test::Contains;
  CHECK_THAT(message("|conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
             Contains("at character 1") && Contains("got 'conv_3x3'") && Contains("nor_conv_1x1"));
  CHECK_THAT(message("|nor_conv_3x3~0|+|nor_conv_3x3~1|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
             Contains("input node 0") && Contains("got '1'"));
  CHECK_THAT(message("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"), Contains("'+' before the group of node 3"));
  CHECK_THAT(message("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|+"),
             Contains("the end of the string"));
  CHECK_THAT(message("3 3 3 1 3 5"), Contains("a[5] = 5") && Contains("op of edge 2 -> 3") && Contains("0..4"));
  CHECK_THAT(message("3 3 3 1 3"), Contains("5 tokens, expected 6"));
}

TEST_CASE("a NAS-Bench-201 cell without a path of non-zero edges is called degenerate", "[nas_bench_201][arc]") {
  CHECK(Space::degenerate_reason(Space::parse(kPublished[0])).empty());
  CHECK_FALSE(Space::degenerate_reason(Space::parse(kPublished[2])).empty());
  // skip 0→1, none elsewhere except 1→3 = none and 2→3 = conv from an unreached node 2.
  CHECK_FALSE(Space::degenerate_reason(Space::parse("1 0 0 0 0 3")).empty());
  CHECK(Space::degenerate_reason(Space::parse("1 0 0 0 1 0")).empty());  // 0 → 1 → 3
}

TEST_CASE("NAS-Bench-201 fixed networks have the parameter counts of an independent torch.nn build",
          "[nas_bench_201][params]") {
  for (const auto& c : nas_bench_201_baseline::kParamCounts) {
    INFO(c.arch << " C=" << c.channels << " N=" << c.cells_per_stage);
    enas::nas_bench_201::ModelOptions o;
    o.channels = c.channels;
    o.cells_per_stage = c.cells_per_stage;
    enas::nas_bench_201::FixedModel<Space> model(Space::parse(c.arch), o);
    CHECK(enas::nn::count_parameters(*model) == c.parameters);
  }
}

TEST_CASE("the NAS-Bench-201 shared network holds one conv per (cell, edge, conv op) and trains only the sampled ones",
          "[nas_bench_201][gradient]") {
  at::manual_seed(4);
  enas::nas_bench_201::ModelOptions o;
  o.channels = 4;
  o.cells_per_stage = 2;
  enas::nas_bench_201::SharedModel<Space> model(o);
  // Counted by hand: per stage of width w, 2 cells × 6 edges × (w·w + 9·w·w) conv weights (the
  // cells' batch norms have no affine parameters); the stem 3·9·4 + 2·4; reductions 4→8 and 8→16:
  // 9·in·out + 2·out + 9·out·out + 2·out + in·out; the head 2·16 + 16·10 + 10.
  auto stage = [](std::int64_t w) { return 2 * 6 * 10 * w * w; };
  auto reduction = [](std::int64_t in, std::int64_t out) { return 9 * in * out + 9 * out * out + 4 * out + in * out; };
  const std::int64_t expected = 3 * 9 * 4 + 8 + stage(4) + reduction(4, 8) + stage(8) + reduction(8, 16) + stage(16) +
                                32 + 160 + 10;
  CHECK(enas::nn::count_parameters(*model) == expected);

  const auto arch = Space::parse("|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|");
  const auto f = model->forward(at::randn({4, 3, 32, 32}), arch);
  CHECK(f.logits.sizes() == at::IntArrayRef({4, 10}));
  at::cross_entropy_loss(f.logits, at::randint(10, {4}, at::kLong)).backward();
  std::size_t index = 0;
  for (int s = 0; s < 3; ++s) {
    for (int cell = 0; cell < 2; ++cell) {
      for (int e = 0; e < Space::num_edges; ++e) {
        for (int op = 0; op < Space::num_ops; ++op, ++index) {
          auto& conv = model->convs[index];
          if (conv.is_empty()) continue;
          INFO("stage " << s << " cell " << cell << " edge " << e << " op " << Space::op_name(op));
          CHECK(conv->weight.grad().defined() == (arch.ops[static_cast<std::size_t>(e)] == op));
        }
      }
    }
  }
  CHECK(index == model->convs.size());
}

TEST_CASE("a NAS-Bench-201 search and final training run on real CIFAR-10 images", "[nas_bench_201][search][slow]") {
  auto real = enas::test::small_real_cifar10();
  if (!real) {
    WARN("skipped: CIFAR-10 not found (data/cifar-10-batches-bin, $ENAS_DATA_DIR or ../shared/data)");
    return;
  }
  const auto& data = *real;
  const auto out = std::filesystem::temp_directory_path() / ("enas_test_nb201_" + std::to_string(::getpid()));

  SECTION("search") {
    auto o = enas::nas_bench_201::search_defaults();
    o.out_filters = 4;
    o.num_layers = 1;
    enas::test::check_short_search<Space>(o, data, out / "search", 1);
  }
  SECTION("final training lowers the loss") {
    auto o = enas::nas_bench_201::final_defaults();
    o.batch_size = 32;
    o.out_filters = 8;
    o.num_layers = 1;
    o.num_epochs = 6;
    enas::FinalTraining<Space> run(Space::parse(kPublished[0]), o, data, at::Device(enas::test::device_name()), 3);
    const auto [first, last] = enas::test::first_and_last_loss(run);
    INFO("loss " << first << " -> " << last);
    CHECK(last < first);
  }
  std::filesystem::remove_all(out);
}
