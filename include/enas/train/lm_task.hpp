/// @file
/// @brief The PTB language-modelling tasks: what a child step, a reward and an evaluation are
/// for the shared (search) model and for the fixed (final) model (§3.2-§3.7).
#ifndef ENAS_TRAIN_LM_TASK_HPP
#define ENAS_TRAIN_LM_TASK_HPP

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/data/ptb.hpp"
#include "enas/dist/data_parallel.hpp"
#include "enas/io/checkpoint.hpp"
#include "enas/io/run_log.hpp"
#include "enas/io/xtensor.hpp"
#include "enas/nn/mode.hpp"
#include "enas/nn/ptb_models.hpp"
#include "enas/nn/replicas.hpp"
#include "enas/spaces/ptb_cell.hpp"
#include "enas/train/lm_options.hpp"
#include "enas/optim/lr_schedule.hpp"
#include "enas/train/recovery.hpp"
#include "enas/optim/sgd.hpp"
#include "enas/train/step_result.hpp"
#include "enas/train/task_for.hpp"
#include "enas/util/cuda_graph.hpp"

namespace enas::train {

/// State and machinery common to the PTB search and final tasks.
class LmTaskBase {
 public:
  using Options = LmOptions;
  using Data = data::PtbCorpus;

  static constexpr const char* train_metric = "tr_ppl";
  static constexpr const char* reward_name = "rw";
  static constexpr const char* sample_score_name = "rw";
  static constexpr const char* valid_metric = "valid_ppl";
  static constexpr const char* test_metric = "test_ppl";
  /// The reference's log lines for this task (io::LogFormat).
  static constexpr const io::LogFormat* log_format = &io::kPtbLogFormat;
  static constexpr const char* progress_unit = "words";

  LmTaskBase(const LmOptions& options, const data::PtbCorpus& corpus, const at::Device& device, std::uint64_t seed)
      : options_((options.validate(), options)),
        device_(device),
        train_(corpus.train, options.batch_size, options.bptt, device),
        valid_(corpus.valid, options.batch_size, options.bptt, device),
        test_(io::to_tensor(corpus.test, device).view({-1, 1})),
        vocab_(corpus.vocab_size()),
        sgd_(optim::SgdOptions{options.l2_reg, options.grad_bound, 0.0, false}),
        rng_(seed ^ 0x5eed5eedULL),
        best_valid_(options.best_valid_ppl),
        slice_{0, options.batch_size} {
    schedule_ = optim::StaircaseDecay::from_epochs(options.lr, options.lr_dec_rate, options.lr_dec_min, options.lr_dec_start,
                                            options.lr_dec_every, train_.num_batches());
    reset_states();
  }

  std::int64_t batches_per_epoch() const { return train_.num_batches(); }
  /// Words a training step processes.
  std::int64_t units_per_step() const { return options_.batch_size * options_.bptt; }
  const LmOptions& options() const { return options_; }
  const at::Device& device() const { return device_; }
  /// The learning rate of `step`: the schedule's, times the factor of past recoveries.
  double lr_at(std::int64_t step) const { return schedule_.at(step) * recovery_.lr_scale; }

  /// Zeroes the carried state (the reference resets at every epoch boundary), in place: a
  /// step recorded in a CUDA graph keeps reading the same tensor.
  void reset_states() {
    if (state_.defined()) {
      state_.zero_();
    } else {
      state_ = at::zeros({slice_.size, options_.hidden}, at::TensorOptions().device(device_));
    }
  }

  /// The process group this task trains over (null: one process).
  const std::shared_ptr<dist::ProcessGroup>& process_group() const { return group_; }
  /// This process's batch streams of the training split (all of them for one process).
  const dist::BatchSlice& batch_slice() const { return slice_; }

