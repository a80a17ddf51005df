/// @file
/// @brief The CIFAR-10 tasks: what a child step, a reward and an evaluation are for any image
/// family's shared model (search) and fixed model (final training) (enas-reference.md §7). The
/// families bind to them in their own headers (train/cifar_tasks.hpp, families/).
#ifndef ENAS_TRAIN_IMAGE_TASK_HPP
#define ENAS_TRAIN_IMAGE_TASK_HPP

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <string>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/data/cifar10_batches.hpp"
#include "enas/dist/gradient_reducer.hpp"
#include "enas/dist/process_group.hpp"
#include "enas/io/checkpoint.hpp"
#include "enas/io/run_log.hpp"
#include "enas/nn/image_model.hpp"
#include "enas/nn/image_ops.hpp"
#include "enas/nn/mode.hpp"
#include "enas/nn/replicas.hpp"
#include "enas/train/image_options.hpp"
#include "enas/optim/lr_schedule.hpp"
#include "enas/train/recovery.hpp"
#include "enas/optim/sgd.hpp"
#include "enas/train/step_result.hpp"
#include "enas/util/autocast.hpp"
#include "enas/util/cuda.hpp"
#include "enas/util/cuda_graph.hpp"
#include "enas/util/seed_scope.hpp"

namespace enas::train {

/// How an image model family's options follow from the ImageOptions (the flags): specialise
/// `ImageModelOptionsFrom<YourOptions>` with `static YourOptions make(const ImageOptions&)` beside
/// the family's task binding (train/cifar_tasks.hpp for macro and micro).
template <class ModelOptions>
struct ImageModelOptionsFrom {
  static_assert(sizeof(ModelOptions) == 0,
                "enas::train::ImageModelOptionsFrom<Options>: the image tasks do not know how to build this model's "
                "options from the ImageOptions; specialise ImageModelOptionsFrom<Options> with `static Options "
                "make(const ImageOptions&)` (see docs/adding-a-space.md)");
};

/// The options every image model shares: F, the dropout keep before the classifier.
template <>
struct ImageModelOptionsFrom<nn::ImageModelOptions> {
  static nn::ImageModelOptions make(const ImageOptions& o) {
    nn::ImageModelOptions image;
    image.out_filters = o.out_filters;
    image.keep_prob = o.keep_prob;
    return image;
  }
};

namespace detail {

/// Mean cross-entropy of the main logits, plus the weighted auxiliary loss when present. With
/// `global_rows` > 0 (one replica's rows of a data-parallel batch) the sum over these rows divided
/// by the whole batch's rows: the replicas' losses and gradients add up to the whole batch's.
inline at::Tensor classification_loss(const nn::ImageForward& f, const at::Tensor& labels, double aux_weight,
                                      at::Tensor* main_loss, std::int64_t global_rows = 0) {
  const auto cross_entropy = [&](const at::Tensor& logits) {
    // In float also under mixed precision (the logits may be bfloat16).
    if (global_rows <= 0) return at::cross_entropy_loss(logits.to(at::kFloat), labels);
    return at::cross_entropy_loss(logits.to(at::kFloat), labels, {}, at::Reduction::Sum) / static_cast<double>(global_rows);
  };
  auto loss = cross_entropy(f.logits);
  *main_loss = loss.detach();
  if (f.aux_logits.defined() && aux_weight > 0) loss = loss + aux_weight * cross_entropy(f.aux_logits);
  return loss;
}

inline at::Tensor count_correct(const at::Tensor& logits, const at::Tensor& labels) {
  return logits.argmax(1).eq(labels).sum();
}

/// Whether a fixed image model also takes its progress as a 0-dim tensor, which the graphed
/// final step needs (a model without that overload trains with the plain step).
template <class Model, class = void>
struct TakesProgressTensor : std::false_type {};
template <class Model>
struct TakesProgressTensor<Model, std::void_t<decltype(std::declval<Model&>()->forward(
                                      std::declval<const at::Tensor&>(), std::declval<const at::Tensor&>()))>>
    : std::true_type {};

}  // namespace detail

/// State and machinery common to the CIFAR-10 search and final tasks.
class ImageTaskBase {
 public:
  using Options = ImageOptions;
  using Data = data::Cifar10Data;

