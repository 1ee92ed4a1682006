import Foundation
import SluiceModel

/// Where and how to reach an API server: from kubeconfig files (KUBECONFIG with several files,
/// or ~/.kube/config; current-context; bearer token or client certificate; CA data or file;
/// `insecure-skip-tls-verify` only when set), or from a pod's service account.
public struct Kubeconfig: Sendable, Hashable {
    public var server: String
    public var certificateAuthorityPEM: String?
    public var token: String?
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
    public var insecureSkipTLSVerify: Bool
    /// The context's namespace, when it names one.
    public var namespace: String?

    public init(
        server: String, certificateAuthorityPEM: String? = nil, token: String? = nil, clientCertificatePEM: String? = nil,
        clientKeyPEM: String? = nil, insecureSkipTLSVerify: Bool = false, namespace: String? = nil
    ) {
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.token = token
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.namespace = namespace
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The configuration `kubectl` would use: `path` if given, else the files of KUBECONFIG
    /// (merged; the first file to set a value wins), else `~/.kube/config`.
    public static func load(path: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Kubeconfig {
        let files: [String]
        if let path {
            files = [path]
        } else if let list = environment["KUBECONFIG"], !list.isEmpty {
            files = list.split(separator: ":").map(String.init)
        } else {
            files = [(environment["HOME"] ?? NSHomeDirectory()) + "/.kube/config"]
        }
        var documents: [(JSONValue, URL)] = []
        for file in files {
            let url = URL(fileURLWithPath: file)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                if files.count == 1 { throw Failure(description: "cannot read kubeconfig \(file)") }
                continue
            }
            do {
                if let value = try YAMLDecoder().documents(text, file: file).first?.value { documents.append((value, url.deletingLastPathComponent())) }
            } catch {
                throw Failure(description: "\(error)")
            }
        }
        return try merged(documents)
    }

    /// Parses one kubeconfig text (paths in it are relative to `directory`).
    public static func parse(_ text: String, directory: URL = URL(fileURLWithPath: ".")) throws -> Kubeconfig {
        do {
            guard let value = try YAMLDecoder().documents(text, file: "kubeconfig").first?.value else {
                throw Failure(description: "empty kubeconfig")
            }
            return try merged([(value, directory)])
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    private static func merged(_ documents: [(JSONValue, URL)]) throws -> Kubeconfig {
        var currentContext: String?
        var contexts: [String: (JSONValue, URL)] = [:]
        var clusters: [String: (JSONValue, URL)] = [:]
        var users: [String: (JSONValue, URL)] = [:]
        for (document, directory) in documents {
            if currentContext == nil, let name = document["current-context"]?.stringValue, !name.isEmpty { currentContext = name }
            for (list, key) in [("contexts", "context"), ("clusters", "cluster"), ("users", "user")] {
                for item in document[list]?.arrayValue ?? [] {
                    guard let name = item["name"]?.stringValue, let body = item[key] else { continue }
                    switch list {
                    case "contexts": if contexts[name] == nil { contexts[name] = (body, directory) }
                    case "clusters": if clusters[name] == nil { clusters[name] = (body, directory) }
                    default: if users[name] == nil { users[name] = (body, directory) }
                    }
                }
            }
        }
        guard let contextName = currentContext, let (context, _) = contexts[contextName] else {
            throw Failure(description: "kubeconfig has no current-context")
        }
        guard let clusterName = context["cluster"]?.stringValue, let (cluster, clusterDirectory) = clusters[clusterName],
            let server = cluster["server"]?.stringValue
        else { throw Failure(description: "kubeconfig context \(contextName) names no cluster with a server") }
        var config = Kubeconfig(server: server, insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"]?.boolValue ?? false)
        config.namespace = context["namespace"]?.stringValue
        config.certificateAuthorityPEM = try material(cluster, data: "certificate-authority-data", file: "certificate-authority", clusterDirectory)
        if let userName = context["user"]?.stringValue, let (user, userDirectory) = users[userName] {
            config.token = user["token"]?.stringValue
            if config.token == nil, let file = user["tokenFile"]?.stringValue {
                config.token = try String(contentsOf: resolve(file, userDirectory), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            config.clientCertificatePEM = try material(user, data: "client-certificate-data", file: "client-certificate", userDirectory)
            config.clientKeyPEM = try material(user, data: "client-key-data", file: "client-key", userDirectory)
        }
        return config
    }

    private static func resolve(_ path: String, _ directory: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
    }

    private static func material(_ value: JSONValue, data: String, file: String, _ directory: URL) throws -> String? {
        if let encoded = value[data]?.stringValue {
            guard let decoded = Data(base64Encoded: encoded), let text = String(data: decoded, encoding: .utf8) else {
                throw Failure(description: "kubeconfig \(data) is not base64-encoded PEM")
            }
            return text
        }
        if let path = value[file]?.stringValue { return try String(contentsOf: resolve(path, directory), encoding: .utf8) }
        return nil
    }

    /// A pod's service-account configuration (KUBERNETES_SERVICE_HOST/PORT, the mounted token,
    /// CA and namespace); nil outside a cluster.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: URL = URL(fileURLWithPath: "/var/run/secrets/kubernetes.io/serviceaccount")
    ) -> Kubeconfig? {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"],
            let token = try? String(contentsOf: directory.appendingPathComponent("token"), encoding: .utf8)
        else { return nil }
        let hostText = host.contains(":") ? "[\(host)]" : host
        return Kubeconfig(
            server: "https://\(hostText):\(port)",
            certificateAuthorityPEM: try? String(contentsOf: directory.appendingPathComponent("ca.crt"), encoding: .utf8),
            token: token.trimmingCharacters(in: .whitespacesAndNewlines),
            namespace: (try? String(contentsOf: directory.appendingPathComponent("namespace"), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
