/// One field of an event as the NDJSON scanner found it, pointing into the scanner's buffers.
///
/// The pointers are valid only during the call that receives the field; anything kept is copied
/// (interned) first.
public struct ScannedField {
    public enum Kind: UInt8, Sendable {
        case missing, null, bool, number, string, nested
    }

    public var kind: Kind
    public var bool: Bool
    /// The parsed number when `kind == .number` and it is representable.
    public var number: Decimal9
    /// Set when a number token is valid JSON but not representable (`NumberError.range`).
    public var numberOutOfRange: Bool
    /// Unescaped UTF-8 bytes when `kind == .string`.
    public var bytes: UnsafeRawBufferPointer

    public static var missing: ScannedField {
        ScannedField(kind: .missing, bool: false, number: .zero, numberOutOfRange: false,
                     bytes: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    public init(kind: Kind, bool: Bool, number: Decimal9, numberOutOfRange: Bool, bytes: UnsafeRawBufferPointer) {
        self.kind = kind
        self.bool = bool
        self.number = number
        self.numberOutOfRange = numberOutOfRange
        self.bytes = bytes
    }

    /// The field as a `FieldValue` (allocates for strings; nil when missing or nested).
    public var fieldValue: FieldValue? {
        switch kind {
        case .missing, .nested: return nil
        case .null: return .null
        case .bool: return .bool(bool)
        case .number: return .number(number)
        case .string: return .string(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// A name for the field's JSON type, for error messages.
    public var typeName: String {
        switch kind {
        case .missing: return "missing"
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .nested: return "object or array"
        }
    }

    /// Appends the `ValueEncoding` of this field (missing encodes as null).
    @inline(__always)
    public func appendEncoding(to out: inout [UInt8]) {
        switch kind {
        case .missing, .null, .nested: out.append(ValueEncoding.nullTag)
        case .bool: ValueEncoding.appendBool(bool, to: &out)
        case .number: ValueEncoding.appendNumber(number, to: &out)
        case .string: ValueEncoding.appendString(bytes, to: &out)
        }
    }
}

/// The fields a job reads, in slot order; the scanner fills one `ScannedField` per name.
public struct FieldPlan: Sendable, Equatable {
    public let names: [String]
    public let nameBytes: [[UInt8]]

    public init(names: [String]) {
        var unique: [String] = []
        for n in names where !unique.contains(n) { unique.append(n) }
        self.names = unique
        self.nameBytes = unique.map { Array($0.utf8) }
    }

    public func slot(of name: String) -> Int {
        guard let i = names.firstIndex(of: name) else { preconditionFailure("field \(name) is not in the plan") }
        return i
    }
}
