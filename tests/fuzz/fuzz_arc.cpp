// The architecture strings of every family (--child_fixed_arc, best_arc.txt, the seeds of
// docs/seed-architectures.md): PTB cells, macro and micro CIFAR-10 networks, NAS-Bench-201 cells
// in both of their notations. Whatever parses must format back to a string that parses to the
// same architecture.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enas/core/arc.hpp"
#include "enas/families/nas_bench_201/space.hpp"
#include "enas/spaces/cifar_macro.hpp"
#include "enas/spaces/cifar_micro.hpp"
#include "enas/spaces/ptb_cell.hpp"
#include "fuzz_support.hpp"

namespace {

template <class Space>
void parse_as(std::string_view text) {
  enas::fuzz::refused_or_read([&] {
    const auto arch = Space::parse(text);
    const auto again = enas::format_arch<Space>(arch);
    const auto back = Space::parse(again);
    enas::fuzz::require(enas::format_arch<Space>(back) == again, "parse(format(arch)) == arch");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  parse_as<enas::spaces::PtbEnas>(text);
  parse_as<enas::spaces::PtbTanhRelu>(text);
  parse_as<enas::spaces::MacroOf<12>>(text);
  parse_as<enas::spaces::MacroOf<24>>(text);
  parse_as<enas::spaces::MicroEnas>(text);
  parse_as<enas::nas_bench_201::NasBench201>(text);
  return 0;
}
