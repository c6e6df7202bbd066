import Foundation
import NIOSSL

/// HTTPS for the HTTP API and the web page: swift-nio-ssl (BoringSSL inside) under
/// Hummingbird's TLS channel, with the certificate chain and key of `[http] tls_certificate`
/// and `tls_key`. TLS 1.2 at least (swift-nio-ssl's default floor), HTTP/1.1 only.
enum HTTPTLS {
    /// Why the file at `path` is no PEM certificate chain, or nil when it is one.
    static func certificateProblem(path: String) -> String? {
        if let problem = fileProblem(path) { return problem }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(path)
            return chain.isEmpty ? "\"\(path)\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)" : nil
        } catch {
            return "\"\(path)\" is not a PEM certificate chain (\(error))"
        }
    }

    /// Why the file at `path` is no PEM private key, or nil when it is one.
    static func keyProblem(path: String) -> String? {
        if let problem = fileProblem(path) { return problem }
        do {
            _ = try NIOSSLPrivateKey(file: path, format: .pem)
            return nil
        } catch {
            return "\"\(path)\" is not a PEM private key (\(error))"
        }
    }

    private static func fileProblem(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "\"\(path)\": no such file" }
        guard !isDirectory.boolValue else { return "\"\(path)\" is a directory, not a PEM file" }
        guard FileManager.default.isReadableFile(atPath: path) else { return "\"\(path)\" cannot be read (permissions?)" }
        return nil
    }

    /// The server's TLS configuration from the two files; throws what swift-nio-ssl says.
    static func serverConfiguration(_ tls: VigilSettings.HTTP.TLS) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificatePath)
        let key = try NIOSSLPrivateKey(file: tls.keyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        // HTTP/1.1 only: the server is Hummingbird's HTTP/1 channel.
        configuration.applicationProtocols = ["http/1.1"]
        return configuration
    }
}
