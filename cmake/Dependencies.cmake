# Every dependency is looked up here, once. A missing one stops configuration with the
# Debian package that provides it, so a fresh machine knows what to install.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

# l2sec_dep(TARGET PKGCONFIG_NAME DEBIAN_PACKAGE [HEADER LIBRARY])
# Defines the imported target l2sec::TARGET. Falls back to a header/library search for
# libraries that ship no .pc file on some releases (libev).
function(l2sec_dep target pcname debpkg)
  pkg_check_modules(PC_${target} QUIET IMPORTED_TARGET ${pcname})
  if(PC_${target}_FOUND)
    add_library(l2sec::${target} ALIAS PkgConfig::PC_${target})
    return()
  endif()
  if(ARGC GREATER 4)
    find_path(${target}_INC ${ARGV3})
    find_library(${target}_LIB ${ARGV4})
    if(${target}_INC AND ${target}_LIB)
      add_library(l2sec_dep_${target} INTERFACE IMPORTED GLOBAL)
      set_target_properties(l2sec_dep_${target} PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${${target}_INC}"
        INTERFACE_LINK_LIBRARIES "${${target}_LIB}")
      add_library(l2sec::${target} ALIAS l2sec_dep_${target})
      return()
    endif()
  endif()
  message(FATAL_ERROR "${pcname} not found: apt-get install ${debpkg} (or run scripts/setup)")
endfunction()

l2sec_dep(mnl      libmnl     libmnl-dev)
l2sec_dep(sodium   libsodium  libsodium-dev)
l2sec_dep(ev       libev      libev-dev      ev.h ev)
l2sec_dep(config   libconfig  libconfig-dev)
l2sec_dep(capng    libcap-ng  libcap-ng-dev)
l2sec_dep(nftables libnftables libnftables-dev)

find_package(OpenSSL 3.0 QUIET)
if(NOT OPENSSL_FOUND)
  message(FATAL_ERROR "OpenSSL 3 not found: apt-get install libssl-dev")
endif()

if(BUILD_TESTING)
  l2sec_dep(cmocka cmocka libcmocka-dev)
endif()

# l2sec_room(NAME [EXE exe_name] DEPS ...)
# A room's library is every .c in its directory except main.c; tests and fuzz targets
# link it. With EXE, main.c becomes that executable. Sources are globbed so that adding a
# module is adding a .c/.h pair, nothing else.
function(l2sec_room name)
  cmake_parse_arguments(R "" "EXE;LIB" "DEPS" ${ARGN})
  if(NOT R_LIB)
    set(R_LIB ${name})
  endif()
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  list(FILTER srcs EXCLUDE REGEX "/main\\.c$")
  if(srcs)
    add_library(${R_LIB} STATIC ${srcs})
  else()
    add_library(${R_LIB} INTERFACE)
  endif()
  if(srcs)
    target_link_libraries(${R_LIB} PUBLIC ${R_DEPS})
  else()
    target_link_libraries(${R_LIB} INTERFACE ${R_DEPS})
  endif()
  set_property(GLOBAL APPEND PROPERTY L2SEC_ROOMS "${name}=${R_LIB}")
  if(R_EXE AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/main.c)
    add_executable(${R_EXE} main.c)
    target_link_libraries(${R_EXE} PRIVATE ${R_LIB})
  endif()
endfunction()