  /// Fills the training metric of a log line: exp of the mean per-token loss since the epoch
  /// began (the reference's tr_ppl).
  void fill_log(io::ChildEvent& e, const StepResult& /*last*/) const {
    e.metric_name = train_metric;
    e.metric = batches_ > 0 ? std::exp(train_ce_.item<double>() / static_cast<double>(batches_ * options_.bptt)) : 0.0;
  }

  /// Takes `n` steps skipped as non-finite out of the epoch's count (their loss was not added).
  void note_skipped(std::int64_t n) { batches_ = std::max<std::int64_t>(0, batches_ - n); }

  /// The run's learning-rate factor and restore count after non-finite steps.
  Recovery& recovery() { return recovery_; }

  /// Starts a new epoch's training statistics (in place, as reset_states).
  void reset_epoch_stats() {
    if (train_ce_.defined()) {
      train_ce_.zero_();
    } else {
      train_ce_ = at::zeros({}, at::TensorOptions().device(device_).dtype(at::kDouble));
    }
    batches_ = 0;
  }

  /// The best validation perplexity so far (the reference starts it at 67.0).
  double best_valid() const { return best_valid_; }
  void set_best_valid(double v) { best_valid_ = v; }

  optim::Sgd& optimizer() { return sgd_; }
  std::mt19937_64& rng() { return rng_; }
  at::Tensor& state() { return state_; }

 protected:
  /// Trains data-parallel over `group` from now on: this rank takes its equal share of the
  /// batch streams (--batch_size must divide by the world size) and carries its share of the
  /// state; the derived tasks shard their models. Validation and test stay whole on every rank.
  dist::BatchSlice join_group(std::shared_ptr<dist::ProcessGroup> group) {
    group_ = std::move(group);
    slice_ = group_ ? dist::batch_slice(options_.batch_size, group_->rank(), group_->size(), "batch_size")
                    : dist::BatchSlice{0, options_.batch_size};
    state_ = at::Tensor();
    reset_states();
    return slice_;
  }

  /// Inputs and targets of training window i, this rank's streams.
  std::pair<at::Tensor, at::Tensor> train_window(std::int64_t i) const {
    auto [x, y] = train_.window(i);
    if (slice_.size == options_.batch_size) return {x, y};
    return {x.narrow(1, slice_.offset, slice_.size), y.narrow(1, slice_.offset, slice_.size)};
  }

  /// After the backward pass: the gradients of `params` and the step's `loss` summed over the
  /// ranks (one process: as they are). Returns the whole batch's loss.
  at::Tensor reduce_step(const std::vector<at::Tensor>& params, const at::Tensor& loss) {
    if (!group_) return loss;
    auto total = loss.detach().clone();
    dist::sum_gradients(*group_, params, {total});
    return total;
  }

  /// The task's own state besides the model: carried state, epoch statistics, best validation,
  /// the host engine of the reward windows, the optimizer.
  /// Every rank calls it (the state is gathered from all of them); the checkpoint holds the
  /// whole batch's state, so it resumes exactly on any number of ranks that divides the batch.
  void save_base(io::OutputArchive& a, const std::vector<at::Tensor>& params) const {
    io::write_tensor(a, "state", group_ ? at::cat(group_->all_gather(state_), 0) : state_);
    io::write_tensor(a, "train_ce", train_ce_.defined() ? train_ce_ : at::zeros({}, at::kDouble));
    io::write_int(a, "batches", batches_);
    io::write_double(a, "best_valid", best_valid_);
    io::write_engine(a, "rng", rng_);
    io::OutputArchive sgd;
    sgd_.save(sgd, params);
    a.write("sgd", sgd);
    recovery_.save(a);
  }
  void load_base(io::InputArchive& a, const std::vector<at::Tensor>& params) {
    const auto state = io::read_tensor(a, "state");
    if (state.dim() != 2 || state.size(0) != options_.batch_size || state.size(1) != options_.hidden) {
      throw CheckpointError("checkpoint carries a state of another batch or hidden size");
    }
    state_.copy_(state.narrow(0, slice_.offset, slice_.size));
    const auto train_ce = io::read_tensor(a, "train_ce");
    if (!train_ce_.defined()) reset_epoch_stats();
    train_ce_.copy_(train_ce);
    batches_ = io::read_int(a, "batches");
    best_valid_ = io::read_double(a, "best_valid");
    io::read_engine(a, "rng", rng_);
    io::InputArchive sgd;
    if (!io::try_read_archive(a, "sgd", sgd)) throw CheckpointError("checkpoint lacks the child optimizer state");
    sgd_.load(sgd, params);
    recovery_.load(a);
  }

