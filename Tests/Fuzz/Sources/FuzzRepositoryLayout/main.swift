import FuzzSupport
import SluiceAgent

/// One input: `sluice.yaml` text → layout or a list of problems, each naming its line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRepositoryLayout(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
    do {
        let layout = try RepositoryLayout.parse(text)
        precondition(!layout.targets.isEmpty, "a layout without targets was accepted")
    } catch {
        precondition(!error.problems.isEmpty, "refused without a reason")
    }
    return 0
}

runLibFuzzer { data, size in fuzzRepositoryLayout(data, size) }
