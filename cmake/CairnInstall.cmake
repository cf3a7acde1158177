# Installing cairn (docs/install.md).
#
#   cmake --install build --prefix P --strip    # P/bin/cairn, man page, completions
#   cd build && cpack -G DEB                    # cairn_<version>_amd64.deb
#
# `cairn` finds cairn-net and cairn-pg.so in the directory of its own
# executable (/proc/self/exe, symlinks resolved; clients/net_exec.cc,
# ledger/src/db/postgres_loader.cc). The three files are therefore installed
# together in P/lib/cairn, and P/bin/cairn is a relative symlink to
# ../lib/cairn/cairn: the bin directory gets one command and no shared object.
include(GNUInstallDirs)

# `cairn --version`: the version, the commit it was configured at, and the
# libpq and gRPC versions that cairn-pg.so and cairn-net were built against
# (clients/build_info.h.in). scripts/build.sh re-configures on every build.
execute_process(COMMAND git -C ${PROJECT_SOURCE_DIR} rev-parse --short=12 HEAD
                OUTPUT_VARIABLE CAIRN_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE _git_rc ERROR_QUIET)
if(NOT _git_rc EQUAL 0 OR CAIRN_GIT_COMMIT STREQUAL "")
  set(CAIRN_GIT_COMMIT "unknown")
endif()
pkg_check_modules(CAIRN_LIBPQ QUIET libpq)
set(CAIRN_LIBPQ_VERSION "${CAIRN_LIBPQ_VERSION}")
if(CAIRN_LIBPQ_VERSION STREQUAL "")
  set(CAIRN_LIBPQ_VERSION "unknown")
endif()
configure_file(${PROJECT_SOURCE_DIR}/clients/build_info.h.in
               ${PROJECT_BINARY_DIR}/generated/build_info.h @ONLY)
target_include_directories(cairn_cli_base PRIVATE ${PROJECT_BINARY_DIR}/generated)

set(CAIRN_INSTALL_PKGDIR "lib/cairn" CACHE STRING
    "where cairn, cairn-net and cairn-pg.so are installed, relative to the prefix")

install(TARGETS cairn cairn-net
        RUNTIME DESTINATION ${CAIRN_INSTALL_PKGDIR} COMPONENT cairn)
install(TARGETS cairn-pg
        LIBRARY DESTINATION ${CAIRN_INSTALL_PKGDIR} COMPONENT cairn)
# The symlink, relative so that the tree can be moved (DESTDIR, cpack staging).
install(CODE "
  set(_bin \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  file(MAKE_DIRECTORY \"\${_bin}\")
  file(REMOVE \"\${_bin}/cairn\")
  file(CREATE_LINK \"../${CAIRN_INSTALL_PKGDIR}/cairn\" \"\${_bin}/cairn\" SYMBOLIC)
  message(STATUS \"Installing: \${_bin}/cairn -> ../${CAIRN_INSTALL_PKGDIR}/cairn\")
" COMPONENT cairn)

install(FILES ${PROJECT_SOURCE_DIR}/docs/cairn.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT cairn)
install(FILES ${PROJECT_SOURCE_DIR}/scripts/completion/cairn.bash
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions
        RENAME cairn COMPONENT cairn)
install(FILES ${PROJECT_SOURCE_DIR}/scripts/completion/_cairn
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/zsh/vendor-completions COMPONENT cairn)

# The Debian package: `cpack -G DEB` in the build directory.
set(CPACK_PACKAGE_NAME "cairn")
set(CPACK_PACKAGE_VENDOR "cairn")
set(CPACK_PACKAGE_CONTACT "cairn maintainers <cairn@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "database migrations recorded in a tamper-evident ledger (SQLite, PostgreSQL)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)              # the build's debug info stays in the build tree
set(CPACK_COMPONENTS_ALL cairn)
set(CPACK_DEB_COMPONENT_INSTALL OFF)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # cairn_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION "database")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/cairn")
# Runtime dependencies from the ELF files (dpkg-shlibdeps): libsqlite3,
# libpqxx/libpq (cairn-pg.so), gRPC and protobuf (cairn-net), ...
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_GENERATOR "DEB")
include(CPack)
