/// @file
/// @brief The tasks of each built-in space family and their options.
#ifndef ENAS_TRAIN_HPP
#define ENAS_TRAIN_HPP

#include "enas/train/cifar_tasks.hpp"
#include "enas/train/image_options.hpp"
#include "enas/train/image_task.hpp"
#include "enas/train/lm_options.hpp"
#include "enas/train/lm_task.hpp"
#include "enas/train/loop_options.hpp"
#include "enas/train/step_result.hpp"
#include "enas/train/task_for.hpp"

#endif  // ENAS_TRAIN_HPP
