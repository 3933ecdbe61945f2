# Turns a data file into a C header with a NUL-terminated char array, so the
# data ships inside the binary (no file to find at run time).
#   cmake -DIN=file.json -DOUT=file.h -DNAME=c_identifier -P cmake/embed.cmake
# Defines: static const char NAME[] (bytes + NUL) and NAME_LEN (bytes, no NUL).
foreach(var NAME OUT IN)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed.cmake: -D${var}=... is required")
  endif()
endforeach()
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
# 16 bytes per line keeps the generated file readable in a diff or a debugger.
string(REPEAT "[0-9a-f][0-9a-f]" 16 sixteen)  # cmake regexes have no {n}
string(REGEX REPLACE "${sixteen}" "\\0\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
get_filename_component(in_name "${IN}" NAME)
file(WRITE "${OUT}.tmp"
"/* Generated from ${in_name} by cmake/embed.cmake at build time; do not edit. */\n"
"#define ${NAME}_LEN ((size_t) ${len})\n"
"static const char ${NAME}[] = {\n${bytes}0x00 };\n")
# Only touch OUT when it changed, so an unchanged file recompiles nothing.
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
