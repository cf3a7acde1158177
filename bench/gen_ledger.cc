// cairn_gen_ledger URL STREAM COUNT: appends COUNT synthetic events (the
// shapes the runner records: started, committed, batch) to STREAM through
// LedgerStore::Append, 50,000 per transaction. For the export benchmark.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cairn/base/hash.h"
#include "cairn/db/database.h"
#include "cairn/store/store.h"

using namespace cairn;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: cairn_gen_ledger URL STREAM COUNT\n");
    return 2;
  }
  const std::string stream = argv[2];
  const long long count = std::atoll(argv[3]);
  auto url = db::ParseDatabaseUrl(argv[1]);
  if (!url.ok()) return std::fprintf(stderr, "%s\n", url.status().ToString().c_str()), 4;
  auto conn = db::Connection::Open(*url);
  if (!conn.ok()) return std::fprintf(stderr, "%s\n", conn.status().ToString().c_str()), 4;
  auto store = ledger::LedgerStore::For(**conn);
  if (auto s = store->EnsureSchema(); !s.ok())
    return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 4;
  const std::string run_id = ledger::NewUuid();
  long long done = 0;
  while (done < count) {
    auto tx = (*conn)->Begin();
    if (!tx.ok()) return std::fprintf(stderr, "%s\n", tx.status().ToString().c_str()), 4;
    for (int i = 0; i < 50000 && done < count; ++i, ++done) {
      v1::Event e;
      e.set_stream(stream);
      e.set_run_id(run_id);
      e.mutable_actor()->set_user("deploy");
      e.mutable_actor()->set_host("app-01.campus.internal");
      e.mutable_actor()->set_tool_version("cairn 0.1.0");
      char id[16];
      std::snprintf(id, sizeof id, "%06lld", done / 3);
      switch (done % 3) {
        case 0: {
          auto* b = e.mutable_migration_started();
          b->set_migration_id(id);
          b->set_description("add index on enrolments by term");
          b->set_checksum("sha256:" + std::string(64, 'c'));
          b->set_direction(v1::DIRECTION_UP);
          b->set_storage_type(v1::STORAGE_TYPE_TABLE);
          b->set_file(std::string(id) + "_add_index.sql");
          break;
        }
        case 1: {
          auto* b = e.mutable_migration_committed();
          b->set_migration_id(id);
          b->set_duration_micros(1234 + done);
          b->set_statements_executed(2);
          b->set_direction(v1::DIRECTION_UP);
          break;
        }
        default: {
          auto* b = e.mutable_batch_applied();
          b->set_migration_id(id);
          b->set_cursor("student-" + std::to_string(done));
          b->set_rows(100);
          b->set_batch_number(done);
        }
      }
      auto r = store->Append(**tx, std::move(e));
      if (!r.ok()) return std::fprintf(stderr, "%s\n", r.status().ToString().c_str()), 4;
    }
    if (auto s = (*tx)->Commit(); !s.ok())
      return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 4;
  }
  return 0;
}
