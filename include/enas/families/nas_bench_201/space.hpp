/// @file
/// @brief The NAS-Bench-201 cell space (Dong & Yang, ICLR 2020), torch-free: a DAG cell of `Nodes`
/// nodes where every edge i → j (i < j) carries one op, and the benchmark's architecture strings.
///
/// This family is written only through the library's extension points (docs/adding-a-space.md):
/// the space models enas::SearchSpace, its ops are the family's own descriptor types, and its
/// models and tasks live beside it in this folder.
#ifndef ENAS_FAMILIES_NAS_BENCH_201_SPACE_HPP
#define ENAS_FAMILIES_NAS_BENCH_201_SPACE_HPP

#include <array>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "enas/core/arc.hpp"
#include "enas/core/concepts.hpp"
#include "enas/core/controller_options.hpp"
#include "enas/core/controller_program.hpp"
#include "enas/core/error.hpp"
#include "enas/core/type_list.hpp"

namespace enas::nas_bench_201 {

/// What an edge op computes. An op type of this family has `static constexpr EdgeOpKind kind`,
/// `static constexpr int kernel` and `static std::string_view name()` (the benchmark's name).
enum class EdgeOpKind { kZero, kSkip, kNorConv, kAvgPool };

/// `none`: the edge is absent (its output is zero).
struct Zero {
  static constexpr EdgeOpKind kind = EdgeOpKind::kZero;
  static constexpr int kernel = 0;
  static constexpr std::string_view name() { return "none"; }
};

/// `skip_connect`: the identity.
struct Skip {
  static constexpr EdgeOpKind kind = EdgeOpKind::kSkip;
  static constexpr int kernel = 0;
  static constexpr std::string_view name() { return "skip_connect"; }
};

/// `nor_conv_KxK`: ReLU → K×K convolution (no bias) → batch norm.
template <int K>
struct NorConv {
  static_assert(K == 1 || K == 3, "enas::nas_bench_201::NorConv<K>: the benchmark names K = 1 and K = 3 only");
  static constexpr EdgeOpKind kind = EdgeOpKind::kNorConv;
  static constexpr int kernel = K;
  static constexpr std::string_view name() { return K == 1 ? "nor_conv_1x1" : "nor_conv_3x3"; }
};

/// `avg_pool_3x3`: 3×3 average pooling, stride 1, padding excluded from the average.
struct AvgPool3 {
  static constexpr EdgeOpKind kind = EdgeOpKind::kAvgPool;
  static constexpr int kernel = 3;
  static constexpr std::string_view name() { return "avg_pool_3x3"; }
};

namespace detail {
template <class T, class = void>
struct IsEdgeOp : std::false_type {};
template <class T>
struct IsEdgeOp<T, std::void_t<decltype(static_cast<EdgeOpKind>(T::kind)), decltype(static_cast<int>(T::kernel)),
                               decltype(std::string_view(T::name()))>> : std::true_type {};
}  // namespace detail

/// True when T is an edge op of this family (kind, kernel, name()).
template <class T>
inline constexpr bool is_edge_op_v = detail::IsEdgeOp<T>::value;

/// A cell of `Nodes` nodes: node 0 is the cell input, node j ≥ 1 is the sum over i < j of
/// op_{i→j}(node i), and the cell's output is the last node. One token per edge, in the
/// benchmark's order: for j = 1..Nodes−1, for i = 0..j−1.
///
/// Architecture strings: the benchmark's `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` (a group per node
/// j, listing `name~i` for each i < j), read and written exactly; the programs also take the
/// library's integer tokens (op ids, edge order as above).
///
/// @tparam Nodes nodes per cell including the input (4 in NAS-Bench-201)
/// @tparam Ops   candidate edge ops, each an edge op of this family
template <int Nodes, class... Ops>
struct CellDag {
  static_assert(Nodes >= 2, "enas::nas_bench_201::CellDag: Nodes must be at least 2 (the input and one node)");
  static_assert(sizeof...(Ops) >= 1, "enas::nas_bench_201::CellDag: give at least one edge op type");
  static_assert((is_edge_op_v<Ops> && ...),
                "enas::nas_bench_201::CellDag: every op must be an edge op (kind, kernel, name())");

