import CLibFuzzer
import Foundation

/// Runs libFuzzer on one target. SwiftPM makes an executable's top-level code its `main`, in place of
/// libFuzzer's: the top-level code hands the target (also exported as `LLVMFuzzerTestOneInput`, which
/// libFuzzer's unused `main` names) to libFuzzer's driver, which reads the command line as its
/// `main` would.
public enum FuzzDriver {
    public typealias Target = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    public static func run(_ target: Target) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, target))
    }

    /// The input as a buffer (libFuzzer passes a null pointer for the empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: size > 0 ? data : nil, count: size)
    }
}
