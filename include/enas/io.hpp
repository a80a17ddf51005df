/// @file
/// @brief Logs, metrics and the xtensor bridge.
#ifndef ENAS_IO_HPP
#define ENAS_IO_HPP

#include "enas/io/run_log.hpp"
#include "enas/io/xtensor.hpp"

#endif  // ENAS_IO_HPP
