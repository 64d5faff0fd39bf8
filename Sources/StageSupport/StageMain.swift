import ArgumentParser
import Table
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs a stage command: parses the arguments, runs it, and turns every error into one message on
/// stderr, `mimir-STAGE: error: ...`, and the exit code the stage contract fixes: 2 for a usage
/// error, 3 for bad or missing input, 1 for anything else (docs/development.md, "Exit codes").
public enum StageMain {
    /// Parses the command line into `command`, runs it and exits with the stage contract's code.
    public static func run<Command: ParsableCommand>(_ command: Command.Type) -> Never {
        let name = Command.configuration.commandName ?? "mimir"
        AllocatorPolicy.keepFreedMemory()
        func exit(_ code: Int32) -> Never {
            PeakMemory.report()
            Glibc.exit(code)
        }
        do {
            var parsed = try Command.parseAsRoot()
            try parsed.run()
            exit(0)
        } catch let error as ClassifiedError {
            writeToStandardError("\(name): error: \(error.description)\n")
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
            // ArgumentParser's usage errors (an unknown or missing option, a value that does not parse, a
            // failed `validate()`) are 2; an error no library classified is an internal fault, 1.
            let usage = code == .validationFailure
            writeToStandardError("\(name): error: \(Command.message(for: error))\n" + (usage ? "(see \(name) --help)\n" : ""))
            exit(usage ? 2 : 1)
        }
    }
}

/// Creates `path` (and its parents) if it does not exist, as `mkdir -p` does.
public func makeOutputDirectory(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
        prefix += component
        if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
            throw ValidationError("cannot create the output directory \(path): \(String(cString: strerror(errno))) (\(prefix))")
        }
        prefix += "/"
    }
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
        throw ValidationError("cannot create the output directory \(path): a file of that name is in the way")
    }
}
