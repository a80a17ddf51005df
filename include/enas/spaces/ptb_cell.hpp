/// @file
/// @brief The PTB recurrent-cell search space (enas-reference.md §3.1, §3.6, §6.1).
#ifndef ENAS_SPACES_PTB_CELL_HPP
#define ENAS_SPACES_PTB_CELL_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "enas/core/activations.hpp"
#include "enas/core/arc.hpp"
#include "enas/core/concepts.hpp"
#include "enas/core/controller_options.hpp"
#include "enas/core/controller_program.hpp"
#include "enas/core/type_list.hpp"

namespace enas::spaces {

/// A recurrent cell of `Nodes` nodes. Node 0 reads the input x_t and the previous state s_{t-1};
/// node i >= 1 reads one earlier node; each node applies one of `Activations...` in a highway
/// form. The cell's output is the mean of the loose ends (nodes no other node reads).
///
/// Architecture string (§3.6): 2·Nodes − 1 tokens, `a[0]` = activation of node 0, then for node
/// i >= 1, `a[2i-1]` = its predecessor j in [0, i) and `a[2i]` = its activation. Activation ids
/// are positions in `Activations...`.
///
/// @tparam Nodes        number of nodes N >= 2 (the reference's child_rhn_depth, 12)
/// @tparam Activations  the candidate nonlinearities, each modelling enas::Activation
template <int Nodes, class... Activations>
struct PtbCell {
  static_assert(Nodes >= 2, "enas::spaces::PtbCell: Nodes must be at least 2 (node 0 and one more node)");
  static_assert(sizeof...(Activations) >= 1, "enas::spaces::PtbCell: give at least one activation type");

  using activations = TypeList<Activations...>;
  static constexpr std::string_view name = "ptb";
  static constexpr int num_nodes = Nodes;
  static constexpr int num_activations = static_cast<int>(sizeof...(Activations));
  static constexpr int num_tokens = 2 * Nodes - 1;

  /// A decoded cell: per node its activation id and its predecessor (-1 for node 0).
  struct Arch {
    std::array<int, Nodes> activation{};
    std::array<int, Nodes> predecessor{};

    /// Nodes that no other node reads, in increasing order; their mean is the cell output.
    std::vector<int> loose_ends() const {
      std::array<bool, Nodes> used{};
      for (int i = 1; i < Nodes; ++i) used[static_cast<std::size_t>(predecessor[static_cast<std::size_t>(i)])] = true;
      std::vector<int> loose;
      for (int i = 0; i < Nodes; ++i) {
        if (!used[static_cast<std::size_t>(i)]) loose.push_back(i);
      }
      return loose;
    }
    friend bool operator==(const Arch& a, const Arch& b) {
      return a.activation == b.activation && a.predecessor == b.predecessor;
    }
    friend bool operator!=(const Arch& a, const Arch& b) { return !(a == b); }
  };

  /// The PTB controller (§6.1): node choices carry the distance prior and distance-scaled inputs;
  /// entropy counts the sampled tokens only.
  static constexpr ControllerLayout controller_layout = [] {
    ControllerLayout layout;
    layout.num_ops = num_activations;
    layout.node_distance_prior = true;
    layout.node_input_by_distance = true;
    layout.entropy = EntropyKind::kSampledTerm;
    return layout;
  }();

  /// Node 0: step on g_emb, keep h_0 as anchor, step on g_emb again, choose its activation.
  /// Node i: step, keep h_i as anchor, choose a predecessor among anchors 0..i-1, step, choose
  /// the activation.
  static constexpr auto program = [] {
    std::array<Instruction, 6 + 5 * (Nodes - 1)> p{};
    std::size_t k = 0;
    p[k++] = {Instr::kStartInput};
    p[k++] = {Instr::kLstm};
    p[k++] = {Instr::kAnchor};
    p[k++] = {Instr::kStartInput};
    p[k++] = {Instr::kLstm};
    p[k++] = {Instr::kChooseOp, 0, num_activations};
    for (int i = 1; i < Nodes; ++i) {
      p[k++] = {Instr::kLstm};
      p[k++] = {Instr::kAnchor};
      p[k++] = {Instr::kChooseNode, 2 * i - 1, i};
      p[k++] = {Instr::kLstm};
      p[k++] = {Instr::kChooseOp, 2 * i, num_activations};
    }
    return p;
  }();
  static_assert(program_is_valid<program.size(), num_tokens>(program), "enas::spaces::PtbCell: malformed program");

