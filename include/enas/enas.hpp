/// @file
/// @brief Everything enas offers: `#include <enas/enas.hpp>`. The folders are layers, each one
/// including only the ones above it in this list (docs/design.md, "Folders"; checked by the
/// `layers.includes_reach_down` test).
#ifndef ENAS_ENAS_HPP
#define ENAS_ENAS_HPP

#include "enas/version.hpp"

#include "enas/core.hpp"         // torch-free vocabulary: concepts, arcs, controller programs
#include "enas/util/runtime.hpp" // process settings: threads, seeds, devices
#include "enas/util/stop.hpp"
#include "enas/dist/launch.hpp"    // where this process sits in a multi-process launch
#include "enas/dist/process_group.hpp"  // the ranks joined (c10d: Gloo, NCCL)
#include "enas/dist/data_parallel.hpp"  // batch shares and summed gradients
#include "enas/dist/gradient_reducer.hpp"  // gradients summed while the backward pass runs
#include "enas/io.hpp"           // archives, the run log, configurations as JSON
#include "enas/data.hpp"         // PTB and CIFAR-10 readers and batches
#include "enas/optim.hpp"        // optimizers and schedules
#include "enas/spaces.hpp"       // the built-in search spaces
#include "enas/nn.hpp"           // shared and fixed networks
#include "enas/controllers.hpp"  // architecture samplers and their updates
#include "enas/train.hpp"        // tasks: a space's training and scoring
#include "enas/report.hpp"       // pictures and curves of spaces and runs

#include "enas/run_hooks.hpp"    // the runs: search, final training, checkpointing
#include "enas/epoch_loop.hpp"
#include "enas/checkpointing.hpp"
#include "enas/final_training.hpp"
#include "enas/supernet.hpp"

#endif  // ENAS_ENAS_HPP