 public:

 protected:
  /// The model options the LmOptions describe.
  static nn::PtbModelOptions model_options(const LmOptions& o, const data::PtbCorpus& corpus) {
    nn::PtbModelOptions m;
    m.vocab = corpus.vocab_size();
    m.hidden = o.hidden;
    m.e_keep = o.e_keep;
    m.x_keep = o.x_keep;
    m.h_keep = o.h_keep;
    m.o_keep = o.o_keep;
    return m;
  }

  /// Accumulates a training window's loss (Σ CE / B) for tr_ppl; a step the optimizer skipped
  /// as non-finite adds nothing (note_skipped takes it out of the count).
  void add_train_loss(const at::Tensor& loss) {
    if (!train_ce_.defined()) reset_epoch_stats();
    train_ce_.add_(loss.detach().masked_fill(sgd_.last_step_finite().logical_not(), 0.0));
    ++batches_;
  }

  /// Perplexity of a full pass over `batches` with state carried (§3.5):
  /// exp(min(Σ CE / (N·B·T), 10)). `run` evaluates one window from a state.
  /// Over a process group each rank evaluates its share of the batch streams and the sums are
  /// added (every rank runs `run` for every window, with the same cells).
  template <class Run>
  double carried_perplexity(const data::PtbBatches& batches, Run&& run) const {
    at::NoGradGuard no_grad;
    const auto share = group_ ? dist::batch_slice(batches.batch_size(), group_->rank(), group_->size(), "batch_size")
                              : dist::BatchSlice{0, batches.batch_size()};
    auto state = at::zeros({share.size, options_.hidden}, at::TensorOptions().device(device_));
    auto total = at::zeros({}, at::TensorOptions().device(device_).dtype(at::kDouble));
    for (std::int64_t i = 0; i < batches.num_batches(); ++i) {
      auto [x, y] = batches.window(i);
      if (group_) {
        x = x.narrow(1, share.offset, share.size);
        y = y.narrow(1, share.offset, share.size);
      }
      auto r = run(x, y, state);
      total.add_(r.ce_sum);
      state = r.state;
    }
    if (group_) group_->all_reduce_sum({total});
    const double tokens = static_cast<double>(batches.num_batches() * batches.batch_size() * batches.bptt());
    return std::exp(std::min(total.item<double>() / tokens, 10.0));
  }

  /// Test perplexity over the whole test stream with batch 1 and state carried, as the
  /// reference's word-by-word loop computes it; the softmax is batched over windows of
  /// options().test_window tokens, which changes nothing in the result.
  template <class Run>
  double stream_perplexity(Run&& run) const {
    at::NoGradGuard no_grad;
    const auto targets = test_.size(0) - 1;
    auto state = at::zeros({1, options_.hidden}, at::TensorOptions().device(device_));
    auto total = at::zeros({}, at::TensorOptions().device(device_).dtype(at::kDouble));
    for (std::int64_t t0 = 0; t0 < targets; t0 += options_.test_window) {
      const auto len = std::min(options_.test_window, targets - t0);
      auto r = run(test_.narrow(0, t0, len), test_.narrow(0, t0 + 1, len), state);
      total.add_(r.ce_sum);
      state = r.state;
    }
    return std::exp(std::min(total.item<double>() / static_cast<double>(targets), 10.0));
  }

