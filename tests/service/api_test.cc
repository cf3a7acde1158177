// The Ledger service's RPCs against a real `cairn serve` process: reads,
// filters and page tokens, state as of a point, verification, appends,
// exports, auth, malformed requests, TLS, the CLI and a Python client.
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cairn/base/hash.h"
#include "cairn/store/records.h"
#include "cairn/store/store.h"
#include "tests/service/service_test_util.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

// The status and encoded body of a call made with RawUnary.
struct RawReply {
  grpc::Status status;
  std::string body;
};
// Calls `method` once through a generic stub with `request_bytes` as the
// encoded request, sending `authorization` as that metadata when it is not
// empty, and waits for the reply.
RawReply RawUnary(const std::string& address, const std::string& method,
                  const std::string& request_bytes, const std::string& authorization = "") {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  grpc::ClientContext ctx;
  if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
  grpc::Slice slice(request_bytes.data(), request_bytes.size());
  grpc::ByteBuffer request(&slice, 1), response;
  RawReply reply;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  generic.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    reply.status = s;
    done = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  std::vector<grpc::Slice> slices;
  if (reply.status.ok() && response.Dump(&slices).ok())
    for (const auto& sl : slices)
      reply.body.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  return reply;
}

// The status code of one ListStreams call sent with `authorization`.
grpc::StatusCode ListStreamsWith(const std::string& address, const std::string& authorization) {
  return RawUnary(address, "/cairn.v1.Ledger/ListStreams", "", authorization).status.error_code();
}

// One SQLite target migrated to 0003 (plus a failed 0004), served by one
// process for the whole suite.
class ServiceApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    tdb_ = TestDatabase::Create(db::Backend::kSqlite).release();
    WriteMigrations(dir_->path(), 3);
    WriteFile(dir_->File("0004_broken.sql"), "-- cairn:up\nCREATE TABLE t1 (id INTEGER);\n");
    ASSERT_EQ(RunCairn(tdb_->url(), dir_->path(), {"migrate", "--to", "0001"}).exit_code, 0);
    ASSERT_EQ(RunCairn(tdb_->url(), dir_->path(), {"migrate", "--to", "0003"}).exit_code, 0);
    ASSERT_EQ(RunCairn(tdb_->url(), dir_->path(), {"migrate"}).exit_code, 1);
    tokens_ = new std::string(WriteTokens(*dir_));
    server_ = new ServerProcess({"--database", tdb_->url(), "--tokens-file", *tokens_});
    ASSERT_TRUE(server_->Start());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete tdb_;
    delete tokens_;
    delete dir_;
  }
  void TearDown() override { EXPECT_TRUE(server_->Alive()) << "the server died"; }

  static std::vector<ledger::StoredRecord> Stored() {
    auto conn = tdb_->Connect();
    auto store = ledger::LedgerStore::For(*conn);
    std::vector<ledger::StoredRecord> out;
    EXPECT_TRUE(
        ledger::ReadRecords(*store, {.stream = kStream}, [&](const ledger::StoredRecord& r) {
          out.push_back(r);
          return true;
        }).ok());
    return out;
  }
  static std::unique_ptr<client::LedgerClient> Reader() { return server_->Client(kReaderToken); }

  static constexpr const char* kStream = "target";  // TestDatabase's SQLite file is target.db
  static TempDir* dir_;
  static TestDatabase* tdb_;
  static std::string* tokens_;
  static ServerProcess* server_;
};
TempDir* ServiceApiTest::dir_ = nullptr;
TestDatabase* ServiceApiTest::tdb_ = nullptr;
std::string* ServiceApiTest::tokens_ = nullptr;
ServerProcess* ServiceApiTest::server_ = nullptr;

TEST_F(ServiceApiTest, ListStreamsShowsTheHead) {
  auto r = Reader()->ListStreams();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->streams_size(), 1);
  auto stored = Stored();
  EXPECT_EQ(r->streams(0).stream(), kStream);
  EXPECT_EQ(r->streams(0).head_position(), static_cast<int64_t>(stored.size()));
  EXPECT_EQ(r->streams(0).head_hash(), stored.back().hash);
}

