/// @file
/// @brief enas::Checkpointing: saving a run (Supernet or FinalTraining) with its configuration
/// into its output folder and resuming it from there (docs/checkpoints.md).
#ifndef ENAS_CHECKPOINTING_HPP
#define ENAS_CHECKPOINTING_HPP

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "enas/core/error.hpp"
#include "enas/distributed.hpp"
#include "enas/io/checkpoint.hpp"
#include "enas/io/config_json.hpp"
#include "enas/io/run_log.hpp"
#include "enas/run_hooks.hpp"
#include "enas/util/stop.hpp"

namespace enas {

/// Checkpoints of one run in its output folder. A checkpoint holds the run's whole state (see
/// Supernet::save / FinalTraining::save), the configuration it was made with, and the minutes of
/// the log; resuming refuses a checkpoint of another configuration, naming what differs.
///
/// Over a process group (the run's process_group()) every rank takes part in saving (the state
/// is gathered) and rank 0 alone writes; every rank resumes from the same file, which therefore
/// must be visible to all of them (one machine, or a shared filesystem), and all stop together.
///
/// @tparam Run enas::Supernet<Space, Controller> or enas::FinalTraining<Space>
template <class Run>
class Checkpointing {
 public:
  Checkpointing(Run& run, const std::filesystem::path& dir, nlohmann::json config, io::RunLog& log)
      : run_(run), files_(dir), config_(std::move(config)), log_(log), group_(run.process_group()) {}

  /// Writes a checkpoint of the current state; returns its path.
  std::filesystem::path save() {
    io::OutputArchive a;
    io::write_string(a, "config", config_.dump());
    io::write_double(a, "minutes", log_.minutes());
    io::OutputArchive state;
    run_.save(state);
    a.write("run", state);
    if (group_ && group_->rank() != 0) {
      group_->barrier();  // returns once rank 0 has written the file
      return files_.path_of(run_.step());
    }
    // The record comes first, so that the log position the checkpoint keeps includes it.
    log_.record({{"event", "checkpoint"}, {"step", run_.step()}, {"file", files_.path_of(run_.step()).string()}});
    const auto at = log_.position();
    io::write_int(a, "log_text_bytes", at.text);
    io::write_int(a, "log_metrics_bytes", at.metrics);
    const auto path = files_.save(a, run_.step());
    if (group_) group_->barrier();
    return path;
  }

  /// Resumes from the newest readable checkpoint, if the folder has one. An unreadable newest
  /// file is reported and the previous one used; a checkpoint of another configuration is refused.
  /// With `rewind_log` (a restarted run) the log files are cut back to where they were when the
  /// checkpoint was written, since the steps after it run again. Returns the step resumed at.
  std::optional<std::int64_t> resume(bool rewind_log = true) {
    const auto resumed = resume_here(rewind_log);
    if (group_) {  // every rank must have resumed from the same step, or none
      const auto steps = group_->all_gather(resumed ? static_cast<double>(*resumed) : -1.0);
      for (std::size_t r = 1; r < steps.size(); ++r) {
        if (steps[r] != steps[0]) {
          throw CheckpointError(fmt::format(
              "rank {} resumed {} and rank 0 {}: every rank must see the same checkpoints in --output_dir {} (one "
              "machine, or a folder shared by all of them)",
              r, steps[r] < 0 ? std::string("from no checkpoint") : fmt::format("at step {}", steps[r]),
              steps[0] < 0 ? std::string("from none") : fmt::format("at step {}", steps[0]), files_.dir().string()));
        }
      }
    }
    return resumed;
  }

 private:
  std::optional<std::int64_t> resume_here(bool rewind_log) {
    for (const auto& path : files_.list()) {
      io::InputArchive a;
      try {
        a = io::open_checkpoint(path);
      } catch (const CheckpointError& e) {
        log_.line(fmt::format("warning: {}; trying an older checkpoint", e.what()));
        continue;
      }
      const auto there = nlohmann::json::parse(io::read_string(a, "config"), nullptr, false);
      if (there.is_discarded()) throw CheckpointError("checkpoint " + path.string() + " holds no readable configuration");
      if (there.contains("program") && config_.contains("program") && there["program"] != config_["program"]) {
        throw CheckpointError("checkpoint " + path.string() + " was written by the program " + there["program"].dump() +
                              ", not by " + config_["program"].dump() +
                              ": give this run another --output_dir, or start afresh with --reset_output_dir");
      }
      if (const auto diff = io::describe_differences(there, config_); !diff.empty()) {
        throw CheckpointError("checkpoint " + path.string() + " was made with another configuration: " + diff +
                              ". Resume with the same flags, or start afresh with --reset_output_dir or another "
                              "--output_dir");
      }
      io::InputArchive state;
      if (!io::try_read_archive(a, "run", state)) {
        throw CheckpointError("checkpoint " + path.string() + " holds no run state");
      }
      run_.load(state);
      log_.set_minutes_offset(io::read_double(a, "minutes"));
      if (rewind_log && io::has_key(a, "log_metrics_bytes")) {  // what was logged after the checkpoint is logged again
        log_.rewind({io::read_int(a, "log_text_bytes"), io::read_int(a, "log_metrics_bytes")});
      }
      log_.line(fmt::format("Resumed from {} at step {}", path.string(), run_.step()));
      log_.record({{"event", "resume"}, {"step", run_.step()}, {"file", path.string()}});
      return run_.step();
    }
    return std::nullopt;
  }

 public:
  /// Hooks for the training loop: a checkpoint after every epoch; the newest one restored after
  /// non-finite steps (epoch_loop.hpp); a stop on SIGINT/SIGTERM (over
  /// a process group: when any rank got one, every rank stops after the same step, decided by a
  /// StopVote: at once on Gloo, within 10 steps on NCCL).
  RunHooks hooks() {
    RunHooks h;
    h.on_epoch_end = [this](std::int64_t) { save(); };
    h.restore = [this] { return resume(/*rewind_log=*/false); };  // the failed attempt stays in the log
    if (group_) {
      h.should_stop = [vote = std::make_shared<StopVote>(group_)] { return (*vote)(stop_requested()); };
    } else {
      h.should_stop = [] { return stop_requested(); };
    }
    return h;
  }

  const io::CheckpointFiles& files() const { return files_; }

 private:
  Run& run_;
  io::CheckpointFiles files_;
  nlohmann::json config_;
  io::RunLog& log_;
  std::shared_ptr<dist::ProcessGroup> group_;
};

}  // namespace enas

#endif  // ENAS_CHECKPOINTING_HPP
