// cairn diff --schema FILE: prints what generate would write, writes nothing.
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/runner/schema_ops.h"
#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

struct DiffFlags {
  std::string schema = "schema.sql";
  bool down = false;
};

CommandAction SetupDiff(CLI::App* cmd) {
  auto f = std::make_shared<DiffFlags>();
  cmd->add_option("--schema", f->schema, "the desired schema file")->capture_default_str();
  cmd->add_flag("--down", f->down, "also print the reverse (desired to live)");
  AddJsonFlag(cmd);
  return [f](CliContext& ctx) -> int {
    int rc;
    runner::RunnerOptions options = ctx.ReadOnlyRunnerOptions();
    options.any_stream = true;  // the live schema only: no stream needed
    auto runner = ctx.OpenRunner(options, &rc);
    if (!runner) return rc;
    auto change = runner::DiffWithSchemaFile(*runner, f->schema);
    if (!change.ok()) return Fail(change.status());
    if (JsonDocument* doc = ActiveJson()) {
      doc->Field("schema", f->schema);
      doc->Field("differs", !change->up.empty());
      doc->Field("up", change->up.empty() ? std::string() : change->up.Script());
      if (f->down) doc->Field("down", change->up.empty() ? std::string() : change->down.Script());
      return kExitOk;
    }
    if (change->up.empty()) {
      std::printf("no difference: the database matches %s\n", f->schema.c_str());
      return kExitOk;
    }
    std::printf("-- up: live database -> %s\n%s", f->schema.c_str(), change->up.Script().c_str());
    if (f->down)
      std::printf("-- down: %s -> live database\n%s", f->schema.c_str(),
                  change->down.Script().c_str());
    return kExitOk;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(diff, "print the changes from the live database to a schema file", 61,
                       SetupDiff);

}  // namespace cairn::cli
