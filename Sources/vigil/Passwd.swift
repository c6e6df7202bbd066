import Access
import ArgumentParser
import Foundation
import VigilKit

/// `vigil passwd --user NAME`: turns a password into the line a `[[user]]` table holds. The
/// password is read from stdin (its first line), so it never appears in `ps` or a shell
/// history; on a terminal, without echo.
struct Passwd: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the `password = \"v1$…\"` line of a [[user]] for a password read from stdin.",
        discussion: """
            The line holds a PBKDF2 hash (for Basic) and the digest HA1 values for the user in the \
            realm, never the password. The realm is --realm, else [access] realm of --config (or \
            \(VigilConfigFile.defaultPath) when it exists), else "Vigil". A renamed user or a new \
            realm needs a new line.
            """)

    @Option(help: "The user name, as in the [[user]] table's name.") var user: String
    @Option(help: "The digest realm (default: the config's [access] realm, else Vigil).") var realm: String?
    @Option(help: "The config file whose [access] realm to use.") var config: String?

    func run() throws {
        let realm = try self.realm ?? configuredRealm()
        guard let password = Self.readPassword(), !password.isEmpty else {
            FileHandle.standardError.write(Data("vigil passwd: no password on stdin (an empty one is refused)\n".utf8))
            throw ExitCode.failure
        }
        var random = SystemRandomNumberGenerator()
        let credential: StoredCredential
        do {
            credential = try StoredCredential.make(
                user: user, password: password, realm: realm, salt: StoredCredential.randomSalt(using: &random))
        } catch {
            FileHandle.standardError.write(Data("vigil passwd: \(error)\n".utf8))
            throw ExitCode.failure
        }
        print("password = \"\(credential.encoded)\"")
    }

    private func configuredRealm() throws -> String {
        let path = config ?? VigilConfigFile.defaultPath
        do {
            return try VigilConfigFile.load(path: path, missingIsDefault: config == nil).access.realm
        } catch {
            FileHandle.standardError.write(Data("\(error.description)\nvigil passwd: cannot read the realm from \(path); give --realm\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The first line of stdin without its line break; nil at end of input.
    static func readPassword() -> String? {
        let terminal = isatty(STDIN_FILENO) == 1
        var saved = termios()
        if terminal {
            FileHandle.standardError.write(Data("Password: ".utf8))
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if terminal {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        guard var line = readLine(strippingNewline: true) else { return nil }
        if line.hasSuffix("\r") { line.removeLast() }
        return line
    }
}
