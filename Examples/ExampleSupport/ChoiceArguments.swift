import ArgumentParser
import GenerativeKit
import GenerativeKitTraining

// The library's choices as command-line values, spelled as their raw values (`--preset dcgan`,
// `--generator-loss minimax`); ArgumentParser refuses anything else, naming the option and
// listing the values it takes.
extension GANPreset: ExpressibleByArgument {}
extension FacesGANPreset: ExpressibleByArgument {}
extension GANArchitecture: ExpressibleByArgument {}
extension VAEPreset: ExpressibleByArgument {}
extension GANDiscriminator: ExpressibleByArgument {}
extension GeneratorLoss: ExpressibleByArgument {}
extension DiscriminatorLoss: ExpressibleByArgument {}
extension GANUpdateOrder: ExpressibleByArgument {}
extension ReconstructionLoss: ExpressibleByArgument {}
