// The PTB reader (data/ptb.hpp): the input is cut into ptb.train.txt, ptb.valid.txt and
// ptb.test.txt at its first two 0xFF bytes (a byte no text of the corpus holds) and the three
// are loaded as the programs load them. A corpus that loads must have every id in range.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "enas/data/ptb.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto dir = enas::fuzz::scratch_dir() / "ptb";
  std::filesystem::create_directories(dir);
  const std::uint8_t* begin = data;
  const std::uint8_t* const end = data + size;
  for (const auto& name : enas::data::ptb_files()) {
    const std::uint8_t* cut = std::find(begin, end, std::uint8_t{0xFF});
    enas::fuzz::write_bytes(dir / name, begin, static_cast<std::size_t>(cut - begin));
    begin = cut == end ? end : cut + 1;
  }
  enas::fuzz::refused_or_read([&] {
    const auto corpus = enas::data::load_ptb(dir);
    const auto vocab = corpus.vocab_size();
    for (const auto* split : {&corpus.train, &corpus.valid, &corpus.test}) {
      for (const auto id : *split) enas::fuzz::require(id >= 0 && id < vocab, "every word id within the vocabulary");
    }
  });
  return 0;
}
