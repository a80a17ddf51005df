/// @file
/// @brief LibTorch modules: the cells and the shared and fixed models of every space.
#ifndef ENAS_NN_HPP
#define ENAS_NN_HPP

#include "enas/nn/activation_kernels.hpp"
#include "enas/nn/cell_window.hpp"
#include "enas/nn/image_ops.hpp"
#include "enas/nn/macro_models.hpp"
#include "enas/nn/micro_models.hpp"
#include "enas/nn/micro_ops.hpp"
#include "enas/nn/mode.hpp"
#include "enas/nn/ptb_models.hpp"
#include "enas/nn/tied_softmax.hpp"

#endif  // ENAS_NN_HPP
