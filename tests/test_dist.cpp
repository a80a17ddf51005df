// More than one process. The launch environment of torchrun, Open MPI and Slurm (dist/launch.hpp)
// on synthetic environments: what each launcher sets, and every malformed value refused by name.
// The process group (dist/process_group.hpp) with real processes over loopback: this test
// program starts copies of itself as the ranks (as torchrun would: RANK, WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT), each running a hidden worker test case, and compares what they computed on their
// shares of the batch with one process's steps on the whole batch.
#include <ATen/ATen.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "enas/checkpointing.hpp"
#include "enas/dist/data_parallel.hpp"
#include "enas/dist/gradient_reducer.hpp"
#include "enas/dist/launch.hpp"
#include "enas/dist/process_group.hpp"
#include "enas/families/nas_bench_201.hpp"
#include "enas/spaces/ptb_cell.hpp"
#include "enas/supernet.hpp"
#include "enas/train/cifar_tasks.hpp"
#include "enas/train/lm_task.hpp"
#include "support.hpp"

#include "catch_torch.hpp"  // last: Catch2's CHECK must win over glog's

extern char** environ;

namespace {

using Env = std::map<std::string, std::string>;

enas::dist::LaunchInfo launch(const Env& vars) {
  return enas::dist::read_launch([&](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::string refusal(const Env& vars) {
  try {
    launch(vars);
  } catch (const enas::ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("the launch is read from torchrun's, Open MPI's and Slurm's variables, else one process", "[dist][launch]") {
  const auto single = launch({{"PATH", "/usr/bin"}, {"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}});
  // A Slurm batch script that runs the program without srun has SLURM_PROCID but no job step.
  CHECK(single.launcher == "single process");
  CHECK_FALSE(single.distributed());
  CHECK(single.world_size == 1);
  CHECK(single.default_threads(16) == 16);

  // torchrun --nnodes 2 --nproc_per_node 4: the second machine's third process.
  const auto t = launch({{"RANK", "6"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "2"}, {"LOCAL_WORLD_SIZE", "4"},
                         {"MASTER_ADDR", "node-a"}, {"MASTER_PORT", "29400"}});
  CHECK(t.launcher == "torchrun");
  CHECK(t.rank == 6);
  CHECK(t.world_size == 8);
  CHECK(t.local_rank == 2);
  CHECK(t.local_world_size == 4);
  CHECK(t.master_addr == "node-a");
  CHECK(t.master_port == 29400);
  CHECK(t.default_threads(16) == 4);  // 16 cores shared by 4 ranks
  CHECK(t.default_threads(2) == 1);   // never below one

  // One machine: the rendezvous defaults to this host and torchrun's port.
  const auto local = launch({{"RANK", "1"}, {"WORLD_SIZE", "2"}});
  CHECK(local.local_rank == 1);
  CHECK(local.local_world_size == 2);
  CHECK(local.master_addr == "127.0.0.1");
  CHECK(local.master_port == 29500);

  // mpirun -n 4 on two machines; torchrun's variables win when both are present.
  const Env ompi{{"OMPI_COMM_WORLD_RANK", "3"}, {"OMPI_COMM_WORLD_SIZE", "4"}, {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                 {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.1"}};
  const auto m = launch(ompi);
  CHECK(m.launcher == "Open MPI");
  CHECK(m.rank == 3);
  CHECK(m.local_rank == 1);
  CHECK(m.local_world_size == 2);
  CHECK(m.master_addr == "10.0.0.1");
  auto both = ompi;
  both["RANK"] = "0";
  both["WORLD_SIZE"] = "1";
  CHECK(launch(both).launcher == "torchrun");

  // srun -N 2 -n 6 (tasks per node "3(x2)").
  const auto s = launch({{"SLURM_PROCID", "4"}, {"SLURM_STEP_NUM_TASKS", "6"}, {"SLURM_LOCALID", "1"},
                         {"SLURM_STEP_TASKS_PER_NODE", "3(x2)"}, {"SLURM_STEP_NUM_NODES", "2"}, {"MASTER_ADDR", "n01"}});
  CHECK(s.launcher == "Slurm");
  CHECK(s.rank == 4);
  CHECK(s.world_size == 6);
  CHECK(s.local_rank == 1);
  CHECK(s.local_world_size == 3);
  CHECK(s.default_threads(48) == 16);
  const auto one_node = launch({{"SLURM_PROCID", "1"}, {"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_STEP_TASKS_PER_NODE", "2"},
                                {"SLURM_STEP_NUM_NODES", "1"}});
  CHECK(one_node.master_addr == "127.0.0.1");
  CHECK(one_node.local_rank == 1);
}

TEST_CASE("a malformed launch environment is refused with the variable, its value and what was expected", "[dist][launch]") {
  using enas::test::Contains;
  CHECK_THAT(refusal({{"RANK", "0"}}), Contains("WORLD_SIZE is not set") && Contains("set with RANK"));
  CHECK_THAT(refusal({{"RANK", "2"}, {"WORLD_SIZE", "2"}}),
             Contains("RANK = '2'") && Contains("below WORLD_SIZE") && Contains("from 0 to 1"));
  CHECK_THAT(refusal({{"RANK", "-1"}, {"WORLD_SIZE", "2"}}), Contains("RANK = '-1'"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "0"}}), Contains("WORLD_SIZE = '0'") && Contains("from 1 to"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "two"}}), Contains("WORLD_SIZE = 'two'") && Contains("an integer"));
  CHECK_THAT(refusal({{"RANK", " 1"}, {"WORLD_SIZE", "2"}}), Contains("RANK = ' 1'"));
  CHECK_THAT(refusal({{"RANK", "1 "}, {"WORLD_SIZE", "2"}}), Contains("RANK = '1 '"));
  CHECK_THAT(refusal({{"RANK", ""}, {"WORLD_SIZE", "2"}}), Contains("RANK = ''"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "99999999999999999999"}}), Contains("WORLD_SIZE = '99999999999999999999'"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", std::string("2\0", 2)}}), Contains("WORLD_SIZE = '2\\x00'"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "8"}}),
             Contains("LOCAL_WORLD_SIZE = '8'") && Contains("at most WORLD_SIZE"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "2"}, {"LOCAL_RANK", "2"}}),
             Contains("LOCAL_RANK = '2'"));
  // Ranks on several machines need rank 0's host.
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "2"}}),
             Contains("MASTER_ADDR is not set") && Contains("span machines"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", ""}}), Contains("MASTER_ADDR = ''"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a b"}}), Contains("MASTER_ADDR = 'a b'"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "65536"}}),
             Contains("MASTER_PORT = '65536'") && Contains("from 1 to 65535"));
  CHECK_THAT(refusal({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "0x50"}}), Contains("MASTER_PORT = '0x50'"));
  CHECK_THAT(refusal({{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "2"}}),
             Contains("OMPI_COMM_WORLD_LOCAL_SIZE is not set"));
  CHECK_THAT(refusal({{"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "4"}, {"SLURM_STEP_TASKS_PER_NODE", "x2"}}),
             Contains("SLURM_STEP_TASKS_PER_NODE = 'x2'") && Contains("4(x2),3"));
  CHECK_THAT(refusal({{"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "4"}, {"SLURM_STEP_TASKS_PER_NODE", "8"}}),
             Contains("at most SLURM_STEP_NUM_TASKS"));
  CHECK_THAT(refusal({{"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "4"}, {"SLURM_STEP_TASKS_PER_NODE", "2(x2)"},
                      {"SLURM_STEP_NUM_NODES", "2"}}),
             Contains("MASTER_ADDR is not set") && Contains("Slurm"));
}

#if defined(ENAS_WITH_GLOO)

namespace {

namespace fs = std::filesystem;
using enas::spaces::PtbEnas;

/// A synthetic corpus of 40 words: the steps' arithmetic, not the language, matters here.
const enas::data::PtbCorpus& tiny_corpus() {
  static const auto corpus = [] {
    enas::data::PtbCorpus c;
    const std::int64_t vocab = 40;
    for (std::int64_t i = 0; i < vocab; ++i) {
      c.words.push_back("w" + std::to_string(i));
      c.ids[c.words.back()] = i;
    }
    std::mt19937 rng(5);
    std::uniform_int_distribution<std::int64_t> pick(0, vocab - 1);
    auto stream = [&](std::size_t n) {
      auto s = xt::xtensor<std::int64_t, 1>::from_shape({n});
      for (auto& v : s) v = pick(rng);
      return s;
    };
    c.train = stream(2000);
    c.valid = stream(600);
    c.test = stream(300);
    return c;
  }();
  return corpus;
}

void append(std::vector<double>& out, const at::Tensor& t) {
  const auto d = t.detach().to(at::kDouble).contiguous().view({-1});
  out.insert(out.end(), d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

/// What a process computes in 4 PTB search steps (two cells in turn, batch norm in the cell)
/// and 4 final steps (with the slowness term), at batch 8 over `group` (null: one process):
/// every step's loss and gradient norm, a reward, then every weight and batch-norm statistic.
/// Counted as [losses and norms: 16][reward: 1][search weights and statistics][final weights].
std::vector<double> ptb_steps(const std::shared_ptr<enas::dist::ProcessGroup>& group) {
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  const at::Device cpu(at::kCPU);
  std::vector<double> out;
  at::manual_seed(3);
  auto o = enas::train::LmOptions::search_defaults();
  o.hidden = 16;
  o.batch_size = 8;
  o.bptt = 6;
  enas::train::LmSearchTask<PtbEnas> search(o, tiny_corpus(), cpu, 1);
  search.distribute(group);
  const std::vector<PtbEnas::Arch> arcs{PtbEnas::parse(enas::test::kSeedPtbArc),
                                        PtbEnas::parse("1 0 3 0 0 0 3 2 3 4 0 4 2 6 1 6 2 8 3 9 2 9 0")};
  for (std::int64_t step = 0; step < 4; ++step) {
    const auto r = search.train_step(arcs[static_cast<std::size_t>(step % 2)], step);
    out.push_back(r.loss.item<double>());
    out.push_back(r.grad_norm.item<double>());
  }
  out.push_back(search.score_on(arcs[0], 3));  // the moving batch-norm statistics at work
  for (const auto& p : search.model()->parameters()) append(out, p);
  for (const auto& b : search.model()->buffers()) append(out, b);

  at::manual_seed(4);
  auto f = enas::train::LmOptions::final_defaults();
  f.hidden = 16;
  f.batch_size = 8;
  f.bptt = 6;
  enas::train::LmFinalTask<PtbEnas> final_task(arcs[0], f, tiny_corpus(), cpu, 2);
  final_task.distribute(group);
  for (std::int64_t step = 0; step < 4; ++step) {
    const auto r = final_task.train_step(step);
    out.push_back(r.loss.item<double>());
    out.push_back(r.grad_norm.item<double>());
  }
  for (const auto& p : final_task.model()->parameters()) append(out, p);
  at::set_num_threads(threads);
  return out;
}

/// Synthetic CIFAR-10 (random bytes and labels; 40 training, 24 validation and test images): the
/// steps' arithmetic, not the pictures, matters here.
const enas::data::Cifar10Data& tiny_cifar() {
  static const auto data = [] {
    std::mt19937 rng(7);
    auto split = [&](std::size_t n) {
      enas::data::Cifar10Images s;
      s.images = xt::xtensor<std::uint8_t, 4>::from_shape({n, 3, 32, 32});
      s.labels = xt::xtensor<std::int64_t, 1>::from_shape({n});
      for (auto& v : s.images) v = static_cast<std::uint8_t>(rng() % 256);
      for (auto& v : s.labels) v = static_cast<std::int64_t>(rng() % 10);
      return s;
    };
    enas::data::Cifar10Data d;
    d.train = split(40);
    d.valid = split(24);
    d.test = split(24);
    d.stats = enas::data::channel_stats(d.train.images);
    return d;
  }();
  return data;
}

/// One training step of `Task` at batch 20 over `group` from a fresh model (`seed`): for a search
/// task one per architecture of `arcs`, each from the same initial weights, then a reward; for a
/// final task one of arcs[0], then the test accuracy. Appends each step's loss, gradient norm and
/// correct count, and after each step every weight and moving statistic. One step each, not
/// several: at this size the training multiplies rounding differences from step to step (one
/// process's channels-last and NCHW runs differ by 5e-3 after three micro final steps), so only a
/// step from the same weights can be compared.
template <class Task, class Space>
void image_steps(std::vector<double>& out, const std::shared_ptr<enas::dist::ProcessGroup>& group,
                 enas::train::ImageOptions o, const std::vector<typename Space::Arch>& arcs, std::uint64_t seed) {
  o.batch_size = 20;
  o.eval_batch_size = 8;
  o.cutout_size = 4;
  o.mixed_precision = false;
  const at::Device cpu(at::kCPU);
  auto record = [&](Task& task, const enas::train::StepResult& r) {
    out.push_back(r.loss.template item<double>());
    out.push_back(r.grad_norm.template item<double>());
    out.push_back(static_cast<double>(r.correct.template item<std::int64_t>()));
    for (const auto& p : task.model()->parameters()) append(out, p);
    for (const auto& b : task.model()->buffers()) append(out, b);
  };
  if constexpr (std::is_constructible_v<Task, const enas::train::ImageOptions&, const enas::data::Cifar10Data&,
                                        const at::Device&, std::uint64_t>) {
    for (const auto& arc : arcs) {
      at::manual_seed(seed);
      Task task(o, tiny_cifar(), cpu, seed);
      task.distribute(group);
      record(task, task.train_step(arc, 0));
      out.push_back(task.score_on(arc, task.draw_reward_batch()));
    }
  } else {
    at::manual_seed(seed);
    Task task(arcs[0], o, tiny_cifar(), cpu, seed);
    task.distribute(group);
    record(task, task.train_step(0));
    out.push_back(task.evaluate_test());
  }
}

/// What a process computes in a step of the micro search (auxiliary head, dropout in every pass,
/// batch statistics everywhere) for two cells, of the micro final training with drop-path and
/// synchronised batch norm, of the macro search (moving statistics) for two architectures and of
/// the NAS-Bench-201 search for two cells, at batch 20 over `group` (null: one process), in the
/// channels-last layout (the default) or NCHW.
std::vector<double> image_steps(const std::shared_ptr<enas::dist::ProcessGroup>& group, bool channels_last = true) {
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  std::vector<double> out;
  using Micro = enas::spaces::MicroEnas;
  const std::vector<Micro::Arch> micro{
      Micro::parse("0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"),
      Micro::parse("0 1 1 0 1 3 2 2 0 4 3 1 2 0 4 3 5 2 1 4 1 2 0 0 2 1 1 4 3 0 0 2 4 3 2 1 0 4 5 0")};
  auto mo = enas::train::ImageOptions::micro_search_defaults();
  mo.num_layers = 3;
  mo.out_filters = 4;
  mo.channels_last = channels_last;
  image_steps<enas::train::TaskFor<Micro>::Search, Micro>(out, group, mo, micro, 11);
  auto mf = enas::train::ImageOptions::micro_final_defaults();
  mf.num_layers = 3;
  mf.out_filters = 4;
  mf.num_epochs = 1;
  mf.sync_bn = true;
  mf.channels_last = channels_last;
  image_steps<enas::train::TaskFor<Micro>::Final, Micro>(out, group, mf, micro, 12);
  using Macro = enas::spaces::Macro<3, enas::ops::Conv<3>, enas::ops::SepConv<5>, enas::ops::MaxPool<3>>;
  auto ma = enas::train::ImageOptions::macro_search_defaults();
  ma.num_layers = 3;
  ma.out_filters = 4;
  ma.channels_last = channels_last;
  image_steps<enas::train::TaskFor<Macro>::Search, Macro>(out, group, ma, {Macro::parse("0 1 1 2 0 1"), Macro::parse("0 2 0 1 0 1")}, 13);
  using Bench = enas::nas_bench_201::NasBench201;
  auto nb = enas::nas_bench_201::search_defaults();
  nb.num_layers = 1;
  nb.out_filters = 4;
  nb.channels_last = channels_last;
  image_steps<enas::train::TaskFor<Bench>::Search, Bench>(out, group, nb, {Bench::parse("1 0 3 0 1 2"), Bench::parse("3 1 0 2 4 1")}, 14);
  at::set_num_threads(threads);
  return out;
}

/// Where a search ended: [step, controller updates][8 derived × (score, tokens)][controller weights].
template <class Net>
std::vector<double> search_outcome(Net& net) {
  using Space = typename Net::space_type;
  std::vector<double> out{static_cast<double>(net.step()), static_cast<double>(net.controller_updates())};
  for (const auto& d : net.derive(8)) {
    out.push_back(d.score);
    for (const auto& t : Space::encode(d.arch)) out.push_back(static_cast<double>(t));
  }
  for (const auto& p : net.controller().net()->parameters()) append(out, p);
  return out;
}

/// A short search on the tiny corpus (2 epochs of 41 steps, a controller phase of 3 updates of 4
/// samples after each, validation and test), resumed from `dir` when it holds a checkpoint, run to
/// `max_steps` (-1: the end), checkpointed there, then derived from 8 samples. Returns
/// [step, controller updates][8 × (score, 23 tokens)][controller weights].
std::vector<double> short_search(const std::shared_ptr<enas::dist::ProcessGroup>& group, const fs::path& dir,
                                 std::int64_t max_steps) {
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  at::manual_seed(9);
  auto o = enas::train::LmOptions::search_defaults();
  o.hidden = 16;
  o.batch_size = 8;
  o.bptt = 6;
  o.num_epochs = 2;
  o.log_every = 10;
  o.max_steps = max_steps;
  auto co = PtbEnas::controller_defaults();
  co.train_steps = 3;
  co.num_aggregate = 4;
  enas::Supernet<PtbEnas> net(o, co, tiny_corpus(), at::Device(at::kCPU), 9);
  net.distribute(group);
  enas::io::RunLog log({}, false);
  enas::Checkpointing<enas::Supernet<PtbEnas>> checkpoints(net, dir, {{"test", "short_search"}}, log);
  checkpoints.resume();
  net.search(log, checkpoints.hooks());
  checkpoints.save();
  at::set_num_threads(threads);
  return search_outcome(net);
}

/// A short micro search on the synthetic images (2 epochs of 5 steps, a controller phase of 2
/// updates of 4 samples after each, "Here are 10 architectures", validation and test), then a
/// derive of 8. Returns [step, controller updates][8 × (score, 40 tokens)][controller weights].
std::vector<double> short_micro_search(const std::shared_ptr<enas::dist::ProcessGroup>& group) {
  using Micro = enas::spaces::MicroEnas;
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  at::manual_seed(21);
  auto o = enas::train::ImageOptions::micro_search_defaults();
  o.num_layers = 3;
  o.out_filters = 4;
  o.batch_size = 8;
  o.eval_batch_size = 8;
  o.cutout_size = 4;
  o.num_epochs = 2;
  o.log_every = 5;
  // The shared weights stay at their initial values (learning rate 0): at this size (F 4, batch 8,
  // random pictures) training multiplies the rounding of another summation order from step to
  // step until a reward (a count of 8) flips; the steps themselves are compared in the test above.
  // What is compared here is the controller phase, the rewards, validation and derive.
  o.lr_max = 0.0;
  o.lr_min = 0.0;
  auto co = Micro::controller_defaults();
  co.train_steps = 2;
  co.num_aggregate = 4;
  enas::Supernet<Micro> net(o, co, tiny_cifar(), at::Device(at::kCPU), 21);
  net.distribute(group);
  enas::io::RunLog log({}, false);
  net.search(log);
  at::set_num_threads(threads);
  return search_outcome(net);
}

/// Two steps of the gradient reducer on eight parameters of 1,000 floats (w_k = k + 1, k = 0..7;
/// w_7 frozen), small buckets (4 KiB, then 8 KiB) so that several start during the backward
/// pass. Rank r's loss is Σ_j w_kj·(a_kj + r·w_kj) summed over the step's parameters, with
/// a_kj = (k + 1)·j and the second w_kj held constant (detached), so its gradient is a_k + r·w_k. Step 1 uses w_0..w_5, step 2 (another
/// architecture) w_1, w_3, w_5 and w_6. Records per step: each parameter's gradient sum and value at
/// j = 1 (−1 when it has no gradient), the buckets, the buckets started before the backward
/// pass ended, and the summed loss.
std::vector<double> reducer_steps(const std::shared_ptr<enas::dist::ProcessGroup>& group) {
  const auto r = static_cast<double>(group->rank());
  std::vector<at::Tensor> params;
  for (int k = 0; k < 8; ++k) params.push_back(at::full({1000}, static_cast<double>(k + 1), at::kFloat).set_requires_grad(k < 7));
  enas::dist::GradientReducer reducer(group, params, 8 << 10, 4 << 10);
  std::vector<double> out;
  for (const std::vector<int>& used : {std::vector<int>{0, 1, 2, 3, 4, 5}, std::vector<int>{1, 3, 5, 6}}) {
    for (auto& p : params) p.mutable_grad().reset();
    auto loss = at::zeros({}, at::kFloat);
    for (int k : used) {
      const auto& w = params[static_cast<std::size_t>(k)];
      const auto a = at::arange(1000, at::kFloat).mul_(static_cast<double>(k + 1));
      loss = loss + (w * (a + r * w.detach())).sum();
    }
    reducer.prepare(loss);
    loss.backward();
    auto total = loss.detach().clone();
    reducer.finish({total});
    for (const auto& p : params) {
      out.push_back(p.grad().defined() ? p.grad().sum().item<double>() : -1.0);
      out.push_back(p.grad().defined() ? p.grad()[1].item<double>() : -1.0);
    }
    out.push_back(static_cast<double>(reducer.buckets()));
    out.push_back(static_cast<double>(reducer.started_in_backward()));
    out.push_back(total.item<double>());
  }
  return out;
}

void write_numbers(const fs::path& path, const std::vector<double>& v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(double)));
}

std::vector<double> read_numbers(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  std::vector<double> v(static_cast<std::size_t>(in.tellg()) / sizeof(double));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(double)));
  return v;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the rendezvous of one test).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  REQUIRE(ok);
  return ntohs(addr.sin_port);
}

/// Starts `world` copies of this test program as ranks 0..world−1 on 127.0.0.1, each running
/// the hidden test case `test`, with `extra` added to their environment; waits for all of them
/// (killing what is left after `limit`, or once rank 0 has ended when `rank0_ends_run`). Returns
/// each rank's exit code (128 + signal if killed).
std::vector<int> run_ranks(int world, const std::string& test, const fs::path& out, const std::map<std::string, std::string>& extra,
                           std::chrono::seconds limit, bool rank0_ends_run = false) {
  const int port = free_port();
  std::vector<pid_t> pids;
  for (int rank = 0; rank < world; ++rank) {
    std::map<std::string, std::string> vars{{"RANK", std::to_string(rank)},
                                            {"WORLD_SIZE", std::to_string(world)},
                                            {"LOCAL_RANK", std::to_string(rank)},
                                            {"LOCAL_WORLD_SIZE", std::to_string(world)},
                                            {"MASTER_ADDR", "127.0.0.1"},
                                            {"MASTER_PORT", std::to_string(port)},
                                            {"OMP_NUM_THREADS", "1"},
                                            {"ENAS_DIST_TEST_OUT", out.string()}};
    vars.insert(extra.begin(), extra.end());
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv(*e);
      if (vars.count(kv.substr(0, kv.find('='))) == 0) env.push_back(kv);
    }
    for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string exe = "/proc/self/exe", name = test;
    std::vector<char*> argv{exe.data(), name.data(), nullptr};
    pid_t pid = 0;
    REQUIRE(::posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv.data(), envp.data()) == 0);
    pids.push_back(pid);
  }
  std::vector<int> codes(pids.size(), -1);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::size_t left = pids.size();
  while (left > 0) {
    for (std::size_t r = 0; r < pids.size(); ++r) {
      if (codes[r] != -1) continue;
      int status = 0;
      if (::waitpid(pids[r], &status, WNOHANG) == pids[r]) {
        codes[r] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        --left;
      }
    }
    if (left > 0 && (std::chrono::steady_clock::now() > deadline || (rank0_ends_run && codes[0] != -1))) {
      for (std::size_t r = 0; r < pids.size(); ++r) {
        if (codes[r] == -1) ::kill(pids[r], SIGKILL);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return codes;
}

fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("enas_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/// A worker rank's group: Gloo on the CPU, 60 s for every collective.
std::shared_ptr<enas::dist::ProcessGroup> connect_worker(const enas::dist::LaunchInfo& launch) {
  enas::dist::GroupOptions options;
  options.timeout = std::chrono::seconds(60);
  return enas::dist::ProcessGroup::connect(launch, at::Device(at::kCPU), options);
}

/// The worker's output folder, or empty when this process is not a rank started by run_ranks.
fs::path worker_dir() {
  const char* out = std::getenv("ENAS_DIST_TEST_OUT");
  return out == nullptr ? fs::path() : fs::path(out);
}

}  // namespace

TEST_CASE("dist worker: PTB steps on a share of the batch", "[.][dist_worker]") {
  const auto dir = worker_dir();
  if (dir.empty()) return;  // started by hand: nothing to do
  const auto launch = enas::dist::read_launch();
  const auto group = connect_worker(launch);
  write_numbers(dir / ("rank" + std::to_string(launch.rank) + ".bin"), ptb_steps(group));
}

TEST_CASE("dist worker: image steps on a share of the batch", "[.][dist_worker]") {
  const auto dir = worker_dir();
  if (dir.empty()) return;
  const auto launch = enas::dist::read_launch();
  const auto group = connect_worker(launch);
  write_numbers(dir / ("rank" + std::to_string(launch.rank) + ".bin"), image_steps(group));
}

TEST_CASE("dist worker: gradients summed during the backward pass", "[.][dist_worker]") {
  const auto dir = worker_dir();
  if (dir.empty()) return;
  const auto launch = enas::dist::read_launch();
  const auto group = connect_worker(launch);
  write_numbers(dir / ("rank" + std::to_string(launch.rank) + ".bin"), reducer_steps(group));
}

TEST_CASE("dist worker: a short PTB search", "[.][dist_worker]") {
  const auto dir = worker_dir();
  if (dir.empty()) return;
  const auto launch = enas::dist::read_launch();
  const auto group = connect_worker(launch);
  const auto steps = std::stoll(std::getenv("ENAS_DIST_TEST_STEPS"));
  write_numbers(dir / ("rank" + std::to_string(launch.rank) + ".bin"), short_search(group, dir / "run", steps));
}

TEST_CASE("dist worker: a short micro search", "[.][dist_worker]") {
  const auto dir = worker_dir();
  if (dir.empty()) return;
  const auto launch = enas::dist::read_launch();
  const auto group = connect_worker(launch);
  write_numbers(dir / ("rank" + std::to_string(launch.rank) + ".bin"), short_micro_search(group));
}

TEST_CASE("dist worker: a rank exits or stops in the middle of a run", "[.][dist_worker]") {
  const auto dir = worker_dir();
  if (dir.empty()) return;
  const auto launch = enas::dist::read_launch();
  const std::string fault = std::getenv("ENAS_DIST_TEST_FAULT") != nullptr ? std::getenv("ENAS_DIST_TEST_FAULT") : "";
  enas::dist::GroupOptions options;
  options.timeout = std::chrono::seconds(4);
  const auto group = enas::dist::ProcessGroup::connect(launch, at::Device(at::kCPU), options);
  auto t = at::ones({1000});
  group->all_reduce_sum({t});  // a first collective that every rank completes
  if (launch.rank == 1) {
    if (fault == "exit") std::_Exit(3);
    ::raise(SIGSTOP);  // "stop": hangs until the test kills it
  }
  const auto start = std::chrono::steady_clock::now();
  std::string message = "(no error)";
  try {
    group->all_reduce_sum({t});
  } catch (const enas::DistError& e) {
    message = e.what();
  }
  const auto waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ofstream(dir / "rank0.txt") << waited << "\n" << message << "\n";
}

namespace {
/// Three replicas whose gathers return 1×, 10× and 100× this one's tensor and whose all-reduce
/// multiplies by 111, counting each kind of collective.
struct ThreeReplicas {
  int gathers = 0;
  int reduces = 0;
  int size() const { return 3; }
  std::vector<at::Tensor> all_gather(const at::Tensor& t) {
    ++gathers;
    return {t.clone(), t * 10, t * 100};
  }
  void all_reduce_sum(const std::vector<at::Tensor>& ts) {
    ++reduces;
    for (auto t : ts) t.mul_(111);
  }
};
}  // namespace

TEST_CASE("small sums over the replicas are gathered and added in rank order, large ones all-reduced", "[dist]") {
  ThreeReplicas group;
  const auto sum = enas::nn::cross_replica_sum(group);
  auto small = at::tensor({1.0F, 2.0F, -0.5F});
  sum->sum(small);
  CHECK(small.equal(at::tensor({111.0F, 222.0F, -55.5F})));
  CHECK(group.gathers == 1);
  CHECK(group.reduces == 0);
  // 256 KiB gathered is the largest gathered sum: 3 × 21,845 floats is under it, 3 × 21,846 over.
  auto at_limit = at::ones({21845});
  sum->sum(at_limit);
  CHECK(group.gathers == 2);
  auto large = at::ones({21846});
  sum->sum(large);
  CHECK(group.reduces == 1);
  CHECK(large.eq(111.0F).all().item<bool>());
  CHECK(at_limit.eq(111.0F).all().item<bool>());
}

TEST_CASE("dist worker: stop votes", "[.][dist_worker]") {
  const auto dir = worker_dir();
  if (dir.empty()) return;
  const auto launch = enas::dist::read_launch();
  const auto group = connect_worker(launch);
  // Rank 1 asks to stop from step 4 on, rank 0 never; each vote's answer after steps 1 to 9.
  std::vector<double> answers;
  for (const std::int64_t period : {1, 3, 4}) {
    enas::StopVote vote(group, period);
    for (int step = 1; step <= 9; ++step) answers.push_back(vote(launch.rank == 1 && step >= 4) ? 1.0 : 0.0);
  }
  answers.push_back(static_cast<double>(enas::stop_vote_period(*group)));
  write_numbers(dir / ("rank" + std::to_string(launch.rank) + ".bin"), answers);
}

TEST_CASE("a stop asked on one rank is agreed by every rank at the next vote", "[dist][group]") {
  const auto dir = fresh_dir("dist_stop_vote");
  REQUIRE(run_ranks(2, "dist worker: stop votes", dir, {}, std::chrono::seconds(120)) == std::vector<int>{0, 0});
  const auto rank0 = read_numbers(dir / "rank0.bin");
  const auto rank1 = read_numbers(dir / "rank1.bin");
  // By hand: votes after steps 1..9 (period 1), 3, 6, 9 (period 3), 4, 8 (period 4); rank 1 asks
  // from step 4, so the first vote at or after step 4 says stop: step 4, 6 and 4.
  const std::vector<double> expected{0, 0, 0, 1, 1, 1, 1, 1, 1,  //
                                     0, 0, 0, 0, 0, 1, 0, 0, 1,  //
                                     0, 0, 0, 1, 0, 0, 0, 1, 0,  //
                                     1};                          // Gloo votes every step
  CHECK(rank0 == expected);
  CHECK(rank1 == expected);
  CHECK_THROWS_AS(enas::StopVote(nullptr, 1), enas::ConfigError);
  fs::remove_all(dir);
}

TEST_CASE("gradient buckets start their sums during the backward pass and sum what each rank computed", "[dist][group]") {
  const auto dir = fresh_dir("dist_reducer");
  REQUIRE(run_ranks(2, "dist worker: gradients summed during the backward pass", dir, {}, std::chrono::seconds(120)) ==
          std::vector<int>{0, 0});
  const auto rank0 = read_numbers(dir / "rank0.bin");
  const auto rank1 = read_numbers(dir / "rank1.bin");
  const std::size_t per_step = 8 * 2 + 3;
  REQUIRE(rank0.size() == 2 * per_step);
  CHECK(rank0 == rank1);
  // By hand, w = k + 1: the gradient of w_k summed over ranks 0 and 1 is 2·a_k + w_k, whose
  // sum over j is 2w·(0 + … + 999) + 1000·w = 1,000,000·w and whose value at j = 1 is 3w; each
  // rank's loss term is Σ_j w·(w·j + r·w) = 499,500·w² + 1000·r·w².
  const std::vector<std::vector<int>> used{{0, 1, 2, 3, 4, 5}, {1, 3, 5, 6}};
  for (std::size_t step = 0; step < 2; ++step) {
    const auto* rec = rank0.data() + step * per_step;
    double loss = 0.0;
    for (int k = 0; k < 8; ++k) {
      INFO("step " << step + 1 << ", parameter " << k);
      if (std::find(used[step].begin(), used[step].end(), k) == used[step].end()) {
        CHECK(rec[2 * k] == -1.0);  // outside the step's graph, or frozen: no gradient, as in one process
        continue;
      }
      const double w = k + 1;
      CHECK(rec[2 * k] == Approx(1000000.0 * w).epsilon(1e-6));
      CHECK(rec[2 * k + 1] == 3.0 * w);
      loss += 2 * 499500.0 * w * w + 1000.0 * w * w;
    }
    // 4,000 bytes a parameter: the first bucket (4 KiB cap) holds one, the others (8 KiB) two.
    const auto n = static_cast<double>(used[step].size());
    CHECK(rec[16] == 1 + std::ceil((n - 1) / 2));
    CHECK(rec[17] >= 1);  // at least one bucket's sum began before backward() returned
    CHECK(rec[18] == Approx(loss).epsilon(1e-6));
  }
  fs::remove_all(dir);
}

TEST_CASE("two ranks on half the batch each compute one process's PTB search and final steps", "[dist][group]") {
  // Each rank trains 4 of the 8 batch streams: dropout masks drawn for the whole batch and cut,
  // the cell's batch norm over both ranks' rows, the loss over the whole batch, gradients summed
  // before clipping. Both ranks must end bit-identical, and equal to one process on the whole
  // batch up to the order of float additions.
  const auto dir = fresh_dir("dist_ptb");
  const auto codes = run_ranks(2, "dist worker: PTB steps on a share of the batch", dir, {}, std::chrono::seconds(300));
  REQUIRE(codes == std::vector<int>{0, 0});
  const auto rank0 = read_numbers(dir / "rank0.bin");
  const auto rank1 = read_numbers(dir / "rank1.bin");
  const auto one = ptb_steps(nullptr);
  REQUIRE(rank0.size() == one.size());
  CHECK(rank0 == rank1);
  double worst = 0.0;
  std::size_t at_index = 0;
  for (std::size_t i = 0; i < one.size(); ++i) {
    const double err = std::abs(rank0[i] - one[i]) / (1.0 + std::abs(one[i]));
    if (err > worst) {
      worst = err;
      at_index = i;
    }
  }
  INFO("largest difference " << worst << " at value " << at_index << ": " << rank0[at_index] << " against "
                             << one[at_index] << " (" << one.size() << " values)");
  CHECK(worst < 2e-5);
  // The losses are those of the whole batch, not of a half: equal to one process's (to float).
  for (std::size_t i = 0; i < 8; i += 2) CHECK(rank0[i] == Approx(one[i]).epsilon(1e-5));
  fs::remove_all(dir);
}

/// The largest difference |a − b| / (1 + |b|) between two records, with where it is.
std::string compare(const std::vector<double>& got, const std::vector<double>& expected, double& worst);

TEST_CASE("three ranks on uneven shares of the batch compute one process's micro, macro and NAS-Bench-201 steps", "[dist][group][image]") {
  // Batch 20 over 3 ranks: 6, 7 and 7 images. Each rank draws the whole augmented batch, keeps its rows, draws dropout and drop-path
  // masks for the whole batch, normalises with the whole batch's statistics (synchronised batch
  // norm, also asked of the final training here), and the gradients, losses and correct counts
  // are summed. The ranks must end bit-identical. Against one process on the whole batch they may
  // differ by rounding, which these small networks amplify in places (the auxiliary head's batch
  // norms over 4 values per image): the bound is how much one process differs from itself
  // between its two memory layouts (the same arithmetic in another order): the ranks must be
  // within half of that of one of them.
  const auto dir = fresh_dir("dist_image");
  const auto codes = run_ranks(3, "dist worker: image steps on a share of the batch", dir, {}, std::chrono::seconds(300));
  REQUIRE(codes == std::vector<int>{0, 0, 0});
  const auto rank0 = read_numbers(dir / "rank0.bin");
  const auto one = image_steps(nullptr);
  const auto one_nchw = image_steps(nullptr, false);
  REQUIRE(rank0.size() == one.size());
  CHECK(rank0 == read_numbers(dir / "rank1.bin"));
  CHECK(rank0 == read_numbers(dir / "rank2.bin"));
  double layouts = 0.0, to_cl = 0.0, to_nchw = 0.0;
  INFO("one process, channels-last against NCHW: " << compare(one_nchw, one, layouts));
  INFO("three ranks (channels-last) against one process, channels-last: " << compare(rank0, one, to_cl));
  INFO("three ranks (channels-last) against one process, NCHW: " << compare(rank0, one_nchw, to_nchw));
  CHECK(std::min(to_cl, to_nchw) <= std::max(0.5 * layouts, 2e-5));
  CHECK(layouts < 1e-3);  // the yardstick itself is rounding, not an error
  // The first micro search step: the whole batch's loss and correct count, not a share's.
  CHECK(rank0[0] == Approx(one[0]).epsilon(1e-5));
  CHECK(rank0[2] == one[2]);
  fs::remove_all(dir);
}

/// The largest difference |a − b| / (1 + |b|) between two records, with where it is.
std::string compare(const std::vector<double>& got, const std::vector<double>& expected, double& worst) {
  worst = 0.0;
  std::size_t at_index = 0;
  for (std::size_t i = 0; i < expected.size() && i < got.size(); ++i) {
    const double err = std::abs(got[i] - expected[i]) / (1.0 + std::abs(expected[i]));
    if (err > worst) {
      worst = err;
      at_index = i;
    }
  }
  std::ostringstream s;
  s << "largest difference " << worst << " at value " << at_index << " of " << expected.size();
  return s.str();
}

TEST_CASE("a short search on two ranks keeps their controllers identical and derives what one process derives", "[dist][group][search]") {
  // Controller phases score a share of the samples on each rank and gather the rewards, derive
  // spreads its samples, validation its batch streams; every rank must end bit-identical (same
  // controller weights, same derived list), and the derived architectures must be one process's.
  const auto dir = fresh_dir("dist_search");
  const auto codes = run_ranks(2, "dist worker: a short PTB search", dir, {{"ENAS_DIST_TEST_STEPS", "-1"}},
                               std::chrono::seconds(300));
  REQUIRE(codes == std::vector<int>{0, 0});
  const auto rank0 = read_numbers(dir / "rank0.bin");
  const auto rank1 = read_numbers(dir / "rank1.bin");
  const auto one = short_search(nullptr, dir / "one", -1);
  REQUIRE(rank0.size() == one.size());
  CHECK(rank0 == rank1);
  CHECK(rank0[0] == 82);  // steps
  CHECK(rank0[1] == 6);   // controller updates
  // The derived architectures (tokens), best first, are one process's.
  for (std::size_t k = 0; k < 8; ++k) {
    INFO("derived " << k);
    const auto first = 2 + k * 24;
    CHECK(std::vector<double>(rank0.begin() + first + 1, rank0.begin() + first + 24) ==
          std::vector<double>(one.begin() + first + 1, one.begin() + first + 24));
    CHECK(rank0[first] == Approx(one[first]).epsilon(1e-4));
  }
  double worst = 0.0;
  INFO(compare(rank0, one, worst));
  CHECK(worst < 1e-4);  // the controller weights after 6 updates
  fs::remove_all(dir);
}

TEST_CASE("a short micro search on two ranks keeps their controllers identical and derives what one process derives", "[dist][group][search][image]") {
  // Rewards are scored on one rank each, every one under a seed drawn with its minibatch (the micro
  // search network's dropout runs in every pass), so a reward is the same on any rank and the
  // ranks' generators stay together; validation batches are spread the same way.
  const auto dir = fresh_dir("dist_micro_search");
  const auto codes = run_ranks(2, "dist worker: a short micro search", dir, {}, std::chrono::seconds(300));
  REQUIRE(codes == std::vector<int>{0, 0});
  const auto rank0 = read_numbers(dir / "rank0.bin");
  const auto one = short_micro_search(nullptr);
  REQUIRE(rank0.size() == one.size());
  CHECK(rank0 == read_numbers(dir / "rank1.bin"));
  CHECK(rank0[0] == 10);  // steps
  CHECK(rank0[1] == 4);   // controller updates
  constexpr std::size_t tokens = enas::spaces::MicroEnas::num_tokens;
  for (std::size_t k = 0; k < 8; ++k) {
    INFO("derived " << k);
    const auto first = 2 + k * (tokens + 1);
    CHECK(std::vector<double>(rank0.begin() + first + 1, rank0.begin() + first + 1 + tokens) ==
          std::vector<double>(one.begin() + first + 1, one.begin() + first + 1 + tokens));
    CHECK(rank0[first] == Approx(one[first]).epsilon(1e-6));
  }
  double worst = 0.0;
  INFO(compare(rank0, one, worst));
  CHECK(worst < 1e-4);  // the controller weights after 4 updates
  fs::remove_all(dir);
}

TEST_CASE("two ranks resume a search from their checkpoint as if it had not stopped", "[dist][group][checkpoint]") {
  // Ranks 0 and 1 search to step 50 (past the first controller phase) and checkpoint (rank 0
  // writes the whole batch's carried state, gathered); two new ranks resume from it and finish.
  // Every number must match one process's uninterrupted search.
  const auto dir = fresh_dir("dist_resume");
  REQUIRE(run_ranks(2, "dist worker: a short PTB search", dir, {{"ENAS_DIST_TEST_STEPS", "50"}}, std::chrono::seconds(300)) ==
          std::vector<int>{0, 0});
  REQUIRE(fs::exists(dir / "run" / "checkpoint-50.pt"));
  CHECK_FALSE(fs::exists(dir / "run" / "checkpoint-82.pt"));
  REQUIRE(run_ranks(2, "dist worker: a short PTB search", dir, {{"ENAS_DIST_TEST_STEPS", "-1"}}, std::chrono::seconds(300)) ==
          std::vector<int>{0, 0});
  CHECK(fs::exists(dir / "run" / "checkpoint-82.pt"));
  const auto resumed = read_numbers(dir / "rank0.bin");
  CHECK(resumed == read_numbers(dir / "rank1.bin"));
  const auto one = short_search(nullptr, dir / "one", -1);
  REQUIRE(resumed.size() == one.size());
  double worst = 0.0;
  INFO(compare(resumed, one, worst));
  CHECK(worst < 1e-4);
  // Resuming on one process what two wrote is exact too: the checkpoint holds the whole batch.
  fs::copy(dir / "run" / "checkpoint-50.pt", dir / "single" / "checkpoint-50.pt",
           (fs::create_directories(dir / "single"), fs::copy_options::none));
  const auto single = short_search(nullptr, dir / "single", -1);
  INFO(compare(single, one, worst));
  CHECK(worst < 1e-4);
  fs::remove_all(dir);
}

TEST_CASE("a rank that exits or stops ends the others within the timeout and is named", "[dist][group]") {
  for (const std::string fault : {"exit", "stop"}) {
    INFO("fault " << fault);
    const auto dir = fresh_dir("dist_fault_" + fault);
    const auto start = std::chrono::steady_clock::now();
    const auto codes = run_ranks(2, "dist worker: a rank exits or stops in the middle of a run", dir,
                                 {{"ENAS_DIST_TEST_FAULT", fault}}, std::chrono::seconds(60), true);
    const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(codes[0] == 0);
    CHECK(codes[1] == (fault == "exit" ? 3 : 128 + SIGKILL));
    const auto report = read_text(dir / "rank0.txt");
    INFO(report);
    CHECK_THAT(report, enas::test::Contains("rank 0 of 2: all_reduce failed (timeout 4 s)"));
    CHECK_THAT(report, enas::test::Contains("rank 1 (pid "));
    CHECK_THAT(report, enas::test::Contains(fault == "exit" ? "on this machine) has exited" : "on this machine) is stopped"));
    const double waited = std::stod(report);
    if (fault == "exit") CHECK(waited < 4.0);  // a closed connection is seen at once
    if (fault == "stop") {
      CHECK(waited >= 3.5);  // the timeout, not before
      CHECK(waited < 15.0);
    }
    CHECK(took < 60.0);
    fs::remove_all(dir);
  }
}

#endif  // ENAS_WITH_GLOO
