// The Catch2 main, alone in its translation unit so that test files rebuild without it.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
