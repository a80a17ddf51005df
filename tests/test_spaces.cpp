// Search spaces and architecture strings (torch-free): formats, decoding, validation messages,
// parameter-count formulas, controller programs.
#include "catch2_compat.hpp"

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "enas/core.hpp"
#include "enas/spaces.hpp"
#include "support.hpp"

using enas::spaces::PtbEnas;

TEST_CASE("PTB seed arc decodes to the table of reference section 3.6", "[spaces][ptb]") {
  const auto arch = PtbEnas::parse(enas::test::kSeedPtbArc);
  // node: (pred, act); act 0 = tanh, 1 = ReLU
  const std::vector<int> pred{-1, 0, 1, 2, 2, 2, 5, 1, 6, 8, 8, 8};
  const std::vector<int> act{0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1};
  for (int i = 0; i < 12; ++i) {
    INFO("node " << i);
    if (i > 0) CHECK(arch.predecessor[i] == pred[i]);
    CHECK(arch.activation[i] == act[i]);
  }
  CHECK(arch.loose_ends() == std::vector<int>{3, 4, 7, 9, 10, 11});
  CHECK(PtbEnas::activation_name(0) == "tanh");
  CHECK(PtbEnas::activation_name(1) == "relu");
  CHECK(PtbEnas::activation_name(2) == "identity");
  CHECK(PtbEnas::activation_name(3) == "sigmoid");
}

TEST_CASE("PTB arc strings round-trip exactly", "[spaces][ptb]") {
  CHECK(PtbEnas::format(PtbEnas::parse(enas::test::kSeedPtbArc)) == enas::test::kSeedPtbArc);
  // Any whitespace separates tokens; the output uses single spaces.
  CHECK(PtbEnas::format(PtbEnas::parse("  0 0 0 1 1 2 1 2 0 2 0\n5 1 1 0 6 1\t8 1 8 1 8 1 ")) == enas::test::kSeedPtbArc);
  // Every token value in range round-trips: walk all activations and all predecessors.
  for (int a = 0; a < PtbEnas::num_activations; ++a) {
    for (int j = 0; j < 11; ++j) {
      std::vector<int> tokens(PtbEnas::num_tokens, a);
      for (int i = 1; i < 12; ++i) tokens[2 * i - 1] = std::min(j, i - 1);
      const auto arch = PtbEnas::decode(tokens);
      CHECK(PtbEnas::encode(arch) == tokens);
    }
  }
}

TEST_CASE("bad PTB arc strings name the token, its value and the allowed range", "[spaces][ptb]") {
  using enas::test::Contains;
  // Node 3's predecessor must be 0..2; a[5] = 3 is not.
  CHECK_THROWS_WITH(PtbEnas::parse("0 0 0 1 1 3 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"),
                    Contains("a[5] = 3") && Contains("predecessor of node 3") && Contains("allowed 0..2"));
  // Activation 4 does not exist in a 4-activation space.
  CHECK_THROWS_WITH(PtbEnas::parse("4 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"),
                    Contains("a[0] = 4") && Contains("activation of node 0") && Contains("allowed 0..3"));
  CHECK_THROWS_WITH(PtbEnas::parse("0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 -1"),
                    Contains("a[22] = -1") && Contains("activation of node 11"));
  CHECK_THROWS_WITH(PtbEnas::parse("0 0 0 1"), Contains("has 4 tokens, expected 23") && Contains("2N-1 for N = 12"));
  CHECK_THROWS_WITH(PtbEnas::parse("0 0 x 1"), Contains("a[2] = 'x' is not an integer"));
  CHECK_THROWS_WITH(PtbEnas::parse(""), Contains("has 0 tokens"));
  CHECK_THROWS_AS(PtbEnas::parse("0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1 0"), enas::ArcError);
  // A two-activation space rejects the ids of identity and sigmoid.
  CHECK_THROWS_WITH(enas::spaces::PtbTanhRelu::parse("2 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"),
                    Contains("allowed 0..1"));
}

