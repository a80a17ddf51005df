/// @file
/// @brief Pictures of architectures: Graphviz DOT text for any architecture of the PTB cell, macro
/// and micro space families (drawn like the ENAS paper's figures), and rendering it to PNG and SVG
/// when Graphviz is installed.
#ifndef ENAS_REPORT_DOT_HPP
#define ENAS_REPORT_DOT_HPP

#include <array>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "enas/core/error.hpp"
#include "enas/io/external_tool.hpp"
#include "enas/spaces/cifar_macro.hpp"
#include "enas/spaces/cifar_micro.hpp"
#include "enas/spaces/ptb_cell.hpp"

namespace enas::report {

/// `text` as a DOT quoted string: quotes and backslashes escaped, newlines as DOT's centred line
/// break `\n`.
inline std::string dot_quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c != '\r') {
      out += c;
    }
  }
  out += '"';
  return out;
}

/// @name Building blocks for a DotWriter specialisation (a family's picture uses the same look)
/// @{

/// Fill colour of op or activation `id` (ColorBrewer Set3), so equal choices look alike.
inline std::string_view dot_choice_colour(int id) {
  static constexpr std::array<std::string_view, 10> kColours{"#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3",
                                                             "#fdb462", "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd"};
  return kColours[static_cast<std::size_t>(id) % kColours.size()];
}

inline constexpr std::string_view kDotInputColour = "#e0e0e0";
inline constexpr std::string_view kDotOutputColour = "#c6dbef";

/// The opening of every picture: graph, node and edge defaults.
inline std::string dot_header(std::string_view graph_name, std::string_view title, std::string_view rankdir) {
  std::string out = "digraph " + std::string(graph_name) + " {\n";
  out += "  graph [rankdir=" + std::string(rankdir) + ", label=" + dot_quote(title) +
         ", labelloc=t, fontname=\"Helvetica\", fontsize=16, nodesep=0.3, ranksep=0.35];\n";
  out += "  node [fontname=\"Helvetica\", fontsize=12, shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\"];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=10, arrowsize=0.7];\n";
  return out;
}

inline std::string dot_node(std::string_view id, std::string_view label, std::string_view colour,
                            std::string_view extra = {}) {
  std::string out = "  " + std::string(id) + " [label=" + dot_quote(label) + ", fillcolor=" + dot_quote(colour);
  if (!extra.empty()) out += ", " + std::string(extra);
  return out + "];\n";
}

inline std::string dot_edge(std::string_view from, std::string_view to, std::string_view attributes = {}) {
  std::string out = "  " + std::string(from) + " -> " + std::string(to);
  if (!attributes.empty()) out += " [" + std::string(attributes) + "]";
  return out + ";\n";
}
/// @}

/// Writes the DOT picture of one space family's architectures. Specialised below for PtbCell,
/// Macro and Micro; specialise it to draw a new family.
template <class Space>
struct DotWriter {
  static_assert(sizeof(Space) == 0,
                "enas::report::DotWriter: no DOT picture for this space; specialise enas::report::DotWriter<Space> with "
                "static std::string write(const typename Space::Arch&)");
};

/// The recurrent cell as in the paper: x[t] and h[t-1] feed node 0, every node is labelled with
/// its activation, and the loose ends are averaged into h[t].
template <int Nodes, class... Activations>
struct DotWriter<spaces::PtbCell<Nodes, Activations...>> {
  using Space = spaces::PtbCell<Nodes, Activations...>;

