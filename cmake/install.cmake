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
foreach(module ntp_backend_torch_module ntp_backend_opencv_module ntp_backend_onednn_module
               ntp_backend_onnxruntime_module)
  if(TARGET ${module})
    install(TARGETS ${module} LIBRARY DESTINATION ${NTP_INSTALL_MODULE_DIR})
  endif()
endforeach()
# The onnxruntime back end's runner, which it finds in share/ntp/onnxruntime beside the modules' lib/ntp; the
# npm package (node_modules, 290 MB) stays where install.sh put it, which the runner is told.
if(TARGET ntp_backend_onnxruntime_module)
  install(FILES ${PROJECT_SOURCE_DIR}/src/backends/onnxruntime/runner.mjs
                ${PROJECT_SOURCE_DIR}/src/backends/onnxruntime/npy.mjs
          DESTINATION ${CMAKE_INSTALL_DATADIR}/ntp/onnxruntime)
endif()

install(EXPORT ntpTargets NAMESPACE ntp:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ntp)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ntpConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ntpConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ntp)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ntpConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ntpConfig.cmake ${PROJECT_BINARY_DIR}/ntpConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ntp)