TEST_CASE("PTB parameter-count formulas", "[spaces][ptb]") {
  // Fixed model: 26·H² + V·H for 12 nodes (seed-architectures.md).
  CHECK(PtbEnas::fixed_param_count(748, 10000) == 22'027'104);
  CHECK(PtbEnas::fixed_param_count(748, 10000) == 26LL * 748 * 748 + 10000LL * 748);
  // Search model at H = 720: 289 M (enas-reference.md §3.1), here with the batch-norm parameters.
  const auto h = 720LL;
  CHECK(PtbEnas::search_param_count(h, 10000) ==
        4 * 4 * h * h + 4 * 66 * 2 * h * h + 10000 * h + 12 * 2 * 2 * h + 2 * h);
  CHECK(PtbEnas::search_param_count(h, 10000) / 1'000'000 == 289);
}

TEST_CASE("the PTB controller program matches the token order of the arc string", "[spaces][controller]") {
  constexpr auto bounds = enas::token_bounds<PtbEnas::num_tokens>(PtbEnas::program);
  CHECK(bounds[0] == 4);
  for (int i = 1; i < 12; ++i) {
    CHECK(bounds[2 * i - 1] == i);  // predecessor of node i in [0, i)
    CHECK(bounds[2 * i] == 4);
  }
  STATIC_REQUIRE(enas::program_is_valid<PtbEnas::program.size(), PtbEnas::num_tokens>(PtbEnas::program));
  STATIC_REQUIRE(enas::program_max_anchors(PtbEnas::program) == 12);
}

namespace {
// A user-defined space in a few lines: 4 nodes with tanh and the identity only.
using Tiny = enas::spaces::PtbCell<4, enas::Tanh, enas::Identity>;
}  // namespace

TEST_CASE("a user-defined PTB space is one alias", "[spaces][ptb]") {
  STATIC_REQUIRE(enas::is_search_space_v<Tiny>);
  STATIC_REQUIRE(Tiny::num_tokens == 7);
  const auto arch = Tiny::parse("1 0 0 1 1 0 1");
  CHECK(arch.loose_ends() == std::vector<int>{2, 3});
  CHECK(Tiny::format(arch) == "1 0 0 1 1 0 1");
}

// ---------------------------------------------------------------------------------------------
// CIFAR-10 macro and micro spaces

namespace {

// The published 24-layer macro arc (seed-architectures.md), one line per layer.
const char* kPublishedMacro =
    "0\n3 0\n0 1 0\n2 0 0 1\n2 0 0 0 0\n3 1 1 0 1 0\n2 0 0 0 0 0 1\n2 0 1 1 0 1 1 1\n1 0 1 1 1 0 1 0 1\n"
    "0 0 0 0 0 0 0 0 0 0\n2 0 0 0 0 0 1 0 0 0 0\n0 1 0 0 1 1 0 0 0 0 1 1\n2 0 1 0 0 0 0 0 1 0 1 1 0\n"
    "1 0 0 1 0 0 0 1 1 1 0 1 0 1\n0 1 1 0 1 0 1 0 0 0 0 0 1 0 0\n2 0 0 1 0 0 0 0 0 0 0 1 0 1 0 1\n"
    "2 0 1 0 0 0 1 0 0 1 1 1 1 0 0 1 0\n2 0 0 0 0 1 0 1 0 1 0 0 1 0 1 0 0 1\n"
    "3 0 1 1 0 1 0 0 0 0 0 1 0 1 0 1 0 0 0\n3 0 1 1 0 0 0 0 0 0 0 0 0 1 1 0 0 0 0 1\n"
    "0 1 0 0 1 0 1 1 0 0 0 1 0 0 0 0 0 1 1 0 0\n3 0 1 0 1 1 0 0 1 0 1 1 0 1 1 0 1 0 0 1 0 0\n"
    "0 1 0 1 0 1 0 0 0 0 0 0 0 0 1 0 1 0 0 1 0 0 0\n0 1 1 0 0 0 1 1 1 0 1 0 0 0 1 0 1 0 0 1 1 0 0 0\n";

const char* kPublishedMicro =
    "0 2 0 0  0 4 0 1  0 4 1 1  1 0 0 1  0 2 1 1  1 0 1 0  0 3 0 2  1 1 3 1  1 0 0 4  0 3 1 1";

}  // namespace

