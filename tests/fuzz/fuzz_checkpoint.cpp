// The checkpoint loader (io/checkpoint.hpp) as a resume reads a file: the archive opened (its zip
// checked first, io/zip_integrity.hpp), the configuration and the minutes read, the run's state
// with its counters, a module's weights and the random generators. A file from another program,
// of another model, truncated or corrupt must be refused with a CheckpointError.
#include <torch/nn/modules/linear.h>

#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "enas/io/checkpoint.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = enas::fuzz::scratch_dir() / "checkpoint.pt";
  enas::fuzz::write_bytes(path, data, size);
  enas::fuzz::refused_or_read([&] {
    auto a = enas::io::open_checkpoint(path);
    (void)nlohmann::json::parse(enas::io::read_string(a, "config"), nullptr, false);
    (void)enas::io::read_double(a, "minutes");
    enas::io::InputArchive run;
    if (!enas::io::try_read_archive(a, "run", run)) return;
    (void)enas::io::read_int(run, "step");
    torch::nn::Linear model(3, 2);
    enas::io::read_module(run, "model", *model);
    enas::io::read_generators(run, at::Device(at::kCPU));
  });
  return 0;
}
