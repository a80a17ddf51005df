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
#include "host_reads.hpp"
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
  CHECK_THROWS_WITH(enas::data::load_ptb(dir), enas::test::Contains("ptb.test.txt is missing"));
  write_file(dir / "ptb.test.txt", " the bird \n");
  CHECK_THROWS_WITH(enas::data::load_ptb(dir),
                    enas::test::Contains("ptb.test.txt") && enas::test::Contains("'bird'"));
  write_file(dir / "ptb.test.txt", " the cat sat \n");
  const auto c = enas::data::load_ptb(dir);
  CHECK(c.vocab_size() == 5);  // <eos> cat dog sat the
  CHECK(c.train.size() == 7);
  CHECK_THROWS_WITH(enas::data::locate_ptb(dir / "nowhere"), enas::test::Contains("--data_path"));
  fs::remove_all(dir);
}

TEST_CASE("PTB text with a NUL byte or invalid UTF-8 or a directory for a file is refused naming where", "[ptb][data]") {
  const auto dir = temp_dir("ptb_bytes");
  write_file(dir / "ptb.valid.txt", " the cat \n");
  write_file(dir / "ptb.test.txt", " the cat \n");
  // Each case: ptb.train.txt's text, and the position and byte the message must name.
  const std::vector<std::pair<std::string, std::string>> cases{
      {std::string(" the cat \n the \0 dog \n", 22), "line 2 column 6: byte 0x00 is a NUL byte"},
      {" the \x01" "cat \n", "line 1 column 6: byte 0x01 is a control character"},
      {" caf\xe9 \n", "line 1 column 5: byte 0xe9 is not valid UTF-8"},       // Latin-1, not UTF-8
      {" \xc0\xaf \n", "line 1 column 2: byte 0xc0 is not valid UTF-8"},     // overlong '/'
      {" \xed\xa0\x80 \n", "line 1 column 2: byte 0xed is not valid UTF-8"}, // a surrogate
      {" \xf4\x90\x80\x80 \n", "line 1 column 2: byte 0xf4 is not valid UTF-8"},  // above U+10FFFF
      {" the cat \xe2\x82", "line 1 column 10: byte 0xe2 is not valid UTF-8"},      // cut inside a character
  };
  for (const auto& [text, expected] : cases) {
    INFO(expected);
    write_file(dir / "ptb.train.txt", text);
    CHECK_THROWS_WITH(enas::data::load_ptb(dir), enas::test::Contains("ptb.train.txt " + expected));
  }
  // Valid UTF-8 beyond ASCII is text: a word of 2, 3 and 4 bytes.
  write_file(dir / "ptb.train.txt", " the cat caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \n");
  CHECK(enas::data::load_ptb(dir).vocab_size() == 6);
  // An unknown word is quoted with its non-ASCII bytes escaped.
  write_file(dir / "ptb.test.txt", " the d\xc3\xa9j\xc3\xa0 \n");
  CHECK_THROWS_WITH(enas::data::load_ptb(dir), enas::test::Contains("word 'd\\xc3\\xa9j\\xc3\\xa0'"));
  fs::remove(dir / "ptb.test.txt");
  fs::create_directory(dir / "ptb.test.txt");
  CHECK_THROWS_WITH(enas::data::load_ptb(dir), enas::test::Contains("ptb.test.txt is a directory"));
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
  auto r = shared->forward(x, y, at::zeros({4, 8}), arch);  // a new module is in training mode
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
  enas::train::LmSearchTask<PtbEnas> task(o, *corpus, at::Device(enas::test::device_name()), 1);
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
  enas::train::LmFinalTask<PtbEnas> task(PtbEnas::parse(enas::test::kSeedPtbArc), o, *corpus, at::Device(enas::test::device_name()), 2);
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

TEST_CASE("the static (CUDA graph) PTB final step computes what the plain step computes", "[ptb][train][cuda_graph]") {
  // With --cuda_graphs the window, state and learning rate go through static tensors updated in
  // place (on CUDA the step is then captured and replayed); the losses, gradient norms, carried
  // state and epoch statistics must be those of the plain step, across an epoch reset.
  REQUIRE_PTB(corpus);
  const at::Device device(enas::test::device_name());
  auto o = enas::train::LmOptions::final_defaults();
  o.hidden = 32;
  o.batch_size = 16;
  o.lr = 1.0;
  if (device.is_cuda()) o.e_keep = o.x_keep = o.h_keep = o.o_keep = 1.0;  // graph RNG offsets aside
  auto run = [&](bool graphs) {
    o.cuda_graphs = graphs;
    at::manual_seed(21);
    enas::train::LmFinalTask<PtbEnas> task(PtbEnas::parse(enas::test::kSeedPtbArc), o, *corpus, device, 21);
    task.reset_epoch_stats();
    std::vector<double> seen;
    for (std::int64_t s = 0; s < 8; ++s) {
      if (s == 5) {
        task.reset_states();
        task.reset_epoch_stats();
      }
      const auto r = task.train_step(s);
      seen.push_back(r.loss.item<double>());
      seen.push_back(r.grad_norm.item<double>());
      CHECK(r.lr == Approx(task.lr_at(s)));
    }
    enas::io::ChildEvent e;
    task.fill_log(e, {});
    seen.push_back(e.metric);
    seen.push_back(task.state().abs().sum().item<double>());
    return seen;
  };
  enas::test::check_all_close(run(false), run(true), 1e-4);
}

TEST_CASE("PTB search steps read nothing back from the device and a log line reads its four numbers", "[ptb][search][host_reads]") {
  // The child loss, gradient norm, training perplexity and divergence flag stay on the device
  // until a log line needs them: steps between log lines make no host read (on a GPU each read
  // would stall the queue), and each log line makes exactly four (loss, |g|, tr_ppl, and the count of
  // steps skipped as non-finite).
  REQUIRE_PTB(corpus);
  at::manual_seed(7);
  auto o = enas::train::LmOptions::search_defaults();
  o.hidden = 16;
  o.batch_size = 8;
  o.num_epochs = 1000;  // no epoch ends within the steps
  o.log_every = 5;
  auto co = PtbEnas::controller_defaults();
  enas::Supernet<PtbEnas> net(o, co, *corpus, at::Device(enas::test::device_name()), 7);
  {
    enas::test::HostReads reads;
    for (int s = 0; s < 12; ++s) net.train_step();
    CHECK(reads.reads() == 0);
  }
  const auto dir = temp_dir("host_reads");
  enas::io::RunLog log(dir, /*echo=*/false);
  o.max_steps = 20;
  enas::Supernet<PtbEnas> looped(o, co, *corpus, at::Device(enas::test::device_name()), 7);
  enas::test::HostReads reads;
  looped.search(log);
  CHECK(looped.step() == 20);
  CHECK(reads.reads() == 4 * (20 / 5));
  fs::remove_all(dir);
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
  enas::Supernet<PtbEnas> net(o, co, *corpus, at::Device(enas::test::device_name()), 3);
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

TEST_CASE("the controller reward is 80 over the perplexity of one uniformly drawn validation window", "[ptb][search]") {
  REQUIRE_PTB(corpus);
  auto o = enas::train::LmOptions::search_defaults();
  o.hidden = 8;
  o.batch_size = 4;
  enas::train::LmSearchTask<PtbEnas> task(o, *corpus, at::Device(enas::test::device_name()), 4);
  // A model whose prediction is the same at every position: all cell weights zero, each node's
  // batch-norm offset 0 on its h half and 50 on its c half, so that c = σ(50) = 1 and every node is
  // n_i = f(0) = 0 (tanh and ReLU cells) whatever the carried state; the output batch norm then
  // returns its offset beta. So CE(target t) = logsumexp(E·beta) − (E·beta)_t at every position.
  const auto arch = PtbEnas::parse(enas::test::kSeedPtbArc);
  auto& model = task.model();
  at::Tensor beta;
  {
    at::NoGradGuard no_grad;
    for (auto& w : model->w_prev) w.zero_();
    for (auto& w : model->w_skip) w.zero_();
    for (int i = 0; i < PtbEnas::num_nodes; ++i) {
      auto& offset = model->norm.offset[static_cast<std::size_t>(i)];
      offset.narrow(0, 0, o.hidden).zero_();
      offset.narrow(0, o.hidden, o.hidden).fill_(50.0);
    }
    beta = model->norm.offset.back().uniform_(-3, 3).clone();
  }
  const auto log_p = at::log_softmax(at::mv(model->embedding.detach().to(at::kDouble), beta.to(at::kDouble)), 0);
  // The validation stream as the reference batches it: [B, len/B]; a window at offset i predicts
  // columns i+1 .. i+T. Expected reward of every offset, from prefix sums of −log p(target).
  const std::int64_t columns = static_cast<std::int64_t>(corpus->valid.size()) / o.batch_size;
  REQUIRE(columns == 73760 / 4);
  std::vector<double> column_ce(static_cast<std::size_t>(columns), 0.0);
  const auto* lp = log_p.data_ptr<double>();
  for (std::int64_t b = 0; b < o.batch_size; ++b)
    for (std::int64_t c = 0; c < columns; ++c) column_ce[static_cast<std::size_t>(c)] -= lp[corpus->valid[static_cast<std::size_t>(b * columns + c)]];
  std::vector<double> prefix(column_ce.size() + 1, 0.0);
  for (std::size_t c = 0; c < column_ce.size(); ++c) prefix[c + 1] = prefix[c] + column_ce[c];
  const std::int64_t offsets = columns - o.bptt;  // i ∈ [0, len/B − T)
  auto expected_reward = [&](std::int64_t i) {
    const double ce = prefix[static_cast<std::size_t>(i + o.bptt + 1)] - prefix[static_cast<std::size_t>(i + 1)];
    return 80.0 / std::exp(ce / static_cast<double>(o.batch_size * o.bptt));
  };
  // reward() equals the formula on some window of the allowed range, and draws a new one each call.
  std::set<std::int64_t> matched;
  for (int call = 0; call < 20; ++call) {
    const double got = task.reward(arch).item<double>();
    std::int64_t hit = -1;
    for (std::int64_t i = 0; i < offsets && hit < 0; ++i) {
      // float32 sums of 140 cross-entropies of about 9 nats: a few 1e-6 relative.
      if (std::abs(expected_reward(i) - got) < 3e-5 * got) hit = i;
    }
    INFO("reward " << got << " matches no window offset in [0, " << offsets << ")");
    CHECK(hit >= 0);
    matched.insert(hit);
  }
  CHECK(matched.size() >= 15);
  // draw_reward_batch is uniform over exactly [0, len/B − T): range and a chi-square over 10 bins.
  std::vector<int> bins(10, 0);
  std::int64_t lo = offsets, hi = -1;
  const int draws = 20000;
  for (int d = 0; d < draws; ++d) {
    const auto i = task.draw_reward_batch();
    lo = std::min(lo, i);
    hi = std::max(hi, i);
    if (i >= 0 && i < offsets) ++bins[static_cast<std::size_t>(i * 10 / offsets)];
  }
  // Both ends of the range are reached and never passed: P(no draw among the 50 offsets at one
  // end) = (1 − 50/18405)^20000 ≈ e^−54.
  CHECK(lo >= 0);
  CHECK(lo < 50);
  CHECK(hi <= offsets - 1);
  CHECK(hi >= offsets - 50);
  std::vector<int> bin_size(10, 0);
  for (std::int64_t i = 0; i < offsets; ++i) ++bin_size[static_cast<std::size_t>(i * 10 / offsets)];
  double chi = 0.0;
  for (std::size_t b = 0; b < 10; ++b) {
    const double expected = draws * static_cast<double>(bin_size[b]) / static_cast<double>(offsets);
    chi += (bins[b] - expected) * (bins[b] - expected) / expected;
  }
  CHECK(chi < 27.9);  // P(chi²_9 > 27.9) = 0.001
}

TEST_CASE("variational masks keep a fraction keep of the units, scaled by 1/keep", "[ptb][dropout]") {
  at::manual_seed(8);
  for (double keep : {0.25, 0.75}) {
    const auto m = enas::nn::detail::keep_mask({2000, 64}, keep, at::TensorOptions());
    const auto kept = m.ne(0);
    CHECK(at::all(m.masked_select(kept).eq(static_cast<float>(1.0 / keep))).item<bool>());
    const double n = static_cast<double>(m.numel());
    const double fraction = kept.sum().item<double>() / n;
    CHECK(std::abs(fraction - keep) < 4 * std::sqrt(keep * (1 - keep) / n));
  }
}

TEST_CASE("word dropout drops a word again where it was dropped earlier in the same row", "[ptb][dropout]") {
  at::manual_seed(9);
  const double keep = 0.75;
  const std::int64_t steps = 12, rows = 6000;
  auto kept_fraction = [&](const at::Tensor& x, std::int64_t t) {
    const auto m = enas::nn::detail::word_dropout_mask(x, keep, at::TensorOptions());
    return m[t].ne(0).to(at::kDouble).mean().item<double>();
  };
  auto tolerance = [&](double p) { return 4 * std::sqrt(p * (1 - p) / static_cast<double>(rows)); };
  // The same word at every step: kept at step t only if kept at every step up to t: keep^(t+1).
  const auto same = at::full({steps, rows}, 7, at::kLong);
  for (std::int64_t t : {0, 1, 3, 7, 11}) {
    const double p = std::pow(keep, static_cast<double>(t + 1));
    INFO("step " << t);
    CHECK(std::abs(kept_fraction(same, t) - p) < tolerance(p));
  }
  // Two words alternating: a word at step t has occurred t/2 times before: keep^(t/2+1).
  const auto alternating = at::arange(steps, at::kLong).remainder(2).unsqueeze(1).expand({steps, rows}).contiguous();
  for (std::int64_t t : {0, 1, 4, 9}) {
    const double p = std::pow(keep, static_cast<double>(t / 2 + 1));
    INFO("step " << t);
    CHECK(std::abs(kept_fraction(alternating, t) - p) < tolerance(p));
  }
  // All words distinct: plain dropout at every step.
  const auto distinct = at::arange(steps * rows, at::kLong).view({steps, rows});
  CHECK(std::abs(kept_fraction(distinct, 11) - keep) < tolerance(keep));
  // The rule itself, position by position: once a word is dropped in a row, it stays dropped.
  const auto x = at::randint(0, 4, {steps, 200}, at::kLong);
  const auto m = enas::nn::detail::word_dropout_mask(x, keep, at::TensorOptions());
  int violations = 0;
  for (std::int64_t b = 0; b < 200; ++b)
    for (std::int64_t t = 0; t < steps; ++t)
      for (std::int64_t s = 0; s < t; ++s)
        if (x[s][b].item<std::int64_t>() == x[t][b].item<std::int64_t>() && m[s][b].item<float>() == 0 && m[t][b].item<float>() != 0) ++violations;
  CHECK(violations == 0);
  CHECK(m.eq(0).any().item<bool>());
}

TEST_CASE("the slowness term is the squared change of the output between steps, over the batch", "[ptb][models]") {
  at::manual_seed(10);
  const std::int64_t vocab = 30, hidden = 6, batch = 3, steps = 7;
  enas::nn::PtbFixedModel<PtbEnas> model(PtbEnas::parse(enas::test::kSeedPtbArc), small_model(hidden, vocab));
  const auto x = at::randint(0, vocab, {steps, batch}, at::kLong);
  const auto y = at::randint(0, vocab, {steps, batch}, at::kLong);
  const auto s0 = at::randn({batch, hidden});
  at::NoGradGuard no_grad;
  model->eval();
  const auto window = model->forward_with_slowness(x, y, s0);
  // The outputs o_t, one step at a time: without dropout the output of a step is the carried state.
  std::vector<at::Tensor> o;
  auto state = s0;
  for (std::int64_t t = 0; t < steps; ++t) {
    state = model->forward(x.narrow(0, t, 1), y.narrow(0, t, 1), state).state;
    o.push_back(state.to(at::kDouble));
  }
  double expected = 0.0;
  for (std::int64_t t = 1; t < steps; ++t) expected += (o[static_cast<std::size_t>(t)] - o[static_cast<std::size_t>(t - 1)]).pow(2).sum().item<double>();
  expected /= static_cast<double>(batch);
  REQUIRE(window.slowness.defined());
  CHECK(window.slowness.item<double>() == Approx(expected).epsilon(1e-5));
  CHECK(expected > 0.0);
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
  o.nonfinite_patience = 2;  // the steps after the first are skipped; two in a row stop a run without checkpoints
  enas::FinalTraining<PtbEnas> run(PtbEnas::parse(enas::test::kSeedPtbArc), o, *corpus, at::Device(enas::test::device_name()), 5);
  enas::io::RunLog log({}, false);
  CHECK_THROWS_WITH(run.run(log), enas::test::Contains("non-finite") && enas::test::Contains("--child_lr") &&
                                      enas::test::Contains("keeps no checkpoints"));
  for (const auto& p : run.model()->parameters()) CHECK(at::isfinite(p).all().item<bool>());
}

TEST_CASE("a collapsed controller and a degenerate derived cell are reported in plain words", "[ptb][search][collapse]") {
  REQUIRE_PTB(corpus);
  auto o = enas::train::LmOptions::search_defaults();
  o.hidden = 8;
  auto co = PtbEnas::controller_defaults();
  co.lstm_size = 16;
  // Without the tanh constant: the reference's C·tanh bounds every logit by ±2.5, which keeps the
  // PTB policy above about a fifth of the uniform entropy however the controller is trained.
  co.tanh_constant = 0;
  co.init_range = 1.0;  // LSTM outputs of order 1, so that scaling w_soft and v_attn below saturates
  enas::Supernet<PtbEnas> net(o, co, *corpus, at::Device(enas::test::device_name()), 5);
  const auto dir = temp_dir("collapse");
  const double uniform = enas::uniform_entropy<PtbEnas::num_tokens>(PtbEnas::program);
  auto warnings = [&] {
    std::ifstream metrics(dir / "metrics.jsonl");
    std::vector<std::string> out;
    for (std::string line; std::getline(metrics, line);) {
      const auto j = nlohmann::json::parse(line);
      if (j.at("event") == "warning") out.push_back(j.at("text").get<std::string>());
    }
    return out;
  };
  {
    enas::io::RunLog log(dir, /*echo=*/false);
    // A fresh controller is near uniform (its policy entropy well above a tenth of the 34.1 nats of the
    // uniform policy): no warning.
    net.check_collapse(log, 1);
    CHECK(warnings().empty());
    const double fresh = net.controller().policy_entropy();
    INFO("policy entropy of a fresh controller " << fresh << " nats, uniform " << uniform);
    CHECK(fresh > 0.5 * uniform);
    // Saturated logits: every choice near certain, so the policy entropy is a few nats.
    {
      at::NoGradGuard no_grad;
      net.controller().net()->w_soft.mul_(1e3);
      net.controller().net()->v_attn.mul_(1e3);
    }
    const double saturated = net.controller().policy_entropy();
    INFO("policy entropy of the saturated controller " << saturated << " nats");
    CHECK(saturated < 0.1 * uniform);
    net.check_collapse(log, 2);
    const auto w = warnings();
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("the controller has collapsed") != std::string::npos);
    CHECK(w[0].find("--controller_entropy_weight") != std::string::npos);
    // The degenerate cell: every node the identity.
    enas::Supernet<PtbEnas>::warn_if_degenerate(log, PtbEnas::parse(enas::test::kSeedPtbArc));
    CHECK(warnings().size() == 1);
    enas::Supernet<PtbEnas>::warn_if_degenerate(log, PtbEnas::parse("2 0 2 1 2 2 2 3 2 4 2 5 2 6 2 7 2 8 2 9 2 10 2"));
    REQUIRE(warnings().size() == 2);
    CHECK(warnings()[1].find("degenerate") != std::string::npos);
  }
  std::ifstream text(dir / "stdout");
  const std::string all((std::istreambuf_iterator<char>(text)), std::istreambuf_iterator<char>());
  CHECK(all.find("warning: the controller has collapsed") != std::string::npos);
  fs::remove_all(dir);
}
