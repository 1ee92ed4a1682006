import Dispatch
import Synchronization

private final class ResultBox<Value: Sendable>: Sendable {
    let result: Mutex<Result<Value, any Error>?> = Mutex(nil)
}

/// Runs `body` on the concurrency pool and waits for it: libFuzzer's callback is synchronous.
/// A thrown error stops the run (a harness's setup or an invariant failed).
public func blocking<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) -> Value {
    let box = ResultBox<Value>()
    let done = DispatchSemaphore(value: 0)
    Task {
        let result: Result<Value, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        box.result.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    return try! box.result.withLock { $0! }.get()
}