  static constexpr const char* train_metric = "tr_acc";
  static constexpr const char* reward_name = "acc";
  static constexpr const char* sample_score_name = "val_acc";
  static constexpr const char* valid_metric = "valid_acc";
  static constexpr const char* test_metric = "test_acc";
  /// The reference's log lines for this task (io::LogFormat).
  static constexpr const io::LogFormat* log_format = &io::kCifarLogFormat;
  static constexpr const char* progress_unit = "images";

  ImageTaskBase(const ImageOptions& options, const data::Cifar10Data& data, const at::Device& device, std::uint64_t seed)
      : options_((options.validate(), options)),
        device_(device),
        train_(data.train, data.stats, device, {options.batch_size, options.cutout_size, seed}),
        sgd_(optim::SgdOptions{options.l2_reg, options.grad_bound, 0.9, true}),
        schedule_{options.lr_max, options.lr_min, options.lr_t0, options.lr_t_mul} {
    if (device.is_cuda()) cuda::set_cudnn_benchmark(options.cudnn_benchmark);
    if (data.valid.size() > 0) valid_.emplace(data.valid, data.stats, device, data::CifarBatchOptions{options.batch_size, 0, seed + 1});
    if (data.test.size() > 0) test_.emplace(data.test, data.stats, device, data::CifarBatchOptions{options.batch_size, 0, seed + 2});
  }

  std::int64_t batches_per_epoch() const { return train_.batches_per_epoch(); }
  /// Images a training step processes.
  std::int64_t units_per_step() const { return options_.batch_size; }
  const ImageOptions& options() const { return options_; }
  const at::Device& device() const { return device_; }
  /// Cosine with restarts, evaluated per epoch (§7).
  /// The learning rate of `step`: the schedule's, times the factor of past recoveries.
  double lr_at(std::int64_t step) const {
    return schedule_.at_epoch(step / batches_per_epoch()) * recovery_.lr_scale;
  }
  /// The run's learning-rate factor and restore count after non-finite steps.
  Recovery& recovery() { return recovery_; }
  /// Steps skipped as non-finite: nothing to take out (tr_acc is the last step's).
  void note_skipped(std::int64_t) {}

  /// Images carry no state between batches.
  void reset_states() {}
  void reset_epoch_stats() {}

  /// tr_acc of the last step as the reference prints it: correct/batch.
  void fill_log(io::ChildEvent& e, const StepResult& last) const {
    e.metric_name = train_metric;
    const auto correct = last.correct.item<std::int64_t>();
    e.metric = static_cast<double>(correct) / static_cast<double>(last.batch);
    e.metric_text = fmt::format("{:<3d}/{:>3d}", correct, last.batch);
  }

  optim::Sgd& optimizer() { return sgd_; }
  data::CifarBatches& train_batches() { return train_; }

  /// Data-parallel over `group` (null or one rank: one process again; docs/distributed.md). Every
  /// rank draws the whole augmented batch and trains its share of the rows (shares differ by at
  /// most one image); dropout and drop-path masks are the whole batch's, cut to the share; the
  /// batch norms take the whole batch's statistics with options().sync_bn, else each rank's rows
  /// as DistributedDataParallel does, rank 0's moving statistics then being every rank's before
  /// they are used or saved; the loss is over the whole batch and the gradients are summed.
  /// Rewards, derive scores and evaluation batches are spread over the ranks by the caller and here.
  void distribute(std::shared_ptr<dist::ProcessGroup> group) {
    group_ = group && group->size() > 1 ? std::move(group) : nullptr;
    replicas_.reset();
    reducer_.reset();
    if (!group_) return;
    const auto world = static_cast<std::int64_t>(group_->size());
    const auto last = train_.size() % options_.batch_size;
    if (options_.batch_size < world || (last != 0 && last < world)) {
      throw ConfigError(fmt::format(
          "--batch_size {} over {} processes: every training minibatch needs at least one image per process, and "
          "the last of an epoch holds {} of the {} training images; expected a batch size that leaves none "
          "smaller than the world size",
          options_.batch_size, world, last == 0 ? options_.batch_size : last, train_.size()));
    }
    if (options_.sync_bn) replicas_ = nn::cross_replica_sum(*group_);
  }
  const std::shared_ptr<dist::ProcessGroup>& process_group() const { return group_; }

  std::int64_t num_parameters() const { return nn::count_parameters(*model_module_); }

