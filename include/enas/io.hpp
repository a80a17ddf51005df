/// @file
/// @brief Base I/O: checkpoint archives (and the integrity check of their zip), the run log and
/// metrics, progress lines, configurations as JSON, external tools and the xtensor bridge.
#ifndef ENAS_IO_HPP
#define ENAS_IO_HPP

#include "enas/io/checkpoint.hpp"
#include "enas/io/config_json.hpp"
#include "enas/io/external_tool.hpp"
#include "enas/io/progress.hpp"
#include "enas/io/run_log.hpp"
#include "enas/io/xtensor.hpp"
#include "enas/io/zip_integrity.hpp"

#endif  // ENAS_IO_HPP
