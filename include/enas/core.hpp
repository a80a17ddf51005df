/// @file
/// @brief The torch-free core: type lists, concepts, activations, controller programs, arc strings.
#ifndef ENAS_CORE_HPP
#define ENAS_CORE_HPP

#include "enas/core/activations.hpp"
#include "enas/core/arc.hpp"
#include "enas/core/concepts.hpp"
#include "enas/core/controller_options.hpp"
#include "enas/core/controller_program.hpp"
#include "enas/core/error.hpp"
#include "enas/core/ops.hpp"
#include "enas/core/traits.hpp"
#include "enas/core/type_list.hpp"

#endif  // ENAS_CORE_HPP
