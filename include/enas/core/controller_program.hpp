/// @file
/// @brief The decisions a search space asks of its controller, written as a small program.
///
/// Every ENAS controller is one LSTM that is stepped, looks at its output h, and makes a choice.
/// What differs between the PTB, macro and micro spaces is the order of steps and which choices
/// are made where. A space states that order as a compile-time array of Instructions; the
/// controllers (enas::controllers) interpret it, so one controller implementation serves every
/// space, and the token ranges of an architecture string follow from the same program.
#ifndef ENAS_CORE_CONTROLLER_PROGRAM_HPP
#define ENAS_CORE_CONTROLLER_PROGRAM_HPP

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "enas/core/controller_options.hpp"

namespace enas {

/// One step of a controller program.
enum class Instr : std::uint8_t {
  kStartInput,   ///< the pending LSTM input becomes the learned start embedding g_emb
  kLstm,         ///< advance the LSTM one step on the pending input; its output is h
  kAnchor,       ///< register an anchor: value h, attention key W1·h
  kAnchorZero,   ///< register an anchor with value 0 and key W1·h (micro's cell inputs)
  kNewCell,      ///< forget all anchors (micro: the reduce cell starts afresh)
  kChooseOp,     ///< sample one of `count` ops from h; pending input := w_emb[op]
  kChooseNode,   ///< attend over the first `count` anchors and sample one; pending := its value
  kChooseSkips,  ///< one independent bit per anchor (`count` of them); pending := mean of chosen
};

/// An instruction and its operands. `token` is the architecture-string position the choice is
/// written to (the first of `count` positions for kChooseSkips); `cell` selects per-cell op biases.
struct Instruction {
  Instr kind = Instr::kLstm;
  int token = -1;
  int count = 0;
  int cell = 0;
};

/// How a controller's sampled tokens contribute entropy to the reward.
enum class EntropyKind : std::uint8_t {
  kSampledTerm,  ///< -p(a) log p(a) of the sampled token only (the PTB and macro controllers)
  kFull,         ///< the full entropy of each decision's softmax (the micro controller)
};

/// The structural features of a space's controller: fixed by the space, not by flags.
struct ControllerLayout {
  int num_ops = 1;                      ///< width of the op softmax and of the op embedding table
  bool node_distance_prior = false;     ///< PTB: node logits -= (i - j)^2 / 6
  bool node_input_by_distance = false;  ///< PTB: next input = h_j / (0.1 + i - j)
  int favoured_ops = 0;                 ///< micro: the first k ops get the op biases below
  double learned_op_bias = 0.0;         ///< micro: learned bias init (10) of the favoured ops
  double fixed_op_bias = 0.0;           ///< micro: +b on favoured, -b on others, in cell 0 only
  bool op_tanh_reduce = false;          ///< micro: op logits use C / options.op_tanh_reduce
  EntropyKind entropy = EntropyKind::kSampledTerm;
  bool skip_penalty = false;            ///< macro: KL(p_skip || target) added to the loss
};

/// The tanh constant of the op logits: C / op_tanh_reduce where the layout has that factor (the
/// micro controller, §6.3), C itself elsewhere (the PTB and macro controllers have none, §6.2).
constexpr double op_tanh_constant(const ControllerLayout& layout, const ControllerOptions& options) {
  return layout.op_tanh_reduce && options.op_tanh_reduce > 0 ? options.tanh_constant / options.op_tanh_reduce
                                                             : options.tanh_constant;
}

namespace detail {

/// Number of tokens the program writes (a kChooseSkips writes `count`).
template <std::size_t N>
constexpr int program_token_count(const std::array<Instruction, N>& program) {
  int tokens = 0;
  for (const auto& in : program) {
    if (in.kind == Instr::kChooseOp || in.kind == Instr::kChooseNode) tokens += 1;
    if (in.kind == Instr::kChooseSkips) tokens += in.count;
  }
  return tokens;
}

}  // namespace detail

/// True when a program is well formed for `num_tokens` tokens: every position written exactly
/// once, choices only after an LSTM step, node choices over existing anchors only, skip bits over
/// all anchors. Spaces check their program with this in a static_assert.
template <std::size_t N, std::size_t Tokens>
constexpr bool program_is_valid(const std::array<Instruction, N>& program) {
  std::array<int, Tokens> written{};
  int anchors = 0;
  bool have_h = false;
  for (const auto& in : program) {
    switch (in.kind) {
      case Instr::kStartInput:
        break;
      case Instr::kLstm:
        have_h = true;
        break;
      case Instr::kAnchor:
      case Instr::kAnchorZero:
        if (!have_h) return false;
        ++anchors;
        break;
      case Instr::kNewCell:
        anchors = 0;
        break;
      case Instr::kChooseOp:
        if (!have_h || in.count < 1 || in.token < 0 || in.token >= static_cast<int>(Tokens)) return false;
        ++written[static_cast<std::size_t>(in.token)];
        break;
      case Instr::kChooseNode:
        if (!have_h || in.count < 1 || in.count > anchors) return false;
        if (in.token < 0 || in.token >= static_cast<int>(Tokens)) return false;
        ++written[static_cast<std::size_t>(in.token)];
        break;
      case Instr::kChooseSkips:
        if (!have_h || in.count < 1 || in.count != anchors) return false;
        if (in.token < 0 || in.token + in.count > static_cast<int>(Tokens)) return false;
        for (int b = 0; b < in.count; ++b) ++written[static_cast<std::size_t>(in.token + b)];
        break;
    }
  }
  for (int w : written) {
    if (w != 1) return false;
  }
  return detail::program_token_count(program) == static_cast<int>(Tokens);
}

/// The exclusive upper bound of every token: a token at position p is valid iff 0 <= t < bound[p].
template <std::size_t Tokens, std::size_t N>
constexpr std::array<int, Tokens> token_bounds(const std::array<Instruction, N>& program) {
  std::array<int, Tokens> bound{};
  for (const auto& in : program) {
    if (in.kind == Instr::kChooseOp || in.kind == Instr::kChooseNode) {
      bound[static_cast<std::size_t>(in.token)] = in.count;
    } else if (in.kind == Instr::kChooseSkips) {
      for (int b = 0; b < in.count; ++b) bound[static_cast<std::size_t>(in.token + b)] = 2;
    }
  }
  return bound;
}

/// The entropy in nats of the uniform policy over a program's architectures, Σ_p log(bound_p):
/// the most a controller's policy can have, against which collapse is judged.
template <std::size_t Tokens, std::size_t N>
double uniform_entropy(const std::array<Instruction, N>& program) {
  double h = 0.0;
  for (int b : token_bounds<Tokens>(program)) h += std::log(static_cast<double>(b));
  return h;
}

/// The number of LSTM steps and the most anchors alive at once, for buffer sizes.
template <std::size_t N>
constexpr int program_max_anchors(const std::array<Instruction, N>& program) {
  int anchors = 0;
  int most = 0;
  for (const auto& in : program) {
    if (in.kind == Instr::kAnchor || in.kind == Instr::kAnchorZero) most = ++anchors > most ? anchors : most;
    if (in.kind == Instr::kNewCell) anchors = 0;
  }
  return most;
}

}  // namespace enas

#endif  // ENAS_CORE_CONTROLLER_PROGRAM_HPP
