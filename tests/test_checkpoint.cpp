// Checkpoints: a run stopped and resumed ends with bit-identical weights and the same log as an
// uninterrupted run (PTB search, micro search); truncated checkpoints are rejected cleanly; damaged
// ones (any byte flipped, the fuzzer's crash file, another program's zip damaged or compressed by
// another method) are refused by the zip integrity check before LibTorch parses them; a checkpoint of another configuration is
// refused with the difference named; two are kept.
#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "enas/enas.hpp"
#include "cifar_support.hpp"
#include "support.hpp"

#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("enas_ckpt_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The events of a metrics.jsonl that a resumed run must reproduce: everything but the wall time
// and the bookkeeping of checkpoints and resumes.
std::vector<std::string> training_events(const fs::path& dir) {
  std::vector<std::string> events;
  std::ifstream in(dir / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    const auto kind = j.at("event").get<std::string>();
    if (kind == "checkpoint" || kind == "resume") continue;
    j.erase("mins");
    events.push_back(j.dump());
  }
  return events;
}

template <class Run>
void require_same_state(Run& a, Run& b) {
  const auto pa = a.model()->named_parameters();
  const auto pb = b.model()->named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    INFO(pa[i].key());
    CHECK(at::equal(pa[i].value(), pb[i].value()));
  }
  const auto ba = a.model()->named_buffers();
  const auto bb = b.model()->named_buffers();
  for (std::size_t i = 0; i < ba.size(); ++i) {
    INFO(ba[i].key());
    CHECK(at::equal(ba[i].value(), bb[i].value()));
  }
}

const enas::data::PtbCorpus* small_ptb() {
  static std::unique_ptr<enas::data::PtbCorpus> corpus = [] {
    const auto dir = enas::test::real_data_dir("ptb", enas::data::ptb_files());
    if (dir.empty()) return std::unique_ptr<enas::data::PtbCorpus>();
    auto c = std::make_unique<enas::data::PtbCorpus>(enas::data::load_ptb(dir));
    c->train = xt::view(c->train, xt::range(0, 60000));  // 53 windows of 32 × 35 per epoch
    c->valid = xt::view(c->valid, xt::range(0, 10000));
    c->test = xt::view(c->test, xt::range(0, 2000));
    return c;
  }();
  return corpus.get();
}

using SeedCellRun = enas::FinalTraining<enas::spaces::PtbEnas>;

/// Options of a tiny final training of the seed cell (hidden size `hidden`, batch 32).
enas::train::LmOptions tiny_final_options(std::int64_t hidden) {
  auto o = enas::train::LmOptions::final_defaults();
  o.hidden = hidden;
  o.batch_size = 32;
  return o;
}

/// A tiny final training of the seed cell on the small corpus.
std::unique_ptr<SeedCellRun> tiny_seed_cell_run(const enas::data::PtbCorpus& corpus, const enas::train::LmOptions& o,
                                                std::uint64_t seed) {
  return std::make_unique<SeedCellRun>(enas::spaces::PtbEnas::parse(enas::test::kSeedPtbArc), o, corpus,
                                       at::Device("cpu"), seed);
}

}  // namespace

