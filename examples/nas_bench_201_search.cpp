// nas_bench_201_search: ENAS search of the NAS-Bench-201 cell space on CIFAR-10 (the library's
// fourth family, include/enas/families/nas_bench_201), with the settings of the benchmark authors'
// ENAS run as defaults. Prints the derived cell in the benchmark's string format.
#include "nas_bench_201_program.hpp"

int main(int argc, char** argv) {
  using Space = program::NasBench201;
  program::SearchProgram<enas::train::ImageOptions> p(
      "nas_bench_201_search", "nas_bench_201_search: ENAS cell search in the NAS-Bench-201 space on CIFAR-10",
      enas::nas_bench_201::search_defaults(), Space::controller_defaults(), Space::name, program::kNotInNasBench201);
  program::describe_nas_bench_201_sizes(p.app);
  return p.run(argc, argv, [&] { p.search<Space>(); });
}
