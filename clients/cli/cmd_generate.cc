// cairn generate NAME --schema FILE: writes the next migration from a desired schema.
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/runner/schema_ops.h"
#include "cli/cli.h"

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
  return [f](CliContext& ctx) -> int {
    int rc;
    auto runner = ctx.OpenRunner(ctx.RunnerOptionsFromGlobals(), &rc);
    if (!runner) return rc;
    auto g = runner::GenerateMigration(*runner, ctx.dir, f->name, f->schema);
    if (!g.ok()) return Fail(g.status());
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
