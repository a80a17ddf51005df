/// @file
/// @brief Training or evaluation mode of a model. The modules of enas read their mode with
/// is_training() as LibTorch's do (batch norm: batch or moving statistics; dropout, drop-path, the
/// auxiliary head: on or off), so a model is switched with train() / eval(), not by an argument.
#ifndef ENAS_NN_MODE_HPP
#define ENAS_NN_MODE_HPP

#include <torch/nn/module.h>

namespace enas::nn {

/// Puts `module` and its submodules in training (`training`) or evaluation mode. Walks the module
/// tree only when the mode changes: the shared networks have thousands of submodules and the loop
/// switches at every step of a controller phase.
inline void set_mode(torch::nn::Module& module, bool training) {
  if (module.is_training() != training) module.train(training);
}

}  // namespace enas::nn

#endif  // ENAS_NN_MODE_HPP