  using op_list = TypeList<Ops...>;
  static constexpr std::string_view name = "nas-bench-201";
  static constexpr int num_nodes = Nodes;
  static constexpr int num_ops = static_cast<int>(sizeof...(Ops));
  static constexpr int num_edges = Nodes * (Nodes - 1) / 2;
  static constexpr int num_tokens = num_edges;

  /// The token position of edge i → j.
  static constexpr int edge_index(int from, int to) { return to * (to - 1) / 2 + from; }

  /// A decoded cell: the op id of every edge, at edge_index(from, to).
  struct Arch {
    std::array<int, num_edges> ops{};

    int op(int from, int to) const { return ops[static_cast<std::size_t>(edge_index(from, to))]; }
    friend bool operator==(const Arch& a, const Arch& b) { return a.ops == b.ops; }
    friend bool operator!=(const Arch& a, const Arch& b) { return !(a == b); }
  };

  /// One op choice per edge, each step fed the embedding of the previous choice (the controller
  /// the benchmark's authors used for ENAS); the full entropy of each choice, as theirs.
  static constexpr ControllerLayout controller_layout = [] {
    ControllerLayout layout;
    layout.num_ops = num_ops;
    layout.entropy = EntropyKind::kFull;
    return layout;
  }();

  static constexpr auto program = [] {
    std::array<Instruction, 1 + 2 * num_edges> p{};
    std::size_t k = 0;
    p[k++] = {Instr::kStartInput};
    for (int e = 0; e < num_edges; ++e) {
      p[k++] = {Instr::kLstm};
      p[k++] = {Instr::kChooseOp, e, num_ops};
    }
    return p;
  }();
  static_assert(program_is_valid<program.size(), num_tokens>(program), "enas::nas_bench_201::CellDag: malformed program");

  static Arch decode(const std::vector<int>& tokens) {
    check_tokens<CellDag>(tokens);
    Arch arch;
    for (int e = 0; e < num_edges; ++e) arch.ops[static_cast<std::size_t>(e)] = tokens[static_cast<std::size_t>(e)];
    return arch;
  }
  static std::vector<int> encode(const Arch& arch) { return {arch.ops.begin(), arch.ops.end()}; }

  /// Name of an op id as the benchmark writes it, e.g. "nor_conv_3x3".
  static std::string op_name(int id) {
    const auto names = make_type_table(op_list{}, [](auto tag) { return decltype(tag)::type::name(); });
    return std::string(names.at(static_cast<std::size_t>(id)));
  }