  LmOptions options_;
  at::Device device_;
  data::PtbBatches train_;
  data::PtbBatches valid_;
  at::Tensor test_;  // [n, 1]
  std::int64_t vocab_;
  optim::Sgd sgd_;
  optim::StaircaseDecay schedule_;
  Recovery recovery_;
  std::mt19937_64 rng_;
  at::Tensor state_;
  at::Tensor train_ce_;
  std::int64_t batches_ = 0;
  double best_valid_;
  std::shared_ptr<dist::ProcessGroup> group_;
  dist::BatchSlice slice_;

  /// §3.7: validation perplexity every evaluation; the test perplexity when it improves.
  template <class Valid, class Test>
  void evaluate_and_track(io::RunLog& log, std::int64_t epoch, std::int64_t step, Valid&& valid, Test&& test) {
    const double v = valid();
    log.eval(epoch, step, valid_metric, v);
    if (v < best_valid_) {
      best_valid_ = v;
      log.eval(epoch, step, test_metric, test());
    }
  }
};

/// The search task: the shared model trained on sampled cells, rewards 80 / valid perplexity.
template <class Space>
class LmSearchTask : public LmTaskBase {
 public:
  using Arch = typename Space::Arch;
  using Model = nn::PtbSharedModel<Space>;

  LmSearchTask(const LmOptions& options, const data::PtbCorpus& corpus, const at::Device& device, std::uint64_t seed)
      : LmTaskBase(options, corpus, device, seed), model_(model_options(options, corpus)) {
    model_->to(device);
  }

  Model& model() { return model_; }
  std::int64_t num_parameters() const { return count(model_->parameters()); }

  /// Data-parallel over `group` (null: one process again): this rank's share of the batch, the
  /// cell's batch-norm statistics over every rank's rows (options().sync_bn; else its own),
  /// gradients summed.
  void distribute(std::shared_ptr<dist::ProcessGroup> group) {
    const auto slice = join_group(group);
    std::shared_ptr<const nn::CrossReplicaSum> sync;
    if (group && options_.sync_bn) sync = nn::cross_replica_sum(*group);
    model_->shard_batch(group ? nn::BatchShard{slice.offset, options_.batch_size} : nn::BatchShard{}, sync);
  }

  void save(io::OutputArchive& a) const {
    io::write_module(a, "model", *model_);
    save_base(a, model_->parameters());
  }
  void load(io::InputArchive& a) {
    io::read_module(a, "model", *model_);
    load_base(a, model_->parameters());
  }

  /// One SGD step of the shared weights on the next training window with `arch`; only the
  /// weights of `arch` receive gradients and updates.
  StepResult train_step(const Arch& arch, std::int64_t step) {
    auto [x, y] = train_window(step % train_.num_batches());
    const auto params = model_->parameters_of(arch);
    nn::set_mode(*model_, true);
    auto r = model_->forward(x, y, state_, arch);
    state_ = r.state;
    r.loss.backward();
    const auto loss = reduce_step(params, r.loss.detach());
    const double lr = lr_at(step);
    auto norm = sgd_.step(params, lr, loss);
    add_train_loss(loss);
    return {loss, norm, lr};
  }

  /// The controller's reward for `arch` (§6.1): 80 / exp(mean CE) on one random validation
  /// window, from a zero state, without dropout, with the moving batch-norm statistics.
  at::Tensor reward(const Arch& arch) { return 80.0 / window_perplexity(arch, draw_reward_batch()); }

  /// Perplexity of `arch` on the validation window at `offset` (zero state, inference mode).
  at::Tensor window_perplexity(const Arch& arch, std::int64_t offset) {
    at::NoGradGuard no_grad;
    auto [x, y] = valid_.at_offset(offset);
    const auto zero = at::zeros({options_.batch_size, options_.hidden}, at::TensorOptions().device(device_));
    nn::set_mode(*model_, false);
    auto r = model_->forward(x, y, zero, arch);
    return at::exp(r.ce_sum / static_cast<double>(x.numel()));
  }

