/// @file
/// @brief Run configurations as JSON: what a checkpoint records so that a resume with another
/// configuration can be refused with the differences named.
#ifndef ENAS_IO_CONFIG_JSON_HPP
#define ENAS_IO_CONFIG_JSON_HPP

#include <nlohmann/json.hpp>

#include <string>

#include "enas/core/controller_options.hpp"
#include "enas/train/image_options.hpp"
#include "enas/train/lm_options.hpp"

namespace enas::io {

/// The PTB options that shape a run (the run-control ones — num_epochs, max_steps, log_every,
/// derive_samples, test_window — may change between a run and its resume).
inline nlohmann::json to_json(const train::LmOptions& o) {
  return {{"batch_size", o.batch_size},         {"child_bptt_steps", o.bptt},
          {"child_lstm_hidden_size", o.hidden}, {"child_lstm_e_keep", o.e_keep},
          {"child_lstm_x_keep", o.x_keep},      {"child_lstm_h_keep", o.h_keep},
          {"child_lstm_o_keep", o.o_keep},      {"child_grad_bound", o.grad_bound},
          {"child_lr", o.lr},                   {"child_lr_dec_start", o.lr_dec_start},
          {"child_lr_dec_every", o.lr_dec_every}, {"child_lr_dec_rate", o.lr_dec_rate},
          {"child_lr_dec_min", o.lr_dec_min},   {"child_l2_reg", o.l2_reg},
          {"child_rnn_slowness_reg", o.slowness_reg}, {"eval_every_epochs", o.eval_every_epochs},
          {"controller_training", o.controller_training}, {"controller_train_every", o.controller_train_every}};
}

/// The CIFAR-10 options that shape a run (num_epochs, max_steps, log_every, derive_samples and
/// eval_batch_size may change between a run and its resume).
inline nlohmann::json to_json(const train::ImageOptions& o) {
  return {{"batch_size", o.batch_size},       {"child_num_layers", o.num_layers},
          {"child_out_filters", o.out_filters}, {"child_keep_prob", o.keep_prob},
          {"child_drop_path_keep_prob", o.drop_path_keep_prob}, {"child_use_aux_heads", o.use_aux_heads},
          {"child_cutout_size", o.cutout_size}, {"child_l2_reg", o.l2_reg},
          {"child_grad_bound", o.grad_bound},   {"child_lr_max", o.lr_max},
          {"child_lr_min", o.lr_min},           {"child_lr_T_0", o.lr_t0},
          {"child_lr_T_mul", o.lr_t_mul},       {"eval_every_epochs", o.eval_every_epochs},
          {"controller_training", o.controller_training}, {"controller_train_every", o.controller_train_every},
          {"channels_last", o.channels_last}};
}

inline nlohmann::json to_json(const ControllerOptions& o) {
  return {{"controller_lstm_size", o.lstm_size},       {"controller_tanh_constant", o.tanh_constant},
          {"controller_op_tanh_reduce", o.op_tanh_reduce}, {"controller_temperature", o.temperature},
          {"controller_entropy_weight", o.entropy_weight}, {"controller_bl_dec", o.bl_dec},
          {"controller_lr", o.lr},                     {"controller_l2_reg", o.l2_reg},
          {"controller_skip_target", o.skip_target},   {"controller_skip_weight", o.skip_weight},
          {"controller_train_steps", o.train_steps},   {"controller_num_aggregate", o.num_aggregate}};
}

namespace detail {

inline void collect_differences(const nlohmann::json& there, const nlohmann::json& now, std::string& out) {
  auto note = [&](const std::string& key, const nlohmann::json& a, const nlohmann::json& b) {
    out += (out.empty() ? "" : "; ") + key + " = " + (a.is_null() ? "(absent)" : a.dump()) + " in the checkpoint, " +
           (b.is_null() ? "(absent)" : b.dump()) + " now";
  };
  for (const auto& [key, value] : there.items()) {
    const auto it = now.find(key);
    if (it == now.end()) {
      note(key, value, nullptr);
    } else if (value.is_object() && it->is_object()) {
      collect_differences(value, *it, out);  // the flags of a group, named by themselves
    } else if (*it != value) {
      note(key, value, *it);
    }
  }
  for (const auto& [key, value] : now.items()) {
    if (!there.contains(key)) note(key, nullptr, value);
  }
}

}  // namespace detail

/// "key = a in the checkpoint, b now" for every value that differs, looking inside nested groups
/// (a configuration's `options` and `controller`), so a changed flag is named by its flag name;
/// empty when nothing differs.
inline std::string describe_differences(const nlohmann::json& there, const nlohmann::json& now) {
  std::string out;
  detail::collect_differences(there, now, out);
  return out;
}

}  // namespace enas::io

#endif  // ENAS_IO_CONFIG_JSON_HPP
