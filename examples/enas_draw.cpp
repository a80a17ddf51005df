// enas_draw: draws an architecture string like the ENAS paper's figures: Graphviz DOT text, and
// PNG and SVG pictures when Graphviz is installed. The string is checked by its space first, so a
// bad one gets the same message as the training programs give.
#include "program.hpp"

#include <enas/report/dot.hpp>

namespace {

std::int64_t sample_count = 0;
std::uint64_t sample_seed = 0;

template <class Space>
void draw(const std::string& arc, const std::string& output) {
  if (sample_count > 0) {
    // Uniform draws over the space (controllers::Random), one architecture string per line.
    enas::controllers::Random<Space> random(Space::controller_defaults(), sample_seed);
    const auto batch = random.sample(sample_count);
    for (std::int64_t k = 0; k < batch.size(); ++k) fmt::print("{}\n", enas::join_tokens(batch.arc(k)));
    return;
  }
  const auto written = enas::report::render_dot(enas::report::to_dot<Space>(Space::parse(arc)), output);
  for (const auto& file : written.files) fmt::print("{}\n", file.string());
  if (!written.message.empty()) fmt::print(stderr, "enas_draw: {}\n", written.message);
}

/// The depth of a macro arc from its token count L + L(L-1)/2, among the depths drawn here.
int macro_layers(const std::string& arc) {
  const auto count = enas::tokenize_arc(arc).size();
  for (const int layers : {6, 12, 24}) {
    if (count == static_cast<std::size_t>(layers * (layers + 1) / 2)) return layers;
  }
  throw enas::ArcError(fmt::format(
      "macro architecture has {} tokens, expected L + L(L-1)/2 for L = 6, 12 or 24 layers: 21, 78 or 300", count));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"enas_draw: draws an architecture as a Graphviz picture (.dot, and .png and .svg with Graphviz)",
               "enas_draw"};
  std::string space;
  std::string arc;
  int layers = 0;
  std::string output;
  app.add_option("--space", space, "search space of the architecture")
      ->required()
      ->check(CLI::IsMember({"ptb", "macro", "micro"}));
  auto* arc_option = app.add_option("--arc", arc, "architecture string, as --child_fixed_arc takes it");
  app.add_option("--sample", sample_count,
                 "instead of drawing, print N architectures drawn uniformly from the space, one per line")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", sample_seed, "seed of --sample")->capture_default_str();
  const auto* layers_option =
      app.add_option("--layers", layers, "macro: number of layers (default: from the token count, 78 -> 12, 300 -> 24)")
          ->check(CLI::IsMember({6, 12, 24}));
  app.add_option("--output", output, "output path without extension (default: the space name, e.g. ptb.dot)");
  return program::run(app, argc, argv, [&] {
    if (layers_option->count() > 0 && space != "macro") {
      throw enas::ConfigError("--layers applies to --space macro only");
    }
    if (sample_count == 0 && arc_option->count() == 0) throw enas::ConfigError("--arc is required (or --sample N)");
    if (sample_count > 0 && space == "macro" && layers_option->count() == 0) layers = 12;
    if (output.empty()) output = space;
    if (space == "ptb") {
      draw<enas::spaces::PtbEnas>(arc, output);
    } else if (space == "micro") {
      draw<enas::spaces::MicroEnas>(arc, output);
    } else {
      switch (layers_option->count() > 0 || sample_count > 0 ? layers : macro_layers(arc)) {
        case 6: draw<enas::spaces::MacroOf<6>>(arc, output); break;
        case 12: draw<enas::spaces::MacroOf<12>>(arc, output); break;
        default: draw<enas::spaces::MacroOf<24>>(arc, output); break;
      }
    }
  });
}
