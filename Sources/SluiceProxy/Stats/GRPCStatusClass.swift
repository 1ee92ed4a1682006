import NIOHTTP1

/// gRPC answers HTTP 200 whatever the call's outcome; the outcome is the `grpc-status` trailer.
/// For statistics (and so for the canary's evidence) a GRPCRoute's response counts as the HTTP
/// status its gRPC status stands for, by Envoy's mapping (`Grpc::Utility::grpcToHttpStatus`):
/// UNAVAILABLE is a 503, INTERNAL a 500, NOT_FOUND a 404, and so on.
enum GRPCStatusClass {
    /// The HTTP status `trailers`' `grpc-status` stands for; `status` when there is none (a
    /// response that is not gRPC's, or an HTTP error on the way).
    static func httpStatus(trailers: HTTPHeaders?, otherwise status: Int) -> Int {
        guard status == 200, let code = trailers?.first(name: "grpc-status").flatMap({ Int($0) }) else { return status }
        return code < httpStatuses.count ? httpStatuses[code] : 500
    }

    /// By gRPC code: OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND,
    /// ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED,
    /// OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED.
    static let httpStatuses = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401]
}
