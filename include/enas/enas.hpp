/// @file
/// @brief Everything enas offers: `#include <enas/enas.hpp>`.
#ifndef ENAS_ENAS_HPP
#define ENAS_ENAS_HPP

#include "enas/version.hpp"

#include "enas/core.hpp"
#include "enas/spaces.hpp"
#include "enas/nn.hpp"
#include "enas/controllers.hpp"
#include "enas/data.hpp"
#include "enas/io.hpp"
#include "enas/train.hpp"
#include "enas/util/runtime.hpp"
#include "enas/util/stop.hpp"

#include "enas/checkpointing.hpp"
#include "enas/epoch_loop.hpp"
#include "enas/final_training.hpp"
#include "enas/run_hooks.hpp"
#include "enas/supernet.hpp"

#endif  // ENAS_ENAS_HPP