  /// The model's weights and buffers, the batchers' positions and engines, and the optimizer's
  /// momentum.
  void save(io::OutputArchive& a) const {
    align_buffers();
    io::write_module(a, "model", *model_module_);
    save_base(a, params_);
  }
  void load(io::InputArchive& a) {
    io::read_module(a, "model", *model_module_);
    load_base(a, params_);
  }

 protected:
  void save_base(io::OutputArchive& a, const std::vector<at::Tensor>& params) const {
    auto batcher = [&](const std::string& key, const data::CifarBatches& b) {
      const auto st = b.state();
      io::write_string(a, key + "_rng", st.rng);
      io::write_int(a, key + "_epoch_seed", static_cast<std::int64_t>(st.epoch_seed));
      io::write_int(a, key + "_position", st.position);
    };
    batcher("train", train_);
    if (valid_) batcher("valid", *valid_);
    if (test_) batcher("test", *test_);
    io::OutputArchive sgd;
    sgd_.save(sgd, params);
    a.write("sgd", sgd);
    recovery_.save(a);
  }
  void load_base(io::InputArchive& a, const std::vector<at::Tensor>& params) {
    auto batcher = [&](const std::string& key, data::CifarBatches& b) {
      data::CifarBatchesState st;
      st.rng = io::read_string(a, key + "_rng");
      st.epoch_seed = static_cast<std::uint64_t>(io::read_int(a, key + "_epoch_seed"));
      st.position = io::read_int(a, key + "_position");
      b.set_state(st);
    };
    batcher("train", train_);
    if (valid_) batcher("valid", *valid_);
    if (test_) batcher("test", *test_);
    io::InputArchive sgd;
    if (!io::try_read_archive(a, "sgd", sgd)) throw CheckpointError("checkpoint lacks the child optimizer state");
    sgd_.load(sgd, params);
    recovery_.load(a);
  }

  /// The scope a forward pass runs in: bf16 autocast on the task's device with mixed_precision.
  AutocastScope precision() const { return AutocastScope(device_, options_.mixed_precision); }

  /// Images in the layout the networks run in (nn::to_channels_last).
  at::Tensor layout(const at::Tensor& images) const {
    return options_.channels_last ? images.contiguous(at::MemoryFormat::ChannelsLast) : images;
  }

  /// Puts a freshly built model on the device in the task's layout and makes it the one the task
  /// trains, counts and checkpoints.
  void adopt(torch::nn::Module& model) {
    model.to(device_);
    if (options_.channels_last) nn::to_channels_last(model);
    model_module_ = &model;
    params_ = model.parameters();
  }

  /// Accuracy over a split in order, batches of eval_batch_size; `logits(i, images)` for batch i.
  /// Every batch runs under a seed of its own drawn from the split's generator (SeedScope), so that
  /// a network that draws random numbers in evaluation scores the same on any rank; over a process
  /// group, batch i runs on rank i mod world and the counts are summed.
  template <class Logits>
  double accuracy(data::CifarBatches& split, Logits&& logits) {
    at::NoGradGuard no_grad;
    align_buffers();
    const auto b = options_.eval_batch_size;
    const std::uint64_t seed = split.rng()();
    auto correct = at::zeros({1}, at::TensorOptions().device(device_).dtype(at::kDouble));
    for (std::int64_t i = 0; i < split.num_eval_batches(b); ++i) {
      if (group_ && i % group_->size() != group_->rank()) continue;
      const SeedScope seeded(device_, seed + static_cast<std::uint64_t>(i));
      const auto batch = split.eval_batch(i, b);
      correct.add_(detail::count_correct(logits(i, layout(batch.images)), batch.labels));
    }
    if (group_) group_->all_reduce_sum({correct});
    return correct.item<double>() / static_cast<double>(split.size());
  }

  /// This rank's share of a training minibatch and the context its forward pass runs in
  /// (nn::ReplicaScope); one process: the whole batch.
  struct Share {
    data::ImageBatch batch;
    nn::ReplicaContext context;
    std::int64_t global = 0;  ///< rows of the whole batch
  };
  Share own_share(const data::ImageBatch& whole) const {
    const auto n = whole.labels.size(0);
    if (!group_) return {whole, {}, n};
    const std::int64_t world = group_->size(), rank = group_->rank();
    const auto begin = n * rank / world, rows = n * (rank + 1) / world - begin;
    return {{whole.images.narrow(0, begin, rows), whole.labels.narrow(0, begin, rows)}, {{begin, n}, replicas_.get()}, n};
  }

