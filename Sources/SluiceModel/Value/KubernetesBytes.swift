import Foundation

/// `[]byte` fields (Secret `data`, ConfigMap `binaryData`) as the API server reads them: Go's
/// base64 decoder skips carriage returns and newlines, so kustomize's 70-column lines are valid.
public enum KubernetesBytes {
    /// The decoded bytes, or nil when `text` is not base64.
    public static func decode(_ text: String) -> Data? {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.lazy.filter { $0 != "\n" && $0 != "\r" })
        return Data(base64Encoded: String(scalars))
    }
}
