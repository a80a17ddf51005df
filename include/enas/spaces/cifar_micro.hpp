/// @file
/// @brief The CIFAR-10 micro (cell) search space: a normal and a reduction cell, each of `Nodes`
/// nodes that add two ops applied to two earlier nodes (enas-reference.md §5, §6.3).
#ifndef ENAS_SPACES_CIFAR_MICRO_HPP
#define ENAS_SPACES_CIFAR_MICRO_HPP

#include <array>
#include <cstddef>
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

/// Two cells (normal, reduction) of `Nodes` computed nodes each. Inside a cell, node 0 is the
/// output of the cell before last (h_{i−2}) and node 1 that of the last cell (h_{i−1}); node
/// k = 2..Nodes+1 is op_x(node x) + op_y(node y) with x, y < k. The cell's output concatenates the
/// nodes that no node reads (the inputs included, should one be unused).
///
/// Architecture string (§5.4): 4·Nodes tokens per cell, `x_id x_op y_id y_op` per node; the
/// normal cell's tokens, then the reduction cell's.
///
/// @tparam Nodes computed nodes per cell (5 in the reference: num_cells)
/// @tparam Ops   candidate ops, each modelling enas::Op
template <int Nodes, class... Ops>
struct Micro {
  static_assert(Nodes >= 1, "enas::spaces::Micro: Nodes must be at least 1");
  static_assert(sizeof...(Ops) >= 1, "enas::spaces::Micro: give at least one op type");
  static_assert((ops::is_op_v<Ops> && ...),
                "enas::spaces::Micro: every op must model enas::Op (kind, kernel, name())");

  using op_list = TypeList<Ops...>;
  static constexpr std::string_view name = "micro";
  static constexpr int num_nodes = Nodes;
  static constexpr int num_ops = static_cast<int>(sizeof...(Ops));
  static constexpr int tokens_per_cell = 4 * Nodes;
  static constexpr int num_tokens = 2 * tokens_per_cell;

  /// One computed node: two (input, op) pairs.
  struct Node {
    int x_id = 0, x_op = 0, y_id = 0, y_op = 0;
    friend bool operator==(const Node& a, const Node& b) {
      return a.x_id == b.x_id && a.x_op == b.x_op && a.y_id == b.y_id && a.y_op == b.y_op;
    }
  };
  /// One cell: node k = 2 + index.
  using Cell = std::array<Node, Nodes>;

  /// A decoded architecture: cells[0] normal, cells[1] reduction.
  struct Arch {
    std::array<Cell, 2> cells{};

    const Cell& normal() const { return cells[0]; }
    const Cell& reduce() const { return cells[1]; }

    /// Nodes (0..Nodes+1) of cell c that no node reads: the cell's output, in increasing order.
    std::vector<int> unused(int c) const {
      std::array<bool, Nodes + 2> used{};
      for (const auto& n : cells[static_cast<std::size_t>(c)]) {
        used[static_cast<std::size_t>(n.x_id)] = true;
        used[static_cast<std::size_t>(n.y_id)] = true;
      }
      std::vector<int> out;
      for (int i = 0; i < Nodes + 2; ++i)
        if (!used[static_cast<std::size_t>(i)]) out.push_back(i);
      return out;
    }
    friend bool operator==(const Arch& a, const Arch& b) { return a.cells == b.cells; }
    friend bool operator!=(const Arch& a, const Arch& b) { return !(a == b); }
  };

  /// The micro controller (§6.3): per cell, two steps on g_emb give anchors with zero values for
  /// the inputs; per node, two input choices, two op choices, and one more step whose output is
  /// the node's anchor. Op logits carry a learned bias (init 10 on the first two ops) and, in the
  /// normal cell, a fixed ±0.25 bias; entropy counts the full distributions.
  static constexpr ControllerLayout controller_layout = [] {
    ControllerLayout layout;
    layout.num_ops = num_ops;
    layout.favoured_ops = num_ops >= 2 ? 2 : num_ops;
    layout.learned_op_bias = 10.0;
    layout.fixed_op_bias = 0.25;
    layout.op_tanh_reduce = true;
    layout.entropy = EntropyKind::kFull;
    return layout;
  }();