  /// A uniform validation window offset in [0, len/B − T), as valid_rl draws: the minibatch a
  /// reward (or a derive round) is computed on.
  std::int64_t draw_reward_batch() {
    std::uniform_int_distribution<std::int64_t> pick(0, valid_.length() - options_.bptt - 1);
    return pick(rng_);
  }

  /// Full validation perplexity; each window evaluates a freshly sampled cell (§3.7).
  double evaluate_valid(const std::function<Arch()>& sample) {
    nn::set_mode(*model_, false);
    return carried_perplexity(valid_, [&](const at::Tensor& x, const at::Tensor& y, const at::Tensor& s) {
      return model_->forward(x, y, s, sample());
    });
  }

  /// Test perplexity; a freshly sampled cell per test window (the reference resampled per run).
  double evaluate_test(const std::function<Arch()>& sample) {
    nn::set_mode(*model_, false);
    return stream_perplexity([&](const at::Tensor& x, const at::Tensor& y, const at::Tensor& s) {
      return model_->forward(x, y, s, sample());
    });
  }

  /// The end-of-epoch evaluation (§3.7): validation, and test when validation improves.
  void epoch_evaluation(io::RunLog& log, std::int64_t epoch, std::int64_t step, const std::function<Arch()>& sample) {
    evaluate_and_track(log, epoch, step, [&] { return evaluate_valid(sample); }, [&] { return evaluate_test(sample); });
  }
  /// After the last epoch the reference evaluates the test set once more.
  void final_evaluation(io::RunLog& log, std::int64_t epoch, std::int64_t step, const std::function<Arch()>& sample) {
    log.eval(epoch, step, test_metric, evaluate_test(sample));
  }

  /// The reward of `arch` on the minibatch `batch_id` (from draw_reward_batch); higher is better.
  double score_on(const Arch& arch, std::int64_t batch_id) {
    return 80.0 / window_perplexity(arch, batch_id).template item<double>();
  }

 private:
  static std::int64_t count(const std::vector<at::Tensor>& ps) {
    std::int64_t n = 0;
    for (const auto& p : ps) n += p.numel();
    return n;
  }

  Model model_;
};

/// The final task: one fixed cell trained from scratch, with the slowness regulariser.
template <class Space>
class LmFinalTask : public LmTaskBase {
 public:
  using Arch = typename Space::Arch;
  using Model = nn::PtbFixedModel<Space>;

  LmFinalTask(const Arch& arch, const LmOptions& options, const data::PtbCorpus& corpus, const at::Device& device,
              std::uint64_t seed)
      : LmTaskBase(options, corpus, device, seed), model_(arch, model_options(options, corpus)) {
    model_->to(device);
    params_ = model_->parameters();
  }

  Model& model() { return model_; }

  /// Data-parallel over `group` (null: one process again): this rank's share of the batch,
  /// gradients summed. The step then runs eagerly (no CUDA graph).
  void distribute(std::shared_ptr<dist::ProcessGroup> group) {
    const auto slice = join_group(group);
    model_->shard_batch(group ? nn::BatchShard{slice.offset, options_.batch_size} : nn::BatchShard{});
  }

  std::int64_t num_parameters() const {
    std::int64_t n = 0;
    for (const auto& p : params_) n += p.numel();
    return n;
  }

  void save(io::OutputArchive& a) const {
    io::write_module(a, "model", *model_);
    save_base(a, params_);
  }
  void load(io::InputArchive& a) {
    io::read_module(a, "model", *model_);
    load_base(a, params_);
  }