TEST_CASE("a PTB search stopped and resumed matches an uninterrupted run bit for bit", "[checkpoint][ptb][slow]") {
  const auto* corpus = small_ptb();
  if (corpus == nullptr) {
    WARN("skipped: Penn Treebank not found");
    return;
  }
  using Space = enas::spaces::PtbEnas;
  using Net = enas::Supernet<Space>;
  auto o = enas::train::LmOptions::search_defaults();
  o.hidden = 12;
  o.batch_size = 32;
  o.num_epochs = 2;
  o.max_steps = 70;  // crosses the epoch boundary at step 53: controller phase, evaluation, checkpoint
  o.log_every = 5;
  auto co = Space::controller_defaults();
  co.lstm_size = 16;
  co.train_steps = 2;
  co.num_aggregate = 3;
  const nlohmann::json config{{"test", "ptb"}, {"options", enas::io::to_json(o)}};
  const at::Device cpu("cpu");

  const auto whole = fresh_dir("ptb_whole");
  at::manual_seed(11);
  Net a(o, co, *corpus, cpu, 11);
  {
    enas::io::RunLog log(whole, false);
    REQUIRE(a.search(log) == enas::RunStatus::kFinished);
  }

  const auto parts = fresh_dir("ptb_parts");
  for (const std::int64_t stop_at : {23, 61}) {  // before the epoch boundary, and after it
    INFO("stopped after step " << stop_at);
    fs::remove_all(parts);
    at::manual_seed(11);
    {
      Net b(o, co, *corpus, cpu, 11);
      enas::io::RunLog log(parts, false);
      enas::Checkpointing<Net> checkpoints(b, parts, config, log);
      auto hooks = checkpoints.hooks();
      hooks.should_stop = [&] { return b.step() >= stop_at; };
      REQUIRE(b.search(log, hooks) == enas::RunStatus::kStopped);
      CHECK(b.step() == stop_at);
      checkpoints.save();
    }
    at::manual_seed(99);  // the resumed process starts from another state: the checkpoint must restore it
    Net c(o, co, *corpus, cpu, 11);
    enas::io::RunLog log(parts, false);
    enas::Checkpointing<Net> checkpoints(c, parts, config, log);
    REQUIRE(checkpoints.resume() == stop_at);
    REQUIRE(c.search(log, checkpoints.hooks()) == enas::RunStatus::kFinished);
    CHECK(c.step() == a.step());
    CHECK(c.controller_updates() == a.controller_updates());
    CHECK(c.controller().baseline() == a.controller().baseline());
    require_same_state(a, c);
    CHECK(at::equal(c.controller().net()->w_lstm, a.controller().net()->w_lstm));
    CHECK(training_events(parts) == training_events(whole));
  }
  fs::remove_all(whole);
  fs::remove_all(parts);
}

TEST_CASE("a micro search stopped and resumed matches an uninterrupted run bit for bit", "[checkpoint][cifar][slow]") {
  auto real = enas::test::small_real_cifar10(192, 100);  // 6 batches of 32 per epoch
  if (!real) {
    WARN("skipped: CIFAR-10 not found");
    return;
  }
  const auto& data = *real;
  using Space = enas::spaces::MicroEnas;
  using Net = enas::Supernet<Space>;
  auto o = enas::train::ImageOptions::micro_search_defaults();
  o.batch_size = 32;
  o.out_filters = 4;
  o.num_layers = 3;
  o.num_epochs = 2;
  o.log_every = 2;
  auto co = Space::controller_defaults();
  co.train_steps = 2;
  co.num_aggregate = 2;
  const nlohmann::json config{{"test", "micro"}, {"options", enas::io::to_json(o)}};
  const at::Device cpu("cpu");

  const auto whole = fresh_dir("micro_whole");
  at::manual_seed(5);
  Net a(o, co, data, cpu, 5);
  {
    enas::io::RunLog log(whole, false);
    REQUIRE(a.search(log) == enas::RunStatus::kFinished);
  }
  const auto parts = fresh_dir("micro_parts");
  at::manual_seed(5);
  {
    Net b(o, co, data, cpu, 5);
    enas::io::RunLog log(parts, false);
    enas::Checkpointing<Net> checkpoints(b, parts, config, log);
    auto hooks = checkpoints.hooks();
    hooks.should_stop = [&] { return b.step() >= 9; };  // mid-way through the second epoch
    REQUIRE(b.search(log, hooks) == enas::RunStatus::kStopped);
    checkpoints.save();
  }
  at::manual_seed(123);
  Net c(o, co, data, cpu, 5);
  enas::io::RunLog log(parts, false);
  enas::Checkpointing<Net> checkpoints(c, parts, config, log);
  REQUIRE(checkpoints.resume() == 9);
  REQUIRE(c.search(log, checkpoints.hooks()) == enas::RunStatus::kFinished);
  require_same_state(a, c);
  CHECK(training_events(parts) == training_events(whole));
  fs::remove_all(whole);
  fs::remove_all(parts);
}

TEST_CASE("checkpoints are kept two at a time and written atomically", "[checkpoint]") {
  const auto* corpus = small_ptb();
  if (corpus == nullptr) {
    WARN("skipped: Penn Treebank not found");
    return;
  }
  auto run = tiny_seed_cell_run(*corpus, tiny_final_options(8), 1);
  const auto dir = fresh_dir("keep");
  enas::io::RunLog log(dir, false);
  enas::Checkpointing<SeedCellRun> checkpoints(*run, dir, {{"h", 8}}, log);
  for (int i = 0; i < 3; ++i) {
    run->train_step();
    checkpoints.save();
  }
  const auto files = checkpoints.files().list();
  REQUIRE(files.size() == 2);
  CHECK(files[0].filename() == "checkpoint-3.pt");
  CHECK(files[1].filename() == "checkpoint-2.pt");
  for (const auto& entry : fs::directory_iterator(dir)) CHECK(entry.path().extension() != ".tmp");
  fs::remove_all(dir);
}

