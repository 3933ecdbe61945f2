# Embeds spec/seccomp_default.json into capsa_spec as the generated header
# seccomp_default_json.h (used by spec/hardened.c). Include this after
# add_library(capsa_spec ...).
set(CAPSA_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
set(CAPSA_SECCOMP_DEFAULT_H ${CAPSA_GENERATED_DIR}/seccomp_default_json.h)
add_custom_command(
  OUTPUT ${CAPSA_SECCOMP_DEFAULT_H}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CAPSA_GENERATED_DIR}
  COMMAND ${CMAKE_COMMAND} -DIN=${CMAKE_SOURCE_DIR}/spec/seccomp_default.json
          -DOUT=${CAPSA_SECCOMP_DEFAULT_H} -DNAME=capsa_seccomp_default_json
          -P ${CMAKE_SOURCE_DIR}/cmake/embed.cmake
  DEPENDS ${CMAKE_SOURCE_DIR}/spec/seccomp_default.json ${CMAKE_SOURCE_DIR}/cmake/embed.cmake
  COMMENT "Embedding spec/seccomp_default.json"
  VERBATIM)
target_sources(capsa_spec PRIVATE ${CAPSA_SECCOMP_DEFAULT_H})
target_include_directories(capsa_spec PRIVATE ${CAPSA_GENERATED_DIR})
target_compile_definitions(capsa_spec PRIVATE CAPSA_HAVE_SECCOMP_DEFAULT=1)
