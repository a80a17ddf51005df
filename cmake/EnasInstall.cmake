# Install rules: headers, the exported INTERFACE target and a relocatable package config, so that
# another project can do find_package(enas) + target_link_libraries(app PRIVATE enas::enas).
include(CMakePackageConfigHelpers)

set(ENAS_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/enas" CACHE STRING
    "Where enasConfig.cmake is installed, relative to the prefix")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.hpp")
install(TARGETS enas EXPORT enasTargets)
install(EXPORT enasTargets NAMESPACE enas:: DESTINATION "${ENAS_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/enasConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/enasConfig.cmake"
  INSTALL_DESTINATION "${ENAS_INSTALL_CMAKEDIR}")
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/enasConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/enasConfig.cmake" "${PROJECT_BINARY_DIR}/enasConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/EnasOpenMP.cmake"
        DESTINATION "${ENAS_INSTALL_CMAKEDIR}")

# The build tree is a package too (find_package(enas) with enas_DIR=<build dir>).
export(EXPORT enasTargets NAMESPACE enas:: FILE "${PROJECT_BINARY_DIR}/enasTargets.cmake")
configure_file("${PROJECT_SOURCE_DIR}/cmake/EnasOpenMP.cmake" "${PROJECT_BINARY_DIR}/EnasOpenMP.cmake" COPYONLY)
