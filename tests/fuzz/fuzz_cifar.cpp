// The CIFAR-10 binary reader (data/cifar10.hpp) on one batch file of any size and content. A
// file that loads holds whole records with labels 0-9.
#include <cstddef>
#include <cstdint>

#include "enas/data/cifar10.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = enas::fuzz::scratch_dir() / "data_batch_1.bin";
  enas::fuzz::write_bytes(path, data, size);
  enas::fuzz::refused_or_read([&] {
    const auto images = enas::data::load_cifar10_file(path);
    enas::fuzz::require(static_cast<std::size_t>(images.size()) * enas::data::kCifarRecordBytes == size,
                        "one image per 3,073-byte record");
    for (const auto label : images.labels) enas::fuzz::require(label < enas::data::kCifarClasses, "labels 0-9");
  });
  return 0;
}
