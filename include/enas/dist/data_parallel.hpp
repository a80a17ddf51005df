/// @file
/// @brief Data-parallel training over a process group: each rank's share of the global batch,
/// and the gradients summed over the ranks before clipping and the optimizer step.
///
/// A data-parallel step computes what one process computes on the whole batch: every rank draws
/// the same random numbers (same seed, masks drawn for the whole batch and cut to its share),
/// divides its loss by the global batch, and the gradients are summed, not averaged, so the
/// clipped update is one process's update (up to the order of float additions).
#ifndef ENAS_DIST_DATA_PARALLEL_HPP
#define ENAS_DIST_DATA_PARALLEL_HPP

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "enas/core/error.hpp"
#include "enas/dist/process_group.hpp"

namespace enas::dist {

/// Rows [offset, offset + size) of a global batch.
struct BatchSlice {
  std::int64_t offset = 0;
  std::int64_t size = 0;
};

/// Rank `rank`'s equal share of a global batch of `global` rows split over `world` ranks;
/// `flag` names the option that sets the batch, for the message when it does not divide.
inline BatchSlice batch_slice(std::int64_t global, int rank, int world, const std::string& flag) {
  if (world < 1 || rank < 0 || rank >= world) {
    throw ConfigError("rank " + std::to_string(rank) + " of a world of " + std::to_string(world) + ": expected 0 <= rank < world");
  }
  if (global % world != 0) {
    throw ConfigError("--" + flag + " " + std::to_string(global) + " does not split evenly over " + std::to_string(world) +
                      " processes: expected a multiple of the world size (each rank trains an equal share)");
  }
  const auto size = global / world;
  return {size * rank, size};
}

/// Sums the gradients of `params` over the ranks, in place, together with the `extra` tensors
/// (a step's loss, say) in the same collectives. A parameter without a gradient keeps none: the
/// optimizer leaves such a parameter alone (no decay, no momentum), as one process does. Every
/// rank ran the same graph (the same architecture), so every rank skips the same parameters and
/// sends the same buffers.
inline void sum_gradients(ProcessGroup& group, const std::vector<at::Tensor>& params,
                          const std::vector<at::Tensor>& extra = {}) {
  std::vector<at::Tensor> tensors;
  tensors.reserve(params.size() + extra.size());
  for (const auto& p : params) {
    if (p.grad().defined()) tensors.push_back(p.grad());
  }
  tensors.insert(tensors.end(), extra.begin(), extra.end());
  group.all_reduce_sum(tensors);
}

}  // namespace enas::dist

#endif  // ENAS_DIST_DATA_PARALLEL_HPP