  /// One SGD step on the next training window: loss = Σ CE / B + slowness·Σ(o_t − o_{t−1})²/B.
  /// With options().cuda_graphs the window, the state and the learning rate go through static
  /// device tensors, and on CUDA the step is recorded once as a CUDA graph and then replayed (on
  /// the CPU the same static step runs eagerly, which the tests compare with the plain one).
  StepResult train_step(std::int64_t step) {
    auto [x, y] = train_window(step % train_.num_batches());
    const double lr = lr_at(step);
    if (!options_.cuda_graphs || group_) {
      auto r = forward_backward(x, y);
      state_ = r.state;
      const auto loss = reduce_step(params_, r.loss.detach());
      auto norm = sgd_.step(params_, lr, loss);
      add_train_loss(loss);
      return {loss, norm, lr};
    }
    if (!static_.x.defined()) {
      static_ = {x.clone(), y.clone(), at::zeros({}, at::TensorOptions().device(device_).dtype(at::kFloat)), {}, {}};
      if (!train_ce_.defined()) reset_epoch_stats();  // it must exist before the capture
    }
    static_.x.copy_(x, /*non_blocking=*/true);
    static_.y.copy_(y, /*non_blocking=*/true);
    static_.lr.fill_(lr);
    graph_.run(device_, [&] {
      auto r = forward_backward(static_.x, static_.y);
      state_.copy_(r.state);
      static_.loss = r.loss.detach();
      static_.norm = sgd_.step(params_, static_.lr, static_.loss);
      train_ce_.add_(static_.loss.masked_fill(sgd_.last_step_finite().logical_not(), 0.0));
    });
    ++batches_;
    StepResult out{static_.loss, static_.norm, lr};
    out.notice = graph_.take_notice();
    return out;
  }

  /// Whether the training step is now replayed from a CUDA graph.
  bool step_graphed() const { return graph_.captured(); }

  double evaluate_valid() {
    nn::set_mode(*model_, false);
    return carried_perplexity(valid_, [&](const at::Tensor& x, const at::Tensor& y, const at::Tensor& s) {
      return model_->forward(x, y, s);
    });
  }
  double evaluate_test() {
    nn::set_mode(*model_, false);
    return stream_perplexity([&](const at::Tensor& x, const at::Tensor& y, const at::Tensor& s) {
      return model_->forward(x, y, s);
    });
  }
  void epoch_evaluation(io::RunLog& log, std::int64_t epoch, std::int64_t step) {
    evaluate_and_track(log, epoch, step, [&] { return evaluate_valid(); }, [&] { return evaluate_test(); });
  }
  void final_evaluation(io::RunLog& log, std::int64_t epoch, std::int64_t step) {
    log.eval(epoch, step, test_metric, evaluate_test());
  }

 private:
  /// The forward pass on a window from the carried state, and the backward pass of its objective.
  nn::WindowResult forward_backward(const at::Tensor& x, const at::Tensor& y) {
    const bool slow = options_.slowness_reg > 0;
    nn::set_mode(*model_, true);
    auto r = slow ? model_->forward_with_slowness(x, y, state_) : model_->forward(x, y, state_);
    auto objective = slow ? r.loss + options_.slowness_reg * r.slowness : r.loss;
    objective.backward();
    return r;
  }

  /// The static tensors of the graphed step: its inputs (window, learning rate) and outputs.
  struct StaticStep {
    at::Tensor x, y, lr, loss, norm;
  };

  Model model_;
  std::vector<at::Tensor> params_;
  StaticStep static_;
  cuda::GraphedStep graph_{options_.cuda_graphs};
};

/// The PTB cell spaces train on the language-modelling tasks.
template <int Nodes, class... Activations>
struct TaskFor<spaces::PtbCell<Nodes, Activations...>> {
  using Search = LmSearchTask<spaces::PtbCell<Nodes, Activations...>>;
  using Final = LmFinalTask<spaces::PtbCell<Nodes, Activations...>>;
};

}  // namespace enas::train

#endif  // ENAS_TRAIN_LM_TASK_HPP
