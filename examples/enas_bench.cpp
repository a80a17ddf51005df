// enas_bench: the benchmark workloads of ../shared/bench/ref_ptb.py, run through the library,
// printing '<workload> ms_per_step=<median>' like the reference script.
#include <enas/enas.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/cuda.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

namespace {

struct BenchOptions {
  std::string workload;
  std::int64_t hidden = 256, batch = 64, bptt = 35, vocab = 10000;
  std::int64_t layers = 0, filters = 0;  // CIFAR workloads; 0: the workload's default
  int steps = 10, warmup = 2, threads = enas::hardware_threads(), aggregate = 10;
  std::string device = "cpu";
  bool tune_allocator = true;
  bool cuda_graphs = true;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

/// Median milliseconds per step, and on a GPU the host's share: how long the host took to issue
/// the step's work before it waited for the device. When the two are close, the step is bound by
/// kernel launches (the GPU idles between small kernels), not by the GPU's arithmetic.
struct Timing {
  double ms = 0.0;
  double host_ms = 0.0;
};
Timing last_timing;

template <class Step>
double median_ms(Step&& step, int steps, int warmup, const at::Device& device = at::kCPU) {
  for (int i = 0; i < warmup; ++i) {
    step();
    enas::cuda::synchronize(device);
  }
  std::vector<double> ms, host;
  for (int i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    const auto t1 = std::chrono::steady_clock::now();
    enas::cuda::synchronize(device);
    const auto t2 = std::chrono::steady_clock::now();
    host.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
  }
  last_timing = {median(ms), median(host)};
  return last_timing.ms;
}

/// Uniform draws from LibTorch's CPU generator seeded 1, as the references' torch.randint(0, n,
/// (1,), generator=gen): both programs step through the same sequence of architectures.
struct ReferenceDraws {
  at::Generator gen = at::detail::createCPUGenerator(1);
  int operator()(int n) { return static_cast<int>(at::randint(0, n, {1}, gen).item<std::int64_t>()); }
};

// One training step of the fixed seed cell (ref_ptb.py final_step): forward with the final
// script's dropouts, backward, clip at 0.25, SGD at lr 20; random tokens.
double final_step(const BenchOptions& o, const at::Device& device) {
  using Space = enas::spaces::PtbEnas;
  enas::nn::PtbModelOptions m;
  m.vocab = o.vocab;
  m.hidden = o.hidden;
  m.e_keep = 0.79;
  m.x_keep = 0.25;
  m.h_keep = 0.75;
  m.o_keep = 0.24;
  enas::nn::PtbFixedModel<Space> model(Space::parse("0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"), m);
  model->to(device);
  enas::optim::Sgd sgd({0.0, 0.25, 0.0, false});
  const auto params = model->parameters();
  const auto tokens = at::TensorOptions().dtype(at::kLong).device(device);
  const auto x = at::randint(o.vocab, {o.bptt, o.batch}, tokens);
  const auto y = at::randint(o.vocab, {o.bptt, o.batch}, tokens);
  auto state = at::zeros({o.batch, o.hidden}, at::TensorOptions().device(device));
  // As LmFinalTask trains: on CUDA the step is captured once and replayed (--cuda_graphs).
  const auto lr = at::full({}, 20.0, at::TensorOptions().device(device));
  enas::cuda::GraphedStep graph(o.cuda_graphs);
  auto step = [&] {
    graph.run(device, [&] {
      auto r = model->forward(x, y, state);
      state.copy_(r.state);
      r.loss.backward();
      sgd.step(params, lr);
    });
    if (const auto notice = graph.take_notice(); !notice.empty()) fmt::print(stderr, "enas_bench: {}\n", notice);
  };
  return median_ms(step, o.steps, o.warmup, device);
}

// One step of the PTB shared model (ref_ptb.py search_step) on a freshly drawn cell: each node's
// activation of the four and its predecessor uniform, as ref_ptb.py's sample_arc draws them; the
// search script's dropouts, backward through the sampled weights only, clip at 10, SGD at lr 0.25;
// random tokens.
double search_step(const BenchOptions& o, const at::Device& device) {
  using Space = enas::spaces::PtbEnas;
  enas::nn::PtbModelOptions m;
  m.vocab = o.vocab;
  m.hidden = o.hidden;
  enas::nn::PtbSharedModel<Space> model(m);
  model->to(device);
  enas::optim::Sgd sgd({0.0, 10.0, 0.0, false});
  const auto tokens = at::TensorOptions().dtype(at::kLong).device(device);
  const auto x = at::randint(o.vocab, {o.bptt, o.batch}, tokens);
  const auto y = at::randint(o.vocab, {o.bptt, o.batch}, tokens);
  auto state = at::zeros({o.batch, o.hidden}, at::TensorOptions().device(device));
  ReferenceDraws draw;
  auto step = [&] {
    std::vector<int> arc{draw(Space::num_activations)};
    for (int i = 1; i < Space::num_nodes; ++i) {
      arc.push_back(draw(i));
      arc.push_back(draw(Space::num_activations));
    }
    const auto cell = Space::decode(arc);
    auto r = model->forward(x, y, state, cell);
    state = r.state;
    r.loss.backward();
    sgd.step(model->parameters_of(cell), 0.25);
  };
  return median_ms(step, o.steps, o.warmup, device);
}

// The PTB controller (LSTM 100, tanh and ReLU as in ref_ptb.py) drawing one architecture.
double ctrl_sample(const BenchOptions& o) {
  using Space = enas::spaces::PtbTanhRelu;
  enas::controllers::Lstm<Space> controller(Space::controller_defaults(), 0);
  return median_ms([&] { controller.sample(1); }, o.steps * 10, o.warmup * 5);
}

// One controller update: `aggregate` samples with their REINFORCE losses (a varying random
// reward plus the entropy bonus, minus the EMA baseline), averaged into one Adam step.
double ctrl_train(const BenchOptions& o) {
  using Space = enas::spaces::PtbTanhRelu;
  enas::controllers::Lstm<Space> controller(Space::controller_defaults(), 0);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  return median_ms(
      [&] {
        auto batch = controller.sample(o.aggregate, /*with_grad=*/true);
        std::vector<double> rewards(static_cast<std::size_t>(o.aggregate));
        for (auto& r : rewards) r = uniform(rng);
        controller.update(batch, rewards);
      },
      o.steps, o.warmup * 5);
}

// CIFAR-10 workloads: random images of CIFAR shape, one SGD step (Nesterov 0.9) per timed step.
struct ImageBench {
  at::Tensor images, labels;
  enas::optim::Sgd sgd;
};

ImageBench image_bench(const BenchOptions& o, const at::Device& device, double l2, double bound) {
  return {at::randn({o.batch, 3, 32, 32}, at::TensorOptions().device(device)).contiguous(at::MemoryFormat::ChannelsLast),
          at::randint(10, {o.batch}, at::TensorOptions().dtype(at::kLong).device(device)),
          enas::optim::Sgd({l2, bound, 0.9, true})};
}

/// `graphed`: a fixed architecture, whose step on CUDA is captured once and replayed as
/// ImageFinalTask does (--cuda_graphs); the search steps change architecture every step.
template <class Forward>
double image_step_ms(const BenchOptions& o, const at::Device& device, ImageBench& b, const std::vector<at::Tensor>& params,
                     Forward&& forward, bool graphed = false) {
  const auto lr = at::full({}, 0.05, at::TensorOptions().device(device));
  enas::cuda::GraphedStep graph(graphed && o.cuda_graphs);
  auto step = [&] {
    graph.run(device, [&] {
      const auto f = forward(b.images);
      auto loss = at::cross_entropy_loss(f.logits, b.labels);
      if (f.aux_logits.defined()) loss = loss + 0.4 * at::cross_entropy_loss(f.aux_logits, b.labels);
      loss.backward();
      b.sgd.step(params, lr);
    });
    if (const auto notice = graph.take_notice(); !notice.empty()) fmt::print(stderr, "enas_bench: {}\n", notice);
  };
  return median_ms(step, o.steps, o.warmup, device);
}

// One step of the micro shared model (ref_cifar.py micro_search_step: aux head on, clip at 5) on a
// fresh random cell pair, the same sequence of pairs as the reference draws.
double micro_search_step(const BenchOptions& o, const at::Device& device) {
  using Space = enas::spaces::MicroEnas;
  enas::nn::MicroModelOptions m;
  m.num_layers = o.layers > 0 ? o.layers : 6;
  m.image.out_filters = o.filters > 0 ? o.filters : 20;
  enas::nn::MicroSharedModel<Space> model(m);
  model->to(device);
  enas::nn::to_channels_last(*model);
  auto b = image_bench(o, device, 1e-4, 5.0);
  const auto params = model->parameters();
  // The cell pairs of ref_cifar.py's random_cell: per node and slot an input in [0, node + 2)
  // and an op of the five, normal cell then reduction cell, from the same seeded generator.
  ReferenceDraws draw;
  auto random_pair = [&] {
    std::vector<int> tokens;
    for (int cell = 0; cell < 2; ++cell) {
      for (int node = 0; node < Space::num_nodes; ++node) {
        for (int slot = 0; slot < 2; ++slot) {
          tokens.push_back(draw(node + 2));
          tokens.push_back(draw(Space::num_ops));
        }
      }
    }
    return Space::decode(tokens);
  };
  return image_step_ms(o, device, b, params, [&](const at::Tensor& x) { return model->forward(x, random_pair()); });
}

// One step of the macro shared model on a freshly sampled architecture.
double macro_search_step(const BenchOptions& o, const at::Device& device) {
  double ms = 0.0;
  const auto layers = o.layers > 0 ? o.layers : 12;
  auto run = [&](auto depth) {
    using Space = enas::spaces::MacroOf<decltype(depth)::value>;
    enas::nn::ImageModelOptions m;
    m.out_filters = o.filters > 0 ? o.filters : 36;
    enas::nn::MacroSharedModel<Space> model(m);
    model->to(device);
    enas::nn::to_channels_last(*model);
    enas::controllers::Lstm<Space> controller(Space::controller_defaults(), 0);
    auto b = image_bench(o, device, 2.5e-4, 5.0);
    const auto params = model->parameters();
    ms = image_step_ms(o, device, b, params, [&](const at::Tensor& x) {
      return model->forward(x, Space::decode(controller.sample(1).arc(0)));
    });
  };
  if (layers == 6) run(std::integral_constant<int, 6>{});
  else if (layers == 12) run(std::integral_constant<int, 12>{});
  else if (layers == 24) run(std::integral_constant<int, 24>{});
  else throw enas::ConfigError("macro_search_step: --layers must be 6, 12 or 24");
  return ms;
}

// One step of the fixed network of the published cells (ref_cifar.py micro_final_step: no
// drop-path, no auxiliary head, no dropout, weight decay 2e-4 = L2 1e-4, no clipping).
double micro_final_step(const BenchOptions& o, const at::Device& device) {
  using Space = enas::spaces::MicroEnas;
  enas::nn::MicroModelOptions m;
  m.num_layers = o.layers > 0 ? o.layers : 6;
  m.image.out_filters = o.filters > 0 ? o.filters : 20;
  m.image.keep_prob = 1.0;
  m.use_aux_head = false;
  enas::nn::MicroFixedModel<Space> model(
      Space::parse("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"), m);
  model->to(device);
  enas::nn::to_channels_last(*model);
  auto b = image_bench(o, device, 1e-4, 0.0);
  const auto params = model->parameters();
  return image_step_ms(o, device, b, params, [&](const at::Tensor& x) { return model->forward(x); }, /*graphed=*/true);
}

bool is_image_workload(const std::string& w) {
  return w == "micro_search_step" || w == "macro_search_step" || w == "micro_final_step";
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions o;
  CLI::App app{"enas_bench: time the ENAS workloads of ../shared/bench/ref_ptb.py through the library", "enas_bench"};
  app.add_option("workload", o.workload,
                 "final_step | search_step | ctrl_sample | ctrl_train (PTB) | micro_search_step | macro_search_step | micro_final_step (CIFAR-10)")
      ->required()
      ->check(CLI::IsMember({"final_step", "search_step", "ctrl_sample", "ctrl_train", "micro_search_step", "macro_search_step",
                             "micro_final_step"}));
  app.add_option("--layers", o.layers, "CIFAR: child_num_layers (default: 6 micro, 12 macro)");
  app.add_option("--filters", o.filters, "CIFAR: child_out_filters (default: 20 micro, 36 macro)");
  app.add_option("--hidden", o.hidden, "hidden size H")->capture_default_str();
  app.add_option("--batch", o.batch, "batch size B (CIFAR workloads: pass --batch 32 as ref_cifar.py uses)")->capture_default_str();
  app.add_option("--bptt", o.bptt, "BPTT steps T")->capture_default_str();
  app.add_option("--vocab", o.vocab, "vocabulary size")->capture_default_str();
  app.add_option("--steps", o.steps, "timed steps (ctrl_sample times 10x as many, as ref_ptb.py)")->capture_default_str();
  app.add_option("--warmup", o.warmup, "untimed warm-up steps")->capture_default_str();
  app.add_option("--threads", o.threads, "intra-op threads")->capture_default_str();
  app.add_option("--aggregate", o.aggregate, "samples per controller update (ctrl_train)")->capture_default_str();
  app.add_option("--device", o.device, "cpu or cuda (the controller always runs on the CPU); on CUDA each line adds host_ms, the host's time to issue a step")
      ->capture_default_str();
  app.add_flag("!--no_tune_allocator", o.tune_allocator, "keep glibc's default malloc thresholds");
  app.add_flag("!--no_cuda_graphs", o.cuda_graphs, "final_step and micro_final_step on CUDA: run every step eagerly instead of replaying a CUDA graph");
  CLI11_PARSE(app, argc, argv);
  try {
    if (o.tune_allocator) enas::tune_host_allocator();
    enas::set_threads(o.threads);
    enas::seed_everything(0);
    const auto device = enas::parse_device(o.device);
    double ms = 0.0;
    if (o.workload == "final_step") ms = final_step(o, device);
    if (o.workload == "search_step") ms = search_step(o, device);
    if (o.workload == "ctrl_sample") ms = ctrl_sample(o);
    if (o.workload == "ctrl_train") ms = ctrl_train(o);
    if (o.workload == "micro_search_step") ms = micro_search_step(o, device);
    if (o.workload == "macro_search_step") ms = macro_search_step(o, device);
    if (o.workload == "micro_final_step") ms = micro_final_step(o, device);
    std::string line = fmt::format("{} ms_per_step={:.3f}", o.workload, ms);
    if (is_image_workload(o.workload)) line += fmt::format(" images_per_s={:.1f}", static_cast<double>(o.batch) / ms * 1e3);
    if (device.is_cuda()) line += fmt::format(" host_ms={:.3f}", last_timing.host_ms);
    fmt::print("{}\n", line);
  } catch (const std::exception& e) {
    fmt::print(stderr, "enas_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
