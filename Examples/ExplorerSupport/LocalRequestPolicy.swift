import Foundation

/// Which requests a server bound to this machine's loopback address answers: only those addressed
/// to a loopback name (`Host`) and, when a browser says where the request comes from (`Origin`),
/// sent by a page of a loopback origin. Without the check, a web page the user visits could reach
/// the server through DNS rebinding (a name of the attacker's that resolves to 127.0.0.1), as
/// Jupyter's and TensorBoard's host checks guard against. A server bound elsewhere (`--host`,
/// with its warning) answers everyone.
public struct LocalRequestPolicy: Sendable {
  /// The names a request to a loopback-bound server may be addressed to.
  public static let loopbackNames: Set<String> = ["127.0.0.1", "localhost", "::1"]

  /// The address the server is bound to.
  public let boundHost: String

  /// A policy for a server bound to `boundHost`.
  public init(boundHost: String) { self.boundHost = boundHost }

  /// Whether the server is bound to a loopback address, and so checks requests.
  public var checksRequests: Bool { Self.loopbackNames.contains(Self.hostName(boundHost)) }

  /// Why a request with these `Host` (authority) and `Origin` headers is refused, or nil when it
  /// is answered.
  public func refusal(host: String?, origin: String?) -> String? {
    guard checksRequests else { return nil }
    guard let host, Self.loopbackNames.contains(Self.hostName(host)) else {
      return "this server answers requests addressed to 127.0.0.1, localhost or [::1] only, not to \(host ?? "no Host")"
    }
    if let origin, origin != "null" {
      guard let url = URL(string: origin), let originHost = url.host, Self.loopbackNames.contains(Self.hostName(originHost)) else {
        return "requests from pages of \(origin) are not answered: only this machine's own pages may use the explorer"
      }
    }
    return nil
  }

  /// `host` without a port and without IPv6 brackets, lowercased: `[::1]:8080` is `::1`.
  static func hostName(_ host: String) -> String {
    var name = host.lowercased()
    if name.hasPrefix("[") {
      if let close = name.firstIndex(of: "]") { name = String(name[name.index(after: name.startIndex)..<close]) }
      return name
    }
    // One colon: a port follows the name. More: a bare IPv6 address.
    if name.filter({ $0 == ":" }).count == 1, let colon = name.firstIndex(of: ":") { name = String(name[..<colon]) }
    return name
  }
}