TEST_F(ServiceApiTest, ReadStreamPagesForwardsAndBackwards) {
  auto c = Reader();
  auto stored = Stored();
  v1::ReadStreamRequest req;
  req.set_stream(kStream);
  req.set_limit(3);
  std::vector<int64_t> seen;
  int pages = 0;
  ASSERT_TRUE(c->ReadAll(req, [&](const v1::LedgerRecord& r) {
                 seen.push_back(r.position());
                 EXPECT_EQ(r.record(), stored[r.position() - 1].record);
                 EXPECT_EQ(r.event().position(), r.position());
                 return true;
               }).ok());
  ASSERT_EQ(seen.size(), stored.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int64_t>(i + 1));

  req.set_direction(v1::READ_DIRECTION_BACKWARDS);
  auto first = c->ReadStream(req);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->records_size(), 3);
  EXPECT_EQ(first->records(0).position(), static_cast<int64_t>(stored.size()));
  ++pages;
  seen.clear();
  ASSERT_TRUE(c->ReadAll(req, [&](const v1::LedgerRecord& r) {
                 seen.push_back(r.position());
                 return true;
               }).ok());
  ASSERT_EQ(seen.size(), stored.size());
  EXPECT_EQ(seen.front(), static_cast<int64_t>(stored.size()));
  EXPECT_EQ(seen.back(), 1);
  EXPECT_EQ(pages, 1);
}

TEST_F(ServiceApiTest, ReadStreamFilters) {
  auto c = Reader();
  v1::ReadStreamRequest req;
  req.set_stream(kStream);
  req.add_event_types("migration_committed");
  std::vector<std::string> ids;
  ASSERT_TRUE(c->ReadAll(req, [&](const v1::LedgerRecord& r) {
                 EXPECT_EQ(r.event_type(), "migration_committed");
                 ids.push_back(r.event().migration_committed().migration_id());
                 return true;
               }).ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"0001", "0002", "0003"}));

  req.Clear();
  req.set_stream(kStream);
  req.set_migration_id("0004");
  std::vector<std::string> types;
  std::string run_id;
  ASSERT_TRUE(c->ReadAll(req, [&](const v1::LedgerRecord& r) {
                 types.push_back(r.event_type());
                 run_id = r.event().run_id();
                 return true;
               }).ok());
  EXPECT_EQ(types, (std::vector<std::string>{"migration_started", "migration_failed"}));

  req.Clear();
  req.set_stream(kStream);
  req.set_run_id(run_id);
  int in_run = 0;
  ASSERT_TRUE(c->ReadAll(req, [&](const v1::LedgerRecord& r) {
                 EXPECT_EQ(r.event().run_id(), run_id);
                 ++in_run;
                 return true;
               }).ok());
  EXPECT_EQ(in_run, 4);  // run started, migration started, failed, run finished

  // A time range that ends before the first event holds nothing.
  auto stored = Stored();
  req.Clear();
  req.set_stream(kStream);
  ledger::MicrosToTimestamp(stored.front().recorded_at, req.mutable_recorded_before());
  auto none = c->ReadStream(req);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->records_size(), 0);
  req.clear_recorded_before();
  ledger::MicrosToTimestamp(stored.back().recorded_at, req.mutable_recorded_after());
  auto last = c->ReadStream(req);
  ASSERT_TRUE(last.ok());
  ASSERT_GE(last->records_size(), 1);
  EXPECT_EQ(last->records(last->records_size() - 1).position(),
            static_cast<int64_t>(stored.size()));
}

TEST_F(ServiceApiTest, MalformedRequestsGetCodesAndTheServerStaysUp) {
  auto c = Reader();
  v1::ReadStreamRequest req;
  req.set_stream(kStream);
  req.set_page_token("garbage");
  EXPECT_EQ(c->ReadStream(req).status().code(), StatusCode::kInvalidArgument);
  req.set_page_token("1.5.f.0000000000000000");  // a token of another stream
  EXPECT_EQ(c->ReadStream(req).status().code(), StatusCode::kInvalidArgument);
  req.set_page_token("1.99999999999999999999.f.x");
  EXPECT_EQ(c->ReadStream(req).status().code(), StatusCode::kInvalidArgument);
  req.clear_page_token();
  req.set_limit(-1);
  EXPECT_EQ(c->ReadStream(req).status().code(), StatusCode::kInvalidArgument);
  req.set_limit(0);
  req.set_from_position(-5);
  EXPECT_EQ(c->ReadStream(req).status().code(), StatusCode::kInvalidArgument);
  req.set_from_position(0);
  req.set_stream("no-such-stream");
  EXPECT_EQ(c->ReadStream(req).status().code(), StatusCode::kNotFound);
  req.set_stream("");
  EXPECT_EQ(c->ReadStream(req).status().code(), StatusCode::kInvalidArgument);
  req.set_stream(kStream);
  req.set_target("no-such-target");
  EXPECT_EQ(c->ReadStream(req).status().code(), StatusCode::kNotFound);
  v1::GetStateRequest gs;
  gs.set_stream(kStream);
  gs.set_as_of_position(-1);
  EXPECT_EQ(c->GetState(gs).status().code(), StatusCode::kInvalidArgument);

  // A subscription with a negative position fails on its first read.
  client::SubscribeParams sp;
  sp.request.set_stream(kStream);
  sp.request.set_after_position(-3);
  client::SubscribeHandlers h;
  h.on_record = [](const v1::LedgerRecord&) { return true; };
  Status s = c->Subscribe(sp, h);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();

  // Bytes that are not a ReadStreamRequest, through a generic stub.
  const std::string junk = "\xff\xff\xff\xff\x0f garbage \x01\x02";
  EXPECT_FALSE(RawUnary(server_->address(), "/cairn.v1.Ledger/ReadStream", junk,
                        std::string("Bearer ") + kReaderToken)
                   .status.ok());

  // Bytes that are not HTTP/2 at all, on a raw socket.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string noise(4096, '\x17');
  EXPECT_GT(write(fd, noise.data(), noise.size()), 0);
  close(fd);

  EXPECT_TRUE(Reader()->ListStreams().ok());
}

