import LinearAlgebra

/// A named trainable matrix of a layer, reached by key path.
public struct Parameter<Layer, Scalar: BLASScalar> {
    /// A stable name such as `Wx` or `encoder.forward.Wh`, used by model files,
    /// optimizers and error messages.
    public var name: String
    /// Where the matrix lives inside the layer.
    public var keyPath: WritableKeyPath<Layer, Matrix<Scalar>>

    /// A parameter with the given name and location.
    public init(_ name: String, _ keyPath: WritableKeyPath<Layer, Matrix<Scalar>>) {
        self.name = name
        self.keyPath = keyPath
    }

    /// The same parameter seen from a layer that contains this one at `path`,
    /// named `prefix.name`.
    public func nested<Outer>(in path: WritableKeyPath<Outer, Layer>, prefix: String)
        -> Parameter<Outer, Scalar>
    {
        Parameter<Outer, Scalar>(prefix + "." + name, path.appending(path: keyPath))
    }
}

/// A value that owns trainable matrices, listed once in a fixed order.
///
/// The list is what the optimizer, the model file, the gradient checker and error
/// messages walk; there is no reflection. A gradient has the type of its layer, so
/// `gradient[keyPath: p.keyPath]` is the gradient of `layer[keyPath: p.keyPath]`.
public protocol Parameterized {
    /// The element type of every parameter.
    associatedtype Scalar: BLASScalar
    /// The parameters of this value, in a stable order.
    var parameters: [Parameter<Self, Scalar>] { get }

    /// Calls `body` with each parameter's index in `parameters` and its matrix, in place,
    /// in that order. The default goes through the key paths, which reach stored
    /// properties in place; a type that keeps layers in an array implements it layer by
    /// layer, because a key-path write through an array subscript copies the element out
    /// and back, and so copies every matrix it changes.
    mutating func modifyParameters(_ body: (Int, inout Matrix<Scalar>) throws -> Void) rethrows

    /// The names of `parameters`, in that order. The default reads them from `parameters`;
    /// a type whose parameters are nested in other layers lists them directly, because the
    /// key paths `parameters` builds (appended paths into generic layers) are made by the
    /// runtime at every call, and a training step names every gradient it returns.
    var orderedParameterNames: [String] { get }
}

extension Parameterized {
    /// `parameters`' names.
    public var orderedParameterNames: [String] { parameters.map { $0.name } }

    /// The matrices of `parameters`, in that order (sharing their storage), read through
    /// `modifyParameters` rather than `parameters`' key paths.
    public var orderedParameterMatrices: [Matrix<Scalar>] {
        var copy = self
        var matrices: [Matrix<Scalar>] = []
        copy.modifyParameters { _, matrix in matrices.append(matrix) }
        return matrices
    }

    /// Through the key paths of `parameters`.
    public mutating func modifyParameters(
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows {
        for (i, p) in parameters.enumerated() { try body(i, &self[keyPath: p.keyPath]) }
    }

    /// `modifyParameters` of a contained layer, in place, its parameters numbered from
    /// `first` on; returns the number after its last. (Counting the visits, not building
    /// the layer's `parameters`, whose key paths cost allocations at every update.)
    public static func modifyParameters<Layer: Parameterized>(
        of layer: inout Layer, from first: Int,
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows -> Int where Layer.Scalar == Scalar {
        var next = first
        try layer.modifyParameters { _, matrix in
            try body(next, &matrix)
            next += 1
        }
        return next
    }

    /// `modifyParameters`, the positions counted from `first`; returns the position after the
    /// last (for a value visiting the layers it holds).
    @discardableResult
    public mutating func modifyParameters(
        from first: Int, _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows -> Int {
        try Self.modifyParameters(of: &self, from: first, body)
    }

    /// The same over the layers of an array, in array order.
    public static func modifyParameters<Layer: Parameterized>(
        of layers: inout [Layer], from first: Int,
        _ body: (Int, inout Matrix<Scalar>) throws -> Void
    ) rethrows -> Int where Layer.Scalar == Scalar {
        var next = first
        for l in layers.indices { next = try modifyParameters(of: &layers[l], from: next, body) }
        return next
    }

    /// The parameters of a contained layer, renamed `prefix.name`.
    public func nestedParameters<Inner: Parameterized>(
        _ path: WritableKeyPath<Self, Inner>, prefix: String
    ) -> [Parameter<Self, Scalar>] where Inner.Scalar == Scalar {
        self[keyPath: path].parameters.map { $0.nested(in: path, prefix: prefix) }
    }

    /// A value of the same shape with every parameter set to zero: an empty gradient.
    public func zeroed() -> Self {
        var result = self
        result.modifyParameters { _, matrix in matrix.zero() }
        return result
    }

    /// The total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + self[keyPath: $1.keyPath].count } }
}
