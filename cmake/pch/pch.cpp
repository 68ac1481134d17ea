// The source a precompiled header is made from (cmake/precompiled.cmake); it defines nothing.
