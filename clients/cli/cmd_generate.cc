// cairn generate NAME --schema FILE: writes the next migration from a desired schema.
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/runner/schema_ops.h"
#include "cli/cli.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

struct GenerateFlags {
  std::string name;
  std::string schema = "schema.sql";
};

CommandAction SetupGenerate(CLI::App* cmd) {
  auto f = std::make_shared<GenerateFlags>();
  cmd->add_option("name", f->name, "what the migration does, e.g. add_users_email")->required();
  cmd->add_option("--schema", f->schema, "the desired schema: CREATE statements (and hints)")
      ->capture_default_str();
  AddJsonFlag(cmd);
  return [f](CliContext& ctx) -> int {
    int rc;
    auto runner = ctx.OpenRunner(ctx.RunnerOptionsFromGlobals(), &rc);
    if (!runner) return rc;
    auto g = runner::GenerateMigration(*runner, ctx.dir, f->name, f->schema);
    if (!g.ok()) return Fail(g.status());
    if (JsonDocument* doc = ActiveJson()) {
      doc->Field("schema", f->schema);
      doc->Field("written", g->written);
      doc->Field("path", g->written ? g->path : std::string());
      doc->Field("cycles", g->written ? g->change.up.cycles : std::vector<std::string>());
      return kExitOk;
    }
    if (!g->written) {
      std::printf("no difference: the database already matches %s; nothing written\n",
                  f->schema.c_str());
      return kExitOk;
    }
    for (const std::string& c : g->change.up.cycles)
      std::fprintf(stderr, "cairn: note: foreign keys form a cycle: %s\n", c.c_str());
    std::printf("%s\n", g->path.c_str());
    return kExitOk;
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(generate, "write the next migration from a desired schema file", 62,
                       SetupGenerate);

}  // namespace cairn::cli
