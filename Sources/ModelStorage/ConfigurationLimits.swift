import Foundation

/// A configuration read from a model file whose sizes can be checked against the
/// parameters the file actually holds, before a network of that configuration is built.
///
/// A model file is untrusted input: its checksum catches accidental corruption, but a
/// header that states absurd hyper-parameters (a hidden size of a million, zero layers, a
/// negative dimension) would otherwise make the loader allocate or trap while building the
/// network, before any parameter's shape is compared. `ModelFile.decodeConfiguration`
/// calls `checkSizes(against:)` on every configuration that conforms.
public protocol SizeCheckedConfiguration {
    /// Throws `ModelFileError.implausibleConfiguration` when a size is out of range or
    /// when the network this configuration describes needs more parameter values than
    /// `file` stores.
    func checkSizes(against file: ModelFile) throws
}

/// Overflow-safe sums and products of sizes, saturating at `Int.max`.
public struct ParameterCount {
    /// A count of zero.
    public init() {}

    /// The running total.
    public private(set) var total = 0

    /// Adds `factors` multiplied together.
    public mutating func add(_ factors: Int...) {
        var product = 1
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: max(0, factor))
            product = overflow ? Int.max : next
        }
        let (sum, overflow) = total.addingReportingOverflow(product)
        total = overflow ? Int.max : sum
    }
}

extension ModelFile {
    /// The number of scalars all parameters hold together, counting rows read from a shared
    /// table (each costs four bytes of its map in this file) as the parameter's own.
    public var storedScalarCount: Int {
        var count = ParameterCount()
        for p in parameters {
            count.add(p.matrix.count)
            if let reference = sharedRows[p.name] {
                count.add(reference.rows.count - reference.storedRowCount, p.matrix.columns)
            }
        }
        return count.total
    }

    /// Throws unless `value` lies in `range`; `name` is the hyper-parameter's key.
    public func requireSize(_ name: String, _ value: Int, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ModelFileError.implausibleConfiguration(
                reason: "\(name) is \(value), expected \(range.lowerBound) to \(range.upperBound)")
        }
    }

    /// Throws unless `value` is finite and lies in `range`.
    public func requireRate(_ name: String, _ value: Double, in range: Range<Double>) throws {
        guard value.isFinite, range.contains(value) else {
            throw ModelFileError.implausibleConfiguration(
                reason:
                    "\(name) is \(value), expected at least \(range.lowerBound) and below \(range.upperBound)"
            )
        }
    }

    /// Throws unless the `least` parameter values a configuration implies are stored.
    public func requireStored(atLeast least: ParameterCount) throws {
        let stored = storedScalarCount
        guard least.total <= stored else {
            throw ModelFileError.implausibleConfiguration(
                reason:
                    "they need at least \(least.total == Int.max ? "2^63" : String(least.total)) parameter values, the file holds \(stored)"
            )
        }
    }

    /// The number of entries of the vocabulary `name` (0 when absent).
    public func vocabularySize(_ name: String) -> Int { vocabularies[name]?.count ?? 0 }
}