  /// One optimizer step from a forward result on `share`: loss, backward, over a process group the
  /// gradients (with the loss and the count of correct predictions) summed, clipped Nesterov SGD.
  StepResult finish_step(const nn::ImageForward& f, const Share& share, const std::vector<at::Tensor>& params,
                         std::int64_t step) {
    at::Tensor main_loss;
    const auto loss = detail::classification_loss(f, share.batch.labels, options_.aux_weight, &main_loss,
                                                  group_ ? share.global : 0);
    if (group_) {
      // The gradients' sums start from the backward pass as their buckets fill (as DDP).
      if (!reducer_) reducer_ = std::make_unique<dist::GradientReducer>(group_, params, group_->options().bucket_bytes);
      reducer_->prepare(loss);
    }
    loss.backward();
    auto correct = detail::count_correct(f.logits.detach(), share.batch.labels);
    if (group_) {
      main_loss = main_loss.clone();
      auto count = correct.to(at::kDouble);
      reducer_->finish({main_loss, count});
      correct = count.round().to(at::kLong);
      buffers_differ_ = !replicas_;
    }
    const double lr = lr_at(step);
    StepResult r;
    r.grad_norm = sgd_.step(params, lr, main_loss);
    r.loss = main_loss;
    r.lr = lr;
    r.correct = correct;
    r.batch = share.global;
    return r;
  }

  /// Without synchronised batch norm each rank's moving statistics follow its own rows: before
  /// they are used (evaluation, rewards) or saved, every rank takes rank 0's, as
  /// DistributedDataParallel broadcasts them before every forward pass (the same values where
  /// they are used, with one collective per use instead of per step). Every rank must call it.
  void align_buffers() const {
    if (!group_ || !buffers_differ_) return;
    std::vector<at::Tensor> buffers;
    for (const auto& b : model_module_->buffers()) {
      if (b.numel() > 0) buffers.push_back(b);
    }
    if (!buffers.empty()) {
      std::vector<at::Tensor> flat;
      for (const auto& b : buffers) flat.push_back(b.reshape({-1}).to(at::kDouble));
      auto all = at::cat(flat);
      group_->broadcast(all, 0);
      std::int64_t at = 0;
      for (auto& b : buffers) {
        b.copy_(all.narrow(0, at, b.numel()).view(b.sizes()));
        at += b.numel();
      }
    }
    buffers_differ_ = false;
  }

  const data::CifarBatches& valid_or_throw() const {
    if (!valid_) throw ConfigError("this CIFAR-10 task holds no validation split");
    return *valid_;
  }

  ImageOptions options_;
  at::Device device_;
  data::CifarBatches train_;
  std::optional<data::CifarBatches> valid_;
  std::optional<data::CifarBatches> test_;
  optim::Sgd sgd_;
  optim::CosineRestarts schedule_;
  Recovery recovery_;
  torch::nn::Module* model_module_ = nullptr;  ///< the derived task's model (adopt())
  std::vector<at::Tensor> params_;
  std::shared_ptr<dist::ProcessGroup> group_;           ///< null: one process
  std::shared_ptr<const nn::CrossReplicaSum> replicas_;  ///< set: synchronised batch norm
  std::unique_ptr<dist::GradientReducer> reducer_;       ///< the gradients' sums (a group; made at the first step)
  mutable bool buffers_differ_ = false;                  ///< see align_buffers
};

/// The search task of a CIFAR-10 space: the shared model trained on sampled architectures, the
/// reward = accuracy on one shuffled validation minibatch (§6.2, §6.3).
///
/// @tparam Space an image search space (Macro, Micro, NAS-Bench-201, ...)
/// @tparam Model its shared model: `forward(images, arch) -> nn::ImageForward` in the mode train() /
///               eval() set, options
///               built by ImageModelOptionsFrom<Model::Impl::Options>
template <class Space, class Model>
class ImageSearchTask : public ImageTaskBase {
 public:
  using Arch = typename Space::Arch;

  ImageSearchTask(const ImageOptions& options, const data::Cifar10Data& data, const at::Device& device, std::uint64_t seed)
      : ImageTaskBase(options, data, device, seed),
        model_(ImageModelOptionsFrom<typename Model::Impl::Options>::make(options)) {
    if (!valid_) throw ConfigError("a CIFAR-10 search needs the validation split (the last 5,000 training images)");
    adopt(*model_);
  }

