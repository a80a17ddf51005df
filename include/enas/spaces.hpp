/// @file
/// @brief The search spaces (torch-free policy types).
#ifndef ENAS_SPACES_HPP
#define ENAS_SPACES_HPP

#include "enas/spaces/cifar_macro.hpp"
#include "enas/spaces/cifar_micro.hpp"
#include "enas/spaces/ptb_cell.hpp"

#endif  // ENAS_SPACES_HPP
