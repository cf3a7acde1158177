// cairn new NAME.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli.h"

namespace cairn::cli {
namespace {

CommandAction SetupNew(CLI::App* cmd) {
  auto name = std::make_shared<std::string>();
  cmd->add_option("name", *name, "what the migration does, e.g. add_users_email")->required();
  return [name](CliContext& ctx) -> int {
    auto path = runner::CreateMigrationFile(ctx.dir, *name);
    if (!path.ok()) return Fail(path.status());
    std::printf("%s\n", path->c_str());
    return kExitOk;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(new, "create the next numbered migration file", 60, SetupNew);

}  // namespace cairn::cli