  Model& model() { return model_; }

  /// One step of the shared weights on the next augmented training batch with `arch`: only the
  /// sampled path is computed, so only its weights get gradients and updates.
  StepResult train_step(const Arch& arch, std::int64_t step) {
    reward_batches_.clear();  // a controller phase or a derive is over
    const auto share = own_share(train_.next_batch());
    nn::set_mode(*model_, true);
    const auto f = [&] {
      const auto scope = precision();
      const nn::ReplicaScope replicas(share.context);
      return model_->forward(layout(share.batch.images), arch);
    }();
    return finish_step(f, share, params_, step);
  }

  /// Accuracy of `arch` on a fresh shuffled validation minibatch (no augmentation).
  at::Tensor reward(const Arch& arch) { return batch_accuracy(arch, draw_reward_batch()); }

  /// Draws a validation minibatch to score architectures on, with the seed their passes draw
  /// from (SeedScope: the micro search network's dropout is on in every pass), and returns its
  /// id for score_on. Every rank of a process group draws every one.
  std::int64_t draw_reward_batch() {
    align_buffers();
    reward_batches_.push_back({valid_->random_index(options_.batch_size), valid_->rng()()});
    return static_cast<std::int64_t>(reward_batches_.size()) - 1;
  }
  double score_on(const Arch& arch, std::int64_t batch_id) { return batch_accuracy(arch, batch_id).template item<double>(); }

  /// Validation accuracy, a fresh sample per evaluation batch (§7).
  double evaluate_valid(const std::function<Arch()>& sample) { return evaluate(*valid_, sample); }
  double evaluate_test(const std::function<Arch()>& sample) { return test_ ? evaluate(*test_, sample) : 0.0; }

  /// "Epoch k: Eval" of a search: validation and test accuracy (§7).
  void epoch_evaluation(io::RunLog& log, std::int64_t epoch, std::int64_t step, const std::function<Arch()>& sample) {
    log.eval(epoch, step, valid_metric, evaluate_valid(sample));
    if (test_) log.eval(epoch, step, test_metric, evaluate_test(sample));
  }
  void final_evaluation(io::RunLog&, std::int64_t, std::int64_t, const std::function<Arch()>&) {}

 private:
  /// Every rank samples an architecture for every batch (the controllers stay in step); each
  /// computes its batches (accuracy()).
  double evaluate(data::CifarBatches& split, const std::function<Arch()>& sample) {
    nn::set_mode(*model_, false);
    std::vector<Arch> archs;
    for (std::int64_t i = 0; i < split.num_eval_batches(options_.eval_batch_size); ++i) archs.push_back(sample());
    return accuracy(split, [&](std::int64_t i, const at::Tensor& images) {
      const auto scope = precision();
      return model_->forward(images, archs[static_cast<std::size_t>(i)]).logits;
    });
  }

  at::Tensor batch_accuracy(const Arch& arch, std::int64_t batch_id) {
    if (batch_id < 0 || batch_id >= static_cast<std::int64_t>(reward_batches_.size())) {
      throw ConfigError("reward minibatch " + std::to_string(batch_id) + " was not drawn (draw_reward_batch)");
    }
    const auto& drawn = reward_batches_[static_cast<std::size_t>(batch_id)];
    at::NoGradGuard no_grad;
    nn::set_mode(*model_, false);
    const SeedScope seeded(device_, drawn.seed);
    const auto batch = valid_->take(drawn.index);
    const auto scope = precision();
    const auto f = model_->forward(layout(batch.images), arch);
    return detail::count_correct(f.logits, batch.labels).to(at::kDouble) / static_cast<double>(batch.labels.size(0));
  }

  /// A validation minibatch drawn for scoring: its indices and its passes' seed.
  struct RewardBatch {
    at::Tensor index;
    std::uint64_t seed = 0;
  };

  Model model_;
  std::vector<RewardBatch> reward_batches_;  ///< since the last training step
};

/// The final task: one architecture trained from scratch on the training images, with the test
/// accuracy after every epoch (§7; the held-out last 5,000 training images when test_batch.bin is
/// absent, which the programs say).
template <class Space, class Model>
class ImageFinalTask : public ImageTaskBase {
 public:
  using Arch = typename Space::Arch;

