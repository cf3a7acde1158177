// ServerEventReader: the EventReader (cairn/store/event_reader.h) of a
// ledger served by `cairn serve`, read through the Ledger gRPC service
// (docs/service.md) instead of the target's database.
//
//   CAIRN_ASSIGN_OR_RETURN(auto reader, client::ServerEventReader::Connect(options));
//   reader->SetTarget("campus", "campus_target");  // optional: see SetTarget
//   CAIRN_ASSIGN_OR_RETURN(auto report, reader->Verify("campus"));
//
// How each call goes to the server:
//   Streams      ListStreams                         (a reader's call)
//   Read         ReadStream, page by page            (a reader's call)
//   Follow       Subscribe, kept open across calls   (a reader's call)
//   ReadRecords  Export                              (an exporter's call)
//   Verify       Verify                              (a reader's call)
//
// Follow: the first Follow(stream, after, ...) starts a subscription on a
// background thread from `after` (exclusive). Records go into a bounded
// queue (`queue_limit` events; the subscription's thread waits while it is
// full, so memory does not grow with the history or with a slow consumer);
// Follow hands them out in position order. The subscription reconnects with
// backoff when the server is unavailable (a restart) and resumes after the
// last record it queued, so the queue sees every position once, in order.
// A subscription that ends with anything but UNAVAILABLE (a revoked token:
// UNAUTHENTICATED; an unknown stream: NOT_FOUND) is returned by the next
// Follow. Follow with another stream, or an `after` other than the last
// position it handed out, starts a new subscription from there.
//
// Thread safety: one thread calls the reader; the subscription runs on its own.
#ifndef CAIRN_CLIENTS_CLIENT_SERVER_READER_H_
#define CAIRN_CLIENTS_CLIENT_SERVER_READER_H_

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cairn/store/event_reader.h"
#include "client/ledger_client.h"

namespace cairn::client {

class ServerEventReader final : public ledger::EventReader {
 public:
  // Makes the connections to the server `options` names (gRPC connects on
  // the first call). `queue_limit`: Follow's queue, in events.
  static StatusOr<std::unique_ptr<ServerEventReader>> Connect(ClientOptions options,
                                                              size_t queue_limit = 1024);
  ~ServerEventReader() override;

  // Reads `stream` from the served `target`. Without it the target is the
  // one ListStreams shows holding the stream (several: kInvalidArgument),
  // except for ReadRecords and Follow, which let the server choose (an
  // exporter may not call ListStreams). A stream no target holds yet reads
  // as empty, and can be followed from its first event only when named here.
  void SetTarget(const std::string& stream, const std::string& target);

  // The client of the reads, for a caller that resolves streams first.
  LedgerClient& client() { return *reader_; }

  std::string Origin() const override { return "grpc://" + options_.address; }
  // The served streams, sorted by target, then stream (ListStreams).
  StatusOr<std::vector<std::string>> Streams() override;
  Status Read(std::string_view stream, const ledger::ReadRange& range,
              const ledger::EventFn& fn) override;
  StatusOr<std::vector<v1::Event>> Follow(std::string_view stream, int64_t after, int max,
                                          std::chrono::milliseconds timeout) override;
  // Empty `streams`: one Export of every stream of every target. A response
  // sequence that does not hold together (a record of another stream before
  // the previous stream's end, a head that is not the last record sent) is
  // kDataLoss.
  StatusOr<int64_t> ReadRecords(const std::vector<std::string>& streams,
                                ledger::RecordSink& sink) override;
  StatusOr<ledger::VerifyReport> Verify(std::string_view stream) override;

 private:
  ServerEventReader(ClientOptions options, std::unique_ptr<LedgerClient> reader, size_t queue_limit)
      : options_(std::move(options)), queue_limit_(queue_limit), reader_(std::move(reader)) {}
  // The target of `stream`: SetTarget's, else ListStreams'; "" when no
  // target holds it.
  StatusOr<std::string> TargetOf(std::string_view stream);
  StatusOr<int64_t> ExportOne(const v1::ExportRequest& request, ledger::RecordSink& sink);
  Status Start(std::string_view stream, int64_t after);
  void Stop();

  const ClientOptions options_;
  const size_t queue_limit_;
  std::unique_ptr<LedgerClient> reader_;
  std::map<std::string, std::string, std::less<>> targets_;  // SetTarget
  std::map<std::string, std::string, std::less<>> listed_;   // ListStreams; "" for several

  // The running subscription (one at a time).
  std::unique_ptr<LedgerClient> subscriber_;
  std::thread thread_;
  std::string following_;    // its stream
  int64_t handed_out_ = -1;  // last position Follow returned; -1: none running

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::Event> queue_;
  bool stopping_ = false;
  bool ended_ = false;  // the subscription's thread returned
  Status error_;        // why it returned
};

}  // namespace cairn::client

#endif  // CAIRN_CLIENTS_CLIENT_SERVER_READER_H_