  static constexpr auto program = [] {
    std::array<Instruction, 2 * (6 + 11 * Nodes)> p{};
    std::size_t k = 0;
    for (int c = 0; c < 2; ++c) {
      const int base = c * tokens_per_cell;
      p[k++] = {Instr::kNewCell};
      p[k++] = {Instr::kStartInput};
      p[k++] = {Instr::kLstm};
      p[k++] = {Instr::kAnchorZero};
      p[k++] = {Instr::kLstm};
      p[k++] = {Instr::kAnchorZero};
      for (int node = 2; node < Nodes + 2; ++node) {
        const int t = base + 4 * (node - 2);
        p[k++] = {Instr::kLstm};
        p[k++] = {Instr::kChooseNode, t, node, c};
        p[k++] = {Instr::kLstm};
        p[k++] = {Instr::kChooseNode, t + 2, node, c};
        p[k++] = {Instr::kLstm};
        p[k++] = {Instr::kChooseOp, t + 1, num_ops, c};
        p[k++] = {Instr::kLstm};
        p[k++] = {Instr::kChooseOp, t + 3, num_ops, c};
        p[k++] = {Instr::kLstm};
        p[k++] = {Instr::kAnchor};
        p[k++] = {Instr::kStartInput};
      }
    }
    return p;
  }();
  static_assert(program_is_valid<program.size(), num_tokens>(program), "enas::spaces::Micro: malformed program");

  static Arch decode(const std::vector<int>& tokens) {
    check_tokens<Micro>(tokens);
    Arch arch;
    for (int c = 0; c < 2; ++c) {
      for (int n = 0; n < Nodes; ++n) {
        const auto t = static_cast<std::size_t>(c * tokens_per_cell + 4 * n);
        arch.cells[static_cast<std::size_t>(c)][static_cast<std::size_t>(n)] =
            Node{tokens[t], tokens[t + 1], tokens[t + 2], tokens[t + 3]};
      }
    }
    return arch;
  }

  static std::vector<int> encode(const Arch& arch) {
    std::vector<int> tokens;
    tokens.reserve(static_cast<std::size_t>(num_tokens));
    for (const auto& cell : arch.cells) {
      for (const auto& n : cell) tokens.insert(tokens.end(), {n.x_id, n.x_op, n.y_id, n.y_op});
    }
    return tokens;
  }

  static Arch parse(std::string_view text) { return parse_arch<Micro>(text); }
  static std::string format(const Arch& arch) { return format_arch<Micro>(arch); }

  static std::string describe_token(int position) {
    const int cell = position / tokens_per_cell;
    const int node = 2 + (position % tokens_per_cell) / 4;
    static constexpr const char* what[4] = {"first input", "first op", "second input", "second op"};
    return std::string(what[position % 4]) + " of node " + std::to_string(node) + " of the " +
           (cell == 0 ? "normal" : "reduction") + " cell";
  }
  static std::string token_count_rule() {
    return "2 cells x 4 tokens x " + std::to_string(Nodes) + " nodes";
  }

  /// Why `arch` is degenerate ("" when it is not): a cell whose every op is the identity only
  /// sums its inputs; a search that derives it has learnt nothing useful.
  static std::string degenerate_reason(const Arch& arch) {
    constexpr auto identity = make_type_table(op_list{}, [](auto tag) { return decltype(tag)::type::kind == ops::OpKind::kIdentity; });
    std::string out;
    for (int c = 0; c < 2; ++c) {
      bool all = true;
      for (const auto& n : arch.cells[static_cast<std::size_t>(c)]) {
        all = all && identity[static_cast<std::size_t>(n.x_op)] && identity[static_cast<std::size_t>(n.y_op)];
      }
      if (all) out += std::string(out.empty() ? "" : "; ") + "every op of the " + (c == 0 ? "normal" : "reduction") +
                      " cell is the identity (the cell only adds its inputs)";
    }
    return out;
  }

  /// Name of an op id, e.g. "sep 3x3".
  static std::string op_name(int id) {
    const auto names = make_type_table(op_list{}, [](auto tag) { return decltype(tag)::type::name(); });
    return names.at(static_cast<std::size_t>(id));
  }

  /// scripts/cifar10_micro_search.sh: LSTM 64, tanh constant 1.10, op tanh reduce 2.5, no
  /// temperature, entropy 1e-4, Adam 0.0035, 30 updates of 10 samples.
  static ControllerOptions controller_defaults() {
    ControllerOptions o;
    o.lstm_size = 64;
    o.tanh_constant = 1.10;
    o.op_tanh_reduce = 2.5;
    o.temperature = 0.0;
    o.entropy_weight = 1e-4;
    o.lr = 0.0035;
    o.bl_dec = 0.99;
    o.train_steps = 30;
    o.num_aggregate = 10;
    o.skip_weight = 0.0;
    return o;
  }
};

/// The reference's micro space: 5 nodes; ops sep 3×3, sep 5×5, avg pool 3×3, max pool 3×3,
/// identity (ids 0..4, §5.4).
using MicroEnas = Micro<5, ops::SepConv<3>, ops::SepConv<5>, ops::AvgPool<3>, ops::MaxPool<3>, ops::Identity>;

}  // namespace enas::spaces

static_assert(enas::is_search_space_v<enas::spaces::MicroEnas>, "MicroEnas must model enas::SearchSpace");

#endif  // ENAS_SPACES_CIFAR_MICRO_HPP
