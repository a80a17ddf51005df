# Regenerates docs/programs.md into the build tree and fails when the committed file differs.
set(fresh "${BINARY_DIR}/programs.md")
execute_process(COMMAND bash "${SOURCE_DIR}/scripts/gen_program_docs.sh" "${BINARY_DIR}" "${fresh}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "scripts/gen_program_docs.sh failed")
endif()
file(READ "${fresh}" generated)
file(READ "${SOURCE_DIR}/docs/programs.md" committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "docs/programs.md is out of date: run scripts/gen_program_docs.sh and commit it")
endif()
