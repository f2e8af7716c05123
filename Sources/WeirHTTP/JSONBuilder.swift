import WeirCodec
import WeirCore

/// Builds compact JSON text by hand: deterministic key order, exact decimals.
struct JSONBuilder {
    private(set) var text = ""
    private var needsComma: [Bool] = [false]

    mutating func beginObject() { separator(); text += "{"; needsComma.append(false) }
    mutating func endObject() { text += "}"; needsComma.removeLast() }
    mutating func beginArray() { separator(); text += "["; needsComma.append(false) }
    mutating func endArray() { text += "]"; needsComma.removeLast() }

    mutating func key(_ k: String) {
        separator()
        text += JSONText.quote(k) + ":"
        needsComma[needsComma.count - 1] = false
    }

    mutating func string(_ s: String) { separator(); text += JSONText.quote(s) }
    mutating func raw(_ literal: String) { separator(); text += literal }
    mutating func int(_ i: Int64) { raw(String(i)) }
    mutating func int(_ i: Int) { raw(String(i)) }
    mutating func bool(_ b: Bool) { raw(b ? "true" : "false") }
    mutating func null() { raw("null") }

    mutating func value(_ v: FieldValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let d): raw(d.description)
        case .string(let s): string(s)
        }
    }

    mutating func cell(_ c: Cell) {
        switch c {
        case .null: null()
        case .integer(let i): int(i)
        case .decimal(let d): raw(d.description)
        case .double(let d): d.isFinite ? raw(c.description) : null()
        case .value(let v): value(v)
        case .text(let s): string(s)
        }
    }

    mutating func field(_ k: String, _ s: String) { key(k); string(s) }
    mutating func field(_ k: String, _ i: Int64) { key(k); int(i) }
    mutating func field(_ k: String, _ i: Int) { key(k); int(i) }
    mutating func field(_ k: String, _ b: Bool) { key(k); bool(b) }

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }
}
