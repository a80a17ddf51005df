// PTB end to end on the real corpus: reader, batching, models, the gradient reaching exactly the
// sampled weights, a short fixed-cell training, a tiny search with derive, error messages.
#include <ATen/ATen.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "enas/enas.hpp"
#include "support.hpp"

#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

namespace fs = std::filesystem;
using enas::spaces::PtbEnas;

namespace {

const enas::data::PtbCorpus* corpus_or_skip() {
  static const auto dir = enas::test::real_data_dir("ptb", enas::data::ptb_files());
  if (dir.empty()) return nullptr;
  static const auto corpus = enas::data::load_ptb(dir);
  return &corpus;
}

#define REQUIRE_PTB(corpus)                                                                                  \
  const auto* corpus = corpus_or_skip();                                                                     \
  if (corpus == nullptr) {                                                                                   \
    WARN("skipped: Penn Treebank not found (data/ptb, $ENAS_DATA_DIR/ptb or ../shared/data/ptb)");          \
    return;                                                                                                  \
  }

fs::path temp_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("enas_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

enas::nn::PtbModelOptions small_model(std::int64_t hidden, std::int64_t vocab = 10000) {
  enas::nn::PtbModelOptions o;
  o.hidden = hidden;
  o.vocab = vocab;
  return o;
}

}  // namespace

TEST_CASE("the PTB reader gives the standard counts on the real files", "[ptb][data]") {
  REQUIRE_PTB(corpus);
  CHECK(corpus->vocab_size() == 10000);
  CHECK(corpus->train.size() == 929'589);
  CHECK(corpus->valid.size() == 73'760);
  CHECK(corpus->test.size() == 82'430);
  // Ids are ranks in byte-wise sorted order; every split ends with <eos>.
  const auto eos = corpus->ids.at("<eos>");
  CHECK(corpus->words[static_cast<std::size_t>(eos)] == "<eos>");
  CHECK(corpus->train(corpus->train.size() - 1) == eos);
  CHECK(corpus->test(corpus->test.size() - 1) == eos);
  CHECK(std::is_sorted(corpus->words.begin(), corpus->words.end()));
  CHECK(corpus->words[static_cast<std::size_t>(corpus->train(0))] == "aer");  // the first word of ptb.train.txt
}

TEST_CASE("PTB batching follows the reference's counts and shifts targets by one", "[ptb][data]") {
  REQUIRE_PTB(corpus);
  const at::Device cpu("cpu");
  CHECK(enas::data::PtbBatches(corpus->train, 20, 35, cpu).num_batches() == 1327);
  CHECK(enas::data::PtbBatches(corpus->train, 64, 35, cpu).num_batches() == 414);
  CHECK(enas::data::PtbBatches(corpus->valid, 20, 35, cpu).num_batches() == 105);
  CHECK(enas::data::PtbBatches(corpus->valid, 64, 35, cpu).num_batches() == 32);
  const enas::data::PtbBatches b(corpus->train, 20, 35, cpu);
  const auto [x, y] = b.window(3);
  CHECK(x.size(0) == 35);
  CHECK(x.size(1) == 20);
  const std::int64_t len = 929'589 / 20;
  // Row r of the batch is the stream from r·len on; window 3 starts at column 3·35.
  CHECK(x[0][1].item<std::int64_t>() == corpus->train(static_cast<std::size_t>(len + 105)));
  CHECK(y[0][1].item<std::int64_t>() == corpus->train(static_cast<std::size_t>(len + 106)));
  CHECK(at::equal(x.narrow(0, 1, 34), y.narrow(0, 0, 34)));
}

TEST_CASE("a missing or foreign PTB file is a clear error", "[ptb][data]") {
  const auto dir = temp_dir("ptb_bad");
  write_file(dir / "ptb.train.txt", " the cat sat \n the dog \n");
  write_file(dir / "ptb.valid.txt", " the cat \n");
  CHECK_THROWS_WITH(enas::data::load_ptb(dir), Catch::Matchers::Contains("ptb.test.txt is missing"));
  write_file(dir / "ptb.test.txt", " the bird \n");
  CHECK_THROWS_WITH(enas::data::load_ptb(dir),
                    Catch::Matchers::Contains("ptb.test.txt") && Catch::Matchers::Contains("'bird'"));
  write_file(dir / "ptb.test.txt", " the cat sat \n");
  const auto c = enas::data::load_ptb(dir);
  CHECK(c.vocab_size() == 5);  // <eos> cat dog sat the
  CHECK(c.train.size() == 7);
  CHECK_THROWS_WITH(enas::data::locate_ptb(dir / "nowhere"), Catch::Matchers::Contains("--data_path"));
  fs::remove_all(dir);
}

TEST_CASE("model parameter counts match the formulas", "[ptb][models]") {
  const auto arch = PtbEnas::parse(enas::test::kSeedPtbArc);
  auto count = [](const std::vector<at::Tensor>& ps) {
    std::int64_t n = 0;
    for (const auto& p : ps) n += p.numel();
    return n;
  };
  enas::nn::PtbFixedModel<PtbEnas> fixed(arch, small_model(16, 100));
  CHECK(count(fixed->parameters()) == PtbEnas::fixed_param_count(16, 100));
  CHECK(count(fixed->parameters()) == 26 * 16 * 16 + 100 * 16);
  enas::nn::PtbSharedModel<PtbEnas> shared(small_model(16, 100));
  CHECK(count(shared->parameters()) == PtbEnas::search_param_count(16, 100));
}

TEST_CASE("a shared-weight step changes exactly the weights of the sampled cell", "[ptb][models][gradient]") {
  at::manual_seed(0);
  enas::nn::PtbSharedModel<PtbEnas> shared(small_model(8, 50));
  const auto arch = PtbEnas::parse("1 0 2 1 0 0 3 2 1 2 0 1 2 6 3 0 0 8 1 9 2 1 3");
  const auto x = at::randint(50, {6, 4}, at::kLong);
  const auto y = at::randint(50, {6, 4}, at::kLong);
  auto r = shared->forward(x, y, at::zeros({4, 8}), arch, true);
  r.loss.backward();
  std::set<const void*> used;
  for (const auto& p : shared->parameters_of(arch)) used.insert(p.unsafeGetTensorImpl());
  int with_grad = 0;
  for (const auto& p : shared->parameters()) {
    const bool sampled = used.count(p.unsafeGetTensorImpl()) > 0;
    if (sampled) {
      REQUIRE(p.grad().defined());
      CHECK(p.grad().abs().sum().item<double>() > 0);
      ++with_grad;
    } else {
      CHECK_FALSE(p.grad().defined());
    }
  }
  // embedding, W_prev[f0], 11 node matrices, 13 batch-norm scales and 13 offsets
  CHECK(with_grad == 2 + 11 + 26);
  CHECK(shared->w_skip_at(4, 2, 1).grad().defined());  // node 4 reads node 2 with ReLU (a[7] = 2, a[8] = 1)
  CHECK_FALSE(shared->w_skip_at(4, 2, 0).grad().defined());
  CHECK_FALSE(shared->w_skip_at(4, 3, 1).grad().defined());
}

TEST_CASE("search steps through the task update only the sampled weights", "[ptb][search]") {
  REQUIRE_PTB(corpus);
  at::manual_seed(1);
  auto o = enas::train::LmOptions::search_defaults();
  o.hidden = 16;
  o.batch_size = 8;
  enas::train::LmSearchTask<PtbEnas> task(o, *corpus, at::Device("cpu"), 1);
  const auto arch = PtbEnas::parse(enas::test::kSeedPtbArc);
  std::vector<at::Tensor> before;
  for (const auto& p : task.model()->parameters()) before.push_back(p.detach().clone());
  task.train_step(arch, 0);
  std::set<const void*> used;
  for (const auto& p : task.model()->parameters_of(arch)) used.insert(p.unsafeGetTensorImpl());
  const auto after = task.model()->parameters();
  for (std::size_t i = 0; i < after.size(); ++i) {
    const bool changed = !at::equal(before[i], after[i]);
    CHECK(changed == (used.count(after[i].unsafeGetTensorImpl()) > 0));
  }
}

TEST_CASE("a few dozen steps of the seed cell lower the training perplexity on real PTB", "[ptb][train]") {
  REQUIRE_PTB(corpus);
  at::manual_seed(2);
  auto o = enas::train::LmOptions::final_defaults();
  o.hidden = 64;
  o.batch_size = 32;
  enas::train::LmFinalTask<PtbEnas> task(PtbEnas::parse(enas::test::kSeedPtbArc), o, *corpus, at::Device("cpu"), 2);
  task.reset_epoch_stats();
  auto mean_ppl = [&](std::int64_t from, int steps) {
    double sum = 0.0;
    for (int s = 0; s < steps; ++s) sum += task.train_step(from + s).loss.item<double>();
    return std::exp(sum / steps / o.bptt);
  };
  const double first = mean_ppl(0, 5);
  mean_ppl(5, 30);
  const double last = mean_ppl(35, 5);
  INFO("training perplexity " << first << " -> " << last);
  CHECK(first > 2000);  // about the vocabulary size at the start
  CHECK(last < 0.5 * first);
}

TEST_CASE("a tiny search runs end to end and derives a valid architecture", "[ptb][search][slow]") {
  REQUIRE_PTB(full);
  // The first 60,000 training and 10,000 validation tokens of the real corpus (full vocabulary):
  // an epoch of 53 windows of 32 × 35 tokens.
  auto corpus = std::make_unique<enas::data::PtbCorpus>(*full);
  corpus->train = xt::view(full->train, xt::range(0, 60000));
  corpus->valid = xt::view(full->valid, xt::range(0, 10000));
  at::manual_seed(3);
  auto o = enas::train::LmOptions::search_defaults();
  o.hidden = 16;
  o.batch_size = 32;
  o.num_epochs = 2;
  o.max_steps = 53;  // one epoch: a controller phase and an evaluation, not the batch-1 test pass
  o.log_every = 10;
  o.derive_samples = 8;
  auto co = PtbEnas::controller_defaults();
  co.train_steps = 3;
  co.num_aggregate = 4;
  co.lstm_size = 32;
  const auto dir = temp_dir("search");
  enas::io::RunLog log(dir, /*echo=*/false);
  enas::Supernet<PtbEnas> net(o, co, *corpus, at::Device("cpu"), 3);
  int epochs = 0;
  enas::RunHooks hooks;
  hooks.on_epoch_end = [&](std::int64_t) { ++epochs; };
  net.search(log, hooks);
  CHECK(epochs == 1);
  CHECK(net.step() == 53);
  CHECK(net.controller_updates() == 3);
  const auto best = net.derive(o.derive_samples);
  REQUIRE(best.size() == 8);
  CHECK(best.front().score >= best.back().score);
  CHECK_NOTHROW(PtbEnas::parse(PtbEnas::format(best.front().arch)));
  // The record has child, controller and eval events.
  std::ifstream metrics(dir / "metrics.jsonl");
  std::map<std::string, int> kinds;
  for (std::string line; std::getline(metrics, line);) ++kinds[nlohmann::json::parse(line).at("event").get<std::string>()];
  CHECK(kinds["child"] == 5);
  CHECK(kinds["sample"] == 10);  // "Here are 10 architectures"
  CHECK(kinds["controller"] >= 1);
  CHECK(kinds["eval"] == 1);  // valid_ppl
  fs::remove_all(dir);
}

TEST_CASE("the controller reward is 80 over the window perplexity", "[ptb][search]") {
  REQUIRE_PTB(corpus);
  auto o = enas::train::LmOptions::search_defaults();
  o.hidden = 8;
  enas::train::LmSearchTask<PtbEnas> task(o, *corpus, at::Device("cpu"), 4);
  const auto arch = PtbEnas::parse(enas::test::kSeedPtbArc);
  const auto ppl = task.window_perplexity(arch, 100).item<double>();
  CHECK(ppl > 1000);  // untrained: about the vocabulary size
  CHECK(ppl < 20000);
  CHECK(task.score_on(arch, 100) == Approx(80.0 / ppl));
}

TEST_CASE("a diverging run stops with a clear message and finite weights", "[ptb][train]") {
  REQUIRE_PTB(corpus);
  auto o = enas::train::LmOptions::final_defaults();
  o.hidden = 8;
  o.batch_size = 16;
  o.lr = 1e30;
  o.grad_bound = 0;  // no clipping: the first step explodes
  o.log_every = 2;
  o.max_steps = 4;
  enas::FinalTraining<PtbEnas> run(PtbEnas::parse(enas::test::kSeedPtbArc), o, *corpus, at::Device("cpu"), 5);
  enas::io::RunLog log({}, false);
  CHECK_THROWS_WITH(run.run(log), Catch::Matchers::Contains("non-finite") && Catch::Matchers::Contains("--child_lr"));
  for (const auto& p : run.model()->parameters()) CHECK(at::isfinite(p).all().item<bool>());
}