TEST_CASE("a checkpoint truncated at any 1 KiB boundary is rejected cleanly", "[checkpoint]") {
  const auto* corpus = small_ptb();
  if (corpus == nullptr) {
    WARN("skipped: Penn Treebank not found");
    return;
  }
  using Run = SeedCellRun;
  const auto o = tiny_final_options(4);
  auto run = tiny_seed_cell_run(*corpus, o, 1);
  const auto dir = fresh_dir("truncated");
  enas::io::RunLog log(dir, false);
  const nlohmann::json config{{"h", 4}};
  const auto file = enas::Checkpointing<Run>(*run, dir, config, log).save();
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() > 4096);
  fs::remove(file);
  const auto truncated = dir / "checkpoint-1.pt";
  auto fresh_run = tiny_seed_cell_run(*corpus, o, 2);
  auto& fresh = *fresh_run;
  const auto before = fresh.model()->w_prev.clone();
  enas::io::RunLog quiet({}, false);
  int rejected = 0;
  for (std::size_t size = 0; size < bytes.size(); size += 1024) {
    std::ofstream(truncated, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(size));
    INFO("truncated to " << size << " of " << bytes.size() << " bytes");
    CHECK_THROWS_AS(enas::io::open_checkpoint(truncated), enas::CheckpointError);
    // A run asked to resume from it finds no usable checkpoint and keeps its own weights.
    CHECK_FALSE(enas::Checkpointing<Run>(fresh, dir, config, quiet).resume().has_value());
    CHECK(at::equal(fresh.model()->w_prev, before));
    ++rejected;
  }
  CHECK(rejected == static_cast<int>((bytes.size() + 1023) / 1024));
  fs::remove_all(dir);
}

TEST_CASE("a checkpoint of another configuration is refused with the difference named", "[checkpoint]") {
  const auto* corpus = small_ptb();
  if (corpus == nullptr) {
    WARN("skipped: Penn Treebank not found");
    return;
  }
  using Run = SeedCellRun;
  const auto o = tiny_final_options(4);
  auto run_owner = tiny_seed_cell_run(*corpus, o, 1);
  auto& run = *run_owner;
  const auto dir = fresh_dir("config");
  enas::io::RunLog log(dir, false);
  const nlohmann::json made{{"space", "ptb"}, {"options", enas::io::to_json(o)}};
  enas::Checkpointing<Run>(run, dir, made, log).save();
  auto other = o;
  other.lr = 1.0;
  const nlohmann::json now{{"space", "ptb"}, {"options", enas::io::to_json(other)}};
  CHECK_THROWS_WITH(enas::Checkpointing<Run>(run, dir, now, log).resume(),
                    enas::test::Contains("another configuration") &&
                        enas::test::Contains(fmt::format("child_lr = {} in the checkpoint, 1.0 now",
                                                              nlohmann::json(o.lr).dump())) &&
                        !enas::test::Contains("options = ") && enas::test::Contains("--reset_output_dir"));
  const nlohmann::json space{{"space", "micro"}, {"options", enas::io::to_json(o)}};
  CHECK_THROWS_WITH(enas::Checkpointing<Run>(run, dir, space, log).resume(),
                    enas::test::Contains("space = \"ptb\" in the checkpoint, \"micro\" now"));
  fs::remove_all(dir);
}

