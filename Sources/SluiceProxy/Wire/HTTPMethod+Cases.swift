import NIOHTTP1

extension HTTPMethod {
    // Matched as cases: `==` on NIO's HTTPMethod is RawRepresentable's, which makes and compares
    // both `rawValue` strings, and these are asked on every request and response.
    var isGET: Bool { if case .GET = self { true } else { false } }
    var isHEAD: Bool { if case .HEAD = self { true } else { false } }
    var isCONNECT: Bool { if case .CONNECT = self { true } else { false } }
}
