# `cmake --install`: the `ntp` command, libntp.so with the public headers and a CMake package
# (find_package(ntp) -> ntp::ntp), and the back-end modules and tool helpers in lib/ntp/, where the
# registry and `--tool callgrind` look for them relative to the program or library that runs.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NTP_INSTALL_MODULE_DIR ${CMAKE_INSTALL_LIBDIR}/ntp)
install(TARGETS ntp RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ntp_library EXPORT ntpTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ntp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS ntp_valgrind_preload LIBRARY DESTINATION ${NTP_INSTALL_MODULE_DIR})
foreach(module ntp_backend_torch_module ntp_backend_opencv_module ntp_backend_onednn_module)
  if(TARGET ${module})
    install(TARGETS ${module} LIBRARY DESTINATION ${NTP_INSTALL_MODULE_DIR})
  endif()
endforeach()

install(EXPORT ntpTargets NAMESPACE ntp:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ntp)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ntpConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ntpConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ntp)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ntpConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ntpConfig.cmake ${PROJECT_BINARY_DIR}/ntpConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ntp)