  /// The op id of a benchmark name, or -1.
  static int op_id(std::string_view op) {
    const auto names = make_type_table(op_list{}, [](auto tag) { return decltype(tag)::type::name(); });
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == op) return static_cast<int>(i);
    }
    return -1;
  }

  /// Reads the benchmark's string (when `text` starts with '|') or the library's integer tokens.
  static Arch parse(std::string_view text) {
    std::size_t first = 0;
    while (first < text.size() && std::isspace(static_cast<unsigned char>(text[first]))) ++first;
    if (first < text.size() && text[first] == '|') return parse_benchmark(text.substr(first));
    return parse_arch<CellDag>(text);
  }

  /// Writes the benchmark's string.
  static std::string format(const Arch& arch) {
    std::string out;
    for (int to = 1; to < Nodes; ++to) {
      if (to > 1) out += '+';
      out += '|';
      for (int from = 0; from < to; ++from) out += op_name(arch.op(from, to)) + "~" + std::to_string(from) + "|";
    }
    return out;
  }

  static std::string describe_token(int position) {
    int to = 1;
    while (edge_index(0, to + 1) <= position) ++to;
    return "op of edge " + std::to_string(position - edge_index(0, to)) + " -> " + std::to_string(to);
  }
  static std::string token_count_rule() {
    return "one op per edge: " + std::to_string(Nodes) + " nodes have " + std::to_string(num_edges) + " edges";
  }

  /// Why `arch` is degenerate ("" when it is not): no path of non-zero edges from the input to the
  /// output makes the cell's output zero, whatever its weights.
  static std::string degenerate_reason(const Arch& arch) {
    constexpr auto zero = make_type_table(op_list{}, [](auto tag) { return decltype(tag)::type::kind == EdgeOpKind::kZero; });
    std::array<bool, Nodes> reached{};
    reached[0] = true;
    for (int to = 1; to < Nodes; ++to) {
      for (int from = 0; from < to; ++from) {
        if (reached[static_cast<std::size_t>(from)] && !zero[static_cast<std::size_t>(arch.op(from, to))]) {
          reached[static_cast<std::size_t>(to)] = true;
        }
      }
    }
    return reached[Nodes - 1] ? "" : "no path of non-zero edges leads from the cell's input to its output, so every cell outputs zero";
  }

  /// The controller of the benchmark's ENAS run (AutoDL-Projects, ENAS.sh and ENAS.config): LSTM
  /// 32, tanh constant 2.5, temperature 5, entropy 1e-4, Adam 0.001, baseline decay 0.99, 50
  /// updates of 20 samples.
  static ControllerOptions controller_defaults() {
    ControllerOptions o;
    o.lstm_size = 32;
    o.tanh_constant = 2.5;
    o.temperature = 5.0;
    o.entropy_weight = 1e-4;
    o.lr = 0.001;
    o.bl_dec = 0.99;
    o.train_steps = 50;
    o.num_aggregate = 20;
    o.skip_weight = 0.0;
    return o;
  }

 private:
  [[noreturn]] static void malformed(std::string_view text, std::size_t at, const std::string& expected) {
    throw ArcError("NAS-Bench-201 architecture string '" + printable(text) + "': at character " + std::to_string(at) +
                   " expected " + expected);
  }

  /// `|name~i|...|+|...|`: Nodes−1 groups separated by '+', group j listing edges 0..j−1 in order.
  static Arch parse_benchmark(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    Arch arch;
    std::size_t pos = 0;
    for (int to = 1; to < Nodes; ++to) {
      if (to > 1) {
        if (pos >= text.size() || text[pos] != '+') malformed(text, pos, "'+' before the group of node " + std::to_string(to));
        ++pos;
      }
      if (pos >= text.size() || text[pos] != '|') malformed(text, pos, "'|' opening the group of node " + std::to_string(to));
      ++pos;
      for (int from = 0; from < to; ++from) {
        const auto tilde = text.find('~', pos);
        const auto bar = text.find('|', pos);
        if (tilde == std::string_view::npos || bar == std::string_view::npos || tilde > bar) {
          malformed(text, pos, "'op~" + std::to_string(from) + "|' for edge " + std::to_string(from) + " -> " + std::to_string(to));
        }
        const auto op = text.substr(pos, tilde - pos);
        const int id = op_id(op);
        if (id < 0) {
          std::string known;
          for (int i = 0; i < num_ops; ++i) known += (i ? ", " : "") + op_name(i);
          malformed(text, pos, "an op name (" + known + ") for edge " + std::to_string(from) + " -> " + std::to_string(to) +
                                   ", got '" + printable(op) + "'");
        }
        const auto input = text.substr(tilde + 1, bar - tilde - 1);
        if (input != std::to_string(from)) {
          malformed(text, tilde + 1, "input node " + std::to_string(from) + " (edges of node " + std::to_string(to) +
                                         " are listed from node 0 up), got '" + printable(input) + "'");
        }
        arch.ops[static_cast<std::size_t>(edge_index(from, to))] = id;
        pos = bar + 1;
      }
    }
    if (pos != text.size()) malformed(text, pos, "the end of the string after the group of node " + std::to_string(Nodes - 1));
    return arch;
  }
};

/// NAS-Bench-201: 4 nodes, 6 edges; ops none, skip_connect, nor_conv_1x1, nor_conv_3x3,
/// avg_pool_3x3 (ids 0..4, the benchmark's order).
using NasBench201 = CellDag<4, Zero, Skip, NorConv<1>, NorConv<3>, AvgPool3>;

}  // namespace enas::nas_bench_201

static_assert(enas::is_search_space_v<enas::nas_bench_201::NasBench201>, "NasBench201 must model enas::SearchSpace");

#endif  // ENAS_FAMILIES_NAS_BENCH_201_SPACE_HPP
