/// @file
/// @brief Library version; CMake reads these three macros into project().
#ifndef ENAS_VERSION_HPP
#define ENAS_VERSION_HPP

#define ENAS_VERSION_MAJOR 0
#define ENAS_VERSION_MINOR 1
#define ENAS_VERSION_PATCH 0

#define ENAS_VERSION_STRING "0.1.0"

#endif  // ENAS_VERSION_HPP