TEST_CASE("the published macro arc decodes to seed-architectures.md", "[spaces][macro]") {
  using Macro24 = enas::spaces::MacroEnas24;
  STATIC_REQUIRE(Macro24::num_tokens == 300);
  const auto arch = Macro24::parse(kPublishedMacro);
  const std::vector<int> ops{0, 3, 0, 2, 2, 3, 2, 2, 1, 0, 2, 0, 2, 1, 0, 2, 2, 2, 3, 3, 0, 3, 0, 0};
  for (int l = 0; l < 24; ++l) CHECK(arch.op[static_cast<std::size_t>(l)] == ops[static_cast<std::size_t>(l)]);
  CHECK(arch.skip_count() == 98);  // "98 of 276 skip bits are set" (§4.5)
  CHECK(arch.skip[5][0] == 1);     // layer 5: "3 1 1 0 1 0"
  CHECK(arch.skip[5][1] == 1);
  CHECK(arch.skip[5][2] == 0);
  CHECK(arch.skip[5][3] == 1);
  CHECK(Macro24::format_lines(arch) == kPublishedMacro);
  CHECK(Macro24::parse(Macro24::format(arch)) == arch);
  CHECK(Macro24::pool_layers == std::array<int, 2>{7, 15});
  CHECK(enas::spaces::MacroEnas::pool_layers == std::array<int, 2>{3, 7});
  CHECK(enas::spaces::MacroEnas::num_tokens == 78);
  CHECK(Macro24::op_name(1) == "sep 3x3");
}

TEST_CASE("bad macro arcs name the layer and the bit", "[spaces][macro]") {
  using enas::test::Contains;
  using Macro = enas::spaces::MacroEnas;
  std::vector<int> tokens(Macro::num_tokens, 0);
  tokens[0] = 6;
  CHECK_THROWS_WITH(Macro::decode(tokens), Contains("a[0] = 6") && Contains("op of layer 0") && Contains("allowed 0..5"));
  tokens[0] = 0;
  tokens[Macro::layer_start(3) + 2] = 2;  // layer 3, bit 1
  CHECK_THROWS_WITH(Macro::decode(tokens), Contains("skip bit 1 of layer 3 (from layer 0)") && Contains("allowed 0..1"));
  CHECK_THROWS_WITH(Macro::parse("0 1"), Contains("expected 78") && Contains("L = 12 layers"));
}

TEST_CASE("the published micro arc decodes to seed-architectures.md", "[spaces][micro]") {
  using Micro = enas::spaces::MicroEnas;
  STATIC_REQUIRE(Micro::num_tokens == 40);
  const auto arch = Micro::parse(kPublishedMicro);
  using Node = Micro::Node;
  // normal: n2 = avg(0) + sep3(0); n3 = id(0) + sep5(0); n4 = id(0) + sep5(1); n5 = sep3(1) + sep5(0); n6 = avg(0) + sep5(1)
  const Micro::Cell normal{Node{0, 2, 0, 0}, Node{0, 4, 0, 1}, Node{0, 4, 1, 1}, Node{1, 0, 0, 1}, Node{0, 2, 1, 1}};
  // reduce: n2 = sep3(1) + sep3(1); n3 = max(0) + avg(0); n4 = sep5(1) + sep5(3); n5 = sep3(1) + id(0); n6 = max(0) + sep5(1)
  const Micro::Cell reduce{Node{1, 0, 1, 0}, Node{0, 3, 0, 2}, Node{1, 1, 3, 1}, Node{1, 0, 0, 4}, Node{0, 3, 1, 1}};
  CHECK(arch.normal() == normal);
  CHECK(arch.reduce() == reduce);
  CHECK(arch.unused(0) == std::vector<int>{2, 3, 4, 5, 6});
  CHECK(arch.unused(1) == std::vector<int>{2, 4, 5, 6});
  CHECK(Micro::op_name(0) == "sep 3x3");
  CHECK(Micro::op_name(4) == "identity");
  CHECK(Micro::format(arch) == "0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1");
}

TEST_CASE("bad micro arcs name the cell, node and slot", "[spaces][micro]") {
  using enas::test::Contains;
  using Micro = enas::spaces::MicroEnas;
  // Node 2 of the reduction cell may read nodes 0..1 only.
  CHECK_THROWS_WITH(Micro::parse("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 2 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"),
                    Contains("a[20] = 2") && Contains("first input of node 2 of the reduction cell") &&
                        Contains("allowed 0..1"));
  CHECK_THROWS_WITH(Micro::parse("0 5 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"),
                    Contains("first op of node 2 of the normal cell") && Contains("allowed 0..4"));
}

