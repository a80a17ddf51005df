/// @file
/// @brief Reporting above the spaces: architecture pictures (DOT) and training curves (gnuplot).
#ifndef ENAS_REPORT_HPP
#define ENAS_REPORT_HPP

#include "enas/report/dot.hpp"
#include "enas/report/plot.hpp"

#endif  // ENAS_REPORT_HPP
