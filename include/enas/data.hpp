/// @file
/// @brief Data sets: location, reading, batching.
#ifndef ENAS_DATA_HPP
#define ENAS_DATA_HPP

#include "enas/data/augmentation.hpp"
#include "enas/data/cifar10.hpp"
#include "enas/data/cifar10_batches.hpp"
#include "enas/data/locate.hpp"
#include "enas/data/ptb.hpp"

#endif  // ENAS_DATA_HPP