TEST_CASE("checkpoint entries of the wrong type or shape are refused naming the entry", "[checkpoint]") {
  // What another program's archive (or a damaged one) holds where a resume expects a counter, a
  // number, a string, a generator state or a module: each read names the entry and what it is.
  enas::io::OutputArchive out, module;
  enas::io::write_string(out, "step", "twelve");
  enas::io::write_int(out, "minutes", 3);
  enas::io::write_double(out, "config", 1.5);
  out.write("generator_cpu", at::zeros({3}, at::kByte));
  module.write("weight", at::zeros({2, 3}, at::kLong));
  module.write("bias", at::zeros({2}));
  out.write("model", module);
  const auto dir = fresh_dir("wrong_types");
  const auto file = dir / "foreign.pt";
  out.save_to(file.string());
  auto in = enas::io::open_checkpoint(file);
  const auto refusal = [&](auto&& read) -> std::string {
    try {
      read();
    } catch (const enas::CheckpointError& e) {
      return e.what();
    }
    return "(read)";
  };
  CHECK(refusal([&] { enas::io::read_int(in, "step"); }) ==
        "checkpoint entry 'step' holds a value of type String, expected an integer");
  CHECK(refusal([&] { enas::io::read_double(in, "minutes"); }) ==
        "checkpoint entry 'minutes' holds a value of type Int, expected a number");
  CHECK(refusal([&] { enas::io::read_string(in, "config"); }) ==
        "checkpoint entry 'config' holds a value of type Double, expected a string");
  CHECK(refusal([&] { enas::io::read_int(in, "absent"); }) == "checkpoint lacks the entry 'absent' (an integer)");
  const auto generator = refusal([&] { enas::io::read_generators(in, at::Device(at::kCPU)); });
  CHECK_THAT(generator, enas::test::Contains("checkpoint entry 'generator_cpu' is unreadable"));
  torch::nn::Linear linear(3, 2);
  CHECK(refusal([&] { enas::io::read_module(in, "model", *linear); }) ==
        "checkpoint module 'model': 'weight' holds long int values, the model expects float");
  fs::remove_all(dir);
}

TEST_CASE("crc32 gives the standard check values", "[checkpoint]") {
  CHECK(enas::io::crc32("123456789", 9) == 0xCBF43926U);  // the check value of CRC-32/ISO-HDLC (zip)
  CHECK(enas::io::crc32("", 0) == 0U);
  CHECK(enas::io::crc32("6789", 4, enas::io::crc32("12345", 5)) == 0xCBF43926U);  // continued
}

TEST_CASE("a checkpoint with any byte flipped is refused or reads back unchanged", "[checkpoint]") {
  // A small checkpoint (integers, a number, a string, a module's tensors, and 60 counters so that
  // LibTorch deflates its code file: 9 entries, 4 KiB) with each of its bytes flipped in turn
  // (all 8 bits), every one of them: open_checkpoint and reading every entry either refuse with a
  // CheckpointError or return exactly what was written.
  enas::io::OutputArchive out;
  enas::io::write_int(out, "step", 1234567);
  enas::io::write_int(out, "updates", -3);
  enas::io::write_double(out, "minutes", 2.75);
  enas::io::write_string(out, "config", R"({"space": "ptb", "lr": 0.25})");
  for (int i = 0; i < 60; ++i) enas::io::write_int(out, "counter_" + std::to_string(i), i);
  torch::nn::Linear model(3, 2);
  enas::io::write_module(out, "model", *model);
  const auto dir = fresh_dir("flips");
  const auto bytes = file_bytes(enas::io::CheckpointFiles(dir).save(out, 1));
  const auto entries = enas::io::verify_zip("intact", bytes.data(), bytes.size());
  REQUIRE(std::any_of(entries.begin(), entries.end(), [](const auto& e) { return e.method == 8; }));
  // The bytes that LibTorch reads: every entry's data, and its local header's signature and name.
  std::vector<bool> read_by_libtorch(bytes.size(), false);
  for (const auto& e : entries) {
    for (std::uint64_t i = e.header_offset; i < e.header_offset + 4; ++i) read_by_libtorch[i] = true;
    for (std::uint64_t i = e.header_offset + 30; i < e.header_offset + 30 + e.name.size(); ++i) {
      read_by_libtorch[i] = true;
    }
    for (std::uint64_t i = e.data_offset; i < e.data_offset + e.compressed_size; ++i) read_by_libtorch[i] = true;
  }
  const auto reads_back = [&](const fs::path& file) {  // throws CheckpointError when refused
    auto in = enas::io::open_checkpoint(file);
    torch::nn::Linear copy(3, 2);
    enas::io::read_module(in, "model", *copy);
    bool same = enas::io::read_int(in, "step") == 1234567 && enas::io::read_int(in, "updates") == -3 &&
                enas::io::read_double(in, "minutes") == 2.75 &&
                enas::io::read_string(in, "config") == R"({"space": "ptb", "lr": 0.25})" &&
                at::equal(copy->weight, model->weight) && at::equal(copy->bias, model->bias);
    for (int i = 0; i < 60; ++i) same = same && enas::io::read_int(in, "counter_" + std::to_string(i)) == i;
    return same;
  };
  const auto flipped = dir / "checkpoint-2.pt";
  write_file(flipped, bytes);
  REQUIRE(reads_back(flipped));

  const auto start = std::chrono::steady_clock::now();
  std::size_t refused = 0, unchanged = 0;
  std::vector<std::size_t> changed, read_and_accepted, other_errors;
  // The byte is flipped in place, and put back after: rewriting the whole file each time
  // (truncating it) costs ext4 half a millisecond per open, 5 times the rest of the test.
  std::fstream damaged(flipped, std::ios::in | std::ios::out | std::ios::binary);
  const auto put = [&](std::size_t i, char byte) {
    damaged.seekp(static_cast<std::streamoff>(i));
    damaged.put(byte);
    damaged.flush();
  };
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    put(i, static_cast<char>(~bytes[i]));
    try {
      if (reads_back(flipped)) {
        ++unchanged;
      } else {
        changed.push_back(i);
      }
      if (read_by_libtorch[i]) read_and_accepted.push_back(i);
    } catch (const enas::CheckpointError&) {
      ++refused;
    } catch (const std::exception& e) {
      other_errors.push_back(i);
      FAIL_CHECK("byte " << i << " flipped: " << e.what());
    }
    put(i, bytes[i]);
  }
  REQUIRE(damaged.good());
  REQUIRE(file_bytes(flipped) == bytes);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(bytes.size() << " bytes flipped one at a time in " << seconds << " s: " << refused << " refused, " << unchanged
                    << " read back unchanged");
  CHECK(other_errors.empty());
  CHECK(changed.empty());            // no flip gives other values silently
  CHECK(read_and_accepted.empty());  // no flip of what LibTorch reads gets through
  CHECK(refused + unchanged == bytes.size());
  // Measured with LibTorch 1.13: 3,252 of 4,047 refused (80%). The 795 accepted are bytes that no
  // reader looks at: the local headers' other fields (LibTorch writes their sizes and CRC after
  // the data, in data descriptors, which are not read either), the alignment padding of the
  // local extra fields, the directory's times, versions and attributes (other than the folder
  // bit), the zip64 record's versions. The bound leaves room for another LibTorch's layout.
  CHECK(refused * 100 >= bytes.size() * 75);
  fs::remove_all(dir);
}

