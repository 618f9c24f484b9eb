/// A small, strict JSON reader and writer for safetensors headers.
///
/// Strict in the ways a header needs: objects keep their key order and reject duplicate keys, strings
/// must be valid UTF-8 without raw control characters, nesting is capped (so hostile input cannot
/// exhaust the stack), and integers are kept exact. Errors give the byte offset inside the header.
/// The training product reads its run logs (`log.jsonl`) with it too.
package enum HeaderJSON {
  /// A parsed JSON value.
  package indirect enum Value {
    case object([(key: String, value: Value)])
    case array([Value])
    case string(String)
    /// A number written without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number.
    case number(Double)
    case bool(Bool)
    case null

    /// The value of a number, integral or not; nil for anything else.
    package var numberValue: Double? {
      switch self {
      case .integer(let value): return Double(value)
      case .number(let value): return value
      default: return nil
      }
    }

    /// A short name of the value's kind, for messages.
    var kind: String {
      switch self {
      case .object: return "an object"
      case .array: return "an array"
      case .string: return "a string"
      case .integer, .number: return "a number"
      case .bool: return "a boolean"
      case .null: return "null"
      }
    }
  }

  /// A syntax error at `offset` bytes into the text.
  struct SyntaxError: Error, CustomStringConvertible {
    var message: String
    var offset: Int
    var description: String { "\(message) at byte \(offset) of the header" }
  }

  /// The deepest nesting of arrays and objects accepted (a header needs 3).
  static let maximumDepth = 32

  /// The most values (objects, arrays, strings, numbers, literals) one header may hold: a tensor's
  /// entry takes about eight, so this allows some 60,000 tensors, and a header of a million empty
  /// entries is refused after a fraction of a second instead of parsed into a gigabyte.
  static let maximumValues = 500_000

  /// Parses one JSON value from `bytes`; only whitespace may follow it.
  package static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Value {
    var parser = Parser(bytes: bytes)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.index == bytes.count else {
      throw SyntaxError(message: "unexpected text after the JSON value", offset: parser.index)
    }
    return value
  }

  /// `text` as a JSON string literal, quotes included.
  static func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }

  private struct Parser {
    let bytes: UnsafeRawBufferPointer
    var index = 0
    /// Values parsed so far, against ``HeaderJSON/maximumValues``.
    var values = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
      while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    func fail(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: index) }

    func describeCurrent() -> String {
      guard let byte = current else { return "end of header" }
      if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
      return "byte 0x" + String(byte, radix: 16)
    }

    mutating func expect(_ byte: UInt8, _ name: String) throws {
      guard current == byte else { throw fail("expected \(name), found \(describeCurrent())") }
      index += 1
    }

    mutating func parseValue(depth: Int) throws -> Value {
      values += 1
      guard values <= HeaderJSON.maximumValues else {
        throw fail("more than \(HeaderJSON.maximumValues) JSON values")
      }
      switch current {
      case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
      case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
      case UInt8(ascii: "\""): return .string(try parseString())
      case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
      case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
      case UInt8(ascii: "n"): try parseLiteral("null"); return .null
      case let byte? where byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39): return try parseNumber()
      default: throw fail("expected a JSON value, found \(describeCurrent())")
      }
    }

    mutating func parseLiteral(_ word: String) throws {
      let expected = Array(word.utf8)
      let matches = index + expected.count <= bytes.count
        && expected.indices.allSatisfy { bytes[index + $0] == expected[$0] }
      guard matches else { throw fail("invalid literal (expected \(word))") }
      index += expected.count
    }

    mutating func parseObject(depth: Int) throws -> Value {
      guard depth <= maximumDepth else { throw fail("JSON nested deeper than \(maximumDepth) levels") }
      index += 1  // {
      var members: [(key: String, value: Value)] = []
      var seen: Set<String> = []
      skipWhitespace()
      if current == UInt8(ascii: "}") { index += 1; return .object(members) }
      while true {
        skipWhitespace()
        let keyOffset = index
        guard current == UInt8(ascii: "\"") else { throw fail("expected a string key, found \(describeCurrent())") }
        let key = try parseString()
        guard seen.insert(key).inserted else {
          throw SyntaxError(message: "duplicate key \(quoted(key))", offset: keyOffset)
        }
        skipWhitespace()
        try expect(UInt8(ascii: ":"), "':'")
        skipWhitespace()
        members.append((key, try parseValue(depth: depth)))
        skipWhitespace()
        if current == UInt8(ascii: ",") { index += 1; continue }
        try expect(UInt8(ascii: "}"), "',' or '}'")
        return .object(members)
      }
    }

    mutating func parseArray(depth: Int) throws -> Value {
      guard depth <= maximumDepth else { throw fail("JSON nested deeper than \(maximumDepth) levels") }
      index += 1  // [
      var elements: [Value] = []
      skipWhitespace()
      if current == UInt8(ascii: "]") { index += 1; return .array(elements) }
      while true {
        skipWhitespace()
        elements.append(try parseValue(depth: depth))
        skipWhitespace()
        if current == UInt8(ascii: ",") { index += 1; continue }
        try expect(UInt8(ascii: "]"), "',' or ']'")
        return .array(elements)
      }
    }

    mutating func parseString() throws -> String {
      let start = index
      index += 1  // opening quote
      var utf8: [UInt8] = []
      while true {
        guard let byte = current else { throw SyntaxError(message: "unterminated string", offset: start) }
        index += 1
        switch byte {
        case UInt8(ascii: "\""):
          guard let text = String(validating: utf8, as: UTF8.self) else {
            throw SyntaxError(message: "string is not valid UTF-8", offset: start)
          }
          return text
        case UInt8(ascii: "\\"):
          try parseEscape(into: &utf8)
        case 0..<0x20:
          index -= 1
          throw fail("raw control character in a string")
        default:
          utf8.append(byte)
        }
      }
    }

    mutating func parseEscape(into utf8: inout [UInt8]) throws {
      guard let byte = current else { throw fail("unterminated escape") }
      index += 1
      switch byte {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
      case UInt8(ascii: "b"): utf8.append(0x08)
      case UInt8(ascii: "f"): utf8.append(0x0C)
      case UInt8(ascii: "n"): utf8.append(0x0A)
      case UInt8(ascii: "r"): utf8.append(0x0D)
      case UInt8(ascii: "t"): utf8.append(0x09)
      case UInt8(ascii: "u"):
        var code = try parseHex4()
        if (0xD800..<0xDC00).contains(code) {
          // A high surrogate must be followed by an escaped low surrogate.
          guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
            throw fail("unpaired surrogate in \\u escape")
          }
          index += 2
          let low = try parseHex4()
          guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(code) {
          throw fail("unpaired surrogate in \\u escape")
        }
        utf8.append(contentsOf: Array(String(Character(Unicode.Scalar(code)!)).utf8))
      default:
        index -= 1
        throw fail("invalid escape \\\(describeCurrent())")
      }
    }

    mutating func parseHex4() throws -> UInt32 {
      guard index + 4 <= bytes.count else { throw fail("truncated \\u escape") }
      var value: UInt32 = 0
      for _ in 0..<4 {
        let byte = bytes[index]
        let digit: UInt8
        switch byte {
        case 0x30...0x39: digit = byte - 0x30
        case 0x41...0x46: digit = byte - 0x41 + 10
        case 0x61...0x66: digit = byte - 0x61 + 10
        default: throw fail("invalid hex digit in \\u escape")
        }
        value = value << 4 | UInt32(digit)
        index += 1
      }
      return value
    }

    mutating func parseNumber() throws -> Value {
      let start = index
      var isInteger = true
      if current == UInt8(ascii: "-") { index += 1 }
      guard let first = current, first >= 0x30 && first <= 0x39 else { throw fail("expected a digit") }
      if first == 0x30 {
        index += 1
        if let next = current, next >= 0x30 && next <= 0x39 { throw fail("leading zero in a number") }
      } else {
        skipDigits()
      }
      if current == UInt8(ascii: ".") {
        isInteger = false
        index += 1
        guard skipDigits() > 0 else { throw fail("expected a digit after '.'") }
      }
      if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
        isInteger = false
        index += 1
        if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
        guard skipDigits() > 0 else { throw fail("expected a digit in the exponent") }
      }
      let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
      if isInteger, let value = Int(text) { return .integer(value) }
      guard let value = Double(text) else { throw SyntaxError(message: "invalid number", offset: start) }
      return .number(value)
    }

    @discardableResult
    mutating func skipDigits() -> Int {
      let start = index
      while let byte = current, byte >= 0x30 && byte <= 0x39 { index += 1 }
      return index - start
    }
  }
}
