// What the four CIFAR-10 programs of the reference share besides the generic search and final
// programs (program.hpp): its flags that fix something the space type already says (the layout,
// the op and node counts, the schedule, whole-channel search), accepted so that its command lines
// run unchanged and refused by name when they ask for something else.
#ifndef ENAS_EXAMPLES_CIFAR_PROGRAM_HPP
#define ENAS_EXAMPLES_CIFAR_PROGRAM_HPP

#include "program.hpp"

#include <string>

namespace program {

/// The reference's CIFAR-10 flags that the space type fixes.
struct CifarFlags {
  std::string data_format = "NCHW";
  std::int64_t num_branches = 0;
  std::int64_t num_cells = 5;
  bool lr_cosine = true;
  bool whole_channels = true;
};

/// Adds the flags of CifarFlags; `num_branches` defaults to the space's op count. A search program
/// describes --controller_search_whole_channels (a final one gets it from add_reference_flags).
inline void add_cifar_flags(CLI::App& app, CifarFlags& c, std::int64_t num_branches,
                            const std::string& whole_channels_help = {}) {
  c.num_branches = num_branches;
  app.add_option("--data_format", c.data_format, "NCHW (the only layout the reference ran)")->capture_default_str();
  app.add_option("--child_num_branches", c.num_branches, "ops of the space (macro final: ops 0..n-1 allowed)")
      ->capture_default_str();
  app.add_option("--child_num_cells", c.num_cells, "micro: computed nodes per cell (5)")->capture_default_str();
  add_switch(app, "child_lr_cosine", c.lr_cosine, "cosine schedule with restarts (required)");
  if (!whole_channels_help.empty()) {
    add_switch(app, "controller_search_whole_channels", c.whole_channels, whole_channels_help);
  }
}

/// Refuses flag values the programs cannot honour, with the reason.
inline void check_cifar_flags(const CifarFlags& c, const std::string& space, std::int64_t ops_in_space) {
  if (c.data_format != "NCHW") throw enas::ConfigError("--data_format " + c.data_format + " is not supported: use NCHW");
  if (!c.lr_cosine) throw enas::ConfigError("--nochild_lr_cosine: only the cosine schedule of the CIFAR scripts is implemented");
  if (!c.whole_channels) throw enas::ConfigError("--nocontroller_search_whole_channels: only whole-channel search is implemented");
  if (c.num_branches > ops_in_space) {
    throw enas::ConfigError("--child_num_branches " + std::to_string(c.num_branches) + " exceeds the " +
                            std::to_string(ops_in_space) + " ops of the " + space + " space");
  }
}

/// Calls f(std::integral_constant<int, L>{}) for the macro depths the programs are built for.
template <class F>
void with_macro_layers(std::int64_t layers, F&& f) {
  switch (layers) {
    case 6: return f(std::integral_constant<int, 6>{});
    case 12: return f(std::integral_constant<int, 12>{});
    case 24: return f(std::integral_constant<int, 24>{});
    default:
      throw enas::ConfigError("--child_num_layers " + std::to_string(layers) +
                              ": the macro programs are built for 6, 12 or 24 layers (the space's depth is a "
                              "compile-time parameter; add a case in examples/cifar_program.hpp for another)");
  }
}

}  // namespace program

#endif  // ENAS_EXAMPLES_CIFAR_PROGRAM_HPP
