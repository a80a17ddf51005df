/// @file
/// @brief The NAS-Bench-201 family in one include: the space, its networks, its binding to the
/// image tasks and its picture (`#include <enas/families/nas_bench_201.hpp>` after <enas/enas.hpp>).
#ifndef ENAS_FAMILIES_NAS_BENCH_201_HPP
#define ENAS_FAMILIES_NAS_BENCH_201_HPP

#include "enas/families/nas_bench_201/dot.hpp"
#include "enas/families/nas_bench_201/models.hpp"
#include "enas/families/nas_bench_201/space.hpp"
#include "enas/families/nas_bench_201/tasks.hpp"

#endif  // ENAS_FAMILIES_NAS_BENCH_201_HPP
