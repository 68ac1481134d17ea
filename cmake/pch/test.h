// Precompiled for every test program: the library headers and gtest.
#pragma once

#include <gtest/gtest.h>

#include "library.h"