TEST_CASE("the CIFAR controller programs follow the reference's decision order", "[spaces][controller]") {
  using Macro = enas::spaces::MacroEnas;
  using Micro = enas::spaces::MicroEnas;
  constexpr auto macro_bounds = enas::token_bounds<Macro::num_tokens>(Macro::program);
  CHECK(macro_bounds[0] == 6);
  CHECK(macro_bounds[Macro::layer_start(11)] == 6);
  CHECK(macro_bounds[Macro::layer_start(11) + 11] == 2);  // the last skip bit of layer 11
  STATIC_REQUIRE(Macro::controller_layout.skip_penalty);
  constexpr auto micro_bounds = enas::token_bounds<Micro::num_tokens>(Micro::program);
  for (int c = 0; c < 2; ++c) {
    for (int k = 0; k < 5; ++k) {
      const int t = 20 * c + 4 * k;
      CHECK(micro_bounds[t] == k + 2);      // inputs of node k + 2: 0..k+1
      CHECK(micro_bounds[t + 1] == 5);
      CHECK(micro_bounds[t + 2] == k + 2);
      CHECK(micro_bounds[t + 3] == 5);
    }
  }
  STATIC_REQUIRE(Micro::controller_layout.entropy == enas::EntropyKind::kFull);
  STATIC_REQUIRE(Micro::controller_layout.favoured_ops == 2);
}

TEST_CASE("degenerate architectures are named by their space", "[spaces][collapse]") {
  // PTB: activation 2 is the identity in PtbEnas (tanh, ReLU, identity, sigmoid).
  CHECK(PtbEnas::degenerate_reason(PtbEnas::parse(enas::test::kSeedPtbArc)).empty());
  const auto linear = PtbEnas::parse("2 0 2 1 2 2 2 3 2 4 2 5 2 6 2 7 2 8 2 9 2 10 2");
  CHECK(PtbEnas::degenerate_reason(linear).find("identity") != std::string::npos);
  CHECK(PtbEnas::degenerate_reason(PtbEnas::parse("2 0 2 1 2 2 2 3 2 4 2 5 2 6 2 7 2 8 2 9 2 10 0")).empty());
  // Micro: op 4 is the identity; only the cells made of it alone are named.
  using enas::spaces::MicroEnas;
  const std::string published = "0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1";
  CHECK(MicroEnas::degenerate_reason(MicroEnas::parse(published)).empty());
  const std::string skips = "0 4 1 4 0 4 1 4 0 4 1 4 0 4 1 4 0 4 1 4";
  const auto both = MicroEnas::degenerate_reason(MicroEnas::parse(skips + " " + skips));
  CHECK(both.find("normal") != std::string::npos);
  CHECK(both.find("reduction") != std::string::npos);
  const auto normal_only = MicroEnas::degenerate_reason(MicroEnas::parse(skips + " " + published.substr(40)));
  CHECK(normal_only.find("normal") != std::string::npos);
  CHECK(normal_only.find("reduction") == std::string::npos);
  // Macro: ops 4 and 5 are the poolings.
  using Macro = enas::spaces::MacroOf<3>;
  CHECK(Macro::degenerate_reason(Macro::parse("4 5 0 4 1 1")).find("pooling") != std::string::npos);
  CHECK(Macro::degenerate_reason(Macro::parse("4 5 0 0 1 1")).empty());
}

TEST_CASE("the uniform policy's entropy is the sum of the log token ranges", "[spaces][collapse]") {
  // By hand. PTB, 12 nodes, 4 activations: 12·log 4 + log(11!) (predecessor i has i choices).
  CHECK(enas::uniform_entropy<PtbEnas::num_tokens>(PtbEnas::program) ==
        Approx(12 * std::log(4.0) + std::log(39916800.0)));
  // Macro, 12 layers, 6 ops: 12·log 6 + 66·log 2.
  using enas::spaces::MacroEnas;
  CHECK(enas::uniform_entropy<MacroEnas::num_tokens>(MacroEnas::program) == Approx(12 * std::log(6.0) + 66 * std::log(2.0)));
  // Micro, per cell per node k = 2..6: two inputs of k and two ops of 5; two cells: 2·(2·log 720 + 10·log 5).
  using enas::spaces::MicroEnas;
  CHECK(enas::uniform_entropy<MicroEnas::num_tokens>(MicroEnas::program) ==
        Approx(2 * (2 * std::log(720.0) + 10 * std::log(5.0))));
}
