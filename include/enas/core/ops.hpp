/// @file
/// @brief Candidate operations of the CIFAR-10 spaces as types (torch-free descriptors).
///
/// An op type models enas::Op when it has `static constexpr OpKind kind`, `static constexpr int
/// kernel` and `static std::string name()`. The torch layer (nn/image_ops.hpp) builds the module of
/// an op from these. Models: Conv<K>, SepConv<K>, AvgPool<K>, MaxPool<K>, Identity.
#ifndef ENAS_CORE_OPS_HPP
#define ENAS_CORE_OPS_HPP

#include <string>
#include <type_traits>

namespace enas::ops {

/// What an op computes.
enum class OpKind { kConv, kSepConv, kAvgPool, kMaxPool, kIdentity };

/// A K×K convolution (macro: ReLU, 1×1 conv, BN, ReLU, K×K conv, BN; §4.4).
template <int K>
struct Conv {
  static_assert(K % 2 == 1 && K > 0, "enas::ops::Conv<K>: K must be a positive odd kernel size");
  static constexpr OpKind kind = OpKind::kConv;
  static constexpr int kernel = K;
  static std::string name() { return "conv " + std::to_string(K) + "x" + std::to_string(K); }
};

/// A K×K depthwise-separable convolution: depthwise K×K then pointwise 1×1.
template <int K>
struct SepConv {
  static_assert(K % 2 == 1 && K > 0, "enas::ops::SepConv<K>: K must be a positive odd kernel size");
  static constexpr OpKind kind = OpKind::kSepConv;
  static constexpr int kernel = K;
  static std::string name() { return "sep " + std::to_string(K) + "x" + std::to_string(K); }
};

/// K×K average pooling (padding excluded from the average, as TF's SAME pooling).
template <int K>
struct AvgPool {
  static_assert(K % 2 == 1 && K > 0, "enas::ops::AvgPool<K>: K must be a positive odd window");
  static constexpr OpKind kind = OpKind::kAvgPool;
  static constexpr int kernel = K;
  static std::string name() { return "avg " + std::to_string(K) + "x" + std::to_string(K); }
};

/// K×K max pooling.
template <int K>
struct MaxPool {
  static_assert(K % 2 == 1 && K > 0, "enas::ops::MaxPool<K>: K must be a positive odd window");
  static constexpr OpKind kind = OpKind::kMaxPool;
  static constexpr int kernel = K;
  static std::string name() { return "max " + std::to_string(K) + "x" + std::to_string(K); }
};

/// The identity (a factorized reduction where the cell reduces).
struct Identity {
  static constexpr OpKind kind = OpKind::kIdentity;
  static constexpr int kernel = 1;
  static std::string name() { return "identity"; }
};

namespace detail {
template <class T, class = void>
struct IsOp : std::false_type {};
template <class T>
struct IsOp<T, std::void_t<decltype(static_cast<OpKind>(T::kind)), decltype(static_cast<int>(T::kernel)),
                           decltype(std::string(T::name()))>> : std::true_type {};
}  // namespace detail

/// True when T models enas::Op.
template <class T>
inline constexpr bool is_op_v = detail::IsOp<T>::value;

}  // namespace enas::ops

#endif  // ENAS_CORE_OPS_HPP
