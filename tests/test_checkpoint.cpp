// Checkpoints: a run stopped and resumed ends with bit-identical weights and the same log as an
// uninterrupted run (PTB search, micro search); truncated checkpoints are rejected cleanly; a
// checkpoint of another configuration is refused with the difference named; two are kept.
#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include <filesystem>
#include <fstream>
#include <cstdint>
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
