/// @file
/// @brief The picture of a NAS-Bench-201 cell: the input, nodes 1..N−1 and the output, every
/// non-zero edge labelled with its op (`none` edges are left out, as they compute nothing).
#ifndef ENAS_FAMILIES_NAS_BENCH_201_DOT_HPP
#define ENAS_FAMILIES_NAS_BENCH_201_DOT_HPP

#include <string>

#include "enas/families/nas_bench_201/space.hpp"
#include "enas/report/dot.hpp"

namespace enas::report {

template <int Nodes, class... Ops>
struct DotWriter<nas_bench_201::CellDag<Nodes, Ops...>> {
  using Space = nas_bench_201::CellDag<Nodes, Ops...>;

  static std::string write(const typename Space::Arch& arch) {
    std::string out = dot_header("nas_bench_201", "NAS-Bench-201 cell", "LR");
    const auto id = [](int node) { return "n" + std::to_string(node); };
    for (int node = 0; node < Nodes; ++node) {
      const bool input = node == 0, output = node == Nodes - 1;
      const std::string label = input ? "input (node 0)" : output ? "output (node " + std::to_string(node) + ")" : "node " + std::to_string(node);
      out += dot_node(id(node), label, input ? kDotInputColour : output ? kDotOutputColour : "#ffffff", "shape=ellipse");
    }
    for (int to = 1; to < Nodes; ++to) {
      for (int from = 0; from < to; ++from) {
        const int op = arch.op(from, to);
        if (Space::op_name(op) == "none") continue;
        out += dot_edge(id(from), id(to),
                        "label=" + dot_quote(Space::op_name(op)) + ", color=" + dot_quote(dot_choice_colour(op)) +
                            ", penwidth=2.5");
      }
    }
    return out + "}\n";
  }
};

}  // namespace enas::report

#endif  // ENAS_FAMILIES_NAS_BENCH_201_DOT_HPP
