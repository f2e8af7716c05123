import CLMDB

extension LMDBEnvironment {
    /// Every (key, value) whose key starts with `prefix`, in key order, copied out of the map in
    /// one short read transaction.
    public func entries(withPrefix prefix: [UInt8]) throws -> [(key: [UInt8], value: [UInt8])] {
        var txn: OpaquePointer?
        try LMDBError.check("txn_begin", mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn))
        defer { mdb_txn_abort(txn) }
        var cursor: OpaquePointer?
        try LMDBError.check("cursor_open", mdb_cursor_open(txn, database, &cursor))
        defer { mdb_cursor_close(cursor) }
        var out: [(key: [UInt8], value: [UInt8])] = []
        var start = prefix.isEmpty ? [0] : prefix
        var code = start.withUnsafeMutableBytes { kp -> Int32 in
            var k = MDB_val(mv_size: kp.count, mv_data: kp.baseAddress)
            var v = MDB_val()
            let rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            if rc == 0 { out.append((Self.copy(k), Self.copy(v))) }
            return rc
        }
        while code == 0 {
            guard let last = out.last, last.key.starts(with: prefix) else { break }
            var k = MDB_val(), v = MDB_val()
            code = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
            if code == 0 { out.append((Self.copy(k), Self.copy(v))) }
        }
        if code != 0 && code != MDB_NOTFOUND { try LMDBError.check("cursor_get", code) }
        return out.filter { $0.key.starts(with: prefix) }
    }

    private static func copy(_ val: MDB_val) -> [UInt8] {
        val.mv_data.map { Array(UnsafeRawBufferPointer(start: $0, count: val.mv_size)) } ?? []
    }
}
