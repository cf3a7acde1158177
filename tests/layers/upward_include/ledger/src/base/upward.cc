// A fixture for scripts/check_layers.py (tests/CMakeLists.txt): base may not
// include a header of the store, a module above it.
#include "cairn/base/status.h"
#include "cairn/store/store.h"