  ImageFinalTask(const Arch& arch, const ImageOptions& options, const data::Cifar10Data& data, const at::Device& device,
                 std::uint64_t seed)
      : ImageTaskBase(options, data, device, seed),
        model_(arch, ImageModelOptionsFrom<typename Model::Impl::Options>::make(options)) {
    if (!test_) throw ConfigError("CIFAR-10 final training needs a test set (test_batch.bin or the held-out images)");
    adopt(*model_);
  }

  Model& model() { return model_; }

  /// One step on the next augmented training batch. With options().cuda_graphs the batch, the
  /// learning rate and the progress go through static device tensors, and on CUDA the step is
  /// recorded once as a CUDA graph and then replayed; the smaller last batch of an epoch takes the
  /// plain step, as does a model without the tensor-progress overload. On the CPU the static step
  /// runs eagerly, which the tests compare with the plain one.
  StepResult train_step(std::int64_t step) {
    const auto batch = train_.next_batch();
    nn::set_mode(*model_, true);
    if constexpr (detail::TakesProgressTensor<Model>::value) {
      if (options_.cuda_graphs && !group_ && batch.labels.size(0) == options_.batch_size) return static_step(batch, step);
    }
    const auto share = own_share(batch);
    const auto f = [&] {
      const nn::ReplicaScope replicas(share.context);
      return forward(layout(share.batch.images), progress(step));
    }();
    return finish_step(f, share, params_, step);
  }

  /// Whether the training step is now replayed from a CUDA graph.
  bool step_graphed() const { return graph_.captured(); }

  double evaluate_test() {
    nn::set_mode(*model_, false);
    return accuracy(*test_, [&](std::int64_t, const at::Tensor& images) { return forward(images, 1.0).logits; });
  }
  void epoch_evaluation(io::RunLog& log, std::int64_t epoch, std::int64_t step) {
    log.eval(epoch, step, test_metric, evaluate_test());
  }
  void final_evaluation(io::RunLog&, std::int64_t, std::int64_t) {}

 private:
  /// The step through static tensors (see train_step).
  StepResult static_step(const data::ImageBatch& batch, std::int64_t step) {
    if (!static_.images.defined()) {
      const auto scalar = at::TensorOptions().device(device_).dtype(at::kFloat);
      static_ = {layout(batch.images).clone(), batch.labels.clone(), at::zeros({}, scalar), at::zeros({}, scalar), {}, {}, {}};
    }
    static_.images.copy_(layout(batch.images), /*non_blocking=*/true);
    static_.labels.copy_(batch.labels, /*non_blocking=*/true);
    const double lr = lr_at(step);
    static_.lr.fill_(lr);
    static_.progress.fill_(progress(step));
    graph_.run(device_, [&] {
      at::Tensor main_loss;
      const auto f = [&] {
        const auto scope = precision();
        return model_->forward(static_.images, static_.progress);
      }();
      detail::classification_loss(f, static_.labels, options_.aux_weight, &main_loss).backward();
      static_.norm = sgd_.step(params_, static_.lr, main_loss);
      static_.loss = main_loss;
      static_.correct = detail::count_correct(f.logits.detach(), static_.labels);
    });
    StepResult r;
    r.loss = static_.loss;
    r.grad_norm = static_.norm;
    r.lr = lr;
    r.correct = static_.correct;
    r.batch = options_.batch_size;
    r.notice = graph_.take_notice();
    return r;
  }

  /// Every fixed image model takes the run's progress in (0, 1], for schedules such as the micro
  /// model's drop-path ramp (§5.6); models without one ignore it.
  double progress(std::int64_t step) const {
    const double total = static_cast<double>(options_.num_epochs * batches_per_epoch());
    return total > 0 ? static_cast<double>(step + 1) / total : 1.0;
  }
  nn::ImageForward forward(const at::Tensor& images, double progress) {
    const auto scope = precision();
    return model_->forward(images, progress);
  }

  /// The static tensors of the graphed step: its inputs (batch, learning rate, progress) and
  /// outputs.
  struct StaticStep {
    at::Tensor images, labels, lr, progress, loss, norm, correct;
  };

  Model model_;
  StaticStep static_;
  cuda::GraphedStep graph_{options_.cuda_graphs};
};

}  // namespace enas::train

#endif  // ENAS_TRAIN_IMAGE_TASK_HPP
