// The one place where cairn::Status and grpc::Status are converted. The codes
// are numerically identical (status.h); messages pass through unchanged.
// Its own module (cairn_rpc) so that the server (cairn_service) and the
// client library (cairn_client) share it without the client linking the
// server.
#ifndef CAIRN_RPC_GRPC_STATUS_H_
#define CAIRN_RPC_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "cairn/base/status.h"

namespace cairn::rpc {

grpc::Status ToGrpcStatus(const Status& s);
Status FromGrpcStatus(const grpc::Status& s);

}  // namespace cairn::rpc

#endif  // CAIRN_RPC_GRPC_STATUS_H_