  static std::string write(const typename Space::Arch& arch) {
    std::string out = dot_header("ptb_cell", "recurrent cell", "LR");
    out += dot_node("x_t", "x[t]", kDotInputColour, "shape=ellipse");
    out += dot_node("h_prev", "h[t-1]", kDotInputColour, "shape=ellipse");
    for (int i = 0; i < Nodes; ++i) {
      const int activation = arch.activation[static_cast<std::size_t>(i)];
      out += dot_node("n" + std::to_string(i),
                      std::to_string(i) + "\n" + std::string(Space::activation_name(activation)),
                      dot_choice_colour(activation));
    }
    out += dot_node("avg", "avg", kDotOutputColour, "shape=ellipse");
    out += dot_node("h_t", "h[t]", kDotOutputColour, "shape=ellipse");
    out += dot_edge("x_t", "n0");
    out += dot_edge("h_prev", "n0");
    for (int i = 1; i < Nodes; ++i) {
      out += dot_edge("n" + std::to_string(arch.predecessor[static_cast<std::size_t>(i)]), "n" + std::to_string(i));
    }
    for (const int loose : arch.loose_ends()) out += dot_edge("n" + std::to_string(loose), "avg");
    out += dot_edge("avg", "h_t");
    return out + "}\n";
  }
};

/// The macro network as a chain stem → layer 0 → … → layer L−1, each layer labelled with its op,
/// skip connections as dashed edges, and the pooling points on the chain.
template <int Layers, class... Ops>
struct DotWriter<spaces::Macro<Layers, Ops...>> {
  using Space = spaces::Macro<Layers, Ops...>;

  static std::string write(const typename Space::Arch& arch) {
    const auto layer_id = [](int l) { return "l" + std::to_string(l); };
    std::string out = dot_header("macro", "macro network, " + std::to_string(Layers) + " layers", "TB");
    out += dot_node("stem", "stem", kDotInputColour);
    for (int l = 0; l < Layers; ++l) {
      const int op = arch.op[static_cast<std::size_t>(l)];
      out += dot_node(layer_id(l), "layer " + std::to_string(l) + "\n" + Space::op_name(op),
                      dot_choice_colour(op));
    }
    for (std::size_t p = 0; p < Space::pool_layers.size(); ++p) {
      out += dot_node("pool" + std::to_string(p),
                      "pooling after layer " + std::to_string(Space::pool_layers[p]) + "\n(every output halved)",
                      kDotOutputColour, "shape=hexagon, fontsize=10");
    }
    // The chain each layer reads, through the pooling points.
    std::string previous = "stem";
    for (int l = 0; l < Layers; ++l) {
      out += dot_edge(previous, layer_id(l), "weight=10, penwidth=1.5");
      previous = layer_id(l);
      for (std::size_t p = 0; p < Space::pool_layers.size(); ++p) {
        if (Space::pool_layers[p] != l) continue;
        const std::string pool = "pool" + std::to_string(p);
        out += dot_edge(previous, pool, "weight=10, penwidth=1.5");
        previous = pool;
      }
    }
    // Skip bit i of layer l: from the stem for i = 0, from layer i − 1 otherwise.
    for (int l = 1; l < Layers; ++l) {
      for (int i = 0; i < l; ++i) {
        if (arch.skip[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)] == 0) continue;
        out += dot_edge(i == 0 ? std::string("stem") : layer_id(i - 1), layer_id(l),
                        "style=dashed, color=\"#1f78b4\", penwidth=0.8, arrowsize=0.5, constraint=false");
      }
    }
    return out + "}\n";
  }
};

/// The two micro cells as clusters: inputs h[i-2] and h[i-1] (nodes 0 and 1), each computed node
/// an "add" of two op boxes on its inputs, and the unused nodes concatenated into h[i].
template <int Nodes, class... Ops>
struct DotWriter<spaces::Micro<Nodes, Ops...>> {
  using Space = spaces::Micro<Nodes, Ops...>;

  static std::string write(const typename Space::Arch& arch) {
    std::string out = dot_header("micro", "micro cells", "TB");
    out += cell(arch, 0, "normal", "normal cell");
    out += cell(arch, 1, "reduce", "reduction cell");
    return out + "}\n";
  }

