import Testing

@testable import GenerativeKitTraining

/// What a resume may change in a run's options, and what it must continue unchanged.
@Suite("Resumed recipes")
struct RecipeCheckTests {
  @Test("Epochs and reporting may change; the learning rate, batch, seed and loss may not; a generator average may be added, not dropped")
  func ganRecipe() {
    let stored = GANOptions(preset: .dcgan)
    var current = stored
    current.epochs = 40
    current.saveEvery = 1
    current.sampleCount = 16
    #expect(RecipeCheck.difference(stored: stored, current: current) == nil)
    for change in [{ (o: inout GANOptions) in o.learningRate = 1e-4 }, { $0.batchSize = 256 }, { $0.seed = 9 },
                   { $0.beta1 = 0.9 }, { $0.generatorLoss = .minimax }, { $0.generatorAverageDecay = nil }] {
      var changed = stored
      change(&changed)
      #expect(RecipeCheck.difference(stored: stored, current: changed) != nil, "\(changed)")
    }
    var withoutAverage = GANOptions()
    withoutAverage.generatorAverageDecay = nil
    var added = withoutAverage
    added.generatorAverageDecay = 0.999
    #expect(RecipeCheck.difference(stored: withoutAverage, current: added) == nil)
    var explicitReport = withoutAverage
    explicitReport.discriminator = .tensorflowTutorial
    #expect(RecipeCheck.difference(stored: withoutAverage, current: explicitReport) == nil, "nil means the report's discriminator")
    let message = RecipeCheck.difference(stored: stored, current: { var o = stored; o.learningRate = 1e-4; return o }())
    #expect(message?.contains("learningRate") == true && message?.contains("0.0002") == true, "\(message ?? "")")
  }

  @Test("A VAE's binarization left unset is the same recipe as switched off")
  func vaeRecipe() {
    var stored = VAEOptions()
    stored.dynamicBinarization = nil
    var current = stored
    current.dynamicBinarization = false
    #expect(RecipeCheck.difference(stored: stored, current: current) == nil)
    current.dynamicBinarization = true
    #expect(RecipeCheck.difference(stored: stored, current: current) != nil)
    current = stored
    current.beta = 0.5
    #expect(RecipeCheck.difference(stored: stored, current: current)?.contains("beta") == true)
  }
}
