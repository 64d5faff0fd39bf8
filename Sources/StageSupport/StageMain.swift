import ArgumentParser
import Foundation
import Table

/// Runs a stage command: parses the arguments, runs it, and turns every error into a message on
/// stderr (prefixed with the stage's name) and the exit code the stage contract fixes: 2 for a usage
/// error, 3 for bad input, 1 for anything else.
public enum StageMain {
    public static func run<Command: ParsableCommand>(_ command: Command.Type) -> Never {
        let name = Command.configuration.commandName ?? "mimir"
        AllocatorPolicy.keepFreedMemory()
        do {
            var parsed = try Command.parseAsRoot()
            try parsed.run()
            exit(0)
        } catch let error as ClassifiedError {
            FileHandle.standardError.write(Data("\(name): error: \(error.description)\n".utf8))
            switch error.errorClass {
            case .usage: exit(2)
            case .badInput: exit(3)
            case .failure: exit(1)
            }
        } catch {
            let code = Command.exitCode(for: error)
            if code == .success {
                Command.exit(withError: error)  // --help, --version
            }
            FileHandle.standardError.write(Data((Command.fullMessage(for: error) + "\n").utf8))
            exit(code == .validationFailure ? 2 : 1)
        }
    }
}

/// Creates `path` (and its parents) if it does not exist.
public func makeOutputDirectory(_ path: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        throw ValidationError("cannot create the output directory \(path): \(error.localizedDescription)")
    }
}
