import WeirCore

/// Validates one NDJSON event line and picks its partition: the stable hash of the
/// `ValueEncoding` of the stream's key field (a missing key hashes as null), or of the whole
/// line when the stream declares no key. Equal key values always meet in one partition, however
/// they were spelled (`"u1"` and `"\u00751"` are the same key).
public final class EventRouter {
    public let keyField: String?
    public let partitioner: Partitioner
    private let scanner: EventScanner
    private var keyBytes: [UInt8] = []

    public init(keyField: String?, partitioner: Partitioner) {
        self.keyField = keyField
        self.partitioner = partitioner
        scanner = EventScanner(plan: FieldPlan(names: keyField.map { [$0] } ?? []))
    }

    /// The line's partition, or why the line is not a valid event.
    public func route(_ line: UnsafeRawBufferPointer) -> Result<PartitionID, ScanFailure> {
        if let failure = scanner.scan(line) { return .failure(failure) }
        guard keyField != nil else { return .success(partitioner.partition(ofKey: line)) }
        keyBytes.removeAll(keepingCapacity: true)
        scanner.fields[0].appendEncoding(to: &keyBytes)
        return .success(keyBytes.withUnsafeBytes { partitioner.partition(ofKey: $0) })
    }
}
