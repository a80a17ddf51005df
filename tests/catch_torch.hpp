// Catch2 for test files that include LibTorch. Debian's LibTorch is built with glog, whose
// logging.h defines CHECK (an abort-on-failure macro); Catch2's CHECK must win, or failed checks
// would abort instead of being reported. Include this after the enas and torch headers.
#ifndef ENAS_TESTS_CATCH_TORCH_HPP
#define ENAS_TESTS_CATCH_TORCH_HPP

#include <ATen/ATen.h>

#ifdef CHECK
#undef CHECK
#endif

#include "catch2_compat.hpp"

#endif  // ENAS_TESTS_CATCH_TORCH_HPP
