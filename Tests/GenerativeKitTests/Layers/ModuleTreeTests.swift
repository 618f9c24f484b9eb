import Testing

@testable import GenerativeKit

/// The module tree: a container written by a user lists its children, and every walk of the
/// library (parameters, random state, modes, data-parallel settings, checkpoints) reaches inside it.
@Suite("Module tree")
struct ModuleTreeTests {
  /// A container the library has never heard of: `x + body(x)`.
  final class Residual: Layer {
    let body: Sequential
    init(_ body: Sequential) { self.body = body }
    var isTraining: Bool {
      get { body.isTraining }
      set { body.isTraining = newValue }
    }
    var children: [(name: String, module: any Module)] { [("body", body)] }
    var description: String { "Residual(\(body))" }
    func outputShape(forInputShape shape: [Int]) throws -> [Int] { shape }
    func forward(_ input: Tensor) throws -> Tensor { input + (try body.forward(input)) }
    func backward(_ outputGradient: Tensor) throws -> Tensor { outputGradient + (try body.backward(outputGradient)) }
  }

  final class CountingSum: CrossProcessSum {
    var calls = 0
    func sumAcrossProcesses(_ values: inout [Double]) throws { calls += 1 }
  }

  static func network() -> Sequential {
    Sequential {
      Dense(inFeatures: 4, outFeatures: 4, seed: 1)
      Residual(Sequential {
        BatchNorm(features: 4)
        Dropout(rate: 0.5, seed: 2)
        Dense(inFeatures: 4, outFeatures: 4, seed: 3)
      })
      Dense(inFeatures: 4, outFeatures: 1, seed: 4)
    }
  }

  @Test("Parameters, random-state layers and module paths come from the children, prefixed by name")
  func names() throws {
    let network = Self.network()
    #expect(network.namedParameters.map(\.name) == [
      "0.weight", "0.bias",
      "1.body.0.weight", "1.body.0.bias", "1.body.0.running_mean", "1.body.0.running_var", "1.body.2.weight", "1.body.2.bias",
      "2.weight", "2.bias",
    ])
    #expect(network.randomStateLayers.map(\.name) == ["1.body.1"])
    #expect(network.namedModules.map(\.name) == ["", "0", "1", "1.body", "1.body.0", "1.body.1", "1.body.2", "2"])
    let gan = try GAN(generator: Sequential { Dense(inFeatures: 2, outFeatures: 4) }, discriminator: network, noiseDimension: 2)
    #expect(gan.randomStateLayers.map(\.name) == ["discriminator.1.body.1"])
    #expect(gan.namedParameters.first?.name == "generator.0.weight")
  }

  @Test("train(), eval(), the shard and the statistics reducer reach the layers inside a user's container")
  func settingsReachInside() throws {
    let network = Self.network()
    let inner = (network.layers[1] as! Residual).body
    let (norm, dropout) = (inner.layers[0] as! BatchNorm, inner.layers[1] as! Dropout)
    network.eval()
    #expect(!norm.isTraining && !dropout.isTraining)
    network.train()
    #expect(norm.isTraining && dropout.isTraining)
    let shard = try BatchShard(offset: 1, count: 2, globalCount: 4)
    network.setShard(shard)
    #expect(norm.shard == shard && dropout.shard == shard)
    let sum = CountingSum()
    network.setBatchStatisticsReducer(sum)
    network.setShard(nil)
    _ = try network.forward(Tensor(shape: [4, 4], repeating: 0.5))
    #expect(sum.calls == 1)
  }

  @Test("A checkpoint saves and restores the parameters inside a user's container")
  func checkpointRoundTrip() throws {
    let (saved, loaded) = (Self.network(), Self.network())
    for parameter in saved.trainableParameters { parameter.value = parameter.value.map { $0 + 0.25 } }
    var checkpoint = Checkpoint()
    checkpoint.add(model: saved, prefix: "net.")
    try checkpoint.restore(model: loaded, prefix: "net.")
    for (a, b) in zip(saved.namedParameters, loaded.namedParameters) {
      #expect(a.parameter.value == b.parameter.value, "\(a.name)")
    }
  }
}
