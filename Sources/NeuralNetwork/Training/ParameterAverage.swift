import LinearAlgebra

/// The running arithmetic mean of a network's parameters over the snapshots added to it
/// (Polyak–Ruppert iterate averaging, as in the averaged SGD of AWD-LSTM): after `n`
/// snapshots θ₁ … θₙ, `network` holds (θ₁ + … + θₙ) / n, kept as
/// `mean ← mean + (θₙ − mean) / n` so that no sum grows with the run.
public struct ParameterAverage<Network: NamedParameters> {
    /// The mean of the snapshots so far (`nil` before the first).
    public private(set) var network: Network?
    /// The number of snapshots averaged.
    public private(set) var count = 0

    /// An empty average.
    public init() {}

    /// An average of `count` snapshots whose mean is `network` (read back from a
    /// checkpoint).
    public init(network: Network, count: Int) {
        precondition(count >= 1, "an average of \(count) snapshots")
        self.network = network
        self.count = count
    }

    /// Adds the snapshot `parameters` to the mean.
    public mutating func add(_ parameters: Network) {
        count += 1
        guard var mean = network else {
            network = parameters
            return
        }
        network = nil  // `mean` is then the only reference: updated in place.
        var snapshot = parameters
        var matrices: [Matrix<Network.Scalar>] = []
        snapshot.visitParameters { _, matrix in matrices.append(matrix) }
        let weight = Network.Scalar(1) / Network.Scalar(count)
        var i = 0
        mean.visitParameters { _, matrix in
            matrix.scale(by: 1 - weight)
            matrix.add(matrices[i], scaledBy: weight)
            i += 1
        }
        network = mean
    }
}
