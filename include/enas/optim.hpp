/// @file
/// @brief Optimizers and learning-rate schedules, below both the controllers and the tasks.
#ifndef ENAS_OPTIM_HPP
#define ENAS_OPTIM_HPP

#include "enas/optim/lr_schedule.hpp"
#include "enas/optim/sgd.hpp"
#include "enas/optim/tf_adam.hpp"

#endif  // ENAS_OPTIM_HPP
