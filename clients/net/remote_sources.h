// Reading a ledger through `cairn serve` for the commands that otherwise
// read the target's database: `export --server` feeds the Export RPC's
// records to the same ledger::ExportWriter the direct export uses, and
// `report --server` folds events read with ReadStream, verified with the
// Verify RPC, with the same report::BuildReport. docs/export.md and
// docs/report.md describe the commands.
#ifndef CAIRN_CLIENTS_NET_REMOTE_SOURCES_H_
#define CAIRN_CLIENTS_NET_REMOTE_SOURCES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/export/export.h"
#include "client/ledger_client.h"
#include "report/report_model.h"

namespace cairn::cli {

// Streams `request` through client.Export into `writer` (BeginStream, Write,
// EndStream per stream, then Finish) and returns the number of records.
// Memory: one response and the writer's buffer; nothing grows with the
// history. A response sequence that does not hold together (a record of
// another stream before the previous stream's end, a head that is not the
// last record sent) is kDataLoss; the server's errors are returned as is.
StatusOr<int64_t> ExportThroughServer(client::LedgerClient& client,
                                      const v1::ExportRequest& request,
                                      ledger::ExportWriter& writer);

// One served stream, named as ResolveStream (remote_options.h) returned it.
struct ServedStream {
  std::string target;
  std::string stream;
};

// The report's events read from a server: ReadStream page by page
// (decoded events), and the Verify RPC for each stream's chain. `client`
// must outlive the source. `origin` is shown in the page's header.
class ServerReportSource final : public report::EventSource {
 public:
  ServerReportSource(client::LedgerClient& client, std::vector<ServedStream> streams,
                     std::string origin);

  std::vector<std::string> Targets() const override;
  std::string Origin() const override { return origin_; }
  Status ReadEvents(const std::string& target,
                    const std::function<bool(const v1::Event&)>& fn) override;
  StatusOr<ledger::VerifyReport> Verify(const std::string& target) override;

 private:
  const ServedStream* Find(const std::string& stream) const;

  client::LedgerClient& client_;
  std::vector<ServedStream> streams_;
  std::string origin_;
};

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_NET_REMOTE_SOURCES_H_
