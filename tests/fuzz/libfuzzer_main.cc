// libFuzzer entry point for one target of fuzz_targets.h, chosen at compile
// time by CAIRN_FUZZ_TARGET (its index in Targets()). Built only with
// -DCAIRN_LIBFUZZER=ON and clang; see docs/fuzzing.md.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  cairn::fuzz::SetCurrentInput(input);
  cairn::fuzz::Targets().at(CAIRN_FUZZ_TARGET).fn(input);
  return 0;
}
