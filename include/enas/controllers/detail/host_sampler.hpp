/// @file
/// @brief The controller's fast path for drawing one architecture without gradients, on the
/// host. Sampling is ~24 LSTM steps on vectors of 100 floats; through the tensor dispatcher each
/// of its ~450 small operations costs several microseconds, while plain loops over the same
/// weights cost a fraction of that (docs/performance.md). The path interprets the same program
/// with the same formulas and draws through detail::draw_*, so a seed gives the same
/// architecture as the tensor path (tests/test_controller.cpp checks both agree).
#ifndef ENAS_CONTROLLERS_DETAIL_HOST_SAMPLER_HPP
#define ENAS_CONTROLLERS_DETAIL_HOST_SAMPLER_HPP

#include <ATen/core/Generator.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "enas/controllers/decision_trace.hpp"
#include "enas/controllers/detail/draw.hpp"
#include "enas/core/controller_options.hpp"
#include "enas/core/controller_program.hpp"

namespace enas::controllers::detail {

/// Raw views of the controller weights (float32, row-major, on the host).
struct HostWeights {
  const float* w_lstm = nullptr;  // [2n, 4n]
  const float* g_emb = nullptr;   // [n]
  const float* w_emb = nullptr;   // [ops, n]
  const float* w_soft = nullptr;  // [n, ops]
  const float* b_soft = nullptr;  // [ops] or null
  const float* fixed_bias = nullptr;  // [ops] or null
  const float* w_attn_1 = nullptr;    // [n, n]
  const float* w_attn_2 = nullptr;    // [n, n]
  const float* v_attn = nullptr;      // [n]
};

/// One sampled architecture and its statistics.
struct HostSample {
  std::vector<std::int64_t> tokens;
  double log_prob = 0.0;
  double entropy = 0.0;
  double skip_penalty = 0.0;
};

/// y[m] += x·W for W [rows, m] row-major (rows = x's length): one axpy per row, contiguous in m.
inline void add_row_times(const float* x, const float* w, std::int64_t rows, std::int64_t m, float* y) {
  for (std::int64_t k = 0; k < rows; ++k) {
    const float xk = x[k];
    const float* row = w + k * m;
    for (std::int64_t j = 0; j < m; ++j) y[j] += xk * row[j];
  }
}

inline float sigmoidf(float x) { return 1.0f / (1.0f + std::exp(-x)); }

/// Interprets `program` once for one sample. With `forced` (num_tokens entries, already
/// range-checked) the decisions are read from it instead of drawn; with `trace` every decision's
/// numbers are recorded.
template <std::size_t N>
HostSample host_sample(const std::array<Instruction, N>& program, const ControllerLayout& layout,
                       const ControllerOptions& options, const HostWeights& w, int num_tokens, int max_anchors,
                       at::Generator& generator, const std::int64_t* forced = nullptr,
                       DecisionTrace* trace = nullptr) {
  const std::int64_t n = options.lstm_size;
  const std::int64_t ops = layout.num_ops;
  const double temperature = options.temperature;
  const double tanh_c = options.tanh_constant;
  const double op_tanh_c = op_tanh_constant(layout, options);
  auto shape_logit = [temperature](double l, double c) {
    if (temperature > 0) l /= temperature;
    if (c > 0) l = c * std::tanh(l);
    return l;
  };

  HostSample out;
  out.tokens.assign(static_cast<std::size_t>(num_tokens), 0);
  std::vector<float> input(static_cast<std::size_t>(n)), h(static_cast<std::size_t>(n), 0.0f),
      c(static_cast<std::size_t>(n), 0.0f), gates(static_cast<std::size_t>(4 * n)), query(static_cast<std::size_t>(n));
  std::vector<float> anchor_value(static_cast<std::size_t>(max_anchors * n)),
      anchor_key(static_cast<std::size_t>(max_anchors * n));
  std::vector<double> logits(static_cast<std::size_t>(std::max<std::int64_t>(ops, max_anchors)));
  std::vector<double> prob(logits.size());
  std::vector<double> raw(logits.size());  // logits before shaping, kept for the trace only
  if (trace != nullptr) {
    trace->rows = 1;
    trace->decisions.clear();
  }
  auto record = [&](Instr kind, int token, int width, double log_pi, double sampled, double full) {
    DecisionTrace::Decision d;
    d.kind = kind;
    d.token = token;
    d.width = width;
    d.raw.assign(raw.begin(), raw.begin() + width);
    d.logits.assign(logits.begin(), logits.begin() + width);
    d.log_prob = {log_pi};
    d.entropy_sampled = {sampled};
    d.entropy_full = {full};
    trace->decisions.push_back(std::move(d));
  };
  int anchors = 0;
  int skip_layers = 0;

  // log-softmax of logits[0..m) into prob (as probabilities); returns log-sum-exp.
  auto softmax = [&](int m) {
    double top = logits[0];
    for (int j = 1; j < m; ++j) top = std::max(top, logits[static_cast<std::size_t>(j)]);
    double sum = 0.0;
    for (int j = 0; j < m; ++j) sum += std::exp(logits[static_cast<std::size_t>(j)] - top);
    const double lse = top + std::log(sum);
    for (int j = 0; j < m; ++j) prob[static_cast<std::size_t>(j)] = std::exp(logits[static_cast<std::size_t>(j)] - lse);
    return lse;
  };
  auto choose = [&](Instr kind, int m, int token) {
    const double lse = softmax(m);
    const int j = forced != nullptr ? static_cast<int>(forced[token]) : draw_categorical(prob.data(), m, generator);
    const double lp = logits[static_cast<std::size_t>(j)] - lse;
    const double sampled = -lp * std::exp(lp);
    double full = 0.0;
    for (int i = 0; i < m; ++i) {
      const double p = prob[static_cast<std::size_t>(i)];
      if (p > 0) full -= p * (logits[static_cast<std::size_t>(i)] - lse);
    }
    out.log_prob += lp;
    out.entropy += layout.entropy == EntropyKind::kSampledTerm ? sampled : full;
    if (trace != nullptr) record(kind, token, m, lp, sampled, full);
    out.tokens[static_cast<std::size_t>(token)] = j;
    return j;
  };
  // logits[j] = v·tanh(key_j + W2·h) for the first `count` anchors.
  auto attend = [&](int count) {
    std::fill(query.begin(), query.end(), 0.0f);
    add_row_times(h.data(), w.w_attn_2, n, n, query.data());
    for (int j = 0; j < count; ++j) {
      const float* key = anchor_key.data() + j * n;
      double acc = 0.0;
      for (std::int64_t m = 0; m < n; ++m) acc += static_cast<double>(w.v_attn[m]) * std::tanh(key[m] + query[static_cast<std::size_t>(m)]);
      logits[static_cast<std::size_t>(j)] = acc;
    }
  };
  auto push_anchor = [&](bool zero) {
    float* value = anchor_value.data() + anchors * n;
    float* key = anchor_key.data() + anchors * n;
    if (zero) {
      std::fill(value, value + n, 0.0f);
    } else {
      std::copy(h.begin(), h.end(), value);
    }
    std::fill(key, key + n, 0.0f);
    add_row_times(h.data(), w.w_attn_1, n, n, key);
    ++anchors;
  };

  for (const auto& in : program) {
    switch (in.kind) {
      case Instr::kStartInput:
        std::copy(w.g_emb, w.g_emb + n, input.begin());
        break;
      case Instr::kLstm: {
        std::fill(gates.begin(), gates.end(), 0.0f);
        add_row_times(input.data(), w.w_lstm, n, 4 * n, gates.data());
        add_row_times(h.data(), w.w_lstm + n * 4 * n, n, 4 * n, gates.data());
        for (std::int64_t m = 0; m < n; ++m) {
          const float i_g = sigmoidf(gates[static_cast<std::size_t>(m)]);
          const float f_g = sigmoidf(gates[static_cast<std::size_t>(n + m)]);
          const float o_g = sigmoidf(gates[static_cast<std::size_t>(2 * n + m)]);
          const float g_g = std::tanh(gates[static_cast<std::size_t>(3 * n + m)]);
          const float c_new = f_g * c[static_cast<std::size_t>(m)] + i_g * g_g;
          c[static_cast<std::size_t>(m)] = c_new;
          h[static_cast<std::size_t>(m)] = o_g * std::tanh(c_new);
        }
        break;
      }
      case Instr::kAnchor:
        push_anchor(false);
        break;
      case Instr::kAnchorZero:
        push_anchor(true);
        break;
      case Instr::kNewCell:
        anchors = 0;
        break;
      case Instr::kChooseOp: {
        for (std::int64_t j = 0; j < ops; ++j) {
          double acc = 0.0;
          for (std::int64_t k = 0; k < n; ++k) acc += static_cast<double>(h[static_cast<std::size_t>(k)]) * w.w_soft[k * ops + j];
          if (w.b_soft != nullptr) acc += w.b_soft[j];
          raw[static_cast<std::size_t>(j)] = acc;
          acc = shape_logit(acc, op_tanh_c);
          if (w.fixed_bias != nullptr && in.cell == 0) acc += w.fixed_bias[j];
          logits[static_cast<std::size_t>(j)] = acc;
        }
        const int op = choose(in.kind, static_cast<int>(ops), in.token);
        std::copy(w.w_emb + op * n, w.w_emb + (op + 1) * n, input.begin());
        break;
      }
      case Instr::kChooseNode: {
        const int count = in.count;
        attend(count);
        std::copy(logits.begin(), logits.begin() + count, raw.begin());
        for (int j = 0; j < count; ++j) {
          double l = shape_logit(logits[static_cast<std::size_t>(j)], tanh_c);
          if (layout.node_distance_prior) l -= static_cast<double>((count - j) * (count - j)) / 6.0;
          logits[static_cast<std::size_t>(j)] = l;
        }
        const int j = choose(in.kind, count, in.token);
        const float scale = layout.node_input_by_distance ? static_cast<float>(1.0 / (0.1 + (count - j))) : 1.0f;
        const float* value = anchor_value.data() + j * n;
        for (std::int64_t m = 0; m < n; ++m) input[static_cast<std::size_t>(m)] = value[m] * scale;
        break;
      }
      case Instr::kChooseSkips: {
        const int count = in.count;
        attend(count);
        std::copy(logits.begin(), logits.begin() + count, raw.begin());
        std::fill(input.begin(), input.end(), 0.0f);
        int chosen = 0;
        double kl = 0.0;
        double block_lp = 0.0;
        double block_sampled = 0.0;
        double block_full = 0.0;
        for (int j = 0; j < count; ++j) {
          const double a = shape_logit(logits[static_cast<std::size_t>(j)], tanh_c);
          logits[static_cast<std::size_t>(j)] = a;
          const double p1 = 1.0 / (1.0 + std::exp(-2.0 * a));
          const double log_p1 = -std::log1p(std::exp(-2.0 * a));
          const double log_p0 = -std::log1p(std::exp(2.0 * a));
          const bool bit = forced != nullptr ? forced[in.token + j] != 0 : draw_bernoulli(p1, generator);
          const double lp = bit ? log_p1 : log_p0;
          block_lp += lp;
          block_sampled += -lp * std::exp(lp);
          block_full += -(p1 * log_p1 + (1 - p1) * log_p0);
          if (layout.skip_penalty) {
            const double t = options.skip_target;
            kl += p1 * (log_p1 - std::log(t)) + (1 - p1) * (log_p0 - std::log(1 - t));
          }
          out.tokens[static_cast<std::size_t>(in.token + j)] = bit ? 1 : 0;
          if (bit) {
            ++chosen;
            const float* value = anchor_value.data() + j * n;
            for (std::int64_t m = 0; m < n; ++m) input[static_cast<std::size_t>(m)] += value[m];
          }
        }
        out.log_prob += block_lp;
        out.entropy += layout.entropy == EntropyKind::kSampledTerm ? block_sampled : block_full;
        if (trace != nullptr) record(in.kind, in.token, count, block_lp, block_sampled, block_full);
        const float norm = 1.0f / static_cast<float>(1 + chosen);
        for (auto& v : input) v *= norm;
        out.skip_penalty += kl;
        ++skip_layers;
        break;
      }
    }
  }
  if (skip_layers > 0) out.skip_penalty /= skip_layers;
  return out;
}

}  // namespace enas::controllers::detail

#endif  // ENAS_CONTROLLERS_DETAIL_HOST_SAMPLER_HPP
