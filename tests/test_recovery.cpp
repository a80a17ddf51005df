// Numeric faults (docs/reliability.md): a child step or controller update whose loss or gradient
// is not finite is skipped, counted and logged; nonfinite_patience of them in a row restore the
// last checkpoint with the learning rate lowered, and a run that keeps failing stops with a
// message that says what to change. The faults are injected at chosen steps.
#include <ATen/ATen.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "enas/enas.hpp"
#include "support.hpp"

#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

namespace fs = std::filesystem;

namespace {

using Space = enas::spaces::PtbEnas;
using Net = enas::Supernet<Space>;

fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("enas_recovery_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// 20,000 training tokens: 17 windows of 32 × 35 per epoch.
constexpr std::int64_t kPerEpoch = 17;

const enas::data::PtbCorpus* small_ptb() {
  static std::unique_ptr<enas::data::PtbCorpus> corpus = [] {
    const auto dir = enas::test::real_data_dir("ptb", enas::data::ptb_files());
    if (dir.empty()) return std::unique_ptr<enas::data::PtbCorpus>();
    auto c = std::make_unique<enas::data::PtbCorpus>(enas::data::load_ptb(dir));
    c->train = xt::view(c->train, xt::range(0, 20000));
    c->valid = xt::view(c->valid, xt::range(0, 5000));
    c->test = xt::view(c->test, xt::range(0, 2000));
    return c;
  }();
  return corpus.get();
}

enas::train::LmOptions tiny_search(std::int64_t epochs) {
  auto o = enas::train::LmOptions::search_defaults();
  o.hidden = 12;
  o.batch_size = 32;
  o.num_epochs = epochs;
  o.log_every = 1;
  o.derive_samples = 2;
  return o;
}

enas::ControllerOptions tiny_controller() {
  auto co = Space::controller_defaults();
  co.lstm_size = 16;
  co.train_steps = 2;  // updates 1 and 2 in epoch 1, 3 and 4 in epoch 2, ...
  co.num_aggregate = 2;
  return co;
}

std::vector<nlohmann::json> events(const fs::path& dir, const std::string& kind) {
  std::vector<nlohmann::json> out;
  std::ifstream in(dir / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.at("event") == kind) out.push_back(std::move(j));
  }
  return out;
}

bool all_finite(Net& net) {
  for (const auto& p : net.model()->parameters()) {
    if (!at::isfinite(p).all().item<bool>()) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a non-finite child step leaves every weight as it was and is counted", "[recovery][ptb]") {
  const auto* corpus = small_ptb();
  if (corpus == nullptr) {
    WARN("skipped: Penn Treebank not found");
    return;
  }
  Net net(tiny_search(1), tiny_controller(), *corpus, at::Device("cpu"), 3);
  net.inject_nonfinite({{3}, {}});
  net.train_step();
  net.train_step();
  std::vector<at::Tensor> before;
  for (const auto& p : net.model()->parameters()) before.push_back(p.clone());
  net.train_step();  // step 3: its gradient made NaN
  const auto after = net.model()->parameters();
  for (std::size_t i = 0; i < before.size(); ++i) CHECK(at::equal(after[i], before[i]));
  const auto counted = net.task().optimizer().take_nonfinite();
  CHECK(counted.skipped == 1);
  CHECK(counted.longest == 1);
  net.train_step();  // step 4 is a normal step again
  bool moved = false;
  for (std::size_t i = 0; i < before.size(); ++i) moved = moved || !at::equal(net.model()->parameters()[i], before[i]);
  CHECK(moved);
}

TEST_CASE("non-finite child steps and controller updates below the patience are skipped and logged", "[recovery][ptb]") {
  const auto* corpus = small_ptb();
  if (corpus == nullptr) {
    WARN("skipped: Penn Treebank not found");
    return;
  }
  const auto dir = fresh_dir("skip");
  auto o = tiny_search(1);
  o.nonfinite_patience = 3;
  at::manual_seed(5);
  Net net(o, tiny_controller(), *corpus, at::Device("cpu"), 5);
  net.inject_nonfinite({{5, 6, 9}, {1}});
  {
    enas::io::RunLog log(dir, false);
    REQUIRE(net.search(log) == enas::RunStatus::kFinished);
  }
  CHECK(net.step() == kPerEpoch);
  CHECK(all_finite(net));
  // One record per log step that saw skipped steps (log_every 1): steps 5, 6 and 9.
  const auto skipped = events(dir, "nonfinite");
  REQUIRE(skipped.size() == 3);
  CHECK(skipped[0]["step"] == 5);
  CHECK(skipped[1]["step"] == 6);
  CHECK(skipped[1]["longest"] == 2);  // steps 5 and 6 in a row
  CHECK(skipped[2]["step"] == 9);
  CHECK(skipped[2]["longest"] == 1);
  const auto controller = events(dir, "nonfinite_controller");
  REQUIRE(controller.size() == 1);
  CHECK(controller[0]["ctrl_step"] == 1);
  CHECK(net.controller_updates() == 2);
  CHECK(events(dir, "nonfinite_restore").empty());
  // The epoch's training perplexity is over the 14 applied steps: finite.
  for (const auto& e : events(dir, "child")) CHECK(std::isfinite(e["tr_ppl"].get<double>()));
  std::ifstream text(dir / "stdout");
  const std::string all((std::istreambuf_iterator<char>(text)), std::istreambuf_iterator<char>());
  CHECK_THAT(all, enas::test::Contains("warning: 1 child step up to step 5 had a non-finite loss or gradient and was "
                                       "skipped (1 in a row at most)"));
  CHECK_THAT(all, enas::test::Contains("warning: controller update 1 was skipped: the reward of sample 0 is nan"));
  fs::remove_all(dir);
}

TEST_CASE("steps in a row past the patience restore the last checkpoint with a lowered learning rate", "[recovery][ptb][checkpoint]") {
  const auto* corpus = small_ptb();
  if (corpus == nullptr) {
    WARN("skipped: Penn Treebank not found");
    return;
  }
  const auto dir = fresh_dir("restore");
  auto o = tiny_search(3);
  o.nonfinite_patience = 2;
  o.nonfinite_restores = 2;
  o.nonfinite_lr_factor = 0.5;
  const nlohmann::json config{{"test", "recovery"}, {"options", enas::io::to_json(o)}};
  at::manual_seed(7);
  Net net(o, tiny_controller(), *corpus, at::Device("cpu"), 7);
  // Epoch 2: child steps 2 and 3 of it fail (a restore to the end of epoch 1, rate ×0.5); when
  // epoch 2 is trained again, its first controller update fails (patience 2 is not needed for
  // the controller: a phase fails when nonfinite_patience updates in a row fail, so two).
  net.inject_nonfinite({{kPerEpoch + 2, kPerEpoch + 3}, {3, 4}});
  {
    enas::io::RunLog log(dir, false);
    enas::Checkpointing<Net> checkpoints(net, dir, config, log);
    REQUIRE(net.search(log, checkpoints.hooks()) == enas::RunStatus::kFinished);
  }
  CHECK(net.step() == 3 * kPerEpoch);
  CHECK(all_finite(net));
  const auto restores = events(dir, "nonfinite_restore");
  REQUIRE(restores.size() == 2);
  CHECK(restores[0]["step"] == kPerEpoch);
  CHECK(restores[0]["lr_scale"] == 0.5);
  CHECK(restores[0]["restores"] == 1);
  CHECK(restores[1]["step"] == kPerEpoch);
  CHECK(restores[1]["lr_scale"] == 0.25);
  CHECK(restores[1]["restores"] == 2);
  // The rate after the restores: the schedule's (still o.lr before lr_dec_start) × 0.25.
  const auto child = events(dir, "child");
  REQUIRE_FALSE(child.empty());
  CHECK(child.front()["lr"].get<double>() == Approx(o.lr));
  CHECK(child.back()["lr"].get<double>() == Approx(0.25 * o.lr));
  CHECK(net.task().recovery().lr_scale == 0.25);
  // The lowered rate is part of the checkpoints written after the restores.
  {
    Net resumed(o, tiny_controller(), *corpus, at::Device("cpu"), 7);
    enas::io::RunLog log({}, false);
    enas::Checkpointing<Net> checkpoints(resumed, dir, config, log);
    REQUIRE(checkpoints.resume() == 3 * kPerEpoch);
    CHECK(resumed.task().recovery().lr_scale == 0.25);
    CHECK(resumed.task().recovery().restores == 2);
  }
  fs::remove_all(dir);
}

TEST_CASE("a run that keeps failing after its restores stops with what to change", "[recovery][ptb][checkpoint]") {
  const auto* corpus = small_ptb();
  if (corpus == nullptr) {
    WARN("skipped: Penn Treebank not found");
    return;
  }
  const auto dir = fresh_dir("stop");
  auto o = tiny_search(3);
  o.nonfinite_patience = 2;
  o.nonfinite_restores = 1;
  const nlohmann::json config{{"test", "recovery"}, {"options", enas::io::to_json(o)}};
  Net net(o, tiny_controller(), *corpus, at::Device("cpu"), 7);
  net.inject_nonfinite({{kPerEpoch + 2, kPerEpoch + 3}, {3, 4}});
  enas::io::RunLog log(dir, false);
  enas::Checkpointing<Net> checkpoints(net, dir, config, log);
  CHECK_THROWS_WITH(net.search(log, checkpoints.hooks()),
                    enas::test::Contains("2 controller updates in a row up to update 4 were not finite") &&
                        enas::test::Contains("after 1 restores with the learning rate lowered to ×0.5") &&
                        enas::test::Contains("Lower --controller_lr"));
  CHECK(all_finite(net));
  // The checkpoint of epoch 1 is intact for a run with other flags.
  Net again(o, tiny_controller(), *corpus, at::Device("cpu"), 7);
  enas::Checkpointing<Net> reread(again, dir, config, log);
  CHECK(reread.resume() == kPerEpoch);

  // Without any checkpoint (the faults in epoch 1, before the first is written) the run stops.
  const auto empty = fresh_dir("stop_empty");
  Net early(o, tiny_controller(), *corpus, at::Device("cpu"), 7);
  early.inject_nonfinite({{2, 3}, {}});
  enas::io::RunLog log2(empty, false);
  enas::Checkpointing<Net> none(early, empty, config, log2);
  CHECK_THROWS_WITH(early.search(log2, none.hooks()),
                    enas::test::Contains("2 child steps in a row up to step 3 had a non-finite loss or gradient") &&
                        enas::test::Contains("there is no checkpoint to restore") &&
                        enas::test::Contains("--child_lr"));
  fs::remove_all(dir);
  fs::remove_all(empty);
}
