// The umbrella module: `import SequenceTagging` is all a user of the toolkit writes.
@_exported import Corpora
@_exported import Evaluation
@_exported import LanguageModel
@_exported import LinearAlgebra
@_exported import ModelStorage
@_exported import NeuralNetwork
@_exported import Pipeline
@_exported import Tagging
@_exported import Text
@_exported import Tokenization
