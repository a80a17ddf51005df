/// @file
/// @brief Controllers: the ENAS LSTM (REINFORCE) and uniform random sampling.
#ifndef ENAS_CONTROLLERS_HPP
#define ENAS_CONTROLLERS_HPP

#include "enas/controllers/decision_trace.hpp"
#include "enas/controllers/lstm.hpp"
#include "enas/controllers/random.hpp"
#include "enas/controllers/sample_batch.hpp"

#endif  // ENAS_CONTROLLERS_HPP
