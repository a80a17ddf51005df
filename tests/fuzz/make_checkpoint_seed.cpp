// Writes the seed of fuzz_checkpoint's corpus: a valid checkpoint of the shape it reads.
#include <torch/nn/modules/linear.h>

#include "enas/io/checkpoint.hpp"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  enas::io::OutputArchive a, run;
  enas::io::write_string(a, "config", R"({"batch_size": 20, "seed": 0})");
  enas::io::write_double(a, "minutes", 1.5);
  enas::io::write_int(run, "step", 7);
  torch::nn::Linear model(3, 2);
  enas::io::write_module(run, "model", *model);
  enas::io::write_generators(run, at::Device(at::kCPU));
  a.write("run", run);
  a.save_to(argv[1]);
  return 0;
}
