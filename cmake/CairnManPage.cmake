# Writes cairn(1) from docs/cairn.1.in and `cairn help --man`, which prints
# the GLOBAL OPTIONS and COMMANDS sections from the same command table as
# --help (clients/cli/cli.cc). Run by the build (cmake/CairnInstall.cmake):
#   cmake -DCAIRN=path/to/cairn -DIN=docs/cairn.1.in -DOUT=cairn.1 -DVERSION=x.y.z -P CairnManPage.cmake
execute_process(COMMAND ${CAIRN} help --man
                OUTPUT_VARIABLE sections ERROR_VARIABLE errors RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR sections STREQUAL "")
  message(FATAL_ERROR "${CAIRN} help --man failed (${rc}): ${errors}")
endif()
file(READ ${IN} page)
string(REPLACE "@CAIRN_GENERATED_SECTIONS@\n" "${sections}" page "${page}")
string(REPLACE "@CAIRN_VERSION@" "${VERSION}" page "${page}")
file(WRITE ${OUT}.tmp "${page}")
file(RENAME ${OUT}.tmp ${OUT})
