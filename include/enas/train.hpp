/// @file
/// @brief Training pieces: optimizers, schedules, the tasks of each space.
#ifndef ENAS_TRAIN_HPP
#define ENAS_TRAIN_HPP

#include "enas/train/cifar_tasks.hpp"
#include "enas/train/image_options.hpp"
#include "enas/train/image_task.hpp"
#include "enas/train/lm_options.hpp"
#include "enas/train/lm_task.hpp"
#include "enas/train/lr_schedule.hpp"
#include "enas/train/sgd.hpp"
#include "enas/train/step_result.hpp"
#include "enas/train/task_for.hpp"
#include "enas/train/tf_adam.hpp"

#endif  // ENAS_TRAIN_HPP