TEST_F(ServiceApiTest, AuthRejectsMissingWrongAndUnderPrivilegedTokens) {
  const size_t before = Stored().size();
  v1::AppendRequest append;
  append.set_stream(kStream);
  append.mutable_event()->mutable_run_finished()->set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  EXPECT_EQ(server_->Client("")->ListStreams().status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(server_->Client("not-a-known-token-at-all")->ListStreams().status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(server_->Client("")->Append(append).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Reader()->Append(append).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(server_->Client(kWriterToken)->ListStreams().status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Reader()->Export({}, [](const v1::ExportResponse&) { return true; }).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Stored().size(), before);  // nothing was written

  // The CLI turns a refused token into exit code 19.
  ProcessResult r = RunProcess({CairnBinary(), "history", "--server", server_->address(), "--token",
                                "not-a-known-token-at-all"});
  EXPECT_EQ(r.exit_code, 19) << r.err;
  EXPECT_NE(r.err.find("unknown bearer token"), std::string::npos) << r.err;
}

TEST_F(ServiceApiTest, BearerSchemeIsCaseInsensitive) {
  const std::string token = kReaderToken;
  EXPECT_EQ(ListStreamsWith(server_->address(), "Bearer " + token), grpc::StatusCode::OK);
  EXPECT_EQ(ListStreamsWith(server_->address(), "bearer " + token), grpc::StatusCode::OK);
  EXPECT_EQ(ListStreamsWith(server_->address(), "BEARER  " + token), grpc::StatusCode::OK);
  EXPECT_EQ(ListStreamsWith(server_->address(), "Bearer" + token),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ListStreamsWith(server_->address(), "Basic " + token),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ListStreamsWith(server_->address(), "bearer "), grpc::StatusCode::UNAUTHENTICATED);
}

// grpc.health.v1.HealthCheckRequest { string service = 1; }, encoded by hand;
// the reply HealthCheckResponse { ServingStatus status = 1; } with SERVING = 1.
TEST_F(ServiceApiTest, HealthAnswersForTheLedgerServiceByName) {
  auto check = [&](const std::string& service) {
    std::string req;
    if (!service.empty()) req = std::string("\x0a") + static_cast<char>(service.size()) + service;
    return RawUnary(server_->address(), "/grpc.health.v1.Health/Check", req);
  };
  RawReply whole = check("");
  ASSERT_TRUE(whole.status.ok()) << whole.status.error_message();
  EXPECT_EQ(whole.body, std::string("\x08\x01"));
  RawReply ledger = check("cairn.v1.Ledger");
  ASSERT_TRUE(ledger.status.ok()) << ledger.status.error_message();
  EXPECT_EQ(ledger.body, std::string("\x08\x01"));
  EXPECT_EQ(check("cairn.v1.NoSuchService").status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceApiTest, SubscribingBeyondTheHeadIsOutOfRange) {
  const auto head = static_cast<int64_t>(Stored().size());
  client::SubscribeParams p;
  p.request.set_stream(kStream);
  p.request.set_after_position(head + 5);
  client::SubscribeHandlers h;
  h.on_record = [](const v1::LedgerRecord&) { return true; };
  Status s = Reader()->Subscribe(p, h);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();
  EXPECT_NE(s.message().find("beyond the head of stream 'target'"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("(position " + std::to_string(head) + ")"), std::string::npos)
      << s.message();

  // Every-stream subscriptions check their listed resume points alike.
  client::SubscribeParams all;
  auto* pos = all.request.add_after_positions();
  pos->set_stream(kStream);
  pos->set_position(head + 1);
  EXPECT_EQ(Reader()->Subscribe(all, h).code(), StatusCode::kOutOfRange);

  // At the head itself: caught up, then live (ended here by the handler).
  client::SubscribeParams at_head;
  at_head.request.set_stream(kStream);
  at_head.request.set_after_position(head);
  Collector sub(Reader(), at_head);
  EXPECT_TRUE(WaitFor([&] { return sub.caught_up(); }));
  sub.Stop();
  EXPECT_EQ(sub.count(), 0u);
}

TEST_F(ServiceApiTest, AppendTakesTheActorFromTheTokenAndIsIdempotent) {
  auto w = server_->Client(kAllToken);
  const std::string stream = "outside-producer";
  v1::AppendRequest req;
  req.set_stream(stream);
  req.set_expected_position(0);
  auto* e = req.mutable_event();
  e->set_event_id(ledger::NewUuid());
  e->mutable_run_started()->set_command_line("deploy 42");
  auto first = w->Append(req);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->position(), 1);
  EXPECT_FALSE(first->duplicate());

  auto retry = w->Append(req);  // the same event again: same answer, nothing new
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->position(), 1);
  EXPECT_EQ(retry->hash(), first->hash());

  e->mutable_run_started()->set_command_line("deploy 43");
  EXPECT_EQ(w->Append(req).status().code(), StatusCode::kAlreadyExists);

  e->set_event_id(ledger::NewUuid());
  EXPECT_EQ(w->Append(req).status().code(), StatusCode::kAborted);  // head is 1, not 0
  req.set_expected_position(1);
  auto second = w->Append(req);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->position(), 2);

  // Fields only the server may set are refused.
  v1::AppendRequest forged = req;
  forged.mutable_event()->set_event_id(ledger::NewUuid());
  forged.mutable_event()->mutable_actor()->set_user("someone-else");
  EXPECT_EQ(w->Append(forged).status().code(), StatusCode::kInvalidArgument);
  forged.mutable_event()->clear_actor();
  forged.mutable_event()->set_event_id("NOT-A-UUID");
  EXPECT_EQ(w->Append(forged).status().code(), StatusCode::kInvalidArgument);
  forged.mutable_event()->clear_event_id();
  forged.mutable_event()->clear_run_started();
  EXPECT_EQ(w->Append(forged).status().code(), StatusCode::kInvalidArgument);

  v1::ReadStreamRequest read;
  read.set_stream(stream);
  auto page = Reader()->ReadStream(read);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records_size(), 2);
  EXPECT_EQ(page->records(0).event().actor().user(), "alice");
  EXPECT_EQ(page->records(1).event().prev_hash(), page->records(0).hash());
}

TEST_F(ServiceApiTest, GetStateAsOfPositionAndTime) {
  auto c = Reader();
  auto stored = Stored();
  v1::GetStateRequest req;
  req.set_stream(kStream);
  auto now = c->GetState(req);
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(now->version(), "0003");
  EXPECT_EQ(now->position(), static_cast<int64_t>(stored.size()));

  // The position of 0001's commit: the state right after the first run.
  int64_t first_commit = 0;
  for (const auto& r : stored)
    if (r.event_type == "migration_committed" && !first_commit) first_commit = r.position;
  req.set_as_of_position(first_commit);
  auto then = c->GetState(req);
  ASSERT_TRUE(then.ok());
  EXPECT_EQ(then->version(), "0001");
  EXPECT_EQ(then->position(), first_commit);
  EXPECT_EQ(then->hash(), stored[first_commit - 1].hash);

  req.clear_as_of_position();
  ledger::MicrosToTimestamp(stored.front().recorded_at - 1, req.mutable_as_of_time());
  auto before = c->GetState(req);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->version(), "");
  EXPECT_EQ(before->position(), 0);
}

