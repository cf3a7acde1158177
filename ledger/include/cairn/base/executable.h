// Where the running program lives, for finding the files installed beside
// it (cairn-net, the PostgreSQL module cairn-pg.so).
#ifndef CAIRN_BASE_EXECUTABLE_H_
#define CAIRN_BASE_EXECUTABLE_H_

#include <string>

namespace cairn {

// The directory of the running executable (from /proc/self/exe), without a
// trailing slash; "." when it cannot be read.
std::string ExecutableDir();

}  // namespace cairn

#endif  // CAIRN_BASE_EXECUTABLE_H_
