/// @file
/// @brief What a controller computed at each decision of one pass: the numbers behind a sampled
/// (or scored) architecture, for looking at a policy and for checking its formulas.
#ifndef ENAS_CONTROLLERS_DECISION_TRACE_HPP
#define ENAS_CONTROLLERS_DECISION_TRACE_HPP

#include <cstdint>
#include <vector>

#include "enas/core/controller_program.hpp"

namespace enas::controllers {

/// One entry per choice instruction of the space's program (kChooseOp, kChooseNode, and one per
/// kChooseSkips block), in program order, which is the order the controller decides in. Vectors
/// hold `rows` samples: [rows, width] for `raw` and `logits`, [rows] for the rest.
struct DecisionTrace {
  struct Decision {
    Instr kind = Instr::kChooseOp;
    int token = 0;  ///< the (first) architecture-string position the decision writes
    int width = 0;  ///< candidates (ops or nodes), or bits for a skip block
    std::vector<double> raw;              ///< before temperature and tanh: h·w_soft (+ b_soft), or the
                                          ///< attention vᵀ tanh(W1·a_j + W2·h) of each candidate
    std::vector<double> logits;           ///< what the softmax sees (skips: a, with P(bit) = σ(2a))
    std::vector<double> log_prob;         ///< log π of the chosen token (skips: summed over the bits)
    std::vector<double> entropy_sampled;  ///< −p log p of the chosen token (skips: summed over the bits)
    std::vector<double> entropy_full;     ///< the entropy of the whole distribution (skips: summed)
  };
  std::int64_t rows = 0;
  std::vector<Decision> decisions;
};

}  // namespace enas::controllers

#endif  // ENAS_CONTROLLERS_DECISION_TRACE_HPP
