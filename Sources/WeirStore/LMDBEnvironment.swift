import CLMDB

/// One LMDB environment (a directory holding `data.mdb`), opened once per process.
///
/// Durable by default: no `MDB_NOSYNC`, `MDB_MAPASYNC` or `MDB_WRITEMAP`, so a commit that
/// returned has been fsync'd. Opened with `MDB_NOTLS` so read transactions are not tied to
/// threads, and stale reader slots of dead processes are cleared at open (`mdb_reader_check`).
///
/// `@unchecked Sendable`: LMDB's environment handle is thread-safe; every transaction below is
/// created, used and finished inside one synchronous call, never held across an `await`.
public final class LMDBEnvironment: @unchecked Sendable {
    public struct Settings: Sendable {
        /// Largest size the database may grow to (LMDB's default is only 10 MiB).
        public var mapSizeBytes: Int = 1 << 30
        public var maxReaders: UInt32 = 126
        public init() {}
    }

    private let env: OpaquePointer
    private let dbi: MDB_dbi
    var handle: OpaquePointer { env }
    var database: MDB_dbi { dbi }
    public let path: String
    /// Reader slots of dead processes cleared when the environment was opened.
    public let staleReadersCleared: Int

    public init(path: String, settings: Settings = Settings()) throws(LMDBError) {
        var handle: OpaquePointer?
        try LMDBError.check("env_create", mdb_env_create(&handle))
        guard let env = handle else { throw LMDBError("env_create", EINVAL) }
        do throws(LMDBError) {
            try LMDBError.check("env_set_mapsize", mdb_env_set_mapsize(env, settings.mapSizeBytes))
            try LMDBError.check("env_set_maxreaders", mdb_env_set_maxreaders(env, settings.maxReaders))
            try LMDBError.check("env_open \(path)", mdb_env_open(env, path, UInt32(MDB_NOTLS), 0o644))
            var dead: Int32 = 0
            try LMDBError.check("reader_check", mdb_reader_check(env, &dead))
            staleReadersCleared = Int(dead)
            var txn: OpaquePointer?
            try LMDBError.check("txn_begin", mdb_txn_begin(env, nil, 0, &txn))
            var db: MDB_dbi = 0
            let openCode = mdb_dbi_open(txn, nil, 0, &db)
            guard openCode == 0 else {
                mdb_txn_abort(txn)
                throw LMDBError("dbi_open", openCode)
            }
            try LMDBError.check("txn_commit", mdb_txn_commit(txn))
            dbi = db
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.env = env
        self.path = path
    }

    deinit { mdb_env_close(env) }

    /// Runs `body` in one write transaction; commits (fsync'd) when it returns, aborts when it throws.
    public func write<T>(_ body: (LMDBWriteTransaction) throws -> T) throws -> T {
        var txn: OpaquePointer?
        try LMDBError.check("txn_begin", mdb_txn_begin(env, nil, 0, &txn))
        guard let handle = txn else { throw LMDBError("txn_begin", EINVAL) }
        let transaction = LMDBWriteTransaction(txn: handle, dbi: dbi)
        let result: T
        do {
            result = try body(transaction)
        } catch {
            mdb_txn_abort(handle)
            throw error
        }
        try LMDBError.check("txn_commit", mdb_txn_commit(handle))
        return result
    }

    /// The value stored under `key`, copied out of the map, or nil.
    public func get(_ key: [UInt8]) throws -> [UInt8]? {
        var txn: OpaquePointer?
        try LMDBError.check("txn_begin", mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn))
        defer { mdb_txn_abort(txn) }
        return try LMDBWriteTransaction.get(txn, dbi, key)
    }
}

/// A write transaction handed to `LMDBEnvironment.write`; valid only inside that call.
public struct LMDBWriteTransaction {
    let txn: OpaquePointer
    let dbi: MDB_dbi

    public func put(_ key: [UInt8], _ value: [UInt8]) throws {
        var k = key, v = value
        let code = k.withUnsafeMutableBytes { kp in
            v.withUnsafeMutableBytes { vp in
                var mk = MDB_val(mv_size: kp.count, mv_data: kp.baseAddress)
                var mv = MDB_val(mv_size: vp.count, mv_data: vp.baseAddress)
                return mdb_put(txn, dbi, &mk, &mv, 0)
            }
        }
        try LMDBError.check("put", code)
    }

    public func get(_ key: [UInt8]) throws -> [UInt8]? { try Self.get(txn, dbi, key) }

    public func delete(_ key: [UInt8]) throws {
        var k = key
        let code = k.withUnsafeMutableBytes { kp in
            var mk = MDB_val(mv_size: kp.count, mv_data: kp.baseAddress)
            return mdb_del(txn, dbi, &mk, nil)
        }
        if code == MDB_NOTFOUND { return }
        try LMDBError.check("del", code)
    }

    static func get(_ txn: OpaquePointer?, _ dbi: MDB_dbi, _ key: [UInt8]) throws -> [UInt8]? {
        var k = key
        var out: [UInt8]?
        let code = k.withUnsafeMutableBytes { kp -> Int32 in
            var mk = MDB_val(mv_size: kp.count, mv_data: kp.baseAddress)
            var mv = MDB_val()
            let rc = mdb_get(txn, dbi, &mk, &mv)
            if rc == 0 {
                // Copy out before the transaction ends: the pointer is into the map.
                out = mv.mv_data.map { Array(UnsafeRawBufferPointer(start: $0, count: mv.mv_size)) } ?? []
            }
            return rc
        }
        if code == MDB_NOTFOUND { return nil }
        try LMDBError.check("get", code)
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif
