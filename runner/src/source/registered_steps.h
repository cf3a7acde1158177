// Internal (source stage): the registered C++ data migrations merged with
// the migration files of a folder.
#ifndef CAIRN_RUNNER_SRC_SOURCE_REGISTERED_STEPS_H_
#define CAIRN_RUNNER_SRC_SOURCE_REGISTERED_STEPS_H_

#include <vector>

#include "cairn/base/status.h"
#include "cairn/runner/migration.h"

namespace cairn::runner::internal {

// Adds the registered C++ steps to the loaded files, sorted by id. An invalid
// step or a number used twice is kInvalidArgument naming both.
Status MergeRegisteredSteps(std::vector<Migration>* files);

}  // namespace cairn::runner::internal

#endif  // CAIRN_RUNNER_SRC_SOURCE_REGISTERED_STEPS_H_
