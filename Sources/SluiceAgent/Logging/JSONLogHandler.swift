import Foundation
import Logging
import OrderedCollections
import SluiceModel

/// `--log-format json`: one JSON object per line on standard error (time, level, logger,
/// message, then the metadata), for log shippers.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line: JSONObject = [
            "time": .string(KubernetesTime.microTime(Date())), "level": .string(event.level.rawValue), "logger": .string(label),
            "message": .string("\(event.message)"),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
            line[key] = .string("\(value)")
        }
        FileHandle.standardError.write(Data((JSONValue.object(line).jsonText() + "\n").utf8))
    }
}
