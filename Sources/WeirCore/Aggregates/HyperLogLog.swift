import Foundation

/// A HyperLogLog distinct-count sketch with 2^precision one-byte registers.
///
/// Standard error 1.04/√(2^precision) (1.6 % at the default precision 12). Merging takes the
/// register-wise maximum, so any merge order gives identical registers and an identical estimate.
/// Values are hashed with `StableHash` over their `ValueEncoding`.
public final class HyperLogLog {
    public let precision: Int
    public private(set) var registers: [UInt8]

    public init(precision: Int) {
        precondition((4...16).contains(precision), "HyperLogLog precision must be 4...16, got \(precision)")
        self.precision = precision
        self.registers = [UInt8](repeating: 0, count: 1 << precision)
    }

    public init(precision: Int, registers: [UInt8]) {
        precondition(registers.count == 1 << precision, "HyperLogLog needs 2^precision registers")
        self.precision = precision
        self.registers = registers
    }

    /// The standard error of the estimate, as a fraction.
    public static func standardError(precision: Int) -> Double { 1.04 / Double(1 << precision).squareRoot() }

    public func add(hash: UInt64) {
        let (index, rank) = HyperLogLog.registerUpdate(hash: hash, precision: precision)
        registers.withUnsafeMutableBufferPointer { r in
            if r[index] < rank { r[index] = rank }
        }
    }

    /// Which register a hash updates and with what rank (1 + leading zeros after the index bits).
    @inlinable
    public static func registerUpdate(hash: UInt64, precision: Int) -> (index: Int, rank: UInt8) {
        let index = Int(hash >> UInt64(64 - precision))
        let rest = (hash << UInt64(precision)) | (1 << UInt64(precision - 1))  // guard bit bounds the rank
        return (index, UInt8(rest.leadingZeroBitCount + 1))
    }

    public func merge(_ other: HyperLogLog) {
        precondition(other.precision == precision, "cannot merge HyperLogLog sketches of different precision")
        for i in registers.indices where other.registers[i] > registers[i] { registers[i] = other.registers[i] }
    }

    public func copy() -> HyperLogLog { HyperLogLog(precision: precision, registers: registers) }

    public var estimate: Int64 { HyperLogLog.estimate(registers: registers) }

    /// The HLL estimate with linear counting for small cardinalities (Flajolet et al. 2007).
    public static func estimate(registers: [UInt8]) -> Int64 {
        let m = Double(registers.count)
        var inverseSum = 0.0
        var zeros = 0
        for r in registers {
            inverseSum += 1.0 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let alpha: Double
        switch registers.count {
        case 16: alpha = 0.673
        case 32: alpha = 0.697
        case 64: alpha = 0.709
        default: alpha = 0.7213 / (1 + 1.079 / m)
        }
        let raw = alpha * m * m / inverseSum
        if raw <= 2.5 * m && zeros > 0 {
            return Int64((m * log(m / Double(zeros))).rounded())
        }
        return Int64(raw.rounded())
    }
}
