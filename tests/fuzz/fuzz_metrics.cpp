// The metrics reader (report/plot.hpp, what enas_plot reads) on a metrics.jsonl of any content,
// and the gnuplot script drawn from what it read.
#include <cstddef>
#include <cstdint>

#include "enas/report/plot.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = enas::fuzz::scratch_dir() / "metrics.jsonl";
  enas::fuzz::write_bytes(path, data, size);
  enas::fuzz::refused_or_read([&] {
    const auto metrics = enas::report::read_metrics(path);
    const auto script = enas::report::gnuplot_script(metrics, "fuzz");
    enas::fuzz::require(!script.empty(), "a script");
  });
  return 0;
}
