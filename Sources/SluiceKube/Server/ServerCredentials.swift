import Crypto
import Foundation
import X509

/// The TLS and authentication material of the embedded API server, kept under
/// `<data-dir>/pki/`: a CA made on first start, a server certificate for 127.0.0.1, ::1 and
/// localhost signed by it, and a bearer token. Kept across restarts so a written kubeconfig
/// stays valid.
public struct ServerCredentials: Sendable {
    public var caCertificatePEM: String
    public var serverCertificatePEM: String
    public var serverKeyPEM: String
    public var token: String

    /// Loads the material from `directory`, generating whatever is missing.
    public static func loadOrCreate(in directory: URL) throws -> ServerCredentials {
        let pki = directory.appendingPathComponent("pki", isDirectory: true)
        try FileManager.default.createDirectory(at: pki, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let files = ["ca.crt", "server.crt", "server.key", "token"].map { pki.appendingPathComponent($0) }
        if let texts = try? files.map({ try String(contentsOf: $0, encoding: .utf8) }) {
            return ServerCredentials(
                caCertificatePEM: texts[0], serverCertificatePEM: texts[1], serverKeyPEM: texts[2],
                token: texts[3].trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let credentials = try generate()
        let texts = [credentials.caCertificatePEM, credentials.serverCertificatePEM, credentials.serverKeyPEM, credentials.token]
        for (file, text) in zip(files, texts) {
            try Data(text.utf8).write(to: file, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        }
        return credentials
    }

    /// A fresh CA, server certificate and token.
    public static func generate(now: Date = Date()) throws -> ServerCredentials {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("sluice-embedded-ca") }
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PrivateKey(caKey).publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))
        let serverKey = P256.Signing.PrivateKey()
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PrivateKey(serverKey).publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: caName, subject: try DistinguishedName { CommonName("sluice-embedded-apiserver") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"), .ipAddress(.init(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(.init(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16).leftPadded2 }.joined()
        return ServerCredentials(
            caCertificatePEM: try ca.serializeAsPEM().pemString + "\n", serverCertificatePEM: try server.serializeAsPEM().pemString + "\n",
            serverKeyPEM: serverKey.pemRepresentation + "\n", token: token)
    }

    /// A kubeconfig for `server` (`https://127.0.0.1:6443`) with this CA and token.
    public func kubeconfig(server: String, name: String = "sluice") -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: \(name)
          cluster:
            server: \(server)
            certificate-authority-data: \(Data(caCertificatePEM.utf8).base64EncodedString())
        users:
        - name: \(name)
          user:
            token: \(token)
        contexts:
        - name: \(name)
          context:
            cluster: \(name)
            user: \(name)
        current-context: \(name)

        """
    }
}