TEST_CASE("the checkpoint that crashed LibTorch's importer is refused naming the damaged entry", "[checkpoint]") {
  // tests/fuzz/crashes/checkpoint-torchscript-segv.pt: fuzz_checkpoint's input that made
  // torch::jit::load segfault (docs/reliability.md); its first damaged entry is a tensor's data.
  const auto file = fs::path(ENAS_PROJECT_DIR) / "tests" / "fuzz" / "crashes" / "checkpoint-torchscript-segv.pt";
  REQUIRE(fs::is_regular_file(file));
  CHECK_THROWS_WITH(enas::io::open_checkpoint(file),
                    "checkpoint " + file.string() +
                        ": entry 'valid/data/2' (at byte 216) has CRC-32 0x1026aebc, its directory records 0x209932d2 "
                        "(damaged file)");
}

TEST_CASE("another program's zip is refused when damaged or compressed by another method", "[checkpoint]") {
  // Written with Python 3.11's zipfile (Debian 12) when this test was written, its bytes below:
  //   with zipfile.ZipFile("deflated.zip", "w") as z:
  //       z.writestr(zipfile.ZipInfo("archive/version", date_time=(2026, 12, 7, 0, 0, 0)), b"3\n")
  //       z.writestr(zipfile.ZipInfo("archive/data.pkl", date_time=(2026, 12, 7, 0, 0, 0)), b"abc" * 40,
  //                  compress_type=zipfile.ZIP_DEFLATED)
  // archive/version is stored (method 0); archive/data.pkl deflated (method 8) into 8 bytes from
  // byte 93; its directory record starts at byte 162.
  static const unsigned char deflated[] = {
    0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x87, 0x5d, 0xd1, 0x9e,
    0x67, 0x55, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x61, 0x72,
    0x63, 0x68, 0x69, 0x76, 0x65, 0x2f, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x33, 0x0a, 0x50,
    0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x87, 0x5d, 0x02, 0xf0, 0xae,
    0x9c, 0x08, 0x00, 0x00, 0x00, 0x78, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x61, 0x72, 0x63,
    0x68, 0x69, 0x76, 0x65, 0x2f, 0x64, 0x61, 0x74, 0x61, 0x2e, 0x70, 0x6b, 0x6c, 0x4b, 0x4c, 0x4a,
    0x4e, 0x1c, 0x08, 0x04, 0x00, 0x50, 0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x87, 0x5d, 0xd1, 0x9e, 0x67, 0x55, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x61, 0x72, 0x63, 0x68, 0x69, 0x76, 0x65, 0x2f, 0x76, 0x65, 0x72, 0x73, 0x69,
    0x6f, 0x6e, 0x50, 0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
    0x87, 0x5d, 0x02, 0xf0, 0xae, 0x9c, 0x08, 0x00, 0x00, 0x00, 0x78, 0x00, 0x00, 0x00, 0x10, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x2f, 0x00, 0x00, 0x00,
    0x61, 0x72, 0x63, 0x68, 0x69, 0x76, 0x65, 0x2f, 0x64, 0x61, 0x74, 0x61, 0x2e, 0x70, 0x6b, 0x6c,
    0x50, 0x4b, 0x05, 0x06, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x7b, 0x00, 0x00, 0x00,
    0x65, 0x00, 0x00, 0x00, 0x00, 0x00};
  const std::string intact(reinterpret_cast<const char*>(deflated), sizeof deflated);
  const auto dir = fresh_dir("foreign_zip");
  const auto file = dir / "checkpoint-1.pt";

  // Intact, it passes the check (the deflated entry inflates to its CRC-32), and LibTorch refuses it.
  const auto entries = enas::io::verify_zip("foreign", intact.data(), intact.size());
  REQUIRE(entries.size() == 2);
  CHECK(entries[1].name == "archive/data.pkl");
  CHECK(entries[1].data_offset == 93);
  CHECK(entries[1].method == 8);
  CHECK(entries[1].compressed_size == 8);
  CHECK(entries[1].size == 120);
  write_file(file, intact);
  const auto foreign = "checkpoint " + file.string() + " is unreadable (written by another program?)";
  CHECK_THROWS_WITH(enas::io::open_checkpoint(file), enas::test::Contains(foreign));

  // Any byte of its deflate stream flipped: refused, naming the entry.
  for (std::size_t i = 93; i < 93 + 8; ++i) {
    auto damaged = intact;
    damaged[i] = static_cast<char>(~damaged[i]);
    write_file(file, damaged);
    INFO("byte " << i << " flipped");
    CHECK_THROWS_WITH(enas::io::open_checkpoint(file),
                      enas::test::Contains("checkpoint " + file.string() + ": entry 'archive/data.pkl' (at byte 47)") &&
                          enas::test::Contains("(damaged file)"));
  }

  // Compressed by another method (12, bzip2): refused saying so.
  auto bzip2 = intact;
  bzip2[162 + 10] = 12;
  write_file(file, bzip2);
  CHECK_THROWS_WITH(enas::io::open_checkpoint(file),
                    "checkpoint " + file.string() +
                        ": entry 'archive/data.pkl' (at byte 47) is compressed with method 12; LibTorch stores entries "
                        "(method 0) or deflates them (method 8) (written by another program?)");
  fs::remove_all(dir);
}

TEST_CASE("a missing checkpoint or a folder in its place is refused naming the path and why", "[checkpoint]") {
  const auto dir = fresh_dir("missing");
  CHECK_THROWS_WITH(enas::io::open_checkpoint(dir / "checkpoint-9.pt"),
                    "cannot read checkpoint " + (dir / "checkpoint-9.pt").string() + ": No such file or directory");
  fs::create_directories(dir / "checkpoint-8.pt");
  CHECK_THROWS_WITH(enas::io::open_checkpoint(dir / "checkpoint-8.pt"),
                    "cannot read checkpoint " + (dir / "checkpoint-8.pt").string() + ": it is a folder");
  write_file(dir / "checkpoint-7.pt", "");
  CHECK_THROWS_WITH(enas::io::open_checkpoint(dir / "checkpoint-7.pt"),
                    enas::test::Contains("checkpoint " + (dir / "checkpoint-7.pt").string() + ": the file is 0 bytes"));
  fs::remove_all(dir);
}