 private:
  static std::string cell(const typename Space::Arch& arch, int c, const std::string& prefix,
                          std::string_view title) {
    const auto id = [&](int node) { return prefix + "_n" + std::to_string(node); };
    std::string body;
    const auto node = [&](const std::string& node_id, std::string_view label, std::string_view colour,
                          std::string_view extra = {}) {
      body += "  " + dot_node(node_id, label, colour, extra);
    };
    const auto edge = [&](const std::string& from, const std::string& to) { body += "  " + dot_edge(from, to); };

    node(id(0), "h[i-2]", kDotInputColour, "shape=ellipse");
    node(id(1), "h[i-1]", kDotInputColour, "shape=ellipse");
    body += "    { rank=same; " + id(0) + "; " + id(1) + "; }\n";
    const auto& nodes = arch.cells[static_cast<std::size_t>(c)];
    for (int k = 2; k < Nodes + 2; ++k) {
      const auto& n = nodes[static_cast<std::size_t>(k - 2)];
      node(id(k) + "_x", Space::op_name(n.x_op), dot_choice_colour(n.x_op));
      node(id(k) + "_y", Space::op_name(n.y_op), dot_choice_colour(n.y_op));
      node(id(k), "add\n(node " + std::to_string(k) + ")", "#ffffff", "shape=ellipse, fontsize=10");
      edge(id(n.x_id), id(k) + "_x");
      edge(id(n.y_id), id(k) + "_y");
      edge(id(k) + "_x", id(k));
      edge(id(k) + "_y", id(k));
    }
    node(prefix + "_concat", "concat", kDotOutputColour, "shape=ellipse");
    node(prefix + "_out", "h[i]", kDotOutputColour, "shape=ellipse");
    for (const int unused : arch.unused(c)) edge(id(unused), prefix + "_concat");
    edge(prefix + "_concat", prefix + "_out");

    return "  subgraph cluster_" + prefix + " {\n    graph [label=" + dot_quote(title) +
           ", style=rounded, color=\"#969696\"];\n" + body + "  }\n";
  }
};

/// The DOT picture of `arch`, e.g. `enas::report::to_dot<enas::spaces::PtbEnas>(arch)`. Deterministic:
/// the same architecture always gives the same text.
template <class Space>
std::string to_dot(const typename Space::Arch& arch) {
  return DotWriter<Space>::write(arch);
}

/// Writes `dot` to `<out>.dot` (creating the folder) and, when Graphviz's `dot` is on PATH, renders
/// `<out>.png` and `<out>.svg`. Without Graphviz the result's message says so and how to render
/// later. Throws ConfigError naming the path when the .dot file cannot be written and DataError
/// with dot's own message when dot rejects the text.
inline io::WrittenFiles render_dot(const std::string& dot, const std::filesystem::path& out_without_extension) {
  namespace fs = std::filesystem;
  fs::path dot_file = out_without_extension;
  dot_file += ".dot";
  if (const fs::path folder = dot_file.parent_path(); !folder.empty()) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw ConfigError("cannot create the folder " + folder.string() + " for " + dot_file.string() + ": " + ec.message());
  }
  {
    std::ofstream file(dot_file, std::ios::binary | std::ios::trunc);
    file << dot;
    file.close();
    if (!file) throw ConfigError("cannot write the DOT file " + dot_file.string());
  }
  io::WrittenFiles written;
  written.files.push_back(dot_file);

  const auto dot_program = io::find_program("dot");
  if (!dot_program) {
    written.message = "Graphviz's dot is not on PATH, so only " + dot_file.string() +
                      " was written; install Graphviz (Debian/Ubuntu: apt-get install graphviz) and run: dot -Tpng " +
                      dot_file.string() + " -o " + out_without_extension.string() + ".png";
    return written;
  }
  for (const std::string format : {"png", "svg"}) {
    fs::path image = out_without_extension;
    image += "." + format;
    const auto run = io::run_program(*dot_program, {"-T" + format, dot_file.string(), "-o", image.string()});
    if (run.exit_status != 0) throw DataError(io::detail::describe_failure("dot -T" + format + " " + dot_file.string(), run));
    written.files.push_back(image);
  }
  return written;
}

}  // namespace enas::report

#endif  // ENAS_REPORT_DOT_HPP
