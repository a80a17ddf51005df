/// @file
/// @brief Compile-time lists of types (ops, activations) and the helpers that walk them.
#ifndef ENAS_CORE_TYPE_LIST_HPP
#define ENAS_CORE_TYPE_LIST_HPP

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace enas {

/// An ordered list of types; its position is the id a type has in an architecture string.
template <class... Ts>
struct TypeList {
  static constexpr std::size_t size = sizeof...(Ts);
};

/// A value that carries a type, so that a generic lambda can receive "which type" (C++17 has no
/// std::type_identity).
template <class T>
struct TypeTag {
  using type = T;
};

namespace detail {

template <std::size_t I, class List>
struct TypeAt;

template <std::size_t I, class Head, class... Tail>
struct TypeAt<I, TypeList<Head, Tail...>> : TypeAt<I - 1, TypeList<Tail...>> {};

template <class Head, class... Tail>
struct TypeAt<0, TypeList<Head, Tail...>> {
  using type = Head;
};

template <class T>
struct IsTypeList : std::false_type {};

template <class... Ts>
struct IsTypeList<TypeList<Ts...>> : std::true_type {};

}  // namespace detail

/// The I-th type of a TypeList.
template <std::size_t I, class List>
using type_at_t = typename detail::TypeAt<I, List>::type;

template <class T>
inline constexpr bool is_type_list_v = detail::IsTypeList<T>::value;

/// Calls f(TypeTag<T>{}) for every T of the list, in order.
template <class... Ts, class F>
constexpr void for_each_type(TypeList<Ts...>, F&& f) {
  (f(TypeTag<Ts>{}), ...);
}

/// Builds a std::array with one entry per listed type: {make(TypeTag<T0>{}), make(TypeTag<T1>{}), ...}.
template <class... Ts, class F>
constexpr auto make_type_table(TypeList<Ts...>, F&& make) {
  using Entry = decltype(make(TypeTag<type_at_t<0, TypeList<Ts...>>>{}));
  return std::array<Entry, sizeof...(Ts)>{make(TypeTag<Ts>{})...};
}

}  // namespace enas

#endif  // ENAS_CORE_TYPE_LIST_HPP