TEST_F(ServiceApiTest, VerifyReportsTheHead) {
  v1::VerifyRequest req;
  req.set_stream(kStream);
  auto r = Reader()->Verify(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto stored = Stored();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->events_checked(), static_cast<int64_t>(stored.size()));
  EXPECT_EQ(r->head_position(), static_cast<int64_t>(stored.size()));
  EXPECT_EQ(r->head_hash(), stored.back().hash);
}

TEST_F(ServiceApiTest, ExportStreamsRawRecordsThatVerify) {
  auto c = server_->Client(kExporterToken);
  v1::ExportRequest req;
  req.set_stream(kStream);
  std::vector<v1::LedgerRecord> records;
  v1::StreamInfo end;
  ASSERT_TRUE(c->Export(req, [&](const v1::ExportResponse& r) {
                 if (r.has_record()) records.push_back(r.record());
                 if (r.has_stream_end()) end = r.stream_end();
                 return true;
               }).ok());
  auto stored = Stored();
  ExpectContiguous(records, static_cast<int64_t>(stored.size()));
  std::string prev = ledger::GenesisHash();
  for (const auto& r : records) {
    EXPECT_FALSE(r.has_event());
    EXPECT_EQ(r.prev_hash(), prev);
    EXPECT_EQ(ledger::RecordHash(r.stream(), r.position(), r.prev_hash(), r.record()), r.hash());
    prev = r.hash();
  }
  EXPECT_EQ(end.head_position(), static_cast<int64_t>(stored.size()));
  EXPECT_EQ(end.head_hash(), prev);

  // After a position: the rest only.
  req.set_after_position(3);
  int64_t n = 0, first = 0;
  ASSERT_TRUE(c->Export(req, [&](const v1::ExportResponse& r) {
                 if (r.has_record() && n++ == 0) first = r.record().position();
                 return true;
               }).ok());
  EXPECT_EQ(n, static_cast<int64_t>(stored.size()) - 3);
  EXPECT_EQ(first, 4);
}

