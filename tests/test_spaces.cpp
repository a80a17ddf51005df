// Search spaces and architecture strings (torch-free): formats, decoding, validation messages,
// parameter-count formulas, controller programs.
#include <catch2/catch.hpp>

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
  using Catch::Matchers::Contains;
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
