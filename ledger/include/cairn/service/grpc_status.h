// The one place where cairn::Status and grpc::Status are converted. The codes
// are numerically identical (status.h); messages pass through unchanged.
#ifndef CAIRN_SERVICE_GRPC_STATUS_H_
#define CAIRN_SERVICE_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "cairn/base/status.h"

namespace cairn::service {

grpc::Status ToGrpcStatus(const Status& s);
Status FromGrpcStatus(const grpc::Status& s);

}  // namespace cairn::service

#endif  // CAIRN_SERVICE_GRPC_STATUS_H_
