import Foundation
import SluiceTestSupport

/// `git http-backend` behind the Python server in Support/, with optional credentials and TLS.
enum GitHTTPServer {
    static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/git-http-server.py")
    }

    static func start(
        exporting root: URL, user: String? = nil, password: String? = nil, token: String? = nil,
        tls: (cert: URL, key: URL)? = nil
    ) throws -> ServerProcess {
        var command = ["python3", script.path, "--root", root.path]
        if let user, let password { command += ["--user", user, "--password", password] }
        if let token { command += ["--token", token] }
        if let tls { command += ["--tls-cert", tls.cert.path, "--tls-key", tls.key.path] }
        let (pid, stdout) = try ServerProcess.launch(command, outputTo: root.appendingPathComponent("../http.log"))
        // The server prints "PORT <port>" once it listens.
        var line = Data()
        while let byte = try stdout.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line += byte
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            kill(pid, SIGKILL)
            _ = Subprocess.wait(pid)
            throw Shell.Failure(command: command, status: -1, stderr: "server did not start: \(text)")
        }
        return ServerProcess(pid: pid, port: port)
    }
}

/// A CA and a server certificate for 127.0.0.1, made with the openssl CLI.
struct TestCertificates {
    let caCert: URL
    let serverCert: URL
    let serverKey: URL

    init(in directory: URL) throws {
        caCert = directory.appendingPathComponent("ca.pem")
        let caKey = directory.appendingPathComponent("ca.key")
        serverCert = directory.appendingPathComponent("server.pem")
        serverKey = directory.appendingPathComponent("server.key")
        let request = directory.appendingPathComponent("server.csr")
        let extensions = directory.appendingPathComponent("server.ext")
        try Shell.run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=Sluice Test CA", "-keyout", caKey.path, "-out", caCert.path,
        ])
        try Shell.run([
            "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", serverKey.path, "-out", request.path,
        ])
        try Data("subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost\n".utf8).write(to: extensions)
        try Shell.run([
            "openssl", "x509", "-req", "-in", request.path, "-CA", caCert.path, "-CAkey", caKey.path,
            "-CAcreateserial", "-days", "2", "-extfile", extensions.path, "-out", serverCert.path,
        ])
    }
}

/// Debian's OpenSSH server on 127.0.0.1 with a generated host key, accepting one generated
/// user key for the current user.
final class SSHServer {
    let server: ServerProcess
    let userKey: URL
    let hostPublicKey: String
    let user: String
    var port: Int { server.port }

    /// The known_hosts line that trusts this server.
    var knownHostsLine: String {
        let parts = hostPublicKey.split(separator: " ")
        return "[127.0.0.1]:\(port) \(parts[0]) \(parts[1])\n"
    }

    init(directory: URL) throws {
        let hostKey = directory.appendingPathComponent("ssh_host_ed25519_key")
        userKey = directory.appendingPathComponent("id_ed25519")
        try Shell.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey.path])
        try Shell.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", userKey.path])
        hostPublicKey = try String(contentsOf: hostKey.appendingPathExtension("pub"), encoding: .utf8)
        let authorizedKeys = directory.appendingPathComponent("authorized_keys")
        try FileManager.default.copyItem(at: userKey.appendingPathExtension("pub"), to: authorizedKeys)
        user = String(cString: getpwuid(getuid())!.pointee.pw_name)
        let port = try freeLoopbackPort()
        let config = directory.appendingPathComponent("sshd_config")
        try Data(
            """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey.path)
            AuthorizedKeysFile \(authorizedKeys.path)
            PidFile \(directory.appendingPathComponent("sshd.pid").path)
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            StrictModes no
            UsePAM no
            LogLevel ERROR

            """.utf8
        ).write(to: config)
        // Privilege separation needs this directory; a fresh machine may not have it yet.
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let (pid, _) = try ServerProcess.launch(
            ["/usr/sbin/sshd", "-D", "-e", "-f", config.path], outputTo: directory.appendingPathComponent("sshd.log"))
        server = ServerProcess(pid: pid, port: port)
        try waitForListener(port: port)
    }

    func url(for repository: URL) -> String {
        "ssh://\(user)@127.0.0.1:\(port)\(repository.path)"
    }
}
