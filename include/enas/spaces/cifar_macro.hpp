/// @file
/// @brief The CIFAR-10 macro search space: one op per layer plus skip connections to every earlier
/// layer (enas-reference.md §4, §6.2).
#ifndef ENAS_SPACES_CIFAR_MACRO_HPP
#define ENAS_SPACES_CIFAR_MACRO_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "enas/core/arc.hpp"
#include "enas/core/concepts.hpp"
#include "enas/core/controller_options.hpp"
#include "enas/core/controller_program.hpp"
#include "enas/core/ops.hpp"
#include "enas/core/type_list.hpp"

namespace enas::spaces {

/// A network of `Layers` layers. Layer ℓ applies one op from `Ops...` to the previous layer's
/// output and adds (search) or concatenates (final) any subset of the earlier outputs: bit i of
/// layer ℓ refers to the stem for i = 0 and to layer i − 1 otherwise. Pooling points after layers
/// L/3 − 1 and 2L/3 − 1 halve the resolution of every stored output (factorized reduction).
///
/// Architecture string (§4.5): L + L(L−1)/2 tokens; layer ℓ is `op, b_0 … b_{ℓ−1}`.
///
/// @tparam Layers number of layers L >= 3 (12 in search, 24 in the published final)
/// @tparam Ops    candidate ops, each modelling enas::Op (conv, sep-conv or pool kinds)
template <int Layers, class... Ops>
struct Macro {
  static_assert(Layers >= 3, "enas::spaces::Macro: Layers must be at least 3 (two pooling points)");
  static_assert(sizeof...(Ops) >= 1, "enas::spaces::Macro: give at least one op type");
  static_assert((ops::is_op_v<Ops> && ...),
                "enas::spaces::Macro: every op must model enas::Op (kind, kernel, name())");
  static_assert(((Ops::kind != ops::OpKind::kIdentity) && ...),
                "enas::spaces::Macro: ops must be Conv, SepConv, AvgPool or MaxPool (no Identity in the macro space)");

  using op_list = TypeList<Ops...>;
  static constexpr std::string_view name = "macro";
  static constexpr int num_layers = Layers;
  static constexpr int num_ops = static_cast<int>(sizeof...(Ops));
  static constexpr int num_tokens = Layers + Layers * (Layers - 1) / 2;
  /// Layers after which every stored output is reduced: L/3 − 1 and 2L/3 − 1.
  static constexpr std::array<int, 2> pool_layers{Layers / 3 - 1, 2 * (Layers / 3) - 1};

  /// Position of layer ℓ's op token; its skip bits follow.
  static constexpr int layer_start(int layer) { return layer + layer * (layer - 1) / 2; }

  /// A decoded network: the op of every layer and its skip bits.
  struct Arch {
    std::array<int, Layers> op{};
    std::array<std::array<std::uint8_t, Layers>, Layers> skip{};  ///< skip[ℓ][i], i < ℓ

    /// Number of skip connections.
    int skip_count() const {
      int n = 0;
      for (int l = 0; l < Layers; ++l)
        for (int i = 0; i < l; ++i) n += skip[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)];
      return n;
    }
    friend bool operator==(const Arch& a, const Arch& b) { return a.op == b.op && a.skip == b.skip; }
    friend bool operator!=(const Arch& a, const Arch& b) { return !(a == b); }
  };

  /// The macro controller (§6.2): per layer an op choice, then one skip bit per earlier layer,
  /// the mean of the chosen anchors as the next input; skip KL penalty; sampled-token entropy.
  static constexpr ControllerLayout controller_layout = [] {
    ControllerLayout layout;
    layout.num_ops = num_ops;
    layout.entropy = EntropyKind::kSampledTerm;
    layout.skip_penalty = true;
    return layout;
  }();

  static constexpr auto program = [] {
    std::array<Instruction, 1 + 5 * Layers> p{};
    std::size_t k = 0;
    p[k++] = {Instr::kStartInput};
    for (int l = 0; l < Layers; ++l) {
      p[k++] = {Instr::kLstm};
      p[k++] = {Instr::kChooseOp, layer_start(l), num_ops};
      p[k++] = {Instr::kLstm};
      p[k++] = l > 0 ? Instruction{Instr::kChooseSkips, layer_start(l) + 1, l} : Instruction{Instr::kStartInput};
      p[k++] = {Instr::kAnchor};
    }
    return p;
  }();
  static_assert(program_is_valid<program.size(), num_tokens>(program), "enas::spaces::Macro: malformed program");

