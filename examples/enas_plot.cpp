// enas_plot: training curves of a run from its <output_dir>/metrics.jsonl, drawn with gnuplot
// into <output_dir>/plots/ (PNG and SVG) next to the data and the gnuplot script.
#include "program.hpp"

#include <enas/report/plot.hpp>

int main(int argc, char** argv) {
  CLI::App app{"enas_plot: draws the training curves of a run (child loss, training metric, evaluations, "
               "controller reward and entropy) into <output_dir>/plots/",
               "enas_plot"};
  std::string output_dir;
  app.add_option("output_dir", output_dir, "output folder of an enas run (holds metrics.jsonl)")
      ->required()
      ->check(CLI::ExistingDirectory);
  return program::run(app, argc, argv, [&] {
    const auto written = enas::report::plot_run(output_dir);
    for (const auto& file : written.files) fmt::print("{}\n", file.string());
    if (!written.message.empty()) fmt::print(stderr, "enas_plot: {}\n", written.message);
  });
}
