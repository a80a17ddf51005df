# Regenerates docs/programs.md into the build tree and fails when the committed file differs.
# Another CLI11 lays --help out differently: then the comparison is skipped (the layout is not
# what this check is about; the flags are the same code).
file(READ "${SOURCE_DIR}/docs/programs.md" committed)
file(READ "${BINARY_DIR}/cli11_version.txt" cli11)
string(REGEX MATCH "Formatted by CLI11 ([^\n]*)\\." _ "${committed}")
if(NOT CMAKE_MATCH_1 STREQUAL cli11)
  message("skipped: docs/programs.md is formatted by CLI11 ${CMAKE_MATCH_1}; this build has CLI11 ${cli11}")
  return()
endif()
set(fresh "${BINARY_DIR}/programs.md")
execute_process(COMMAND bash "${SOURCE_DIR}/scripts/gen_program_docs.sh" "${BINARY_DIR}" "${fresh}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "scripts/gen_program_docs.sh failed")
endif()
file(READ "${fresh}" generated)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "docs/programs.md is out of date: run scripts/gen_program_docs.sh and commit it")
endif()
