// The service is usable from another language: a Python client generated
// from the proto files (protoc's Python output, gRPC's Python plugin, and
// Debian's python3-grpcio) reads history and subscribes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/service/service_test_util.h"

namespace cairn::testing {
namespace {

TEST(ServicePythonClientTest, GeneratedPythonClientReadsAndSubscribes) {
  TempDir gen;
  ProcessResult protoc =
      RunProcess({CAIRN_PROTOC, "-I", CAIRN_PROTO_DIR, "--python_out=" + gen.path(),
                  "--grpc_python_out=" + gen.path(),
                  std::string("--plugin=protoc-gen-grpc_python=") + CAIRN_GRPC_PYTHON_PLUGIN,
                  std::string(CAIRN_PROTO_DIR) + "/cairn/v1/events.proto",
                  std::string(CAIRN_PROTO_DIR) + "/cairn/v1/ledger_service.proto"});
  ASSERT_EQ(protoc.exit_code, 0) << protoc.err;

  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  if (!tdb) return;
  TempDir dir;
  WriteMigrations(dir.path(), 2);
  ASSERT_EQ(RunCairn(tdb->url(), dir.path(), {"migrate"}).exit_code, 0);
  ServerProcess server({"--database", tdb->url(), "--tokens-file", WriteTokens(dir)});
  ASSERT_TRUE(server.Start());

  ProcessResult py =
      RunProcess({CAIRN_PYTHON3, CAIRN_PYTHON_CLIENT, server.address(), kReaderToken, "target"},
                 {{"PYTHONPATH", gen.path()}});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  auto j = nlohmann::json::parse(py.out);
  // A run of two migrations: RunStarted, 2 x (started, committed), RunFinished.
  const std::vector<int64_t> positions = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(j["streams"]["target"].get<int64_t>(), 6);
  EXPECT_EQ(j["history"].get<std::vector<int64_t>>(), positions);
  EXPECT_EQ(j["subscribed"].get<std::vector<int64_t>>(), positions);
  EXPECT_EQ(j["types"][0], "run_started");
  EXPECT_EQ(j["types"][5], "run_finished");
  EXPECT_EQ(j["without_token"], "UNAUTHENTICATED");
}

}  // namespace
}  // namespace cairn::testing
