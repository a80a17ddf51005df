// Builds the published PTB cell through the installed package and prints its architecture string
// and the parameter count of its fixed model at a small size.
#include <enas/enas.hpp>

#include <fmt/format.h>

int main() {
  using Space = enas::spaces::PtbEnas;
  const auto arch = Space::parse("0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1");
  enas::nn::PtbModelOptions options;
  options.vocab = 100;
  options.hidden = 8;
  enas::nn::PtbFixedModel<Space> model(arch, options);
  std::int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  fmt::print("{}\nparams={} (26*H^2 + V*H = {})\n", Space::format(arch), params, Space::fixed_param_count(8, 100));
  return params == Space::fixed_param_count(8, 100) ? 0 : 1;
}
