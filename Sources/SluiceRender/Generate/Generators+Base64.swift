import Foundation

extension Generators {
    /// Base64 as kustomize's generators write it: an encoding of 70 characters or more is cut
    /// into lines of 70, each ending in a newline (so it prints as a literal block); a shorter
    /// one stays on one line. The name-suffix hash is taken over this text, so it must match.
    static func base64Lines(_ bytes: Data) -> String {
        let encoded = bytes.base64EncodedString()
        let lineLength = 70
        guard encoded.utf8.count >= lineLength else { return encoded }
        var text = ""
        text.reserveCapacity(encoded.utf8.count + encoded.utf8.count / lineLength + 1)
        var rest = Substring(encoded)
        while !rest.isEmpty {
            text += rest.prefix(lineLength)
            text += "\n"
            rest = rest.dropFirst(lineLength)
        }
        return text
    }
}