  /// Validates tokens (count and per-position range) and decodes them.
  static Arch decode(const std::vector<int>& tokens) {
    check_tokens<PtbCell>(tokens);
    Arch arch;
    arch.activation[0] = tokens[0];
    arch.predecessor[0] = -1;
    for (int i = 1; i < Nodes; ++i) {
      arch.predecessor[static_cast<std::size_t>(i)] = tokens[static_cast<std::size_t>(2 * i - 1)];
      arch.activation[static_cast<std::size_t>(i)] = tokens[static_cast<std::size_t>(2 * i)];
    }
    return arch;
  }

  static std::vector<int> encode(const Arch& arch) {
    std::vector<int> tokens(static_cast<std::size_t>(num_tokens));
    tokens[0] = arch.activation[0];
    for (int i = 1; i < Nodes; ++i) {
      tokens[static_cast<std::size_t>(2 * i - 1)] = arch.predecessor[static_cast<std::size_t>(i)];
      tokens[static_cast<std::size_t>(2 * i)] = arch.activation[static_cast<std::size_t>(i)];
    }
    return tokens;
  }

  static Arch parse(std::string_view text) { return parse_arch<PtbCell>(text); }
  static std::string format(const Arch& arch) { return format_arch<PtbCell>(arch); }

  static std::string describe_token(int position) {
    if (position == 0) return "activation of node 0";
    const int node = (position + 1) / 2;
    return (position % 2 == 1 ? "predecessor of node " : "activation of node ") + std::to_string(node);
  }
  static std::string token_count_rule() { return "2N-1 for N = " + std::to_string(Nodes) + " nodes"; }

  /// Why `arch` is degenerate ("" when it is not): with the identity at every node the cell
  /// computes only gated linear maps of its inputs.
  static std::string degenerate_reason(const Arch& arch) {
    constexpr auto identity = make_type_table(activations{}, [](auto tag) {
      return std::is_same_v<typename decltype(tag)::type, Identity>;
    });
    for (int a : arch.activation) {
      if (!identity[static_cast<std::size_t>(a)]) return "";
    }
    return "every node's activation is the identity (the cell computes only gated linear maps)";
  }

  /// Name of an activation id, e.g. "tanh".
  static std::string_view activation_name(int id) {
    constexpr auto names = make_type_table(activations{}, [](auto tag) {
      return std::string_view(decltype(tag)::type::name);
    });
    return names.at(static_cast<std::size_t>(id));
  }

  /// scripts/ptb_search.sh: LSTM 100, tanh constant 2.5, temperature 5, entropy weight 1e-3,
  /// Adam lr 1e-3, baseline decay 0.99, 100 updates of 10 samples per phase.
  static ControllerOptions controller_defaults() {
    ControllerOptions o;
    o.lstm_size = 100;
    o.tanh_constant = 2.5;
    o.temperature = 5.0;
    o.entropy_weight = 1e-3;
    o.lr = 1e-3;
    o.bl_dec = 0.99;
    o.train_steps = 100;
    o.num_aggregate = 10;
    o.skip_weight = 0.0;
    return o;
  }

  /// Parameters of the fixed (final) model: W_prev 2H×2H, one H×2H matrix per node i >= 1, and
  /// the tied embedding V×H; no biases. 26·H² + V·H for 12 nodes.
  static constexpr std::int64_t fixed_param_count(std::int64_t hidden, std::int64_t vocab) {
    return 4 * hidden * hidden + 2 * (Nodes - 1) * hidden * hidden + vocab * hidden;
  }

  /// Parameters of the shared (search) model: one 2H×2H block of W_prev per activation, one H×2H
  /// matrix per (node i, predecessor j < i, activation), the embedding, and the batch-norm scale
  /// and offset of every node (2H each) and of the output (H each).
  static constexpr std::int64_t search_param_count(std::int64_t hidden, std::int64_t vocab) {
    const std::int64_t a = num_activations;
    const std::int64_t pairs = static_cast<std::int64_t>(Nodes) * (Nodes - 1) / 2;
    return 4 * a * hidden * hidden + 2 * a * pairs * hidden * hidden + vocab * hidden +
           Nodes * 2 * (2 * hidden) + 2 * hidden;
  }
};

/// The reference's child: 12 nodes, activations tanh, ReLU, identity, sigmoid (ids 0..3). The
/// controller samples all four (the TF controller sampled only the first two; §0).
using PtbEnas = PtbCell<12, Tanh, ReLU, Identity, Sigmoid>;

/// The TF controller's effective space: the same cell with tanh and ReLU only.
using PtbTanhRelu = PtbCell<12, Tanh, ReLU>;

}  // namespace enas::spaces

static_assert(enas::is_search_space_v<enas::spaces::PtbEnas>, "PtbEnas must model enas::SearchSpace");

#endif  // ENAS_SPACES_PTB_CELL_HPP