  static Arch decode(const std::vector<int>& tokens) {
    check_tokens<Macro>(tokens);
    Arch arch;
    for (int l = 0; l < Layers; ++l) {
      const auto start = static_cast<std::size_t>(layer_start(l));
      arch.op[static_cast<std::size_t>(l)] = tokens[start];
      for (int i = 0; i < l; ++i) {
        arch.skip[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)] =
            static_cast<std::uint8_t>(tokens[start + 1 + static_cast<std::size_t>(i)]);
      }
    }
    return arch;
  }

  static std::vector<int> encode(const Arch& arch) {
    std::vector<int> tokens;
    tokens.reserve(static_cast<std::size_t>(num_tokens));
    for (int l = 0; l < Layers; ++l) {
      tokens.push_back(arch.op[static_cast<std::size_t>(l)]);
      for (int i = 0; i < l; ++i) tokens.push_back(arch.skip[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)]);
    }
    return tokens;
  }

  static Arch parse(std::string_view text) { return parse_arch<Macro>(text); }
  static std::string format(const Arch& arch) { return format_arch<Macro>(arch); }

  /// One line per layer, as seed-architectures.md prints the published arc.
  static std::string format_lines(const Arch& arch) {
    std::string out;
    const auto tokens = encode(arch);
    for (int l = 0; l < Layers; ++l) {
      const auto start = static_cast<std::size_t>(layer_start(l));
      out += join_tokens(std::vector<int>(tokens.begin() + static_cast<std::ptrdiff_t>(start),
                                          tokens.begin() + static_cast<std::ptrdiff_t>(start) + 1 + l));
      out += '\n';
    }
    return out;
  }

  static std::string describe_token(int position) {
    int layer = 0;
    while (layer + 1 < Layers && layer_start(layer + 1) <= position) ++layer;
    const int offset = position - layer_start(layer);
    if (offset == 0) return "op of layer " + std::to_string(layer);
    const int from = offset - 1;
    return "skip bit " + std::to_string(from) + " of layer " + std::to_string(layer) +
           (from == 0 ? " (from the stem)" : " (from layer " + std::to_string(from - 1) + ")");
  }
  static std::string token_count_rule() {
    return "L + L(L-1)/2 for L = " + std::to_string(Layers) + " layers";
  }

  /// Why `arch` is degenerate ("" when it is not): a network of pooling layers only has the stem's
  /// convolution to learn with.
  static std::string degenerate_reason(const Arch& arch) {
    constexpr auto pooling = make_type_table(op_list{}, [](auto tag) {
      constexpr auto kind = decltype(tag)::type::kind;
      return kind == ops::OpKind::kAvgPool || kind == ops::OpKind::kMaxPool;
    });
    for (int op : arch.op) {
      if (!pooling[static_cast<std::size_t>(op)]) return "";
    }
    return "every layer is a pooling layer (the network's only convolution is the stem)";
  }

  /// Name of an op id, e.g. "sep 5x5".
  static std::string op_name(int id) {
    const auto names = make_type_table(op_list{}, [](auto tag) { return decltype(tag)::type::name(); });
    return names.at(static_cast<std::size_t>(id));
  }

  /// scripts/cifar10_macro_search.sh: LSTM 64, tanh constant 1.5, no temperature, entropy 1e-4,
  /// Adam 1e-3, 50 updates of 20 samples, skip target 0.4 and weight 0.8. The script also passes
  /// controller_op_tanh_reduce 2.5, which the macro controller has no use for (§2.3, §6.2): the
  /// op logits use the full tanh constant, and the layout says so.
  static ControllerOptions controller_defaults() {
    ControllerOptions o;
    o.lstm_size = 64;
    o.tanh_constant = 1.5;
    o.temperature = 0.0;
    o.entropy_weight = 1e-4;
    o.lr = 1e-3;
    o.bl_dec = 0.99;
    o.train_steps = 50;
    o.num_aggregate = 20;
    o.skip_target = 0.4;
    o.skip_weight = 0.8;
    return o;
  }
};

/// The reference's macro space at a given depth: conv 3×3, sep 3×3, conv 5×5, sep 5×5,
/// avg pool 3×3, max pool 3×3 (ids 0..5, §4.2).
template <int Layers>
using MacroOf = Macro<Layers, ops::Conv<3>, ops::SepConv<3>, ops::Conv<5>, ops::SepConv<5>, ops::AvgPool<3>,
                      ops::MaxPool<3>>;

/// The search script's 12-layer space.
using MacroEnas = MacroOf<12>;

/// The published final network's 24-layer space (scripts/cifar10_macro_final.sh).
using MacroEnas24 = MacroOf<24>;

}  // namespace enas::spaces

static_assert(enas::is_search_space_v<enas::spaces::MacroEnas>, "MacroEnas must model enas::SearchSpace");

#endif  // ENAS_SPACES_CIFAR_MACRO_HPP