TEST_F(ServiceApiTest, SubscribeSendsCaughtUpAndCheckpoints) {
  client::SubscribeParams p;
  p.request.set_stream(kStream);
  p.request.set_after_position(2);
  p.request.set_checkpoint_interval_ms(20);
  Collector sub(Reader(), p);
  ASSERT_TRUE(WaitFor([&] { return sub.caught_up() && sub.checkpoints() >= 2; }));
  sub.Stop();
  auto got = sub.records();
  auto stored = Stored();
  ASSERT_EQ(got.size(), stored.size() - 2);
  EXPECT_EQ(got.front().position(), 3);
}

TEST_F(ServiceApiTest, CliHistoryAndSubscribeThroughTheServer) {
  // The suite's database may also hold other streams (Append tests): name it.
  ProcessResult local =
      RunCairn(tdb_->url(), dir_->path(), {"--stream", kStream, "history", "--json"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  ProcessResult remote =
      RunProcess({CairnBinary(), "--stream", kStream, "history", "--server", server_->address(),
                  "--token-file", *tokens_ + ".reader", "--json"});
  // No such token file: a clear error naming it.
  EXPECT_EQ(remote.exit_code, 3) << remote.err;
  EXPECT_NE(remote.err.find("tokens.txt.reader"), std::string::npos) << remote.err;
  WriteFile(*tokens_ + ".reader", std::string(kReaderToken) + "\n");
  remote = RunProcess({CairnBinary(), "--stream", kStream, "history", "--server",
                       server_->address(), "--token-file", *tokens_ + ".reader", "--json"});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  // The same events; the local document also has the target's own fields.
  EXPECT_EQ(json::parse(remote.out)["events"], json::parse(local.out)["events"]);
  // The filters give the same answer through the server.
  const std::vector<std::string> filters{"--migration", "2", "--limit", "2", "--since", "7d"};
  std::vector<std::string> local_args{"--stream", kStream, "history", "--json"};
  local_args.insert(local_args.end(), filters.begin(), filters.end());
  ProcessResult local_filtered = RunCairn(tdb_->url(), dir_->path(), local_args);
  std::vector<std::string> remote_args{CairnBinary(),  "--stream",           kStream,
                                       "history",      "--server",           server_->address(),
                                       "--token-file", *tokens_ + ".reader", "--json"};
  remote_args.insert(remote_args.end(), filters.begin(), filters.end());
  ProcessResult remote_filtered = RunProcess(remote_args);
  ASSERT_EQ(remote_filtered.exit_code, 0) << remote_filtered.err;
  EXPECT_EQ(json::parse(local_filtered.out)["events"].size(), 2u) << local_filtered.out;
  EXPECT_EQ(json::parse(remote_filtered.out)["events"], json::parse(local_filtered.out)["events"]);

  ProcessResult sub =
      RunProcess({CairnBinary(), "subscribe", "--server", server_->address(), "--stream", kStream,
                  "--from", "2", "--json", "--until-caught-up"},
                 {{"CAIRN_TOKEN", kReaderToken}});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  std::istringstream lines(sub.out);
  int64_t expect = 3;
  for (std::string line; std::getline(lines, line);) {
    json j = json::parse(line);
    EXPECT_EQ(j["position"].get<int64_t>(), expect++);
  }
  EXPECT_EQ(expect - 1, static_cast<int64_t>(Stored().size()));
}

}  // namespace
}  // namespace cairn::testing
