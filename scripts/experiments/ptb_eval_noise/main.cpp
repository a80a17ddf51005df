// Where does a PTB search's validation perplexity vary from? Loads a ptb_search checkpoint and
// measures, on the full validation split: (A) the reference's evaluation (moving batch-norm
// statistics, a fresh cell per window) three times; (B) the same with each window's own batch
// statistics; (C) four fixed cells with moving statistics, batch statistics, and moving statistics
// recalibrated on 20 training windows of that cell; and the size of the moving statistics.
#include <enas/enas.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

using Space = enas::spaces::PtbEnas;
using Net = enas::Supernet<Space, enas::controllers::Lstm<Space>>;

void load(Net& net, const std::string& path) {
  auto a = enas::io::open_checkpoint(path);
  enas::io::InputArchive run;
  if (!a.try_read("run", run)) throw enas::CheckpointError(path + " holds no run state");
  net.load(run);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fmt::print(stderr, "usage: ptb_eval_noise <ptb_search checkpoint> <hidden> <batch>\n");
    return 2;
  }
  at::set_num_threads(1);
  const std::string checkpoint = argv[1];
  const std::int64_t hidden = std::atoll(argv[2]), batch = std::atoll(argv[3]);
  const auto corpus = enas::data::load_ptb(enas::data::locate_ptb("", ENAS_SOURCE_DIR));
  auto options = enas::train::LmOptions::search_defaults();
  options.hidden = hidden;
  options.batch_size = batch;
  const at::Device cpu(at::kCPU);
  const auto controller = Space::controller_defaults();
  Net net(options, controller, corpus, cpu, 0);
  load(net, checkpoint);
  // A second copy without dropout: its training-mode forward is a batch-statistics evaluation.
  auto plain = options;
  plain.e_keep = plain.x_keep = plain.h_keep = plain.o_keep = 1.0;
  Net bn(plain, controller, corpus, cpu, 0);
  load(bn, checkpoint);
  auto& norm = bn.model()->norm;
  std::vector<at::Tensor> mean0, var0;
  for (const auto& t : norm.running_mean) mean0.push_back(t.clone());
  for (const auto& t : norm.running_var) var0.push_back(t.clone());
  auto restore = [&] {
    for (std::size_t i = 0; i < mean0.size(); ++i) {
      norm.running_mean[i].copy_(mean0[i]);
      norm.running_var[i].copy_(var0[i]);
    }
  };
  const enas::data::PtbBatches valid(corpus.valid, batch, options.bptt, cpu);
  const enas::data::PtbBatches train(corpus.train, batch, options.bptt, cpu);
  auto evaluate = [&](Net& n, bool batch_stats, const std::function<Space::Arch()>& arch) {
    at::NoGradGuard no_grad;
    auto state = at::zeros({batch, hidden});
    double ce = 0;
    for (std::int64_t i = 0; i < valid.num_batches(); ++i) {
      auto [x, y] = valid.window(i);
      auto r = n.model()->forward(x, y, state, arch(), batch_stats);
      ce += r.ce_sum.item<double>();
      state = r.state;
    }
    return std::exp(std::min(ce / static_cast<double>(valid.num_batches() * batch * options.bptt), 10.0));
  };
  for (int rep = 0; rep < 3; ++rep) fmt::print("A moving statistics, fresh cell per window, pass {}: {:.1f}\n", rep, net.evaluate_valid());
  for (int rep = 0; rep < 2; ++rep) {
    fmt::print("B batch statistics, fresh cell per window, pass {}: {:.1f}\n", rep, evaluate(bn, true, [&] { return bn.sample(); }));
    restore();
  }
  for (int k = 0; k < 4; ++k) {
    const auto arch = net.sample();
    const double moving = evaluate(net, false, [&] { return arch; });
    const double batch_stats = evaluate(bn, true, [&] { return arch; });
    restore();
    norm.decay = 0.99;  // 700 updates: the old statistics keep a weight of 0.99^700 < 0.001
    {
      at::NoGradGuard no_grad;
      auto state = at::zeros({batch, hidden});
      for (int w = 0; w < 20; ++w) {
        auto [x, y] = train.window(w * 7);
        state = bn.model()->forward(x, y, state, arch, true).state;
      }
    }
    norm.decay = 0.999;
    const double recalibrated = evaluate(bn, false, [&] { return arch; });
    restore();
    fmt::print("C cell {}: moving {:.1f}  batch {:.1f}  recalibrated moving {:.1f}\n", Space::format(arch), moving,
               batch_stats, recalibrated);
  }
  for (std::size_t i = 0; i < mean0.size(); ++i) {
    fmt::print("norm {:2}: mean |moving mean| {:.4f}  mean moving variance {:.4f} (epsilon {})\n", i,
               mean0[i].abs().mean().item<double>(), var0[i].mean().item<double>(), norm.eps);
  }
}
