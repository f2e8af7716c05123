import CLMDB

/// An LMDB failure: the operation, LMDB's code and its message.
public struct LMDBError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var message: String

    init(_ operation: String, _ code: Int32) {
        self.operation = operation
        self.code = code
        self.message = String(cString: mdb_strerror(code))
    }

    /// The map is full: the transaction was aborted; reopen with a larger `mapSizeBytes`.
    public var isMapFull: Bool { code == MDB_MAP_FULL }

    public var description: String {
        let hint = isMapFull ? " (the LMDB map is full: nothing was committed; restart with a larger map size)" : ""
        return "LMDB \(operation) failed: \(message)\(hint)"
    }

    static func check(_ operation: String, _ code: Int32) throws(LMDBError) {
        if code != 0 { throw LMDBError(operation, code) }
    }
}
