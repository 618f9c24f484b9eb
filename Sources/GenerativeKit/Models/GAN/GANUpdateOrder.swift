/// When a GAN step updates the discriminator relative to taking the generator's gradient.
public enum GANUpdateOrder: String, Codable, Sendable, CaseIterable {
  /// Both gradients from one pass of D over the real and the generated batch, then both updates
  /// (the TensorFlow DCGAN tutorial's step, the report's): two D forward passes per step.
  case simultaneous
  /// D is updated on the real and the generated batch first, then the generator's gradient comes
  /// through the updated D, which scores the same generated batch again (PyTorch's DCGAN example):
  /// three D forward passes per step.
  case alternating
}
