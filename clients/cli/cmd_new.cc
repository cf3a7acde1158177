// cairn new NAME.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

CommandAction SetupNew(CLI::App* cmd) {
  auto name = std::make_shared<std::string>();
  cmd->add_option("name", *name, "what the migration does, e.g. add_users_email")->required();
  AddJsonFlag(cmd);
  return [name](CliContext& ctx) -> int {
    auto path = runner::CreateMigrationFile(ctx.dir, *name);
    if (!path.ok()) return Fail(path.status());
    if (JsonDocument* doc = ActiveJson()) {
      doc->Field("path", *path);
      return kExitOk;
    }
    std::printf("%s\n", path->c_str());
    return kExitOk;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(new, "create the next numbered migration file", 60, SetupNew);

}  // namespace cairn::cli
