#include "cairn/rpc/grpc_status.h"

namespace cairn::rpc {

grpc::Status ToGrpcStatus(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(s.code())), s.message());
}

Status FromGrpcStatus(const grpc::Status& s) {
  if (s.ok()) return Status::Ok();
  const int code = static_cast<int>(s.error_code());
  const StatusCode c =
      code >= 1 && code <= 16 ? static_cast<StatusCode>(code) : StatusCode::kUnknown;
  return Status(c, s.error_message());
}

}  // namespace cairn::rpc
